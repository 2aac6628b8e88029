#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: swap_cycle
short_description: Empty swap back into RAM with C(swapoff -a && swapon -a), only when RAM has room
version_added: 1.0.0
description:
  - The runbook's swap-thrashing remedy C(swapoff -a && swapon -a), made safe.
  - C(swapoff) has to move every swapped page back into RAM. When RAM cannot hold them the
    kernel's OOM killer ends processes, which is worse than the thrashing. So the module first
    reads C(/proc/meminfo) and refuses, saying why, unless C(MemAvailable) exceeds the swap in
    use by at least O(safety_margin_mb).
  - When there is room and swap is in use it runs C(swapoff -a), bounded by O(timeout) seconds,
    and then always runs C(swapon -a), also when C(swapoff) failed or was stopped by the
    timeout, so the host never stays without swap.
  - When no swap is in use there is nothing to do and nothing is run.
  - Swap is not namespaced. Inside a container this module reads and acts on the host's swap.
author:
  - twzrd.ops contributors (@twzrd)
options:
  safety_margin_mb:
    description:
      - RAM, in MiB, that must remain available after all swapped pages are back in memory.
      - The module refuses when C(MemAvailable) minus the swap in use is less than this.
      - The refusal check comes before the "nothing to do" check. A margin larger than the
        host's RAM therefore always refuses, even when no swap is in use.
    type: int
    default: 512
  timeout:
    description:
      - Seconds C(swapoff -a) may run before it is stopped. C(swapon -a) runs in every case.
    type: int
    default: 300
  fail_on_refusal:
    description:
      - Fail the task when the module refuses to cycle swap. When false, the refusal is
        returned with RV(decision=refused) and its reason in RV(message), and the task does not fail.
    type: bool
    default: false
attributes:
  check_mode:
    description: Check mode runs nothing and predicts the change.
    support: full
    details: In check mode nothing is run. RV(decision) says what would happen (V(cycled) when a cycle would run).
  diff_mode:
    description: No diff is returned; RV(before) and RV(after) hold the figures.
    support: none
extends_documentation_fragment:
  - twzrd.ops.attributes.platform_linux
notes:
  - Needs root (C(swapoff) and C(swapon) need CAP_SYS_ADMIN). Use O(ignore:become=true).
  - C(timeout) from coreutils bounds C(swapoff). When it expires C(swapoff) gets SIGTERM and
    the kernel stops moving pages back. Swap that was not emptied stays in use.
seealso:
  - module: twzrd.ops.swap_usage
"""

EXAMPLES = r"""
- name: Cycle swap when RAM can take it back
  twzrd.ops.swap_cycle:
    safety_margin_mb: 1024
    timeout: 600
  become: true
  register: cycle

- name: Say what was done
  ansible.builtin.debug:
    msg: "{{ cycle.message }}"
"""

RETURN = r"""
decision:
  description: What the module did (or would do in check mode).
  returned: always
  type: str
  choices: [cycled, refused, nothing_to_do]
  sample: refused
message:
  description: One sentence for the operator that explains RV(decision).
  returned: always
  type: str
  sample: >-
    Refused to cycle swap: MemAvailable (1.2 GiB) does not exceed swap in use (1.5 GiB) by the safety margin (512 MiB);
    swapoff would call the OOM killer.
before:
  description: Memory and swap figures, in bytes, read before any action.
  returned: always
  type: dict
  contains:
    mem_total:
      description: C(MemTotal).
      type: int
      sample: 25276502016
    mem_available:
      description: C(MemAvailable).
      type: int
      sample: 24636420096
    swap_total:
      description: C(SwapTotal).
      type: int
      sample: 2147483648
    swap_used:
      description: C(SwapTotal) minus C(SwapFree).
      type: int
      sample: 1073741824
after:
  description: The same figures read after C(swapon -a). Only present when a cycle ran.
  returned: when a cycle ran
  type: dict
  sample: {mem_total: 25276502016, mem_available: 23562678272, swap_total: 2147483648, swap_used: 0}
swapoff:
  description: How C(swapoff -a) ended.
  returned: when a cycle ran
  type: dict
  contains:
    rc:
      description: Exit status (124 when the timeout stopped it).
      type: int
      sample: 0
    timed_out:
      description: Whether O(timeout) stopped it.
      type: bool
      sample: false
    stderr:
      description: Its error output, bounded to 2000 characters.
      type: str
      sample: ""
