# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole per-host check in one process: what the host_check module runs.

collect -> evaluate -> verdict -> (report files) with the same code as the on-host command
`twzrd-ops health`, so a playbook needs one round trip per host instead of one per check.
Also the controller-side reading of a host_check task result (reachable? checked? why not?),
so that every playbook explains an unreachable host or a failed become the same way.

Runs on hosts without Ansible too: imports nothing from ansible.
"""

from __future__ import annotations

import os
import re

from . import config
from . import runs_read as runs  # runs.weekly / runs.status without the alert engine (a small payload)
from .common import OpsError

# The role's reports directory belongs to root; an ordinary user's reports go to their own
# state directory (XDG), so that the quick start works without privileges.
SYSTEM_REPORTS_DIR = "/var/lib/twzrd-ops/reports"


def user_reports_dir(environ=None, home=None):
    """$XDG_STATE_HOME/twzrd-ops/reports, else ~/.local/state/twzrd-ops/reports."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_STATE_HOME") or ""
    if not base or not os.path.isabs(base):
        base = os.path.join(home or os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "twzrd-ops", "reports")


def reports_dir(requested, euid=None, environ=None, home=None):
    """Where this run writes its per-host report.

    The system directory (the role's default) is used as root; for any other user it is
    replaced by user_reports_dir(), since only root may write there. Any other directory the
    operator names is used as given.
    """
    euid = os.geteuid() if euid is None else euid
    requested = requested or SYSTEM_REPORTS_DIR
    if euid != 0 and os.path.normpath(requested) == SYSTEM_REPORTS_DIR:
        return user_reports_dir(environ, home)
    return requested


def run(cfg, kind="health", runner=None, report_dir=None, write=True, now=None, history_settings=None, keep_weeks=None):
    """The host_check module's run: runs.weekly (kind health) or runs.status (kind status),
    the same orchestrators as the on-host command, with the settings validated the same way
    (config.validate: the history file found where the on-host command finds it).

    Returns {host, snapshot, findings, verdict, exit_code, report, history, pruned,
    prune_warning}; report is None when no report was asked for, else {path, json, written,
    error}; the reports go to reports_dir(report_dir) (an ordinary user's own directory).
    """
    if kind not in ("health", "status"):
        raise OpsError("host_check kind must be health or status, got %r." % (kind,))
    if report_dir is not None and not os.path.isabs(str(report_dir)):
        raise OpsError("The report directory must be an absolute path, got %r." % (str(report_dir)[:200],))
    section = {"keep_weeks": keep_weeks} if keep_weeks is not None else {}
    settings = config.validate({"checks": cfg or {}, "history": history_settings or {}, "reports": section})
    if kind == "status":
        return runs.status(settings, runner, now=now)
    directory = reports_dir(report_dir) if report_dir is not None else None
    result = runs.weekly(settings, runner, now=now, report_dir=directory, write=write)
    result.pop("text", None)
    return result


# --------------------------------------------------------------------- controller side

_BECOME_PASSWORD = re.compile(r"(missing sudo password|a password is required|incorrect sudo password|sorry, try again"
                              r"|no (?:tty|askpass) present|sudo: a terminal is required)", re.I)
_BECOME_MISSING = re.compile(r"\b(sudo|su|doas): (?:command )?not found|sudo: not found|no such file or directory: .?sudo", re.I)
_BECOME_DENIED = re.compile(r"is not in the sudoers file|not allowed to execute|may not run sudo", re.I)

BECOME_FIX = "run with -K (--ask-become-pass) to give the sudo password, or with -e twzrd_ops_become=false for a read-only look as the connecting user"


def _first_line(text):
    for line in str(text or "").splitlines():
        line = line.strip()
        if line:
            return line
    return ""


def explain_failure(result):
    """One sentence for an operator from a failed or unreachable task result.

    Become problems (no sudo, sudo wants a password, user not allowed) are told with their
    fix instead of the raw connection error; anything else keeps its own first line.
    """
    result = result if isinstance(result, dict) else {}
    texts = [str(result.get(key) or "") for key in ("msg", "module_stderr", "module_stdout", "stderr")]
    joined = "\n".join(texts)
    if _BECOME_PASSWORD.search(joined):
        return "Privilege escalation (become) needs a password that was not given: %s." % BECOME_FIX
    if _BECOME_MISSING.search(joined):
        return "Privilege escalation (become) is not possible: sudo is not installed on the host; %s." % BECOME_FIX
    if _BECOME_DENIED.search(joined):
        return "Privilege escalation (become) was refused: the connecting user may not use sudo; %s." % BECOME_FIX
    message = _first_line(result.get("msg"))
    message = re.sub(r"^Task failed: ", "", message)
    if message.startswith("MODULE FAILURE"):
        detail = _first_line(result.get("module_stderr")) or _first_line(result.get("module_stdout"))
        message = "The check could not run on the host%s" % ((": " + detail) if detail else ".")
    return message or ("the host did not answer" if result.get("unreachable") else "the check failed without a message")


def classify(result, required_key, not_run="the host was not checked"):
    """THE reading of a registered task result: (state, error).

    state is "checked" (error None) when the task ran and returned required_key (the key only
    a completed check returns: host_check's snapshot, host_audit's checks); "unreachable"
    when the task was skipped or never registered (error not_run) or the host did not answer;
    "failed" otherwise, with explain_failure()'s sentence. host_result() and the audit
    report's audit_results filter both read results with it.
    """
    if not isinstance(result, dict) or result.get("skipped") is True:
        return "unreachable", not_run
    if result.get("unreachable"):
        return "unreachable", explain_failure(result)
    if result.get("failed") or required_key not in result:
        return "failed", explain_failure(result)
    return "checked", None


def host_result(result):
    """The per-host fact of the fleet reports from a registered host_check result:
    {state: checked, snapshot, findings, verdict, report} | {state: unreachable|failed, error}."""
    state, error = classify(result, "snapshot")
    if state != "checked":
        return {"state": state, "error": error}
    state = {
        "state": "checked",
        "snapshot": result.get("snapshot"),
        "findings": result.get("findings") or [],
        "verdict": result.get("verdict"),
    }
    if result.get("report"):
        state["report"] = result["report"]
    if isinstance(result.get("history"), dict):
        state["history"] = result["history"]
    return state
