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

import difflib
import re

from . import alert_settings, channel_settings, checks, config, history, patch_window, patching, schedule
from .common import OpsError, did_you_mean, number, printable

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
        "twzrd_ops_restart_log": "log_file",
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

# The settings of each flow (role entry point) that are not check settings: key in the
# flow's dict -> (variable, kind, minimum or choices, maximum). The defaults are the role's
# (defaults/main.yml); kinds convert `-e` strings as Ansible's argument spec does.
FLOWS = {
    "patch": {
        "serial": ("twzrd_ops_patch_serial", int, 1, None),
        "max_fail_percentage": ("twzrd_ops_patch_max_fail_percentage", int, 0, 100),
        "reboot": ("twzrd_ops_patch_reboot", str, patching.REBOOT_POLICIES, None),
        "upgrade": ("twzrd_ops_patch_upgrade", str, ("safe", "dist"), None),
        "needrestart_mode": ("twzrd_ops_patch_needrestart_mode", str, ("l", "a"), None),
        "window": ("twzrd_ops_patch_window", dict, None, None),
        "force": ("twzrd_ops_patch_force", bool, None, None),
        "reboot_timeout": ("twzrd_ops_patch_reboot_timeout", int, 60, None),
        "lock_timeout": ("twzrd_ops_patch_lock_timeout", int, 0, None),
        "online_timeout": ("twzrd_ops_patch_online_timeout", int, 5, None),
        "records_dir": ("twzrd_ops_patch_records_dir", str, None, None),
    },
    "restart": {"serial": ("twzrd_ops_restart_serial", int, 1, None)},
    "emergency_swap": {
        "margin_mb": ("twzrd_ops_swap_cycle_margin_mb", int, 0, None),
        "timeout": ("twzrd_ops_swap_cycle_timeout", int, 1, None),
        "restart_app": ("twzrd_ops_emergency_restart_app", str, None, None),
    },
    "emergency_load": {"restart_app": ("twzrd_ops_emergency_restart_app", str, None, None)},
    "emergency_crashloop": {
        "mode": ("twzrd_ops_crashloop_mode", str, ("detect", "recover"), None),
        "app": ("twzrd_ops_crashloop_app", str, None, None),
        "watch": ("twzrd_ops_crashloop_watch", int, 1, None),
    },
    "silence": {
        "action": ("twzrd_ops_silence_action", str, ("add", "list", "remove"), None),
        "target": ("twzrd_ops_silence_target", str, None, None),
        "duration": ("twzrd_ops_silence_duration", str, None, None),
        "reason": ("twzrd_ops_silence_reason", str, None, None),
        "id": ("twzrd_ops_silence_id", str, None, None),
    },
    "audit": {
        "restart_threshold": ("twzrd_ops_audit_restart_threshold", int, 0, None),
        "report_weeks": ("twzrd_ops_audit_report_weeks", int, 1, None),
        "log_size_mb": ("twzrd_ops_audit_log_size_mb", int, 1, None),
    },
    "shared": {"become": ("twzrd_ops_become", bool, None, None), "fail_on_critical": ("twzrd_ops_fail_on_critical", bool, None, None)},
}
_KIND_EXAMPLES = {int: 0, bool: False, float: 0.0}
_KIND_WORDS = {int: "a whole number", bool: "true or false", str: "a string", dict: "a mapping"}


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


def gather(variables, defaults, known):
    """One host's settings, THE gathering of both paths: the role's entry points (vars/main.yml,
    filter gather_settings over the variables in scope) and the read-only playbooks (filter
    fleet_settings over hostvars). The role's defaults of the known names, under the host's
    twzrd_ops_* variables (inventory, host/group vars, -e); a string from `-e` is read by the
    type of the setting's default (as_typed), so both paths hand the same values on."""
    known = set(known)
    merged = dict((name, value) for name, value in (defaults or {}).items() if name in known)
    merged.update((name, value) for name, value in (variables or {}).items() if str(name).startswith(PREFIX))
    return dict((name, as_typed(value, (defaults or {}).get(name))) for name, value in merged.items())


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
    if (user == "root" and not _true(variables.get("twzrd_ops_pm2_root_ok"))) or (not user and not checks_only):
        yield ("twzrd_ops_pm2_user must name a non-root user that owns the PM2 apps, got '%s'.%s"
               % (user, " Set twzrd_ops_pm2_root_ok: true to keep a root-owned PM2 (see the README)." if user == "root" else ""))
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
    try:
        channel_settings.from_role(variables.get("twzrd_ops_alerts_channels"), "/etc/twzrd-ops", dict(
            alert_settings.DEFAULTS, webhook_url_file="/etc/twzrd-ops/webhook.url" if variables.get("twzrd_ops_alerts_webhook_url") else ""))
    except OpsError as exc:
        yield str(exc)
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


