# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP health probe: the runbook's `curl -s http://localhost:8080/health | jq .`.

One code path for the module and the on-host command (no Ansible there): fetch() speaks
HTTP through http.client, so credentials, redirects and time limits behave the same
everywhere. Request headers (tokens) never reach the result; URL credentials are masked.

- timeout bounds the WHOLE request (connect, headers and body): a watchdog shuts the
  socket at the deadline, so a server that drips one byte a second cannot stretch it.
- Redirects are followed only within the same scheme, host and port (at most MAX_REDIRECTS);
  one elsewhere is not followed (a token never travels to another origin).
- user:password in the URL becomes a Basic Authorization header (unless headers carry one).
"""

from __future__ import annotations

import base64
import errno
import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse

from . import jsondoc
from .common import OpsError, number

BODY_LIMIT = 64 * 1024
JSON_LIMIT = 16 * 1024
EXCERPT_LIMIT = 512
VALUE_SHOWN = 80
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
REASONS = ("refused", "timeout", "unexpected status", "body not JSON", "key mismatch", "unreachable", "redirect", "incomplete body")
_MISSING = object()


class _Failure(Exception):
    """A probe attempt that got no HTTP answer: reason (one of REASONS) and a sentence."""

    def __init__(self, reason, message):
        Exception.__init__(self, message)
        self.reason = reason
        self.message = message


Failure = _Failure  # for callers outside this file (the webhook)


def classify(err, url, timeout):
    """The Failure (reason, sentence) of an exception from fetch() that got no answer."""
    return _classify(err, url, timeout)


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


def url_secrets(url):
    """A URL's password (as written and decoded) for a module's no_log values: masked wherever
    Ansible shows it (-vvv's invocation too), the rest of the URL readable."""
    try:
        password = urllib.parse.urlsplit(str(url or "")).password
    except ValueError:
        password = None
    return sorted({password, urllib.parse.unquote(password)}) if password else []


def _origin(parts):
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def _without_userinfo(parts):
    return parts._replace(netloc=parts.netloc.rpartition("@")[2])


def _connection(parts, remaining, validate_certs):
    _scheme, host, port = _origin(parts)  # an explicit port: http.client misreads "::1" without one
    if parts.scheme.lower() == "https":
        context = ssl.create_default_context()
        if not validate_certs:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(host, port, timeout=remaining, context=context)
    return http.client.HTTPConnection(host, port, timeout=remaining)


def _request_once(parts, method, headers, data, deadline, validate_certs):
    """One request within the deadline (time.monotonic() value): (status, body, truncated,
    location header). At the deadline a watchdog shuts the socket and _Deadline is raised."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Deadline()
    conn = _connection(parts, remaining, validate_certs)
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
        payload = response.read(BODY_LIMIT + 1)
        location = response.getheader("Location")
        status = response.status
        if len(payload) <= BODY_LIMIT and response.length:
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
    return status, payload[:BODY_LIMIT], len(payload) > BODY_LIMIT, location


class _Deadline(Exception):
    """The whole request outlived its timeout."""


def fetch(url, method="GET", headers=None, body=None, timeout=5, validate_certs=True, follow_redirects=True):
    """One HTTP exchange: (status, body bytes (bounded), truncated), whatever the status.

    timeout (seconds) bounds everything, same-origin redirects included. Raises Failure
    for a redirect elsewhere, a redirect loop or the deadline; socket / http.client errors
    for requests that got no HTTP answer. follow_redirects=False returns a redirect as is.
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
            status, payload, truncated, location = _request_once(parts, method, headers, data, deadline, validate_certs)
            if status not in REDIRECTS or not location or not follow_redirects:
                return status, payload, truncated
            target = urllib.parse.urlsplit(urllib.parse.urljoin(urllib.parse.urlunsplit(_without_userinfo(parts)), location.strip()))
            if _origin(target) != _origin(parts):
                raise _Failure(
                    "redirect",
                    "%s redirected (HTTP %d) to %s, another scheme, host or port; the redirect was not followed."
                    % (shown, status, urllib.parse.urlunsplit(_without_userinfo(target))[:200]),
                )
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, data = "GET", None
            parts = target._replace(netloc=parts.netloc)
        raise _Failure("redirect", "%s redirected more than %d times (a redirect loop)." % (shown, MAX_REDIRECTS))
    except _Deadline:
        raise _Failure("timeout", "%s did not answer within %s seconds." % (shown, _seconds(timeout)))
    except ValueError as err:
        if isinstance(err, OSError):  # ssl.SSLCertVerificationError is both: _classify's
            raise
        # http.client refuses e.g. a redirect target with a bad port or control characters.
        raise _Failure("unreachable", "%s is unreachable (%s)." % (shown, _short(err)))


def _is_timeout(err):
    return isinstance(err, (socket.timeout, TimeoutError)) or "timed out" in str(err)


def _classify(err, url, timeout):
    """Turn an exception from fetch() into a _Failure with reason and sentence."""
    shown = safe_url(url)
    cause = getattr(err, "reason", None)  # a wrapper's cause (URLError); ssl's reason is text
    if not isinstance(cause, BaseException):
        cause = err
    if isinstance(cause, ConnectionRefusedError) or isinstance(err, ConnectionRefusedError):
        return _Failure("refused", "Nothing accepted the connection to %s (connection refused)." % shown)
    if getattr(cause, "errno", None) == errno.EADDRNOTAVAIL:
        # socket.create_connection raises the error of the LAST address it tried: for
        # "localhost" on a host without IPv6 that is ::1's "Cannot assign requested address",
        # after 127.0.0.1 already refused. Either way nothing on this host accepted.
        return _Failure("refused", "Nothing accepted the connection to %s (%s)." % (shown, _short(cause)))
    if _is_timeout(cause) or _is_timeout(err):
        return _Failure("timeout", "%s did not answer within %s seconds." % (shown, _seconds(timeout)))
    if isinstance(cause, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(err):
        return _Failure("unreachable", "%s failed TLS verification (%s)." % (shown, _short(cause)))
    if isinstance(err, http.client.IncompleteRead):
        return _Failure("incomplete body", "%s closed the connection after %d bytes of its answer, %d short of its Content-Length."
                        % (shown, len(err.partial or b""), err.expected or 0))
    if isinstance(cause, socket.gaierror):
        return _Failure("unreachable", "%s is unreachable: its host name does not resolve (%s)." % (shown, _short(cause)))
    return _Failure("unreachable", "%s is unreachable (%s)." % (shown, _short(cause)))


def _short(err):
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return text.strip().rstrip(".")[:200]


def _seconds(value):
    return "%d" % value if float(value) == int(value) else "%g" % value


def lookup(document, key):
    """document[key], where key may name a nested value with dots ("checks.db").

    A key present literally (dots included) wins over the nested reading.
    Returns _MISSING when absent.
    """
    if isinstance(document, dict) and key in document:
        return document[key]
    current = document
    for part in key.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isascii() and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _as_text(value):
    """How a JSON scalar reads in YAML: true, null, 3, ok."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches(value, expected):
    """Whether a JSON value satisfies an expectation written in YAML/JSON.

    Equal values match; so does a scalar whose text equals an expected string, since
    `status: ok` and `healthy: "true"` arrive as strings from many inventories.
    """
    if value == expected and isinstance(value, bool) == isinstance(expected, bool):
        return True
    if isinstance(expected, str) and not isinstance(value, (dict, list)):
        return _as_text(value) == expected
    if not isinstance(expected, str) and not isinstance(value, (dict, list)) and not isinstance(expected, (dict, list)):
        return _as_text(value) == _as_text(expected)
    return False


def _shown(value):
    try:
        text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
    except (ValueError, TypeError, RecursionError):
        text = "a %s" % type(value).__name__
    return text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 3] + "..."


def check_keys(document, expect_keys):
    """The first unmet expectation as a sentence, or None when all are met."""
    for key, expected in expect_keys.items():
        value = lookup(document, key)
        if value is _MISSING:
            return "The JSON body has no key %s (expected %s)." % (key, _shown(expected))
        if not matches(value, expected):
            return "Key %s is %s, expected %s." % (key, _shown(value), _shown(expected))
    return None


def _validate(url, method, timeout, expected_status, retries, delay, expect_keys):
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise OpsError("The health URL must start with http:// or https:// (got %r)." % (safe_url(str(url)),))
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as err:  # e.g. an unclosed [IPv6 literal
        raise OpsError("The health URL %s is malformed (%s)." % (safe_url(url), err))
    try:
        parts.port
    except ValueError:
        raise OpsError("The health URL %s has an invalid port." % safe_url(url))
    if not parts.hostname:
        raise OpsError("The health URL %s has no host name." % safe_url(url))
    if not isinstance(method, str) or not method.isalpha():
        raise OpsError("The HTTP method must be a word such as GET or HEAD (got %r)." % (method,))
    for name, value in (("timeout", timeout), ("retries", retries), ("delay", delay)):
        number(name, value, what="Probe setting")  # refuses NaN and infinities by name
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise OpsError("timeout must be a number of seconds above 0 (got %r)." % (timeout,))
    for name, value in (("retries", retries), ("delay", delay)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise OpsError("%s must be a number not below 0 (got %r)." % (name, value))
    codes = list(expected_status)
    if not codes or any(isinstance(c, bool) or not isinstance(c, int) or not 100 <= c <= 599 for c in codes):
        raise OpsError("Expected status codes must be HTTP codes between 100 and 599 (got %r)." % (codes,))
    if expect_keys is not None and not isinstance(expect_keys, dict):
        raise OpsError("expect_keys must be a mapping of JSON keys to expected values (got %r)." % (expect_keys,))
    return codes


def _attempt(url, method, headers, body, timeout, codes, expect_json, expect_keys, validate_certs, clock):
    """One request judged: a result dict in the DESIGN.md probe shape (attempts filled later)."""
    shown = safe_url(url)
    result = {"healthy": False, "url": shown, "status": None, "latency_ms": 0, "json": None, "body_excerpt": "", "reason": None}
    started = clock()
    try:
        status, payload, truncated = fetch(url, method, headers, body, timeout, validate_certs)
    except (OSError, http.client.HTTPException, _Failure) as err:
        failure = err if isinstance(err, _Failure) else _classify(err, url, timeout)
        result["latency_ms"] = int(round((clock() - started) * 1000))
        result.update(reason=failure.reason, message=failure.message)
        return result
    latency_ms = int(round((clock() - started) * 1000))
    result["latency_ms"] = latency_ms
    result["status"] = status
    text = payload.decode("utf-8", "replace")
    result["body_excerpt"] = text[:EXCERPT_LIMIT]
    if status not in codes:
        result.update(
            reason="unexpected status",
            message="%s answered HTTP %d, expected %s." % (shown, status, " or ".join(str(c) for c in codes)),
        )
        return result
    if expect_json or expect_keys:
        try:
            document = jsondoc.loads(text)
        except (ValueError, RecursionError) as err:
            if truncated:
                why = "larger than %d KiB" % (BODY_LIMIT // 1024)
            elif isinstance(err, RecursionError):
                why = "JSON nested too deeply to read"
            else:
                why = "not JSON"
            result.update(reason="body not JSON", message="%s answered HTTP %d but the body is %s." % (shown, status, why))
            return result
        try:
            if len(json.dumps(document, allow_nan=False)) <= JSON_LIMIT:
                result["json"] = document
        except (ValueError, RecursionError):
            pass  # NaN / Infinity or deep nesting: judged below, not returned
        problem = check_keys(document, expect_keys or {})
        if problem:
            result.update(reason="key mismatch", message=problem)
            return result
    result.update(healthy=True, message="%s answered HTTP %d in %d ms." % (shown, status, latency_ms))
    return result


def probe(
    url,
    method="GET",
    headers=None,
    body=None,
    timeout=5,
    expected_status=(200,),
    expect_json=True,
    expect_keys=None,
    retries=0,
    delay=2,
    validate_certs=True,
    sleep=time.sleep,
    clock=time.monotonic,
):
    """Probe url up to retries + 1 times, delay seconds apart, until it is healthy.

    Returns the DESIGN.md probe shape for the last attempt: healthy, url (password
    masked), status, latency_ms, attempts, json (parsed body when at most 16 KiB),
    body_excerpt (first 512 characters), reason (None when healthy) and message.
    Bad arguments raise OpsError; an unhealthy service is a result, not an exception.
    """
    codes = _validate(url, method, timeout, expected_status, retries, delay, expect_keys)
    attempts = 0
    while True:
        attempts += 1
        result = _attempt(url, method.upper(), headers, body, timeout, codes, expect_json, expect_keys, validate_certs, clock)
        if result["healthy"] or attempts > retries:
            break
        sleep(delay)
    result["attempts"] = attempts
    return result
