"""The per-host history end to end: the real `twzrd-ops alerts` entry point (cli.main, as
cron runs it) against a real PM2 7 daemon, sampled several times a few seconds apart with
windows of minutes instead of hours, so a few samples are enough.

* tests/apps/leak.js really leaks at a known rate (2 MiB every 250 ms = 8 MiB/s, held and
  resident) under a max_memory_restart; tests/apps/worker.js stays flat. The leak must be
  flagged (memory_leak_suspected, in the alert log) with a time to its limit within a
  factor of two of the truth computed from the known rate and the last sampled memory;
  the flat app must not be.
* A file grown at a known rate (2 MiB/s) on a real 256 MiB tmpfs, the checked disk path:
  disk_full_forecast must say the time until full within a factor of two of free / rate.
* Faults, on real filesystems: the history on a full tmpfs, and a corrupt history file;
  the alert run goes on, says it in one WARNING line of the alert log, never a traceback.

Mounting the tmpfs and `chattr +i` need root: run as another user, the tests do them through
passwordless sudo (conftest's `as_root`) and skip, naming why, without it.
"""

from __future__ import annotations

import errno
import io
import json
import os
import threading
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEAK = os.path.join(ROOT, "tests", "apps", "leak.js")
FLAT = os.path.join(ROOT, "tests", "apps", "worker.js")
MIB = 1024 * 1024
LEAK_RATE = 2 * MIB / 0.25  # bytes per second: LEAK_KIB=2048 every LEAK_EVERY_MS=250
LIMIT = 900 * MIB  # the leaking app's max_memory_restart
DISK_RATE = 2 * MIB  # bytes per second written to the checked filesystem
SAMPLES = 7
PAUSE = 2.0  # seconds between two runs of the alert job


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def mount_tmpfs(as_root, mount, options):
    """Mount a real tmpfs owned by the user running the tests (root, or a non-root user through
    passwordless sudo), or skip naming why."""
    options += ",uid=%d,gid=%d" % (os.getuid(), os.getgid())
    proc = as_root(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)])
    if proc.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % proc.stderr.decode().strip())


