"""twzrd.ops.health_probe (the module) against real servers on two loopback ports: a
redirect to the other port is not followed and the Authorization header never reaches it;
credentials in the URL are sent as the on-host command sends them (Basic)."""

from __future__ import annotations

import base64
import urllib.parse

import pytest

from servers import HealthServers


@pytest.fixture(scope="module")
def two():
    with HealthServers() as first, HealthServers() as second:
        yield first, second


def test_module_does_not_follow_a_redirect_to_another_port_with_the_token(run_module, two):
    srv, other = two
    url = srv.url("/redirect?to=" + urllib.parse.quote(other.url("/auth")))
    result = run_module("twzrd.ops.health_probe", {"url": url, "headers": {"Authorization": "Bearer " + HealthServers.TOKEN}})
    assert result.get("failed") is True
    assert (result["reason"], result["status"]) == ("redirect", None)
    assert "the redirect was not followed" in result["msg"]
    assert other.requests == []
    assert HealthServers.TOKEN not in result["_stdout"]


def test_module_sends_url_credentials_like_the_host_command(run_module, two):
    srv, _other = two
    result = run_module("twzrd.ops.health_probe", {"url": "http://monitor:pw-canary@127.0.0.1:%d/health" % srv.port})
    assert result["_rc"] == 0 and result["healthy"] is True
    assert srv.requests[-1]["headers"]["Authorization"] == "Basic " + base64.b64encode(b"monitor:pw-canary").decode()
    assert result["url"] == "http://monitor:********@127.0.0.1:%d/health" % srv.port
