# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-host history: one sample per hourly alert run in an SQLite file on the host.
The names other layers use, over the files that hold the work:

  history_settings.py  DEFAULTS, validate(), db_file(), the rule names
  history_file.py      opening the file: never through a symbolic link, mode 0640 at most
  history_store.py     record(), last_sample_time(), iter_samples(), read() (SQLite I/O)
  history_trends.py    judge(), trend_findings(): pure
  history_summary.py   the `history` dict of host_check and the fleet JSON, wow_rows(): pure
  trends.py            the maths

For a run that reads once and decides purely (issue 19):
  last_sample_time(db_path)        before collecting: from when to read pm2.log
  record(snapshot, db_path, now, retention_days)
                                   the sample, its crashes counted from snapshot["pm2"]["events"]
  read_for_trends(conf, now)       (samples, problem or None): the I/O half of the trends
  trend_findings(samples, conf, now)  the pure half
Failures are never fatal for the alert run: a corrupt file is moved aside, a file that
cannot be written (or is not the file meant) raises OpsError with one sentence, which the
caller logs as a warning. Imports nothing from ansible (docs/DESIGN.md).
"""

from __future__ import annotations

from .common import OpsError, now_epoch
from .common import iso_time as iso
from .history_settings import (  # noqa: F401 (the names other layers use)
    DAEMON_KEY, DAEMON_SUBJECT, DAY, DEFAULT_DB, DEFAULTS, DISK_RULE, FILE_MODE, HOUR, LEAK_RULE, MAX_POINTS,
    NO_HISTORY, SCHEMA_VERSION, TREND_RULES, db_file, trend_days, validate)
from .history_store import MAX_GAP, READ_LIMIT, iter_samples, last_sample_time, read, record  # noqa: F401
from .history_summary import build, unavailable, week_over_week, wow_rows  # noqa: F401
from .history_trends import trend_findings
from .history_trends import judge as _judge

__all__ = [
    "DAEMON_KEY", "DAEMON_SUBJECT", "DAY", "DEFAULT_DB", "DEFAULTS", "DISK_RULE", "FILE_MODE", "HOUR", "LEAK_RULE",
    "MAX_GAP", "MAX_POINTS", "NO_HISTORY", "READ_LIMIT", "SCHEMA_VERSION", "TREND_RULES", "build",
    "db_file", "findings", "iter_samples", "judge", "last_sample_time", "read", "read_for_trends", "record", "summary",
    "trend_days", "trend_findings", "unavailable", "validate", "week_over_week", "wow_rows",
]


def judge(samples, settings=None, now=None):
    """history_trends.judge() with the clock read when now is None (for the command line)."""
    return _judge(samples, settings, now_epoch(now))


def findings(samples, settings=None, now=None):
    """history_trends.trend_findings() with the clock read when now is None."""
    return trend_findings(samples, settings, now_epoch(now))


def _reason(exc):
    return str(exc) if isinstance(exc, OpsError) else "internal error: %s: %s" % (type(exc).__name__, exc)


def read_for_trends(conf, now):
    """The samples the trend rules of validated settings conf need at now (read only), and
    None; or (samples, a sentence) when the trends cannot be judged: the history cannot be
    read ([]), or samples are stamped later than now (the clock went back; they are left
    out). With a sentence the trend alerts must be held, not resolved."""
    try:
        samples = read(db_file(conf), days=trend_days(conf), now=now)
    except Exception as exc:  # pylint: disable=broad-except
        return [], "Trends not judged: %s" % _reason(exc)
    kept = [s for s in samples if s["t"] <= now]
    if len(kept) < len(samples):
        newest = max(s["t"] for s in samples)
        return kept, ("Trends not judged: %d history sample%s stamped later than now (the newest %s, now %s): the clock "
                      "went back; the trends are judged again once it passes them."
                      % (len(samples) - len(kept), "s are" if len(samples) - len(kept) > 1 else " is", iso(newest), iso(now)))
    return kept, None


def summary(db_path=DEFAULT_DB, now=None, settings=None):
    """The `history` dict of host_check and the fleet JSON (see docs/DESIGN.md); never
    raises: a missing, empty or unreadable history says why in "reason"."""
    now = now_epoch(now)
    try:
        conf = validate(dict(settings or {}, db_path=db_path or ""))
        conf["db_path"] = db_file(conf)
        days = max(30.0, conf["leak_window_hours"] / 24.0, conf["disk_forecast_long_hours"] / 24.0)
        samples = read(conf["db_path"], days=days, now=now)
    except OpsError as exc:
        return unavailable(str(exc))
    return build(samples, conf, now)
