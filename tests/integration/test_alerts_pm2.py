"""Crash alerts from a real PM2 (7, from npm) through the whole hourly pipeline:
checks.collect(kind="alerts") -> checks.evaluate -> alerts.process, on the real clock.

An app that crashes once at start-up must give exactly one crash alert; an operator's
`pm2 restart` of another app must give none, although PM2's own restart counter counts
both; a process killed later is a new crash.
"""

from __future__ import annotations

import json
import os
import signal
import time

from ansible_collections.twzrd.ops.plugins.module_utils import alerts, checks

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "apps", "worker.js")

# Dies with exit code 3 on its first start only (the marker file remembers), then stays up.
ONCE_JS = """
'use strict';
const fs = require('fs');
const marker = process.env.CRASH_MARKER;
if (!fs.existsSync(marker)) {
  fs.writeFileSync(marker, 'crashed');
  console.error('ERROR once.js: first start fails');
  process.exit(3);
}
setInterval(() => {}, 60000);
"""


def processes(pm2):
    return {p["name"]: p for p in json.loads(pm2("jlist").stdout)}


def wait_for(condition, what):
    """Poll PM2 until condition() holds (PM2 acts asynchronously); not a timing assertion."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "PM2 never reached: %s" % what
        time.sleep(0.1)


def next_second():
    """Let the current second pass: the alert run counts PM2 lines up to the last full second."""
    time.sleep(1.05 - time.time() % 1)


def hourly_run(cfg, conf):
    snapshot = checks.collect(cfg, kind="alerts")
    findings = checks.evaluate(snapshot, cfg)
    return alerts.process(conf, snapshot, findings, cfg)


def event_list(result):
    return [(e["type"], e["key"]) for e in result["events"]]


def test_one_crash_one_alert_and_an_operator_restart_none(pm2, pm2_bin, pm2_home, tmp_path):
    app = tmp_path / "once.js"
    app.write_text(ONCE_JS)
    os.environ["CRASH_MARKER"] = str(tmp_path / "crashed-once")
    try:
        pm2("start", str(app), "--name", "once")
    finally:
        del os.environ["CRASH_MARKER"]
    pm2("start", WORKER, "--name", "worker")
    wait_for(lambda: processes(pm2)["once"]["pm2_env"]["restart_time"] == 1
             and processes(pm2)["once"]["pm2_env"]["status"] == "online", "once crashed and back online")
    next_second()

    cfg = {
        "pm2_home": pm2_home,
        "pm2_path": pm2_bin,
        "expected_apps": ["once", "worker"],
        "health_url": "",
        "disk_paths": [],
        # This test is about crashes: keep a busy CI machine's load out of it.
        "load_mode": "absolute",
        "load_warning": 1000,
        "load_critical": 2000,
    }
    conf = {"state_file": str(tmp_path / "state.json"), "log_file": str(tmp_path / "alerts.log"),
            "textfile_path": str(tmp_path / "twzrd_ops.prom")}

    first = hourly_run(cfg, conf)
    assert event_list(first) == [("firing", "pm2_crashes:once")], first["lines"]
    assert "(last: exit code 3 at " in first["events"][0]["message"]
    assert first["exit_code"] == 1 and first["errors"] == []

    pm2("restart", "worker")
    wait_for(lambda: processes(pm2)["worker"]["pm2_env"]["restart_time"] == 1
             and processes(pm2)["worker"]["pm2_env"]["status"] == "online", "worker restarted")
    with open(os.path.join(pm2_home, "pm2.log")) as handle:
        assert "Stopping app:worker" in handle.read()  # the restart is in the log the next run reads
    next_second()

    second = hourly_run(cfg, conf)
    assert event_list(second) == [("resolved", "pm2_crashes:once")], second["lines"]
    assert second["active"] == []

    os.kill(processes(pm2)["once"]["pid"], signal.SIGKILL)
    wait_for(lambda: processes(pm2)["once"]["pm2_env"]["restart_time"] == 2
             and processes(pm2)["once"]["pm2_env"]["status"] == "online", "once killed and back online")
    next_second()

    third = hourly_run(cfg, conf)
    assert event_list(third) == [("firing", "pm2_crashes:once")], third["lines"]
    assert "signal SIGKILL" in third["events"][0]["message"]
    with open(conf["textfile_path"]) as handle:
        text = handle.read()
    assert 'twzrd_ops_pm2_crashes_total{app="once"} 2\n' in text
    assert 'twzrd_ops_pm2_crashes_total{app="worker"} 0\n' in text
    assert 'twzrd_ops_pm2_app_up{app="worker"} 1\n' in text
