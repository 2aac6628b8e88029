"""Tests for the on-host command `twzrd-ops` (plugins/module_utils/cli.py).

The command runs against real parts: a real PM2 7 daemon in a private PM2_HOME running
tests/apps/healthy.js, whose /health endpoint the probe really calls, real disks and a real
configuration file. Verdicts are steered through thresholds (e.g. a disk warning at 1 %),
not by faking data. Load thresholds are set out of reach because the machine running the
tests may be busy; the load rule has its own tests (test_system.py).

The exit codes are the contract with cron and monitoring: 0 ok, 1 warning, 2 critical,
3 unknown (bad configuration or usage, never a traceback).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import checks

from conftest import CANARY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")


def make_config(tmp_path, pm2_bin, pm2_home, port, checks_cfg=None, **sections):
    data = {
        "checks": {
            "pm2_path": pm2_bin,
            "pm2_home": pm2_home,
            "expected_apps": ["web"],
            "health_url": "http://127.0.0.1:%d/health" % port,
            "health_expect_keys": {"status": "ok"},
            "health_retries": 20,
            "health_delay": 0.25,
            "load_mode": "absolute",
            "load_warning": 10000,
            "load_critical": 20000,
            "disk_paths": [str(tmp_path)],
            "log_paths": [],
        },
        "reports": {"dir": str(tmp_path / "reports"), "keep_weeks": 2},
        "restart": {"apps": [], "verify_retries": 5, "verify_delay": 1},
        "alerts": {"state_file": str(tmp_path / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")},
    }
    data["checks"].update(checks_cfg or {})
    for name, values in sections.items():
        data[name].update(values)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


# --- health -----------------------------------------------------------------------------


def test_health_ok_prints_the_report_saves_the_pair_and_exits_0(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    config = make_config(tmp_path, pm2_bin, pm2_home, web)
    code, out, err = twzrd_ops("--config", config, "health")
    assert (code, err) == (0, ""), out
    assert out.startswith("twzrd.ops weekly health report\n")
    assert "Verdict:    OK" in out
    saved = sorted(os.listdir(str(tmp_path / "reports")))
    assert len(saved) == 2 and saved[0].startswith("weekly-health-report-") and saved[0].endswith(".json")
    with open(str(tmp_path / "reports" / saved[1])) as handle:
        assert handle.read() in out
    assert "Report saved to %s" % (tmp_path / "reports" / saved[1]) in out


def test_health_warning_exits_1(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    config = make_config(tmp_path, pm2_bin, pm2_home, web, {"disk_warning": 0, "disk_critical": 100})
    code, out, _err = twzrd_ops("--config", config, "health")
    assert code == 1, out
    assert "Verdict:    WARNING" in out


def test_health_critical_when_an_expected_app_is_missing_exits_2(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    config = make_config(tmp_path, pm2_bin, pm2_home, web, {"expected_apps": ["web", "milo-aggregator"]})
    code, out, _err = twzrd_ops("--config", config, "health")
    assert code == 2, out
    assert "Expected app milo-aggregator is not known to PM2." in out


def test_health_json_is_machine_readable_and_carries_no_env_value(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    config = make_config(tmp_path, pm2_bin, pm2_home, web)
    code, out, _err = twzrd_ops("--json", "--config", config, "health")
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "ok" and data["findings"] == []
    assert [p["name"] for p in data["snapshot"]["pm2"]["processes"]] == ["web"]
    assert "CANARY_SECRET" in data["snapshot"]["pm2"]["processes"][0]["env_names"]
    assert data["report"]["json"].endswith(".json")
    assert CANARY not in out
    for name in os.listdir(str(tmp_path / "reports")):
        with open(str(tmp_path / "reports" / name)) as handle:
            assert CANARY not in handle.read()


def test_json_flag_works_after_the_subcommand(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    config = make_config(tmp_path, pm2_bin, pm2_home, web)
    code, out, _err = twzrd_ops("health", "--json", "--config", config)
    assert code == 0 and json.loads(out)["verdict"] == "ok"


def test_health_prunes_reports_older_than_keep_weeks(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    reports = tmp_path / "reports"
    reports.mkdir()
    day = 86400
    old = reports / ("weekly-health-report-%s.txt" % time.strftime("%Y-%m-%d", time.gmtime(time.time() - 100 * day)))
    kept = reports / ("weekly-health-report-%s.txt" % time.strftime("%Y-%m-%d", time.gmtime(time.time() - 7 * day)))
    # A report every week in between: the history of reports is continuous, the clock plausible.
    weekly = [reports / ("weekly-health-report-%s.txt" % time.strftime("%Y-%m-%d", time.gmtime(time.time() - d * day)))
              for d in range(93, 7, -7)]
    for path in [old, kept] + weekly:
        path.write_text("old")
    config = make_config(tmp_path, pm2_bin, pm2_home, web)
    code, out, _err = twzrd_ops("--config", config, "health")
    assert code == 0
    assert not old.exists() and kept.exists()
    assert "Pruned old report %s." % old in out


def test_unwritable_report_directory_prints_the_report_and_exits_3(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    (tmp_path / "blocker").write_text("a file where the directory should be")
    config = make_config(tmp_path, pm2_bin, pm2_home, web, reports={"dir": str(tmp_path / "blocker" / "reports")})
    code, out, err = twzrd_ops("--config", config, "health")
    assert code == 3
    assert "Verdict:    OK" in out
    assert err.startswith("Cannot write the report into %s" % (tmp_path / "blocker" / "reports"))


# --- alerts -----------------------------------------------------------------------------


def test_alerts_prints_exactly_the_lines_it_logged(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    config = make_config(tmp_path, pm2_bin, pm2_home, web, {"expected_apps": ["web", "milo-aggregator"]})
    code, out, err = twzrd_ops("--config", config, "alerts")
    assert code == 2 and err == ""
    with open(str(tmp_path / "alerts.log")) as handle:
        assert handle.read() == out
    assert " FIRING critical pm2_missing:milo-aggregator: " in out
    code, out, err = twzrd_ops("--config", config, "alerts")
    assert code == 2 and "FIRING" not in out, "a firing alert is not repeated within repeat_hours"


def test_alerts_json(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    config = make_config(tmp_path, pm2_bin, pm2_home, web)
    code, out, _err = twzrd_ops("--config", config, "--json", "alerts")
    data = json.loads(out)
    assert code == 0 and data["exit_code"] == 0 and data["events"] == [] and data["lines"][-1].endswith("no active alerts")


# --- restart ----------------------------------------------------------------------------


def pm2_pid(pm2, name):
    out = pm2("jlist").stdout
    procs = json.loads(out[out.index("[{"):].splitlines()[0])
    return [p["pid"] for p in procs if p["name"] == name][0]


def test_restart_restarts_and_verifies_the_apps(tmp_path, pm2_bin, pm2_home, pm2, web, twzrd_ops):
    before = pm2_pid(pm2, "web")
    config = make_config(tmp_path, pm2_bin, pm2_home, web, restart={"apps": ["web"]})
    code, out, err = twzrd_ops("--config", config, "restart")
    assert (code, err) == (0, ""), out
    assert "restart: restarting web as PM2 user (current user)" in out
    assert "verify: apps online and health endpoint healthy" in out
    assert out.splitlines()[-1].endswith("restart: OK")
    assert pm2_pid(pm2, "web") != before


def test_restart_that_does_not_come_back_healthy_exits_2(tmp_path, pm2_bin, pm2_home, pm2, web, monkeypatch, twzrd_ops):
    monkeypatch.setenv("HEALTH_STATUS", "degraded")
    pm2("restart", "web", "--update-env")
    config = make_config(tmp_path, pm2_bin, pm2_home, web, {"health_retries": 0},
                         restart={"verify_retries": 2, "verify_delay": 0})
    code, out, _err = twzrd_ops("--json", "--config", config, "restart")
    data = json.loads(out)
    assert code == 2 and data["verified"] is False and data["checks"] == 2
    assert len(data["problems"]) == 1 and "degraded" in data["problems"][0]


def test_restart_of_an_unknown_app_exits_3_before_doing_anything(tmp_path, pm2_bin, pm2_home, pm2, web, twzrd_ops):
    before = pm2_pid(pm2, "web")
    config = make_config(tmp_path, pm2_bin, pm2_home, web, restart={"apps": ["nope"]})
    code, _out, err = twzrd_ops("--config", config, "restart")
    assert code == 3
    assert "nope" in err and len(err.splitlines()) == 1
    assert pm2_pid(pm2, "web") == before


# --- bad configuration and usage: one sentence, exit 3 ------------------------------------


def test_missing_config_exits_3_with_one_sentence(tmp_path, twzrd_ops):
    code, out, err = twzrd_ops("--config", str(tmp_path / "none.json"), "health")
    assert (code, out) == (3, "")
    assert err == "Configuration file %s does not exist; apply the twzrd.ops.twzrd_ops role (playbooks/setup.yml) or pass --config.\n" % (
        tmp_path / "none.json")


def test_broken_config_exits_3_with_one_sentence(tmp_path, twzrd_ops):
    path = tmp_path / "config.json"
    path.write_text('{"checks": {')
    code, out, err = twzrd_ops("--config", str(path), "health")
    assert (code, out) == (3, "")
    assert err.startswith("Configuration file %s is not valid JSON at line 1" % path) and err.count("\n") == 1


def test_alerts_reports_a_broken_config_in_the_alert_log_format(tmp_path, twzrd_ops):
    path = tmp_path / "config.json"
    path.write_text('{"alerts": {"repeat_hours": "often"}}')
    code, out, err = twzrd_ops("--config", str(path), "alerts")
    assert (code, out) == (3, "")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ERROR unknown twzrd-ops: Configuration file %s: .*repeat_hours.*\n$"
                    % re.escape(str(path)), err), err


def test_invalid_value_exits_3_and_names_the_setting(tmp_path, twzrd_ops):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"checks": {"swap_warning": 70, "swap_critical": 50}}))
    code, _out, err = twzrd_ops("--config", str(path), "restart")
    assert code == 3 and "swap_warning" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [[], ["--bogus", "health"], ["statuz"], ["health", "extra"]])
def test_usage_errors_exit_3_not_2(argv, twzrd_ops):
    code, out, err = twzrd_ops(*argv)
    assert (code, out) == (3, "")
    assert err.startswith("twzrd-ops: ") and err.count("\n") == 1


def test_unexpected_failure_is_one_line_and_exit_3(tmp_path, monkeypatch, twzrd_ops):
    # A bug cannot be produced on purpose with real parts, so one is planted: collect()
    # raising something that is not an OpsError.
    def broken_collect(*_args, **_kwargs):
        raise KeyError("pm2_env")

    monkeypatch.setattr(checks, "collect", broken_collect)
    path = tmp_path / "config.json"
    path.write_text("{}")
    code, _out, err = twzrd_ops("--config", str(path), "health")
    assert code == 3
    assert err == "internal error: KeyError: 'pm2_env'\n"


# --- as deployed: module_utils copied as the package twzrd_ops_lib -----------------------


@pytest.fixture
def deployed(tmp_path):
    lib = tmp_path / "lib" / "twzrd_ops_lib"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text("")
    for name in os.listdir(MODULE_UTILS):
        if name.endswith(".py"):
            shutil.copy(os.path.join(MODULE_UTILS, name), str(lib / name))
    return str(tmp_path / "lib")


def run_deployed(lib, *argv):
    code = "import sys; sys.path.insert(0, %r); from twzrd_ops_lib.cli import main; sys.exit(main())" % lib
    return subprocess.run([sys.executable, "-I", "-c", code] + list(argv), capture_output=True, text=True, timeout=120, check=False)


def test_deployed_package_runs_with_the_same_exit_codes(tmp_path, deployed, pm2_bin, pm2_home, web):
    config = make_config(tmp_path, pm2_bin, pm2_home, web, {"expected_apps": ["web", "gone"]})
    proc = run_deployed(deployed, "--config", config, "health")
    assert proc.returncode == 2, proc.stderr
    assert "Expected app gone is not known to PM2." in proc.stdout
    proc = run_deployed(deployed, "--config", str(tmp_path / "missing.json"), "health")
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_deployed_help_lists_the_subcommands(deployed):
    proc = run_deployed(deployed, "--help")
    assert proc.returncode == 0
    assert "{health,alerts,restart," in proc.stdout and "silence" in proc.stdout and "3 unknown" in proc.stdout
