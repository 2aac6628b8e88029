# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One implementation of the runbook's checks.

collect() takes a snapshot of a host (PM2, memory/swap/load, disk, health endpoint and,
for the weekly report, the error-log scan); evaluate() turns a snapshot into findings
with the configured thresholds; verdict() folds findings into ok / warning / critical.

The on-host command (cron), the modules' playbooks (through filters) and the alert
engine all call these functions, so a threshold means the same thing everywhere.
See docs/DESIGN.md for the shapes.
"""

from __future__ import annotations

import re
import socket

from . import logscan, pm2, probe, reboot_ready, system
from .common import OpsError, iso_time, now_epoch, number, refuse_unknown, subprocess_runner, worst
from .common import exit_code as common_exit_code
from .system import DISK_DEFAULTS, SWAP_DEFAULTS, breaches, disk_breaches, validate_thresholds

DEFAULTS = {
    "pm2_user": "",
    "pm2_home": "",
    "pm2_path": "",
    "expected_apps": [],
    "crash_window": 300,
    "crash_threshold": 5,
    "health_url": "http://localhost:8080/health",
    "health_timeout": 5,
    "health_retries": 0,
    "health_delay": 2,
    "health_expect_json": True,
    "health_expect_keys": {},
    # The thresholds' defaults are system.py's, where the threshold rules live.
    "swap_warning": SWAP_DEFAULTS[0],
    "swap_critical": SWAP_DEFAULTS[1],
    "load_mode": "per_core",
    # None: 1.0 / 1.5 per core, or the runbook's 8 / 12 when load_mode is absolute.
    "load_warning": None,
    "load_critical": None,
    "disk_paths": ["/", "/var/log"],
    "disk_warning": DISK_DEFAULTS[0],
    "disk_critical": DISK_DEFAULTS[1],
    "log_paths": [],
    "log_patterns": [],
    "log_window_days": 7,
    "log_errors_warning": 100,
    # The weekly report's "a reboot now would not bring back" warning (reboot_ready.py).
    # None: judged when PM2 is started on boot by the role (twzrd_ops_pm2_startup), see
    # settings.derived_checks; false: never (a host whose PM2 is not meant to start on boot).
    "reboot_check": None,
}

KINDS = ("health", "alerts", "status")


def _list_of_str(cfg, key):
    value = cfg[key]
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise OpsError("Setting %s must be a list of strings, got %r." % (key, value))
    return list(value)


def normalize_config(cfg=None):
    """Merge cfg over DEFAULTS and validate it; returns a new dict.

    Unknown keys are refused so that a typo in an inventory or config file does not
    silently fall back to a default. Bad values raise OpsError with one sentence.
    """
    cfg = dict(cfg or {})
    refuse_unknown(cfg, DEFAULTS, "check setting%s")
    merged = dict(DEFAULTS)
    merged.update({k: v for k, v in cfg.items() if v is not None})
    absolute = merged["load_mode"] == "absolute"
    if merged["load_warning"] is None:
        merged["load_warning"] = 8.0 if absolute else 1.0
    if merged["load_critical"] is None:
        merged["load_critical"] = 12.0 if absolute else 1.5

    for key in ("pm2_user", "pm2_home", "pm2_path", "health_url"):
        if not isinstance(merged[key], str):
            raise OpsError("Setting %s must be a string, got %r." % (key, merged[key]))
    if merged["health_url"] and not re.match(r"^https?://[^/\s]+", merged["health_url"]):
        raise OpsError("Setting health_url must be empty or an http(s) URL, got %r." % (merged["health_url"],))
    for key in ("expected_apps", "disk_paths", "log_paths", "log_patterns"):
        merged[key] = _list_of_str(merged, key)
    merged["crash_window"] = number("crash_window", merged["crash_window"], minimum=1)
    merged["crash_threshold"] = number("crash_threshold", merged["crash_threshold"], minimum=0)
    merged["health_timeout"] = number("health_timeout", merged["health_timeout"], minimum=0.1)
    merged["health_retries"] = int(number("health_retries", merged["health_retries"], minimum=0, maximum=100))
    merged["health_delay"] = number("health_delay", merged["health_delay"], minimum=0)
    merged["log_window_days"] = number("log_window_days", merged["log_window_days"], minimum=0)
    merged["log_errors_warning"] = int(number("log_errors_warning", merged["log_errors_warning"], minimum=0))
    merged["disk_warning"] = number("disk_warning", merged["disk_warning"], minimum=0, maximum=100)
    merged["disk_critical"] = number("disk_critical", merged["disk_critical"], minimum=0, maximum=100)
    if merged["disk_warning"] > merged["disk_critical"]:
        raise OpsError(
            "disk_warning (%s) must not be above disk_critical (%s)." % (merged["disk_warning"], merged["disk_critical"])
        )
    if not isinstance(merged["health_expect_keys"], dict):
        raise OpsError("Setting health_expect_keys must be a mapping, got %r." % (merged["health_expect_keys"],))
    if merged["reboot_check"] is None:
        merged["reboot_check"] = True
    if not isinstance(merged["reboot_check"], bool):
        raise OpsError("Setting reboot_check must be true or false, got %r." % (merged["reboot_check"],))
    if not isinstance(merged["health_expect_json"], bool):
        raise OpsError("Setting health_expect_json must be true or false, got %r." % (merged["health_expect_json"],))

    validate_thresholds(
        merged["swap_warning"], merged["swap_critical"], merged["load_mode"], merged["load_warning"], merged["load_critical"]
    )
    for key in ("swap_warning", "swap_critical", "load_warning", "load_critical"):
        merged[key] = float(merged[key])
    return merged


def _finding(rule, level, message, key=None, value=None):
    return {"rule": rule, "key": key or rule, "level": level, "message": message, "value": value}


def collect(cfg, runner=None, kind="health", now=None, events_since=None):
    """Take a snapshot of this host: the read half of every run (all its I/O).

    PM2's daemon log is read once, from events_since (the alert engine's previous boundary)
    or the crash window, whichever is earlier: snapshot["pm2"]["events"] holds the crash
    events every rule of the run counts from. Every kind judges a crash loop the same way.

    A part that cannot be read (PM2 missing, daemon down, psutil missing) is recorded as
    {"error": sentence} in its place; evaluate() turns that into a finding, so one broken
    part never hides the others.
    """
    if kind not in KINDS:
        raise OpsError("Unknown check kind %r (expected one of %s)." % (kind, ", ".join(KINDS)))
    cfg = normalize_config(cfg)
    now = now_epoch(now)
    if runner is None:
        runner = subprocess_runner(timeout=60)

    snapshot = {
        "host": socket.gethostname(),
        "kind": kind,
        "epoch": now,
        "timestamp": iso_time(now),
    }

    # The top-process lists need a CPU sample over a short window: open it now, so that
    # reading PM2 (a Node.js start) runs inside the window instead of a sleep after it.
    sample = None
    if kind == "health":
        try:
            sample = system.start_cpu_sample()
        except OpsError:
            sample = None  # psutil missing: system.collect below says so in its part
    try:
        snapshot["pm2"] = pm2.pm2_status(
            runner,
            pm2_path=cfg["pm2_path"] or None,
            pm2_home=cfg["pm2_home"] or None,
            user=cfg["pm2_user"] or None,
            expected=cfg["expected_apps"],
            # Every view judges a crash loop (the log is bisected: a few KiB per look).
            crash_window=cfg["crash_window"],
            crash_threshold=cfg["crash_threshold"],
            now=now,
            # The weekly report also counts the crashes of its whole window: same read of pm2.log.
            report_window=int(cfg["log_window_days"] * 86400) if kind == "health" else 0,
            events_since=events_since,
        )
        window = snapshot["pm2"].pop("report_window", None)
        if window is not None:
            snapshot["crashes_report_window"] = window
    except OpsError as exc:
        snapshot["pm2"] = {"error": str(exc)}

    # Would a reboot bring the apps back (issue 12)? Weekly report only; file checks, no process.
    snapshot["reboot"] = _reboot_readiness(cfg, snapshot["pm2"]) if kind == "health" and cfg["reboot_check"] else None

    try:
        snapshot["system"] = system.collect(top=10 if kind == "health" else 0, sample=sample)
    except OpsError as exc:
        snapshot["system"] = {"error": str(exc)}
    try:
        snapshot["disk"] = system.disk(cfg["disk_paths"])
    except OpsError as exc:
        snapshot["disk"] = {"error": str(exc)}

    snapshot["health"] = None
    if cfg["health_url"]:
        try:
            snapshot["health"] = probe.probe(
                cfg["health_url"],
                timeout=cfg["health_timeout"],
                expect_json=cfg["health_expect_json"],
                expect_keys=cfg["health_expect_keys"] or None,
                retries=cfg["health_retries"],
                delay=cfg["health_delay"],
            )
        except OpsError as exc:
            # A probe that cannot even start (an unusable URL) is a failed health check, not a
            # failed run: the other checks still report.
            snapshot["health"] = {"healthy": False, "url": None, "status": None, "reason": "invalid",
                                  "message": "The health endpoint cannot be probed: %s" % exc}

    snapshot["logs"] = None
    if kind == "health":
        paths = cfg["log_paths"]
        if not paths:
            home = (snapshot["pm2"] or {}).get("pm2_home") or cfg["pm2_home"] or pm2.default_pm2_home(cfg["pm2_user"] or None)
            paths = logscan.pm2_error_logs(home)
        try:
            snapshot["logs"] = logscan.scan(
                paths,
                patterns=cfg["log_patterns"] or None,
                window_seconds=cfg["log_window_days"] * 86400,
                now=now,
            )
        except OpsError as exc:
            snapshot["logs"] = {"error": str(exc)}
    return snapshot


def _reboot_readiness(cfg, status, unit_dir=None, booted=None):
    """reboot_ready.check() for the weekly report: file checks only (no node is run) on a host
    booted with systemd whose PM2 could be read and has apps to bring back; else None."""
    if booted is None:
        booted = reboot_ready.systemd_booted()
    if not booted or not status or status.get("error") or not status.get("installed"):
        return None
    online = sorted(set(p["name"] for p in status.get("processes") or [] if p.get("status") == "online"))
    if not online and not cfg["expected_apps"]:
        return None
    try:
        result = reboot_ready.check(cfg["pm2_user"] or pm2._current_user(), status.get("pm2_home") or None,
                                    cfg["expected_apps"], online, status.get("warnings"),
                                    unit_dir=unit_dir or reboot_ready.UNIT_DIR)
    except OpsError as exc:
        return {"ready": False, "problems": [str(exc)], "message": "A reboot now may not bring back the PM2 apps: %s" % exc}
    result["message"] = reboot_ready.warning_message(result, cfg["expected_apps"], online)
    return result


def _reboot_findings(reboot):
    if not reboot or reboot.get("ready", True):
        return []
    return [_finding("reboot_ready", "warning", reboot.get("message") or " ".join(reboot.get("problems") or []))]


def _pm2_findings(status, cfg):
    if status is None:
        return []
    if status.get("error"):
        level = "critical" if cfg["expected_apps"] else "warning"
        return [_finding("pm2_unavailable", level, status["error"])]
    if not status.get("installed", True):
        if cfg["expected_apps"]:
            return [_finding("pm2_unavailable", "critical", "PM2 is not installed but apps are expected.")]
        return []
    findings = []
    summary = status.get("summary") or {}
    for name in summary.get("missing") or []:
        findings.append(
            _finding("pm2_missing", "critical", "Expected app %s is not known to PM2." % name, key="pm2_missing:%s" % name)
        )
    expected = set(cfg["expected_apps"])
    by_name = {}
    for proc in status.get("processes") or []:
        by_name.setdefault(proc["name"], []).append(proc)
    for name in summary.get("not_online") or []:
        states = sorted({p.get("status") or "unknown" for p in by_name.get(name, [])})
        # An expected app that is down, or any app PM2 gave up on, is an outage; an app
        # nobody listed as expected and that was stopped may be stopped on purpose.
        level = "critical" if (name in expected or "errored" in states) else "warning"
        findings.append(
            _finding(
                "pm2_app_down",
                level,
                "PM2 app %s is %s, not online." % (name, "/".join(states) or "not online"),
                key="pm2_app_down:%s" % name,
            )
        )
    crashes = summary.get("crashes") or {}
    loop_apps = set(summary.get("crash_loop_apps") or [])
    window_min = cfg["crash_window"] / 60.0
    for name in sorted(crashes):
        count = crashes[name]
        if not count:
            continue
        if name in loop_apps:
            findings.append(
                _finding(
                    "crash_loop",
                    "critical",
                    "PM2 app %s crashed %d times in the last %g minutes (crash loop above %d)."
                    % (name, count, window_min, cfg["crash_threshold"]),
                    key="crash_loop:%s" % name,
                    value=count,
                )
            )
        else:
            findings.append(
                _finding(
                    "pm2_crashes",
                    "warning",
                    "PM2 app %s crashed %d time%s in the last %g minutes." % (name, count, "" if count == 1 else "s", window_min),
                    key="pm2_crashes:%s" % name,
                    value=count,
                )
            )
    return findings


def _health_findings(health):
    if not health or health.get("healthy"):
        return []
    reason = health.get("reason") or "unhealthy"
    message = health.get("message") or "Health endpoint %s is unhealthy (%s)." % (health.get("url"), reason)
    return [_finding("health", "critical", message, value=health.get("status"))]


def _log_findings(logs, cfg):
    if not logs:
        return []
    if logs.get("error"):
        return [_finding("log_errors", "warning", "Error-log scan failed: %s" % logs["error"])]
    total = logs.get("total") or 0
    limit = cfg["log_errors_warning"]
    if limit and total >= limit:
        return [
            _finding(
                "log_errors",
                "warning",
                "%d error lines in the last %g days of logs (warning at %d)." % (total, cfg["log_window_days"], limit),
                value=total,
            )
        ]
    return []


def _system_findings(system_snapshot, disks, cfg):
    findings = []
    if system_snapshot is not None:
        if system_snapshot.get("error"):
            findings.append(_finding("system_unavailable", "warning", system_snapshot["error"]))
        else:
            findings.extend(breaches(system_snapshot, cfg))
    if disks is not None:
        if isinstance(disks, dict) and disks.get("error"):
            findings.append(_finding("disk", "warning", disks["error"]))
        else:
            findings.extend(disk_breaches(disks, cfg["disk_warning"], cfg["disk_critical"]))
    return findings


def evaluate(snapshot, cfg=None):
    """Findings for a snapshot, most severe first (stable order within a level)."""
    cfg = normalize_config(cfg)
    findings = []
    findings.extend(_system_findings(snapshot.get("system"), snapshot.get("disk"), cfg))
    findings.extend(_pm2_findings(snapshot.get("pm2"), cfg))
    findings.extend(_health_findings(snapshot.get("health")))
    findings.extend(_reboot_findings(snapshot.get("reboot")))
    findings.extend(_log_findings(snapshot.get("logs"), cfg))
    order = {"critical": 0, "warning": 1}
    return sorted(findings, key=lambda f: order.get(f["level"], 2))


def verdict(findings):
    """ok, warning or critical: the most severe level among the findings."""
    return worst(f["level"] for f in findings or [])


def exit_code(level):
    """Nagios-style exit code for a verdict (common.EXIT_CODES)."""
    return common_exit_code(level)
