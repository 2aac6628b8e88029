"""Fault: a pm2 that hangs. Every pm2 call from the modules and the on-host command has a
total deadline, and at the deadline the whole process group is killed: no child is left.

The broken tool is a real script named pm2 that starts a child (sleep) and waits forever;
the daemon it would talk to is a real listening rpc.sock, so the modules get as far as
running `pm2 jlist`.
"""

from __future__ import annotations

import re
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import pm2
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, subprocess_runner


def _alive(pid):
    """True while pid runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pid, seconds=5):
    limit = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < limit:
        time.sleep(0.05)
    return not _alive(pid)


@pytest.fixture
def hanging_pm2(tmp_path):
    """(path of a pm2 that hangs with a child, file where the child's pid lands)."""
    pidfile = tmp_path / "child.pid"
    script = tmp_path / "bin" / "pm2"
    script.parent.mkdir()
    script.write_text('#!/bin/sh\nsleep 300 &\necho $! > "%s"\nwait\n' % pidfile)
    script.chmod(0o755)
    return str(script), pidfile


@pytest.fixture
def daemon_home(pm2_daemon_home):
    return pm2_daemon_home


def _child(pidfile):
    limit = time.monotonic() + 5
    while not (pidfile.exists() and pidfile.read_text().strip()) and time.monotonic() < limit:
        time.sleep(0.05)
    return int(pidfile.read_text())


def test_runner_kills_the_whole_process_group_at_its_timeout(hanging_pm2):
    path, pidfile = hanging_pm2
    started = time.monotonic()
    with pytest.raises(OpsError, match=r"did not finish within 1 seconds and was stopped\."):
        subprocess_runner(timeout=1)([path, "jlist"])
    assert time.monotonic() - started < 3
    assert _wait_gone(_child(pidfile)), "the hanging pm2's child outlived the deadline"


def test_runner_total_deadline_covers_all_its_commands():
    run = subprocess_runner(timeout=10, total=1.5)
    run(["sleep", "1"])
    started = time.monotonic()
    with pytest.raises(OpsError, match=r"did not finish within 0\.\d seconds"):
        run(["sleep", "5"])
    assert time.monotonic() - started < 1.5
    with pytest.raises(OpsError, match=r"was not run: this run's time limit of 1.5 seconds is used up\."):
        run(["true"])


def test_pm2_status_with_a_hanging_pm2_ends_with_one_sentence(hanging_pm2, daemon_home):
    path, pidfile = hanging_pm2
    with pytest.raises(OpsError, match="did not finish within 1 seconds"):
        pm2.pm2_status(subprocess_runner(timeout=1), pm2_path=path, pm2_home=daemon_home)
    assert _wait_gone(_child(pidfile))


@pytest.mark.parametrize(
    "module, args",
    [
        ("twzrd.ops.pm2_status", {}),
        ("twzrd.ops.pm2_process", {"name": ["web"], "state": "restarted"}),
    ],
)
def test_pm2_modules_stop_a_hanging_pm2_at_their_timeout(run_module, hanging_pm2, daemon_home, module, args):
    path, pidfile = hanging_pm2
    started = time.monotonic()
    result = run_module(module, dict(args, executable=path, pm2_home=daemon_home, timeout=2))
    assert time.monotonic() - started < 20  # ansible's own start-up included
    assert result.get("failed") is True
    assert "did not finish within 2 seconds and was stopped" in result["msg"]
    assert "Traceback" not in result["_stdout"]
    assert _wait_gone(_child(pidfile))


def test_alert_check_reports_a_hanging_pm2_as_a_finding(run_module, hanging_pm2, daemon_home, tmp_path):
    path, pidfile = hanging_pm2
    checks = {"pm2_path": path, "pm2_home": daemon_home, "health_url": "", "expected_apps": ["web"]}
    result = run_module(
        "twzrd.ops.alert_check",
        {"config_file": str(tmp_path / "none.json"), "checks": checks,
         "alerts": {"state_file": str(tmp_path / "state.json")}, "timeout": 2},
    )
    assert result["_rc"] == 0, result.get("msg")
    unavailable = [f for f in result["findings"] if f["rule"] == "pm2_unavailable"]
    assert unavailable and re.search(r"did not finish within [12](\.\d)? seconds", unavailable[0]["message"])
    assert _wait_gone(_child(pidfile))


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_module_timeout_must_be_a_finite_positive_number(run_module, value):
    result = run_module("twzrd.ops.pm2_status", {"timeout": value})
    assert result.get("failed") is True
    assert result["msg"].startswith("Option timeout must be ")


def test_on_host_command_bounds_pm2_and_leaves_no_child(hanging_pm2, daemon_home, tmp_path, monkeypatch):
    import io
    import json

    from ansible_collections.twzrd.ops.plugins.module_utils import cli

    path, pidfile = hanging_pm2
    monkeypatch.setattr(cli, "RUNNER_TIMEOUT", 1)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "checks": {"pm2_path": path, "pm2_home": daemon_home, "health_url": "", "expected_apps": ["web"],
                   "disk_paths": [str(tmp_path)]},
        "alerts": {"state_file": str(tmp_path / "state.json"), "log_file": str(tmp_path / "alerts.log")},
    }))
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = cli.main(["--config", str(config), "alerts"], out=out, err=err)
    assert time.monotonic() - started < 5
    assert code == 2  # pm2_unavailable with an expected app is critical; the run itself worked
    assert "FIRING critical pm2_unavailable: " in out.getvalue() and "did not finish within 1 seconds" in out.getvalue()
    assert _wait_gone(_child(pidfile))
