# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The alert engine's rules: what one run decides, without side effects.

* an alert FIRES once when its condition starts, REMINDS every repeat_hours while it
  lasts and is RESOLVED once when it clears; a rise from warning to critical fires again;
* swap and load alerts have hysteresis: once firing they clear only below swap_clear
  percent / load_clear_ratio x the load warning threshold;
* PM2 crashes are counted from PM2's daemon log since the previous run, so planned
  restarts (operator, restart playbook, Friday cron) never count.

State (alert_state.py) and delivery (alert_delivery.py) are elsewhere; alerts.py runs the
three. Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import os

from .common import OpsError, duration, iso_time, rank

# cron starts the hourly run a little late or early; a reminder due within this many
# seconds is sent now rather than one hour later.
REMINDER_GRACE = 300

_PM2_RULES = ("pm2_app_down", "pm2_missing", "pm2_crashes", "crash_loop")
# Every rule an alert can come from (checks.evaluate, system.breaches, this file); silences
# (silences.py) refuse any other name. checks_failed is the monitor itself failing (alerts.py).
CHECKS_FAILED = "checks_failed"
# (tests/unit/test_silences.py finds every rule name module_utils raises and holds this list to them.)
RULES = ("swap", "load", "disk", "health", "log_errors", "pm2_unavailable", "system_unavailable", "reboot_ready",
         "memory_leak_suspected", "disk_full_forecast") + _PM2_RULES + (CHECKS_FAILED,)


def _cfg(cfg, key, default):
    value = (cfg or {}).get(key)
    return default if value is None else value


def _swap_percent(snapshot):
    swap = ((snapshot or {}).get("system") or {}).get("swap") or {}
    value = swap.get("percent")
    return None if value is None else float(value)


def _load_metric(snapshot, cfg):
    """The load figure the load rule compares with its thresholds (see system.breaches)."""
    load = ((snapshot or {}).get("system") or {}).get("load") or {}
    if _cfg(cfg, "load_mode", "per_core") == "per_core":
        load = load.get("per_core") or {}
    value = load.get("load1")
    return None if value is None else float(value)


def crash_findings(snapshot, cfg, since, until):
    """pm2_crashes findings for crashes logged by PM2 between since and until (epochs),
    per app, from the daemon log in snapshot["pm2"]["pm2_home"]. Returns (findings, counts)."""
    status = (snapshot or {}).get("pm2") or {}
    home = status.get("pm2_home")
    if status.get("error") or not home:
        return [], {}
    from .pm2 import crash_events

    counts, last = {}, {}
    for event in crash_events(os.path.join(home, "pm2.log"), since, until=until):
        counts[event["name"]] = counts.get(event["name"], 0) + 1
        last[event["name"]] = event
    findings = []
    for name in sorted(counts):
        event = last[name]
        # PM2 7 logs "code [3] via signal [SIGINT]" for an app that exited by itself (SIGINT
        # is its own kill signal) and "code [0] via signal [SIGKILL]" for a killed one.
        code = event.get("code")
        if code in (0, None, "", "null") and event.get("signal") not in (None, "", "SIGINT"):
            how = "signal %s" % event["signal"]
        else:
            how = "exit code %s" % code
        findings.append(
            {
                "rule": "pm2_crashes",
                "key": "pm2_crashes:%s" % name,
                "level": "warning",
                "message": "PM2 app %s crashed %d time%s since the previous check (last: %s at %s)."
                % (name, counts[name], "" if counts[name] == 1 else "s", how, iso_time(event["time"])),
                "value": counts[name],
            }
        )
    return findings, counts


def _held(alert, key, snapshot, cfg, conf, findings_rules):
    """The finding that keeps a firing alert active although its rule no longer reports it
    (hysteresis, or missing data), or None when the alert is resolved."""
    rule = alert["rule"]
    if rule == "swap":
        percent = _swap_percent(snapshot)
        if percent is None:
            return dict(alert, key=key)
        clear = min(conf["swap_clear"], float(_cfg(cfg, "swap_warning", 20)))
        if percent >= clear:
            return {
                "rule": rule,
                "key": key,
                "level": "warning",
                "value": percent,
                "message": "Swap use is %.1f%%; the alert clears below %g%%." % (percent, clear),
            }
        return None
    if rule == "load":
        metric = _load_metric(snapshot, cfg)
        if metric is None:
            return dict(alert, key=key)
        clear = conf["load_clear_ratio"] * float(_cfg(cfg, "load_warning", 1.0))
        if metric >= clear:
            unit = " per core" if _cfg(cfg, "load_mode", "per_core") == "per_core" else ""
            return {
                "rule": rule,
                "key": key,
                "level": "warning",
                "value": metric,
                "message": "Load is %.2f%s; the alert clears below %.2f." % (metric, unit, clear),
            }
        return None
    if rule in _PM2_RULES and "pm2_unavailable" in findings_rules:
        # PM2 could not be asked: its apps' state is unknown, not fixed.
        return dict(alert, key=key)
    if rule in ("swap", "load", "disk") and "system_unavailable" in findings_rules:
        return dict(alert, key=key)
    if rule in ("memory_leak_suspected", "disk_full_forecast") and ((snapshot or {}).get("history") or {}).get("error"):
        # The history could not be read this run: its trends are unknown, not gone.
        return dict(alert, key=key)
    return None


