# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side filters for the playbooks' decisions (patch pre-check, apps to wait for, apps back online,
app stayed up, error lines). The rules are module_utils/gates.py; these only adapt Ansible's
data. The documentation of each filter is in plugins/filter/NAME.yml.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import gates
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, plain


def patch_precheck(pm2_result, probe_result=None, expected_apps=None):
    return gates.patch_precheck(plain(pm2_result), plain(probe_result), plain(expected_apps or []))


def expected_online(pm2_result, expected_apps=None):
    return gates.expected_online(plain(pm2_result), plain(expected_apps or []))


def apps_down(pm2_result, expected):
    return gates.apps_down(plain(pm2_result), plain(expected or []))


def stayed_up(watched, started, app):
    return gates.stayed_up(plain(watched), plain(started), str(app))


def error_lines(lines, patterns=None):
    try:
        return gates.error_lines(plain(lines), plain(patterns or []))
    except OpsError as exc:
        raise AnsibleFilterError("error_lines: %s" % exc)


class FilterModule(object):
    """twzrd.ops decision filters."""

    def filters(self):
        return {
            "patch_precheck": patch_precheck,
            "expected_online": expected_online,
            "apps_down": apps_down,
            "stayed_up": stayed_up,
            "error_lines": error_lines,
        }
