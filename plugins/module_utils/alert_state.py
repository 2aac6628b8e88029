# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The alert engine's state: one JSON file, written atomically, guarded by a lock.

A missing state is a first run; a corrupt one is moved aside with a warning and treated
like a missing one. The rules (alert_rules.py) read and return plain dicts; only this file
touches the disk for state. Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import errno
import fcntl
import json
import math
import os
import time

from . import jsondoc
from .common import OpsError, atomic_write, iso_time, now_epoch, read_nofollow
# 2: pending_log (the write-ahead lines of a run not yet appended to the alert log).
# 3: outbox per alert channel ({channel name: [item, ...]}, channel_clients.py); the
#    version-2 list of webhook texts becomes the outbox of the channel "slack".
# A state of an earlier version (releases before it) is read and migrated (migrate()).
STATE_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
# The longest silence any setting allows (alert setting silence_max_hours <= 30 days): a
# stored silence is never trusted to last longer than this from now.
LONGEST_SILENCE = 30 * 24 * 3600.0
# Seconds to wait for another run holding the state lock.
LOCK_WAIT = 60


def empty_state():
    return {"version": STATE_VERSION, "last_run": None, "crash_until": None, "alerts": {}, "crash_counts": {}, "outbox": {},
            "pending_log": [], "silences": []}


def undelivered(state):
    """How many items wait in the outboxes of all channels."""
    return sum(len(items) for items in (state.get("outbox") or {}).values())


def _finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def valid_silence(silence):
    """True when silence has the shape silences.new_silence() makes."""
    if not isinstance(silence, dict):
        return False
    if not all(isinstance(silence.get(f), str) and silence[f] for f in ("id", "target", "reason")):
        return False
    if not isinstance(silence.get("by", ""), str):
        return False
    return all(_finite(silence.get(f)) for f in ("created", "until"))


def clamp_times(state, now, longest_silence=LONGEST_SILENCE):
    """A time the state holds was written by an earlier run's clock: a claim, not a fact.
    After the clock went back, times in the future would keep an alert from reminding, a
    crash from being counted and a silence alive for weeks. Returns (state, changed): every
    time clamped to now, every silence to at most longest_silence from now. Pure."""
    changed = False
    state = dict(state)
    for key in ("last_run", "crash_until"):
        if state.get(key) is not None and state[key] > now:
            state[key], changed = now, True
    alerts = {}
    for key, alert in state["alerts"].items():
        fixed = dict(alert)
        for field in ("since", "notified"):
            if fixed[field] > now:
                fixed[field], changed = now, True
        alerts[key] = fixed
    state["alerts"] = alerts
    silences = []
    for silence in state["silences"]:
        fixed = dict(silence)
        if fixed["created"] > now:
            fixed["created"], changed = now, True
        if fixed["until"] > now + longest_silence:
            fixed["until"], changed = now + longest_silence, True
        silences.append(fixed)
    state["silences"] = silences
    return state, changed


def migrate(data):
    """A state dict of any READABLE_VERSIONS as the current version (1 -> 2: no pending log;
    2 -> 3: the list of webhook texts becomes the outbox of the channel "slack", which is
    what webhook_url_file is now)."""
    data = dict(data)
    if data.get("version") == 1:
        data.setdefault("pending_log", [])
        data["version"] = 2
    if data.get("version") == 2:
        outbox = data.get("outbox", [])
        data["outbox"] = {"slack": outbox} if outbox else ({} if isinstance(outbox, list) else outbox)
        data["version"] = 3
    return data


def _valid_item(item):
    if isinstance(item, str):
        return True
    if not isinstance(item, dict) or item.get("type") not in ("firing", "reminder", "resolved", "test"):
        return False
    if not all(isinstance(item.get(f), str) for f in ("key", "rule", "level", "message", "host", "text")):
        return False
    return _finite(item.get("at")) and _finite(item.get("started", 0))


