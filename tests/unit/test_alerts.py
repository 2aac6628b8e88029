"""Unit tests for plugins/module_utils/alerts.py: the alert state machine.

Findings and snapshots are plain data (the shapes of docs/DESIGN.md), built by hand here;
the clock is moved through `now=`, never by sleeping. Webhook delivery, node_exporter and
real PM2 crashes are in tests/integration/test_alerts_*.py.
"""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts, pm2
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
HOUR = 3600.0
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (FIRING|REMINDER|RESOLVED|RUN|WARNING|ERROR) (ok|warning|critical|unknown) (\S+): (.+)$")
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}


def finding(rule, level="warning", key=None, message=None, value=None):
    return {"rule": rule, "key": key or rule, "level": level, "message": message or "%s is bad." % rule, "value": value}


def snap(swap=0.0, load1=0.1):
    return {
        "host": "web-1",
        "system": {
            "swap": {"percent": swap, "total": 1 << 30},
            "memory": {"available": 123456789, "total": 1 << 33},
            "load": {"load1": load1 * 2, "per_core": {"load1": load1, "load5": load1, "load15": load1}},
            "cpu_count": 2,
        },
    }


@pytest.fixture
def conf(tmp_path):
    return {"state_file": str(tmp_path / "state" / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")}


def run(conf, findings, now, snapshot=None, cfg=None):
    return alerts.process(conf, read_events(snapshot if snapshot is not None else snap(), now), findings, cfg or CFG, now=now)


def read_events(snapshot, now):
    """The read phase of a run (runs.hourly through pm2.pm2_status): the crash events of
    pm2.log, read once, into a copy of the snapshot; the rules never read the log."""
    status = snapshot.get("pm2") or {}
    if not status.get("pm2_home") or status.get("error"):
        return snapshot
    try:
        events = pm2.crash_events(os.path.join(status["pm2_home"], "pm2.log"), 0, until=now)
    except OpsError as exc:
        return dict(snapshot, pm2={"error": str(exc)})
    return dict(snapshot, pm2=dict(status, events=events))


def types(result):
    return [(e["type"], e["key"]) for e in result["events"]]


def read_log(conf):
    with open(conf["log_file"]) as handle:
        return handle.read().splitlines()


# ----------------------------------------------------------------------- validate


def test_validate_returns_defaults_for_empty_settings():
    assert alerts.validate({}) == alerts.DEFAULTS
    assert alerts.validate(None)["repeat_hours"] == 4


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"repeat_hourz": 4}, "Unknown alert setting: repeat_hourz"),
        ({"repeat_hours": "often"}, "repeat_hours must be a number"),
        ({"repeat_hours": True}, "repeat_hours must be a number"),
        ({"swap_clear": 150}, "swap_clear must be between 0 and 100"),
        ({"load_clear_ratio": 1.5}, "load_clear_ratio must be between 0 and 1"),
        ({"webhook_retries": 1.5}, "webhook_retries must be a whole number"),
        ({"state_file": "relative.json"}, "state_file must be an absolute path"),
        ({"state_file": ""}, "state_file must be an absolute path"),
        ({"textfile_path": "/var/lib/node-exporter/twzrd.txt"}, "must end in .prom"),
        ({"webhook_url_file": 42}, "webhook_url_file must be a file path"),
        ("yes", "must be a mapping"),
    ],
)
def test_validate_refuses_bad_settings_with_one_sentence(settings, words):
    with pytest.raises(OpsError) as info:
        alerts.validate(settings)
    message = str(info.value)
    assert words in message
    assert message.endswith(".") and "\n" not in message


def test_bad_settings_leave_the_host_unchanged(tmp_path):
    state = tmp_path / "state.json"
    with pytest.raises(OpsError):
        alerts.process({"state_file": str(state), "log_file": str(tmp_path / "log"), "swap_clear": -1}, snap(), [], CFG, now=T0)
    assert os.listdir(str(tmp_path)) == []


# ----------------------------------------------------------------------- lifecycle


