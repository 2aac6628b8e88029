# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the controller-side filters (plugins/filter/): the playbooks' logic."""

from __future__ import annotations

import json
import os

import jinja2
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.filter import audit, fleet, health, units
from ansible_collections.twzrd.ops.plugins.filter import text as text_filters
from ansible_collections.twzrd.ops.plugins.module_utils import report

NOW = 1795000000.0  # 2026-11-18T...Z, a fixed clock


def pm2_result(processes=None, expected_missing=None, not_online=None, crashes=None, window=300):
    processes = processes or []
    return {
        "changed": False,
        "invocation": {"module_args": {"user": "twzrd"}},
        "installed": True,
        "daemon_running": True,
        "pm2_path": "/usr/bin/pm2",
        "pm2_home": "/home/twzrd/.pm2",
        "warnings": [],
        "processes": processes,
        "summary": {
            "total": len(processes),
            "online": sum(1 for p in processes if p["status"] == "online"),
            "not_online": not_online or [p["name"] for p in processes if p["status"] != "online"],
            "missing": expected_missing or [],
            "crash_window": window,
            "crash_threshold": 5,
            "crashes": crashes or {},
            "crash_loop": False,
            "crash_loop_apps": [],
        },
    }


def proc(name, status="online", restarts=0, max_memory_restart=314572800, env_names=("NODE_ENV", "PORT")):
    return {
        "name": name,
        "pm_id": 0,
        "pid": 42,
        "status": status,
        "restarts": restarts,
        "unstable_restarts": 0,
        "uptime": 3600,
        "memory": 50 * 1024 * 1024,
        "cpu": 1.5,
        "max_memory_restart": max_memory_restart,
        "exec_mode": "fork_mode",
        "instances": 1,
        "out_log": "/home/twzrd/.pm2/logs/%s-out.log" % name,
        "error_log": "/home/twzrd/.pm2/logs/%s-error.log" % name,
        "env_names": list(env_names),
    }


SYSTEM = {
    "changed": False,
    "swap": {"total": 0, "used": 0, "free": 0, "percent": 0.0, "configured": False},
    "memory": {"total": 8 << 30, "available": 6 << 30, "used": 2 << 30, "percent": 25.0},
    "load": {"load1": 0.5, "load5": 0.4, "load15": 0.3, "per_core": {"load1": 0.25, "load5": 0.2, "load15": 0.15}},
    "cpu_count": 2,
    "top_memory": [],
    "top_cpu": [],
    "breaches": [],
}

HEALTHY = {"changed": False, "healthy": True, "url": "http://localhost:8080/health", "status": 200, "latency_ms": 3.2,
           "attempts": 1, "json": {"status": "ok"}, "body_excerpt": "", "reason": None, "message": "healthy"}


class FakeHostvars(dict):
    """hostvars stand-in: a mapping of host -> mapping of variables (what Ansible hands filters)."""


# ---------------------------------------------------------------- health_config


def test_health_config_takes_prefixed_check_keys_and_ignores_the_rest():
    cfg = health.health_config(
        {"twzrd_ops_expected_apps": ["milo-aggregator"], "twzrd_ops_health_url": "", "twzrd_ops_cron_enabled": True, "other": 1}
    )
    assert cfg["expected_apps"] == ["milo-aggregator"]
    assert cfg["health_url"] == ""
    assert "cron_enabled" not in cfg and "other" not in cfg
    assert cfg["crash_threshold"] == 5  # default filled in


def test_health_config_bad_value_is_one_sentence_naming_the_setting():
    with pytest.raises(AnsibleFilterError) as err:
        health.health_config({"twzrd_ops_disk_warning": 95, "twzrd_ops_disk_critical": 90})
    assert "disk_warning" in str(err.value)
    assert "Traceback" not in str(err.value)


def test_health_config_refuses_a_non_mapping():
    with pytest.raises(AnsibleFilterError, match="expects a mapping"):
        health.health_config(["twzrd_ops_swap_warning"])


# ---------------------------------------------------------------- result_part / snapshot


