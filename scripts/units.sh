#!/usr/bin/env bash
# `ansible-test units` on this checkout, with the virtualenv's Python (see scripts/ansible-test.sh
# for the scratch copy and the pip bootstrap stand-in). --requirements installs
# tests/unit/requirements.txt. Extra arguments go to ansible-test, e.g.
# scripts/units.sh tests/unit/test_checks.py
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV_BIN:-$(pwd)/.venv/bin}
PYVER=$("$BIN/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
exec bash scripts/ansible-test.sh units --local --python "$PYVER" --requirements "$@"
