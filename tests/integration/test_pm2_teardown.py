"""The teardown of a private PM2_HOME (conftest.stop_pm2), which replaced `pm2 kill` to save
1-3 s a test: it must leave nothing behind, or every PM2 test would leak a daemon and its apps
into the rest of the run (a real PM2 7, a real app answering HTTP, a cluster of two)."""

from __future__ import annotations

import os
import subprocess
import urllib.request

from conftest import APPS, _pm2_home_of, _processes, stop_pm2
from servers import closed_port, eventually


def _left(home):
    """Pids of live processes whose environment names this PM2_HOME."""
    return [pid for pid in _processes() if _pm2_home_of(pid) == home]


def _answers(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_stop_pm2_kills_the_daemon_and_every_app_below_it(tmp_path, pm2_bin):
    home = str(tmp_path / "pm2home")
    os.mkdir(home)
    env = dict(os.environ, PM2_HOME=home)
    port, other = closed_port(), closed_port()
    for name, script, extra, app_port in (("web", "healthy.js", [], port), ("pair", "healthy.js", ["-i", "2"], other)):
        subprocess.run([pm2_bin, "start", os.path.join(APPS, script), "--name", name, "-s"] + extra,
                       env=dict(env, PORT=str(app_port)), check=True, timeout=60, capture_output=True)
    eventually(lambda: _answers(port) and _answers(other), limit=30.0, what="both apps answering")
    before = _left(home)
    assert len(before) >= 4, before  # the daemon, web and the cluster's two workers

    stop_pm2(home)

    assert _left(home) == []
    assert not _answers(port) and not _answers(other)
    assert not any(pid in _processes() for pid in before)


def test_stop_pm2_of_a_home_no_daemon_ever_used_starts_nothing(tmp_path):
    home = str(tmp_path / "unused")
    os.mkdir(home)
    stop_pm2(home)
    assert os.listdir(home) == [] and _left(home) == []  # `pm2 kill` spawned a daemon here first
