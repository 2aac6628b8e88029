"""PM2 5.x and 6.x beside 7.x: what the collection reads from PM2 and asks of it, through each
major version of the real PM2 from npm (many VPSes still run 5.x). PM2 7 is the suite's own:
every other PM2 test (and molecule) runs it, so it is not run a second time here.

For each version, its own PM2 daemon with its own PM2_HOME (a temporary folder) runs the real
demo apps of tests/apps/, and:
- pm2_status (module_utils/pm2.py, the code of the pm2_status and host_check modules and of the
  on-host command, with the real subprocess runner) reads `pm2 jlist` of that version;
- crash counting from that version's pm2.log: a kill -9 is one crash, restart / reload /
  stop / start are none, an app that crashes at start is a crash loop;
- pm2_action "reloaded" (the code of pm2_process state=reloaded and `twzrd-ops restart --mode
  reload`) reloads a two-instance cluster-mode app (every instance replaced);
- `pm2 startup systemd -u USER --hp HOME`, the command the role runs (tasks/pm2_startup.yml),
  runs for real: that version's own code fills its own unit template and lists its commands.
  Stand-in: systemd is not PID 1 on this machine, so the command runs in a private mount
  namespace (`unshare --mount`) where /etc/systemd/system is an empty tmpfs, and `systemctl`
  on its PATH is a script that records its arguments (and makes the *.wants link that
  `systemctl enable` makes). The unit it wrote is then judged by pm2_reboot_ready.
  The molecule scenario `reboot` runs the real `pm2 startup` of PM2 7 under systemd.
  This one goes through Ansible (the pm2_reboot_ready module); the others call module_utils
  directly, which keeps the two extra versions to well under a minute of the suite
  (tests/integration/test_pm2_modules.py and test_pm2_reload.py run the modules on PM2 7).

PM2 5 and 6 are installed by scripts/test-env.sh into .tools/pm2-versions/<major>/
(TWZRD_PM2_VERSIONS_DIR moves them); PM2 7 is the suite's own (.tools/node_modules/.bin/pm2).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import pm2 as pm2_utils
from ansible_collections.twzrd.ops.plugins.module_utils import pm2_action
from ansible_collections.twzrd.ops.plugins.module_utils.common import subprocess_runner

from conftest import APPS, PM2_LOCAL, ROOT, stop_pm2
from servers import closed_port as free_port
from servers import eventually
from servers import health_json as health

VERSIONS_DIR = os.environ.get("TWZRD_PM2_VERSIONS_DIR") or os.path.join(ROOT, ".tools", "pm2-versions")
USER = pwd.getpwuid(os.geteuid()).pw_name


def _binary(major):
    if major == "7":
        return PM2_LOCAL
    return os.path.join(VERSIONS_DIR, major, "node_modules", ".bin", "pm2")


class Pm2(object):
    """One PM2 version with its own PM2_HOME (HOME/.pm2, as `pm2 startup --hp HOME` expects)."""

    def __init__(self, major, path, home):
        self.major = major
        self.path = path
        self.home = home
        self.pm2_home = os.path.join(home, ".pm2")
        os.makedirs(self.pm2_home)

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        env.update(PM2_HOME=self.pm2_home, **extra)
        return env

    def __call__(self, *args, **env):
        proc = subprocess.run([self.path] + list(args), env=self.env(**env), capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, "pm2 %s (%s) failed: %s %s" % (" ".join(args), self.major, proc.stdout, proc.stderr)
        return proc.stdout

    def jlist(self):
        return json.loads(self("jlist", "-s"))

    def pids(self, name):
        return dict((proc["pm_id"], proc["pid"] if proc["pm2_env"]["status"] == "online" else 0)
                    for proc in self.jlist() if proc["name"] == name)

    def statuses(self, name):
        return sorted(proc["pm2_env"]["status"] for proc in self.jlist() if proc["name"] == name)

    def restarts(self, name):
        return sum(proc["pm2_env"]["restart_time"] for proc in self.jlist() if proc["name"] == name)

    def start(self, name, script, *extra, **env):
        self("start", os.path.join(APPS, script), "--name", name, "-s", *extra, **env)


@pytest.fixture(params=["5", "6"], ids=lambda major: "pm2-%s" % major)
def pm2v(request, tmp_path):
    major = request.param
    path = _binary(major)
    if not os.access(path, os.X_OK):
        pytest.fail("PM2 %s is not installed at %s: run `make test-env` (scripts/test-env.sh installs it)." % (major, path))
    pm2 = Pm2(major, path, str(tmp_path / "home"))
    version = subprocess.run([path, "--version"], env=pm2.env(), capture_output=True, text=True, timeout=60, check=True).stdout
    assert version.strip().splitlines()[-1].split(".")[0] == major, version  # the binary is the version it claims
    yield pm2
    stop_pm2(pm2.pm2_home)


def _status(pm2, **args):
    return pm2_utils.pm2_status(subprocess_runner(), pm2_path=pm2.path, pm2_home=pm2.pm2_home, **args)


def test_pm2_status_reads_jlist_of_each_version(pm2v):
    port = free_port()
    pm2v.start("web", "healthy.js", PORT=str(port))
    eventually(lambda: health(port), what="web answering under PM2 %s" % pm2v.major)
    result = _status(pm2v, expected=["web", "absent"])
    assert result["installed"] is True and result["daemon_running"] is True and not result.get("warnings")
    (proc,) = result["processes"]
    assert (proc["name"], proc["status"], proc["exec_mode"], proc["pid"]) == ("web", "online", "fork", health(port)["pid"])
    assert proc["memory"] > 1024 * 1024 and proc["uptime"] >= 0
    assert proc["out_log"] == os.path.join(pm2v.pm2_home, "logs", "web-out.log")
    summary = result["summary"]
    assert (summary["total"], summary["online"], summary["not_online"], summary["missing"]) == (1, 1, [], ["absent"])


def test_crashes_are_counted_from_the_pm2_log_of_each_version(pm2v):
    port = free_port()
    pm2v.start("web", "healthy.js", PORT=str(port))
    eventually(lambda: health(port), what="web answering")
    for action in ("restart", "reload", "stop", "start"):
        pm2v(action, "web")
    eventually(lambda: health(port), what="web back after start")
    assert _status(pm2v)["summary"]["crashes"] == {"web": 0}
    pid = pm2v.pids("web")[0]
    os.kill(pid, 9)
    eventually(lambda: pm2v.pids("web")[0] not in (0, pid) and health(port), what="PM2 %s restarting web after kill -9" % pm2v.major)
    pm2v.start("crashy", "crash.js")
    # PM2 7 gives up on it (errored) after 15 quick restarts; PM2 5 on a busy machine keeps
    # restarting it: wait for six restarts, each the exit of a crash in pm2.log.
    eventually(lambda: pm2v.restarts("crashy") >= 6, what="PM2 %s restarting crashy six times" % pm2v.major)
    summary = _status(pm2v)["summary"]
    assert summary["crashes"]["web"] == 1 and summary["crashes"]["crashy"] >= 6, summary["crashes"]
    assert summary["crash_loop"] is True and summary["crash_loop_apps"] == ["crashy"]


def test_reload_replaces_every_instance_of_a_cluster_app_in_each_version(pm2v):
    port = free_port()
    pm2v.start("api", "healthy.js", "-i", "2", PORT=str(port))
    eventually(lambda: len(pm2v.pids("api")) == 2 and all(pm2v.pids("api").values()) and health(port), what="api online")
    before = pm2v.pids("api")
    result = pm2_action.pm2_action(subprocess_runner(), "reloaded", ["api"], pm2_path=pm2v.path, pm2_home=pm2v.pm2_home,
                                   wait_online=20)
    assert result["changed"] is True and result["actions"] == [{"action": "reload", "names": ["api"], "pm_ids": sorted(before)}]
    assert result["not_online"] == []
    after = pm2v.pids("api")
    assert sorted(after) == sorted(before)
    assert all(after[pm_id] not in (0, pid) for pm_id, pid in before.items()), (before, after)
    assert health(port)["status"] == "ok"


RECORDING_SYSTEMCTL = """#!/bin/sh
# Stand-in for systemctl (systemd is not PID 1 here): records the call; `enable UNIT` makes the
# multi-user.target.wants link that systemctl makes from the unit's WantedBy.
echo "$*" >> "$SYSTEMCTL_CALLS"
if [ "$1" = enable ]; then
  mkdir -p /etc/systemd/system/multi-user.target.wants
  ln -sf "/etc/systemd/system/$2.service" "/etc/systemd/system/multi-user.target.wants/$2.service"
