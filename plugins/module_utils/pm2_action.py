# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Acting on PM2 apps (restart, reload, stop, start by name) and reading PM2's saved process
list (dump.pm2). pm2 exits 0 on some failures, so its output is checked rather than trusted.
Pure Python (no ansible import).
"""

from __future__ import annotations

import time

from . import jsondoc
from .common import OpsError
from .pm2_daemon import _Pm2, _check_home, _first_line, _home_of, _not_running, _where, daemon_running, default_pm2_home, find_pm2
from .pm2_jlist import normalize, strip_ansi

ACTIONS = {"restarted": "restart", "reloaded": "reload", "stopped": "stop", "started": "start"}
# The restart modes of the Friday job and restart.yml (config restart.mode, twzrd_ops_restart_mode)
# -> the pm2_action state. A reload is zero-downtime for cluster-mode apps only.
MODES = {"restart": "restarted", "reload": "reloaded"}


def _wanted(action, status):
    """Does a process in status need the action to reach its state?"""
    if action == "stopped":
        return status != "stopped"
    if action == "started":
        return status not in ("online", "launching")
    return True


def pm2_action(
    runner,
    action,
    names,
    pm2_path=None,
    pm2_home=None,
    user=None,
    check_mode=False,
    wait_online=0,
    now=None,
    sleep=time.sleep,
    clock=time.monotonic,
):
    """Restart, reload, stop or start PM2 apps by name (or ["all"]).

    Unknown names are an OpsError before anything is done. stopped/started act only on
    processes not already in that state; restarted/reloaded always act. check_mode runs
    nothing. wait_online > 0 waits up to that many seconds for the acted-on processes to
    be online again (restarted/reloaded/started) and lists those that are not.
    Returns {changed, processes (after), actions: [{action, names, pm_ids}], not_online}.
    """
    if action not in ACTIONS:
        raise OpsError("state must be one of %s, not %r." % (", ".join(sorted(ACTIONS)), action))
    names = [str(name) for name in (names or [])]
    if not names:
        raise OpsError("Name at least one PM2 app (or all).")
    if "all" in names and len(names) > 1:
        raise OpsError("Name either all or specific apps, not both.")
    user = user or None
    homes = [_home_of(user)] if user else None
    pm2_home = pm2_home or default_pm2_home(user)
    path = find_pm2(pm2_path, homes)
    if path is None:
        raise OpsError("PM2 is not installed (no pm2 %s), so apps cannot be %s." % (_where(pm2_path), action))
    _check_home(pm2_home, user)
    if not daemon_running(pm2_home):
        raise _not_running(pm2_home, user)
    pm2 = _Pm2(runner, path, pm2_home, user)
    raw, warnings = pm2.jlist()
    before = [normalize(entry, now) for entry in raw]
    known = set(proc["name"] for proc in before)
    if names != ["all"]:
        unknown = [name for name in names if name not in known]
        if unknown:
            raise OpsError(
                "No PM2 app named %s in PM2_HOME %s (known: %s); nothing was done."
                % (", ".join(unknown), pm2_home, ", ".join(sorted(known)) or "none")
            )
        targets = [proc for proc in before if proc["name"] in names]
    else:
        targets = before
    targets = [proc for proc in targets if _wanted(action, proc["status"])]
    ids = [proc["pm_id"] for proc in targets]
    acted = []
    if targets:
        acted.append({"action": ACTIONS[action], "names": sorted(set(proc["name"] for proc in targets)), "pm_ids": ids})
    result = {"changed": bool(targets), "actions": acted, "warnings": warnings, "not_online": [], "processes": before, "pm2_home": pm2_home, "pm2_path": path}
    forked = sorted(set(proc["name"] for proc in targets if proc["exec_mode"] != "cluster"))
    if action == "reloaded" and forked:
        # PM2 reloads a fork-mode app by restarting it: say so, the operator asked for no downtime.
        result["warnings"].append(
            "%s %s not in cluster mode, so pm2 reload restarts %s (a brief outage); only cluster-mode apps reload one instance at a time."
            % (", ".join(forked), "is" if len(forked) == 1 else "are", "it" if len(forked) == 1 else "them"))
    if check_mode or not targets:
        return result
    if action == "reloaded":
        # `pm2 reload` takes one app (it ignores further arguments); by name, a cluster app is
        # reloaded instance by instance.
        commands = [["reload", name] for name in acted[0]["names"]]
    else:
        commands = [[ACTIONS[action]] + [str(pm_id) for pm_id in ids]]
    for command in commands:
        rc, out, err = pm2.run(*command)
        errors = [line for line in strip_ansi((out or "") + "\n" + (err or "")).splitlines() if "[PM2][ERROR]" in line]
        if rc != 0 or errors:
            detail = errors[0].split("[PM2][ERROR]", 1)[1].strip() if errors else _first_line(err) or "exit code %s" % rc
            raise OpsError("pm2 %s of %s failed: %s." % (ACTIONS[action], ", ".join(acted[0]["names"]), detail.rstrip(".")))
    # the real clock from here on: uptimes are compared with the wait
    after = [normalize(entry) for entry in pm2.jlist()[0]]
    if action != "stopped" and wait_online:
        deadline = clock() + wait_online
        while True:
            # online for a second at least: a crashing app is "online" for a moment at each start
            pending = [proc for proc in after if proc["pm_id"] in ids and (proc["status"] != "online" or proc["uptime"] < 1)]
            if not pending or clock() >= deadline:
                break
            sleep(0.5)
            after = [normalize(entry) for entry in pm2.jlist()[0]]
        result["not_online"] = sorted(set(proc["name"] for proc in pending))
    result["processes"] = after
    return result


def read_dump(path):
    """The apps of PM2's saved process list (dump.pm2, what `pm2 resurrect` starts on boot),
    normalised like `pm2 jlist` entries (names, status; env names only, never values).

    The one reader of dump.pm2 in module_utils. None when the file does not exist; OpsError
    (one sentence) when it cannot be read or is not a JSON list of processes.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(64 * 1024 * 1024)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OpsError("Cannot read PM2's saved process list %s (%s)." % (path, error.strerror or error))
    try:
        raw = jsondoc.loads(data.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        raw = None
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise OpsError("PM2's saved process list %s is not a JSON list of processes (%d bytes), so `pm2 resurrect` "
                       "would restore nothing from it." % (path, len(data)))
    return [normalize(entry) for entry in raw]
