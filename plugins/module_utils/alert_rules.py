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
  restarts (operator, restart playbook, Friday cron) never count; the log is read once by
  the run (snapshot["pm2"]["events"], pm2.pm2_status events_since), never here;
* a crash loop of an app inhibits that app's pm2_app_down and pm2_crashes alerts while it
  fires (rule_names.INHIBITED_BY_CRASH_LOOP): one problem, one alert, no flapping.

Everything here is a pure function of (previous state, snapshot, findings, settings, now):
no I/O, no clock read, no mutation of its inputs. State (alert_state.py) and delivery
(alert_delivery.py) are elsewhere; alerts.py runs the three.
"""

from __future__ import annotations

from .common import duration, iso_time, rank
from .rule_names import CHECKS_FAILED, INHIBITED_BY_CRASH_LOOP, PM2_RULES, RULES, split_key
from .silences import marker, match

# cron starts the hourly run a little late or early; a reminder due within this many
# seconds is sent now rather than one hour later.
REMINDER_GRACE = 300

__all__ = ["CHECKS_FAILED", "RULES", "REMINDER_GRACE", "crash_findings", "step", "run_rules", "active_list"]


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
    """pm2_crashes findings for the crashes PM2 logged between since and until (epochs), per
    app, from the events the run read once (snapshot["pm2"]["events"]). Returns
    (findings, counts), or None when the run has no events (PM2 unreadable, or pm2.log not
    read): the crashes are then counted by a later run."""
    status = (snapshot or {}).get("pm2") or {}
    events = status.get("events")
    if status.get("error") or events is None:
        return None
    counts, last = {}, {}
    for event in events:
        if since <= event["time"] <= until:
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
    if rule in PM2_RULES and "pm2_unavailable" in findings_rules:
        # PM2 could not be asked: its apps' state is unknown, not fixed.
        return dict(alert, key=key)
    if rule in ("swap", "load", "disk") and "system_unavailable" in findings_rules:
        return dict(alert, key=key)
    if rule in ("memory_leak_suspected", "disk_full_forecast") and ((snapshot or {}).get("history") or {}).get("error"):
        # The history could not be read this run: its trends are unknown, not gone.
        return dict(alert, key=key)
    return None


def step(finding, prev, silence, repeat, now):
    """One alert's next state: (alert, event kind or None). THE state machine of every alert,
    checks_failed included: FIRING when it starts or rises in level (or when its FIRING was
    silenced and the silence ended), REMINDER every repeat seconds (a silenced reminder is
    logged and the next one falls due when the silence ends), else nothing."""
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
        kind = "firing"
        alert["notified"] = now
        unsent = silence is not None
    elif repeat and now - prev["notified"] >= repeat - REMINDER_GRACE:
        kind = "reminder"
        if silence is None:
            alert["notified"] = now
    else:
        kind = None
    if unsent:
        alert["unsent"] = True
    return alert, kind


def _strongest(findings):
    current = {}
    for finding in findings:
        key = finding["key"]
        if key not in current or rank(finding["level"]) > rank(current[key]["level"]):
            current[key] = finding
    return current


def inhibited(firing, keys):
    """The keys held back by a crash loop (among the firing keys) of the same app: {key: crash_loop key}."""
    looping = {split_key(key)[1] for key in firing if split_key(key)[0] == "crash_loop"}
    held = {}
    for key in keys:
        rule, subject = split_key(key)
        if rule in INHIBITED_BY_CRASH_LOOP and subject in looping:
            held[key] = "crash_loop:%s" % subject
    return held


def _transition(state, findings, snapshot, cfg, conf, now):
    """Pure: (new alerts dict, events) from the previous alerts and this run's findings."""
    previous = state["alerts"]
    quiet = state.get("silences") or []
    current = _strongest(findings)
    rules = {f["rule"] for f in findings}
    for key, alert in previous.items():
        if key not in current:
            held = _held(alert, key, snapshot, cfg, conf, rules)
            if held is not None:
                current[key] = held
    # A crash loop inhibits its app's other alerts: an inhibited alert keeps its previous
    # state untouched (no event either way) and a new one is not raised.
    blocked = inhibited(set(current), set(current) | set(previous))
    alerts, events = {}, []
    for key in blocked:
        current.pop(key, None)
        if key in previous:
            alerts[key] = dict(previous[key], inhibited_by=blocked[key])
    repeat = conf["repeat_hours"] * 3600.0
    for key, finding in current.items():
        silence = match(key, quiet, now)
        alert, kind = step(finding, previous.get(key), silence, repeat, now)
        alerts[key] = alert
        if kind:
            events.append(_silenced(_event(kind, key, alert, alert["message"]), silence))
    for key, prev in previous.items():
        if key not in alerts:
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


def failure_transition(state, message, conf, now):
    """Pure: a run that could not check the host. checks_failed goes through step() like any
    alert (only a silence naming checks_failed covers it, never "all"); every other alert is
    kept as it was (its state is unknown, not fixed). Returns (alerts, events)."""
    alerts = dict(state["alerts"])
    silence = match(CHECKS_FAILED, state.get("silences") or [], now)
    finding = {"rule": CHECKS_FAILED, "key": CHECKS_FAILED, "level": "critical", "message": message, "value": None}
    alert, kind = step(finding, alerts.get(CHECKS_FAILED), silence, conf["repeat_hours"] * 3600.0, now)
    alerts[CHECKS_FAILED] = alert
    events = [] if kind is None else [_silenced(_event(kind, CHECKS_FAILED, alert, message), silence)]
    return alerts, events


def _silenced(event, silence):
    """Mark an event a silence covers: logged with the marker, not sent (alerts._queue)."""
    if silence is not None:
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
        found = crash_findings(snapshot, cfg, since, boundary - 1e-6)
        if found is not None:
            crashes, counts = found
            crash_until = boundary
    looping = {f["key"].split(":", 1)[1] for f in findings if f["rule"] == "crash_loop"}
    # evaluate() reports crashes within crash_window; the hourly rule is "since the previous
    # run", so its findings replace those (a crash loop already says more than a count).
    merged = [f for f in findings if f["rule"] != "pm2_crashes"]
    merged.extend(f for f in crashes if f["key"].split(":", 1)[1] not in looping)
    alerts, events = _transition(state, merged, snapshot, cfg, conf, now)
    return alerts, events, counts, crash_until, problems
