# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hourly alert engine: one run, start to end, written ahead.

process() takes the findings of one run (checks.evaluate + the history's trends) and:

  1. decides, purely (alert_rules.run_rules): the new alerts, the events, the log lines and
     the webhook messages of this run;
  2. writes ahead: ONE atomic write of the state holds the new alerts AND this run's log
     lines (pending_log) and messages (outbox), before anything is logged or sent;
  3. appends the pending log lines to the alert log, then records that (pending_log empty);
  4. drains each alert channel's outbox (channel_clients.drain: one channel failing never
     holds back or repeats another), then records what is still undelivered per channel.

A run killed at any point (SIGKILL, SIGTERM from a shutdown) is recovered by the next one:
its lines and messages are in the state, the next run appends and sends them first.
Delivery is at-least-once: after a kill a receiver may see a message twice, never miss one.
A state that cannot be written sends nothing (it would send the same alert every hour).

Split by concern: alert_settings.py (settings), alert_rules.py (decisions), alert_state.py
(the state file), alert_delivery.py (log lines, webhook, textfile), channel_*.py (the
alert channels), silences.py.
Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import socket

from .alert_delivery import (
    EVENT_WORD,
    append_log,
    deliver_webhook as _deliver_webhook,
    key_text,
    log_line,
    one_line,
    ping,
    read_webhook_url,
    render_textfile,
    write_textfile,
)
from .alert_rules import CHECKS_FAILED, active_list, crash_findings, failure_transition, run_rules
from .alert_settings import DEFAULTS, refuse_unusable_paths, validate
from .alert_state import STATE_VERSION, StateLock, empty_state, read_state, undelivered, write_state
from .channel_clients import bounded, drain
from .channel_settings import configured
from .common import OpsError, exit_code, now_epoch, worst
from .silences import active as active_silences
from .silences import expired as expired_silences
from .silences import match as silence_match

__all__ = [
    "DEFAULTS", "validate", "preview", "process", "record_failure", "read_state", "render_textfile",
    "deliver_webhook", "crash_findings", "heartbeat", "refuse_unusable_paths", "CHECKS_FAILED",
]

# Undelivered messages kept per channel for the next run; older ones are dropped (and counted).
OUTBOX_LIMIT = 100
# Log lines a run keeps for the next one when the alert log cannot be written.
PENDING_LIMIT = 1000
# Seconds between delivery attempts within one run (tests set it to 0).
RETRY_DELAY = 1.0


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
        url, warning = read_webhook_url(conf["heartbeat_url_file"], what="heartbeat")
    except OpsError as exc:
        return "heartbeat ping not sent: %s" % exc
    if what == "start":
        suffix = "/start"
    else:
        suffix = "" if what in (0, 1, 2) else "/%d" % what
    reason = ping(url.rstrip("/") + suffix, conf["webhook_timeout"])
    if reason is not None:
        return "heartbeat ping failed (%s)." % reason
    # Every secret file readable by others is said, whichever it is (once per run: at start).
    return warning if what == "start" else None


def _longest_silence(conf):
    return conf["silence_max_hours"] * 3600.0


def preview(alerts_cfg, snapshot, findings, cfg, now=None):
    """What process() would decide, read-only: no state change, no delivery.

    For playbooks/alerts.yml: {"active": [...], "events": [...], "warnings": [...]}.
    """
    conf = validate(alerts_cfg)
    now = now_epoch(now)
    try:
        state, warning = read_state(conf["state_file"], now, move_aside=False, longest_silence=_longest_silence(conf))
    except OpsError as exc:
        state, warning = empty_state(), str(exc)
    alerts, events, _counts, _until, problems = run_rules(state, snapshot, findings, cfg, conf, now)
    active = active_list(alerts)
    for alert in active:
        silence = silence_match(alert["key"], state["silences"], now)
        alert["silenced"] = silence is not None
        if silence is not None:
            alert["silence_id"] = silence["id"]
    return {"active": active, "events": events, "warnings": ([warning] if warning else []) + problems}


def crash_totals(previous, counts, snapshot):
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


def _summary(active):
    if not active:
        return "no active alerts"
    return "%d active alert%s: %s" % (
        len(active), "" if len(active) == 1 else "s", ", ".join("%s (%s)" % (a["key"], a["level"]) for a in active))


def event_item(host, event, now, started):
    """The outbox item of an event (channel_payloads.py): its fields and its one-line text."""
    message = one_line(event["message"])
    return {"type": event["type"], "key": event["key"], "rule": event["rule"], "level": event["level"], "message": message,
            "host": host, "at": now, "since": event.get("since") or "", "started": started,
            "text": "%s %s %s %s: %s" % (host, EVENT_WORD.get(event["type"], event["type"].upper()), event["level"],
                                         key_text(event["key"]), message)}


