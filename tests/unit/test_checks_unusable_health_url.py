"""An unusable health URL (bad port, malformed IPv6 literal) is a failed health check with a
sentence, never an exception out of checks.collect: the other checks still report."""

from __future__ import annotations

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import checks

CFG = {"pm2_path": "/nonexistent/pm2", "disk_paths": ["/"], "load_warning": 1000, "load_critical": 2000}


@pytest.mark.parametrize("url, words", [("http://localhost:99999/health", "invalid port"), ("http://[::1/health", "malformed")])
def test_unusable_health_url_is_a_critical_finding_and_the_rest_is_checked(url, words):
    cfg = dict(CFG, health_url=url)
    snapshot = checks.collect(cfg, kind="status")
    assert snapshot["health"]["healthy"] is False and snapshot["health"]["reason"] == "invalid"
    assert snapshot["system"].get("memory")  # memory / swap / load still read
    assert snapshot["disk"]  # disk still read
    findings = checks.evaluate(snapshot, cfg)
    health = [f for f in findings if f["rule"] == "health"]
    assert len(health) == 1 and health[0]["level"] == "critical" and words in health[0]["message"]
