# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The error-log scanner's pre-filter: grep drops the lines that cannot match.

For plain keywords (logscan.Matcher.keywords: ASCII, no regular-expression syntax),
`LC_ALL=C grep -a -i -E 'k1|k2'` keeps exactly the lines holding a keyword with ASCII
letters folded, which is what the one definition (Matcher.line_matches) asks. grep only
drops lines: every line it keeps is judged again here (judge()), so a grep that kept too
much changes nothing, and one that fails, runs out of its memory or time, or is missing
makes the scan fall back to reading the file itself (logscan does that on PrefilterFailed).

grep runs with a memory limit (a line of 1 GiB without a newline would otherwise be held
whole by it) and a deadline; `wc -l` counts the file's lines (lines_read).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from itertools import compress, repeat
from operator import contains, not_

# Files smaller than this are read in Python: starting grep costs more than it saves.
MIN_BYTES = 8 << 20
GREP_MEMORY = 256 << 20
GREP_SECONDS = 120.0
_ENV = {"LC_ALL": "C", "PATH": "/usr/bin:/bin"}


class PrefilterFailed(Exception):
    """grep or wc could not do their part; the caller reads the file itself."""


def available():
    """Whether grep and wc are on this host."""
    return bool(shutil.which("grep", path=_ENV["PATH"]) and shutil.which("wc", path=_ENV["PATH"]))


class Survivors:
    """grep over an open file (its own descriptor, read from offset 0): read() gives the
    lines it kept, a block at a time; close() says whether it finished cleanly."""

    def __init__(self, path, keywords):
        self.deadline = time.monotonic() + GREP_SECONDS
        pattern = b"|".join(keywords)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOCTTY)
        except OSError as err:
            raise PrefilterFailed(str(err))
        try:
            # The limits are set by sh, not a preexec_fn (unsafe when other threads run).
            limits = 'ulimit -v %d && ulimit -c 0 && exec "$0" "$@"' % (GREP_MEMORY >> 10)
            self.proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
                [shutil.which("sh", path=_ENV["PATH"]) or "/bin/sh", "-c", limits,
                 shutil.which("grep", path=_ENV["PATH"]), "-a", "-i", "-E", "-e", pattern],
                stdin=fd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_ENV,
            )
        except OSError as err:
            raise PrefilterFailed(str(err))
        finally:
            os.close(fd)

    def read(self, size):
        if time.monotonic() > self.deadline:
            self.close()
            raise PrefilterFailed("grep took longer than %d s" % GREP_SECONDS)
        return self.proc.stdout.read(size)

    def close(self):
        """Wait for grep; PrefilterFailed unless it exited 0 (lines kept) or 1 (none)."""
        if self.proc.poll() is None and time.monotonic() > self.deadline:
            self.proc.kill()
        self.proc.stdout.close()
        try:
            code = self.proc.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if code not in (0, 1):
            raise PrefilterFailed("grep exited with %s" % code)


def count_lines(path):
    """The file's lines as the scanner counts them: its newlines, plus one for a last
    line without one."""
    try:
        with open(path, "rb") as handle:
            done = subprocess.run(  # pylint: disable=ansible-bad-function
                [shutil.which("wc", path=_ENV["PATH"]), "-l"], stdin=handle, capture_output=True, env=_ENV,
                timeout=GREP_SECONDS, check=False,
            )
            size = os.fstat(handle.fileno()).st_size
            last = os.pread(handle.fileno(), 1, size - 1) if size else b"\n"
        if done.returncode != 0:
            raise PrefilterFailed("wc exited with %s" % done.returncode)
        return int(done.stdout.split()[0]) + (last != b"\n")
    except (OSError, ValueError, IndexError, subprocess.SubprocessError) as err:
        raise PrefilterFailed(str(err))


# A marker byte that no folded text holds (bytes.lower leaves no upper-case ASCII letter), and
# every other byte but the newline, which Counter deletes to count marked lines.
_MARK = b"A"
_NOT_MARK_OR_NEWLINE = bytes(range(256)).translate(None, _MARK + b"\n")


class Counter:
    """Counts the lines of blocks that hold a keyword once folded, without cutting the block
    into lines: what Matcher.line_matches says of each line, in whole-block C passes.

    Each keyword found in the folded block is overwritten by markers of the same length (a
    keyword overlapping a marked one lies in a line already marked), then all but markers and
    newlines are deleted: a line holds a keyword when its remainder ends in a marker. The
    keywords that marked lines in earlier blocks are applied first, together (a log's lines
    repeat a few messages); the others only while some line is still unmarked, one at a
    time. A block of grep's kept lines so usually costs one pass per keyword it needs and one
    deletion pass, not one pass per keyword.
    """

    def __init__(self, keywords):
        self.keywords = list(keywords)
        self.first = []  # the keywords that marked lines so far, in the order they did

    def count(self, block):
        """(lines, lines holding a keyword) of block (whole lines, each ending in a newline)."""
        marked = block.lower()
        for keyword in self.first:
            marked = marked.replace(keyword, _MARK * len(keyword))
        marks = marked.translate(None, _NOT_MARK_OR_NEWLINE)
        lines = marks.count(b"\n")
        hits = marks.count(_MARK + b"\n")
        for keyword in self.keywords:
            if hits == lines:
                break
            if keyword in self.first:
                continue
            marked = marked.replace(keyword, _MARK * len(keyword))
            found = marked.translate(None, _NOT_MARK_OR_NEWLINE).count(_MARK + b"\n")
            if found > hits:
                self.first.append(keyword)
            hits = found
        return lines, hits


def last_matching(block, wanted, line_matches):
    """The last `wanted` lines of block (whole lines) for which line_matches is true, oldest
    first; block must hold at least that many."""
    found = []
    end = len(block) - 1
    while len(found) < wanted and end >= 0:
        start = block.rfind(b"\n", 0, end) + 1
        line = block[start:end]
        if line_matches(line):
            found.append(line)
        end = start - 1
    found.reverse()
    return found


def judge(block, keywords):
    """The lines of block (whole lines, each ending in a newline) that hold a keyword once
    folded (bytes.lower folds the ASCII letters, as re.IGNORECASE does for bytes): what
    Matcher.line_matches says of each. Returns (number of lines, matching lines or None
    when all of them match); the lines are cut from block itself, not its folded copy.
    """
    folded = block.lower().split(b"\n")
    folded.pop()
    rest = folded
    for keyword in keywords:
        if not rest:
            break
        rest = list(compress(rest, map(not_, map(contains, rest, repeat(keyword)))))
    if not rest:
        return len(folded), None
    lines = block.split(b"\n")
    return len(folded), [line for line, low in zip(lines, folded) if any(k in low for k in keywords)]
