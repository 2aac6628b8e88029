"""A real Prometheus scraping real node_exporters (one per simulated host, textfile collector
only, each on 127.0.0.1) that serve the twzrd_ops_* textfile of an hourly alerts run
(alerts.process). Used by test_fleet_prometheus.py and benchmarks/fleet_prometheus_bench.py.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

from ansible_collections.twzrd.ops.plugins.module_utils import alerts

NODE_EXPORTER = shutil.which("prometheus-node-exporter") or "/usr/bin/prometheus-node-exporter"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def snapshot(host, apps):
    return {"host": host, "system": {"swap": {"percent": 5.0}, "memory": {"available": 2147483648},
                                     "load": {"per_core": {"load1": 0.25, "load5": 0.25, "load15": 0.25}}},
            "pm2": {"pm2_home": None, "processes": [{"name": n, "status": s} for n, s in apps], "summary": {"missing": []}}}


def textfile(directory, host, apps, findings, now):
    """The host's hourly alerts run (alerts.process) writing its textfile into directory."""
    os.makedirs(directory, exist_ok=True)
    conf = {"state_file": os.path.join(directory, "state.json"), "log_file": os.path.join(directory, "alerts.log"),
            "textfile_path": os.path.join(directory, "twzrd_ops.prom")}
    result = alerts.process(conf, snapshot(host, apps), findings, CFG, now=now)
    assert result["errors"] == [], result["errors"]
    return conf["textfile_path"]


class Fleet(object):
    """node_exporter per host + one Prometheus (scrape_interval 1s); close() stops them all."""

    def __init__(self, workdir, hosts):
        """hosts: {name: textfile directory}."""
        self.procs = []
        self.workdir = workdir
        targets = []
        for name, directory in sorted(hosts.items()):
            port = free_port()
            self.procs.append(subprocess.Popen(
                [NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % port, "--collector.disable-defaults",
                 "--collector.textfile", "--collector.textfile.directory=%s" % directory],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            targets.append({"targets": ["127.0.0.1:%d" % port], "labels": {"instance": "%s:9100" % name}})
        self.port = free_port()
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as handle:
            json.dump({"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                       "scrape_configs": [{"job_name": "node", "static_configs": targets}]}, handle)
        self.procs.append(subprocess.Popen(
            [PROMETHEUS, "--config.file=%s" % config, "--storage.tsdb.path=%s" % os.path.join(workdir, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.url = "http://127.0.0.1:%d" % self.port

    def wait(self, instances, limit=60.0):
        """Until Prometheus has scraped twzrd_ops_last_run_success from every instance named."""
        deadline = time.monotonic() + limit
        query = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": "twzrd_ops_last_run_success"})
        seen = set()
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(query, timeout=5) as response:
                    body = json.loads(response.read().decode("utf-8"))
                seen = set(r["metric"].get("instance", "").split(":")[0] for r in body["data"]["result"])
                if set(instances) <= seen:
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise AssertionError("Prometheus scraped %s, not all of %s" % (sorted(seen), sorted(instances)))

    def close(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
