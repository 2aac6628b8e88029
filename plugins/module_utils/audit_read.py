# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's read phase (module host_audit): everything playbooks/audit.yml used to read with
ten tasks, read in one process on the host, read-only. audit.judge() decides.

Read: whether the host is a container, the live and persisted vm.swappiness, PM2's apps (limits,
restart counts, environment variable NAMES; values are never read), the pre-reboot checks, the
cron file, the weekly reports, the logrotate file and the sizes of the twzrd and PM2 logs.
Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import fnmatch
import os
import pwd
import re

from . import audit
from .common import OpsError, number, refuse_unknown
from .pm2 import pm2_status
from .reboot_ready import check as reboot_check, home_of, node_for, warning_message

SWAPPINESS_LIVE = "/proc/sys/vm/swappiness"
SYSCTL_FILES = ("/etc/sysctl.conf", "/etc/sysctl.d")
CRON_FILE = "/etc/cron.d/twzrd-ops"
LOGROTATE_FILE = "/etc/logrotate.d/twzrd-ops"
LOG_DIR = "/var/log"
LOG_PATTERNS = ("twzrd-*.log*", "*-out.log*", "*-error.log*", "*-out-*.log*", "*-error-*.log*")
REPORT_PATTERN = "weekly-health-report-*.txt"
# The audit's settings (settings.flow("audit") gives them from the role's variables).
DEFAULTS = {"pm2_user": "", "pm2_home": "", "pm2_path": "", "expected_apps": [], "reports_dir": "/var/lib/twzrd-ops/reports",
            "swappiness": 10, "restart_threshold": 10, "report_weeks": 4, "log_size_mb": 100,
            "cron_jobs": ["health", "alerts", "restart"], "reboot_check": True}
_SWAPPINESS = re.compile(r"^[ \t]*vm[./]swappiness")
# Markers of a container (what Ansible's virtual facts look at, without a fact gathering).
_CONTAINER_FILES = (("/.dockerenv", "docker"), ("/run/.containerenv", "podman"))


def _read(path, limit=1 << 20):
    """A small text file, or None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except (OSError, IOError):
        return None


def container_type(root="/"):
    """The kind of container this host is ("" for none): /.dockerenv, /run/.containerenv,
    then PID 1's container= environment variable (systemd's convention: lxc, systemd-nspawn...)."""
    for path, kind in _CONTAINER_FILES:
        if os.path.exists(os.path.join(root, path.lstrip("/"))):
            return kind
    environ = _read(os.path.join(root, "proc/1/environ")) or ""
    for entry in environ.split("\0"):
        if entry.startswith("container="):
            return entry.partition("=")[2] or "container"
    return ""


def swappiness_lines(paths=SYSCTL_FILES):
    """The vm.swappiness lines of the sysctl files as `grep -rH` prints them ("path:line"):
    a directory's regular files, symbolic links inside it skipped as grep -r does."""
    found = []
    for top in paths:
        if os.path.isdir(top):
            files = []
            for folder, dirs, names in os.walk(top):
                dirs.sort()
                files.extend(os.path.join(folder, name) for name in sorted(names)
                             if not os.path.islink(os.path.join(folder, name)))
        else:
            files = [top]
        for path in files:
            for line in (_read(path) or "").splitlines():
                if _SWAPPINESS.match(line):
                    found.append("%s:%s" % (path, line))
    return "\n".join(found)


def list_files(folder, patterns):
    """[{path, size}] of the regular files directly in folder whose names match a pattern."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found = []
    for name in names:
        path = os.path.join(folder, name)
        if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
            continue
        try:
            info = os.stat(path)
        except OSError:
            continue
        if os.path.isfile(path) and not os.path.islink(path):
            found.append({"path": path, "size": info.st_size})
    return found


def _pm2(runner, user, pm2_home, pm2_path):
    try:
        return pm2_status(runner, pm2_path=pm2_path, pm2_home=pm2_home, user=user, crash_window=0)
    except OpsError as exc:
        return {"error": str(exc)}


def _reboot(runner, pm2, user, pm2_home, expected):
    """pm2_reboot_ready's result for the audit (the same rules, read-only), from the PM2 read above."""
    online = sorted(set(p["name"] for p in pm2.get("processes") or [] if p.get("status") == "online"))
    try:
        result = reboot_check(user or pwd.getpwuid(os.geteuid()).pw_name, pm2_home=pm2_home, expected=expected,
                              online=online, pm2_warnings=pm2.get("warnings") or [], runner=runner)
    except OpsError as exc:
        return {"error": str(exc)}
    result["home"] = home_of(result["user"])
    result["node_path"] = node_for(pm2.get("pm2_path"))
    result["message"] = None if result["ready"] else warning_message(result, expected, online)
    return result


def read(runner, user=None, pm2_home=None, pm2_path=None, expected=None, reports_dir=None, reboot=True):
    """The audit data of this host (the shape audit.judge() takes)."""
    pm2 = _pm2(runner, user or None, pm2_home or None, pm2_path or None)
    kind = container_type()
    data = {
        "swappiness_live": (_read(SWAPPINESS_LIVE) or "").strip(),
        "swappiness_files": swappiness_lines(),
        "virtualization_type": kind,
        "virtualization_role": "guest" if kind else "",
        "pm2": pm2,
        "cron": {"path": CRON_FILE, "exists": os.path.isfile(CRON_FILE), "content": _read(CRON_FILE) or ""},
        "reports": [f["path"] for f in list_files(reports_dir, (REPORT_PATTERN,))] if reports_dir else [],
        "logrotate": {"path": LOGROTATE_FILE, "exists": os.path.exists(LOGROTATE_FILE)},
        "logs": list_files(LOG_DIR, LOG_PATTERNS)
        + (list_files(os.path.join(pm2["pm2_home"], "logs"), LOG_PATTERNS) if pm2.get("pm2_home") else []),
    }
    if reboot and pm2.get("installed") is True:
        data["reboot"] = _reboot(runner, pm2, user or None, pm2_home or None, list(expected or []))
    return data


def run(runner, given, today):
    """Read and judge one host: {level, checks, apps} (audit.judge's result). given: the audit's
    settings (DEFAULTS' names; unknown names refused)."""
    given = dict((key, value) for key, value in (given or {}).items() if value is not None)
    refuse_unknown(list(given), list(DEFAULTS), "audit setting%s")
    options = dict(DEFAULTS, **given)
    for key in ("swappiness", "restart_threshold", "report_weeks", "log_size_mb"):
        options[key] = number(key, options[key], 0, None, integer=True)
    data = read(runner, options["pm2_user"], options["pm2_home"], options["pm2_path"], options["expected_apps"],
                options["reports_dir"], options["reboot_check"] is not False)
    return audit.judge(data, swappiness=options["swappiness"], restart_threshold=options["restart_threshold"],
                       report_weeks=options["report_weeks"], log_size_mb=options["log_size_mb"],
                       cron_jobs=options["cron_jobs"], today=today)
