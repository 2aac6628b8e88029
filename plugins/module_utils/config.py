# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The on-host configuration file of `twzrd-ops` (/etc/twzrd-ops/config.json).

The role twzrd_ops renders it from its twzrd_ops_* variables. It is one JSON object with
the sections

  checks   the flat check configuration of docs/DESIGN.md (checks.normalize_config)
  reports  {dir, keep_weeks}: where the weekly reports go and how many weeks stay
  restart  {apps, verify_retries, verify_delay, mode}: the Friday restart (mode restart or
           reload) and its verification
  alerts   the alert engine's settings (alerts.validate)
  history  the per-host history and its trends (history.validate: db_path, retention_days, ...)

Every section is optional and defaults apply key by key, but unknown sections or keys are
refused: a typo must not silently fall back to a default. Every problem is an OpsError
with one sentence that names the file.
"""

from __future__ import annotations

import os

from . import alert_settings, checks, history, jsondoc, restart_check
from .common import OpsError, number, refuse_unknown
from .pm2 import MODES

DEFAULT_PATH = "/etc/twzrd-ops/config.json"

REPORTS_DEFAULTS = {"dir": "/var/lib/twzrd-ops/reports", "keep_weeks": 12}
RESTART_DEFAULTS = {"apps": [], "verify_retries": 6, "verify_delay": 5, "mode": "restart",
                    "settle_seconds": restart_check.SETTLE_SECONDS, "log_file": "/var/log/twzrd-restart.log"}
SECTIONS = ("checks", "reports", "restart", "alerts", "history")


def _whole(section, key, value, minimum):
    # A JSON file has real numbers: "4" or true is a mistake here, unlike in an inventory.
    if isinstance(value, (str, bool)):
        raise OpsError("Setting %s.%s must be a whole number, got %r." % (section, key, value))
    return number("%s.%s" % (section, key), value, minimum=minimum, integer=True)


def _merge(section, given, defaults):
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise OpsError("Section %s must be a JSON object, got %s." % (section, type(given).__name__))
    refuse_unknown(given, defaults, "setting%%s in section %s" % section)
    merged = dict(defaults)
    merged.update(given)
    return merged


def _reports(given):
    conf = _merge("reports", given, REPORTS_DEFAULTS)
    directory = conf["dir"]
    if not isinstance(directory, str) or not directory.startswith("/"):
        raise OpsError("Setting reports.dir must be an absolute path, got %r." % (directory,))
    conf["dir"] = os.path.normpath(directory)
    conf["keep_weeks"] = _whole("reports", "keep_weeks", conf["keep_weeks"], 1)
    return conf


def _restart(given):
    conf = _merge("restart", given, RESTART_DEFAULTS)
    apps = conf["apps"]
    if not isinstance(apps, list) or not all(isinstance(app, str) and app for app in apps):
        raise OpsError("Setting restart.apps must be a list of PM2 app names, got %r." % (apps,))
    conf["verify_retries"] = _whole("restart", "verify_retries", conf["verify_retries"], 1)
    conf["verify_delay"] = _whole("restart", "verify_delay", conf["verify_delay"], 0)
    conf["settle_seconds"] = _whole("restart", "settle_seconds", conf["settle_seconds"], 0)
    if not isinstance(conf["log_file"], str) or not conf["log_file"].startswith("/"):
        raise OpsError("Setting restart.log_file must be an absolute path, got %r." % (conf["log_file"],))
    if not isinstance(conf["mode"], str) or conf["mode"] not in MODES:
        raise OpsError("Setting restart.mode must be %s, got %r." % (" or ".join(sorted(MODES, reverse=True)), conf["mode"]))
    return conf


def validate(data):
    """Check a parsed configuration; returns {checks, reports, restart, alerts} with
    defaults filled in, or raises OpsError (one sentence, no file name)."""
    if not isinstance(data, dict):
        raise OpsError("The configuration must be a JSON object, got %s." % type(data).__name__)
    refuse_unknown(data, SECTIONS, "section%s")
    check_section = data.get("checks")
    if check_section is not None and not isinstance(check_section, dict):
        raise OpsError("Section checks must be a JSON object, got %s." % type(check_section).__name__)
    alert_section = data.get("alerts")
    if alert_section is not None and not isinstance(alert_section, dict):
        raise OpsError("Section alerts must be a JSON object, got %s." % type(alert_section).__name__)
    return {
        "checks": checks.normalize_config(check_section or {}),
        "reports": _reports(data.get("reports")),
        "restart": _restart(data.get("restart")),
        "alerts": alert_settings.validate(alert_section or {}),
        "history": _history(data.get("history"), alert_section),
    }


def _history(section, alert_section):
    """The history section with its file resolved: by default next to the alert state file."""
    conf = history.validate(section)
    conf["db_path"] = history.db_file(conf, (alert_section or {}).get("state_file") or alert_settings.DEFAULTS["state_file"])
    return conf


def load(path=DEFAULT_PATH):
    """Read and validate the configuration file at path (see validate())."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise OpsError(
            "Configuration file %s does not exist; apply the twzrd.ops.twzrd_ops role (playbooks/setup.yml) "
            "or pass --config." % path
        )
    except PermissionError:
        raise OpsError("Cannot read configuration file %s (permission denied); run twzrd-ops as root." % path)
    except IsADirectoryError:
        raise OpsError("Configuration file %s is a directory, not a file." % path)
    except OSError as exc:
        raise OpsError("Cannot read configuration file %s (%s)." % (path, exc.strerror or exc))
    try:
        data = jsondoc.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise OpsError("Configuration file %s is not UTF-8 text." % path)
    except ValueError as exc:
        where = ""
        if hasattr(exc, "lineno"):
            where = " at line %d, column %d" % (exc.lineno, exc.colno)
        raise OpsError("Configuration file %s is not valid JSON%s." % (path, where))
    except RecursionError:
        raise OpsError("Configuration file %s is JSON nested too deeply to read." % path)
    try:
        return validate(data)
    except OpsError as exc:
        raise OpsError("Configuration file %s: %s" % (path, exc))


def alerts_section(path, overrides=None):
    """(alerts settings, notices) for the modules: the host's configuration file's "alerts"
    section (when the file exists, else the defaults, said in a notice) plus overrides."""
    notices = []
    if os.path.exists(path):
        section = load(path)["alerts"]
    else:
        notices.append("Configuration file %s does not exist; the built-in alert settings apply." % path)
        section = {}
    return alert_settings.validate(dict(section, **(overrides or {}))), notices
