# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side filters for the role's settings: validation, the on-host configuration
and the cron schedules, all by module_utils (settings.py, schedule.py). The documentation
of each filter is in plugins/filter/NAME.yml.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

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
        }
