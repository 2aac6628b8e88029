"""checks.py: the one place thresholds are normalised and snapshots judged."""

from __future__ import annotations

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import checks
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError


def test_unknown_settings_are_named_not_ignored():
    with pytest.raises(OpsError) as caught:
        checks.normalize_config({"swap_warnign": 10, "expected_app": []})
    assert str(caught.value).startswith("Unknown check settings: expected_app, swap_warnign. ")


def test_one_unknown_setting_is_singular():
    with pytest.raises(OpsError, match=r"^Unknown check setting: swap_warnign\. Perhaps you meant swap_warning\. Known: "):
        checks.normalize_config({"swap_warnign": 10})


@pytest.mark.parametrize("mode, expected", [("per_core", (1.0, 1.5)), ("absolute", (8.0, 12.0))])
def test_load_defaults_follow_the_mode(mode, expected):
    cfg = checks.normalize_config({"load_mode": mode})
    assert (cfg["load_warning"], cfg["load_critical"]) == expected


def test_warning_above_critical_is_refused():
    with pytest.raises(OpsError, match="swap"):
        checks.normalize_config({"swap_warning": 60, "swap_critical": 50})


def test_null_load_thresholds_follow_the_mode_as_unset_ones_do():
    # The role's defaults leave them null; absolute mode must not inherit per-core figures.
    cfg = checks.normalize_config({"load_mode": "absolute", "load_warning": None, "load_critical": None})
    assert (cfg["load_warning"], cfg["load_critical"]) == (8.0, 12.0)


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"crash_window": float("nan")}, "Setting crash_window must be a finite number"),
        ({"health_retries": True}, "Setting health_retries must be a number, got True."),
        ({"disk_warning": 120}, "Setting disk_warning must be between 0 and 100, got 120."),
        ({"health_url": "localhost:8080/health"}, "Setting health_url must be empty or an http(s) URL"),
    ],
)
def test_bad_values_are_one_sentence_from_the_common_validator(settings, words):
    with pytest.raises(OpsError) as caught:
        checks.normalize_config(settings)
    assert words in str(caught.value)


def test_an_empty_health_url_means_no_probe_and_is_accepted():
    assert checks.normalize_config({"health_url": ""})["health_url"] == ""


@pytest.mark.parametrize("level, code", [("ok", 0), ("warning", 1), ("critical", 2), ("unknown", 3), ("bogus", 3)])
def test_exit_codes_are_the_common_table(level, code):
    assert checks.exit_code(level) == code


def _proc(name, status):
    return {"name": name, "status": status}


def _pm2(processes, not_online=(), missing=(), crashes=None, loops=()):
    return {
        "installed": True,
        "daemon_running": True,
        "processes": processes,
        "summary": {"not_online": list(not_online), "missing": list(missing), "crashes": crashes or {},
                    "crash_loop_apps": list(loops)},
    }


def test_expected_app_down_is_critical_and_an_unlisted_stopped_app_a_warning():
    snap = {"pm2": _pm2([_proc("api", "stopped"), _proc("batch", "stopped")], not_online=["api", "batch"])}
    findings = checks.evaluate(snap, {"expected_apps": ["api"]})
    levels = {f["key"]: f["level"] for f in findings}
    assert levels == {"pm2_app_down:api": "critical", "pm2_app_down:batch": "warning"}
    assert checks.verdict(findings) == "critical"


def test_errored_app_is_critical_even_when_not_expected():
    snap = {"pm2": _pm2([_proc("batch", "errored")], not_online=["batch"])}
    assert [f["level"] for f in checks.evaluate(snap, {})] == ["critical"]


def test_crash_loop_is_critical_and_single_crash_a_warning():
    snap = {"pm2": _pm2([_proc("a", "online"), _proc("b", "online")], crashes={"a": 7, "b": 1}, loops=["a"])}
    findings = {f["key"]: f for f in checks.evaluate(snap, {})}
    assert findings["crash_loop:a"]["level"] == "critical" and findings["crash_loop:a"]["value"] == 7
    assert findings["pm2_crashes:b"]["level"] == "warning"


def test_pm2_unreadable_is_critical_only_when_apps_are_expected():
    snap = {"pm2": {"error": "PM2 daemon is not running."}}
    assert checks.evaluate(snap, {})[0]["level"] == "warning"
    assert checks.evaluate(snap, {"expected_apps": ["api"]})[0]["level"] == "critical"


def test_nothing_wrong_is_ok():
    snap = {"pm2": _pm2([_proc("api", "online")]), "health": {"healthy": True}}
    assert checks.evaluate(snap, {"expected_apps": ["api"]}) == []
    assert checks.verdict([]) == "ok"
    assert [checks.exit_code(v) for v in ("ok", "warning", "critical", "bogus")] == [0, 1, 2, 3]
