"""twzrd.ops.health_probe through Ansible against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import pytest

from servers import HealthServers, closed_port


@pytest.fixture(scope="module")
def srv():
    with HealthServers() as servers:
        yield servers


def test_healthy_endpoint(run_module, srv):
    result = run_module("twzrd.ops.health_probe", {"url": srv.url("/health"), "expect_keys": {"status": "ok", "checks.db": "ok"}})
    assert result["_rc"] == 0, result.get("msg")
    assert result["changed"] is False
    assert (result["healthy"], result["status"], result["reason"], result["attempts"]) == (True, 200, None, 1)
    assert result["json"]["checks"] == {"db": "ok"}


@pytest.mark.parametrize(
    "path, args, reason, status",
    [
        ("/error", {}, "unexpected status", 500),
        ("/slow?seconds=4", {"timeout": 1}, "timeout", None),
        ("/text", {}, "body not JSON", 200),
        ("/degraded", {"expect_keys": {"status": "ok"}}, "key mismatch", 200),
    ],
)
def test_unhealthy_fails_the_task(run_module, srv, path, args, reason, status):
    result = run_module("twzrd.ops.health_probe", dict(args, url=srv.url(path)))
    assert result.get("failed") is True
    assert (result["healthy"], result["reason"], result["status"]) == (False, reason, status)
    assert result["msg"] == result["message"]
    assert "Traceback" not in result["_stdout"]


def test_closed_port_is_refused(run_module):
    url = "http://127.0.0.1:%d/health" % closed_port()
    result = run_module("twzrd.ops.health_probe", {"url": url})
    assert result.get("failed") is True
    assert result["reason"] == "refused"
    assert result["msg"] == "Nothing accepted the connection to %s (connection refused)." % url


def test_unhealthy_can_be_recorded_without_failing(run_module, srv):
    result = run_module("twzrd.ops.health_probe", {"url": srv.url("/error"), "fail_on_unhealthy": False})
    assert result["_rc"] == 0 and not result.get("failed")
    assert (result["healthy"], result["reason"]) == (False, "unexpected status")


def test_retries_wait_for_a_starting_service(run_module, srv):
    url = srv.url("/flaky?fail=2&case=module")
    result = run_module("twzrd.ops.health_probe", {"url": url, "retries": 4, "delay": 0.2})
    assert result["_rc"] == 0, result.get("msg")
    assert result["attempts"] == 3 and result["healthy"] is True


def test_headers_never_reach_the_output(run_module, srv):
    result = run_module(
        "twzrd.ops.health_probe",
        {"url": srv.url("/auth"), "headers": {"Authorization": "Bearer " + HealthServers.TOKEN}},
    )
    assert result["_rc"] == 0, result.get("msg")
    assert result["healthy"] is True
    assert HealthServers.TOKEN not in result["_stdout"] + result["_stderr"]
    assert srv.requests[-1]["headers"]["Authorization"] == "Bearer " + HealthServers.TOKEN


def test_check_mode_probes_too(run_module, srv):
    result = run_module("twzrd.ops.health_probe", {"url": srv.url("/health")}, check=True)
    assert result["_rc"] == 0 and result["healthy"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        ({"url": "localhost:8080/health"}, "The health URL must start with http:// or https:// (got 'localhost:8080/health')."),
        ({"status_code": [42]}, "Expected status codes must be HTTP codes between 100 and 599 (got [42])."),
        ({"retries": -1}, "retries must be a number not below 0 (got -1)."),
    ],
)
def test_bad_arguments_fail_with_a_sentence(run_module, args, message):
    result = run_module("twzrd.ops.health_probe", args)
    assert result.get("failed") is True
    assert result["msg"] == message


def test_validate_certs_toggle(run_module):
    with HealthServers(tls=True) as tls:
        strict = run_module("twzrd.ops.health_probe", {"url": tls.url("/health")})
        relaxed = run_module("twzrd.ops.health_probe", {"url": tls.url("/health"), "validate_certs": False})
    assert strict.get("failed") is True and strict["reason"] == "unreachable"
    assert "TLS verification" in strict["msg"]
    assert relaxed["_rc"] == 0 and relaxed["healthy"] is True
