# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The on-host command `twzrd-ops`, run by cron and by operators.

  twzrd-ops [--config FILE] [--json] health    weekly report (saved under reports.dir)
  twzrd-ops [--config FILE] [--json] alerts    hourly threshold check (alert engine)
  twzrd-ops [--config FILE] [--json] silence add TARGET --for 2h --reason TEXT | list | remove ID|TARGET|all
  twzrd-ops [--config FILE] [--json] history [--days N] [--app NAME]   per-host samples and trends
  twzrd-ops [--config FILE] [--json] notify --test | --report   a test message / the weekly report's summary
            through every alert channel
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
import signal
import sys

from . import alerts, cli_notify, cli_restart, cli_views, config, jsondoc, pm2, run_journal, runs, silences
from .cli_views import emit as _emit
from .common import EXIT_CODES, UNKNOWN, OpsError, iso_time, now_epoch, printable, subprocess_runner
from .version import VERSION

EXIT_UNKNOWN = EXIT_CODES[UNKNOWN]
RUNNER_TIMEOUT = 120


class _Terminated(BaseException):
    """SIGTERM (a shutdown, `timeout`, systemd): raised between two steps of the run, so the
    step under way is either done or not started (every state and report write is atomic);
    no `except Exception` of the run catches it."""


def _on_sigterm(_signum, _frame):
    raise _Terminated()


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
    parser.add_argument("--version", action="store_true", help="print the twzrd.ops version and exit")
    subs = parser.add_subparsers(dest="command", metavar="{health,alerts,restart,silence,history,status,notify}", parser_class=_Parser)
    subs.add_parser("health", parents=[common], help="weekly health report, saved to the reports directory")
    subs.add_parser("alerts", parents=[common], help="hourly alert check; events go to the alert log")
    silence = subs.add_parser("silence", parents=[common], help="silence alerts for planned work: add, list, remove")
    actions = silence.add_subparsers(dest="silence_action", metavar="{add,list,remove}", parser_class=_Parser)
    add = actions.add_parser("add", parents=[common], help="silence TARGET (rule, rule:subject or all) for a while")
    add.add_argument("target", help="a rule (swap), rule:subject (pm2_app_down:milo-aggregator) or all")
    add.add_argument("--for", dest="for_", required=True, help="how long, e.g. 30m, 2h, 1d (at most silence_max_hours)")
    add.add_argument("--reason", required=True, help="why (shown in the alert log next to every silenced event)")
    actions.add_parser("list", parents=[common], help="the active silences")
    remove = actions.add_parser("remove", parents=[common], help="lift the silence ID, every silence of TARGET, or all of them")
    remove.add_argument("id", metavar="ID|TARGET|all", help="a silence id (silence list shows it), a target (its silences) or all (every silence)")
    restart = subs.add_parser("restart", parents=[common], help="restart the PM2 apps and verify they come back healthy")
    restart.add_argument("--mode", choices=sorted(pm2.MODES, reverse=True), default=None,
                         help="pm2 restart, or pm2 reload (zero-downtime for cluster-mode apps); default: restart.mode of the configuration")
    subs.add_parser("status", parents=[common], help="did the cron jobs run and what did they do: last runs, active alerts and silences")
    notify = subs.add_parser("notify", parents=[common], help="send one test message through every alert channel (--test)")
    notify.add_argument("--test", action="store_true", help="send the test message (exit 2 naming the channels that failed)")
    notify.add_argument("--report", action="store_true", help="send the newest weekly report's summary (not to Alertmanager or PagerDuty)")
    hist = subs.add_parser("history", parents=[common], help="the samples of the per-host history and their judged trends")
    hist.add_argument("--days", default="7", help="how many days back to print (default 7)")
    hist.add_argument("--app", default=None, help="only this PM2 app")
    return parser


def _stamp(now=None):
    return iso_time(now_epoch(now))


def cmd_health(cfg, args, runner, out, err, now=None):
    """The weekly report (runs.weekly, the same run as the host_check module's)."""
    result = runs.weekly(cfg, runner, now=now, report_dir=cfg["reports"]["dir"])
    saved, problem = result["report"], result["report"]["error"]
    if args.json:
        _emit(out, {"version": VERSION, "verdict": result["verdict"], "findings": result["findings"], "snapshot": result["snapshot"],
                    "report": {"text": saved["path"], "json": saved["json"]} if saved["written"] else {},
                    "pruned": result["pruned"]})
    else:
        out.write(result.get("text") or "")
        if saved["written"]:
            out.write("\nReport saved to %s (and %s).\n" % (saved["path"], saved["json"]))
        for path in result["pruned"]:
            out.write("Pruned old report %s.\n" % path)
    if result.get("prune_warning"):
        err.write(result["prune_warning"] + "\n")
    args.summary = "verdict %s%s" % (result["verdict"], "; report %s" % saved["path"] if saved["written"] else "")
    if problem:
        err.write(problem + "\n")
        args.summary = "verdict %s; the report was not written: %s" % (result["verdict"], problem)
        return EXIT_UNKNOWN
    return result["exit_code"]


def _alert_log_line(message, now=None):
    """A problem in the alert log's own line format (docs/ALERTS.md), for stderr."""
    return "%s ERROR unknown twzrd-ops: %s" % (_stamp(now), printable(" ".join(str(message).split())))


