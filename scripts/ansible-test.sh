#!/usr/bin/env bash
# Run `ansible-test SUBCOMMAND ARGS...` on this checkout. ansible-test wants the tree at
# .../ansible_collections/twzrd/ops/, so we copy the files git knows about (tracked and
# untracked-but-not-ignored) into a scratch tree and run there; its output (tests/output/)
# therefore never lands in the checkout. Used by scripts/sanity.sh and scripts/units.sh.
#
# ansible-test first downloads a pip bootstrap script from a host this kind of machine cannot
# reach; it reads a cached copy when present, and a stand-in that bootstraps pip from the
# stdlib's ensurepip is enough.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${VENV_BIN:-$ROOT/.venv/bin}

cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for f in get_pip_24_2.py get_pip_24_3.py get_pip_25_0.py get_pip_25_2.py; do
  [ -f "$cache/$f" ] || printf 'import ensurepip\nensurepip.bootstrap(upgrade=True)\n' > "$cache/$f"
done

scratch=$(mktemp -d /tmp/twzrd-ansible-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
dest="$scratch/ansible_collections/twzrd/ops"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p "$dest/$(dirname "$f")"
  cp -P "$f" "$dest/$f"
done
# The layout `make setup` gives a checkout: the collection also reachable through
# .ansible/collections (tests hand that path to the Python processes they start), and a tree
# other users can enter (tests that drop privileges read from it).
mkdir -p "$dest/.ansible/collections/ansible_collections/twzrd"
ln -s ../../../.. "$dest/.ansible/collections/ansible_collections/twzrd/ops"
chmod 755 "$scratch"
# ansible-test lists files through git when it finds a repository; give it one.
( cd "$dest" && git init -q && git add -A && git -c user.email=ci@localhost -c user.name=ci commit -qm ansible-test )

cd "$dest"
PATH="$BIN:$PATH" "$BIN/ansible-test" "$@"
