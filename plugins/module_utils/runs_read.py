# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The read-only run kinds of runs.py, without the alert engine: weekly and status.

  weekly   twzrd-ops health, module host_check kind health (weekly-health.yml)
  status   module host_check kind status (status.yml): the same verdict, no report

They read one snapshot, decide with checks.evaluate and (weekly) write the per-host report;
neither touches the alert state. Kept apart from the hourly run so that what host_check
imports, and so ships in its AnsiballZ payload, is only what a health check needs (issue 23).
runs.py re-exports both: runs.weekly / runs.status are these functions.
"""

from __future__ import annotations

import os

from . import checks, history, report
from .common import OpsError, exit_code


def status(cfg, runner, now=None):
    """The quick look of status.yml: the weekly verdict's rules on a smaller snapshot."""
    snapshot = checks.collect(cfg["checks"], runner=runner, kind="status", now=now)
    findings = checks.evaluate(snapshot, cfg["checks"])
    level = checks.verdict(findings)
    return {"host": snapshot.get("host"), "snapshot": snapshot, "findings": findings, "verdict": level,
            "exit_code": exit_code(level), "report": None, "history": None, "pruned": [], "prune_warning": None}


def weekly(cfg, runner, now=None, report_dir=None, write=True):
    """The weekly health check: snapshot, verdict, the history's summary, and (report_dir
    given) the per-host report written and the old ones pruned (cfg["reports"]["keep_weeks"]).

    Returns {host, snapshot, findings, verdict, exit_code, history, report, pruned,
    prune_warning}; report is None without report_dir, else {path, json, written, error}: a
    report that cannot be written does not lose the check, the result carries the reason.
    """
    snapshot = checks.collect(cfg["checks"], runner=runner, kind="health", now=now)
    findings = checks.evaluate(snapshot, cfg["checks"])
    level = checks.verdict(findings)
    epoch = snapshot["epoch"]
    summary = history.summary(cfg["history"]["db_path"], now=epoch, settings=cfg["history"])
    result = {"host": snapshot.get("host"), "snapshot": snapshot, "findings": findings, "verdict": level,
              "exit_code": exit_code(level), "history": summary, "report": None, "pruned": [], "prune_warning": None}
    if report_dir is None:
        return result
    base = os.path.join(report_dir, report.report_name(epoch, "txt"))
    result["report"] = {"path": base, "json": base[: -len("txt")] + "json", "written": False, "error": None}
    if not write:
        return result
    text = report.render_text(snapshot, findings, level, history=summary)
    result["text"] = text
    try:
        if os.path.lexists(report_dir) and not os.path.isdir(report_dir):
            raise OpsError("Setting reports.dir names a file (%s); it must name a directory." % report_dir)
        saved = report.write_report(report_dir, snapshot, findings, level, text=text, now=epoch)
        result["report"].update({"path": saved["text"], "json": saved["json"], "written": True})
        refused = []
        result["pruned"] = report.prune(report_dir, cfg["reports"]["keep_weeks"], now=epoch, warnings=refused)
        result["prune_warning"] = refused[0] if refused else None
    except OpsError as exc:
        result["report"]["error"] = str(exc)
    return result
