"""twzrd.ops.host_check through Ansible against a REAL PM2 (from npm, private PM2_HOME) running
the demo apps, and a real HTTP health endpoint (the healthy.js app itself): the whole weekly
check in one module run, the same verdict and report as the cron job's code."""

from __future__ import annotations

import json
import os
import subprocess

from ansible_collections.twzrd.ops.plugins.module_utils import checks, report

from servers import eventually  # the demo-app fixtures (start_app, web, jlist) are in tests/conftest.py


def _cfg(pm2_home, port, **extra):
    cfg = {
        "pm2_home": pm2_home,
        "expected_apps": ["web", "crashy"],
        "health_url": "http://127.0.0.1:%d/health" % port,
        "health_expect_keys": {"status": "ok"},
        "disk_paths": ["/"],
        "load_warning": 50,
        "load_critical": 60,
    }
    cfg.update(extra)
    return cfg


def test_one_module_run_checks_pm2_health_logs_and_writes_the_report(run_module, pm2_home, pm2_bin, web, start_app, tmp_path):
    # A crash-looping app: real crashes in PM2's own log, counted in both windows from one read.
    start_app("crashy", "crash.js", "--restart-delay", "200")
    eventually(lambda: _crashes(pm2_home) >= 2, what="crashy crashing twice")
    subprocess.run([pm2_bin, "stop", "crashy", "-s"], env=dict(os.environ, PM2_HOME=pm2_home), check=True, timeout=60)
    env = {"PATH": os.path.dirname(pm2_bin) + os.pathsep + os.environ["PATH"]}

    result = run_module("twzrd.ops.host_check", {"config": _cfg(pm2_home, web), "report_dir": str(tmp_path)}, env=env)

    assert result["_rc"] == 0, result["_stdout"]
    assert result["changed"] is True
    snapshot, findings = result["snapshot"], result["findings"]
    assert snapshot["kind"] == "health"
    assert {p["name"] for p in snapshot["pm2"]["processes"]} == {"web", "crashy"}
    assert snapshot["health"]["healthy"] is True
    assert snapshot["crashes_report_window"]["window"] == 7 * 86400
    assert snapshot["crashes_report_window"]["crashes"]["crashy"] >= 2
    assert snapshot["crashes_report_window"]["crashes"]["crashy"] >= snapshot["pm2"]["summary"]["crashes"]["crashy"]
    assert snapshot["logs"]["total"] >= 1  # crash.js writes an ERROR line on each start
    # crashy is stopped: a critical finding names it; the verdict is checks' own.
    assert any(f["rule"] == "pm2_app_down" and "crashy" in f["message"] for f in findings)
    assert result["verdict"] == checks.verdict(findings) == "critical"
    assert result["exit_code"] == 2
    # The report files are the cron job's rendering of this very snapshot.
    text = open(result["report"]["path"]).read()
    assert text == report.render_text(snapshot, findings, result["verdict"], history=result["history"])
    assert json.load(open(result["report"]["json"]))["snapshot"]["epoch"] == snapshot["epoch"]
    # App environments never leave the host.
    assert "twzrd-canary-XYZ-7f3a" not in result["_stdout"]


def test_check_mode_writes_nothing_and_status_kind_reads_less(run_module, pm2_home, web, tmp_path, pm2_bin):
    env = {"PATH": os.path.dirname(pm2_bin) + os.pathsep + os.environ["PATH"]}
    cfg = _cfg(pm2_home, web, expected_apps=["web"])
    checked = run_module("twzrd.ops.host_check", {"config": cfg, "report_dir": str(tmp_path / "r")}, check=True, env=env)
    assert checked["_rc"] == 0 and checked["changed"] is False, checked.get("msg")
    assert checked["report"]["written"] is False
    assert not (tmp_path / "r").exists()

    status = run_module("twzrd.ops.host_check", {"config": cfg, "kind": "status"}, env=env)
    assert status["_rc"] == 0 and status["changed"] is False
    assert status["snapshot"]["logs"] is None and status["report"] is None
    assert "crashes_report_window" not in status["snapshot"]
    assert status["snapshot"]["pm2"]["summary"]["online"] == 1


def test_bad_setting_fails_with_a_sentence(run_module, tmp_path):
    result = run_module("twzrd.ops.host_check", {"config": {"swap_warning": "lots", "health_url": ""}, "report_dir": str(tmp_path)})
    assert result["failed"] is True
    assert "swap_warning" in result["msg"] and "Traceback" not in result["_stdout"]
    unknown = run_module("twzrd.ops.host_check", {"config": {"swap_warnign": 10}})
    assert unknown["failed"] is True and "swap_warnign" in unknown["msg"]


def _crashes(pm2_home):
    try:
        with open(os.path.join(pm2_home, "pm2.log")) as handle:
            return sum(1 for line in handle if "App [crashy:" in line and "exited with code [1]" in line)
    except OSError:
        return 0
