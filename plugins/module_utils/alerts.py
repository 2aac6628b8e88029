# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hourly alert engine: its settings and one run, start to end.

process() takes the findings of checks.evaluate() for one run and turns them into
events an on-call engineer can trust. The work is split by concern:

  alert_rules.py     fire / remind / resolve, hysteresis, crashes since the previous run
  alert_state.py     the JSON state file, its lock, a corrupt state moved aside
  alert_delivery.py  log lines, the Slack-compatible webhook, the Prometheus textfile

This file holds the settings (DEFAULTS, validate) and the orchestration (preview, process,
record_failure); it is the entry point the CLI and the alert_check module import.
Like every module_utils file this imports nothing from ansible (see docs/DESIGN.md).
"""

from __future__ import annotations

import socket

from .alert_delivery import (
    EVENT_WORD,
    append_log,
    key_text,
    ping,
    log_line,
    one_line,
    read_webhook_url,
    render_textfile,
    write_textfile,
)
from .alert_delivery import deliver_webhook as _deliver_webhook
from .alert_rules import CHECKS_FAILED as _CHECKS_FAILED
from .alert_rules import REMINDER_GRACE, active_list, crash_findings, run_rules
from . import silences as _silences
from .alert_state import StateLock, empty_state, read_state, write_state, STATE_VERSION
from .common import OpsError, exit_code, now_epoch, number, refuse_unknown, worst

__all__ = [
    "DEFAULTS", "validate", "preview", "process", "record_failure", "read_state", "render_textfile",
    "deliver_webhook", "crash_findings",
]

DEFAULTS = {
    "state_file": "/var/lib/twzrd-ops/alerts-state.json",
    "log_file": "/var/log/twzrd-daily-alerts.log",
    "repeat_hours": 4,
    "swap_clear": 15,
    "load_clear_ratio": 0.9,
    "webhook_url_file": "",
    "webhook_timeout": 5,
    "webhook_retries": 2,
    "textfile_path": "",
    "heartbeat_url_file": "",
    "silence_max_hours": 24,
}

# Undelivered webhook messages kept for the next run; older ones are dropped (and counted).
OUTBOX_LIMIT = 100
# Seconds between webhook attempts within one run (tests set it to 0).
RETRY_DELAY = 1.0
# The alert that says the monitor itself is broken (a run that ended UNKNOWN); alert_rules.CHECKS_FAILED.
CHECKS_FAILED = _CHECKS_FAILED


# --------------------------------------------------------------------------- settings


# Settings whose value may be a secret by mistake (the webhook URL pasted instead of the
# path of the file holding it): never shown in a message.
_SECRET_SETTINGS = ("webhook_url_file", "heartbeat_url_file")


def _absolute_path(conf, key, allow_empty):
    value = conf[key]
    if value is None:
        value = ""
    shown = "a value that is not shown (it may be the secret itself)" if key in _SECRET_SETTINGS else repr(value)
    if not isinstance(value, str):
        raise OpsError("Alert setting %s must be a file path, got %s." % (key, shown))
    if value == "" and allow_empty:
        return value
    if not value.startswith("/"):
        raise OpsError("Alert setting %s must be an absolute path, got %s." % (key, shown))
    return value


# (setting, minimum, maximum); webhook_retries is a whole number. repeat_hours 0 = no reminders.
_RANGES = (
    ("repeat_hours", 0, 24 * 365),
    ("swap_clear", 0, 100),
    ("load_clear_ratio", 0, 1),
    ("webhook_timeout", 0.1, 300),
    ("webhook_retries", 0, 10),
    ("silence_max_hours", 0.1, 24 * 30),
)


def validate(alerts_cfg=None):
    """Merge alerts_cfg over DEFAULTS and check it; returns a new dict or raises OpsError."""
    if alerts_cfg is None:
        alerts_cfg = {}
    if not isinstance(alerts_cfg, dict):
        raise OpsError("The alerts settings must be a mapping, got %r." % (alerts_cfg,))
    refuse_unknown(alerts_cfg, DEFAULTS, "alert setting%s")
    conf = dict(DEFAULTS)
    conf.update({k: v for k, v in alerts_cfg.items() if v is not None})
    conf["state_file"] = _absolute_path(conf, "state_file", allow_empty=False)
    conf["log_file"] = _absolute_path(conf, "log_file", allow_empty=True)
    conf["webhook_url_file"] = _absolute_path(conf, "webhook_url_file", allow_empty=True)
    conf["textfile_path"] = _absolute_path(conf, "textfile_path", allow_empty=True)
    conf["heartbeat_url_file"] = _absolute_path(conf, "heartbeat_url_file", allow_empty=True)
    if conf["textfile_path"] and not conf["textfile_path"].endswith(".prom"):
        raise OpsError(
            "Alert setting textfile_path must end in .prom (node_exporter reads only *.prom files), got %r."
            % conf["textfile_path"]
        )
    for key, minimum, maximum in _RANGES:
        conf[key] = number(key, conf[key], minimum, maximum, integer=key == "webhook_retries", what="Alert setting")
    return conf


_FILE_SETTINGS = ("state_file", "log_file", "textfile_path", "webhook_url_file", "heartbeat_url_file")


def refuse_unusable_paths(conf):
    """On the host: a file setting that names a directory or anything else that is not a
    regular file (a FIFO would hang the run, a device never end), or whose nearest existing
    parent is a file, is refused with one sentence naming the setting (the run ends UNKNOWN)."""
    import os

    for key in _FILE_SETTINGS:
        path = conf.get(key)
        if not path:
            continue
        if os.path.isdir(path):
            raise OpsError("Alert setting %s names a directory (%s); it must name a file." % (key, path))
        if os.path.exists(path) and not os.path.isfile(path):
            raise OpsError("Alert setting %s names something that is not a regular file (%s); it must name a file." % (key, path))
        parent = os.path.dirname(path)
        while parent and parent != "/" and not os.path.lexists(parent):
            parent = os.path.dirname(parent)
        if parent and not os.path.isdir(parent):
            raise OpsError("Alert setting %s: %s is a file, not a directory, so %s cannot be created." % (key, parent, path))


def deliver_webhook(url, texts, timeout, retries):
    """Post the texts as one Slack-compatible message; returns None or "HTTP 500"-like reason."""
    return _deliver_webhook(url, texts, timeout, retries, retry_delay=RETRY_DELAY)


def heartbeat(alerts_cfg, what):
    """Ping the dead-man's switch (healthchecks.io style) named by heartbeat_url_file.

    what is "start" (URL/start) or the run's exit code: a run that checked the host (0, 1
    or 2, whatever it found) pings URL, one that could not (3) pings URL/3, which such
    services count as a failure. An outside service then notices a job that does not run
    at all. Returns None, or a sentence that never shows the URL; never raises.
    """
    try:
        conf = validate(alerts_cfg)
        if not conf["heartbeat_url_file"]:
            return None
        url, _warning = read_webhook_url(conf["heartbeat_url_file"], what="heartbeat")
    except OpsError as exc:
        return "heartbeat ping not sent: %s" % exc
    if what == "start":
        suffix = "/start"
    else:
        suffix = "" if what in (0, 1, 2) else "/%d" % what
    reason = ping(url.rstrip("/") + suffix, conf["webhook_timeout"])
    return None if reason is None else "heartbeat ping failed (%s)." % reason


# --------------------------------------------------------------------------- the run


def preview(alerts_cfg, snapshot, findings, cfg, now=None):
    """What process() would decide, read-only: no state change, no delivery.

    For playbooks/alerts.yml: {"active": [...], "events": [...], "warnings": [...]}.
    """
    conf = validate(alerts_cfg)
    now = now_epoch(now)
    try:
        state, warning = read_state(conf["state_file"], now, move_aside=False)
    except OpsError as exc:
        state, warning = empty_state(), str(exc)
    alerts, events, _counts, _until, problems = run_rules(state, snapshot, findings, cfg, conf, now)
    return {"active": active_list(alerts), "events": events, "warnings": ([warning] if warning else []) + problems}


def _crash_totals(previous, counts, snapshot):
    """The crash counters after this run: one per app PM2 knows (from 0), apps PM2 no
    longer knows are dropped (Prometheus treats a returning series as a counter reset)."""
    status = (snapshot or {}).get("pm2") or {}
    if status.get("error") or status.get("processes") is None:
        totals = dict(previous)
    else:
        totals = {p["name"]: previous.get(p["name"], 0) for p in status["processes"]}
    for name, count in counts.items():
        totals[name] = totals.get(name, 0) + count
    return totals


def process(alerts_cfg, snapshot, findings, cfg, now=None, warnings=None):
    """Run the alert state machine once and deliver its events.

    Returns {"exit_code": 0|1|2, "events": [...], "lines": [...], "errors": [...],
    "active": [...]}: lines are what was appended to the log file (print them), errors are
    delivery problems (one sentence each, never the webhook URL). exit_code follows the
    active alerts: 2 when any is critical, 1 when any is a warning, else 0. warnings are
    sentences of the run's other steps (the history) logged as WARNING lines.
    """
    conf = validate(alerts_cfg)
    refuse_unusable_paths(conf)
    now = now_epoch(now)
    host = (snapshot or {}).get("host") or socket.gethostname()
    lines, errors = [], []

    def problem(sentence):
        errors.append(sentence)
        lines.append(log_line(now, "ERROR", "warning", "twzrd-ops", sentence))

    with StateLock(conf["state_file"]):
        state, warning = read_state(conf["state_file"], now)
        if warning:
            lines.append(log_line(now, "WARNING", "warning", "twzrd-ops", warning))
        for sentence in warnings or ():
            lines.append(log_line(now, "WARNING", "warning", "twzrd-ops", sentence))
        alerts, events, counts, crash_until, problems = run_rules(state, snapshot, findings, cfg, conf, now)
        for sentence in problems:
            problem(sentence)
        crash_totals = _crash_totals(state["crash_counts"], counts, snapshot)

        for silence in _silences.expired(state["silences"], now):
            lines.append(log_line(now, "SILENCE", "ok", silence["target"], "%s expired (%s)" % (silence["id"], silence["reason"])))
        quiet = _silences.active(state["silences"], now)
        for event in events:
            lines.append(log_line(now, EVENT_WORD[event["type"]], event["level"], event["key"],
                                  event["message"] + event.get("note", "")))

        outbox = _queue(conf, state["outbox"], host, events)
        new_state = {
            "silences": quiet,
            "version": STATE_VERSION,
            "last_run": now,
            "crash_until": crash_until,
            "alerts": alerts,
            "crash_counts": crash_totals,
            "outbox": outbox,
        }
        level = worst(a["level"] for a in alerts.values())
        active = active_list(alerts)
        summary = _summary(active)
        unsaved = _save_then_send(conf, new_state, now, lines, problem)
        if unsaved:
            # Nothing was delivered: the state cannot say it was, and the next run would send
            # the same alerts again. The run is UNKNOWN; its events are not logged as sent.
            lines[:] = [line for line in lines if " %s " % _event_word(line) not in _EVENT_WORDS]
            problem(unsaved)
            level = "unknown"
            summary = "the checks failed: %s; %s" % (unsaved, summary)
        lines.append(log_line(now, "RUN", level, "run", summary))
        if conf["textfile_path"]:
            try:
                write_textfile(conf["textfile_path"], render_textfile(
                    snapshot, alerts, crash_totals, now, not errors, len(new_state["outbox"]),
                    reason=errors[0] if errors else None,
                    silenced={k for k in alerts if _silences.match(k, quiet, now)}))
            except OpsError as exc:
                problem(str(exc))
        _append(conf, lines, errors)

    return {
        "exit_code": exit_code(level),
        "events": events,
        "lines": lines,
        "errors": errors,
        "active": active,
    }


_EVENT_WORDS = frozenset(" %s " % word for word in EVENT_WORD.values())


def _event_word(line):
    parts = line.split(" ", 2)
    return parts[1] if len(parts) > 2 else ""


def _summary(active):
    if not active:
        return "no active alerts"
    return "%d active alert%s: %s" % (
        len(active), "" if len(active) == 1 else "s", ", ".join("%s (%s)" % (a["key"], a["level"]) for a in active))


def _queue(conf, outbox, host, events):
    """The webhook outbox after this run's events (the newest OUTBOX_LIMIT messages)."""
    if not conf["webhook_url_file"]:
        return []
    outbox = list(outbox) + [
        "%s %s %s %s: %s" % (host, EVENT_WORD[e["type"]], e["level"], key_text(e["key"]), one_line(e["message"]))
        for e in events if not e.get("silenced")  # logged with their marker, never sent
    ]
    if len(outbox) > OUTBOX_LIMIT:
        dropped = len(outbox) - OUTBOX_LIMIT + 1
        outbox = ["%s: %d older undelivered alert messages were dropped." % (host, dropped)] + outbox[dropped:]
    return outbox