def _true(value):
    """A boolean setting, also as `-e` spells it ('true', 'yes', '1')."""
    return as_typed(value, False) is True


ROOT_PM2_WARNING = (
    "twzrd_ops_pm2_user is root (twzrd_ops_pm2_root_ok: true): the apps run as root, so a flaw in any of them, or in a "
    "package they load, owns the whole host; move them to a dedicated user (README, Variables: a root-owned PM2) when you can.")


def warnings(variables):
    """Sentences the role says but does not fail on (a root-owned PM2 the operator accepted)."""
    if variables.get("twzrd_ops_pm2_user") == "root" and _true(variables.get("twzrd_ops_pm2_root_ok")):
        return [ROOT_PM2_WARNING]
    return []


def _flow_value(name, kind, low, high, value):
    """One flow setting converted (as_typed) and checked; OpsError with one sentence otherwise."""
    value = as_typed(value, _KIND_EXAMPLES.get(kind))
    if kind is int:
        return number(name, value, low, high, integer=True)
    if not isinstance(value, kind):
        raise OpsError("Setting %s must be %s, got %s." % (name, _KIND_WORDS[kind], str(value)[:40]))
    if isinstance(low, tuple) and value not in low:
        raise OpsError("Setting %s must be one of %s, got %s." % (name, ", ".join(low), str(value)[:40]))
    if name == "twzrd_ops_patch_window":
        patch_window.validate(value)
    return value


def _flow_values(flow, variables):
    """({key: typed value}, [sentences]) of a flow's settings that are set."""
    values, found = {}, []
    for key, (name, kind, low, high) in FLOWS[flow].items():
        if variables.get(name) is None:
            continue
        try:
            values[key] = _flow_value(name, kind, low, high, variables[name])
        except OpsError as exc:
            found.append(str(exc))
    return values, found


def _request_rules(flow, values):
    """The rules between a flow's settings, for the run that asks for it."""
    if flow == "emergency_crashloop" and values.get("mode") == "recover" and not values.get("app"):
        yield "twzrd_ops_crashloop_mode=recover needs the app to restart in twzrd_ops_crashloop_app."
    if flow == "silence":
        action = values.get("action", "add")
        if action == "add" and not (values.get("target") and values.get("duration") and str(values.get("reason") or "").strip()):
            yield ("twzrd_ops_silence_action=add needs twzrd_ops_silence_target (a rule, rule:subject or all), "
                   "twzrd_ops_silence_duration (e.g. 2h) and twzrd_ops_silence_reason.")
        if action == "remove" and not (values.get("id") or values.get("target")):
            yield "twzrd_ops_silence_action=remove needs twzrd_ops_silence_id or twzrd_ops_silence_target."


def flow(name, variables):
    """The settings of one flow (role entry point), typed, checked and with what follows from
    them (the patch's apt command and the looks of its online wait); OpsError naming every
    broken rule in one message otherwise."""
    if name not in FLOWS:
        raise OpsError("Unknown twzrd_ops flow %s; known: %s." % (name, ", ".join(sorted(FLOWS))))
    values, found = _flow_values(name, variables)
    found.extend(_request_rules(name, values))
    if found:
        raise OpsError(" ".join(found))
    if name == "patch":
        values["apt_command"] = patching.apt_command(values.get("upgrade", "safe"))
        values["online_looks"] = patching.looks(values.get("online_timeout", 300), 5)
    if name == "audit":
        values.update(audit_options(variables))
    return values


