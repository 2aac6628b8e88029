#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_audit
short_description: Audit a host against the runbook's monthly and quarterly checklist in one round trip
version_added: 1.1.0
description:
  - Reads, in one process on the host and without changing anything, the live and persisted
    C(vm.swappiness), PM2's apps (max_memory_restart, restart counts, environment variable NAMES;
    values are never read), whether a reboot would bring the apps back, the cron file, the weekly
    reports, the logrotate file and the sizes of the twzrd and PM2 logs.
  - Judges them with the rules of the collection's module_utils (C(audit.py)) into checks and a level.
  - Used by C(playbooks/audit.yml), one task per host.
author:
  - twzrd.ops contributors (@twzrd)
options:
  settings:
    description:
      - The audit's settings, from the role's variables by the filter C(twzrd.ops.flow_settings('audit')).
      - C(pm2_user), C(pm2_home), C(pm2_path) (empty - the connecting user's PM2, C(~USER/.pm2), looked up),
        C(expected_apps) (the apps a reboot must bring back), C(reports_dir) (the weekly reports),
        C(swappiness) (wanted, default 10), C(restart_threshold) (default 10), C(report_weeks) (default 4),
        C(log_size_mb) (default 100), C(cron_jobs) (the jobs the cron file must hold, default health, alerts,
        restart), C(reboot_check) (run the pre-reboot checks when PM2 is installed, default true).
      - An unknown name is refused with the known ones.
    type: dict
    default: {}
  timeout:
    description: The longest any one command may run, in seconds (0.1 or more).
    type: float
    default: 60
attributes:
  check_mode:
    description: The module only reads; it runs the same in check mode.
    support: full
  diff_mode:
    description: No diff is shown.
    support: none
extends_documentation_fragment:
  - twzrd.ops.attributes.platform_linux
notes:
  - Reading another user's PM2 needs root; use O(ignore:become=true).
  - PM2 app environment values are never read into the result.
seealso:
  - module: twzrd.ops.pm2_reboot_ready
"""

EXAMPLES = r"""
- name: Audit a host
  twzrd.ops.host_audit:
    settings:
      pm2_user: twzrd
      expected_apps: [milo-aggregator]
  become: true
  register: audit
"""

RETURN = r"""
level:
  description: The worst level of the checks.
  returned: success
  type: str
  sample: warning
checks:
  description: One entry per check of the checklist.
  returned: success
  type: list
  elements: dict
  sample: [{"check": "swappiness_live", "level": "ok", "message": "vm.swappiness is 10 live.", "details": []}]
apps:
  description: PM2's apps with their limits, restart counts and environment variable NAMES.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "api", "pm_id": 0, "status": "online", "restarts": 0, "unstable_restarts": 0,
            "max_memory_restart": 524288000, "env_names": ["NODE_ENV"]}]
"""

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils import audit_read
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, number, subprocess_runner


def main():
    module = AnsibleModule(
        argument_spec=dict(
            settings=dict(type="dict", default={}),
            timeout=dict(type="float", default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        limit = number("timeout", params["timeout"], minimum=0.1, what="Option")
        runner = subprocess_runner(timeout=limit, total=limit)
        today = datetime.datetime.now(datetime.timezone.utc).date()
        result = audit_read.run(runner, params["settings"], today)
    except OpsError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
