"""The audit's read phase (module_utils/audit_read.py), the audit options from the role's
variables (settings.audit_options), the one gathering of settings (settings.gather) and the
filters that tell a host with broken settings "not checked" (h15, issue 21).
Real files in tmp_path; the only stand-in is the runner of run(), a command that is never
reached because no PM2 is named (the test says so where it is used)."""

from __future__ import annotations

import datetime
import os

from hypothesis import given, strategies as st

from ansible_collections.twzrd.ops.plugins.filter import audit as audit_filter
from ansible_collections.twzrd.ops.plugins.filter import fleet, settings as settings_filter
from ansible_collections.twzrd.ops.plugins.module_utils import audit, audit_read, settings


def test_swappiness_lines_read_like_grep_r_and_skip_links_inside_a_directory(tmp_path):
    conf = tmp_path / "sysctl.conf"
    conf.write_text("# vm.swappiness=1\nvm.swappiness = 30\n")
    folder = tmp_path / "sysctl.d"
    folder.mkdir()
    (folder / "60-twzrd-ops.conf").write_text("vm.swappiness=10\nvm.overcommit_memory=1\n")
    os.symlink(str(conf), str(folder / "99-sysctl.conf"))  # Debian's link: grep -r skips it
    text = audit_read.swappiness_lines((str(conf), str(folder)))
    assert text.splitlines() == ["%s:vm.swappiness = 30" % conf, "%s/60-twzrd-ops.conf:vm.swappiness=10" % folder]
    # The judge reads that output as grep printed it (file-name order: sysctl.conf sorts last here).
    assert audit.persisted_swappiness(text)[0] == "30"


def test_list_files_matches_patterns_and_keeps_sizes_of_regular_files_only(tmp_path):
    (tmp_path / "api-out.log").write_text("x" * 10)
    (tmp_path / "api-error.log.1").write_text("")
    (tmp_path / "other.txt").write_text("no")
    os.symlink(str(tmp_path / "api-out.log"), str(tmp_path / "link-out.log"))
    found = audit_read.list_files(str(tmp_path), audit_read.LOG_PATTERNS)
    assert found == [{"path": str(tmp_path / "api-error.log.1"), "size": 0}, {"path": str(tmp_path / "api-out.log"), "size": 10}]
    assert audit_read.list_files(str(tmp_path / "missing"), ("*",)) == []


def test_container_type_from_the_marker_files_and_pid_1_environment(tmp_path):
    assert audit_read.container_type(str(tmp_path)) == ""
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "1" / "environ").write_bytes(b"PATH=/bin\0container=lxc\0")
    assert audit_read.container_type(str(tmp_path)) == "lxc"
    (tmp_path / ".dockerenv").write_text("")
    assert audit_read.container_type(str(tmp_path)) == "docker"


def _never(argv, env=None):
    # Stand-in runner: read() with a pm2 path that does not exist never runs a command.
    raise AssertionError("no command expected, got %r" % (argv,))


