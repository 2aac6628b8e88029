# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading PM2's daemon log (pm2.log and its rotated copies pm2.log.1, pm2.log.2.gz, ...) as
timestamped records, within a byte budget. Pure Python (no ansible import).

The app user can write PM2_HOME and root's jobs read it, so nothing here trusts the file:
- Every read has a budget, decompressed bytes included (FILE_BUDGET per file, TOTAL_BUDGET per
  run): a gzip bomb or a 1 GB line costs at most that, and the file is then said to be read
  only in part. A line longer than LINE_MAX is skipped, never held whole in memory.
- A timestamp is a claim. Bisection probes a few lines and takes their median, so a few lines
  stamped out of order (a clock that jumped, a line planted through an app name with a newline)
  do not send it past real lines; the reader never stops at such a line (pm2_log decides).
- Local-time stamps are read with the zone's rules: in a DST fall-back hour a wall-clock time
  names two instants and both readings are kept; a stamp in a spring-forward gap is read as
  mktime reads it.
A record is (latest reading, message, earliest reading, the line's text) in epoch seconds;
a line without a timestamp is (None, None, None, text).
"""

from __future__ import annotations

import calendar
import gzip
import os
import re
import time
import zlib

# pm2.log lines: "<timestamp>: PM2 <level>: <message>". The timestamp format is PM2's
# PM2_LOG_DATE_FORMAT, by default YYYY-MM-DDTHH:mm:ss in the daemon's local time. A
# fraction of a second and a UTC offset are accepted too (custom formats).
_LOG_LINE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?:\s+PM2 (?:log|error|warn|info): (?P<msg>.*)$"
)
_CHUNK = 64 * 1024
# At most this many rotated copies of pm2.log (pm2.log.1, pm2.log.2.gz, ...) are looked at.
ROTATED_MAX = 100
# A pm2.log line longer than this is skipped (PM2's own lines are a few hundred bytes).
LINE_MAX = 64 * 1024
# Bytes read from one file (after decompression) and from all of them in one run.
FILE_BUDGET = 64 * 1024 * 1024
TOTAL_BUDGET = 256 * 1024 * 1024
# A bisection probe: the median stamp of this many lines, at most PROBE_BYTES read.
_PROBE_LINES = 9
_PROBE_BYTES = 256 * 1024
_MIB = 1024 * 1024
_LINE_COST = 64
# (TZ, zone names, local minute) -> offsets; see _local_offsets
_OFFSETS = {}


class Budget(object):
    """What one run may still read of pm2.log and its copies (bytes, decompressed)."""

    def __init__(self, total=TOTAL_BUDGET, per_file=FILE_BUDGET):
        self.left = total
        self.total = total
        self.per_file = per_file


def _size(count):
    return "%d MiB" % (count // _MIB) if count >= _MIB else "%d KiB" % (count // 1024)


def _count(stats, key, amount=1):
    if stats is not None and amount:
        stats[key] = stats.get(key, 0) + amount


def _say(stats, sentence):
    if stats is not None:
        stats.setdefault("unreadable", []).append(sentence)


def _local_offsets(minute):
    """Seconds to add to the UTC reading of a local wall-clock minute (y, m, d, H, M) to get the
    instants it names under the zone's rules: one, two in a fall-back hour, or the mktime
    reading of a minute inside a spring-forward gap. Cached: glibc's mktime costs ~80 us."""
    key = (os.environ.get("TZ"), time.tzname, minute)
    found = _OFFSETS.get(key)
    if found is None:
        if len(_OFFSETS) > 4096:
            _OFFSETS.clear()
        found = _OFFSETS[key] = _compute_offsets(minute)
    return found


def _compute_offsets(minute):
    naive = calendar.timegm(minute + (0, 0, 0, 0))
    found = set()
    for is_dst in (0, 1):
        try:
            epoch = time.mktime(minute + (0, 0, 0, is_dst))
            if tuple(time.localtime(epoch)[:6]) == minute + (0,):
                found.add(epoch - naive)
        except (OverflowError, ValueError, OSError):
            continue
    if not found:
        try:
            found.add(time.mktime(minute + (0, 0, 0, -1)) - naive)
        except (OverflowError, ValueError):
            return ()
    return tuple(sorted(found))


def _readings(match):
    """(latest, earliest) epoch readings of a pm2.log timestamp (local time unless it carries an
    offset), or None when it does not name a real time (month 13, hour 25, year 0...)."""
    year, month, day = (int(part) for part in match.group("date").split("-"))
    hour, minute, second = (int(part) for part in match.group("time").split(":"))
    if not (1 <= year and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
            and hour <= 23 and minute <= 59 and second <= 61):
        return None
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) + float(match.group("frac") or 0)
    tz = match.group("tz")
    if not tz:
        offsets = _local_offsets((year, month, day, hour, minute))
        return (seconds + offsets[-1], seconds + offsets[0]) if offsets else None
    if tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 14 or minutes > 59:
            return None
        seconds -= sign * (hours * 3600 + minutes * 60)
    return seconds, seconds


