#!/usr/bin/env bash
# Runs every test level: type check, build, unit, integration (real git, real processes, the real
# Claude Code program against a scripted local API) and end to end in a real VS Code (code-server).
# Installs what is missing first (npm packages, then the VS Code rig via the e2e runner).
# Ends with one line "Total: N passed, M failed, K skipped" (also when a step stops the run early);
# exits non-zero if anything failed. Runs with GIT_CONFIG_GLOBAL=/dev/null: the tests set their own
# git identity, and a developer's ~/.gitconfig (identity, signing, hooks) neither helps nor hurts.
#
# Usage: bash scripts/test-all.sh [--no-e2e]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GIT_CONFIG_GLOBAL=/dev/null

RUN_E2E=1
for a in "$@"; do
  case "$a" in
    --no-e2e) RUN_E2E=0 ;;
    *) echo "test-all: unknown argument $a" >&2; exit 2 ;;
  esac
done

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/huskies-tests.XXXXXX")
trap 'rm -rf "$LOGDIR"' EXIT
PASSED=0; FAILED=0; SKIPPED=0; STATUS=0
T0=$(date +%s)

section() { printf '\n=== %s ===\n' "$*"; }

finish() {
  # What failed, repeated last: a CI log is often read from its end, and the step's own output scrolled away.
  if [ -s "$LOGDIR/failures" ]; then
    echo
    echo "=== what failed ==="
    cat "$LOGDIR/failures"
  fi
  echo
  echo "Test run took $(( $(date +%s) - T0 )) s."
  echo "Total: $PASSED passed, $FAILED failed, $SKIPPED skipped"
  [ "$FAILED" = 0 ] || STATUS=1
  exit $STATUS
}
# A step that stops the run counts as one failure.
stop_failed() { echo "$1"; echo "$1" >>"$LOGDIR/failures"; FAILED=$((FAILED + 1)); STATUS=1; finish; }

# A check (type check, lint, format) that failed: its name and the end of its output go to the failure summary.
check() {
  local name=$1; shift
  if "$@" >"$LOGDIR/check.log" 2>&1; then
    cat "$LOGDIR/check.log"; PASSED=$((PASSED + 1))
  else
    cat "$LOGDIR/check.log"; FAILED=$((FAILED + 1)); STATUS=1
    { echo "--- $name:"; tail -30 "$LOGDIR/check.log"; } >>"$LOGDIR/failures"
  fi
}

# Adds the counts from a mocha log ("N passing", "N failing", "N pending") and its exit status:
# mocha failing without a "failing" line (a test file that does not load, a crash) counts as one.
count_mocha() {
  local log=$1 status=$2 p f s
  p=$(grep -Eo '^\s+[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '^\s+[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  s=$(grep -Eo '^\s+[0-9]+ pending' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  if [ "$status" != 0 ]; then
    STATUS=1
    [ "${f:-0}" != 0 ] || f=1
    # mocha's failure report: "N failing", then each failure's titles and error (capped per log).
    { echo "--- $(basename "$log" .log) tests:"; sed -n '/^ *[0-9][0-9]* failing/,$p' "$log" | head -60; } >>"$LOGDIR/failures"
  fi
  PASSED=$((PASSED + ${p:-0})); FAILED=$((FAILED + ${f:-0})); SKIPPED=$((SKIPPED + ${s:-0}))
}

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  section "npm ci"
  npm ci --no-audit --no-fund || stop_failed "npm ci failed"
fi

section "type check"
check "type check" npx tsc -p . --noEmit

section "lint"
check "lint" npx eslint .

section "format check"
check "format check" npx prettier --check .

section "build"
node esbuild.mjs --log-level=warning >/dev/null || stop_failed "build failed"

section "unit tests"
npx mocha 'test/unit/**/*.test.ts' 2>&1 | tee "$LOGDIR/unit.log"
count_mocha "$LOGDIR/unit.log" "${PIPESTATUS[0]}"

section "integration tests"
npx mocha --timeout 90000 'test/integration/**/*.test.ts' 2>&1 | tee "$LOGDIR/integration.log"
count_mocha "$LOGDIR/integration.log" "${PIPESTATUS[0]}"

if [ "$RUN_E2E" = 1 ]; then
  section "end to end (real VS Code)"
  node scripts/e2e.mjs 2>&1 | tee "$LOGDIR/e2e.log"
  [ "${PIPESTATUS[0]}" = 0 ] || STATUS=1
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOGDIR/e2e.log" | tail -1)
  if [ -n "$line" ]; then
    PASSED=$((PASSED + $(echo "$line" | awk '{print $1}'))); FAILED=$((FAILED + $(echo "$line" | awk '{print $3}')))
  else
    FAILED=$((FAILED + 1)); STATUS=1
  fi
  grep -E '✗ ' "$LOGDIR/e2e.log" | sed 's/^/--- end to end: /' >>"$LOGDIR/failures" || true
  grep -qE '^[0-9]+ passed, [1-9]' "$LOGDIR/e2e.log" && ! grep -qE '✗ ' "$LOGDIR/e2e.log" && tail -20 "$LOGDIR/e2e.log" >>"$LOGDIR/failures"
fi

finish
