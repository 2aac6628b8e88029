"""The trend maths of the per-host history (plugins/module_utils/trends.py) on synthetic
series: a steady leak, a sawtooth of restarts, noise, a flat line, gaps, clock jumps, and
the disk forecast, percentiles and week-over-week helpers. Pure functions: no clock, no I/O."""

from __future__ import annotations

import random

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import trends

MIB = 1024 * 1024
HOUR = 3600
NOW = 1_800_000_000
WINDOW = 24 * HOUR
# The defaults of history.DEFAULTS: R² 0.8, 12 samples, a 10 % rise.
JUDGE = dict(window_seconds=WINDOW, now=NOW, min_r2=0.8, min_samples=12, min_rise_percent=10)


def hourly(values, restarts=None, end=NOW):
    """(t, memory, restarts) samples one hour apart, the last at end."""
    n = len(values)
    restarts = restarts or [0] * n
    return [(end - (n - 1 - i) * HOUR, v, r) for i, (v, r) in enumerate(zip(values, restarts))]


def test_fit_of_a_perfect_line_has_r2_one_and_its_slope():
    line = trends.fit([(0, 10.0), (10, 30.0), (20, 50.0)])
    assert line["slope"] == pytest.approx(2.0)
    assert line["r2"] == pytest.approx(1.0)
    assert trends.fit([(5, 1.0)]) is None
    assert trends.fit([(5, 1.0), (5, 2.0)]) is None  # no spread in time
    assert trends.fit([(0, 7.0), (1, 7.0), (2, 7.0)])["r2"] == 0.0  # flat: no trend


def test_steady_leak_is_flagged_with_the_right_slope_and_time_to_limit():
    rng = random.Random(1)
    values = [100 * MIB + i * 5 * MIB + rng.uniform(-MIB, MIB) for i in range(25)]
    result = trends.leak(hourly(values), 500 * MIB, **JUDGE)
    assert result is not None
    assert result["slope_per_hour"] == pytest.approx(5 * MIB, rel=0.05)
    # Now at ~220 MiB, 280 MiB to go at 5 MiB/h: 56 h.
    assert result["hours_to_limit"] == pytest.approx(56, rel=0.05)
    assert result["r2"] > 0.99 and result["samples"] == 25


def test_a_leak_without_a_known_limit_still_counts_but_has_no_time():
    values = [100 * MIB + i * 5 * MIB for i in range(25)]
    result = trends.leak(hourly(values), None, **JUDGE)
    assert result is not None and result["hours_to_limit"] is None


