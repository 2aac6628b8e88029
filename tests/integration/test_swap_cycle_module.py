"""swap_cycle through Ansible on this machine's real /proc/meminfo.

The test machine has no swap configured, so the real paths reachable here are "nothing to
do" and the refusal driven by a safety margin larger than the RAM; neither runs swapoff.
"""

from __future__ import annotations

HUGE_MARGIN_MB = 10 ** 8  # 95 TiB: more than any test machine's RAM


def test_no_swap_is_nothing_to_do(run_module):
    result = run_module("twzrd.ops.swap_cycle", {"timeout": 300})
    assert result.get("failed") is not True, result["msg"] if "msg" in result else result
    assert result["decision"] == "nothing_to_do"
    assert result["changed"] is False
    assert result["before"]["swap_total"] == 0
    assert result["before"]["mem_available"] > 0


def test_margin_above_ram_is_refused_without_failing(run_module):
    result = run_module("twzrd.ops.swap_cycle", {"safety_margin_mb": HUGE_MARGIN_MB})
    assert result.get("failed") is not True
    assert result["decision"] == "refused"
    assert result["changed"] is False
    assert "does not exceed swap in use" in result["message"]


def test_refusal_fails_the_task_when_asked(run_module):
    result = run_module("twzrd.ops.swap_cycle", {"safety_margin_mb": HUGE_MARGIN_MB, "fail_on_refusal": True})
    assert result["failed"] is True
    assert result["msg"].startswith("Refused to cycle swap")
    assert "Traceback" not in result["_stdout"] + result["_stderr"]


def test_negative_margin_is_one_clear_sentence(run_module):
    result = run_module("twzrd.ops.swap_cycle", {"safety_margin_mb": -5})
    assert result["failed"] is True
    assert result["msg"] == "safety_margin_mb must not be negative, got -5."


def test_check_mode_reports_the_same_decision(run_module):
    result = run_module("twzrd.ops.swap_cycle", {"timeout": 300}, check=True)
    assert result["decision"] == "nothing_to_do"
    assert result["changed"] is False