def cmd_alerts(cfg, args, runner, out, err, now=None):
    """The hourly run between the two pings of its dead-man's switch (alerts.heartbeat):
    at start, and at the end with the exit code. A failed ping goes to stderr."""

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
    try:
        _snapshot, findings, result = runs.hourly(cfg, runner, now=now)
    except Exception as exc:  # pylint: disable=broad-except
        # Unknown is loud: a failed tool, a state that cannot be used or a bug is delivered
        # like a finding (alert log, textfile, webhook "checks failed on HOST: reason").
        reason = str(exc) if isinstance(exc, OpsError) else "internal error: %s: %s" % (type(exc).__name__, exc)
        args.summary = "the checks failed: %s" % reason
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
    count = len(result["events"])
    args.summary = "%s; %d event%s" % (result["summary"], count, "" if count == 1 else "s")
    if args.json:
        _emit(out, {"exit_code": result["exit_code"], "findings": findings, "events": result.get("events", []),
                    "active": result.get("active", []), "lines": lines, "errors": result.get("errors", [])})
    else:
        for line in lines:
            out.write(line + "\n")
    for error in result["unlogged"]:
        err.write(_alert_log_line(error, now) + "\n")
    return result["exit_code"]


def cmd_silence(cfg, args, runner, out, err, now=None):
    """`silence add|list|remove`: alert silences kept in the alert state (silences.py)."""
    conf = cfg["alerts"]
    now = now_epoch(now)
    action = getattr(args, "silence_action", None)
    if action == "add":
        silence, _created, _lines = silences.add(conf, args.target, args.for_, args.reason, now=now)
        data, text = silences.public(silence, now), ["Silenced %s until %s (id %s): %s" % (
            printable(silence["target"]), iso_time(silence["until"]), silence["id"], silence["reason"])]
    elif action == "remove":
        silence_id, target = silences.parse_removal(args.id)
        removed, _lines = silences.remove(conf, silence_id=silence_id, target=target, now=now)
        data = {"removed": [silences.public(s, now) for s in removed]}
        text = ["Removed silence %s (%s)." % (s["id"], printable(s["target"])) for s in removed] or [
            "No active silence of target %s to remove." % printable(target)]
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


def _record_config_failure(path, exc, out):
    """A configuration the checks cannot run with is delivered like any failed run (alert
    log, textfile, webhook "checks failed on HOST: ...") when the file's own "alerts"
    section is usable; True when it was logged there."""
    try:
        with open(path or config.DEFAULT_PATH, "rb") as handle:
            section = jsondoc.loads(handle.read().decode("utf-8")).get("alerts")
    except (OSError, ValueError, RecursionError, AttributeError):
        return False
    if not isinstance(section, dict):
        return False
    logged = alerts.record_failure(section, str(exc))
    for line in logged:
        out.write(line + "\n")
    return bool(logged) and bool(section.get("log_file", alerts.DEFAULTS["log_file"]))


COMMANDS = {"health": cmd_health, "alerts": cmd_alerts, "restart": cli_restart.cmd_restart_silenced, "silence": cmd_silence}


COMMANDS["history"] = cli_views.cmd_history


COMMANDS["status"] = cli_views.cmd_status


COMMANDS["notify"] = cli_notify.cmd_notify


def _run_recorded(cfg, args, runner, out, err):
    """Run the command; health, alerts and restart also leave their last run in the journal."""
    started = now_epoch()
    args.summary = ""
    code = COMMANDS[args.command](cfg, args, runner, out, err)
    if args.command in run_journal.JOBS:
        problem = run_journal.record(run_journal.path_for(cfg["alerts"]["state_file"]), args.command,
                                     run_journal.entry(started, now_epoch(), code, args.summary))
        # Said when the run itself went well; a run that failed has already said why.
        if problem and code != EXIT_UNKNOWN:
            err.write((_alert_log_line(problem) if args.command == "alerts" else problem) + "\n")
    return code


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
    if getattr(args, "version", False):
        out.write("twzrd-ops %s (twzrd.ops collection)\n" % VERSION)
        return 0
    if not getattr(args, "command", None):
        err.write("twzrd-ops: choose a subcommand: health, alerts, restart, silence, history, status or notify (see twzrd-ops --help).\n")
        return EXIT_UNKNOWN
    args.json = getattr(args, "json", False)
    args.config = getattr(args, "config", None)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        cfg = config.load(args.config or config.DEFAULT_PATH)
        # RUNNER_TIMEOUT bounds all the commands of the run together (pm2 and the like).
        runner = runner or subprocess_runner(RUNNER_TIMEOUT, total=RUNNER_TIMEOUT)
        return _run_recorded(cfg, args, runner, out, err)
    except OpsError as exc:
        if args.command == "alerts" and _record_config_failure(args.config, exc, out):
            return EXIT_UNKNOWN
        # The alert job's stderr goes to the alert log: keep that log in one line format.
        err.write("%s\n" % (_alert_log_line(exc) if args.command == "alerts" else exc))
        return EXIT_UNKNOWN
    except KeyboardInterrupt:
        err.write("twzrd-ops: interrupted.\n")
        return EXIT_UNKNOWN
    except BrokenPipeError:
        # `twzrd-ops history | head`: the reader has what it wanted; nothing more to say.
        return 0
    except _Terminated:
        err.write("twzrd-ops: stopped by SIGTERM; what this run wrote ahead is logged and sent by the next run.\n")
        return EXIT_UNKNOWN
    except Exception as exc:  # pylint: disable=broad-except
        # The last line of defence of a cron job: one line, exit 3, never a traceback.
        err.write("internal error: %s: %s\n" % (type(exc).__name__, exc))
        return EXIT_UNKNOWN
    finally:
        signal.signal(signal.SIGTERM, previous)
