# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The on-host command `twzrd-ops`, run by cron and by operators.

  twzrd-ops [--config FILE] [--json] health    weekly report (saved under reports.dir)
  twzrd-ops [--config FILE] [--json] alerts    hourly threshold check (alert engine)
  twzrd-ops [--config FILE] [--json] silence add TARGET --for 2h --reason TEXT | list | remove ID
  twzrd-ops [--config FILE] [--json] history [--days N] [--app NAME]   per-host samples and trends
  twzrd-ops [--config FILE] [--json] restart   restart PM2 apps, then verify them
            (restart --mode reload: pm2 reload, zero-downtime for cluster-mode apps)

Exit codes are Nagios style: 0 ok, 1 warning, 2 critical, 3 unknown (bad configuration,
bad usage or a check that could not run). A problem is reported as one sentence on
stderr, never as a traceback.

The role twzrd_ops installs this package as /usr/local/lib/twzrd-ops/twzrd_ops_lib and a
wrapper /usr/local/sbin/twzrd-ops that calls main(); the same checks back the modules.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from .common import EXIT_CODES, UNKNOWN, OpsError, iso_time, now_epoch, printable, subprocess_runner
from . import checks, pm2, restart_check, silences

EXIT_UNKNOWN = EXIT_CODES[UNKNOWN]
RUNNER_TIMEOUT = 120


class _Usage(Exception):
    """A command-line mistake (argparse would exit 2, which means critical here)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _Usage(message)


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS keeps a subcommand's default from overwriting an option given before it,
    # so `twzrd-ops --json health` and `twzrd-ops health --json` both work.
    common.add_argument("--config", default=argparse.SUPPRESS, help="configuration file (default /etc/twzrd-ops/config.json)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON for machines instead of text")

    parser = _Parser(
        prog="twzrd-ops",
        description="On-host checks of the twzrd.ops runbook. Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown.",
        parents=[common],
    )
    subs = parser.add_subparsers(dest="command", metavar="{health,alerts,restart,silence,history}", parser_class=_Parser)
    subs.add_parser("health", parents=[common], help="weekly health report, saved to the reports directory")
    subs.add_parser("alerts", parents=[common], help="hourly alert check; events go to the alert log")
    silence = subs.add_parser("silence", parents=[common], help="silence alerts for planned work: add, list, remove")
    actions = silence.add_subparsers(dest="silence_action", metavar="{add,list,remove}", parser_class=_Parser)
    add = actions.add_parser("add", parents=[common], help="silence TARGET (rule, rule:subject or all) for a while")
    add.add_argument("target", help="a rule (swap), rule:subject (pm2_app_down:milo-aggregator) or all")
    add.add_argument("--for", dest="for_", required=True, help="how long, e.g. 30m, 2h, 1d (at most silence_max_hours)")
    add.add_argument("--reason", required=True, help="why (shown in the alert log next to every silenced event)")
    actions.add_parser("list", parents=[common], help="the active silences")
    remove = actions.add_parser("remove", parents=[common], help="lift the silence ID before it ends")
    remove.add_argument("id", help="the silence id (silence list shows it)")
    restart = subs.add_parser("restart", parents=[common], help="restart the PM2 apps and verify they come back healthy")
    from .pm2 import MODES

    restart.add_argument("--mode", choices=sorted(MODES, reverse=True), default=None,
                         help="pm2 restart, or pm2 reload (zero-downtime for cluster-mode apps); default: restart.mode of the configuration")
    hist = subs.add_parser("history", parents=[common], help="the samples of the per-host history and their judged trends")
    hist.add_argument("--days", default="7", help="how many days back to print (default 7)")
    hist.add_argument("--app", default=None, help="only this PM2 app")
    return parser


def _stamp(now=None):
    return iso_time(now_epoch(now))


def _emit(out, data):
    out.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def cmd_health(cfg, args, runner, out, err, now=None):
    from . import checks, report

    snapshot = checks.collect(cfg["checks"], runner=runner, kind="health", now=now)
    findings = checks.evaluate(snapshot, cfg["checks"])
    level = checks.verdict(findings)
    from . import history

    history_conf = cfg.get("history") or history.validate({})
    text = report.render_text(snapshot, findings, level,
                              history=history.summary(history_conf["db_path"], snapshot.get("epoch"), history_conf))
    problem = None
    saved, pruned = {}, []
    try:
        if os.path.lexists(cfg["reports"]["dir"]) and not os.path.isdir(cfg["reports"]["dir"]):
            raise OpsError("Setting reports.dir names a file (%s); it must name a directory." % cfg["reports"]["dir"])
        saved = report.write_report(cfg["reports"]["dir"], snapshot, findings, level, text=text, now=snapshot.get("epoch"))
        pruned = report.prune(cfg["reports"]["dir"], cfg["reports"]["keep_weeks"], now=snapshot.get("epoch"))
    except OpsError as exc:
        problem = str(exc)
    if args.json:
        _emit(out, {"verdict": level, "findings": findings, "snapshot": snapshot, "report": saved, "pruned": pruned})
    else:
        out.write(text)
        if saved:
            out.write("\nReport saved to %s (and %s).\n" % (saved["text"], saved["json"]))
        for path in pruned:
            out.write("Pruned old report %s.\n" % path)
    if problem:
        err.write(problem + "\n")
        return EXIT_UNKNOWN
    return checks.exit_code(level)


def _alert_log_line(message, now=None):
    """A problem in the alert log's own line format (docs/ALERTS.md), for stderr."""
    return "%s ERROR unknown twzrd-ops: %s" % (_stamp(now), printable(" ".join(str(message).split())))


