# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The runbook's swap remedy `swapoff -a && swapon -a`, made safe (module swap_cycle).

parse_meminfo() reads the figures, decide() refuses when RAM cannot take back the pages in
swap (swapoff would call the OOM killer), SwapCycle runs swapoff (bounded by timeout) and
always swapon afterwards through runner(argv) -> (rc, stdout, stderr). Like every
module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

from .common import OpsError, size

MEMINFO = "/proc/meminfo"
MIB = 1024 * 1024
TIMEOUT_RC = 124


def parse_meminfo(text):
    """Return {mem_total, mem_available, swap_total, swap_used} in bytes from /proc/meminfo text."""
    fields = {}
    for line in text.splitlines():
        name, _sep, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            fields[name.strip()] = int(parts[0]) * (1024 if len(parts) > 1 and parts[1] == "kB" else 1)
    missing = [name for name in ("MemTotal", "MemAvailable", "SwapTotal", "SwapFree") if name not in fields]
    if missing:
        raise OpsError("%s has no %s line (a kernel older than 3.14?)." % (MEMINFO, ", ".join(missing)))
    return {
        "mem_total": fields["MemTotal"],
        "mem_available": fields["MemAvailable"],
        "swap_total": fields["SwapTotal"],
        "swap_used": max(0, fields["SwapTotal"] - fields["SwapFree"]),
    }


def decide(figures, safety_margin_mb):
    """Return (action, message) for the figures of parse_meminfo.

    The refusal rule comes first: swapoff needs MemAvailable > swap used + margin.
    """
    margin = safety_margin_mb * MIB
    room = figures["mem_available"] - figures["swap_used"]
    if room < margin:
        return "refused", (
            "Refused to cycle swap: MemAvailable (%s) does not exceed swap in use (%s) by the safety margin (%s); "
            "swapoff would call the OOM killer." % (size(figures["mem_available"]), size(figures["swap_used"]), size(margin))
        )
    if figures["swap_total"] == 0:
        return "nothing_to_do", "No swap is configured on this host; there is nothing to cycle."
    if figures["swap_used"] == 0:
        return "nothing_to_do", "No swap is in use (%s configured); there is nothing to cycle." % size(figures["swap_total"])
    return "cycled", "Swap in use (%s) fits in MemAvailable (%s) with the safety margin (%s)." % (
        size(figures["swap_used"]), size(figures["mem_available"]), size(margin))


class SwapCycle:
    """Reads the figures, decides, and runs swapoff/swapon through runner(argv) -> (rc, out, err)."""

    def __init__(self, runner, read_meminfo, safety_margin_mb, timeout):
        if safety_margin_mb < 0:
            raise OpsError("safety_margin_mb must not be negative, got %d." % safety_margin_mb)
        if timeout < 1:
            raise OpsError("timeout must be at least 1 second, got %d." % timeout)
        self.runner = runner
        self.read_meminfo = read_meminfo
        self.safety_margin_mb = safety_margin_mb
        self.timeout = timeout

    def figures(self):
        try:
            return parse_meminfo(self.read_meminfo())
        except (IOError, OSError) as exc:
            raise OpsError("Cannot read %s: %s." % (MEMINFO, exc.strerror or exc))

    def run(self, check_mode):
        before = self.figures()
        action, message = decide(before, self.safety_margin_mb)
        result = {"decision": action, "message": message, "before": before, "changed": False}
        if action != "cycled":
            return result
        result["changed"] = True
        if check_mode:
            result["message"] = "Would cycle swap: " + message
            return result
        # swapon -a must follow whatever happens to swapoff, so it is never left out.
        try:
            rc, _out, err = self.runner(["timeout", "--kill-after=10", str(self.timeout), "swapoff", "-a"])
        finally:
            on_rc, _on_out, on_err = self.runner(["swapon", "-a"])
        result["swapoff"] = {"rc": rc, "timed_out": rc == TIMEOUT_RC, "stderr": err[-2000:]}
        result["swapon"] = {"rc": on_rc, "stderr": on_err[-2000:]}
        result["after"] = self.figures()
        if rc == TIMEOUT_RC:
            result["failed_msg"] = (
                "swapoff -a did not finish within %d seconds and was stopped; swapon -a ran afterwards and %s of swap is in use."
                % (self.timeout, size(result["after"]["swap_used"])))
        elif rc != 0:
            result["failed_msg"] = "swapoff -a failed (exit %d: %s); swapon -a ran afterwards and %s of swap is in use." % (
                rc, (err.strip().splitlines() or ["no error output"])[-1], size(result["after"]["swap_used"]))
        elif on_rc != 0:
            result["failed_msg"] = "swapon -a failed after swapoff (exit %d: %s); the host may be running without swap." % (
                on_rc, (on_err.strip().splitlines() or ["no error output"])[-1])
        else:
            result["message"] = "Cycled swap: %s in use before, %s after." % (
                size(before["swap_used"]), size(result["after"]["swap_used"]))
        return result


def read_proc_meminfo():
    """The text of /proc/meminfo (SwapCycle's default reader)."""
    with open(MEMINFO) as handle:
        return handle.read()