def record(raw, stats=None):
    """(latest, message, earliest, text) of a pm2.log line; (None, None, None, text) for a line
    without a timestamp (a stack trace, or the rest of an app name holding a newline); a
    timestamp that does not parse is counted in stats["unparsed"] and the line has none."""
    text = raw.lstrip(b"\0").decode("utf-8", "replace").rstrip("\r\n")
    match = _LOG_LINE.match(text)
    if not match:
        return None, None, None, text
    readings = _readings(match)
    if readings is None:
        _count(stats, "unparsed")
        return None, None, None, text
    return readings[0], match.group("msg"), readings[1], text


def _lines(handle, path, budget, stats):
    """The lines of handle from its position (NUL padding dropped) until EOF or the budget ends
    (said in stats["unreadable"]). A line longer than LINE_MAX is skipped to its end and counted
    in stats["too_long"]; memory stays within two LINE_MAX whatever the file holds."""
    used = 0
    while True:
        limit = min(budget.per_file, used + budget.left)
        if used >= limit:
            if budget.left > 0:
                _say(stats, "PM2's log %s holds more than the %s read per file (decompressed), so it was read only in part "
                            "and the crashes after that are not counted." % (path, _size(budget.per_file)))
            else:
                _say(stats, "PM2's log %s was read only in part: the %s read per run from pm2.log and its copies "
                            "(decompressed) was spent, so the crashes after that are not counted." % (path, _size(budget.total)))
            return
        raw = handle.readline(LINE_MAX)
        if not raw:
            return
        # a line costs at least _LINE_COST: a file of empty lines is bounded in time too
        used += max(len(raw), _LINE_COST)
        budget.left -= max(len(raw), _LINE_COST)
        if raw.endswith(b"\n"):
            yield raw.lstrip(b"\0")
            continue
        tail, too_long = raw.lstrip(b"\0"), False
        while raw and not raw.endswith(b"\n") and used < limit:
            raw = handle.readline(LINE_MAX)
            used += len(raw)
            budget.left -= len(raw)
            if not too_long:
                tail = tail + raw if tail else raw.lstrip(b"\0")
                if len(tail) > LINE_MAX:
                    too_long, tail = True, b""
        if too_long:
            _count(stats, "too_long")
        elif tail:
            yield tail


# The end of a rotated copy probed for its last stamps (a few lines).
_TAIL_BYTES = 4096


