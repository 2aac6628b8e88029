# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Streaming error-log scanner: the runbook's "error log scan (last 7 days)".

Files are read in binary, a chunk at a time, so memory stays flat whatever their size.
Plain keywords (the default patterns) are found with bytes.find on a lowered copy of the
whole chunk, one C-speed pass per keyword; other patterns are joined into one
case-insensitive regular expression. Both give the lines the per-line regular expression
(Matcher.line_matches, the one definition) would. Only matching lines are cut out, decoded
(invalid UTF-8 replaced) and length-bounded; without a time window only the last few are.
Files of logfilter.MIN_BYTES and more with plain keywords are first thinned out by grep
(logfilter.py), whose kept lines are judged again here. Reads are bounded (logbounds.py):
decompressed bytes of .gz files, and the length of the result's lists. fold_repeats folds
repeated lines for summaries. Runs inside Ansible modules and on hosts (no ansible import)."""

from __future__ import annotations

import collections
import glob
import gzip
import os
import re
import stat
import zlib
from itertools import compress

from . import logfilter
from .common import OpsError, now_epoch, number, printable
from .logbounds import GZIP_FILE_BUDGET, GZIP_TOTAL_BUDGET, Budget, capped, gzip_reason
from .logwindow import Window

DEFAULT_PATTERNS = ("ERROR", "FATAL", "Exception", "Unhandled", "ECONNREFUSED", "ETIMEDOUT")
DEFAULT_WINDOW = 7 * 86400
CHUNK_SIZE = 1 << 20
# A line with no newline within this many bytes is judged on its first LONG_LINE bytes and
# the rest of it is skipped, so one endless line cannot make memory grow.
LONG_LINE = 1 << 20
TRUNCATED = "\u2026"

_REGEX_SYNTAX = set(".^$*+?{}[]\\|()")
_LINE_PREFIX = re.compile(  # a leading time stamp or PM2 "ID|app |": lines equal but for it repeat one message
    r"^\s*(?:\d+\|[^|]*\|\s*)?\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\]?[\s:|-]*")
_PM2_ERROR_LOG = re.compile(r".-error(?:-\d+)?(?:__[\w.-]+?)?\.log(?:\.\d+)?(?:\.gz)?$")


def resolve_pm2_home(pm2_home=""):
    """pm2_home when given, else $PM2_HOME, else ~/.pm2 of the current user."""
    return pm2_home or os.environ.get("PM2_HOME") or os.path.join(os.path.expanduser("~"), ".pm2")


def pm2_error_logs(pm2_home=""):
    """The PM2 error logs under PM2_HOME/logs, rotated ones included, sorted.

    Matches APP-error.log, cluster APP-error-N.log, pm2-logrotate's APP-error__DATE.log and
    logrotate's APP-error.log.1 / .2.gz. pm2_home defaults to $PM2_HOME, then ~/.pm2.
    """
    logs = os.path.join(resolve_pm2_home(pm2_home), "logs")
    try:
        names = os.listdir(logs)
    except OSError:
        return []
    return sorted(os.path.join(logs, name) for name in names if _PM2_ERROR_LOG.search(name))


class Matcher:
    """Finds the lines of a chunk (bytes ending in a newline) that match any pattern.

    What counts as a matching line is line_matches(): the patterns as one case-insensitive
    regular expression (ASCII letters fold, as re does for bytes) searched in the line.
    line_ends() finds the same lines a chunk at a time: all-ASCII plain keywords with
    bytes.find on chunk.lower() (bytes.lower folds exactly the ASCII letters; measured
    faster than a translate() that also folds other bytes), anything else with the combined
    regular expression. tests/unit/test_logscan.py holds the two to each other.
    """

    def __init__(self, patterns):
        if not isinstance(patterns, (list, tuple)) or not all(isinstance(p, str) and p for p in patterns):
            raise OpsError("Patterns must be a list of non-empty strings.")
        for pattern in patterns:
            try:
                re.compile(pattern.encode("utf-8"), re.IGNORECASE)
            except re.error as err:
                raise OpsError("Pattern %r is not a valid regular expression: %s." % (pattern, err))
        try:
            self.regex = re.compile(
                b"|".join(b"(?:" + p.encode("utf-8") + b")" for p in patterns), re.IGNORECASE | re.MULTILINE
            )
        except re.error as err:
            raise OpsError("The patterns cannot be combined into one regular expression: %s." % err)
        plain = all(p.isascii() and "\n" not in p and not _REGEX_SYNTAX.intersection(p) for p in patterns)
        self.keywords = None
        if plain:
            keywords = sorted({p.lower().encode("ascii") for p in patterns}, key=len)
            # A keyword containing another adds nothing: every line it finds, the shorter finds.
            self.keywords = [k for i, k in enumerate(keywords) if not any(s in k for s in keywords[:i])]

    def line_matches(self, line):
        """The definition: whether one line (without its newline) matches any pattern."""
        return self.regex.search(line) is not None

    def line_ends(self, chunk, lo, hi):
        """Positions of the newline ending each matching line of chunk[lo:hi], ascending.

        chunk[lo:hi] holds whole lines (hi is just past a newline); bounds instead of a
        slice spare a copy of the chunk.
        """
        ends = set()
        add = ends.add
        if self.keywords is not None:
            find = chunk.lower().find
            for keyword in self.keywords:
                pos = find(keyword, lo, hi)
                while pos >= 0:
                    end = find(b"\n", pos, hi)
                    add(end)
                    pos = find(keyword, end, hi)
        else:
            # A hit in the chunk only points at a line: the line is then judged on its own
            # (a pattern such as ERROR\s+FATAL or one with a lookahead can match across a
            # newline in the chunk, never within one line).
            search = self.regex.search
            find, rfind = chunk.find, chunk.rfind
            found = search(chunk, lo, hi)
            while found:
                end = find(b"\n", found.start(), hi)
                if search(chunk[rfind(b"\n", lo, found.start()) + 1 or lo:end]):
                    add(end)
                found = search(chunk, end + 1, hi)
        return sorted(ends)


def _text(line, limit):
    """A matching line as bounded text; control characters (terminal escapes) escaped."""
    line = line.rstrip(b"\r")
    text = line[: limit * 4].decode("utf-8", "replace")
    if len(text) > limit or len(line) > limit * 4:
        return printable(text[:limit]) + TRUNCATED
    return printable(text)


class _FileScan:
    """One file's scan: matching lines counted, the last ones kept, lines read."""

    def __init__(self, matcher, window, max_lines, max_line_length):
        self.matcher = matcher
        self.window = window
        self.max_line_length = max_line_length
        self.matches = 0
        self.lines_read = 0
        self.tail = collections.deque(maxlen=max_lines)
        # Whether the last timestamped line seen so far was inside the window; a file
        # that starts with undated lines was modified inside it (else it was skipped).
        self.in_window = True
        # True while lines() is fed grep's survivors (logfilter) instead of the file.
        self.survivors = False
        self.counter = logfilter.Counter(matcher.keywords or ())

    def lines(self, chunk, lo=0, hi=None):
        """Scan the whole lines of chunk[lo:hi] (hi just past a newline)."""
        if hi is None:
            hi = len(chunk)
        if self.survivors:
            self._survivors(chunk if lo == 0 and hi == len(chunk) else chunk[lo:hi])
            return
        self.lines_read += chunk.count(b"\n", lo, hi)
        window = self.window
        rfind = chunk.rfind
        ends = self.matcher.line_ends(chunk, lo, hi)
        if window is None:
            # Every matching line counts: only the last few are cut out.
            self.matches += len(ends)
            if self.tail.maxlen:
                for end in ends[-self.tail.maxlen:]:
                    start = rfind(b"\n", lo, end) + 1 or lo
                    self.tail.append(_text(chunk[start:end], self.max_line_length))
            return
        kept = []
        for end in ends:
            start = rfind(b"\n", lo, end) + 1 or lo
            verdict = window.verdict(chunk, start)
            if verdict is None:
                verdict = window.before(chunk, start, self.in_window, lo)
            if not verdict:
                continue
            kept.append((start, end))
        self.matches += len(kept)
        if self.tail.maxlen:
            for start, end in kept[-self.tail.maxlen:]:
                self.tail.append(_text(chunk[start:end], self.max_line_length))
        self.in_window = window.before(chunk, hi, self.in_window, lo)

    def _survivors(self, block):
        """Judge lines grep kept (whole lines); lines_read comes from the file (wc)."""
        keep = self.tail.maxlen
        # Counted in whole-block passes; without a window, or when it settles the whole block,
        # only the lines shown are cut out, each judged by the definition itself.
        lines, hits = self.counter.count(block)
        inside = True if self.window is None else self.window.block_verdict(block, lines)
        if inside is not None:
            self.matches += hits if inside else 0
            matched = logfilter.last_matching(block, min(keep or 0, hits) if inside else 0, self.matcher.line_matches)
        else:
            _count, matched = logfilter.judge(block, self.matcher.keywords)
            if matched is None:
                matched = block.split(b"\n")[:-1]
            verdicts = self.window.verdicts(matched)
            if None in verdicts:
                # An undated line inherits the verdict of the lines above it, which grep dropped.
                raise logfilter.PrefilterFailed("a matching line without a timestamp")
            matched = list(compress(matched, verdicts))
            self.matches += len(matched)
        for line in matched[-keep:] if keep else ():
            self.tail.append(_text(line, self.max_line_length))

    def stream(self, handle, first):
        """Feed the file through lines(); first is the block already read (binary check).

        A line split across two reads is joined and scanned on its own, so the bulk of
        each block is scanned in place without copying it.
        """
        carry = b""
        skipping = False
        data = first
        while data:
            lo = 0
            if skipping or carry:
                newline = data.find(b"\n")
                if newline < 0:
                    if not skipping:
                        carry += data
                        if len(carry) >= LONG_LINE:
                            self.lines(carry[:LONG_LINE] + b"\n")
                            carry, skipping = b"", True
                    data = handle.read(CHUNK_SIZE)
                    continue
                if not skipping:
                    self.lines(carry + data[: newline + 1])
                carry, skipping = b"", False
                lo = newline + 1
            hi = data.rfind(b"\n") + 1
            if hi > lo:
                self.lines(data, lo, hi)
            else:
                hi = lo
            carry = data[hi:]
            if len(carry) >= LONG_LINE:
                self.lines(carry[:LONG_LINE] + b"\n")
                carry, skipping = b"", True
            data = handle.read(CHUNK_SIZE)
        if carry and not skipping:
            self.lines(carry + b"\n")


