# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One deadline-bounded HTTP exchange for every client of the collection: the health
probe (probe.py), the alert setting's webhook (alert_delivery.py) and the alert channels
(channel_clients.py). Standard library only (http.client, ssl); no Ansible.

- timeout bounds the WHOLE exchange (connect, headers and body, redirects included): a
  watchdog shuts the socket at the deadline, so a server that drips one byte a second or
  never answers cannot stretch it.
- Redirects are followed only within the same scheme, host and port (at most MAX_REDIRECTS);
  one elsewhere is not followed (a token never travels to another origin). Clients that
  must not follow any (the alert senders) pass follow_redirects=False.
- user:password in the URL becomes a Basic Authorization header (unless headers carry one).
- ca_file: a PEM bundle of a private CA trusted besides the system's (Alertmanager behind
  an internal CA); validate_certs=False trusts any certificate (the probe's option).
- Messages name the URL with any password masked (safe_url); request headers (tokens)
  never reach a message.
"""

from __future__ import annotations

import base64
import errno
import http.client
import socket
import ssl
import threading
import time
import urllib.parse

BODY_LIMIT = 64 * 1024
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


class Failure(Exception):
    """An exchange that got no usable HTTP answer: reason (timeout, refused, unreachable,
    redirect, incomplete body) and a sentence that names the URL without its password."""

    def __init__(self, reason, message):
        Exception.__init__(self, message)
        self.reason = reason
        self.message = message


class _Deadline(Exception):
    """The whole exchange outlived its timeout."""


def safe_url(url):
    """url with any password in it replaced by ********, for messages and results."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    netloc = "%s:********@%s" % (parts.username or "", parts.netloc.rpartition("@")[2])
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def tls_context(ca_file="", validate_certs=True):
    """The TLS context of every client (HTTPS and SMTP): the system's CAs, plus ca_file's."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _origin(parts):
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def _without_userinfo(parts):
    return parts._replace(netloc=parts.netloc.rpartition("@")[2])


def _connection(parts, remaining, validate_certs, ca_file):
    _scheme, host, port = _origin(parts)  # an explicit port: http.client misreads "::1" without one
    if parts.scheme.lower() == "https":
        return http.client.HTTPSConnection(host, port, timeout=remaining, context=tls_context(ca_file, validate_certs))
    return http.client.HTTPConnection(host, port, timeout=remaining)


def _request_once(parts, method, headers, data, deadline, validate_certs, ca_file, limit=BODY_LIMIT):
    """One request within the deadline (time.monotonic() value): (status, body, truncated,
    location header). At the deadline a watchdog shuts the socket and _Deadline is raised."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Deadline()
    conn = _connection(parts, remaining, validate_certs, ca_file)
    expired = threading.Event()

    def cut():
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(remaining, cut)
    watchdog.daemon = True
    watchdog.start()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read(limit + 1)
        location = response.getheader("Location")
        status = response.status
        if len(payload) <= limit and response.length:
            # Content-Length promised more than arrived before the close: cut short, not an answer.
            raise http.client.IncompleteRead(payload, response.length)
    except (OSError, http.client.HTTPException):
        if expired.is_set():
            raise _Deadline()
        raise
    finally:
        watchdog.cancel()
        conn.close()
    if expired.is_set():
        raise _Deadline()
    return status, payload[:limit], len(payload) > limit, location


def fetch(url, method="GET", headers=None, body=None, timeout=5, validate_certs=True, follow_redirects=True, ca_file="",
          limit=BODY_LIMIT):
    """One HTTP exchange: (status, body bytes (bounded), truncated), whatever the status.

    timeout (seconds) bounds everything, same-origin redirects included. Raises Failure
    for a redirect elsewhere, a redirect loop or the deadline; socket / http.client errors
    for requests that got no HTTP answer (classify() turns them into a Failure).
    follow_redirects=False returns a redirect as is.
    """
    deadline = time.monotonic() + float(timeout)
    data = body.encode("utf-8") if isinstance(body, str) else body
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers or {})
    if parts.username is not None and not any(name.lower() == "authorization" for name in headers):
        pair = "%s:%s" % (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    shown = safe_url(url)
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            status, payload, truncated, location = _request_once(parts, method, headers, data, deadline, validate_certs, ca_file, limit)
            if status not in REDIRECTS or not location or not follow_redirects:
                return status, payload, truncated
            target = urllib.parse.urlsplit(urllib.parse.urljoin(urllib.parse.urlunsplit(_without_userinfo(parts)), location.strip()))
            if _origin(target) != _origin(parts):
                raise Failure(
                    "redirect",
                    "%s redirected (HTTP %d) to %s, another scheme, host or port; the redirect was not followed."
                    % (shown, status, urllib.parse.urlunsplit(_without_userinfo(target))[:200]),
                )
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, data = "GET", None
            parts = target._replace(netloc=parts.netloc)
        raise Failure("redirect", "%s redirected more than %d times (a redirect loop)." % (shown, MAX_REDIRECTS))
    except _Deadline:
        raise Failure("timeout", "%s did not answer within %s seconds." % (shown, _seconds(timeout)))
    except ValueError as err:
        if isinstance(err, OSError):  # ssl.SSLCertVerificationError is both: classify's
            raise
        # http.client refuses e.g. a redirect target with a bad port or control characters.
        raise Failure("unreachable", "%s is unreachable (%s)." % (shown, _short(err)))


def _is_timeout(err):
    return isinstance(err, (socket.timeout, TimeoutError)) or "timed out" in str(err)


def classify(err, url, timeout):
    """The Failure (reason, sentence) of an exception from fetch() that got no answer."""
    shown = safe_url(url)
    cause = getattr(err, "reason", None)  # a wrapper's cause (URLError); ssl's reason is text
    if not isinstance(cause, BaseException):
        cause = err
    if isinstance(cause, ConnectionRefusedError) or isinstance(err, ConnectionRefusedError):
        return Failure("refused", "Nothing accepted the connection to %s (connection refused)." % shown)
    if getattr(cause, "errno", None) == errno.EADDRNOTAVAIL:
        # socket.create_connection raises the error of the LAST address it tried: for
        # "localhost" on a host without IPv6 that is ::1's "Cannot assign requested address",
        # after 127.0.0.1 already refused. Either way nothing on this host accepted.
        return Failure("refused", "Nothing accepted the connection to %s (%s)." % (shown, _short(cause)))
    if _is_timeout(cause) or _is_timeout(err):
        return Failure("timeout", "%s did not answer within %s seconds." % (shown, _seconds(timeout)))
    if isinstance(cause, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(err):
        return Failure("unreachable", "%s failed TLS verification (%s)." % (shown, _short(cause)))
    if isinstance(err, http.client.IncompleteRead):
        return Failure("incomplete body", "%s closed the connection after %d bytes of its answer, %d short of its Content-Length."
                       % (shown, len(err.partial or b""), err.expected or 0))
    if isinstance(cause, socket.gaierror):
        return Failure("unreachable", "%s is unreachable: its host name does not resolve (%s)." % (shown, _short(cause)))
    return Failure("unreachable", "%s is unreachable (%s)." % (shown, _short(cause)))


def _short(err):
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return text.strip().rstrip(".")[:200]


def _seconds(value):
    return "%d" % value if float(value) == int(value) else "%g" % value
