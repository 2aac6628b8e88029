# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The weekly per-host health report (the runbook's weekly-health-report-YYYY-MM-DD.txt).

render_text() is a pure function of the data (snapshot, findings, verdict) so that the
on-host command and the controller-side filter print the same report. It never shows PM2
environment values: the snapshot carries env names only, and the report does not even
list those.

write_report() and prune() manage the report directory for the on-host command: each run
writes weekly-health-report-YYYY-MM-DD.txt and its .json twin atomically; reports whose
date is more than keep_weeks weeks old are removed.
"""

from __future__ import annotations

import json
import os
import time

from .common import OpsError, atomic_write_all, now_epoch
from .escape import LIST_LIMIT, clip, json_safe, more, names, printable, term
from .history import wow_rows
from .logscan import fold_repeats
from .common import duration as _duration
from .common import size as _size
from .report_prune import prune, prune_plan  # noqa: F401 pylint: disable=unused-import
from .version import stamped, written_by

REPORT_PREFIX = "weekly-health-report-"
MAX_LOG_LINES = 20
WIDTH = 72
# A table cell (an app name, a path) keeps this many characters; a line of the report this many.
CELL_LIMIT = 80
LINE_LIMIT = 1000


def _pct(value):
    if value is None:
        return "?"
    try:
        return "%.1f%%" % float(value)
    except (TypeError, ValueError):
        return "?"


def _num(value, fmt="%.2f"):
    if value is None:
        return "?"
    try:
        return fmt % float(value)
    except (TypeError, ValueError):
        return "?"


def _section(title):
    return ["", "== %s %s" % (title, "=" * max(3, WIDTH - len(title) - 4))]


def _capped(items):
    """The first LIST_LIMIT items, and the "and N more" line for the rest ([] when none)."""
    items = list(items or [])
    rest = more(items, LIST_LIMIT)
    return items[:LIST_LIMIT], (["    %s" % rest] if rest else [])


def _table(rows, headers):
    rows, tail = _capped(rows)
    rows = [[term(cell, CELL_LIMIT) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [headers] + rows:
        lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return lines + tail


def _error_part(part):
    return isinstance(part, dict) and part.get("error")


def _opening(title, part):
    """A section's heading, plus its only line when the part is missing or failed.

    Returns (lines, done): done is True when the section needs nothing more.
    """
    lines = _section(title)
    if part is None:
        lines.append("  not collected")
        return lines, True
    if _error_part(part):
        lines.append("  unavailable: %s" % term(part["error"]))
        return lines, True
    return lines, False


def _findings_part(findings):
    lines = _section("Findings")
    if not findings:
        lines.append("  none: every check passed")
        return lines
    shown, tail = _capped(findings)
    for finding in shown:
        lines.append("  %-8s  %s" % (term(str(finding.get("level", "?")).upper(), 10), term(finding.get("message", ""))))
    return lines + tail


def _memory_part(system):
    lines, done = _opening("Memory and swap", system)
    if done:
        return lines
    memory = system.get("memory") or {}
    swap = system.get("swap") or {}
    lines.append(
        "  Memory  %s used of %s (%s), %s available"
        % (_size(memory.get("used")), _size(memory.get("total")), _pct(memory.get("percent")), _size(memory.get("available")))
    )
    if swap.get("configured", bool(swap.get("total"))):
        lines.append("  Swap    %s used of %s (%s)" % (_size(swap.get("used")), _size(swap.get("total")), _pct(swap.get("percent"))))
    else:
        lines.append("  Swap    not configured")
    load = system.get("load") or {}
    per_core = load.get("per_core") or {}
    lines.extend(_section("Load"))
    lines.append(
        "  Load average 1/5/15 min  %s %s %s  (per core %s %s %s, %s cores)"
        % (
            _num(load.get("load1")), _num(load.get("load5")), _num(load.get("load15")),
            _num(per_core.get("load1")), _num(per_core.get("load5")), _num(per_core.get("load15")),
            system.get("cpu_count", "?"),
        )
    )
    return lines


def _disk_rows(disks):
    if isinstance(disks, dict):
        disks = disks.get("disks") or disks.get("paths") or [dict(v, path=k) for k, v in sorted(disks.items()) if isinstance(v, dict)]
    rows = []
    for disk in disks or []:
        if disk.get("error"):
            rows.append([str(disk.get("path", "?")), "-", "-", disk["error"]])
            continue
        rows.append([str(disk.get("path", "?")), _pct(disk.get("percent")), _size(disk.get("used")), _size(disk.get("total"))])
    return rows


def _disk_part(disks):
    lines, done = _opening("Disk", disks)
    if not done:
        rows = _disk_rows(disks)
        lines.extend(_table(rows, ["PATH", "USED%", "USED", "SIZE"]) if rows else ["  no paths checked"])
    return lines


def _pm2_part(pm2):
    lines, done = _opening("PM2 processes", pm2)
    if done:
        return lines
    if not pm2.get("installed", True):
        lines.append("  PM2 is not installed")
        return lines
    if not pm2.get("daemon_running", True):
        lines.append("  the PM2 daemon is not running (PM2_HOME %s)" % term(pm2.get("pm2_home", "?")))
    rows = []
    for proc in pm2.get("processes") or []:
        max_memory = proc.get("max_memory_restart")
        rows.append(
            [
                str(proc.get("name", "?")),
                str(proc.get("pm_id", "?")),
                str(proc.get("status", "?")),
                str(proc.get("restarts", "?")),
                _duration(proc.get("uptime")),
                _size(proc.get("memory")),
                _pct(proc.get("cpu")),
                _size(max_memory) if max_memory else "-",
            ]
        )
    if rows:
        lines.extend(_table(rows, ["NAME", "ID", "STATUS", "RESTARTS", "UPTIME", "MEMORY", "CPU", "MAX MEMORY"]))
    else:
        lines.append("  no processes")
    summary = pm2.get("summary") or {}
    if summary:
        lines.append(
            "  %s of %s online; crashes in the last %s: %s"
            % (
                summary.get("online", "?"),
                summary.get("total", "?"),
                _duration(summary.get("crash_window")),
                names(["%s %s" % (term(name, CELL_LIMIT), count) for name, count in sorted((summary.get("crashes") or {}).items(), key=str)])
                or "none",
            )
        )
        if summary.get("missing"):
            lines.append("  expected but missing: %s" % names([term(name, CELL_LIMIT) for name in summary["missing"]]))
    warnings, tail = _capped(pm2.get("warnings"))
    for warning in warnings:
        lines.append("  note: %s" % term(warning))
    return lines + tail


def _health_part(health):
    lines = _section("Health endpoint")
    if health is None:
        lines.append("  no health URL configured")
        return lines
    state = "healthy" if health.get("healthy") else "UNHEALTHY"
    lines.append(
        "  %s  %s  (HTTP %s, %s ms, %s attempt%s)"
        % (
            term(health.get("url", "?")), state, health.get("status") if health.get("status") is not None else "-",
            _num(health.get("latency_ms"), "%.0f"), health.get("attempts", "?"), "" if health.get("attempts") == 1 else "s",
        )
    )
    if not health.get("healthy") and health.get("message"):
        lines.append("  %s" % term(health["message"]))
    return lines


def _logs_part(logs):
    lines = _section("Error-log scan")
    if logs is None:
        lines.append("  not run")
        return lines
    if _error_part(logs):
        lines.append("  failed: %s" % term(logs["error"]))
        return lines
    files = logs.get("files") or []
    window_days = logs.get("window_days")
    if window_days is None and logs.get("window_seconds") is not None:
        window_days = float(logs["window_seconds"]) / 86400
    lines.append(
        "  %s matching line%s in %d file%s%s"
        % (
            logs.get("total", 0), "" if logs.get("total") == 1 else "s", len(files), "" if len(files) == 1 else "s",
            (" over the last %s days" % _num(window_days, "%g")) if window_days is not None else "",
        )
    )
    shown, tail = _capped(files)
    for entry in shown:
        lines.append("    %6s  %s" % (entry.get("matches", 0), term(entry.get("path", "?"))))
    lines.extend(tail)
    shown, tail = _capped(logs.get("skipped"))
    for skipped in shown:
        lines.append("    skipped %s: %s" % (term(skipped.get("path", "?")), term(skipped.get("reason", "?"))))
    lines.extend(tail)
    kept = [line if isinstance(line, str) else json.dumps(line, sort_keys=True) for line in logs.get("lines") or []]
    recent = fold_repeats(kept)[-MAX_LOG_LINES:]
    if recent:
        lines.append("  most recent (a repeated line once, with its count):" if len(recent) < len(kept) else "  most recent:")
        for entry in recent:
            lines.append("    %s%s" % (term(entry["line"], 200), "  (%d times)" % entry["count"] if entry["count"] > 1 else ""))
    return lines


def _top_part(system):
    if not isinstance(system, dict) or _error_part(system):
        return []
    lines = []
    for key, title in (("top_memory", "Top processes by memory"), ("top_cpu", "Top processes by CPU")):
        procs = system.get(key)
        if not procs:
            continue
        lines.extend(_section(title))
        rows = [
            [str(p.get("pid", "?")), str(p.get("user", "?")), _size(p.get("rss")), _pct(p.get("memory_percent")),
             _pct(p.get("cpu_percent")), str(p.get("name", "?"))]
            for p in procs
        ]
        lines.extend(_table(rows, ["PID", "USER", "RSS", "MEM%", "CPU%", "NAME"]))
    return lines


def _history_part(history):
    """Trends and week over week from history.summary() (arrows and deltas: history.wow_rows)."""
    lines = _section("History: trends and week over week")
    if not history.get("available"):
        lines.append("  %s" % term(history.get("reason") or "no history"))
        return lines
    first, last = _iso(history.get("first")), _iso(history.get("last"))
    lines.append("  %d samples from %s to %s" % (history.get("samples") or 0, first, last))
    trends, tail = _capped(history.get("trends"))
    for trend in trends:
        lines.append("  %s %s: %s" % (term(str(trend.get("level", "")).upper(), 10), term(trend.get("rule"), CELL_LIMIT), term(trend.get("message"))))
    lines.extend(tail)
    if not history.get("trends"):
        lines.append("  no memory leak suspected, no filesystem forecast to fill up")
    rows = [[r["subject"], r["figure"], r["this"], r["prev"], ("%s %s" % (r["arrow"], r["delta"])).strip()]
            for r in wow_rows(history)]
    if rows:
        lines.append("  Week over week (this week vs the previous):")
        lines.extend(_table(rows, ["SUBJECT", "FIGURE", "THIS WEEK", "PREVIOUS", "CHANGE"]))
    return lines


def _iso(epoch):
    return "?" if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def render_text(snapshot, findings, verdict, history=None):
    """The weekly report as text (a str ending in a newline); history (history.summary())
    adds its trends and week-over-week part."""
    snapshot = snapshot or {}
    findings = list(findings or [])
    title = "twzrd.ops weekly health report"
    lines = [
        title,
        "=" * len(title),
        "Host:       %s" % term(snapshot.get("host", "?")),
        "Generated:  %s" % snapshot.get("timestamp", "?"),
        "Written by: %s" % written_by(),
        "Verdict:    %s (%d finding%s)" % (str(verdict).upper(), len(findings), "" if len(findings) == 1 else "s"),
    ]
    lines.extend(_findings_part(findings))
    lines.extend(_memory_part(snapshot.get("system")))
    lines.extend(_disk_part(snapshot.get("disk")))
    lines.extend(_pm2_part(snapshot.get("pm2")))
    lines.extend(_health_part(snapshot.get("health")))
    lines.extend(_logs_part(snapshot.get("logs")))
    if history is not None:
        lines.extend(_history_part(history))
    lines.extend(_top_part(snapshot.get("system")))
    # App names, log lines, PM2 notices and health messages come from outside: each went
    # through escape.term where it was put in (one line, capped); this last pass shows any
    # control character left, so the report cannot drive the terminal it is read in.
    return "\n".join(printable(clip(line, LINE_LIMIT)) for line in lines) + "\n"


def render_json(snapshot, findings, verdict):
    """The JSON twin of the text report: {version, verdict, findings, snapshot} as indented
    JSON (version: the collection's, version.stamped)."""
    twin = json_safe(stamped({"verdict": verdict, "findings": list(findings or []), "snapshot": snapshot}))
    return json.dumps(twin, indent=2, sort_keys=True, default=str) + "\n"


def report_name(epoch, ext):
    """weekly-health-report-YYYY-MM-DD.EXT for the UTC date of epoch."""
    return "%s%s.%s" % (REPORT_PREFIX, time.strftime("%Y-%m-%d", time.gmtime(epoch)), ext)


def write_report(directory, snapshot, findings, verdict, text=None, now=None, history=None):
    """Write the text report and its JSON twin into directory, each atomically.
    Returns {"text": path, "json": path}. A later run on the same day replaces them."""
    now = now_epoch(now if now is not None else (snapshot or {}).get("epoch"))
    if text is None:
        text = render_text(snapshot, findings, verdict, history=history)
    paths = {"text": os.path.join(directory, report_name(now, "txt")), "json": os.path.join(directory, report_name(now, "json"))}
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o750)
        # Both or neither: a .txt and a .json of two different runs never sit side by side.
        atomic_write_all([(paths["json"], render_json(snapshot, findings, verdict), 0o640), (paths["text"], text, 0o640)])
    except OSError as exc:
        raise OpsError("Cannot write the report into %s (%s)." % (directory, exc.strerror or exc))
    return paths
