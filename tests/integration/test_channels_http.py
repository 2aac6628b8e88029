"""The HTTP alert channels against real loopback receivers (receivers.py), through the
alert engine (alerts.process): each provider's documented payload, headers and auth; a
4xx (kept, not retried), a 5xx (retried, kept), a receiver that hangs (the timeout ends
it); one failing channel never holds back or repeats another; a v2 state's webhook texts
are migrated to the slack channel and delivered. The clock moves through `now=`.
"""

from __future__ import annotations

import base64
import json
import os

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alert_state, alerts

from receivers import Receiver
from servers import CutShort

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
HOUR = 3600.0
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
SWAP = [{"rule": "swap", "key": "swap", "level": "critical", "message": "Swap use is 55.0% (critical above 50%).", "value": 55.0}]
APP = [{"rule": "pm2_app_down", "key": "pm2_app_down:api", "level": "critical", "message": "api is stopped.", "value": 0}]
SECRET = "s3cr3t-T0KEN-never-shown"


def snapshot(swap):
    return {"host": "web-1", "system": {"swap": {"percent": swap}, "load": {"per_core": {"load1": 0.1}}}}


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.close()


def channel_for(kind, url, secret_file):
    """A channel of each HTTP type aimed at the receiver, its secret in a root-only file."""
    if kind == "alertmanager":
        return {"type": "alertmanager", "url": url, "token_file": secret_file("am-token", SECRET)}
    if kind == "pagerduty":
        return {"type": "pagerduty", "url": url, "routing_key_file": secret_file("pd-key", SECRET)}
    if kind == "telegram":
        return {"type": "telegram", "url": url, "token_file": secret_file("tg-token", "123:" + SECRET), "chat_id": -100123}
    if kind == "ntfy":
        return {"type": "ntfy", "url": url, "topic": "ops-alerts", "token_file": secret_file("ntfy-token", SECRET)}
    return {"type": kind, "url_file": secret_file(kind + "-url", url + "/hook/" + SECRET)}


KINDS = ["alertmanager", "pagerduty", "telegram", "discord", "slack", "webhook", "ntfy"]


def written(conf, results):
    """Everything a run wrote where people look: results, the alert log and the state."""
    text = json.dumps(results)
    for path in (conf["log_file"], conf["state_file"]):
        if os.path.exists(path):
            with open(path) as handle:
                text += handle.read()
    return text


def test_alertmanager_gets_labels_bearer_token_repeats_while_firing_then_resolves(alert_settings, receiver, secret_file):
    conf = dict(alert_settings, channels=[channel_for("alertmanager", receiver.url, secret_file)])
    first = alerts.process(conf, snapshot(55), SWAP + APP, CFG, now=T0)
    assert first["errors"] == []
    assert receiver.requests[-1]["path"] == "/api/v2/alerts"
    assert receiver.header("Authorization") == "Bearer " + SECRET
    assert receiver.header("Content-Type") == "application/json"
    posted = {a["labels"]["alertname"]: a for a in receiver.json()}
    assert posted["pm2_app_down"]["labels"] == {"alertname": "pm2_app_down", "host": "web-1", "subject": "api",
                                                "severity": "critical", "source": "twzrd-ops"}
    assert posted["swap"]["annotations"] == {"summary": "Swap use is 55.0% (critical above 50%)."}
    assert posted["swap"]["startsAt"] == "2026-11-27T00:00:00.000Z"
    assert posted["swap"]["endsAt"] == "2026-11-27T03:00:00.000Z"  # beyond the next hourly run
    # No event in the next run, yet the firing alerts are posted again with endsAt moved on.
    alerts.process(conf, snapshot(55), SWAP + APP, CFG, now=T0 + HOUR)
    assert len(receiver.requests) == 2
    assert {a["endsAt"] for a in receiver.json()} == {"2026-11-27T04:00:00.000Z"}
    assert {a["startsAt"] for a in receiver.json()} == {"2026-11-27T00:00:00.000Z"}
    alerts.process(conf, snapshot(2), APP, CFG, now=T0 + 2 * HOUR)
    resolved = {a["labels"]["alertname"]: a for a in receiver.json()}
    assert resolved["swap"]["endsAt"] == "2026-11-27T02:00:00.000Z" and resolved["swap"]["startsAt"] == "2026-11-27T00:00:00.000Z"
    assert resolved["pm2_app_down"]["endsAt"] == "2026-11-27T05:00:00.000Z"
    assert SECRET not in written(conf, [first])


