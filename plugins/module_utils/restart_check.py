# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Did the restarted PM2 apps come back healthy? One rule for every restart and reload.

Used by the on-host `twzrd-ops restart` (cli.cmd_restart), by playbooks/restart.yml, by
emergency-crashloop.yml's recover ("did the app stay up") and by emergency-load.yml's restart,
the playbooks through the filters of plugins/filter/gates.py. Also here, once: which alerts a
restart disturbs (silence_targets) and which PM2 state a restart mode asks for (pm2_state,
from pm2.MODES).

The rule (came_back): an app is healthy only when it is online at the end of the settling
time AND it did not crash since the restart began: no crash event in PM2's daemon log
(pm2.crash_events counts unplanned exits only; the restart's own "Stopping app" exits are not
crashes) and no rise of its restarts counter, or new pid, between the read right after the
restart and the read at the end of the settling time. A crash loop whose app is online at
the moment of each look is therefore not healthy. Pure: observations in, verdict out.
Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

from .common import OpsError
from .pm2 import MODES

# Seconds the apps are watched after they are online again (twzrd_ops_restart_settle_seconds).
SETTLE_SECONDS = 15


def pm2_state(mode):
    """The pm2_process state of a restart mode (restart -> restarted, reload -> reloaded)."""
    if not isinstance(mode, str) or mode not in MODES:
        raise OpsError("The restart mode must be %s, got %r." % (" or ".join(sorted(MODES, reverse=True)), mode))
    return MODES[mode]


def _unique(names):
    found = []
    for name in names:
        if name not in found:
            found.append(name)
    return found


def _named(restarted):
    """The restarted app names, or [] when the restart was of every app ("all" or none named)."""
    names = [str(name) for name in restarted or []]
    return [] if not names or "all" in names else _unique(names)


def silence_targets(restarted):
    """The alert silence targets a restart of these apps disturbs: each app's pm2_app_down
    (every app's when all are restarted) and the health probe."""
    names = _named(restarted)
    return (["pm2_app_down:%s" % name for name in names] if names else ["pm2_app_down"]) + ["health"]


def _listing(observed):
    """(processes, error sentence or None) of a pm2_status result (registered or in a snapshot)
    or of a plain list of processes."""
    if isinstance(observed, list):
        return observed, None
    observed = observed or {}
    if observed.get("error"):
        return [], str(observed["error"])
    if observed.get("failed") or ("processes" not in observed and observed.get("msg")):
        return [], str(observed.get("msg") or "PM2 could not be read.")
    return list(observed.get("processes") or []), None


def expected_apps(before, expected=None, restarted=None):
    """The apps that must be online after the restart: the expected apps and the restarted
    ones; when every app was restarted (or none is named anywhere), also every app that was
    online before it. Each name once."""
    names = [str(name) for name in expected or []] + _named(restarted)
    if not _named(restarted) or not names:
        names += [p.get("name") for p in _listing(before)[0] if p.get("status") == "online"]
    return _unique(name for name in names if name)


def crash_counts(crashes, since=None):
    """{app: crashes} from pm2.crash_events' list (only events at or after since, when given)
    or from a pm2_status summary's "crashes" mapping."""
    if isinstance(crashes, dict):
        return dict((str(name), int(count or 0)) for name, count in crashes.items())
    counts = {}
    for event in crashes or []:
        if since is not None and float(event.get("time") or 0) < since:
            continue
        counts[event["name"]] = counts.get(event["name"], 0) + 1
    return counts


def _self_restarts(started, settled):
    """How often PM2 restarted the app's processes on its own between the two reads: the rise
    of each process's restarts counter (a new pid counts at least once)."""
    before = dict((p.get("pm_id"), p) for p in started)
    rise = 0
    for proc in settled:
        first = before.get(proc.get("pm_id"))
        if first is None:
            continue
        counted = max(0, int(proc.get("restarts") or 0) - int(first.get("restarts") or 0))
        if not counted and first.get("pid") and proc.get("pid") and first.get("pid") != proc.get("pid"):
            counted = 1
        rise += counted
    return rise


def _times(count):
    return "once" if count == 1 else "%d times" % count


def came_back(started, settled, crashes=None, probe=None, expected=None, restarted=None, seconds=SETTLE_SECONDS, before=None):
    """The verdict on a restart: {"healthy": bool, "problems": [sentences], "expected": [names],
    "apps": {name: {"status", "crashes", "self_restarts"}}}.

    started: what PM2 listed right after the restart (pm2_status result or processes);
    settled: what it lists at the end of the settling time; crashes: pm2.crash_events since
    the restart began, or a {app: count} mapping of them; probe: the health probe's result
    (None or without "healthy" when none ran); expected / restarted: as in expected_apps,
    judged against before (the listing before the restart; started when not given);
    seconds: the time the crashes were counted over, for the sentences.
    """
    apps = expected_apps(started if before is None else before, expected, restarted)
    processes, error = _listing(settled)
    if error:
        return {"healthy": False, "problems": [error], "expected": apps, "apps": {}}
    first = _listing(started)[0]
    counts = crash_counts(crashes)
    problems, verdicts = [], {}
    window = "in the %s s after the restart" % int(round(float(seconds)))
    for name in apps:
        mine = [p for p in processes if p.get("name") == name]
        states = sorted(set(str(p.get("status")) for p in mine))
        logged = counts.get(name, 0)
        rise = _self_restarts([p for p in first if p.get("name") == name], mine)
        verdicts[name] = {"status": "/".join(states) or "missing", "crashes": max(logged, rise), "self_restarts": rise}
        if not mine:
            problems.append("PM2 app %s is not known to PM2." % name)
        elif states != ["online"]:
            problems.append("PM2 app %s is %s." % (name, "/".join(states)))
        if logged >= rise and logged:
            problems.append("PM2 app %s crashed %s %s." % (name, _times(logged), window))
        elif rise:
            problems.append("PM2 app %s crashed %s %s: PM2 restarted it by itself (its restarts counter rose by %d%s)." % (
                name, _times(rise), window, rise, ", PM2's log shows %s" % _times(logged) if logged else ", PM2's log shows no crash"))
    probe = probe or {}
    if "healthy" in probe and not probe["healthy"]:
        attempts = probe.get("attempts")
        problems.append("health probe of %s failed%s: %s" % (
            probe.get("url") or "the health endpoint", " after %s attempts" % attempts if attempts else "",
            probe.get("message") or probe.get("reason") or "unhealthy"))
    return {"healthy": not problems, "problems": problems, "expected": apps, "apps": verdicts}
