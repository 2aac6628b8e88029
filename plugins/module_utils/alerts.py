# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hourly alert engine: state machine, hysteresis and delivery.

process() takes the findings of checks.evaluate() for one run and turns them into
events an on-call engineer can trust:

* an alert FIRES once when its condition starts, REMINDS every repeat_hours while it
  lasts and is RESOLVED once when it clears; a rise from warning to critical fires again;
* swap and load alerts have hysteresis: once firing they clear only below swap_clear
  percent / load_clear_ratio x the load warning threshold;
* PM2 crashes are counted from PM2's daemon log since the previous run, so planned
  restarts (operator, restart playbook, Friday cron) never count;
* the state lives in one JSON file written atomically; a missing state is a first run,
  a corrupt one is moved aside with a logged warning and treated like a missing one.

Delivery: one line per event (and one per run) appended to the log file, an optional
Slack-compatible webhook whose undelivered messages wait in the state's outbox for the
next run, and an optional Prometheus textfile for node_exporter.

Like every module_utils file this imports nothing from ansible (see docs/DESIGN.md).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time

from .common import OpsError, atomic_write, now_epoch, refuse_unknown, worst

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
}

STATE_VERSION = 1
# Undelivered webhook messages kept for the next run; older ones are dropped (and counted).
OUTBOX_LIMIT = 100
# Seconds between webhook attempts within one run (tests set it to 0).
RETRY_DELAY = 1.0
# cron starts the hourly run a little late or early; a reminder due within this many
# seconds is sent now rather than one hour later.
REMINDER_GRACE = 300
# Seconds to wait for another run holding the state lock.
LOCK_WAIT = 60

_RANK = {"ok": 0, "warning": 1, "critical": 2}
_PM2_RULES = ("pm2_app_down", "pm2_missing", "pm2_crashes", "crash_loop")
_EVENT_WORD = {"firing": "FIRING", "reminder": "REMINDER", "resolved": "RESOLVED"}


# --------------------------------------------------------------------------- validation


def _absolute_path(conf, key, allow_empty):
    value = conf[key]
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise OpsError("Alert setting %s must be a file path, got %r." % (key, value))
    if value == "" and allow_empty:
        return value
    if not value.startswith("/"):
        raise OpsError("Alert setting %s must be an absolute path, got %r." % (key, value))
    return value


def _alert_number(conf, key, minimum, maximum, integer=False):
    value = conf[key]
    if isinstance(value, bool):
        raise OpsError("Alert setting %s must be a number, got %r." % (key, value))
    if not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise OpsError("Alert setting %s must be a number, got %r." % (key, value))
    if integer and value != int(value):
        raise OpsError("Alert setting %s must be a whole number, got %r." % (key, conf[key]))
    if value < minimum or value > maximum:
        raise OpsError("Alert setting %s must be between %s and %s, got %s." % (key, minimum, maximum, conf[key]))
    return int(value) if integer else float(value)


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
    if conf["textfile_path"] and not conf["textfile_path"].endswith(".prom"):
        raise OpsError(
            "Alert setting textfile_path must end in .prom (node_exporter reads only *.prom files), got %r."
            % conf["textfile_path"]
        )
    conf["repeat_hours"] = _alert_number(conf, "repeat_hours", 0, 24 * 365)
    conf["swap_clear"] = _alert_number(conf, "swap_clear", 0, 100)
    conf["load_clear_ratio"] = _alert_number(conf, "load_clear_ratio", 0, 1)
    conf["webhook_timeout"] = _alert_number(conf, "webhook_timeout", 0.1, 300)
    conf["webhook_retries"] = _alert_number(conf, "webhook_retries", 0, 10, integer=True)
    return conf


# --------------------------------------------------------------------------- helpers


