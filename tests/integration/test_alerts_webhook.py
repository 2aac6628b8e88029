"""Webhook delivery of alerts to a real HTTP receiver on 127.0.0.1.

The receiver is Python's http.server in a thread; it records every POST body and can be
told to answer 500 (or to go away) to prove that undelivered alerts wait in the state's
outbox and go out on the next run. The clock moves through `now=`, never by sleeping.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts

from servers import WEBHOOK_SECRET

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
HOUR = 3600.0
SECRET = WEBHOOK_SECRET
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}


@pytest.fixture
def conf(alert_settings, secret_file, webhook_receiver):
    """The alert settings with the receiver's URL (its secret in the path) in a root-only file."""
    return dict(alert_settings, webhook_url_file=secret_file("webhook-url", webhook_receiver.url), webhook_timeout=5, webhook_retries=2)


def snapshot(swap):
    return {"host": "web-1", "system": {"swap": {"percent": swap}, "load": {"per_core": {"load1": 0.1}}}}


SWAP = [{"rule": "swap", "key": "swap", "level": "critical", "message": "Swap use is 55.0% (critical above 50%).", "value": 55.0}]


def everything_written(conf, results):
    """All text the runs left behind: returned lines/errors/events, log file, state dir."""
    parts = [json.dumps(r) for r in results]
    with open(conf["log_file"]) as handle:
        parts.append(handle.read())
    state_dir = os.path.dirname(conf["state_file"])
    for name in os.listdir(state_dir):
        with open(os.path.join(state_dir, name), "rb") as handle:
            parts.append(handle.read().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_fired_reminded_resolved_and_silent_when_nothing_changes(conf, webhook_receiver):
    results = [alerts.process(conf, snapshot(55), SWAP, CFG, now=T0)]
    assert webhook_receiver.texts() == ["web-1 FIRING critical swap: Swap use is 55.0% (critical above 50%)."]
    assert webhook_receiver.posts[0]["type"] == "application/json"

    for hour in (1, 2, 3):
        results.append(alerts.process(conf, snapshot(55), SWAP, CFG, now=T0 + hour * HOUR))
    assert len(webhook_receiver.posts) == 1, "an unchanged state must send nothing"

    results.append(alerts.process(conf, snapshot(55), SWAP, CFG, now=T0 + 4 * HOUR))
    assert webhook_receiver.texts()[1] == "web-1 REMINDER critical swap: Swap use is 55.0% (critical above 50%)."

    results.append(alerts.process(conf, snapshot(2), [], CFG, now=T0 + 5 * HOUR))
    assert webhook_receiver.texts()[2].startswith("web-1 RESOLVED ok swap: Resolved after 5h00m;")
    results.append(alerts.process(conf, snapshot(2), [], CFG, now=T0 + 6 * HOUR))
    assert len(webhook_receiver.posts) == 3
    assert all(r["errors"] == [] for r in results)
    assert webhook_receiver.attempts == 3
    assert SECRET not in everything_written(conf, results)


def test_failed_delivery_is_logged_kept_and_sent_on_the_next_run(conf, webhook_receiver):
    webhook_receiver.status = 500
    failed = alerts.process(conf, snapshot(55), SWAP, CFG, now=T0)
    assert failed["errors"] == ["webhook delivery failed (HTTP 500); 1 message kept for the next run."]
    assert webhook_receiver.attempts == 3  # first try + webhook_retries
    assert any(" ERROR warning twzrd-ops: webhook delivery failed (HTTP 500)" in line for line in failed["lines"])
    with open(conf["state_file"]) as handle:
        assert len(json.load(handle)["outbox"]["slack"]) == 1

    webhook_receiver.status = 200
    retried = alerts.process(conf, snapshot(55), SWAP, CFG, now=T0 + HOUR)
    assert retried["events"] == [] and retried["errors"] == []
    assert webhook_receiver.texts() == ["web-1 FIRING critical swap: Swap use is 55.0% (critical above 50%)."]
    with open(conf["state_file"]) as handle:
        assert json.load(handle)["outbox"] == {}
    assert SECRET not in everything_written(conf, [failed, retried])


def test_refused_request_is_not_retried_and_unreachable_receiver_names_no_url(conf, webhook_receiver):
    webhook_receiver.status = 404
    refused = alerts.process(conf, snapshot(55), SWAP, CFG, now=T0)
    assert webhook_receiver.attempts == 1
    assert refused["errors"] == ["webhook delivery failed (HTTP 404); 1 message kept for the next run."]
    webhook_receiver.close()
    gone = alerts.process(conf, snapshot(2), [], CFG, now=T0 + HOUR)
    assert gone["errors"] == ["webhook delivery failed (connection refused); 2 messages kept for the next run."]
    assert SECRET not in everything_written(conf, [refused, gone])
    assert "127.0.0.1" not in everything_written(conf, [refused, gone])


def test_outbox_is_bounded_and_says_what_it_dropped(conf, webhook_receiver, monkeypatch):
    monkeypatch.setattr(alerts, "OUTBOX_LIMIT", 3)
    webhook_receiver.status = 500
    for hour in range(4):
        key = "disk:/d%d" % hour
        finding = {"rule": "disk", "key": key, "level": "warning", "message": "%s is full." % key, "value": 85}
        alerts.process(conf, snapshot(0), [finding], CFG, now=T0 + hour * HOUR)
    with open(conf["state_file"]) as handle:
        outbox = json.load(handle)["outbox"]["slack"]
    assert len(outbox) == 3
    assert "older undelivered alert messages were dropped" in outbox[0]
    assert outbox[-1]["text"].endswith("disk:/d3: disk:/d3 is full.")


def test_unreadable_url_file_keeps_messages_and_says_which_file(conf, webhook_receiver):
    os.unlink(conf["webhook_url_file"])
    result = alerts.process(conf, snapshot(55), SWAP, CFG, now=T0)
    assert result["errors"] == ["Cannot read the webhook URL file %s (No such file or directory)." % conf["webhook_url_file"]]
    assert webhook_receiver.attempts == 0
    with open(conf["state_file"]) as handle:
        assert len(json.load(handle)["outbox"]["slack"]) == 1


def test_world_readable_url_file_is_used_but_warned_about(conf, webhook_receiver):
    os.chmod(conf["webhook_url_file"], 0o644)
    result = alerts.process(conf, snapshot(55), SWAP, CFG, now=T0)
    assert len(webhook_receiver.posts) == 1
    assert any("readable by other users; make it mode 0600" in line for line in result["lines"])
