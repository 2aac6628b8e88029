# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One orchestrator per run kind, called by the on-host command AND the modules.

Every run has three phases:

  read     one snapshot of the host (checks.collect: PM2's jlist, pm2.log read once from the
           alert engine's last boundary, memory, swap, load, disk, the probe, the log scan)
           and the history rows the trends need; all the reading of the run happens here;
  decide   pure functions of (snapshot, settings, previous state, now): checks.evaluate,
           the trends, the alert transitions (alert_rules); a view may show fewer columns,
           never a different verdict;
  write    ahead, then deliver: the history sample, the alert state with its pending log
           lines and outbox (alerts.process), the reports.

  weekly   twzrd-ops health, module host_check kind health (weekly-health.yml)
  status   module host_check kind status (status.yml): the same verdict, no report
  hourly   twzrd-ops alerts (cron) and, read-only, the alert_check module (alerts.yml)
"""

from __future__ import annotations

from . import alerts, checks, history
from .alert_state import read_state
from .common import OpsError, now_epoch
from .runs_read import status, weekly

# weekly and status live in runs_read.py (no alert engine: host_check's payload stays small).
__all__ = ["hourly", "hourly_preview", "status", "weekly"]


def _events_since(cfg, now):
    """From when this run must read pm2.log: the alert engine's last boundary (so that every
    crash since the previous run is counted once), or the crash window on a first run."""
    try:
        state, _warning = read_state(cfg["alerts"]["state_file"], now, move_aside=False)
    except OpsError:
        return None  # process() says why the state cannot be used
    return state.get("crash_until")


def _history_parts(cfg, now):
    """(rows for the trends, problem sentence or None): read half of the trend rules."""
    try:
        return history.read_for_trends(cfg["history"], now)
    except OpsError as exc:
        return [], str(exc)


def _judge(cfg, snapshot, rows, problem, now):
    """Decide: the findings of the snapshot plus the judged trends (pure). The snapshot seen
    by the alert rules carries history = {"error": ...} when the trends could not be judged
    (their alerts are then held, not resolved); the snapshot itself is not changed."""
    findings = checks.evaluate(snapshot, cfg["checks"])
    if problem is None:
        findings = findings + history.trend_findings(rows, cfg["history"], now)
        observed = snapshot
    else:
        observed = dict(snapshot, history={"error": problem})
    return findings, observed


def hourly(cfg, runner, now=None):
    """The hourly alert run: read, decide, write ahead, deliver. Returns
    (snapshot, findings, alerts.process() result)."""
    now = now_epoch(now)
    snapshot = checks.collect(cfg["checks"], runner=runner, kind="alerts", now=now, events_since=_events_since(cfg, now))
    warnings = []
    try:
        warnings.extend(history.record(snapshot, cfg["history"]["db_path"], now=now,
                                       retention_days=cfg["history"]["retention_days"])["warnings"])
    except OpsError as exc:
        warnings.append(str(exc))
    rows, problem = _history_parts(cfg, now)
    if problem:
        warnings.append(problem)
    findings, observed = _judge(cfg, snapshot, rows, problem, now)
    result = alerts.process(cfg["alerts"], observed, findings, cfg["checks"], now=now, warnings=warnings)
    return snapshot, findings, result


def hourly_preview(cfg, runner, now=None):
    """What the hourly run would decide now, read-only (module alert_check, alerts.yml):
    (snapshot, findings, {"active", "events", "warnings"})."""
    now = now_epoch(now)
    snapshot = checks.collect(cfg["checks"], runner=runner, kind="alerts", now=now, events_since=_events_since(cfg, now))
    rows, problem = _history_parts(cfg, now)
    findings, observed = _judge(cfg, snapshot, rows, problem, now)
    view = alerts.preview(cfg["alerts"], observed, findings, cfg["checks"], now=now)
    if problem:
        view["warnings"].insert(0, problem)
    return snapshot, findings, view
