"""The history and the weekly reports of a host laid out as the role deploys them
(/var/lib/twzrd-ops 0750 with history.sqlite and reports/, module_utils copied as the
package twzrd_ops_lib), run in a real Python process whose clock libfaketime moves a year
ahead (Debian's faketime, `faketime -f '+365d' ...`): nothing is pruned and each refusal is
said in one sentence; the real `twzrd-ops history` command still reads the history."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import history, report

MODULE_UTILS = os.path.dirname(history.__file__)
HOUR = 3600
DAY = 86400


@pytest.fixture(scope="module")
def faketime(require_tool):
    return require_tool("faketime", "it moves the clock of a real Python process")


SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from twzrd_ops_lib import history, report
state = sys.argv[2]
snapshot = {"epoch": time.time(), "system": {"memory": {"percent": 40.0}},
            "pm2": {"processes": [{"name": "web", "memory": 1000, "status": "online"}]}}
recorded = history.record(snapshot, state + "/history.sqlite", retention_days=7)
warnings = []
removed = report.prune(state + "/reports", 2, warnings=warnings)
print(json.dumps({"clock": time.time(), "recorded": recorded, "removed": removed, "warnings": warnings}))
"""


@pytest.fixture
def host(tmp_path):
    """The lib as the role installs it, and /var/lib/twzrd-ops with 48 hourly samples and
    eight weekly reports written by an honest clock."""
    lib = tmp_path / "usr" / "local" / "lib" / "twzrd-ops" / "twzrd_ops_lib"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text("")
    for name in os.listdir(MODULE_UTILS):
        if name.endswith(".py"):
            shutil.copy(os.path.join(MODULE_UTILS, name), str(lib / name))
    state = tmp_path / "var" / "lib" / "twzrd-ops"
    state.mkdir(parents=True, mode=0o750)
    (state / "reports").mkdir(mode=0o750)
    now = time.time()
    for hours_ago in range(48, 0, -1):
        t = now - hours_ago * HOUR
        history.record({"epoch": t, "pm2": {"processes": [{"name": "web", "memory": 1000, "status": "online"}]}},
                       str(state / "history.sqlite"), now=t, retention_days=7)
    for week in range(8):
        (state / "reports" / report.report_name(now - week * 7 * DAY, "txt")).write_text("weekly report")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"history": {"db_path": str(state / "history.sqlite"), "retention_days": 7},
                                  "alerts": {"state_file": str(state / "alerts-state.json")}}))
    return {"lib": str(lib.parent), "state": str(state), "config": str(config), "now": now}


def faked(faketime, offset, *argv):
    return subprocess.run([faketime, "-f", offset, sys.executable, "-I"] + list(argv),
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_clock_a_year_ahead_prunes_nothing_and_says_why(host, faketime):
    reports_before = sorted(os.listdir(os.path.join(host["state"], "reports")))
    proc = faked(faketime, "+365d", "-c", SCRIPT, host["lib"], host["state"])
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["clock"] - host["now"] > 364 * DAY  # libfaketime did move the process's clock
    assert result["recorded"]["pruned"] == 0
    [warning] = result["recorded"]["warnings"]
    assert warning.startswith("History not pruned: the clock (") and "days past the newest sample" in warning
    assert result["removed"] == []
    [refusal] = result["warnings"]
    assert refusal.startswith("Old reports not pruned: today (") and "days past the newest earlier report" in refusal
    assert sorted(os.listdir(os.path.join(host["state"], "reports"))) == reports_before
    assert len(history.read(os.path.join(host["state"], "history.sqlite"), limit=None)) == 48 + 1

    # The real on-host command, under the same clock, still reads all of it.
    code = "import sys; sys.path.insert(0, %r); from twzrd_ops_lib.cli import main; sys.exit(main())" % host["lib"]
    proc = faked(faketime, "+365d", "-c", code, "--config", host["config"], "history", "--days", "800", "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["samples"]) == 48 + 1
