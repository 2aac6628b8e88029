"""Unit tests of plugins/module_utils/pm2.py against REAL output captured from PM2 7.0.4
(tests/fixtures/pm2/, see its README for how each file was produced)."""

from __future__ import annotations

import calendar
import json
import os
import socket
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import pm2
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

from readcount import count_reads

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "pm2")
COLLECTIONS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(pm2.__file__)))))))
CANARY = "twzrd-canary-fixture"  # the value of CANARY_SECRET in web's env in jlist-apps.txt


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def utc(stamp):
    """Epoch of a pm2.log fixture timestamp (the fixture was written on a UTC host)."""
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%S"))


@pytest.fixture
def tz(monkeypatch):
    """Set the local time zone for the test (pm2.log timestamps are local time)."""

    def set_tz(name):
        monkeypatch.setenv("TZ", name)
        time.tzset()

    set_tz("UTC")
    yield set_tz
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def apps():
    return pm2.parse_jlist(fixture("jlist-apps.txt"))[0]


# ---- parse_jlist -------------------------------------------------------------------------


def test_banner_before_json_is_ignored():
    text = fixture("jlist-spawn-banner.txt")
    assert "Spawning PM2 daemon" in text  # the real banner and spawn lines are there
    processes, warnings = pm2.parse_jlist(text)
    assert processes == []
    assert warnings == []


def test_empty_process_list():
    assert pm2.parse_jlist(fixture("jlist-empty.txt")) == ([], [])


def test_out_of_date_notice_becomes_a_warning_with_both_versions():
    processes, warnings = pm2.parse_jlist(fixture("jlist-outdated.txt"))
    assert [proc["name"] for proc in processes] == ["web"]
    assert len(warnings) == 1
    assert "out-of-date" in warnings[0]
    assert "5.4.3" in warnings[0] and "7.0.4" in warnings[0]
    assert "pm2 update" in warnings[0]
    assert "\x1b" not in warnings[0]


def test_notice_after_the_json_is_tolerated():
    # PM2 prints the out-of-date block from an asynchronous callback: it may follow the JSON.
    outdated = fixture("jlist-outdated.txt")
    block, json_text = outdated[: outdated.index("[{")], outdated[outdated.index("[{"):]
    processes, warnings = pm2.parse_jlist(json_text.rstrip("\n") + "\n" + block)
    assert [proc["name"] for proc in processes] == ["web"]
    assert len(warnings) == 1 and "out-of-date" in warnings[0]


def test_pm2_warn_line_becomes_a_warning():
    text = "\x1b[33m[PM2][WARN] \x1b[39mCurrent process list is not synchronized with saved list.\n" + fixture("jlist-empty.txt")
    processes, warnings = pm2.parse_jlist(text)
    assert processes == []
    assert warnings == ["PM2 said: Current process list is not synchronized with saved list."]


@pytest.mark.parametrize("text", ["", "garbage\n", "[PM2] Spawning PM2 daemon\n", '{"not": "a list"}', "[1, 2, 3]"])
def test_output_without_a_json_process_list_is_an_operator_error(text):
    with pytest.raises(OpsError) as error:
        pm2.parse_jlist(text)
    message = str(error.value)
    assert message.startswith("pm2 jlist printed no JSON process list")
    assert message.count(". ") == 0 and message.endswith(".")


# ---- normalize ---------------------------------------------------------------------------


def test_uptime_is_seconds_since_pm_uptime_when_online(apps):
    web = apps[0]
    started = web["pm2_env"]["pm_uptime"] / 1000.0
    proc = pm2.normalize(web, now=started + 125.7)
    assert proc["status"] == "online"
    assert proc["uptime"] == 125


@pytest.mark.parametrize("name,status", [("crashy", "errored"), ("idle", "stopped")])
def test_uptime_is_zero_when_not_online(apps, name, status):
    raw = [entry for entry in apps if entry["name"] == name][0]
    proc = pm2.normalize(raw, now=raw["pm2_env"]["pm_uptime"] / 1000.0 + 3600)
    assert proc["status"] == status
    assert proc["uptime"] == 0
    assert proc["pid"] == 0


