#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, idempotently:
#   - Debian packages: docker.io, debootstrap, logrotate, cron, prometheus-node-exporter,
#     prometheus (promtool), jq, chromium (the HTML fleet report is opened in it headless),
#     faketime (tests that move the clock of a real process),
#     prometheus-alertmanager (the alert channels end-to-end test)
#   - a running Docker engine (dockerd started in the background when none answers)
#   - PM2 from the npm registry into .tools/ (tests put .tools/node_modules/.bin on PATH)
#   - the molecule test images, built with debootstrap (no registry can be pulled from)
# Override with TWZRD_SKIP_DOCKER=1 to prepare only what the non-Docker tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '[test-env] %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

APT_PACKAGES=(docker.io debootstrap logrotate cron prometheus-node-exporter prometheus jq shellcheck chromium faketime prometheus-alertmanager)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing Debian's nodejs and npm"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

PM2_VERSION=${TWZRD_PM2_VERSION:-7}
if [ ! -x .tools/node_modules/.bin/pm2 ]; then
  log "installing pm2@${PM2_VERSION} from npm into .tools/"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "pm2@${PM2_VERSION}" >/dev/null
fi

# PM2 5.x and 6.x beside 7.x, each in its own folder (tests/integration/test_pm2_versions.py runs
# them with their own PM2_HOME); TWZRD_PM2_VERSIONS_DIR moves the folders.
PM2_VERSIONS_DIR=${TWZRD_PM2_VERSIONS_DIR:-.tools/pm2-versions}
for major in 5 6; do
  if [ ! -x "$PM2_VERSIONS_DIR/$major/node_modules/.bin/pm2" ]; then
    log "installing pm2@${major} from npm into $PM2_VERSIONS_DIR/$major/"
    mkdir -p "$PM2_VERSIONS_DIR/$major"
    npm install --prefix "$PM2_VERSIONS_DIR/$major" --no-audit --no-fund --loglevel=error "pm2@${major}" >/dev/null
  fi
done

[ "${TWZRD_SKIP_DOCKER:-0}" = 1 ] && exit 0

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd in the background (log: /var/log/twzrd-dockerd.log)"
  # setsid: its own session, so the end of the shell (or job) that started it does not stop it
  as_root sh -c 'setsid nohup dockerd >>/var/log/twzrd-dockerd.log 2>&1 </dev/null &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/twzrd-dockerd.log"; exit 1; }
fi

"$ROOT/scripts/build-test-image.sh" bookworm
"$ROOT/scripts/build-test-image.sh" trixie
# Debian 13 with PM2 7 as root's: the controller matrix and the root-owned PM2 test.
"$ROOT/scripts/build-matrix-image.sh"
log "ready"
