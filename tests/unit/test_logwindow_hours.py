"""The log window decided at the hour near its cutoff (logwindow.Window: the hour rule of
verdict(), block_verdict() over the hours of a block) held to one definition: every line's
own verdict, and the exact instant of its timestamp for every real zone (within a day)."""

from __future__ import annotations

import calendar
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils.logwindow import Window

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CUTOFF = calendar.timegm((2026, 11, 20, 12, 30, 0, 0, 0, 0))
# Clock texts from three days before the cutoff to three days after, to the minute.
OFFSETS = st.integers(min_value=-3 * 86400, max_value=3 * 86400).map(lambda seconds: seconds - seconds % 60)
ZONES = st.sampled_from([b"", b"Z", b"+00:00", b"+02:00", b"-05:00", b"+05:30", b"+14:00", b"-12:00", b"+2359", b"-23:59"])
SEPARATORS = st.sampled_from([b"T", b" "])


def _stamp(offset, separator, zone=b""):
    clock = time.gmtime(CUTOFF + offset)
    return time.strftime("%Y-%m-%d", clock).encode() + separator + time.strftime("%H:%M:%S", clock).encode() + zone


def _exact(offset, zone):
    """The instant of a clock text CUTOFF + offset written in zone (no zone: local time)."""
    wall = CUTOFF + offset
    if zone == b"":
        return time.mktime(time.gmtime(wall)[:8] + (-1,))
    if zone == b"Z":
        return wall
    digits = zone[1:].replace(b":", b"")
    seconds = int(digits[:2]) * 3600 + int(digits[2:]) * 60
    return wall - seconds if zone[:1] == b"+" else wall + seconds


@SETTINGS
@given(offset=OFFSETS, separator=SEPARATORS, zone=ZONES)
def test_a_line_is_inside_when_its_instant_is_at_or_after_the_cutoff(offset, separator, zone):
    # The hour and date rules only settle clock texts a whole day from the cutoff, so they
    # agree with the instant for every zone within a day (local time too).
    line = _stamp(offset, separator, zone) + b" ERROR x"
    assert Window(CUTOFF).verdict(line, 0) is (_exact(offset, zone) >= CUTOFF)


def _block(lines):
    return b"".join(line + b"\n" for line in lines)


@SETTINGS
@given(offsets=st.lists(OFFSETS, min_size=1, max_size=25), separator=SEPARATORS, ordered=st.booleans(),
       extra=st.sampled_from([None, b"    at f (x.js:1:1)", b"[2026-11-22T10:00:00] ERROR", b"2026-11-22"]))
def test_block_verdict_is_the_verdict_of_every_line_or_none(offsets, separator, ordered, extra):
    lines = [_stamp(offset, separator) + b": Error: x" for offset in (sorted(offsets) if ordered else offsets)]
    if extra is not None:
        lines.insert(len(lines) // 2, extra)
    window = Window(CUTOFF)
    verdict = window.block_verdict(_block(lines), len(lines))
    if verdict is not None:
        assert window.verdicts(lines) == [verdict] * len(lines)


def test_a_time_ordered_block_on_the_day_after_the_cutoff_is_settled_at_once():
    window = Window(CUTOFF)
    # Hours of the cutoff's next day that are a day after it: settled without a line-by-line look.
    inside = [_stamp(offset, b"T") + b": Error" for offset in range(86400 + 3600, 86400 + 5 * 3600, 600)]
    assert window.block_verdict(_block(inside), len(inside)) is True
    before = [_stamp(-offset, b" ") + b": Error" for offset in range(86400 + 5 * 3600, 86400 + 3600, -600)]
    assert window.block_verdict(_block(before), len(before)) is False
    # The hour a day after the cutoff itself, a gap of more than MAX_HOURS, an undated line: None.
    near = [_stamp(86400, b"T") + b": Error"] + inside
    assert window.block_verdict(_block(near), len(near)) is None
    far_apart = [inside[0], _stamp(86400 + 60 * 3600, b"T") + b": Error"]
    assert window.block_verdict(_block(far_apart), 2) is None
    undated = inside[:2] + [b"    at x"] + inside[2:]
    assert window.block_verdict(_block(undated), len(undated)) is None
    # A line out of the block's hours (an older line in the middle) is not counted: None.
    shuffled = inside[:2] + [_stamp(-3600, b"T") + b": Error"] + inside[2:]
    assert window.block_verdict(_block(shuffled), len(shuffled)) is None