def _check_state(data):
    """Return data as a state dict, or None when it is not one we wrote."""
    if not isinstance(data, dict) or data.get("version") not in READABLE_VERSIONS:
        return None
    data = migrate(data)
    state = empty_state()
    for key in ("last_run", "crash_until"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)):
            return None
        state[key] = value
    alerts = data.get("alerts", {})
    if not isinstance(alerts, dict):
        return None
    for key, alert in alerts.items():
        if not isinstance(alert, dict) or alert.get("level") not in ("warning", "critical"):
            return None
        if not all(_finite(alert.get(f)) for f in ("since", "notified")):
            return None
        if not isinstance(alert.get("rule"), str) or not isinstance(alert.get("message"), str):
            return None
    state["alerts"] = alerts
    counts = data.get("crash_counts", {})
    if not isinstance(counts, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        return None
    state["crash_counts"] = counts
    outbox = data.get("outbox", {})
    if not isinstance(outbox, dict) or not all(
            isinstance(items, list) and all(_valid_item(i) for i in items) for items in outbox.values()):
        return None
    state["outbox"] = outbox
    pending = data.get("pending_log", [])
    if not isinstance(pending, list) or not all(isinstance(m, str) for m in pending):
        return None
    state["pending_log"] = pending
    # A state written before silences existed has none (silences.py).
    silences = data.get("silences", [])
    if not isinstance(silences, list) or not all(valid_silence(s) for s in silences):
        return None
    state["silences"] = silences
    return state


def _writable_by_others(path):
    """Why someone other than root and this user could have written path, or None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if info.st_uid not in (0, os.geteuid()):
        return "belongs to uid %d" % info.st_uid
    if info.st_mode & 0o022:
        return "could be written by other users (mode %04o)" % (info.st_mode & 0o7777)
    return None


def read_state(path, now=None, move_aside=True, longest_silence=LONGEST_SILENCE):
    """Return (state, warning sentence or None).

    A missing file is a first run. A file that is not valid state is renamed to
    PATH.corrupt-YYYYmmddTHHMMSSZ (when move_aside) and also treated as a first run.
    Times in the future (the clock went back since they were written) are clamped to now and
    silences to longest_silence seconds from now (clamp_times), with a warning.
    """
    state, warning = _read_state(path, now, move_aside)
    now = now_epoch(now)
    state, changed = clamp_times(state, now, longest_silence)
    if changed and warning is None:
        warning = ("The alert state file %s held times after now (%s): the clock went back since they were written; "
                   "they now count from now and no silence lasts longer than allowed." % (path, iso_time(now)))
    return state, warning


def _read_state(path, now, move_aside):
    try:
        raw = read_nofollow(path)
    except FileNotFoundError:
        return empty_state(), None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OpsError("Refusing to read the alert state file %s: it is a symbolic link." % path)
        raise OpsError("Cannot read the alert state file %s (%s)." % (path, exc.strerror or exc))
    untrusted = _writable_by_others(path)
    if untrusted:
        # Another user could have edited it (say, marked an alert as already sent): not
        # used, moved aside like a corrupt one so that the alerts start afresh and still go out.
        if not move_aside:
            return empty_state(), "The alert state file %s %s; it is treated as missing." % (path, untrusted)
        aside = "%s.untrusted-%s" % (path, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now_epoch(now))))
        try:
            os.replace(path, aside)
        except OSError as exc:
            raise OpsError("The alert state file %s %s and cannot be moved aside (%s)." % (path, untrusted, exc.strerror or exc))
        return empty_state(), "The alert state file %s %s; it was moved to %s and the alerts start afresh." % (
            path, untrusted, aside)
    try:
        state = _check_state(jsondoc.loads(raw.decode("utf-8")))
    except (ValueError, RecursionError):
        state = None
    if state is not None:
        return state, None
    if not move_aside:
        return empty_state(), "The alert state file %s is corrupt; it is treated as missing." % path
    aside = "%s.corrupt-%s" % (path, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now_epoch(now))))
    try:
        os.replace(path, aside)
    except OSError as exc:
        raise OpsError("The alert state file %s is corrupt and cannot be moved aside (%s)." % (path, exc.strerror or exc))
    return empty_state(), "The alert state file %s was corrupt; it was moved to %s and the alerts start afresh." % (path, aside)


class StateLock(object):
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
            # Never through a symlink: one planted at STATE.lock would make root create or
            # open any file it names.
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
            self.handle = os.fdopen(os.open(self.path, flags, 0o600), "a")
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OpsError("Refusing to use the alert state lock %s: it is a symbolic link." % self.path)
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


def write_state(path, state):
    try:
        atomic_write(path, json.dumps(state, sort_keys=True, indent=1), mode=0o600)
    except OSError as exc:
        raise OpsError("Cannot write the alert state file %s (%s)." % (path, exc.strerror or exc))
