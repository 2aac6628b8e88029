#!/usr/bin/env bash
# `ansible-test sanity` on this checkout (see scripts/ansible-test.sh for the scratch copy and the
# pip bootstrap stand-in). By default with the virtualenv's Python (--local); TWZRD_TEST_PYTHON=3.12
# runs another Python in a virtualenv ansible-test makes (--venv). Extra arguments go to
# ansible-test, e.g. scripts/sanity.sh --test validate-modules
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-python.sh
. scripts/test-python.sh
exec bash scripts/ansible-test.sh sanity "${TEST_PYTHON_ARGS[@]}" --requirements "$@"
