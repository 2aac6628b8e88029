"""weekly-health.yml -e twzrd_ops_fleet_source=prometheus (issue 23): the fleet report built from
Prometheus's HTTP API with no task per host, end to end with a real Prometheus (Debian's
`prometheus`) scraping real node_exporters' textfile collectors on 127.0.0.1
(tests/integration/prometheus_fleet.py). The hosts of the inventory are never contacted:
their ansible_host is a closed port."""

from __future__ import annotations

import glob
import json
import os
import time

import pytest
import yaml

from prometheus_fleet import NODE_EXPORTER, PROMETHEUS, Fleet, textfile
from servers import closed_port

pytestmark = pytest.mark.skipif(not (os.path.exists(PROMETHEUS) and os.path.exists(NODE_EXPORTER)),
                                reason="Debian's prometheus and prometheus-node-exporter are not installed (scripts/test-env.sh)")

DOWN = [{"rule": "pm2_app_down", "key": "pm2_app_down:api", "level": "critical", "message": "api is down.", "value": None}]


def test_weekly_health_from_prometheus_reports_every_host_without_contacting_them(run_playbook, tmp_path):
    now = time.time()
    dirs = {name: str(tmp_path / name) for name in ("web-01", "web-02", "web-03")}
    textfile(dirs["web-01"], "web-01", [("api", "online"), ("worker", "online")], [], now)
    textfile(dirs["web-02"], "web-02", [("api", "errored"), ("worker", "online")], DOWN, now)
    textfile(dirs["web-03"], "web-03", [("api", "online")], [], now - 3 * 3600)  # its cron job stopped
    fleet = Fleet(str(tmp_path), dirs)
    try:
        fleet.wait(["web-01", "web-02", "web-03"])
        hosts = dict((name, {"ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_user": "nobody"})
                     for name in ("web-01", "web-02", "web-03", "web-04"))
        inventory = tmp_path / "inventory.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
        proc = run_playbook("playbooks/weekly-health.yml", "-i", str(inventory), "-e", "twzrd_ops_fleet_source=prometheus",
                            "-e", "twzrd_ops_fleet_prometheus_url=" + fleet.url,
                            "-e", "twzrd_ops_fleet_reports_dir=" + str(tmp_path / "reports"))
    finally:
        fleet.close()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out  # critical, unknown and unreachable hosts fail the run, as with hosts
    assert "Check the host in one round trip" not in out  # no task per host
    report = json.load(open(glob.glob(str(tmp_path / "reports" / "weekly-health-*.json"))[0]))
    verdicts = dict((h["host"], h["verdict"]) for h in report["hosts"])
    assert verdicts == {"web-01": "ok", "web-02": "critical", "web-03": "unknown", "web-04": "unreachable"}, out
    rows = dict((h["host"], h) for h in report["hosts"])
    assert rows["web-01"]["pm2_online"] == 2 and rows["web-01"]["pm2_total"] == 2
    assert rows["web-02"]["findings"][0]["key"] == "pm2_app_down:api"
    assert "ago (stale metrics" in rows["web-03"]["error"]
    assert "no twzrd_ops metrics in Prometheus" in rows["web-04"]["error"]
    assert sorted(report["failing_hosts"]) == ["web-02", "web-03", "web-04"]


def test_weekly_health_from_an_unreachable_prometheus_fails_with_one_sentence(run_playbook, tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"web-01": {"ansible_host": "127.0.0.1", "ansible_port": 1}}}}))
    url = "http://user:s3cret@127.0.0.1:%d" % closed_port()
    proc = run_playbook("playbooks/weekly-health.yml", "-i", str(inventory), "-e", "twzrd_ops_fleet_source=prometheus",
                        "-e", "twzrd_ops_fleet_prometheus_url=" + url, "-e", "twzrd_ops_fleet_reports_dir=" + str(tmp_path / "r"))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Cannot reach Prometheus at http://127.0.0.1:" in out and "check twzrd_ops_fleet_prometheus_url" in out
    assert "s3cret" not in out and "Traceback" not in out
