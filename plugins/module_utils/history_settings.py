# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The settings of the per-host history (section "history" of config.json, role variables
twzrd_ops_history_*): DEFAULTS, validate(), db_file(), and the names every history file
shares. Pure: no I/O. Imports nothing from ansible (docs/DESIGN.md)."""

from __future__ import annotations

import os

from .common import OpsError, number, refuse_unknown

SCHEMA_VERSION = 1
DEFAULT_DB = "/var/lib/twzrd-ops/history.sqlite"
FILE_MODE = 0o640
DAY = 86400
HOUR = 3600
MAX_POINTS = 240
DAEMON_SUBJECT = "PM2 daemon"
DAEMON_KEY = "pm2_daemon"
LEAK_RULE = "memory_leak_suspected"
DISK_RULE = "disk_full_forecast"
TREND_RULES = (LEAK_RULE, DISK_RULE)
NO_HISTORY = "no history yet on this host: the hourly alerts job records one sample per run"

DEFAULTS = {
    # "" = history.sqlite next to the alert state file (alerts.state_file), which is
    # /var/lib/twzrd-ops/history.sqlite on a host the role set up (DEFAULT_DB).
    "db_path": "",
    "retention_days": 90,
    "leak_window_hours": 24,
    "leak_min_r2": 0.8,
    "leak_min_samples": 12,
    "leak_min_rise_percent": 10,
    "disk_forecast_short_hours": 24,
    "disk_forecast_long_hours": 168,
    "disk_forecast_warning_days": 7,
    "disk_forecast_critical_hours": 24,
}

# (setting, minimum, maximum, whole number)
_RANGES = (
    ("retention_days", 1, 3650, False),
    ("leak_window_hours", 0.001, 24 * 90, False),
    ("leak_min_r2", 0, 1, False),
    ("leak_min_samples", 3, 10000, True),
    ("leak_min_rise_percent", 0, 10000, False),
    ("disk_forecast_short_hours", 0.001, 24 * 90, False),
    ("disk_forecast_long_hours", 0.001, 24 * 90, False),
    ("disk_forecast_warning_days", 0, 3650, False),
    ("disk_forecast_critical_hours", 0, 24 * 3650, False),
)


def validate(section=None):
    """Merge section over DEFAULTS and check it; returns a new dict or raises OpsError."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise OpsError("Section history must be a mapping, got %s." % type(section).__name__)
    refuse_unknown(section, DEFAULTS, "history setting%s")
    conf = dict(DEFAULTS)
    conf.update({k: v for k, v in section.items() if v is not None})
    path = conf["db_path"]
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise OpsError("Setting history.db_path must be empty or an absolute path, got %r." % (path,))
    conf["db_path"] = os.path.normpath(path) if path else ""
    for key, minimum, maximum, whole in _RANGES:
        conf[key] = number("history.%s" % key, conf[key], minimum, maximum, integer=whole)
    if conf["disk_forecast_critical_hours"] > conf["disk_forecast_warning_days"] * 24:
        raise OpsError(
            "Setting history.disk_forecast_critical_hours (%s) must not be above history.disk_forecast_warning_days "
            "(%s days = %s hours)." % (conf["disk_forecast_critical_hours"], conf["disk_forecast_warning_days"],
                                       conf["disk_forecast_warning_days"] * 24))
    return conf


def db_file(conf, state_file=None):
    """The history file of validated settings: db_path, else history.sqlite in the directory
    of the alert state file, else DEFAULT_DB."""
    if conf.get("db_path"):
        return conf["db_path"]
    if state_file:
        return os.path.join(os.path.dirname(state_file), "history.sqlite")
    return DEFAULT_DB


def trend_days(conf):
    """How many days of samples the trend rules of validated settings look at."""
    return max(conf["leak_window_hours"], conf["disk_forecast_short_hours"], conf["disk_forecast_long_hours"]) / 24.0
