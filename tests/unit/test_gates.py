"""The playbooks' decisions (module_utils/gates.py) and their filters (plugins/filter/gates.py).

Results are shaped like the registered results of pm2_status and health_probe
(docs/DESIGN.md); a failed pm2_status has msg and no summary.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.filter import gates as gate_filters
from ansible_collections.twzrd.ops.plugins.module_utils import gates


def pm2(processes=(), missing=(), crashes=None):
    processes = [dict(name=n, status=s, restarts=r) for n, s, r in processes]
    return {
        "processes": processes,
        "summary": {
            "total": len(processes),
            "online": sum(1 for p in processes if p["status"] == "online"),
            "not_online": sorted({p["name"] for p in processes if p["status"] != "online"}),
            "missing": list(missing),
            "crashes": crashes or {},
        },
    }


FAILED_PM2 = {"failed": True, "msg": "pm2 was not found on PATH."}
SKIPPED_PROBE = {"skipped": True, "skip_reason": "Conditional result was False"}


# ----------------------------------------------------------------------- patch_precheck


def test_healthy_host_may_be_patched_and_waits_for_the_expected_apps():
    check = gates.patch_precheck(pm2([("api", "online", 0), ("web", "online", 0)]), {"healthy": True}, ["api"])
    assert check == {"problems": [], "expected": ["api"]}


def test_without_expected_apps_the_apps_online_before_are_waited_for():
    before = pm2([("api", "online", 0), ("api", "online", 0), ("batch", "stopped", 0)])
    assert gates.patch_precheck(before, SKIPPED_PROBE, [])["expected"] == ["api"]


def test_missing_not_online_and_unhealthy_are_each_a_problem():
    before = pm2([("api", "errored", 3), ("other", "stopped", 0)], missing=["web"])
    probe = {"healthy": False, "reason": "refused", "message": "http://localhost:8080/health refused the connection."}
    assert gates.patch_precheck(before, probe, ["api", "web"])["problems"] == [
        "expected apps missing: web",
        "expected apps not online: api",
        "health probe: http://localhost:8080/health refused the connection.",
    ]


def test_pm2_that_cannot_be_read_blocks_the_patch_with_its_message():
    assert gates.patch_precheck(FAILED_PM2, None, ["api"])["problems"] == ["pm2 was not found on PATH."]


def test_expected_online_is_the_expected_apps_or_those_online_before():
    before = pm2([("api", "online", 0), ("api", "online", 0), ("batch", "stopped", 0), ("web", "online", 2)])
    assert gates.expected_online(before, []) == ["api", "web"]
    assert gates.expected_online(before, ["batch", "batch"]) == ["batch"]
    assert gates.expected_online(FAILED_PM2, []) == []


# ----------------------------------------------------------------------- apps_down


def test_apps_down_lists_missing_then_not_online_expected_apps():
    after = pm2([("api", "launching", 1), ("other", "stopped", 0)], missing=["web"])
    assert gates.apps_down(after, ["api", "web"]) == {"up": False, "down": ["web", "api"], "error": None}
    assert gates.apps_down(pm2([("api", "online", 1)]), ["api"]) == {"up": True, "down": [], "error": None}


def test_apps_down_when_pm2_cannot_be_read():
    assert gates.apps_down(FAILED_PM2, ["api"]) == {"up": False, "down": ["api"], "error": "pm2 was not found on PATH."}


# ----------------------------------------------------------------------- stayed_up


def test_app_online_without_crash_or_restart_stayed_up():
    assert gates.stayed_up(pm2([("api", "online", 4)]), pm2([("api", "online", 4)]), "api") is True


@pytest.mark.parametrize(
    "watched",
    [
        pm2([("api", "online", 5)]),  # restarted during the watch
        pm2([("api", "online", 4)], crashes={"api": 1}),  # crashed (PM2's log) during the watch
        pm2([("api", "errored", 4)]),
        pm2([]),  # gone
    ],
)
def test_app_that_restarted_crashed_or_is_not_online_did_not_stay_up(watched):
    assert gates.stayed_up(watched, pm2([("api", "online", 4)]), "api") is False


# ----------------------------------------------------------------------- error_lines


def test_error_lines_use_the_weekly_scans_patterns_by_default():
    lines = ["2026-11-30 ready on :8080", "2026-11-30 ERROR cannot reach redis", "Unhandled rejection", "fatal: disk"]
    assert gates.error_lines(lines) == ["2026-11-30 ERROR cannot reach redis", "Unhandled rejection", "fatal: disk"]


def test_error_lines_with_the_operators_patterns():
    assert gates.error_lines(["a timeout", "b ok", "c Timeout"], ["time?out"]) == ["a timeout", "c Timeout"]
    assert gates.error_lines([], None) == []


def test_error_lines_keeps_utf8_lines_aligned():
    assert gates.error_lines(["é ok", "ü ERROR", "plain"]) == ["ü ERROR"]


def test_bad_pattern_is_one_sentence_from_the_filter():
    with pytest.raises(AnsibleFilterError, match="not a valid regular expression"):
        gate_filters.error_lines(["x"], ["("])


def test_filters_are_registered():
    assert set(gate_filters.FilterModule().filters()) == {
        "patch_precheck", "expected_online", "apps_down", "stayed_up", "error_lines", "folded_lines", "folded_logs",
        "restart_verdict", "restart_silence_targets", "restart_pm2_state"}
