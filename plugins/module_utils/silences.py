# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Alert silences (maintenance windows): planned work must not page anyone, and nothing
stays silenced by mistake.

A silence is {id, target, reason, by, created, until} kept in the alert state's
"silences" list (alert_state.py), so it survives reboots. TARGET is a rule ("swap"), a
rule:subject ("pm2_app_down:milo-aggregator") or "all"; "all" never matches checks_failed
(the monitor itself broken), which only an explicit target silences. Every silence ends by
itself: its duration is at most silence_max_hours (alert setting, default 24).

The rules (parse, validate, match, expire, which silences a removal lifts) are pure; add /
remove / listing() read and write the alert state under its lock (StateLock) and are what
the CLI `twzrd-ops silence` and the module alert_silence call. Like every module_utils file this imports nothing from
ansible.
"""

from __future__ import annotations

import getpass
import math
import os

from .alert_delivery import append_log, log_line
from .alert_state import StateLock, read_state, valid_silence, write_state
from .common import OpsError, did_you_mean, duration, exact_duration, iso_time, now_epoch, parse_duration, printable
from .rule_names import CHECKS_FAILED, RULES, app_of

ALL = "all"
# "app:NAME" silences every alert about the PM2 app NAME (rule_names.APP_RULES).
APP = "app"
# Longest reason kept (it goes into log lines and the list).
REASON_LIMIT = 200
ID_PREFIX = "s-"

__all__ = ["ALL", "APP", "parse_target", "new_silence", "active", "expired", "match", "marker", "add", "remove", "listing",
           "parse_removal", "removed_by", "unknown_id"]


def parse_target(text):
    """"all", "RULE" or "RULE:SUBJECT" -> the target as stored; OpsError for anything else
    (an unknown rule name says which one was probably meant)."""
    if not isinstance(text, str) or not text.strip():
        raise OpsError("A silence needs a target: a rule (e.g. swap), rule:subject (e.g. pm2_app_down:milo-aggregator), "
                       "app:NAME (every alert about a PM2 app) or all.")
    text = text.strip()
    if text == ALL:
        return ALL
    rule, sep, subject = text.partition(":")
    if rule == APP and not sep:
        raise OpsError("Silence target app needs the app's name: app:NAME (e.g. app:milo-aggregator).")
    if rule not in RULES and rule != APP:
        raise OpsError(
            "Unknown alert rule %s in silence target %s (known: all, %s).%s"
            % (printable(rule), printable(text), ", ".join(sorted(RULES)) + ", app:NAME", did_you_mean([rule], RULES + (ALL, APP)))
        )
    if sep and (not subject or subject != printable(subject)):
        raise OpsError("The subject of silence target %s must be a non-empty name without control characters." % printable(text))
    return text


def clean_reason(reason):
    """The reason as stored: one printable line, at most REASON_LIMIT characters; required."""
    text = printable(" ".join(str(reason if reason is not None else "").split()))
    if not text:
        raise OpsError("A silence needs a reason (--reason), e.g. 'Wednesday patch' or 'deploy of milo-aggregator'.")
    return text[:REASON_LIMIT]


def seconds_of(for_, max_hours):
    """The silence's length in seconds from "30m" / "2h" / "1d" (or seconds as a number),
    refused above max_hours."""
    if isinstance(for_, (int, float)) and not isinstance(for_, bool):
        if not math.isfinite(for_) or for_ <= 0:
            raise OpsError("The silence duration must be longer than 0 seconds, got %r." % (for_,))
        seconds = float(for_)
    else:
        seconds = parse_duration("The silence duration", for_)
    if seconds > max_hours * 3600.0:
        raise OpsError(
            "A silence of %s is longer than the maximum of %s (alert setting silence_max_hours); "
            "silence for less, and add a new silence when the work takes longer."
            % (exact_duration(seconds), exact_duration(max_hours * 3600.0))
        )
    return seconds


def _new_id(taken):
    while True:
        candidate = ID_PREFIX + os.urandom(3).hex()
        if candidate not in taken:
            return candidate


def _who():
    try:
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "uid %d" % os.getuid()


def new_silence(silences, target, for_, reason, max_hours, now=None, by=None):
    """A new silence record (validated); silences are the existing ones (for a unique id)."""
    now = now_epoch(now)
    target = parse_target(target)
    seconds = seconds_of(for_, max_hours)
    return {
        "id": _new_id({s["id"] for s in silences}),
        "target": target,
        "reason": clean_reason(reason),
        "by": printable(by or _who())[:64],
        "created": now,
        "until": now + seconds,
    }


valid_record = valid_silence


def active(silences, now):
    return [s for s in silences or [] if s["until"] > now]


def expired(silences, now):
    return [s for s in silences or [] if s["until"] <= now]


def matches(silence, key):
    """Does silence cover the alert key ("rule" or "rule:subject")? "all" covers every alert
    but checks_failed; "app:NAME" every alert whose rule is about a PM2 app and whose subject
    is NAME (rule_names.APP_RULES)."""
    target = silence["target"]
    if target == ALL:
        return key.partition(":")[0] != CHECKS_FAILED
    if target.startswith(APP + ":"):
        return app_of(key) == target[len(APP) + 1:]
    return key == target or (":" not in target and key.startswith(target + ":"))


def match(key, silences, now):
    """The active silence covering key that lasts longest, or None."""
    found = [s for s in active(silences, now) if matches(s, key)]
    return max(found, key=lambda s: s["until"]) if found else None


def marker(silence):
    """What a silenced event's log line ends with (docs/ALERTS.md)."""
    return " [silenced until %s by %s: %s]" % (iso_time(silence["until"]), silence["id"], silence["reason"])


