#!/usr/bin/env bash
# `ansible-test sanity` on this checkout, with the virtualenv's Python (see scripts/ansible-test.sh
# for the scratch copy and the pip bootstrap stand-in). Extra arguments go to ansible-test,
# e.g. scripts/sanity.sh --test validate-modules
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV_BIN:-$(pwd)/.venv/bin}
PYVER=$("$BIN/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
exec bash scripts/ansible-test.sh sanity --local --python "$PYVER" --requirements "$@"
