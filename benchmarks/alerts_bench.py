# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cost of one hourly alert run (issue 5: well under 1 s of CPU beyond `pm2 jlist`, < 64 MiB).

Starts a private PM2 (the real one from npm) with a few apps, one of them answering the
health probe, then measures, each in a fresh Python process as cron would start it:

  run    import + checks.collect(kind="alerts") + checks.evaluate + alerts.process
         (state, log and Prometheus textfile written): CPU seconds of our Python process
         (getrusage SELF), the CPU of its children (pm2 jlist) and our peak RSS (ru_maxrss);
  jlist  `pm2 jlist -s` alone, for its own cost.

The run is measured as on a host, where Ansible is not installed (the health probe then
uses urllib); --with-ansible lets it import Ansible's helper as it does inside a module.
With --big-log MiB a synthetic old pm2.log of that size sits before PM2's own lines, so
that counting crashes since the previous run has to skip it.

    .venv/bin/python benchmarks/alerts_bench.py [--runs 10] [--apps 4] [--big-log 200] [--with-ansible]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
PM2 = os.path.join(ROOT, ".tools", "node_modules", ".bin", "pm2")
APPS = os.path.join(ROOT, "tests", "apps")

# Runs in the measured child process: exactly the CLI's `alerts` steps.
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
cfg, conf = json.loads(sys.argv[2]), json.loads(sys.argv[3])
if sys.argv[4] == "host":
    sys.modules["ansible"] = None  # as on a host: twzrd-ops runs without Ansible installed
from ansible_collections.twzrd.ops.plugins.module_utils import alerts, checks
snapshot = checks.collect(cfg, kind="alerts")
findings = checks.evaluate(snapshot, cfg)
result = alerts.process(conf, snapshot, findings, cfg)
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"cpu": me.ru_utime + me.ru_stime, "children_cpu": kids.ru_utime + kids.ru_stime,
                  "maxrss_kib": me.ru_maxrss, "children_maxrss_kib": kids.ru_maxrss,
                  "exit_code": result["exit_code"], "errors": result["errors"],
                  "active": [a["key"] for a in result["active"]]}))
"""

JLIST = r"""
import resource, subprocess, sys
subprocess.run([sys.argv[1], "jlist", "-s"], stdout=subprocess.DEVNULL, check=True)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(kids.ru_utime + kids.ru_stime, kids.ru_maxrss)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_old_log(path, mib):
    """mib MiB of PM2 daemon log lines stamped 30 days ago, with crashes in them."""
    start = time.time() - 30 * 86400
    line_no = 0
    with open(path, "w") as handle:
        while handle.tell() < mib * 1024 * 1024:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(start + line_no // 50))
            if line_no % 7 == 0:
                handle.write("%s: PM2 log: App [old:9] exited with code [1] via signal [SIGINT]\n" % stamp)
            else:
                handle.write("%s: PM2 log: App [old:9] starting in -fork mode-\n" % stamp)
            line_no += 1


def pm2(home, *args):
    env = dict(os.environ, PM2_HOME=home)
    return subprocess.run([PM2] + list(args), env=env, capture_output=True, text=True, check=True, timeout=120)


def summary(values):
    return {"median": statistics.median(values), "max": max(values), "min": min(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--apps", type=int, default=4, help="PM2 apps (one answers the health probe)")
    parser.add_argument("--big-log", type=int, default=0, metavar="MIB", help="old pm2.log lines before PM2's own")
    parser.add_argument("--with-ansible", action="store_true",
                        help="let the health probe import Ansible's urls helper (as inside a module) instead of urllib")
    args = parser.parse_args()
    if not os.path.exists(PM2):
        sys.exit("pm2 is not installed in .tools: run `make test-env` first.")

    work = tempfile.mkdtemp(prefix="twzrd-alerts-bench-")
    home = os.path.join(work, "pm2")
    os.makedirs(home)
    if args.big_log:
        write_old_log(os.path.join(home, "pm2.log"), args.big_log)
    port = free_port()
    try:
        env_port = dict(os.environ, PORT=str(port))
        subprocess.run([PM2, "start", os.path.join(APPS, "healthy.js"), "--name", "api"],
                       env=dict(env_port, PM2_HOME=home), capture_output=True, check=True, timeout=120)
        names = ["api"]
        for number in range(1, args.apps):
            pm2(home, "start", os.path.join(APPS, "worker.js"), "--name", "worker-%d" % number)
            names.append("worker-%d" % number)
        time.sleep(1)  # let the apps come online before the first measured run

        cfg = {"pm2_home": home, "pm2_path": PM2, "expected_apps": names,
               "health_url": "http://127.0.0.1:%d/health" % port, "disk_paths": ["/"]}
        conf = {"state_file": os.path.join(work, "state.json"), "log_file": os.path.join(work, "alerts.log"),
                "textfile_path": os.path.join(work, "twzrd_ops.prom")}
        runs, jlists = [], []
        for _run in range(args.runs):
            layout = "controller" if args.with_ansible else "host"
            out = subprocess.run([sys.executable, "-c", CHILD, COLLECTIONS, json.dumps(cfg), json.dumps(conf), layout],
                                 capture_output=True, text=True, check=True, timeout=300)
            runs.append(json.loads(out.stdout))
            out = subprocess.run([sys.executable, "-c", JLIST, PM2], env=dict(os.environ, PM2_HOME=home),
                                 capture_output=True, text=True, check=True, timeout=300)
            cpu, rss = out.stdout.split()
            jlists.append({"cpu": float(cpu), "maxrss_kib": int(rss)})
    finally:
        subprocess.run([PM2, "kill"], env=dict(os.environ, PM2_HOME=home), capture_output=True, timeout=120, check=False)
        shutil.rmtree(work, ignore_errors=True)

    result = {
        "runs": args.runs,
        "apps": args.apps,
        "big_log_mib": args.big_log,
        "ansible_importable": args.with_ansible,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "run_cpu_s": summary([r["cpu"] for r in runs]),
        "run_children_cpu_s": summary([r["children_cpu"] for r in runs]),
        "run_peak_rss_mib": summary([r["maxrss_kib"] / 1024.0 for r in runs]),
        "jlist_cpu_s": summary([j["cpu"] for j in jlists]),
        "jlist_peak_rss_mib": summary([j["maxrss_kib"] / 1024.0 for j in jlists]),
        "last_run": {k: runs[-1][k] for k in ("exit_code", "errors", "active")},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
