# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the emergency flows' incident summaries show: the busiest processes by the PM2 app
they run (PM2 titles every app `node /home/USER/...`, which names nothing), and the log lines
they read with repeats folded the weekly report's way (logscan.fold_repeats: one rule, one place)."""

from __future__ import annotations

from .escape import TERM_LIMIT, clip, valid
from .logscan import DEFAULT_PATTERNS, Matcher, fold_repeats

# How a folded line shows its count: the weekly report's form (report.py's "most recent").
REPEAT = "  (%d times)"


def name_apps(rows, processes):
    """The top-process rows (swap_usage's top_memory / top_cpu), each with `app`: the PM2 app
    whose pid it is, or None; processes is pm2_status's list (name, pid). A name Linux cut to
    its 15 characters (`node /home/app/`, `PM2 v7.0.4: God`, `ansible-playboo`) is told in full
    from the row's (secret-masked) command line: see full_name."""
    apps = {}
    for proc in processes or []:
        pid = proc.get("pid") if isinstance(proc, dict) else None
        if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
            apps[pid] = proc.get("name")
    return [dict(row, app=apps.get(row.get("pid")), name=full_name(row)) for row in rows or [] if isinstance(row, dict)]


# Linux keeps a process's name (comm, what psutil's name() reads) to 15 characters.
COMM_LENGTH = 15


def full_name(row):
    """The row's name, or when Linux cut it (15 characters) what it was cut from: the command
    line a process title was written over (PM2's apps and daemon: `node /home/app/server.js`),
    else the command line's word it begins (`ansible-playbook`); the name itself when the
    command line says nothing more (none, or hidden)."""
    name = row.get("name")
    cmdline = row.get("cmdline")
    if not isinstance(name, str) or len(name) != COMM_LENGTH or not isinstance(cmdline, str):
        return name
    if cmdline.startswith(name):
        return cmdline
    for word in cmdline.split():
        base = word.rsplit("/", 1)[-1]
        if base.startswith(name):
            return base
    return name


def folded_lines(lines, limit=TERM_LIMIT, errors=False, patterns=None):
    """The lines of a log excerpt (a list, or one text) for an incident summary, repeats folded
    by logscan.fold_repeats (equal but for a leading time stamp or PM2 prefix: the latest kept
    once, newest last) with REPEAT's count after it. A folded line is cut (escape.clip) so that
    with its count it stays within limit characters: the summary's terminal cap (escape.term,
    limit) then never cuts the count, and escapes the line as it escaped the unfolded one; a
    line seen once is returned as it came.

    errors: keep only the error lines first (patterns, or logscan.DEFAULT_PATTERNS: what
    gates.error_lines keeps), and keep every folded line an error line, so a template that
    filters them again keeps them all; where the count or the cut would lose the match (a
    pattern anchored at the end, a match past the cut) that message stays unfolded, as before."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    lines = [str(line) for line in lines or []]
    matcher = Matcher(list(patterns) if patterns else list(DEFAULT_PATTERNS)) if errors else None
    if matcher is not None:
        lines = [line for line in lines if _matches(matcher, line)]
    shown = []
    for entry in fold_repeats(lines):
        line, count = entry["line"], entry["count"]
        if count == 1:
            shown.append(line)
            continue
        suffix = REPEAT % count
        text = clip(valid(line), max(int(limit) - len(suffix), 1)) + suffix
        if matcher is None or _matches(matcher, text):
            shown.append(text)
        else:
            shown.extend([line] * count)
    return shown


def folded_results(registered, limit=TERM_LIMIT, errors=False, patterns=None):
    """A looped command's registered result (the emergency flows' `tail -n 100` of each log)
    with each item's stdout_lines through folded_lines; anything else kept as it is."""
    if not isinstance(registered, dict) or not isinstance(registered.get("results"), list):
        return registered
    results = []
    for result in registered["results"]:
        if isinstance(result, dict) and isinstance(result.get("stdout_lines"), list):
            result = dict(result, stdout_lines=folded_lines(result["stdout_lines"], limit, errors, patterns))
        results.append(result)
    return dict(registered, results=results)


def _matches(matcher, line):
    return matcher.line_matches(line.replace("\n", " ").encode("utf-8", "replace"))
