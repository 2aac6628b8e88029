# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The `history` dict of host_check and the fleet JSON, built from samples (docs/DESIGN.md):
windows 7d/30d of downsampled series, week over week, and the display rows of week over
week (wow_rows). Pure: no I/O, no clock read, no mutation of the samples.
"""

from __future__ import annotations

from . import trends
from .common import iso_time, size
from .history_settings import DAY, MAX_POINTS, NO_HISTORY
from .history_trends import judge


def _series(samples, get, start, end, now):
    points = trends.clean([(s["t"], get(s)) for s in samples if s["t"] >= start], now)
    return [[int(round(t)), round(v, 2)] for t, v in trends.downsample(points, MAX_POINTS, start, end)]


def _summed(points, start, end):
    """At most MAX_POINTS [t, n] of event counts: equal time buckets of [start, end] summed
    (counts add up, unlike trends.downsample's means), at the time of the bucket's last event."""
    if len(points) <= MAX_POINTS or end <= start:
        return points
    width = (end - start) / float(MAX_POINTS)
    buckets = {}
    for t, count in points:
        bucket = buckets.setdefault(min(MAX_POINTS - 1, max(0, int((t - start) // width))), [t, 0])
        bucket[0], bucket[1] = t, bucket[1] + count
    return [buckets[index] for index in sorted(buckets)]


def app_events(samples, name, start, end):
    """{"crashes": [[t, n]], "restarts": [[t, n]]}: the marks of an app's charts, one point per
    sample that has any. crashes: pm2.log's unplanned exits counted by that run; restarts: the
    rise of PM2's restarts counter since the previous sample beyond those crashes (the planned
    ones: the Friday job, a deploy), a counter that went down counting from 0 (PM2 restarted)."""
    crashes, restarts, previous = [], [], None
    for s in samples:
        app = s["apps"].get(name)
        if not app or s["t"] > end:
            continue
        crashed, counter = int(app.get("crashes") or 0), app.get("restarts")
        if s["t"] >= start and crashed > 0:
            crashes.append([int(round(s["t"])), crashed])
        if s["t"] >= start and isinstance(counter, int) and previous is not None:
            planned = (counter - previous if counter >= previous else counter) - crashed
            if planned > 0:
                restarts.append([int(round(s["t"])), planned])
        if isinstance(counter, int):
            previous = counter
    return {"crashes": _summed(crashes, start, end), "restarts": _summed(restarts, start, end)}


def _window(samples, days, now):
    start = now - days * DAY
    inside = [s for s in samples if s["t"] >= start]
    apps, disks = set(), set()
    for s in inside:
        apps.update(s["apps"])
        disks.update(s["disks"])
    latest_mmr = {}
    for s in inside:
        for name, app in s["apps"].items():
            latest_mmr[name] = app.get("max_memory_restart")

    def app_memory(name):
        return lambda s: (s["apps"].get(name) or {}).get("memory")

    def disk_percent(path):
        return lambda s: (s["disks"].get(path) or {}).get("percent")

    return {
        "start": int(start), "end": int(now),
        "host": {"memory_percent": _series(inside, lambda s: s["memory_percent"], start, now, now),
                 "swap_percent": _series(inside, lambda s: s["swap_percent"], start, now, now),
                 "load1": _series(inside, lambda s: s["load1"], start, now, now)},
        "disks": dict((path, _series(inside, disk_percent(path), start, now, now)) for path in sorted(disks)),
        "apps": dict((name, dict(app_events(samples, name, start, now), memory=_series(inside, app_memory(name), start, now, now),
                                 max_memory_restart=latest_mmr.get(name))) for name in sorted(apps)),
        "pm2_daemon": {"memory": _series(inside, lambda s: s["daemon_memory"], start, now, now)},
    }


def _week_figures(samples):
    """Figures of one week of samples (None for each when there are none)."""
    if not samples:
        return None
    apps = {}
    for s in samples:
        for name, app in s["apps"].items():
            entry = apps.setdefault(name, {"restarts": [], "crashes": 0, "memory": []})
            entry["restarts"].append(app.get("restarts"))
            entry["crashes"] += int(app.get("crashes") or 0)
            if app.get("memory") is not None:
                entry["memory"].append(app["memory"])
    disks = {}
    for s in samples:
        for path, disk in s["disks"].items():
            if disk.get("used") is not None:
                disks.setdefault(path, []).append(disk["used"])

    def whole(value):
        return None if value is None else int(round(value))

    def tenth(value):
        return None if value is None else round(value, 2)

    return {
        "apps": dict((name, {"restarts": whole(trends.counter_increase(e["restarts"])), "crashes": e["crashes"],
                             "memory_median": whole(trends.median(e["memory"])),
                             "memory_peak": max(e["memory"]) if e["memory"] else None})
                     for name, e in apps.items()),
        "swap_p95": tenth(trends.percentile([s["swap_percent"] for s in samples], 95)),
        "load_p95": tenth(trends.percentile([s["load1"] for s in samples], 95)),
        "disks": dict((path, used[-1] - used[0]) for path, used in disks.items()),
    }


def week_over_week(samples, now):
    """{"apps": {NAME: {restarts|crashes|memory_median|memory_peak: [this, prev]}},
        "host": {"swap_p95": [this, prev], "load_p95": [this, prev],
                 "disks": {PATH: {"growth_bytes": [this, prev]}}}}; prev None without data."""
    clean = [s for s in samples if s["t"] <= now]
    this = _week_figures([s for s in clean if now - 7 * DAY <= s["t"]])
    prev = _week_figures([s for s in clean if now - 14 * DAY <= s["t"] < now - 7 * DAY])
    result = {"apps": {}, "host": {"swap_p95": [None, None], "load_p95": [None, None], "disks": {}}}
    if this is None:
        return result
    for name, figures in sorted(this["apps"].items()):
        before = (prev or {}).get("apps", {}).get(name) or {}
        result["apps"][name] = dict((key, [figures[key], before.get(key)])
                                    for key in ("restarts", "crashes", "memory_median", "memory_peak"))
    result["host"]["swap_p95"] = [this["swap_p95"], (prev or {}).get("swap_p95")]
    result["host"]["load_p95"] = [this["load_p95"], (prev or {}).get("load_p95")]
    for path, growth in sorted(this["disks"].items()):
        result["host"]["disks"][path] = {"growth_bytes": [growth, (prev or {}).get("disks", {}).get(path)]}
    return result


def unavailable(reason):
    return {"available": False, "reason": reason, "samples": 0, "first": None, "last": None,
            "windows": {}, "week_over_week": {"apps": {}, "host": {}}, "trends": []}


def build(samples, conf, now):
    """The summary of samples (read() order) judged with validated settings conf at now;
    samples stamped later than now are left out (the clock went back)."""
    kept = [s for s in samples if s["t"] <= now]
    if not kept and samples:
        return unavailable("all %d history samples are stamped later than now (%s): the clock went back; they count "
                           "again once it passes them" % (len(samples), iso_time(now)))
    samples = kept
    if not samples:
        return unavailable(NO_HISTORY)
    times = [s["t"] for s in samples]
    return {
        "available": True,
        "reason": None,
        "samples": len(samples),
        "first": int(min(times)),
        "last": int(max(times)),
        "windows": {"7d": _window(samples, 7, now), "30d": _window(samples, 30, now)},
        "week_over_week": week_over_week(samples, now),
        "trends": judge(samples, conf, now),
    }


BYTE_FIGURES = ("memory_median", "memory_peak", "growth_bytes")
# The direction word of each arrow of trends.compare, and the words of a missing side.
WORDS = {"↑": "up", "↓": "down", "→": "about the same"}
CHANGED = ("up", "down", "new", "gone")


def wow_text(key, value):
    """A week-over-week figure as every report shows it: sizes in binary units, percents with
    one decimal, loads with two, counts whole; "-" when absent."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) < 1e300:
        return "-"
    if key in BYTE_FIGURES:
        return size(value)
    if key == "swap_p95":
        return "%.1f%%" % value
    if key == "load_p95":
        return "%.2f" % value
    return "%d" % int(round(value))


