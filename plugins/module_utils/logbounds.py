# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The error-log scanner's bounds: decompressed bytes read, and the length of its lists.

The app user writes PM2_HOME, and root's jobs scan it: a gzip bomb among the rotated error
logs, or 100,000 log files, must cost a bounded amount of time, memory and report.
"""

from __future__ import annotations

# Decompressed bytes read from one .gz file, and from all the .gz files of one scan.
GZIP_FILE_BUDGET = 256 << 20
GZIP_TOTAL_BUDGET = 1 << 30
# The scan's result lists at most this many files (most matches first) and skipped files.
MAX_FILES = 50
MAX_SKIPPED = 50
OVER_FILE_BUDGET = ("only the first %d MiB decompressed were scanned (the budget for one compressed log); "
                    "the rest of it was skipped")
OVER_TOTAL_BUDGET = ("only %d MiB decompressed were scanned: the budget of %d MiB for all compressed logs of one scan "
                     "ran out; the rest of it was skipped")
# Which skipped entries to keep when there are too many: the ones an operator can act on first.
_ORDER = ("unreadable", "binary", "not a regular file", "missing", "older than window")


class Budget:
    """Reads through handle until limit bytes were returned; over tells whether more was left."""

    def __init__(self, handle, limit):
        self.handle, self.limit, self.left, self.over = handle, limit, limit, False

    def read(self, size):
        data = self.handle.read(min(size, self.left)) if self.left > 0 else b""
        self.left -= len(data)
        if self.left <= 0 and not self.over:
            self.over = bool(self.handle.read(1))
        return data


def gzip_reason(limit):
    """The skipped reason (one sentence) for a .gz file cut at limit decompressed bytes."""
    if limit >= GZIP_FILE_BUDGET:
        return OVER_FILE_BUDGET % (GZIP_FILE_BUDGET >> 20)
    return OVER_TOTAL_BUDGET % (limit >> 20, GZIP_TOTAL_BUDGET >> 20)


def capped(result):
    """result with files cut to the MAX_FILES with most matches (then by path) and skipped to
    MAX_SKIPPED (actionable reasons first), each followed by files_omitted / skipped_omitted."""
    files, skipped = result["files"], result["skipped"]
    result["files_omitted"] = max(0, len(files) - MAX_FILES)
    if result["files_omitted"]:
        kept = {id(entry) for entry in sorted(files, key=lambda entry: (-entry["matches"], entry["path"]))[:MAX_FILES]}
        result["files"] = [entry for entry in files if id(entry) in kept]  # still oldest first
    result["skipped_omitted"] = max(0, len(skipped) - MAX_SKIPPED)
    if result["skipped_omitted"]:
        def rank(entry):
            reason = entry["reason"]
            return _ORDER.index(reason) if reason in _ORDER else -1
        result["skipped"] = sorted(skipped, key=rank)[:MAX_SKIPPED]
    return result
