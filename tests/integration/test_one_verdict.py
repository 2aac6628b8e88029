"""One host, one verdict: a real PM2 app in a crash loop is judged the same way by every
view, and the hourly alerts say one thing about it.

Real parts: PM2 from npm with its own PM2_HOME, tests/apps/crash.js (exits at start-up,
PM2 restarts it every 0.5 s), the playbooks weekly-health.yml and status.yml against
localhost, the on-host command `twzrd-ops alerts` (cli.main) and the webhook tests' real
receiver on 127.0.0.1.
"""

from __future__ import annotations

import glob
import io
import json
import os

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts, cli

from servers import WebhookReceiver
from servers import eventually

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPS = os.path.join(ROOT, "tests", "apps")


def crashes(pm2_home):
    try:
        with open(os.path.join(pm2_home, "pm2.log")) as handle:
            return handle.read().count("App [crashy:0] exited with code")
    except OSError:
        return 0


@pytest.fixture
def looping(pm2, pm2_home):
    pm2("start", os.path.join(APPS, "crash.js"), "--name", "crashy", "--restart-delay", "500")
    eventually(lambda: crashes(pm2_home) >= 6, what="crashy crashing 6 times (a loop above the threshold 3)")
    return pm2_home


def settings(pm2_bin, pm2_home, tmp_path):
    return {"twzrd_ops_pm2_path": pm2_bin, "twzrd_ops_pm2_home": pm2_home, "twzrd_ops_become": False,
            "twzrd_ops_pm2_user": "", "twzrd_ops_health_url": "", "twzrd_ops_expected_apps": [],
            "twzrd_ops_crash_threshold": 3,
            "twzrd_ops_fleet_reports_dir": str(tmp_path / "fleet"), "twzrd_ops_fail_on_critical": False,
            "twzrd_ops_disk_paths": [str(tmp_path)], "twzrd_ops_disk_warning": 100, "twzrd_ops_disk_critical": 100,
            "twzrd_ops_swap_warning": 99, "twzrd_ops_swap_critical": 100, "twzrd_ops_load_mode": "absolute",
            "twzrd_ops_load_warning": 10000, "twzrd_ops_load_critical": 20000}


def alert_config(tmp_path, pm2_bin, pm2_home, url):
    url_file = tmp_path / "webhook.url"
    url_file.write_text(url)
    url_file.chmod(0o600)
    (tmp_path / "state").mkdir(exist_ok=True)
    data = {"checks": {"pm2_path": pm2_bin, "pm2_home": pm2_home, "crash_threshold": 3, "disk_paths": [str(tmp_path)], "health_url": "",
                       "disk_warning": 100, "disk_critical": 100, "swap_warning": 99, "swap_critical": 100,
                       "load_mode": "absolute", "load_warning": 10000, "load_critical": 20000},
            "alerts": {"state_file": str(tmp_path / "state" / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log"),
                       "webhook_url_file": str(url_file), "webhook_retries": 0}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


def twzrd_ops(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_weekly_status_and_hourly_agree_on_a_crash_loop(looping, pm2_bin, run_playbook, tmp_path):
    extra = json.dumps(settings(pm2_bin, looping, tmp_path))
    weekly = run_playbook("playbooks/weekly-health.yml", "-e", extra, "--skip-tags", "host_report")
    assert weekly.returncode == 0, weekly.stdout + weekly.stderr
    fleet = json.load(open(glob.glob(str(tmp_path / "fleet" / "weekly-health-*.json"))[0]))
    host = fleet["hosts"][0]
    assert host["verdict"] == "critical"
    assert any(f["rule"] == "crash_loop" and "crashy" in f["message"] for f in host["findings"])

    status = run_playbook("playbooks/status.yml", "-e", extra)
    assert status.returncode == 0, status.stdout + status.stderr
    row = [line for line in status.stdout.splitlines() if line.strip().startswith("localhost ")]
    assert row and "CRITICAL" in row[0], status.stdout
    assert "crashy" in row[0]  # the top finding names the looping app

    code, out, _err = twzrd_ops("--config", alert_config(tmp_path, pm2_bin, looping, "http://127.0.0.1:9/x"), "alerts")
    assert code == 2, out
    assert " FIRING critical crash_loop:crashy: " in out


def test_hourly_runs_never_flap_the_apps_down_alert_and_an_app_silence_quiets_it_all(looping, pm2_bin, tmp_path):
    receiver = WebhookReceiver()
    try:
        config = alert_config(tmp_path, pm2_bin, looping, receiver.url)
        code, out, err = twzrd_ops("--config", config, "silence", "add", "app:crashy", "--for", "1h", "--reason", "deploy")
        assert code == 0, err
        silenced = []
        for _run in range(3):
            code, out, err = twzrd_ops("--config", config, "alerts")
            assert code == 2, out + err
            silenced.extend(line for line in out.splitlines() if " crashy" in line or ":crashy" in line)
        assert silenced and all("[silenced until" in line for line in silenced if " FIRING " in line)
        assert receiver.texts() == []  # nothing about crashy was sent
        code, out, err = twzrd_ops("--config", config, "silence", "remove", json.loads(
            twzrd_ops("--config", config, "--json", "silence", "list")[1])["silences"][0]["id"])
        assert code == 0, err
        events = []
        for _run in range(6):
            code, out, err = twzrd_ops("--config", config, "alerts")
            events.extend(line for line in out.splitlines() if line.split(" ")[1] in ("FIRING", "RESOLVED", "REMINDER"))
        assert not [line for line in events if "pm2_app_down:crashy" in line or "pm2_crashes:crashy" in line], events
        firing = [line for line in events if " FIRING critical crash_loop:crashy" in line]
        assert len(firing) == 1, events  # its FIRING was silenced: sent once the silence is gone
        sent = "\n".join(receiver.texts())
        assert "crash_loop:crashy" in sent and "pm2_app_down:crashy" not in sent
    finally:
        receiver.close()
    assert alerts.DEFAULTS["silence_max_hours"] == 24
