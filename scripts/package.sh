#!/usr/bin/env bash
# Builds the extension (node esbuild.mjs) and packages it into a .vsix with vsce under Node 24.
# The bundles in dist/ already contain the dependencies, so vsce runs with --no-dependencies.
#
# Usage: bash scripts/package.sh [-o FILE.vsix] [--no-build]
#   default output: huskies-vscode-<version>.vsix at the repository root (git-ignored)
# The last line printed is the absolute path of the .vsix.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
RIG="${HUSKIES_RIG_DIR:-$ROOT/.vscode-test}"
N24="$RIG/node24/bin/node"
VSCE="$RIG/vsce/node_modules/@vscode/vsce/vsce"

OUT=""
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--out) OUT="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
log() { printf '[package] %s\n' "$*" >&2; }
T0=$(now)

cd "$ROOT"
NAME=$(node -p "require('./package.json').name")
VERSION=$(node -p "require('./package.json').version")
[ -n "$OUT" ] || OUT="$ROOT/$NAME-$VERSION.vsix"
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
mkdir -p "$(dirname "$OUT")"

if [ ! -x "$N24" ] || [ ! -f "$VSCE" ]; then
  log "vsce or Node 24 missing; installing the rig first"
  bash "$SCRIPT_DIR/vscode-rig.sh" >&2
fi

if [ ! -d node_modules ]; then
  log "node_modules missing: npm ci"
  npm ci --no-audit --no-fund >&2
fi

if [ "$BUILD" = 1 ]; then
  t=$(now)
  log "build: node esbuild.mjs"
  node esbuild.mjs >&2
  log "build done in $(elapsed "$t")"
fi

for f in dist/extension.js dist/core.js dist/cli.js dist/sim-agent.js dist/supervisor.js; do
  [ -f "$f" ] || { log "missing $f after the build"; exit 1; }
done
ls dist/webview/*.js >/dev/null 2>&1 || { log "missing dist/webview/*.js after the build"; exit 1; }

t=$(now)
rm -f "$OUT"
log "vsce package -> $OUT"
# --allow-missing-repository / --skip-license: package.json has no repository field and the
# repository has no LICENSE file yet; vsce would otherwise stop (or ask on stdin).
extra=()
[ -f LICENSE ] || [ -f LICENSE.md ] || [ -f LICENSE.txt ] || extra+=(--skip-license)
"$N24" "$VSCE" package --no-dependencies --allow-missing-repository "${extra[@]}" \
  -o "$OUT" </dev/null >&2
log "vsce done in $(elapsed "$t")"

# Check the contents: a vsix is a zip with the extension under extension/.
python3 - "$OUT" <<'EOF' >&2
import sys, zipfile, fnmatch
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = ['extension/dist/extension.js', 'extension/dist/core.js', 'extension/dist/cli.js', 'extension/dist/sim-agent.js', 'extension/dist/supervisor.js',
        'extension/dist/webview/*.js', 'extension/media/*', 'extension/package.json']
missing = [p for p in need if not fnmatch.filter(names, p)]
bad = [n for n in names if n.startswith(('extension/src/', 'extension/node_modules/', 'extension/test/', 'extension/.vscode-test/')) or n.endswith('.map')]
print(f'[package] {len(names)} files in the vsix')
for n in sorted(names):
    print(f'[package]   {n}')
if missing or bad:
    print(f'[package] missing: {missing}; should not be there: {bad[:10]}')
    sys.exit(1)
EOF
log "packaged in $(elapsed "$T0"): $(stat -c %s "$OUT" | awk '{ printf "%.2f MB (%d bytes)", $1 / 1048576, $1 }')"
echo "$OUT"
