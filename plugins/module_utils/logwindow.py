# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The error-log scanner's time window: whether a line's leading timestamp is inside it.

Runs inside Ansible modules and on hosts without Ansible (twzrd_ops_lib): no ansible import.
"""

from __future__ import annotations

import calendar
import re
import time
from itertools import repeat
from operator import itemgetter

BACKTRACK_LINES = 50
# The most hours a block near the cutoff may span to be settled at once (block_verdict).
MAX_HOURS = 48
_FIRST_TEN = itemgetter(slice(0, 10))
_STAMP = re.compile(
    rb"\[?(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,]\d+)?\s?(Z|[+-]\d\d:?\d\d)?"
)


class Window:
    """Decides whether a line's leading timestamp falls inside the scan window.

    Timestamps are ISO 8601 ("2026-11-20T10:00:00", "2026-11-20 10:00:00.123", an optional
    Z or +01:00 zone, optionally in brackets); without a zone they are local time, as PM2
    writes them. Dates far from the cutoff are settled by comparing the date text alone.
    """

    def __init__(self, cutoff):
        self.cutoff = cutoff
        # A date written in any zone is within a day of the same instant's UTC date, so a
        # line dated after (before) the UTC date one day after (before) the cutoff is
        # settled by comparing the date text alone.
        self.low = time.strftime("%Y-%m-%d", time.gmtime(cutoff - 86400)).encode()
        self.high = time.strftime("%Y-%m-%d", time.gmtime(cutoff + 86400)).encode()
        # The same at the hour: a line whose date and hour (its first 13 bytes without the
        # separator) sort after (before) the UTC hour one day after (before) the cutoff is
        # settled from that text alone; the date rule above is the same rule at the day.
        self.low_hour = time.strftime("%Y-%m-%d%H", time.gmtime(cutoff - 86400)).encode()
        self.high_hour = time.strftime("%Y-%m-%d%H", time.gmtime(cutoff + 86400)).encode()
        self.hours = {}

    def verdicts(self, lines):
        """verdict() of each line (bytes, each a whole line). Lines of a log share a few dates:
        each distinct first ten bytes that is a date far from the cutoff (no bracket) settles
        all its lines at once; only the others are judged a line at a time."""
        dates = list(map(_FIRST_TEN, lines))
        settled = {}
        for date in set(dates):
            if date[4:5] == b"-" and date[:4].isdigit() and not self.low <= date <= self.high:
                settled[date] = date > self.high
        if not settled:
            return list(map(self.verdict, lines, repeat(0)))
        verdicts = list(map(settled.get, dates))
        if None in verdicts:
            for index in [index for index, verdict in enumerate(verdicts) if verdict is None]:
                verdicts[index] = self.verdict(lines[index], 0)
        return verdicts

    def block_verdict(self, block, lines):
        """verdicts() of every line of block (whole lines; `lines` of them) at once, when it
        is one: every line starts with the date of the block's first or last line, and both
        are dates far from the cutoff on the same side (a time-ordered log's block spans a
        date or two); or, near the cutoff, every line starts with a date and hour from the
        first line's to the last line's (at most MAX_HOURS of them), both far from the cutoff
        at the hour on the same side. Else None, and the lines are judged one by one."""
        last = block.rfind(b"\n", 0, len(block) - 1) + 1
        dates = {block[:10], block[last:last + 10]}
        sides = set()
        for date in dates:
            if date[4:5] != b"-" or not date[:4].isdigit():
                return None
            if self.low <= date <= self.high:
                return self._hour_verdict(block, last, lines)
            sides.add(date > self.high)
        if len(sides) != 1:
            return None
        # A line starts with a date where the block starts or after a newline; the date holds
        # no newline, so two such starts never overlap.
        if sum(block.startswith(date) + block.count(b"\n" + date) for date in dates) != lines:
            return None
        return sides.pop()

    def _hour_verdict(self, block, last, lines):
        """block_verdict() near the cutoff: the hours from the first line's to the last's."""
        first_hour, last_hour = _hour_start(block, 0), _hour_start(block, last)
        if first_hour is None or last_hour is None or not 0 <= last_hour - first_hour <= MAX_HOURS * 3600:
            return None
        separator = block[10:11]
        found = 0
        sides = set()
        for hour in range(first_hour, last_hour + 1, 3600):
            prefix = time.strftime("%Y-%m-%d", time.gmtime(hour)).encode() + separator + b"%02d" % time.gmtime(hour).tm_hour
            key = prefix[:10] + prefix[11:]
            if self.low_hour <= key <= self.high_hour:
                return None
            sides.add(key > self.high_hour)
            found += block.startswith(prefix) + block.count(b"\n" + prefix)
        if len(sides) != 1 or found != lines:
            return None
        return sides.pop()

    def verdict(self, chunk, start):
        """True (inside), False (older) or None (the line has no leading timestamp)."""
        offset = start + 1 if chunk[start:start + 1] == b"[" else start
        if chunk[offset + 4:offset + 5] != b"-" or not chunk[offset:offset + 4].isdigit():
            return None
        date = chunk[offset:offset + 10]
        if date > self.high:
            return True
        if date < self.low:
            return False
        if chunk[offset + 10:offset + 11] in (b"T", b" ") and chunk[offset + 11:offset + 13].isdigit():
            key = date + chunk[offset + 11:offset + 13]
            if key > self.high_hour:
                return True
            if key < self.low_hour:
                return False
        found = _STAMP.match(chunk, start, start + 48)
        if not found:
            return None
        # Epoch of the hour, cached (zone offsets and DST changes fall on whole hours or at
        # least stay put within one), plus minutes and seconds.
        key = found.group(1, 2, 3, 4, 7)
        hour = self.hours.get(key)
        if hour is None:
            hour = _hour_epoch(found)
            if hour is None:
                return None
            if len(self.hours) > 4096:
                self.hours.clear()
            self.hours[key] = hour
        return hour + int(found.group(5)) * 60 + int(found.group(6)) >= self.cutoff

    def before(self, chunk, start, inherited, lo=0):
        """Verdict of the nearest earlier timestamped line in chunk[lo:start] (stack-trace
        lines and other continuations belong to the entry above them), else inherited."""
        pos = start - 1
        for _step in range(BACKTRACK_LINES):
            if pos <= lo:
                break
            line_start = chunk.rfind(b"\n", lo, pos) + 1 or lo
            verdict = self.verdict(chunk, line_start)
            if verdict is not None:
                return verdict
            pos = line_start - 1
        return inherited


def _hour_start(block, start):
    """The hour that the line at block[start:] starts with ("YYYY-MM-DDTHH" or with a space),
    as a UTC epoch of the same clock text; None when it starts with no such text."""
    head = block[start:start + 13]
    if len(head) != 13 or head[4:5] != b"-" or head[7:8] != b"-" or head[10:11] not in (b"T", b" "):
        return None
    if not (head[:4] + head[5:7] + head[8:10] + head[11:13]).isdigit():
        return None
    try:
        return calendar.timegm((int(head[:4]), int(head[5:7]), int(head[8:10]), int(head[11:13]), 0, 0, 0, 0, 0))
    except (ValueError, OverflowError):
        return None


def _hour_epoch(found):
    """Epoch of the start of the hour a _STAMP match names (local time without a zone)."""
    year, month, day, hour = (int(found.group(i)) for i in range(1, 5))
    zone = found.group(7)
    try:
        if zone is None:
            return time.mktime((year, month, day, hour, 0, 0, 0, 0, -1))
        offset = 0
        if zone != b"Z":
            digits = zone[1:].replace(b":", b"")
            offset = int(digits[:2]) * 3600 + int(digits[2:]) * 60
            if zone[:1] == b"-":
                offset = -offset
        return calendar.timegm((year, month, day, hour, 0, 0, 0, 0, 0)) - offset
    except (ValueError, OverflowError):
        return None
