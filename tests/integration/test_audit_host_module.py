"""playbooks/audit.yml as one host_audit task per host (issue 21, h15), against a real PM2.

A real app runs under the real PM2 with a secret in its environment; the audit lists the app
with its environment variable NAMES, warns that it has no max_memory_restart, and never reads
the secret's value into the output or the report. Real parts: ansible-playbook on this host,
PM2 from .tools, the reports on disk.
"""

from __future__ import annotations

import glob
import json
import os

from conftest import WORKER

SECRET = "AUDIT-ENV-S3CRET-VALUE"


def test_audit_reads_the_apps_in_one_task_and_never_an_env_value(run_playbook, tmp_path, pm2, local_host, monkeypatch):
    monkeypatch.setenv("WORKER_TOKEN", SECRET)  # pm2 start hands its environment to the app
    pm2("start", WORKER, "--name", "worker")
    monkeypatch.delenv("WORKER_TOKEN")
    inventory = local_host("box", twzrd_ops_pm2_startup=False)
    reports = tmp_path / "reports"
    proc = run_playbook("playbooks/audit.yml", "-i", inventory, "-e", "twzrd_ops_fleet_reports_dir=%s" % reports)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert SECRET not in out
    # One task reads the host: the audit play has the settings tasks (run once) and host_audit.
    assert len([line for line in out.splitlines()
                if line.startswith("TASK [") and "Audit the host in one round trip" in line]) == 1
    [report] = glob.glob(str(reports / "audit-*.json"))
    text = open(report).read()
    assert SECRET not in text
    result = json.loads(text)["hosts"][0]["result"]
    assert result["state"] == "checked", result
    [app] = [a for a in result["audit"]["apps"] if a["name"] == "worker"]
    assert "WORKER_TOKEN" in app["env_names"]
    levels = dict((c["check"], c) for c in result["audit"]["checks"])
    assert levels["max_memory_restart"]["level"] == "warning" and "worker" in levels["max_memory_restart"]["details"]
    assert "reboot_ready" not in levels  # twzrd_ops_pm2_startup false: the pre-reboot checks are not asked
    assert os.path.exists(str(reports / os.path.basename(report).replace(".json", ".md")))
