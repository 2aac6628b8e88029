"""pm2_reboot_ready through Ansible against a REAL PM2 (from npm, private PM2_HOME), real
node and PM2's own systemd template.

systemd is not PID 1 on this machine, so `pm2 startup` cannot run here (it writes
/etc/systemd/system and calls systemctl): the unit is PM2's own template
(lib/templates/init-scripts/systemd.tpl) filled the way `pm2 startup` fills it, written into
a temporary directory passed as unit_dir, with the *.wants link `systemctl enable` makes.
The molecule scenario `reboot` runs the real `pm2 startup` and real reboots.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess

import pytest

APPS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apps")
MODULE = "twzrd.ops.pm2_reboot_ready"
USER = pwd.getpwuid(os.geteuid()).pw_name


def pm2_package(pm2_bin):
    return os.path.dirname(os.path.dirname(os.path.realpath(pm2_bin)))


def write_unit(unit_dir, pm2_bin, pm2_home, node_dir, exec_start=None, enable=True):
    """The unit `pm2 startup systemd -u USER` writes: PM2's template, its substitutions."""
    with open(os.path.join(pm2_package(pm2_bin), "lib", "templates", "init-scripts", "systemd.tpl")) as handle:
        template = handle.read()
    text = (template.replace("%PM2_PATH%", exec_start or os.path.realpath(pm2_bin))
            .replace("%NODE_PATH%", node_dir).replace("%USER%", USER).replace("%HOME_PATH%", pm2_home))
    os.makedirs(os.path.join(unit_dir, "multi-user.target.wants"), exist_ok=True)
    path = os.path.join(unit_dir, "pm2-%s.service" % USER)
    with open(path, "w") as handle:
        handle.write(text)
    if enable:
        os.symlink(path, os.path.join(unit_dir, "multi-user.target.wants", os.path.basename(path)))
    return path


@pytest.fixture
def host(tmp_path, pm2_bin, pm2_home, pm2):
    """Real PM2 running the app web (tests/apps/worker.js), saved with `pm2 save`, and the
    unit for it in tmp_path/systemd."""
    env = dict(os.environ, PM2_HOME=pm2_home, PORT="0")
    subprocess.run([pm2_bin, "start", os.path.join(APPS, "worker.js"), "--name", "web", "-s"], env=env, check=True, timeout=60)
    pm2("save")
    unit_dir = str(tmp_path / "systemd")
    node_dir = os.path.dirname(os.path.realpath(subprocess.check_output(["sh", "-c", "command -v node"], text=True).strip()))
    write_unit(unit_dir, pm2_bin, pm2_home, node_dir)
    return {"unit_dir": unit_dir, "pm2_home": pm2_home, "node_dir": node_dir, "tmp": tmp_path}


def ready(run_module, host, pm2_bin, check=False, **extra):
    args = {"user": USER, "pm2_home": host["pm2_home"], "executable": pm2_bin, "unit_dir": host["unit_dir"], "expected": ["web"]}
    args.update(extra)
    return run_module(MODULE, args, check=check)


def test_a_saved_app_and_a_sound_unit_are_ready_and_node_really_ran(run_module, host, pm2_bin):
    result = ready(run_module, host, pm2_bin)
    assert result.get("failed") is not True, result.get("msg")
    assert result["ready"] is True, result["problems"]
    assert result["changed"] is False
    assert result["online"] == ["web"] and result["dump"]["apps"] == ["web"]
    assert result["unit"]["node"] == os.path.join(host["node_dir"], "node")
    assert result["node_path"] and os.path.basename(result["node_path"]) == "node"
    assert result["message"] is None and result["home"] == pwd.getpwnam(USER).pw_dir


def test_an_app_started_after_pm2_save_needs_pm2_save_and_pm2_save_fixes_it(run_module, host, pm2_bin, pm2):
    env = dict(os.environ, PM2_HOME=host["pm2_home"], PORT="0")
    subprocess.run([pm2_bin, "start", os.path.join(APPS, "worker.js"), "--name", "late", "-s"], env=env, check=True, timeout=60)
    result = ready(run_module, host, pm2_bin)
    assert result["ready"] is False
    assert result["repairs"] == ["pm2 save"]
    assert "lacks late, which is online now" in result["problems"][0]
    assert result["message"].startswith("A reboot now would not bring back: late (PM2's saved process list ")
    pm2("save")  # the runbook's repair, for real
    assert ready(run_module, host, pm2_bin)["ready"] is True


