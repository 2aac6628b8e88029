#!/bin/sh
# Build version $1 of the tiny package twzrd-demo and publish it in the local apt repository
# /srv/twzrd-demo-repo (a flat repository, "deb [trusted=yes] file:/srv/twzrd-demo-repo ./").
# It gives patch.yml a real upgrade to make: the containers' Debian mirror has nothing newer
# than the image. The package ships a conffile (/etc/twzrd-demo.conf) whose content changes
# with each version, so an upgrade over a locally edited copy would prompt without
# --force-confold; patch.yml must keep the local copy and never hang.
set -eu
VERSION=${1:?usage: publish-demo-deb.sh VERSION}
REPO=/srv/twzrd-demo-repo
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$REPO" "$BUILD/DEBIAN" "$BUILD/etc" "$BUILD/usr/share/twzrd-demo"
cat > "$BUILD/DEBIAN/control" <<CONTROL
Package: twzrd-demo
Version: $VERSION
Architecture: all
Maintainer: twzrd.ops tests <tests@example.invalid>
Description: twzrd.ops test package for patch.yml
CONTROL
echo /etc/twzrd-demo.conf > "$BUILD/DEBIAN/conffiles"
echo "packaged_version=$VERSION" > "$BUILD/etc/twzrd-demo.conf"
echo "$VERSION" > "$BUILD/usr/share/twzrd-demo/version"
dpkg-deb --root-owner-group --build "$BUILD" "$REPO/twzrd-demo_${VERSION}_all.deb" >/dev/null
cd "$REPO"
: > Packages
for deb in *.deb; do
  dpkg-deb -f "$deb" >> Packages
  printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n\n' "$deb" "$(stat -c %s "$deb")" "$(sha256sum "$deb" | cut -d' ' -f1)" >> Packages
done
printf 'Origin: twzrd-test\nLabel: twzrd-test\nDate: %s\nSHA256:\n %s %s Packages\n' \
  "$(date -u -R)" "$(sha256sum Packages | cut -d' ' -f1)" "$(stat -c %s Packages)" > Release
