"""twzrd_ops_alerts_weekly_report: the Monday cron job sends the report's summary through the
alert channels after the report (twzrd-ops notify --report), and only when asked. The job line
is rendered by Ansible from the role's own variables (roles/twzrd_ops/vars/main.yml)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

PLAY = """
- hosts: localhost
  gather_facts: false
  vars_files:
    - {root}/roles/twzrd_ops/defaults/main.yml
    - {root}/roles/twzrd_ops/vars/main.yml
  tasks:
    - ansible.builtin.copy:
        content: "{{{{ __twzrd_ops_cron_specs[0].job }}}}"
        dest: "{{{{ out }}}}"
"""


@pytest.mark.parametrize("asked", [False, True])
def test_the_monday_job_sends_the_summary_only_when_asked(tmp_path, asked):
    play = tmp_path / "play.yml"
    play.write_text(PLAY.format(root=ROOT))
    out = tmp_path / "job.txt"
    proc = subprocess.run(
        [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", "localhost,", "-c", "local", str(play),
         "-e", json.dumps({"out": str(out), "ansible_python_interpreter": sys.executable, "twzrd_ops_alerts_weekly_report": "true" if asked else "false"})],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    job = out.read_text()
    assert job.startswith("/usr/local/sbin/twzrd-ops health >> /var/log/twzrd-health.log 2>&1")
    if asked:
        assert job.endswith("; /usr/local/sbin/twzrd-ops notify --report >> /var/log/twzrd-health.log 2>&1")
    else:
        assert "notify" not in job
