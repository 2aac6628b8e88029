# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`twzrd-ops restart` (the Friday job and operators): restart or reload the PM2 apps between
a silence of what the restart disturbs and its lifting, then verify them with the one rule
of restart_check.came_back (online at the end, no crash while watched for the settling time).
Run by hand, it appends the same lines to the Friday job's log (RunLog), as cron does with its
output, so the log tells every restart whoever started it.
"""

from __future__ import annotations

import os
import time

from . import checks, pm2, restart_check, silences
from .cli_views import emit as _emit
from .common import OpsError, iso_time, now_epoch, printable


class RunLog(object):
    """The restart's lines appended to the restart log, unless that log is already where they
    go (the cron job's `>> LOG 2>&1`) or does not exist (a host the role did not set up, where
    nothing is created). A log that cannot be written is said once on err; the restart goes on."""

    def __init__(self, path, out, err):
        self.path, self.err, self.fd = path, err, None
        try:
            if not os.path.isfile(path) or _same_file(out, path):
                return
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            err.write("restart: not logged to %s: %s\n" % (path, exc.strerror or exc))

    def line(self, text):
        if self.fd is None:
            return
        try:
            os.write(self.fd, (text + "\n").encode("utf-8", "replace"))
        except OSError as exc:
            self.close()
            self.err.write("restart: not logged to %s any more: %s\n" % (self.path, exc.strerror or exc))

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _same_file(stream, path):
    try:
        mine, theirs = os.fstat(stream.fileno()), os.stat(path)
    except (AttributeError, OSError, ValueError):  # no file behind the stream (tests, a closed pipe)
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


def _stamp(now=None):
    return iso_time(now_epoch(now))


def _restart_verdict(started, settled, crashes, cfg, restarted, seconds, before=None):
    """restart_check.came_back over two status snapshots (right after the restart, now) and
    pm2.log's crashes since the restart: {"healthy", "problems": [sentences], "apps", ...}."""
    return restart_check.came_back(
        started.get("pm2"), settled.get("pm2"), crashes=crashes, probe=settled.get("health"),
        expected=cfg["checks"]["expected_apps"], restarted=restarted, seconds=seconds, before=before,
    )


