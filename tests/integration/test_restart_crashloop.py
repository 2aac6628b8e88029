"""A restart does not call a crash-looping app healthy (issue 19): `twzrd-ops restart` (the real
command, in a child Python from the checkout), playbooks/restart.yml and emergency-crashloop.yml's
recover against localhost, with a real PM2 (private PM2_HOME).

The looping app runs 2.5 s, exits 1, and PM2 restarts it at once: it is online at almost every
single look (PM2 counts it stable, so it never turns "errored"), which is how the old one-look
verification called it healthy. The verification now watches for the settling time and counts
crashes (pm2.log) and restarts (counters) since the restart: restart_check.came_back. The
contrast: the real HTTP app tests/apps/healthy.js restarted the same way is OK.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from servers import closed_port, eventually

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
HEALTHY = os.path.join(os.path.dirname(HERE), "apps", "healthy.js")
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
# Written by the test: tests/apps/crash.js exits at start-up, so PM2 soon marks it errored (a
# state any one look sees); this one lives long enough to look online between its crashes.
LOOPING_JS = """'use strict';
console.log(`crashy started (pid ${process.pid})`);
setTimeout(() => { console.error('ERROR crashy: lost its upstream'); process.exit(1); }, 2500);
"""
CRASHED = re.compile(r"PM2 app crashy crashed (once|\d+ times) in the (\d+) s after the restart\.")


def restarts(pm2, name):
    return sum(p["pm2_env"]["restart_time"] for p in json.loads(pm2("jlist", "-s").stdout) if p["name"] == name)


def online(pm2, name):
    procs = [p for p in json.loads(pm2("jlist", "-s").stdout) if p["name"] == name]
    return bool(procs) and all(p["pm2_env"]["status"] == "online" for p in procs)


@pytest.fixture
def crashy(tmp_path, pm2):
    """The crash-looping app, started and seen crashing once."""
    script = tmp_path / "crashy.js"
    script.write_text(LOOPING_JS)
    pm2("start", str(script), "--name", "crashy", "-s")
    eventually(lambda: restarts(pm2, "crashy") >= 1, what="crashy crashed once")
    return "crashy"


@pytest.fixture
def okapp(pm2, pm2_bin, pm2_home):
    """tests/apps/healthy.js under PM2 as okapp; returns its health URL."""
    port = closed_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(PM2_HOME=pm2_home, PORT=str(port))  # pm2 start hands its environment to the app
    subprocess.run([pm2_bin, "start", HEALTHY, "--name", "okapp", "-s"], env=env, check=True, timeout=60)
    eventually(lambda: online(pm2, "okapp"), what="okapp online")
    return "http://127.0.0.1:%d/health" % port


def config(tmp_path, pm2_bin, pm2_home, apps, health_url=""):
    path = tmp_path / ("config-%s.json" % "-".join(apps))
    path.write_text(json.dumps({
        "checks": {"pm2_path": pm2_bin, "pm2_home": pm2_home, "expected_apps": [], "health_url": health_url,
                   "disk_paths": [], "log_paths": [], "load_mode": "absolute", "load_warning": 10000, "load_critical": 20000},
        "restart": {"apps": apps, "verify_retries": 5, "verify_delay": 1},
        "alerts": {"state_file": str(tmp_path / "state" / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")},
    }))
    return str(path)


def twzrd_ops(config_path, *argv):
    """The on-host command as cron runs it: a child Python importing the checkout's module_utils."""
    code = "import sys; from ansible_collections.twzrd.ops.plugins.module_utils.cli import main; sys.exit(main())"
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    return subprocess.run([sys.executable, "-c", code, "--config", config_path] + list(argv),
                          capture_output=True, text=True, timeout=180, check=False, env=env)


def test_cli_restart_reports_a_crash_looping_app_not_healthy(tmp_path, pm2, pm2_bin, pm2_home, crashy):
    eventually(lambda: online(pm2, "crashy"), what="crashy online")  # what one look sees: the old verification's OK
    proc = twzrd_ops(config(tmp_path, pm2_bin, pm2_home, ["crashy"]), "restart")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == ""
    # Caught while waiting for it to be online, or while watching it: a crash since the restart.
    assert CRASHED.search(proc.stdout), proc.stdout
    assert proc.stdout.splitlines()[-1].endswith(" restart: CRITICAL: the apps did not come back healthy")


def test_cli_restart_reports_a_healthy_app_ok(tmp_path, pm2, pm2_bin, pm2_home, okapp):
    before = restarts(pm2, "okapp")
    proc = twzrd_ops(config(tmp_path, pm2_bin, pm2_home, ["okapp"], okapp), "--json", "restart")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["verified"] is True and result["problems"] == [] and result["settle_seconds"] == 15
    assert any(line.endswith("verify: apps online and health endpoint healthy, no crash while watched for 15 s")
               for line in result["lines"]), result["lines"]
    assert restarts(pm2, "okapp") == before + 1  # restarted once, by the command