def test_process_fields_from_real_jlist(apps):
    procs = dict((proc["pm_id"], proc) for proc in (pm2.normalize(raw, now=1795818760) for raw in apps))
    web, crashy = procs[0], procs[1]
    assert web["name"] == "web" and web["pid"] == 27270
    assert web["memory"] == 52494336 and web["cpu"] == 0.2
    assert web["max_memory_restart"] == 200 * 1024 * 1024
    assert web["exec_mode"] == "fork" and web["instances"] == 1
    assert web["out_log"].endswith("/logs/web-out.log") and web["error_log"].endswith("/logs/web-error.log")
    assert crashy["restarts"] == 15 and crashy["max_memory_restart"] is None


def test_cluster_mode_gives_one_entry_per_instance(apps):
    procs = [pm2.normalize(raw, now=1795818760) for raw in apps if raw["name"] == "cluster-worker"]
    assert [proc["pm_id"] for proc in procs] == [2, 3]
    assert all(proc["exec_mode"] == "cluster" and proc["instances"] == 2 for proc in procs)
    assert all(proc["status"] == "online" and proc["pid"] > 0 for proc in procs)


def test_secret_env_value_never_in_result(apps):
    assert CANARY in json.dumps(apps)  # the raw jlist does carry it
    procs = [pm2.normalize(raw, now=1795818760) for raw in apps]
    assert CANARY not in json.dumps(procs)
    assert "CANARY_SECRET" in procs[0]["env_names"]


def test_env_names_are_the_apps_variables_without_pm2_bookkeeping(apps):
    web = pm2.normalize(apps[0], now=1795818760)
    assert web["env_names"] == ["CANARY_SECRET", "HOME", "LANG", "PATH", "PM2_HOME", "PORT"]


def test_env_names_without_pm2_env_env_come_from_upper_case_keys(apps):
    # older PM2 versions had no pm2_env.env: the variables sit at the top of pm2_env
    raw = json.loads(json.dumps(apps[0]))
    del raw["pm2_env"]["env"]
    names = pm2.normalize(raw, now=1795818760)["env_names"]
    assert "CANARY_SECRET" in names and "PORT" in names
    assert "PM2_USAGE" not in names and "status" not in names
    assert CANARY not in json.dumps(pm2.normalize(raw, now=1795818760))


# ---- crash_events ------------------------------------------------------------------------

LOG = os.path.join(FIXTURES, "pm2.log")


def test_planned_restart_is_not_a_crash(tz):
    # 22:32:01 restart, :03 reload, :13 stop, :24 restart all, :53 restart, :54 stop of web
    events = pm2.crash_events(LOG, utc("2026-11-27T22:32:00"))
    web = [event for event in events if event["name"] == "web"]
    assert [(event["time"], event["signal"]) for event in web] == [(utc("2026-11-27T22:32:16"), "SIGKILL")]


def test_cluster_reload_of_old_instances_is_not_a_crash(tz):
    events = pm2.crash_events(LOG, utc("2026-11-27T22:32:04"), until=utc("2026-11-27T22:32:12"))
    assert events == []


def test_signal_kills_are_crashes(tz):
    events = pm2.crash_events(LOG, utc("2026-11-27T22:32:15"), until=utc("2026-11-27T22:32:20"))
    assert [(event["name"], event["pm_id"], event["code"], event["signal"]) for event in events] == [
        ("web", 0, 0, "SIGKILL"),
        ("cluster-worker", 2, 0, "SIGTERM"),
    ]


def test_crash_at_start_loop_is_counted_exit_by_exit(tz):
    events = pm2.crash_events(LOG, utc("2026-11-27T22:32:21"), until=utc("2026-11-27T22:32:22"))
    assert len(events) == 16
    assert all(event["name"] == "crashy" and event["code"] == 1 for event in events)


def test_all_crashes_of_the_fixture(tz):
    events = pm2.crash_events(LOG, 0)
    counts = {}
    for event in events:
        counts[event["name"]] = counts.get(event["name"], 0) + 1
    assert counts == {"crashy": 48, "web": 1, "cluster-worker": 1}


def test_idle_stop_during_start_up_is_not_a_crash(tz):
    assert [e for e in pm2.crash_events(LOG, 0) if e["name"] == "idle"] == []


def test_window_excludes_events_outside_since_and_until(tz):
    assert pm2.crash_events(LOG, utc("2026-11-27T22:32:27"), until=utc("2026-11-27T22:40:00")) == []
    assert pm2.crash_events(LOG, 0, until=utc("2026-11-27T22:31:00")) == []


