"""The grep pre-filter's whole-block judging (logfilter.Counter, logfilter.last_matching,
logwindow.Window.block_verdict) held to the one definition of an error line
(logscan.Matcher.line_matches) and to the line-by-line window verdicts.

grep (LC_ALL=C -i) keeps only matching lines, so a scan never shows whether the block
judging would also reject a line that holds no keyword: here the blocks are arbitrary lines,
matching or not, as a grep that kept too much would hand over."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import logfilter, logscan
from ansible_collections.twzrd.ops.plugins.module_utils.logwindow import Window

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PATTERN_SETS = [list(logscan.DEFAULT_PATTERNS), ["error", "warn"], ["or\r"], ["x x", "err", "ERROR"], ["rr", "error", "ro"]]
PIECES = st.sampled_from(
    [b"ERROR", b"error", b"ErRoR", b"ERR", b"OR", b"rro", b"fatal", b"FATAL", b"Exception", b"exceptio", b"Unhandled",
     b"ECONNREFUSED", b"econn", b"ETIMEDOUT", b"\r", b" ", b"x", b"\xff", b"\xc3", b"A", b"AAAAA", b"warn", b"WaRn"]
) | st.binary(max_size=5).map(lambda raw: raw.replace(b"\n", b""))
LINES = st.lists(st.lists(PIECES, max_size=6).map(b"".join), max_size=30)


def _block(lines):
    return b"".join(line + b"\n" for line in lines)


@SETTINGS
@given(blocks=st.lists(LINES, min_size=1, max_size=4), patterns=st.sampled_from(PATTERN_SETS))
def test_counter_counts_what_the_definition_says_of_each_line(blocks, patterns):
    # One Counter over several blocks: the order it learns from one block must not change
    # what it counts in the next.
    matcher = logscan.Matcher(patterns)
    counter = logfilter.Counter(matcher.keywords)
    for lines in blocks:
        assert counter.count(_block(lines)) == (len(lines), sum(map(matcher.line_matches, lines)))


@SETTINGS
@given(lines=LINES, patterns=st.sampled_from(PATTERN_SETS), wanted=st.integers(0, 40))
def test_last_matching_gives_the_last_matching_lines_in_order(lines, patterns, wanted):
    matcher = logscan.Matcher(patterns)
    matching = [line for line in lines if matcher.line_matches(line)]
    wanted = min(wanted, len(matching))
    expected = matching[len(matching) - wanted:]
    assert logfilter.last_matching(_block(lines), wanted, matcher.line_matches) == expected


CUTOFF = time.mktime((2026, 11, 20, 12, 0, 0, 0, 0, -1))
# Dates on both sides of the cutoff, near it and far from it, and line starts that are no date.
STARTS = st.sampled_from([b"2026-11-27T10:00:00", b"2026-11-26T23:59:59", b"2026-11-21T00:00:00", b"2026-11-20T13:00:00",
                          b"2026-11-19T10:00:00", b"2026-11-12T10:00:00", b"2026-11-11T01:00:00", b"[2026-11-27T10:00:00]",
                          b"2026-11-2", b"   at x", b"", b"2026/11/27"])
DATED_LINES = st.lists(st.tuples(STARTS, st.sampled_from([b": Error: x", b" ok", b""])).map(b"".join), min_size=1, max_size=30)


@SETTINGS
@given(lines=DATED_LINES)
def test_block_verdict_is_the_verdict_of_every_line_or_none(lines):
    window = Window(CUTOFF)
    verdict = window.block_verdict(_block(lines), len(lines))
    if verdict is not None:
        assert window.verdicts(lines) == [verdict] * len(lines)


def test_block_verdict_settles_a_time_ordered_block_of_one_or_two_dates():
    window = Window(CUTOFF)
    recent = [b"2026-11-26T23:59:58: Error: a", b"2026-11-26T23:59:59: Error: b", b"2026-11-27T00:00:00: Error: c"]
    old = [b"2026-11-11T10:00:00: Error: a", b"2026-11-12T10:00:00: Error: b"]
    assert window.block_verdict(_block(recent), 3) is True
    assert window.block_verdict(_block(old), 2) is False
    # A third date in between, a date near the cutoff, or one undated line: judged line by line.
    assert window.block_verdict(_block(recent[:1] + [b"2026-11-25T00:00:00: x"] + recent[2:]), 3) is None
    assert window.block_verdict(_block([b"2026-11-20T13:00:00: Error"] + recent), 4) is None
    assert window.block_verdict(_block(recent[:2] + [b"    at Error.js"] + recent[2:]), 4) is None


def test_pre_filtered_scans_judged_in_blocks_equal_the_file_read(tmp_path, monkeypatch):
    # Real grep: a week of dated lines (settled by block_verdict with the window, counted by
    # Counter without it), with upper-case A's (the marker byte) in the text.
    now = time.mktime((2026, 11, 27, 12, 0, 0, 0, 0, -1))
    lines = []
    for minute in range(0, 6 * 1440, 7):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now - 6 * 86400 + minute * 60))
        lines.append("%s: %s" % (stamp, ("AAA Error: a", "ETIMEDOUT AAA", "ok A", "FATAL")[minute % 4]))
    path = tmp_path / "app-error.log"
    path.write_text("\n".join(lines) + "\n")
    results = []
    for min_bytes in (1 << 62, 0):
        monkeypatch.setattr(logfilter, "MIN_BYTES", min_bytes)
        monkeypatch.setattr(logscan, "CHUNK_SIZE", 4096)  # many blocks, a few spanning two dates
        results.append([logscan.scan([str(path)], now=now), logscan.scan([str(path)], window_seconds=0, now=now)])
    assert results[0] == results[1]
    assert results[1][0]["total"] == results[1][1]["total"] == len([line for line in lines if not line.endswith("ok A")])
