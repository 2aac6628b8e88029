# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A run that checks nothing fails: the sentence for a host pattern that matches no host.

Ansible runs a play whose pattern matches nothing as a success with no output, so a
scheduled weekly-health.yml against a misspelt group (`-e twzrd_ops_hosts=offchian`) or an
empty one would look healthy. Every playbook asks this first (filter
twzrd.ops.no_hosts_matched, role entry point tasks_from: hosts).
"""

from __future__ import annotations

from .common import did_you_mean, printable


def no_hosts_matched(pattern, matched, groups=()):
    """None when the pattern matched hosts, else one sentence naming the pattern, a likely
    meant group and the fix."""
    if matched:
        return None
    pattern = printable(str(pattern))[:200]
    known = sorted(name for name in groups or () if name not in ("all", "ungrouped"))
    empty = pattern in known
    why = "is a group with no hosts" if empty else "matches no host or group of the inventory"
    hint = "" if empty else did_you_mean([pattern], known)
    return ("The host pattern '%s' (twzrd_ops_hosts) %s, so this run would check nothing.%s "
            "Name hosts or a group of the inventory (groups: %s) with -e twzrd_ops_hosts=..."
            % (pattern, why, hint, ", ".join(known) or "none"))