def test_alert_fires_once_reminds_after_interval_and_resolves_once(conf):
    swap = [finding("swap", "critical", message="Swap use is 55.0%.", value=55.0)]
    first = run(conf, swap, T0, snap(swap=55))
    assert types(first) == [("firing", "swap")]
    assert first["exit_code"] == 2
    assert first["active"][0]["key"] == "swap" and first["active"][0]["since"] == "2026-11-27T00:00:00Z"

    for hour in (1, 2, 3):
        assert run(conf, swap, T0 + hour * HOUR, snap(swap=55))["events"] == []
    reminder = run(conf, swap, T0 + 4 * HOUR, snap(swap=55))
    assert types(reminder) == [("reminder", "swap")]
    assert reminder["events"][0]["since"] == "2026-11-27T00:00:00Z"
    assert run(conf, swap, T0 + 5 * HOUR, snap(swap=55))["events"] == []

    resolved = run(conf, [], T0 + 6 * HOUR, snap(swap=1))
    assert types(resolved) == [("resolved", "swap")]
    assert resolved["events"][0]["level"] == "ok"
    assert "Resolved after 6h00m" in resolved["events"][0]["message"]
    assert resolved["exit_code"] == 0 and resolved["active"] == []
    assert run(conf, [], T0 + 7 * HOUR, snap(swap=1))["events"] == []


def test_reminder_due_a_few_seconds_late_by_cron_is_not_postponed_an_hour(conf):
    down = [finding("pm2_app_down", "critical", key="pm2_app_down:api")]
    run(conf, down, T0 + 5)
    assert types(run(conf, down, T0 + 4 * HOUR - 2)) == [("reminder", "pm2_app_down:api")]


def test_repeat_hours_zero_never_reminds(conf):
    conf["repeat_hours"] = 0
    down = [finding("health", "critical")]
    run(conf, down, T0)
    assert all(run(conf, down, T0 + h * HOUR)["events"] == [] for h in (4, 8, 48))


def test_rise_to_critical_fires_again_but_a_fall_to_warning_stays_quiet(conf):
    run(conf, [finding("disk", "warning", key="disk:/")], T0)
    up = run(conf, [finding("disk", "critical", key="disk:/")], T0 + HOUR)
    assert types(up) == [("firing", "disk:/")] and up["events"][0]["level"] == "critical"
    down = run(conf, [finding("disk", "warning", key="disk:/")], T0 + 2 * HOUR)
    assert down["events"] == [] and down["active"][0]["level"] == "warning" and down["exit_code"] == 1


def test_first_run_without_state_fires_each_current_condition_once(conf):
    many = [finding("swap", "critical"), finding("pm2_app_down", "critical", key="pm2_app_down:a"),
            finding("disk", "warning", key="disk:/var/log")]
    result = run(conf, many + many, T0)
    assert sorted(types(result)) == [("firing", "disk:/var/log"), ("firing", "pm2_app_down:a"), ("firing", "swap")]


def test_exit_code_follows_the_worst_active_alert(conf):
    assert run(conf, [], T0)["exit_code"] == 0
    assert run(conf, [finding("disk", "warning", key="disk:/")], T0 + 1)["exit_code"] == 1
    assert run(conf, [finding("disk", "warning", key="disk:/"), finding("health", "critical")], T0 + 2)["exit_code"] == 2


# ----------------------------------------------------------------------- hysteresis


def test_swap_alert_clears_only_below_swap_clear(conf):
    run(conf, [finding("swap", "warning", value=25.0)], T0, snap(swap=25))
    held = run(conf, [], T0 + HOUR, snap(swap=17))
    assert held["events"] == []
    assert held["active"][0]["key"] == "swap" and "clears below 15%" in held["active"][0]["message"]
    assert held["exit_code"] == 1
    # Flapping around the firing threshold does not fire again either.
    assert run(conf, [finding("swap", "warning", value=21.0)], T0 + 2 * HOUR, snap(swap=21))["events"] == []
    assert types(run(conf, [], T0 + 3 * HOUR, snap(swap=14.9))) == [("resolved", "swap")]


def test_load_alert_clears_only_below_ratio_of_warning_threshold(conf):
    run(conf, [finding("load", "warning", value=1.2)], T0, snap(load1=1.2))
    assert run(conf, [], T0 + HOUR, snap(load1=0.95))["active"][0]["key"] == "load"
    assert types(run(conf, [], T0 + 2 * HOUR, snap(load1=0.85))) == [("resolved", "load")]


def test_load_hysteresis_uses_absolute_load_in_absolute_mode(conf):
    cfg = dict(CFG, load_mode="absolute", load_warning=8, load_critical=12)
    run(conf, [finding("load", "warning", value=9)], T0, snap(load1=4.5), cfg)  # absolute load1 = 9
    assert run(conf, [], T0 + HOUR, snap(load1=3.7), cfg)["active"]  # 7.4 >= 0.9 * 8
    assert types(run(conf, [], T0 + 2 * HOUR, snap(load1=3.5), cfg)) == [("resolved", "load")]  # 7.0


