"""twzrd.ops.alert_check and playbooks/alerts.yml against localhost with a real PM2.

The module must answer what the hourly run would decide (same code, same config file)
while leaving the host's alert state, alert log and textfile untouched.
"""

from __future__ import annotations

import json
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "apps", "worker.js")


@pytest.fixture
def host_config(tmp_path, pm2, pm2_bin, pm2_home):
    pm2("start", WORKER, "--name", "worker")
    state = tmp_path / "state" / "alerts-state.json"
    config = {
        "checks": {
            "pm2_home": pm2_home,
            "pm2_path": pm2_bin,
            "expected_apps": ["worker", "ghost"],
            "health_url": "",
            "disk_paths": [],
            "load_mode": "absolute",
            "load_warning": 1000,
            "load_critical": 2000,
        },
        "alerts": {
            "state_file": str(state),
            "log_file": str(tmp_path / "alerts.log"),
            "textfile_path": str(tmp_path / "twzrd_ops.prom"),
        },
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return {"path": str(path), "state": str(state), "dir": str(tmp_path)}


def test_module_reports_active_alerts_and_changes_nothing(run_module, host_config):
    result = run_module("twzrd.ops.alert_check", {"config_file": host_config["path"]})
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert [a["key"] for a in result["active"]] == ["pm2_missing:ghost"]
    assert result["verdict"] == "critical" and result["exit_code"] == 2
    assert [(e["type"], e["key"]) for e in result["events"]] == [("firing", "pm2_missing:ghost")]
    assert any(f["key"] == "pm2_missing:ghost" for f in result["findings"])
    assert result["notices"] == []
    assert sorted(os.listdir(host_config["dir"])) == ["config.json", "pm2home"]


def test_module_reads_the_hosts_alert_state(run_module, host_config):
    os.makedirs(os.path.dirname(host_config["state"]))
    state = {
        "version": 1, "last_run": 1795737600.0, "crash_until": 1795737600.0, "crash_counts": {}, "outbox": [],
        "alerts": {"pm2_missing:ghost": {"rule": "pm2_missing", "level": "critical", "message": "old", "value": None,
                                         "since": 1795737600.0, "notified": 1795737600.0 + 10 ** 9}},
    }
    with open(host_config["state"], "w") as handle:
        json.dump(state, handle)
    before = open(host_config["state"]).read()
    result = run_module("twzrd.ops.alert_check", {"config_file": host_config["path"]}, check=True)
    assert result["events"] == []  # already notified: the hourly run would stay silent
    assert result["active"][0]["since"] == "2026-11-27T00:00:00Z"
    assert open(host_config["state"]).read() == before


def test_module_refuses_bad_settings_with_one_sentence(run_module, host_config):
    result = run_module("twzrd.ops.alert_check", {"config_file": host_config["path"], "alerts": {"swap_clear": 200}})
    assert result["failed"] is True
    assert result["msg"] == "Alert setting swap_clear must be between 0 and 100, got 200."
    assert "Traceback" not in result["_stdout"] + result["_stderr"]


def test_module_without_config_file_uses_defaults_and_says_so(run_module, host_config, tmp_path, pm2_home, pm2_bin):
    missing = str(tmp_path / "absent.json")
    result = run_module(
        "twzrd.ops.alert_check",
        {"config_file": missing, "checks": {"pm2_home": pm2_home, "pm2_path": pm2_bin, "health_url": "", "disk_paths": []},
         "alerts": {"state_file": str(tmp_path / "never" / "state.json")}},
    )
    assert result["notices"][0] == "Configuration file %s does not exist; the built-in defaults apply." % missing
    assert not os.path.exists(str(tmp_path / "never"))


def test_playbook_shows_alerts_per_host_and_fails_only_when_asked(run_playbook, host_config):
    common = ["-e", "twzrd_ops_become=false", "-e", "twzrd_ops_alerts_config_file=%s" % host_config["path"]]
    report = run_playbook("playbooks/alerts.yml", *common)
    assert report.returncode == 0, report.stdout + report.stderr
    assert "CRITICAL pm2_missing:ghost since" in report.stdout
    assert "localhost: critical (pm2_missing:ghost)" in report.stdout
    strict = run_playbook("playbooks/alerts.yml", "-e", "twzrd_ops_alerts_fail_on=critical", *common)
    assert strict.returncode != 0
    assert "localhost has critical alerts: pm2_missing:ghost." in strict.stdout
    assert sorted(os.listdir(host_config["dir"])) == ["config.json", "pm2home"]