def _expand(paths):
    """(existing or unreadable paths, skipped entries for patterns/paths with no file)."""
    found, skipped = [], []
    for entry in paths:
        if not isinstance(entry, str) or not entry:
            raise OpsError("Log paths must be non-empty strings (got %r)." % (entry,))
        entry = os.path.expanduser(entry)
        if glob.has_magic(entry):
            names = sorted(glob.glob(entry))
            if not names:
                skipped.append({"path": entry, "reason": "missing"})
            found.extend(names)
        else:
            found.append(entry)
    return found, skipped


def _check_int(name, value, lowest):
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        raise OpsError("%s must be a whole number not below %d (got %r)." % (name, lowest, value))


def scan(paths, patterns=None, window_seconds=DEFAULT_WINDOW, max_lines=50, max_line_length=500, now=None):
    """Scan log files (paths or globs) for lines matching patterns within a time window.

    patterns: regular expressions matched case-insensitively (ASCII letters); None or
    empty means DEFAULT_PATTERNS. window_seconds: files last modified before now minus the
    window are skipped, and lines starting with an older timestamp are not counted; None or
    0 scans everything. Gzipped files (.gz) are read through gzip.

    Returns {total, files: [{path, matches, lines_read}], lines: [the last max_lines
    matching lines, oldest first, each cut to max_line_length characters],
    skipped: [{path, reason}]} where reason is "missing", "unreadable" (with a detail),
    "binary", "not a regular file" or "older than window", or a sentence for a .gz file cut
    at its decompression budget. Files are read oldest first. files and skipped are capped
    (logbounds.capped), with files_omitted and skipped_omitted counting what was left out.
    """
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, (list, tuple)):
        raise OpsError("Log paths must be a list of files or glob patterns.")
    matcher = Matcher(list(patterns) if patterns else list(DEFAULT_PATTERNS))
    _check_int("max_lines", max_lines, 0)
    _check_int("max_line_length", max_line_length, 1)
    if window_seconds is not None:
        number("window_seconds", window_seconds, what="Scan setting")  # NaN would hide every line
    if window_seconds is not None and (isinstance(window_seconds, bool) or not isinstance(window_seconds, (int, float)) or window_seconds < 0):
        raise OpsError("The scan window must be a number of seconds not below 0 (got %r)." % (window_seconds,))
    window = Window(now_epoch(now) - window_seconds) if window_seconds else None

    candidates, skipped = _expand(paths)
    files = []
    seen = set()
    for path in candidates:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            skipped.append({"path": path, "reason": "missing"})
            continue
        except OSError as err:
            skipped.append({"path": path, "reason": "unreadable", "detail": err.strerror or str(err)})
            continue
        if (info.st_dev, info.st_ino) in seen:  # one file through two globs or links
            continue
        seen.add((info.st_dev, info.st_ino))
        if not stat.S_ISREG(info.st_mode):
            # Never opened: reading a FIFO would block, a device could be anything.
            skipped.append({"path": path, "reason": "not a regular file"})
        elif window is not None and info.st_mtime < window.cutoff:
            skipped.append({"path": path, "reason": "older than window"})
        else:
            files.append((info.st_mtime, path, info.st_size))

    result_files = []
    lines = collections.deque(maxlen=max_lines)
    total = 0
    budget = [GZIP_TOTAL_BUDGET]  # decompressed bytes left for the .gz files of this scan
    for _mtime, path, size in sorted(files):
        try:
            state = _scan_file(path, size, budget, skipped, lambda: _FileScan(matcher, window, max_lines, max_line_length))
        except (OSError, EOFError, zlib.error) as err:
            detail = getattr(err, "strerror", None) or str(err) or type(err).__name__
            skipped.append({"path": path, "reason": "unreadable", "detail": detail})
            continue
        if state is None:
            continue
        total += state.matches
        lines.extend(state.tail)
        result_files.append({"path": path, "matches": state.matches, "lines_read": state.lines_read})
    return capped({"total": total, "files": result_files, "lines": list(lines), "skipped": skipped})


