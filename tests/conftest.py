"""Shared pytest fixtures for twzrd.ops.

Unit tests import module_utils straight from the checkout (as the package
ansible_collections.twzrd.ops.plugins.module_utils, through the collection link that
`make setup` creates). Integration tests run the real modules through Ansible against
localhost and drive a real PM2 installed from npm into .tools/ by scripts/test-env.sh.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
PM2_LOCAL = os.path.join(ROOT, ".tools", "node_modules", ".bin", "pm2")
VENV_BIN = os.path.dirname(sys.executable)

if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


def _ansible_env(extra=None):
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
            "ANSIBLE_NOCOLOR": "1",
            "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
        }
    )
    if extra:
        env.update(extra)
    return env


@pytest.fixture(scope="session")
def meminfo():
    """meminfo("MemTotal") -> bytes, read from this machine's /proc/meminfo (the tests' own
    reading, independent of the code under test)."""

    def read(key):
        with open("/proc/meminfo") as handle:
            for line in handle:
                name, _sep, value = line.partition(":")
                if name == key:
                    return int(value.split()[0]) * 1024
        raise KeyError(key)

    return read


@pytest.fixture(scope="session")
def run_module():
    """Run a module through `ansible localhost -m` and return its result dict.

    run_module("twzrd.ops.pm2_status", {"pm2_home": ...}, check=False, env=None)
    The result carries "failed" and "msg" as Ansible reports them.
    """

    def run(module, args=None, check=False, env=None):
        cmd = [os.path.join(VENV_BIN, "ansible"), "localhost", "-m", module]
        if args:
            # An empty "{}" would be taken as raw parameters, which modules refuse.
            cmd += ["-a", json.dumps(args)]
        if check:
            cmd.append("--check")
        proc = subprocess.run(
            cmd, cwd=ROOT, env=_ansible_env(env), capture_output=True, text=True, timeout=300, check=False
        )
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("ansible printed no JSON (rc=%s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
        result = data["plays"][0]["tasks"][0]["hosts"]["localhost"]
        result["_rc"] = proc.returncode
        result["_stdout"] = proc.stdout
        result["_stderr"] = proc.stderr
        return result

    return run


@pytest.fixture(scope="session")
def run_playbook():
    """Run ansible-playbook from the repo root; returns the CompletedProcess (text)."""

    def run(playbook, *args, env=None, timeout=900):
        cmd = [os.path.join(VENV_BIN, "ansible-playbook"), playbook] + list(args)
        extra = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}
        extra.update(env or {})
        return subprocess.run(
            cmd, cwd=ROOT, env=_ansible_env(extra), capture_output=True, text=True, timeout=timeout, check=False
        )

    return run


@pytest.fixture(scope="session")
def pm2_bin():
    """Path of the real pm2 (installed by scripts/test-env.sh); the test fails when absent."""
    path = PM2_LOCAL if os.path.exists(PM2_LOCAL) else shutil.which("pm2")
    assert path, "pm2 is not installed: run `make test-env` (scripts/test-env.sh) first"
    return path


@pytest.fixture
def pm2_home(tmp_path, pm2_bin):
    """A private PM2_HOME; the daemon started in it is killed after the test."""
    home = tmp_path / "pm2home"
    home.mkdir()
    yield str(home)
    env = dict(os.environ, PM2_HOME=str(home))
    subprocess.run([pm2_bin, "kill"], env=env, capture_output=True, timeout=60, check=False)


@pytest.fixture
def pm2(pm2_bin, pm2_home):
    """Run pm2 against the private PM2_HOME: pm2("start", "app.js", "--name", "x")."""

    def run(*args, check=True):
        env = dict(os.environ, PM2_HOME=pm2_home)
        proc = subprocess.run([pm2_bin] + list(args), env=env, capture_output=True, text=True, timeout=120, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("pm2 %s failed: %s %s" % (" ".join(args), proc.stdout, proc.stderr))
        return proc

    return run


@pytest.fixture
def pm2_daemon_home(tmp_path):
    """A PM2_HOME whose rpc.sock answers connections, so pm2.daemon_running() sees a daemon
    (for tests whose pm2 is a stand-in script); closed after the test."""
    import socket

    home = tmp_path / "pm2home"
    home.mkdir()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(home / "rpc.sock"))
    server.listen(16)
    yield str(home)
    server.close()
