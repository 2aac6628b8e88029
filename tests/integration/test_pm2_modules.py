"""pm2_status and pm2_process through Ansible against a REAL PM2 (from npm, private PM2_HOME)
running the real demo apps of tests/apps/. The one stand-in is the fake pm2 that prints
garbage: real pm2 cannot be made to print non-JSON for `jlist`."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import pm2 as pm2_utils

from conftest import CANARY
from servers import closed_port
from servers import eventually
from servers import health_json as health

APPS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apps")
SYSTEM_PM2 = ["/usr/local/bin/pm2", "/usr/bin/pm2", "/usr/lib/node_modules/pm2/bin/pm2", "/usr/local/lib/node_modules/pm2/bin/pm2"]


def status_of(jlist_result, name):
    return sorted(proc["status"] for key, proc in jlist_result.items() if key[0] == name)


# ---- pm2_status --------------------------------------------------------------------------


def test_healthy_app_is_reported_online(run_module, pm2_home, web, pm2_bin):
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "expected": ["web"]})
    assert result["_rc"] == 0 and not result.get("failed"), result.get("msg")
    assert result["installed"] is True and result["daemon_running"] is True and result["changed"] is False
    (proc,) = result["processes"]
    assert proc["name"] == "web" and proc["status"] == "online" and proc["exec_mode"] == "fork"
    assert proc["pid"] == health(web)["pid"]
    assert proc["memory"] > 1024 * 1024 and proc["uptime"] >= 0 and proc["max_memory_restart"] is None
    assert proc["out_log"] == os.path.join(pm2_home, "logs", "web-out.log")
    summary = result["summary"]
    assert (summary["total"], summary["online"], summary["not_online"], summary["missing"]) == (1, 1, [], [])
    assert summary["crashes"] == {"web": 0} and summary["crash_loop"] is False


def test_status_reads_in_check_mode(run_module, pm2_home, web, pm2_bin):
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin}, check=True)
    assert result["_rc"] == 0 and result["changed"] is False
    assert [(proc["name"], proc["status"]) for proc in result["processes"]] == [("web", "online")]


def test_crash_at_start_app_is_a_crash_loop(run_module, pm2_home, start_app, jlist, pm2_bin):
    start_app("crashy", "crash.js")
    eventually(lambda: status_of(jlist(), "crashy") == ["errored"], what="PM2 giving up on crashy")
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin})
    summary = result["summary"]
    assert summary["crashes"]["crashy"] > 5
    assert summary["crash_loop"] is True and summary["crash_loop_apps"] == ["crashy"]
    assert summary["not_online"] == ["crashy"] and summary["online"] == 0


def test_pm2_restart_reload_stop_are_not_crashes_but_a_kill_is(run_module, pm2_home, web, pm2, jlist, pm2_bin):
    pm2("restart", "web")
    pm2("reload", "web")
    pm2("stop", "web")
    pm2("start", "web")
    eventually(lambda: health(web), what="web back after start")
    args = {"pm2_home": pm2_home, "executable": pm2_bin}
    assert run_module("twzrd.ops.pm2_status", args)["summary"]["crashes"] == {"web": 0}
    pid = jlist()[("web", 0)]["pid"]
    os.kill(pid, 9)
    eventually(lambda: jlist()[("web", 0)]["pid"] not in (0, pid) and health(web), what="PM2 restarting web after kill -9")
    after = run_module("twzrd.ops.pm2_status", args)["summary"]
    assert after["crashes"] == {"web": 1} and after["crash_loop"] is False


def test_canary_secret_appears_nowhere_in_module_output(run_module, pm2_home, web, pm2_bin):
    assert CANARY in subprocess.run(["cat", "/proc/%d/environ" % health(web)["pid"]], capture_output=True, text=True, check=True).stdout
    status = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin})
    assert "CANARY_SECRET" in status["processes"][0]["env_names"]
    action = run_module("twzrd.ops.pm2_process", {"pm2_home": pm2_home, "executable": pm2_bin, "name": "web", "state": "restarted", "wait": 15})
    for result in (status, action):
        assert result["_rc"] == 0
        assert CANARY not in result["_stdout"] and CANARY not in result["_stderr"]


def test_expected_app_missing_is_listed_without_failing(run_module, pm2_home, web, pm2_bin):
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "expected": ["web", "milo-api"]})
    assert not result.get("failed")
    assert result["summary"]["missing"] == ["milo-api"]


def test_name_filter(run_module, pm2_home, web, start_app, pm2_bin):
    start_app("worker", "worker.js")
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "name": ["worker"]})
    assert [proc["name"] for proc in result["processes"]] == ["worker"]


def _daemons_for(home):
    """pids of PM2 daemons serving home (found by their environment: the process title is
    truncated for long paths)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as handle:
                    if b"God Daemon" not in handle.read():
                        continue
                with open("/proc/%s/environ" % pid, "rb") as handle:
                    if ("PM2_HOME=%s" % home).encode() in handle.read().split(b"\0"):
                        found.append(int(pid))
            except OSError:
                pass
    return found


