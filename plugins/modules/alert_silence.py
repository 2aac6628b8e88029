#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: alert_silence
short_description: Add or remove alert silences (maintenance windows) on a host
version_added: 1.1.0
description:
  - Silences the host's hourly alerts (C(twzrd-ops alerts)) for planned work, exactly like
    C(twzrd-ops silence add|list|remove) on the host. A silenced alert is still evaluated,
    logged (marked silenced) and exported to the Prometheus textfile (label C(silenced="1")),
    but not sent to the webhook; when the silence ends and the alert still fires, the next
    hourly run sends it.
  - M(twzrd.ops.alert_silence_info) lists the host's silences.
  - The silences live in the host's alert state file (the C(alerts) section's C(state_file) of
    O(config_file)), taken under the state's lock, so they survive reboots. Every silence ends
    by itself, after at most the host's C(silence_max_hours) (default 24).
  - Target C(all) never silences C(checks_failed) (the monitor itself broken); only the explicit
    target C(checks_failed) does.
author:
  - twzrd.ops contributors (@twzrd)
options:
  state:
    description:
      - V(present) adds a silence (an active silence with the same O(target) and O(reason) is kept
        as it is and the task reports no change), V(absent) removes the silence O(id), or every
        active silence of O(target); O(target=all) removes every active silence of the host,
        whatever its target (the same rule as C(twzrd-ops silence remove all)).
    type: str
    choices: [present, absent]
    default: present
  target:
    description:
      - A rule (for example V(swap)), V(rule:subject) (for example V(pm2_app_down:milo-aggregator)) or V(all).
      - Unknown rule names are refused and the probably meant one is named.
      - Required with O(state=present); with O(state=absent) when O(id) is not given.
    type: str
  duration:
    description:
      - How long the silence lasts, for example V(30m), V(2h), V(1d) or V(1h30m); at most the host's
        C(silence_max_hours). Required with O(state=present).
    type: str
  reason:
    description:
      - Why the alerts are silenced; shown in the alert log next to every silenced event. Required with O(state=present).
    type: str
  id:
    description:
      - The silence to remove with O(state=absent) (the RV(silence.id) that O(state=present) returned).
      - A silence that is not there (removed, expired, or an id of another host) is no change
        with O(missing_ok=true), and fails with a sentence naming the id and how to list the
        silences with O(missing_ok=false).
    type: str
  missing_ok:
    description:
      - Whether an O(id) that names no active silence is no change (V(true), for a flow lifting its own
        silence, which may have ended by itself) or a failure (V(false), for an operator's request, as
        C(twzrd-ops silence remove ID) and C(playbooks/silence.yml) treat it).
    type: bool
    default: true
  by:
    description: Who silences (shown in the list and the log); the connecting user by default.
    type: str
  config_file:
    description:
      - The on-host configuration file of C(twzrd-ops); its C(alerts) section names the state file
        and C(silence_max_hours). When it does not exist the built-in defaults apply.
    type: path
    default: /etc/twzrd-ops/config.json
  alerts:
    description:
      - Alert settings that override the file's C(alerts) section (C(state_file), C(log_file), C(silence_max_hours)).
    type: dict
    default: {}
extends_documentation_fragment:
  - twzrd.ops.attributes.platform_linux
attributes:
  check_mode:
    description: In check mode nothing is written; RV(silence) shows the silence that would be added.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
notes:
  - The alert state file belongs to root; use O(ignore:become=true).
seealso:
  - module: twzrd.ops.alert_silence_info
  - module: twzrd.ops.alert_check
"""

EXAMPLES = r"""
- name: Silence everything on the host for the patch
  twzrd.ops.alert_silence:
    target: all
    duration: 1h
    reason: Wednesday patch
  become: true
  register: patch_silence

- name: Lift it at the end
  twzrd.ops.alert_silence:
    state: absent
    id: "{{ patch_silence.silence.id }}"
  become: true

- name: Silence one app's pm2_app_down alert for a deploy
  twzrd.ops.alert_silence:
    target: pm2_app_down:milo-aggregator
    duration: 30m
    reason: deploy of milo-aggregator
  become: true
"""

RETURN = r"""
silence:
  description: The silence added (or kept) with O(state=present).
  returned: when state is present
  type: dict
  contains:
    id:
      description: The silence id, for O(id) and C(twzrd-ops silence remove).
      type: str
      sample: s-3f9a1c
    target:
      description: What is silenced.
      type: str
      sample: all
    reason:
      description: Why.
      type: str
      sample: Wednesday patch
    by:
      description: Who silenced.
      type: str
      sample: ansible
    created:
      description: When (UTC).
      type: str
      sample: "2026-12-02T02:00:00Z"
    until:
      description: When it ends by itself (UTC).
      type: str
      sample: "2026-12-02T03:00:00Z"
    remaining:
      description: Seconds left.
      type: int
      sample: 3600
removed:
  description: The silences removed with O(state=absent) (same shape as RV(silence)).
  returned: when state is absent
  type: list
  elements: dict
  sample: []
silences:
  description: The host's active silences after the task (same shape as RV(silence)).
  returned: always
  type: list
  elements: dict
  sample: []
notices:
  description: Problems that did not stop the task (a missing configuration file); also task warnings.
  returned: always
  type: list
  elements: str
  sample: []
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils import config, silences
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, now_epoch


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            target=dict(type="str"),
            duration=dict(type="str"),
            reason=dict(type="str"),
            id=dict(type="str"),
            by=dict(type="str"),
            missing_ok=dict(type="bool", default=True),
            config_file=dict(type="path", default=config.DEFAULT_PATH),
            alerts=dict(type="dict", default={}),
        ),
        required_if=[("state", "present", ("target", "duration", "reason"))],
        supports_check_mode=True,
    )
    params = module.params
    now = now_epoch()
    result = {"changed": False}
    try:
        conf, notices = config.alerts_section(params["config_file"], params["alerts"])
        if params["state"] == "present":
            silence, created, _lines = silences.add(
                conf, params["target"], params["duration"], params["reason"], now=now, check_mode=module.check_mode,
                by=params["by"] or os.environ.get("SUDO_USER") or None, reuse=True)
            result.update(changed=created, silence=silences.public(silence, now))
        else:
            if not params["id"] and not params["target"]:
                raise OpsError("state=absent needs the id of the silence to remove, or its target.")
            removed, _lines = silences.remove(conf, silence_id=params["id"], target=None if params["id"] else params["target"],
                                              now=now, check_mode=module.check_mode, missing_ok=params["missing_ok"])
            result.update(changed=bool(removed), removed=[silences.public(s, now) for s in removed])
        listed = silences.listing(conf, now)
        if module.check_mode and params["state"] == "present" and result["changed"]:
            listed = listed + [silence]
        if module.check_mode and params["state"] == "absent":
            gone = {s["id"] for s in result["removed"]}
            listed = [s for s in listed if s["id"] not in gone]
    except OpsError as exc:
        module.fail_json(msg=str(exc))
    for notice in notices:
        module.warn(notice)
    result.update(silences=[silences.public(s, now) for s in listed], notices=notices)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
