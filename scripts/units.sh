#!/usr/bin/env bash
# `ansible-test units` on this checkout (see scripts/ansible-test.sh for the scratch copy and the
# pip bootstrap stand-in). By default with the virtualenv's Python (--local; --requirements
# installs tests/unit/requirements.txt). TWZRD_TEST_PYTHON=3.12 runs another Python in a
# virtualenv ansible-test makes (--venv), found on PATH or among pyenv's versions.
# Extra arguments go to ansible-test, e.g. scripts/units.sh tests/unit/test_checks.py
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-python.sh
. scripts/test-python.sh
exec bash scripts/ansible-test.sh units "${TEST_PYTHON_ARGS[@]}" --requirements "$@"