fi
"""


def test_pm2_startup_of_each_version_writes_a_unit_pm2_reboot_ready_accepts(run_module, pm2v, tmp_path):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("`pm2 startup` runs as root in a private mount namespace (unshare --mount): run as root (make test does)")
    pm2v.start("web", "worker.js", PORT="0")
    eventually(lambda: pm2v.statuses("web") == ["online"], what="web online")
    pm2v("save")
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "systemctl").write_text(RECORDING_SYSTEMCTL)
    (fake / "systemctl").chmod(0o755)
    out = tmp_path / "systemd"
    # The role's argv (tasks/pm2_startup.yml), run where /etc/systemd/system is a private tmpfs;
    # what pm2 wrote there is copied out before the namespace ends.
    script = ('set -e; mount -t tmpfs tmpfs /etc/systemd/system; "$PM2" startup systemd -u "$PM2_USER" --hp "$USER_HOME"; '
              'cp -a /etc/systemd/system/. "$OUT"')
    env = pm2v.env(PATH="%s:%s" % (fake, os.environ["PATH"]), PM2=pm2v.path, PM2_USER=USER, USER_HOME=pm2v.home,
                   OUT=str(out), SYSTEMCTL_CALLS=str(tmp_path / "calls"))
    out.mkdir()
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "calls").read_text().splitlines() == ["enable pm2-%s" % USER]
    unit = out / ("pm2-%s.service" % USER)
    text = unit.read_text()
    assert "Environment=PM2_HOME=%s\n" % pm2v.pm2_home in text and "User=%s\n" % USER in text, text
    assert os.path.realpath(os.path.join(out, "multi-user.target.wants", unit.name)) == "/etc/systemd/system/" + unit.name
    os.unlink(os.path.join(out, "multi-user.target.wants", unit.name))  # the link, as it points on a real host
    os.symlink(str(unit), os.path.join(out, "multi-user.target.wants", unit.name))
    result = run_module("twzrd.ops.pm2_reboot_ready", {"user": USER, "pm2_home": pm2v.pm2_home, "executable": pm2v.path,
                                                       "unit_dir": str(out), "expected": ["web"]})
    assert not result.get("failed"), result.get("msg")
    assert result["ready"] is True, result["problems"]
    assert result["online"] == ["web"] and result["dump"]["apps"] == ["web"]
    # The unit resurrects with this version's pm2 (PM2 writes the path of its own bin/pm2).
    assert os.path.realpath(text.split("ExecStart=")[1].split()[0]) == os.path.realpath(pm2v.path)