def test_pm2_alerts_are_not_resolved_while_pm2_cannot_be_asked(conf):
    run(conf, [finding("pm2_app_down", "critical", key="pm2_app_down:api")], T0)
    blind = run(conf, [finding("pm2_unavailable", "critical")], T0 + HOUR)
    assert types(blind) == [("firing", "pm2_unavailable")]
    assert {a["key"] for a in blind["active"]} == {"pm2_app_down:api", "pm2_unavailable"}
    back = run(conf, [], T0 + 2 * HOUR)
    assert sorted(types(back)) == [("resolved", "pm2_app_down:api"), ("resolved", "pm2_unavailable")]


def test_window_crash_findings_of_evaluate_are_replaced_by_the_since_last_run_rule(conf):
    # Without a PM2 home in the snapshot there is no daemon log to read: no crash alert.
    result = run(conf, [finding("pm2_crashes", key="pm2_crashes:api", value=2)], T0)
    assert result["events"] == [] and result["active"] == []


# ----------------------------------------------------------------------- state


def test_state_is_private_json_and_log_is_not_world_readable(conf):
    run(conf, [finding("swap", "critical")], T0)
    assert stat.S_IMODE(os.stat(conf["state_file"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(conf["log_file"]).st_mode) == 0o640
    with open(conf["state_file"]) as handle:
        state = json.load(handle)
    assert state["last_run"] == T0 and list(state["alerts"]) == ["swap"]
    assert not [n for n in os.listdir(os.path.dirname(conf["state_file"])) if n.startswith(".alerts-state")]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[1, 2]", b'{"version": 99}', b'{"version": 1, "alerts": {"swap": {"level": "loud"}}}', b"\xff\xfe"],
)
def test_corrupt_state_is_moved_aside_with_a_warning_and_treated_as_missing(conf, content):
    run(conf, [finding("swap", "critical")], T0)
    with open(conf["state_file"], "wb") as handle:
        handle.write(content)
    result = run(conf, [finding("swap", "critical")], T0 + HOUR)
    assert types(result) == [("firing", "swap")]
    warning = [line for line in result["lines"] if " WARNING " in line]
    assert len(warning) == 1 and "was corrupt" in warning[0]
    aside = [n for n in os.listdir(os.path.dirname(conf["state_file"])) if ".corrupt-" in n]
    assert aside == ["alerts-state.json.corrupt-20261127T010000Z"]
    assert run(conf, [finding("swap", "critical")], T0 + 2 * HOUR)["events"] == []


def test_preview_decides_like_process_but_changes_nothing(conf):
    run(conf, [finding("swap", "critical")], T0)
    before = open(conf["state_file"]).read()
    log_before = read_log(conf)
    view = alerts.preview(conf, snap(swap=1), [finding("health", "critical")], CFG, now=T0 + HOUR)
    assert sorted(types(view)) == [("firing", "health"), ("resolved", "swap")]
    assert [a["key"] for a in view["active"]] == ["health"]
    assert open(conf["state_file"]).read() == before and read_log(conf) == log_before


def test_preview_of_a_corrupt_state_leaves_it_in_place(conf):
    os.makedirs(os.path.dirname(conf["state_file"]))
    with open(conf["state_file"], "w") as handle:
        handle.write("garbage")
    view = alerts.preview(conf, snap(), [], CFG, now=T0)
    assert "corrupt" in view["warnings"][0]
    assert os.listdir(os.path.dirname(conf["state_file"])) == ["alerts-state.json"]


# ----------------------------------------------------------------------- log lines


def test_every_log_line_is_parseable_and_each_run_leaves_a_run_line(conf):
    run(conf, [finding("swap", "critical", message="Swap use is 55.0%\nof 1 GiB.")], T0)
    run(conf, [], T0 + HOUR)
    lines = read_log(conf)
    assert lines == [
        "2026-11-27T00:00:00Z FIRING critical swap: Swap use is 55.0% of 1 GiB.",
        "2026-11-27T00:00:00Z RUN critical run: 1 active alert: swap (critical)",
        "2026-11-27T01:00:00Z RESOLVED ok swap: Resolved after 1h00m; was: Swap use is 55.0%\nof 1 GiB.".replace("\n", " "),
        "2026-11-27T01:00:00Z RUN ok run: no active alerts",
    ]
    assert all(LINE.match(line) for line in lines)


def test_log_file_failure_is_reported_and_the_run_still_completes(conf, tmp_path):
    conf["log_file"] = str(tmp_path / "no-such-dir" / "alerts.log")
    result = run(conf, [finding("swap", "critical")], T0)
    assert types(result) == [("firing", "swap")]
    assert result["errors"] and "Cannot append to the alert log" in result["errors"][0]
    assert run(conf, [finding("swap", "critical")], T0 + HOUR)["events"] == []


def test_record_failure_logs_an_unknown_run_line(conf):
    lines = alerts.record_failure(conf, "PM2 did not answer.", now=T0, host="web-1")
    assert read_log(conf) == lines == [
        "2026-11-27T00:00:00Z FIRING critical checks_failed: checks failed on web-1: PM2 did not answer.",
        "2026-11-27T00:00:00Z RUN unknown run: the checks failed: PM2 did not answer.",
    ]


# ----------------------------------------------------------------------- textfile


def test_textfile_has_help_type_and_escaped_labels(conf, tmp_path):
    conf["textfile_path"] = str(tmp_path / "twzrd_ops.prom")
    snapshot = snap(swap=25)
    snapshot["pm2"] = {
        "pm2_home": None,
        "processes": [{"name": 'we"ird\\app', "status": "online"}, {"name": "api", "status": "online"},
                      {"name": "api", "status": "stopped"}],
        "summary": {"missing": ["ghost"]},
    }
    run(conf, [finding("swap", "warning", value=25.0)], T0, snapshot)
    text = open(conf["textfile_path"]).read()
    assert stat.S_IMODE(os.stat(conf["textfile_path"]).st_mode) == 0o644
    assert "twzrd_ops_swap_used_ratio 0.25\n" in text
    assert 'twzrd_ops_load_per_core{period="load1"} 0.1\n' in text
    assert "twzrd_ops_memory_available_bytes 123456789\n" in text
    assert 'twzrd_ops_pm2_app_up{app="we\\"ird\\\\app"} 1\n' in text
    assert 'twzrd_ops_pm2_app_up{app="api"} 0\n' in text
    assert 'twzrd_ops_pm2_app_up{app="ghost"} 0\n' in text
    assert 'twzrd_ops_alert_active{key="swap",level="warning",rule="swap",silenced="0"} 1\n' in text
    assert "twzrd_ops_last_run_timestamp_seconds 1795737600\n" in text
    assert "twzrd_ops_last_run_success 1\n" in text
    names = re.findall(r"^# TYPE (\S+) (gauge|counter)$", text, re.M)
    helps = re.findall(r"^# HELP (\S+) ", text, re.M)
    assert [name for name, _kind in names] == helps and len(helps) == 9


def test_missing_textfile_directory_is_an_error_not_a_crash(conf, tmp_path):
    conf["textfile_path"] = str(tmp_path / "absent" / "twzrd_ops.prom")
    result = run(conf, [], T0)
    assert result["errors"] == ["The Prometheus textfile directory %s does not exist." % (tmp_path / "absent")]
    assert any(" ERROR " in line for line in read_log(conf))


# ----------------------------------------------------------------------- crashes since the previous run

# Captured from PM2 7.0.4 (host TZ=UTC): app "once" crashed at start-up once, then an
# operator ran `pm2 restart worker`.
PM2_LOG = """\
2026-11-27T22:35:13: PM2 log: App [once:0] starting in -fork mode-
2026-11-27T22:35:13: PM2 log: App [once:0] online
2026-11-27T22:35:13: PM2 log: App [once:0] exited with code [3] via signal [SIGINT]
2026-11-27T22:35:13: PM2 log: App [once:0] starting in -fork mode-
2026-11-27T22:35:13: PM2 log: App [once:0] online
2026-11-27T22:35:13: PM2 log: App [worker:1] starting in -fork mode-
2026-11-27T22:35:13: PM2 log: App [worker:1] online
2026-11-27T22:35:16: PM2 log: Stopping app:worker id:1
2026-11-27T22:35:16: PM2 log: App [worker:1] exited with code [0] via signal [SIGINT]
2026-11-27T22:35:17: PM2 log: pid=28876 msg=process tree killed (1 pids)
2026-11-27T22:35:17: PM2 log: App [worker:1] starting in -fork mode-
2026-11-27T22:35:17: PM2 log: App [worker:1] online
"""


def log_epoch(stamp):
    """pm2.log stamps are local time; so is this conversion (the tests do not depend on TZ)."""
    import time

    return time.mktime(time.strptime(stamp, "%Y-%m-%dT%H:%M:%S"))


@pytest.fixture
def pm2_snapshot(tmp_path):
    home = tmp_path / "pm2home"
    home.mkdir()
    (home / "pm2.log").write_text(PM2_LOG)
    snapshot = snap()
    snapshot["pm2"] = {
        "pm2_home": str(home),
        "processes": [{"name": "once", "status": "online"}, {"name": "worker", "status": "online"}],
        "summary": {"missing": []},
    }
    return snapshot


def crash_event(name, pm_id, stamp, code=1):
    return "%s: PM2 log: App [%s:%s] exited with code [%s] via signal [SIGINT]\n" % (stamp, name, pm_id, code)


def test_a_crash_fires_once_and_an_operator_restart_never(conf, pm2_snapshot, tmp_path):
    conf["textfile_path"] = str(tmp_path / "twzrd_ops.prom")
    first = run(conf, [], log_epoch("2026-11-27T22:35:20"), pm2_snapshot)
    assert types(first) == [("firing", "pm2_crashes:once")]
    assert first["events"][0]["message"].startswith("PM2 app once crashed 1 time since the previous check (last: exit code 3 at ")
    text = open(conf["textfile_path"]).read()
    assert 'twzrd_ops_pm2_crashes_total{app="once"} 1\n' in text
    assert 'twzrd_ops_pm2_crashes_total{app="worker"} 0\n' in text

    second = run(conf, [], log_epoch("2026-11-27T23:35:20"), pm2_snapshot)
    assert types(second) == [("resolved", "pm2_crashes:once")]
    assert 'twzrd_ops_pm2_crashes_total{app="once"} 1\n' in open(conf["textfile_path"]).read()


def test_first_run_looks_back_only_the_crash_window(conf, pm2_snapshot):
    assert run(conf, [], log_epoch("2026-11-27T22:45:00"), pm2_snapshot)["events"] == []


def test_each_crash_is_counted_exactly_once_even_within_the_run_second(conf, pm2_snapshot):
    log = os.path.join(pm2_snapshot["pm2"]["pm2_home"], "pm2.log")
    run(conf, [], log_epoch("2026-11-27T22:36:00"), pm2_snapshot)
    with open(log, "a") as handle:
        handle.write(crash_event("worker", 1, "2026-11-27T23:00:00"))
    # The run starts at 23:00:00.4: PM2 may still write lines stamped 23:00:00, so they wait.
    early = run(conf, [], log_epoch("2026-11-27T23:00:00") + 0.4, pm2_snapshot)
    assert ("firing", "pm2_crashes:worker") not in types(early)
    with open(log, "a") as handle:
        handle.write(crash_event("worker", 1, "2026-11-27T23:00:00"))
    later = run(conf, [], log_epoch("2026-11-27T23:00:01"), pm2_snapshot)
    assert types(later) == [("firing", "pm2_crashes:worker")]
    assert "crashed 2 times" in later["events"][0]["message"]
    assert types(run(conf, [], log_epoch("2026-11-27T23:00:02"), pm2_snapshot)) == [("resolved", "pm2_crashes:worker")]
    with open(conf["state_file"]) as handle:
        assert json.load(handle)["crash_counts"] == {"once": 1, "worker": 2}


def test_crash_loop_alert_replaces_the_crash_count_alert(conf, pm2_snapshot):
    loop = [finding("crash_loop", "critical", key="crash_loop:once")]
    result = run(conf, loop, log_epoch("2026-11-27T22:35:20"), pm2_snapshot)
    assert types(result) == [("firing", "crash_loop:once")]


def test_unreadable_pm2_log_is_reported_and_counted_later(conf, pm2_snapshot):
    log = os.path.join(pm2_snapshot["pm2"]["pm2_home"], "pm2.log")
    os.rename(log, log + ".away")
    os.mkdir(log)  # a directory cannot be read as a log
    blind = run(conf, [], log_epoch("2026-11-27T22:35:20"), pm2_snapshot)
    # (the read phase says why, as PM2's part of the snapshot: pm2_unavailable)
    assert types(blind) == []
    with open(conf["state_file"]) as handle:
        assert json.load(handle)["crash_until"] is None  # the boundary did not move
    os.rmdir(log)
    os.rename(log + ".away", log)
    assert types(run(conf, [], log_epoch("2026-11-27T22:35:30"), pm2_snapshot)) == [("firing", "pm2_crashes:once")]
