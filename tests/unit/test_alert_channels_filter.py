"""The role's alert channels go through one filter (alert_channels, module_utils/channel_settings):
config.json gets the channels with the paths of their secret files, the secrets come back
beside them for root-only files, and a wrong channel is one sentence without its secret."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.filter.channels import alert_channels


def test_secrets_leave_the_channels_for_their_files():
    result = alert_channels([{"type": "ntfy", "url": "http://127.0.0.1:1/", "topic": "ops", "token": "tk-SECRET1"},
                             {"type": "slack", "name": "team", "url": "https://hooks.example/SECRET2"}], "/etc/twzrd-ops/")
    assert "SECRET" not in json.dumps(result["channels"])
    assert [c["name"] for c in result["channels"]] == ["ntfy", "team"]
    assert result["channels"][0]["token_file"] == "/etc/twzrd-ops/channel-ntfy-token"
    assert result["secrets"] == [["/etc/twzrd-ops/channel-ntfy-token", "tk-SECRET1"],
                                 ["/etc/twzrd-ops/channel-team-url", "https://hooks.example/SECRET2"]]


def test_a_wrong_channel_is_one_sentence_without_its_secret():
    with pytest.raises(AnsibleFilterError) as caught:
        alert_channels([{"type": "ntfy", "url": "http://127.0.0.1:1/", "topic": "bad topic!", "token": "tk-SECRET1"}], "/etc/twzrd-ops")
    assert "topic" in str(caught.value) and "SECRET" not in str(caught.value)


def test_the_webhook_url_already_is_the_channel_named_slack():
    with pytest.raises(AnsibleFilterError, match="already the channel named slack"):
        alert_channels([{"type": "slack", "url": "https://hooks.example/SECRET2"}], "/etc/twzrd-ops", webhook=True)
    assert alert_channels([], "/etc/twzrd-ops", webhook=True) == {"channels": [], "secrets": []}
