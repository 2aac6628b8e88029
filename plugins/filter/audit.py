# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side filters of the monthly / quarterly audit (playbooks/audit.yml).

The rules live in module_utils/audit.py (the module host_audit reads and judges a host with
them in one round trip). audit_host() judges audit data handed in (documentation in
plugins/filter/audit_host.yml); audit_results() turns the registered host_audit results into
the audit report's hosts (plugins/filter/audit_results.yml).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import audit
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, plain
from ansible_collections.twzrd.ops.plugins.module_utils.hostcheck import classify

# Kept under the filter's name for its callers: the rule is module_utils/audit.py's.
persisted_swappiness = audit.persisted_swappiness


def audit_host(data, swappiness=10, restart_threshold=10, report_weeks=4, log_size_mb=100, cron_jobs=None, today=None):
    """Judge one host's audit data; returns {level, checks, apps} (module_utils/audit.judge)."""
    try:
        return audit.judge(plain(data) if isinstance(data, dict) else data, swappiness, restart_threshold, report_weeks,
                           log_size_mb, cron_jobs, today)
    except OpsError as exc:
        raise AnsibleFilterError(str(exc))


def _result(registered, unchecked):
    """The audit report's entry of one host from its registered host_audit result
    (read by hostcheck.classify, the one reading of a registered result)."""
    if unchecked:
        return {"state": "failed", "error": unchecked}
    state, error = classify(registered, "checks", not_run="the host was not audited")
    if state != "checked":
        return {"state": state, "error": error}
    return {"state": "checked", "audit": {"level": registered.get("level"), "checks": registered.get("checks"),
                                          "apps": registered.get("apps") or []}}


def audit_results(hostvars, hosts, fact, fleet=None):
    """[{host, result}] of the audit report, for each host (in order, once) of the run:
    checked (the audit), unreachable, failed, or not checked because of a bad setting."""
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("audit_results expects a list of host names, got %s." % type(hosts).__name__)
    unchecked = plain((fleet or {}).get("unchecked") or {}) if isinstance(fleet, dict) else {}
    found, seen = [], set()
    for host in hosts:
        if host in seen:
            continue
        seen.add(host)
        try:
            registered = hostvars[host].get(fact)
        except (KeyError, AttributeError, TypeError):
            registered = None
        found.append({"host": str(host), "result": _result(plain(registered), unchecked.get(host))})
    return found


class FilterModule(object):
    """twzrd.ops audit filters."""

    def filters(self):
        return {"audit_host": audit_host, "audit_results": audit_results}
