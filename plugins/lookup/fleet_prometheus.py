# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_prometheus
short_description: The fleet's per-host results from Prometheus, with no task per host
version_added: 1.1.0
description:
  - One instant query of Prometheus's HTTP API for the C(twzrd_ops_*) textfile metrics that each host's hourly
    C(twzrd-ops alerts) job writes and node_exporter exposes; returns, for every host given, the result the fleet
    report reads (the shape of the C(twzrd.ops.host_result) filter). The decisions are C(module_utils/fleet_prometheus.py).
  - A host without series is unreachable, a host whose last hourly run is stale or failed is unknown with the reason,
    otherwise its verdict is the most severe of its active alerts that no silence covers.
  - C(playbooks/weekly-health.yml) uses it with C(-e twzrd_ops_fleet_source=prometheus).
options:
  _terms:
    description: The host names (for example C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  url:
    description: Base URL of Prometheus, for example C(http://prometheus.internal:9090).
    type: str
    required: true
  label:
    description: The series label that names the host; C(instance) has its C(:port) removed.
    type: str
    default: instance
  stale_after:
    description: Seconds after which a host's last hourly run counts as stale.
    type: float
    default: 7200
  timeout:
    description: Seconds the query may take.
    type: float
    default: 10
author:
  - twzrd.ops contributors (@twzrd)
"""

EXAMPLES = r"""
- name: Fleet results from Prometheus
  ansible.builtin.debug:
    msg: "{{ lookup('twzrd.ops.fleet_prometheus', *ansible_play_hosts_all, url='http://127.0.0.1:9090') }}"
"""

RETURN = r"""
_raw:
  description: One mapping of host name to its result (C(state), C(verdict), C(findings), C(snapshot) or C(error)).
  type: list
  elements: dict
"""

import time

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.twzrd.ops.plugins.module_utils import fleet_prometheus
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError


class LookupModule(LookupBase):
    """twzrd.ops.fleet_prometheus lookup."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        hosts = []
        for term in terms:
            hosts.extend(term if isinstance(term, (list, tuple)) else [term])
        try:
            series = fleet_prometheus.fetch(self.get_option("url"), timeout=float(self.get_option("timeout")))
            return [fleet_prometheus.host_results(series, [str(h) for h in hosts], time.time(), label=self.get_option("label"),
                                                  stale_after=float(self.get_option("stale_after")))]
        except OpsError as exc:
            raise AnsibleLookupError(str(exc))
