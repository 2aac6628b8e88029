"""playbooks/alerts.yml against a host that setup.yml has not touched (issue 21).

Without /etc/twzrd-ops/config.json the host's cron job does not exist yet; the playbook must
judge it with the inventory's twzrd_ops_* settings (thresholds, health URL), never silently
with the built-in defaults. A real HTTP server on 127.0.0.1 (tests/integration/servers.py)
stands in for the app's health endpoint and counts the probes; a real PM2 is read.
"""

from __future__ import annotations

import os

import yaml

from servers import HealthServers

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "apps", "worker.js")


def _inventory(tmp_path, pm2_bin, pm2_home, url):
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "twzrd_ops_become": False,
        "twzrd_ops_pm2_user": "",
        "twzrd_ops_pm2_path": pm2_bin,
        "twzrd_ops_pm2_home": pm2_home,
        "twzrd_ops_expected_apps": ["worker"],
        "twzrd_ops_health_url": url,
        "twzrd_ops_health_retries": 0,
        "twzrd_ops_disk_paths": [str(tmp_path)],
        "twzrd_ops_disk_warning": 100,
        "twzrd_ops_disk_critical": 100,
        "twzrd_ops_load_mode": "absolute",
        "twzrd_ops_load_warning": 10000,
        "twzrd_ops_load_critical": 20000,
        "twzrd_ops_swap_warning": 99,
        "twzrd_ops_swap_critical": 100,
        "twzrd_ops_alerts_config_file": str(tmp_path / "not-set-up" / "config.json"),
    }
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": {"fresh": host}}}))
    return str(path)


def test_alerts_on_a_host_without_config_probes_the_inventory_health_url(run_playbook, tmp_path, pm2, pm2_bin, pm2_home):
    pm2("start", WORKER, "--name", "worker")
    with HealthServers() as srv:
        inventory = _inventory(tmp_path, pm2_bin, pm2_home, srv.url("/error"))
        proc = run_playbook("playbooks/alerts.yml", "-i", inventory, "-e", "twzrd_ops_alerts_fail_on=critical")
        probes = [r["path"] for r in srv.requests]
    out = proc.stdout + proc.stderr
    # The inventory's URL was probed, and its failure is the host's alert: judged with the
    # inventory's settings (the built-in default URL is http://localhost:8080/health).
    assert probes == ["/error"], out
    assert "fresh: critical (health)" in out, out
    assert "fresh has critical alerts: health." in out
    assert proc.returncode != 0
    assert "does not exist (the host is not set up); the settings given by the playbook apply." in out
    assert not os.path.exists(str(tmp_path / "not-set-up"))


def test_alerts_on_a_host_without_config_is_ok_when_the_inventory_url_answers(run_playbook, tmp_path, pm2, pm2_bin, pm2_home):
    pm2("start", WORKER, "--name", "worker")
    with HealthServers() as srv:
        inventory = _inventory(tmp_path, pm2_bin, pm2_home, srv.url("/health"))
        proc = run_playbook("playbooks/alerts.yml", "-i", inventory, "-e", "twzrd_ops_alerts_fail_on=warning")
        probes = [r["path"] for r in srv.requests]
    out = proc.stdout + proc.stderr
    assert probes == ["/health"], out
    assert proc.returncode == 0, out
    assert "fresh: ok" in out
