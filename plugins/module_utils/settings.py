# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's twzrd_ops_* variables, checked by the same code as the on-host configuration.

The role's meta/argument_specs.yml checks types and choices only. Everything else (ranges,
warning not above critical, the load thresholds that follow load_mode, ...) is the rule of
checks.normalize_config, alert_settings.validate and config.validate, reached from here through the
filter twzrd.ops.validate_settings; host_config() builds /etc/twzrd-ops/config.json from the
same variables. Only the settings that exist for the role alone (the PM2 user, swappiness,
logrotate, cron schedules, the webhook URL) have their rules here. Like every module_utils
file this imports nothing from ansible.
"""

from __future__ import annotations

import re

from . import alert_settings, checks, config, history, schedule
from .common import OpsError, number, refuse_unknown

PREFIX = "twzrd_ops_"

# Role variable -> key of its section in the on-host configuration (config.json).
# The check settings keep their names: twzrd_ops_ + key (docs/DESIGN.md).
VARIABLES = {
    "checks": dict((PREFIX + key, key) for key in checks.DEFAULTS),
    "reports": {"twzrd_ops_reports_dir": "dir", "twzrd_ops_reports_keep_weeks": "keep_weeks"},
    "restart": {
        "twzrd_ops_restart_apps": "apps",
        "twzrd_ops_restart_verify_retries": "verify_retries",
        "twzrd_ops_restart_verify_delay": "verify_delay",
        "twzrd_ops_restart_mode": "mode",
        "twzrd_ops_restart_settle_seconds": "settle_seconds",
    },
    "alerts": {
        "twzrd_ops_alerts_log": "log_file",
        "twzrd_ops_alerts_repeat_hours": "repeat_hours",
        "twzrd_ops_alerts_swap_clear": "swap_clear",
        "twzrd_ops_alerts_load_clear_ratio": "load_clear_ratio",
        "twzrd_ops_alerts_webhook_timeout": "webhook_timeout",
        "twzrd_ops_alerts_webhook_retries": "webhook_retries",
        "twzrd_ops_alerts_textfile_path": "textfile_path",
        "twzrd_ops_alerts_silence_max_hours": "silence_max_hours",
    },
}
# The history section keeps its names too: twzrd_ops_history_ + key.
VARIABLES["history"] = dict(("twzrd_ops_history_" + key, key) for key in history.DEFAULTS)
# logrotate's size / maxsize values (bytes, k, M, G); 0 would rotate an empty log every run.
LOGROTATE_SIZE = re.compile(r"^[1-9][0-9]{0,11}[kMG]?$")
SCHEDULES = ("twzrd_ops_cron_health_schedule", "twzrd_ops_cron_alerts_schedule", "twzrd_ops_cron_restart_schedule")


_FALSE_WORDS = ("false", "no", "off", "0", "n")
_TRUE_WORDS = ("true", "yes", "on", "1", "y")
# The defaults of each section: their types say how a string from `-e key=value` is read.
_SECTION_DEFAULTS = {"checks": checks.DEFAULTS, "reports": config.REPORTS_DEFAULTS, "restart": config.RESTART_DEFAULTS,
                     "alerts": alert_settings.DEFAULTS, "history": history.DEFAULTS}
_WHOLE = re.compile(r"^[+-]?[0-9]+$")


def as_typed(value, default):
    """A string from `-e key=value` read as Ansible's argument specs read it, by the type of
    the setting's default: '1' -> 1 for a whole number, '0.5' -> 0.5 for a number, 'true' ->
    True for a boolean. Anything else is returned as it is, for the one-sentence error of
    the setting's own rule (so a real mistake is still said)."""
    if not isinstance(value, str) or default is None:
        return value
    text = value.strip()
    if isinstance(default, bool):
        lowered = text.lower()
        return True if lowered in _TRUE_WORDS else False if lowered in _FALSE_WORDS else value
    if isinstance(default, int):
        return int(text) if _WHOLE.match(text) else value
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            return value
    return value


def derived_checks(variables):
    """Check settings the role derives from its other variables (None when not derived).

    reboot_check: a host whose PM2 the role does not start on boot (twzrd_ops_pm2_startup
    false) is not warned every week that a reboot would not bring its apps back, unless
    twzrd_ops_reboot_check says otherwise.
    """
    derived = {}
    startup = variables.get(PREFIX + "pm2_startup")
    if variables.get(PREFIX + "reboot_check") is None and (
            startup is False or str(startup).strip().lower() in _FALSE_WORDS):
        derived["reboot_check"] = False
    return derived


