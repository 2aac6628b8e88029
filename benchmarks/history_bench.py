# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cost of the per-host history (issue 11): its size, reading and judging it, and what it
adds to the hourly alert run.

1. build   90 days of hourly samples for 10 PM2 apps and 2 disks, written by history.record()
           itself (one transaction per sample, pruning on), into a fresh file: its size.
2. read    in a fresh Python process each: history.summary() (30 days: windows, week over
           week, trends) and read(90 days) + judge(): wall and CPU seconds, peak RSS.
3. hourly  the alerts run in a fresh process as cron starts it, against a real PM2 (from npm)
           with --apps apps, WITHOUT the history step (collect + evaluate + alerts.process, as
           benchmarks/alerts_bench.py) and WITH it (+ cli._history_step: record into a copy
           of the 90-day file, read, judge): our CPU, children CPU (pm2 jlist), peak RSS.

    .venv/bin/python benchmarks/history_bench.py [--runs 10] [--apps 4] [--days 90] [--history-apps 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
PM2 = os.path.join(ROOT, ".tools", "node_modules", ".bin", "pm2")
APPS = os.path.join(ROOT, "tests", "apps")
sys.path.insert(0, COLLECTIONS)

MIB = 1024 * 1024

READ = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
sys.modules["ansible"] = None  # as on a host
t0, c0 = time.perf_counter(), time.process_time()
from ansible_collections.twzrd.ops.plugins.module_utils import history
t1, c1 = time.perf_counter(), time.process_time()
now = float(sys.argv[3])
if sys.argv[2] == "summary":
    data = history.summary(sys.argv[4], now=now)
    n = data["samples"]
else:
    samples = history.read(sys.argv[4], days=90, now=now)
    trends = history.judge(samples, None, now)
    n = len(samples)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"import_wall": t1 - t0, "wall": t2 - t1, "cpu": c2 - c1, "samples": n,
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

HOURLY = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
sys.modules["ansible"] = None  # as on a host: twzrd-ops runs without Ansible installed
cfg, conf, hconf, with_history = json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5] == "1"
from ansible_collections.twzrd.ops.plugins.module_utils import alerts, checks, cli, history
snapshot = checks.collect(cfg, kind="alerts")
findings = checks.evaluate(snapshot, cfg)
warnings = []
if with_history:
    warnings = cli._history_step({"checks": cfg, "history": history.validate(hconf)}, snapshot, findings)
result = alerts.process(conf, snapshot, findings, cfg, warnings=warnings)
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"cpu": me.ru_utime + me.ru_stime, "children_cpu": kids.ru_utime + kids.ru_stime,
                  "maxrss_kib": me.ru_maxrss, "warnings": warnings, "exit_code": result["exit_code"]}))