def cmd_alerts(cfg, args, runner, out, err, now=None):
    """The hourly run between the two pings of its dead-man's switch (alerts.heartbeat):
    at start, and at the end with the exit code. A failed ping goes to stderr."""
    from . import alerts

    def beat(what):
        problem = alerts.heartbeat(cfg["alerts"], what)
        if problem:
            err.write(_alert_log_line(problem, now) + "\n")

    beat("start")
    code = _alerts_run(cfg, args, runner, out, err, now)
    beat(code)
    return code


def _alerts_run(cfg, args, runner, out, err, now=None):
    """stdout carries exactly the lines the engine appended to its log file, stderr only
    what did not reach that log (in the same line format), so cron can run
    `twzrd-ops alerts >/dev/null 2>>LOG` without writing any line twice."""
    from . import alerts, checks

    try:
        snapshot = checks.collect(cfg["checks"], runner=runner, kind="alerts", now=now)
        findings = checks.evaluate(snapshot, cfg["checks"])
        history_warnings = _history_step(cfg, snapshot, findings, now)
        result = alerts.process(cfg["alerts"], snapshot, findings, cfg["checks"], now=now, warnings=history_warnings)
    except Exception as exc:  # pylint: disable=broad-except
        # Unknown is loud: a failed tool, a state that cannot be used or a bug is delivered
        # like a finding (alert log, textfile, webhook "checks failed on HOST: reason").
        reason = str(exc) if isinstance(exc, OpsError) else "internal error: %s: %s" % (type(exc).__name__, exc)
        logged = alerts.record_failure(cfg["alerts"], reason, now=now)
        if args.json:
            _emit(out, {"exit_code": EXIT_UNKNOWN, "error": reason, "lines": logged})
        else:
            for line in logged:
                out.write(line + "\n")
        if not logged or not cfg["alerts"].get("log_file"):
            err.write(_alert_log_line(reason, now) + "\n")
        return EXIT_UNKNOWN
    lines = result.get("lines") or []
    if args.json:
        _emit(out, {"exit_code": result["exit_code"], "findings": findings, "events": result.get("events", []),
                    "active": result.get("active", []), "lines": lines, "errors": result.get("errors", [])})
    else:
        for line in lines:
            out.write(line + "\n")
    logged = lines if cfg["alerts"].get("log_file") else []
    for error in result.get("errors") or []:
        if not any(error in line for line in logged):
            err.write(_alert_log_line(error, now) + "\n")
    return result["exit_code"]


def _restart_verdict(started, settled, crashes, cfg, restarted, seconds, before=None):
    """restart_check.came_back over two status snapshots (right after the restart, now) and
    pm2.log's crashes since the restart: {"healthy", "problems": [sentences], "apps", ...}."""
    return restart_check.came_back(
        started.get("pm2"), settled.get("pm2"), crashes=crashes, probe=settled.get("health"),
        expected=cfg["checks"]["expected_apps"], restarted=restarted, seconds=seconds, before=before,
    )


