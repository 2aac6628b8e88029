# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""patch.yml's window guard (module_utils/patch_window.py); docs in patch_window.yml."""

from __future__ import annotations

import time

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import patch_window as rules
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError


def patch_window(window, now=None):
    """{"open", "message"} for the window at now (epoch; default: the controller's clock)."""
    try:
        return rules.check(window, time.time() if now is None else float(now))
    except OpsError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """twzrd.ops patch window filter."""

    def filters(self):
        return {"patch_window": patch_window}
