"""The one rule of "the restarted apps came back healthy" (module_utils/restart_check.py), the
alerts a restart disturbs, the restart mode's PM2 state, and their filters (plugins/filter/gates.py).

Listings are shaped like pm2_status results (docs/DESIGN.md processes); crash events come from
the real pm2.crash_events over pm2.log lines taken from tests/fixtures/pm2/pm2.log (real PM2 7
output) and given new timestamps.
"""

from __future__ import annotations

import os
import time

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.filter import gates as gate_filters
from ansible_collections.twzrd.ops.plugins.module_utils import gates, pm2, restart_check
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

LOG_FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "pm2", "pm2.log")
T0 = 1796000000  # the restart began


def listing(*processes):
    """pm2_status-like result from (name, status, restarts, pm_id, pid) tuples."""
    return {"processes": [dict(name=n, status=s, restarts=r, pm_id=i, pid=p) for n, s, r, i, p in processes]}


STARTED = listing(("api", "online", 3, 0, 100), ("crashy", "online", 7, 1, 200))


def judge(settled, crashes=None, probe=None, started=None, **kwargs):
    started = STARTED if started is None else started
    kwargs.setdefault("expected", ["api", "crashy"])
    kwargs.setdefault("restarted", ["all"])
    return restart_check.came_back(started, settled, crashes=crashes, probe=probe, seconds=20, **kwargs)