def cmd_restart(cfg, args, runner, out, err, now=None, sleep=time.sleep):
    """Restart (or reload) the apps, wait until they are online, watch them for the settling
    time (restart.settle_seconds), then judge them with restart_check.came_back: online at
    the end and no crash since the restart (pm2.log's crash events, restarts counters)."""
    ccfg = cfg["checks"]
    apps = list(cfg["restart"]["apps"]) or ["all"]
    log = []

    def say(message):
        line = "%s %s" % (_stamp(), printable(message))  # app names and health messages come from outside
        log.append(line)
        if not args.json:
            out.write(line + "\n")
            out.flush()

    def read_status():
        return checks.collect(ccfg, runner=runner, kind="status", now=now)

    def crashes_since(began, snapshot):
        try:
            return pm2.crash_events(os.path.join(snapshot["pm2"]["pm2_home"], "pm2.log"), began, now_epoch(now))
        except (OpsError, KeyError, TypeError) as exc:
            say("verify: crashes not counted from PM2's log (%s); the restarts counters still are" % exc)
            return []

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
        started = read_status()
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
        settled = read_status()
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


def cmd_silence(cfg, args, runner, out, err, now=None):
    """`silence add|list|remove`: alert silences kept in the alert state (silences.py)."""
    from . import silences

    conf = cfg["alerts"]
    now = now_epoch(now)
    action = getattr(args, "silence_action", None)
    if action == "add":
        silence, _created, _lines = silences.add(conf, args.target, args.for_, args.reason, now=now)
        data, text = silences.public(silence, now), ["Silenced %s until %s (id %s): %s" % (
            printable(silence["target"]), iso_time(silence["until"]), silence["id"], silence["reason"])]
    elif action == "remove":
        removed, _lines = silences.remove(conf, silence_id=args.id, now=now)
        data = {"removed": [silences.public(s, now) for s in removed]}
        text = ["Removed silence %s (%s)." % (s["id"], printable(s["target"])) for s in removed]
    elif action == "list":
        active = silences.listing(conf, now)
        data = {"silences": [silences.public(s, now) for s in active]}
        text = [silences.describe(s, now) for s in active] or ["No active silences."]
    else:
        raise OpsError("Choose what to do with silences: add, list or remove (see twzrd-ops silence --help).")
    if args.json:
        _emit(out, data)
    else:
        out.write("".join(line + "\n" for line in text))
    return 0


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
    added = []
    try:
        for target in restart_check.silence_targets(apps):
            added.append(silences.add(cfg["alerts"], target, seconds, "twzrd-ops restart of %s" % ", ".join(apps),
                                      now=now, by="twzrd-ops restart")[0])
    except OpsError as exc:
        err.write("restart: alerts not silenced during the restart: %s\n" % exc)
    try:
        return cmd_restart(cfg, args, runner, out, err, now=now)
    finally:
        for silence in added:
            try:
                silences.remove(cfg["alerts"], silence_id=silence["id"], now=now, missing_ok=True)
            except OpsError as exc:
                err.write("restart: the silence %s could not be lifted (it ends by itself at %s): %s\n"
                          % (silence["id"], iso_time(silence["until"]), exc))


def _record_config_failure(path, exc, out):
    """A configuration the checks cannot run with is delivered like any failed run (alert
    log, textfile, webhook "checks failed on HOST: ...") when the file's own "alerts"
    section is usable; True when it was logged there."""
    from . import alerts, config

    try:
        with open(path or config.DEFAULT_PATH, "rb") as handle:
            section = json.loads(handle.read().decode("utf-8")).get("alerts")
    except (OSError, ValueError, RecursionError, AttributeError):
        return False
    if not isinstance(section, dict):
        return False
    logged = alerts.record_failure(section, str(exc))
    for line in logged:
        out.write(line + "\n")
    return bool(logged) and bool(section.get("log_file", alerts.DEFAULTS["log_file"]))


COMMANDS = {"health": cmd_health, "alerts": cmd_alerts, "restart": cmd_restart_silenced, "silence": cmd_silence}


def _history_step(cfg, snapshot, findings, now=None):
    """The history part of the hourly run: record this run's sample (and prune), then add
    the judged trends (memory_leak_suspected, disk_full_forecast) to findings so the alert
    engine fires, reminds and resolves them like any rule. Never fatal: returns sentences
    for the alert log's WARNING lines; snapshot["history"] = {"error": ...} when the trends
    could not be judged (their alerts are then held, not resolved)."""
    from . import alert_rules, history

    conf = cfg.get("history") or history.validate({})
    now = now_epoch(now if now is not None else snapshot.get("epoch"))
    warnings = []

    def crashes_since(since):
        return alert_rules.crash_findings(snapshot, cfg["checks"], since, now)[1]

    try:
        warnings.extend(history.record(snapshot, conf["db_path"], now=now, retention_days=conf["retention_days"],
                                       crashes=crashes_since)["warnings"])
    except OpsError as exc:
        warnings.append(str(exc))
    except Exception as exc:  # pylint: disable=broad-except
        warnings.append("The history sample was not recorded: internal error: %s: %s" % (type(exc).__name__, exc))
    problem = history.add_trends(conf, snapshot, findings, now)
    if problem:
        warnings.append(problem)
    return warnings


