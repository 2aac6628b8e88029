#!/usr/bin/env bash
# Run the molecule scenarios given as arguments in MOLECULE_LANES lanes at once (default 2).
# Most of a scenario's time is waiting (apt in the containers, reboots, cron's next minute),
# so two lanes on two cores finish well before one lane does. Each scenario's output goes to
# tests/output/molecule/SCENARIO.log and a line says how it ended and how long it took.
# A scenario that fails beside another is run again alone, in the foreground, so that the
# failure is shown in full; when it then passes, that is said loudly (a scenario that needs
# the machine to itself is worth knowing about), and the run still passes.
# MOLECULE_LANES=1 runs them one after another, as before.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
lanes=${MOLECULE_LANES:-2}
if ! [[ "$lanes" =~ ^[1-9][0-9]*$ ]]; then
  echo "[molecule] MOLECULE_LANES must be a whole number of at least 1, got '$lanes'." >&2
  exit 2
fi
if [ $# -eq 0 ]; then
  echo "[molecule] no scenario to run: name them (make molecule SCENARIOS=default)." >&2
  exit 2
fi
out=tests/output/molecule
mkdir -p "$out"
rm -f "$out"/*.log "$out/failed"

run_lane() {
  local scenario start
  for scenario in "$@"; do
    start=$(date +%s)
    if .venv/bin/molecule test -s "$scenario" >"$out/$scenario.log" 2>&1; then
      echo "[molecule] $scenario passed in $(( $(date +%s) - start )) s"
    else
      echo "[molecule] $scenario FAILED in $(( $(date +%s) - start )) s (log: $out/$scenario.log)"
      echo "$scenario" >>"$out/failed"
    fi
  done
}

declare -a pids=()
for ((lane = 0; lane < lanes; lane++)); do
  mine=()
  for ((i = lane; i < $#; i += lanes)); do
    mine+=("${@:i+1:1}")
  done
  [ ${#mine[@]} -gt 0 ] || continue
  echo "[molecule] lane $((lane + 1)): ${mine[*]}"
  run_lane "${mine[@]}" &
  pids+=("$!")
done
for pid in "${pids[@]}"; do
  wait "$pid"
done

[ -f "$out/failed" ] || exit 0
status=0
while read -r scenario; do
  echo "[molecule] the last lines of $scenario's run beside another scenario:"
  tail -n 60 "$out/$scenario.log"
  echo "[molecule] running $scenario again, alone"
  if .venv/bin/molecule test -s "$scenario"; then
    echo "[molecule] WARNING: $scenario failed beside another scenario and passed alone; see $out/$scenario.log"
  else
    status=1
  fi
done <"$out/failed"
exit "$status"