def test_sawtooth_of_restarts_is_not_a_leak():
    # Rises 30 MiB/h for 4 hours, then PM2 restarts it (max_memory_restart): back to 100 MiB.
    values, restarts = [], []
    for i in range(25):
        values.append(100 * MIB + (i % 5) * 30 * MIB)
        restarts.append(i // 5)
    assert trends.leak(hourly(values, restarts), 250 * MIB, **JUDGE) is None


def test_sawtooth_without_a_restart_counter_is_cut_at_each_drop():
    # Same sawtooth, but the counter never moves (pm2 reset, daemon restart): the falls cut it.
    values = [100 * MIB + (i % 5) * 30 * MIB for i in range(25)]
    assert trends.leak(hourly(values), 250 * MIB, **JUDGE) is None
    assert trends.since_restart(hourly(values))[0][1] == 100 * MIB


def test_a_leak_after_the_last_restart_is_judged_on_that_segment_only():
    values = [300 * MIB] * 5 + [100 * MIB + i * 4 * MIB for i in range(20)]
    restarts = [0] * 5 + [1] * 20
    result = trends.leak(hourly(values, restarts), 500 * MIB, **JUDGE)
    assert result is not None and result["samples"] == 20
    assert result["slope_per_hour"] == pytest.approx(4 * MIB)


def test_noise_around_a_level_is_not_a_leak():
    rng = random.Random(7)
    values = [200 * MIB + rng.uniform(-20 * MIB, 20 * MIB) for _i in range(25)]
    assert trends.leak(hourly(values), 500 * MIB, **JUDGE) is None


def test_flat_memory_is_not_a_leak():
    assert trends.leak(hourly([150 * MIB] * 25), 500 * MIB, **JUDGE) is None


def test_a_slow_creep_below_the_minimum_rise_is_not_a_leak():
    # +0.1 MiB/h on 200 MiB: a perfect line (R² 1) but 1 % in a day.
    values = [200 * MIB + i * MIB // 10 for i in range(25)]
    assert trends.leak(hourly(values), 500 * MIB, **JUDGE) is None
    judge = dict(JUDGE)
    judge["min_rise_percent"] = 0.5
    assert trends.leak(hourly(values), 500 * MIB, **judge) is not None


def test_too_few_samples_are_no_verdict():
    values = [100 * MIB + i * 10 * MIB for i in range(6)]
    assert trends.leak(hourly(values), 500 * MIB, **JUDGE) is None
    judge = dict(JUDGE)
    judge["min_samples"] = 6
    assert trends.leak(hourly(values), 500 * MIB, **judge) is not None


def test_gaps_do_not_bend_the_slope():
    # Hourly samples with an 8-hour hole (the host was down): the fit uses real times.
    samples = [s for s in hourly([100 * MIB + i * 5 * MIB for i in range(25)]) if not 6 <= (NOW - s[0]) // HOUR < 14]
    assert len(samples) == 17
    result = trends.leak(samples, 500 * MIB, **JUDGE)
    assert result is not None and result["slope_per_hour"] == pytest.approx(5 * MIB)


def test_clock_jump_back_drops_the_samples_it_stamped_in_the_past():
    good = hourly([100 * MIB + i * 5 * MIB for i in range(25)])
    # After sample 12 the clock is set back half an hour for one run: its sample (t in the past,
    # a low value) comes in recording order between two good ones.
    jumped = good[:13] + [(good[12][0] - HOUR // 2, 10 * MIB, 0)] + good[13:]
    assert trends.leak(jumped, 500 * MIB, **JUDGE) == trends.leak(good, 500 * MIB, **JUDGE)
    assert len(trends.clean([(t, v) for t, v, _r in jumped])) == 25


def test_clock_jump_forward_is_ignored_until_the_clock_passes_it():
    good = hourly([100 * MIB + i * 5 * MIB for i in range(25)])
    # One run stamped a year ahead: later (good) samples must not be dropped because of it.
    ahead = good[:10] + [(NOW + 365 * 86400, 1 * MIB, 0)] + good[10:]
    assert trends.leak(ahead, 500 * MIB, **JUDGE) == trends.leak(good, 500 * MIB, **JUDGE)
    assert trends.clean([(1, 1.0), (NOW + 10, 2.0), (3, 3.0)], now=NOW) == [(1, 1.0), (3, 3.0)]


def test_clean_drops_missing_and_non_finite_values():
    assert trends.clean([(1, None), (2, float("nan")), (3, 5), (None, 1), (4, "x")]) == [(3, 5.0)]


def test_disk_forecast_at_a_known_rate():
    # 1 GiB/h for a day, 48 GiB free now: full in 48 h.
    gib = 1024 ** 3
    points = [(NOW - (24 - i) * HOUR, 10 * gib + i * gib) for i in range(25)]
    result = trends.disk_forecast(points, 48 * gib, 24 * HOUR, NOW)
    assert result["hours_to_full"] == pytest.approx(48)
    assert result["slope_per_hour"] == pytest.approx(gib)


def test_disk_forecast_needs_samples_spanning_the_window_and_a_rise():
    gib = 1024 ** 3
    assert trends.disk_forecast([(NOW - 60, gib), (NOW - 30, 2 * gib), (NOW, 3 * gib)], gib, 24 * HOUR, NOW) is None
    falling = [(NOW - (24 - i) * HOUR, 30 * gib - i * gib) for i in range(25)]
    assert trends.disk_forecast(falling, 10 * gib, 24 * HOUR, NOW) is None
    assert trends.disk_forecast([(NOW - 20 * HOUR, gib), (NOW, 2 * gib)], gib, 24 * HOUR, NOW) is None  # 2 samples


def test_percentile_median_and_counter_increase():
    assert trends.percentile(range(1, 101), 95) == pytest.approx(95.05)
    assert trends.median([3, 1, 2]) == 2
    assert trends.percentile([], 95) is None and trends.percentile([None], 50) is None
    # PM2's restart counter: +2, then `pm2 reset` (to 0) and +1 after it.
    assert trends.counter_increase([5, 6, 7, 0, 1]) == 3
    assert trends.counter_increase([]) is None


def test_downsample_keeps_at_most_the_points_asked_and_their_mean():
    points = [(i, float(i % 2)) for i in range(1000)]
    out = trends.downsample(points, 240, 0, 1000)
    assert len(out) <= 240
    assert all(0.3 <= v <= 0.7 for _t, v in out)
    assert trends.downsample(points[:10], 240, 0, 10) == points[:10]


def test_compare_gives_arrows_and_deltas():
    assert trends.compare(12, 10)["arrow"] == "↑" and trends.compare(12, 10)["delta"] == 2
    assert trends.compare(5, 10)["arrow"] == "↓"
    assert trends.compare(10.2, 10)["arrow"] == "→"
    assert trends.compare(0, 0)["arrow"] == "→"
    assert trends.compare(3, None) == {"arrow": "", "delta": None, "percent": None}
