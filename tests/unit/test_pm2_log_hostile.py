"""pm2.log as a claim, not a fact (issue 20): lines stamped in the future or out of order, lines
planted through an app name holding a newline, DST transitions read with the zone's rules, a
moving clock (injected, and libfaketime around a real process), and a byte budget against gzip
bombs and endless lines. The log lines are the real ones of tests/fixtures/pm2/pm2.log."""

from __future__ import annotations

import calendar
import os
import subprocess
import sys
import time

import pytest
from hypothesis import example, HealthCheck, given, settings, strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import pm2, pm2_log

from readcount import count_reads

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "pm2", "pm2.log")
COLLECTIONS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(pm2.__file__)))))))
EXIT = "PM2 log: App [crashy:1] exited with code [1] via signal [SIGINT]"
START = "PM2 log: App [crashy:1] starting in -fork mode-"


def utc(stamp):
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%S"))


def local(epoch):
    """A pm2.log stamp as PM2 writes it: the daemon's local wall-clock time, no offset."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(epoch))


@pytest.fixture(autouse=True)
def zone(monkeypatch):
    def set_zone(name):
        monkeypatch.setenv("TZ", name)
        time.tzset()

    set_zone("UTC")
    yield set_zone
    monkeypatch.undo()
    time.tzset()


def crash_loop(start, count, every=3):
    """The lines of a crash loop: an exit and a restart every `every` seconds from start."""
    lines = []
    for number in range(count):
        stamp = local(start + number * every)
        lines += ["%s: %s" % (stamp, EXIT), "%s: %s" % (stamp, START)]
    return lines


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def count(path, since, until, stats=None):
    return len(pm2.crash_events(path, since, until, stats=stats))


T = utc("2026-11-27T22:00:00")


# ---- future and out-of-order stamps --------------------------------------------------------


@pytest.mark.parametrize("planted", ["2099-01-01T00:00:00", "2027-11-27T22:00:00", "2026-11-27T22:30:00"])
def test_a_line_stamped_in_the_future_hides_no_later_crash(tmp_path, planted):
    lines = crash_loop(T, 40)
    lines.insert(20, "%s: PM2 log: App [web:0] exited with code [1] via signal [SIGKILL]" % planted)
    stats = {}
    assert count(write(tmp_path / "pm2.log", lines), T, T + 200, stats) == 40
    assert stats == {"future": 1}


def test_a_line_stamped_in_the_past_amid_the_window_is_skipped_and_said(tmp_path):
    lines = crash_loop(T, 40)
    lines.insert(30, "1999-01-01T00:00:00: " + EXIT)
    lines.insert(50, "2026-11-20T00:00:00: " + EXIT)
    stats = {}
    assert count(write(tmp_path / "pm2.log", lines), T, T + 200, stats) == 40
    assert stats == {"out_of_order": 2}
    (said,) = pm2_log.read_warnings("/h/pm2.log", stats)
    assert said == ("2 lines of /h/pm2.log had a time out of order (2 before the lines around them) and were skipped "
                    "when counting crashes; the lines after them were still counted.")


def test_events_are_returned_in_time_order_whatever_the_file_order(tmp_path):
    lines = crash_loop(T, 5)
    lines.insert(2, "%s: %s" % (local(T + 100), EXIT.replace("crashy:1", "web:0")))
    events = pm2.crash_events(write(tmp_path / "pm2.log", lines), T, T + 200)
    assert [event["time"] for event in events] == sorted(event["time"] for event in events)
    assert events[-1]["name"] == "web"


def test_a_big_log_with_planted_stamps_is_still_bisected_and_counts_every_crash(tmp_path, monkeypatch):
    """~12 MB of ordered lines with lines stamped 1970, 2099 and a week off planted all over it,
    also right before the window: the bisection does not jump past real lines, reads little."""
    path = tmp_path / "pm2.log"
    quiet = "PM2 log: App [web:0] online"
    with open(str(path), "w") as handle:
        second = 0
        while handle.tell() < 12 * 1024 * 1024:
            handle.write("%s: %s\n" % (local(T + second), quiet))
            if second % 20011 == 0:
                for planted in ("1970-01-02T00:00:00", "2099-01-01T00:00:00", local(T - 7 * 86400), local(T + 7 * 86400)):
                    handle.write("%s: %s\n" % (planted, EXIT))
            second += 1
        end = T + second
        handle.write("1970-01-02T00:00:00: %s\n" % quiet)
        for line in crash_loop(end, 30):
            handle.write(line + "\n")
    read = count_reads(monkeypatch)
    stats = {}
    assert count(str(path), end, end + 100, stats) == 30
    assert 0 < read["bytes"] < 2 * 1024 * 1024, read["bytes"]


# ---- a line planted through an app name (real PM2 text) ---------------------------------------

EVIL = "evil\n2099-01-01T00:00:00: PM2 log: App [web:0] exited with code [1] via signal [SIGKILL]"


def test_an_app_name_with_a_newline_is_read_back_as_one_line_and_its_crashes_count_for_it(tmp_path):
    # what PM2 7 writes for an app named EVIL (seen with the real daemon: names go in verbatim)
    lines = []
    for number in range(10):  # each physical line split at the name's newline, as in the file
        stamp = local(T + number * 2)
        lines += ["%s: PM2 log: App [%s:3] exited with code [1] via signal [SIGINT]" % (stamp, EVIL),
                  "%s: PM2 log: App [%s:3] starting in -fork mode-" % (stamp, EVIL),
                  "%s: PM2 log: App [%s:3] online" % (stamp, EVIL)]
    lines += crash_loop(T + 30, 10)
    stats = {}
    events = pm2.crash_events(write(tmp_path / "pm2.log", lines), T, T + 100, stats)
    names = [event["name"] for event in events]
    assert names.count(EVIL) == 10 and names.count("crashy") == 10 and len(names) == 20  # no crash of web, nor of "evil...App [web"
    assert stats == {}


def test_a_planted_future_line_then_real_crashes_in_pm2_status(tmp_path):
    lines = ["%s: PM2 log: App [%s\n2099-01-01T00:00:00: PM2 log: x:3] online" % (local(T), "evil")] + crash_loop(T + 1, 12)
    write(tmp_path / "pm2.log", [line for chunk in lines for line in chunk.split("\n")])
    events = pm2.crash_events(str(tmp_path / "pm2.log"), T, T + 100)
    assert len(events) == 12


# ---- property: a planted line never hides a real crash --------------------------------------

HEAD = crash_loop(T - 4000, 1300)  # ~130 KB: pm2.log is bisected
REAL = crash_loop(T, 25)
STAMPS = st.one_of(
    st.integers(min_value=0, max_value=4102444800).map(local),
    st.sampled_from(["2026-13-45T99:99:99", "0000-00-00T00:00:00", local(T + 10), local(T - 1), local(T + 3600)]),
)
MESSAGES = st.sampled_from([
    EXIT, START, "PM2 log: Stopping app:web id:0", "PM2 log: App [web:0] exited with code [0] via signal [SIGINT]",
    "PM2 log: App [evil\nx:3] online", "PM2 log: anything", "",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(planted=[(len(HEAD) + len(REAL), local(0), EXIT)], cut=len(HEAD) + len(REAL))  # pm2.log: one line of 1970
@given(planted=st.lists(st.tuples(st.integers(0, len(HEAD) + len(REAL)), STAMPS, MESSAGES), min_size=1, max_size=3),
       cut=st.integers(0, len(HEAD) + len(REAL)))
def test_inserting_lines_with_any_stamp_never_hides_a_real_crash(tmp_path, planted, cut):
    """Any line (any stamp or none that parses, a crash, a restart, an app name holding a newline
    as PM2 writes it, a stop of ANOTHER app) put anywhere, pm2.log rotated anywhere: the real
    crashes of the window are all still counted. (A planted "Stopping app:crashy" stamped just
    before a real exit of crashy is what PM2 writes for a planned restart: no reader can tell.)"""
    lines = HEAD + REAL
    for position, stamp, message in sorted(planted, reverse=True):
        lines[position:position] = ("%s: %s" % (stamp, message)).split("\n")
    write(tmp_path / "pm2.log.1", lines[:cut])
    write(tmp_path / "pm2.log", lines[cut:])
    events = pm2.crash_events(str(tmp_path / "pm2.log"), T, T + 100)
    real = [event for event in events if event["name"] == "crashy" and event["time"] in set(T + 3 * n for n in range(25))]
    assert len(set(event["time"] for event in real)) == 25


# ---- DST: local stamps read with the zone's rules -------------------------------------------


@pytest.mark.parametrize("name, repeated_utc", [
    ("Europe/Berlin", "2026-10-25T00:00:00"),     # 03:00 CEST -> 02:00 CET: 02:00-03:00 twice
    ("America/New_York", "2026-11-01T05:00:00"),  # 02:00 EDT -> 01:00 EST: 01:00-02:00 twice
])
@pytest.mark.parametrize("pass_", [0, 1])
def test_a_crash_loop_in_the_repeated_fall_back_hour_is_counted(tmp_path, zone, name, repeated_utc, pass_):
    zone(name)
    first = utc(repeated_utc)
    # quiet lines through both passes of the hour, the crash loop in one of them
    lines = ["%s: PM2 log: App [web:0] online" % local(first + second) for second in range(0, 7200, 60)]
    loop_start = first + pass_ * 3600 + 1800
    loop = crash_loop(loop_start, 100)  # 300 s
    position = next(index for index, line in enumerate(lines) if utc_of_line(first, index) > loop_start)
    lines[position:position] = loop
    now = loop_start + 300
    path = write(tmp_path / "pm2.log", lines)
    assert local(loop_start)[11:13] == local(loop_start + 3600 * (1 - 2 * pass_))[11:13]  # the wall clock is ambiguous
    assert count(path, now - 300, now) == 100
    assert count(path, now - 60, now) == 20


def utc_of_line(first, index):
    return first + index * 60


def test_a_stamp_in_the_spring_forward_gap_is_read_not_dropped(tmp_path, zone):
    zone("Europe/Berlin")  # 2026-03-29 02:00 CET -> 03:00 CEST: 02:xx does not exist
    gap = ["2026-03-29T02:%02d:00: %s" % (minute, EXIT) for minute in range(10, 50, 10)]
    loop = crash_loop(utc("2026-03-29T00:55:00"), 200)  # across the jump, 00:55-01:05 UTC
    path = write(tmp_path / "pm2.log", loop[:100] + gap + loop[100:])
    assert count(path, utc("2026-03-29T00:00:00"), utc("2026-03-29T03:00:00")) == 204
    # the loop across the jump: every crash on either side, none an hour off
    assert count(path, utc("2026-03-29T00:55:00"), utc("2026-03-29T01:05:00")) == 200
    events = pm2.crash_events(path, utc("2026-03-29T00:00:00"), utc("2026-03-29T03:00:00"))
    gap_times = sorted(set(event["time"] for event in events) - set(utc("2026-03-29T00:55:00") + 3 * n for n in range(200)))
    assert len(gap_times) == 4 and all(utc("2026-03-29T00:00:00") <= stamp <= utc("2026-03-29T02:00:00") for stamp in gap_times)


# ---- a moving clock -----------------------------------------------------------------------


def _status(home, now, **kwargs):
    def runner(argv, env=None):  # stand-in for `pm2 jlist`: its REAL captured output; the log is the subject here
        with open(os.path.join(os.path.dirname(FIXTURE), "jlist-apps.txt")) as handle:
            return 0, handle.read(), ""
    pm2_path = os.path.join(home, "pm2-stand-in")
    with open(pm2_path, "w") as handle:
        handle.write("#!/bin/sh\n")
    os.chmod(pm2_path, 0o755)
    return pm2.pm2_status(runner, pm2_path=pm2_path, pm2_home=home, now=now, **kwargs)


@pytest.mark.parametrize("shift, crashes, weekly, future", [
    (0, 100, 100, 0),
    (3600, 0, 100, 0),
    (-3600, 0, 0, 200),
    (30 * 86400, 0, 0, 0),
    (-30 * 86400, 0, 0, 200),
    (365 * 86400, 0, 0, 0),
    (-365 * 86400, 0, 0, 200),
])
def test_the_injected_clock_moved_around_the_log(pm2_daemon_home, shift, crashes, weekly, future):
    start = T - 300
    write_lines = crash_loop(start, 100)
    with open(os.path.join(pm2_daemon_home, "pm2.log"), "w") as handle:
        handle.write("".join(line + "\n" for line in write_lines))
    result = _status(pm2_daemon_home, T + shift, report_window=7 * 86400, events_since=T + shift - 400 * 86400)
    assert result["summary"]["crashes"].get("crashy", 0) == crashes
    assert result["report_window"]["crashes"].get("crashy", 0) == weekly
    assert len(result["events"]) == (0 if future else 100)
    said = [warning for warning in result["warnings"] if "out of order" in warning]
    if future:
        assert said == ["%d lines of %s/pm2.log had a time out of order (%d after now) and were skipped when counting crashes; "
                        "the lines after them were still counted." % (future, pm2_daemon_home, future)]
    else:
        assert said == []


def test_events_come_from_the_one_read_and_reach_back_to_events_since(pm2_daemon_home):
    with open(os.path.join(pm2_daemon_home, "pm2.log"), "w") as handle:
        handle.write("".join(line + "\n" for line in crash_loop(T - 3000, 1000)))
    now = T
    plain = _status(pm2_daemon_home, now, crash_window=300)
    assert len(plain["events"]) == 100 and plain["summary"]["crashes"]["crashy"] == 100
    wide = _status(pm2_daemon_home, now, crash_window=300, report_window=600, events_since=now - 2000)
    written = [T - 3000 + 3 * n for n in range(1000)]
    assert [event["time"] for event in wide["events"]] == [stamp for stamp in written if now - 2000 <= stamp <= now]
    assert wide["summary"]["crashes"]["crashy"] == 100 and wide["report_window"]["crashes"]["crashy"] == 200
    assert set(wide["events"][0]) == {"name", "pm_id", "time", "code", "signal"}
    assert _status(pm2_daemon_home, now, crash_window=0)["events"] == []
    assert len(_status(pm2_daemon_home, now, crash_window=0, events_since=now - 30)["events"]) == 10


@pytest.mark.parametrize("offset, counted, warned", [("+0d", 20, False), ("+365d", 0, False), ("-365d", 0, True), ("-1h", 0, True)])
def test_a_real_process_under_libfaketime(tmp_path, offset, counted, warned, require_tool):
    """The real clock of a real process moved by libfaketime: crashes stamped "now" (the true
    time) are counted in a window ending at the process's now, or said to be in its future."""
    faketime = require_tool("faketime", "it moves a real process's clock")
    real_now = time.time()
    write(tmp_path / "pm2.log", crash_loop(real_now - 60, 20))
    script = (
        "import sys, time; sys.path.insert(0, %r)\n"
        "from ansible_collections.twzrd.ops.plugins.module_utils import pm2_log\n"
        "stats = {}; now = time.time()\n"
        "print(len(pm2_log.crash_events(%r, now - 300, now, stats=stats)), now)\n"
        "print(pm2_log.read_warnings('pm2.log', stats))\n" % (COLLECTIONS, str(tmp_path / "pm2.log"))
    )
    env = dict(os.environ, TZ="UTC", FAKETIME_DONT_FAKE_MONOTONIC="1")
    proc = subprocess.run([faketime, "-f", offset, sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()
    number, seen_now = first.split()
    if offset != "+0d":
        assert abs(float(seen_now) - real_now) > 3000  # the clock did move
    assert int(number) == counted
    assert ("after now" in second) is warned
