"""The README's quick start on a machine without PM2 (issue 25): "On a machine without PM2 it
says "PM2 is not installed" in the report and judges memory, swap, load and disk; it exits 0
unless something is critical." Real parts: the real weekly-health playbook against localhost
(the quick start's inventory and host_vars), this machine's real memory, swap, load and
disks. PM2 is absent for real: PATH without .tools/ and a fresh HOME, so none of the places
the search looks holds a pm2."""

from __future__ import annotations

import json
import os
import re

import pytest

from conftest import VENV_BIN, run_day

SYSTEM_PM2 = ["/usr/local/bin/pm2", "/usr/bin/pm2", "/usr/lib/node_modules/pm2/bin/pm2", "/usr/local/lib/node_modules/pm2/bin/pm2"]


def test_weekly_health_without_pm2_says_so_and_judges_the_rest(tmp_path, run_playbook):
    found = [path for path in SYSTEM_PM2 if os.path.exists(path)]
    if found:
        pytest.skip("this machine has a system-wide pm2 (%s), which the search finds whatever PATH says" % found[0])
    home = tmp_path / "home"
    home.mkdir()
    fleet_dir = tmp_path / "fleet"
    proc = run_playbook(
        "playbooks/weekly-health.yml", "-e", "twzrd_ops_fleet_reports_dir=%s" % fleet_dir,
        # The quick start's own thresholds, except load: a busy test machine must not decide the exit code.
        "-e", "twzrd_ops_load_warning=500", "-e", "twzrd_ops_load_critical=600",
        env={"HOME": str(home), "PATH": VENV_BIN + ":/usr/local/bin:/usr/bin:/bin", "PM2_HOME": ""},
    )
    out = proc.stdout + proc.stderr
    with open(str(fleet_dir / ("weekly-health-%s.json" % run_day(str(fleet_dir / "weekly-health-%s.json"))))) as handle:
        fleet = json.load(handle)
    row = fleet["hosts"][0]
    assert [r["host"] for r in fleet["hosts"]] == ["localhost"], out
    assert row["verdict"] in ("ok", "warning", "critical"), out  # checked, not unknown
    assert proc.returncode == (2 if row["verdict"] == "critical" else 0), out
    # The host report where the quick start puts it (root: /var/lib/twzrd-ops/reports, others:
    # ~/.local/state/...), as the summary names it.
    named = re.search(r"Host report of localhost: (/\S+\.txt)", out)
    assert named, out
    with open(named.group(1)) as handle:
        report = handle.read()
    assert "  PM2 is not installed\n" in report
    # ... and it judges memory, swap, load and disk all the same.
    for part in ("Memory", "Swap", "Load", "Disk"):
        assert part.lower() in report.lower(), report
    assert "Traceback" not in out
