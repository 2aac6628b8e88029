# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The charts of the fleet HTML report (htmlreport.py): cleaned series drawn as inline SVG.

Series are cleaned before they are drawn: points that are not finite numbers are dropped
(never a NaN in the SVG), points outside the window are left out and long series are
downsampled to at most MAX_POINTS points per line (the minimum and the maximum of each
bucket, so peaks stay visible). Every text from a host (app names, disk paths) goes through
escape.html_text; classes and ids come only from this module's own names. No I/O.
"""

from __future__ import annotations

import datetime
import math

from .escape import LIST_LIMIT, html_text, more
from .system import DISK_DEFAULTS, LOAD_DEFAULTS, SWAP_DEFAULTS

MAX_POINTS = 400
MIB = 1024.0 * 1024.0

# Chart lines of a window's "host" part: key, title, kind.
HOST_CHARTS = (
    ("memory_percent", "Memory used", "percent"),
    ("swap_percent", "Swap used", "percent"),
    ("load1", "Load (1 min)", "number"),
)

MIN_SPAN = 900.0  # a chart of a few minutes of history spans at least a quarter of an hour
# Steps of the time axis: the first giving at most 7 ticks over the span is used.
TIME_STEPS = (60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400)

COLOURS = {
    "line": "#1f5fa8",
    "limit": "#b42318",
    "grid": "#d0d4da",
    "axis": "#5b6470",
    "warning": "#b26b00",
    "critical": "#b42318",
    "crash": "#b42318",
    "restart": "#6b3fa0",
}


def _e(value):
    """Outside text escaped for HTML (markup, controls, bidi characters), capped."""
    return html_text(value)


def number(value):
    """A finite float, or None (bools, strings, NaN and infinities are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


_number = number


def as_dict(value):
    return value if isinstance(value, dict) else {}


def as_list(value):
    return value if isinstance(value, list) else []


_dict, _list = as_dict, as_list


def clean_series(points, start=None, end=None, limit=MAX_POINTS):
    """[(t, v)] sorted by time: finite numbers only, inside [start, end], at most limit points."""
    cleaned = []
    for point in _list(points):
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            continue
        t, v = _number(point[0]), _number(point[1])
        if t is None or v is None:
            continue
        if (start is not None and t < start) or (end is not None and t > end):
            continue
        cleaned.append((t, v))
    cleaned.sort()
    if len(cleaned) <= limit:
        return cleaned
    buckets = max(1, limit // 2)
    size = int(math.ceil(len(cleaned) / float(buckets)))
    reduced = []
    for index in range(0, len(cleaned), size):
        chunk = cleaned[index:index + size]
        low = min(chunk, key=lambda p: p[1])
        high = max(chunk, key=lambda p: p[1])
        for point in sorted({low, high}):
            reduced.append(point)
    return reduced


def _nice_step(span, ticks=4):
    raw = span / float(ticks) if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def _byte_unit(maximum):
    for name, size in (("GiB", 1024.0 ** 3), ("MiB", MIB), ("KiB", 1024.0)):
        if maximum >= size:
            return name, size
    return "B", 1.0


def _label(value, step):
    if step >= 1 and float(value).is_integer():
        return "%d" % value
    return ("%.1f" % value) if step >= 0.1 else ("%.2f" % value)


def _tick(epoch, step):
    """A time-axis label (UTC): the day for steps of a day or more, else the time of day."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%m-%d") if step >= 86400 else moment.strftime("%H:%M")


def duration(seconds):
    """A span in words: 10 min, 5 h, 2.5 d."""
    if seconds < 3600:
        return "%d min" % max(1, int(round(seconds / 60.0)))
    if seconds < 2 * 86400:
        return "%d h" % int(round(seconds / 3600.0))
    return ("%.1f d" % (seconds / 86400.0)).replace(".0 d", " d")


def span(points, start, end):
    """(t0, t1, words) of the time axis: the window [start, end], or, when the data covers less
    of it, the last part of it holding the data (at least MIN_SPAN) and words saying so
    ("last 10 min of 7 d"); words is None when the data spans the window."""
    if start is None or end is None or end <= start:
        first, last = points[0][0], points[-1][0]
        return (first - MIN_SPAN / 2, last + MIN_SPAN / 2, None) if last - first < MIN_SPAN else (first, last, None)
    covered = end - points[0][0]
    if covered >= 0.9 * (end - start):
        return start, end, None
    t0 = max(start, end - max(MIN_SPAN, covered * 1.05))
    return t0, end, "last %s of %s" % (duration(max(covered, 60.0)), duration(end - start))


def _segments(points):
    """Split a series where a gap is much longer than its usual spacing (no line across an outage)."""
    if len(points) < 3:
        return [points]
    gaps = sorted(b[0] - a[0] for a, b in zip(points, points[1:]))
    usual = gaps[len(gaps) // 2] or 1.0
    segments, current = [], [points[0]]
    for previous, point in zip(points, points[1:]):
        if point[0] - previous[0] > 5 * usual:
            segments.append(current)
            current = []
        current.append(point)
    segments.append(current)
    return segments


def svg_chart(points, start, end, kind, title, limit=None, thresholds=(), marks=()):
    """An inline SVG line chart of cleaned points over [start, end], or None when there are none.

    kind: "percent" (0-100), "bytes" (unit picked from the largest value) or "number".
    limit: a horizontal dashed line (max_memory_restart), in the series' unit.
    thresholds: [(value, "warning"|"critical")] horizontal lines in the series' unit.
    marks: [(t, "crash"|"restart", count)] vertical marks (crashes and restarts of an app).
    The time axis is span(): the window, or the part of it the data covers.
    """
    if not points:
        return None
    width, height = 520, 200
    left, right, top, bottom = 58, 24, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    t0, t1, _words = span(points, start, end)
    values = [v for _t, v in points]
    limit = _number(limit)
    thresholds = [(value, level) for value, level in thresholds if _number(value) is not None and value > 0]
    top_value = max(values + ([limit] if limit is not None else []) + [value for value, _level in thresholds])
    unit, scale = "", 1.0
    if kind == "percent":
        y_max = 100.0 if top_value <= 100 else top_value
        unit = "%"
    elif kind == "bytes":
        unit, scale = _byte_unit(top_value)
        y_max = top_value / scale
    else:
        y_max = top_value
    y_min = min(0.0, min(values) / scale)
    step = _nice_step(y_max - y_min)
    y_max = step * math.ceil(y_max / step) if y_max > 0 else step
    if kind == "percent" and top_value <= 100:
        y_max = 100.0
        step = 25.0
    if limit is not None and y_max <= limit / scale:  # room above the dashed line for its label
        y_max += step
    y_min = step * math.floor(y_min / step)

    def x(t):
        return left + (t - t0) / (t1 - t0) * plot_w

    def y(v):
        return top + plot_h - (v / scale - y_min) / (y_max - y_min) * plot_h

    out = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" class="chart-svg">'
           % (width, height, width, height)]
    out.append("<title>%s</title>" % _e(title))
    for index in range(int(round((y_max - y_min) / step)) + 1):
        tick = y_min + index * step
        ty = y(tick * scale)
        out.append('<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>'
                   % (left, left + plot_w, ty, ty, COLOURS["grid"]))
        out.append('<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="%s">%s%s</text>'
                   % (left - 6, ty + 4, COLOURS["axis"], _label(tick, step), "%" if unit == "%" else ""))
    if unit and unit != "%":
        out.append('<text x="4" y="%d" font-size="11" fill="%s">%s</text>' % (top + 4, COLOURS["axis"], unit))
    step_t = next((t for t in TIME_STEPS if (t1 - t0) / t <= 7), TIME_STEPS[-1] * math.ceil((t1 - t0) / TIME_STEPS[-1] / 7.0))
    mark = math.ceil(t0 / step_t) * step_t
    while mark <= t1:
        tx = x(mark)
        out.append('<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="%s" stroke-width="1"/>'
                   % (tx, tx, top, top + plot_h, COLOURS["grid"]))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="%s">%s</text>'
                   % (tx, top + plot_h + 16, COLOURS["axis"], _tick(mark, step_t)))
        mark += step_t
    out.append('<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="1"/>'
               % (left, left, top, top + plot_h, COLOURS["axis"]))
    out.append('<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="1"/>'
               % (left, left + plot_w, top + plot_h, top + plot_h, COLOURS["axis"]))
    path = []
    for segment in _segments(points):
        if len(segment) == 1:  # a lone sample: a short tick so it is visible
            tx, ty = x(segment[0][0]), y(segment[0][1])
            path.append("M%.1f %.1fL%.1f %.1f" % (tx - 1.5, ty, tx + 1.5, ty))
            continue
        path.append("M" + "L".join("%.1f %.1f" % (x(t), y(v)) for t, v in segment))
    out.append('<path class="line" d="%s" fill="none" stroke="%s" stroke-width="1.6" stroke-linejoin="round"/>'
               % (" ".join(path), COLOURS["line"]))
    for value, level in thresholds:
        ly = y(value)
        out.append('<line class="threshold %s" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1" stroke-dasharray="2 3"/>'
                   % (level, left, left + plot_w, ly, ly, COLOURS[level]))
        out.append('<text class="threshold-label" x="%d" y="%.1f" font-size="10" fill="%s">%s %s</text>'
                   % (left + 4, ly - 3, COLOURS[level], level, _label(value / scale, 0.01 if value / scale < 10 else 1)))
    for t, what, count in marks:
        if t0 <= t <= t1:
            mx = x(t)
            out.append('<line class="mark %s" x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="%s" stroke-width="1.5">'
                       '<title>%d %s%s</title></line>'
                       % (what, mx, mx, top, top + plot_h, COLOURS[what], count, what, "es" if what == "crash" and count != 1
                          else "s" if count != 1 else ""))
    if limit is not None:
        ly = y(limit)
        out.append('<line class="limit" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1.4" stroke-dasharray="6 4"/>'
                   % (left, left + plot_w, ly, ly, COLOURS["limit"]))
        out.append('<text class="limit-label" x="%d" y="%.1f" text-anchor="end" font-size="11" fill="%s">max_memory_restart %s</text>'
                   % (left + plot_w - 2, ly - 4, COLOURS["limit"], _e(_size(limit))))
    out.append("</svg>")
    return "".join(out)


def _size(value):
    unit, scale = _byte_unit(value)
    return "%.0f %s" % (value / scale, unit) if unit == "B" else "%.1f %s" % (value / scale, unit)


def _shown(kind, value):
    if kind == "percent":
        return "%.1f%%" % value
    if kind == "bytes":
        return _size(value)
    return "%.2f" % value


def thresholds(entry):
    """{"swap_percent"|"load1"|"disk": [(value, level)]}: the threshold lines of a host's charts,
    from its settings in the fleet JSON (entry["settings"], the names of checks.DEFAULTS) when
    present, else system.py's defaults. The load lines are in load1 units: per-core thresholds
    times the host's cpu_count (none when that is unknown)."""
    entry = _dict(entry)
    conf = _dict(entry.get("settings"))

    def pair(warning, critical, defaults):
        values = (_number(conf.get(warning)), _number(conf.get(critical)))
        values = tuple(d if v is None else v for v, d in zip(values, defaults))
        return [(values[0], "warning"), (values[1], "critical")]

    mode = conf.get("load_mode") if conf.get("load_mode") in LOAD_DEFAULTS else "per_core"
    load = pair("load_warning", "load_critical", LOAD_DEFAULTS[mode])
    if mode == "per_core":
        cores = _number(entry.get("cpu_count"))
        load = [(value * cores, level) for value, level in load] if cores else []
    return {"swap_percent": pair("swap_warning", "swap_critical", SWAP_DEFAULTS), "load1": load,
            "disk": pair("disk_warning", "disk_critical", DISK_DEFAULTS)}


def app_marks(app):
    """[(t, "crash"|"restart", count)] of an app's history: its "crashes" and "restarts" series,
    [[t, count in that sample]] (points with a count of 0 or no number are left out)."""
    marks = []
    for what, key in (("crash", "crashes"), ("restart", "restarts")):
        for t, count in clean_series(_dict(app).get(key), limit=10 ** 9):
            if count > 0:
                marks.append((t, what, int(round(count))))
    return sorted(marks)


def _figure(host, window, chart, title, kind, raw, start, end, limit=None, subject=None, lines=(), marks=()):
    """A chart with its caption, or a sentence when the window holds no sample of it."""
    points = clean_series(raw, start, end)
    label = title if subject is None else "%s: %s" % (title, subject)
    svg = svg_chart(points, start, end, kind, "%s, %s" % (label, window), limit, lines, marks)
    attrs = 'data-host="%s" data-window="%s" data-chart="%s"' % (_e(host), window, chart)
    if subject is not None:
        attrs += ' data-subject="%s"' % _e(subject)
    if svg is None:
        return '<p class="note no-samples" %s>%s: no samples in this window.</p>' % (attrs, _e(label))
    values = [v for _t, v in points]
    caption = "%s &mdash; last %s, min %s, max %s" % (
        _e(label), _e(_shown(kind, values[-1])), _e(_shown(kind, min(values))), _e(_shown(kind, max(values))))
    if limit is not None and _number(limit) is not None:
        caption += ", max_memory_restart %s (dashed)" % _e(_size(_number(limit)))
    if lines:
        caption += ", warning %s, critical %s (dotted)" % (_e(_shown(kind, lines[0][0])), _e(_shown(kind, lines[1][0])))
    shown_marks = [m for m in marks if points[0][0] <= m[0] <= (end if end is not None else points[-1][0])]
    for what, plural in (("crash", "crashes"), ("restart", "restarts")):
        count = sum(m[2] for m in shown_marks if m[1] == what)
        if count:
            caption += ", %d %s (marked)" % (count, what if count == 1 else plural)
    _t0, _t1, words = span(points, start, end)
    if words:
        caption += ' <span class="span" data-span="%s">(%s)</span>' % (_e(words), _e(words))
    return '<figure class="chart" %s>%s<figcaption>%s</figcaption></figure>' % (attrs, svg, caption)


def _more(host, key, items):
    """The note that ends a capped list of charts ("" when none were left out)."""
    rest = more(items, LIST_LIMIT)
    return '<p class="note more" data-host="%s" data-window="%s">%s charts not drawn.</p>' % (_e(host), key, _e(rest)) if rest else ""


def window_charts(host, key, label, window, lines=None):
    """The charts of one history window of a host (at most LIST_LIMIT disks and apps); lines:
    thresholds() of the host (system.py's defaults when None)."""
    window = _dict(window)
    lines = thresholds({}) if lines is None else lines
    start, end = _number(window.get("start")), _number(window.get("end"))
    parts = ['<div class="window" data-window="%s"><h4>%s</h4><div class="charts">' % (key, _e(label.capitalize()))]
    series = _dict(window.get("host"))
    for name, title, kind in HOST_CHARTS:
        parts.append(_figure(host, key, name, title, kind, series.get(name), start, end, lines=lines.get(name, ())))
    disks = sorted(_dict(window.get("disks")), key=str)
    for path in disks[:LIST_LIMIT]:
        parts.append(_figure(host, key, "disk", "Disk used", "percent", window["disks"][path], start, end, subject=path,
                             lines=lines["disk"]))
    parts.append(_more(host, key, disks))
    apps = _dict(window.get("apps"))
    names = sorted(apps, key=str)
    for name in names[:LIST_LIMIT]:
        app = _dict(apps[name])
        parts.append(_figure(host, key, "app_memory", "App memory", "bytes", app.get("memory"), start, end,
                             limit=app.get("max_memory_restart"), subject=name, marks=app_marks(app)))
    parts.append(_more(host, key, names))
    daemon = _dict(window.get("pm2_daemon"))
    if daemon.get("memory"):
        parts.append(_figure(host, key, "pm2_daemon_memory", "PM2 daemon memory", "bytes", daemon.get("memory"), start, end))
    parts.append("</div></div>")
    return "".join(parts)
