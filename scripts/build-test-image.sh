#!/usr/bin/env bash
# Build the molecule test image twzrd-ops-test:SUITE (bookworm = Debian 12, trixie = Debian 13)
# with debootstrap, because no container registry is reachable. Skipped when the image exists
# (TWZRD_REBUILD_IMAGE=1 forces a rebuild).
#
# The image holds systemd, cron, dbus (so `shutdown -r` works inside for the reboot tests),
# python3, sudo, logrotate, Debian's nodejs/npm, and the host's CA bundle so that npm can reach the
# registry through the TLS-inspecting proxy this kind of machine sits behind.
set -euo pipefail
SUITE=${1:?usage: build-test-image.sh bookworm|trixie}
IMAGE="twzrd-ops-test:${SUITE}"
if [ "${TWZRD_REBUILD_IMAGE:-0}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "[build-test-image] $IMAGE exists"
  exit 0
fi
# The Debian mirror: TWZRD_DEBIAN_MIRROR, else the one this machine's apt uses for its own
# release, read from apt's sources as apt reads them (deb822 *.sources stanzas with Types: deb
# and URIs:, one-line `deb` entries in *.list; disabled stanzas and other file names ignored).
# No address is built in: a machine whose apt points at no Debian archive must say which.
apt_release_mirror() {
  local codename files=()
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || return 0
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 0
  awk -v want="$codename" '
    function flush() {
      if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " want " "))
        { split(uris, u, " "); if (u[1] != "") { print u[1]; found = 1; exit } }
      types = ""; uris = ""; suites = ""; enabled = ""
    }
    FNR == 1 { flush() }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^#/) next
      key = tolower($1); sub(/^[^:]*:[ \t]*/, "")
      if (key == "types:") types = $0; else if (key == "uris:") uris = $0
      else if (key == "suites:") suites = $0; else if (key == "enabled:") enabled = tolower($0)
      next
    }
    $1 == "deb" {
      i = 2; if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if ($(i + 1) == want) { print $i; found = 1; exit }
    }
    END { if (!found) flush() }
  ' "${files[@]}"
}
MIRROR=${TWZRD_DEBIAN_MIRROR:-$(apt_release_mirror)}
if [ -z "$MIRROR" ]; then
  echo "[build-test-image] no Debian mirror found in this machine's apt sources;" \
       "set TWZRD_DEBIAN_MIRROR to the Debian archive to bootstrap from" >&2
  exit 1
fi
WORK=$(mktemp -d /var/tmp/twzrd-rootfs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "[build-test-image] debootstrap $SUITE from $MIRROR (about a minute)"
debootstrap --variant=minbase \
  --include=python3,cron,procps,systemd,systemd-sysv,dbus,sudo,ca-certificates,logrotate,python3-apt \
  "$SUITE" "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -n 30 "$WORK/debootstrap.log"; exit 1; }
R="$WORK/rootfs"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$R/usr/local/share/twzrd-host-ca.crt"
  printf 'cafile=/usr/local/share/twzrd-host-ca.crt\nfund=false\naudit=false\nupdate-notifier=false\n' > "$R/etc/npmrc"
  echo 'NODE_EXTRA_CA_CERTS=/usr/local/share/twzrd-host-ca.crt' >> "$R/etc/environment"
fi
# apt inside the container uses the same mirror as the host.
printf 'deb %s %s main\n' "$MIRROR" "$SUITE" > "$R/etc/apt/sources.list"
rm -f "$R"/etc/apt/sources.list.d/*.sources 2>/dev/null || true
# Containers have no console; keep systemd from waiting on getty.
rm -f "$R"/etc/systemd/system/getty.target.wants/* 2>/dev/null || true
apt_clean="$R/var/cache/apt/archives"; rm -f "$apt_clean"/*.deb
tar -C "$R" -c . | docker import - "$IMAGE-base" >/dev/null
# Debian's nodejs and npm: npm's maintainer scripts do not configure inside debootstrap's
# second stage, so install them in a container from the base image and commit the result.
cid=$(docker run -d "$IMAGE-base" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*')
if [ "$(docker wait "$cid")" != 0 ]; then docker logs "$cid" | tail -n 20; docker rm -f "$cid" >/dev/null; exit 1; fi
docker commit -c 'CMD ["/lib/systemd/systemd"]' "$cid" "$IMAGE" >/dev/null
docker rm -f "$cid" >/dev/null
docker rmi "$IMAGE-base" >/dev/null
echo "[build-test-image] built $IMAGE"
