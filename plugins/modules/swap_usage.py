#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: swap_usage
short_description: Report memory, swap and load of a host and whether they breach thresholds
version_added: 1.0.0
author:
  - twzrd.ops contributors (@twzrd)
description:
  - Reads swap, memory, load averages and the CPU count of the target with psutil, the
    runbook's C(free -h) and C(uptime).
  - Compares swap use and the 1-minute load average with warning and critical thresholds and
    returns each breach with its level and a sentence. A value breaches when it is above its
    threshold (the runbook's "swap > 20%", "load > 8").
  - A host without swap reports 0 % with RV(swap_configured=false) and never breaches on swap.
  - On request, lists the biggest processes by memory and by CPU, the runbook's
    C(ps aux --sort=-%mem | head) and C(top -b -n 1).
options:
  top:
    description:
      - How many processes to list in RV(top_memory) and RV(top_cpu). V(0) lists none.
      - CPU percentages come from one sample of half a second taken for all processes at once.
    type: int
    default: 0
  disk_paths:
    description:
      - Paths whose filesystems are measured into RV(disks), like C(df) (free is what
        unprivileged users may still write; percent is used / (used + free)).
      - The weekly report's free-space figures for C(/) and the log directory come from here.
    type: list
    elements: path
    default: []
  swap_warning:
    description:
      - Percentage of swap in use above which swap is a warning.
    type: float
    default: 20
  swap_critical:
    description:
      - Percentage of swap in use above which swap is critical. Must not be below O(swap_warning).
    type: float
    default: 50
  load_mode:
    description:
      - V(per_core) compares the 1-minute load average divided by the number of CPUs,
        V(absolute) compares the load average itself (the runbook's 8 and 12 on an 8-core host).
    type: str
    choices: [per_core, absolute]
    default: per_core
  load_warning:
    description:
      - Load above which load is a warning.
      - Default V(1.0) with O(load_mode=per_core), V(8) with O(load_mode=absolute).
    type: float
  load_critical:
    description:
      - Load above which load is critical. Must not be below O(load_warning).
      - Default V(1.5) with O(load_mode=per_core), V(12) with O(load_mode=absolute).
    type: float
  fail_on:
    description:
      - Fail the task when the worst breach reaches this level. V(none) never fails on breaches.
    type: str
    choices: [none, warning, critical]
    default: none
extends_documentation_fragment:
  - twzrd.ops.attributes.read_only
  - twzrd.ops.attributes.platform_linux
requirements:
  - psutil on the target (Debian/Ubuntu package C(python3-psutil)).
notes:
  - Command lines in RV(top_memory) and RV(top_cpu) are cut to 200 characters and values of
    options whose names look secret (C(--password=...), C(--token ...), passwords in URLs)
    are masked. Anything else on a command line is shown, as C(ps) shows it to every local user.
seealso:
  - module: twzrd.ops.health_probe
  - module: twzrd.ops.log_scan
"""

EXAMPLES = r"""
- name: Read memory, swap and load with the runbook's thresholds on an 8-core host
  twzrd.ops.swap_usage:
    load_mode: absolute
    load_warning: 8
    load_critical: 12
  register: usage

- name: Show the breaches
  ansible.builtin.debug:
    msg: "{{ usage.breaches | map(attribute='message') | list }}"

- name: Fail the hourly check when swap or load is critical, listing the top 10 processes
  twzrd.ops.swap_usage:
    top: 10
    fail_on: critical
"""

RETURN = r"""
swap:
  description: Swap figures in bytes and the percentage used (0 when there is no swap).
  returned: always
  type: dict
  contains:
    total:
      description: Swap size in bytes.
      type: int
      sample: 2147483648
    used:
      description: Swap in use in bytes.
      type: int
      sample: 751619276
    free:
      description: Free swap in bytes.
      type: int
      sample: 1395864372
    percent:
      description: Percentage of swap in use.
      type: float
      sample: 35.0
    configured:
      description: Whether the host has any swap.
      type: bool
      sample: true
  sample: {"total": 2147483648, "used": 751619276, "free": 1395864372, "percent": 35.0, "configured": true}
disks:
  description: Filesystem use of each of O(disk_paths), in the order given.
  returned: always
  type: list
  elements: dict
  sample:
    - path: /
      total: 52521566208
      used: 12869369856
      free: 37494067200
      percent: 25.5
swap_configured:
  description: Whether the host has any swap (same as RV(swap.configured)).
  returned: always
  type: bool
  sample: false
memory:
  description: Memory figures in bytes; percent is the share not available to new processes.
  returned: always
  type: dict
  contains:
    total:
      description: Physical memory in bytes.
      type: int
      sample: 8589934592
    available:
      description: Memory available to new processes without swapping, in bytes.
      type: int
      sample: 2147483648
    used:
      description: Memory used as the kernel counts it, in bytes.
      type: int
      sample: 6012954214
    percent:
      description: Percentage of memory not available.
      type: float
      sample: 75.0
  sample: {"total": 8589934592, "available": 2147483648, "used": 6012954214, "percent": 75.0}
load:
  description: Load averages over 1, 5 and 15 minutes, absolute and divided by the CPU count.
  returned: always
  type: dict
  contains:
    load1:
      description: 1-minute load average.
      type: float
      sample: 9.2
    load5:
      description: 5-minute load average.
      type: float
      sample: 7.5
    load15:
      description: 15-minute load average.
      type: float
      sample: 6.1
    per_core:
      description: The three load averages divided by RV(cpu_count).
      type: dict
      sample: {"load1": 1.15, "load5": 0.94, "load15": 0.76}
  sample: {"load1": 9.2, "load5": 7.5, "load15": 6.1, "per_core": {"load1": 1.15, "load5": 0.94, "load15": 0.76}}
cpu_count:
  description: Number of logical CPUs.
  returned: always
  type: int
  sample: 8
top_memory:
  description:
    - The O(top) processes using the most resident memory, biggest first.
    - Each has pid, user, name, rss (bytes), memory_percent, cpu_percent and a masked, truncated cmdline.
  returned: when O(top) is above 0
  type: list
  elements: dict
  sample:
    - {"pid": 1234, "user": "twzrd", "name": "node", "rss": 512000000, "memory_percent": 6.0,
       "cpu_percent": 12.5, "cmdline": "node /srv/milo/dist/index.js --db-password=********"}
top_cpu:
  description: The O(top) processes using the most CPU over the sample, busiest first (same keys as RV(top_memory)).
  returned: when O(top) is above 0
  type: list
  elements: dict
  sample:
    - {"pid": 1234, "user": "twzrd", "name": "node", "rss": 512000000, "memory_percent": 6.0,
       "cpu_percent": 98.0, "cmdline": "node /srv/milo/dist/index.js"}
thresholds:
  description: The thresholds applied, defaults filled in.
  returned: always
  type: dict
  sample: {"swap_warning": 20.0, "swap_critical": 50.0, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
breaches:
  description: One finding per breached threshold with rule (swap or load), key, level, message and value.
  returned: always
  type: list
  elements: dict
  sample:
    - {"rule": "swap", "key": "swap", "level": "warning", "value": 35.2,
       "message": "Swap use is 35.2% (warning at 20%, critical at 50%)."}
level:
  description: The worst level among the breaches.
  returned: always
  type: str
  sample: warning
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.twzrd.ops.plugins.module_utils.common import LEVELS, OpsError, worst
from ansible_collections.twzrd.ops.plugins.module_utils.system import (
    HAS_PSUTIL,
    PSUTIL_IMPORT_ERROR,
    breaches,
    collect,
    disk,
    validate_thresholds,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            top=dict(type="int", default=0),
            disk_paths=dict(type="list", elements="path", default=[]),
            swap_warning=dict(type="float", default=20),
            swap_critical=dict(type="float", default=50),
            load_mode=dict(type="str", choices=["per_core", "absolute"], default="per_core"),
            load_warning=dict(type="float"),
            load_critical=dict(type="float"),
            fail_on=dict(type="str", choices=["none", "warning", "critical"], default="none"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not HAS_PSUTIL:
        module.fail_json(
            msg=missing_required_lib("psutil") + " On Debian/Ubuntu install the package python3-psutil.",
            exception=PSUTIL_IMPORT_ERROR,
        )
    try:
        thresholds = validate_thresholds(
            params["swap_warning"], params["swap_critical"], params["load_mode"], params["load_warning"], params["load_critical"]
        )
        snapshot = collect(top=params["top"])
        snapshot["disks"] = disk(params["disk_paths"])
    except OpsError as error:
        module.fail_json(msg=str(error))
    found = breaches(snapshot, thresholds)
    level = worst(finding["level"] for finding in found)
    result = dict(
        snapshot,
        changed=False,
        swap_configured=snapshot["swap"]["configured"],
        thresholds=thresholds,
        breaches=found,
        level=level,
    )
    if params["fail_on"] != "none" and LEVELS.index(level) >= LEVELS.index(params["fail_on"]):
        module.fail_json(msg=" ".join(finding["message"] for finding in found), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
