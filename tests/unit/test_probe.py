"""Unit tests of plugins/module_utils/probe.py against real HTTP servers on 127.0.0.1
(tests/integration/servers.py). The module and the on-host command share one fetcher
(http.client), so one run covers both."""

from __future__ import annotations

import base64
import errno
import json
import os
import socket
import sys
import time
import urllib.parse
import urllib.error

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import http_fetch, probe
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from servers import HealthServers, closed_port  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="module")
def srv():
    with HealthServers() as servers:
        yield servers


@pytest.fixture
def fetcher(monkeypatch):
    """The probe must not depend on Ansible being importable (the on-host command has none)."""
    monkeypatch.setitem(sys.modules, "ansible.module_utils.urls", None)
    return "http.client"


def no_sleep(_seconds):
    raise AssertionError("the probe slept although no retry was due")


def test_healthy(srv, fetcher):
    result = probe.probe(srv.url("/health"), expect_keys={"status": "ok"}, sleep=no_sleep)
    assert result["healthy"] is True
    assert result["status"] == 200
    assert result["reason"] is None
    assert result["json"] == {"status": "ok", "checks": {"db": "ok"}, "uptime": 12}
    assert result["attempts"] == 1
    assert isinstance(result["latency_ms"], int) and result["latency_ms"] >= 0
    assert result["message"] == "%s answered HTTP 200 in %s ms." % (srv.url("/health"), result["latency_ms"])


def test_server_error_is_unexpected_status(srv, fetcher):
    result = probe.probe(srv.url("/error"), sleep=no_sleep)
    assert (result["healthy"], result["reason"], result["status"]) == (False, "unexpected status", 500)
    assert result["message"] == "%s answered HTTP 500, expected 200." % srv.url("/error")
    assert '"status": "error"' in result["body_excerpt"]


def test_500_can_be_expected(srv, fetcher):
    result = probe.probe(srv.url("/error"), expected_status=[200, 500])
    assert result["healthy"] is True and result["status"] == 500


def test_slow_service_times_out(srv, fetcher):
    result = probe.probe(srv.url("/slow?seconds=3"), timeout=0.5, sleep=no_sleep)
    assert (result["healthy"], result["reason"], result["status"]) == (False, "timeout", None)
    assert result["message"] == "%s did not answer within 0.5 seconds." % srv.url("/slow?seconds=3")


def test_closed_port_is_refused(fetcher):
    url = "http://127.0.0.1:%d/health" % closed_port()
    result = probe.probe(url, sleep=no_sleep)
    assert (result["healthy"], result["reason"], result["status"]) == (False, "refused", None)
    assert result["message"] == "Nothing accepted the connection to %s (connection refused)." % url


def test_address_not_available_counts_as_refused():
    # A real EADDRNOTAVAIL (binding to an address this host does not have), the error
    # create_connection raises last for "localhost" when ::1 is unusable after 127.0.0.1
    # refused, as in containers without IPv6.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(OSError) as caught:
            sock.bind(("192.0.2.1", 0))
    finally:
        sock.close()
    assert caught.value.errno == errno.EADDRNOTAVAIL
    failure = probe.classify(urllib.error.URLError(caught.value), "http://localhost:8080/health", 5)
    assert failure.reason == "refused"
    assert failure.message.startswith("Nothing accepted the connection to http://localhost:8080/health")


def test_unknown_host_is_unreachable(fetcher):
    result = probe.probe("http://twzrd-no-such-host.invalid/health", sleep=no_sleep)
    assert result["reason"] == "unreachable"
    assert result["message"].startswith("http://twzrd-no-such-host.invalid/health is unreachable: its host name does not resolve")


def test_html_body_is_not_json(srv, fetcher):
    result = probe.probe(srv.url("/text"))
    assert (result["healthy"], result["reason"], result["status"]) == (False, "body not JSON", 200)
    assert result["message"] == "%s answered HTTP 200 but the body is not JSON." % srv.url("/text")
    assert result["body_excerpt"].startswith("<html>")
    relaxed = probe.probe(srv.url("/text"), expect_json=False)
    assert relaxed["healthy"] is True and relaxed["json"] is None


def test_wrong_value_is_key_mismatch(srv, fetcher):
    result = probe.probe(srv.url("/degraded"), expect_keys={"status": "ok"})
    assert (result["healthy"], result["reason"]) == (False, "key mismatch")
    assert result["message"] == "Key status is 'degraded', expected 'ok'."
    assert result["json"]["status"] == "degraded"


def test_nested_and_missing_keys(srv):
    assert probe.probe(srv.url("/health"), expect_keys={"checks.db": "ok"})["healthy"] is True
    down = probe.probe(srv.url("/degraded"), expect_keys={"checks.db": "ok"})
    assert down["message"] == "Key checks.db is 'down', expected 'ok'."
    missing = probe.probe(srv.url("/health"), expect_keys={"version": "1.2"})
    assert (missing["reason"], missing["message"]) == ("key mismatch", "The JSON body has no key version (expected '1.2').")


