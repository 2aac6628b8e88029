#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pm2_process
short_description: Restart, reload, stop or start PM2 apps as their PM2 user
version_added: 1.0.0
author:
  - twzrd.ops contributors (@twzrd)
description:
  - Runs C(pm2 restart), C(pm2 reload), C(pm2 stop) or C(pm2 start) on apps that already exist
    in a PM2 daemon, as the user that owns it, and returns the apps' state afterwards.
  - Every name is checked against C(pm2 jlist) first; an unknown name fails the task before
    anything is done (pm2 itself would act on the known names and then fail).
  - O(state=stopped) and O(state=started) act only on processes not already in that state, so
    they are idempotent. O(state=restarted) and O(state=reloaded) always act and report a change.
  - PM2 logs C(Stopping app) before a restart, reload or stop, so M(twzrd.ops.pm2_status) does
    not count these as crashes.
  - The apps keep the environment they were started with, since C(--update-env) is never
    passed, so the task's environment never leaks into them.
  - It does not start a PM2 daemon that is not running; the task fails saying so.
options:
  name:
    description:
      - App names to act on, or V(all) alone for every app of the daemon.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(restarted) (C(pm2 restart)), V(reloaded) (C(pm2 reload), zero-downtime in cluster mode),
        V(stopped) or V(started).
      - PM2 reloads a cluster-mode app one instance at a time; an app in fork mode it restarts, and
        the task warns so (a brief outage).
    type: str
    required: true
    choices: [restarted, reloaded, stopped, started]
  executable:
    description:
      - Path of the pm2 executable, or a command name to look up on E(PATH).
      - By default E(PATH) is searched, then the usual npm global prefixes and nvm installs.
    type: str
  pm2_home:
    description:
      - The PM2_HOME of the daemon.
      - Default E(PM2_HOME) of the task's environment when O(user) is the task user, else C(~USER/.pm2).
    type: path
  user:
    description:
      - The user that owns the PM2 daemon; when the task runs as root and this is another user,
        pm2 runs as that user through C(runuser).
      - Default (or an empty string) is the user the task runs as.
    type: str
  wait:
    description:
      - After V(restarted), V(reloaded) or V(started), wait up to this many seconds for every
        process acted on to be online (for a second at least); the task fails when one is not.
      - V(0) does not wait.
    type: int
    default: 0
  timeout:
    description:
      - Seconds all the C(pm2) commands of this task may take together (besides O(wait)). A C(pm2) that hangs
        is killed with its child processes and the task fails with one sentence.
    type: float
    default: 60
attributes:
  check_mode:
    description: In check mode nothing is run; C(changed) and RV(actions) say what would be done.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
extends_documentation_fragment:
  - twzrd.ops.attributes.platform_linux
requirements:
  - PM2 and Node.js on the target.
seealso:
  - module: twzrd.ops.pm2_status
"""

EXAMPLES = r"""
- name: Friday restart of every app of the deploy user
  twzrd.ops.pm2_process:
    name: all
    state: restarted
    user: twzrd
    wait: 30

- name: Stop a crash-looping app
  twzrd.ops.pm2_process:
    name: milo-aggregator
    state: stopped
    user: twzrd

- name: Zero-downtime reload of a cluster-mode API
  twzrd.ops.pm2_process:
    name: [milo-api]
    state: reloaded
    user: twzrd
"""

RETURN = r"""
actions:
  description: The pm2 commands run (or, in check mode, that would be run).
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The pm2 command.
      type: str
      sample: restart
    names:
      description: App names acted on.
      type: list
      elements: str
      sample: ["web"]
    pm_ids:
      description: PM2 ids acted on.
      type: list
      elements: raw
      sample: [0]
  sample: [{"action": "stop", "names": ["crashy"], "pm_ids": [1]}]
not_online:
  description: Apps not online after O(wait) seconds (the task fails when this is not empty).
  returned: always
  type: list
  elements: str
  sample: []
pm2_home:
  description: The PM2_HOME acted on.
  returned: always
  type: str
  sample: /home/twzrd/.pm2
pm2_path:
  description: The pm2 executable used.
  returned: always
  type: str
  sample: /usr/local/bin/pm2
processes:
  description:
    - Every process of the daemon after the action (before it, in check mode), in the shape of
      M(twzrd.ops.pm2_status)'s C(processes); environment variable names only, never values.
  returned: always
  type: list
  elements: dict
  sample:
    - name: web
      pm_id: 0
      pid: 27270
      status: online
      restarts: 1
      unstable_restarts: 0
      uptime: 2
      memory: 52494336
      cpu: 0.0
      max_memory_restart: null
      exec_mode: fork
      instances: 1
      out_log: /home/twzrd/.pm2/logs/web-out.log
      error_log: /home/twzrd/.pm2/logs/web-error.log
      env_names: ["NODE_ENV", "PORT"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, number, subprocess_runner
from ansible_collections.twzrd.ops.plugins.module_utils.pm2 import pm2_action


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="list", elements="str", required=True),
            state=dict(type="str", required=True, choices=["restarted", "reloaded", "stopped", "started"]),
            executable=dict(type="str"),
            pm2_home=dict(type="path"),
            user=dict(type="str"),
            wait=dict(type="int", default=0),
            timeout=dict(type="float", default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["wait"] < 0:
        module.fail_json(msg="wait must be 0 or more seconds, not %d." % params["wait"])

    try:
        limit = number("timeout", params["timeout"], minimum=0.1, what="Option")
        runner = subprocess_runner(timeout=limit, total=limit + params["wait"])
        result = pm2_action(
            runner,
            params["state"],
            params["name"],
            pm2_path=params["executable"] or None,
            pm2_home=params["pm2_home"] or None,
            user=params["user"] or None,
            check_mode=module.check_mode,
            wait_online=params["wait"],
        )
    except OpsError as error:
        module.fail_json(msg=str(error))
    for warning in result.pop("warnings"):
        module.warn(warning)
    if result["not_online"]:
        module.fail_json(
            msg="Not online %d seconds after pm2 %s: %s." % (params["wait"], result["actions"][0]["action"], ", ".join(result["not_online"])),
            **result
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
