# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SQLite I/O of the per-host history: one sample per hourly alert run.

  record(snapshot, db_path, now, retention_days)  one sample and the pruning, in ONE transaction
  last_sample_time(db_path, now)                  when the previous sample was taken (read only)
  iter_samples(db_path, days, app, now, limit)    the samples, oldest first, streamed
  read(...)                                       the same as a list, at most limit samples

A time the history did not write now is a claim (docs/FAULTS.md, issue 20): the clock may
run ahead (a bad RTC before NTP) or go back. Pruning counts the time the history was
RECORDED: walking the samples in recording order, each gap between two samples counts at
most MAX_GAP (a day; the job runs hourly) and a gap backwards counts nothing. A clock a
year ahead therefore ages the history by one day, not by a year; and the run that sees
the clock more than MAX_GAP past the newest sample prunes nothing at all and says why.
The file is opened as history_file.py says (no symbolic link, mode 0640 at most).
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3

from .common import OpsError, now_epoch
from .common import iso_time as iso
from .history_file import Corrupt, create_file, is_corrupt, move_aside, open_for_read, open_for_write, why
from .history_settings import DAY, DEFAULT_DB, DEFAULTS, HOUR, SCHEMA_VERSION

# A gap between two samples counts at most this long for the retention (see above).
MAX_GAP = DAY
# read() returns at most this many samples (the newest); iter_samples() streams any number.
READ_LIMIT = 10000

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


def _days(seconds):
    return "%.1f days" % (seconds / float(DAY)) if seconds >= DAY else "%.1f hours" % (seconds / float(HOUR))


def window_start(previous, now):
    """Where the crash window of a sample taken at now starts: the previous sample's time,
    or one hourly run before now when that time is later than now (the clock went back)."""
    if previous is None:
        return None
    return previous if previous <= now else now - HOUR


def count_crashes(events, since, until):
    """{app: crash events with since < time <= until}; events None or since None: {}."""
    counts = {}
    if since is None or not isinstance(events, list):
        return counts
    for event in events:
        try:
            name, t = event.get("name"), float(event.get("time"))
        except (AttributeError, TypeError, ValueError):
            continue
        if isinstance(name, str) and since < t <= until:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _aggregate_apps(snapshot, crashes):
    """Per app name: memory and CPU summed over its instances, restarts summed, the worst
    status, max_memory_restart per instance times the instances (the app's own limit)."""
    apps = {}
    for proc in ((snapshot or {}).get("pm2") or {}).get("processes") or []:
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
        rows.append((name, app["memory"], round(app["cpu"], 1), app["restarts"], int(crashes.get(name, 0)), state, mmr))
    return rows


def prune_ids(times, now, retention_days):
    """Pure: the ids to prune of [(id, t)] in recording order, and a warning sentence or
    None. Each gap counts min(gap, MAX_GAP) (a backwards gap 0); a sample older than the
    retention in that recorded time goes. When now is more than MAX_GAP past the newest
    sample, nothing goes (the clock may be running ahead) and the sentence says so."""
    if not times:
        return [], None
    newest = max(t for _id, t in times)
    if now - newest > MAX_GAP:
        return [], ("History not pruned: the clock (%s) is %s past the newest sample (%s), more than the %s a gap may "
                    "count; a clock running ahead must not delete the history, so the gap counts as %s for the "
                    "retention (nothing to do if the host was really off that long)."
                    % (iso(now), _days(now - newest), iso(newest), _days(MAX_GAP), _days(MAX_GAP)))
    recorded, ages, previous = 0.0, [], None
    for sample_id, t in times:
        if previous is not None:
            recorded += min(max(t - previous, 0.0), MAX_GAP)
        ages.append((sample_id, recorded))
        previous = t
    recorded += min(max(now - previous, 0.0), MAX_GAP)
    limit = float(retention_days) * DAY
    return [sample_id for sample_id, at in ages if recorded - at > limit], None