def _probe(handle, offset):
    """A time for the lines just after byte offset: the median latest reading of the first few
    full lines (a few lines stamped out of order do not move it), None when none is stamped."""
    handle.seek(offset)
    read = 0
    if offset:
        while read < _PROBE_BYTES:  # the line cut by the seek
            raw = handle.readline(_CHUNK)
            read += len(raw)
            if not raw or raw.endswith(b"\n"):
                break
    stamps = []
    while len(stamps) < _PROBE_LINES and read < _PROBE_BYTES:
        raw = handle.readline(LINE_MAX)
        if not raw:
            break
        read += len(raw)
        found = record(raw)[0]
        if found is not None:
            stamps.append(found)
    if not stamps:
        return None
    return sorted(stamps)[len(stamps) // 2]


def _seek_before(handle, size, target):
    """Byte offset at or before the first line stamped >= target. Bisects on probes so that only
    a few KiB of a huge pm2.log are read; a probe that finds no stamp counts as late (the read
    then starts earlier, never later)."""
    low, high = 0, size
    while high - low > _CHUNK:
        middle = (low + high) // 2
        stamp = _probe(handle, middle)
        if stamp is None or stamp >= target:
            high = middle
        else:
            low = middle
    return low


def plain_records(handle, path, start, budget, stats):
    """The records of an open plain log from about the first line stamped >= start on."""
    size = os.fstat(handle.fileno()).st_size
    handle.seek(_seek_before(handle, size, start))
    for raw in _lines(handle, path, budget, stats):
        yield record(raw, stats)


def first_time(handle):
    """The probe time of the start of an open log (None when nothing in it is stamped)."""
    return _probe(handle, 0)


def _plain_is_prefix(older, current):
    """Is the rotated file a copy of the start of pm2.log (the copy was made but pm2.log was
    not truncated)? Its first and last 64 KiB are compared: timestamped lines do not repeat."""
    size = os.fstat(older.fileno()).st_size
    if not size or size > os.fstat(current.fileno()).st_size:
        return False
    for offset in sorted(set((0, max(0, size - _CHUNK)))):
        length = min(_CHUNK, size - offset)
        older.seek(offset)
        current.seek(offset)
        if older.read(length) != current.read(length):
            return False
    return True


def _gzip_is_prefix(older, current, budget):
    current.seek(0)
    total = 0
    while total < budget.per_file:
        data = older.read(_CHUNK)
        if not data:
            return total > 0
        total += len(data)
        budget.left -= len(data)
        if current.read(len(data)) != data:
            return False
    return False


def _rotated_file(base, number_):
    """(path, compressed) of pm2.log.N (delaycompress) or pm2.log.N.gz; None when neither exists."""
    for path, compressed in (("%s.%d" % (base, number_), False), ("%s.%d.gz" % (base, number_), True)):
        if os.path.lexists(path):
            return path, compressed
    return None


def newest_copy_reaches(base, start):
    """Does the newest rotated copy (pm2.log.1, kept plain by delaycompress) end at or after
    start? Then its lines belong to the window whatever pm2.log's first line claims: a single
    line stamped long ago at the head of pm2.log (a clock that was behind, or planted through
    an app name) must not make the reader skip the copy that holds the window's crashes."""
    path = "%s.1" % base
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            last = _probe(handle, max(0, size - _TAIL_BYTES))
    except OSError:
        return False
    return last is not None and last >= start


def _open(path, compressed):
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _inspect(path, compressed, current, budget):
    """(duplicate, first time) of one rotated copy; duplicate when it is a copy of the start of
    the current pm2.log (current given), whose lines are then read there once."""
    with _open(path, compressed) as handle:
        if current is not None:
            duplicate = _gzip_is_prefix(handle, current, budget) if compressed else _plain_is_prefix(handle, current)
            if duplicate:
                return True, None
        return False, first_time(handle)


def _copy_records(path, compressed, start, budget, stats):
    """The records of one rotated copy; a copy that breaks while it is read (a truncated or
    corrupt gzip) gives the records before the break and one sentence."""
    try:
        with _open(path, compressed) as handle:
            if compressed:
                for raw in _lines(handle, path, budget, stats):
                    yield record(raw, stats)
            else:
                yield from plain_records(handle, path, start, budget, stats)
    except (OSError, EOFError, zlib.error) as error:
        _say(stats, "Cannot read PM2's rotated log %s to its end (%s), so the crashes after the break are not counted." % (path, _reason(error)))


def _reason(error):
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def older_records(base, start, first, current, budget, stats):
    """Records of the rotated copies (pm2.log.1, .2.gz, ...) a window starting at start reaches,
    oldest first, streamed. The copies are looked at newest first until one starts at or before
    start, a copy is missing, or one cannot be opened (said in stats["unreadable"])."""
    copies = []
    for number_ in range(1, ROTATED_MAX + 1):
        found = _rotated_file(base, number_)
        if found is None:
            break
        path, compressed = found
        try:
            duplicate, file_first = _inspect(path, compressed, current if number_ == 1 else None, budget)
        except (OSError, EOFError, zlib.error) as error:
            _say(stats, "Cannot read PM2's rotated log %s (%s), so the crashes it holds are not counted." % (path, _reason(error)))
            break
        if not duplicate:
            copies.append(found)
            if file_first is not None:
                first = file_first
        if first is not None and first <= start:
            break
    for path, compressed in reversed(copies):
        yield from _copy_records(path, compressed, start, budget, stats)
