"""swap_cycle's decision and its swapoff/swapon sequence.

swap_cycle's logic lives in plugins/module_utils/swap.py (the module is a thin wrapper).
The figures come from a /proc/meminfo captured on the development machine (Debian 12,
24 GiB, no swap). For the cases with swap in use the Swap lines of that capture are
rewritten: this machine has no swap, and enabling swap to test with would change the
host for every other test (swap is not namespaced). For the same reason swapoff/swapon are
not run for real here: the runner below records the commands and plays their exit codes,
a stand-in for the only part that cannot exist on this machine.
"""

from __future__ import annotations

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import swap as swap_cycle
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, size

# Captured with `head -20 /proc/meminfo` on the development machine.
MEMINFO_NO_SWAP = """\
MemTotal:       24684084 kB
MemFree:        22674668 kB
MemAvailable:   24059004 kB
Buffers:           35820 kB
Cached:          1352336 kB
SwapCached:            0 kB
Active:           646436 kB
Inactive:         900400 kB
Active(anon):       1616 kB
Inactive(anon):   166052 kB
Active(file):     644820 kB
Inactive(file):   734348 kB
Unevictable:       17368 kB
Mlocked:           16296 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Zswap:                 0 kB
Zswapped:              0 kB
Dirty:            291432 kB
Writeback:             0 kB
"""
GIB_KB = 1024 * 1024


def meminfo(mem_available_kb=24059004, swap_total_kb=0, swap_free_kb=0):
    text = MEMINFO_NO_SWAP.replace("MemAvailable:   24059004 kB", "MemAvailable:   %d kB" % mem_available_kb)
    text = text.replace("SwapTotal:             0 kB", "SwapTotal:       %d kB" % swap_total_kb)
    return text.replace("SwapFree:              0 kB", "SwapFree:        %d kB" % swap_free_kb)


class RecordingRunner:
    """Records argv lists; answers with the exit codes given per command name."""

    def __init__(self, swapoff_rc=0, swapon_rc=0, swapoff_err=""):
        self.calls = []
        self.swapoff = (swapoff_rc, "", swapoff_err)
        self.swapon = (swapon_rc, "", "")

    def __call__(self, argv):
        self.calls.append(argv)
        return self.swapon if argv[0] == "swapon" else self.swapoff


def cycle(text, runner, margin=512, timeout=300):
    return swap_cycle.SwapCycle(runner, lambda: text, margin, timeout)


def test_real_meminfo_without_swap_is_parsed_in_bytes():
    figures = swap_cycle.parse_meminfo(MEMINFO_NO_SWAP)
    assert figures == {
        "mem_total": 24684084 * 1024,
        "mem_available": 24059004 * 1024,
        "swap_total": 0,
        "swap_used": 0,
    }