def test_expect_keys_imply_json(srv):
    result = probe.probe(srv.url("/text"), expect_json=False, expect_keys={"status": "ok"})
    assert result["reason"] == "body not JSON"


def test_body_is_bounded(srv):
    result = probe.probe(srv.url("/big"))
    assert result["reason"] == "body not JSON"
    assert result["message"] == "%s answered HTTP 200 but the body is larger than 64 KiB." % srv.url("/big")
    assert len(result["body_excerpt"]) == probe.EXCERPT_LIMIT
    unchecked = probe.probe(srv.url("/big"), expect_json=False)
    assert unchecked["healthy"] is True and unchecked["json"] is None


def test_tls_verification_can_be_turned_off(fetcher):
    with HealthServers(tls=True) as tls:
        strict = probe.probe(tls.url("/health"), sleep=no_sleep)
        relaxed = probe.probe(tls.url("/health"), validate_certs=False)
    assert (strict["healthy"], strict["reason"]) == (False, "unreachable")
    assert strict["message"].startswith("%s failed TLS verification (" % tls.url("/health"))
    assert "certificate" in strict["message"].lower()
    assert relaxed["healthy"] is True and relaxed["json"]["status"] == "ok"


def test_retries_until_healthy_without_real_sleeping(srv):
    slept = []
    url = srv.url("/flaky?fail=2&case=retry-ok")
    result = probe.probe(url, retries=5, delay=1.5, sleep=slept.append)
    assert result["healthy"] is True
    assert result["attempts"] == 3
    assert slept == [1.5, 1.5]
    assert srv.hits["/flaky?fail=2&case=retry-ok"] == 3


def test_retries_exhausted_reports_last_attempt(srv):
    slept = []
    result = probe.probe(srv.url("/flaky?fail=9&case=exhausted"), retries=2, delay=0, sleep=slept.append)
    assert (result["healthy"], result["attempts"], result["status"]) == (False, 3, 503)
    assert slept == [0, 0]


def test_headers_are_sent_but_never_returned(srv, fetcher):
    headers = {"Authorization": "Bearer " + HealthServers.TOKEN}
    result = probe.probe(srv.url("/auth"), headers=headers)
    assert result["healthy"] is True
    assert HealthServers.TOKEN not in json.dumps(result)
    assert srv.requests[-1]["headers"].get("Authorization") == "Bearer " + HealthServers.TOKEN
    assert probe.probe(srv.url("/auth"))["status"] == 401


def test_password_in_url_is_masked(srv):
    url = "http://monitor:pw-canary-9931@127.0.0.1:%d/health" % srv.port
    result = probe.probe(url)
    assert "pw-canary-9931" not in json.dumps(result)
    assert result["url"] == "http://monitor:********@127.0.0.1:%d/health" % srv.port


def test_method_and_body_are_sent(srv, fetcher):
    result = probe.probe(srv.url("/health"), method="post", body='{"ping": 1}')
    assert result["healthy"] is True
    assert srv.requests[-1]["method"] == "POST"
    assert srv.requests[-1]["body"] == '{"ping": 1}'
    head = probe.probe(srv.url("/health"), method="HEAD", expect_json=False)
    assert head["healthy"] is True and srv.requests[-1]["method"] == "HEAD"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"url": "ftp://host/health"}, "The health URL must start with http:// or https:// (got 'ftp://host/health')."),
        ({"url": "http:///health"}, "The health URL http:///health has no host name."),
        ({"url": "http://host:port/health"}, "The health URL http://host:port/health has an invalid port."),
        ({"method": "GET /x"}, "The HTTP method must be a word such as GET or HEAD (got 'GET /x')."),
        ({"timeout": 0}, "timeout must be a number of seconds above 0 (got 0)."),
        ({"timeout": float("nan")}, "Probe setting timeout must be a finite number, got nan."),
        ({"delay": float("inf")}, "Probe setting delay must be a finite number, got inf."),
        ({"retries": -1}, "retries must be a number not below 0 (got -1)."),
        ({"expected_status": [99]}, "Expected status codes must be HTTP codes between 100 and 599 (got [99])."),
        ({"expected_status": []}, "Expected status codes must be HTTP codes between 100 and 599 (got [])."),
        ({"expect_keys": ["status"]}, "expect_keys must be a mapping of JSON keys to expected values (got ['status'])."),
    ],
)
def test_bad_arguments_give_one_sentence(kwargs, message):
    args = {"url": "http://127.0.0.1:1/health"}
    args.update(kwargs)
    with pytest.raises(OpsError) as error:
        probe.probe(**args)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "value, expected, result",
    [
        ("ok", "ok", True),
        (True, "true", True),
        (True, True, True),
        (1, True, False),
        (3, "3", True),
        (None, "null", True),
        ("OK", "ok", False),
        ({"a": 1}, "{'a': 1}", False),
        (1.5, 1.5, True),
    ],
)
def test_value_matching(value, expected, result):
    assert probe.matches(value, expected) is result


