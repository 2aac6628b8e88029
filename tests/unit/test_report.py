"""Unit tests for plugins/module_utils/report.py: the weekly report's layout, its files and
their pruning.

The PM2 part of the snapshot comes from real `pm2 jlist` output captured from PM2 7
(tests/fixtures/pm2/jlist-apps.txt) through pm2.parse_jlist/normalize, so the report is
tested on the shapes PM2 really produces. Dates move through `now=`, never by sleeping.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import pm2, report
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "pm2")
T0 = 1795737600.0  # 2026-11-27T00:00:00Z, a Friday
DAY = 86400.0


def real_processes():
    with open(os.path.join(FIXTURES, "jlist-apps.txt")) as handle:
        raw, _warnings = pm2.parse_jlist(handle.read())
    return [pm2.normalize(entry, now=T0) for entry in raw]


def snapshot(processes=None, health=None, logs=None):
    processes = real_processes() if processes is None else processes
    return {
        "host": "web-1",
        "kind": "health",
        "epoch": T0,
        "timestamp": "2026-11-27T00:00:00Z",
        "pm2": {
            "installed": True,
            "daemon_running": True,
            "pm2_path": "/usr/local/bin/pm2",
            "pm2_home": "/home/twzrd/.pm2",
            "warnings": [],
            "processes": processes,
            "summary": {"total": len(processes), "online": 1, "not_online": [], "missing": [], "crash_window": 300,
                        "crash_threshold": 5, "crashes": {}, "crash_loop": False, "crash_loop_apps": []},
        },
        "system": {
            "swap": {"total": 2 << 30, "used": 1 << 30, "free": 1 << 30, "percent": 50.0, "configured": True},
            "memory": {"total": 8 << 30, "available": 6 << 30, "used": 2 << 30, "percent": 25.0},
            "load": {"load1": 3.0, "load5": 2.0, "load15": 1.0, "per_core": {"load1": 1.5, "load5": 1.0, "load15": 0.5}},
            "cpu_count": 2,
            "top_memory": [{"pid": 42, "user": "twzrd", "name": "node", "rss": 300 << 20, "memory_percent": 3.7,
                            "cpu_percent": 1.0, "cmdline": "node server.js"}],
            "top_cpu": [],
        },
        "disk": [{"path": "/", "total": 100 << 30, "used": 85 << 30, "free": 15 << 30, "percent": 85.0},
                 {"path": "/var/log", "total": None, "used": None, "free": None, "percent": None,
                  "error": "Cannot examine /var/log."}],
        "health": health,
        "logs": logs,
    }


FINDINGS = [
    {"rule": "swap", "key": "swap", "level": "critical", "message": "Swap use is 50.0% (critical at 50%).", "value": 50.0},
    {"rule": "disk", "key": "disk:/", "level": "warning", "message": "Disk / is 85.0% full (warning at 80%).", "value": 85.0},
]


def test_header_names_host_time_and_verdict():
    text = report.render_text(snapshot(), FINDINGS, "critical")
    lines = text.splitlines()
    assert lines[0] == "twzrd.ops weekly health report"
    assert "Host:       web-1" in lines
    assert "Generated:  2026-11-27T00:00:00Z" in lines
    assert "Verdict:    CRITICAL (2 findings)" in lines
    assert text.endswith("\n")


def test_sections_come_in_runbook_order():
    health = {"healthy": True, "url": "http://localhost:8080/health", "status": 200, "latency_ms": 3.2, "attempts": 1}
    logs = {"total": 2, "files": [{"path": "/home/twzrd/.pm2/logs/api-error.log", "matches": 2, "lines_read": 10}],
            "lines": ["ERROR one", "ERROR two"], "skipped": []}
    text = report.render_text(snapshot(health=health, logs=logs), FINDINGS, "critical")
    titles = [line.split(" ==")[0][3:] for line in text.splitlines() if line.startswith("== ")]
    assert titles == ["Findings", "Memory and swap", "Load", "Disk", "PM2 processes", "Health endpoint",
                      "Error-log scan", "Top processes by memory"]


def test_findings_are_listed_with_their_level():
    text = report.render_text(snapshot(), FINDINGS, "critical")
    assert "  CRITICAL  Swap use is 50.0% (critical at 50%)." in text
    assert "  WARNING   Disk / is 85.0% full (warning at 80%)." in text


def test_no_findings_says_every_check_passed():
    text = report.render_text(snapshot(), [], "ok")
    assert "Verdict:    OK (0 findings)" in text
    assert "none: every check passed" in text


def test_figures_are_human_readable():
    text = report.render_text(snapshot(), FINDINGS, "critical")
    assert "Memory  2.0 GiB used of 8.0 GiB (25.0%), 6.0 GiB available" in text
    assert "Swap    1.0 GiB used of 2.0 GiB (50.0%)" in text
    assert "1/5/15 min  3.00 2.00 1.00  (per core 1.50 1.00 0.50, 2 cores)" in text


def test_disk_rows_and_unreadable_path():
    text = report.render_text(snapshot(), FINDINGS, "critical")
    assert any(line.split()[:2] == ["/", "85.0%"] for line in text.splitlines())
    assert "Cannot examine /var/log." in text


def test_every_real_pm2_process_gets_a_row_and_no_env_value_appears():
    processes = real_processes()
    assert processes, "fixture holds apps"
    text = report.render_text(snapshot(processes), [], "ok")
    for proc in processes:
        assert any(line.split()[:1] == [proc["name"]] for line in text.splitlines()), proc["name"]
    with open(os.path.join(FIXTURES, "jlist-apps.txt")) as handle:
        raw, _warnings = pm2.parse_jlist(handle.read())
    env_values = set()
    for entry in raw:
        env = dict(entry.get("pm2_env", {}).get("env") or {})
        env_values.update(str(v) for k, v in env.items() if len(str(v)) > 6 and k not in ("PATH", "HOME", "PWD"))
    assert env_values, "fixture carries env values to leak"
    leaked = [value for value in env_values if value in text]
    assert leaked == []


def test_unhealthy_endpoint_shows_the_probe_message():
    health = {"healthy": False, "url": "http://localhost:8080/health", "status": 500, "latency_ms": 4, "attempts": 3,
              "reason": "unexpected status", "message": "Health endpoint answered HTTP 500."}
    text = report.render_text(snapshot(health=health), [], "critical")
    assert "http://localhost:8080/health  UNHEALTHY  (HTTP 500, 4 ms, 3 attempts)" in text
    assert "Health endpoint answered HTTP 500." in text


def test_missing_parts_are_named_not_crashed_on():
    snap = snapshot()
    snap["pm2"] = {"error": "PM2 daemon is not running."}
    snap["system"] = {"error": "psutil is required; install python3-psutil."}
    snap["disk"] = None
    text = report.render_text(snap, [], "warning")
    assert "unavailable: PM2 daemon is not running." in text
    assert "unavailable: psutil is required; install python3-psutil." in text
    assert "no health URL configured" in text
    assert "Error-log scan" in text and "not run" in text


def test_log_scan_shows_at_most_twenty_recent_lines():
    lines = ["2026-11-2%dT00:00:00Z ERROR number %d" % (i % 7, i) for i in range(50)]
    logs = {"total": 50, "files": [{"path": "/var/log/app.log", "matches": 50, "lines_read": 900}], "lines": lines,
            "skipped": [{"path": "/var/log/gone.log", "reason": "missing"}]}
    text = report.render_text(snapshot(logs=logs), [], "warning")
    assert "50 matching lines in 1 file" in text
    assert "ERROR number 49" in text and "ERROR number 30" in text
    assert "ERROR number 29" not in text
    assert "skipped /var/log/gone.log: missing" in text


def test_write_report_writes_the_pair_atomically_readable_by_root_only(tmp_path):
    paths = report.write_report(str(tmp_path / "reports"), snapshot(), FINDINGS, "critical", now=T0)
    assert paths == {"text": str(tmp_path / "reports" / "weekly-health-report-2026-11-27.txt"),
                     "json": str(tmp_path / "reports" / "weekly-health-report-2026-11-27.json")}
    with open(paths["text"]) as handle:
        assert handle.read() == report.render_text(snapshot(), FINDINGS, "critical")
    with open(paths["json"]) as handle:
        text = handle.read()
    assert text == report.render_json(snapshot(), FINDINGS, "critical")
    twin = json.loads(text)
    assert twin["verdict"] == "critical" and twin["findings"] == FINDINGS and twin["snapshot"]["host"] == "web-1"
    for path in paths.values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert sorted(os.listdir(str(tmp_path / "reports"))) == sorted(os.path.basename(p) for p in paths.values())


def test_write_report_into_an_unwritable_place_is_one_sentence(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OpsError) as caught:
        report.write_report(str(blocker / "reports"), snapshot(), [], "ok", now=T0)
    assert str(caught.value).startswith("Cannot write the report into %s" % (blocker / "reports"))


def test_prune_keeps_n_weeks_by_file_name_date_and_ignores_other_files(tmp_path):
    for days_ago in (0, 7, 14, 20, 21, 22, 60):
        for ext in ("txt", "json"):
            (tmp_path / report.report_name(T0 - days_ago * DAY, ext)).write_text("x")
    (tmp_path / "notes.txt").write_text("operator notes")
    (tmp_path / "weekly-health-report-latest.txt").write_text("not a dated report")
    removed = report.prune(str(tmp_path), keep_weeks=3, now=T0)
    kept = sorted(os.listdir(str(tmp_path)))
    assert sorted(os.path.basename(p) for p in removed) == sorted(
        report.report_name(T0 - d * DAY, ext) for d in (22, 60) for ext in ("txt", "json"))
    assert report.report_name(T0 - 21 * DAY, "txt") in kept
    assert "notes.txt" in kept and "weekly-health-report-latest.txt" in kept


def test_prune_of_a_missing_directory_removes_nothing(tmp_path):
    assert report.prune(str(tmp_path / "none"), keep_weeks=1, now=T0) == []


HOSTILE = "\x1b[2J\x1b[31mFAKE\x07\r\nCRITICAL all good\u202egnp.exe\x9b6n"


def test_control_characters_from_outside_are_escaped_in_the_report():
    procs = real_processes()
    procs[0] = dict(procs[0], name="web" + HOSTILE)
    snap = snapshot(
        processes=procs,
        health={"url": "http://localhost:8080/health", "healthy": False, "status": 500, "latency_ms": 3,
                "attempts": 1, "message": "said " + HOSTILE},
        logs={"total": 1, "files": [{"path": "/var/log/a\x1b.log", "matches": 1}], "lines": ["ERROR " + HOSTILE]},
    )
    snap["pm2"]["warnings"] = ["PM2 said: " + HOSTILE]
    findings = [{"rule": "health", "key": "health", "level": "critical", "message": "x " + HOSTILE, "value": None}]
    text = report.render_text(snap, findings, "critical")
    for char in ("\x1b", "\x07", "\r", "\x9b", "\u202e"):
        assert char not in text
    assert "\\x1b[31mFAKE\\x07\\x0d\\x0aCRITICAL all good\\u202egnp.exe\\x9b6n" in text
    assert all(not line.startswith("CRITICAL") for line in text.splitlines())
