#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: alert_check
short_description: Evaluate the hourly alert rules on a host without touching its alert state
version_added: 1.0.0
description:
  - Runs the same code as the host's hourly C(twzrd-ops alerts) cron job (collect a snapshot,
    evaluate the thresholds, apply the alert state machine) and returns the alerts that are
    active on the host and the events the next hourly run would send.
  - Read-only. The alert state file is read but never written, a corrupt state file is left where
    it is, nothing is appended to the alert log, no webhook is called and no Prometheus textfile
    is written. The task never reports a change.
  - The settings come from the host's configuration file O(config_file) (written by the
    C(twzrd.ops.twzrd_ops) role), so the answer is the one the cron job gives. O(checks) and
    O(alerts) override single settings. Without the file the settings of O(settings) apply (the
    inventory's, on a host that the role has not set up yet), else the built-in defaults.
author:
  - twzrd.ops contributors (@twzrd)
options:
  config_file:
    description:
      - The on-host configuration file of C(twzrd-ops) (JSON with sections C(checks) and C(alerts)).
      - When it does not exist O(settings) (else the defaults) apply and RV(notices) says so.
    type: path
    default: /etc/twzrd-ops/config.json
  settings:
    description:
      - The configuration to judge with when O(config_file) does not exist, in the file's shape (sections
        C(checks), C(alerts), C(history)); C(playbooks/alerts.yml) passes the inventory's C(twzrd_ops_*)
        variables (filter C(twzrd.ops.host_config)), so a host that C(setup.yml) has not touched is judged with
        the thresholds and health URL of the inventory, never silently with the built-in defaults.
      - Ignored when O(config_file) exists (the host's own settings are what its cron job uses).
    type: dict
    default: {}
  checks:
    description:
      - Check settings that override the file's C(checks) section, with the names of the role
        variables without the C(twzrd_ops_) prefix (for example C(swap_warning), C(load_mode),
        C(expected_apps), C(pm2_user), C(health_url)).
      - Unknown names are refused.
    type: dict
    default: {}
  alerts:
    description:
      - Alert settings that override the file's C(alerts) section (for example C(state_file),
        C(swap_clear), C(load_clear_ratio), C(repeat_hours)).
      - Only C(state_file), C(repeat_hours), C(swap_clear) and C(load_clear_ratio) change the answer;
        the delivery settings are accepted but unused because nothing is delivered.
    type: dict
    default: {}
  timeout:
    description:
      - Seconds all the C(pm2) commands of this task may take together (the health probe has its own C(health_timeout)). A C(pm2) that hangs
        is killed with its child processes and the task fails with one sentence.
    type: float
    default: 120
extends_documentation_fragment:
  - twzrd.ops.attributes.read_only
  - twzrd.ops.attributes.platform_linux
requirements:
  - psutil on the target (Debian/Ubuntu package C(python3-psutil)).
notes:
  - Reading the state file and asking PM2 of another user usually need root; use O(ignore:become=true).
  - PM2 app environment values are never read into the result.
seealso:
  - module: twzrd.ops.pm2_status
  - module: twzrd.ops.swap_usage
"""

EXAMPLES = r"""
- name: Show the alerts active on every host
  twzrd.ops.alert_check:
  become: true
  register: alert_view

- name: Evaluate with a lower swap threshold than the hosts are configured with
  twzrd.ops.alert_check:
    checks:
      swap_warning: 10
  become: true
  register: alert_view
"""

RETURN = r"""
verdict:
  description: The most severe level among the active alerts.
  returned: always
  type: str
  choices: [ok, warning, critical]
  sample: critical
exit_code:
  description: The exit code the hourly C(twzrd-ops alerts) run would give (0 ok, 1 warning, 2 critical).
  returned: always
  type: int
  sample: 2
