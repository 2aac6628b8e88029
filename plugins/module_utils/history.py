# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-host history: one sample per hourly alert run in an SQLite file on the host.

  record(snapshot, db_path, now, ...)   one sample (host memory, swap, load, disk use per
                                        checked path, per PM2 app memory/CPU/restarts/
                                        crashes/status, the PM2 daemon's memory) and the
                                        pruning of samples older than the retention, in ONE
                                        transaction; returns warning sentences
  read(db_path, days, app, now)         the samples, oldest first
  summary(db_path, now, settings)       the `history` dict of host_check / the fleet JSON
                                        (windows 7d/30d, week over week, judged trends)
  judge(samples, settings, now)         the trends: memory_leak_suspected, disk_full_forecast
  findings(...)                         the same trends as alert-engine findings

The settings (section "history" of config.json, role variables twzrd_ops_history_*) are
DEFAULTS / validate() here. Failures are never fatal for the alert run: a corrupt file is
moved aside to <db>.corrupt-<stamp> and a new history starts (a warning sentence says so);
a file that cannot be written (permissions, full disk, read-only filesystem) raises
OpsError with one sentence, which the caller logs as a warning. The maths is trends.py.
Imports nothing from ansible (docs/DESIGN.md).
"""

from __future__ import annotations

import os
import sqlite3
import time

from . import trends
from .common import OpsError, now_epoch, number, refuse_unknown, size

SCHEMA_VERSION = 1
DEFAULT_DB = "/var/lib/twzrd-ops/history.sqlite"
FILE_MODE = 0o640
DAY = 86400
HOUR = 3600
MAX_POINTS = 240
DAEMON_SUBJECT = "PM2 daemon"
DAEMON_KEY = "pm2_daemon"
LEAK_RULE = "memory_leak_suspected"
DISK_RULE = "disk_full_forecast"
TREND_RULES = (LEAK_RULE, DISK_RULE)
NO_HISTORY = "no history yet on this host: the hourly alerts job records one sample per run"

DEFAULTS = {
    # "" = history.sqlite next to the alert state file (alerts.state_file), which is
    # /var/lib/twzrd-ops/history.sqlite on a host the role set up (DEFAULT_DB).
    "db_path": "",
    "retention_days": 90,
    "leak_window_hours": 24,
    "leak_min_r2": 0.8,
    "leak_min_samples": 12,
    "leak_min_rise_percent": 10,
    "disk_forecast_short_hours": 24,
    "disk_forecast_long_hours": 168,
    "disk_forecast_warning_days": 7,
    "disk_forecast_critical_hours": 24,
}

# (setting, minimum, maximum, whole number)
_RANGES = (
    ("retention_days", 1, 3650, False),
    ("leak_window_hours", 0.001, 24 * 90, False),
    ("leak_min_r2", 0, 1, False),
    ("leak_min_samples", 3, 10000, True),
    ("leak_min_rise_percent", 0, 10000, False),
    ("disk_forecast_short_hours", 0.001, 24 * 90, False),
    ("disk_forecast_long_hours", 0.001, 24 * 90, False),
    ("disk_forecast_warning_days", 0, 3650, False),
    ("disk_forecast_critical_hours", 0, 24 * 3650, False),
)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS samples (id INTEGER PRIMARY KEY, t REAL NOT NULL, memory_percent REAL,"
    " memory_available INTEGER, memory_total INTEGER, swap_percent REAL, load1 REAL, daemon_memory INTEGER)",
    "CREATE INDEX IF NOT EXISTS samples_t ON samples (t)",
    "CREATE TABLE IF NOT EXISTS apps (sample_id INTEGER NOT NULL, name TEXT NOT NULL, memory INTEGER, cpu REAL,"
    " restarts INTEGER, crashes INTEGER, status TEXT, max_memory_restart INTEGER,"
    " PRIMARY KEY (sample_id, name)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS disks (sample_id INTEGER NOT NULL, path TEXT NOT NULL, used INTEGER, free INTEGER,"
    " percent REAL, PRIMARY KEY (sample_id, path)) WITHOUT ROWID",
)


# --------------------------------------------------------------------------- settings


def validate(section=None):
    """Merge section over DEFAULTS and check it; returns a new dict or raises OpsError."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise OpsError("Section history must be a mapping, got %s." % type(section).__name__)
    refuse_unknown(section, DEFAULTS, "history setting%s")
    conf = dict(DEFAULTS)
    conf.update({k: v for k, v in section.items() if v is not None})
    path = conf["db_path"]
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise OpsError("Setting history.db_path must be empty or an absolute path, got %r." % (path,))
    conf["db_path"] = os.path.normpath(path) if path else ""
    for key, minimum, maximum, whole in _RANGES:
        conf[key] = number("history.%s" % key, conf[key], minimum, maximum, integer=whole)
    if conf["disk_forecast_critical_hours"] > conf["disk_forecast_warning_days"] * 24:
        raise OpsError(
            "Setting history.disk_forecast_critical_hours (%s) must not be above history.disk_forecast_warning_days "
            "(%s days = %s hours)." % (conf["disk_forecast_critical_hours"], conf["disk_forecast_warning_days"],
                                       conf["disk_forecast_warning_days"] * 24))
    return conf


def db_file(conf, state_file=None):
    """The history file of validated settings: db_path, else history.sqlite in the directory
    of the alert state file, else DEFAULT_DB."""
    if conf.get("db_path"):
        return conf["db_path"]
    if state_file:
        return os.path.join(os.path.dirname(state_file), "history.sqlite")
    return DEFAULT_DB


# --------------------------------------------------------------------------- the file


def _errname(exc):
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name:
        return name
    text = str(exc).lower()
    if "not a database" in text:
        return "SQLITE_NOTADB"
    if "malformed" in text:
        return "SQLITE_CORRUPT"
    if "disk is full" in text:
        return "SQLITE_FULL"
    if "readonly" in text or "read-only" in text:
        return "SQLITE_READONLY"
    if "locked" in text or "busy" in text:
        return "SQLITE_BUSY"
    return ""


def _is_corrupt(exc):
    return _errname(exc).split("_")[:2] in (["SQLITE", "CORRUPT"], ["SQLITE", "NOTADB"])


def _why(exc):
    name = _errname(exc)
    if name.startswith("SQLITE_FULL"):
        return "the disk is full"
    if name.startswith("SQLITE_READONLY") or name.startswith("SQLITE_CANTOPEN"):
        return "it cannot be opened for writing: %s" % exc
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
        return "another process holds it locked"
    return str(exc)


class _Corrupt(Exception):
    pass


def _stamp(now):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))


