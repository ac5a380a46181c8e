#!/usr/bin/env bash
# The demo: Huskies in a real VS Code (code-server) on a sample project, from a fresh machine.
# Installs what is missing (npm ci, the rig), builds and packages the extension, creates the
# sample project in .vscode-test/demo-project and serves VS Code until Ctrl+C.
#
# Usage: bash scripts/demo.sh [--keep] [--port N] [--smoke]
#   --keep     reuse the existing demo project (default: a fresh one each time)
#   --port N   serve on 127.0.0.1:N (default: a free port)
#   --smoke    instead of waiting: open it headless in Chromium, start the agent on story 1 from
#              the board, wait until it reaches QA, save test-results/demo.png and exit
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
RIG="${HUSKIES_RIG_DIR:-$ROOT/.vscode-test}"

KEEP=0
SMOKE=0
PORT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1; shift ;;
    --smoke) SMOKE=1; shift ;;
    --port) PORT="${2:-}"; shift 2 || { echo "demo.sh: --port needs a number" >&2; exit 2; } ;;
    --port=*) PORT="${1#--port=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$PORT" in ''|*[!0-9]*) echo "demo.sh: --port needs a number, got '$PORT'" >&2; exit 2 ;; esac

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
log() { printf '[demo] %s\n' "$*"; }
T0=$(now)
cd "$ROOT"

if [ ! -d node_modules ]; then
  t=$(now); log "npm ci (node_modules missing)"
  npm ci --no-audit --no-fund
  log "npm ci done in $(elapsed "$t")"
fi

bash "$SCRIPT_DIR/vscode-rig.sh"

t=$(now); log "build and package"
VSIX="$RIG/demo/huskies-vscode.vsix"
bash "$SCRIPT_DIR/package.sh" -o "$VSIX" >/dev/null 2>"$RIG/demo-package.log" || {
  cat "$RIG/demo-package.log" >&2; log "packaging failed"; exit 1; }
log "packaged $VSIX in $(elapsed "$t")"

DEMO="$RIG/demo-project"
if [ "$SMOKE" = 1 ] && [ "$KEEP" = 1 ]; then
  log "--smoke starts from a fresh project: ignoring --keep"
  KEEP=0
fi
if [ "$KEEP" = 1 ] && [ -f "$DEMO/.huskies/project.toml" ]; then
  log "reusing the demo project in $DEMO"
else
  rm -rf "$DEMO"
  node "$SCRIPT_DIR/sample-project.mjs" "$DEMO" | sed 's/^/[demo] /'
fi
log "ready to start after $(elapsed "$T0")"

if [ "$SMOKE" = 1 ]; then
  mkdir -p "$ROOT/test-results"
  exec node "$SCRIPT_DIR/e2e.mjs" --smoke --no-rig --no-build --vsix "$VSIX" --folder "$DEMO" \
    --port "$PORT" --screenshot "$ROOT/test-results/demo.png"
fi
exec node "$SCRIPT_DIR/codeServer.mjs" serve --folder "$DEMO" --vsix "$VSIX" --port "$PORT" --run-dir "$RIG/demo-run"
