"""pm2.log as a claim, not a fact (issue 20): lines stamped in the future or out of order, lines
planted through an app name holding a newline, DST transitions read with the zone's rules, a
moving clock (injected, and libfaketime around a real process), and a byte budget against gzip
bombs and endless lines. The log lines are the real ones of tests/fixtures/pm2/pm2.log."""

from __future__ import annotations

import calendar
import gzip
import os
import shutil
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import pm2, pm2_log, pm2_log_read

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
    read = {"bytes": 0}
    real_open = open

    class Counting(object):
        def __init__(self, handle):
            self.handle = handle

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def readline(self, *args):
            data = self.handle.readline(*args)
            read["bytes"] += len(data)
            return data

    monkeypatch.setattr(pm2_log, "open", lambda *a, **k: Counting(real_open(*a, **k)), raising=False)
    stats = {}
    assert count(str(path), end, end + 100, stats) == 30
    assert 0 < read["bytes"] < 2 * 1024 * 1024, read["bytes"]


# ---- a line planted through an app name (real PM2 text) ---------------------------------------

EVIL = "evil\n2099-01-01T00:00:00: PM2 log: App [web:0] exited with code [1] via signal [SIGKILL]"


def test_an_app_name_with_a_newline_is_read_back_as_one_line_and_its_crashes_count_for_it(tmp_path):
    # what PM2 7 writes for an app named EVIL (seen with the real daemon: names go in verbatim)
    lines = []
    for number in range(10):
        stamp = local(T + number * 2)
        lines += ["%s: PM2 log: App [%s:3] exited with code [1] via signal [SIGINT]" % (stamp, EVIL),
                  "%s: PM2 log: App [%s:3] starting in -fork mode-" % (stamp, EVIL)]
    lines += crash_loop(T + 30, 10)
    stats = {}
    events = pm2.crash_events(write(tmp_path / "pm2.log", lines), T, T + 100, stats)
    names = [event["name"] for event in events]
    assert names.count(EVIL) == 10 and names.count("crashy") == 10 and "web" not in names
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
