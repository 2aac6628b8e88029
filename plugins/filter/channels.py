# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's alert channels (module_utils/channel_settings.py); docs in alert_channels.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import alert_settings, channel_settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, plain


def alert_channels(channels, config_dir, webhook=False):
    """{"channels": [...] as config.json holds them, "secrets": [[file, secret], ...]}."""
    defaults = dict(alert_settings.DEFAULTS, webhook_url_file="%s/webhook.url" % str(config_dir).rstrip("/") if webhook else "")
    try:
        checked, secrets = channel_settings.from_role(plain(channels), str(config_dir), defaults)
    except OpsError as exc:
        raise AnsibleFilterError(str(exc))
    return {"channels": checked, "secrets": [[path, secret] for path, secret in secrets]}


class FilterModule(object):
    """twzrd.ops alert channel filter."""

    def filters(self):
        return {"alert_channels": alert_channels}
