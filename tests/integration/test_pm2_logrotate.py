"""PM2's own log rotated by the role's logrotate configuration, crash counting across it.

Real parts only: a real PM2 daemon (private PM2_HOME) runs the real crashing demo app
(tests/apps/crash.js), so pm2.log holds real "App [crashy:N] exited" lines; the role's own
task file (tasks/logrotate.yml, through ansible-playbook) renders /etc/logrotate.d/twzrd-ops
into a temporary file, and Debian's real logrotate (installed by scripts/test-env.sh) rotates
with it, twice: pm2.log -> pm2.log.1 -> pm2.log.2.gz. The count through pm2_status must equal
the count of the same log never rotated (a copy of pm2.log taken before each rotation, while
the crashed app writes nothing).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import pm2 as pm2_utils
from servers import eventually

APPS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apps")
CRASH_LINE = re.compile(rb"App \[crashy:\d+\] exited with code \[1\]")


@pytest.fixture
def crashy(pm2, pm2_home):
    """crashy() runs the crash loop once more and returns when PM2 gave up on it (errored)."""
    runs = {"restarts": -1}

    def state():
        procs = [proc for proc in json.loads(pm2("jlist", "-s").stdout) if proc["name"] == "crashy"]
        return procs[0]["pm2_env"] if procs else None

    def crash_loop():
        if runs["restarts"] < 0:
            pm2("start", os.path.join(APPS, "crash.js"), "--name", "crashy", "-s")
        else:
            pm2("restart", "crashy", "-s")
        previous = runs["restarts"]

        def gave_up():
            env = state()
            return env if env and env["status"] == "errored" and env["restart_time"] > previous else None

        env = eventually(gave_up, what="crashy errored after its crash loop")
        runs["restarts"] = env["restart_time"]

    return crash_loop


@pytest.fixture(scope="session")
def logrotate(require_tool):
    return require_tool("logrotate", "it rotates pm2.log with the role's configuration")


@pytest.fixture
def logrotate_conf(tmp_path, pm2_home, run_playbook):
    """The role's logrotate configuration for this PM2_HOME, written by the role's own task
    file; the twzrd logs point into tmp_path, the sizes are small so that logrotate rotates
    by size (maxsize) on its first run, as it would on a host once pm2.log outgrew it."""
    if os.geteuid() != 0:
        # The task file writes the configuration owned by root and `su root root` into it, as on
        # a host (logrotate runs as root): not something a user's run can do without becoming root.
        pytest.skip("the role's logrotate task writes a root-owned configuration: run as root (make test does)")
    conf = tmp_path / "twzrd-ops.logrotate"
    playbook = tmp_path / "logrotate.yml"
    playbook.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.import_role:\n        name: twzrd.ops.twzrd_ops\n        tasks_from: logrotate\n"
    )
    extra = {
        "__twzrd_ops_logrotate_file": str(conf),
        "__twzrd_ops_pm2_home": pm2_home,
        "twzrd_ops_pm2_user": "root",  # the test's PM2 runs as root in a 0700 tmp directory
        "twzrd_ops_health_log": str(tmp_path / "health.log"),
        "twzrd_ops_alerts_log": str(tmp_path / "alerts.log"),
        "twzrd_ops_restart_log": str(tmp_path / "restart.log"),
        "twzrd_ops_logrotate_pm2_log_maxsize": "1k",
        "twzrd_ops_logrotate_app_maxsize": "100",
    }
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    proc = run_playbook(str(playbook), "-e", "@%s" % (tmp_path / "extra.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return str(conf)


def rotate(logrotate, conf, state):
    proc = subprocess.run([logrotate, "-v", "-s", state, conf], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stderr


def test_role_config_rotates_pm2_log_by_size_and_the_app_logs_by_default(logrotate_conf, pm2_home, logrotate):
    text = open(logrotate_conf).read()
    block = text[text.index("%s/pm2.log\n" % pm2_home):]
    block = block[: block.index("}")]
    # su USER GROUP, the group being the user's primary group (`id -gn`), here root's
    for line in ("weekly", "maxsize 1k", "rotate 4", "copytruncate", "delaycompress", "compress", "su root root"):
        assert "\n    %s\n" % line in block, (line, block)
    apps = text[text.index("%s/logs/*.log\n" % pm2_home):]
    assert "maxsize 100\n" in apps and "rotate 8\n" in apps and "copytruncate" in apps
    proc = subprocess.run([logrotate, "-d", logrotate_conf], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and not re.search(r"(?m)^error", proc.stderr), proc.stderr


def test_crash_count_across_two_rotations_equals_the_count_without_rotation(tmp_path, pm2_home, crashy, logrotate_conf, run_module, pm2_bin, logrotate):
    log = os.path.join(pm2_home, "pm2.log")
    state = str(tmp_path / "logrotate.state")
    unrotated = tmp_path / "pm2.log.unrotated"  # what pm2.log would be without rotation

    crashy()
    shutil.copyfile(log, str(unrotated))  # crashy is errored: PM2 writes nothing meanwhile
    said = rotate(logrotate, logrotate_conf, state)
    assert "copying %s to %s.1" % (log, log) in said and "truncating %s" % log in said
    assert os.path.getsize(log) == 0 and CRASH_LINE.search(open(log + ".1", "rb").read())
    # the app's own log (crash.js writes an ERROR line at each start) is rotated too
    assert os.path.exists(os.path.join(pm2_home, "logs", "crashy-error.log.1"))

    crashy()  # PM2 keeps writing the truncated pm2.log (O_APPEND)
    with open(log, "rb") as handle:
        second = handle.read()
    assert CRASH_LINE.search(second) and not second.startswith(b"\0")
    with open(str(unrotated), "ab") as handle:
        handle.write(second)
    rotate(logrotate, logrotate_conf, state)
    assert os.path.exists(log + ".2.gz") and os.path.exists(log + ".1")  # delaycompress: .1 plain

    crashy()
    with open(log, "rb") as handle, open(str(unrotated), "ab") as out:
        out.write(handle.read())

    with open(str(unrotated), "rb") as handle:
        expected = len(CRASH_LINE.findall(handle.read()))
    parts = [gzip.open(log + ".2.gz").read(), open(log + ".1", "rb").read(), open(log, "rb").read()]
    assert all(CRASH_LINE.search(part) for part in parts)  # every file holds crashes of the window
    assert expected == sum(len(CRASH_LINE.findall(part)) for part in parts) and expected >= 3 * 10

    now = time.time()
    reference = pm2_utils.crash_events(str(unrotated), now - 3600, now)
    assert len(reference) == expected
    assert len(pm2_utils.crash_events(log, now - 3600, now)) == expected
    assert len(pm2_utils.crash_events(log, now - 3600, now)) > len(CRASH_LINE.findall(parts[2]))

    status = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "crash_window": 3600})
    assert not status.get("failed"), status.get("msg")
    assert status["summary"]["crashes"] == {"crashy": expected}
    assert status["summary"]["crash_loop"] is True and not status.get("warnings")

    # a corrupt compressed copy: said in one warning, the crashes of the other two still counted
    with open(log + ".2.gz", "r+b") as handle:
        handle.seek(12)
        handle.write(b"\xff" * 64)
    status = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "crash_window": 3600})
    assert not status.get("failed"), status.get("msg")
    assert status["summary"]["crashes"] == {"crashy": expected - len(CRASH_LINE.findall(parts[0]))}
    (warning,) = [w for w in status["warnings"] if "rotated log" in w]
    assert warning.startswith("Cannot read PM2's rotated log %s.2.gz (" % log)