def _kill_and_wait(pm2, home):
    """`pm2 kill` returns while the old daemon may still be exiting: wait (bounded) for it to
    be gone, so that a daemon found afterwards can only have been started by the module."""
    pm2("kill")
    eventually(lambda: not _daemons_for(home), limit=15.0, what="the PM2 daemon gone after `pm2 kill`")


def test_dead_daemon_gives_the_clear_message_and_starts_nothing(run_module, pm2_home, web, pm2, pm2_bin):
    _kill_and_wait(pm2, pm2_home)
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "expected": ["web"]})
    assert result["failed"] is True
    assert result["msg"] == (
        "PM2 daemon is not running for PM2_HOME %s (user %s): no live pm2.pid or rpc.sock; "
        "start it with `pm2 resurrect` as that user." % (pm2_home, pwd.getpwuid(os.geteuid()).pw_name)
    )
    assert "Traceback" not in result["_stdout"] + result["_stderr"]
    assert _daemons_for(pm2_home) == [] and not pm2_utils.daemon_running(pm2_home)


def test_a_never_used_pm2_home_stays_untouched(run_module, pm2_home, pm2_bin):
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin})
    assert result["failed"] is True and "PM2 daemon is not running" in result["msg"]
    assert os.listdir(pm2_home) == []


def test_start_daemon_starts_one_and_says_changed(run_module, pm2_home, pm2_bin):
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "start_daemon": True})
    assert result["changed"] is True and result["daemon_started"] is True
    assert result["processes"] == [] and _daemons_for(pm2_home)
    again = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "start_daemon": True})
    assert again["changed"] is False


def test_pm2_missing_reports_not_installed(run_module, tmp_path):
    result = run_module("twzrd.ops.pm2_status", {"executable": str(tmp_path / "no" / "pm2"), "pm2_home": str(tmp_path)})
    assert not result.get("failed") and result["_rc"] == 0
    assert result["installed"] is False and result["pm2_path"] is None and result["processes"] == []


def test_pm2_not_on_path_reports_not_installed(run_module, tmp_path):
    # A PATH with the system's tools (Ansible's local connection needs a shell) but no pm2,
    # and a HOME with no ~/.npm-global or nvm install.
    if any(os.path.exists(path) for path in SYSTEM_PM2):
        pytest.skip("this host has a system-wide pm2, which the search finds whatever PATH says")
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": str(tmp_path)}, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path)})
    assert not result.get("failed"), result.get("msg")
    assert result["installed"] is False


def test_pm2_missing_with_expected_apps_fails(run_module, tmp_path):
    result = run_module("twzrd.ops.pm2_status", {"executable": str(tmp_path / "pm2"), "pm2_home": str(tmp_path), "expected": ["web"]})
    assert result["failed"] is True
    assert result["msg"] == "PM2 is not installed (no pm2 at %s) but apps are expected: web." % (tmp_path / "pm2")


def test_non_json_output_fails_with_a_sentence(run_module, pm2_home, pm2, tmp_path):
    # Stand-in needed: real pm2 cannot be made to print garbage for `jlist`. The daemon it is
    # "asked" about is real.
    pm2("ping")
    fake = tmp_path / "pm2"
    fake.write_text("#!/bin/sh\necho 'Lorem ipsum, not JSON'\necho 'Error: something broke' >&2\nexit 0\n")
    fake.chmod(0o755)
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": str(fake)})
    assert result["failed"] is True
    assert result["msg"] == (
        "pm2 jlist printed no JSON process list (exit code 0, 22 bytes on stdout: Error: something broke), so PM2's state is unknown."
    )
    assert "Traceback" not in result["_stdout"] + result["_stderr"]