def cmd_restart(cfg, args, runner, out, err, now=None, sleep=time.sleep, run_log=None):
    """Restart (or reload) the apps, wait until they are online, watch them for the settling
    time (restart.settle_seconds), then judge them with restart_check.came_back: online at
    the end and no crash since the restart (pm2.log's crash events, restarts counters).
    Each line also goes to run_log (a RunLog) when given."""
    ccfg = cfg["checks"]
    apps = list(cfg["restart"]["apps"]) or ["all"]
    log = []

    def say(message):
        line = "%s %s" % (_stamp(), printable(message))  # app names and health messages come from outside
        log.append(line)
        if run_log is not None:
            run_log.line(line)
        if not args.json:
            out.write(line + "\n")
            out.flush()

    def read_status(began):
        # One read of the host, pm2.log included: its crash events reach back to the restart.
        return checks.collect(ccfg, runner=runner, kind="status", now=now, events_since=began)

    def crashes_since(began, snapshot):
        events = (snapshot.get("pm2") or {}).get("events")
        if events is None:
            reason = (snapshot.get("pm2") or {}).get("error") or "PM2 could not be read"
            say("verify: crashes not counted from PM2's log (%s); the restarts counters still are" % reason)
            return []
        return [event for event in events if event["time"] >= began]

    mode = getattr(args, "mode", None) or cfg["restart"]["mode"]
    settle = cfg["restart"].get("settle_seconds", restart_check.SETTLE_SECONDS)
    doing = "reloading" if mode == "reload" else "restarting"
    try:  # only which apps were online (a restart of all must bring them back): PM2 alone, no probe
        before = pm2.pm2_status(runner, pm2_path=ccfg["pm2_path"] or None, pm2_home=ccfg["pm2_home"] or None,
                                user=ccfg["pm2_user"] or None, crash_window=0, now=now)
    except OpsError as exc:
        before = {"error": str(exc)}
    say("restart: %s %s as PM2 user %s" % (doing, ", ".join(apps), ccfg["pm2_user"] or "(current user)"))
    began = now_epoch(now)
    acted = pm2.pm2_action(
        runner,
        restart_check.pm2_state(mode),
        apps,
        pm2_path=ccfg["pm2_path"] or None,
        pm2_home=ccfg["pm2_home"] or None,
        user=ccfg["pm2_user"] or None,
    )
    for warning in acted.get("warnings") or []:
        say("%s: %s" % (mode, warning))
    retries = cfg["restart"]["verify_retries"]
    delay = cfg["restart"]["verify_delay"]
    problems = []
    attempt = 0
    started = {}
    # First wait until the apps are online (up to retries checks) ...
    for attempt in range(1, retries + 1):
        sleep(delay)
        started = read_status(began)
        verdict = _restart_verdict(started, started, crashes_since(began, started), cfg, apps, now_epoch(now) - began, before)
        problems = verdict["problems"]
        if not problems:
            break
        say("verify: check %d of %d: %s" % (attempt, retries, " ".join(problems)))
        if any(app["crashes"] for app in verdict["apps"].values()):
            break  # a crash since the restart stays a crash: waiting longer cannot make it healthy
    # ... then watch them for the settling time: a crash loop is online at most single looks.
    if not problems:
        say("verify: apps online (check %d of %d); watching them for %s s" % (attempt, retries, settle))
        sleep(settle)
        settled = read_status(began)
        problems = _restart_verdict(started, settled, crashes_since(began, settled), cfg, apps, now_epoch(now) - began,
                                    before)["problems"]
        if problems:
            say("verify: after %s s: %s" % (settle, " ".join(problems)))
        else:
            say("verify: apps online and health endpoint healthy, no crash while watched for %s s" % settle)
    code = 0 if not problems else 2
    say("restart: %s" % ("OK" if code == 0 else "CRITICAL: the apps did not come back healthy"))
    if args.json:
        _emit(out, {"exit_code": code, "restarted": apps, "mode": mode, "verified": not problems, "checks": attempt,
                    "settle_seconds": settle, "problems": problems, "lines": log})
    return code


# Seconds a restart's own silence lasts beyond its verification (pm2 itself may be slow).
RESTART_SILENCE_MARGIN = 600


def cmd_restart_silenced(cfg, args, runner, out, err, now=None):
    """cmd_restart between a silence of what it disturbs (restart_check.silence_targets: the
    restarted apps' pm2_app_down alerts and the health probe) and the lifting of that silence,
    also when it fails. A silence that cannot be set is said on stderr; the restart still runs."""
    apps = list(cfg["restart"]["apps"]) or ["all"]
    settle = cfg["restart"].get("settle_seconds", restart_check.SETTLE_SECONDS)
    seconds = min(cfg["restart"]["verify_retries"] * cfg["restart"]["verify_delay"] + settle + RESTART_SILENCE_MARGIN,
                  cfg["alerts"]["silence_max_hours"] * 3600.0)
    run_log = RunLog(cfg["restart"]["log_file"], out, err)  # the Friday job's log (restart.log_file)

    def complain(text):  # stderr, and the log as cron's 2>&1 would have it
        err.write(text + "\n")
        run_log.line(text)

    added = []
    try:
        for target in restart_check.silence_targets(apps):
            added.append(silences.add(cfg["alerts"], target, seconds, "twzrd-ops restart of %s" % ", ".join(apps),
                                      now=now, by="twzrd-ops restart")[0])
    except OpsError as exc:
        complain("restart: alerts not silenced during the restart: %s" % exc)
    try:
        return cmd_restart(cfg, args, runner, out, err, now=now, run_log=run_log)
    finally:
        for silence in added:
            try:
                silences.remove(cfg["alerts"], silence_id=silence["id"], now=now, missing_ok=True)
            except OpsError as exc:
                complain("restart: the silence %s could not be lifted (it ends by itself at %s): %s"
                         % (silence["id"], iso_time(silence["until"]), exc))
        run_log.close()