active:
  description: Alerts active on the host after this evaluation, most severe first.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: Stable alert key, the rule or C(rule:subject).
      type: str
      sample: "pm2_app_down:milo-aggregator"
    rule:
      description: The rule that raised the alert.
      type: str
      sample: pm2_app_down
    level:
      description: C(warning) or C(critical).
      type: str
      sample: critical
    message:
      description: One sentence for the operator.
      type: str
      sample: "PM2 app milo-aggregator is stopped, not online."
    value:
      description: The measured figure, when the rule has one.
      type: raw
      sample: null
    since:
      description: When the alert started (UTC), from the host's alert state or this run.
      type: str
      sample: "2026-11-27T22:00:00Z"
  sample: []
events:
  description: The events the next hourly run would deliver (fired, reminders, resolved), in the same shape as the cron run's.
  returned: always
  type: list
  elements: dict
  sample: [{type: firing, key: swap, rule: swap, level: critical, message: "Swap use is 55.0% (critical above 50%).",
            since: "2026-11-27T22:00:00Z"}]
findings:
  description: The raw findings of the threshold evaluation before the alert state machine (no hysteresis, crashes within C(crash_window)).
  returned: always
  type: list
  elements: dict
  sample: [{rule: swap, key: swap, level: critical, message: "Swap use is 55.0% (critical above 50%).", value: 55.0}]
notices:
  description:
    - Problems that did not stop the evaluation, such as a missing configuration file or a corrupt state file.
    - They are also shown as task warnings.
  returned: always
  type: list
  elements: str
  sample: ["The alert state file /var/lib/twzrd-ops/alerts-state.json is corrupt; it is treated as missing."]
host:
  description: Host name as the host reports it.
  returned: always
  type: str
  sample: web-1
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils import checks, config, probe, runs
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, number, subprocess_runner


def load_settings(path, check_overrides, alert_overrides, fallback=None):
    """(settings, warnings): the host's file (when present, else fallback: the inventory's
    settings) plus overrides, validated as the on-host command validates it (config.validate:
    the same sections, the same history file)."""
    warnings = []
    if os.path.exists(path):
        loaded = config.load(path)
        data = {"checks": loaded["checks"], "alerts": loaded["alerts"], "history": loaded["history"]}
    elif fallback:
        warnings.append("Configuration file %s does not exist (the host is not set up); the settings given by the playbook apply." % path)
        data = dict((section, dict(fallback.get(section) or {})) for section in ("checks", "alerts", "history"))
    else:
        warnings.append("Configuration file %s does not exist; the built-in defaults apply." % path)
        data = {}
    data["checks"] = dict(data.get("checks") or {}, **check_overrides)
    data["alerts"] = dict(data.get("alerts") or {}, **alert_overrides)
    return config.validate(data), warnings


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config_file=dict(type="path", default=config.DEFAULT_PATH),
            checks=dict(type="dict", default={}),
            alerts=dict(type="dict", default={}),
            settings=dict(type="dict", default={}),
            timeout=dict(type="float", default=120),
        ),
        supports_check_mode=True,
    )
    # A password inside a URL is masked wherever Ansible shows it (the invocation at -vvv too).
    module.no_log_values.update(probe.url_secrets((module.params["checks"] or {}).get("health_url")))
    module.no_log_values.update(probe.url_secrets(((module.params["settings"] or {}).get("checks") or {}).get("health_url")))

    try:
        limit = number("timeout", module.params["timeout"], minimum=0.1, what="Option")
        runner = subprocess_runner(timeout=limit, total=limit)
        settings, warnings = load_settings(module.params["config_file"], module.params["checks"], module.params["alerts"],
                                           module.params["settings"])
        # The same run as the hourly job's (runs.hourly), read-only.
        snapshot, findings, view = runs.hourly_preview(settings, runner)
    except OpsError as exc:
        module.fail_json(msg=str(exc))

    verdict = checks.verdict(view["active"])
    notices = warnings + view["warnings"]
    for notice in notices:
        module.warn(notice)
    module.exit_json(
        changed=False,
        verdict=verdict,
        exit_code=checks.exit_code(verdict),
        active=view["active"],
        events=view["events"],
        findings=findings,
        notices=notices,
        host=snapshot.get("host"),
    )


if __name__ == "__main__":
    main()