def test_swap_used_is_total_minus_free():
    figures = swap_cycle.parse_meminfo(meminfo(swap_total_kb=2 * GIB_KB, swap_free_kb=GIB_KB // 2))
    assert figures["swap_used"] == (2 * GIB_KB - GIB_KB // 2) * 1024


def test_meminfo_without_memavailable_is_a_clear_error():
    text = "\n".join(line for line in MEMINFO_NO_SWAP.splitlines() if not line.startswith("MemAvailable"))
    with pytest.raises(OpsError, match="has no MemAvailable line"):
        swap_cycle.parse_meminfo(text)


def test_no_swap_configured_is_nothing_to_do():
    action, message = swap_cycle.decide(swap_cycle.parse_meminfo(MEMINFO_NO_SWAP), 512)
    assert action == "nothing_to_do"
    assert "No swap is configured" in message


def test_swap_configured_but_unused_is_nothing_to_do():
    action, message = swap_cycle.decide(swap_cycle.parse_meminfo(meminfo(swap_total_kb=GIB_KB, swap_free_kb=GIB_KB)), 512)
    assert action == "nothing_to_do"
    assert "No swap is in use (1.0 GiB configured)" in message


def test_swap_that_fits_in_ram_with_margin_is_cycled():
    figures = swap_cycle.parse_meminfo(meminfo(mem_available_kb=4 * GIB_KB, swap_total_kb=2 * GIB_KB, swap_free_kb=GIB_KB))
    action, _message = swap_cycle.decide(figures, 512)
    assert action == "cycled"


def test_swap_larger_than_available_ram_is_refused_with_the_figures():
    figures = swap_cycle.parse_meminfo(meminfo(mem_available_kb=GIB_KB, swap_total_kb=4 * GIB_KB, swap_free_kb=GIB_KB))
    action, message = swap_cycle.decide(figures, 512)
    assert action == "refused"
    assert "MemAvailable (1.0 GiB) does not exceed swap in use (3.0 GiB) by the safety margin (512.0 MiB)" in message
    assert "OOM killer" in message


def test_room_just_below_the_margin_is_refused_and_at_the_margin_is_cycled():
    # 1.5 GiB available, 1 GiB used: 512 MiB of room.
    text = meminfo(mem_available_kb=GIB_KB * 3 // 2, swap_total_kb=2 * GIB_KB, swap_free_kb=GIB_KB)
    figures = swap_cycle.parse_meminfo(text)
    assert swap_cycle.decide(figures, 513)[0] == "refused"
    assert swap_cycle.decide(figures, 512)[0] == "cycled"


def test_margin_above_ram_refuses_even_without_swap():
    # The rule the molecule scenario relies on: the refusal check comes first.
    action, _message = swap_cycle.decide(swap_cycle.parse_meminfo(MEMINFO_NO_SWAP), 10 ** 8)
    assert action == "refused"


def test_cycle_runs_swapoff_bounded_then_swapon():
    runner = RecordingRunner()
    text = meminfo(mem_available_kb=8 * GIB_KB, swap_total_kb=2 * GIB_KB, swap_free_kb=GIB_KB)
    result = cycle(text, runner, timeout=42).run(check_mode=False)
    assert runner.calls == [["timeout", "--kill-after=10", "42", "swapoff", "-a"], ["swapon", "-a"]]
    assert result["changed"] is True
    assert result["decision"] == "cycled"
    assert "failed_msg" not in result
    assert result["message"].startswith("Cycled swap: 1.0 GiB in use before")


def test_failed_swapoff_still_runs_swapon_and_fails_with_a_sentence():
    runner = RecordingRunner(swapoff_rc=255, swapoff_err="swapoff: /swapfile: swapoff failed: Cannot allocate memory\n")
    text = meminfo(mem_available_kb=8 * GIB_KB, swap_total_kb=2 * GIB_KB, swap_free_kb=GIB_KB)
    result = cycle(text, runner).run(check_mode=False)
    assert runner.calls[-1] == ["swapon", "-a"]
    assert result["swapon"]["rc"] == 0
    assert result["failed_msg"].startswith("swapoff -a failed (exit 255: swapoff: /swapfile: swapoff failed: Cannot allocate memory)")
    assert "swapon -a ran afterwards" in result["failed_msg"]


def test_swapoff_stopped_by_the_timeout_still_runs_swapon():
    runner = RecordingRunner(swapoff_rc=124)
    text = meminfo(mem_available_kb=8 * GIB_KB, swap_total_kb=2 * GIB_KB, swap_free_kb=GIB_KB)
    result = cycle(text, runner, timeout=5).run(check_mode=False)
    assert runner.calls[-1] == ["swapon", "-a"]
    assert result["swapoff"]["timed_out"] is True
    assert "did not finish within 5 seconds" in result["failed_msg"]


def test_failed_swapon_is_reported():
    runner = RecordingRunner(swapon_rc=1)
    text = meminfo(mem_available_kb=8 * GIB_KB, swap_total_kb=2 * GIB_KB, swap_free_kb=GIB_KB)
    result = cycle(text, runner).run(check_mode=False)
    assert "swapon -a failed" in result["failed_msg"]


def test_check_mode_runs_nothing_and_says_it_would_cycle():
    runner = RecordingRunner()
    text = meminfo(mem_available_kb=8 * GIB_KB, swap_total_kb=2 * GIB_KB, swap_free_kb=GIB_KB)
    result = cycle(text, runner).run(check_mode=True)
    assert runner.calls == []
    assert result["changed"] is True
    assert result["message"].startswith("Would cycle swap")


def test_refusal_runs_nothing():
    runner = RecordingRunner()
    text = meminfo(mem_available_kb=GIB_KB, swap_total_kb=4 * GIB_KB, swap_free_kb=GIB_KB)
    result = cycle(text, runner).run(check_mode=False)
    assert runner.calls == []
    assert result["changed"] is False
    assert result["decision"] == "refused"


@pytest.mark.parametrize("margin,timeout,message", [
    (-1, 300, "safety_margin_mb must not be negative, got -1."),
    (512, 0, "timeout must be at least 1 second, got 0."),
])
def test_bad_settings_are_one_sentence(margin, timeout, message):
    with pytest.raises(OpsError) as error:
        cycle(MEMINFO_NO_SWAP, RecordingRunner(), margin=margin, timeout=timeout)
    assert str(error.value) == message


@pytest.mark.parametrize("value,text", [(0, "0 B"), (512 * 1024 * 1024, "512.0 MiB"), (3 * 1024 ** 3 // 2, "1.5 GiB"), (None, "?")])
def test_sizes_in_binary_units(value, text):
    assert size(value) == text
