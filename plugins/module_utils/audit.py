# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The monthly / quarterly audit's rules (playbooks/audit.yml, module host_audit): pure, no I/O.

judge() rates what audit_read.read() took from a host against the runbook's checklist:
swappiness 10 live and persisted, max_memory_restart on every PM2 app, restart-count
anomalies, environment variable NAMES for review (never values), the cron jobs, weekly
reports for the past weeks, log rotation and log sizes, and (when asked) whether a reboot
would bring the apps back. A message names at most ten apps or files, then "and N more"
(the details list holds them all). Like every module_utils file this imports nothing from
ansible.
"""

from __future__ import annotations

import datetime
import re

from .common import OpsError, worst
from .escape import names as _names

CONTAINER_TYPES = ("docker", "container", "containerd", "lxc", "podman", "systemd-nspawn", "wsl")
_SWAPPINESS_LINE = re.compile(r"^\s*vm[./]swappiness\s*=\s*(\S+)\s*$")
_REPORT_NAME = re.compile(r"weekly-health-report-(\d{4}-\d{2}-\d{2})\.txt$")
# The on-host command's subcommands that the role's cron file runs.
CRON_JOBS = ("health", "alerts", "restart")


def _check(name, level, message, details=None):
    return {"check": name, "level": level, "message": message, "details": details if details is not None else []}


def persisted_swappiness(grep_output):
    """The vm.swappiness value sysctl --system would apply, from `grep -rH` output.

    sysctl reads /etc/sysctl.d/*.conf in file-name order and /etc/sysctl.conf last, so
    the last of those lines wins. Returns (value or None, [file:value, ...]).
    """
    entries = []
    for line in (grep_output or "").splitlines():
        path, sep, rest = line.partition(":")
        if not sep:
            continue
        match = _SWAPPINESS_LINE.match(rest)
        if not match:
            continue
        entries.append((path, match.group(1)))

    def order(entry):
        path = entry[0]
        return (1, "") if path == "/etc/sysctl.conf" else (0, path.rsplit("/", 1)[-1])

    entries.sort(key=order)
    value = entries[-1][1] if entries else None
    return value, ["%s: %s" % entry for entry in entries]


def _swappiness_checks(data, expected, in_container):
    checks = []
    live = data.get("swappiness_live")
    live = str(live).strip() if live not in (None, "") else None
    if live is None:
        checks.append(_check("swappiness_live", "warning", "The live vm.swappiness could not be read."))
    elif live == str(expected):
        checks.append(_check("swappiness_live", "ok", "vm.swappiness is %s live." % live))
    elif in_container:
        checks.append(
            _check(
                "swappiness_live",
                "ok",
                "vm.swappiness is %s live, but this host is a container sharing its kernel's setting (wanted %s); "
                "only the persisted value counts here." % (live, expected),
            )
        )
    else:
        checks.append(_check("swappiness_live", "critical", "vm.swappiness is %s live, not %s." % (live, expected)))

    value, sources = persisted_swappiness(data.get("swappiness_files"))
    if value is None:
        checks.append(
            _check("swappiness_persisted", "critical", "vm.swappiness is not persisted in /etc/sysctl.d or /etc/sysctl.conf.")
        )
    elif value == str(expected):
        checks.append(_check("swappiness_persisted", "ok", "vm.swappiness %s is persisted." % value, sources))
    else:
        checks.append(
            _check("swappiness_persisted", "critical", "vm.swappiness is persisted as %s, not %s." % (value, expected), sources)
        )
    return checks


def _apps(pm2):
    apps = []
    for proc in pm2.get("processes") or []:
        apps.append(
            {
                "name": proc.get("name"),
                "pm_id": proc.get("pm_id"),
                "status": proc.get("status"),
                "restarts": proc.get("restarts") or 0,
                "unstable_restarts": proc.get("unstable_restarts") or 0,
                "max_memory_restart": proc.get("max_memory_restart"),
                # Names only: values of an app's environment are secrets and never read.
                "env_names": sorted(str(n) for n in proc.get("env_names") or []),
            }
        )
    return apps


def _pm2_checks(pm2, restart_threshold):
    if not isinstance(pm2, dict) or pm2.get("error") or pm2.get("failed"):
        message = (pm2 or {}).get("error") or (pm2 or {}).get("msg") or "PM2 could not be read."
        return [_check("pm2", "warning", "PM2 could not be read: %s" % message)], []
    if not pm2.get("installed", True):
        return [_check("pm2", "ok", "PM2 is not installed on this host; no apps to audit.")], []
    apps = _apps(pm2)
    checks = []
    names = sorted({a["name"] for a in apps if a["max_memory_restart"] in (None, 0, "")})
    if names:
        checks.append(
            _check("max_memory_restart", "warning", "%d app(s) have no max_memory_restart: %s." % (len(names), _names(names)), names)
        )
    else:
        checks.append(_check("max_memory_restart", "ok", "Every PM2 app has max_memory_restart (%d apps)." % len(apps)))
    anomalies = sorted(
        "%s (%d restarts, %d unstable)" % (a["name"], a["restarts"], a["unstable_restarts"])
        for a in apps
        if a["restarts"] > restart_threshold or a["unstable_restarts"] > 0
    )
    if anomalies:
        checks.append(
            _check(
                "restart_counts",
                "warning",
                "%d app(s) restarted more than %d times or unstably: %s." % (len(anomalies), restart_threshold, _names(anomalies, separator="; ")),
                anomalies,
            )
        )
    else:
        checks.append(_check("restart_counts", "ok", "No app restarted more than %d times." % restart_threshold))
    return checks, apps


def _cron_checks(cron, jobs):
    cron = cron if isinstance(cron, dict) else {}
    path = cron.get("path") or "/etc/cron.d/twzrd-ops"
    if not cron.get("exists"):
        return [_check("cron", "critical", "The cron file %s is missing." % path)]
    lines = []
    for line in (cron.get("content") or "").splitlines():
        text = line.strip()
        # Job lines start with a schedule; comments and NAME=value lines do not.
        if not text or text.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", text):
            continue
        lines.append(text)
    missing = [job for job in jobs if not any(re.search(r"twzrd-ops\s+%s\b" % re.escape(job), line) for line in lines)]
    if missing:
        return [_check("cron", "warning", "%s lacks the job(s): %s." % (path, ", ".join(missing)), lines)]
    return [_check("cron", "ok", "%s holds %d job(s)." % (path, len(lines)), lines)]


def _report_checks(report_files, weeks, today):
    dates = set()
    for name in report_files or []:
        match = _REPORT_NAME.search(str(name))
        if match:
            try:
                dates.add(datetime.date.fromisoformat(match.group(1)))
            except ValueError:
                continue
    missing = []
    for week in range(weeks):
        end = today - datetime.timedelta(days=7 * week)
        start = end - datetime.timedelta(days=6)
        if not any(start <= d <= end for d in dates):
            missing.append("%s..%s" % (start.isoformat(), end.isoformat()))
    found = sorted(d.isoformat() for d in dates)
    if missing:
        return [
            _check(
                "weekly_reports",
                "warning",
                "No weekly report for %d of the past %d weeks: %s." % (len(missing), weeks, _names(missing)),
                found,
            )
        ]
    return [_check("weekly_reports", "ok", "A weekly report exists for each of the past %d weeks." % weeks, found)]


def _log_checks(logrotate, logs, size_limit_mb):
    checks = []
    logrotate = logrotate if isinstance(logrotate, dict) else {}
    path = logrotate.get("path") or "/etc/logrotate.d/twzrd-ops"
    rotated = sorted(str(f.get("path")) for f in logs or [] if re.search(r"\.(\d+|gz)$", str(f.get("path"))))
    if logrotate.get("exists"):
        checks.append(
            _check("logrotate", "ok", "%s is present; %d rotated log file(s) seen." % (path, len(rotated)), rotated)
        )
    else:
        checks.append(_check("logrotate", "critical", "%s is missing: the twzrd logs are not rotated." % path))
    limit = int(size_limit_mb) * 1024 * 1024
    big = sorted(
        ("%s (%.1f MiB)" % (f.get("path"), (f.get("size") or 0) / 1048576.0))
        for f in logs or []
        if (f.get("size") or 0) > limit
    )
    if big:
        checks.append(
            _check("log_sizes", "warning", "%d log file(s) above %d MiB: %s." % (len(big), size_limit_mb, _names(big)), big)
        )
    else:
        total = sum(int(f.get("size") or 0) for f in logs or [])
        checks.append(
            _check("log_sizes", "ok", "%d log file(s), %.1f MiB in all, none above %d MiB." % (len(logs or []), total / 1048576.0, size_limit_mb))
        )
    return checks


def judge(data, swappiness=10, restart_threshold=10, report_weeks=4, log_size_mb=100, cron_jobs=None, today=None):
    """Judge one host's audit data; returns {level, checks, apps}."""
    if not isinstance(data, dict):
        raise OpsError("The audit expects a mapping of audit data, got %s." % type(data).__name__)
    try:
        restart_threshold = int(restart_threshold)
        report_weeks = int(report_weeks)
        log_size_mb = int(log_size_mb)
        swappiness = int(swappiness)
    except (TypeError, ValueError):
        raise OpsError("The audit's swappiness, restart_threshold, report_weeks and log_size_mb must be whole numbers.")
    if report_weeks < 0 or restart_threshold < 0 or log_size_mb < 1:
        raise OpsError("The audit's report_weeks and restart_threshold must not be negative and log_size_mb must be at least 1.")
    if today is None:
        today = datetime.datetime.now(datetime.timezone.utc).date()
    elif not isinstance(today, datetime.date):
        try:
            today = datetime.date.fromisoformat(str(today))
        except ValueError:
            raise OpsError("The audit's today must be a date like 2026-11-30, got %r." % (today,))
    in_container = str(data.get("virtualization_type") or "") in CONTAINER_TYPES and data.get("virtualization_role") != "host"

    checks = _swappiness_checks(data, swappiness, in_container)
    pm2_checks, apps = _pm2_checks(data.get("pm2"), restart_threshold)
    checks.extend(pm2_checks)
    checks.extend(_cron_checks(data.get("cron"), list(CRON_JOBS if cron_jobs is None else cron_jobs)))
    checks.extend(_report_checks(data.get("reports"), report_weeks, today))
    checks.extend(_log_checks(data.get("logrotate"), data.get("logs"), log_size_mb))
    if "reboot" in data:
        checks.extend(_reboot_checks(data.get("reboot")))
    return {"level": worst(c["level"] for c in checks), "checks": checks, "apps": apps}


def _reboot_checks(reboot):
    """The pre-reboot checks of patch.yml, read-only (a pm2_reboot_ready result): would a
    reboot now bring the PM2 apps back?"""
    if not isinstance(reboot, dict):
        return []  # skipped: PM2 not installed, or twzrd_ops_pm2_startup false
    if reboot.get("error") or "ready" not in reboot:
        return [_check("reboot_ready", "warning", "The pre-reboot checks could not run: %s" % (reboot.get("error") or "no result"))]
    if reboot["ready"]:
        return [_check("reboot_ready", "ok", "A reboot now would bring back every PM2 app (start-up unit, saved process list, PM2 version).")]
    details = ["fix: %s" % ", ".join(reboot.get("repairs") or [])] if reboot.get("repairs") else ["no automatic fix: an operator must act"]
    return [_check("reboot_ready", "warning", reboot.get("message") or " ".join(reboot.get("problems") or []), details)]
