#!/usr/bin/env bash
# The controller matrix (`make test-matrix`): for each ansible-core release the README lists as
# tested, run in order
#   sanity         ansible-test sanity, the scripts/sanity.sh way (scratch copy, --requirements)
#   units          the unit tier (pytest tests/unit)
#   weekly-health  playbooks/weekly-health.yml  \
#   status         playbooks/status.yml          | against the managed test host (below);
#   alerts         playbooks/alerts.yml          | a [DEPRECATION WARNING] in their output
#   setup-check    playbooks/setup.yml --check  /  (or a Python DeprecationWarning) fails the step
# then print a table (version x step: pass/fail and seconds) and exit non-zero on any failure.
#
# Where it runs: ansible-core 2.20 and 2.21 need Python >= 3.12, which this kind of machine
# (Debian 12, Python 3.11) lacks, so every version runs the same way: in a container of the
# project's Debian 13 test image (scripts/build-test-image.sh trixie; Python 3.13), with a
# virtualenv per version (the `ansible` package of that release, plus pytest, hypothesis and
# psutil) kept in $TWZRD_MATRIX_CACHE (default .cache/test-matrix) between runs. 2.19 on the
# project's own Python 3.11 is what `make test` already covers.
# The managed host is that same container, as localhost (inventories/localhost.yml, local
# connection): a Debian 13 with systemd as PID 1, the PM2 of the user twzrd running
# tests/apps/healthy.js as `web` on port 8080, which the playbooks are told to expect (and its
# /health to probe).
#
# The container is started with the settings that run systemd on this kind of machine (no
# --privileged); override them with TWZRD_MATRIX_DOCKER_OPTS (e.g. "--privileged" on a laptop).
# pip inside the container uses this machine's own pip configuration: its config files, the
# local directories they name and its CA bundle are mounted read-only, PIP_* passed through.
#
#   scripts/test-matrix.sh                     # 2.19 2.20 2.21
#   TWZRD_MATRIX_VERSIONS="2.21" scripts/test-matrix.sh
#   TWZRD_MATRIX_STEPS="units status" scripts/test-matrix.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

VERSIONS=${TWZRD_MATRIX_VERSIONS:-2.19 2.20 2.21}
ALL_STEPS="sanity units weekly-health status alerts setup-check"
STEPS=${TWZRD_MATRIX_STEPS:-$ALL_STEPS}
CACHE=${TWZRD_MATRIX_CACHE:-$ROOT/.cache/test-matrix}
BASE_IMAGE=${TWZRD_MATRIX_BASE_IMAGE:-twzrd-ops-test:trixie}
IMAGE=${TWZRD_MATRIX_IMAGE:-twzrd-ops-matrix:trixie}
DOCKER_OPTS=${TWZRD_MATRIX_DOCKER_OPTS:---cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock}

# The `ansible` package of each ansible-core release (it brings ansible.posix, which the role uses).
ansible_package() {
  case "$1" in
    2.19) echo "ansible==12.3.0" ;;   # ansible-core 2.19.14, as requirements-tools.txt
    2.20) echo "ansible==13.8.0" ;;   # ansible-core 2.20.x, the last ansible 13
    2.21) echo "ansible==14.5.0" ;;   # ansible-core 2.21.x, what `pip install ansible` gives today
    *) echo "unknown ansible-core version $1: use 2.19, 2.20 or 2.21" >&2; return 1 ;;
  esac
}
# The test tools, pinned as requirements-dev.txt / requirements-tools.txt pin them.
pin() { grep -h -i "^$1[=<>]" requirements-dev.txt requirements-tools.txt | head -n 1; }
# cryptography as requirements-tools.txt bounds it: a newer one prints a CryptographyDeprecationWarning
# at every start of ansible-core 2.19 (the playbook steps fail on it, as issue 24 asks).
TEST_TOOLS="$(pin pytest) $(pin hypothesis) $(pin psutil) $(pin cryptography)"

