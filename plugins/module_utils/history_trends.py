# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judged trends of the per-host history: pure functions of (samples, settings, now),
no I/O, no clock read, no mutation of their inputs (the maths is trends.py).

  judge(samples, settings, now)          [{rule, subject, level, message, slope_per_hour, hours_to_limit}]
  trend_findings(samples, settings, now) the same as alert-engine findings (rule, key, level, message, value)

A sample stamped later than now (the clock went back since it was written) is not judged.
"""

from __future__ import annotations

from . import trends
from .common import size
from .history_settings import DAEMON_KEY, DAEMON_SUBJECT, DISK_RULE, HOUR, LEAK_RULE, validate


def _hours_text(hours):
    if hours is None:
        return "?"
    if hours >= 48:
        return "%.1f days" % (hours / 24.0)
    if hours >= 1:
        return "%.1f hours" % hours
    minutes = max(1, int(round(hours * 60)))
    return "%d minute%s" % (minutes, "" if minutes == 1 else "s")


def _window_text(hours):
    if hours >= 48 and hours % 24 == 0:
        return "%d days" % (hours // 24)
    return "%g h" % hours


def judge(samples, settings, now):
    """The judged trends of a history (read() samples, oldest first) at now (epoch; required):
    [{rule, subject, level, message, slope_per_hour, hours_to_limit}]. settings: the history
    section (validated here: a bad one raises OpsError)."""
    conf = validate(settings)
    samples = [s for s in samples or () if s["t"] <= now]
    if not samples:
        return []
    found = []
    window = conf["leak_window_hours"] * HOUR
    latest = samples[-1]
    available = latest.get("memory_available")
    args = (window, now, conf["leak_min_r2"], conf["leak_min_samples"], conf["leak_min_rise_percent"])
    names = sorted(latest.get("apps") or {})
    for name in names:
        series = [(s["t"], s["apps"][name]["memory"], s["apps"][name]["restarts"]) for s in samples if name in s["apps"]]
        mmr = latest["apps"][name].get("max_memory_restart")
        current = latest["apps"][name].get("memory") or 0
        limit = mmr if mmr else (current + available if available is not None else None)
        result = trends.leak(series, limit, *args)
        if result:
            found.append(_leak_trend(name, "PM2 app %s" % name, result, conf, mmr, available))
    daemon = [(s["t"], s.get("daemon_memory"), None) for s in samples]
    if latest.get("daemon_memory"):
        limit = latest["daemon_memory"] + available if available is not None else None
        result = trends.leak(daemon, limit, *args)
        if result:
            found.append(_leak_trend(DAEMON_KEY, "The " + DAEMON_SUBJECT, result, conf, None, available))
    for path in sorted(latest.get("disks") or {}):
        disk = latest["disks"][path]
        points = [(s["t"], s["disks"][path]["used"]) for s in samples if path in s.get("disks", {})]
        best = None
        for hours in (conf["disk_forecast_short_hours"], conf["disk_forecast_long_hours"]):
            forecast = trends.disk_forecast(points, disk.get("free"), hours * HOUR, now)
            if forecast and (best is None or forecast["hours_to_full"] < best[1]["hours_to_full"]):
                best = (hours, forecast)
        if best is None:
            continue
        hours_window, forecast = best
        left = forecast["hours_to_full"]
        if left < conf["disk_forecast_critical_hours"]:
            level = "critical"
        elif left < conf["disk_forecast_warning_days"] * 24:
            level = "warning"
        else:
            continue
        found.append({
            "rule": DISK_RULE, "subject": path, "level": level,
            "message": "Disk %s fills up in about %s at the rate of the last %s (+%s/h; %s free)."
                       % (path, _hours_text(left), _window_text(hours_window), size(forecast["slope_per_hour"]),
                          size(disk.get("free"))),
            "slope_per_hour": round(forecast["slope_per_hour"], 1), "hours_to_limit": round(left, 3)})
    return found


def _leak_trend(subject, who, result, conf, mmr, available):
    hours = result["hours_to_limit"]
    if mmr:
        goal = "its max_memory_restart of %s" % size(mmr)
    elif available is not None:
        goal = "the end of MemAvailable (%s now)" % size(available)
    else:
        goal = None
    message = "%s memory rises steadily by %s/h (R² %.2f over %d samples in the last %s)" % (
        who, size(result["slope_per_hour"]), result["r2"], result["samples"], _window_text(conf["leak_window_hours"]))
    if goal and hours is not None:
        message += "; at this rate it reaches %s in about %s." % (goal, _hours_text(hours))
    else:
        message += "."
    return {"rule": LEAK_RULE, "subject": subject, "level": "warning", "message": message,
            "slope_per_hour": round(result["slope_per_hour"], 1),
            "hours_to_limit": None if hours is None else round(hours, 3)}


def trend_findings(samples, settings, now):
    """The trends as alert-engine findings (rule, key rule:subject, level, message, value)."""
    return [{"rule": t["rule"], "key": "%s:%s" % (t["rule"], t["subject"]), "level": t["level"],
             "message": t["message"], "value": t["hours_to_limit"]} for t in judge(samples, settings, now)]
