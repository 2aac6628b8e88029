# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The alert engine's delivery: log lines, the webhook and the Prometheus textfile.

One line per event (and one per run) appended to the log file, an optional
Slack-compatible webhook, and an optional Prometheus textfile for node_exporter's textfile
collector. Nothing here decides whether an alert fires (alert_rules.py does). Like every
module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import errno
import http.client
import json
import os
import socket
import stat
import time

from . import probe
from .common import OpsError, atomic_write, iso_time, open_append
from .escape import clip, log_text, printable, prom_label, valid

EVENT_WORD = {"firing": "FIRING", "reminder": "REMINDER", "resolved": "RESOLVED"}


# An alert key (rule:app name) keeps this many characters in a log line.
KEY_LIMIT = 200


def one_line(text):
    """One line of printable text (escape.log_text): runs of whitespace become one space,
    control and bidi characters (terminal escapes from app names or log lines) are shown
    escaped, invalid UTF-8 is shown as \\udcXX, and the text is capped."""
    return log_text(text)


def key_text(key):
    """An alert key as one printable word (an app name may hold spaces, no-break spaces or
    escapes), so the log keeps its grammar ^(\\S+) (\\S+) (\\S+) (\\S+): (.*)$."""
    text = printable(clip(valid(key), KEY_LIMIT))
    return "".join(("\\x%02x" % ord(c) if ord(c) < 0x100 else "\\u%04x" % ord(c)) if c.isspace() else c for c in text) or "-"


def log_line(epoch, word, level, key, message):
    """`2026-11-27T22:00:00Z FIRING critical swap: Swap use is 55.0% ...` (see docs/ALERTS.md)."""
    return "%s %s %s %s: %s" % (iso_time(epoch), word, level, key_text(key), one_line(message))


# A URL file holds one URL: more than this is not one (and /dev/zero would never end).
URL_FILE_LIMIT = 64 * 1024


def read_secret_file(path, what):
    """The secret (token, key, password) a root-only file holds, stripped; OpsError naming
    the file, never its content."""
    raw, _info = _read_small(path, what + " file")
    text = raw.decode("utf-8", "replace").strip()
    if not text or "\n" in text:
        raise OpsError("The %s file %s must hold one line." % (what, path))
    return text


def _read_small(path, what, holds="one line"):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            raw = handle.read(URL_FILE_LIMIT + 1)
    except OSError as exc:
        raise OpsError("Cannot read the %s %s (%s)." % (what, path, exc.strerror or exc))
    if len(raw) > URL_FILE_LIMIT:
        raise OpsError("The %s %s is larger than %d bytes; it must hold %s." % (what, path, URL_FILE_LIMIT, holds))
    return raw, info


def read_webhook_url(path, what="webhook"):
    """(url, warning or None) from the file holding a secret URL (never shown in errors).

    Opened without blocking and read only when it is a regular file of at most
    URL_FILE_LIMIT bytes: a FIFO or a device planted there cannot hold the hourly run."""
    raw, info = _read_small(path, what + " URL file", "one URL")
    url = raw.decode("utf-8", "replace").strip()
    if not (url.startswith("https://") or url.startswith("http://")) or any(c.isspace() for c in url):
        raise OpsError("The %s URL file %s does not hold one http(s) URL." % (what, path))
    warning = None
    if info.st_mode & 0o077:
        warning = "The %s URL file %s is readable by other users; make it mode 0600." % (what, path)
    return url, warning


def _post_once(url, body, timeout):
    """POST body; returns None on a 2xx answer or a short reason that never names the URL."""
    return _request(url, "POST", body, timeout)


def ping(url, timeout):
    """GET url (a heartbeat); returns None on a 2xx answer or a short reason (never the URL)."""
    return _request(url, "GET", None, timeout)


