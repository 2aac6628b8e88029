"""Unit tests for plugins/module_utils/silences.py and the silenced path of the alert engine.

The clock is moved through `now=`, never by sleeping. The real CLI against a real PM2 and a
real webhook receiver is tests/integration/test_silences.py.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alert_state, alerts, silences
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, parse_duration

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
HOUR = 3600.0
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
DOWN = {"rule": "pm2_app_down", "key": "pm2_app_down:milo", "level": "critical", "message": "PM2 app milo is stopped.", "value": None}
SWAP = {"rule": "swap", "key": "swap", "level": "warning", "message": "Swap use is 30%.", "value": 30.0}


def snap():
    return {"host": "web-1", "system": {"swap": {"percent": 30.0}, "load": {"load1": 0.1, "per_core": {"load1": 0.1}}}}


@pytest.fixture
def conf(tmp_path):
    return alerts.validate({"state_file": str(tmp_path / "s" / "state.json"), "log_file": str(tmp_path / "alerts.log"),
                            "webhook_url_file": str(tmp_path / "none.url")})


def run(conf, findings, now):
    return alerts.process(conf, snap(), findings, CFG, now=now)


def log(conf):
    with open(conf["log_file"]) as handle:
        return handle.read().splitlines()


def outbox(conf):
    """The texts waiting for the webhook (the channel "slack" of the per-channel outbox)."""
    items = alert_state.read_state(conf["state_file"], move_aside=False)[0]["outbox"].get("slack", [])
    return [item if isinstance(item, str) else item["text"] for item in items]


# ----------------------------------------------------------------------- parsing


@pytest.mark.parametrize("text, seconds", [("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (" 45S ", 45)])
def test_parse_duration_reads_the_units(text, seconds):
    assert parse_duration("x", text) == seconds


@pytest.mark.parametrize("text", ["30", "", "2 h", "h", "1w", "-1h", "0m", None, "1h 30m"])
def test_parse_duration_refuses_anything_else_in_a_sentence(text):
    with pytest.raises(OpsError) as info:
        parse_duration("The silence duration", text)
    assert str(info.value).startswith("The silence duration must be")


@pytest.mark.parametrize("target", ["all", "swap", "pm2_app_down", "pm2_app_down:milo-aggregator", "checks_failed", "disk:/var/log"])
def test_known_targets_are_taken_as_given(target):
    assert silences.parse_target(target) == target


def test_an_unknown_rule_names_the_one_probably_meant():
    with pytest.raises(OpsError) as info:
        silences.parse_target("pm2_app_dwn:milo")
    assert "Unknown alert rule pm2_app_dwn" in str(info.value)
    assert "Perhaps you meant pm2_app_down" in str(info.value)


@pytest.mark.parametrize("target", ["", "  ", None, "pm2_app_down:", "pm2_app_down:a\x1bb"])
def test_empty_targets_and_subjects_are_refused(target):
    with pytest.raises(OpsError):
        silences.parse_target(target)


def test_a_reason_is_required_and_kept_printable():
    with pytest.raises(OpsError) as info:
        silences.new_silence([], "all", "1h", " \n ", 24, now=T0)
    assert "needs a reason" in str(info.value)
    record = silences.new_silence([], "all", "1h", "deploy\x1b[31m red\nnext", 24, now=T0)
    assert record["reason"] == "deploy\\x1b[31m red next"
    assert len(silences.new_silence([], "all", "1h", "x" * 500, 24, now=T0)["reason"]) == silences.REASON_LIMIT


def test_a_duration_over_the_maximum_is_refused():
    with pytest.raises(OpsError) as info:
        silences.new_silence([], "all", "25h", "patch", 24, now=T0)
    assert "longer than the maximum of 24h (alert setting silence_max_hours)" in str(info.value)
    assert silences.new_silence([], "all", "24h", "patch", 24, now=T0)["until"] == T0 + 24 * HOUR


def test_silence_max_hours_is_an_alert_setting_with_a_range():
    assert alerts.validate({})["silence_max_hours"] == 24
    with pytest.raises(OpsError):
        alerts.validate({"silence_max_hours": 0})
    with pytest.raises(OpsError):
        alerts.validate({"silence_max_hours": "a week"})


# ----------------------------------------------------------------------- matching


def test_matching_rule_subject_and_all_but_never_checks_failed_by_all():
    def make(target):
        return {"id": "s-1", "target": target, "reason": "r", "created": T0, "until": T0 + HOUR}

    assert silences.matches(make("pm2_app_down"), "pm2_app_down:milo")
    assert silences.matches(make("pm2_app_down:milo"), "pm2_app_down:milo")
    assert not silences.matches(make("pm2_app_down:milo"), "pm2_app_down:other")
    assert not silences.matches(make("pm2_app_down"), "pm2_app_downtime")
    assert silences.matches(make("all"), "swap")
    assert not silences.matches(make("all"), "checks_failed")
    assert silences.matches(make("checks_failed"), "checks_failed")
    assert silences.match("swap", [make("all")], T0 + HOUR) is None  # ended at until


# ----------------------------------------------------------------------- on the state


def test_add_list_remove_on_the_state_with_log_lines(conf):
    silence, created, _lines = silences.add(conf, "swap", "2h", "investigation", now=T0, by="ana")
    assert created and re.match(r"^s-[0-9a-f]{6}$", silence["id"])
    assert [s["id"] for s in silences.listing(conf, T0 + 60)] == [silence["id"]]
    removed, _lines = silences.remove(conf, silence_id=silence["id"], now=T0 + 120)
    assert [s["id"] for s in removed] == [silence["id"]]
    assert silences.listing(conf, T0 + 180) == []
    assert log(conf) == [
        "2026-11-27T00:00:00Z SILENCE ok swap: %s added until 2026-11-27T02:00:00Z by ana: investigation" % silence["id"],
        "2026-11-27T00:02:00Z SILENCE ok swap: %s removed: investigation" % silence["id"],
    ]


def test_removing_an_unknown_id_is_a_sentence(conf):
    with pytest.raises(OpsError) as info:
        silences.remove(conf, silence_id="s-000000", now=T0)
    assert str(info.value).startswith("No active silence s-000000 on this host")


def test_reuse_keeps_the_same_target_and_reason(conf):
    first, created, _log = silences.add(conf, "all", "1h", "patch", now=T0, reuse=True)
    again, created_again, _log = silences.add(conf, "all", "1h", "patch", now=T0 + 60, reuse=True)
    assert created and not created_again and again["id"] == first["id"]


def test_check_mode_writes_nothing(conf):
    silence, created, _log = silences.add(conf, "all", "1h", "patch", now=T0, check_mode=True)
    assert created and silence["target"] == "all"
    assert not os.path.exists(os.path.dirname(conf["state_file"]))
    assert not os.path.exists(conf["log_file"])


def test_an_old_state_without_silences_is_read_and_kept(conf):
    os.makedirs(os.path.dirname(conf["state_file"]))
    old = {"version": 1, "last_run": T0, "crash_until": None, "crash_counts": {}, "outbox": [],
           "alerts": {"swap": {"rule": "swap", "level": "warning", "message": "m", "since": T0, "notified": T0}}}
    with open(conf["state_file"], "w") as handle:
        json.dump(old, handle)
    state, warning = alert_state.read_state(conf["state_file"], T0)
    assert warning is None and state["silences"] == [] and "swap" in state["alerts"]


def test_a_state_with_a_broken_silence_is_treated_as_corrupt(conf):
    os.makedirs(os.path.dirname(conf["state_file"]))
    with open(conf["state_file"], "w") as handle:
        json.dump({"version": 1, "alerts": {}, "silences": [{"id": "s-1", "target": "all"}]}, handle)
    state, warning = alert_state.read_state(conf["state_file"], T0, move_aside=False)
    assert state["silences"] == [] and "corrupt" in warning


def test_an_unwritable_state_is_a_sentence(conf, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    conf = dict(conf, state_file=str(blocker / "state.json"))
    with pytest.raises(OpsError) as info:
        silences.add(conf, "all", "1h", "patch", now=T0)
    assert "Cannot use the alert state directory" in str(info.value)


# ----------------------------------------------------------------------- the engine


def test_a_silenced_alert_is_logged_marked_not_queued_then_sent_when_the_silence_ends(conf):
    silence, _created, _log = silences.add(conf, "pm2_app_down", "2h", "deploy", now=T0)
    first = run(conf, [DOWN], T0 + 60)
    assert [(e["type"], e.get("silenced")) for e in first["events"]] == [("firing", True)]
    assert outbox(conf) == []  # nothing for the webhook (its file does not exist: it would be kept there)
    marked = [line for line in log(conf) if " FIRING " in line]
    assert marked == ["2026-11-27T00:01:00Z FIRING critical pm2_app_down:milo: PM2 app milo is stopped. "
                      "[silenced until 2026-11-27T02:00:00Z by %s: deploy]" % silence["id"]]
    assert run(conf, [DOWN], T0 + HOUR)["events"] == []  # still silenced, nothing new
    after = run(conf, [DOWN], T0 + 2 * HOUR + 60)  # the silence ended and it still fires
    assert [(e["type"], e.get("silenced")) for e in after["events"]] == [("firing", None)]
    assert len(outbox(conf)) == 1 and "FIRING critical pm2_app_down:milo" in outbox(conf)[0]
    assert any(" SILENCE ok pm2_app_down: %s expired (deploy)" % silence["id"] in line for line in log(conf))
    assert run(conf, [DOWN], T0 + 3 * HOUR)["events"] == []  # sent once, not again


def test_a_silenced_alert_that_clears_during_the_silence_is_never_sent(conf):
    silences.add(conf, "all", "2h", "patch", now=T0)
    run(conf, [DOWN], T0 + 60)
    cleared = run(conf, [], T0 + HOUR)
    assert [(e["type"], e.get("silenced")) for e in cleared["events"]] == [("resolved", True)]
    assert outbox(conf) == []
    assert log(conf)[-2].endswith("[not sent: its FIRING was silenced]")
    assert run(conf, [], T0 + 3 * HOUR)["events"] == []


def test_a_resolution_of_an_alert_that_was_sent_goes_out_during_a_silence(conf):
    run(conf, [DOWN], T0)
    assert len(outbox(conf)) == 1
    silences.add(conf, "all", "2h", "patch", now=T0 + 60)
    resolved = run(conf, [], T0 + HOUR)
    assert [(e["type"], e.get("silenced")) for e in resolved["events"]] == [("resolved", None)]
    assert len(outbox(conf)) == 2


def test_silenced_alerts_carry_the_textfile_label(conf, tmp_path):
    conf = dict(conf, textfile_path=str(tmp_path / "t.prom"))
    silences.add(conf, "pm2_app_down:milo", "1h", "deploy", now=T0)
    run(conf, [DOWN, SWAP], T0 + 60)
    text = (tmp_path / "t.prom").read_text()
    assert 'twzrd_ops_alert_active{key="pm2_app_down:milo",level="critical",rule="pm2_app_down",silenced="1"} 1' in text
    assert 'twzrd_ops_alert_active{key="swap",level="warning",rule="swap",silenced="0"} 1' in text


def test_all_does_not_silence_checks_failed_but_an_explicit_silence_does(conf):
    silences.add(conf, "all", "2h", "patch", now=T0)
    alerts.record_failure(conf, "pm2 hung", now=T0 + 60, host="web-1")
    assert len(outbox(conf)) == 1 and "checks_failed" in outbox(conf)[0]
    conf2 = dict(conf, state_file=conf["state_file"] + "2")
    silence, _created, _log = silences.add(conf2, "checks_failed", "1h", "rebuilding pm2", now=T0)
    lines = alerts.record_failure(conf2, "pm2 hung", now=T0 + 60, host="web-1")
    assert any(line.endswith("[silenced until 2026-11-27T01:00:00Z by %s: rebuilding pm2]" % silence["id"]) for line in lines)
    assert outbox(conf2) == []
    alerts.record_failure(conf2, "pm2 hung", now=T0 + HOUR + 60, host="web-1")  # silence over, still failing
    assert len(outbox(conf2)) == 1


def test_silences_survive_runs_and_expire_from_the_state(conf):
    silences.add(conf, "swap", "1h", "investigation", now=T0)
    run(conf, [SWAP], T0 + 60)
    assert len(alert_state.read_state(conf["state_file"], move_aside=False)[0]["silences"]) == 1
    run(conf, [SWAP], T0 + HOUR + 60)
    assert alert_state.read_state(conf["state_file"], move_aside=False)[0]["silences"] == []


def test_every_rule_module_utils_raises_can_be_silenced():
    """A silence refuses unknown rule names, so alert_rules.RULES must know every rule a
    finding can carry: _finding("rule", ...), "rule": "rule" and the *_RULE constants."""
    from ansible_collections.twzrd.ops.plugins.module_utils import alert_rules

    here = os.path.dirname(alert_rules.__file__)
    found = set()
    for name in os.listdir(here):
        if name.endswith(".py"):
            with open(os.path.join(here, name)) as handle:
                text = handle.read()
            found.update(re.findall(r'_finding\(\s*"([a-z0-9_]+)"', text))
            found.update(re.findall(r'"rule": "([a-z0-9_]+)"', text))
            found.update(re.findall(r'^[A-Z_]*RULE = "([a-z0-9_]+)"', text, re.M))
    assert {"swap", "pm2_app_down", "crash_loop", "memory_leak_suspected"} <= found
    assert found - set(alert_rules.RULES) == set()
