"""Skips are loud (issue 25): tests/conftest.py lists them at the end of every run, and under
CI=true turns the skip of a test that backs a docs/FAULTS.md row, or a missing tool, into a
failure. Proved by running pytest on a scratch tree that holds a copy of the real conftest,
a fault table naming one test, and tests that skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

CONFTEST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conftest.py")

SAMPLE = '''
import pytest


def test_backs_a_row():
    pytest.skip("needs root to mount a tmpfs")


@pytest.mark.skipif(True, reason="a mark-made skip of a row's test")
def test_backs_a_row_too():
    pass


def test_backs_nothing():
    pytest.skip("a system-wide pm2 is installed here")


def test_needs_a_tool(require_tool):
    require_tool("twzrd-no-such-tool", "the sample needs it")


def test_finds_a_tool(require_tool):
    assert require_tool("sh").endswith("/sh")
'''

FAULTS = """| fault | expected | test |
|---|---|---|
| a full disk | unknown | `U:test_sample.py::test_backs_a_row`, `U:test_sample.py::test_backs_a_row_too` |
"""


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "FAULTS.md").write_text(FAULTS)
    (tmp_path / "tests").mkdir()
    shutil.copy(CONFTEST, str(tmp_path / "tests" / "conftest.py"))
    (tmp_path / "tests" / "test_sample.py").write_text(SAMPLE)
    return tmp_path


def run(tree, ci):
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST")}
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"],
                          cwd=str(tree), env=env, capture_output=True, text=True, timeout=120, check=False)


def test_every_run_ends_with_the_skips_and_their_reasons(tree):
    proc = run(tree, ci=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = proc.stdout[proc.stdout.index("short test summary info"):]
    assert "SKIPPED [1] tests/test_sample.py:" in summary and ": needs root to mount a tmpfs" in summary
    assert "a mark-made skip of a row's test" in summary
    assert "a system-wide pm2 is installed here" in summary
    assert ("twzrd-no-such-tool is not installed (Debian package twzrd-no-such-tool; "
            "`make test-env` installs it): the sample needs it") in summary
    assert "1 passed, 4 skipped" in proc.stdout


def test_under_ci_a_skipped_row_test_and_a_missing_tool_fail_the_run(tree):
    proc = run(tree, ci=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ("FAILED tests/test_sample.py::test_backs_a_row - CI=true: tests/test_sample.py::test_backs_a_row "
            "backs a row of docs/FAULTS.md and must run, but was skipped: needs root to mount a tmpfs") in proc.stdout
    # A skip made by a mark happens in the setup phase: pytest reports that failure as an error.
    assert ("ERROR tests/test_sample.py::test_backs_a_row_too - CI=true: tests/test_sample.py::test_backs_a_row_too "
            "backs a row of docs/FAULTS.md and must run, but was skipped: a mark-made skip of a row's test") in proc.stdout
    assert "FAILED tests/test_sample.py::test_needs_a_tool - Failed: CI=true: twzrd-no-such-tool is not installed" in proc.stdout
    assert "SKIPPED [1] tests/test_sample.py:" in proc.stdout and ": a system-wide pm2 is installed here" in proc.stdout
    assert "2 failed, 1 passed, 1 skipped, 1 error" in proc.stdout