def _save_then_send(conf, new_state, now, lines, problem):
    """Deliver after saving: the state is first saved as if the outbox went out, THEN the
    outbox is sent; an undelivered outbox is saved back for the next run. So a state that
    cannot be saved never sends (and so never re-sends every hour) the same alert.

    Returns None, or the sentence saying the state could not be saved (nothing was sent).
    new_state["outbox"] is left holding what is still undelivered.
    """
    outbox = new_state["outbox"]
    try:
        write_state(conf["state_file"], dict(new_state, outbox=[]))
    except OpsError as exc:
        return "%s; nothing was sent" % str(exc).rstrip(".")
    new_state["outbox"] = []
    if not outbox:
        return None
    try:
        url, mode_warning = read_webhook_url(conf["webhook_url_file"])
        if mode_warning:
            lines.append(log_line(now, "WARNING", "warning", "twzrd-ops", mode_warning))
        reason = deliver_webhook(url, outbox, conf["webhook_timeout"], conf["webhook_retries"])
        if reason:
            raise OpsError(
                "webhook delivery failed (%s); %d message%s kept for the next run."
                % (reason, len(outbox), "" if len(outbox) == 1 else "s")
            )
    except OpsError as exc:
        problem(str(exc))
        new_state["outbox"] = outbox
        try:
            write_state(conf["state_file"], new_state)
        except OpsError as again:
            problem("%s; the undelivered messages are lost." % str(again).rstrip("."))
    return None