def _open_writable(db_path, now, warnings):
    create_file(db_path)
    for attempt in (1, 2):
        try:
            connection, version = open_for_write(db_path)
        except (Corrupt, sqlite3.DatabaseError) as exc:
            if not is_corrupt(exc):
                raise OpsError("Cannot write the history database %s (%s); nothing was recorded." % (db_path, why(exc)))
            if attempt == 2:
                raise OpsError("History database %s is still unusable after it was moved aside (%s)." % (db_path, exc))
            warnings.append(move_aside(db_path, now, str(exc)))
            create_file(db_path)
            continue
        if version < SCHEMA_VERSION:
            try:
                connection.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA:
                    connection.execute(statement)
                connection.execute("PRAGMA user_version = %d" % SCHEMA_VERSION)
                connection.execute("COMMIT")
            except sqlite3.Error as exc:
                connection.close()
                raise OpsError("Cannot write the history database %s (%s); nothing was recorded." % (db_path, why(exc)))
        return connection
    raise OpsError("History database %s cannot be opened; nothing was recorded." % db_path)


def record(snapshot, db_path=DEFAULT_DB, now=None, retention_days=DEFAULTS["retention_days"]):
    """Append one sample of snapshot and prune, in one transaction.

    Each app's crashes are counted from snapshot["pm2"]["events"] (the crash events
    [{name, time, ...}] the run read from pm2.log, see pm2.crash_events) with a time after
    the previous sample (window_start) and not after now; absent or None events, and the
    first sample, count 0. Pruning: prune_ids (a clock running ahead prunes nothing).
    Returns {"sample_id", "pruned", "warnings": [sentence]} (a corrupt file moved aside, the
    clock that went back or ran ahead). Raises OpsError (one sentence) when the file cannot
    be written or is not the file meant (history_file.py).
    """
    now = now_epoch(now)
    snapshot = snapshot or {}
    t = float(snapshot.get("epoch") or now)
    warnings = []
    connection = _open_writable(db_path, now, warnings)
    system = snapshot.get("system") or {}
    memory, swap, load = system.get("memory") or {}, system.get("swap") or {}, system.get("load") or {}
    pm2 = snapshot.get("pm2") or {}
    disks = snapshot.get("disk") if isinstance(snapshot.get("disk"), list) else []
    try:
        connection.execute("BEGIN IMMEDIATE")
        times = connection.execute("SELECT id, t FROM samples ORDER BY id").fetchall()
        last = times[-1][1] if times else None
        newest = max(when for _id, when in times) if times else None
        if newest is not None and newest >= t:
            warnings.append("The clock went back: the last history sample is from %s, later than now (%s); trends "
                            "ignore samples until the clock passes it." % (iso(newest), iso(t)))
        crashes = count_crashes(pm2.get("events"), window_start(last, now), now)
        cursor = connection.execute(
            "INSERT INTO samples (t, memory_percent, memory_available, memory_total, swap_percent, load1, daemon_memory)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (t, memory.get("percent"), memory.get("available"), memory.get("total"), swap.get("percent"),
             load.get("load1"), pm2.get("daemon_memory")))
        sample_id = cursor.lastrowid
        connection.executemany(
            "INSERT INTO apps (sample_id, name, memory, cpu, restarts, crashes, status, max_memory_restart)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(sample_id,) + row for row in _aggregate_apps(snapshot, crashes)])
        connection.executemany(
            "INSERT OR REPLACE INTO disks (sample_id, path, used, free, percent) VALUES (?, ?, ?, ?, ?)",
            [(sample_id, d["path"], d.get("used"), d.get("free"), d.get("percent"))
             for d in disks if isinstance(d, dict) and d.get("path") and d.get("used") is not None])
        doomed, refusal = prune_ids(times, now, retention_days)
        if refusal:
            warnings.append(refusal)
        for start in range(0, len(doomed), 500):
            chunk = doomed[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for table, column in (("apps", "sample_id"), ("disks", "sample_id"), ("samples", "id")):
                connection.execute("DELETE FROM %s WHERE %s IN (%s)" % (table, column, marks), chunk)
        connection.execute("COMMIT")
    except sqlite3.Error as exc:
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        raise OpsError("Cannot write the history database %s (%s); nothing was recorded." % (db_path, why(exc)))
    finally:
        connection.close()
    return {"sample_id": sample_id, "pruned": len(doomed), "warnings": warnings}


@contextlib.contextmanager
def _read_connection(db_path):
    """A read-only connection to the history (None: no history yet), its errors told in one
    sentence each: a newer schema, a corrupt file, any other SQLite failure."""
    connection = open_for_read(db_path)
    try:
        if connection is None:
            yield None
            return
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise OpsError("History database %s has schema version %d, newer than this twzrd-ops knows (%d)."
                           % (db_path, version, SCHEMA_VERSION))
        yield connection if version else None
    except sqlite3.DatabaseError as exc:
        if is_corrupt(exc):
            raise OpsError("History database %s is corrupt (%s); the next hourly run moves it aside and starts afresh."
                           % (db_path, exc))
        raise OpsError("Cannot read the history database %s (%s)." % (db_path, why(exc)))
    finally:
        if connection is not None:
            connection.close()


def _reading(db_path, action):
    """action(connection) on a read-only connection (None: no history) with one-sentence errors."""
    with _read_connection(db_path) as connection:
        return action(connection)


def last_sample_time(db_path=DEFAULT_DB, now=None):
    """The time of the newest sample in recording order, None without one; read only, never
    creates the file. None too when the file cannot be read (corrupt, a link, permissions):
    record() then moves it aside or says why, once. With now: a time later than now (the
    clock went back) is given as window_start() gives it, one hourly run before now."""
    def newest(connection):
        if connection is None:
            return None
        row = connection.execute("SELECT t FROM samples ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else row[0]

    try:
        found = _reading(db_path, newest)
    except OpsError:
        return None
    return found if now is None else window_start(found, now_epoch(now))


def _grouped(cursor):
    return itertools.groupby(cursor, key=lambda row: row[0])


def _stream(connection, since, app, limit):
    first = None
    if limit is not None:
        row = connection.execute("SELECT id FROM samples WHERE t >= ? ORDER BY id DESC LIMIT 1 OFFSET ?",
                                 (since, max(0, int(limit) - 1))).fetchone()
        first = row[0] if row else None
    low = first if first is not None else -1
    samples = connection.execute(
        "SELECT id, t, memory_percent, memory_available, memory_total, swap_percent, load1, daemon_memory"
        " FROM samples WHERE t >= ? AND id >= ? ORDER BY id", (since, low))
    query = "SELECT sample_id, name, memory, cpu, restarts, crashes, status, max_memory_restart FROM apps WHERE sample_id >= ?"
    args = (low,)
    if app is not None:
        query, args = query + " AND name = ?", (low, app)
    apps = _grouped(connection.cursor().execute(query + " ORDER BY sample_id, name", args))
    disks = _grouped(connection.cursor().execute(
        "SELECT sample_id, path, used, free, percent FROM disks WHERE sample_id >= ? ORDER BY sample_id, path", (low,)))
    pending = {"apps": next(apps, None), "disks": next(disks, None)}
    for row in samples:
        sample = {"t": row[1], "memory_percent": row[2], "memory_available": row[3], "memory_total": row[4],
                  "swap_percent": row[5], "load1": row[6], "daemon_memory": row[7], "disks": {}, "apps": {}}
        for kind, groups in (("apps", apps), ("disks", disks)):
            while pending[kind] is not None and pending[kind][0] < row[0]:
                pending[kind] = next(groups, None)
            if pending[kind] is not None and pending[kind][0] == row[0]:
                for r in pending[kind][1]:
                    if kind == "apps":
                        sample["apps"][r[1]] = {"memory": r[2], "cpu": r[3], "restarts": r[4], "crashes": r[5],
                                                "status": r[6], "max_memory_restart": r[7]}
                    else:
                        sample["disks"][r[1]] = {"used": r[2], "free": r[3], "percent": r[4]}
                pending[kind] = next(groups, None)
        yield sample


def iter_samples(db_path=DEFAULT_DB, days=None, app=None, now=None, limit=None):
    """The samples of the last days (None = all), oldest first (in recording order), one at
    a time: {t, memory_percent, memory_available, memory_total, swap_percent, load1,
    daemon_memory, disks: {path: {used, free, percent}}, apps: {name: {memory, cpu, restarts,
    crashes, status, max_memory_restart}}}. app keeps that app only; limit keeps the newest
    limit samples. Memory stays one sample whatever the history holds. Never writes: a
    missing file yields nothing; an unreadable or corrupt one raises OpsError (one sentence)."""
    now = now_epoch(now)
    since = -1e18 if days is None else now - float(days) * DAY
    with _read_connection(db_path) as connection:
        if connection is not None:
            yield from _stream(connection, since, app, limit)


def read(db_path=DEFAULT_DB, days=None, app=None, now=None, limit=READ_LIMIT):
    """iter_samples() as a list: at most limit samples (the newest; None = no limit)."""
    return list(iter_samples(db_path, days=days, app=app, now=now, limit=limit))
