# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The alert channels' payloads, pure: what each provider's documented API expects.

An outbox item is a dict (an event: type firing|reminder|resolved|test|report, key, rule, level,
message, host, at (epoch), since (ISO time), text (the one-line message)) or, from a state
written before channels existed, a plain text. Nothing here reads a file or the network
(channel_clients.py does); secrets are passed in and never end up in a return value other
than the request itself. Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import json
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

# Provider limits on one message's text.
TELEGRAM_LIMIT = 4096
DISCORD_LIMIT = 2000
SLACK_LIMIT = 39000
NTFY_LIMIT = 4000

PD_SEVERITY = {"critical": "critical", "warning": "warning", "ok": "info", "info": "info"}
NTFY_PRIORITY = {"critical": 5, "warning": 4}
NTFY_TAGS = {"critical": "rotating_light", "warning": "warning", "resolved": "white_check_mark", "test": "bell", "report": "clipboard"}
_RANK = {"critical": 2, "warning": 1}


def item_text(item):
    return item if isinstance(item, str) else item["text"]


def joined(items, limit):
    """The texts of items, one a line, within limit characters (the cut says so)."""
    text = "\n".join(item_text(i) for i in items)
    if len(text) <= limit:
        return text
    note = "\n[... cut: %d characters more]" % (len(text) - limit)
    return text[:limit - len(note)] + note


def worst_item(items):
    """The level of the most severe firing item ("resolved", "test" or a level)."""
    events = [i for i in items if isinstance(i, dict)]
    firing = [i["level"] for i in events if i["type"] in ("firing", "reminder")]
    if firing:
        return max(firing, key=lambda level: _RANK.get(level, 0))
    for kind in ("test", "report"):
        if any(i["type"] == kind for i in events):
            return kind
    return "resolved"


def iso_ms(epoch):
    """RFC 3339 with milliseconds, UTC (what Alertmanager's API expects)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + ".%03dZ" % int((epoch % 1) * 1000)


def slack_body(items):
    return json.dumps({"text": joined(items, SLACK_LIMIT)}).encode("utf-8")


def discord_body(items):
    """Discord's execute-webhook payload: content (at most 2000 characters), no pings."""
    return json.dumps({"content": joined(items, DISCORD_LIMIT), "username": "twzrd-ops",
                       "allowed_mentions": {"parse": []}}).encode("utf-8")


def telegram_body(chat_id, items):
    """Bot API sendMessage: plain text (no parse_mode: app names need no escaping)."""
    return json.dumps({"chat_id": chat_id, "text": joined(items, TELEGRAM_LIMIT),
                       "disable_web_page_preview": True}).encode("utf-8")


def webhook_body(host, items):
    """The generic webhook: {"host", "events": [...]} (a plain text item is {"text": ...})."""
    events = [{"text": i} if isinstance(i, str) else dict(i) for i in items]
    return json.dumps({"source": "twzrd-ops", "host": host, "events": events}, sort_keys=True).encode("utf-8")


def ntfy_request(host, items):
    """(headers, body) of one ntfy publish: priority and tags follow the worst item."""
    level = worst_item(items)
    headers = {"Title": "twzrd-ops %s: %s" % (host, level if level in _RANK else level.upper()),
               "Priority": str(NTFY_PRIORITY.get(level, 3)), "Tags": NTFY_TAGS.get(level, "information_source")}
    # HTTP header values are latin-1: a host name outside it is shown escaped.
    headers["Title"] = headers["Title"].encode("ascii", "backslashreplace").decode("ascii")
    return headers, joined(items, NTFY_LIMIT).encode("utf-8")


def pagerduty_event(routing_key, item):
    """One Events API v2 event: trigger on FIRING/REMINDER (and the test), resolve on RESOLVED.
    dedup_key host:key is stable, so a reminder updates the same incident. None for a text."""
    if isinstance(item, str):
        return None
    dedup = "%s:%s" % (item["host"], item["key"])
    if item["type"] == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup}
    return {
        "routing_key": routing_key, "event_action": "trigger", "dedup_key": dedup,
        "payload": {"summary": item["text"][:1024], "source": item["host"], "severity": PD_SEVERITY.get(item["level"], "warning"),
                    "component": item["key"], "class": item["rule"], "timestamp": iso_ms(item["at"]),
                    "custom_details": {"message": item["message"], "since": item.get("since")}},
    }


def _am_labels(host, rule, key, level):
    subject = key.split(":", 1)[1] if ":" in key else ""
    labels = {"alertname": rule, "host": host, "severity": level, "source": "twzrd-ops"}
    if subject:
        labels["subject"] = subject
    return labels


def alertmanager_alerts(host, active, resolved, now, ends_after):
    """The body of POST /api/v2/alerts. active: (key, alert) pairs of firing, unsilenced
    alerts (posted on every run, endsAt ends_after seconds ahead: beyond the next run, so
    Alertmanager resolves them itself if the runs stop); resolved: resolved event items
    (endsAt: when they resolved)."""
    body = []
    for key, alert in active:
        body.append({"labels": _am_labels(host, alert["rule"], key, alert["level"]),
                     "annotations": {"summary": alert["message"]},
                     "startsAt": iso_ms(alert["since"]), "endsAt": iso_ms(now + ends_after)})
    posted = {key for key, _alert in active}
    for item in resolved:
        if isinstance(item, str) or item["type"] not in ("resolved", "test") or item["key"] in posted:
            continue
        ends = item["at"] if item["type"] == "resolved" else now + 300
        body.append({"labels": _am_labels(item["host"], item["rule"], item["key"], item["level"]),
                     "annotations": {"summary": item["message"]},
                     "startsAt": iso_ms(min(item.get("started", item["at"]), ends)), "endsAt": iso_ms(ends)})
    return json.dumps(body, sort_keys=True).encode("utf-8")


def email_message(sender, recipients, host, items, now):
    """ONE message for the run's items (subject: host and the worst level)."""
    message = EmailMessage()
    level = worst_item(items)
    count = len(items)
    shown = level if level in _RANK else level.upper()
    message["Subject"] = "[twzrd-ops] %s: %s (%d event%s)" % (host, shown, count, "" if count == 1 else "s")
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(now, usegmt=True)
    message["Message-ID"] = make_msgid("twzrd-ops")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(item_text(i) for i in items) + "\n\n-- \ntwzrd-ops alerts on %s\n" % host)
    return message
