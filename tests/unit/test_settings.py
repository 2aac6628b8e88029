"""The role's variables checked by module_utils (settings.py, schedule.py) and their filters.

The role's tasks/validate.yml and vars/main.yml call these through the filters
validate_settings, host_config and cron_jobs; tests/integration/test_role_argspec.py runs
them through ansible-playbook.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.filter import settings as setting_filters
from ansible_collections.twzrd.ops.plugins.module_utils import alerts, checks, schedule, settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

KNOWN = ["twzrd_ops_%s" % key for key in checks.DEFAULTS] + [
    "twzrd_ops_pm2_user", "twzrd_ops_swappiness", "twzrd_ops_reports_dir", "twzrd_ops_alerts_repeat_hours",
    "twzrd_ops_alerts_webhook_url", "twzrd_ops_alerts_heartbeat_url",
    "twzrd_ops_cron_health_schedule", "twzrd_ops_logrotate_rotate", "twzrd_ops_reports_keep_weeks",
]


def errors(checks_only=False, **variables):
    return settings.errors(dict(("twzrd_ops_" + k, v) for k, v in variables.items()), KNOWN, checks_only)


def test_good_settings_have_no_errors():
    assert errors(pm2_user="twzrd", swap_warning=30, load_mode="absolute", load_warning=None) == []


def test_misspelled_variable_is_refused_with_the_known_names():
    found = errors(pm2_user="twzrd", swap_warnign=30)
    assert len(found) == 1
    assert found[0].startswith("Unknown twzrd_ops variable: twzrd_ops_swap_warnign. Perhaps you meant twzrd_ops_swap_warning. Known: ")
    assert "twzrd_ops_swap_warning" in found[0]


@pytest.mark.parametrize(
    "variables, sentence",
    [
        ({"swap_warning": 60}, "twzrd_ops_swap_warning (60) must not be above twzrd_ops_swap_critical (50)."),
        ({"crash_window": 0}, "Setting twzrd_ops_crash_window must be at least 1, got 0."),
        ({"alerts_repeat_hours": -1}, "Alert setting twzrd_ops_alerts_repeat_hours must be between 0 and 8760, got -1."),
        ({"reports_keep_weeks": 0}, "Setting twzrd_ops_reports_keep_weeks must be at least 1, got 0."),
        ({"swappiness": 500}, "Setting twzrd_ops_swappiness must be between 0 and 200, got 500."),
        ({"logrotate_rotate": 0}, "Setting twzrd_ops_logrotate_rotate must be at least 1, got 0."),
        ({"reports_dir": "/tmp/r"}, "twzrd_ops_reports_dir must be an absolute path outside /tmp (a reboot wipes /tmp), got '/tmp/r'."),
        ({"cron_health_schedule": "0 0 * *"},
         "twzrd_ops_cron_health_schedule must be five cron fields (minute hour day month weekday), got '0 0 * *'."),
        ({"health_url": "localhost:8080"}, "Setting twzrd_ops_health_url must be empty or an http(s) URL, got 'localhost:8080'."),
    ],
)
def test_each_broken_rule_is_one_sentence_naming_the_variable(variables, sentence):
    assert errors(pm2_user="twzrd", **variables) == [sentence]


def test_rules_are_those_of_module_utils_not_stricter():
    # Former Jinja copies refused these; module_utils accepts them (0 = no reminders, equal thresholds).
    assert errors(pm2_user="twzrd", crash_threshold=0, alerts_repeat_hours=0, swap_warning=50, swap_critical=50) == []


def test_pm2_user_root_is_refused_and_empty_only_for_checks():
    assert errors(pm2_user="root", checks_only=True) == [
        "twzrd_ops_pm2_user must name a non-root user that owns the PM2 apps, got 'root'."
        " Set twzrd_ops_pm2_root_ok: true to keep a root-owned PM2 (see the README)."]
    assert errors(pm2_user="", checks_only=True) == []
    assert len(errors(pm2_user="")) == 1


def test_webhook_url_is_never_echoed():
    found = errors(pm2_user="twzrd", alerts_webhook_url="ftp://hooks.example/secret-token")
    assert found == ["twzrd_ops_alerts_webhook_url must be empty or an http(s) URL (value hidden)."]


def test_host_config_follows_the_load_mode_when_thresholds_are_unset():
    conf = settings.host_config({"twzrd_ops_load_mode": "absolute", "twzrd_ops_load_warning": None})
    assert (conf["checks"]["load_warning"], conf["checks"]["load_critical"]) == (8.0, 12.0)
    assert settings.host_config({})["checks"]["load_warning"] == 1.0


def test_host_config_maps_role_variables_to_sections_and_adds_internal_values():
    conf = settings.host_config(
        {"twzrd_ops_alerts_repeat_hours": "6", "twzrd_ops_reports_keep_weeks": 4, "twzrd_ops_alerts_log": "/var/log/a.log"},
        {"checks": {"pm2_home": "/home/twzrd/.pm2"}, "alerts": {"state_file": "/var/lib/x/state.json"}},
    )
    assert conf["alerts"] == dict(alerts.DEFAULTS, repeat_hours=6, log_file="/var/log/a.log", state_file="/var/lib/x/state.json")
    assert conf["reports"]["keep_weeks"] == 4 and conf["checks"]["pm2_home"] == "/home/twzrd/.pm2"


def test_host_config_filter_turns_a_bad_value_into_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="Invalid twzrd_ops setting: "):
        setting_filters.host_config({"twzrd_ops_disk_warning": 95, "twzrd_ops_disk_critical": 90})
    with pytest.raises(AnsibleFilterError, match="expects a mapping"):
        setting_filters.validate_settings(["twzrd_ops_swap_warning"], KNOWN)


# ----------------------------------------------------------------------- cron schedules

SPECS = [{"name": n, "schedule": s} for n, s in (("health", "0 0 * * 1"), ("alerts", "0 * * * *"), ("restart", "0 1 * * 5"))]


def fields(offset, cron_tz, specs=SPECS):
    return [" ".join(job["fields"]) for job in schedule.cron_jobs(specs, offset, cron_tz)]


@pytest.mark.parametrize(
    "offset, cron_tz, expected",
    [
        ("+0000", False, ["0 0 * * 1", "0 * * * *", "0 1 * * 5"]),
        ("-0500", True, ["0 0 * * 1", "0 * * * *", "0 1 * * 5"]),
        ("-0500", False, ["0 19 * * 0", "0 * * * *", "0 20 * * 4"]),
        ("+0530", False, ["30 5 * * 1", "30 * * * *", "30 6 * * 5"]),
        ("+1400", False, ["0 14 * * 1", "0 * * * *", "0 15 * * 5"]),
    ],
)
def test_utc_schedules_become_local_when_cron_ignores_cron_tz(offset, cron_tz, expected):
    assert fields(offset, cron_tz) == expected


def test_weekday_lists_move_with_the_day():
    assert fields("-0300", False, [{"name": "r", "schedule": "30 2 * * 1,5,0"}]) == ["30 23 * * 0,4,6"]


def test_a_schedule_that_cannot_be_converted_is_marked():
    job = schedule.cron_jobs([{"name": "h", "schedule": "*/15 2 * * *"}], "+0100", False)[0]
    assert job["convertible"] is False and job["fields"] == ["*/15", "2", "*", "*", "*"]
    assert schedule.cron_jobs([{"name": "h", "schedule": "*/15 2 * * *"}], "+0000", False)[0]["convertible"] is True


def test_a_bad_offset_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="UTC offset must look like"):
        setting_filters.cron_jobs(SPECS, "CET", False)


def test_heartbeat_url_is_checked_like_the_webhook_and_never_echoed():
    found = errors(pm2_user="twzrd", alerts_heartbeat_url="ftp://hc.example/ping/secret-uuid")
    assert found == ["twzrd_ops_alerts_heartbeat_url must be empty or an http(s) URL (value hidden)."]
    assert errors(pm2_user="twzrd", alerts_heartbeat_url="https://hc.example/ping/uuid") == []


# --- reboot_check follows twzrd_ops_pm2_startup unless set ------------------------------------

@pytest.mark.parametrize("startup, explicit, wanted", [
    (True, None, True),
    (None, None, True),
    (False, None, False),
    ("false", None, False),
    (False, True, True),
    (True, False, False),
])
def test_reboot_check_follows_pm2_startup_unless_set(startup, explicit, wanted):
    from ansible_collections.twzrd.ops.plugins.filter.health import health_config

    variables = {"twzrd_ops_pm2_startup": startup, "twzrd_ops_reboot_check": explicit}
    assert health_config(variables)["reboot_check"] is wanted
    # config.json (the cron'd weekly report) gets the same answer from the same rule
    assert settings.host_config(variables)["checks"]["reboot_check"] is wanted


def test_reboot_check_must_be_a_boolean():
    with pytest.raises(Exception, match="reboot_check must be true or false"):
        checks.normalize_config({"reboot_check": "sometimes"})


def test_weekly_collect_skips_the_reboot_check_when_it_is_off(monkeypatch):
    calls = []
    monkeypatch.setattr(checks, "_reboot_readiness", lambda *a, **k: calls.append(a) or {"ready": False})
    cfg = checks.normalize_config({"reboot_check": False, "health_url": "", "pm2_path": "/nonexistent/pm2"})
    snapshot = checks.collect(cfg, kind="health")
    assert snapshot["reboot"] is None and calls == []
    cfg = checks.normalize_config({"health_url": "", "pm2_path": "/nonexistent/pm2"})
    assert checks.collect(cfg, kind="health")["reboot"] == {"ready": False} and len(calls) == 1


def test_the_friday_log_reaches_the_restart_by_hand():
    """twzrd_ops_restart_log is the file cron's restart appends to and the one `twzrd-ops restart`
    run by hand logs to (restart.log_file), so both land in the same log."""
    conf = settings.host_config({"twzrd_ops_restart_log": "/var/log/friday.log"}, {})
    assert conf["restart"]["log_file"] == "/var/log/friday.log"
    with pytest.raises(OpsError, match="restart.log_file must be an absolute path"):
        settings.host_config({"twzrd_ops_restart_log": "friday.log"}, {})


def test_a_wrong_alert_channel_is_refused_before_anything_is_written():
    known = KNOWN + ["twzrd_ops_alerts_channels"]
    found = settings.errors({"twzrd_ops_pm2_user": "twzrd", "twzrd_ops_alerts_channels": [
        {"type": "telegram", "token": "123:SECRET"}]}, known, False)
    assert len(found) == 1 and "telegram" in found[0] and "SECRET" not in found[0]
    assert settings.errors({"twzrd_ops_pm2_user": "twzrd", "twzrd_ops_alerts_channels": [
        {"type": "ntfy", "url": "http://127.0.0.1:8/", "topic": "ops"}]}, known, False) == []