def audit_options(variables):
    """The host_audit module's other options from the role's variables: whose PM2 is read, the
    apps a reboot must bring back, the swappiness wanted, where the weekly reports are, the
    cron jobs the role's file holds (twzrd_ops_cron_*_enabled) and whether the pre-reboot
    checks run (only where the role starts PM2 on boot: twzrd_ops_pm2_startup)."""
    cfg = checks.normalize_config(dict(sections(variables)["checks"]))
    enabled = as_typed(variables.get(PREFIX + "cron_enabled", True), True) is not False
    jobs = [job for job in ("health", "alerts", "restart")
            if enabled and as_typed(variables.get("%scron_%s_enabled" % (PREFIX, job), True), True) is not False]
    return {
        "pm2_user": cfg.get("pm2_user") or "",
        "pm2_home": cfg.get("pm2_home") or "",
        "pm2_path": cfg.get("pm2_path") or "",
        "expected_apps": list(cfg.get("expected_apps") or []),
        "swappiness": number(PREFIX + "swappiness", as_typed(variables.get(PREFIX + "swappiness", 10), 10), 0, 200, integer=True),
        "reports_dir": str(variables.get(PREFIX + "reports_dir") or config.REPORTS_DEFAULTS["dir"]),
        "cron_jobs": jobs,
        "reboot_check": as_typed(variables.get(PREFIX + "pm2_startup", True), True) is not False,
    }


def errors(variables, known, checks_only=False):
    """Every problem with the role's variables, one sentence each ([] when all is well).

    variables maps twzrd_ops_* names to values; known is the list of documented names
    (meta/argument_specs.yml). A misspelled name is refused, not silently ignored.
    """
    found = [unknown_variable(name, known) for name in sorted(set(n for n in variables if n.startswith(PREFIX)) - set(known))]
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
    for name in FLOWS:
        found.extend(_flow_values(name, variables)[1])
    return found


ROLE_DOC = "ansible-doc -t role twzrd.ops.twzrd_ops"


def unknown_variable(name, known):
    """The sentence for a twzrd_ops_* name the role does not know: the likely name first, then
    at most five names like it (not all of them: the documentation lists those)."""
    stems = dict((str(k)[len(PREFIX):], k) for k in known)
    alike = [stems[stem] for stem in difflib.get_close_matches(str(name)[len(PREFIX):], list(stems), n=5, cutoff=0.6)]
    listed = "Known: %s (all of them: %s)." % (", ".join(alike), ROLE_DOC) if alike else "The role's variables: %s." % ROLE_DOC
    return "Unknown twzrd_ops variable: %s.%s %s" % (printable(str(name)[:80]), did_you_mean([name], known), listed)


_SPEC_KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "list": "a list", "dict": "a mapping",
               "str": "a string", "path": "a path"}
_HIDDEN = re.compile(r"url|channels|email|password|token|secret", re.I)


def one_sentence_each(ours, refused, variables, options):
    """The problems of one host's settings, one sentence each and ours only: the sentences of
    errors() (ours), then one for each variable the role's argument specs refused (refused:
    their messages) that ours do not already name, in the words of ours; an argument spec
    message that names no variable is kept as it is."""
    found = list(ours)
    told = set(name for name in options if any(re.search(r"(?<!\w)%s(?!\w)" % re.escape(name), text) for text in ours))
    for text in refused:
        names = [name for name in sorted(options, key=len, reverse=True) if re.search(r"(?<!\w)%s(?!\w)" % re.escape(name), text)]
        if not names:
            found.append(text)
        for name in names[:1]:
            if name not in told:
                told.add(name)
                found.append(_spec_sentence(name, options[name] or {}, variables.get(name)))
    return found


def _spec_sentence(name, option, value):
    """Our sentence for a variable of the wrong type or not one of its choices."""
    got = " (value hidden)" if _HIDDEN.search(name) else ", got %s" % printable(repr(value)[:40])
    if option.get("choices"):
        return "Setting %s must be one of %s%s." % (name, ", ".join(str(c) for c in option["choices"]), got)
    kind = _SPEC_KINDS.get(option.get("type", "str"), "a %s" % option.get("type"))
    if option.get("elements"):
        kind += " of %s" % _SPEC_KINDS.get(option["elements"], option["elements"]).replace("a ", "", 1) + "s"
    return "Setting %s must be %s%s." % (name, kind, got)
