# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A run that checks nothing fails (module_utils/host_pattern.py); docs in no_hosts_matched.yml."""

from __future__ import annotations

from ansible_collections.twzrd.ops.plugins.module_utils.host_pattern import no_hosts_matched


class FilterModule(object):
    """twzrd.ops host pattern filter."""

    def filters(self):
        return {"no_hosts_matched": no_hosts_matched}