def test_timestamps_are_read_in_local_time(tz):
    tz("Europe/Berlin")  # UTC+1 in November: the same wall-clock time is one hour earlier in UTC
    events = pm2.crash_events(LOG, utc("2026-11-27T21:32:15"), until=utc("2026-11-27T21:32:20"))
    assert [event["name"] for event in events] == ["web", "cluster-worker"]
    assert events[0]["time"] == utc("2026-11-27T21:32:16")


def _restamp(lines, start):
    """Real pm2.log lines given new timestamps, one second apart from start (epoch, UTC)."""
    out = []
    for offset, line in enumerate(lines):
        message = line.split(": ", 1)[1]
        out.append("%s: %s" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + offset)), message))
    return out


def _log_lines(*needles):
    lines = fixture("pm2.log").splitlines()
    return [[line for line in lines if needle in line][0] for needle in needles]


def test_stop_line_just_before_the_window_still_makes_the_exit_planned(tmp_path, tz):
    stop, exit_ = _log_lines("Stopping app:web id:0", "App [web:0] exited with code [0] via signal [SIGINT]")
    log = tmp_path / "pm2.log"
    log.write_text("\n".join(_restamp([stop, exit_], 1000000)) + "\n")
    assert pm2.crash_events(str(log), 1000001) == []
    log.write_text("\n".join(_restamp([exit_], 1000001)) + "\n")
    assert len(pm2.crash_events(str(log), 1000001)) == 1  # without the stop line it is a crash


def test_timestamp_with_utc_offset_is_honoured(tmp_path, tz):
    (exit_,) = _log_lines("App [web:0] exited with code [0] via signal [SIGKILL]")
    log = tmp_path / "pm2.log"
    log.write_text("2026-11-27T23:32:16.250+01:00: " + exit_.split(": ", 1)[1] + "\n")
    events = pm2.crash_events(str(log), 0)
    assert events[0]["time"] == utc("2026-11-27T22:32:16") + 0.25


def test_lines_without_timestamp_are_skipped(tmp_path, tz):
    (exit_,) = _log_lines("App [web:0] exited with code [0] via signal [SIGKILL]")
    log = tmp_path / "pm2.log"
    log.write_bytes(b"    at Object.<anonymous> (/x.js:1:1)\n\xff\xfe broken utf-8\n" + exit_.encode() + b"\n")
    assert len(pm2.crash_events(str(log), 0)) == 1


@pytest.mark.parametrize(
    "stamp",
    ["2026-13-45T99:99:99", "0000-00-00T00:00:00", "2026-02-30T25:61:61", "9999-12-31T23:59:60+99:99"],
)
def test_unparseable_timestamp_is_skipped_and_counted_not_fatal(tmp_path, tz, stamp):
    (exit_,) = _log_lines("App [web:0] exited with code [0] via signal [SIGKILL]")
    message = exit_.split(": ", 1)[1]
    log = tmp_path / "pm2.log"
    log.write_text("%s: %s\n%s\n%s: %s\n" % (stamp, message, exit_, stamp, message))
    stats = {}
    events = pm2.crash_events(str(log), 0, stats=stats)
    assert len(events) == 1 and events[0]["time"] == utc(exit_.split(": ", 1)[0])
    assert stats == {"unparsed": 2}
    assert len(pm2.crash_events(str(log), 0)) == 1  # stats are optional


def test_unparseable_timestamps_are_said_once_in_the_status(daemon, pm2_exe, tz):
    (exit_,) = _log_lines("App [web:0] exited with code [0] via signal [SIGKILL]")
    now = utc(exit_.split(": ", 1)[0]) + 10
    with open(os.path.join(daemon, "pm2.log"), "w") as handle:
        handle.write("2026-11-27T22:32:99: PM2 log: x\n2026-11-27T22:32:98: PM2 log: y\n" + exit_ + "\n")
    result = pm2.pm2_status(Replay(), pm2_path=pm2_exe, pm2_home=daemon, now=now)
    assert result["summary"]["crashes"]["web"] == 1
    said = [w for w in result["warnings"] if "does not parse" in w]
    assert said == ["2 lines of %s/pm2.log had a timestamp that does not parse and were skipped when counting crashes." % daemon]