def test_alertmanager_basic_auth(alert_settings, receiver, secret_file):
    channel = {"type": "alertmanager", "url": receiver.url, "username": "twzrd", "password_file": secret_file("am-pw", SECRET)}
    alerts.process(dict(alert_settings, channels=[channel]), snapshot(55), SWAP, CFG, now=T0)
    assert receiver.header("Authorization") == "Basic " + base64.b64encode(("twzrd:" + SECRET).encode()).decode()


def test_pagerduty_triggers_and_resolves_with_a_stable_dedup_key(alert_settings, receiver, secret_file):
    conf = dict(alert_settings, channels=[channel_for("pagerduty", receiver.url, secret_file)])
    alerts.process(conf, snapshot(55), SWAP, CFG, now=T0)
    alerts.process(conf, snapshot(2), [], CFG, now=T0 + HOUR)
    assert [r["path"] for r in receiver.requests] == ["/v2/enqueue", "/v2/enqueue"]
    trigger, resolve = receiver.json(0), receiver.json(1)
    assert trigger["routing_key"] == SECRET and trigger["event_action"] == "trigger" and trigger["dedup_key"] == "web-1:swap"
    assert trigger["payload"]["severity"] == "critical" and trigger["payload"]["source"] == "web-1"
    assert trigger["payload"]["summary"] == "web-1 FIRING critical swap: Swap use is 55.0% (critical above 50%)."
    assert resolve == {"routing_key": SECRET, "event_action": "resolve", "dedup_key": "web-1:swap"}


def test_telegram_discord_slack_webhook_and_ntfy_payloads(alert_settings, secret_file):
    receivers = {kind: Receiver(status=204 if kind == "discord" else 200) for kind in ("telegram", "discord", "slack", "webhook", "ntfy")}
    try:
        channels = [channel_for(kind, rec.url, secret_file) for kind, rec in receivers.items()]
        result = alerts.process(dict(alert_settings, channels=channels), snapshot(55), SWAP, CFG, now=T0)
        assert result["errors"] == []
        text = "web-1 FIRING critical swap: Swap use is 55.0% (critical above 50%)."
        tg = receivers["telegram"]
        assert tg.requests[0]["path"] == "/bot123:%s/sendMessage" % SECRET
        assert tg.json() == {"chat_id": "-100123", "text": text, "disable_web_page_preview": True}
        assert receivers["discord"].json() == {"content": text, "username": "twzrd-ops", "allowed_mentions": {"parse": []}}
        assert receivers["discord"].requests[0]["path"] == "/hook/" + SECRET
        assert receivers["slack"].json() == {"text": text}
        hook = receivers["webhook"].json()
        assert hook["host"] == "web-1" and hook["events"][0]["key"] == "swap" and hook["events"][0]["type"] == "firing"
        ntfy = receivers["ntfy"]
        assert ntfy.requests[0]["path"] == "/ops-alerts" and ntfy.requests[0]["body"].decode() == text
        assert ntfy.header("Priority") == "5" and ntfy.header("Tags") == "rotating_light"
        assert ntfy.header("Authorization") == "Bearer " + SECRET
        alerts.process(dict(alert_settings, channels=channels), snapshot(2), [], CFG, now=T0 + HOUR)
        assert ntfy.header("Priority") == "3" and ntfy.header("Tags") == "white_check_mark"
        assert all(len(rec.requests) == 2 for rec in receivers.values())
        assert SECRET not in written(alert_settings, [result])
    finally:
        for rec in receivers.values():
            rec.close()


@pytest.mark.parametrize("kind", KINDS)
def test_4xx_is_kept_not_retried_and_5xx_is_retried_then_sent_next_run(alert_settings, receiver, secret_file, kind):
    conf = dict(alert_settings, channels=[dict(channel_for(kind, receiver.url, secret_file), name="ops")])
    receiver.status = 400
    refused = alerts.process(conf, snapshot(55), SWAP, CFG, now=T0)
    assert refused["errors"] == ["Alert channel ops (%s) delivery failed (HTTP 400); 1 message kept for the next run." % kind]
    assert len(receiver.requests) == 1
    receiver.status = 503
    failed = alerts.process(conf, snapshot(55), SWAP, CFG, now=T0 + HOUR)
    assert failed["errors"] == ["Alert channel ops (%s) delivery failed (HTTP 503); 1 message kept for the next run." % kind]
    assert len(receiver.requests) == 3  # first try + 1 retry
    assert any(" ERROR warning twzrd-ops: Alert channel ops (%s) delivery failed (HTTP 503)" % kind in line for line in failed["lines"])
    receiver.status = 200
    sent = alerts.process(conf, snapshot(55), SWAP, CFG, now=T0 + 2 * HOUR)
    assert sent["errors"] == [] and alert_state.undelivered(alert_state.read_state(conf["state_file"])[0]) == 0
    assert len(receiver.requests) == 4
    assert SECRET not in written(conf, [refused, failed, sent])
    assert "127.0.0.1" not in written(conf, [refused, failed, sent])