@pytest.mark.parametrize("args,message", [({"crash_window": -5}, "crash_window must be"), ({"crash_threshold": "many"}, "crash_threshold")])
def test_bad_options_fail_with_a_sentence(run_module, pm2_home, web, pm2_bin, args, message):
    result = run_module("twzrd.ops.pm2_status", dict(args, pm2_home=pm2_home, executable=pm2_bin))
    assert result["failed"] is True and message in result["msg"]
    assert "Traceback" not in result["_stdout"] + result["_stderr"]


# ---- pm2_process -------------------------------------------------------------------------


def _process(run_module, pm2_home, pm2_bin, check=False, **args):
    return run_module("twzrd.ops.pm2_process", dict(args, pm2_home=pm2_home, executable=pm2_bin), check=check)


def test_restart_reports_change_and_the_state_after(run_module, pm2_home, web, pm2_bin, jlist):
    pid = health(web)["pid"]
    result = _process(run_module, pm2_home, pm2_bin, name="web", state="restarted", wait=15)
    assert result["changed"] is True and not result.get("failed"), result.get("msg")
    (proc,) = result["processes"]
    assert proc["status"] == "online" and proc["restarts"] == 1 and proc["pid"] != pid
    assert eventually(lambda: health(web))["pid"] == proc["pid"]
    assert result["actions"] == [{"action": "restart", "names": ["web"], "pm_ids": [0]}]
    again = _process(run_module, pm2_home, pm2_bin, name="web", state="restarted", wait=15)
    assert again["changed"] is True and again["processes"][0]["restarts"] == 2
    status = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin})
    assert status["summary"]["crashes"] == {"web": 0}


def test_reload_all(run_module, pm2_home, web, start_app, pm2_bin, jlist):
    start_app("cluster", "worker.js", "-i", "2")
    eventually(lambda: status_of(jlist(), "cluster") == ["online", "online"], what="cluster online")
    before = dict((key, proc["pid"]) for key, proc in jlist().items())
    result = _process(run_module, pm2_home, pm2_bin, name="all", state="reloaded", wait=20)
    assert result["changed"] is True and not result.get("failed"), result.get("msg")
    assert result["actions"] == [{"action": "reload", "names": ["cluster", "web"], "pm_ids": [0, 1, 2]}]
    after = dict(((proc["name"], proc["pm_id"]), proc) for proc in result["processes"])
    assert sorted(after) == sorted(before)
    for key, pid in before.items():  # every process was replaced and is online again
        assert after[key]["status"] == "online" and after[key]["pid"] not in (0, pid), (key, before, after)


def test_stop_then_start_are_idempotent(run_module, pm2_home, web, pm2_bin, jlist):
    stop = _process(run_module, pm2_home, pm2_bin, name="web", state="stopped")
    assert stop["changed"] is True and stop["processes"][0]["status"] == "stopped"
    assert status_of(jlist(), "web") == ["stopped"] and health(web) is None
    assert _process(run_module, pm2_home, pm2_bin, name="web", state="stopped")["changed"] is False
    start = _process(run_module, pm2_home, pm2_bin, name="web", state="started", wait=15)
    assert start["changed"] is True and start["processes"][0]["status"] == "online"
    assert eventually(lambda: health(web), what="web answering after start")
    assert _process(run_module, pm2_home, pm2_bin, name="web", state="started")["changed"] is False


def test_check_mode_changes_nothing(run_module, pm2_home, web, pm2_bin, jlist):
    before = jlist()[("web", 0)]
    stop = _process(run_module, pm2_home, pm2_bin, check=True, name="web", state="stopped")
    assert stop["changed"] is True and stop["actions"][0]["action"] == "stop"
    restart = _process(run_module, pm2_home, pm2_bin, check=True, name="all", state="restarted")
    assert restart["changed"] is True
    after = jlist()[("web", 0)]
    assert (after["status"], after["pid"], after["restarts"]) == ("online", before["pid"], before["restarts"])
    assert health(web)["pid"] == before["pid"]