@pytest.mark.parametrize(
    "raw",
    [
        {"name": ["x"], "pm_id": {"a": 1}, "pid": "NaN", "pm2_env": [1, 2], "monit": "busy"},
        {"name": "x", "pm2_env": {"status": {"deep": [[[]]]}, "pm_uptime": "soon", "restart_time": 1e400,
                                  "instances": None, "exec_mode": 7, "max_memory_restart": [], "env": "A=1"},
         "monit": {"memory": float("inf"), "cpu": float("nan")}},
        {"name": "x", "pm2_env": {"status": "online", "pm_uptime": 1e308, "restart_time": 10 ** 400,
                                  "pm_out_log_path": {"p": 1}}},
        {"name": "x", "pm_id": "\u00b2", "pm2_env": {"status": "online", "pm_uptime": -1e308}},
        "not a dict",
    ],
)
def test_wrong_field_types_and_huge_values_never_raise(raw):
    proc = pm2.normalize(raw, now=1795818760)
    assert isinstance(proc["name"], str) and isinstance(proc["status"], str)
    assert all(isinstance(proc[key], int) for key in ("pid", "restarts", "unstable_restarts", "uptime", "memory", "instances"))
    assert isinstance(proc["cpu"], float)
    json.dumps(proc, allow_nan=False)
    pm2.summarize([proc], [], ["x"], 300, 5)


def test_deeply_nested_jlist_is_garbage_not_a_traceback():
    deep = "[" * 100000 + "]" * 100000
    with pytest.raises(OpsError, match="printed no JSON process list"):
        pm2.parse_jlist(deep)
    nested = '[{"name": "web", "pm2_env": ' + "[" * 5000 + "]" * 5000 + "}]"
    with pytest.raises(OpsError):
        pm2.parse_jlist(nested)
    # 300 levels: every Python parses it, the readers' one limit (jsondoc.MAX_DEPTH) refuses it.
    with pytest.raises(OpsError):
        pm2.parse_jlist('[{"name": "web", "pm2_env": ' + "[" * 300 + "]" * 300 + "}]")


def test_missing_log_means_no_crashes(tmp_path):
    assert pm2.crash_events(str(tmp_path / "pm2.log"), 0) == []


def test_unreadable_log_is_an_operator_error(tmp_path):
    # a directory where the log should be: open() fails with an OSError, as for EACCES
    (tmp_path / "pm2.log").mkdir()
    with pytest.raises(OpsError) as error:
        pm2.crash_events(str(tmp_path / "pm2.log"), 0)
    assert "Cannot read PM2's log" in str(error.value) and "\n" not in str(error.value)


def test_big_log_is_bisected_not_read_from_the_start(tmp_path, tz, monkeypatch):
    # ~60 MB of real pm2.log lines (two a second, about five days), then an hour later one crash
    lines = fixture("pm2.log").splitlines()
    body = [line.split(": ", 1)[1] for line in lines]
    start = utc("2026-11-17T00:00:00")
    path = tmp_path / "pm2.log"
    written, count = 0, 0
    with open(path, "w") as handle:
        while written < 60 * 1024 * 1024:
            for message in body:
                written += handle.write("%s: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + count // 2)), message))
                count += 1
        last = start + count // 2
        handle.write("%s: PM2 log: App [late:7] exited with code [1] via signal [SIGINT]\n" % time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(last + 3600)))
    size = path.stat().st_size
    read = count_reads(monkeypatch)
    events = pm2.crash_events(str(path), last + 3600 - 300)
    assert [event["name"] for event in events] == ["late"]
    assert size > 50 * 1024 * 1024
    assert read["bytes"] < 2 * 1024 * 1024, "read %d of %d bytes" % (read["bytes"], size)


# ---- daemon_running ----------------------------------------------------------------------


def test_empty_pm2_home_has_no_daemon(tmp_path):
    assert pm2.daemon_running(str(tmp_path)) is False
    assert pm2.daemon_running(str(tmp_path / "absent")) is False


def test_stale_pid_file_is_no_daemon(tmp_path):
    proc = subprocess.Popen(["true"])
    proc.wait()
    (tmp_path / "pm2.pid").write_text(str(proc.pid))
    assert pm2.daemon_running(str(tmp_path)) is False


def test_pid_reused_by_another_program_is_no_daemon(tmp_path):
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "pm2.pid").write_text(str(sleeper.pid))
        assert pm2.daemon_running(str(tmp_path)) is False
    finally:
        sleeper.kill()
        sleeper.wait()


