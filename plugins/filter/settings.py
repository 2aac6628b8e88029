# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side filters for the role's settings: validation, the on-host configuration
and the cron schedules, all by module_utils (settings.py, schedule.py). The documentation
of each filter is in plugins/filter/NAME.yml.
"""

from __future__ import annotations

import os

import yaml

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.twzrd.ops.plugins.filter.fleet import host_row
from ansible_collections.twzrd.ops.plugins.module_utils import schedule, settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, plain


def _mapping(variables, name):
    if not isinstance(variables, dict):
        raise AnsibleFilterError("%s expects a mapping of twzrd_ops_* variables, got %s." % (name, type(variables).__name__))
    return plain(variables)


def validate_settings(variables, known, checks_only=False):
    """Every problem with the twzrd_ops_* variables, one sentence each ([] when none)."""
    return settings.errors(_mapping(variables, "validate_settings"), plain(list(known)), bool(checks_only))


def settings_warnings(variables):
    """What the role says about the twzrd_ops_* variables without failing (a root-owned PM2)."""
    return settings.warnings(_mapping(variables, "settings_warnings"))


def host_config(variables, internal=None):
    """/etc/twzrd-ops/config.json from the twzrd_ops_* variables, validated, defaults filled in."""
    try:
        return settings.host_config(_mapping(variables, "host_config"), plain(internal or {}))
    except OpsError as exc:
        raise AnsibleFilterError("Invalid twzrd_ops setting: %s" % exc)


# The role whose defaults and argument specs the playbooks' settings follow (in the collection).
ROLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "roles", "twzrd_ops")
_ROLE = {}


def _role():
    """(defaults, options of the `settings` entry point), read once per controller process."""
    if not _ROLE:
        with open(os.path.join(ROLE_DIR, "defaults", "main.yml")) as handle:
            _ROLE["defaults"] = yaml.safe_load(handle) or {}
        with open(os.path.join(ROLE_DIR, "meta", "argument_specs.yml")) as handle:
            _ROLE["options"] = yaml.safe_load(handle)["argument_specs"]["settings"]["options"]
    return _ROLE["defaults"], _ROLE["options"]


def gather_settings(variables):
    """The twzrd_ops_* variables in scope (the role's entry points) over the role's defaults,
    `-e` strings read by their default's type: settings.gather, the one gathering."""
    defaults, options = _role()
    return settings.gather(_mapping(variables, "gather_settings"), defaults, options)


def host_settings(hostvars, host):
    """One host's twzrd_ops_* variables (inventory, host/group vars, -e) over the role's
    defaults: settings.gather, as gather_settings does for the role's entry points."""
    defaults, options = _role()
    try:
        variables = hostvars[host]
        names = [name for name in variables if str(name).startswith(settings.PREFIX)]
        given = dict((name, variables[name]) for name in names)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("fleet_settings cannot read the variables of host %s: %s" % (host, exc))
    return settings.gather(plain(given), defaults, options)


def fleet_settings(hostvars, hosts):
    """{"hosts": {host: its settings}, "errors": [one line per host with a problem],
    "unchecked": {host: "not checked: <its problems>"}}.

    The gathering of the read-only playbooks (weekly-health, status, alerts, audit): run once
    on the controller, so a host costs no validation task. The rules are the `settings` entry
    point's: the role's argument specs (types and choices) and module_utils/settings.py
    (ranges, cross-field rules, unknown names), one sentence each, in our words
    (settings.one_sentence_each: never Ansible's message beside ours for the same variable). A host with a bad setting
    is not contacted and is reported "not checked: ..." (the playbooks skip it and fail the
    run at the end); the other hosts are checked.
    """
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("fleet_settings expects a list of host names, got %s." % type(hosts).__name__)
    options = _role()[1]
    known = list(options)
    validator = ArgumentSpecValidator(options)
    result = {}
    problems = []
    unchecked = {}
    for host in hosts:
        if host in result:
            continue
        merged = host_settings(hostvars, host)
        result[host] = merged
        refused = [str(err) for err in validator.validate(merged).errors if not isinstance(err, UnsupportedError)]
        found = settings.one_sentence_each(settings.errors(merged, known, True), refused, merged, options)
        if found:
            problems.append("%s: %s" % (host, " ".join(found)))
            unchecked[host] = "not checked: %s" % " ".join(found)
    return {"hosts": result, "errors": problems, "unchecked": unchecked}


def unchecked_rows(rows, fleet):
    """The fleet rows with each host whose settings are broken (fleet_settings' unchecked) told
    as such: verdict unknown, error "not checked: <the sentence>" (its check task was skipped)."""
    if not isinstance(rows, (list, tuple)):
        raise AnsibleFilterError("unchecked_rows expects the list from fleet_rows, got %s." % type(rows).__name__)
    unchecked = plain((fleet or {}).get("unchecked") or {}) if isinstance(fleet, dict) else {}
    return [host_row(row["host"], {"state": "failed", "error": unchecked[row["host"]]}) if row.get("host") in unchecked else row
            for row in plain(list(rows))]


def prefixed(variables, prefix):
    """The variables whose names start with prefix, with the prefix removed (twzrd_ops_history_* -> history settings)."""
    variables = _mapping(variables, "prefixed")
    return dict((name[len(prefix):], value) for name, value in variables.items() if name.startswith(prefix))


def cron_jobs(specs, offset="+0000", cron_tz_supported=True):
    """The cron job specs with the local fields of their UTC schedules (see schedule.py)."""
    try:
        return schedule.cron_jobs(plain(specs), str(offset), bool(cron_tz_supported))
    except OpsError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """twzrd.ops settings filters."""

    def filters(self):
        return {
            "validate_settings": validate_settings,
            "settings_warnings": settings_warnings,
            "host_config": host_config,
            "cron_jobs": cron_jobs,
            "fleet_settings": fleet_settings,
            "gather_settings": gather_settings,
            "unchecked_rows": unchecked_rows,
            "prefixed": prefixed,
        }
