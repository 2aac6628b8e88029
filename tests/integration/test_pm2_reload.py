"""Zero-downtime reload of a cluster-mode app, through the pm2_process module and through
`twzrd-ops restart --mode reload`, with a client polling the app on 127.0.0.1 every 20 ms.

Real parts only: a real PM2 (private PM2_HOME) runs the real HTTP demo app tests/apps/healthy.js,
in cluster mode with 2 instances (node's cluster module shares the port; PM2 replaces one
instance at a time). The contrast that proves the client can see an outage: the same app in
fork mode, single instance, restarted (and "reloaded", which PM2 does by a restart) while
polled, does fail requests.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import subprocess
import sys
import threading

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import cli
from servers import closed_port as free_port, eventually

APPS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apps")
EVERY = 0.02  # the client's pause between two requests


class Poller(threading.Thread):
    """GET /health every EVERY seconds on a new connection; counts answers and failures."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.ok = 0
        self.failures = []
        self.pids = set()
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/health", headers={"Connection": "close"})
                response = conn.getresponse()
                body = response.read()
                if response.status == 200:
                    self.ok += 1
                    self.pids.add(json.loads(body.decode())["pid"])
                else:
                    self.failures.append("HTTP %d" % response.status)
            except (OSError, http.client.HTTPException, ValueError) as error:
                self.failures.append(repr(error))
            finally:
                conn.close()
            self.halt.wait(EVERY)

    def __enter__(self):
        self.start()
        eventually(lambda: self.ok >= 5, what="the client answered")
        return self

    def __exit__(self, *exc):
        # a few more answers after the action, so a late outage is seen too
        seen = self.ok + len(self.failures)
        eventually(lambda: self.ok + len(self.failures) >= seen + 10, what="ten more requests")
        self.halt.set()
        self.join(10)


@pytest.fixture
def app(pm2, pm2_home, pm2_bin):
    """app(name, instances or None) starts healthy.js under the private PM2 and returns
    (port, {pm_id: pid}) once every instance answers."""

    def start(name, instances=None):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        env.update(PM2_HOME=pm2_home, PORT=str(port))
        argv = [pm2_bin, "start", os.path.join(APPS, "healthy.js"), "--name", name, "-s"]
        subprocess.run(argv + (["-i", str(instances)] if instances else []), env=env, check=True, timeout=60)
        count = instances or 1
        eventually(lambda: len(pids(pm2, name)) == count and all(pids(pm2, name).values()), what="%s online" % name)
        eventually(lambda: _answers(port), what="%s answering" % name)
        return port, pids(pm2, name)

    return start


def pids(pm2, name):
    return dict((proc["pm_id"], proc["pid"] if proc["pm2_env"]["status"] == "online" else 0)
                for proc in json.loads(pm2("jlist", "-s").stdout) if proc["name"] == name)


def modes(pm2, name):
    return sorted(set(proc["pm2_env"]["exec_mode"] for proc in json.loads(pm2("jlist", "-s").stdout) if proc["name"] == name))


def _answers(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _process(run_module, pm2_home, pm2_bin, **args):
    args.update(pm2_home=pm2_home, executable=pm2_bin)
    return run_module("twzrd.ops.pm2_process", args)


def test_cluster_reload_through_the_module_fails_no_request(run_module, pm2, pm2_home, pm2_bin, app):
    port, before = app("api", instances=2)
    assert modes(pm2, "api") == ["cluster_mode"] and len(before) == 2
    with Poller(port) as poller:
        polled = poller.ok
        result = _process(run_module, pm2_home, pm2_bin, name=["api"], state="reloaded", wait=20)
        during = poller.ok + len(poller.failures) - polled
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and result["actions"] == [{"action": "reload", "names": ["api"], "pm_ids": sorted(before)}]
    assert not [w for w in result.get("warnings", []) if "cluster mode" in w]
    after = pids(pm2, "api")
    assert sorted(after) == sorted(before)
    for pm_id, pid in before.items():  # every instance was replaced
        assert after[pm_id] not in (0, pid), (before, after)
    assert poller.failures == [], poller.failures
    assert during >= 10, "the client made only %d requests during the reload" % during
    # the client was served by the old instances and by the new ones
    assert poller.pids & set(before.values()) and poller.pids & set(after.values())


@pytest.mark.parametrize("in_file, flag", [("restart", ["--mode", "reload"]), ("reload", [])], ids=["flag", "config"])
def test_restart_mode_reload_of_the_cli_fails_no_request_and_verifies(tmp_path, pm2, pm2_home, pm2_bin, app, in_file, flag):
    """`twzrd-ops restart --mode reload` by hand, and the Friday job (`twzrd-ops restart`, no
    option) on a host whose config.json says restart.mode reload (twzrd_ops_restart_mode)."""
    port, before = app("api", instances=2)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "checks": {"pm2_path": pm2_bin, "pm2_home": pm2_home, "expected_apps": ["api"],
                   "health_url": "http://127.0.0.1:%d/health" % port, "health_expect_keys": {"status": "ok"},
                   "load_mode": "absolute", "load_warning": 10000, "load_critical": 20000, "disk_paths": [str(tmp_path)]},
        "restart": {"apps": ["api"], "verify_retries": 5, "verify_delay": 1, "mode": in_file},
        "alerts": {"state_file": str(tmp_path / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")},
    }))
    out, err = io.StringIO(), io.StringIO()
    with Poller(port) as poller:
        code = cli.main(["--config", str(config), "restart"] + flag, out=out, err=err)
    assert (code, err.getvalue()) == (0, ""), out.getvalue()
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(" restart: reloading api as PM2 user (current user)")
    assert lines[-1].endswith(" restart: OK") and "verify: apps online and health endpoint healthy" in out.getvalue()
    after = pids(pm2, "api")
    assert all(after[pm_id] not in (0, pid) for pm_id, pid in before.items()), (before, after)
    assert poller.failures == [], poller.failures


