# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decisions of the role's flows (entry points patch, restart, emergency_*, silence) as
filters: their settings (module_utils/settings.py), the patch's apt plan, reboot, lock owner
and failure sentence (patching.py) the one `pm2 startup` command line (pm2_startup.py) and the PM2
app of each busy process (incident.py).
The documentation of each filter is in plugins/filter/NAME.yml.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import incident, patching, pm2_startup, settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, plain


def flow_settings(variables, flow):
    """The flow's settings, typed and checked (module_utils/settings.py flow)."""
    if not isinstance(variables, dict):
        raise AnsibleFilterError("flow_settings expects a mapping of twzrd_ops_* variables, got %s." % type(variables).__name__)
    try:
        return settings.flow(str(flow), plain(variables))
    except OpsError as exc:
        raise AnsibleFilterError(str(exc))


def patch_plan(lines):
    """The packages `apt-get --simulate` would upgrade or install, one 'name old -> new' each."""
    return patching.planned_packages(plain(lines))


def patch_reboot(policy, reboot_required):
    """Whether the patch reboots the host (policy always, if_required or never)."""
    try:
        return patching.reboot_wanted(str(policy), bool(reboot_required))
    except OpsError as exc:
        raise AnsibleFilterError(str(exc))


def dpkg_lock_holders(proc_locks, inode):
    """The PIDs that hold a lock on the file with this inode, from the text of /proc/locks."""
    return patching.lock_holders(str(proc_locks or ""), inode)


def patch_failure(message, task="", holders=None, lock_timeout=60, reboot_timeout=900):
    """{class, reason}: why the patch of a host failed, in words an operator acts on."""
    return patching.failure(message, task, plain(holders or []), lock_timeout, reboot_timeout)


def pm2_startup_command(pm2_path, user, pm2_home, path=""):
    """{argv, environment} of `pm2 startup systemd` for the PM2 user (module_utils/pm2_startup.py)."""
    try:
        return pm2_startup.startup_command(pm2_path, user, pm2_home, path)
    except OpsError as exc:
        raise AnsibleFilterError(str(exc))


def pm2_app_names(rows, processes):
    """The top-process rows, each with `app`: the PM2 app whose pid it is (None when none)."""
    return incident.name_apps(plain(rows or []), plain(processes or []))


class FilterModule(object):
    """twzrd.ops flow decision filters."""

    def filters(self):
        return {
            "flow_settings": flow_settings,
            "patch_plan": patch_plan,
            "patch_reboot": patch_reboot,
            "dpkg_lock_holders": dpkg_lock_holders,
            "patch_failure": patch_failure,
            "pm2_startup_command": pm2_startup_command,
            "pm2_app_names": pm2_app_names,
        }
