"""Issue 24: the emergency flows' incident summaries fold repeated log lines (one line with its
count, the weekly report's form), end to end: the real playbooks against localhost, apps under
a real PM2 (private PM2_HOME) whose logs repeat the same error, the summary read from the
controller's reports directory and from the run's output."""

from __future__ import annotations

import glob
import json
import pathlib
import re
import sys

from servers import eventually

# An app that logs the same error 60 times (each line with PM2's own time stamp) and stays up.
NOISY_JS = """'use strict';
for (let i = 0; i < 60; i++) console.error('ERROR db: connect ECONNREFUSED 127.0.0.1:5432');
console.error('FATAL giving up on the cache');
setInterval(() => {}, 1000);
"""
# An app that crashes at once with the same error each time.
LOOPING_JS = """'use strict';
console.error('ERROR loopy: missing DATABASE_URL');
process.exit(1);
"""


def extra(tmp_path, pm2_bin, pm2_home, **more):
    values = {
        "twzrd_ops_hosts": "localhost", "twzrd_ops_become": False, "twzrd_ops_pm2_user": "",
        "twzrd_ops_pm2_home": pm2_home, "twzrd_ops_pm2_path": pm2_bin, "twzrd_ops_expected_apps": [],
        "twzrd_ops_health_url": "", "twzrd_ops_load_warning": 10000, "twzrd_ops_load_critical": 20000,
        "twzrd_ops_alerts_config_file": str(tmp_path / "config.json"),
        "twzrd_ops_fleet_reports_dir": str(tmp_path / "reports"), "ansible_python_interpreter": sys.executable,
    }
    values.update(more)
    (tmp_path / "config.json").write_text(json.dumps({"alerts": {"state_file": str(tmp_path / "alerts-state.json"),
                                                                 "log_file": str(tmp_path / "alerts.log")}}))
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(values))
    return "@%s" % path


def summary(tmp_path, flow):
    found = glob.glob(str(tmp_path / "reports" / ("incident-%s-localhost-*.md" % flow)))
    assert len(found) == 1, found
    with open(found[0], encoding="utf-8") as handle:
        return handle.read()


def test_the_load_incident_shows_a_repeated_error_once_with_its_count(tmp_path, run_playbook, pm2, pm2_bin, pm2_home):
    script = tmp_path / "noisy.js"
    script.write_text(NOISY_JS)
    pm2("start", str(script), "--name", "noisy", "--time", "-s")
    error_log = json.loads(pm2("jlist", "-s").stdout)[0]["pm2_env"]["pm_err_log_path"]
    eventually(lambda: "FATAL" in pathlib.Path(error_log).read_text(encoding="utf-8"), what="noisy logged")
    proc = run_playbook("playbooks/emergency-load.yml", "-i", "localhost,", "-c", "local", "-e", extra(tmp_path, pm2_bin, pm2_home))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = summary(tmp_path, "load")
    errors = text.split("## Errors", 1)[1].split("## Done", 1)[0]
    shown = [line for line in errors.splitlines() if line.startswith("    ")]
    assert len(shown) == 2, errors
    assert re.fullmatch(r"    \S+ ERROR db: connect ECONNREFUSED 127\.0\.0\.1:5432  \(60 times\)", shown[0]), shown
    assert shown[1].endswith(" FATAL giving up on the cache"), shown
    assert "(60 times)" in proc.stdout  # the printed summary is the same text


def test_the_crashloop_incident_shows_the_loops_line_once_with_its_count(tmp_path, run_playbook, pm2, pm2_bin, pm2_home):
    script = tmp_path / "loopy.js"
    script.write_text(LOOPING_JS)
    pm2("start", str(script), "--name", "loopy", "--restart-delay", "100", "-s")

    def crashes():
        return sum(p["pm2_env"]["restart_time"] for p in json.loads(pm2("jlist", "-s").stdout))

    eventually(lambda: crashes() >= 6, what="loopy crashed 6 times")
    proc = run_playbook("playbooks/emergency-crashloop.yml", "-i", "localhost,", "-c", "local",
                        "-e", extra(tmp_path, pm2_bin, pm2_home, twzrd_ops_crash_threshold=2))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = summary(tmp_path, "crashloop")
    assert "Stopped: loopy" in text, text
    logged = [line for line in text.split("## Last 100 log lines", 1)[1].splitlines() if "missing DATABASE_URL" in line]
    assert len(logged) == 1, text
    count = int(re.fullmatch(r"    ERROR loopy: missing DATABASE_URL  \((\d+) times\)", logged[0]).group(1))
    assert count >= 6
