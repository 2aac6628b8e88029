# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The playbooks' "may we go on?" decisions, so that playbooks hold flow and not rules.

Each function takes the results the playbook registered from the collection's modules
(pm2_status, health_probe) and returns plain data: patch.yml's pre-check, the apps that
must come back after patch.yml's reboot and whether they are up, and the error
lines of a log excerpt (the patterns of logscan, the weekly scan's, unless the operator
sets twzrd_ops_log_patterns). Whether restarted apps came back healthy (restart.yml,
emergency-crashloop.yml's "did the app stay up") is restart_check.came_back. Reached
through the filters of plugins/filter/gates.py.
Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

from .logscan import DEFAULT_PATTERNS, Matcher
from .restart_check import came_back


def _summary(pm2_result):
    """The summary of a registered pm2_status result, or None when PM2 could not be read."""
    summary = (pm2_result or {}).get("summary")
    return summary if isinstance(summary, dict) else None


def _pm2_error(pm2_result):
    return (pm2_result or {}).get("msg") or "PM2 could not be read"


def apps_down(pm2_result, expected):
    """Which of the expected apps are not up: {"up": bool, "down": [names], "error": sentence|None}.

    An expected app is down when PM2 does not know it (missing) or when any of its processes
    is not online. When PM2 could not be read nothing is up and error says why.
    """
    summary = _summary(pm2_result)
    if summary is None:
        return {"up": False, "down": list(expected or []), "error": _pm2_error(pm2_result)}
    missing = list(summary.get("missing") or [])
    not_online = [name for name in summary.get("not_online") or [] if name in (expected or [])]
    down = missing + [name for name in not_online if name not in missing]
    return {"up": not down, "down": down, "error": None}


def patch_precheck(pm2_result, probe_result, expected_apps):
    """patch.yml's pre-check: {"problems": [sentences], "expected": [app names]}.

    A host is patched only when PM2 answers, every expected app exists and is online and the
    health probe (when one ran) is healthy. expected is what to wait for after the reboot
    (expected_online).
    """
    problems = []
    summary = _summary(pm2_result)
    if summary is None:
        problems.append(_pm2_error(pm2_result))
    else:
        if summary.get("missing"):
            problems.append("expected apps missing: " + ", ".join(summary["missing"]))
        not_online = [name for name in summary.get("not_online") or [] if name in (expected_apps or [])]
        if not_online:
            problems.append("expected apps not online: " + ", ".join(not_online))
    probe = probe_result or {}
    if "healthy" in probe and not probe["healthy"]:
        problems.append("health probe: %s" % (probe.get("message") or probe.get("reason")))
    return {"problems": problems, "expected": expected_online(pm2_result, expected_apps)}


def expected_online(pm2_result, expected_apps):
    """The apps that must be online after a restart or a reboot: the expected apps, or when
    none are configured the apps online in pm2_result (read before), each name once."""
    if expected_apps:
        names = list(expected_apps)
    else:
        names = [p["name"] for p in (pm2_result or {}).get("processes") or [] if p.get("status") == "online"]
    unique = []
    for name in names:
        if name not in unique:
            unique.append(name)
    return unique


def stayed_up(watched, started, app):
    """emergency-crashloop.yml's recover verdict, the restart rule of restart_check.came_back:
    True when app is online after the watch period, with no crash in PM2's log (watched is
    read with a crash window since the restart) and no restart since it was read right after
    its restart."""
    crashes = (_summary(watched) or {}).get("crashes") or {}
    return came_back(started, watched, crashes=crashes, expected=[app], restarted=[app])["healthy"]


def error_lines(lines, patterns=None):
    """The lines that match any of patterns (case-insensitive regular expressions or
    keywords); no patterns means logscan.DEFAULT_PATTERNS, the weekly scan's."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    lines = [str(line) for line in lines or []]
    if not lines:
        return []
    matcher = Matcher(list(patterns) if patterns else list(DEFAULT_PATTERNS))
    chunk = ("\n".join(line.replace("\n", " ") for line in lines) + "\n").encode("utf-8", "replace")
    ends = set(matcher.line_ends(chunk, 0, len(chunk)))
    found, position = [], 0
    for line in lines:
        position += len((line.replace("\n", " ")).encode("utf-8", "replace")) + 1
        if position - 1 in ends:
            found.append(line)
    return found