def _queue(conf, outbox, host, events, now, alerts_before, alerts_after):
    """Every channel's outbox after this run: what waited (for channels still configured)
    and this run's events (a silenced event is logged, never sent), bounded per channel."""
    items = []
    for event in events:
        if not event.get("silenced"):
            alert = alerts_after.get(event["key"]) or alerts_before.get(event["key"]) or {}
            items.append(event_item(host, event, now, alert.get("since", now)))
    queued = {}
    for channel in configured(conf):
        waiting = list(outbox.get(channel["name"], [])) + items
        if waiting:
            queued[channel["name"]] = bounded(waiting, host, OUTBOX_LIMIT)
    return queued


def _firing(alerts, quiet, now):
    """(key, alert) of the firing alerts no silence covers: Alertmanager gets them every run."""
    return [(key, alerts[key]) for key in sorted(alerts) if not silence_match(key, quiet, now)]


def _event_lines(now, events):
    return [log_line(now, EVENT_WORD[e["type"]], e["level"], e["key"], e["message"] + e.get("note", "")) for e in events]


class _Run(object):
    """The lines and problems of one run being committed: lines is every line the run
    logged or tried to log, in order (its stdout); unlogged those not yet appended."""

    def __init__(self, conf, now, host=None):
        self.conf = conf
        self.now = now
        self.host = host or socket.gethostname()
        self.firing = []
        self.lines = []
        self.unlogged = []
        self.errors = []
        self.in_lines = set()  # the errors that have a line of their own (problem())
        self.log_ok = True

    def note(self, line):
        self.lines.append(line)
        self.unlogged.append(line)

    def problem(self, sentence):
        self.errors.append(sentence)
        self.in_lines.add(sentence)
        self.note(log_line(self.now, "ERROR", "warning", "twzrd-ops", sentence))

    def append(self, lines):
        """Append lines to the alert log (when there is one); False when it failed."""
        if not self.conf["log_file"] or not lines:
            return True
        try:
            append_log(self.conf["log_file"], lines)
        except OpsError as exc:
            reason = str(exc)
        except OSError as exc:
            reason = "Cannot append to the alert log %s (%s)." % (self.conf["log_file"], exc.strerror or exc)
        else:
            return True
        if self.log_ok:
            self.errors.append(reason)
        self.log_ok = False
        return False

    def save(self, state):
        try:
            write_state(self.conf["state_file"], state)
        except OpsError as exc:
            self.problem("%s; the next run logs or sends this run's lines and messages again." % str(exc).rstrip("."))

    def commit(self, new_state):
        """Steps 2-4 of the module docstring. new_state holds this run's lines in pending_log
        and its messages in outbox (after those of killed or failed runs). Returns None, or
        the sentence saying the state could not be saved (then nothing was logged or sent)."""
        conf = self.conf
        try:
            write_state(conf["state_file"], new_state)
        except OpsError as exc:
            return "%s; nothing was sent" % str(exc).rstrip(".")
        pending = new_state["pending_log"]
        self.lines.extend(pending)
        if pending and self.append(pending):
            new_state["pending_log"] = []
            self.save(new_state)  # a kill during delivery then does not log the lines twice
        channels = configured(conf)
        if not any(new_state["outbox"].values()) and not (self.firing and any(c["type"] == "alertmanager" for c in channels)):
            return None
        outbox, problems, warnings = drain(channels, new_state["outbox"], self.host, self.now, self.firing, RETRY_DELAY)
        for sentence in warnings:
            self.note(log_line(self.now, "WARNING", "warning", "twzrd-ops", sentence))
        for sentence in problems:
            self.problem(sentence)
        if outbox != new_state["outbox"]:
            new_state["outbox"] = outbox
            self.save(new_state)
        return None

    def finish(self, level, summary, textfile):
        """The Prometheus textfile, the RUN line, then the run's last lines to the log.
        textfile(reason or None) renders the textfile. Returns whether the log took them."""
        if self.conf["textfile_path"]:
            try:
                write_textfile(self.conf["textfile_path"], textfile(self.errors[0] if self.errors else None))
            except OpsError as exc:
                self.problem(str(exc))
        self.note(log_line(self.now, "RUN", level, "run", summary))
        self.append(self.unlogged)
        self.unlogged = []
        return self.log_ok

    def unlogged_errors(self):
        """The errors no alert log line carries (no log, a log that could not be written, or
        the log's own failure): the caller says them on stderr."""
        logged = self.log_ok and bool(self.conf["log_file"])
        return [error for error in self.errors if not (logged and error in self.in_lines)]