def wow_row(subject, key, pair):
    """One display row: {subject, key, figure, this, prev, arrow, delta, word, changed}; the
    HTML page and the Markdown and text reports only format it."""
    this, prev = (list(pair) + [None, None])[:2] if isinstance(pair, (list, tuple)) else (None, None)
    # Compared as shown (counts and bytes whole, percents to 0.1, loads to 0.01): the delta and
    # the word never disagree with the figures on the page.
    digits = 1 if key == "swap_p95" else 2 if key == "load_p95" else 0
    this, prev = [None if wow_text(key, v) == "-" else round(float(v), digits) for v in (this, prev)]
    change = trends.compare(this, prev)
    delta = change["delta"]
    if delta is None:
        word = "new" if this is not None else ("gone" if prev is not None else "no data")
        delta_text = word if word in ("new", "gone") else ""
    else:
        word = "same" if delta == 0 else WORDS[change["arrow"]]
        if key in BYTE_FIGURES:
            delta_text = ("+" if delta >= 0 else "-") + size(abs(delta))
        elif key == "swap_p95":
            delta_text = "%+.1f%%" % delta
        elif key == "load_p95":
            delta_text = "%+.2f" % delta
        else:
            delta_text = "%+d" % int(round(delta))
    return {"subject": subject, "key": key, "figure": key.replace("_", " "), "this": wow_text(key, this),
            "prev": wow_text(key, prev), "arrow": change["arrow"], "delta": delta_text, "word": word,
            "changed": word in CHANGED}


def wow_rows(history):
    """Display rows of a history's week over week for every report (HTML, Markdown, text):
    wow_row() dicts, the changed rows (up, down, new, gone) first, then the others, each part
    in subject order (apps by name, the host, its disks by path)."""
    rows = []
    wow = (history or {}).get("week_over_week") or {}
    wow = wow if isinstance(wow, dict) else {}
    apps = wow.get("apps") if isinstance(wow.get("apps"), dict) else {}
    for name in sorted(apps, key=str):
        figures = apps[name] if isinstance(apps[name], dict) else {}
        for key in ("restarts", "crashes", "memory_median", "memory_peak"):
            if key in figures:
                rows.append(wow_row(str(name), key, figures[key]))
    host = wow.get("host") if isinstance(wow.get("host"), dict) else {}
    for key in ("swap_p95", "load_p95"):
        if key in host:
            rows.append(wow_row("host", key, host[key]))
    disks = host.get("disks") if isinstance(host.get("disks"), dict) else {}
    for path in sorted(disks, key=str):
        figures = disks[path] if isinstance(disks[path], dict) else {}
        rows.append(wow_row("disk %s" % path, "growth_bytes", figures.get("growth_bytes")))
    return [r for r in rows if r["changed"]] + [r for r in rows if not r["changed"]]
