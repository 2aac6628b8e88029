# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The alert engine's settings: DEFAULTS, their rules (validate) and the host-side check
that every file setting names something usable (refuse_unusable_paths).

The on-host configuration (config.py), the role's settings (settings.py), the modules and
the engine (alerts.py) all validate the "alerts" section here.
"""

from __future__ import annotations

import os

from .channel_settings import validate_channels
from .common import OpsError, number, refuse_unknown

DEFAULTS = {
    "state_file": "/var/lib/twzrd-ops/alerts-state.json",
    "log_file": "/var/log/twzrd-daily-alerts.log",
    "repeat_hours": 4,
    "swap_clear": 15,
    "load_clear_ratio": 0.9,
    "webhook_url_file": "",
    "webhook_timeout": 5,
    "webhook_retries": 2,
    "textfile_path": "",
    "heartbeat_url_file": "",
    "silence_max_hours": 24,
    # The alert channels (channel_settings.py): a list of {"type": TYPE, ...}.
    "channels": [],
}


# Settings whose value may be a secret by mistake (the webhook URL pasted instead of the
# path of the file holding it): never shown in a message.
_SECRET_SETTINGS = ("webhook_url_file", "heartbeat_url_file")


def _absolute_path(conf, key, allow_empty):
    value = conf[key]
    if value is None:
        value = ""
    shown = "a value that is not shown (it may be the secret itself)" if key in _SECRET_SETTINGS else repr(value)
    if not isinstance(value, str):
        raise OpsError("Alert setting %s must be a file path, got %s." % (key, shown))
    if value == "" and allow_empty:
        return value
    if not value.startswith("/"):
        raise OpsError("Alert setting %s must be an absolute path, got %s." % (key, shown))
    return value


# (setting, minimum, maximum); webhook_retries is a whole number. repeat_hours 0 = no reminders.
_RANGES = (
    ("repeat_hours", 0, 24 * 365),
    ("swap_clear", 0, 100),
    ("load_clear_ratio", 0, 1),
    ("webhook_timeout", 0.1, 300),
    ("webhook_retries", 0, 10),
    ("silence_max_hours", 0.1, 24 * 30),
)


def validate(alerts_cfg=None):
    """Merge alerts_cfg over DEFAULTS and check it; returns a new dict or raises OpsError."""
    if alerts_cfg is None:
        alerts_cfg = {}
    if not isinstance(alerts_cfg, dict):
        raise OpsError("The alerts settings must be a mapping, got %r." % (alerts_cfg,))
    refuse_unknown(alerts_cfg, DEFAULTS, "alert setting%s")
    conf = dict(DEFAULTS)
    conf.update({k: v for k, v in alerts_cfg.items() if v is not None})
    conf["state_file"] = _absolute_path(conf, "state_file", allow_empty=False)
    conf["log_file"] = _absolute_path(conf, "log_file", allow_empty=True)
    conf["webhook_url_file"] = _absolute_path(conf, "webhook_url_file", allow_empty=True)
    conf["textfile_path"] = _absolute_path(conf, "textfile_path", allow_empty=True)
    conf["heartbeat_url_file"] = _absolute_path(conf, "heartbeat_url_file", allow_empty=True)
    if conf["textfile_path"] and not conf["textfile_path"].endswith(".prom"):
        raise OpsError(
            "Alert setting textfile_path must end in .prom (node_exporter reads only *.prom files), got %r."
            % conf["textfile_path"]
        )
    for key, minimum, maximum in _RANGES:
        conf[key] = number(key, conf[key], minimum, maximum, integer=key == "webhook_retries", what="Alert setting")
    conf["channels"] = validate_channels(conf["channels"], conf)
    return conf


_FILE_SETTINGS = ("state_file", "log_file", "textfile_path", "webhook_url_file", "heartbeat_url_file")


def refuse_unusable_paths(conf):
    """On the host: a file setting that names a directory or anything else that is not a
    regular file (a FIFO would hang the run, a device never end), or whose nearest existing
    parent is a file, is refused with one sentence naming the setting (the run ends UNKNOWN)."""
    for key in _FILE_SETTINGS:
        path = conf.get(key)
        if not path:
            continue
        if os.path.isdir(path):
            raise OpsError("Alert setting %s names a directory (%s); it must name a file." % (key, path))
        if os.path.exists(path) and not os.path.isfile(path):
            raise OpsError("Alert setting %s names something that is not a regular file (%s); it must name a file." % (key, path))
        parent = os.path.dirname(path)
        while parent and parent != "/" and not os.path.lexists(parent):
            parent = os.path.dirname(parent)
        if parent and not os.path.isdir(parent):
            raise OpsError("Alert setting %s: %s is a file, not a directory, so %s cannot be created." % (key, parent, path))
