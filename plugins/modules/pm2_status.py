#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pm2_status
short_description: Report what PM2 runs, which expected apps are missing and whether an app is crash-looping
version_added: 1.0.0
author:
  - twzrd.ops contributors (@twzrd)
description:
  - Reads the process list of a PM2 daemon with C(pm2 jlist) (never the text table) and returns
    one entry per process with its status, restarts, uptime, memory, CPU and log paths.
  - Counts crashes within O(crash_window) from PM2's own daemon log C($PM2_HOME/pm2.log).
    An exit that PM2 logged after C(Stopping app:NAME id:N) is a planned restart, reload or stop
    (C(pm2 restart), C(pm2 reload), C(pm2 stop)) and is not counted; any other exit is a crash.
    O(crash_threshold) crashes or fewer is not a crash loop; more is.
  - Never returns the apps' environment values, which hold secrets; only the variable names
    (C(env_names)) for audits.
  - Reading does not start a PM2 daemon that is not running, so a health check never silently
    replaces a dead PM2 with an empty one; the task fails with a message saying how to start it
    instead, unless O(start_daemon=true).
  - When PM2 is not installed and nothing is O(expected), the module reports C(installed=false)
    and does not fail.
  - Timestamps in C(pm2.log) are PM2's default format in the daemon's local time; the module
    reads them in the local time of the task, which is the same host.