@pytest.fixture
def tmpfs(tmp_path, as_root):
    """A real 256 MiB tmpfs, unmounted after the test; skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mount_tmpfs(as_root, mount, "size=256m")
    try:
        yield mount
    finally:
        as_root(["umount", "-l", str(mount)])


class Grower(threading.Thread):
    """Appends to a file so that it holds rate x elapsed bytes (catching up with the clock)."""

    def __init__(self, path, rate):
        super().__init__(daemon=True)
        self.path, self.rate, self.done = path, rate, threading.Event()

    def run(self):
        start = time.monotonic()
        written = 0
        with open(self.path, "wb") as handle:
            while not self.done.is_set():
                due = int((time.monotonic() - start) * self.rate)
                while written + MIB <= due:
                    handle.write(b"d" * MIB)
                    written += MIB
                handle.flush()
                os.fsync(handle.fileno())
                self.done.wait(0.05)


def config(tmp_path, pm2_bin, pm2_home, disk_path, history, expected=("leak", "flat")):
    data = {
        "checks": {
            "pm2_path": pm2_bin, "pm2_home": pm2_home, "expected_apps": list(expected), "health_url": "",
            "load_mode": "absolute", "load_warning": 10000, "load_critical": 20000,
            "disk_paths": [disk_path], "disk_warning": 99, "disk_critical": 100,
        },
        "alerts": {"state_file": str(tmp_path / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")},
        "history": history,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_real_leak_is_flagged_with_time_to_limit_flat_app_is_not_and_disk_forecast_holds(
        tmp_path, pm2_bin, pm2_home, pm2, monkeypatch, tmpfs):
    monkeypatch.setenv("LEAK_KIB", "2048")
    monkeypatch.setenv("LEAK_EVERY_MS", "250")
    pm2("start", LEAK, "--name", "leak", "--max-memory-restart", "900M")
    pm2("start", FLAT, "--name", "flat")
    db = str(tmp_path / "history.sqlite")
    path = config(tmp_path, pm2_bin, pm2_home, str(tmpfs), {
        "db_path": db,
        # Windows of minutes instead of hours: 7 samples 2-3 s apart are enough.
        "leak_window_hours": 0.05, "leak_min_samples": 5,
        "disk_forecast_short_hours": 0.01, "disk_forecast_long_hours": 0.05,
    })
    grower = Grower(str(tmpfs / "growing.bin"), DISK_RATE)
    grower.start()
    try:
        time.sleep(PAUSE)  # both apps up and past their start-up
        outputs = []
        for _sample in range(SAMPLES):
            code, out, err = run("--config", path, "alerts")
            assert err == "", err
            outputs.append((code, out))
            time.sleep(PAUSE)
    finally:
        grower.done.set()
        grower.join(10)

    code, out, err = run("--config", path, "--json", "history", "--days", "1")
    assert (code, err) == (0, "")
    data = json.loads(out)
    samples = data["samples"]
    assert len(samples) == SAMPLES
    last = samples[-1]
    assert last["apps"]["leak"]["restarts"] == 0, "the leak must not reach its limit during the test"
    assert last["apps"]["leak"]["max_memory_restart"] == LIMIT
    assert last["daemon_memory"] and last["daemon_memory"] > 10 * MIB  # the PM2 daemon's own RSS

    trends = dict(((t["rule"], t["subject"]), t) for t in data["trends"])
    leak = trends.get(("memory_leak_suspected", "leak"))
    assert leak is not None, data["trends"]
    assert ("memory_leak_suspected", "flat") not in trends
    truth_hours = (LIMIT - last["apps"]["leak"]["memory"]) / LEAK_RATE / 3600.0
    assert truth_hours / 2 <= leak["hours_to_limit"] <= truth_hours * 2, (leak, truth_hours)
    assert LEAK_RATE * 3600 / 2 <= leak["slope_per_hour"] <= LEAK_RATE * 3600 * 2

    disk = trends.get(("disk_full_forecast", str(tmpfs)))
    assert disk is not None, data["trends"]
    truth_full = last["disks"][str(tmpfs)]["free"] / DISK_RATE / 3600.0
    assert truth_full / 2 <= disk["hours_to_limit"] <= truth_full * 2, (disk, truth_full)
    assert disk["level"] == "critical"  # under disk_forecast_critical_hours (24 h)
    print("leak: %.1f s to the limit, truth %.1f s; disk: %.1f s to full, truth %.1f s"
          % (leak["hours_to_limit"] * 3600, truth_hours * 3600, disk["hours_to_limit"] * 3600, truth_full * 3600))

    # Fired through the alert engine once, into the alert log, and the run's exit code says so.
    with open(str(tmp_path / "alerts.log")) as handle:
        log = handle.read()
    assert log.count(" FIRING warning memory_leak_suspected:leak: PM2 app leak memory rises steadily") == 1
    assert " FIRING critical disk_full_forecast:%s: Disk %s fills up in about " % (tmpfs, tmpfs) in log
    assert "memory_leak_suspected:flat" not in log
    assert outputs[-1][0] == 2
    assert " WARNING " not in log and " ERROR " not in log


def test_alerts_run_with_its_history_on_a_full_disk_warns_and_goes_on(tmp_path, tmpfs, as_root):
    small = tmp_path / "small"
    small.mkdir()
    mount_tmpfs(as_root, small, "size=64k,mode=0750")
    try:
        fd = os.open(str(small / "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"x" * 1024)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        db = str(small / "history.sqlite")
        # No PM2 on purpose (none expected): this test is about the history's filesystem.
        path = config(tmp_path, "/nonexistent/pm2", str(tmp_path / "pm2home"), str(tmpfs), {"db_path": db}, expected=())
        code, out, err = run("--config", path, "alerts")
        assert (code, err) == (0, ""), (out, err)
        warnings = [line for line in out.splitlines() if " WARNING " in line]
        assert len(warnings) == 1, out
        assert "Cannot write the history database %s (the disk is full); nothing was recorded." % db in warnings[0]
        assert out.splitlines()[-1].endswith("RUN ok run: no active alerts")
    finally:
        as_root(["umount", "-l", str(small)])


def test_alerts_run_moves_a_corrupt_history_aside_and_says_so_in_the_alert_log(tmp_path):
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"\x00garbage, not SQLite\n" * 512)
    path = config(tmp_path, "/nonexistent/pm2", str(tmp_path / "pm2home"), str(tmp_path), {"db_path": str(db)}, expected=())
    code, out, err = run("--config", path, "alerts")
    assert (code, err) == (0, ""), (out, err)
    [warning] = [line for line in out.splitlines() if " WARNING " in line]
    aside = [name for name in os.listdir(str(tmp_path)) if name.startswith("history.sqlite.corrupt-")]
    assert len(aside) == 1
    assert "History database %s was corrupt (file is not a database); it was moved aside to %s" % (
        db, tmp_path / aside[0]) in warning
    assert (tmp_path / aside[0]).read_bytes().startswith(b"\x00garbage")
    code, out, err = run("--config", path, "--json", "history")
    assert code == 0 and len(json.loads(out)["samples"]) == 1  # the new history has this run's sample


def test_alerts_run_with_its_history_in_an_immutable_directory_warns_and_goes_on(tmp_path, require_tool, as_root):
    chattr = require_tool("chattr")
    locked = tmp_path / "locked"
    locked.mkdir()
    proc = as_root([chattr, "+i", str(locked)])
    if proc.returncode != 0:
        pytest.skip("cannot make a directory immutable here: %s" % proc.stderr.decode().strip())
    try:
        db = str(locked / "history.sqlite")
        path = config(tmp_path, "/nonexistent/pm2", str(tmp_path / "pm2home"), str(tmp_path), {"db_path": db}, expected=())
        code, out, err = run("--config", path, "alerts")
        assert (code, err) == (0, ""), (out, err)
        [warning] = [line for line in out.splitlines() if " WARNING " in line]
        assert "Cannot create the history database %s (Operation not permitted); nothing was recorded." % db in warning
        assert os.listdir(str(locked)) == []
    finally:
        as_root([chattr, "-i", str(locked)])


def test_host_check_module_returns_the_history_of_the_host(run_module, tmp_path):
    """The real module through `ansible localhost`, in check mode: the history of a real file
    written by history.record() comes back in the result (the fleet JSON's hosts[i].history),
    and reading it changes nothing; a host without history says so."""
    from ansible_collections.twzrd.ops.plugins.module_utils import history

    db = str(tmp_path / "history.sqlite")
    now = int(time.time())
    for i in range(30):
        t = now - (29 - i) * 3600
        sample = {"epoch": t,
                  "system": {"memory": {"percent": 40.0, "available": 8 << 30}, "swap": {"percent": 0.0}, "load": {"load1": 0.2}},
                  "pm2": {"processes": [{"name": "api", "memory": (100 + 10 * i) * MIB, "restarts": 0,
                                         "status": "online", "max_memory_restart": 1024 * MIB}]},
                  "disk": [{"path": "/", "used": 1 << 30, "free": 9 << 30, "percent": 10.0}]}
        history.record(sample, db, now=t)
    before = os.stat(db).st_mtime_ns
    # kind health (the weekly report) reads the history; check mode writes no report
    args = {"kind": "health", "config": {"pm2_path": "/nonexistent/pm2", "health_url": "", "disk_paths": [str(tmp_path)]},
            "history": {"db_path": db}, "report_dir": str(tmp_path / "reports")}
    result = run_module("twzrd.ops.host_check", args, check=True)
    assert not result.get("failed"), result
    got = result["history"]
    assert got["available"] is True and got["samples"] == 30 and got["last"] == now
    assert len(got["windows"]["7d"]["apps"]["api"]["memory"]) == 30
    [leak] = got["trends"]
    assert leak["rule"] == "memory_leak_suspected" and leak["subject"] == "api"
    # 390 MiB now, +10 MiB/h, limit 1 GiB: about 63 h.
    assert leak["hours_to_limit"] == pytest.approx((1024 - 390) / 10.0, rel=0.01)
    assert os.stat(db).st_mtime_ns == before
    args["history"] = {"db_path": str(tmp_path / "none.sqlite")}
    result = run_module("twzrd.ops.host_check", args, check=True)
    assert result["history"]["available"] is False
    assert result["history"]["reason"] == history.NO_HISTORY
    assert not (tmp_path / "reports").exists()
    # the quick look (status.yml) does not read the history at all
    args.update(kind="status", history={"db_path": db})
    assert run_module("twzrd.ops.host_check", args, check=True)["history"] is None


def test_alert_check_preview_judges_the_trends_of_the_hosts_history(run_module, tmp_path):
    """The laptop preview (alert_check) reads the host's history like the hourly job does: a
    leak the history shows is an active alert in the preview, never a 'resolved' one."""
    from ansible_collections.twzrd.ops.plugins.module_utils import history

    now = int(time.time())
    db = str(tmp_path / "history.sqlite")
    for i in range(30):
        t = now - (29 - i) * 3600
        sample = {"epoch": t, "system": {"memory": {"percent": 40.0, "available": 8 << 30}},
                  "pm2": {"processes": [{"name": "api", "memory": (100 + 10 * i) * MIB, "restarts": 0,
                                         "status": "online", "max_memory_restart": 1024 * MIB}]}}
        history.record(sample, db, now=t)
    path = config(tmp_path, "/nonexistent/pm2", str(tmp_path / "pm2home"), str(tmp_path), {"db_path": db}, expected=())
    result = run_module("twzrd.ops.alert_check", {"config_file": path})
    assert not result.get("failed"), result
    assert [a["key"] for a in result["active"]] == ["memory_leak_suspected:api"]
    assert [(e["type"], e["key"]) for e in result["events"]] == [("firing", "memory_leak_suspected:api")]
    assert not os.path.exists(str(tmp_path / "alerts.log"))  # a preview writes nothing