def _iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _duration(seconds):
    minutes = int(max(seconds, 0) // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return "%dd %dh" % (days, hours)
    if hours:
        return "%dh %dm" % (hours, minutes)
    return "%dm" % minutes


def _one_line(text):
    return " ".join(str(text).split())


def _log_line(epoch, word, level, key, message):
    """`2026-11-27T22:00:00Z FIRING critical swap: Swap use is 55.0% ...` (see docs/ALERTS.md)."""
    return "%s %s %s %s: %s" % (_iso(epoch), word, level, key, _one_line(message))


def _cfg(cfg, key, default):
    value = (cfg or {}).get(key)
    return default if value is None else value


# --------------------------------------------------------------------------- state


def _empty_state():
    return {"version": STATE_VERSION, "last_run": None, "crash_until": None, "alerts": {}, "crash_counts": {}, "outbox": []}


def _check_state(data):
    """Return data as a state dict, or None when it is not one we wrote."""
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return None
    state = _empty_state()
    for key in ("last_run", "crash_until"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return None
        state[key] = value
    alerts = data.get("alerts", {})
    if not isinstance(alerts, dict):
        return None
    for key, alert in alerts.items():
        if not isinstance(alert, dict) or alert.get("level") not in ("warning", "critical"):
            return None
        if not all(isinstance(alert.get(f), (int, float)) for f in ("since", "notified")):
            return None
        if not isinstance(alert.get("rule"), str) or not isinstance(alert.get("message"), str):
            return None
    state["alerts"] = alerts
    counts = data.get("crash_counts", {})
    if not isinstance(counts, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        return None
    state["crash_counts"] = counts
    outbox = data.get("outbox", [])
    if not isinstance(outbox, list) or not all(isinstance(m, str) for m in outbox):
        return None
    state["outbox"] = outbox
    return state


def read_state(path, now=None, move_aside=True):
    """Return (state, warning sentence or None).

    A missing file is a first run. A file that is not valid state is renamed to
    PATH.corrupt-YYYYmmddTHHMMSSZ (when move_aside) and also treated as a first run.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return _empty_state(), None
    except OSError as exc:
        raise OpsError("Cannot read the alert state file %s (%s)." % (path, exc.strerror or exc))
    try:
        state = _check_state(json.loads(raw.decode("utf-8")))
    except ValueError:
        state = None
    if state is not None:
        return state, None
    if not move_aside:
        return _empty_state(), "The alert state file %s is corrupt; it is treated as missing." % path
    aside = "%s.corrupt-%s" % (path, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now_epoch(now))))
    try:
        os.replace(path, aside)
    except OSError as exc:
        raise OpsError("The alert state file %s is corrupt and cannot be moved aside (%s)." % (path, exc.strerror or exc))
    return _empty_state(), "The alert state file %s was corrupt; it was moved to %s and the alerts start afresh." % (path, aside)


class _StateLock(object):
    """An exclusive flock on STATE.lock so that a manual run and the cron run never
    interleave (which could send the same alert twice)."""

    def __init__(self, state_file, wait=None):
        self.path = state_file + ".lock"
        self.wait = LOCK_WAIT if wait is None else wait
        self.handle = None

    def __enter__(self):
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, mode=0o750, exist_ok=True)
            self.handle = open(self.path, "a")
        except OSError as exc:
            raise OpsError("Cannot use the alert state directory %s (%s)." % (directory, exc.strerror or exc))
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                    self.handle.close()
                    raise OpsError("Another alert run holds %s; try again later." % self.path)
                time.sleep(0.2)

    def __exit__(self, *exc_info):
        self.handle.close()
        return False


# --------------------------------------------------------------------------- rules


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
                % (name, counts[name], "" if counts[name] == 1 else "s", how, _iso(event["time"])),
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
    return None


def _transition(state, findings, snapshot, cfg, conf, now):
    """Pure: (new alerts dict, events) from the previous alerts and this run's findings."""
    previous = state["alerts"]
    current = {}
    for finding in findings:
        key = finding["key"]
        if key not in current or _RANK[finding["level"]] > _RANK[current[key]["level"]]:
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
        alert = {
            "rule": finding["rule"],
            "level": finding["level"],
            "message": finding["message"],
            "value": finding.get("value"),
            "since": now if prev is None else prev["since"],
            "notified": now if prev is None else prev["notified"],
        }
        if prev is None or _RANK[finding["level"]] > _RANK[prev["level"]]:
            kind = "firing"
            alert["notified"] = now
        elif repeat and now - prev["notified"] >= repeat - REMINDER_GRACE:
            kind = "reminder"
            alert["notified"] = now
        else:
            kind = None
        alerts[key] = alert
        if kind:
            events.append(_event(kind, key, alert, alert["message"]))
    for key, prev in previous.items():
        if key not in current:
            message = "Resolved after %s; was: %s" % (_duration(now - prev["since"]), prev["message"])
            events.append(_event("resolved", key, dict(prev, level="ok"), message))
    order = {"resolved": 0, "firing": 1, "reminder": 2}
    events.sort(key=lambda e: (order[e["type"]], -_RANK[e["level"]], e["key"]))
    return alerts, events


def _event(kind, key, alert, message):
    return {
        "type": kind,
        "key": key,
        "rule": alert["rule"],
        "level": alert["level"],
        "message": message,
        "since": _iso(alert["since"]),
    }


def _active_list(alerts):
    active = [
        {
            "key": key,
            "rule": a["rule"],
            "level": a["level"],
            "message": a["message"],
            "value": a.get("value"),
            "since": _iso(a["since"]),
        }
        for key, a in alerts.items()
    ]
    active.sort(key=lambda a: (-_RANK[a["level"]], a["key"]))
    return active


def _run_rules(state, snapshot, findings, cfg, conf, now):
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


def preview(alerts_cfg, snapshot, findings, cfg, now=None):
    """What process() would decide, read-only: no state change, no delivery.

    For playbooks/alerts.yml: {"active": [...], "events": [...], "warnings": [...]}.
    """
    conf = validate(alerts_cfg)
    now = now_epoch(now)
    try:
        state, warning = read_state(conf["state_file"], now, move_aside=False)
    except OpsError as exc:
        state, warning = _empty_state(), str(exc)
    alerts, events, _counts, _until, problems = _run_rules(state, snapshot, findings, cfg, conf, now)
    return {"active": _active_list(alerts), "events": events, "warnings": ([warning] if warning else []) + problems}


# --------------------------------------------------------------------------- delivery


def _read_webhook_url(path):
    try:
        info = os.stat(path)
        with open(path, "r") as handle:
            url = handle.read().strip()
    except OSError as exc:
        raise OpsError("Cannot read the webhook URL file %s (%s)." % (path, exc.strerror or exc))
    if not (url.startswith("https://") or url.startswith("http://")) or any(c.isspace() for c in url):
        raise OpsError("The webhook URL file %s does not hold one http(s) URL." % path)
    warning = None
    if info.st_mode & 0o077:
        warning = "The webhook URL file %s is readable by other users; make it mode 0600." % path
    return url, warning


def _post_once(url, body, timeout):
    """POST body; returns None on a 2xx answer or a short reason that never names the URL."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", "User-Agent": "twzrd-ops-alerts/1"}
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read(65536)
            return None
    except urllib.error.HTTPError as exc:
        return "HTTP %s" % exc.code
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, socket.timeout) or "timed out" in str(reason):
            return "timeout"
        if isinstance(reason, ConnectionRefusedError):
            return "connection refused"
        if isinstance(reason, socket.gaierror):
            return "name resolution failed"
        return "network error"
    except socket.timeout:
        return "timeout"
    except (OSError, ValueError):
        return "network error"


def deliver_webhook(url, texts, timeout, retries):
    """Post the texts as one Slack-compatible message; returns None or "HTTP 500"-like reason."""
    body = json.dumps({"text": "\n".join(texts)}).encode("utf-8")
    reason = None
    for attempt in range(int(retries) + 1):
        if attempt:
            time.sleep(RETRY_DELAY * attempt)
        reason = _post_once(url, body, timeout)
        if reason is None:
            return None
        if reason.startswith("HTTP 4") and reason != "HTTP 429":
            return reason  # the receiver refuses the message: trying again will not help
    return reason


def _append_log(path, lines):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))


def _escape_label(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels):
    return "{%s}" % ",".join('%s="%s"' % (k, _escape_label(v)) for k, v in sorted(labels.items()))


def _number_text(value):
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int) or float(value).is_integer():
        return "%d" % value
    return repr(float(value))


def render_textfile(snapshot, alerts, crash_totals, now, success, outbox=0):
    """The Prometheus text exposition of one run (for node_exporter's textfile collector)."""
    metrics = []

    def metric(name, kind, helptext, samples):
        metrics.append("# HELP %s %s" % (name, helptext))
        metrics.append("# TYPE %s %s" % (name, kind))
        for labels, value in samples:
            metrics.append("%s%s %s" % (name, labels, _number_text(value)))

    system = (snapshot or {}).get("system") or {}
    swap = system.get("swap") or {}
    if swap.get("percent") is not None:
        metric("twzrd_ops_swap_used_ratio", "gauge", "Fraction of swap space in use (0 when no swap is configured).",
               [("", float(swap["percent"]) / 100.0)])
    per_core = ((system.get("load") or {}).get("per_core") or {})
    if per_core.get("load1") is not None:
        metric("twzrd_ops_load_per_core", "gauge", "Load average divided by the number of CPUs.",
               [(_labels(period=p), per_core[p]) for p in ("load1", "load5", "load15") if per_core.get(p) is not None])
    memory = system.get("memory") or {}
    if memory.get("available") is not None:
        metric("twzrd_ops_memory_available_bytes", "gauge", "Memory available to new processes without swapping.",
               [("", memory["available"])])
    status = (snapshot or {}).get("pm2") or {}
    if not status.get("error") and (status.get("processes") is not None or status.get("summary")):
        apps = {}
        for proc in status.get("processes") or []:
            apps[proc["name"]] = apps.get(proc["name"], True) and proc.get("status") == "online"
        for name in ((status.get("summary") or {}).get("missing") or []):
            apps.setdefault(name, False)
        metric("twzrd_ops_pm2_app_up", "gauge", "1 when every PM2 process of the app is online, else 0.",
               [(_labels(app=name), 1 if apps[name] else 0) for name in sorted(apps)])
    metric("twzrd_ops_pm2_crashes_total", "counter",
           "PM2 app crashes counted from the PM2 daemon log (planned restarts excluded).",
           [(_labels(app=name), crash_totals[name]) for name in sorted(crash_totals)])
    metric("twzrd_ops_alert_active", "gauge", "1 for each alert that is active, labelled by rule, key and level.",
           [(_labels(rule=a["rule"], key=key, level=a["level"]), 1) for key, a in sorted(alerts.items())])
    metric("twzrd_ops_alerts_undelivered", "gauge", "Webhook messages waiting for the next run.", [("", outbox)])
    metric("twzrd_ops_last_run_timestamp_seconds", "gauge", "Time of the last alert run (Unix epoch).", [("", now)])
    metric("twzrd_ops_last_run_success", "gauge",
           "1 when the last alert run checked the host and delivered everything, else 0.", [("", 1 if success else 0)])
    return "\n".join(metrics) + "\n"


def _write_textfile(path, text):
    if not os.path.isdir(os.path.dirname(path)):
        raise OpsError("The Prometheus textfile directory %s does not exist." % os.path.dirname(path))
    try:
        atomic_write(path, text, mode=0o644)
    except OSError as exc:
        raise OpsError("Cannot write the Prometheus textfile %s (%s)." % (path, exc.strerror or exc))


def _write_state(path, state):
    try:
        atomic_write(path, json.dumps(state, sort_keys=True, indent=1), mode=0o600)
    except OSError as exc:
        raise OpsError("Cannot write the alert state file %s (%s)." % (path, exc.strerror or exc))


# --------------------------------------------------------------------------- the run


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


def process(alerts_cfg, snapshot, findings, cfg, now=None):
    """Run the alert state machine once and deliver its events.

    Returns {"exit_code": 0|1|2, "events": [...], "lines": [...], "errors": [...],
    "active": [...]}: lines are what was appended to the log file (print them), errors are
    delivery problems (one sentence each, never the webhook URL). exit_code follows the
    active alerts: 2 when any is critical, 1 when any is a warning, else 0.
    """
    conf = validate(alerts_cfg)
    now = now_epoch(now)
    host = (snapshot or {}).get("host") or socket.gethostname()
    lines, errors = [], []

    def problem(sentence):
        errors.append(sentence)
        lines.append(_log_line(now, "ERROR", "warning", "twzrd-ops", sentence))

    with _StateLock(conf["state_file"]):
        state, warning = read_state(conf["state_file"], now)
        if warning:
            lines.append(_log_line(now, "WARNING", "warning", "twzrd-ops", warning))
        alerts, events, counts, crash_until, problems = _run_rules(state, snapshot, findings, cfg, conf, now)
        for sentence in problems:
            problem(sentence)
        crash_totals = _crash_totals(state["crash_counts"], counts, snapshot)

        for event in events:
            lines.append(_log_line(now, _EVENT_WORD[event["type"]], event["level"], event["key"], event["message"]))

        outbox = list(state["outbox"])
        if conf["webhook_url_file"]:
            outbox.extend(
                "%s %s %s %s: %s" % (host, _EVENT_WORD[e["type"]], e["level"], e["key"], _one_line(e["message"])) for e in events
            )
            if len(outbox) > OUTBOX_LIMIT:
                dropped = len(outbox) - OUTBOX_LIMIT + 1
                outbox = ["%s: %d older undelivered alert messages were dropped." % (host, dropped)] + outbox[dropped:]
            if outbox:
                try:
                    url, mode_warning = _read_webhook_url(conf["webhook_url_file"])
                    if mode_warning:
                        lines.append(_log_line(now, "WARNING", "warning", "twzrd-ops", mode_warning))
                    reason = deliver_webhook(url, outbox, conf["webhook_timeout"], conf["webhook_retries"])
                    if reason:
                        raise OpsError(
                            "webhook delivery failed (%s); %d message%s kept for the next run."
                            % (reason, len(outbox), "" if len(outbox) == 1 else "s")
                        )
                    outbox = []
                except OpsError as exc:
                    problem(str(exc))
        else:
            outbox = []

        level = worst(a["level"] for a in alerts.values())
        active = _active_list(alerts)
        if active:
            summary = "%d active alert%s: %s" % (
                len(active), "" if len(active) == 1 else "s", ", ".join("%s (%s)" % (a["key"], a["level"]) for a in active))
        else:
            summary = "no active alerts"
        lines.append(_log_line(now, "RUN", level, "run", summary))

        _write_state(
            conf["state_file"],
            {
                "version": STATE_VERSION,
                "last_run": now,
                "crash_until": crash_until,
                "alerts": alerts,
                "crash_counts": crash_totals,
                "outbox": outbox,
            },
        )
        if conf["textfile_path"]:
            try:
                _write_textfile(conf["textfile_path"],
                                render_textfile(snapshot, alerts, crash_totals, now, not errors, len(outbox)))
            except OpsError as exc:
                problem(str(exc))
        if conf["log_file"]:
            try:
                _append_log(conf["log_file"], lines)
            except OSError as exc:
                errors.append("Cannot append to the alert log %s (%s)." % (conf["log_file"], exc.strerror or exc))

    return {
        "exit_code": {"ok": 0, "warning": 1, "critical": 2}[level],
        "events": events,
        "lines": lines,
        "errors": errors,
        "active": active,
    }


def record_failure(alerts_cfg, error, now=None):
    """For the CLI when the checks themselves failed (exit 3): log one line and mark the
    Prometheus textfile's last run as failed, keeping the crash counters. Never raises."""
    try:
        conf = validate(alerts_cfg)
    except OpsError:
        return []
    now = now_epoch(now)
    line = _log_line(now, "RUN", "unknown", "run", "the checks failed: %s" % error)
    try:
        if conf["log_file"]:
            _append_log(conf["log_file"], [line])
        if conf["textfile_path"]:
            state, _warning = read_state(conf["state_file"], now, move_aside=False)
            _write_textfile(conf["textfile_path"],
                            render_textfile(None, state["alerts"], state["crash_counts"], now, False, len(state["outbox"])))
    except (OpsError, OSError):
        pass
    return [line]
