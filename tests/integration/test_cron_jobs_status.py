"""`twzrd-ops --version` and `twzrd-ops status` as real processes, after the jobs ran as cron
runs them (issue 24: "did the cron jobs run, and what did they do?"): the real command line
against a real PM2 and its app `web`, each run a process of its own, nothing in this process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The on-host command's entry point as /usr/local/sbin/twzrd-ops calls it, on the checkout's module_utils
# (with the test's Python: it has psutil, which the role installs on hosts as python3-psutil).
SCRIPT = "import sys; from ansible_collections.twzrd.ops.plugins.module_utils import cli; sys.exit(cli.main(sys.argv[1:]))"


def command(*argv):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".ansible", "collections"))
    proc = subprocess.run([sys.executable, "-c", SCRIPT] + list(argv), capture_output=True, text=True, env=env, timeout=300, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def galaxy_version():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        return re.search(r"^version: *(\S+)", handle.read(), re.M).group(1)


def config_file(tmp_path, pm2_bin, pm2_home, port):
    data = {
        "checks": {"pm2_path": pm2_bin, "pm2_home": pm2_home, "expected_apps": ["web"],
                   "health_url": "http://127.0.0.1:%d/health" % port, "health_retries": 0, "health_timeout": 2,
                   "load_mode": "absolute", "load_warning": 10000, "load_critical": 20000,
                   "swap_warning": 99, "swap_critical": 100, "disk_warning": 100, "disk_critical": 100,
                   "disk_paths": [str(tmp_path)], "log_paths": []},
        "reports": {"dir": str(tmp_path / "reports"), "keep_weeks": 2},
        "alerts": {"state_file": str(tmp_path / "state" / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")},
        "history": {"db_path": str(tmp_path / "history.sqlite")},
    }
    (tmp_path / "state").mkdir()  # the role creates the state directory (/var/lib/twzrd-ops)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_version_is_printed_by_the_real_command_without_a_configuration(tmp_path):
    code, out, err = command("--version", "--config", str(tmp_path / "missing.json"))
    assert (code, err) == (0, "")
    assert out == "twzrd-ops %s (twzrd.ops collection)\n" % galaxy_version()


def test_status_tells_what_each_job_did_after_real_runs(tmp_path, pm2_bin, pm2_home, web, pm2):
    cfg = config_file(tmp_path, pm2_bin, pm2_home, web)
    code, out, err = command("--config", cfg, "status")
    assert (code, err) == (0, ""), out
    assert out.splitlines()[0].startswith("twzrd-ops %s, " % galaxy_version())
    assert re.search(r"^  health +never ran", out, re.M) and re.search(r"^  alerts +never ran", out, re.M), out

    code, out, err = command("--config", cfg, "health")  # the Monday job
    assert code == 0, out + err
    code, out, err = command("--config", cfg, "alerts")  # the hourly job, all well
    assert code == 0, out + err
    pm2("stop", "web")
    code, out, err = command("--config", cfg, "alerts")  # the next hour: web is stopped
    assert code == 2, out + err

    code, out, err = command("--config", cfg, "status")
    assert (code, err) == (0, ""), out
    assert re.search(r"^  health +\S+Z \(\d+s ago\) exit 0 OK: ", out, re.M), out
    assert re.search(r"^  alerts +\S+Z \(\d+s ago\) exit 2 CRITICAL: ", out, re.M), out
    active = out.split("Active alerts: ", 1)[1].splitlines()
    assert active[0] != "none" and any(" since " in line and "web" in line for line in active[1:]), out
    assert "Active silences: none" in out

    code, out, err = command("--config", cfg, "--json", "status")
    data = json.loads(out)
    assert data["version"] == galaxy_version()
    assert (data["jobs"]["health"]["exit_code"], data["jobs"]["alerts"]["exit_code"]) == (0, 2)
    assert data["alerts"] and not any(alert["silenced"] for alert in data["alerts"])