def process(alerts_cfg, snapshot, findings, cfg, now=None, warnings=None):
    """Run the alert state machine once and deliver its events (module docstring).

    Returns {"exit_code": 0|1|2|3, "events": [...], "lines": [...], "errors": [...],
    "active": [...], "level", "summary", "unlogged": [...]}: lines are what this run appended
    to the log file (print them), errors are delivery problems (one sentence each, never the
    webhook URL), unlogged the errors no log line carries (say them on stderr). exit_code follows the
    active alerts: 2 when any is critical, 1 when any is a warning, else 0; 3 when the state
    could not be saved. warnings are sentences of the run's other steps (the history),
    logged as WARNING lines.
    """
    conf = validate(alerts_cfg)
    refuse_unusable_paths(conf)
    now = now_epoch(now)
    host = (snapshot or {}).get("host") or socket.gethostname()
    run = _Run(conf, now, host)
    with StateLock(conf["state_file"]):
        state, warning = read_state(conf["state_file"], now, longest_silence=_longest_silence(conf))
        alerts, events, counts, crash_until, problems = run_rules(state, snapshot, findings, cfg, conf, now)
        notes = [log_line(now, "WARNING", "warning", "twzrd-ops", note)
                 for note in ([warning] if warning else []) + list(warnings or ())]
        notes += [log_line(now, "ERROR", "warning", "twzrd-ops", sentence) for sentence in problems]
        quiet = active_silences(state["silences"], now)
        lines = notes + [log_line(now, "SILENCE", "ok", s["target"], "%s expired (%s)" % (s["id"], s["reason"]))
                         for s in expired_silences(state["silences"], now)] + _event_lines(now, events)
        totals = crash_totals(state["crash_counts"], counts, snapshot)
        new_state = {
            "version": STATE_VERSION,
            "silences": quiet,
            "last_run": now,
            "crash_until": crash_until,
            "alerts": alerts,
            "crash_counts": totals,
            "outbox": _queue(conf, state["outbox"], host, events, now, state["alerts"], alerts),
            "pending_log": (list(state["pending_log"]) + lines)[-PENDING_LIMIT:],
        }
        active = active_list(alerts)
        level, summary = worst(a["level"] for a in alerts.values()), _summary(active)
        run.errors.extend(problems)
        run.in_lines.update(problems)
        run.firing = _firing(alerts, quiet, now)
        unsaved = run.commit(new_state)
        if unsaved:
            # Nothing was logged as sent nor sent: the run is UNKNOWN.
            for line in notes:
                run.note(line)
            run.problem(unsaved)
            level, summary = "unknown", "the checks failed: %s; %s" % (unsaved, summary)
            new_state = state
        silenced = {k for k in alerts if silence_match(k, quiet, now)}
        run.finish(level, summary, lambda reason: render_textfile(
            snapshot, alerts, totals, now, reason is None, undelivered(new_state), reason=reason, silenced=silenced))
    return {"exit_code": exit_code(level), "events": events, "lines": run.lines, "errors": run.errors, "active": active,
            "level": level, "summary": summary, "unlogged": run.unlogged_errors()}


def record_failure(alerts_cfg, error, now=None, host=None):
    """A run that could not finish its checks (exit 3) is delivered like a finding.

    The alert checks_failed ("checks failed on HOST: reason", critical) goes through the same
    state machine, state, log and webhook as any alert (alert_rules.failure_transition);
    every other alert is kept as it was. The log gets the event and a RUN line with level
    unknown, the Prometheus textfile marks the run failed with the reason. When the state
    itself cannot be used, nothing is sent (it would be sent again every hour). Returns the
    lines appended to the log ([] when it could not be written); never raises.
    """
    try:
        conf = validate(alerts_cfg)
    except OpsError:
        return []
    now = now_epoch(now)
    host = host or socket.gethostname()
    error = one_line(error)
    run = _Run(conf, now, host)
    state = None
    try:
        with StateLock(conf["state_file"]):
            state, warning = read_state(conf["state_file"], now, longest_silence=_longest_silence(conf))
            alerts, events = failure_transition(state, "checks failed on %s: %s" % (host, error), conf, now)
            lines = ([log_line(now, "WARNING", "warning", "twzrd-ops", warning)] if warning else []) + _event_lines(now, events)
            new_state = dict(state, version=STATE_VERSION, last_run=now, alerts=alerts,
                             outbox=_queue(conf, state["outbox"], host, events, now, state["alerts"], alerts),
                             pending_log=(list(state["pending_log"]) + lines)[-PENDING_LIMIT:])
            run.firing = _firing(alerts, active_silences(state["silences"], now), now)
            unsaved = run.commit(new_state)
            if unsaved:
                raise OpsError(unsaved)
            state = new_state
    except OpsError as exc:
        run.problem(str(exc))
    if state is None:
        state = {"alerts": {}, "crash_counts": {}, "outbox": {}, "silences": []}
    appended = run.finish("unknown", "the checks failed: %s" % error, lambda reason: render_textfile(
        None, state["alerts"], state["crash_counts"], now, False, undelivered(state), reason=error,
        silenced={k for k in state["alerts"] if silence_match(k, state.get("silences"), now)}))
    # The lines reached no log: the caller says the failure on stderr instead.
    return run.lines if appended else []
