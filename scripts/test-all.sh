#!/usr/bin/env bash
# `make test`: the whole suite, with the molecule scenarios running beside the rest.
#
# The molecule lanes (scripts/molecule-lanes.sh) are the longest part and mostly wait: apt in
# the containers, real reboots, cron's next minute. So they start first, in the background,
# while ansible-lint, antsibull-changelog, ansible-test sanity and pytest run in the foreground.
# Every part runs even when an earlier one fails, so one run tells you everything; the exit
# status is 1 when any part failed, and the last lines name each part with its result and time.
# Molecule's own output goes to tests/output/molecule/ (one log per scenario) and
# tests/output/molecule-lanes.log; its summary lines are printed at the end.
# TWZRD_TEST_SERIAL=1 runs the parts one after another instead (slower, quieter machine).
# Usage: scripts/test-all.sh SCENARIO... (the Makefile passes $(SCENARIOS)).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
PATH="$(pwd)/.venv/bin:$(pwd)/.tools/node_modules/.bin:$PATH"
export PATH

if [ $# -eq 0 ]; then
  echo "[test] no molecule scenario named: pass them (make test SCENARIOS='default flows')." >&2
  exit 2
fi

out=tests/output
mkdir -p "$out"
lanes_log="$out/molecule-lanes.log"
declare -a summary=()
failed=0
began=$(date +%s)

part() {
  # part NAME COMMAND...: run one part, record its result and time.
  local name=$1 start rc
  shift
  start=$(date +%s)
  echo "[test] $name: starting"
  "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    summary+=("$name: passed in $(( $(date +%s) - start )) s")
  else
    summary+=("$name: FAILED (exit $rc) in $(( $(date +%s) - start )) s")
    failed=1
  fi
}

molecule_pid=""
# shellcheck disable=SC2317  # called by the traps
stop_molecule() {
  # The lanes run in their own process group (set -m below): end all of it, not only the script.
  if [ -n "$molecule_pid" ] && kill -0 "$molecule_pid" 2>/dev/null; then
    echo "[test] stopping the molecule lanes (process group $molecule_pid)" >&2
    kill -TERM -- "-$molecule_pid" 2>/dev/null
  fi
}
trap 'stop_molecule; exit 130' INT
trap 'stop_molecule; exit 143' TERM HUP

if [ "${TWZRD_TEST_SERIAL:-0}" = 1 ]; then
  part "lint" make --no-print-directory lint
  part "sanity" make --no-print-directory sanity
  part "pytest" pytest tests
  part "molecule" bash scripts/molecule-lanes.sh "$@"
else
  molecule_start=$(date +%s)
  echo "[test] molecule: starting $* in the background (log: $lanes_log)"
  set -m
  bash scripts/molecule-lanes.sh "$@" >"$lanes_log" 2>&1 &
  molecule_pid=$!
  set +m
  part "lint" make --no-print-directory lint
  part "sanity" make --no-print-directory sanity
  part "pytest" pytest tests
  echo "[test] waiting for the molecule lanes (started $(( $(date +%s) - molecule_start )) s ago):"
  grep '^\[molecule\]' "$lanes_log" || true
  wait "$molecule_pid"
  rc=$?
  molecule_pid=""
  echo "[test] molecule's output (the scenarios' own logs are in $out/molecule/):"
  cat "$lanes_log"
  if [ "$rc" -eq 0 ]; then
    summary+=("molecule: passed in $(( $(date +%s) - molecule_start )) s (beside the parts above)")
  else
    summary+=("molecule: FAILED (exit $rc) in $(( $(date +%s) - molecule_start )) s (beside the parts above)")
    failed=1
  fi
fi

echo "[test] ---- summary ($(( $(date +%s) - began )) s in all) ----"
for line in "${summary[@]}"; do
  echo "[test] $line"
done
exit "$failed"