def _move_aside(db_path, now, reason):
    target = "%s.corrupt-%s" % (db_path, _stamp(now))
    try:
        os.rename(db_path, target)
        for suffix in ("-journal", "-wal", "-shm"):
            if os.path.exists(db_path + suffix):
                os.rename(db_path + suffix, target + suffix)
    except OSError as exc:
        raise OpsError("History database %s is corrupt (%s) and cannot be moved aside (%s); nothing was recorded."
                       % (db_path, reason, exc.strerror or exc))
    return ("History database %s was corrupt (%s); it was moved aside to %s and a new history starts now."
            % (db_path, reason, target))


def _create_file(db_path):
    directory = os.path.dirname(db_path)
    try:
        if directory and not os.path.isdir(directory):
            if os.path.lexists(directory):
                raise OpsError("Cannot create the history database %s: %s is not a directory; nothing was recorded."
                               % (db_path, directory))
            os.makedirs(directory, 0o750)
        if not os.path.exists(db_path):
            try:
                os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE))
            except FileExistsError:
                pass  # another run created it meanwhile
    except OSError as exc:
        raise OpsError("Cannot create the history database %s (%s); nothing was recorded."
                       % (db_path, exc.strerror or exc))


def _open_for_write(db_path):
    connection = sqlite3.connect(db_path, timeout=10, isolation_level=None)
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        check = connection.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise _Corrupt("integrity check: %s" % check)
        if version > SCHEMA_VERSION:
            raise OpsError("History database %s has schema version %d, newer than this twzrd-ops knows (%d); it is left "
                           "alone and nothing was recorded." % (db_path, version, SCHEMA_VERSION))
        if version < SCHEMA_VERSION:
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                connection.execute(statement)
            connection.execute("PRAGMA user_version = %d" % SCHEMA_VERSION)
            connection.execute("COMMIT")
        return connection
    except BaseException:
        connection.close()
        raise