def test_contrast_restart_and_reload_of_a_fork_mode_app_fail_requests(run_module, pm2, pm2_home, pm2_bin, app):
    """One fork-mode instance has nobody to take over while it restarts: the client sees
    refused connections. This is what the cluster tests above would see if reload were a
    restart; and a reload of a fork-mode app says so."""
    port, before = app("solo")
    assert modes(pm2, "solo") == ["fork_mode"]
    with Poller(port) as poller:
        result = _process(run_module, pm2_home, pm2_bin, name=["solo"], state="restarted", wait=20)
    assert not result.get("failed"), result.get("msg")
    assert pids(pm2, "solo")[0] not in (0, before[0])
    assert poller.failures, "a restart of a single fork-mode instance failed no request"
    assert all("ConnectionRefused" in failure for failure in poller.failures), poller.failures

    with Poller(port) as poller:
        result = _process(run_module, pm2_home, pm2_bin, name=["solo"], state="reloaded", wait=20)
    assert not result.get("failed"), result.get("msg")
    assert result["warnings"] == [
        "solo is not in cluster mode, so pm2 reload restarts it (a brief outage); only cluster-mode apps reload one instance at a time."]
    assert poller.failures, "a reload of a fork-mode app failed no request"


def test_restart_playbook_with_mode_reload_fails_no_request_and_verifies(tmp_path, run_playbook, pm2, pm2_home, pm2_bin, app):
    """playbooks/restart.yml -e twzrd_ops_restart_mode=reload on this machine (connection local,
    the connecting user's own PM2, no become): reload, then the same verification as a restart."""
    port, before = app("api", instances=2)
    extra = {
        "twzrd_ops_hosts": "localhost", "twzrd_ops_become": False, "twzrd_ops_pm2_user": "",
        "twzrd_ops_pm2_home": pm2_home, "twzrd_ops_pm2_path": pm2_bin, "twzrd_ops_restart_apps": ["api"],
        "twzrd_ops_expected_apps": ["api"], "twzrd_ops_health_url": "http://127.0.0.1:%d/health" % port,
        "twzrd_ops_restart_log": str(tmp_path / "restart.log"), "twzrd_ops_restart_verify_delay": 1,
        "twzrd_ops_restart_mode": "reload",
        # the restart's alert silences go to a state file of this test, not the machine's
        "twzrd_ops_alerts_config_file": str(tmp_path / "config.json"),
        "ansible_python_interpreter": sys.executable,  # the test's venv (psutil), not interpreter discovery
    }
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    (tmp_path / "config.json").write_text(json.dumps({"alerts": {"state_file": str(tmp_path / "alerts-state.json"),
                                                                 "log_file": str(tmp_path / "alerts.log")}}))
    with Poller(port) as poller:
        proc = run_playbook("playbooks/restart.yml", "-i", "localhost,", "-c", "local", "-e", "@%s" % (tmp_path / "extra.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "localhost            reloaded and healthy" in proc.stdout and "[WARNING]" not in proc.stderr, proc.stderr
    after = pids(pm2, "api")
    assert all(after[pm_id] not in (0, pid) for pm_id, pid in before.items()), (before, after)
    assert poller.failures == [], poller.failures
    assert " PLANNED reload by playbooks/restart.yml: api" in (tmp_path / "restart.log").read_text()
