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

from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError
from ansible_collections.twzrd.ops.plugins.module_utils.swap import SwapCycle, read_proc_meminfo


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
    except OpsError as exc:
        module.fail_json(msg=str(exc))
    failed_msg = result.pop("failed_msg", None)
    if failed_msg:
        module.fail_json(msg=failed_msg, **result)
    if result["decision"] == "refused" and module.params["fail_on_refusal"]:
        module.fail_json(msg=result["message"], **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
