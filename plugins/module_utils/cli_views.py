# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The read-only views of the on-host command: `twzrd-ops history` (the per-host samples and
their judged trends) and `twzrd-ops status` (did the cron jobs run and what did they do; the
active alerts and silences). Nothing here checks, moves or writes anything.
"""

from __future__ import annotations

import json

from . import alert_state, history, run_journal, silences
from .common import iso_time, now_epoch, number, printable, size
from .version import VERSION


def emit(out, data):
    out.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def cmd_history(cfg, args, runner, out, err, now=None):
    """`history [--days N] [--app NAME]`: the samples, oldest first, and the judged trends.
    The samples are streamed (history.iter_samples): memory stays one sample whatever
    --days asks for."""
    conf = cfg.get("history") or history.validate({})
    now = now_epoch(now)
    days = number("--days", args.days, minimum=0.001, maximum=36500, what="Option")
    window = max(conf["leak_window_hours"], conf["disk_forecast_short_hours"], conf["disk_forecast_long_hours"]) / 24.0
    judged = history.judge(history.read(conf["db_path"], days=window, now=now), conf, now)
    if args.app is not None:
        judged = [t for t in judged if t["rule"] != history.LEAK_RULE or t["subject"] == args.app]
    samples = history.iter_samples(conf["db_path"], days=days, app=args.app, now=now)
    if args.json:
        head = json.dumps({"db_path": conf["db_path"], "days": days, "app": args.app, "trends": judged}, indent=2,
                          sort_keys=True, default=str)
        out.write(head[:-2] + ',\n  "samples": [')
        for count, sample in enumerate(samples):
            out.write(("," if count else "") + "\n    " + json.dumps(sample, sort_keys=True, default=str))
        out.write("\n  ]\n}\n")
        return 0
    first = next(samples, None)
    if first is None:
        out.write("No history samples in the last %g days in %s (%s).\n" % (days, conf["db_path"], history.NO_HISTORY))
        return 0
    out.write("History in %s, the last %g days, oldest first.\n" % (conf["db_path"], days))

    def pct(value):
        return "-" if value is None else "%.1f" % value

    out.write("%-20s %6s %6s %6s %10s  %s\n" % ("TIME (UTC)", "MEM%", "SWAP%", "LOAD1", "PM2 DAEMON", "DISKS"))
    count, last = 0, first
    for sample in _chain(first, samples):
        count, last = count + 1, sample
        disks = " ".join("%s=%s%%" % (path, pct(d["percent"])) for path, d in sorted(sample["disks"].items()))
        out.write("%-20s %6s %6s %6s %10s  %s\n" % (
            iso_time(sample["t"]), pct(sample["memory_percent"]), pct(sample["swap_percent"]), pct(sample["load1"]),
            size(sample["daemon_memory"]) if sample["daemon_memory"] else "-", printable(disks)))
        for name, app in sorted(sample["apps"].items()):
            out.write("    %s: %s, cpu %s%%, restarts %s, crashes %s, %s\n" % (
                printable(name), size(app["memory"]), pct(app["cpu"]), app["restarts"], app["crashes"],
                printable(app["status"] or "?")))
    out.write("%d samples from %s to %s.\n" % (count, iso_time(first["t"]), iso_time(last["t"])))
    out.write("Trends:%s\n" % ("" if judged else " none"))
    for trend in judged:
        out.write("  %s %s: %s\n" % (trend["level"].upper(), trend["rule"], printable(trend["message"])))
    return 0


def _chain(first, rest):
    yield first
    yield from rest


def cmd_status(cfg, args, runner, out, err, now=None):
    """`status`: did the cron jobs run and what did they do; the active alerts and silences.
    Read-only: nothing is checked, moved or written."""
    now = now_epoch(now)
    conf = cfg["alerts"]
    last = run_journal.read(run_journal.path_for(conf["state_file"]))
    state, warning = alert_state.read_state(conf["state_file"], now, move_aside=False,
                                            longest_silence=conf["silence_max_hours"] * 3600.0)
    active = sorted(state["alerts"].items(), key=lambda item: item[0])
    quiet = silences.active(state["silences"], now)
    if args.json:
        emit(out, {
            "version": VERSION, "jobs": {job: last.get(job) for job in run_journal.JOBS},
            "alerts": [dict(alert, key=key, silenced=silences.match(key, quiet, now) is not None) for key, alert in active],
            "silences": [silences.public(s, now) for s in quiet], "undelivered": alert_state.undelivered(state),
            "warnings": [warning] if warning else []})
        return 0
    out.write("twzrd-ops %s, %s\nLast runs:\n" % (VERSION, iso_time(now)))
    for job in run_journal.JOBS:
        out.write("  %s\n" % run_journal.describe(job, last.get(job), now))
    out.write("Active alerts: %s\n" % (len(active) or "none"))
    for key, alert in active:
        covered = silences.match(key, quiet, now)
        out.write("  %s %s since %s: %s%s\n" % (alert["level"].upper(), printable(key), iso_time(alert["since"]),
                                                printable(alert["message"])[:200],
                                                " [silenced by %s]" % covered["id"] if covered else ""))
    out.write("Active silences: %s\n" % (len(quiet) or "none"))
    for silence in quiet:
        out.write("  %s\n" % silences.describe(silence, now))
    out.write("Undelivered messages: %d; alert log: %s\n" % (alert_state.undelivered(state), conf["log_file"] or "(none)"))
    if warning:
        out.write("%s\n" % warning)
    return 0
