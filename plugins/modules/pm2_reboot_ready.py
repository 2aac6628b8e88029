#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pm2_reboot_ready
short_description: Tell whether a reboot now would bring the PM2 apps back, and what would fix it
version_added: 1.1.0
author:
  - twzrd.ops contributors (@twzrd)
description:
  - Reads, changes nothing. Checks the three things a reboot depends on after an C(apt upgrade)
    that touched Node.js or an update of PM2.
  - The start-up unit C(pm2-USER.service) that C(pm2 startup systemd -u USER) writes exists, is not
    masked, is enabled (a link in a C(*.wants) directory), resurrects the right PM2_HOME, and every
    path it starts exists. The C(node) of a C(#!/usr/bin/env node) line is looked up on the unit's
    own C(Environment=PATH), as at boot. With O(run=true) that node is run once to load pm2's
    package, which proves it runs (not C(pm2 -v), which spawns a daemon).
  - The saved process list C(dump.pm2) holds every O(expected) app and every app online now.
  - The in-memory PM2 is the installed version (C(pm2 jlist)'s out-of-date notice).
  - Returns the problems as sentences and the runbook's fixes (C(pm2 startup), C(pm2 save),
    C(pm2 update)); problems none of them fixes are listed in RV(unrepairable).
options:
  user:
    description:
      - The PM2 user whose start-up unit C(pm2-USER.service) is checked. Default the task user.
    type: str
  pm2_home:
    description:
      - The PM2_HOME holding the apps and C(dump.pm2). Default C(~USER/.pm2).
    type: path
  executable:
    description:
      - The pm2 executable used to read the running apps (as for M(twzrd.ops.pm2_status)).
    type: str
  expected:
    description:
      - Apps that must come back after the reboot. Apps online now must come back too.
    type: list
    elements: str
    default: []
  unit_dir:
    description:
      - Where C(pm2 startup) writes its unit and the C(*.wants) links.
    type: path
    default: /etc/systemd/system
  run:
    description:
      - Run the unit's node once (C(node -p), within O(timeout)) to prove it runs and loads pm2.
        V(false) keeps to file checks.
    type: bool
    default: true
  timeout:
    description:
      - Seconds all the commands of this task (C(pm2 jlist), C(node -p)) may take together.
    type: float
    default: 60
extends_documentation_fragment:
  - twzrd.ops.attributes.read_only
  - twzrd.ops.attributes.platform_linux
requirements:
  - PM2 started at boot by C(pm2 startup systemd) (systemd).
notes:
  - The enabled check reads the C(*.wants) links instead of asking C(systemctl), so it also works
    where systemd is not running (a chroot, a container, a test).
seealso:
  - module: twzrd.ops.pm2_status
"""

EXAMPLES = r"""
- name: Would a reboot bring milo-aggregator back?
  twzrd.ops.pm2_reboot_ready:
    user: twzrd
    expected: [milo-aggregator]
  register: ready

- name: Say what a reboot now would not bring back
  ansible.builtin.debug:
    msg: "{{ ready.problems }} (fix: {{ ready.repairs | join(', ') }})"
  when: not ready.ready
"""

RETURN = r"""
ready:
  description: Whether a reboot now would bring the apps back (no problem found).
  returned: always
  type: bool
  sample: false
problems:
  description: One sentence per problem found.
  returned: always
  type: list
  elements: str
  sample: ["The start-up unit pm2-twzrd.service starts /opt/node-v18/lib/node_modules/pm2/bin/pm2, which does not exist (moved or removed)."]
repairs:
  description: The runbook's fixes for the problems, in the order to run them.
  returned: always
  type: list
  elements: str
  sample: ["pm2 startup", "pm2 save"]
unrepairable:
  description: The problems none of RV(repairs) fixes; a reboot must wait for an operator.
  returned: always
  type: list
  elements: str
  sample: []
online:
  description: Names of the apps online now (null when PM2 could not be read).
  returned: always
  type: list
  elements: str
  sample: ["milo-aggregator"]
unit:
  description: What was read of the start-up unit (path, exists, masked, enabled, exec_start, pm2_home, path_env, node).
  returned: always
  type: dict
  sample: {"name": "pm2-twzrd.service", "exists": true, "enabled": true, "exec_start": "/usr/local/lib/node_modules/pm2/bin/pm2"}
dump:
  description: The saved process list (path, apps).
  returned: always
  type: dict
  sample: {"path": "/home/twzrd/.pm2/dump.pm2", "apps": ["milo-aggregator"]}
message:
  description: One sentence naming the apps a reboot now would not bring back and why, or null when RV(ready).
  returned: always
  type: str
  sample: "A reboot now would not bring back: milo-aggregator (The start-up unit pm2-twzrd.service is not enabled, so it does not run on boot)."
user:
  description: The PM2 user checked.
  returned: always
  type: str
  sample: twzrd
home:
  description: The PM2 user's home directory (C(pm2 startup --hp)), or null when the user has none.
  returned: always
  type: str
  sample: /home/twzrd
pm2_home:
  description: The PM2_HOME checked.
  returned: always
  type: str
  sample: /home/twzrd/.pm2
pm2_path:
  description: The pm2 executable found now (what a repair runs), or null.
  returned: always
  type: str
  sample: /usr/local/bin/pm2
node_path:
  description: The node that runs that pm2 now (its directory goes on the PATH of C(pm2 startup)), or null.
  returned: always
  type: str
  sample: /usr/bin/node
"""

import os
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, number, subprocess_runner
from ansible_collections.twzrd.ops.plugins.module_utils.pm2 import pm2_status
from ansible_collections.twzrd.ops.plugins.module_utils.reboot_ready import check, home_of, node_for, warning_message


def main():
    module = AnsibleModule(
        argument_spec=dict(
            user=dict(type="str"),
            pm2_home=dict(type="path"),
            executable=dict(type="str"),
            expected=dict(type="list", elements="str", default=[]),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
            run=dict(type="bool", default=True),
            timeout=dict(type="float", default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        limit = number("timeout", params["timeout"], minimum=0.1, what="Option")
        runner = subprocess_runner(timeout=limit, total=limit)
        user = params["user"] or None
        online, warnings, pm2_error, pm2_path = None, [], None, None
        try:
            status = pm2_status(runner, pm2_path=params["executable"] or None, pm2_home=params["pm2_home"] or None,
                                user=user, expected=params["expected"], crash_window=0)
            online = sorted(set(proc["name"] for proc in status["processes"] if proc["status"] == "online"))
            warnings = status["warnings"]
            pm2_path = status["pm2_path"]
        except OpsError as error:
            pm2_error = str(error)
        if not user:
            user = pwd.getpwuid(os.geteuid()).pw_name
        result = check(user, pm2_home=params["pm2_home"] or None, expected=params["expected"], online=online,
                       pm2_warnings=warnings, unit_dir=params["unit_dir"], runner=runner if params["run"] else None)
        if pm2_error:
            result["problems"].insert(0, "PM2 could not be read: %s" % pm2_error)
            result["unrepairable"].insert(0, result["problems"][0])
            result["ready"] = False
    except OpsError as error:
        module.fail_json(msg=str(error))
    result["online"] = online
    result["pm2_path"] = pm2_path
    result["node_path"] = node_for(pm2_path)
    result["home"] = home_of(result["user"])
    result["message"] = None if result["ready"] else warning_message(result, params["expected"], online)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
