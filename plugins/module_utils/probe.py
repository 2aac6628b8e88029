# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP health probe: the runbook's `curl -s http://localhost:8080/health | jq .`.

Inside Ansible the request goes through ansible.module_utils.urls.open_url; on a host
without Ansible (twzrd_ops_lib) through urllib.request. Both sit behind fetch(), so the
rest of the probe is one code path. Request headers may carry tokens and are never put
in the result; credentials in the URL are masked wherever the URL is shown.
"""

from __future__ import annotations

import errno
import http.client
import json
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

from .common import OpsError

try:
    from ansible.module_utils.urls import ConnectionError as UrlsConnectionError, open_url
except ImportError:
    open_url = None

    class UrlsConnectionError(Exception):
        """Stand-in for ansible.module_utils.urls.ConnectionError when Ansible is absent."""

BODY_LIMIT = 64 * 1024
JSON_LIMIT = 16 * 1024
EXCERPT_LIMIT = 512
VALUE_SHOWN = 80
REASONS = ("refused", "timeout", "unexpected status", "body not JSON", "key mismatch", "unreachable")
_MISSING = object()


class _Failure(Exception):
    """A probe attempt that got no HTTP answer: reason (one of REASONS) and a sentence."""

    def __init__(self, reason, message):
        Exception.__init__(self, message)
        self.reason = reason
        self.message = message


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


def _read_bounded(response):
    """Up to BODY_LIMIT bytes of the body, and whether there was more."""
    data = response.read(BODY_LIMIT + 1)
    return data[:BODY_LIMIT], len(data) > BODY_LIMIT


def fetch(url, method="GET", headers=None, body=None, timeout=5, validate_certs=True):
    """One HTTP request: (status, body bytes (bounded), truncated), whatever the status.

    Raises socket/urllib/http.client errors for requests that got no HTTP answer.
    """
    data = body.encode("utf-8") if isinstance(body, str) else body
    try:
        if open_url is not None:
            response = open_url(
                url, data=data, headers=headers or {}, method=method, timeout=timeout, validate_certs=validate_certs
            )
        else:
            # No Ansible on this host (the on-host command): the standard library's opener.
            request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
            handlers = []
            if not validate_certs:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                handlers.append(urllib.request.HTTPSHandler(context=context))
            response = urllib.request.build_opener(*handlers).open(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        # Any status urllib considers an error still is an answer: keep code and body.
        try:
            payload, truncated = _read_bounded(err)
        except (OSError, http.client.HTTPException):
            payload, truncated = b"", False
        return err.code, payload, truncated
    try:
        payload, truncated = _read_bounded(response)
        return response.status, payload, truncated
    finally:
        response.close()


def _is_timeout(err):
    return isinstance(err, (socket.timeout, TimeoutError)) or "timed out" in str(err)


def _classify(err, url, timeout):
    """Turn an exception from fetch() into a _Failure with reason and sentence."""
    shown = safe_url(url)
    cause = getattr(err, "reason", err)
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
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
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
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
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
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port
    except ValueError:
        raise OpsError("The health URL %s has an invalid port." % safe_url(url))
    if not parts.hostname:
        raise OpsError("The health URL %s has no host name." % safe_url(url))
    if not isinstance(method, str) or not method.isalpha():
        raise OpsError("The HTTP method must be a word such as GET or HEAD (got %r)." % (method,))
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
    except (OSError, http.client.HTTPException, UrlsConnectionError) as err:
        failure = _classify(err, url, timeout)
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
            document = json.loads(text)
        except ValueError:
            why = "larger than %d KiB" % (BODY_LIMIT // 1024) if truncated else "not JSON"
            result.update(reason="body not JSON", message="%s answered HTTP %d but the body is %s." % (shown, status, why))
            return result
        if len(json.dumps(document)) <= JSON_LIMIT:
            result["json"] = document
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