def test_unknown_name_fails_before_anything_is_done(run_module, pm2_home, web, pm2_bin, jlist):
    result = _process(run_module, pm2_home, pm2_bin, name=["web", "ghost"], state="stopped")
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == "No PM2 app named ghost in PM2_HOME %s (known: web); nothing was done." % pm2_home
    assert status_of(jlist(), "web") == ["online"]  # `pm2 stop web ghost` would have stopped web


def test_actions_keep_the_apps_environment(run_module, pm2_home, web, pm2_bin, jlist):
    before = jlist()[("web", 0)]["env_names"]
    _process(run_module, pm2_home, pm2_bin, name="web", state="stopped")
    _process(run_module, pm2_home, pm2_bin, name="web", state="started", wait=15)
    _process(run_module, pm2_home, pm2_bin, name="web", state="restarted", wait=15)
    after = jlist()[("web", 0)]["env_names"]
    assert after == before
    assert not [name for name in after if name.startswith("ANSIBLE_")]


def test_app_that_does_not_come_up_fails_the_task(run_module, pm2_home, start_app, jlist, pm2_bin):
    start_app("crashy", "crash.js")
    eventually(lambda: status_of(jlist(), "crashy") == ["errored"], what="PM2 giving up on crashy")
    result = _process(run_module, pm2_home, pm2_bin, name="crashy", state="restarted", wait=3)
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == "Not online 3 seconds after pm2 restart: crashy."
    assert result["not_online"] == ["crashy"]


def test_dead_daemon_is_not_started_by_an_action(run_module, pm2_home, web, pm2, pm2_bin):
    _kill_and_wait(pm2, pm2_home)
    result = _process(run_module, pm2_home, pm2_bin, name="all", state="started")
    assert result["failed"] is True and "PM2 daemon is not running" in result["msg"]
    assert _daemons_for(pm2_home) == []


# ---- another user's PM2 ------------------------------------------------------------------


@pytest.fixture
def nobody_pm2(pm2_bin):
    """A real PM2 daemon owned by the unprivileged user nobody, running the healthy app."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run PM2 as another user")
    base = tempfile.mkdtemp(prefix="twzrd-pm2-nobody-")
    os.chmod(base, 0o755)
    home = os.path.join(base, "pm2")
    os.mkdir(home)
    nobody = pwd.getpwnam("nobody")
    os.chown(home, nobody.pw_uid, nobody.pw_gid)

    def as_nobody(*args, **env):
        argv = ["runuser", "-u", "nobody", "--", "env", "PM2_HOME=%s" % home, "HOME=%s" % home]
        argv += ["%s=%s" % item for item in env.items()] + [pm2_bin] + list(args)
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd="/", check=False)

    port = closed_port()
    started = as_nobody("start", os.path.join(APPS, "healthy.js"), "--name", "web", "-s", PORT=str(port))
    if started.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip("nobody cannot run pm2 from this checkout: %s" % started.stderr[-200:])
    eventually(lambda: health(port), what="nobody's web answering")
    yield home, port, nobody.pw_uid
    as_nobody("kill")
    shutil.rmtree(base, ignore_errors=True)


def test_root_reads_and_restarts_another_users_pm2_without_leaving_root_files(run_module, nobody_pm2, pm2_bin):
    home, port, uid = nobody_pm2
    status = run_module("twzrd.ops.pm2_status", {"user": "nobody", "pm2_home": home, "executable": pm2_bin})
    assert not status.get("failed"), status.get("msg")
    assert [(proc["name"], proc["status"]) for proc in status["processes"]] == [("web", "online")]
    action = run_module("twzrd.ops.pm2_process", {"user": "nobody", "pm2_home": home, "executable": pm2_bin, "name": "web", "state": "restarted", "wait": 15})
    assert action["changed"] is True and not action.get("failed"), action.get("msg")
    assert action["processes"][0]["restarts"] == 1
    assert eventually(lambda: health(port))["pid"] == action["processes"][0]["pid"]
    owners = set()
    for root, dirs, files in os.walk(home):
        for entry in dirs + files:
            owners.add(os.lstat(os.path.join(root, entry)).st_uid)
    assert owners == {uid}
