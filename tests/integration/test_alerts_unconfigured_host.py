"""playbooks/alerts.yml against a host that setup.yml has not touched (issue 21).

Without /etc/twzrd-ops/config.json the host's cron job does not exist yet; the playbook must
judge it with the inventory's twzrd_ops_* settings (thresholds, health URL), never silently
with the built-in defaults. A real HTTP server on 127.0.0.1 (tests/integration/servers.py)
stands in for the app's health endpoint and counts the probes; a real PM2 is read.
"""

from __future__ import annotations

import os

from conftest import WORKER
from servers import HealthServers


def _alerts_run(run_playbook, tmp_path, pm2, local_host, path, fail_on):
    """alerts.yml on the fresh host whose inventory names a health URL of a real server;
    returns (the playbook's process, its output, the paths the server was asked for)."""
    pm2("start", WORKER, "--name", "worker")
    with HealthServers() as srv:
        inventory = local_host(
            "fresh",
            twzrd_ops_expected_apps=["worker"],
            twzrd_ops_health_url=srv.url(path),
            twzrd_ops_health_retries=0,
            twzrd_ops_disk_paths=[str(tmp_path)],
            twzrd_ops_disk_warning=100,
            twzrd_ops_disk_critical=100,
            twzrd_ops_load_mode="absolute",
            twzrd_ops_load_warning=10000,
            twzrd_ops_load_critical=20000,
            twzrd_ops_swap_warning=99,
            twzrd_ops_swap_critical=100,
            twzrd_ops_alerts_config_file=str(tmp_path / "not-set-up" / "config.json"),
        )
        proc = run_playbook("playbooks/alerts.yml", "-i", inventory, "-e", "twzrd_ops_alerts_fail_on=" + fail_on)
        probes = [r["path"] for r in srv.requests]
    return proc, proc.stdout + proc.stderr, probes


def test_alerts_on_a_host_without_config_probes_the_inventory_health_url(run_playbook, tmp_path, pm2, local_host):
    proc, out, probes = _alerts_run(run_playbook, tmp_path, pm2, local_host, "/error", "critical")
    # The inventory's URL was probed, and its failure is the host's alert: judged with the
    # inventory's settings (the built-in default URL is http://localhost:8080/health).
    assert probes == ["/error"], out
    assert "fresh: critical (health)" in out, out
    assert "fresh has critical alerts: health." in out
    assert proc.returncode != 0
    assert "does not exist (the host is not set up); the settings given by the playbook apply." in out
    assert not os.path.exists(str(tmp_path / "not-set-up"))


def test_alerts_on_a_host_without_config_is_ok_when_the_inventory_url_answers(run_playbook, tmp_path, pm2, local_host):
    proc, out, probes = _alerts_run(run_playbook, tmp_path, pm2, local_host, "/health", "warning")
    assert probes == ["/health"], out
    assert proc.returncode == 0, out
    assert "fresh: ok" in out
