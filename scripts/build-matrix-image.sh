#!/usr/bin/env bash
# Build twzrd-ops-matrix:trixie: the Debian 13 test image (scripts/build-test-image.sh trixie)
# with python3-venv, git (ansible-test lists files with it), faketime and shellcheck (so the
# matrix's unit tier and sanity skip nothing that make test runs) and PM2 7 from npm, as root's.
# Used by the controller matrix (scripts/test-matrix.sh) and by the integration test of a
# root-owned PM2 (tests/integration/test_setup_root_pm2.py); make test-env builds it.
# Built once; rebuilt when the list below changes (the image's label twzrd.matrix names what
# it holds). TWZRD_MATRIX_IMAGE / TWZRD_MATRIX_BASE_IMAGE name other images.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE_IMAGE=${TWZRD_MATRIX_BASE_IMAGE:-twzrd-ops-test:trixie}
IMAGE=${TWZRD_MATRIX_IMAGE:-twzrd-ops-matrix:trixie}
IMAGE_PACKAGES="python3-venv git faketime shellcheck"
IMAGE_LABEL="$IMAGE_PACKAGES pm2@7"
log() { printf '[build-matrix-image] %s\n' "$*"; }
if [ "$(docker image inspect -f '{{ index .Config.Labels "twzrd.matrix" }}' "$IMAGE" 2>/dev/null)" = "$IMAGE_LABEL" ]; then
  log "$IMAGE exists"
  exit 0
fi
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || bash "$ROOT/scripts/build-test-image.sh" trixie
log "building $IMAGE from $BASE_IMAGE ($IMAGE_LABEL)"
# npm's registry drops connections now and then on this kind of machine: three tries.
cid=$(docker run -d "$BASE_IMAGE" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $IMAGE_PACKAGES >/dev/null && { npm install -g --loglevel=error pm2@7 >/dev/null || { sleep 5; npm install -g --loglevel=error pm2@7 >/dev/null; } || { sleep 15; npm install -g --loglevel=error pm2@7 >/dev/null; }; } && apt-get clean && rm -rf /var/lib/apt/lists/*")
if [ "$(docker wait "$cid")" != 0 ]; then
  docker logs "$cid" 2>&1 | tail -n 20
  docker rm -f "$cid" >/dev/null
  log "building $IMAGE failed (the lines above say why)"
  exit 1
fi
docker commit -c 'CMD ["/lib/systemd/systemd"]' -c "LABEL twzrd.matrix=\"$IMAGE_LABEL\"" "$cid" "$IMAGE" >/dev/null
docker rm -f "$cid" >/dev/null
log "built $IMAGE"