log() { printf '[test-matrix] %s\n' "$*"; }
for v in $VERSIONS; do ansible_package "$v" >/dev/null; done
for s in $STEPS; do
  case " $ALL_STEPS " in *" $s "*) ;; *) log "unknown step $s (steps: $ALL_STEPS)"; exit 2 ;; esac
done

docker info >/dev/null 2>&1 || { log "Docker does not answer: start it (make test-env does)"; exit 2; }
mkdir -p "$CACHE"
TABLE="$CACHE/results.md"

# --- the matrix image (python3-venv, git, faketime, shellcheck, PM2 7 on Debian 13): built
# once by scripts/build-matrix-image.sh, which make test-env runs too.
TWZRD_MATRIX_IMAGE="$IMAGE" TWZRD_MATRIX_BASE_IMAGE="$BASE_IMAGE" bash scripts/build-matrix-image.sh

# --- mounts: the checkout (same path inside, so the .ansible/collections link and the paths in
# messages hold), git's common directory when this is a worktree, the matrix cache, and this
# machine's pip configuration with the local directories it names.
MOUNTS=(-v "$ROOT:$ROOT" -v "$CACHE:$CACHE")
# Debian 13's systemd mounts a tmpfs on /tmp (tmp.mount), which would hide a checkout or cache
# under /tmp ("Script not found"): the unit is masked, so /tmp is the image's own directory.
MOUNTS+=(-v /dev/null:/etc/systemd/system/tmp.mount:ro)
gitdir=$(git rev-parse --path-format=absolute --git-common-dir)
case "$gitdir" in "$ROOT"/*) ;; *) MOUNTS+=(-v "$gitdir:$gitdir:ro") ;; esac
pip_paths() {
  local f
  for f in /etc/pip.conf /etc/xdg/pip "$HOME/.config/pip" "$HOME/.pip"; do [ -e "$f" ] && echo "$f"; done
  # Local paths named by the configuration (find-links, constraints, cert, and file:// indexes,
  # whose pages may point next to themselves: the folder holding the index is mounted).
  { python3 -m pip config list 2>/dev/null || true; env | grep '^PIP_' || true; } \
    | grep -o "\(file://\)\?/[^' ]*" | while read -r f; do
        case "$f" in file://*) f=$(dirname "${f#file://}") ;; esac
        [ -e "$f" ] && echo "$f"
      done
}
declare -A seen=()
while read -r f; do
  if [ -z "$f" ] || [ -n "${seen[$f]:-}" ]; then continue; fi
  seen[$f]=1
  MOUNTS+=(-v "$f:$f:ro")
done < <(pip_paths | sort -u)
CA=/etc/ssl/certs/ca-certificates.crt
[ -f "$CA" ] && [ -z "${seen[$CA]:-}" ] && MOUNTS+=(-v "$CA:$CA:ro")
# pip's download cache is kept with the virtualenvs, so a new pin does not fetch everything again.
ENVS=(-e ANSIBLE_CONFIG="$ROOT/ansible.cfg" -e HOME=/root -e PIP_CACHE_DIR="$CACHE/pip-cache")
while IFS= read -r kv; do ENVS+=(-e "$kv"); done < <(env | grep '^PIP_' || true)

# What fails a step that exited 0 (a grep -E pattern): Ansible's deprecation warnings in every
# step; in the playbook steps also Python's (a library's DeprecationWarning printed at every
# start, e.g. cryptography's), which an operator would read on every run.
deprecations() {
  case "$1" in
    sanity|units) echo '\[DEPRECATION WARNING\]' ;;
    *) echo '\[DEPRECATION WARNING\]|DeprecationWarning: ' ;;
  esac
}
declare -A RESULT=() SECS=() CORE=()
containers=()
# shellcheck disable=SC2317  # called by the trap
cleanup() { for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT

# The extra variables of the playbook steps: the demo app and its endpoint are expected; the
# load thresholds are out of reach, because the container sees the load of the whole machine
# (the load rule has its own tests); reports go to the container's /tmp, not the checkout.
VARS='{"twzrd_ops_pm2_user": "twzrd", "twzrd_ops_expected_apps": ["web"], "twzrd_ops_health_url": "http://localhost:8080/health",
 "twzrd_ops_load_warning": 50, "twzrd_ops_load_critical": 100,
 "twzrd_ops_fleet_reports_dir": "/tmp/twzrd-matrix-reports"}'

# shellcheck disable=SC2028  # the \n of the sanity step are printf's, inside the container
step_command() {  # $1 version, $2 step: the shell command run inside the container
  local venv="$CACHE/$1/venv" pb="$CACHE/$1/venv/bin/ansible-playbook -e @/tmp/twzrd-matrix-vars.json"
  case "$2" in
    # ansible-test's pip bootstrap script, which this kind of machine cannot download: the
    # stand-in of scripts/ansible-test.sh, also under the names newer ansible-test releases ask
    # for (2.20 and 2.21 want get_pip_25_2.py).
    sanity) echo "mkdir -p ~/.ansible/test/cache && for n in 24_{0..9} 25_{0..9} 26_{0..9}; do" \
                 "printf 'import ensurepip\nensurepip.bootstrap(upgrade=True)\n' > ~/.ansible/test/cache/get_pip_\$n.py; done;" \
                 "VENV_BIN=$venv/bin bash scripts/sanity.sh" ;;
    units) echo "$venv/bin/python -m pytest tests/unit -q -p no:cacheprovider" ;;
    weekly-health) echo "$pb playbooks/weekly-health.yml" ;;
    status) echo "$pb playbooks/status.yml" ;;
    alerts) echo "$pb playbooks/alerts.yml" ;;
    setup-check) echo "$pb playbooks/setup.yml --check" ;;
  esac
}

run_version() {
  local v=$1 name="twzrd-matrix-${1//./-}-$$" venv="$CACHE/$1/venv" pkg
  pkg=$(ansible_package "$v")
  log "ansible-core $v: starting $name ($IMAGE)"
  # shellcheck disable=SC2086  # DOCKER_OPTS is a list of options
  docker run -d --name "$name" $DOCKER_OPTS "${MOUNTS[@]}" "${ENVS[@]}" "$IMAGE" /lib/systemd/systemd >/dev/null \
    || { log "ansible-core $v: the container did not start"; return 1; }
  containers+=("$name")
  local state=""
  for _ in $(seq 1 60); do
    state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) break ;; esac
    sleep 1
  done
  case "$state" in running|degraded) ;; *) log "ansible-core $v: systemd in $name is not running (${state:-no answer})"; return 1 ;; esac
  # The virtualenv of this version, made once and kept (the stamp names what it holds).
  local stamp="$pkg $TEST_TOOLS"
  # (and the virtualenv really there: a stamp without it, e.g. written while the container's /tmp
  # hid the cache, means install again)
  if [ "$(cat "$CACHE/$v/stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$venv/bin/python" ]; then
    log "ansible-core $v: installing $pkg $TEST_TOOLS into $venv"
    rm -rf "${CACHE:?}/$v"; mkdir -p "$CACHE/$v"
    # (each requirement quoted for the container's shell: "cryptography<51" is not a redirection)
    local quoted
    # shellcheck disable=SC2086  # TEST_TOOLS is a list of requirements
    quoted=$(printf '%q ' $pkg $TEST_TOOLS)
    docker exec "$name" bash -c "set -o pipefail; python3 -m venv $venv && $venv/bin/pip install --quiet $quoted 2>&1 | { grep -v '^WARNING: Location' || true; }" \
      || { log "ansible-core $v: installing $pkg failed"; return 1; }
    echo "$stamp" > "$CACHE/$v/stamp"
  fi
  CORE[$v]=$(docker exec "$name" "$venv/bin/python" -c 'import ansible.release as r; print(r.__version__)' 2>/dev/null) \
    || { log "ansible-core $v: the virtualenv $venv does not run (remove $CACHE/$v to install it again)"; return 1; }
  # The managed host's app: the PM2 of the user twzrd (the role's default PM2 user; setup.yml
  # refuses root) runs healthy.js as `web` on 8080, saved.
  docker exec -w "$ROOT" "$name" sh -c 'id twzrd >/dev/null 2>&1 || useradd --create-home twzrd;
    runuser -u twzrd -- env HOME=/home/twzrd PORT=8080 pm2 start tests/apps/healthy.js --name web >/dev/null &&
    runuser -u twzrd -- env HOME=/home/twzrd pm2 save >/dev/null' \
    || { log "ansible-core $v: could not start the demo app under PM2"; return 1; }
  printf '%s\n' "$VARS" | docker exec -i "$name" sh -c 'cat > /tmp/twzrd-matrix-vars.json'
  local s start rc out="$CACHE/$v/logs"
  mkdir -p "$out"
  for s in $STEPS; do
    log "ansible-core ${CORE[$v]}: $s"
    start=$(date +%s)
    rc=0
    docker exec -w "$ROOT" "$name" bash -c "$(step_command "$v" "$s")" >"$out/$s.log" 2>&1 || rc=$?
    SECS[$v,$s]=$(( $(date +%s) - start ))
    if [ "$rc" != 0 ]; then
      RESULT[$v,$s]="fail"
      log "ansible-core $v: $s failed (rc=$rc); last lines of $out/$s.log:"
      tail -n 25 "$out/$s.log" | sed 's/^/    /'
    elif grep -q -E "$(deprecations "$s")" "$out/$s.log"; then
      RESULT[$v,$s]="fail"
      log "ansible-core $v: $s printed deprecation warnings (see $out/$s.log):"
      grep -E -A3 "$(deprecations "$s")" "$out/$s.log" | head -n 20 | sed 's/^/    /'
    else
      RESULT[$v,$s]="pass"
    fi
  done
  docker rm -f "$name" >/dev/null
}

# The table: version x step, "pass (12s)", "fail (12s)", or "not run" for steps an interrupted
# run did not reach. Printed at the end, and on Ctrl-C / TERM for the steps done so far.
print_table() {
  local total=$(( $(date +%s) - total_start )) v s
  {
    printf '| ansible-core | Python |'
    for s in $STEPS; do printf ' %s |' "$s"; done
    printf '\n|---|---|'
    for _ in $STEPS; do printf -- '---|'; done
    printf '\n'
    for v in $VERSIONS; do
      printf '| %s | 3.13 |' "${CORE[$v]:-$v}"
      for s in $STEPS; do
        if [ -n "${RESULT[$v,$s]:-}" ]; then printf ' %s (%ss) |' "${RESULT[$v,$s]}" "${SECS[$v,$s]:-0}"; else printf ' not run |'; fi
      done
      printf '\n'
    done
    printf '\nTotal: %ss (scripts/test-matrix.sh, %s)\n' "$total" "$(date -u +%Y-%m-%dT%H:%MZ)"
  } | tee "$TABLE"
  log "table also in $TABLE; step logs in $CACHE/<version>/logs/"
}
# shellcheck disable=SC2317  # called by the trap
interrupted() { trap - INT TERM; log "interrupted"; print_table; exit 130; }

total_start=$(date +%s)
trap interrupted INT TERM
for v in $VERSIONS; do
  run_version "$v" || for s in $STEPS; do : "${RESULT[$v,$s]:=fail}"; : "${SECS[$v,$s]:=0}"; done
done
trap - INT TERM
print_table

failed=0
for v in $VERSIONS; do
  for s in $STEPS; do [ "${RESULT[$v,$s]:-fail}" = pass ] || failed=1; done
done
exit "$failed"