def _aggregate_apps(snapshot, crashes):
    """Per app name: memory and CPU summed over its instances, restarts summed, the worst
    status, max_memory_restart per instance times the instances (the app's own limit)."""
    status = (snapshot or {}).get("pm2") or {}
    apps = {}
    for proc in status.get("processes") or []:
        name = proc.get("name")
        if not isinstance(name, str) or not name:
            continue
        app = apps.setdefault(name, {"memory": 0, "cpu": 0.0, "restarts": 0, "statuses": set(), "mmr": [], "n": 0})
        app["memory"] += int(proc.get("memory") or 0)
        app["cpu"] += float(proc.get("cpu") or 0.0)
        app["restarts"] += int(proc.get("restarts") or 0)
        app["statuses"].add(str(proc.get("status") or "unknown"))
        app["mmr"].append(proc.get("max_memory_restart"))
        app["n"] += 1
    rows = []
    for name, app in sorted(apps.items()):
        statuses = app["statuses"]
        state = "online" if statuses == {"online"} else "/".join(sorted(statuses - {"online"}))
        mmr = None
        if all(app["mmr"]):
            mmr = max(app["mmr"]) * app["n"] if app["n"] > 1 else app["mmr"][0]
        rows.append((name, app["memory"], round(app["cpu"], 1), app["restarts"],
                     int((crashes or {}).get(name, 0)), state, mmr))
    return rows


