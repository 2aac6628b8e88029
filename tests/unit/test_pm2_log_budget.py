"""Every read of pm2.log and its rotated copies is bounded (issue 20, principle 3): the app user
can write PM2_HOME and root's jobs read it. A gzip bomb among pm2.log.N.gz, a file of empty
lines and a line without end cost a bounded amount of memory and time, say so in one sentence,
and the run goes on counting what it can."""

from __future__ import annotations

import calendar
import gzip
import os
import subprocess
import sys
import time
import tracemalloc

from ansible_collections.twzrd.ops.plugins.module_utils import pm2, pm2_log, pm2_log_read

COLLECTIONS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(pm2.__file__)))))))
NOW = calendar.timegm((2026, 11, 27, 22, 0, 0, 0, 0, 0))


def stamp(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)).encode()


def crashes(start, count):
    return b"".join(b"%s: PM2 log: App [crashy:1] exited with code [1] via signal [SIGINT]\n" % stamp(start + n) for n in range(count))


def test_a_gzip_bomb_among_the_rotated_copies_costs_little_memory_and_is_said(tmp_path):
    """pm2.log.2.gz: 1 MiB on disk, 1 GiB of NUL bytes without a newline once decompressed (gzip
    members of 16 MiB each, concatenated). Run in a child so its peak memory is its own: VmHWM,
    the high-water mark of the child's own memory (ru_maxrss would carry pytest's over exec)."""
    member = gzip.compress(b"\0" * (16 * 1024 * 1024), 9)
    with open(str(tmp_path / "pm2.log.2.gz"), "wb") as handle:
        handle.write(member * 64)
    assert os.path.getsize(str(tmp_path / "pm2.log.2.gz")) < 2 * 1024 * 1024
    (tmp_path / "pm2.log.1").write_bytes(crashes(NOW - 500, 100))
    (tmp_path / "pm2.log").write_bytes(crashes(NOW - 100, 50))
    script = (
        "import sys, time; sys.path.insert(0, %r)\n"
        "from ansible_collections.twzrd.ops.plugins.module_utils import pm2_log\n"
        "stats = {}; began = time.monotonic()\n"
        "print(len(pm2_log.crash_events(%r, %d, %d, stats=stats)))\n"
        "peak = [line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')][0]\n"
        "print(int(peak) // 1024, time.monotonic() - began)\n"
        "print(pm2_log.read_warnings('pm2.log', stats))\n" % (COLLECTIONS, str(tmp_path / "pm2.log"), NOW - 3600, NOW)
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=dict(os.environ, TZ="UTC"), timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    count, usage, said = proc.stdout.splitlines()
    peak_mib, seconds = usage.split()
    assert int(count) == 150  # every crash of pm2.log.1 and pm2.log still counted
    assert int(peak_mib) < 80, usage  # was ~2 GB before the budget
    assert float(seconds) < 90  # ~1.5 s on an idle core (64 MiB inflated); generous for a shared CI machine
    assert said == str(["PM2's log %s/pm2.log.2.gz holds more than the 64 MiB read per file (decompressed), so it was read only "
                        "in part and the crashes after that are not counted." % tmp_path])


def test_a_line_without_end_is_skipped_without_holding_it_and_the_lines_after_it_count(tmp_path):
    (tmp_path / "pm2.log").write_bytes(crashes(NOW - 100, 10) + b"x" * (20 * 1024 * 1024) + b"\n" + crashes(NOW - 50, 10))
    stats = {}
    tracemalloc.start()
    try:
        events = pm2.crash_events(str(tmp_path / "pm2.log"), NOW - 200, NOW, stats=stats)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(events) == 20
    assert peak < 2 * 1024 * 1024, peak  # two LINE_MAX at most, not 20 MiB
    assert stats == {"too_long": 1}
    assert pm2_log.read_warnings("/h/pm2.log", stats) == ["1 line of /h/pm2.log was longer than 64 KiB and skipped when counting crashes."]


def test_a_file_of_empty_lines_is_bounded_in_lines_too(tmp_path):
    (tmp_path / "pm2.log.1.gz").write_bytes(gzip.compress(b"\n" * (4 * 1024 * 1024)))
    (tmp_path / "pm2.log").write_bytes(crashes(NOW - 100, 10))
    stats = {}
    budget = pm2_log_read.Budget(per_file=1024 * 1024)
    assert len(pm2.crash_events(str(tmp_path / "pm2.log"), NOW - 200, NOW, stats=stats, budget=budget)) == 10
    # a line costs at least 64 bytes: 16384 lines of the 4 Mi were read
    assert stats["unreadable"] == ["PM2's log %s/pm2.log.1.gz holds more than the 1 MiB read per file (decompressed), so it was read "
                                   "only in part and the crashes after that are not counted." % tmp_path]


def test_the_budget_of_a_run_spans_every_copy(tmp_path):
    (tmp_path / "pm2.log.2.gz").write_bytes(gzip.compress(crashes(NOW - 3000, 1000)))
    (tmp_path / "pm2.log.1").write_bytes(crashes(NOW - 2000, 1000))
    (tmp_path / "pm2.log").write_bytes(crashes(NOW - 1000, 1000))
    stats = {}
    budget = pm2_log_read.Budget(total=100 * 1024, per_file=1024 * 1024)
    events = pm2.crash_events(str(tmp_path / "pm2.log"), NOW - 3000, NOW, stats=stats, budget=budget)
    assert 0 < len(events) < 3000
    assert any("the 100 KiB read per run from pm2.log and its copies (decompressed) was spent" in said for said in stats["unreadable"])
    whole = pm2.crash_events(str(tmp_path / "pm2.log"), NOW - 3000, NOW)
    assert len(whole) == 3000  # the default budget reads them all