def _append(conf, lines, errors):
    """Append lines to the alert log; False when it could not be written."""
    if conf["log_file"]:
        try:
            append_log(conf["log_file"], lines)
        except OpsError as exc:
            errors.append(str(exc))
            return False
        except OSError as exc:
            errors.append("Cannot append to the alert log %s (%s)." % (conf["log_file"], exc.strerror or exc))
            return False
    return True


def record_failure(alerts_cfg, error, now=None, host=None):
    """A run that could not finish its checks (exit 3) is delivered like a finding.

    The alert checks_failed ("checks failed on HOST: reason", critical) fires, reminds
    every repeat_hours and is resolved by the next run that works, through the same state,
    log and webhook as any alert; every other alert is kept as it was (its state is
    unknown, not fixed). The log gets the event and a RUN line with level unknown, the
    Prometheus textfile marks the run failed with the reason. When the state itself
    cannot be used, nothing is sent (it would be sent again every hour). Returns the lines
    appended to the log ([] when it could not be written); never raises.
    """
    try:
        conf = validate(alerts_cfg)
    except OpsError:
        return []
    now = now_epoch(now)
    host = host or socket.gethostname()
    error = one_line(error)
    lines, errors = [], []

    def problem(sentence):
        errors.append(sentence)
        lines.append(log_line(now, "ERROR", "warning", "twzrd-ops", sentence))

    state = None
    try:
        with StateLock(conf["state_file"]):
            state, warning = read_state(conf["state_file"], now)
            if warning:
                lines.append(log_line(now, "WARNING", "warning", "twzrd-ops", warning))
            alerts = dict(state["alerts"])
            prev = alerts.get(CHECKS_FAILED)
            message = "checks failed on %s: %s" % (host, error)
            alert = {"rule": CHECKS_FAILED, "level": "critical", "message": message, "value": None,
                     "since": now if prev is None else prev["since"], "notified": now if prev is None else prev["notified"]}
            # Only a silence that names checks_failed covers it, never "all" (silences.matches).
            silence = _silences.match(CHECKS_FAILED, state["silences"], now)
            unsent = bool(prev and prev.get("unsent"))
            kind = None
            if prev is None or (unsent and silence is None):
                kind = "firing"
                alert["notified"] = now
                unsent = silence is not None
            elif conf["repeat_hours"] and now - prev["notified"] >= conf["repeat_hours"] * 3600.0 - REMINDER_GRACE:
                kind = "reminder"
                if silence is None:
                    alert["notified"] = now
            if unsent:
                alert["unsent"] = True
            alerts[CHECKS_FAILED] = alert
            events = [] if kind is None else [{"type": kind, "key": CHECKS_FAILED, "level": "critical", "message": message}]
            if events and silence is not None:
                events[0].update(silenced=True, silence_id=silence["id"], note=_silences.marker(silence))
            for event in events:
                lines.append(log_line(now, EVENT_WORD[event["type"]], event["level"], event["key"],
                                      event["message"] + event.get("note", "")))
            state = dict(state, version=STATE_VERSION, last_run=now, alerts=alerts,
                         outbox=_queue(conf, state["outbox"], host, events))
            unsaved = _save_then_send(conf, state, now, lines, problem)
            if unsaved:
                raise OpsError(unsaved)
    except OpsError as exc:
        lines[:] = [line for line in lines if " %s " % _event_word(line) not in _EVENT_WORDS]
        problem(str(exc))
    lines.append(log_line(now, "RUN", "unknown", "run", "the checks failed: %s" % error))
    if conf["textfile_path"]:
        try:
            if state is None:
                state = read_state(conf["state_file"], now, move_aside=False)[0]
        except OpsError:
            state = {"alerts": {}, "crash_counts": {}, "outbox": []}
        try:
            write_textfile(conf["textfile_path"], render_textfile(
                None, state["alerts"], state["crash_counts"], now, False, len(state["outbox"]), reason=error,
                silenced={k for k in state["alerts"] if _silences.match(k, state.get("silences"), now)}))
        except OpsError as exc:
            problem(str(exc))
    # The lines reached no log: the caller says the failure on stderr instead.
    return lines if _append(conf, lines, errors) else []