def test_lookup_prefers_literal_dotted_key():
    document = {"checks.db": "literal", "checks": {"db": "nested"}, "list": [{"x": 1}]}
    assert probe.lookup(document, "checks.db") == "literal"
    assert probe.lookup({"checks": {"db": "nested"}}, "checks.db") == "nested"
    assert probe.lookup(document, "list.0.x") == 1
    assert probe.lookup(document, "list.5.x") is probe._MISSING


# ---- whole-request deadline, redirects, hostile bodies -------------------------------------


@pytest.mark.parametrize("part", ["body", "headers"])
def test_a_dripping_server_cannot_stretch_the_timeout(srv, part):
    # One byte a second: every read returns within the per-read timeout, so only a
    # deadline on the whole request (connect + headers + body) ends it.
    url = srv.url("/drip?part=%s&seconds=20" % part)
    started = time.monotonic()
    result = probe.probe(url, timeout=2, sleep=no_sleep)
    elapsed = time.monotonic() - started
    assert (result["healthy"], result["reason"]) == (False, "timeout")
    assert result["message"] == "%s did not answer within 2 seconds." % url
    assert elapsed < 3.5


def test_a_server_that_never_answers_times_out_on_the_deadline(srv):
    started = time.monotonic()
    result = probe.probe(srv.url("/hang?seconds=20"), timeout=1, sleep=no_sleep)
    assert result["reason"] == "timeout" and time.monotonic() - started < 2.5


@pytest.fixture(scope="module")
def other():
    with HealthServers() as servers:
        yield servers


@pytest.mark.parametrize("where", ["port", "host", "scheme"])
def test_redirect_elsewhere_is_not_followed_and_keeps_the_token_home(srv, other, where):
    target = {
        "port": other.url("/auth"),
        "host": "http://localhost:%d/auth" % other.port,
        "scheme": "https://127.0.0.1:%d/auth" % srv.port,
    }[where]
    before = len(other.requests)
    url = srv.url("/redirect?to=" + urllib.parse.quote(target))
    result = probe.probe(url, headers={"Authorization": "Bearer " + HealthServers.TOKEN}, sleep=no_sleep)
    assert (result["healthy"], result["reason"], result["status"]) == (False, "redirect", None)
    assert result["message"] == (
        "%s redirected (HTTP 302) to %s, another scheme, host or port; the redirect was not followed." % (url, target)
    )
    assert len(other.requests) == before  # the token never reached the other server
    assert HealthServers.TOKEN not in json.dumps(result)


def test_url_credentials_are_not_sent_to_another_port(srv, other):
    before = len(other.requests)
    url = "http://monitor:pw-canary-9931@127.0.0.1:%d/redirect?to=%s" % (srv.port, urllib.parse.quote(other.url("/health")))
    result = probe.probe(url, sleep=no_sleep)
    assert result["reason"] == "redirect" and len(other.requests) == before
    assert "pw-canary-9931" not in json.dumps(result)


def test_same_origin_redirect_is_followed_with_its_header(srv):
    url = srv.url("/redirect?to=/auth")
    result = probe.probe(url, headers={"Authorization": "Bearer " + HealthServers.TOKEN})
    assert result["healthy"] is True and result["status"] == 200


def test_redirect_loop_is_the_reason(srv):
    result = probe.probe(srv.url("/loop"), sleep=no_sleep)
    assert result["reason"] == "redirect"
    assert result["message"] == "%s redirected more than %d times (a redirect loop)." % (srv.url("/loop"), http_fetch.MAX_REDIRECTS)


def test_url_credentials_become_basic_auth_on_every_host(srv):
    probe.probe("http://monitor:p%%40ss@127.0.0.1:%d/health" % srv.port)
    sent = srv.requests[-1]["headers"]["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"monitor:p@ss").decode()


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_deeply_nested_body_is_not_a_traceback(srv, kind):
    result = probe.probe(srv.url("/nested?depth=%d&kind=%s" % (30000 if kind == "list" else 9000, kind)), sleep=no_sleep)
    assert (result["healthy"], result["reason"]) == (False, "body not JSON")
    assert "nested too deeply" in result["message"]
    # 500 levels: every Python parses it, the readers' one limit (jsondoc.MAX_DEPTH) refuses it.
    beyond = probe.probe(srv.url("/nested?depth=500&kind=%s" % kind), sleep=no_sleep)
    assert beyond["reason"] == "body not JSON" and "nested too deeply" in beyond["message"]
    moderate = probe.probe(srv.url("/nested?depth=150&kind=%s" % kind), expect_keys={"status": "ok"})
    assert moderate["reason"] == "key mismatch"


def test_nan_in_the_body_is_judged_but_not_returned(srv):
    result = probe.probe(srv.url("/nan"), expect_keys={"status": "ok", "uptime": 1})
    assert result["reason"] == "key mismatch" and result["json"] is None
    json.dumps(result, allow_nan=False)