@pytest.mark.parametrize("kind", KINDS)
def test_a_receiver_that_hangs_is_cut_at_the_timeout(alert_settings, receiver, secret_file, kind):
    conf = dict(alert_settings, webhook_retries=0, webhook_timeout=0.5, channels=[dict(channel_for(kind, receiver.url, secret_file), name="ops")])
    receiver.hang = True
    result = alerts.process(conf, snapshot(55), SWAP, CFG, now=T0)
    assert result["errors"] == ["Alert channel ops (%s) delivery failed (timeout); 1 message kept for the next run." % kind]


def test_one_failing_channel_neither_blocks_nor_duplicates_the_others(alert_settings, secret_file):
    good, bad = Receiver(), Receiver(status=500)
    try:
        channels = [dict(channel_for("slack", bad.url, secret_file), name="broken"), dict(channel_for("discord", good.url, secret_file))]
        first = alerts.process(dict(alert_settings, channels=channels), snapshot(55), SWAP, CFG, now=T0)
        assert first["errors"] == ["Alert channel broken (slack) delivery failed (HTTP 500); 1 message kept for the next run."]
        assert len(good.requests) == 1
        bad.status = 200
        second = alerts.process(dict(alert_settings, channels=channels), snapshot(55), SWAP, CFG, now=T0 + HOUR)
        assert second["errors"] == []
        assert len(good.requests) == 1  # not sent again
        assert bad.json() == {"text": "web-1 FIRING critical swap: Swap use is 55.0% (critical above 50%)."}
    finally:
        good.close()
        bad.close()


def test_a_missing_secret_file_names_the_channel_and_file_and_keeps_the_message(alert_settings, receiver, secret_file, tmp_path):
    channel = {"type": "telegram", "name": "tg", "url": receiver.url, "token_file": str(tmp_path / "nothing"), "chat_id": 5}
    result = alerts.process(dict(alert_settings, channels=[channel]), snapshot(55), SWAP, CFG, now=T0)
    assert result["errors"] == ["Alert channel tg (telegram): Cannot read the Telegram bot token file %s (No such file or directory)."
                                % (tmp_path / "nothing")]
    assert alert_state.read_state(alert_settings["state_file"])[0]["outbox"]["tg"][0]["key"] == "swap"


def test_a_version_2_state_is_migrated_and_its_webhook_texts_delivered(alert_settings, receiver, secret_file):
    os.makedirs(os.path.dirname(alert_settings["state_file"]))
    old = {"version": 2, "last_run": T0, "crash_until": None, "crash_counts": {}, "alerts": {}, "silences": [],
           "pending_log": [], "outbox": ["web-1 FIRING critical disk:/: / is 95% full."]}
    with open(alert_settings["state_file"], "w") as handle:
        json.dump(old, handle)
    os.chmod(alert_settings["state_file"], 0o600)
    conf = dict(alert_settings, webhook_url_file=secret_file("hook", receiver.url + "/hook/" + SECRET))
    result = alerts.process(conf, snapshot(2), [], CFG, now=T0 + HOUR)
    assert result["errors"] == []
    assert receiver.json() == {"text": "web-1 FIRING critical disk:/: / is 95% full."}
    with open(alert_settings["state_file"]) as handle:
        state = json.load(handle)
    assert state["version"] == 3 and state["outbox"] == {}


def test_an_answer_cut_short_is_a_failed_delivery_kept_for_the_next_run(alert_settings, secret_file):
    # The channels and the health probe share one fetch (http_fetch.py): an HTTP 200 whose body
    # stops short of its Content-Length is not an answer for either.
    server = CutShort()
    try:
        channel = {"type": "webhook", "name": "ops", "url_file": secret_file("hook-url", server.url + "?key=" + SECRET)}
        result = alerts.process(dict(alert_settings, webhook_retries=0, channels=[channel]), snapshot(55), SWAP, CFG, now=T0)
    finally:
        server.close()
    assert result["errors"] == ["Alert channel ops (webhook) delivery failed (network error (IncompleteRead)); 1 message kept for the next run."]
    assert alert_state.read_state(alert_settings["state_file"])[0]["outbox"]["ops"][0]["key"] == "swap"
    assert SECRET not in written(alert_settings, [result])
