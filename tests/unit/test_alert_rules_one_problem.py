"""One problem, one alert: a crash loop inhibits its app's other alerts, an app:NAME
silence covers every alert about the app, and the state's times are claims (clamped when
the clock went back). Pure functions of alert_rules / silences / alert_state, plus the
engine (alerts.process) on files in tmp_path."""

from __future__ import annotations

import json

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alert_rules, alert_state, alerts, silences
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
HOUR = 3600.0
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
CONF = {"repeat_hours": 4, "swap_clear": 15, "load_clear_ratio": 0.9}


def finding(rule, subject=None, level="critical"):
    key = rule if subject is None else "%s:%s" % (rule, subject)
    return {"rule": rule, "key": key, "level": level, "message": "%s is bad." % key, "value": None}


def snapshot(status):
    return {"host": "web-1", "pm2": {"pm2_home": None, "events": [],
                                     "processes": [{"name": "crashy", "status": status}, {"name": "api", "status": "online"}],
                                     "summary": {"missing": []}}}


def loop_findings(status):
    found = [finding("crash_loop", "crashy")]
    if status != "online":
        found.append(finding("pm2_app_down", "crashy"))
    return found


def test_a_crash_loop_inhibits_the_apps_down_alert_so_it_never_flaps():
    """A looping app is "errored" in one look and "online" the next: over six hourly runs
    pm2_app_down:crashy neither fires nor resolves; the crash loop fires once."""
    state = alert_state.empty_state()
    seen = []
    for run, status in enumerate(["errored", "online", "errored", "online", "online", "errored"]):
        alerts_, events, _counts, _until, _problems = alert_rules.run_rules(
            state, snapshot(status), loop_findings(status), CFG, CONF, T0 + run * HOUR)
        seen.extend((e["type"], e["key"]) for e in events)
        state = dict(state, alerts=alerts_)
    assert [event for event in seen if event[1] != "crash_loop:crashy"] == []
    assert [event for event in seen if event[0] == "firing"] == [("firing", "crash_loop:crashy")]
    assert ("reminder", "crash_loop:crashy") in seen  # it still reminds every repeat_hours (4)


def test_an_apps_down_alert_that_fired_before_the_loop_is_held_not_resolved():
    state = alert_state.empty_state()
    alerts_, events, _c, _u, _p = alert_rules.run_rules(state, snapshot("stopped"), [finding("pm2_app_down", "crashy")],
                                                        CFG, CONF, T0)
    assert [e["type"] for e in events] == ["firing"]
    state = dict(state, alerts=alerts_)
    alerts_, events, _c, _u, _p = alert_rules.run_rules(state, snapshot("online"), loop_findings("online"), CFG, CONF, T0 + HOUR)
    assert [(e["type"], e["key"]) for e in events] == [("firing", "crash_loop:crashy")]
    assert alerts_["pm2_app_down:crashy"]["inhibited_by"] == "crash_loop:crashy"
    # The loop ends and the app is online: both resolve, once.
    state = dict(state, alerts=alerts_)
    _a, events, _c, _u, _p = alert_rules.run_rules(state, snapshot("online"), [], CFG, CONF, T0 + 2 * HOUR)
    assert sorted((e["type"], e["key"]) for e in events) == [("resolved", "crash_loop:crashy"), ("resolved", "pm2_app_down:crashy")]


def test_a_loop_of_one_app_does_not_inhibit_another_apps_alerts():
    found = [finding("crash_loop", "crashy"), finding("pm2_app_down", "api")]
    _a, events, _c, _u, _p = alert_rules.run_rules(alert_state.empty_state(), snapshot("online"), found, CFG, CONF, T0)
    assert sorted(e["key"] for e in events) == ["crash_loop:crashy", "pm2_app_down:api"]


@pytest.mark.parametrize("key, covered", [
    ("crash_loop:crashy", True), ("pm2_app_down:crashy", True), ("pm2_crashes:crashy", True),
    ("pm2_missing:crashy", True), ("memory_leak_suspected:crashy", True),
    ("pm2_app_down:crashy-2", False), ("health", False), ("disk_full_forecast:crashy", False), ("checks_failed", False),
])
def test_an_app_silence_covers_every_alert_about_that_app_and_nothing_else(key, covered):
    silence = silences.new_silence([], "app:crashy", "2h", "deploy", 24, now=T0)
    assert silences.matches(silence, key) is covered


