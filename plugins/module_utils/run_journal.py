# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The last run of each job of the on-host command: "did the cron jobs run, and what did
they do?" (`twzrd-ops status`).

One small JSON file next to the alert state (runs.json, mode 0600, versioned), one entry per
command (health, alerts, restart): when it started and ended, its exit code and a one-line
summary. Written atomically at the end of every run; never fatal (a journal that cannot be
written is said, the run's own result stands).
"""

from __future__ import annotations

import errno
import json
import os

from . import jsondoc
from .common import OpsError, atomic_write, duration, iso_time, printable, read_nofollow

JOURNAL_VERSION = 1
JOBS = ("health", "alerts", "restart")
LIMIT = 64 * 1024
EXIT_WORDS = {0: "ok", 1: "warning", 2: "critical", 3: "unknown"}


def path_for(state_file):
    return os.path.join(os.path.dirname(state_file), "runs.json")


def read(path):
    """{job: entry} of the journal at path; {} when there is none or it is not ours."""
    try:
        raw = read_nofollow(path, LIMIT + 1)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return {}
        raise OpsError("Cannot read the run journal %s (%s)." % (path, exc.strerror or exc))
    try:
        data = jsondoc.loads(raw.decode("utf-8")) if len(raw) <= LIMIT else None
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or data.get("version") != JOURNAL_VERSION or not isinstance(data.get("jobs"), dict):
        return {}
    return {job: entry for job, entry in data["jobs"].items() if job in JOBS and isinstance(entry, dict)}


def entry(started, ended, code, summary):
    """One job's record (pure)."""
    return {"started": started, "ended": ended, "exit_code": code, "result": EXIT_WORDS.get(code, "unknown"),
            "summary": printable(" ".join(str(summary or "").split()))[:300]}


def record(path, job, record_):
    """Put record_ as job's last run; returns None or the sentence saying why it was not kept."""
    try:
        jobs = read(path)
        jobs[job] = record_
        # The state directory, as the alert run makes it (a host whose first job is health).
        os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o750, exist_ok=True)
        atomic_write(path, json.dumps({"version": JOURNAL_VERSION, "jobs": jobs}, sort_keys=True, indent=1), mode=0o600)
    except (OpsError, OSError) as exc:
        return "The run was not recorded in %s (%s)." % (path, getattr(exc, "strerror", None) or exc)
    return None


def describe(job, item, now):
    """One line of `twzrd-ops status` for a job's last run."""
    if not item:
        return "%-8s never ran on this host (or before this release)" % job
    when = item.get("ended") or item.get("started")
    age = "" if not isinstance(when, (int, float)) else " (%s ago)" % duration(max(0, now - when))
    return "%-8s %s%s exit %s %s: %s" % (job, iso_time(when) if isinstance(when, (int, float)) else "?", age,
                                         item.get("exit_code"), str(item.get("result", "?")).upper(), item.get("summary", ""))