def _request(url, method, body, timeout):
    """Through the health probe's fetcher: timeout bounds the whole request (a receiver that
    drips cannot hold the hourly run), and redirects are not followed."""
    headers = {"User-Agent": "twzrd-ops-alerts/1"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        status, _payload, _truncated = probe.fetch(url, method, headers, body, timeout, follow_redirects=False)
    except probe.Failure as exc:
        return _WEBHOOK_REASONS.get(exc.reason, "network error")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if isinstance(exc, socket.gaierror):
            return "name resolution failed"
        return _WEBHOOK_REASONS.get(probe.classify(exc, url, timeout).reason, "network error")
    return None if 200 <= status < 300 else "HTTP %d" % status


_WEBHOOK_REASONS = {"timeout": "timeout", "refused": "connection refused"}


def deliver_webhook(url, texts, timeout, retries, retry_delay=1.0):
    """Post the texts as one Slack-compatible message; returns None or "HTTP 500"-like reason."""
    body = json.dumps({"text": "\n".join(texts)}).encode("utf-8")
    reason = None
    for attempt in range(int(retries) + 1):
        if attempt:
            time.sleep(retry_delay * attempt)
        reason = _post_once(url, body, timeout)
        if reason is None:
            return None
        if reason.startswith("HTTP 4") and reason != "HTTP 429":
            return reason  # the receiver refuses the message: trying again will not help
    return reason


def append_log(path, lines):
    """Append lines to the alert log: never through a symlink, never to a file another
    user can write (common.open_append); OpsError or OSError otherwise."""
    with open_append(path, 0o640) as handle:
        handle.write("".join(line + "\n" for line in lines))


def _escape_label(value):
    """A label value in the exposition format (escape.prom_label: \\\\, \\", \\n, controls shown)."""
    return prom_label(value)


def _labels(**labels):
    return "{%s}" % ",".join('%s="%s"' % (k, _escape_label(v)) for k, v in sorted(labels.items()))


def _number_text(value):
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int) or float(value).is_integer():
        return "%d" % value
    return repr(float(value))


def render_textfile(snapshot, alerts, crash_totals, now, success, outbox=0, reason=None, silenced=()):
    """The Prometheus text exposition of one run (for node_exporter's textfile collector).
    reason: why the run failed (the label of twzrd_ops_last_run_failure_info); silenced: the
    alert keys an active silence covers (label silenced="1", else "0")."""
    metrics = []

    def metric(name, kind, helptext, samples):
        metrics.append("# HELP %s %s" % (name, helptext))
        metrics.append("# TYPE %s %s" % (name, kind))
        for labels, value in samples:
            metrics.append("%s%s %s" % (name, labels, _number_text(value)))

    system = (snapshot or {}).get("system") or {}
    swap = system.get("swap") or {}
    if swap.get("percent") is not None:
        metric("twzrd_ops_swap_used_ratio", "gauge", "Fraction of swap space in use (0 when no swap is configured).",
               [("", float(swap["percent"]) / 100.0)])
    per_core = ((system.get("load") or {}).get("per_core") or {})
    if per_core.get("load1") is not None:
        metric("twzrd_ops_load_per_core", "gauge", "Load average divided by the number of CPUs.",
               [(_labels(period=p), per_core[p]) for p in ("load1", "load5", "load15") if per_core.get(p) is not None])
    memory = system.get("memory") or {}
    if memory.get("available") is not None:
        metric("twzrd_ops_memory_available_bytes", "gauge", "Memory available to new processes without swapping.",
               [("", memory["available"])])
    status = (snapshot or {}).get("pm2") or {}
    if not status.get("error") and (status.get("processes") is not None or status.get("summary")):
        apps = {}
        for proc in status.get("processes") or []:
            apps[proc["name"]] = apps.get(proc["name"], True) and proc.get("status") == "online"
        for name in ((status.get("summary") or {}).get("missing") or []):
            apps.setdefault(name, False)
        metric("twzrd_ops_pm2_app_up", "gauge", "1 when every PM2 process of the app is online, else 0.",
               [(_labels(app=name), 1 if apps[name] else 0) for name in sorted(apps)])
    metric("twzrd_ops_pm2_crashes_total", "counter",
           "PM2 app crashes counted from the PM2 daemon log (planned restarts excluded).",
           [(_labels(app=name), crash_totals[name]) for name in sorted(crash_totals)])
    metric("twzrd_ops_alert_active", "gauge",
           "1 for each alert that is active, labelled by rule, key, level and silenced (1 while a silence covers it).",
           [(_labels(rule=a["rule"], key=key, level=a["level"], silenced=1 if key in silenced else 0), 1)
            for key, a in sorted(alerts.items())])
    metric("twzrd_ops_alerts_undelivered", "gauge", "Alert channel messages waiting for the next run (all channels).", [("", outbox)])
    metric("twzrd_ops_last_run_timestamp_seconds", "gauge", "Time of the last alert run (Unix epoch).", [("", now)])
    metric("twzrd_ops_last_run_success", "gauge",
           "1 when the last alert run checked the host and delivered everything, else 0.", [("", 1 if success else 0)])
    if not success and reason:
        metric("twzrd_ops_last_run_failure_info", "gauge", "Why the last alert run failed (the reason label).",
               [(_labels(reason=one_line(reason)[:300]), 1)])
    return "\n".join(metrics) + "\n"


def write_textfile(path, text):
    if not os.path.isdir(os.path.dirname(path)):
        raise OpsError("The Prometheus textfile directory %s does not exist." % os.path.dirname(path))
    try:
        atomic_write(path, text, mode=0o644)
    except OSError as exc:
        raise OpsError("Cannot write the Prometheus textfile %s (%s)." % (path, exc.strerror or exc))
