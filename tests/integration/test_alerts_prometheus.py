"""The alert run's Prometheus textfile, read by real consumers.

Debian's prometheus-node-exporter serves the textfile (textfile collector only, on
127.0.0.1) and is scraped with urllib; Debian's promtool lints the file.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts

from servers import closed_port, eventually, get_text

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}

SNAPSHOT = {
    "host": "web-1",
    "system": {
        "swap": {"percent": 25.0},
        "memory": {"available": 2147483648},
        "load": {"per_core": {"load1": 0.5, "load5": 0.25, "load15": 0.125}},
    },
    "pm2": {
        "pm2_home": None,
        "processes": [{"name": "api", "status": "online"}, {"name": 'odd "name"\\x', "status": "errored"}],
        "summary": {"missing": []},
    },
}
FINDINGS = [
    {"rule": "swap", "key": "swap", "level": "warning", "message": "Swap use is 25.0%.", "value": 25.0},
    {"rule": "pm2_app_down", "key": 'pm2_app_down:odd "name"\\x', "level": "critical", "message": "down.", "value": None},
]


@pytest.fixture
def textfile(tmp_path):
    directory = tmp_path / "textfile"
    directory.mkdir()
    conf = {
        "state_file": str(tmp_path / "state.json"),
        "log_file": str(tmp_path / "alerts.log"),
        "textfile_path": str(directory / "twzrd_ops.prom"),
    }
    result = alerts.process(conf, SNAPSHOT, FINDINGS, CFG, now=T0)
    assert result["errors"] == []
    return conf["textfile_path"]


def scrape(url, proc):
    """GET url once node_exporter answers (it needs a moment to bind)."""

    def answer():
        if proc.poll() is not None:
            raise AssertionError("node_exporter exited before serving %s: %s" % (url, proc.stderr.read() if proc.stderr else ""))
        return get_text(url, timeout=5)

    return eventually(answer, limit=30.0, what="node_exporter serving %s" % url, every=0.1)


def test_promtool_accepts_the_textfile(textfile, require_tool):
    promtool = require_tool("promtool")
    with open(textfile, "rb") as handle:
        proc = subprocess.run([promtool, "check", "metrics"], stdin=handle, capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert proc.stdout.strip() == b"" and proc.stderr.strip() == b""


def test_node_exporter_serves_the_textfile_metrics(textfile, require_tool):
    node_exporter = require_tool("prometheus-node-exporter")
    port = closed_port()
    proc = subprocess.Popen(
        [
            node_exporter,
            "--web.listen-address=127.0.0.1:%d" % port,
            "--collector.disable-defaults",
            "--collector.textfile",
            "--collector.textfile.directory=%s" % os.path.dirname(textfile),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = scrape("http://127.0.0.1:%d/metrics" % port, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    samples = {}
    for line in body.splitlines():
        match = re.match(r"^(twzrd_ops_\w+|node_textfile_scrape_error)(\{.*\})? (\S+)$", line)
        if match:
            samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    assert samples["node_textfile_scrape_error"] == 0
    assert samples["twzrd_ops_swap_used_ratio"] == 0.25
    assert samples['twzrd_ops_load_per_core{period="load5"}'] == 0.25
    assert samples["twzrd_ops_memory_available_bytes"] == 2147483648
    assert samples['twzrd_ops_pm2_app_up{app="api"}'] == 1
    assert samples['twzrd_ops_pm2_app_up{app="odd \\"name\\"\\\\x"}'] == 0
    assert samples['twzrd_ops_alert_active{key="swap",level="warning",rule="swap",silenced="0"}'] == 1
    assert samples['twzrd_ops_alert_active{key="pm2_app_down:odd \\"name\\"\\\\x",level="critical",rule="pm2_app_down",silenced="0"}'] == 1
    assert samples["twzrd_ops_last_run_timestamp_seconds"] == T0
    assert samples["twzrd_ops_last_run_success"] == 1
    assert "# TYPE twzrd_ops_pm2_crashes_total counter" in body
    assert samples['twzrd_ops_pm2_crashes_total{app="api"}'] == 0