def record(snapshot, db_path=DEFAULT_DB, now=None, retention_days=DEFAULTS["retention_days"], crashes=None):
    """Append one sample of snapshot and prune what is older than retention_days, in one
    transaction. crashes: {app: crashes since the previous sample}, or a function that
    returns it given the previous sample's time (called only when there is one).

    Returns {"sample_id", "pruned", "warnings": [sentence]} (a corrupt file moved aside, the
    clock that went back). Raises OpsError (one sentence) when the file cannot be written.
    """
    now = now_epoch(now)
    t = float((snapshot or {}).get("epoch") or now)
    warnings = []
    _create_file(db_path)
    connection = None
    for attempt in (1, 2):
        try:
            connection = _open_for_write(db_path)
            break
        except (_Corrupt, sqlite3.DatabaseError) as exc:
            if isinstance(exc, _Corrupt) or _is_corrupt(exc):
                if attempt == 2:
                    raise OpsError("History database %s is still unusable after it was moved aside (%s)." % (db_path, exc))
                warnings.append(_move_aside(db_path, now, str(exc)))
                _create_file(db_path)
                continue
            raise OpsError("Cannot write the history database %s (%s); nothing was recorded." % (db_path, _why(exc)))
    system = (snapshot or {}).get("system") or {}
    memory = system.get("memory") or {}
    swap = system.get("swap") or {}
    load = system.get("load") or {}
    pm2 = (snapshot or {}).get("pm2") or {}
    disks = (snapshot or {}).get("disk")
    disks = disks if isinstance(disks, list) else []
    try:
        last = connection.execute("SELECT MAX(t) FROM samples").fetchone()[0]
        if last is not None and last >= t:
            warnings.append("The clock went back: the last history sample is from %s, later than now (%s); trends "
                            "ignore samples until the clock passes it." % (_iso(last), _iso(t)))
        if callable(crashes):
            # Crashes since the previous sample (the first sample counts none).
            crashes = crashes(last) if last is not None and last < t else {}
        connection.execute("BEGIN IMMEDIATE")
        cursor = connection.execute(
            "INSERT INTO samples (t, memory_percent, memory_available, memory_total, swap_percent, load1, daemon_memory)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (t, memory.get("percent"), memory.get("available"), memory.get("total"), swap.get("percent"),
             load.get("load1"), pm2.get("daemon_memory")))
        sample_id = cursor.lastrowid
        connection.executemany(
            "INSERT INTO apps (sample_id, name, memory, cpu, restarts, crashes, status, max_memory_restart)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(sample_id,) + row for row in _aggregate_apps(snapshot, crashes)])
        connection.executemany(
            "INSERT OR REPLACE INTO disks (sample_id, path, used, free, percent) VALUES (?, ?, ?, ?, ?)",
            [(sample_id, d["path"], d.get("used"), d.get("free"), d.get("percent"))
             for d in disks if isinstance(d, dict) and d.get("path") and d.get("used") is not None])
        cutoff = now - float(retention_days) * DAY
        old = "SELECT id FROM samples WHERE t < ?"
        connection.execute("DELETE FROM apps WHERE sample_id IN (%s)" % old, (cutoff,))
        connection.execute("DELETE FROM disks WHERE sample_id IN (%s)" % old, (cutoff,))
        pruned = connection.execute("DELETE FROM samples WHERE t < ?", (cutoff,)).rowcount
        connection.execute("COMMIT")
    except sqlite3.Error as exc:
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        raise OpsError("Cannot write the history database %s (%s); nothing was recorded." % (db_path, _why(exc)))
    finally:
        connection.close()
    return {"sample_id": sample_id, "pruned": pruned, "warnings": warnings}


def _iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def read(db_path=DEFAULT_DB, days=None, app=None, now=None):
    """The samples of the last days (None = all), oldest first (in recording order):
    [{t, memory_percent, memory_available, memory_total, swap_percent, load1, daemon_memory,
      disks: {path: {used, free, percent}}, apps: {name: {memory, cpu, restarts, crashes,
      status, max_memory_restart}}}]. app keeps that app only. Never writes: a missing file
    gives [], an unreadable or corrupt one raises OpsError (one sentence)."""
    now = now_epoch(now)
    if not os.path.exists(db_path):
        return []
    if not os.access(db_path, os.R_OK):
        raise OpsError("History database %s cannot be read by this user (permission denied); run as root (become)."
                       % db_path)
    since = -1e18 if days is None else now - float(days) * DAY
    try:
        connection = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=10)
    except sqlite3.DatabaseError as exc:
        raise OpsError("Cannot read the history database %s (%s)." % (db_path, _why(exc)))
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            return []
        if version > SCHEMA_VERSION:
            raise OpsError("History database %s has schema version %d, newer than this twzrd-ops knows (%d)."
                           % (db_path, version, SCHEMA_VERSION))
        samples, by_id = [], {}
        for row in connection.execute(
                "SELECT id, t, memory_percent, memory_available, memory_total, swap_percent, load1, daemon_memory"
                " FROM samples WHERE t >= ? ORDER BY id", (since,)):
            sample = {"t": row[1], "memory_percent": row[2], "memory_available": row[3], "memory_total": row[4],
                      "swap_percent": row[5], "load1": row[6], "daemon_memory": row[7], "disks": {}, "apps": {}}
            by_id[row[0]] = sample
            samples.append(sample)
        if not samples:
            return []
        first = min(by_id)
        query = ("SELECT sample_id, name, memory, cpu, restarts, crashes, status, max_memory_restart FROM apps"
                 " WHERE sample_id >= ?")
        args = (first,)
        if app is not None:
            query += " AND name = ?"
            args = (first, app)
        for row in connection.execute(query, args):
            sample = by_id.get(row[0])
            if sample is not None:
                sample["apps"][row[1]] = {"memory": row[2], "cpu": row[3], "restarts": row[4], "crashes": row[5],
                                          "status": row[6], "max_memory_restart": row[7]}
        for row in connection.execute("SELECT sample_id, path, used, free, percent FROM disks WHERE sample_id >= ?",
                                      (first,)):
            sample = by_id.get(row[0])
            if sample is not None:
                sample["disks"][row[1]] = {"used": row[2], "free": row[3], "percent": row[4]}
        return samples
    except sqlite3.DatabaseError as exc:
        if _is_corrupt(exc):
            raise OpsError("History database %s is corrupt (%s); the next hourly run moves it aside and starts afresh."
                           % (db_path, exc))
        raise OpsError("Cannot read the history database %s (%s)." % (db_path, _why(exc)))
    finally:
        connection.close()


# --------------------------------------------------------------------------- judging


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


def judge(samples, settings=None, now=None):
    """The judged trends of a history (read() samples, oldest first):
    [{rule, subject, level, message, slope_per_hour, hours_to_limit}]."""
    conf = validate(settings)
    now = now_epoch(now)
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


def findings(samples, settings=None, now=None):
    """The trends as alert-engine findings (rule, key rule:subject, level, message, value)."""
    return [{"rule": t["rule"], "key": "%s:%s" % (t["rule"], t["subject"]), "level": t["level"],
             "message": t["message"], "value": t["hours_to_limit"]} for t in judge(samples, settings, now)]


