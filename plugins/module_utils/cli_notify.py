# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`twzrd-ops notify --test`: one test message through every configured alert channel.

Exit 0 when every channel took it, 2 naming the channels that failed, 3 when no channel is
configured. Nothing of the alert state changes. Like every module_utils file this imports
nothing from ansible.
"""

from __future__ import annotations

import json
import socket

from .alert_settings import validate
from .channel_clients import notify_test
from .channel_settings import configured
from .common import OpsError, iso_time, now_epoch


def cmd_notify(cfg, args, runner, out, err, now=None):
    if not getattr(args, "test", False):
        raise OpsError("Say what to send: twzrd-ops notify --test sends one test message through every alert channel.")
    conf = validate(cfg.get("alerts"))
    channels = configured(conf)
    if not channels:
        raise OpsError("No alert channel is configured: set twzrd_ops_alerts_channels (or twzrd_ops_alerts_webhook_url) and apply the role.")
    now = now_epoch(now)
    results = notify_test(channels, socket.gethostname(), now, iso_time(now))
    failed = [name for name, reason in results if reason]
    if args.json:
        out.write(json.dumps({"channels": [{"channel": name, "sent": reason is None, "error": reason} for name, reason in results],
                              "failed": failed}, indent=2, sort_keys=True) + "\n")
    else:
        for name, reason in results:
            out.write("%s: %s\n" % (name, "test message sent" if reason is None else "FAILED (%s)" % reason))
    if failed:
        err.write("The test message did not reach %d channel%s: %s.\n" % (len(failed), "" if len(failed) == 1 else "s", ", ".join(failed)))
        return 2
    return 0
