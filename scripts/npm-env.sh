# Sourced by the rig scripts: drops what an outer `npm test` / `npm run demo` exported, so a
# nested npm (run by Node 24) behaves as if started from a clean shell.
#
# An outer npm exports its whole state to scripts: npm_config_user_agent ("npm/… node/v20…",
# which code-server's postinstall reads as the Node version), npm_config_node_gyp, nodedir,
# prefix, lifecycle and package variables, NODE, INIT_CWD, and node_modules/.bin plus its own
# node-gyp shim on PATH. A nested npm takes these over as its own configuration.

# Settings of the machine rather than of the outer npm process (registry mirror, proxy,
# certificates, download cache): kept, so they still reach the nested install.
_npm_env_keep() {
  case "$1" in
    npm_config_registry | npm_config_proxy | npm_config_https_proxy | npm_config_noproxy \
      | npm_config_cafile | npm_config_ca | npm_config_strict_ssl | npm_config_cache) return 0 ;;
  esac
  return 1
}

# Unsets the outer npm's variables and removes its PATH entries in the current shell.
scrub_npm_env() {
  local name lower
  while IFS= read -r name; do
    lower="${name,,}"
    case "$lower" in
      npm_*) _npm_env_keep "$lower" || unset "$name" ;;
    esac
  done < <(compgen -e)
  unset NODE INIT_CWD NODE_OPTIONS

  local entry kept="" parts=()
  IFS=: read -r -a parts <<<"$PATH"
  for entry in "${parts[@]}"; do
    case "$entry" in
      */node_modules/.bin | */@npmcli/run-script/lib/node-gyp-bin | "") ;;
      *) kept="${kept:+$kept:}$entry" ;;
    esac
  done
  export PATH="${kept:-/usr/local/bin:/usr/bin:/bin}"
}