def playbook_vars(tmp_path, pm2_bin, pm2_home, apps, health_url=""):
    extra = {
        "twzrd_ops_hosts": "localhost", "twzrd_ops_become": False, "twzrd_ops_pm2_user": "",
        "twzrd_ops_pm2_home": pm2_home, "twzrd_ops_pm2_path": pm2_bin, "twzrd_ops_restart_apps": apps,
        "twzrd_ops_expected_apps": [], "twzrd_ops_health_url": health_url,
        "twzrd_ops_restart_log": str(tmp_path / "restart.log"), "twzrd_ops_restart_verify_delay": 1,
        "twzrd_ops_restart_settle_seconds": 6,
        "twzrd_ops_alerts_config_file": str(tmp_path / "config.json"),
        "ansible_python_interpreter": sys.executable,
    }
    (tmp_path / "config.json").write_text(json.dumps({"alerts": {"state_file": str(tmp_path / "alerts-state.json"),
                                                                 "log_file": str(tmp_path / "alerts.log")}}))
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(extra))
    return "@%s" % path


def test_restart_playbook_stops_at_a_crash_looping_app_and_passes_a_healthy_one(
        tmp_path, run_playbook, pm2, pm2_bin, pm2_home, crashy, okapp):
    proc = run_playbook("playbooks/restart.yml", "-i", "localhost,", "-c", "local",
                        "-e", playbook_vars(tmp_path, pm2_bin, pm2_home, ["crashy"]))
    assert proc.returncode != 0, proc.stdout
    text = " ".join(proc.stdout.split())  # the callback wraps long lines
    found = re.search(r"localhost +FAILED: PM2 app crashy crashed (\d+) times in the (\d+) s after the restart\.", text)
    assert found and int(found.group(1)) >= 2 and int(found.group(2)) >= 6, proc.stdout
    assert "Rollout stopped at localhost: PM2 app crashy crashed" in text

    proc = run_playbook("playbooks/restart.yml", "-i", "localhost,", "-c", "local",
                        "-e", playbook_vars(tmp_path, pm2_bin, pm2_home, ["okapp"], okapp))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"localhost +restarted and healthy: okapp; health 200 in \d+ ms", " ".join(proc.stdout.split())), proc.stdout
    counted = restarts(pm2, "okapp")
    proc = run_playbook("playbooks/restart.yml", "-i", "localhost,", "-c", "local", "--check",
                        "-e", playbook_vars(tmp_path, pm2_bin, pm2_home, ["okapp"], okapp))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "localhost checked (check mode, nothing restarted): okapp" in " ".join(proc.stdout.split()), proc.stdout
    assert restarts(pm2, "okapp") == counted
    # the silences of the runs were lifted
    state = json.loads((tmp_path / "alerts-state.json").read_text())
    assert state.get("silences", []) == []


def test_crashloop_recover_of_a_looping_app_names_its_crashes(tmp_path, run_playbook, pm2, pm2_bin, pm2_home, crashy):
    extra = playbook_vars(tmp_path, pm2_bin, pm2_home, [])
    proc = run_playbook("playbooks/emergency-crashloop.yml", "-i", "localhost,", "-c", "local", "-e", extra,
                        "-e", json.dumps({"twzrd_ops_crashloop_mode": "recover", "twzrd_ops_crashloop_app": "crashy",
                                          "twzrd_ops_crashloop_watch": 6, "twzrd_ops_fleet_reports_dir": str(tmp_path / "reports")}))
    assert proc.returncode != 0, proc.stdout
    text = " ".join(proc.stdout.split())  # the callback wraps long lines
    assert "crashy did not stay up for 6 s after the restart (PM2 app crashy crashed" in text, proc.stdout
    assert "it DID NOT stay up" in text


def test_a_playbook_of_ones_own_runs_the_restart_entry_point_with_its_summary(
        tmp_path, run_playbook, pm2, pm2_bin, pm2_home, crashy):
    """The README: "a playbook of your own can run the same flow". Outside the collection's
    playbooks/ directory the rescue's summary template must still be found (it lives in the
    role's templates/); it used to sit beside the collection's playbooks only."""
    own = tmp_path / "elsewhere" / "my-restart.yml"
    own.parent.mkdir()
    own.write_text("""- name: Our own restart of crashy
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The collection's restart flow
      ansible.builtin.import_role:
        name: twzrd.ops.twzrd_ops
        tasks_from: restart
""")
    proc = run_playbook(str(own), "-i", "localhost,", "-c", "local", "-e", playbook_vars(tmp_path, pm2_bin, pm2_home, ["crashy"]))
    text = " ".join(proc.stdout.split())
    assert proc.returncode != 0, proc.stdout
    assert "could not locate file" not in text and "restart-summary.j2" not in text, proc.stdout[-3000:]
    assert "Rollout stopped at localhost: PM2 app crashy crashed" in text, proc.stdout[-3000:]