def add_trends(conf, snapshot, found, now=None):
    """Read the history (read-only) and add its judged trends to the findings list found, for
    the alert engine. When it cannot be read, snapshot["history"] = {"error": sentence} (the
    trend alerts are then held, not resolved) and the sentence is returned; else None."""
    now = now_epoch(now)
    try:
        days = max(conf["leak_window_hours"], conf["disk_forecast_short_hours"], conf["disk_forecast_long_hours"]) / 24.0
        found.extend(findings(read(db_file(conf), days=days, now=now), conf, now))
        return None
    except Exception as exc:  # pylint: disable=broad-except
        reason = str(exc) if isinstance(exc, OpsError) else "internal error: %s: %s" % (type(exc).__name__, exc)
        snapshot["history"] = {"error": reason}
        return "Trends not judged: %s" % reason


# --------------------------------------------------------------------------- summary


def _series(samples, get, start, end, now):
    points = trends.clean([(s["t"], get(s)) for s in samples if s["t"] >= start], now)
    return [[int(round(t)), round(v, 2)] for t, v in trends.downsample(points, MAX_POINTS, start, end)]


def _window(samples, days, now):
    start = now - days * DAY
    inside = [s for s in samples if s["t"] >= start]
    apps, disks = set(), set()
    for s in inside:
        apps.update(s["apps"])
        disks.update(s["disks"])
    latest_mmr = {}
    for s in inside:
        for name, app in s["apps"].items():
            latest_mmr[name] = app.get("max_memory_restart")

    def app_memory(name):
        return lambda s: (s["apps"].get(name) or {}).get("memory")

    def disk_percent(path):
        return lambda s: (s["disks"].get(path) or {}).get("percent")

    return {
        "start": int(start), "end": int(now),
        "host": {"memory_percent": _series(inside, lambda s: s["memory_percent"], start, now, now),
                 "swap_percent": _series(inside, lambda s: s["swap_percent"], start, now, now),
                 "load1": _series(inside, lambda s: s["load1"], start, now, now)},
        "disks": dict((path, _series(inside, disk_percent(path), start, now, now)) for path in sorted(disks)),
        "apps": dict((name, {"memory": _series(inside, app_memory(name), start, now, now),
                             "max_memory_restart": latest_mmr.get(name)}) for name in sorted(apps)),
        "pm2_daemon": {"memory": _series(inside, lambda s: s["daemon_memory"], start, now, now)},
    }


def _week_figures(samples):
    """Figures of one week of samples (None for each when there are none)."""
    if not samples:
        return None
    apps = {}
    for s in samples:
        for name, app in s["apps"].items():
            entry = apps.setdefault(name, {"restarts": [], "crashes": 0, "memory": []})
            entry["restarts"].append(app.get("restarts"))
            entry["crashes"] += int(app.get("crashes") or 0)
            if app.get("memory") is not None:
                entry["memory"].append(app["memory"])
    disks = {}
    for s in samples:
        for path, disk in s["disks"].items():
            if disk.get("used") is not None:
                disks.setdefault(path, []).append(disk["used"])

    def whole(value):
        return None if value is None else int(round(value))

    def tenth(value):
        return None if value is None else round(value, 2)

    return {
        "apps": dict((name, {"restarts": whole(trends.counter_increase(e["restarts"])), "crashes": e["crashes"],
                             "memory_median": whole(trends.median(e["memory"])),
                             "memory_peak": max(e["memory"]) if e["memory"] else None})
                     for name, e in apps.items()),
        "swap_p95": tenth(trends.percentile([s["swap_percent"] for s in samples], 95)),
        "load_p95": tenth(trends.percentile([s["load1"] for s in samples], 95)),
        "disks": dict((path, used[-1] - used[0]) for path, used in disks.items()),
    }


def week_over_week(samples, now):
    """{"apps": {NAME: {restarts|crashes|memory_median|memory_peak: [this, prev]}},
        "host": {"swap_p95": [this, prev], "load_p95": [this, prev],
                 "disks": {PATH: {"growth_bytes": [this, prev]}}}}; prev None without data."""
    clean = [s for s in samples if s["t"] <= now]
    this = _week_figures([s for s in clean if now - 7 * DAY <= s["t"]])
    prev = _week_figures([s for s in clean if now - 14 * DAY <= s["t"] < now - 7 * DAY])
    result = {"apps": {}, "host": {"swap_p95": [None, None], "load_p95": [None, None], "disks": {}}}
    if this is None:
        return result
    for name, figures in sorted(this["apps"].items()):
        before = (prev or {}).get("apps", {}).get(name) or {}
        result["apps"][name] = dict((key, [figures[key], before.get(key)])
                                    for key in ("restarts", "crashes", "memory_median", "memory_peak"))
    result["host"]["swap_p95"] = [this["swap_p95"], (prev or {}).get("swap_p95")]
    result["host"]["load_p95"] = [this["load_p95"], (prev or {}).get("load_p95")]
    for path, growth in sorted(this["disks"].items()):
        result["host"]["disks"][path] = {"growth_bytes": [growth, (prev or {}).get("disks", {}).get(path)]}
    return result


