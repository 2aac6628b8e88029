"""The alert channels' settings (channel_settings.py) and the pure payload builders
(channel_payloads.py): defaults, refusals that never show a secret, the role's form with
secret values, and each provider's payload."""

from __future__ import annotations

import json

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alert_settings, channel_payloads, channel_settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

DEFAULTS = {"webhook_timeout": 5, "webhook_retries": 2, "webhook_url_file": ""}
SECRET = "https://hooks.example/T0KEN-secret"
T0 = 1795737600.0


def item(kind="firing", level="critical", key="pm2_app_down:api", host="web-1"):
    return {"type": kind, "key": key, "rule": key.split(":")[0], "level": level, "message": "api is stopped.", "host": host,
            "at": T0, "since": "2026-11-27T00:00:00Z", "started": T0 - 60,
            "text": "%s %s %s %s: api is stopped." % (host, kind.upper(), level, key)}


def test_defaults_are_filled_in_and_names_default_to_the_type():
    channels = channel_settings.validate_channels([{"type": "ntfy", "topic": "ops"}, {"type": "email", "from": "a@b.c", "to": "d@e.f"}],
                                                  DEFAULTS)
    assert channels[0] == {"type": "ntfy", "name": "ntfy", "url": "https://ntfy.sh", "topic": "ops", "token_file": "", "ca_file": "",
                           "timeout": 5, "retries": 2}
    assert channels[1]["port"] == 587 and channels[1]["to"] == ["d@e.f"] and channels[1]["transport"] == "smtp"


@pytest.mark.parametrize("channel, said", [
    ({"type": "sms"}, "type must be one of"),
    ({"type": "slack", "url_file": SECRET}, "the value is not shown"),
    ({"type": "alertmanager", "url": "https://user:T0KEN-secret@am.example"}, "without credentials"),
    ({"type": "telegram", "token_file": "/etc/t", "chat_id": "x y"}, "chat_id must be"),
    ({"type": "pagerduty"}, "routing_key_file is required"),
    ({"type": "email", "from": "a@b.c", "to": ["x"]}, "must be e-mail addresses"),
    ({"type": "email", "from": "a@b.c", "to": "d@e.f", "security": "none", "username": "u", "password_file": "/p"}, "in clear"),
    ({"type": "alertmanager", "url": "http://am", "token_file": "/t", "username": "u", "password_file": "/p"}, "not both"),
    ({"type": "ntfy", "topic": "ops", "colour": "red"}, "Unknown setting of the ntfy alert channel #1: colour"),
])
def test_a_bad_channel_is_refused_in_one_sentence_without_the_secret(channel, said):
    with pytest.raises(OpsError) as caught:
        channel_settings.validate_channels([channel], DEFAULTS)
    assert said in str(caught.value) and "T0KEN" not in str(caught.value)


def test_two_channels_with_one_name_are_refused_and_the_webhook_is_the_slack_channel():
    with pytest.raises(OpsError, match="another channel has this name"):
        channel_settings.validate_channels([{"type": "ntfy", "topic": "a"}, {"type": "ntfy", "topic": "b"}], DEFAULTS)
    conf = alert_settings.validate({"webhook_url_file": "/etc/twzrd-ops/webhook.url", "channels": [{"type": "ntfy", "topic": "a"}]})
    assert [(c["name"], c["type"]) for c in channel_settings.configured(conf)] == [("slack", "slack"), ("ntfy", "ntfy")]
    with pytest.raises(OpsError, match="already the channel named slack"):
        alert_settings.validate({"webhook_url_file": "/w", "channels": [{"type": "slack", "url_file": "/x"}]})


