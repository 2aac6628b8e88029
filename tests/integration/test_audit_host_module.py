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

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "apps", "worker.js")
SECRET = "AUDIT-ENV-S3CRET-VALUE"


def test_audit_reads_the_apps_in_one_task_and_never_an_env_value(run_playbook, tmp_path, pm2, pm2_bin, pm2_home, monkeypatch):
    monkeypatch.setenv("WORKER_TOKEN", SECRET)  # pm2 start hands its environment to the app
    pm2("start", WORKER, "--name", "worker")
    monkeypatch.delenv("WORKER_TOKEN")
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "twzrd_ops_become": False,
        "twzrd_ops_pm2_user": "",
        "twzrd_ops_pm2_path": pm2_bin,
        "twzrd_ops_pm2_home": pm2_home,
        "twzrd_ops_pm2_startup": False,
    }
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"box": host}}}))
    reports = tmp_path / "reports"
    proc = run_playbook("playbooks/audit.yml", "-i", str(inventory), "-e", "twzrd_ops_fleet_reports_dir=%s" % reports)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert SECRET not in out
    # One task reads the host: the audit play has the settings tasks (run once) and host_audit.
    assert out.count("TASK [Audit the host in one round trip") == 1
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
