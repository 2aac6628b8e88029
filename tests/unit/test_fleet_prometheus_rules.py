"""module_utils/fleet_prometheus.py: the fleet view's per-host results from Prometheus series
(pure; time injected). The end-to-end test with a real Prometheus is
tests/integration/test_fleet_prometheus.py."""

from __future__ import annotations

from ansible_collections.twzrd.ops.plugins.module_utils import fleet_prometheus

NOW = 1795737600.0


def series(instance, name, value, **labels):
    metric = dict(labels, __name__=name, instance=instance, job="node")
    return {"metric": metric, "value": [NOW, str(value)]}


def healthy(instance, last=NOW - 600):
    return [series(instance, "twzrd_ops_last_run_timestamp_seconds", last),
            series(instance, "twzrd_ops_last_run_success", 1),
            series(instance, "twzrd_ops_swap_used_ratio", 0.25),
            series(instance, "twzrd_ops_load_per_core", 0.5, period="load1"),
            series(instance, "twzrd_ops_pm2_app_up", 1, app="api"),
            series(instance, "twzrd_ops_pm2_app_up", 0, app="worker")]


def test_verdict_is_the_worst_unsilenced_alert_and_hosts_match_without_the_port():
    data = healthy("web-1:9100") + [
        series("web-1:9100", "twzrd_ops_alert_active", 1, rule="swap", key="swap", level="warning", silenced="0"),
        series("web-1:9100", "twzrd_ops_alert_active", 1, rule="pm2_app_down", key="pm2_app_down:worker", level="critical", silenced="1"),
    ] + healthy("web-2:9100")
    found = fleet_prometheus.host_results(data, ["web-1", "web-2", "web-3"], NOW)
    assert found["web-1"]["verdict"] == "warning"  # the critical one is silenced
    assert [f["key"] for f in found["web-1"]["findings"]] == ["swap"]
    assert found["web-1"]["snapshot"]["system"]["swap"]["percent"] == 25.0
    assert found["web-1"]["snapshot"]["pm2"]["summary"] == {"online": 1, "total": 2, "not_online": ["worker"]}
    assert found["web-2"]["verdict"] == "ok"
    assert found["web-3"]["state"] == "unreachable" and "no twzrd_ops metrics" in found["web-3"]["error"]


def test_stale_or_failed_runs_are_unknown_with_the_reason():
    data = healthy("old:9100", last=NOW - 3 * 3600) + [
        series("bad:9100", "twzrd_ops_last_run_timestamp_seconds", NOW),
        series("bad:9100", "twzrd_ops_last_run_success", 0),
        series("bad:9100", "twzrd_ops_last_run_failure_info", 1, reason="PM2 could not be read"),
    ]
    found = fleet_prometheus.host_results(data, ["old", "bad"], NOW)
    assert found["old"]["state"] == "failed" and "3h00m ago" in found["old"]["error"]
    assert found["bad"]["state"] == "failed" and found["bad"]["error"].endswith("failed: PM2 could not be read")


def test_a_url_with_credentials_is_refused_or_reported_without_them():
    assert fleet_prometheus.safe_url("http://u:p@prom:9090/x") == "http://prom:9090/x"
    try:
        fleet_prometheus.fetch("ftp://u:secret@prom")
    except fleet_prometheus.OpsError as exc:
        assert "secret" not in str(exc) and "twzrd_ops_fleet_prometheus_url" in str(exc)
    else:
        raise AssertionError("a non-http URL was accepted")
