# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`twzrd-ops notify --test`: one test message through every configured alert channel.
`twzrd-ops notify --report`: the newest weekly report's summary (verdict, findings, the path
of the full report) through every channel that is not an incident tracker (after `health`).

Exit 0 when every channel took it, 2 naming the channels that failed, 3 when no channel is
configured (or no report was saved). Nothing of the alert state changes. Like every module_utils file this imports
nothing from ansible.
"""

from __future__ import annotations

import glob
import json
import os
import socket

from . import jsondoc
from .alert_settings import validate
from .channel_clients import notify_report, notify_test
from .channel_settings import configured
from .common import OpsError, iso_time, now_epoch
from .escape import log_text
from .report import REPORT_PREFIX

# Findings the report summary names (the rest are counted).
SUMMARY_FINDINGS = 5


def report_summary(directory, host):
    """The summary of the newest weekly report in directory (one line a finding, at most
    SUMMARY_FINDINGS), or OpsError when none was saved."""
    reports = sorted(glob.glob(os.path.join(directory, REPORT_PREFIX + "*.json")))
    if not reports:
        raise OpsError("No weekly report in %s yet: run twzrd-ops health first." % directory)
    try:
        with open(reports[-1], "rb") as handle:
            data = jsondoc.loads(handle.read().decode("utf-8"))
        findings = [f for f in data.get("findings") or [] if isinstance(f, dict)]
        verdict = str(data.get("verdict", "?"))
    except (OSError, ValueError, AttributeError) as exc:
        raise OpsError("Cannot read the weekly report %s (%s)." % (reports[-1], getattr(exc, "strerror", None) or exc))
    text_path = reports[-1][:-len(".json")] + ".txt"
    lines = ["%s weekly report %s: verdict %s, %d finding%s." % (
        host, os.path.basename(text_path)[len(REPORT_PREFIX):-len(".txt")], verdict.upper(), len(findings),
        "" if len(findings) == 1 else "s")]
    lines += ["- %s %s" % (f.get("level", "?"), log_text(f.get("message", ""))) for f in findings[:SUMMARY_FINDINGS]]
    if len(findings) > SUMMARY_FINDINGS:
        lines.append("- ... and %d more" % (len(findings) - SUMMARY_FINDINGS))
    lines.append("Full report: %s" % text_path)
    return "\n".join(lines)


def cmd_notify(cfg, args, runner, out, err, now=None):
    if not (getattr(args, "test", False) or getattr(args, "report", False)):
        raise OpsError("Say what to send: twzrd-ops notify --test (a test message) or --report (the weekly report's summary).")
    conf = validate(cfg.get("alerts"))
    channels = configured(conf)
    if not channels:
        raise OpsError("No alert channel is configured: set twzrd_ops_alerts_channels (or twzrd_ops_alerts_webhook_url) and apply the role.")
    now = now_epoch(now)
    host = socket.gethostname()
    if getattr(args, "report", False):
        results = notify_report(channels, host, now, report_summary(cfg["reports"]["dir"], host))
    else:
        results = notify_test(channels, host, now, iso_time(now))
    failed = [name for name, reason in results if reason]
    if args.json:
        out.write(json.dumps({"channels": [{"channel": name, "sent": reason is None, "error": reason} for name, reason in results],
                              "failed": failed}, indent=2, sort_keys=True) + "\n")
    else:
        for name, reason in results:
            out.write("%s: %s\n" % (name, "sent" if reason is None else "FAILED (%s)" % reason))
    if failed:
        err.write("The message did not reach %d channel%s: %s.\n" % (len(failed), "" if len(failed) == 1 else "s", ", ".join(failed)))
        return 2
    return 0
