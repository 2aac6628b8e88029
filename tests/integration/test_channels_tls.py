"""The alert channels over HTTPS, through the one deadline-bounded fetch (http_fetch.py) they
share with the health probe: a receiver whose certificate only a private CA vouches for is
reached with the channel's ca_file and refused without it, and the refusal names neither
the URL nor the token in it. The receiver is servers.HealthServers(tls=True), a real HTTPS
server on 127.0.0.1 with a self-signed certificate made by openssl (its own CA).
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alert_state, alerts, http_fetch

from servers import HealthServers

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
HOUR = 3600.0
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
SWAP = [{"rule": "swap", "key": "swap", "level": "critical", "message": "Swap use is 55.0% (critical above 50%).", "value": 55.0}]
SECRET = "tls-T0KEN-never-shown"
SNAPSHOT = {"host": "web-1", "system": {"swap": {"percent": 55}, "load": {"per_core": {"load1": 0.1}}}}


@pytest.fixture(scope="module")
def https():
    with HealthServers(tls=True) as srv:
        yield srv


def webhook_conf(alert_settings, secret_file, url, ca_file):
    """The alert settings with one webhook channel whose URL (a token in it) is in a root-only file."""
    channel = {"type": "webhook", "name": "ops", "url_file": secret_file("hook-url", url), "ca_file": ca_file}
    return dict(alert_settings, webhook_timeout=5, webhook_retries=0, channels=[channel])


def test_a_channel_trusts_a_private_ca_through_its_ca_file(https, alert_settings, secret_file):
    conf = webhook_conf(alert_settings, secret_file, https.url("/health?key=" + SECRET), https.cert)
    before = len(https.requests)
    result = alerts.process(conf, SNAPSHOT, SWAP, CFG, now=T0)
    assert result["errors"] == []
    posted = https.requests[before:]
    assert [(r["method"], r["path"]) for r in posted] == [("POST", "/health?key=" + SECRET)]
    assert json.loads(posted[0]["body"])["events"][0]["key"] == "swap"
    assert posted[0]["headers"]["User-Agent"] == "twzrd-ops-alerts/1"


def test_without_the_ca_file_the_certificate_is_refused_and_the_message_kept(https, alert_settings, secret_file):
    conf = webhook_conf(alert_settings, secret_file, https.url("/health?key=" + SECRET), "")
    before = len(https.requests)
    result = alerts.process(conf, SNAPSHOT, SWAP, CFG, now=T0)
    assert len(https.requests) == before  # the handshake failed: nothing was posted
    assert result["errors"] == ["Alert channel ops (webhook) delivery failed (TLS error (CERTIFICATE_VERIFY_FAILED)); "
                                "1 message kept for the next run."]
    assert alert_state.read_state(conf["state_file"])[0]["outbox"]["ops"][0]["key"] == "swap"
    with open(conf["log_file"]) as handle:
        assert SECRET not in handle.read() + json.dumps(result)
    # The next run, with the CA file given, delivers what was kept.
    conf["channels"][0]["ca_file"] = https.cert
    again = alerts.process(conf, SNAPSHOT, SWAP, CFG, now=T0 + HOUR)
    assert again["errors"] == [] and len(https.requests) == before + 1


def test_the_probe_and_the_channels_share_one_fetch_and_its_ca_file(https):
    status, body, truncated = http_fetch.fetch(https.url("/health"), ca_file=https.cert, timeout=5)
    assert (status, json.loads(body)["status"], truncated) == (200, "ok", False)
    with pytest.raises(OSError) as caught:
        http_fetch.fetch(https.url("/health"), timeout=5)
    failure = http_fetch.classify(caught.value, https.url("/health"), 5)
    assert failure.reason == "unreachable" and "failed TLS verification" in failure.message


def test_a_dripping_https_receiver_is_cut_at_the_channels_timeout(https, alert_settings, secret_file):
    conf = dict(webhook_conf(alert_settings, secret_file, https.url("/drip?part=headers&seconds=20"), https.cert), webhook_timeout=1)
    result = alerts.process(conf, SNAPSHOT, SWAP, CFG, now=T0)
    assert result["errors"] == ["Alert channel ops (webhook) delivery failed (timeout); 1 message kept for the next run."]
