# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Trend maths on the per-host history (history.py): pure functions, no I/O, no clock.

A series is a list of (t, value) pairs, t in epoch seconds, in the order the samples were
RECORDED. The rules:

* clean(): values that are None are dropped, so is a sample stamped later than now (the
  clock was ahead) and every sample whose time is not later than an earlier sample's (the
  clock went back: NTP step, a VM restored); after a forward jump samples are kept (a gap
  is just a gap: the fit uses the real times).
* fit(): least-squares line with R^2 (goodness of fit). A steady leak has R^2 near 1;
  noise around a level has R^2 near 0, so it is not a trend however the slope falls.
* leak(): only the segment since the app's last restart counts (restart counter rose or
  memory fell by more than RESTART_DROP), so a sawtooth of restarts is never one rising
  line; the segment needs min_samples samples, R^2 >= min_r2, at least half of its steps
  rising, and a fitted rise of at least min_rise_percent of its starting memory. The time
  to the limit is (limit - fitted value now) / slope.
* disk_forecast(): hours until a filesystem is full at the rate (least squares) of a
  window; needs 3 samples spanning a quarter of the window and a rising line.
* percentile(), median(), counter_increase(), downsample(), compare() for the weekly
  week-over-week figures and the history charts.
"""

from __future__ import annotations

import math

HOUR = 3600.0
# A fall of memory by more than this fraction between two samples is a restart even when
# the restart counter did not move (pm2 reset, a cluster reload, the daemon restarted).
RESTART_DROP = 0.3
# A leak's segment must rise on at least this fraction of its steps (sample to sample).
LEAK_MIN_RISING_STEPS = 0.5
# A disk forecast needs this many samples and a span of this fraction of its window.
DISK_MIN_SAMPLES = 3
DISK_MIN_SPAN = 0.25


def _finite(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def clean(points, now=None):
    """(t, v) pairs kept in recording order: no None/NaN, times strictly increasing, none
    later than now (a sample stamped in the future by a clock that was ahead)."""
    kept = []
    last = None
    for point in points or ():
        t, v = _finite(point[0]), _finite(point[1])
        if t is None or v is None or (now is not None and t > now):
            continue
        if last is not None and t <= last:
            continue  # the clock went back: this sample's time cannot be trusted
        kept.append((t, v))
        last = t
    return kept


def fit(points):
    """Least squares over (t, v): {"slope" (per second), "intercept", "r2", "n"} or None
    with fewer than 2 points or no spread in time. r2 is 0 for a perfectly flat series."""
    n = len(points)
    if n < 2:
        return None
    t0 = points[0][0]
    xs = [t - t0 for t, _v in points]
    ys = [v for _t, v in points]
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx <= 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    syy = sum((y - my) ** 2 for y in ys)
    slope = sxy / sxx
    r2 = 0.0 if syy <= 0 else max(0.0, min(1.0, (sxy * sxy) / (sxx * syy)))
    return {"slope": slope, "intercept": my - slope * (mx + t0), "r2": r2, "n": n}


def since_restart(samples):
    """The tail of [(t, memory, restarts)] after the last restart: the restart counter rose
    (or was reset) or memory fell by more than RESTART_DROP. Returns [(t, memory)]."""
    segment = []
    prev = None
    for t, memory, restarts in samples:
        if prev is not None:
            counter_moved = restarts is not None and prev[2] is not None and restarts != prev[2]
            dropped = prev[1] > 0 and memory < prev[1] * (1.0 - RESTART_DROP)
            if counter_moved or dropped:
                segment = []
        segment.append((t, memory))
        prev = (t, memory, restarts)
    return segment


def leak(samples, limit, window_seconds, now, min_r2, min_samples, min_rise_percent):
    """Judge one app's (or the PM2 daemon's) memory for a leak.

    samples: [(t, memory bytes, restarts|None)] in recording order (clean() rules apply to
    (t, memory)); limit: bytes at which the memory hits its limit (max_memory_restart, or
    the current memory plus MemAvailable), None when unknown. Returns None (no leak) or
    {"slope_per_hour" (bytes), "r2", "samples", "hours_to_limit" (None without a limit),
    "current" (fitted bytes now)}.
    """
    start = now - window_seconds
    ordered = []
    last = None
    for t, memory, restarts in samples:
        t, memory = _finite(t), _finite(memory)
        if t is None or memory is None or t > now or (last is not None and t <= last):
            continue
        last = t
        if start <= t <= now:
            ordered.append((t, memory, restarts))
    segment = since_restart(ordered)
    if len(segment) < max(2, int(min_samples)):
        return None
    line = fit(segment)
    if line is None or line["slope"] <= 0 or line["r2"] < min_r2:
        return None
    steps = [b[1] - a[1] for a, b in zip(segment, segment[1:])]
    if sum(1 for step in steps if step > 0) < LEAK_MIN_RISING_STEPS * len(steps):
        return None
    first_fit = line["intercept"] + line["slope"] * segment[0][0]
    last_fit = line["intercept"] + line["slope"] * segment[-1][0]
    if first_fit <= 0 or (last_fit - first_fit) < first_fit * min_rise_percent / 100.0:
        return None
    slope_h = line["slope"] * HOUR
    hours = None
    if limit is not None and limit > 0:
        hours = max(0.0, (float(limit) - last_fit) / slope_h)
    return {"slope_per_hour": slope_h, "r2": line["r2"], "samples": len(segment),
            "hours_to_limit": hours, "current": last_fit}


def disk_forecast(points, free_now, window_seconds, now):
    """Hours until the filesystem is full at the rate of the last window_seconds.

    points: [(t, used bytes)] in recording order; free_now: bytes still free. Returns None
    when the window has too few samples or the use does not rise, else
    {"slope_per_hour" (bytes), "hours_to_full", "samples", "r2"}.
    """
    series = [(t, v) for t, v in clean(points, now) if now - window_seconds <= t]
    if len(series) < DISK_MIN_SAMPLES or series[-1][0] - series[0][0] < DISK_MIN_SPAN * window_seconds:
        return None
    line = fit(series)
    if line is None or line["slope"] <= 0 or free_now is None:
        return None
    slope_h = line["slope"] * HOUR
    return {"slope_per_hour": slope_h, "hours_to_full": max(0.0, float(free_now)) / slope_h,
            "samples": len(series), "r2": line["r2"]}


def percentile(values, p):
    """The p-th percentile (0-100, linear interpolation) of values; None when empty."""
    data = sorted(v for v in (_finite(x) for x in values or ()) if v is not None)
    if not data:
        return None
    if len(data) == 1:
        return data[0]
    rank = (len(data) - 1) * max(0.0, min(100.0, float(p))) / 100.0
    low = int(math.floor(rank))
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


def median(values):
    return percentile(values, 50)


def counter_increase(values):
    """How much a counter (PM2's restarts) rose over a series; a reset (a fall) starts it
    again from its new value. None for an empty series."""
    data = [v for v in (_finite(x) for x in values or ()) if v is not None]
    if not data:
        return None
    total = 0.0
    for prev, cur in zip(data, data[1:]):
        total += cur - prev if cur >= prev else cur
    return total


def downsample(points, max_points, start, end):
    """At most max_points (t, v): the mean of each of max_points equal time buckets of
    [start, end] (at the mean time of its samples); series short enough are unchanged."""
    points = list(points)
    if len(points) <= max_points or end <= start:
        return points
    width = (end - start) / float(max_points)
    buckets = {}
    for t, v in points:
        index = min(max_points - 1, max(0, int((t - start) // width)))
        bucket = buckets.setdefault(index, [0.0, 0.0, 0])
        bucket[0] += t
        bucket[1] += v
        bucket[2] += 1
    return [(b[0] / b[2], b[1] / b[2]) for _i, b in sorted(buckets.items())]


def compare(this, prev, flat_percent=5.0):
    """Week over week: {"arrow": "↑"|"↓"|"→"|"", "delta": this - prev|None, "percent": |None}.
    A change within flat_percent of the previous value (or of 1 when it was 0) is "→"."""
    if this is None or prev is None:
        return {"arrow": "", "delta": None, "percent": None}
    delta = float(this) - float(prev)
    base = abs(float(prev))
    percent = None if base == 0 else 100.0 * delta / base
    if abs(delta) <= (base if base else 1.0) * flat_percent / 100.0:
        arrow = "→"
    else:
        arrow = "↑" if delta > 0 else "↓"
    return {"arrow": arrow, "delta": delta, "percent": percent}