"""


def summary(values):
    return {"median": round(statistics.median(values), 4), "max": round(max(values), 4)}


def synthetic(t, i, apps, disks):
    """A snapshot of hour i: some apps slowly leaking with weekly restarts, disks growing."""
    gib = 1024 * MIB
    processes = []
    for number in range(apps):
        base = (60 + 10 * number) * MIB
        leak = (i % 168) * (number % 3) * 256 * 1024  # a sawtooth for a third of the apps
        processes.append({"name": "app-%02d" % number, "memory": base + leak + (i * 7919 % 13) * MIB // 4,
                          "cpu": float(i % 5), "restarts": i // 168, "status": "online",
                          "max_memory_restart": 512 * MIB if number % 2 else None})
    return {
        "epoch": t,
        "system": {"memory": {"percent": 40.0 + (i % 24), "available": 12 * gib, "total": 24 * gib},
                   "swap": {"percent": float(i % 7)}, "load": {"load1": 0.3 + (i % 24) / 10.0}},
        "pm2": {"daemon_memory": 55 * MIB + (i % 50) * 1024, "processes": processes},
        "disk": [{"path": path, "used": (20 + n) * gib + i * 5 * MIB, "free": 100 * gib - i * 5 * MIB, "percent": 20.0}
                 for n, path in enumerate(disks)],
    }


def build(path, days, apps, now):
    from ansible_collections.twzrd.ops.plugins.module_utils import history

    hours = days * 24
    times = []
    for i in range(hours):
        t = now - (hours - i) * 3600
        start = time.perf_counter()
        history.record(synthetic(t, i, apps, ["/", "/var/log"]), path, now=t)
        times.append(time.perf_counter() - start)
    return times


def pm2(home, *args, env=None):
    full = dict(env or os.environ, PM2_HOME=home)
    return subprocess.run([PM2] + list(args), env=full, capture_output=True, text=True, check=True, timeout=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh-process runs of each measured case")
    parser.add_argument("--apps", type=int, default=4, help="real PM2 apps for the hourly run")
    parser.add_argument("--days", type=int, default=90, help="days of history in the file")
    parser.add_argument("--history-apps", type=int, default=10, help="apps in the synthetic history")
    parser.add_argument("--skip-hourly", action="store_true", help="no PM2: only build and read")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="twzrd-history-bench-")
    db = os.path.join(work, "history.sqlite")
    now = float(int(time.time()))
    result = {"days": args.days, "history_apps": args.history_apps, "python": sys.version.split()[0],
              "cpus": os.cpu_count()}
    home = os.path.join(work, "pm2")
    try:
        record_times = build(db, args.days, args.history_apps, now)
        result["file_bytes"] = os.path.getsize(db)
        result["file_mib"] = round(os.path.getsize(db) / MIB, 2)
        result["record_wall_s"] = summary(record_times)
        for case in ("summary", "read90_judge"):
            runs = []
            for _run in range(args.runs):
                out = subprocess.run([sys.executable, "-c", READ, COLLECTIONS, case, str(now), db],
                                     capture_output=True, text=True, check=True, timeout=300)
                runs.append(json.loads(out.stdout))
            result[case] = {"samples": runs[-1]["samples"], "wall_s": summary([r["wall"] for r in runs]),
                            "cpu_s": summary([r["cpu"] for r in runs]),
                            "import_wall_s": summary([r["import_wall"] for r in runs]),
                            "peak_rss_mib": round(max(r["maxrss_kib"] for r in runs) / 1024.0, 1)}
        if not args.skip_hourly:
            if not os.path.exists(PM2):
                sys.exit("pm2 is not installed in .tools: run `make test-env` first (or --skip-hourly).")
            os.makedirs(home)
            names = []
            for number in range(args.apps):
                pm2(home, "start", os.path.join(APPS, "worker.js"), "--name", "worker-%d" % number)
                names.append("worker-%d" % number)
            time.sleep(1)
            cfg = {"pm2_home": home, "pm2_path": PM2, "expected_apps": names, "health_url": "", "disk_paths": ["/"]}
            for label, with_history in (("without_history", "0"), ("with_history", "1")):
                runs = []
                for run in range(args.runs):
                    copy = os.path.join(work, "run-%s-%d.sqlite" % (label, run))
                    shutil.copyfile(db, copy)
                    conf = {"state_file": os.path.join(work, "state-%s.json" % label),
                            "log_file": os.path.join(work, "alerts-%s.log" % label)}
                    out = subprocess.run([sys.executable, "-c", HOURLY, COLLECTIONS, json.dumps(cfg), json.dumps(conf),
                                          json.dumps({"db_path": copy}), with_history],
                                         capture_output=True, text=True, check=True, timeout=300)
                    runs.append(json.loads(out.stdout))
                result[label] = {"apps": args.apps, "cpu_s": summary([r["cpu"] for r in runs]),
                                 "children_cpu_s": summary([r["children_cpu"] for r in runs]),
                                 "peak_rss_mib": round(max(r["maxrss_kib"] for r in runs) / 1024.0, 1),
                                 "warnings": runs[-1]["warnings"]}
    finally:
        if os.path.isdir(home):
            subprocess.run([PM2, "kill"], env=dict(os.environ, PM2_HOME=home), capture_output=True, timeout=120, check=False)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
