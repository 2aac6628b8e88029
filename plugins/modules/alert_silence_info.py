#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: alert_silence_info
short_description: List the alert silences active on a host
version_added: 1.1.0
description:
  - Returns the silences of the host's hourly alerts (C(twzrd-ops silence list)), read from the
    alert state file named by O(config_file). Expired silences are not listed.
  - Read-only. M(twzrd.ops.alert_silence) adds and removes silences.
author:
  - twzrd.ops contributors (@twzrd)
options:
  config_file:
    description:
      - The on-host configuration file of C(twzrd-ops); its C(alerts) section names the state file.
        When it does not exist the built-in defaults apply.
    type: path
    default: /etc/twzrd-ops/config.json
  alerts:
    description: Alert settings that override the file's C(alerts) section (C(state_file)).
    type: dict
    default: {}
extends_documentation_fragment:
  - twzrd.ops.attributes.read_only
  - twzrd.ops.attributes.platform_linux
notes:
  - The alert state file belongs to root; use O(ignore:become=true).
seealso:
  - module: twzrd.ops.alert_silence
"""

EXAMPLES = r"""
- name: List the host's silences
  twzrd.ops.alert_silence_info:
  become: true
  register: host_silences
"""

RETURN = r"""
silences:
  description: The host's active silences, the one that ends first first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The silence id, for C(twzrd-ops silence remove) and M(twzrd.ops.alert_silence)'s O(twzrd.ops.alert_silence#module:id).
      type: str
      sample: s-3f9a1c
    target:
      description: What is silenced (a rule, C(rule:subject) or C(all)).
      type: str
      sample: all
    reason:
      description: Why.
      type: str
      sample: Wednesday patch
    by:
      description: Who silenced.
      type: str
      sample: ana
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
  sample: []
notices:
  description: Problems that did not stop the task (a missing configuration file); also task warnings.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils import config, silences
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, now_epoch


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config_file=dict(type="path", default=config.DEFAULT_PATH),
            alerts=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    now = now_epoch()
    try:
        conf, notices = config.alerts_section(module.params["config_file"], module.params["alerts"])
        listed = silences.listing(conf, now)
    except OpsError as exc:
        module.fail_json(msg=str(exc))
    for notice in notices:
        module.warn(notice)
    module.exit_json(changed=False, silences=[silences.public(s, now) for s in listed], notices=notices)


if __name__ == "__main__":
    main()
