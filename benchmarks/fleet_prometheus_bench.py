# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller cost of weekly-health.yml -e twzrd_ops_fleet_source=prometheus (issue 23).

Starts N real node_exporters (textfile collector only, 127.0.0.1), each serving the textfile of
one simulated host's hourly alerts run, and one real Prometheus scraping them every second
(tests/integration/prometheus_fleet.py), then runs the playbook --runs times for each N of
--hosts and prints wall and controller CPU (user + sys of ansible-playbook and its children,
os.times) with the median. No host is contacted: the inventory's hosts point at a closed port.

    .venv/bin/python benchmarks/fleet_prometheus_bench.py [--hosts 1,20] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, ".ansible", "collections"))
from prometheus_fleet import Fleet, textfile  # noqa: E402 pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")


def one_run(inventory, url, reports):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    before = os.times()
    start = time.monotonic()
    proc = subprocess.run([PLAYBOOK, "-i", inventory, os.path.join(ROOT, "playbooks", "weekly-health.yml"),
                           "-e", "twzrd_ops_fleet_source=prometheus", "-e", "twzrd_ops_fleet_prometheus_url=" + url,
                           "-e", "twzrd_ops_fleet_reports_dir=" + reports], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit("weekly-health.yml failed (rc %d):\n%s" % (proc.returncode, (proc.stdout + proc.stderr)[-3000:]))
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    ap.add_argument("--hosts", default="1,20")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sizes = sorted(int(x) for x in args.hosts.split(","))
    workdir = tempfile.mkdtemp(prefix="twzrd-prom-bench.")
    names = ["web-%02d" % i for i in range(1, max(sizes) + 1)]
    dirs = dict((name, os.path.join(workdir, name)) for name in names)
    now = time.time()
    for name in names:
        textfile(dirs[name], name, [("milo-aggregator", "online"), ("cls-worker-s0", "online")], [], now)
    fleet = Fleet(workdir, dirs)
    try:
        fleet.wait(names)
        print("| hosts | wall s (median of %d) | controller CPU s (median) |" % args.runs)
        print("|---|---|---|")
        for n in sizes:
            inventory = os.path.join(workdir, "inventory-%d.yml" % n)
            with open(inventory, "w") as handle:
                yaml.safe_dump({"all": {"hosts": dict((name, {"ansible_host": "127.0.0.1", "ansible_port": 1})
                                                      for name in names[:n])}}, handle)
            runs = [one_run(inventory, fleet.url, os.path.join(workdir, "reports")) for run in range(args.runs)]
            print("| %d | %.2f | %.2f |" % (n, statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)))
    finally:
        fleet.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
