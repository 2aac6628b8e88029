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

MAX_POINTS = 400
MIB = 1024.0 * 1024.0

# Chart lines of a window's "host" part: key, title, kind.
HOST_CHARTS = (
    ("memory_percent", "Memory used", "percent"),
    ("swap_percent", "Swap used", "percent"),
    ("load1", "Load (1 min)", "number"),
)

COLOURS = {
    "line": "#1f5fa8",
    "limit": "#b42318",
    "grid": "#d0d4da",
    "axis": "#5b6470",
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


def _day(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%m-%d")


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


def svg_chart(points, start, end, kind, title, limit=None):
    """An inline SVG line chart of cleaned points over [start, end], or None when there are none.

    kind: "percent" (0-100), "bytes" (unit picked from the largest value) or "number".
    limit: a horizontal dashed line (max_memory_restart), in the series' unit.
    """
    if not points:
        return None
    width, height = 520, 200
    left, right, top, bottom = 58, 24, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    t0, t1 = (start, end) if start is not None and end is not None and end > start else (points[0][0], points[-1][0])
    if t1 <= t0:
        t0, t1 = t0 - 1800.0, t0 + 1800.0
    values = [v for _t, v in points]
    limit = _number(limit)
    top_value = max(values + ([limit] if limit is not None else []))
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
    day = 86400.0
    span_days = (t1 - t0) / day
    every = day * max(1, int(math.ceil(span_days / 8.0)))
    first = math.ceil(t0 / day) * day
    mark = first
    while mark <= t1:
        tx = x(mark)
        out.append('<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="%s" stroke-width="1"/>'
                   % (tx, tx, top, top + plot_h, COLOURS["grid"]))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="%s">%s</text>'
                   % (tx, top + plot_h + 16, COLOURS["axis"], _day(mark)))
        mark += every
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


def _figure(host, window, chart, title, kind, raw, start, end, limit=None, subject=None):
    """A chart with its caption, or a sentence when the window holds no sample of it."""
    points = clean_series(raw, start, end)
    label = title if subject is None else "%s: %s" % (title, subject)
    svg = svg_chart(points, start, end, kind, "%s, %s" % (label, window), limit)
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
    return '<figure class="chart" %s>%s<figcaption>%s</figcaption></figure>' % (attrs, svg, caption)


def _more(host, key, items):
    """The note that ends a capped list of charts ("" when none were left out)."""
    rest = more(items, LIST_LIMIT)
    return '<p class="note more" data-host="%s" data-window="%s">%s charts not drawn.</p>' % (_e(host), key, _e(rest)) if rest else ""


def window_charts(host, key, label, window):
    """The charts of one history window of a host (at most LIST_LIMIT disks and apps)."""
    window = _dict(window)
    start, end = _number(window.get("start")), _number(window.get("end"))
    parts = ['<div class="window" data-window="%s"><h4>%s</h4><div class="charts">' % (key, _e(label.capitalize()))]
    series = _dict(window.get("host"))
    for name, title, kind in HOST_CHARTS:
        parts.append(_figure(host, key, name, title, kind, series.get(name), start, end))
    disks = sorted(_dict(window.get("disks")), key=str)
    for path in disks[:LIST_LIMIT]:
        parts.append(_figure(host, key, "disk", "Disk used", "percent", window["disks"][path], start, end, subject=path))
    parts.append(_more(host, key, disks))
    apps = _dict(window.get("apps"))
    names = sorted(apps, key=str)
    for name in names[:LIST_LIMIT]:
        app = _dict(apps[name])
        parts.append(_figure(host, key, "app_memory", "App memory", "bytes", app.get("memory"), start, end,
                             limit=app.get("max_memory_restart"), subject=name))
    parts.append(_more(host, key, names))
    daemon = _dict(window.get("pm2_daemon"))
    if daemon.get("memory"):
        parts.append(_figure(host, key, "pm2_daemon_memory", "PM2 daemon memory", "bytes", daemon.get("memory"), start, end))
    parts.append("</div></div>")
    return "".join(parts)