def _transition(state, findings, snapshot, cfg, conf, now):
    """Pure: (new alerts dict, events) from the previous alerts and this run's findings."""
    from . import silences  # silences.py imports RULES from here

    previous = state["alerts"]
    quiet = state.get("silences") or []
    current = {}
    for finding in findings:
        key = finding["key"]
        if key not in current or rank(finding["level"]) > rank(current[key]["level"]):
            current[key] = finding
    rules = {f["rule"] for f in findings}
    for key, alert in previous.items():
        if key not in current:
            held = _held(alert, key, snapshot, cfg, conf, rules)
            if held is not None:
                current[key] = held

    repeat = conf["repeat_hours"] * 3600.0
    alerts, events = {}, []
    for key, finding in current.items():
        prev = previous.get(key)
        silence = silences.match(key, quiet, now)
        unsent = bool(prev and prev.get("unsent"))
        alert = {
            "rule": finding["rule"],
            "level": finding["level"],
            "message": finding["message"],
            "value": finding.get("value"),
            "since": now if prev is None else prev["since"],
            "notified": now if prev is None else prev["notified"],
        }
        if prev is None or rank(finding["level"]) > rank(prev["level"]) or (unsent and silence is None):
            # (unsent: its FIRING was silenced; the silence ended and it still fires: send it now)
            kind = "firing"
            alert["notified"] = now
            unsent = silence is not None
        elif repeat and now - prev["notified"] >= repeat - REMINDER_GRACE:
            kind = "reminder"
            if silence is None:  # a silenced reminder is logged; the next one is due when the silence ends
                alert["notified"] = now
        else:
            kind = None
        if unsent:
            alert["unsent"] = True
        alerts[key] = alert
        if kind:
            events.append(_silenced(_event(kind, key, alert, alert["message"]), silence))
    for key, prev in previous.items():
        if key not in current:
            message = "Resolved after %s; was: %s" % (duration(now - prev["since"]), prev["message"])
            event = _event("resolved", key, dict(prev, level="ok"), message)
            if prev.get("unsent"):
                # Nobody was told it fired (silenced): the resolution is logged, not sent. A
                # resolution of an alert that WAS sent goes out even during a silence.
                event.update(silenced=True, note=" [not sent: its FIRING was silenced]")
            events.append(event)
    order = {"resolved": 0, "firing": 1, "reminder": 2}
    events.sort(key=lambda e: (order[e["type"]], -rank(e["level"]), e["key"]))
    return alerts, events


def _silenced(event, silence):
    """Mark an event a silence covers: logged with the marker, not sent (alerts._queue)."""
    if silence is not None:
        from .silences import marker

        event.update(silenced=True, silence_id=silence["id"], note=marker(silence))
    return event


def _event(kind, key, alert, message):
    return {
        "type": kind,
        "key": key,
        "rule": alert["rule"],
        "level": alert["level"],
        "message": message,
        "since": iso_time(alert["since"]),
    }


def active_list(alerts):
    active = [
        {
            "key": key,
            "rule": a["rule"],
            "level": a["level"],
            "message": a["message"],
            "value": a.get("value"),
            "since": iso_time(a["since"]),
        }
        for key, a in alerts.items()
    ]
    active.sort(key=lambda a: (-rank(a["level"]), a["key"]))
    return active


def run_rules(state, snapshot, findings, cfg, conf, now):
    """Everything a run decides, without side effects:
    (alerts, events, crash counts, crash_until, problems)."""
    problems = []
    # Crashes are counted in [since, boundary): the boundary is the start of the current
    # second (PM2 may still log within it) and becomes the next run's since, so each crash
    # line is counted exactly once. The first run looks back crash_window seconds only.
    boundary = float(int(now))
    previous = state.get("crash_until")
    since = previous if previous is not None else boundary - float(_cfg(cfg, "crash_window", 300))
    crashes, counts, crash_until = [], {}, previous
    if boundary > since:
        try:
            crashes, counts = crash_findings(snapshot, cfg, since, boundary - 1e-6)
            crash_until = boundary
        except OpsError as exc:
            problems.append(str(exc))  # counted on a later run, when the log is readable
    looping = {f["key"].split(":", 1)[1] for f in findings if f["rule"] == "crash_loop"}
    # evaluate() reports crashes within crash_window; the hourly rule is "since the previous
    # run", so its findings replace those (a crash loop already says more than a count).
    merged = [f for f in findings if f["rule"] != "pm2_crashes"]
    merged.extend(f for f in crashes if f["key"].split(":", 1)[1] not in looping)
    alerts, events = _transition(state, merged, snapshot, cfg, conf, now)
    return alerts, events, counts, crash_until, problems
