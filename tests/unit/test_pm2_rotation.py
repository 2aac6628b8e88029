"""Crash counting across a rotation of PM2's daemon log (pm2.log -> pm2.log.1 -> pm2.log.2.gz).

The log lines are the real ones of tests/fixtures/pm2/pm2.log (a real PM2 7 daemon: planned
restarts, a cluster reload, kills and a crash loop). The files are cut the way the role's
logrotate configuration cuts them (copytruncate, delaycompress); the real logrotate binary and
a real crashing app are driven in tests/integration/test_pm2_logrotate.py.
"""

from __future__ import annotations

import calendar
import gzip
import os
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import pm2

from readcount import count_reads

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "pm2", "pm2.log")


def utc(stamp):
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%S"))


@pytest.fixture(autouse=True)
def tz_utc(monkeypatch):
    """pm2.log timestamps are local time; the fixture was written on a UTC host."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="module")
def lines():
    with open(FIXTURE, "rb") as handle:
        return handle.read().splitlines(True)


def counts(events):
    found = {}
    for event in events:
        found[event["name"]] = found.get(event["name"], 0) + 1
    return found


def summary(events):
    return [(event["name"], event["pm_id"], event["time"], event["code"], event["signal"]) for event in events]


# The windows of the tests: the whole log, from the cluster reload on, the kills, the crash loop.
WINDOWS = [utc("2026-11-27T22:31:00"), utc("2026-11-27T22:32:04"), utc("2026-11-27T22:32:15"), utc("2026-11-27T22:32:21")]


def test_every_cut_of_the_log_gives_the_same_crashes_as_the_whole_log(tmp_path, lines):
    """pm2.log rotated after any line (between a "Stopping app" and its exit, inside the crash
    loop, ...) yields exactly the crashes of the unrotated log, for every window."""
    whole = tmp_path / "whole.log"
    whole.write_bytes(b"".join(lines))
    expected = dict((since, summary(pm2.crash_events(str(whole), since))) for since in WINDOWS)
    assert counts(pm2.crash_events(str(whole), WINDOWS[0])) == {"crashy": 48, "web": 1, "cluster-worker": 1}
    home = tmp_path / "home"
    home.mkdir()
    log = home / "pm2.log"
    for cut in range(len(lines) + 1):
        (home / "pm2.log.1").write_bytes(b"".join(lines[:cut]))
        log.write_bytes(b"".join(lines[cut:]))
        for since in WINDOWS:
            stats = {}
            assert summary(pm2.crash_events(str(log), since, stats=stats)) == expected[since], (cut, since)
            assert stats == {}, (cut, since)


def test_a_window_spanning_two_rotations_reads_the_compressed_copy_too(tmp_path, lines):
    whole = tmp_path / "whole.log"
    whole.write_bytes(b"".join(lines))
    home = tmp_path / "home"
    home.mkdir()
    # the second rotation compressed the first copy (delaycompress): .2.gz, .1, pm2.log
    with gzip.open(str(home / "pm2.log.2.gz"), "wb") as handle:
        handle.write(b"".join(lines[:120]))
    (home / "pm2.log.1").write_bytes(b"".join(lines[120:190]))
    (home / "pm2.log").write_bytes(b"".join(lines[190:]))
    for since in WINDOWS:
        assert summary(pm2.crash_events(str(home / "pm2.log"), since)) == summary(pm2.crash_events(str(whole), since))
    # without the compressed copy the whole-log window misses crashes: the test can fail
    os.unlink(str(home / "pm2.log.2.gz"))
    assert counts(pm2.crash_events(str(home / "pm2.log"), WINDOWS[0])) != {"crashy": 48, "web": 1, "cluster-worker": 1}


def test_rotation_without_delaycompress_reads_pm2_log_1_gz(tmp_path, lines):
    with gzip.open(str(tmp_path / "pm2.log.1.gz"), "wb") as handle:
        handle.write(b"".join(lines[:150]))
    (tmp_path / "pm2.log").write_bytes(b"".join(lines[150:]))
    assert counts(pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[0])) == {"crashy": 48, "web": 1, "cluster-worker": 1}


def test_a_copy_that_was_not_truncated_is_counted_once(tmp_path, lines):
    """logrotate copied pm2.log but did not truncate it (it failed in between, or `copy`
    instead of copytruncate): pm2.log.1 is the start of pm2.log, whose lines count once."""
    (tmp_path / "pm2.log.1").write_bytes(b"".join(lines[:150]))
    (tmp_path / "pm2.log").write_bytes(b"".join(lines))
    assert counts(pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[0])) == {"crashy": 48, "web": 1, "cluster-worker": 1}
    with gzip.open(str(tmp_path / "pm2.log.1.gz"), "wb") as handle:
        handle.write(b"".join(lines[:150]))
    os.unlink(str(tmp_path / "pm2.log.1"))
    assert counts(pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[0])) == {"crashy": 48, "web": 1, "cluster-worker": 1}


def test_lines_repeated_across_the_boundary_are_real_events_not_duplicates(tmp_path, lines):
    """The crash loop logs the same line many times a second; a cut inside it leaves identical
    lines on both sides, and each is a crash of its own (only a whole-copy prefix is a duplicate)."""
    loop = [line for line in lines if b"App [crashy:" in line and b"exited with code [1]" in line]
    (tmp_path / "pm2.log.1").write_bytes(loop[0] * 3)
    (tmp_path / "pm2.log").write_bytes(loop[0] * 2)
    assert len(pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[0])) == 5


def test_a_window_inside_pm2_log_does_not_open_the_rotated_copies(tmp_path, lines):
    (tmp_path / "pm2.log.1").mkdir()  # would be unreadable if it were opened
    # pm2.log starts half an hour before the window (less the 120 s look-back for stop lines) with
    # PM2's start-up banner (its first lines: the start of a file is the median stamp of its first
    # few lines, so that one line planted at its head does not decide it)
    banner = [b"2026-11-27T22:00:00: " + line.split(b": ", 1)[1] for line in lines[:12]]
    (tmp_path / "pm2.log").write_bytes(b"".join(banner + lines))
    stats = {}
    assert len(pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[3], stats=stats)) == 32
    assert stats == {}
    # the same window on a pm2.log that starts inside it does look there (and says it cannot)
    (tmp_path / "pm2.log").write_bytes(b"".join(lines))
    pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[3], stats=stats)
    assert len(stats["unreadable"]) == 1


def test_a_truncated_empty_pm2_log_reads_the_copy(tmp_path, lines):
    (tmp_path / "pm2.log.1").write_bytes(b"".join(lines))
    (tmp_path / "pm2.log").write_bytes(b"")
    assert len(pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[3])) == 32
    os.unlink(str(tmp_path / "pm2.log"))  # rotated away and not recreated yet
    assert len(pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[3])) == 32


def test_nul_bytes_left_by_copytruncate_are_skipped(tmp_path, lines):
    """A writer without O_APPEND keeps its offset after the truncation: the file then starts
    with a hole of NUL bytes before its next line."""
    (tmp_path / "pm2.log.1").write_bytes(b"".join(lines[:150]))
    (tmp_path / "pm2.log").write_bytes(b"\0" * 5000 + b"".join(lines[150:]))
    assert counts(pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[0])) == {"crashy": 48, "web": 1, "cluster-worker": 1}


@pytest.mark.parametrize("damage", ["truncated", "not gzip", "bad block"])
def test_a_corrupt_compressed_copy_is_said_and_the_rest_still_counted(tmp_path, lines, damage):
    packed = gzip.compress(b"".join(lines[:60]))
    packed = {"truncated": packed[: len(packed) // 2], "not gzip": b"PK\x03\x04 a zip file", "bad block": packed[:10] + b"\xff" * 40 + packed[50:]}[damage]
    (tmp_path / "pm2.log.2.gz").write_bytes(packed)
    (tmp_path / "pm2.log.1").write_bytes(b"".join(lines[60:150]))
    (tmp_path / "pm2.log").write_bytes(b"".join(lines[150:]))
    stats = {}
    events = pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[0], stats=stats)
    (tmp_path / "rest.log").write_bytes(b"".join(lines[60:]))
    rest = summary(pm2.crash_events(str(tmp_path / "rest.log"), WINDOWS[0]))
    # what the copy gave before it broke (nothing when it cannot be opened), then the rest, whole
    assert summary(events)[len(summary(events)) - len(rest):] == rest
    # at most the 11 crashes of lines 0-59 are lost; those before the break are counted
    assert 48 - 11 <= counts(events)["crashy"] < 48
    (said,) = stats["unreadable"]
    assert said.startswith("Cannot read PM2's rotated log %s/pm2.log.2.gz " % tmp_path) and "\n" not in said
    assert said.endswith(("), so the crashes it holds are not counted.", "), so the crashes after the break are not counted."))


def test_an_unreadable_rotated_copy_is_said_and_pm2_log_still_counted(tmp_path, lines):
    (tmp_path / "pm2.log.1").mkdir()  # open() fails with an OSError, as for EACCES
    (tmp_path / "pm2.log").write_bytes(b"".join(lines[150:]))
    stats = {}
    events = pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[0], stats=stats)
    (tmp_path / "rest.log").write_bytes(b"".join(lines[150:]))
    assert events and summary(events) == summary(pm2.crash_events(str(tmp_path / "rest.log"), WINDOWS[0]))
    assert stats["unreadable"] == ["Cannot read PM2's rotated log %s/pm2.log.1 (Is a directory), so the crashes it holds are not counted." % tmp_path]


def test_unparsed_lines_of_the_copy_are_counted_too(tmp_path, lines):
    (tmp_path / "pm2.log.1").write_bytes(b"".join(lines[:150]) + b"2026-13-45T99:99:99: PM2 log: broken\n")
    (tmp_path / "pm2.log").write_bytes(b"".join(lines[150:]))
    stats = {}
    pm2.crash_events(str(tmp_path / "pm2.log"), WINDOWS[0], stats=stats)
    assert stats == {"unparsed": 1}


def test_a_big_rotated_copy_is_bisected_not_read_from_the_start(tmp_path, lines, monkeypatch):
    """pm2.log.1 of ~40 MB (a week of a busy daemon) and a window reaching just into its end:
    a few KiB of it are read, as for pm2.log itself."""
    body = [line.split(b": ", 1)[1] for line in lines]
    start = utc("2026-11-17T00:00:00")
    count = 0
    with open(str(tmp_path / "pm2.log.1"), "wb") as handle:
        while handle.tell() < 40 * 1024 * 1024:
            for message in body:
                handle.write(b"%s: %s" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + count // 2)).encode(), message))
                count += 1
        last = start + count // 2 + 3600  # an hour after the busy part
        handle.write(b"%s: PM2 log: App [late:7] exited with code [1] via signal [SIGINT]\n" % time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(last)).encode())
    with open(str(tmp_path / "pm2.log"), "wb") as handle:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(last + 60)).encode()
        handle.write(b"%s: PM2 log: App [later:8] exited with code [1] via signal [SIGINT]\n" % stamp)
    read = count_reads(monkeypatch)
    events = pm2.crash_events(str(tmp_path / "pm2.log"), last - 30)
    assert [event["name"] for event in events] == ["late", "later"]
    assert os.path.getsize(str(tmp_path / "pm2.log.1")) > 40 * 1024 * 1024
    assert read["bytes"] < 2 * 1024 * 1024, read["bytes"]
