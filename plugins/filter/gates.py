# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side filters for the playbooks' decisions (patch pre-check, apps to wait for, apps back online,
app stayed up, error lines; whether restarted apps came back healthy, the alerts a restart disturbs and
the PM2 state of a restart mode; an incident summary's log lines with repeats folded). The rules are
module_utils/gates.py, module_utils/restart_check.py and module_utils/incident.py;
these only adapt Ansible's data. The documentation of each filter is in plugins/filter/NAME.yml.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import gates, incident, restart_check
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, plain


def patch_precheck(pm2_result, probe_result=None, expected_apps=None):
    return gates.patch_precheck(plain(pm2_result), plain(probe_result), plain(expected_apps or []))


def expected_online(pm2_result, expected_apps=None):
    return gates.expected_online(plain(pm2_result), plain(expected_apps or []))


def apps_down(pm2_result, expected):
    return gates.apps_down(plain(pm2_result), plain(expected or []))


def stayed_up(watched, started, app):
    return gates.stayed_up(plain(watched), plain(started), str(app))


def restart_verdict(settled, started, crashes=None, probe=None, expected=None, restarted=None, seconds=None, before=None):
    try:
        return restart_check.came_back(
            plain(started), plain(settled), crashes=plain(crashes), probe=plain(probe), expected=plain(expected or []),
            restarted=plain(restarted or []), seconds=restart_check.SETTLE_SECONDS if seconds is None else float(seconds),
            before=plain(before))
    except (OpsError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("restart_verdict: %s" % exc)


def restart_silence_targets(restarted):
    return restart_check.silence_targets(plain(restarted or []))


def restart_pm2_state(mode):
    try:
        return restart_check.pm2_state(plain(mode))
    except OpsError as exc:
        raise AnsibleFilterError("restart_pm2_state: %s" % exc)


def error_lines(lines, patterns=None):
    try:
        return gates.error_lines(plain(lines), plain(patterns or []))
    except OpsError as exc:
        raise AnsibleFilterError("error_lines: %s" % exc)


def folded_lines(lines, limit=incident.TERM_LIMIT, errors=False, patterns=None):
    try:
        return incident.folded_lines(plain(lines), int(limit), bool(errors), plain(patterns or []))
    except (OpsError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("folded_lines: %s" % exc)


def folded_logs(registered, limit=incident.TERM_LIMIT, errors=False, patterns=None):
    try:
        return incident.folded_results(plain(registered), int(limit), bool(errors), plain(patterns or []))
    except (OpsError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("folded_logs: %s" % exc)


class FilterModule(object):
    """twzrd.ops decision filters."""

    def filters(self):
        return {
            "patch_precheck": patch_precheck,
            "expected_online": expected_online,
            "apps_down": apps_down,
            "stayed_up": stayed_up,
            "error_lines": error_lines,
            "folded_lines": folded_lines,
            "folded_logs": folded_logs,
            "restart_verdict": restart_verdict,
            "restart_silence_targets": restart_silence_targets,
            "restart_pm2_state": restart_pm2_state,
        }
