# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's one size and one duration formatter (module_utils/common.py) as filters,
so that the playbooks' summaries print figures as the reports and the modules do. The
documentation of each filter is in plugins/filter/NAME.yml.
"""

from __future__ import annotations

from ansible_collections.twzrd.ops.plugins.module_utils.common import duration, size


class FilterModule(object):
    """twzrd.ops formatting filters."""

    def filters(self):
        return {"size": size, "duration": duration}
