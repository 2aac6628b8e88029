# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side filters of the weekly health check.

The playbooks gather a host's state with the collection's read-only modules; these
filters turn the registered results into the snapshot of docs/DESIGN.md and hand it to
module_utils/checks.py (findings, verdict) and module_utils/report.py (the per-host
report). Nothing here decides on its own: the thresholds and the report text are those of
the on-host cron job. The documentation of each filter is in plugins/filter/NAME.yml.
"""

from __future__ import annotations

import time

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import checks, report, settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, iso_time, plain

PREFIX = "twzrd_ops_"

# Keys Ansible adds to every registered result; they are not part of the module's data.
_RESULT_KEYS = frozenset(
    (
        "changed", "failed", "invocation", "warnings", "deprecations", "msg", "skip_reason", "false_condition",
        "ansible_facts", "failed_when_result", "failed_when_suppressed_exception", "exception",
    )
)


def _was_skipped(result):
    # A skipped task carries skipped=True and a skip_reason; log_scan's own "skipped" key
    # (files it could not read) is a list, never the boolean True.
    return result.get("skipped") is True or "skip_reason" in result


def health_config(variables):
    """The flat check configuration from the play's twzrd_ops_* variables.

    Takes a mapping of variable names to values (any names; only twzrd_ops_<check key>
    are used), validates it with checks.normalize_config and returns the flat dict.
    """
    if not isinstance(variables, dict):
        raise AnsibleFilterError("health_config expects a mapping of twzrd_ops_* variables, got %s." % type(variables).__name__)
    cfg = {}
    for key in checks.DEFAULTS:
        name = PREFIX + key
        if name in variables and variables[name] is not None:
            cfg[key] = plain(variables[name])
    cfg.update(settings.derived_checks(variables))
    try:
        return checks.normalize_config(cfg)
    except OpsError as exc:
        raise AnsibleFilterError("Invalid twzrd_ops setting: %s" % exc)


def result_part(result):
    """One registered module result as a snapshot part.

    Skipped (or absent) -> None, failed -> {"error": sentence}, otherwise the module's
    data without Ansible's bookkeeping keys.
    """
    if result is None:
        return None
    if not isinstance(result, dict):
        raise AnsibleFilterError("result_part expects a registered task result, got %s." % type(result).__name__)
    if _was_skipped(result):
        return None
    data = {k: plain(v) for k, v in result.items() if k not in _RESULT_KEYS and not k.startswith("_ansible")}
    # A module failure under `failed_when: false` arrives with failed=False: ansible-core 2.19
    # marks it with failed_when_suppressed_exception; older versions leave only msg.
    suppressed = "failed_when_suppressed_exception" in result or (result.get("msg") and not data)
    if result.get("failed") or result.get("unreachable") or suppressed:
        message = str(result.get("msg") or "the task failed without a message").strip()
        return {"error": message}
    return data


def health_snapshot(results, host=None, kind="health", now=None):
    """Build the snapshot of docs/DESIGN.md from registered module results.

    results: {"pm2": ..., "system": ..., "disk": [...]|result, "health": ..., "logs": ...,
    "crashes_report_window": pm2_status result (optional)}.
    """
    if not isinstance(results, dict):
        raise AnsibleFilterError("health_snapshot expects a mapping of registered results, got %s." % type(results).__name__)
    if kind not in checks.KINDS:
        raise AnsibleFilterError("health_snapshot kind must be one of %s, got %r." % (", ".join(checks.KINDS), kind))
    epoch = time.time() if now is None else float(now)
    snapshot = {
        "host": str(host or ""),
        "kind": kind,
        "epoch": epoch,
        "timestamp": iso_time(epoch),
    }
    for part in ("pm2", "system", "health", "logs"):
        snapshot[part] = result_part(results.get(part))
    logs = snapshot["logs"]
    if isinstance(logs, dict) and "skipped_files" in logs:
        # The log_scan module returns logscan.scan()'s "skipped" as "skipped_files" (Ansible
        # reads a result's "skipped" as "the task was skipped"); the snapshot keeps DESIGN's name.
        logs["skipped"] = logs.pop("skipped_files")
    disk = results.get("disk")
    if isinstance(disk, dict):
        part = result_part(disk)
        disk = part.get("disks", part) if isinstance(part, dict) and "error" not in part else part
    snapshot["disk"] = plain(disk) if disk is not None else None
    window = result_part(results.get("crashes_report_window"))
    if window is not None:
        summary = window.get("summary") or {}
        snapshot["crashes_report_window"] = (
            {"error": window["error"]}
            if "error" in window
            else {"window": summary.get("crash_window"), "crashes": summary.get("crashes") or {}}
        )
    return snapshot


def health_findings(snapshot, cfg=None):
    """checks.evaluate(snapshot, cfg): the findings, most severe first."""
    if not isinstance(snapshot, dict):
        raise AnsibleFilterError("health_findings expects a snapshot mapping, got %s." % type(snapshot).__name__)
    try:
        return checks.evaluate(plain(snapshot), plain(cfg or {}))
    except OpsError as exc:
        raise AnsibleFilterError("Cannot evaluate the health snapshot: %s" % exc)


def health_verdict(findings):
    """checks.verdict(findings): ok, warning or critical."""
    if not isinstance(findings, (list, tuple)):
        raise AnsibleFilterError("health_verdict expects a list of findings, got %s." % type(findings).__name__)
    return checks.verdict(plain(findings))


def health_report_text(snapshot, findings, verdict):
    """The per-host weekly report text, rendered by module_utils/report.py (the cron job's)."""
    try:
        return report.render_text(plain(snapshot), plain(findings), str(verdict))
    except OpsError as exc:
        raise AnsibleFilterError("Cannot render the weekly report: %s" % exc)


def health_report_json(snapshot, findings, verdict):
    """The JSON twin of the per-host report, as the cron job writes it."""
    try:
        return report.render_json(plain(snapshot), plain(findings), str(verdict))
    except OpsError as exc:
        raise AnsibleFilterError("Cannot render the weekly report: %s" % exc)


class FilterModule(object):
    """twzrd.ops health filters."""

    def filters(self):
        return {
            "health_config": health_config,
            "result_part": result_part,
            "health_snapshot": health_snapshot,
            "health_findings": health_findings,
            "health_verdict": health_verdict,
            "health_report_text": health_report_text,
            "health_report_json": health_report_json,
        }
