# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The alert channels' clients: each channel's outbox is sent on its own.

drain() sends every channel's outbox (channel_payloads.py builds the requests, this file
reads the secret files and talks HTTP; channel_email.py sends mail). One channel failing
never holds back or repeats another: each keeps what it could not send, and the reason
names the channel (name and type), never its secret. Standard library only (docs/DESIGN.md,
"Alert channels"). Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import time
import urllib.parse

from .alert_delivery import read_secret_file, read_webhook_url
from .channel_email import send_email
from .channel_payloads import (
    alertmanager_alerts,
    discord_body,
    ntfy_request,
    pagerduty_event,
    slack_body,
    telegram_body,
    webhook_body,
)
from .common import OpsError
from .http_fetch import Failure, fetch

# Seconds between attempts within one run (tests set it to 0).
RETRY_DELAY = 1.0
# Undelivered items kept per channel; older ones are dropped (and said).
OUTBOX_LIMIT = 100
_USER_AGENT = "twzrd-ops-alerts/1"


def post(url, headers, body, timeout, ca_file=""):
    """One POST through http_fetch.fetch (the probe's deadline-bounded exchange: timeout
    bounds the whole of it, a receiver that hangs or drips is cut; redirects are not
    followed; ca_file adds a private CA): None on a 2xx answer, else a short reason that
    never names the URL (a token may be part of it)."""
    try:
        status, _payload, _truncated = fetch(url, "POST", dict(headers, **{"User-Agent": _USER_AGENT}), body, timeout,
                                             follow_redirects=False, ca_file=ca_file)
    except Failure as exc:  # its message names the URL: only the reason word is told
        return "timeout" if exc.reason == "timeout" else "network error (%s)" % exc.reason
    except socket.timeout:
        return "timeout"
    except ConnectionRefusedError:
        return "connection refused"
    except socket.gaierror:
        return "name resolution failed"
    except ssl.SSLError as exc:
        return "TLS error (%s)" % (exc.reason or type(exc).__name__)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return "network error (%s)" % type(exc).__name__
    return None if 200 <= status < 300 else "HTTP %d" % status


def post_retrying(channel, url, headers, body):
    """post() up to 1 + retries times; a 4xx other than 429 is final (the receiver refuses)."""
    reason = None
    for attempt in range(int(channel["retries"]) + 1):
        if attempt:
            time.sleep(channel.get("retry_delay", RETRY_DELAY) * attempt)
        reason = post(url, headers, body, channel["timeout"], channel.get("ca_file", ""))
        if reason is None or (reason.startswith("HTTP 4") and reason != "HTTP 429"):
            return reason
    return reason


_JSON = {"Content-Type": "application/json"}


def _all(items, reason):
    """A channel that sends its items as one request: all of them or none."""
    return (0 if reason else len(items)), reason


def _alertmanager(channel, host, items, now, active, notes):
    headers = dict(_JSON)
    if channel["token_file"]:
        headers["Authorization"] = "Bearer " + read_secret_file(channel["token_file"], "alertmanager token")
    elif channel["username"]:
        password = read_secret_file(channel["password_file"], "alertmanager password")
        pair = ("%s:%s" % (channel["username"], password)).encode("utf-8")
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    body = alertmanager_alerts(host, active, items, now, channel["ends_after_hours"] * 3600.0)
    return _all(items, post_retrying(channel, channel["url"] + "/api/v2/alerts", headers, body))


def _pagerduty(channel, host, items, now, active, notes):
    key = read_secret_file(channel["routing_key_file"], "PagerDuty routing key")
    sent = 0
    for item in items:
        event = pagerduty_event(key, item)
        if event is not None:
            reason = post_retrying(channel, channel["url"] + "/v2/enqueue", _JSON, json.dumps(event).encode("utf-8"))
            if reason:
                return sent, reason
        sent += 1  # in order: what failed and what follows it stay in the outbox
    return sent, None


def _telegram(channel, host, items, now, active, notes):
    token = read_secret_file(channel["token_file"], "Telegram bot token")
    url = "%s/bot%s/sendMessage" % (channel["url"], urllib.parse.quote(token, safe=":"))
    return _all(items, post_retrying(channel, url, _JSON, telegram_body(channel["chat_id"], items)))


def _url_channel(build):
    def send(channel, host, items, now, active, notes):
        url, warning = read_webhook_url(channel["url_file"], what="webhook")
        if warning:
            notes.append(warning)
        headers = dict(_JSON)
        if channel.get("token_file"):
            headers["Authorization"] = "Bearer " + read_secret_file(channel["token_file"], "webhook token")
        return _all(items, post_retrying(channel, url, headers, build(host, items)))
    return send


def _ntfy(channel, host, items, now, active, notes):
    headers, body = ntfy_request(host, items)
    if channel["token_file"]:
        headers["Authorization"] = "Bearer " + read_secret_file(channel["token_file"], "ntfy token")
    return _all(items, post_retrying(channel, "%s/%s" % (channel["url"], channel["topic"]), headers, body))