def test_result_part_skipped_task_is_none_and_failed_task_is_an_error_sentence():
    assert health.result_part({"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}) is None
    assert health.result_part({"failed": True, "msg": "PM2 daemon is not running.\n"}) == {"error": "PM2 daemon is not running."}


def test_result_part_sees_a_failure_hidden_by_failed_when_false():
    # What ansible-core 2.19 registers for a failed module under `failed_when: false`.
    registered = {"changed": False, "failed": False, "failed_when_result": False,
                  "failed_when_suppressed_exception": "(traceback unavailable)",
                  "msg": "User twzrd does not exist on this host, so its PM2 cannot be used."}
    assert health.result_part(registered) == {"error": "User twzrd does not exist on this host, so its PM2 cannot be used."}
    assert health.result_part({"changed": False, "failed": False, "msg": "boom"}) == {"error": "boom"}
    assert health.result_part({"changed": False, "failed": False, "failed_when_result": False, "total": 0}) == {"total": 0}


def test_result_part_keeps_log_scans_own_skipped_list_and_drops_ansible_keys():
    part = health.result_part(
        {"changed": False, "invocation": {"module_args": {}}, "total": 3, "files": [], "lines": [],
         "skipped": [{"path": "/x", "reason": "missing"}]}
    )
    assert part == {"total": 3, "files": [], "lines": [], "skipped": [{"path": "/x", "reason": "missing"}]}


def test_health_snapshot_has_the_design_shape():
    week = pm2_result(crashes={"milo-aggregator": 2}, window=604800)
    snap = health.health_snapshot(
        {"pm2": pm2_result([proc("milo-aggregator")]), "system": SYSTEM, "health": {"skipped": True, "skip_reason": "x"},
         "logs": {"failed": True, "msg": "boom"}, "disk": [{"path": "/", "percent": 10.0}], "crashes_report_window": week},
        host="web1", now=NOW,
    )
    assert snap["host"] == "web1" and snap["kind"] == "health" and snap["epoch"] == NOW
    assert snap["timestamp"].endswith("Z")
    assert snap["pm2"]["summary"]["online"] == 1 and "invocation" not in snap["pm2"]
    assert snap["health"] is None
    assert snap["logs"] == {"error": "boom"}
    assert snap["disk"] == [{"path": "/", "percent": 10.0}]
    assert snap["crashes_report_window"] == {"window": 604800, "crashes": {"milo-aggregator": 2}}


def test_health_snapshot_names_log_scans_skipped_files_as_the_design_does():
    logs = {"changed": False, "total": 0, "files": [], "lines": [], "skipped_files": [{"path": "/x.log", "reason": "missing"}]}
    snap = health.health_snapshot({"logs": logs}, now=NOW)
    assert snap["logs"]["skipped"] == [{"path": "/x.log", "reason": "missing"}] and "skipped_files" not in snap["logs"]
    assert "skipped /x.log: missing" in report.render_text(snap, [], "ok")


def test_health_snapshot_refuses_an_unknown_kind():
    with pytest.raises(AnsibleFilterError, match="kind"):
        health.health_snapshot({}, kind="weekly")


# ---------------------------------------------------------------- findings / verdict / report


def test_stopped_expected_app_is_critical():
    snap = health.health_snapshot(
        {"pm2": pm2_result([proc("milo-aggregator", status="stopped")]), "system": SYSTEM, "health": HEALTHY}, now=NOW
    )
    cfg = health.health_config({"twzrd_ops_expected_apps": ["milo-aggregator"], "twzrd_ops_disk_paths": []})
    findings = health.health_findings(snap, cfg)
    assert findings[0]["key"] == "pm2_app_down:milo-aggregator"
    assert health.health_verdict(findings) == "critical"


def test_healthy_host_is_ok():
    snap = health.health_snapshot({"pm2": pm2_result([proc("milo-aggregator")]), "system": SYSTEM, "health": HEALTHY}, now=NOW)
    cfg = health.health_config({"twzrd_ops_expected_apps": ["milo-aggregator"], "twzrd_ops_disk_paths": []})
    assert health.health_verdict(health.health_findings(snap, cfg)) == "ok"


def test_unreadable_pm2_without_expected_apps_is_only_a_warning():
    snap = health.health_snapshot({"pm2": {"failed": True, "msg": "PM2 daemon is not running."}, "system": SYSTEM}, now=NOW)
    findings = health.health_findings(snap, health.health_config({"twzrd_ops_disk_paths": []}))
    assert [f["rule"] for f in findings] == ["pm2_unavailable"]
    assert health.health_verdict(findings) == "warning"


def test_report_text_is_the_cron_jobs_renderer():
    snap = health.health_snapshot({"pm2": pm2_result([proc("milo-aggregator")]), "system": SYSTEM, "health": HEALTHY}, host="h", now=NOW)
    text = health.health_report_text(snap, [], "ok")
    assert text == report.render_text(snap, [], "ok")
    assert "milo-aggregator" in text


def test_report_json_is_the_twin_the_cron_job_writes(tmp_path):
    snap = health.health_snapshot({"pm2": pm2_result([proc("milo-aggregator")]), "system": SYSTEM}, host="h", now=NOW)
    findings = [{"rule": "swap", "key": "swap", "level": "warning", "message": "Swap use is 25%.", "value": 25.0}]
    paths = report.write_report(str(tmp_path), snap, findings, "warning", now=NOW)
    with open(paths["json"]) as handle:
        assert health.health_report_json(snap, findings, "warning") == handle.read()


# ---------------------------------------------------------------- fleet


def _checked(verdict="ok", findings=None, pm2=None, health_part=None, week=None):
    parts = {"pm2": pm2 or pm2_result([proc("milo-aggregator")]), "system": SYSTEM, "health": health_part or HEALTHY}
    if week is not None:
        parts["crashes_report_window"] = week
    return {"state": "checked", "verdict": verdict, "findings": findings or [],
            "snapshot": health.health_snapshot(parts, now=NOW)}


def test_fleet_rows_lists_unreachable_and_failed_hosts_and_skips_untargeted_ones():
    hostvars = FakeHostvars(
        web1={"__twzrd_ops_health": _checked(week=pm2_result(crashes={"milo-aggregator": 3, "x": 1}, window=604800))},
        web2={"__twzrd_ops_health": {"state": "unreachable", "error": "ssh: connect to host web2 port 22: No route to host"}},
        web3={"__twzrd_ops_health": {"state": "failed", "error": "Invalid twzrd_ops setting: ..."}},
        web4={},
    )
    rows = fleet.fleet_rows(hostvars, ["web1", "web2", "web3", "web4", "web1"])
    assert [(r["host"], r["verdict"]) for r in rows] == [("web1", "ok"), ("web2", "unreachable"), ("web3", "unknown")]
    web1, web2 = rows[:2]
    assert web1["pm2_online"] == 1 and web1["pm2_total"] == 1 and web1["crashes"] == 4
    assert web1["display"]["pm2"] == "1/1" and web1["display"]["swap"] == "no swap" and web1["display"]["health"] == "ok 3 ms"
    assert web1["display"]["load"] == "0.25"
    assert "No route to host" in web2["top_finding"] and web2["display"]["pm2"] == "-"


def test_fleet_row_keeps_a_long_error_whole_but_shortens_its_table_cell():
    error = "Failed to create temporary directory. " * 10
    row = fleet.host_row("ghost", {"state": "unreachable", "error": error})
    assert row["error"] == error
    assert len(row["display"]["top_finding"]) == 120 and row["display"]["top_finding"].endswith("...")


def test_fleet_row_shows_unreadable_pm2_as_error():
    result = _checked(pm2={"failed": True, "msg": "PM2 daemon is not running."})
    row = fleet.host_row("web1", result)
    assert row["display"]["pm2"] == "error" and row["pm2_total"] is None


def test_fleet_row_top_finding_is_the_most_severe_and_health_failure_is_shown():
    findings = [{"rule": "health", "key": "health", "level": "critical", "message": "Health endpoint refused.", "value": None},
                {"rule": "swap", "key": "swap", "level": "warning", "message": "Swap 25%.", "value": 25}]
    bad = dict(HEALTHY, healthy=False, reason="refused", status=None)
    row = fleet.host_row("web1", _checked("critical", findings, health_part=bad))
    assert row["top_finding"] == "Health endpoint refused."
    assert row["display"]["health"] == "FAIL (refused)"
    assert row["crashes"] is None and row["display"]["crashes"] == "-"


def test_fleet_document_counts_and_fails_on_critical_unreachable_unknown_only():
    rows = [{"host": "a", "verdict": "ok"}, {"host": "b", "verdict": "warning"}]
    doc = fleet.fleet_document(rows, date="2026-11-30")
    assert doc["verdict"] == "warning" and doc["failing_hosts"] == []
    rows.append({"host": "c", "verdict": "unreachable"})
    doc = fleet.fleet_document(rows)
    assert doc["verdict"] == "unreachable" and doc["failing_hosts"] == ["c"]
    rows.append({"host": "d", "verdict": "critical"})
    doc = fleet.fleet_document(rows)
    assert doc["verdict"] == "critical" and doc["failing_hosts"] == ["c", "d"]
    assert doc["counts"] == {"ok": 1, "warning": 1, "critical": 1, "unknown": 0, "unreachable": 1}


def test_fleet_document_is_json_and_leaves_display_out():
    rows = fleet.fleet_rows(FakeHostvars(web1={"__twzrd_ops_health": _checked()}), ["web1"])
    doc = json.loads(json.dumps(fleet.fleet_document(rows)))
    assert "display" not in doc["hosts"][0] and doc["hosts"][0]["host"] == "web1"


def test_text_table_pads_columns_and_shows_missing_values_as_dash():
    lines = fleet.text_table([{"host": "a", "display": {"v": "OK"}}, {"host": "long-host", "display": {}}], [["HOST", "host"], ["V", "v"]])
    assert lines == ["HOST       V", "a          OK", "long-host  -"]


def test_text_table_keeps_a_top_finding_whole_and_shows_escapes():
    finding = "x" * (fleet.TOP_FINDING_WIDTH - len(" ghost-app")) + " ghost-app"
    lines = fleet.text_table([{"host": "a\x1b[2J", "display": {"f": finding}}], [["HOST", "host"], ["F", "f"]])
    assert lines[1].endswith("ghost-app") and lines[1].startswith("a\\x1b[2J")


def test_md_cell_escapes_pipes_and_newlines():
    assert fleet.md_cell("a | b\nc") == "a \\| b c"
    assert fleet.md_cell(None) == "-"


CANARY = "twzrd-canary-5b1f"


def test_env_values_never_reach_the_fleet_or_audit_reports():
    # pm2_status never returns values; even a result that carried them (pm2_env, as raw
    # `pm2 jlist` does) must not leak through the reports' filters.
    leaky = proc("milo-aggregator", env_names=("API_TOKEN",))
    leaky["pm2_env"] = {"API_TOKEN": CANARY}
    pm2 = pm2_result([leaky])
    row = fleet.host_row("web1", _checked(pm2=pm2))
    assert CANARY not in json.dumps(fleet.fleet_document([row]))
    result = audit.audit_host(audit_data(pm2=pm2), today="2026-11-30")
    assert CANARY not in json.dumps(result)
    assert result["apps"][0]["env_names"] == ["API_TOKEN"]


# ---------------------------------------------------------------- audit


def audit_data(**overrides):
    data = {
        "swappiness_live": "10\n",
        "swappiness_files": "/etc/sysctl.d/60-twzrd-ops.conf:vm.swappiness=10\n",
        "virtualization_type": "kvm",
        "virtualization_role": "guest",
        "pm2": pm2_result([proc("milo-aggregator")]),
        "cron": {"path": "/etc/cron.d/twzrd-ops", "exists": True, "content": (
            "CRON_TZ=UTC\nPATH=/usr/bin\n# twzrd-ops health\n0 0 * * 1 root /usr/local/sbin/twzrd-ops health >> /var/log/twzrd-health.log 2>&1\n"
            "0 * * * * root /usr/local/sbin/twzrd-ops alerts\n0 1 * * 5 root /usr/local/sbin/twzrd-ops restart\n")},
        "reports": ["/var/lib/twzrd-ops/reports/weekly-health-report-%s.txt" % d for d in ("2026-11-30", "2026-11-23", "2026-11-16", "2026-11-09")],
        "logrotate": {"path": "/etc/logrotate.d/twzrd-ops", "exists": True},
        "logs": [{"path": "/var/log/twzrd-health.log", "size": 2048}, {"path": "/var/log/twzrd-health.log.1.gz", "size": 100}],
    }
    data.update(overrides)
    return data


def levels(result):
    return {c["check"]: c["level"] for c in result["checks"]}


def test_audit_of_a_conforming_host_is_ok():
    result = audit.audit_host(audit_data(), today="2026-11-30")
    assert result["level"] == "ok", result["checks"]
    assert result["apps"][0]["env_names"] == ["NODE_ENV", "PORT"]


def test_audit_lists_apps_without_max_memory_restart():
    pm2 = pm2_result([proc("milo-aggregator"), proc("cls-worker-s0", max_memory_restart=None)])
    result = audit.audit_host(audit_data(pm2=pm2), today="2026-11-30")
    check = [c for c in result["checks"] if c["check"] == "max_memory_restart"][0]
    assert check["level"] == "warning" and check["details"] == ["cls-worker-s0"]
    assert "cls-worker-s0" in check["message"]


def test_audit_flags_restart_count_anomalies_above_the_threshold():
    pm2 = pm2_result([proc("milo-aggregator", restarts=11), proc("calm", restarts=10)])
    result = audit.audit_host(audit_data(pm2=pm2), restart_threshold=10, today="2026-11-30")
    check = [c for c in result["checks"] if c["check"] == "restart_counts"][0]
    assert check["level"] == "warning" and check["details"] == ["milo-aggregator (11 restarts, 0 unstable)"]


def test_audit_swappiness_wrong_live_is_critical_but_in_a_container_only_persisted_counts():
    assert levels(audit.audit_host(audit_data(swappiness_live="60"), today="2026-11-30"))["swappiness_live"] == "critical"
    in_docker = audit.audit_host(audit_data(swappiness_live="60", virtualization_type="docker"), today="2026-11-30")
    assert levels(in_docker)["swappiness_live"] == "ok" and "container" in in_docker["checks"][0]["message"]


def test_audit_persisted_swappiness_follows_sysctl_order():
    grep = ("/etc/sysctl.conf:vm.swappiness = 60\n/etc/sysctl.d/99-late.conf:vm.swappiness=30\n"
            "/etc/sysctl.d/60-twzrd-ops.conf:vm.swappiness=10\n/etc/sysctl.d/10-x.conf:# vm.swappiness=1\n")
    value, sources = audit.persisted_swappiness(grep)
    assert value == "60"  # /etc/sysctl.conf is read last
    assert sources[0].startswith("/etc/sysctl.d/60-twzrd-ops.conf")
    result = audit.audit_host(audit_data(swappiness_files="/etc/sysctl.d/99-late.conf:vm.swappiness=30\n"), today="2026-11-30")
    assert levels(result)["swappiness_persisted"] == "critical"
    assert levels(audit.audit_host(audit_data(swappiness_files=""), today="2026-11-30"))["swappiness_persisted"] == "critical"


def test_audit_cron_file_missing_or_lacking_a_job():
    assert levels(audit.audit_host(audit_data(cron={"exists": False}), today="2026-11-30"))["cron"] == "critical"
    partial = {"exists": True, "content": "0 0 * * 1 root /usr/local/sbin/twzrd-ops health\n"}
    result = audit.audit_host(audit_data(cron=partial), today="2026-11-30")
    check = [c for c in result["checks"] if c["check"] == "cron"][0]
    assert check["level"] == "warning" and "alerts, restart" in check["message"]


def test_audit_names_the_weeks_without_a_report():
    reports = ["weekly-health-report-2026-11-30.txt", "weekly-health-report-2026-11-16.txt", "weekly-health-report-2026-11-23.json"]
    result = audit.audit_host(audit_data(reports=reports), report_weeks=3, today="2026-11-30")
    check = [c for c in result["checks"] if c["check"] == "weekly_reports"][0]
    assert check["level"] == "warning"
    assert "2026-11-17..2026-11-23" in check["message"] and "1 of the past 3" in check["message"]


def test_audit_logrotate_missing_and_big_logs():
    big = [{"path": "/home/twzrd/.pm2/logs/milo-aggregator-error.log", "size": 300 * 1048576}]
    result = audit.audit_host(audit_data(logrotate={"exists": False}, logs=big), log_size_mb=100, today="2026-11-30")
    assert levels(result)["logrotate"] == "critical"
    assert levels(result)["log_sizes"] == "warning"
    assert result["level"] == "critical"


def test_audit_pm2_unreadable_is_a_warning_not_a_crash():
    result = audit.audit_host(audit_data(pm2={"failed": True, "msg": "PM2 daemon is not running."}), today="2026-11-30")
    assert levels(result)["pm2"] == "warning" and result["apps"] == []


def test_audit_bad_arguments_are_one_sentence():
    with pytest.raises(AnsibleFilterError, match="whole numbers"):
        audit.audit_host(audit_data(), report_weeks="four")
    with pytest.raises(AnsibleFilterError, match="today"):
        audit.audit_host(audit_data(), today="monday")


def test_filter_plugins_are_all_documented():
    here = os.path.join(os.path.dirname(health.__file__))
    names = set()
    for module in (health, fleet, audit, text_filters):
        names.update(module.FilterModule().filters())
    missing = sorted(n for n in names if not os.path.exists(os.path.join(here, n + ".yml")))
    assert missing == []


# ---------------------------------------------------------------- report templates


def _render(name, **context):
    templates = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "roles", "twzrd_ops", "templates")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["twzrd.ops.md_cell"] = fleet.md_cell
    env.filters["twzrd.ops.text_table"] = fleet.text_table
    for name_, function in text_filters.FilterModule().filters().items():
        env.filters["twzrd.ops." + name_] = function
    return env.get_template(name).render(**context)


def _fleet_context():
    hostvars = FakeHostvars(
        web1={"__twzrd_ops_health": dict(_checked(), report={"path": "/var/lib/twzrd-ops/reports/x.txt", "written": True})},
        web2={"__twzrd_ops_health": {"state": "unreachable", "error": "ssh: connect | refused"}},
    )
    rows = fleet.fleet_rows(hostvars, ["web1", "web2"])
    doc = fleet.fleet_document(rows, date="2026-11-30", generated="2026-11-30T00:00:00Z")
    return {"__twzrd_ops_rows": rows, "__twzrd_ops_fleet_report": doc, "__twzrd_ops_fleet_base": "reports/weekly-health-2026-11-30"}


def test_fleet_markdown_lists_every_host_with_escaped_cells():
    text = _render("weekly-health.md.j2", **_fleet_context())
    assert "**Fleet verdict: UNREACHABLE** (0 critical, 0 warning, 1 ok, 1 unreachable, 0 not checked)" in text
    assert "| web1 | OK | no swap | 0.25 | 1/1 | - | ok 3 ms | - |" in text
    assert "| web2 | UNREACHABLE | - | - | - | - | - | ssh: connect \\| refused |" in text
    assert "- per-host report: /var/lib/twzrd-ops/reports/x.txt" in text


def test_fleet_summary_fits_one_screen():
    text = _render("weekly-health-summary.j2", ansible_check_mode=False, **_fleet_context())
    lines = text.strip().splitlines()
    assert lines[0] == "Weekly health 2026-11-30: UNREACHABLE (0 critical, 0 warning, 1 ok, 1 unreachable, 0 not checked)"
    assert lines[1].split() == ["HOST", "VERDICT", "SWAP", "LOAD/CORE", "PM2", "CRASHES", "HEALTH", "TOP", "FINDING"]
    assert lines[-1] == "Fleet report: reports/weekly-health-2026-11-30.md (and .json, .html)"
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 160


def test_audit_markdown_shows_missing_limits_and_env_names_only():
    pm2 = pm2_result([proc("cls-worker-s0", max_memory_restart=None, env_names=("API_TOKEN",))])
    pm2["processes"][0]["pm2_env"] = {"API_TOKEN": CANARY}
    doc = {
        "date": "2026-11-30",
        "generated": "2026-11-30T00:00:00Z",
        "hosts": [
            {"host": "web1", "result": {"state": "checked", "audit": audit.audit_host(audit_data(pm2=pm2), today="2026-11-30")}},
            {"host": "web2", "result": {"state": "failed", "error": "Missing sudo password"}},
        ],
    }
    text = _render("audit.md.j2", __twzrd_ops_audit_report=doc)
    assert "| web1 | WARNING | max_memory_restart |" in text
    assert "| web2 | NOT AUDITED | Missing sudo password |" in text
    assert "| cls-worker-s0 | online | 0 | 0 | MISSING | API_TOKEN |" in text
    assert CANARY not in text


# ---------------------------------------------------------------- size, duration


def test_size_and_duration_filters_are_the_common_formatters():
    filters = units.FilterModule().filters()
    assert filters["size"](3 * 1024 ** 3 // 2) == "1.5 GiB"
    assert filters["size"](None) == "?"
    assert filters["duration"](3900) == "1h05m"
    assert filters["duration"](-1) == "?"
