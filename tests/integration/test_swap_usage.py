"""twzrd.ops.swap_usage through Ansible on this real host (psutil from the test venv)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def test_reads_this_host(run_module, meminfo):
    result = run_module("twzrd.ops.swap_usage", {"top": 3})
    assert result["_rc"] == 0, result.get("msg")
    assert result["changed"] is False
    assert result["swap"]["total"] == meminfo("SwapTotal")
    assert result["swap_configured"] is (meminfo("SwapTotal") > 0)
    if not result["swap_configured"]:
        assert result["swap"]["percent"] == 0.0
        assert [b for b in result["breaches"] if b["rule"] == "swap"] == []
    assert result["memory"]["total"] == meminfo("MemTotal")
    assert result["cpu_count"] == os.cpu_count()
    assert len(result["top_memory"]) == 3 and len(result["top_cpu"]) == 3
    assert result["thresholds"]["load_warning"] == 1.0
    assert result["level"] in ("ok", "warning", "critical")


def test_check_mode_reads_too(run_module, meminfo):
    # Explicit default: the run_module fixture sends "{}" for no arguments, which Ansible
    # reads as raw parameters.
    result = run_module("twzrd.ops.swap_usage", {"top": 0}, check=True)
    assert result["_rc"] == 0 and "top_memory" not in result
    assert result["memory"]["total"] == meminfo("MemTotal")


def test_load_breach_and_fail_on(run_module):
    # Any real load is above a threshold of 0, so the breach and the failure are certain
    # without faking the load average.
    with subprocess.Popen([sys.executable, "-c", "while True: pass"]) as burner:
        try:
            args = {"load_mode": "absolute", "load_warning": 0, "load_critical": 0}
            result = run_module("twzrd.ops.swap_usage", args)
            failing = run_module("twzrd.ops.swap_usage", dict(args, fail_on="critical"))
        finally:
            burner.kill()
    assert result["_rc"] == 0
    (load,) = [b for b in result["breaches"] if b["rule"] == "load"]
    assert load["level"] == "critical" and result["level"] == "critical"
    assert load["message"].startswith("Load average (1 min) is ")
    assert failing.get("failed") is True
    assert failing["msg"].startswith("Load average (1 min) is ")
    assert failing["breaches"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"swap_warning": 60, "swap_critical": 50}, "swap_warning (60) must not be above swap_critical (50)."),
        ({"swap_critical": 101}, "swap_critical is a percentage and must be between 0 and 100 (got 101)."),
        ({"load_warning": -1}, "load_warning must not be negative (got -1)."),
        ({"top": -2}, "top must not be negative (got -2)."),
    ],
)
def test_bad_thresholds_fail_with_a_sentence(run_module, args, message):
    result = run_module("twzrd.ops.swap_usage", args)
    assert result.get("failed") is True
    assert result["msg"] == message
    assert "Traceback" not in result["_stdout"]


def test_unknown_load_mode_is_rejected(run_module):
    result = run_module("twzrd.ops.swap_usage", {"load_mode": "per_socket"})
    assert result.get("failed") is True
    assert "per_core" in result["msg"] and "absolute" in result["msg"]


def test_missing_psutil_names_the_debian_package(run_module, tmp_path):
    """A real interpreter without psutil: a bare venv (no site packages)."""
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: %s\n" % (venv / "bin" / "python")
    )
    result = run_module("twzrd.ops.swap_usage", {"top": 0}, env={"ANSIBLE_INVENTORY": str(inventory)})
    assert result.get("failed") is True
    assert "psutil" in result["msg"]
    assert "python3-psutil" in result["msg"]


def test_disk_paths_measure_like_df(run_module, tmp_path):
    result = run_module("twzrd.ops.swap_usage", {"disk_paths": ["/", str(tmp_path / "missing")]})
    assert result["_rc"] == 0, result.get("msg")
    root, missing = result["disks"]
    out = subprocess.run(["df", "-B1", "--output=used,avail", "/"], capture_output=True, text=True, check=True).stdout
    used, avail = (int(v) for v in out.splitlines()[1].split())
    # Figures move a little between the two reads on a busy disk; 1 % of the disk is plenty.
    assert abs(root["used"] - used) < root["total"] * 0.01
    assert abs(root["free"] - avail) < root["total"] * 0.01
    assert missing["percent"] is None and "No such file" in missing["error"]