def _email(channel, host, items, now, active, notes):
    password = read_secret_file(channel["password_file"], "SMTP password") if channel["password_file"] else ""
    return _all(items, send_email(channel, host, items, now, password))


SENDERS = {
    "alertmanager": _alertmanager, "pagerduty": _pagerduty, "telegram": _telegram,
    "discord": _url_channel(lambda host, items: discord_body(items)),
    "slack": _url_channel(lambda host, items: slack_body(items)),
    "webhook": _url_channel(webhook_body), "ntfy": _ntfy, "email": _email,
}


def label(channel):
    """How messages name a channel: its name and type, never a URL or a secret; the
    channel of the alert setting webhook_url_file is "webhook", as before channels."""
    if channel.get("legacy"):
        return "webhook"
    return "Alert channel %s (%s)" % (channel["name"], channel["type"])


def send(channel, host, items, now, active=(), notes=None):
    """(items sent from the start of items, reason or None); OpsError when a secret file
    cannot be read (its sentence names the file, never its content).
    notes: a list that gets warnings (a secret file other users can read)."""
    return SENDERS[channel["type"]](channel, host, items, now, list(active), [] if notes is None else notes)


def needs_run(channel, items, active):
    """Alertmanager is posted every run while alerts fire (their endsAt moves ahead)."""
    return bool(items) or (channel["type"] == "alertmanager" and bool(active))


def bounded(items, host, limit=OUTBOX_LIMIT):
    if len(items) <= limit:
        return items
    dropped = len(items) - limit + 1
    return ["%s: %d older undelivered alert messages were dropped." % (host, dropped)] + items[dropped:]


def drain(channels, outbox, host, now, active, retry_delay=RETRY_DELAY):
    """Send every channel's outbox. Returns (outbox after, [problem sentence, ...], [warning, ...]).
    active: (key, alert) pairs of the firing alerts no silence covers (for Alertmanager)."""
    after, problems, notes = {}, [], []
    for channel in channels:
        items = list(outbox.get(channel["name"], []))
        if not needs_run(channel, items, active):
            continue
        try:
            sent, reason = send(dict(channel, retry_delay=retry_delay), host, items, now, active, notes)
        except OpsError as exc:
            left = items
            problems.append(str(exc) if channel.get("legacy") else "%s: %s" % (label(channel), exc))
        else:
            left = items[sent:] if reason else []
            if reason:
                problems.append("%s delivery failed (%s); %d message%s kept for the next run." % (
                    label(channel), reason, len(left), "" if len(left) == 1 else "s"))
        if left:
            after[channel["name"]] = left
    for name, items in outbox.items():
        if name not in after and items and not any(c["name"] == name for c in channels):
            after[name] = items  # a channel that went: dropped by the next run's _queue
    return after, problems, notes


TEST_KEY = "twzrd_ops_test"


def test_item(host, now, text_time):
    """The item `twzrd-ops notify --test` sends (level info; Alertmanager lets it end in 5 minutes)."""
    message = "Test message from twzrd-ops on %s at %s: this channel works." % (host, text_time)
    return {"type": "test", "key": TEST_KEY, "rule": TEST_KEY, "level": "info", "message": message, "host": host, "at": now,
            "since": text_time, "started": now, "text": "%s TEST info %s: %s" % (host, TEST_KEY, message)}


# The key of the weekly report's summary (not an alert rule: it is never stored or silenced).
REPORT_KEY = "weekly_report"
# Channels that page or track incidents: the weekly report summary is not one.
INCIDENT_TYPES = ("alertmanager", "pagerduty")


def notify_report(channels, host, now, text):
    """Send the weekly report's summary (text) through every channel that is not an
    incident tracker: [(label, reason or None), ...]."""
    item = {"type": "report", "key": REPORT_KEY, "rule": REPORT_KEY, "level": "info", "message": text, "host": host,
            "at": now, "since": "", "started": now, "text": text}
    results = []
    for channel in channels:
        if channel["type"] in INCIDENT_TYPES:
            continue
        try:
            _sent, reason = send(channel, host, [item], now)
        except OpsError as exc:
            reason = str(exc).rstrip(".")
        results.append((label(channel), reason))
    return results


def notify_test(channels, host, now, text_time):
    """Send one test message through every channel: [(label, reason or None), ...].
    PagerDuty gets the test incident and at once its resolve, so nobody stays paged."""
    results = []
    item = test_item(host, now, text_time)
    for channel in channels:
        items = [item, dict(item, type="resolved")] if channel["type"] == "pagerduty" else [item]
        try:
            _sent, reason = send(channel, host, items, now)
        except OpsError as exc:
            reason = str(exc).rstrip(".")
        results.append((label(channel), reason))
    return results
