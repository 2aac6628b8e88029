# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What PM2 runs, in the DESIGN.md "pm2 status" shape: pm2_status() and its summary. The
front of twzrd.ops' PM2 knowledge; the parts live beside it and their public names are
importable from here:

- pm2_daemon: finding pm2 and its daemon, running pm2 as the right user;
- pm2_jlist: reading `pm2 jlist` (the JSON out of PM2's banner and notices; env names only);
- pm2_log / pm2_log_read: crashes in the daemon log, read once per run within a byte budget;
- pm2_action: restart / reload / stop / start, and the dump reader.

Pure Python (no ansible import): it also runs on hosts as twzrd_ops_lib.pm2.

Decisions worth knowing:
- Reading never starts a daemon (pm2_daemon): a dead one is an OpsError, unless start_daemon=True.
- `pm2 jlist` is run WITHOUT -s: PM2 7's -s silences the ">>>> In-memory PM2 is out-of-date"
  block, which is worth a warning.
- pm2.log is read once per run: the crash window, the report window and the events a caller
  asks for (events_since) all come from that one read (result["events"]).
"""

from __future__ import annotations

import os

from .common import OpsError, now_epoch, number
from .pm2_action import ACTIONS, MODES, pm2_action, read_dump
from .pm2_daemon import (
    _Pm2, _check_home, _current_user, _first_line, _home_of, _not_running, _where, daemon_memory, daemon_running, default_pm2_home, find_pm2,
)
from .pm2_jlist import normalize, parse_jlist, strip_ansi
from .pm2_log import STOP_LOOKBACK, crash_events, read_warnings, unparsed_warning
from .pm2_log_read import ROTATED_MAX

__all__ = [
    "ACTIONS", "MODES", "ROTATED_MAX", "STOP_LOOKBACK", "crash_events", "daemon_memory", "daemon_running", "default_pm2_home",
    "find_pm2", "normalize", "parse_jlist", "pm2_action", "pm2_status", "read_dump", "read_warnings", "strip_ansi", "summarize",
    "unparsed_warning", "_current_user", "_first_line",
]


def _empty_summary(crash_window, crash_threshold, expected):
    return {
        "total": 0,
        "online": 0,
        "not_online": [],
        "missing": sorted(set(expected or [])),
        "crash_window": crash_window,
        "crash_threshold": crash_threshold,
        "crashes": {},
        "crash_loop": False,
        "crash_loop_apps": [],
    }


def _validate_numbers(crash_window, crash_threshold):
    for label, value in (("crash_window", crash_window), ("crash_threshold", crash_threshold)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise OpsError("%s must be a number of at least 0, not %r." % (label, value))
        number(label, value)  # NaN / infinity: a crash loop that never fires


def pm2_status(
    runner,
    pm2_path=None,
    pm2_home=None,
    user=None,
    names=None,
    expected=None,
    crash_window=300,
    crash_threshold=5,
    start_daemon=False,
    now=None,
    report_window=0,
    events_since=None,
):
    """What PM2 runs, in the DESIGN.md shape. See the module docstring for the rules.

    names filters the processes (and crash counts); expected lists apps that must exist.
    crash_window=0 skips reading pm2.log. report_window (seconds, 0 = none) also counts the
    crashes of a longer window (the weekly report's) from the same single read of pm2.log,
    returned as result["report_window"] = {"window": seconds, "crashes": {name: n}}.

    pm2.log (and its rotated copies) is read once: from min(events_since, now - longest
    window) to now. result["events"] holds the crash events of that read, time-ordered
    ({name, pm_id, time, code, signal}, for every app: names filters the summaries only); the
    window summaries are computed from that same list. Without events_since it holds the
    events of the longest window ([] when there is no window).
    """
    _validate_numbers(crash_window, crash_threshold)
    if events_since is not None:
        number("events_since", events_since)
    now = now_epoch(now)
    user = user or None
    expected = list(expected or [])
    names = list(names or [])
    homes = [_home_of(user)] if user else None
    pm2_home = pm2_home or default_pm2_home(user)
    path = find_pm2(pm2_path, homes)
    result = {
        "installed": path is not None,
        "daemon_running": False,
        "pm2_path": path,
        "pm2_home": pm2_home,
        "warnings": [],
        "processes": [],
        "events": [],
        "summary": _empty_summary(crash_window, crash_threshold, expected),
    }
    if path is None:
        if expected:
            raise OpsError("PM2 is not installed (no pm2 %s) but apps are expected: %s." % (_where(pm2_path), ", ".join(expected)))
        return result
    _check_home(pm2_home, user)
    pm2 = _Pm2(runner, path, pm2_home, user)
    result["daemon_running"] = daemon_running(pm2_home)
    if not result["daemon_running"]:
        if not start_daemon:
            raise _not_running(pm2_home, user)
        result["warnings"].append("Started a PM2 daemon for PM2_HOME %s (start_daemon)." % pm2_home)
    raw, warnings = pm2.jlist()
    result["daemon_running"] = True
    result["daemon_memory"] = daemon_memory(pm2_home)
    result["warnings"].extend(warnings)
    processes = [normalize(entry, now) for entry in raw]
    if names:
        processes = [proc for proc in processes if proc["name"] in names]
    result["processes"] = processes
    events = []
    longest = max(crash_window or 0, report_window or 0)
    read_from = now - longest if longest else None
    if events_since is not None:
        read_from = min(events_since, now - longest)
    if read_from is not None:
        log_path = os.path.join(pm2_home, "pm2.log")
        stats = {}
        events = crash_events(log_path, read_from, now, stats=stats)
        result["warnings"].extend(read_warnings(log_path, stats))
    result["events"] = events
    in_window = [event for event in events if crash_window and event["time"] >= now - crash_window]
    result["summary"] = summarize(processes, in_window, expected, crash_window, crash_threshold, names)
    if report_window:
        weekly = summarize(processes, [event for event in events if event["time"] >= now - report_window],
                           expected, report_window, crash_threshold, names)
        result["report_window"] = {"window": report_window, "crashes": weekly["crashes"]}
    return result


def summarize(processes, crashes, expected, crash_window, crash_threshold, names=None):
    present = set(proc["name"] for proc in processes)
    counts = dict((name, 0) for name in sorted(present))
    for event in crashes:
        if names and event["name"] not in names:
            continue
        counts[event["name"]] = counts.get(event["name"], 0) + 1
    looping = sorted(name for name, count in counts.items() if count > crash_threshold)
    not_online = []
    for proc in processes:
        if proc["status"] != "online" and proc["name"] not in not_online:
            not_online.append(proc["name"])
    return {
        "total": len(processes),
        "online": sum(1 for proc in processes if proc["status"] == "online"),
        "not_online": not_online,
        "missing": sorted(set(name for name in expected if name not in present)),
        "crash_window": crash_window,
        "crash_threshold": crash_threshold,
        "crashes": counts,
        "crash_loop": bool(looping),
        "crash_loop_apps": looping,
    }