def test_listening_rpc_socket_is_a_daemon(tmp_path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "rpc.sock"))
    server.listen(1)
    try:
        assert pm2.daemon_running(str(tmp_path)) is True
    finally:
        server.close()


def test_stale_rpc_socket_file_is_no_daemon(tmp_path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "rpc.sock"))
    server.close()  # the file stays, as after `kill -9` of the daemon
    assert os.path.exists(str(tmp_path / "rpc.sock"))
    assert pm2.daemon_running(str(tmp_path)) is False


# ---- find_pm2 / default_pm2_home ---------------------------------------------------------


def _executable(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_explicit_missing_path_means_not_installed_without_search(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", os.path.dirname(_executable(tmp_path / "bin" / "pm2")))
    assert pm2.find_pm2(str(tmp_path / "nowhere" / "pm2")) is None


def test_explicit_path_is_used(tmp_path):
    path = _executable(tmp_path / "x" / "pm2")
    assert pm2.find_pm2(path) == path


def test_pm2_on_path_is_found(tmp_path, monkeypatch):
    path = _executable(tmp_path / "bin" / "pm2")
    monkeypatch.setenv("PATH", "/nonexistent:" + os.path.dirname(path))
    assert pm2.find_pm2() == path


def test_newest_nvm_install_is_found_in_the_users_home(tmp_path, monkeypatch):
    system = ["/usr/local/bin/pm2", "/usr/bin/pm2", "/usr/lib/node_modules/pm2/bin/pm2", "/usr/local/lib/node_modules/pm2/bin/pm2"]
    if any(os.path.exists(path) for path in system):
        pytest.skip("a system-wide pm2 is installed here and is found before nvm installs")
    monkeypatch.setenv("PATH", "")
    _executable(tmp_path / ".nvm/versions/node/v9.11.2/bin/pm2")
    newest = _executable(tmp_path / ".nvm/versions/node/v20.1.0/bin/pm2")
    assert pm2.find_pm2(homes=[str(tmp_path)]) == newest


def test_pm2_home_of_the_current_user_follows_the_environment(monkeypatch):
    monkeypatch.setenv("PM2_HOME", "/srv/pm2")
    assert pm2.default_pm2_home() == "/srv/pm2"
    monkeypatch.delenv("PM2_HOME")
    assert pm2.default_pm2_home() == os.path.join(os.path.expanduser("~"), ".pm2")


def test_pm2_home_of_another_user_is_in_their_home(monkeypatch):
    monkeypatch.setenv("PM2_HOME", "/srv/pm2")  # the task user's, not nobody's
    assert pm2.default_pm2_home("nobody") == "/nonexistent/.pm2"


def test_unknown_user_is_an_operator_error():
    with pytest.raises(OpsError, match="User no-such-user-x does not exist"):
        pm2.default_pm2_home("no-such-user-x")


# ---- pm2_status / pm2_action with recorded output -------------------------------------------


class Replay(object):
    """Stand-in for running pm2: replays the REAL captured `pm2 jlist` output and records argv.
    The daemon these tests see is a real listening rpc.sock (see the daemon fixture)."""

    def __init__(self, jlist="jlist-apps.txt", rc=0, stderr=""):
        self.jlist = fixture(jlist)
        self.rc = rc
        self.stderr = stderr
        self.calls = []

    def __call__(self, argv, env=None):
        self.calls.append((list(argv), dict(env or {})))
        if "jlist" in argv:
            return self.rc, self.jlist, self.stderr
        return 0, "", ""


@pytest.fixture
def daemon(pm2_daemon_home):
    return pm2_daemon_home


@pytest.fixture
def pm2_exe(tmp_path):
    return _executable(tmp_path / "bin" / "pm2")


def test_pm2_missing_and_nothing_expected_reports_not_installed(tmp_path):
    runner = Replay()
    result = pm2.pm2_status(runner, pm2_path=str(tmp_path / "no-pm2"), pm2_home=str(tmp_path))
    assert result["installed"] is False and result["pm2_path"] is None
    assert result["processes"] == [] and result["summary"]["total"] == 0
    assert runner.calls == []


def test_pm2_missing_with_apps_expected_is_an_operator_error(tmp_path):
    with pytest.raises(OpsError, match=r"PM2 is not installed .* but apps are expected: web, api\."):
        pm2.pm2_status(Replay(), pm2_path=str(tmp_path / "no-pm2"), pm2_home=str(tmp_path), expected=["web", "api"])


def test_dead_daemon_is_an_operator_error_and_pm2_is_never_run(tmp_path, pm2_exe):
    runner = Replay()
    (tmp_path / "home").mkdir()
    with pytest.raises(OpsError) as error:
        pm2.pm2_status(runner, pm2_path=pm2_exe, pm2_home=str(tmp_path / "home"), user=None)
    assert str(error.value).startswith("PM2 daemon is not running for PM2_HOME %s (user " % (tmp_path / "home"))
    assert "pm2 resurrect" in str(error.value)
    assert runner.calls == []  # running `pm2 jlist` would have spawned an empty daemon


def test_start_daemon_runs_jlist_even_without_a_daemon(tmp_path, pm2_exe):
    runner = Replay("jlist-spawn-banner.txt")
    result = pm2.pm2_status(runner, pm2_path=pm2_exe, pm2_home=str(tmp_path), start_daemon=True, crash_window=0)
    assert result["daemon_running"] is True and result["processes"] == []
    assert any("Started a PM2 daemon" in warning for warning in result["warnings"])


def test_summary_from_real_output(daemon, pm2_exe):
    result = pm2.pm2_status(Replay(), pm2_path=pm2_exe, pm2_home=daemon, expected=["web", "ghost"], now=1795818760)
    summary = result["summary"]
    assert (summary["total"], summary["online"]) == (5, 3)
    assert summary["not_online"] == ["crashy", "idle"]
    assert summary["missing"] == ["ghost"]
    assert summary["crashes"] == {"cluster-worker": 0, "crashy": 0, "idle": 0, "web": 0}  # no pm2.log in this home
    assert summary["crash_loop"] is False
    assert CANARY not in json.dumps(result)


def test_jlist_runs_without_silent_flag_against_the_given_home(daemon, pm2_exe):
    runner = Replay()
    pm2.pm2_status(runner, pm2_path=pm2_exe, pm2_home=daemon, crash_window=0)
    argv, env = runner.calls[0]
    assert argv == [pm2_exe, "jlist"]
    assert env == {"PM2_HOME": daemon}


def test_name_filter_limits_processes(daemon, pm2_exe):
    result = pm2.pm2_status(Replay(), pm2_path=pm2_exe, pm2_home=daemon, names=["cluster-worker"], crash_window=0)
    assert [proc["pm_id"] for proc in result["processes"]] == [2, 3]
    assert result["summary"]["total"] == 2 and result["summary"]["not_online"] == []


def test_crash_loop_needs_more_crashes_than_the_threshold(daemon, pm2_exe, tz):
    with open(LOG) as src, open(os.path.join(daemon, "pm2.log"), "w") as dst:
        dst.write(src.read())
    now = utc("2026-11-27T22:32:22")
    kwargs = dict(pm2_path=pm2_exe, pm2_home=daemon, crash_window=2, now=now)
    looping = pm2.pm2_status(Replay(), crash_threshold=15, **kwargs)["summary"]
    assert looping["crashes"]["crashy"] == 16
    assert looping["crash_loop"] is True and looping["crash_loop_apps"] == ["crashy"]
    calm = pm2.pm2_status(Replay(), crash_threshold=16, **kwargs)["summary"]
    assert calm["crash_loop"] is False and calm["crash_loop_apps"] == []


def test_out_of_date_warning_reaches_the_result(daemon, pm2_exe):
    result = pm2.pm2_status(Replay("jlist-outdated.txt"), pm2_path=pm2_exe, pm2_home=daemon, crash_window=0)
    assert len(result["warnings"]) == 1 and "out-of-date" in result["warnings"][0]


def test_garbage_output_with_exit_code_zero_is_an_operator_error(daemon, pm2_exe):
    runner = Replay()
    runner.jlist = "Segmentation fault\n"
    runner.stderr = "\x1b[31m[PM2][ERROR]\x1b[39m Daemon not launched\n"
    with pytest.raises(OpsError) as error:
        pm2.pm2_status(runner, pm2_path=pm2_exe, pm2_home=daemon)
    assert "printed no JSON process list (exit code 0, 19 bytes on stdout: [PM2][ERROR] Daemon not launched)" in str(error.value)


@pytest.mark.parametrize("field,value", [("crash_window", -1), ("crash_threshold", "5"), ("crash_threshold", True)])
def test_bad_thresholds_are_rejected(daemon, pm2_exe, field, value):
    with pytest.raises(OpsError, match="%s must be a number of at least 0" % field):
        pm2.pm2_status(Replay(), pm2_path=pm2_exe, pm2_home=daemon, **{field: value})


@pytest.mark.skipif(os.geteuid() != 0, reason="runuser needs root")
def test_another_users_pm2_runs_through_runuser(daemon, pm2_exe):
    runner = Replay()
    pm2.pm2_status(runner, pm2_path=pm2_exe, pm2_home=daemon, user="nobody", crash_window=0)
    argv = runner.calls[0][0]
    assert argv == ["runuser", "-u", "nobody", "--", "env", "PM2_HOME=%s" % daemon, "HOME=/nonexistent", pm2_exe, "jlist"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: runuser switches to the unprivileged user nobody")
def test_unreadable_pm2_home_is_an_operator_error():
    # Run the real code as nobody against a root-only PM2_HOME (no mock of permissions). The
    # code nobody runs is a copy of module_utils in a world-readable directory: the checkout
    # itself may sit under a home nobody cannot enter, which must not decide this test.
    base = tempfile.mkdtemp(prefix="twzrd-pm2-")
    os.chmod(base, 0o755)
    home = os.path.join(base, "root-only")
    os.mkdir(home, 0o700)
    collections = os.path.join(base, "collections")
    shutil.copytree(os.path.dirname(os.path.abspath(pm2.__file__)), os.path.join(collections, "ansible_collections", "twzrd", "ops", "plugins", "module_utils"))
    for root, dirs, files in os.walk(base):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    os.chmod(home, 0o700)
    script = (
        "import sys; sys.path.insert(0, %r)\n"
        "from ansible_collections.twzrd.ops.plugins.module_utils import pm2\n"
        "from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError\n"
        "try:\n    pm2.pm2_status(lambda argv, env=None: (0, '[]', ''), pm2_path='/bin/true', pm2_home=%r)\n"
        "except OpsError as e:\n    print(e)\n" % (collections, home)
    )
    try:
        # the system Python: a venv's interpreter may sit where nobody cannot enter (as the checkout)
        proc = subprocess.run(["runuser", "-u", "nobody", "--", "/usr/bin/python3", "-I", "-c", script], capture_output=True, text=True, check=False)
    finally:
        shutil.rmtree(base)
    expected = "PM2_HOME %s is not readable by user nobody, so PM2 cannot be checked; run the task as its owner or as root." % home
    assert proc.stdout.strip() == expected, proc.stderr


def test_unknown_app_is_refused_before_anything_is_done(daemon, pm2_exe):
    runner = Replay()
    with pytest.raises(OpsError) as error:
        pm2.pm2_action(runner, "stopped", ["web", "ghost"], pm2_path=pm2_exe, pm2_home=daemon)
    assert "No PM2 app named ghost" in str(error.value) and "nothing was done" in str(error.value)
    assert [argv[-1] for argv, env in runner.calls] == ["jlist"]


def test_stop_acts_only_on_processes_not_stopped(daemon, pm2_exe):
    runner = Replay()
    result = pm2.pm2_action(runner, "stopped", ["idle", "crashy"], pm2_path=pm2_exe, pm2_home=daemon)
    assert result["changed"] is True
    assert result["actions"] == [{"action": "stop", "names": ["crashy"], "pm_ids": [1]}]
    assert [argv[1:] for argv, env in runner.calls] == [["jlist"], ["stop", "1"], ["jlist"]]


def test_stopping_a_stopped_app_changes_nothing(daemon, pm2_exe):
    runner = Replay()
    result = pm2.pm2_action(runner, "stopped", ["idle"], pm2_path=pm2_exe, pm2_home=daemon)
    assert result["changed"] is False and result["actions"] == []
    assert len(runner.calls) == 1


def test_start_all_acts_on_processes_not_online(daemon, pm2_exe):
    runner = Replay()
    result = pm2.pm2_action(runner, "started", ["all"], pm2_path=pm2_exe, pm2_home=daemon)
    assert result["actions"] == [{"action": "start", "names": ["crashy", "idle"], "pm_ids": [1, 4]}]


def test_check_mode_runs_only_the_read(daemon, pm2_exe):
    runner = Replay()
    result = pm2.pm2_action(runner, "restarted", ["all"], pm2_path=pm2_exe, pm2_home=daemon, check_mode=True)
    assert result["changed"] is True and result["actions"][0]["pm_ids"] == [0, 1, 2, 3, 4]
    assert [argv[1:] for argv, env in runner.calls] == [["jlist"]]


def test_pm2_error_with_exit_code_zero_fails_the_action(daemon, pm2_exe):
    class Failing(Replay):
        def __call__(self, argv, env=None):
            if "restart" in argv:
                return 0, "\x1b[31m[PM2][ERROR] \x1b[39mProcess or Namespace 0 not found\n", ""
            return Replay.__call__(self, argv, env)

    with pytest.raises(OpsError, match=r"^pm2 restart of web failed: Process or Namespace 0 not found\.$"):
        pm2.pm2_action(Failing(), "restarted", ["web"], pm2_path=pm2_exe, pm2_home=daemon)


@pytest.mark.parametrize("names,message", [([], "Name at least one"), (["all", "web"], "either all or specific")])
def test_bad_names_are_refused(daemon, pm2_exe, names, message):
    with pytest.raises(OpsError, match=message):
        pm2.pm2_action(Replay(), "restarted", names, pm2_path=pm2_exe, pm2_home=daemon)


def test_module_utils_import_no_ansible():
    code = "import sys; sys.path.insert(0, %r); import ansible_collections.twzrd.ops.plugins.module_utils.pm2; "
    code += "print('ansible' in sys.modules)"
    collections = COLLECTIONS
    out = subprocess.run([sys.executable, "-c", code % collections], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_reload_runs_once_per_app_because_pm2_reload_takes_one_argument(daemon, pm2_exe):
    runner = Replay()
    pm2.pm2_action(runner, "reloaded", ["all"], pm2_path=pm2_exe, pm2_home=daemon)
    assert [argv[1:] for argv, env in runner.calls][1:-1] == [["reload", "cluster-worker"], ["reload", "crashy"], ["reload", "idle"], ["reload", "web"]]


def test_restart_runs_once_with_every_id(daemon, pm2_exe):
    runner = Replay()
    pm2.pm2_action(runner, "restarted", ["web", "cluster-worker"], pm2_path=pm2_exe, pm2_home=daemon)
    assert [argv[1:] for argv, env in runner.calls][1:-1] == [["restart", "0", "2", "3"]]


def test_the_pm2_users_own_install_is_preferred_to_the_one_on_path(tmp_path, monkeypatch):
    on_path = _executable(tmp_path / "bin" / "pm2")
    monkeypatch.setenv("PATH", os.path.dirname(on_path))
    users = _executable(tmp_path / "home" / ".npm-global" / "bin" / "pm2")
    assert pm2.find_pm2(homes=[str(tmp_path / "home")]) == users
    assert pm2.find_pm2() == on_path


def test_wait_lists_apps_still_not_online_when_time_is_up(daemon, pm2_exe):
    clock = {"now": 0.0}

    def sleep(seconds):
        clock["now"] += seconds

    runner = Replay()  # crashy stays errored in every read
    result = pm2.pm2_action(
        runner, "started", ["crashy"], pm2_path=pm2_exe, pm2_home=daemon, wait_online=5, sleep=sleep, clock=lambda: clock["now"]
    )
    assert result["changed"] is True and result["not_online"] == ["crashy"]
    assert clock["now"] == 5.0
    assert [argv[1:] for argv, env in runner.calls].count(["jlist"]) == 12  # before, after, then every half second


def test_wait_ends_at_once_when_everything_is_online(daemon, pm2_exe):
    runner = Replay()
    result = pm2.pm2_action(runner, "restarted", ["web"], pm2_path=pm2_exe, pm2_home=daemon, wait_online=30, sleep=pytest.fail)
    assert result["not_online"] == []


@pytest.mark.parametrize("field", ["crash_window", "crash_threshold"])
def test_non_finite_crash_settings_are_refused(daemon, pm2_exe, field):
    with pytest.raises(OpsError, match="%s must be a finite number" % field):
        pm2.pm2_status(Replay(), pm2_path=pm2_exe, pm2_home=daemon, **{field: float("nan")})