options:
  executable:
    description:
      - Path of the pm2 executable, or a command name to look up on E(PATH).
      - By default E(PATH) is searched, then the usual npm global prefixes
        (C(/usr/local/bin), C(/usr/bin), C(~/.npm-global/bin), C(~/.local/bin),
        C(/usr/lib/node_modules/pm2/bin)) and nvm installs of the PM2 user.
      - A path that does not exist means PM2 is not installed; no search is made then.
    type: str
  pm2_home:
    description:
      - The PM2_HOME of the daemon to read.
      - Default E(PM2_HOME) of the task's environment when O(user) is the task user, else C(~USER/.pm2).
    type: path
  user:
    description:
      - The user that owns the PM2 daemon. When the task runs as root and this is another user,
        pm2 is run as that user through C(runuser), so nothing root-owned lands in its PM2_HOME.
      - Default (or an empty string) is the user the task runs as.
    type: str
  name:
    description:
      - Only report processes with these app names (crash counts are filtered alike).
      - Default is every process.
    type: list
    elements: str
    default: []
  expected:
    description:
      - App names that must exist. Those absent are listed in RV(summary.missing).
      - When this is not empty and PM2 is not installed, the task fails.
    type: list
    elements: str
    default: []
  crash_window:
    description:
      - Seconds back from now in which crashes are counted (the runbook's "5 min").
      - V(0) does not read C(pm2.log) at all.
    type: int
    default: 300
  crash_threshold:
    description:
      - More crashes than this within O(crash_window) is a crash loop (the runbook's "restarts > 5").
    type: int
    default: 5
  start_daemon:
    description:
      - Start the PM2 daemon when it is not running (it starts empty; C(pm2 resurrect) is what
        brings saved apps back). Not done in check mode.
    type: bool
    default: false
  timeout:
    description:
      - Seconds all the C(pm2) commands of this task may take together. A C(pm2) that hangs
        is killed with its child processes and the task fails with one sentence.
    type: float
    default: 60
extends_documentation_fragment:
  - twzrd.ops.attributes.read_only
  - twzrd.ops.attributes.platform_linux
requirements:
  - PM2 (any version with C(pm2 jlist); tested with 7.x) and Node.js on the target.
notes:
  - C(pm2 jlist) is run without C(-s) because PM2 7 hides the C(In-memory PM2 is out-of-date)
    notice under C(-s); that notice becomes a task warning.
  - Reading C(pm2.log) bisects it by timestamp, so a large log costs a few reads.
seealso:
  - module: twzrd.ops.pm2_process
"""

EXAMPLES = r"""
- name: Read PM2 for the deploy user and require the two services
  twzrd.ops.pm2_status:
    user: twzrd
    expected:
      - milo-aggregator
      - milo-api
  register: pm2

- name: Fail when an app is crash-looping
  ansible.builtin.assert:
    that: not pm2.summary.crash_loop
    fail_msg: "Crash loop: {{ pm2.summary.crash_loop_apps | join(', ') }}"

- name: Report PM2 on a host where it may not be installed
  twzrd.ops.pm2_status:
  register: pm2_maybe

- name: List apps without max_memory_restart
  ansible.builtin.debug:
    msg: "{{ pm2.processes | selectattr('max_memory_restart', 'none') | map(attribute='name') | unique }}"
"""

RETURN = r"""
installed:
  description: Whether a pm2 executable was found.
  returned: always
  type: bool
  sample: true
daemon_running:
  description: Whether a PM2 daemon serves O(pm2_home).
  returned: always
  type: bool
  sample: true
daemon_started:
  description: Whether this task started the daemon (O(start_daemon)).
  returned: always
  type: bool
  sample: false
pm2_path:
  description: The pm2 executable used, or null when PM2 is not installed.
  returned: always
  type: str
  sample: /usr/local/bin/pm2
pm2_home:
  description: The PM2_HOME read.
  returned: always
  type: str
  sample: /home/twzrd/.pm2
processes:
  description: One entry per PM2 process (a cluster app has one per instance).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: App name.
      type: str
      sample: milo-aggregator
    pm_id:
      description: PM2 id of the process.
      type: int
      sample: 0
    pid:
      description: Operating-system pid, 0 when not running.
      type: int
      sample: 4242
    status:
      description: PM2 status (online, stopping, stopped, launching, errored, waiting restart).
      type: str
      sample: online
    restarts:
      description: Restarts counted by PM2 since the app was started (restart_time).
      type: int
      sample: 3
    unstable_restarts:
      description: Restarts PM2 counted as unstable (app died before min_uptime).
      type: int
      sample: 0
    uptime:
      description: Seconds since the process started; 0 when it is not online.
      type: int
      sample: 86400
    memory:
      description: Resident memory in bytes.
      type: int
      sample: 52494336
    cpu:
      description: CPU use in percent.
      type: float
      sample: 0.2
    max_memory_restart:
      description: Memory limit in bytes above which PM2 restarts the app, or null when none is set.
      type: int
      sample: 209715200
    exec_mode:
      description: C(fork) or C(cluster).
      type: str
      sample: fork
    instances:
      description: Instances configured for the app.
      type: raw
      sample: 1
    out_log:
      description: Path of the app's standard output log.
      type: str
      sample: /home/twzrd/.pm2/logs/milo-aggregator-out.log
    error_log:
      description: Path of the app's error log.
      type: str
      sample: /home/twzrd/.pm2/logs/milo-aggregator-error.log
    env_names:
      description: Names of the app's environment variables, sorted, for audits. Never their values.
      type: list
      elements: str
      sample: ["DATABASE_URL", "NODE_ENV", "PORT"]
  sample:
    - name: web
      pm_id: 0
      pid: 27270
      status: online
      restarts: 0
      unstable_restarts: 0
      uptime: 64
      memory: 52494336
      cpu: 0.2
      max_memory_restart: 209715200
      exec_mode: fork
      instances: 1
      out_log: /home/twzrd/.pm2/logs/web-out.log
      error_log: /home/twzrd/.pm2/logs/web-error.log
      env_names: ["NODE_ENV", "PORT"]
events:
  description:
    - The crashes PM2 logged in the crash window (unplanned exits, read once from C(pm2.log) and its rotated copies),
      time-ordered; the counts of RV(summary) are made from this list.
  returned: always
  type: list
  elements: dict
  sample: [{name: crashy, pm_id: 3, time: 1795737600.5, code: 1, signal: null}]
summary:
  description: Counts over RV(processes) and the crash window.
  returned: always
  type: dict
  contains:
    total:
      description: Number of processes.
      type: int
      sample: 4
    online:
      description: Number of processes online.
      type: int
      sample: 3
    not_online:
      description: Names of apps with a process that is not online.
      type: list
      elements: str
      sample: ["crashy"]
    missing:
      description: Names in O(expected) with no process.
      type: list
      elements: str
      sample: ["milo-api"]
    crash_window:
      description: The window in seconds.
      type: int
      sample: 300
    crash_threshold:
      description: The threshold.
      type: int
      sample: 5
    crashes:
      description: Crashes per app name within the window (0 for apps that did not crash).
      type: dict
      sample: {"web": 0, "crashy": 16}
    crash_loop:
      description: Whether any app crashed more than O(crash_threshold) times in the window.
      type: bool
      sample: true
    crash_loop_apps:
      description: Names of the apps in a crash loop.
      type: list
      elements: str
      sample: ["crashy"]
  sample:
    total: 2
    online: 1
    not_online: ["crashy"]
    missing: []
    crash_window: 300
    crash_threshold: 5
    crashes: {"web": 0, "crashy": 16}
    crash_loop: true
    crash_loop_apps: ["crashy"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, number, subprocess_runner
from ansible_collections.twzrd.ops.plugins.module_utils.pm2 import daemon_running, default_pm2_home, pm2_status


def main():
    module = AnsibleModule(
        argument_spec=dict(
            executable=dict(type="str"),
            pm2_home=dict(type="path"),
            user=dict(type="str"),
            name=dict(type="list", elements="str", default=[]),
            expected=dict(type="list", elements="str", default=[]),
            crash_window=dict(type="int", default=300),
            crash_threshold=dict(type="int", default=5),
            start_daemon=dict(type="bool", default=False),
            timeout=dict(type="float", default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    user = params["user"] or None

    start = params["start_daemon"] and not module.check_mode
    try:
        limit = number("timeout", params["timeout"], minimum=0.1, what="Option")
        runner = subprocess_runner(timeout=limit, total=limit)
        was_running = None
        if start:
            was_running = daemon_running(params["pm2_home"] or default_pm2_home(user))
        result = pm2_status(
            runner,
            pm2_path=params["executable"] or None,
            pm2_home=params["pm2_home"] or None,
            user=user,
            names=params["name"],
            expected=params["expected"],
            crash_window=params["crash_window"],
            crash_threshold=params["crash_threshold"],
            start_daemon=start,
        )
    except OpsError as error:
        module.fail_json(msg=str(error))
    started = bool(start and result["installed"] and was_running is False)
    # Ansible's own result key "warnings" carries them (module.warn), as for any module.
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(changed=started, daemon_started=started, **result)


if __name__ == "__main__":
    main()
