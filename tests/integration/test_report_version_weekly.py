"""playbooks/weekly-health.yml through the real ansible-playbook on localhost: the fleet report's
Markdown, JSON and HTML each name the collection's version (galaxy.yml's) in their header
(issue 24)."""

from __future__ import annotations

import json
import os
import re

from conftest import LOCAL_ALPHA_INVENTORY as INVENTORY, ROOT, run_day


def test_weekly_health_reports_name_the_collection_version(run_playbook, tmp_path):
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        release = re.search(r"^version: *(\S+)", handle.read(), re.M).group(1)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY)
    reports = str(tmp_path / "reports")
    proc = run_playbook("playbooks/weekly-health.yml", "-i", str(inventory), "--skip-tags", "host_report",
                        "-e", "twzrd_ops_fleet_reports_dir=" + reports)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    base = os.path.join(os.path.realpath(reports), "weekly-health-%s" % run_day(os.path.join(reports, "weekly-health-%s.json")))
    with open(base + ".md", encoding="utf-8") as handle:
        header = handle.read().split("\n\n")[:2]  # the title, then the "Generated ... by" line
    assert header[1].startswith("Generated ") and " by twzrd.ops %s `playbooks/weekly-health.yml`" % release in header[1]
    with open(base + ".json", encoding="utf-8") as handle:
        twin = json.load(handle)
    assert list(twin)[0] == "version" and twin["version"] == release
    with open(base + ".html", encoding="utf-8") as handle:
        page = handle.read()
    meta = re.search(r'<p class="meta">(.*?)</p>', page).group(1)  # the first: the line under the title
    assert meta.endswith('by twzrd.ops <span class="version">%s</span>' % release), meta
