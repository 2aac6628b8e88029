"""module_utils/hostcheck.py: where reports go, how a failed or unreachable host is told,
and the one-process check itself (real psutil, no PM2 on purpose: pm2_path points nowhere)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import checks, hostcheck, report
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError


# --------------------------------------------------------------------------- reports_dir

def test_root_keeps_the_system_reports_directory():
    assert hostcheck.reports_dir("/var/lib/twzrd-ops/reports", euid=0) == "/var/lib/twzrd-ops/reports"


def test_ordinary_user_writes_to_their_own_state_directory():
    got = hostcheck.reports_dir("/var/lib/twzrd-ops/reports/", euid=1000, environ={}, home="/home/op")
    assert got == "/home/op/.local/state/twzrd-ops/reports"


def test_xdg_state_home_is_honoured_when_absolute():
    assert hostcheck.user_reports_dir({"XDG_STATE_HOME": "/srv/state"}, home="/home/op") == "/srv/state/twzrd-ops/reports"
    assert hostcheck.user_reports_dir({"XDG_STATE_HOME": "relative"}, home="/home/op") == "/home/op/.local/state/twzrd-ops/reports"


def test_a_directory_the_operator_names_is_used_as_given():
    assert hostcheck.reports_dir("/srv/reports", euid=1000, environ={}, home="/home/op") == "/srv/reports"


# --------------------------------------------------------------------------- explain_failure

@pytest.mark.parametrize(
    "result",
    [
        {"unreachable": False, "failed": True, "msg": "Task failed: Missing sudo password"},
        {"failed": True, "msg": "MODULE FAILURE", "module_stderr": "sudo: a password is required\n"},
        {"failed": True, "msg": "Incorrect sudo password"},
    ],
)
def test_sudo_wanting_a_password_is_told_with_its_fix(result):
    text = hostcheck.explain_failure(result)
    assert text.startswith("Privilege escalation (become) needs a password")
    assert "-K" in text and "twzrd_ops_become=false" in text


def test_missing_sudo_is_told_with_its_fix():
    text = hostcheck.explain_failure({"failed": True, "msg": "MODULE FAILURE\nSee stdout/stderr", "module_stdout": "",
                                      "module_stderr": "/bin/sh: 1: sudo: not found\n"})
    assert "sudo is not installed" in text and "-K" in text


def test_user_not_in_sudoers_is_told():
    text = hostcheck.explain_failure({"failed": True, "msg": "MODULE FAILURE", "module_stderr": "op is not in the sudoers file."})
    assert "refused" in text


def test_other_failures_keep_their_first_line_without_ansible_prefix():
    assert hostcheck.explain_failure({"failed": True, "msg": "Task failed: Setting swap_warning must be a number, got 'x'.\nmore"}) == \
        "Setting swap_warning must be a number, got 'x'."
    assert hostcheck.explain_failure({"failed": True, "msg": "MODULE FAILURE", "module_stderr": "Traceback...\n"}) == \
        "The check could not run on the host: Traceback..."
    assert hostcheck.explain_failure({"unreachable": True}) == "the host did not answer"


# --------------------------------------------------------------------------- host_result

def test_unreachable_result_is_an_unreachable_host():
    state = hostcheck.host_result({"unreachable": True, "msg": "Failed to connect to the host via ssh: timed out"})
    assert state == {"state": "unreachable", "error": "Failed to connect to the host via ssh: timed out"}


def test_failed_result_is_a_host_not_checked_with_the_reason():
    state = hostcheck.host_result({"failed": False, "msg": "Missing sudo password"})
    assert state["state"] == "failed" and "Privilege escalation" in state["error"]


def test_checked_result_carries_snapshot_findings_verdict_and_report():
    result = {"failed": False, "changed": True, "snapshot": {"host": "h"}, "findings": [], "verdict": "ok",
              "report": {"path": "/r.txt", "written": True}}
    assert hostcheck.host_result(result) == {"state": "checked", "snapshot": {"host": "h"}, "findings": [], "verdict": "ok",
                                             "report": {"path": "/r.txt", "written": True}}


def test_skipped_or_missing_result_is_not_checked():
    assert hostcheck.host_result(None)["state"] == "unreachable"
    assert hostcheck.host_result({"skipped": True})["state"] == "unreachable"


# --------------------------------------------------------------------------- run

NO_PM2 = {"pm2_path": "/nonexistent/pm2", "health_url": "", "disk_paths": ["/"], "log_paths": []}


def test_run_writes_both_reports_of_one_run(tmp_path):
    result = hostcheck.run(dict(NO_PM2), kind="health", report_dir=str(tmp_path))
    assert result["verdict"] == checks.verdict(result["findings"])
    assert result["exit_code"] == {"ok": 0, "warning": 1, "critical": 2}[result["verdict"]]
    assert result["report"]["written"] is True and result["report"]["error"] is None
    text = open(result["report"]["path"]).read()
    twin = json.load(open(result["report"]["json"]))
    # The text is the cron job's rendering of the same snapshot the JSON holds.
    assert text == report.render_text(result["snapshot"], result["findings"], result["verdict"], history=result["history"])
    assert twin["verdict"] == result["verdict"] and twin["snapshot"]["epoch"] == result["snapshot"]["epoch"]


def test_run_without_write_writes_nothing(tmp_path):
    result = hostcheck.run(dict(NO_PM2), kind="health", report_dir=str(tmp_path / "r"), write=False)
    assert result["report"]["written"] is False
    assert not (tmp_path / "r").exists()


def test_a_report_that_cannot_be_written_keeps_the_check(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = hostcheck.run(dict(NO_PM2), kind="health", report_dir=str(blocker / "reports"))
    assert result["report"]["written"] is False
    assert "Cannot write the report" in result["report"]["error"]
    assert result["verdict"] in ("ok", "warning", "critical")


def test_status_kind_has_no_log_scan_and_no_report(tmp_path):
    result = hostcheck.run(dict(NO_PM2), kind="status", report_dir=str(tmp_path))
    assert result["snapshot"]["logs"] is None and result["report"] is None
    assert os.listdir(str(tmp_path)) == []
    # the quick look does not read the history (the weekly report does)
    assert result["history"] is None
    health = hostcheck.run(dict(NO_PM2), kind="health", history_settings={"db_path": str(tmp_path / "h.sqlite")})
    assert health["history"]["available"] is False and health["history"]["reason"]


def test_bad_settings_and_kinds_are_refused_in_a_sentence():
    with pytest.raises(OpsError, match="swap_warning"):
        hostcheck.run(dict(NO_PM2, swap_warning="lots"))
    with pytest.raises(OpsError, match="kind"):
        hostcheck.run(dict(NO_PM2), kind="alerts")


def test_a_relative_report_directory_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(OpsError, match="absolute path"):
        hostcheck.run(dict(NO_PM2), report_dir="reports")