def test_the_role_form_moves_every_secret_to_a_file():
    channels, secrets = channel_settings.from_role(
        [{"type": "telegram", "name": "ops", "token": "123:abc", "chat_id": -1001},
         {"type": "discord", "url": SECRET}, {"type": "alertmanager", "url": "http://am:9093", "username": "u", "password": "pw"}],
        "/etc/twzrd-ops", DEFAULTS)
    assert channels[0]["token_file"] == "/etc/twzrd-ops/channel-ops-token" and channels[0]["chat_id"] == "-1001"
    assert channels[1]["url_file"] == "/etc/twzrd-ops/channel-discord-url"
    assert channels[2]["password_file"] == "/etc/twzrd-ops/channel-alertmanager-password" and channels[2]["url"] == "http://am:9093"
    assert secrets == [("/etc/twzrd-ops/channel-ops-token", "123:abc"), ("/etc/twzrd-ops/channel-discord-url", SECRET),
                       ("/etc/twzrd-ops/channel-alertmanager-password", "pw")]
    assert "T0KEN" not in json.dumps(channels) and "pw\"" not in json.dumps(channels)
    with pytest.raises(OpsError, match="name must be"):
        channel_settings.from_role([{"type": "ntfy", "name": "../etc/passwd", "topic": "x"}], "/etc/twzrd-ops", DEFAULTS)


def test_alertmanager_payload_reposts_firing_and_ends_resolved_now():
    alert = {"rule": "pm2_app_down", "level": "critical", "message": "api is stopped.", "since": T0 - 3600}
    body = json.loads(channel_payloads.alertmanager_alerts("web-1", [("pm2_app_down:api", alert)],
                                                           [item("resolved", key="swap"), item("firing")], T0, 3 * 3600))
    assert body[0] == {"labels": {"alertname": "pm2_app_down", "host": "web-1", "subject": "api", "severity": "critical",
                                  "source": "twzrd-ops"}, "annotations": {"summary": "api is stopped."},
                       "startsAt": "2026-11-26T23:00:00.000Z", "endsAt": "2026-11-27T03:00:00.000Z"}
    assert len(body) == 2 and body[1]["labels"]["alertname"] == "swap" and body[1]["endsAt"] == "2026-11-27T00:00:00.000Z"
    assert body[1]["startsAt"] == "2026-11-26T23:59:00.000Z" and "subject" not in body[1]["labels"]


def test_pagerduty_events_trigger_resolve_and_map_severity():
    resolve = {"routing_key": "K", "event_action": "resolve", "dedup_key": "web-1:pm2_app_down:api"}
    assert channel_payloads.pagerduty_event("K", item("resolved")) == resolve
    warning = channel_payloads.pagerduty_event("K", item("reminder", level="warning"))
    assert warning["event_action"] == "trigger" and warning["payload"]["severity"] == "warning"
    assert warning["dedup_key"] == channel_payloads.pagerduty_event("K", item())["dedup_key"]
    assert channel_payloads.pagerduty_event("K", "a text from a v2 state") is None


def test_text_channels_cut_at_the_provider_limit_and_say_so():
    many = [item(key="disk:/d%d" % n) for n in range(200)]
    content = json.loads(channel_payloads.discord_body(many))["content"]
    assert len(content) == channel_payloads.DISCORD_LIMIT and content.endswith("characters more]")
    assert len(json.loads(channel_payloads.telegram_body("1", many))["text"]) <= channel_payloads.TELEGRAM_LIMIT


def test_ntfy_priority_and_tags_follow_the_worst_item_and_email_is_one_message():
    headers, body = channel_payloads.ntfy_request("web-1", [item(level="warning"), item()])
    assert headers["Priority"] == "5" and headers["Tags"] == "rotating_light" and body.count(b"\n") == 1
    headers, _body = channel_payloads.ntfy_request("web-1", [item("resolved")])
    assert headers["Priority"] == "3" and headers["Tags"] == "white_check_mark"
    message = channel_payloads.email_message("a@b.c", ["d@e.f", "g@h.i"], "web-1", [item(), item("resolved")], T0)
    assert message["Subject"] == "[twzrd-ops] web-1: critical (2 events)" and message["To"] == "d@e.f, g@h.i"
    assert message["Date"] == "Fri, 27 Nov 2026 00:00:00 +0000"
