# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP health probe: the runbook's `curl -s http://localhost:8080/health | jq .`.

One code path for the module and the on-host command (no Ansible there): the request is
http_fetch.fetch(), the one deadline-bounded exchange (whole-request timeout, same-origin
redirects only, URL credentials as Basic auth) that the alert senders use too; this file
judges the answer. Request headers (tokens) never reach the result; URL credentials are
masked. fetch, Failure and classify are also reached through here by older callers.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse

from . import jsondoc
from .common import OpsError, number
from .http_fetch import BODY_LIMIT, Failure, classify, fetch, safe_url

JSON_LIMIT = 16 * 1024
EXCERPT_LIMIT = 512
VALUE_SHOWN = 80
REASONS = ("refused", "timeout", "unexpected status", "body not JSON", "key mismatch", "unreachable", "redirect", "incomplete body")
_MISSING = object()


def url_secrets(url):
    """A URL's password (as written and decoded) for a module's no_log values: masked wherever
    Ansible shows it (-vvv's invocation too), the rest of the URL readable."""
    try:
        password = urllib.parse.urlsplit(str(url or "")).password
    except ValueError:
        password = None
    return sorted({password, urllib.parse.unquote(password)}) if password else []


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
    except (OSError, http.client.HTTPException, Failure) as err:
        failure = err if isinstance(err, Failure) else classify(err, url, timeout)
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
