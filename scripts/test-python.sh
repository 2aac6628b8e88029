# shellcheck shell=bash disable=SC2034
# Sourced by scripts/sanity.sh and scripts/units.sh: sets TEST_PYTHON_ARGS, the ansible-test
# options that choose the Python. The virtualenv's own Python runs --local; another one
# (TWZRD_TEST_PYTHON=X.Y) runs in a virtualenv ansible-test creates (--venv), and is looked for
# on PATH, then among pyenv's installed versions.
BIN=${VENV_BIN:-$(pwd)/.venv/bin}
VENV_PYVER=$("$BIN/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PYVER=${TWZRD_TEST_PYTHON:-$VENV_PYVER}
if [ "$PYVER" = "$VENV_PYVER" ]; then
  TEST_PYTHON_ARGS=(--local --python "$PYVER")
else
  if ! "python$PYVER" -c '' 2>/dev/null; then
    for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$PYVER"*/bin; do
      [ -x "$dir/python$PYVER" ] && PATH="$dir:$PATH" && break
    done
  fi
  "python$PYVER" -c '' 2>/dev/null || { echo "python$PYVER not found" >&2; exit 1; }
  export PATH
  TEST_PYTHON_ARGS=(--venv --python "$PYVER")
fi