def sections(variables, internal=None):
    """The sections of config.json from the role's variables (unset or null ones are left
    out, so the defaults of module_utils apply); internal ({section: {key: value}}) adds what
    the role finds on the host (PM2 home, pm2 path) or keeps to itself (state file)."""
    result = {}
    for section, names in VARIABLES.items():
        defaults = _SECTION_DEFAULTS[section]
        result[section] = dict(
            (key, as_typed(variables[name], defaults.get(key))) for name, key in names.items() if variables.get(name) is not None
        )
        result[section].update((internal or {}).get(section) or {})
    result["checks"].update(derived_checks(variables))
    return result


def host_config(variables, internal=None):
    """config.json as the role writes it: every section validated, defaults filled in."""
    return config.validate(sections(variables, internal))


def _variable_names(message, section):
    """Name the role's variable where a module_utils sentence names a configuration key."""
    for name, key in VARIABLES[section].items():
        spelled = key if section in ("checks", "alerts") else "%s.%s" % (section, key)
        message = re.sub(r"(?<![\w.])%s(?![\w])" % re.escape(spelled), name, message)
    return message


def _role_rules(variables, checks_only):
    """Rules of the settings only the role has; yields one sentence per broken rule."""
    user = variables.get("twzrd_ops_pm2_user") or ""
    # Checks (the `settings` entry point) may read the connecting user's own PM2 (empty
    # user); setting up the cron jobs needs the account that owns the apps.
    if user == "root" or (not user and not checks_only):
        yield "twzrd_ops_pm2_user must name a non-root user that owns the PM2 apps, got '%s'." % user
    for name, minimum, maximum in (("twzrd_ops_swappiness", 0, 200), ("twzrd_ops_logrotate_rotate", 1, None),
                                   ("twzrd_ops_logrotate_pm2_log_rotate", 1, None), ("twzrd_ops_logrotate_app_rotate", 1, None)):
        if variables.get(name) is not None:
            try:
                number(name, variables[name], minimum, maximum, integer=True)
            except OpsError as exc:
                yield str(exc)
    for name in ("twzrd_ops_logrotate_pm2_log_maxsize", "twzrd_ops_logrotate_app_maxsize"):
        size = variables.get(name)
        if size is not None and not LOGROTATE_SIZE.match(str(size)):
            yield "%s must be a logrotate size: digits, then optionally k, M or G (e.g. 100M), got '%s'." % (name, size)
    reports = variables.get("twzrd_ops_reports_dir")
    if isinstance(reports, str) and re.match(r"^/(var/)?tmp(/|$)", reports):
        # The on-host config accepts any absolute path (tests use temporary ones); a host
        # the role sets up keeps its reports across reboots.
        yield "twzrd_ops_reports_dir must be an absolute path outside /tmp (a reboot wipes /tmp), got '%s'." % reports
    for name in ("twzrd_ops_alerts_webhook_url", "twzrd_ops_alerts_heartbeat_url"):
        url = variables.get(name) or ""
        if url and not re.match(r"^https?://\S+$", str(url)):
            yield "%s must be empty or an http(s) URL (value hidden)." % name
    for name in SCHEDULES:
        if variables.get(name) is not None:
            try:
                schedule.check(name, variables[name])
            except OpsError as exc:
                yield str(exc)


def errors(variables, known, checks_only=False):
    """Every problem with the role's variables, one sentence each ([] when all is well).

    variables maps twzrd_ops_* names to values; known is the list of documented names
    (meta/argument_specs.yml). A misspelled name is refused, not silently ignored.
    """
    found = []
    try:
        refuse_unknown([n for n in variables if n.startswith(PREFIX)], known, "twzrd_ops variable%s")
    except OpsError as exc:
        found.append(str(exc))
    given = sections(variables)
    validators = (
        ("checks", checks.normalize_config),
        ("alerts", alert_settings.validate),
        ("reports", lambda section: config.validate({"reports": section})),
        ("restart", lambda section: config.validate({"restart": section})),
        ("history", history.validate),
    )
    for section, validate in validators:
        try:
            validate(given[section])
        except OpsError as exc:
            found.append(_variable_names(str(exc), section))
    found.extend(_role_rules(variables, checks_only))
    return found