@pytest.fixture
def utc(monkeypatch):
    """pm2.log timestamps are the daemon's local time: pin it to UTC for the test."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def pm2_log(tmp_path, *messages):
    """A pm2.log of real PM2 lines (found in the fixture by their text), one second apart from T0."""
    with open(LOG_FIXTURE, encoding="utf-8") as handle:
        real = handle.read().splitlines()
    lines = []
    for offset, needle in enumerate(messages):
        line = [candidate for candidate in real if needle in candidate][0]
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(T0 + offset))
        lines.append("%s: %s" % (stamp, line.split(": ", 1)[1]))
    path = tmp_path / "pm2.log"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_online_without_crash_or_restart_is_healthy():
    verdict = judge(listing(("api", "online", 3, 0, 100), ("crashy", "online", 7, 1, 200)), crashes=[])
    assert verdict == {"healthy": True, "problems": [], "expected": ["api", "crashy"],
                       "apps": {"api": {"status": "online", "crashes": 0, "self_restarts": 0},
                                "crashy": {"status": "online", "crashes": 0, "self_restarts": 0}}}


def test_a_crash_during_the_settling_time_is_not_healthy_though_the_app_is_online_at_the_end():
    events = [{"name": "crashy", "pm_id": 1, "time": T0 + t, "code": 1, "signal": "SIGINT"} for t in (3, 6, 9)]
    verdict = judge(listing(("api", "online", 3, 0, 100), ("crashy", "online", 10, 1, 233)), crashes=events)
    assert verdict["healthy"] is False
    assert verdict["problems"] == ["PM2 app crashy crashed 3 times in the 20 s after the restart."]
    assert verdict["apps"]["crashy"] == {"status": "online", "crashes": 3, "self_restarts": 3}


def test_a_restarts_counter_that_rose_without_a_log_line_is_a_crash():
    """pm2.log rotated away, unreadable or written elsewhere: the counter still tells."""
    verdict = judge(listing(("api", "online", 5, 0, 150), ("crashy", "online", 7, 1, 200)), crashes=[])
    assert verdict["problems"] == [
        "PM2 app api crashed 2 times in the 20 s after the restart: PM2 restarted it by itself "
        "(its restarts counter rose by 2, PM2's log shows no crash)."]


def test_a_new_pid_without_a_counter_rise_is_a_crash():
    verdict = judge(listing(("api", "online", 3, 0, 101), ("crashy", "online", 7, 1, 200)), crashes={})
    assert verdict["healthy"] is False and verdict["apps"]["api"]["self_restarts"] == 1


def test_the_restart_itself_is_not_a_crash(tmp_path, utc):
    """pm2 restart logs "Stopping app" before the exit: the real crash_events leaves it out,
    and only the unplanned exit after it counts."""
    log = pm2_log(tmp_path, "Stopping app:web id:0", "App [web:0] exited with code [0] via signal [SIGINT]",
                  "App [web:0] starting in", "App [crashy:1] exited with code [1] via signal [SIGINT]")
    events = pm2.crash_events(log, T0, T0 + 60)
    assert [event["name"] for event in events] == ["crashy"]
    started = listing(("web", "online", 4, 0, 300), ("crashy", "online", 7, 1, 200))
    settled = listing(("web", "online", 4, 0, 300), ("crashy", "online", 8, 1, 201))
    verdict = judge(settled, crashes=events, started=started, expected=[], restarted=["web", "crashy"])
    assert verdict["problems"] == ["PM2 app crashy crashed once in the 20 s after the restart."]
    assert verdict["apps"]["web"] == {"status": "online", "crashes": 0, "self_restarts": 0}


def test_an_app_missing_or_not_online_at_the_end():
    verdict = judge(listing(("crashy", "errored", 7, 1, 0)), crashes=[])
    assert verdict["problems"] == ["PM2 app api is not known to PM2.", "PM2 app crashy is errored."]


def test_the_health_probe_down_is_a_problem_and_a_skipped_probe_is_none():
    settled = listing(("api", "online", 3, 0, 100), ("crashy", "online", 7, 1, 200))
    probe = {"healthy": False, "url": "http://127.0.0.1:8080/health", "attempts": 3,
             "message": "http://127.0.0.1:8080/health answered HTTP 500, expected 200."}
    assert judge(settled, probe=probe)["problems"] == [
        "health probe of http://127.0.0.1:8080/health failed after 3 attempts: "
        "http://127.0.0.1:8080/health answered HTTP 500, expected 200."]
    assert judge(settled, probe={"skipped": True, "changed": False})["healthy"] is True


def test_pm2_unreadable_is_one_problem():
    verdict = judge({"failed": True, "msg": "pm2 was not found on PATH."})
    assert verdict["healthy"] is False and verdict["problems"] == ["pm2 was not found on PATH."]
    assert judge({"error": "PM2's daemon is not running."})["problems"] == ["PM2's daemon is not running."]


def test_which_apps_must_come_back():
    before = listing(("api", "online", 1, 0, 1), ("old", "stopped", 0, 1, 0), ("worker", "online", 0, 2, 2))
    assert restart_check.expected_apps(before, [], ["all"]) == ["api", "worker"]
    assert restart_check.expected_apps(before, [], []) == ["api", "worker"]
    assert restart_check.expected_apps(before, ["db"], ["old"]) == ["db", "old"]  # a stopped app restarted by name
    assert restart_check.expected_apps(before, ["api"], ["all"]) == ["api", "worker"]


def test_an_unrelated_app_is_not_judged_when_named_apps_are_restarted():
    started = listing(("api", "online", 3, 0, 100), ("crashy", "online", 7, 1, 200))
    settled = listing(("api", "online", 3, 0, 100), ("crashy", "online", 9, 1, 250))
    verdict = judge(settled, crashes={"crashy": 2}, started=started, expected=[], restarted=["api"])
    assert verdict["healthy"] is True and verdict["expected"] == ["api"]


@settings(max_examples=200, deadline=None)
@given(
    apps=st.lists(
        st.tuples(st.sampled_from(["online", "stopped", "errored", "launching"]), st.integers(0, 50), st.integers(0, 5),
                  st.integers(0, 5), st.booleans()),
        min_size=1, max_size=4),
    probe=st.sampled_from([None, {"healthy": True}, {"healthy": False, "message": "down"}]),
)
def test_healthy_exactly_when_every_app_is_online_with_no_crash_and_the_probe_is_not_down(apps, probe):
    started, settled, crashes = [], [], {}
    for index, (status, restarts, rise, logged, new_pid) in enumerate(apps):
        name = "app%d" % index
        started.append({"name": name, "status": "online", "restarts": restarts, "pm_id": index, "pid": 1000 + index})
        settled.append({"name": name, "status": status, "restarts": restarts + rise, "pm_id": index,
                        "pid": 2000 + index if new_pid else 1000 + index})
        crashes[name] = logged
    verdict = restart_check.came_back(started, settled, crashes=crashes, probe=probe, restarted=["all"])
    expected = (all(s == "online" and not r and not lg and not np for s, r, lg, np in (a[0:1] + a[2:] for a in apps))
                and (probe or {}).get("healthy", True))
    assert verdict["healthy"] is bool(expected)
    assert bool(verdict["problems"]) is not verdict["healthy"]
    for index, (_status, _restarts, rise, logged, new_pid) in enumerate(apps):
        assert verdict["apps"]["app%d" % index]["crashes"] == max(logged, rise if rise or not new_pid else 1)


# ------------------------------------------------- the alerts a restart disturbs, the mode's state


def test_silence_targets_of_a_restart():
    assert restart_check.silence_targets(["api", "worker", "api"]) == ["pm2_app_down:api", "pm2_app_down:worker", "health"]
    assert restart_check.silence_targets(["all"]) == ["pm2_app_down", "health"]
    assert restart_check.silence_targets([]) == ["pm2_app_down", "health"]
    assert gate_filters.restart_silence_targets(["api"]) == ["pm2_app_down:api", "health"]


def test_the_restart_modes_pm2_state_is_pm2_modes():
    assert dict((mode, restart_check.pm2_state(mode)) for mode in pm2.MODES) == pm2.MODES
    with pytest.raises(OpsError) as error:
        restart_check.pm2_state("bounce")
    assert str(error.value) == "The restart mode must be restart or reload, got 'bounce'."
    with pytest.raises(AnsibleFilterError, match="restart_pm2_state: The restart mode must be restart or reload"):
        gate_filters.restart_pm2_state("graceful")
    assert gate_filters.restart_pm2_state("reload") == "reloaded"


# ------------------------------------------------- emergency-crashloop's "stayed up" is the same rule


def test_stayed_up_is_the_restart_rule():
    started = listing(("api", "online", 4, 0, 10))
    for watched, crashes in [
        (listing(("api", "online", 4, 0, 10)), {"api": 0}),
        (listing(("api", "online", 5, 0, 11)), {}),
        (listing(("api", "online", 4, 0, 10)), {"api": 1}),
        (listing(("api", "errored", 4, 0, 0)), {}),
    ]:
        watched["summary"] = {"crashes": crashes}
        rule = restart_check.came_back(started, watched, crashes=crashes, expected=["api"], restarted=["api"])["healthy"]
        assert gates.stayed_up(watched, started, "api") is rule


def test_the_verdict_filter_takes_registered_results():
    settled = dict(listing(("api", "online", 3, 0, 100)), summary={"crashes": {"api": 2}, "crash_window": 31})
    verdict = gate_filters.restart_verdict(settled, listing(("api", "online", 3, 0, 100)), crashes=settled["summary"]["crashes"],
                                           probe={"skipped": True}, expected=["api"], restarted=["api"], seconds=31)
    assert verdict["problems"] == ["PM2 app api crashed 2 times in the 31 s after the restart."]
