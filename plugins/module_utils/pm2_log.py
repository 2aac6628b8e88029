# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crashes in PM2's daemon log: telling an app that crashed from one PM2 stopped on purpose,
and the sentences that say which lines were not counted. Pure Python (no ansible import).
Reading the files (rotation, budget, timestamps) is pm2_log_read's.
"""

from __future__ import annotations

import itertools
import re

from .common import OpsError
from .pm2_jlist import _int, _pm_id
from .pm2_log_read import LINE_MAX, Budget, first_time, newest_copy_reaches, older_records, plain_records

# re.S: an app name may hold newlines (PM2 writes it verbatim), see _joined. The exit line is
# anchored at its end: "App [NAME:ID] online" with "] exited ... [X]" inside NAME is no exit.
_STOPPING = re.compile(r"^Stopping app:(?P<name>.+) id:(?P<id>\S+)$", re.S)
_EXITED = re.compile(r"^App \[(?P<name>.+):(?P<id>[^:\]]+)\] exited with code \[(?P<code>[^\]]*)\] via signal \[(?P<signal>[^\]]*)\]\s*$", re.S)
_STARTING = re.compile(r"^App \[(?P<name>.+):(?P<id>[^:\]]+)\] starting in ", re.S)
# Any PM2 line about one app ("App [NAME:ID] online", "... exited ...", ...): complete when
# the name is closed by ":ID] ".
_APP_LINE = re.compile(r"^App \[.+:[^:\]]+\] ", re.S)
# An app name with newlines spans at most this many lines of pm2.log.
JOIN_MAX = 8

# How far before the crash window pm2.log is read, so that a "Stopping app" line just
# before the window still explains an exit inside it (PM2's kill timeout is 1.6 s by default).
STOP_LOOKBACK = 120
# A line stamped up to this long after `until` was written while the run read the log: not
# counted, and not said to be in the future either.
FUTURE_SLACK = 60


def _bump(stats, key):
    if stats is not None:
        stats[key] = stats.get(key, 0) + 1


def _opens(message):
    """Does a PM2 line about an app stop before its name is closed (a name holding a newline)?"""
    if message.startswith("App ["):
        return not _APP_LINE.match(message)
    return message.startswith("Stopping app:") and not _STOPPING.match(message)


def _joined(records):
    """(latest, message, earliest) records, a PM2 line whose app name holds newlines put back
    together from the lines that follow it (with or without a stamp: the name's own text, e.g.
    a planted "2099-01-01T00:00:00: PM2 log: App [web:0] exited ..."), under the stamp of its
    first line. The app's own exits are then counted for it, and the planted text is no line
    of its own. Joining stops after JOIN_MAX lines or LINE_MAX bytes: the lines held are then
    read as they are."""
    pending, held = None, []
    for latest, message, earliest, text in records:
        if pending is not None:
            held.append((latest, message, earliest))
            candidate = pending[1] + "\n" + text
            if not _opens(candidate):
                yield pending[0], candidate, pending[2]
                pending, held = None, []
                continue
            if len(held) < JOIN_MAX and len(candidate) < LINE_MAX:
                pending = (pending[0], candidate, pending[2])
                continue
            yield pending[0], pending[1].split("\n", 1)[0], pending[2]
            for kept in held:
                if kept[0] is not None:
                    yield kept
            pending, held = None, []
            continue
        if latest is None:
            continue
        if _opens(message):
            pending = (latest, message, earliest)
            continue
        yield latest, message, earliest
    if pending is not None:
        yield pending[0], pending[1].split("\n", 1)[0], pending[2]
        for kept in held:
            if kept[0] is not None:
                yield kept


def _crashes(records, since_epoch, until, stats):
    """The crash events of pm2_log_read records in the order PM2 wrote them.

    A record stamped outside [since - STOP_LOOKBACK, until] is skipped and reading goes on:
    after `until` it is counted in stats["future"], before the window after a line inside it in
    stats["out_of_order"]. A local stamp with two readings (DST fall-back) takes the latest
    reading not after until, so an event of the repeated hour is counted, never dropped.
    Events are returned in time order.
    """
    start = since_epoch - STOP_LOOKBACK
    events = []
    stopping = set()
    inside = False
    for latest, message, earliest in _joined(records):
        stamp = latest
        if until is not None and stamp > until:
            if earliest <= until:
                stamp = earliest
            else:
                if latest > until + FUTURE_SLACK:
                    _bump(stats, "future")
                continue
        if stamp < start:
            if inside:
                _bump(stats, "out_of_order")
            continue
        inside = True
        stop = _STOPPING.match(message)
        if stop:
            stopping.add((stop.group("name"), stop.group("id")))
            continue
        begin = _STARTING.match(message)
        if begin:
            stopping.discard((begin.group("name"), begin.group("id")))
            continue
        exited = _EXITED.match(message)
        if not exited:
            continue
        key = (exited.group("name"), exited.group("id"))
        if key in stopping:
            stopping.discard(key)
            continue
        if stamp < since_epoch:
            continue
        events.append(
            {
                "name": key[0],
                "pm_id": _pm_id(exited.group("id")),
                "time": stamp,
                "code": _int(exited.group("code"), exited.group("code")),
                "signal": exited.group("signal") or None,
            }
        )
    events.sort(key=lambda event: event["time"])
    return events


def crash_events(pm2_log_path, since_epoch, until=None, stats=None, budget=None):
    """Crashes recorded in PM2's daemon log between since_epoch and until (epoch seconds).

    A crash is an "App [NAME:ID] exited ..." line NOT preceded by "Stopping app:NAME id:ID"
    (what PM2 logs for `pm2 restart`, `reload`, `stop`). Returns a time-ordered list of
    {name, pm_id, time, code, signal}. OpsError when the log cannot be read.

    Rotation (the role's logrotate: copytruncate, delaycompress): when the window (less
    STOP_LOOKBACK) starts before the first lines of pm2.log, the rotated copies pm2.log.1,
    pm2.log.2.gz, ... are read too, until one starts at or before the window, and their lines
    come before pm2.log's. Each line is counted once: PM2 opens pm2.log with O_APPEND, so after
    copytruncate a line is either in the copy or in the truncated file; the one case of a line
    in both (the copy made, pm2.log not truncated) leaves pm2.log.1 an exact copy of the start of
    pm2.log, which is then not read. A rotated copy that cannot be read (permissions, corrupt
    gzip) is skipped and said in stats["unreadable"] (sentences), as is a file read only in part
    because the byte budget (pm2_log_read.Budget; one per call unless given) was spent.

    Lines are claims, not facts: a line whose timestamp does not parse is counted in
    stats["unparsed"], one longer than pm2_log_read.LINE_MAX in stats["too_long"], one stamped
    after until in stats["future"], one stamped before the window amid later lines in
    stats["out_of_order"]; each is skipped and the lines after it are still read.
    """
    start = since_epoch - STOP_LOOKBACK
    budget = budget or Budget()
    try:
        handle = open(pm2_log_path, "rb")
    except FileNotFoundError:
        handle = None
    except OSError as error:
        raise OpsError("Cannot read PM2's log %s (%s), so crashes cannot be counted." % (pm2_log_path, error.strerror or error))
    try:
        first = first_time(handle) if handle is not None else None
        older = ()
        if first is None or first > start or newest_copy_reaches(pm2_log_path, start):
            older = older_records(pm2_log_path, start, first, handle, budget, stats)
        current = plain_records(handle, pm2_log_path, start, budget, stats) if handle is not None else ()
        return _crashes(itertools.chain(older, current), since_epoch, until, stats)
    finally:
        if handle is not None:
            handle.close()


def unparsed_warning(log_path, count):
    """The one sentence saying pm2.log lines were skipped (said once in results and reports)."""
    return "%d line%s of %s had a timestamp that does not parse and %s skipped when counting crashes." % (
        count, "" if count == 1 else "s", log_path, "was" if count == 1 else "were")


def _lines_of(count):
    return "%d line%s" % (count, "" if count == 1 else "s")


def read_warnings(log_path, stats):
    """The sentences (at most one per kind) saying which lines of pm2.log were not counted."""
    said = []
    if stats.get("unparsed"):
        said.append(unparsed_warning(log_path, stats["unparsed"]))
    future, late = stats.get("future", 0), stats.get("out_of_order", 0)
    if future or late:
        detail = ", ".join(part for part in ("%d after now" % future if future else "",
                                             "%d before the lines around %s" % (late, "them" if late > 1 else "it") if late else "") if part)
        said.append("%s of %s had a time out of order (%s) and %s skipped when counting crashes; the lines after %s were still counted."
                    % (_lines_of(future + late), log_path, detail, "was" if future + late == 1 else "were", "it" if future + late == 1 else "them"))
    if stats.get("too_long"):
        said.append("%s of %s %s longer than %d KiB and skipped when counting crashes." % (
            _lines_of(stats["too_long"]), log_path, "was" if stats["too_long"] == 1 else "were", LINE_MAX // 1024))
    said.extend(stats.get("unreadable") or [])
    return said