@pytest.mark.parametrize("target", ["app", "app:", "app:\x1b[2J"])
def test_an_app_silence_needs_a_printable_name(target):
    with pytest.raises(OpsError):
        silences.parse_target(target)


def test_an_app_silence_quiets_the_whole_crash_loop_in_the_engine(tmp_path):
    conf = {"state_file": str(tmp_path / "state.json"), "log_file": str(tmp_path / "alerts.log")}
    silences.add(alerts.validate(conf), "app:crashy", "2h", "deploy", now=T0)
    found = loop_findings("errored") + [finding("pm2_crashes", "crashy", "warning")]
    result = alerts.process(conf, snapshot("errored"), found, CFG, now=T0 + 60)
    assert [e["key"] for e in result["events"]] == ["crash_loop:crashy"]
    assert all(e.get("silenced") for e in result["events"])
    assert result["lines"] and all("[silenced until" in line for line in result["lines"] if " FIRING " in line)


def test_a_silence_is_a_claim_clamped_to_the_longest_allowed_after_the_clock_went_back(tmp_path):
    """Written by a clock one year ahead, read now: nothing in the state is in the future, no
    silence lasts longer than silence_max_hours from now, and the run says so."""
    path = tmp_path / "state.json"
    ahead = T0 + 365 * 86400
    state = alert_state.empty_state()
    state.update(last_run=ahead, crash_until=ahead,
                 alerts={"swap": {"rule": "swap", "level": "warning", "message": "m", "value": 30, "since": ahead,
                                  "notified": ahead}},
                 silences=[{"id": "s-1", "target": "all", "reason": "r", "by": "x", "created": ahead - 60,
                            "until": ahead + 3600}])
    path.write_text(json.dumps(state))
    read, warning = alert_state.read_state(str(path), T0, longest_silence=24 * HOUR)
    assert read["last_run"] == T0 and read["crash_until"] == T0
    assert read["alerts"]["swap"]["since"] == T0 and read["alerts"]["swap"]["notified"] == T0
    assert read["silences"][0]["until"] == T0 + 24 * HOUR
    assert "clock went back" in warning


def test_a_version_1_state_is_migrated_and_keeps_its_alerts_and_silences(tmp_path):
    """A host set up by the release before keeps its alert state (stored formats migrate)."""
    path = tmp_path / "state.json"
    old = {"version": 1, "last_run": T0, "crash_until": T0, "crash_counts": {"api": 3}, "outbox": ["web-1 FIRING x"],
           "alerts": {"swap": {"rule": "swap", "level": "critical", "message": "m", "value": 55, "since": T0, "notified": T0}},
           "silences": [{"id": "s-1", "target": "disk", "reason": "r", "by": "x", "created": T0, "until": T0 + HOUR}]}
    path.write_text(json.dumps(old))
    state, warning = alert_state.read_state(str(path), T0 + 60)
    assert warning is None
    assert state["version"] == alert_state.STATE_VERSION and state["pending_log"] == []
    assert state["alerts"] == old["alerts"] and state["silences"] == old["silences"]
    assert state["outbox"] == {"slack": old["outbox"]} and state["crash_counts"] == {"api": 3}  # v2 -> v3: per channel


def test_checks_failed_goes_through_the_same_state_machine_as_any_alert():
    state = alert_state.empty_state()
    alerts_, events = alert_rules.failure_transition(state, "checks failed on web-1: boom", CONF, T0)
    assert [e["type"] for e in events] == ["firing"]
    alerts_, events = alert_rules.failure_transition(dict(state, alerts=alerts_), "boom", CONF, T0 + HOUR)
    assert events == []
    _alerts, events = alert_rules.failure_transition(dict(state, alerts=alerts_), "boom", CONF, T0 + 4 * HOUR)
    assert [e["type"] for e in events] == ["reminder"]


def test_the_rules_never_change_their_inputs():
    state = alert_state.empty_state()
    snap = snapshot("errored")
    found = loop_findings("errored")
    before = json.dumps([state, snap, found], sort_keys=True)
    alert_rules.run_rules(state, snap, found, CFG, CONF, T0)
    assert json.dumps([state, snap, found], sort_keys=True) == before