swapon:
  description: How C(swapon -a) ended. It runs after every C(swapoff), successful or not.
  returned: when a cycle ran
  type: dict
  contains:
    rc:
      description: Exit status.
      type: int
      sample: 0
    stderr:
      description: Its error output, bounded to 2000 characters.
      type: str
      sample: ""
"""

from ansible.module_utils.basic import AnsibleModule

MEMINFO = "/proc/meminfo"
MIB = 1024 * 1024
TIMEOUT_RC = 124


class SwapCycleError(Exception):
    """A failure the operator can act on; the message is one sentence."""


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
        raise SwapCycleError("%s has no %s line (a kernel older than 3.14?)." % (MEMINFO, ", ".join(missing)))
    return {
        "mem_total": fields["MemTotal"],
        "mem_available": fields["MemAvailable"],
        "swap_total": fields["SwapTotal"],
        "swap_used": max(0, fields["SwapTotal"] - fields["SwapFree"]),
    }


def human(size):
    """Bytes as a short figure in binary units: 1.5 GiB, 512 MiB, 0 B."""
    value = float(size)
    unit = "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            break
        value /= 1024
    if value == int(value):
        return "%d %s" % (value, unit)
    return "%.1f %s" % (value, unit)


def decide(figures, safety_margin_mb):
    """Return (action, message) for the figures of parse_meminfo.

    The refusal rule comes first: swapoff needs MemAvailable > swap used + margin.
    """
    margin = safety_margin_mb * MIB
    room = figures["mem_available"] - figures["swap_used"]
    if room < margin:
        return "refused", (
            "Refused to cycle swap: MemAvailable (%s) does not exceed swap in use (%s) by the safety margin (%s); "
            "swapoff would call the OOM killer." % (human(figures["mem_available"]), human(figures["swap_used"]), human(margin))
        )
    if figures["swap_total"] == 0:
        return "nothing_to_do", "No swap is configured on this host; there is nothing to cycle."
    if figures["swap_used"] == 0:
        return "nothing_to_do", "No swap is in use (%s configured); there is nothing to cycle." % human(figures["swap_total"])
    return "cycled", "Swap in use (%s) fits in MemAvailable (%s) with the safety margin (%s)." % (
        human(figures["swap_used"]), human(figures["mem_available"]), human(margin))


class SwapCycle:
    """Reads the figures, decides, and runs swapoff/swapon through runner(argv) -> (rc, out, err)."""

    def __init__(self, runner, read_meminfo, safety_margin_mb, timeout):
        if safety_margin_mb < 0:
            raise SwapCycleError("safety_margin_mb must not be negative, got %d." % safety_margin_mb)
        if timeout < 1:
            raise SwapCycleError("timeout must be at least 1 second, got %d." % timeout)
        self.runner = runner
        self.read_meminfo = read_meminfo
        self.safety_margin_mb = safety_margin_mb
        self.timeout = timeout

    def figures(self):
        try:
            return parse_meminfo(self.read_meminfo())
        except (IOError, OSError) as exc:
            raise SwapCycleError("Cannot read %s: %s." % (MEMINFO, exc.strerror or exc))

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
                % (self.timeout, human(result["after"]["swap_used"])))
        elif rc != 0:
            result["failed_msg"] = "swapoff -a failed (exit %d: %s); swapon -a ran afterwards and %s of swap is in use." % (
                rc, (err.strip().splitlines() or ["no error output"])[-1], human(result["after"]["swap_used"]))
        elif on_rc != 0:
            result["failed_msg"] = "swapon -a failed after swapoff (exit %d: %s); the host may be running without swap." % (
                on_rc, (on_err.strip().splitlines() or ["no error output"])[-1])
        else:
            result["message"] = "Cycled swap: %s in use before, %s after." % (
                human(before["swap_used"]), human(result["after"]["swap_used"]))
        return result


def read_proc_meminfo():
    with open(MEMINFO) as handle:
        return handle.read()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            safety_margin_mb=dict(type="int", default=512),
            timeout=dict(type="int", default=300),
            fail_on_refusal=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )

    def runner(argv):
        return module.run_command(argv)

    try:
        cycle = SwapCycle(runner, read_proc_meminfo, module.params["safety_margin_mb"], module.params["timeout"])
        result = cycle.run(module.check_mode)
    except SwapCycleError as exc:
        module.fail_json(msg=str(exc))
    failed_msg = result.pop("failed_msg", None)
    if failed_msg:
        module.fail_json(msg=failed_msg, **result)
    if result["decision"] == "refused" and module.params["fail_on_refusal"]:
        module.fail_json(msg=result["message"], **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