def describe(silence, now):
    """One line for `silence list`."""
    return "%s %s until %s (%s left) by %s: %s" % (
        silence["id"], printable(silence["target"]), iso_time(silence["until"]), duration(silence["until"] - now),
        silence.get("by") or "?", silence["reason"])


def public(silence, now):
    """A silence as the CLI's --json and the module return it."""
    return {
        "id": silence["id"],
        "target": silence["target"],
        "reason": silence["reason"],
        "by": silence.get("by", ""),
        "created": iso_time(silence["created"]),
        "until": iso_time(silence["until"]),
        "remaining": max(0, int(silence["until"] - now)),
    }


# --------------------------------------------------------------------------- on the state


def _change(conf, now, edit, check_mode):
    """Apply edit(silences) -> (new silences, result) to the alert state under its lock;
    expired silences are dropped on the way. Returns (result, expired ones, log lines)."""

    lines = []
    # --check neither takes the lock (it would create the state directory) nor writes.
    with (_NoLock() if check_mode else StateLock(conf["state_file"])):
        state, warning = read_state(conf["state_file"], now, move_aside=not check_mode)
        if warning:
            lines.append(log_line(now, "WARNING", "warning", "twzrd-ops", warning))
        gone = expired(state["silences"], now)
        kept = active(state["silences"], now)
        new, result, logged = edit(kept)
        for silence in gone:
            lines.append(log_line(now, "SILENCE", "ok", silence["target"], "%s expired (%s)" % (silence["id"], silence["reason"])))
        lines.extend(logged)
        if not check_mode and (new != kept or gone):
            write_state(conf["state_file"], dict(state, silences=new))
            if conf.get("log_file") and lines:
                try:
                    append_log(conf["log_file"], lines)
                except OSError as exc:
                    raise OpsError("The silence was saved but the alert log %s cannot be appended to (%s)."
                                   % (conf["log_file"], exc.strerror or exc))
    return result, gone, lines


class _NoLock(object):
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def add(conf, target, for_, reason, now=None, check_mode=False, by=None, reuse=False):
    """Add a silence to the alert state of conf (alerts.validate()'d settings).

    reuse: an active silence with the same target and reason is kept as it is (for the
    playbooks: a second run changes nothing). Returns (silence, created: bool, log lines).
    """
    now = now_epoch(now)

    def edit(kept):
        record = new_silence(kept, target, for_, reason, conf["silence_max_hours"], now, by)
        if reuse:
            for silence in kept:
                if silence["target"] == record["target"] and silence["reason"] == record["reason"]:
                    return kept, (silence, False), []
        line = _log(now, record, "added until %s by %s" % (iso_time(record["until"]), record["by"]))
        return kept + [record], (record, True), [line]

    (silence, created), _gone, lines = _change(conf, now, edit, check_mode)
    return silence, created, lines


def parse_removal(text):
    """What `twzrd-ops silence remove WHAT` names: (id, None) for a silence id (s-...), else
    (None, target) with the target checked as parse_target does (all: every silence)."""
    text = str(text if text is not None else "").strip()
    if text.startswith(ID_PREFIX):
        return text, None
    return None, parse_target(text)


def removed_by(kept, silence_id=None, target=None):
    """THE rule of a removal, for the on-host command and the module alike: the silence
    silence_id; with target all every active silence (an operator lifting "all" means all of
    them, not only one whose target is literally all); else every active silence of target."""
    if silence_id:
        return [s for s in kept if s["id"] == silence_id]
    if target == ALL:
        return list(kept)
    return [s for s in kept if s["target"] == target]


def unknown_id(silence_id):
    """The sentence for an id that names no active silence on the host."""
    return ("No active silence %s on this host (an id is per host, and a silence that ended by itself is gone); "
            "list the host's silences with twzrd-ops silence list or playbooks/silence.yml -e twzrd_ops_silence_action=list."
            % printable(str(silence_id)[:40]))


def remove(conf, silence_id=None, target=None, now=None, check_mode=False, missing_ok=False):
    """Remove the silences removed_by() names. Returns (removed silences, log lines).

    An unknown id is an OpsError (unknown_id) unless missing_ok (a flow lifting its own
    silence, which may have ended by itself); a target removes what it covers, maybe nothing.
    """
    now = now_epoch(now)
    if not silence_id and target is None:
        raise OpsError("Say which silence to remove: its id (twzrd-ops silence list shows them), a target, or all.")
    if not silence_id:
        target = parse_target(target)

    def edit(kept):
        gone = removed_by(kept, silence_id, target)
        if silence_id and not gone and not missing_ok:
            raise OpsError(unknown_id(silence_id))
        lines = [_log(now, s, "removed") for s in gone]
        return [s for s in kept if s not in gone], gone, lines

    removed, _gone, lines = _change(conf, now, edit, check_mode)
    return removed, lines


def listing(conf, now=None):
    """The active silences (read-only: an expired one is not shown, the next write drops it)."""

    now = now_epoch(now)
    state, _warning = read_state(conf["state_file"], now, move_aside=False)
    return sorted(active(state["silences"], now), key=lambda s: (s["until"], s["id"]))


def _log(now, silence, what):
    return log_line(now, "SILENCE", "ok", silence["target"], "%s %s: %s" % (silence["id"], what, silence["reason"]))
