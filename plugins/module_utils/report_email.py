# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A report by e-mail from the controller (weekly-health.yml's fleet report): the SMTP
settings are those of the email alert channel (channel_settings, checked the same way, the
password given as a value here since the controller has no root-only file for it), the
message is the Markdown text with the HTML page as its alternative, and delivery is
channel_email's (one sentence on failure, never the password). Imports nothing from ansible.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .alert_settings import DEFAULTS as ALERT_DEFAULTS
from .channel_email import deliver
from .channel_settings import from_role
from .common import OpsError

NAME = "fleet-report"


def smtp_settings(settings):
    """(channel, password) from the email settings (host, port, security, username, password,
    from, to, ca_file, timeout, transport, sendmail); OpsError naming what is wrong."""
    if not isinstance(settings, dict):
        raise OpsError("The report's e-mail settings must be a mapping (host, from, to, ...), got %s." % type(settings).__name__)
    given = dict(settings, type="email", name=NAME)
    channels, secrets = from_role([given], "/nonexistent", dict(ALERT_DEFAULTS, webhook_url_file=""))
    channel = channels[0]
    channel["retries"] = 0
    return channel, (secrets[0][1] if secrets else "")


def report_message(channel, subject, text, html=None, now=None):
    """One message: the text, and the HTML page as its alternative when given."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = channel["from"]
    message["To"] = ", ".join(channel["to"])
    message["Date"] = formatdate(now, usegmt=True)
    message["Message-ID"] = make_msgid("twzrd-ops")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text if text.endswith("\n") else text + "\n")
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send_report(settings, subject, text, html=None, now=None):
    """Send the report; raises OpsError with one sentence (never the password) when it fails."""
    channel, password = smtp_settings(settings)
    reason = deliver(channel, report_message(channel, subject, text, html, now), password)
    if reason:
        raise OpsError("The report could not be e-mailed to %s via %s (%s)." % (
            ", ".join(channel["to"]), channel["host"] if channel["transport"] == "smtp" else channel["sendmail"], reason))
    return channel["to"]