def unavailable(reason):
    return {"available": False, "reason": reason, "samples": 0, "first": None, "last": None,
            "windows": {}, "week_over_week": {"apps": {}, "host": {}}, "trends": []}


def summary(db_path=DEFAULT_DB, now=None, settings=None):
    """The `history` dict of host_check and the fleet JSON (see docs/DESIGN.md); never
    raises: a missing, empty or unreadable history says why in "reason"."""
    now = now_epoch(now)
    try:
        conf = validate(dict(settings or {}, db_path=db_path or ""))
        conf["db_path"] = db_file(conf)
        days = max(30.0, conf["leak_window_hours"] / 24.0, conf["disk_forecast_long_hours"] / 24.0)
        samples = read(conf["db_path"], days=days, now=now)
    except OpsError as exc:
        return unavailable(str(exc))
    samples = [s for s in samples if s["t"] <= now]
    if not samples:
        return unavailable(NO_HISTORY)
    times = [s["t"] for s in samples]
    return {
        "available": True,
        "reason": None,
        "samples": len(samples),
        "first": int(min(times)),
        "last": int(max(times)),
        "windows": {"7d": _window(samples, 7, now), "30d": _window(samples, 30, now)},
        "week_over_week": week_over_week(samples, now),
        "trends": judge(samples, conf, now),
    }


def wow_rows(history):
    """Display rows of a history's week over week for the text and Markdown reports:
    [{"subject", "figure", "this", "prev", "arrow", "delta"}] with the figures formatted
    (sizes for memory and disk growth)."""
    rows = []
    wow = (history or {}).get("week_over_week") or {}

    def shown(key, value):
        if value is None:
            return "-"
        if key in ("memory_median", "memory_peak", "growth_bytes"):
            return size(value)
        if isinstance(value, float):
            return "%.2f" % value
        return str(value)

    def add(subject, key, pair):
        this, prev = (list(pair) + [None, None])[:2]
        change = trends.compare(this, prev)
        delta = change["delta"]
        if delta is None:
            delta_text = "new" if prev is None and this is not None else ""
        elif key in ("memory_median", "memory_peak", "growth_bytes"):
            delta_text = ("+" if delta >= 0 else "-") + size(abs(delta))
        elif float(delta).is_integer():
            delta_text = "%+d" % delta
        else:
            delta_text = "%+.2f" % delta
        rows.append({"subject": subject, "figure": key.replace("_", " "), "this": shown(key, this),
                     "prev": shown(key, prev), "arrow": change["arrow"], "delta": delta_text})

    for name, figures in sorted((wow.get("apps") or {}).items()):
        for key in ("restarts", "crashes", "memory_median", "memory_peak"):
            add(name, key, figures.get(key) or [None, None])
    host = wow.get("host") or {}
    for key in ("swap_p95", "load_p95"):
        if key in host:
            add("host", key, host[key])
    for path, figures in sorted((host.get("disks") or {}).items()):
        add("disk %s" % path, "growth_bytes", figures.get("growth_bytes") or [None, None])
    return rows


# (interim, replaced by the history split: the read and the pure half of add_trends)
def read_for_trends(conf, now=None):
    now = now_epoch(now)
    try:
        days = max(conf["leak_window_hours"], conf["disk_forecast_short_hours"], conf["disk_forecast_long_hours"]) / 24.0
        return read(db_file(conf), days=days, now=now), None
    except Exception as exc:  # pylint: disable=broad-except
        reason = str(exc) if isinstance(exc, OpsError) else "internal error: %s: %s" % (type(exc).__name__, exc)
        return [], "Trends not judged: %s" % reason


def trend_findings(samples, conf, now):
    return findings(samples, conf, now)
