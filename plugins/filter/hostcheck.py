# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side reading of a twzrd.ops.host_check result (module_utils/hostcheck.py decides)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import hostcheck
from ansible_collections.twzrd.ops.plugins.module_utils.common import plain


def host_result(result):
    """hostcheck.host_result: checked (snapshot, findings, verdict, report) or unreachable/failed with a reason."""
    if result is not None and not isinstance(result, dict):
        raise AnsibleFilterError("host_result expects a registered host_check result, got %s." % type(result).__name__)
    return hostcheck.host_result(plain(result))


class FilterModule(object):
    """twzrd.ops host_check filters."""

    def filters(self):
        return {"host_result": host_result}
