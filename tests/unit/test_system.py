"""Unit tests of plugins/module_utils/system.py: threshold validation, breach levels and
messages, and collection on this real host (real /proc, real child processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import system
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError


def snapshot(swap_total=1000, swap_used=0, load1=0.0, cpus=4):
    """A collect()-shaped snapshot with chosen figures, for the breach rules."""
    return {
        "swap": {
            "total": swap_total,
            "used": swap_used,
            "free": swap_total - swap_used,
            "percent": system._percent(swap_used, swap_total),
            "configured": swap_total > 0,
        },
        "memory": {"total": 100, "available": 50, "used": 50, "percent": 50.0},
        "load": {
            "load1": load1,
            "load5": load1,
            "load15": load1,
            "per_core": {"load1": round(load1 / cpus, 2), "load5": round(load1 / cpus, 2), "load15": round(load1 / cpus, 2)},
        },
        "cpu_count": cpus,
    }


# ----------------------------------------------------------------------------- thresholds


def test_defaults_depend_on_load_mode():
    assert system.validate_thresholds() == {
        "swap_warning": 20.0,
        "swap_critical": 50.0,
        "load_mode": "per_core",
        "load_warning": 1.0,
        "load_critical": 1.5,
    }
    absolute = system.validate_thresholds(load_mode="absolute")
    assert (absolute["load_warning"], absolute["load_critical"]) == (8.0, 12.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"swap_warning": -1}, "swap_warning must not be negative (got -1)."),
        ({"load_critical": -0.5}, "load_critical must not be negative (got -0.5)."),
        ({"swap_warning": 60, "swap_critical": 50}, "swap_warning (60) must not be above swap_critical (50)."),
        ({"load_warning": 2, "load_critical": 1.5}, "load_warning (2) must not be above load_critical (1.5)."),
        ({"swap_critical": 150}, "swap_critical is a percentage and must be between 0 and 100 (got 150)."),
        ({"load_mode": "per_socket"}, "load_mode must be per_core or absolute (got 'per_socket')."),
        ({"swap_warning": "lots"}, "Setting swap_warning must be a number, got 'lots'."),
        ({"load_warning": True}, "Setting load_warning must be a number, got True."),
        ({"load_critical": float("nan")}, "Setting load_critical must be a finite number, got nan."),
        ({"swap_critical": "Infinity"}, "Setting swap_critical must be a finite number, got 'Infinity'."),
    ],
)
def test_bad_thresholds_give_one_sentence(kwargs, message):
    with pytest.raises(OpsError) as error:
        system.validate_thresholds(**kwargs)
    assert str(error.value) == message


def test_load_above_100_is_fine_in_absolute_mode():
    assert system.validate_thresholds(load_mode="absolute", load_warning=120, load_critical=200)["load_critical"] == 200


# ----------------------------------------------------------------------------- breaches


def test_swap_warning_message_and_level():
    found = system.breaches(snapshot(swap_total=1000, swap_used=352), system.validate_thresholds())
    assert found == [
        {
            "rule": "swap",
            "key": "swap",
            "level": "warning",
            "value": 35.2,
            "message": "Swap use is 35.2% (warning at 20%, critical at 50%).",
        }
    ]


def test_swap_levels_use_above_not_at():
    thresholds = system.validate_thresholds()
    assert system.breaches(snapshot(swap_used=200), thresholds) == []  # exactly 20 %: not above
    assert system.breaches(snapshot(swap_used=201), thresholds)[0]["level"] == "warning"
    assert system.breaches(snapshot(swap_used=500), thresholds)[0]["level"] == "warning"
    assert system.breaches(snapshot(swap_used=501), thresholds)[0]["level"] == "critical"


def test_host_without_swap_never_breaches_on_swap():
    no_swap = snapshot(swap_total=0, swap_used=0)
    assert no_swap["swap"]["percent"] == 0.0
    thresholds = system.validate_thresholds(swap_warning=0, swap_critical=0)
    assert [f for f in system.breaches(no_swap, thresholds) if f["rule"] == "swap"] == []


def test_load_per_core_and_absolute():
    busy = snapshot(load1=9.2, cpus=8)
    per_core = system.breaches(busy, system.validate_thresholds())
    assert per_core == [
        {
            "rule": "load",
            "key": "load",
            "level": "warning",
            "value": 1.15,
            "message": "Load average (1 min) is 1.15 per core on 8 CPUs (warning at 1, critical at 1.5).",
        }
    ]
    absolute = system.breaches(busy, system.validate_thresholds(load_mode="absolute"))
    assert absolute[0]["level"] == "warning"
    assert absolute[0]["message"] == "Load average (1 min) is 9.20 on 8 CPUs (warning at 8, critical at 12)."
    spike = system.breaches(snapshot(load1=12.5, cpus=8), system.validate_thresholds(load_mode="absolute"))
    assert spike[0]["level"] == "critical"
    assert system.breaches(snapshot(load1=7.9, cpus=8), system.validate_thresholds(load_mode="absolute")) == []


def test_swap_and_load_together():
    found = system.breaches(snapshot(swap_used=700, load1=20, cpus=4), system.validate_thresholds())
    assert [(f["rule"], f["level"]) for f in found] == [("swap", "critical"), ("load", "critical")]


# ----------------------------------------------------------------------------- collect (real host)


def test_collect_reads_this_host(meminfo):
    snap = system.collect()
    assert snap["memory"]["total"] == meminfo("MemTotal")
    assert 0 <= snap["memory"]["percent"] <= 100
    assert snap["swap"]["total"] == meminfo("SwapTotal")
    assert snap["swap"]["configured"] is (meminfo("SwapTotal") > 0)
    if not snap["swap"]["configured"]:
        # This machine (and CI's) has no swap: the no-swap path runs for real here.
        assert snap["swap"]["percent"] == 0.0
    assert snap["cpu_count"] == os.cpu_count()
    load1 = snap["load"]["load1"]
    assert snap["load"]["per_core"]["load1"] == pytest.approx(load1 / snap["cpu_count"], abs=0.01)
    assert "top_memory" not in snap and "top_cpu" not in snap
    json.dumps(snap)  # the module returns it as is


def test_percent_of_nothing_is_zero():
    assert system._percent(0, 0) == 0.0
    assert system._percent(5, 0) == 0.0


def test_top_processes_mask_secrets_and_rank_a_busy_process():
    secret = "s3cret-canary-4471"
    burner = subprocess.Popen(
        [sys.executable, "-c", "while True: pass", "--db-password=" + secret, "--token", secret]
    )
    try:
        snap = system.collect(top=1000, sample_seconds=1.0)
    finally:
        burner.kill()
        burner.wait()
    assert secret not in json.dumps(snap)
    mine = [p for p in snap["top_cpu"] if p["pid"] == burner.pid]
    assert mine, "the busy child is missing from top_cpu"
    assert mine[0]["cpu_percent"] > 10
    assert "--db-password=********" in mine[0]["cmdline"]
    assert "--token ********" in mine[0]["cmdline"]
    assert mine[0]["user"]
    assert mine[0]["rss"] > 0
    assert snap["top_memory"] == sorted(snap["top_memory"], key=lambda p: p["rss"], reverse=True)
    assert snap["top_cpu"] == sorted(snap["top_cpu"], key=lambda p: p["cpu_percent"], reverse=True)


def test_top_lists_are_cut_to_n():
    snap = system.collect(top=3, sample_seconds=0.1)
    assert len(snap["top_memory"]) == 3 and len(snap["top_cpu"]) == 3


def test_process_vanishing_between_samples_is_skipped():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

    def kill_child_instead_of_sleeping(_seconds):
        child.kill()
        child.wait()

    snap = system.collect(top=1000, sleep=kill_child_instead_of_sleeping)
    pids = {p["pid"] for p in snap["top_memory"]}
    assert child.pid not in pids
    assert os.getpid() in pids


@pytest.mark.parametrize("top, message", [(-1, "top must not be negative (got -1)."), ("ten", "top must be a whole number of processes (got 'ten').")])
def test_bad_top(top, message):
    with pytest.raises(OpsError) as error:
        system.collect(top=top)
    assert str(error.value) == message


def test_mask_cmdline():
    assert system.mask_cmdline(["node", "app.js", "--api-key=abc", "--port", "8080"]) == "node app.js --api-key=******** --port 8080"
    assert system.mask_cmdline(["curl", "https://bob:hunter2@example.org/x"]) == "curl https://bob:********@example.org/x"
    assert system.mask_cmdline(["node", "--secret", "xyz", "next"]) == "node --secret ******** next"
    long_line = system.mask_cmdline(["node"] + ["a" * 50] * 10)
    assert len(long_line) == 200 and long_line.endswith("...")


# ----------------------------------------------------------------------------- disk


def test_disk_reads_like_df():
    (root,) = system.disk(["/"])
    stat = os.statvfs("/")
    assert root["total"] == stat.f_blocks * stat.f_frsize
    assert root["free"] == stat.f_bavail * stat.f_frsize
    assert 0 < root["percent"] < 100


def test_disk_missing_path_is_a_warning_not_a_crash(tmp_path):
    missing = str(tmp_path / "nope")
    disks = system.disk([missing])
    assert disks[0]["percent"] is None and disks[0]["error"] == "No such file or directory"
    (finding,) = system.disk_breaches(disks)
    assert finding["level"] == "warning"
    assert finding["key"] == "disk:" + missing
    assert finding["message"] == "Disk use of %s cannot be checked: No such file or directory." % missing


def test_disk_breach_levels():
    disks = [
        {"path": "/", "total": 100, "used": 85, "free": 15, "percent": 85.0},
        {"path": "/var/log", "total": 100, "used": 95, "free": 5, "percent": 95.0},
        {"path": "/srv", "total": 100, "used": 80, "free": 20, "percent": 80.0},
    ]
    found = system.disk_breaches(disks, 80, 90)
    assert [(f["key"], f["level"]) for f in found] == [("disk:/", "warning"), ("disk:/var/log", "critical")]
    assert found[1]["message"] == "Disk /var/log is 95.0% full (warning at 80%, critical at 90%)."
    with pytest.raises(OpsError) as error:
        system.disk_breaches(disks, 95, 90)
    assert str(error.value) == "disk_warning (95) must not be above disk_critical (90)."


def test_a_cpu_sample_opened_earlier_is_not_slept_again():
    # checks.collect opens the sample before reading PM2; only what is left of the window is slept.
    slept = []
    sample = system.start_cpu_sample(clock=lambda: 100.0)
    by_memory, by_cpu = system._top_processes(3, 0.5, slept.append, sample=sample, clock=lambda: 100.2)
    assert len(slept) == 1 and abs(slept[0] - 0.3) < 1e-9
    assert by_memory and by_cpu  # real processes of this machine, from the one sample
    slept.clear()
    system._top_processes(3, 0.5, slept.append, sample=system.start_cpu_sample(clock=lambda: 100.0), clock=lambda: 101.0)
    assert slept == []
