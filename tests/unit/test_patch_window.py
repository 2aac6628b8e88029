"""patch.yml's window guard (module_utils/patch_window.py): UTC, days name the day a window
starts, a window whose end is before its start crosses midnight."""

from __future__ import annotations

import calendar

import pytest
from hypothesis import given, strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import patch_window
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

NIGHT = {"days": ["Wednesday"], "start": "22:00", "end": "02:00"}


def at(text):
    return float(calendar.timegm(__import__("time").strptime(text, "%Y-%m-%d %H:%M")))


@pytest.mark.parametrize("when, expected", [
    ("2026-12-02 21:59", False),   # Wednesday, before the start
    ("2026-12-02 22:00", True),    # Wednesday, at the start
    ("2026-12-02 23:59", True),
    ("2026-12-03 00:30", True),    # Thursday, after midnight: still Wednesday's window
    ("2026-12-03 02:00", False),   # the end is not in the window
    ("2026-12-03 22:30", False),   # Thursday evening: no window starts on Thursday
    ("2026-12-02 00:30", False),   # Wednesday after midnight belongs to Tuesday's window (none)
])
def test_a_window_that_crosses_midnight_is_open_until_the_next_day(when, expected):
    result = patch_window.check(NIGHT, at(when))
    assert result["open"] is expected
    assert ("inside" if expected else "outside") in result["message"]
    assert "ending the next day" in result["message"]


@pytest.mark.parametrize("when, expected", [("2026-12-02 01:00", True), ("2026-12-02 03:59", True),
                                            ("2026-12-02 04:00", False), ("2026-12-03 02:00", False)])
def test_a_window_within_one_day(when, expected):
    assert patch_window.check({"days": ["wed"], "start": "1:00", "end": "04:00"}, at(when))["open"] is expected


def test_no_window_is_always_open():
    assert patch_window.check({}, at("2026-12-05 12:00"))["open"] is True


@pytest.mark.parametrize("window, words", [
    ({"days": ["Wednesday"], "start": "25:00", "end": "02:00"}, "start must be a time of day"),
    ({"days": ["Wednsday"], "start": "22:00", "end": "02:00"}, "is not a day of the week"),
    ({"days": [], "start": "22:00", "end": "02:00"}, "at least one day"),
    ({"days": ["Wednesday"], "start": "02:00", "end": "02:00"}, "needs a length"),
    ({"days": ["Wednesday"], "start": "02:00"}, "must be empty or"),
    ("Wednesday 02:00", "must be empty or"),
])
def test_a_malformed_window_is_one_sentence(window, words):
    with pytest.raises(OpsError) as info:
        patch_window.validate(window)
    assert words in str(info.value)


@given(st.integers(0, 6), st.integers(0, 1439), st.integers(0, 1439), st.integers(0, 7 * 1440 - 1))
def test_open_minutes_per_week_equal_the_window_length(day, start, end, _unused):
    """Property: over a whole week, a window on one day is open exactly its length in minutes,
    whether it crosses midnight or not."""
    if start == end:
        return
    window = {"days": [patch_window.DAYS[day]], "start": "%02d:%02d" % divmod(start, 60), "end": "%02d:%02d" % divmod(end, 60)}
    monday = at("2026-11-30 00:00")
    opened = sum(patch_window.check(window, monday + minute * 60)["open"] for minute in range(0, 7 * 1440, 15))
    length = (end - start) % 1440
    assert abs(opened * 15 - length) <= 15