def _scan_file(path, size, budget, skipped, new_state):
    """One file's _FileScan, or None when it was skipped (said in skipped)."""
    state = new_state()
    if path.endswith(".gz"):
        if budget[0] <= 0:
            skipped.append({"path": path, "reason": gzip_reason(0)})
            return None
        limit = min(GZIP_FILE_BUDGET, budget[0])
        with gzip.open(path, "rb") as handle:
            reader = Budget(handle, limit)
            first = reader.read(CHUNK_SIZE)
            if b"\0" in first:
                skipped.append({"path": path, "reason": "binary"})
                return None
            state.stream(reader, first)
        budget[0] -= limit - reader.left
        if reader.over:
            skipped.append({"path": path, "reason": gzip_reason(limit)})
        return state
    with open(path, "rb") as handle:
        first = handle.read(CHUNK_SIZE)
        if b"\0" in first:
            skipped.append({"path": path, "reason": "binary"})
            return None
        if state.matcher.keywords is not None and size >= logfilter.MIN_BYTES and logfilter.available():
            try:
                return _prefiltered(path, new_state())
            except logfilter.PrefilterFailed:
                pass  # read the file here instead
        state.stream(handle, first)
    return state


def _prefiltered(path, state):
    """The file's scan over the lines grep kept (logfilter); PrefilterFailed if grep could
    not do it, then the caller reads the file itself."""
    state.survivors = True
    survivors = logfilter.Survivors(path, state.matcher.keywords)
    try:
        state.stream(survivors, survivors.read(CHUNK_SIZE))
    finally:
        survivors.close()
    state.lines_read = logfilter.count_lines(path)
    return state


def fold_repeats(lines):
    """[{"line": latest occurrence, "count": n}] per message (equal but for _LINE_PREFIX), newest last."""
    latest, counts = {}, {}
    for line in (str(item) for item in lines or []):
        key = _LINE_PREFIX.sub("", line, count=1).strip()
        counts[key], latest[key] = counts.pop(key, 0) + 1, line
    return [{"line": latest[key], "count": count} for key, count in counts.items()]