def test_read_without_pm2_judges_like_the_old_playbook(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    today = datetime.date(2026, 11, 30)
    for days in (0, 7, 14, 21):
        (reports / ("weekly-health-report-%s.txt" % (today - datetime.timedelta(days=days)).isoformat())).write_text("")
    data = audit_read.read(_never, pm2_path=str(tmp_path / "no-pm2"), reports_dir=str(reports))
    assert "error" in data["pm2"] or data["pm2"].get("installed") is False
    assert "reboot" not in data  # only when PM2 is installed, as before
    result = audit.judge(data, today=today)
    levels = dict((c["check"], c["level"]) for c in result["checks"])
    assert levels["weekly_reports"] == "ok"
    assert set(levels) >= {"swappiness_live", "swappiness_persisted", "cron", "logrotate", "log_sizes"}


def test_run_refuses_an_unknown_audit_setting():
    try:
        audit_read.run(_never, {"report_weks": 4}, datetime.date(2026, 11, 30))
    except audit_read.OpsError as exc:
        assert "Unknown audit setting: report_weks. Perhaps you meant report_weeks." in str(exc)
    else:
        raise AssertionError("an unknown audit setting was accepted")


def test_audit_options_follow_the_role_variables():
    options = settings.audit_options({"twzrd_ops_cron_alerts_enabled": "false", "twzrd_ops_pm2_startup": "no",
                                      "twzrd_ops_pm2_user": "app", "twzrd_ops_swappiness": "5"})
    assert options["cron_jobs"] == ["health", "restart"]
    assert options["reboot_check"] is False
    assert options["pm2_user"] == "app" and options["swappiness"] == 5
    assert settings.audit_options({"twzrd_ops_cron_enabled": False})["cron_jobs"] == []
    flow = settings.flow("audit", {"twzrd_ops_audit_report_weeks": "12"})
    assert flow["report_weeks"] == 12 and flow["cron_jobs"] == ["health", "alerts", "restart"] and flow["reboot_check"] is True


@given(st.integers(min_value=-1000, max_value=1000), st.booleans())
def test_gather_reads_e_strings_by_the_type_of_the_default(number, flag):
    defaults = {"twzrd_ops_crash_threshold": 5, "twzrd_ops_pm2_startup": True, "twzrd_ops_health_url": "http://x"}
    got = settings.gather({"twzrd_ops_crash_threshold": str(number), "twzrd_ops_pm2_startup": str(flag).lower(),
                           "other": 1}, defaults, list(defaults) + ["twzrd_ops_expected_apps"])
    assert got == {"twzrd_ops_crash_threshold": number, "twzrd_ops_pm2_startup": flag, "twzrd_ops_health_url": "http://x"}


def test_gather_keeps_a_real_mistake_for_its_sentence():
    got = settings.gather({"twzrd_ops_crash_threshold": "three"}, {"twzrd_ops_crash_threshold": 5}, ["twzrd_ops_crash_threshold"])
    assert got["twzrd_ops_crash_threshold"] == "three"


def test_gather_settings_filter_equals_host_settings_for_the_same_variables():
    variables = {"twzrd_ops_crash_threshold": "3", "twzrd_ops_expected_apps": ["api"]}
    role_view = settings_filter.gather_settings(dict(variables))
    fleet_view = settings_filter.host_settings({"h": dict(variables, ansible_host="x")}, "h")
    assert role_view == fleet_view and role_view["twzrd_ops_crash_threshold"] == 3


def test_fleet_settings_names_the_bad_host_only():
    hostvars = {"good": {"twzrd_ops_pm2_user": "app"},
                "bad": {"twzrd_ops_pm2_user": "app", "twzrd_ops_alerts_webhook_url": "ftp://S3CRET"}}
    fleet_view = settings_filter.fleet_settings(hostvars, ["good", "bad"])
    assert list(fleet_view["unchecked"]) == ["bad"]
    assert fleet_view["unchecked"]["bad"].startswith("not checked: ")
    assert "S3CRET" not in fleet_view["unchecked"]["bad"]


def test_unchecked_rows_and_audit_results_tell_the_bad_host():
    fleet_view = {"unchecked": {"bad": "not checked: Setting x is wrong."}}
    rows = [fleet.host_row("good", {"state": "checked", "verdict": "ok"}), fleet.host_row("bad", None)]
    told = settings_filter.unchecked_rows(rows, fleet_view)
    assert told[0] == rows[0]
    assert told[1]["verdict"] == "unknown" and told[1]["error"] == "not checked: Setting x is wrong."
    hostvars = {"good": {"a": {"level": "ok", "checks": [], "apps": []}}, "bad": {"a": {"skipped": True}},
                "gone": {"a": {"unreachable": True, "msg": "ssh: no route"}}}
    results = audit_filter.audit_results(hostvars, ["good", "bad", "gone", "good"], "a", fleet_view)
    assert [r["host"] for r in results] == ["good", "bad", "gone"]
    assert results[0]["result"] == {"state": "checked", "audit": {"level": "ok", "checks": [], "apps": []}}
    assert results[1]["result"] == {"state": "failed", "error": "not checked: Setting x is wrong."}
    assert results[2]["result"]["state"] == "unreachable" and "no route" in results[2]["result"]["error"]
