# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The email channel: ONE message per run, through SMTP (STARTTLS, SSL or plain, optional
auth) or the host's sendmail. Returns a short reason on failure that never holds the
password. Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import subprocess

from .channel_payloads import email_message
from .http_fetch import tls_context


def _smtp(channel, message, password):
    timeout = channel["timeout"]
    context = tls_context(channel["ca_file"]) if channel["security"] != "none" else None
    if channel["security"] == "ssl":
        client = smtplib.SMTP_SSL(channel["host"], channel["port"], timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(channel["host"], channel["port"], timeout=timeout)
    try:
        client.ehlo_or_helo_if_needed()
        if channel["security"] == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if channel["username"]:
            client.login(channel["username"], password)
        refused = client.send_message(message)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
    if refused:
        return "the SMTP server refused %d recipient%s" % (len(refused), "" if len(refused) == 1 else "s")
    return None


def _sendmail(channel, message):
    try:
        done = subprocess.run([channel["sendmail"], "-t", "-oi"], input=message.as_bytes(), stdout=subprocess.PIPE,  # pylint: disable=ansible-bad-function
                              stderr=subprocess.PIPE, timeout=channel["timeout"], check=False)
    except subprocess.TimeoutExpired:
        return "sendmail did not finish within %s seconds" % channel["timeout"]
    except OSError as exc:
        return "cannot run %s (%s)" % (channel["sendmail"], exc.strerror or exc)
    if done.returncode:
        return "sendmail exited %d" % done.returncode
    return None


def send_email(channel, host, items, now, password):
    """Send the items as one message; None, or a reason (no password, no traceback)."""
    return deliver(channel, email_message(channel["from"], channel["to"], host, items, now), password)


def deliver(channel, message, password):
    """Send one prepared message through the channel; None, or a reason (no password, no traceback)."""
    if channel["transport"] == "sendmail":
        return _sendmail(channel, message)
    try:
        return _smtp(channel, message, password)
    except smtplib.SMTPAuthenticationError as exc:
        return "SMTP authentication failed (%d)" % exc.smtp_code
    except smtplib.SMTPResponseException as exc:
        return "SMTP error %d" % exc.smtp_code
    except smtplib.SMTPServerDisconnected as exc:
        # smtplib turns a read that timed out (a server that never answers) into this.
        return "timeout" if "timed out" in str(exc) else "the SMTP server closed the connection"
    except smtplib.SMTPRecipientsRefused:
        return "the SMTP server refused every recipient"
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        return "SMTP error (%s)" % type(exc).__name__
    except socket.timeout:
        return "timeout"
    except ConnectionRefusedError:
        return "connection refused"
    except OSError as exc:
        return "network error (%s)" % (exc.strerror or type(exc).__name__)
