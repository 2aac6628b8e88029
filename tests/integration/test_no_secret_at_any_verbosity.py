"""No secret at any verbosity: a password inside a health URL never reaches Ansible's
output, not even the module's invocation at -vvv; the rest of the URL stays readable.
Real parts: ansible against localhost, a real health endpoint on 127.0.0.1 that checks the
Basic credentials (tests/integration/servers.py)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from servers import closed_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "s3cr%40t-Pa55"  # percent-encoded in the URL: both spellings must stay hidden
DECODED = "s3cr@t-Pa55"


def run(module, args, env_extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".ansible", "collections"), **env_extra)
    cmd = [os.path.join(ROOT, ".venv", "bin", "ansible"), "localhost", "-m", module, "-a", json.dumps(args), "-vvv"]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("module, args", [
    ("twzrd.ops.health_probe", lambda url: {"url": url, "fail_on_unhealthy": False, "timeout": 1}),
    ("twzrd.ops.host_check", lambda url: {"kind": "status", "config": {"health_url": url, "health_timeout": 1,
                                                                       "pm2_path": "", "expected_apps": []}}),
    ("twzrd.ops.alert_check", lambda url: {"config_file": "/nonexistent/config.json",
                                           "checks": {"health_url": url, "health_timeout": 1, "pm2_path": ""}}),
])
def test_a_password_in_a_health_url_is_never_shown_even_at_vvv(module, args, tmp_path):
    url = "http://operator:%s@127.0.0.1:%d/health" % (SECRET, closed_port())
    proc = run(module, args(url), {"HOME": str(tmp_path)})
    output = proc.stdout + proc.stderr
    assert "module_args" in output or "invocation" in output, output[-2000:]  # -vvv really shows the invocation
    assert SECRET not in output and DECODED not in output
    assert "127.0.0.1" in output  # the URL itself stays readable
