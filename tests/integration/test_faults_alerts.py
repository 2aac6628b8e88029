"""Faults of the hourly alert job: it never goes quiet when it breaks.

Real parts: the on-host command's main(), the real PM2 from npm (a daemon in a private
PM2_HOME, no apps), a real webhook receiver on 127.0.0.1, a real full filesystem (a 64 KiB
tmpfs) and a real immutable directory (chattr +i). The only planted fault is the bug (a
check raising ValueError), which real parts cannot produce. The tmpfs and chattr tests need
root: run as another user, they mount and chattr through passwordless sudo (conftest's
`as_root`) and skip, naming why, without it (docs/FAULTS.md marks their rows).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts, checks

from servers import HealthServers


T0 = 1795737600.0  # 2026-11-27T00:00:00Z
HOUR = 3600.0
SWAP = [{"rule": "swap", "key": "swap", "level": "critical", "message": "Swap use is 55.0% (critical at 50%).", "value": 55.0}]
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
HOST = socket.gethostname()


@pytest.fixture
def alert_conf(tmp_path, alert_settings, secret_file, webhook_receiver):
    (tmp_path / "state").mkdir()
    (tmp_path / "textfile").mkdir()
    return dict(alert_settings, webhook_url_file=secret_file("webhook.url", webhook_receiver.url), webhook_retries=0,
                textfile_path=str(tmp_path / "textfile" / "twzrd_ops.prom"))


@pytest.fixture
def real_pm2(pm2_bin, pm2_home, pm2):
    """The real PM2 from npm with a daemon of its own (a private PM2_HOME, no apps), killed
    after the test by the pm2_home fixture."""
    pm2("ping")  # spawns the daemon, which then writes its own pm2.log
    return pm2_bin, pm2_home


def config_file(tmp_path, real_pm2, alert_conf):
    pm2_path, pm2_home = real_pm2
    data = {
        "checks": {"pm2_path": pm2_path, "pm2_home": pm2_home, "health_url": "", "disk_paths": [str(tmp_path)],
                   "swap_warning": 99, "swap_critical": 100, "load_mode": "absolute", "load_warning": 10000,
                   "load_critical": 20000, "disk_warning": 100, "disk_critical": 100},
        "alerts": alert_conf,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


def log_lines(conf):
    with open(conf["log_file"]) as handle:
        return handle.read().splitlines()


def textfile(conf):
    with open(conf["textfile_path"]) as handle:
        return handle.read()


# --------------------------------------------------------------- no input breaks a check


def test_unparseable_pm2_log_timestamp_does_not_break_the_alert_run(tmp_path, real_pm2, alert_conf, twzrd_ops):
    assert os.path.getsize(os.path.join(real_pm2[1], "pm2.log")) > 0  # the daemon's own lines
    with open(os.path.join(real_pm2[1], "pm2.log"), "a") as handle:
        handle.write("2026-13-45T99:99:99: PM2 log: App [web:0] exited with code [1] via signal [SIGKILL]\n")
    code, out, err = twzrd_ops("--config", config_file(tmp_path, real_pm2, alert_conf), "alerts")
    assert code == 0, (out, err)
    assert err == ""
    assert log_lines(alert_conf)[-1].endswith(" RUN ok run: no active alerts")
    assert "twzrd_ops_last_run_success 1" in textfile(alert_conf)


# --------------------------------------------------------------- unknown is loud


def test_a_bug_is_delivered_like_a_finding_then_resolved(tmp_path, real_pm2, alert_conf, webhook_receiver, monkeypatch, twzrd_ops):
    path = config_file(tmp_path, real_pm2, alert_conf)

    def broken_evaluate(*_args, **_kwargs):
        raise ValueError("time data '2026-13-45' does not match format")

    monkeypatch.setattr(checks, "evaluate", broken_evaluate)
    code, out, err = twzrd_ops("--config", path, "alerts")
    reason = "internal error: ValueError: time data '2026-13-45' does not match format"
    assert code == 3
    assert err == ""  # everything reached the alert log, in its own format
    lines = log_lines(alert_conf)
    assert out.splitlines() == lines
    assert lines[0].endswith(" FIRING critical checks_failed: checks failed on %s: %s" % (HOST, reason))
    assert lines[1].endswith(" RUN unknown run: the checks failed: %s" % reason)
    assert webhook_receiver.lines == ["%s FIRING critical checks_failed: checks failed on %s: %s" % (HOST, HOST, reason)]
    prom = textfile(alert_conf)
    assert "twzrd_ops_last_run_success 0" in prom
    assert 'twzrd_ops_last_run_failure_info{reason="%s"} 1' % reason.replace('"', '\\"') in prom

    assert twzrd_ops("--config", path, "alerts")[0] == 3
    assert len(webhook_receiver.lines) == 1, "the same failure must not be sent again within repeat_hours"

    monkeypatch.undo()
    monkeypatch.setattr(alerts, "RETRY_DELAY", 0)
    code, _out, _err = twzrd_ops("--config", path, "alerts")
    assert code == 0
    assert webhook_receiver.lines[1].startswith("%s RESOLVED ok checks_failed: Resolved after " % HOST)
    assert "twzrd_ops_last_run_success 1" in textfile(alert_conf)
    assert "failure_info" not in textfile(alert_conf)


def test_a_failure_that_lasts_is_reminded_every_repeat_hours(alert_conf, webhook_receiver):
    for hour in range(6):
        alerts.record_failure(alert_conf, "PM2 did not answer.", now=T0 + hour * HOUR, host="web-1")
    assert [text.split(" ")[1] for text in webhook_receiver.lines] == ["FIRING", "REMINDER"]
    assert webhook_receiver.lines[1] == "web-1 REMINDER critical checks_failed: checks failed on web-1: PM2 did not answer."


def test_other_alerts_are_kept_not_resolved_while_the_checks_fail(alert_conf, webhook_receiver):
    alerts.process(alert_conf, {"host": "web-1"}, SWAP, CFG, now=T0)
    alerts.record_failure(alert_conf, "PM2 did not answer.", now=T0 + HOUR, host="web-1")
    with open(alert_conf["state_file"]) as handle:
        assert sorted(json.load(handle)["alerts"]) == ["checks_failed", "swap"]
    assert not any(" RESOLVED " in text for text in webhook_receiver.lines)


# --------------------------------------------------------------- deliver after saving


@pytest.fixture
def full_tmpfs(tmp_path, mount_tmpfs):
    """A real 64 KiB tmpfs (filled to the last block by fill()), mounted as root or through
    passwordless sudo (conftest's as_root); skipped where mounting is not allowed."""
    mount = tmp_path / "full"
    mount.mkdir()
    mount_tmpfs(mount, "64k")
    (mount / "state").mkdir()
    return mount


def fill(directory):
    fd = os.open(os.path.join(str(directory), "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"x" * 1024)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_full_disk_state_ends_unknown_and_never_resends(alert_conf, webhook_receiver, full_tmpfs):
    alert_conf["state_file"] = str(full_tmpfs / "state" / "alerts-state.json")
    alerts.process(alert_conf, {"host": "web-1"}, [], CFG, now=T0)  # state and lock exist
    fill(full_tmpfs)
    for hour in (1, 2):
        result = alerts.process(alert_conf, {"host": "web-1"}, SWAP, CFG, now=T0 + hour * HOUR)
        assert result["exit_code"] == 3
        assert webhook_receiver.lines == [], "nothing may be sent while the state cannot say it was"
        assert "No space left on device" in result["errors"][-1] and "nothing was sent" in result["errors"][-1]
        assert result["lines"][-1].startswith("2026-11-27T0%d:00:00Z RUN unknown run: the checks failed: Cannot write the alert state file" % hour)
        assert not any(" FIRING " in line for line in result["lines"])
        assert "twzrd_ops_last_run_success 0" in textfile(alert_conf)
        assert "No space left on device" in textfile(alert_conf)
    os.unlink(str(full_tmpfs / "filler"))
    alerts.process(alert_conf, {"host": "web-1"}, SWAP, CFG, now=T0 + 3 * HOUR)
    assert webhook_receiver.lines == ["web-1 FIRING critical swap: Swap use is 55.0% (critical at 50%)."]


@pytest.fixture
def chattr(require_tool, as_root):
    """chattr("+i", directory): the real chattr, as root or through passwordless sudo (conftest's
    as_root); every directory it made immutable is made writable again after the test."""
    tool = require_tool("chattr", "the immutable-directory fault needs it")
    changed = []

    def run(flag, directory):
        changed.append(str(directory))
        return as_root([tool, flag, str(directory)])

    yield run
    for directory in changed:
        as_root([tool, "-i", directory])


def test_immutable_state_directory_ends_unknown_and_never_resends(tmp_path, real_pm2, alert_conf, webhook_receiver, chattr, twzrd_ops):
    immutable_dir = tmp_path / "immutable"
    immutable_dir.mkdir()
    alert_conf["state_file"] = str(immutable_dir / "alerts-state.json")
    alerts.process(alert_conf, {"host": "web-1"}, [], CFG, now=T0)
    proc = chattr("+i", immutable_dir)
    if proc.returncode != 0:
        pytest.skip("chattr +i is not supported here: %s" % proc.stderr.decode().strip())
    for hour in (1, 2):
        result = alerts.process(alert_conf, {"host": "web-1"}, SWAP, CFG, now=T0 + hour * HOUR)
        assert result["exit_code"] == 3 and webhook_receiver.lines == []
    # The command line: a failure of its own (the state) is not sent either, and says so.
    code, _out, err = twzrd_ops("--config", config_file(tmp_path, real_pm2, alert_conf), "alerts")
    assert code == 3 and webhook_receiver.lines == [] and err == ""
    assert log_lines(alert_conf)[-1].split(" ", 1)[1].startswith("RUN unknown run: the checks failed: ")
    assert "twzrd_ops_last_run_success 0" in textfile(alert_conf)
    assert chattr("-i", immutable_dir).returncode == 0
    writable = alerts.process(alert_conf, {"host": "web-1"}, SWAP, CFG, now=T0 + 3 * HOUR)
    assert webhook_receiver.lines == ["web-1 FIRING critical swap: Swap use is 55.0% (critical at 50%)."], (
        writable["errors"], "requests the receiver saw: %d" % webhook_receiver.attempts)


def test_control_characters_never_reach_the_alert_log(alert_conf, webhook_receiver):
    finding = dict(SWAP[0], key="pm2_app_down:we\x1b[31mb x", rule="pm2_app_down", message="App we\x1b[2Jb\nFAKE is down.")
    result = alerts.process(alert_conf, {"host": "web-1"}, [finding], CFG, now=T0)
    text = "\n".join(log_lines(alert_conf) + result["lines"] + webhook_receiver.lines)
    assert "\x1b" not in text
    assert "App we\\x1b[2Jb FAKE is down." in text
    assert " FIRING critical pm2_app_down:we\\x1b[31mb\\x20x: " in log_lines(alert_conf)[0]
    # What the webhook webhook_receiver got: the same escaped line, one message.
    assert webhook_receiver.lines == ["web-1 FIRING critical pm2_app_down:we\\x1b[31mb\\x20x: App we\\x1b[2Jb FAKE is down."]


# --------------------------------------------------------------- the webhook's deadline


@pytest.fixture(scope="module")
def web_servers():
    with HealthServers() as first, HealthServers() as second:
        yield first, second


def test_a_dripping_webhook_cannot_hold_the_run(web_servers):
    srv, _other = web_servers
    started = time.monotonic()
    reason = alerts.deliver_webhook(srv.url("/drip?part=headers&seconds=20"), ["web-1 FIRING critical swap: x"], 1, 0)
    assert reason == "timeout"
    assert time.monotonic() - started < 2.5


def test_a_webhook_redirect_is_not_followed(web_servers):
    srv, other = web_servers
    before = len(other.requests)
    reason = alerts.deliver_webhook(srv.url("/redirect?to=" + other.url("/health")), ["web-1 FIRING critical swap: x"], 2, 0)
    assert reason == "HTTP 302"
    assert len(other.requests) == before


# --------------------------------------------------------------- the dead-man's switch


def test_heartbeat_is_pinged_at_start_and_with_the_exit_code(tmp_path, real_pm2, alert_conf, monkeypatch, twzrd_ops, secret_file):
    with HealthServers() as hc:
        alert_conf["heartbeat_url_file"] = secret_file("heartbeat.url", hc.url("/ping/uuid-secret"))
        path = config_file(tmp_path, real_pm2, alert_conf)
        code, _out, err = twzrd_ops("--config", path, "alerts")
        assert code == 0
        assert [r["path"] for r in hc.requests] == ["/ping/uuid-secret/start", "/ping/uuid-secret"]
        # The test server knows no /ping path: a 404 is a failed ping, said on stderr (cron's log).
        assert err.count("ERROR unknown twzrd-ops: heartbeat ping failed (HTTP 404).") == 2
        assert "uuid-secret" not in err

    def broken_evaluate(*_args, **_kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(checks, "evaluate", broken_evaluate)
    with HealthServers() as hc:
        secret_file("heartbeat.url", hc.url("/health"))  # the same file, another URL
        code, _out, err = twzrd_ops("--config", path, "alerts")
        assert code == 3
        assert [r["path"] for r in hc.requests] == ["/health/start", "/health/3"]
    code, _out, err = twzrd_ops("--config", path, "alerts")  # the service is gone: said once per ping, URL never shown
    assert code == 3
    assert err.count("heartbeat ping failed (connection refused).") == 2
    assert "health" not in err.replace("heartbeat", "")


def test_a_configuration_the_checks_cannot_use_is_delivered_like_a_finding(tmp_path, real_pm2, alert_conf, webhook_receiver, twzrd_ops):
    path = config_file(tmp_path, real_pm2, alert_conf)
    with open(path) as handle:
        data = json.load(handle)
    data["checks"]["swap_warning"] = "NaN"
    with open(path, "w") as handle:
        json.dump(data, handle)
    code, out, err = twzrd_ops("--config", path, "alerts")
    assert code == 3 and err == ""
    reason = "Configuration file %s: Setting swap_warning must be a finite number, got 'NaN'." % path
    assert webhook_receiver.lines == ["%s FIRING critical checks_failed: checks failed on %s: %s" % (HOST, HOST, reason)]
    assert out.splitlines() == log_lines(alert_conf)
    assert log_lines(alert_conf)[-1].endswith(" RUN unknown run: the checks failed: %s" % reason)
    assert "twzrd_ops_last_run_success 0" in textfile(alert_conf)
