"""Issue 24's readable output on the host: repeated log lines fold into one line with a count
(logscan.fold_repeats, used by the weekly report), and a restart run by hand is written to
the Friday job's log in the job's own line format, once (cli_restart.RunLog)."""

from __future__ import annotations

import io
import os
import time

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import cli_restart, logscan, report

STAMPS = ["2026-12-0%dT0%d:00:0%dZ" % (day, hour, second) for day in (1, 2) for hour in (1, 2) for second in (0, 5)]


def test_lines_equal_but_for_their_time_stamp_fold_with_a_count():
    lines = ["%s Error: ECONNREFUSED 127.0.0.1:5432" % stamp for stamp in STAMPS[:5]]
    lines.insert(2, "2026-12-01 01:30:00 TypeError: x is undefined")
    folded = logscan.fold_repeats(lines)
    assert folded == [
        {"line": "2026-12-01 01:30:00 TypeError: x is undefined", "count": 1},
        {"line": "%s Error: ECONNREFUSED 127.0.0.1:5432" % STAMPS[4], "count": 5},
    ]


def test_pm2_prefixes_and_bracketed_stamps_fold_too():
    lines = ["0|web  | [2026-12-01 01:00:00.123] ERROR db down", "0|web  | [2026-12-01 01:00:07.456] ERROR db down"]
    assert logscan.fold_repeats(lines) == [{"line": lines[1], "count": 2}]


def test_different_messages_never_fold():
    lines = ["2026-12-01T01:00:00Z ERROR a", "2026-12-01T01:00:00Z ERROR b", "ERROR a 2026-12-01T01:00:00Z"]
    assert [entry["count"] for entry in logscan.fold_repeats(lines)] == [1, 1, 1]


@given(st.lists(st.sampled_from(["ERROR a", "ERROR b", "FATAL c", "x"]).flatmap(
    lambda text: st.sampled_from(STAMPS).map(lambda stamp: "%s %s" % (stamp, text))), max_size=40))
def test_folding_loses_no_line_and_keeps_the_newest_last(lines):
    folded = logscan.fold_repeats(lines)
    assert sum(entry["count"] for entry in folded) == len(lines)
    assert len({entry["line"].split(" ", 1)[1] for entry in folded}) == len(folded)
    if lines:
        assert folded[-1]["line"] == lines[-1]


def test_the_weekly_report_shows_a_repeated_error_once_with_its_count(tmp_path):
    log = tmp_path / "web-error.log"
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60))
    log.write_text(("%s Error: ECONNREFUSED 127.0.0.1:5432\n" % stamp) * 30
                   + "%s FATAL out of memory\n" % stamp)
    logs = logscan.scan([str(log)], now=now)
    assert logs["total"] == 31
    text = report.render_text({"host": "web-1", "epoch": now, "logs": logs}, [], "ok")
    shown = [line for line in text.splitlines() if "ECONNREFUSED" in line]
    assert shown == ["    %s Error: ECONNREFUSED 127.0.0.1:5432  (30 times)" % stamp]
    assert "most recent (a repeated line once, with its count):" in text
    assert text.index("ECONNREFUSED") < text.index("FATAL out of memory")


# --- a restart by hand goes to the Friday job's log ------------------------------------------


def test_a_hand_run_appends_its_lines_to_the_restart_log(tmp_path):
    log = tmp_path / "twzrd-restart.log"
    log.write_text("2026-12-04T01:00:05Z restart: OK\n")
    err = io.StringIO()
    run_log = cli_restart.RunLog(str(log), io.StringIO(), err)
    run_log.line("2026-12-06T09:00:00Z restart: restarting all as PM2 user twzrd")
    run_log.close()
    assert log.read_text().splitlines() == ["2026-12-04T01:00:05Z restart: OK",
                                            "2026-12-06T09:00:00Z restart: restarting all as PM2 user twzrd"]
    assert err.getvalue() == ""


def test_the_cron_job_whose_output_is_the_log_is_not_logged_twice(tmp_path):
    log = tmp_path / "twzrd-restart.log"
    log.write_text("")
    with open(str(log), "a") as stdout:  # cron's `>> LOG 2>&1`: stdout is the log itself
        run_log = cli_restart.RunLog(str(log), stdout, io.StringIO())
        assert run_log.fd is None
        run_log.line("2026-12-06T01:00:00Z restart: OK")
    assert log.read_text() == ""


def test_no_log_is_created_on_a_host_the_role_did_not_set_up(tmp_path):
    path = tmp_path / "twzrd-restart.log"
    cli_restart.RunLog(str(path), io.StringIO(), io.StringIO()).line("x")
    assert not path.exists()


def test_a_log_that_cannot_be_written_is_said_once_and_the_restart_goes_on(tmp_path):
    target = tmp_path / "elsewhere.log"
    target.write_text("")
    link = tmp_path / "twzrd-restart.log"
    os.symlink(str(target), str(link))  # never written through a link
    err = io.StringIO()
    run_log = cli_restart.RunLog(str(link), io.StringIO(), err)
    run_log.line("2026-12-06T09:00:00Z restart: OK")
    assert err.getvalue().startswith("restart: not logged to %s: " % link)
    assert err.getvalue().count("\n") == 1 and target.read_text() == ""