def cmd_history(cfg, args, runner, out, err, now=None):
    """`history [--days N] [--app NAME]`: the samples, oldest first, and the judged trends."""
    from . import history
    from .common import number, size

    conf = cfg.get("history") or history.validate({})
    now = now_epoch(now)
    days = number("--days", args.days, minimum=0.001, maximum=36500, what="Option")
    samples = history.read(conf["db_path"], days=days, app=args.app, now=now)
    window = max(conf["leak_window_hours"], conf["disk_forecast_short_hours"], conf["disk_forecast_long_hours"]) / 24.0
    judged = history.judge(history.read(conf["db_path"], days=window, now=now), conf, now)
    if args.app is not None:
        judged = [t for t in judged if t["rule"] != history.LEAK_RULE or t["subject"] == args.app]
    if args.json:
        _emit(out, {"db_path": conf["db_path"], "days": days, "app": args.app, "samples": samples, "trends": judged})
        return 0
    if not samples:
        out.write("No history samples in the last %g days in %s (%s).\n" % (days, conf["db_path"], history.NO_HISTORY))
        return 0
    out.write("History in %s: %d samples from %s to %s.\n" % (
        conf["db_path"], len(samples), iso_time(samples[0]["t"]), iso_time(samples[-1]["t"])))

    def pct(value):
        return "-" if value is None else "%.1f" % value

    out.write("%-20s %6s %6s %6s %10s  %s\n" % ("TIME (UTC)", "MEM%", "SWAP%", "LOAD1", "PM2 DAEMON", "DISKS"))
    for sample in samples:
        disks = " ".join("%s=%s%%" % (path, pct(d["percent"])) for path, d in sorted(sample["disks"].items()))
        out.write("%-20s %6s %6s %6s %10s  %s\n" % (
            iso_time(sample["t"]), pct(sample["memory_percent"]), pct(sample["swap_percent"]), pct(sample["load1"]),
            size(sample["daemon_memory"]) if sample["daemon_memory"] else "-", printable(disks)))
        for name, app in sorted(sample["apps"].items()):
            out.write("    %s: %s, cpu %s%%, restarts %s, crashes %s, %s\n" % (
                printable(name), size(app["memory"]), pct(app["cpu"]), app["restarts"], app["crashes"],
                printable(app["status"] or "?")))
    out.write("Trends:%s\n" % ("" if judged else " none"))
    for trend in judged:
        out.write("  %s %s: %s\n" % (trend["level"].upper(), trend["rule"], printable(trend["message"])))
    return 0


COMMANDS["history"] = cmd_history


def main(argv=None, out=None, err=None, runner=None):
    """Entry point of /usr/local/sbin/twzrd-ops; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _Usage as exc:
        err.write("twzrd-ops: %s (see twzrd-ops --help).\n" % exc)
        return EXIT_UNKNOWN
    if not getattr(args, "command", None):
        err.write("twzrd-ops: choose a subcommand: health, alerts, restart, silence or history (see twzrd-ops --help).\n")
        return EXIT_UNKNOWN
    args.json = getattr(args, "json", False)
    args.config = getattr(args, "config", None)
    try:
        from . import config

        cfg = config.load(args.config or config.DEFAULT_PATH)
        # RUNNER_TIMEOUT bounds all the commands of the run together (pm2 and the like).
        runner = runner or subprocess_runner(RUNNER_TIMEOUT, total=RUNNER_TIMEOUT)
        return COMMANDS[args.command](cfg, args, runner, out, err)
    except OpsError as exc:
        if args.command == "alerts" and _record_config_failure(args.config, exc, out):
            return EXIT_UNKNOWN
        # The alert job's stderr goes to the alert log: keep that log in one line format.
        err.write("%s\n" % (_alert_log_line(exc) if args.command == "alerts" else exc))
        return EXIT_UNKNOWN
    except KeyboardInterrupt:
        err.write("twzrd-ops: interrupted.\n")
        return EXIT_UNKNOWN
    except Exception as exc:  # pylint: disable=broad-except
        # The last line of defence of a cron job: one line, exit 3, never a traceback.
        err.write("internal error: %s: %s\n" % (type(exc).__name__, exc))
        return EXIT_UNKNOWN