def test_check_mode_reads_the_same_and_touches_nothing(run_module, host, pm2_bin):
    dump = os.path.join(host["pm2_home"], "dump.pm2")
    before = os.stat(dump).st_mtime_ns, open(dump, "rb").read()
    os.unlink(os.path.join(host["unit_dir"], "multi-user.target.wants", "pm2-%s.service" % USER))
    result = ready(run_module, host, pm2_bin, check=True)
    assert result["ready"] is False and result["repairs"] == ["pm2 startup"]
    assert (os.stat(dump).st_mtime_ns, open(dump, "rb").read()) == before
    assert not os.path.lexists(os.path.join(host["unit_dir"], "multi-user.target.wants", "pm2-%s.service" % USER))


def test_unit_pointing_at_a_pm2_that_moved_with_its_node_needs_pm2_startup(run_module, host, pm2_bin, pm2_home):
    # pm2 startup was run from a Node.js install under node-v18 that the upgrade moved away.
    old = str(host["tmp"] / "node-v18")
    write_unit(str(host["tmp"] / "systemd2"), pm2_bin, pm2_home, old + "/bin",
               exec_start=old + "/lib/node_modules/pm2/bin/pm2")
    result = ready(run_module, host, pm2_bin, unit_dir=str(host["tmp"] / "systemd2"))
    assert result["ready"] is False and result["repairs"] == ["pm2 startup"] and result["unrepairable"] == []
    assert result["problems"][0] == ("The start-up unit pm2-%s.service starts %s/lib/node_modules/pm2/bin/pm2, which does not exist "
                                     "(moved or removed)." % (USER, old))


def test_a_node_that_does_not_run_is_caught_by_running_it(run_module, host, pm2_bin, pm2_home, tmp_path):
    # Stand-in: a node whose shared library the upgrade removed cannot be built safely here, so
    # the unit's first PATH directory holds a "node" that fails as such a binary does (127).
    broken = tmp_path / "node-broken" / "bin"
    broken.mkdir(parents=True)
    (broken / "node").write_text("#!/bin/sh\necho 'node: error while loading shared libraries: libnode.so.108' >&2\nexit 127\n")
    os.chmod(str(broken / "node"), 0o755)
    write_unit(str(tmp_path / "systemd3"), pm2_bin, pm2_home, str(broken))
    result = ready(run_module, host, pm2_bin, unit_dir=str(tmp_path / "systemd3"))
    assert result["ready"] is False and result["repairs"] == ["pm2 startup"]
    assert "exited with code 127 (node: error while loading shared libraries" in result["problems"][0]
    # run: false keeps to file checks: the file exists and is executable, so it passes
    assert ready(run_module, host, pm2_bin, unit_dir=str(tmp_path / "systemd3"), run=False)["ready"] is True


def test_a_node_that_hangs_is_stopped_at_the_deadline(run_module, host, pm2_bin, pm2_home, tmp_path):
    # Stand-in for a node that hangs on start (the real one cannot be made to): a script with a child.
    hung = tmp_path / "node-hung" / "bin"
    hung.mkdir(parents=True)
    marker = tmp_path / "child.pid"
    (hung / "node").write_text("#!/bin/sh\nsleep 300 &\necho $! > %s\nwait\n" % marker)
    os.chmod(str(hung / "node"), 0o755)
    write_unit(str(tmp_path / "systemd4"), pm2_bin, pm2_home, str(hung))
    result = ready(run_module, host, pm2_bin, unit_dir=str(tmp_path / "systemd4"), timeout=8)
    assert result.get("failed") is not True, result.get("msg")
    assert result["ready"] is False
    assert "did not finish within" in result["problems"][0]
    child = int(marker.read_text())
    assert not os.path.exists("/proc/%d" % child) or open("/proc/%d/stat" % child).read().split()[2] == "Z"


def test_pm2_not_running_is_a_problem_no_repair_fixes(run_module, tmp_path, pm2_bin):
    home = tmp_path / "idle"
    home.mkdir()
    result = run_module(MODULE, {"user": USER, "pm2_home": str(home), "executable": pm2_bin, "unit_dir": str(tmp_path),
                                 "expected": ["web"]})
    assert result.get("failed") is not True, result.get("msg")
    assert result["ready"] is False and result["online"] is None
    assert result["unrepairable"][0].startswith("PM2 could not be read: PM2 daemon is not running")
    assert not (home / "pm2.pid").exists()  # reading started no daemon


def test_secrets_of_the_saved_apps_never_leave_the_module(run_module, host, pm2_bin, pm2):
    env = dict(os.environ, PM2_HOME=host["pm2_home"], PORT="0", API_TOKEN="reboot-canary-5e1f")
    subprocess.run([pm2_bin, "start", os.path.join(APPS, "worker.js"), "--name", "tok", "-s"], env=env, check=True, timeout=60)
    pm2("save")
    assert "reboot-canary-5e1f" in open(os.path.join(host["pm2_home"], "dump.pm2")).read()
    result = ready(run_module, host, pm2_bin)
    assert "reboot-canary-5e1f" not in json.dumps(result)
