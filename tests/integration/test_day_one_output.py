"""Issue 24, "output that can be read", with the real tools: ansible-playbook with a wrong
type in an extra variable (the collection's stdout callback), ansible-playbook's start (no
CryptographyDeprecationWarning), and `twzrd-ops restart` run by hand against a real PM2,
whose lines land in the Friday job's log as the job writes them."""

from __future__ import annotations

import json
import os
import subprocess

from conftest import ROLE_PLAY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_a_wrong_type_in_an_extra_variable_is_its_sentence_not_the_argument_spec(play):
    # The role stops at its argument check, before any task could touch this machine.
    proc = play(ROLE_PLAY, {"twzrd_ops_swap_warning": "lots"}, env={"ANSIBLE_STDOUT_CALLBACK": "twzrd.ops.runbook"})
    assert proc.returncode == 2
    sentence = "argument 'twzrd_ops_swap_warning' is of type str and we were unable to convert to int"
    assert sentence in proc.stdout
    assert "argument_spec_data" not in proc.stdout and "twzrd_ops_alerts_webhook_url" not in proc.stdout
    assert len(proc.stdout.splitlines()) < 30, proc.stdout  # issue 24 counted 615 lines
    assert "ok=0" in proc.stdout and "changed=0" in proc.stdout


def test_the_checkouts_ansible_cfg_uses_that_callback():
    with open(os.path.join(ROOT, "ansible.cfg")) as handle:
        assert "\nstdout_callback = twzrd.ops.runbook\n" in handle.read()


def test_ansible_starts_without_a_cryptography_warning(play):
    # ansible-core 2.19 imports cryptography's DSA names at every start; cryptography 51
    # deprecates them (requirements-tools.txt keeps it below 51: `make setup` installs that).
    proc = play("- hosts: localhost\n  gather_facts: false\n  tasks: []\n")
    assert proc.returncode == 0, proc.stderr
    assert "CryptographyDeprecationWarning" not in proc.stdout + proc.stderr


def config_file(tmp_path, pm2_bin, pm2_home, port):
    data = {
        "checks": {"pm2_path": pm2_bin, "pm2_home": pm2_home, "expected_apps": ["web"],
                   "health_url": "http://127.0.0.1:%d/health" % port, "health_retries": 20, "health_delay": 0.25,
                   "load_mode": "absolute", "load_warning": 10000, "load_critical": 20000,
                   "disk_paths": [str(tmp_path)], "log_paths": []},
        "reports": {"dir": str(tmp_path / "reports"), "keep_weeks": 2},
        "restart": {"apps": ["web"], "verify_retries": 5, "verify_delay": 1, "settle_seconds": 1,
                    "log_file": str(tmp_path / "twzrd-restart.log")},
        "alerts": {"state_file": str(tmp_path / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")},
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_a_restart_by_hand_is_logged_like_the_friday_job(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    # The role creates the log (twzrd_ops_restart_log, restart.log_file in config.json); here it lives in tmp_path.
    log = tmp_path / "twzrd-restart.log"
    log.write_text("2026-12-04T01:00:21Z restart: OK\n")
    code, out, err = twzrd_ops("--config", config_file(tmp_path, pm2_bin, pm2_home, web), "restart")
    assert (code, err) == (0, ""), out
    printed = out.splitlines()
    assert printed[-1].endswith(" restart: OK") and len(printed) >= 3
    assert log.read_text().splitlines() == ["2026-12-04T01:00:21Z restart: OK"] + printed


def test_the_cron_jobs_restart_is_written_once(tmp_path, pm2_bin, pm2_home, web):
    # The Friday job as cron runs it: `twzrd-ops restart >> LOG 2>&1`, the real command line.
    log = tmp_path / "twzrd-restart.log"
    log.write_text("")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, ".ansible", "collections"), os.environ.get("PYTHONPATH", "")]))
    script = "import sys; from ansible_collections.twzrd.ops.plugins.module_utils import cli; sys.exit(cli.main(sys.argv[2:]))"
    with open(str(log), "a") as handle:
        code = subprocess.run(["python3", "-c", script, str(log), "--config", config_file(tmp_path, pm2_bin, pm2_home, web),
                               "restart"], stdout=handle, stderr=subprocess.STDOUT, env=env, timeout=120, check=False).returncode
    lines = log.read_text().splitlines()
    assert code == 0, lines
    assert lines[-1].endswith(" restart: OK") and len(lines) == len(set(lines))
