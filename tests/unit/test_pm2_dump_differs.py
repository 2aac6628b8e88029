"""roles/twzrd_ops/files/pm2-dump-differs.py, the role's "must pm2 save run?" check: a
missing, truncated or corrupt dump.pm2 means "differs" (so pm2 save writes a good one),
never a traceback that stops setup.yml. Run as the role runs it: python3 FILE DUMP < jlist."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "roles", "twzrd_ops", "files", "pm2-dump-differs.py")
APP = {"name": "web", "pm2_env": {"name": "web", "pm_exec_path": "/srv/web.js", "pm_cwd": "/srv"}}


def _run(jlist, dump_path):
    proc = subprocess.run([sys.executable, SCRIPT, str(dump_path)], input=jlist, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return proc.stdout.strip()


def test_a_dump_that_holds_the_running_apps_is_the_same(tmp_path):
    dump = tmp_path / "dump.pm2"
    dump.write_text(json.dumps([APP]))
    assert _run("[PM2] banner\n" + json.dumps([APP]) + "\n", dump) == "same"


@pytest.mark.parametrize("content", ["", "[{\"name\": \"web\"", "garbage \x00\x01", "{\"name\": \"web\"}", "[\"web\", 3]", "null"])
def test_a_corrupt_dump_differs_so_pm2_save_rewrites_it(tmp_path, content):
    dump = tmp_path / "dump.pm2"
    dump.write_text(content)
    assert _run(json.dumps([APP]) + "\n", dump) == "differs"


def test_a_missing_dump_or_odd_jlist_output_differs(tmp_path):
    assert _run(json.dumps([APP]) + "\n", tmp_path / "absent.pm2") == "differs"
    dump = tmp_path / "dump.pm2"
    dump.write_text(json.dumps([APP]))
    assert _run("[{not json\n", dump) == "differs"
