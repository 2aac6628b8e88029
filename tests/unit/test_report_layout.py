"""The layout of the fleet report (issue 24, "The HTML and Markdown report"): charts span the
data they have, carry the threshold lines and the crash and restart marks, and the
week-over-week rows of the HTML page and of the Markdown report are the same rows, made once
by history_summary.wow_rows (changes first, the rest folded). The page itself is opened in
Chromium at 1300 and 420 px by tests/integration/test_html_layout.py."""

from __future__ import annotations

import copy
import html as htmllib
import os
import re

import jinja2
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.filter import fleet
from ansible_collections.twzrd.ops.plugins.module_utils import htmlcharts, htmlreport
from ansible_collections.twzrd.ops.plugins.module_utils.history_summary import wow_row, wow_rows
from ansible_collections.twzrd.ops.plugins.module_utils.system import DISK_DEFAULTS, SWAP_DEFAULTS

import reportpages as pages

GIB = 1024 ** 3
TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles", "twzrd_ops", "templates")


def _figure(text, window, chart, subject=None):
    pattern = r'<figure class="chart" data-host="web-1" data-window="%s" data-chart="%s"%s>.*?</figure>' % (
        window, chart, ' data-subject="%s"' % re.escape(subject) if subject else "")
    return re.search(pattern, text).group(0)


def _line_xs(figure):
    path = re.search(r'<path class="line" d="([^"]+)"', figure).group(1)
    return [float(x) for x in re.findall(r"[ML]([0-9.]+) ", path)]


def test_ten_minutes_of_history_fill_the_chart_and_say_their_real_span():
    text = htmlreport.render(pages.short_history_document())
    for window, words in (("7d", "last 10 min of 7 d"), ("30d", "last 10 min of 30 d")):
        figure = _figure(text, window, "memory_percent")
        xs = _line_xs(figure)
        # plot 58..496 px: 10 minutes in the minimum span of 15 minutes take two thirds of it, not a 1-px sliver
        assert max(xs) - min(xs) > 250, (window, min(xs), max(xs))
        assert 'data-span="%s"' % words in figure
        assert re.search(r">\d\d:\d\d</text>", figure)  # the time axis says the time of day, not the day


def test_a_full_window_spans_the_window_and_says_nothing_more():
    text = htmlreport.render(pages.synthetic_document())
    figure = _figure(text, "7d", "memory_percent")
    xs = _line_xs(figure)
    assert min(xs) < 60 and max(xs) > 490 and "data-span" not in figure
    assert ">11-2" in figure  # day labels (mm-dd) on a 7-day axis


def _threshold_ys(figure):
    return dict((level, float(y)) for level, y in re.findall(r'<line class="threshold (\w+)"[^>]* y1="([0-9.]+)"', figure))


def test_threshold_lines_come_from_the_defaults_or_the_hosts_settings():
    document = pages.synthetic_document()
    text = htmlreport.render(document)
    swap = _figure(text, "7d", "swap_percent")
    assert "warning %.1f%%, critical %.1f%% (dotted)" % SWAP_DEFAULTS in swap
    ys = _threshold_ys(swap)
    assert ys["critical"] < ys["warning"]  # 50 % is higher on the chart than 20 %
    load = _figure(text, "7d", "load1")
    assert "warning 2.00, critical 3.00 (dotted)" in load  # 1.0 and 1.5 per core, cpu_count 2
    assert "warning %.1f%%, critical %.1f%%" % DISK_DEFAULTS in _figure(text, "7d", "disk", "/")
    document["hosts"][0]["settings"] = {"swap_warning": 30, "swap_critical": 60, "load_mode": "absolute", "load_warning": 6,
                                        "disk_warning": 70}
    text = htmlreport.render(document)
    assert "warning 30.0%, critical 60.0%" in _figure(text, "7d", "swap_percent")
    assert "warning 6.00, critical 12.00" in _figure(text, "7d", "load1")  # absolute critical: the default 12
    assert "warning 70.0%, critical 90.0%" in _figure(text, "7d", "disk", "/")


def test_load_lines_need_the_core_count_in_per_core_mode():
    lines = htmlcharts.thresholds({"cpu_count": None})
    assert lines["load1"] == [] and lines["swap_percent"] == [(SWAP_DEFAULTS[0], "warning"), (SWAP_DEFAULTS[1], "critical")]
    assert htmlcharts.thresholds({"cpu_count": 4, "settings": {"load_warning": "x"}})["load1"] == [(4.0, "warning"), (6.0, "critical")]


def test_crashes_and_restarts_are_marked_on_the_app_chart():
    document = pages.synthetic_document()
    app = document["hosts"][0]["history"]["windows"]["7d"]["apps"]["api"]
    end = pages.END
    app["crashes"] = [[end - 3 * pages.DAY, 2], [end - 2 * pages.DAY, 0], [end - pages.DAY, 1], [end - 40 * pages.DAY, 5]]
    app["restarts"] = [[end - 5 * pages.DAY, 1], [end - pages.HOUR, float("nan")]]
    text = htmlreport.render(document)
    figure = _figure(text, "7d", "app_memory", "api")
    assert figure.count('<line class="mark crash"') == 2 and figure.count('<line class="mark restart"') == 1
    assert "3 crashes (marked), 1 restart (marked)" in figure  # the one 40 days back is outside the window
    assert "<title>2 crashes</title>" in figure and "<title>1 restart</title>" in figure
    assert "mark" not in _figure(text, "30d", "app_memory", "api")  # no crash series in that window: no mark


def _md_rows(text):
    """(subject, figure, this, prev, change, direction) of every week-over-week row of the Markdown."""
    part = text[text.index("## Trends and week over week"):]
    rows = []
    for line in part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in ("Subject", "---"):
            rows.append(tuple(c.replace("\\", "") for c in cells))
    return rows


def _html_rows(text, host):
    part = text[text.index("<h2>Week over week</h2>"):text.index("<h2>History</h2>")]
    rows = []
    for row in re.findall(r"<tr class=\"(?:changed|same)\">(.*?)</tr>", part):
        cells = [htmllib.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        if cells[0] == host:
            rows.append(tuple(cells[1:]))
    return rows


def _markdown(rows, document):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["twzrd.ops.md_cell"] = fleet.md_cell
    return env.get_template("weekly-health.md.j2").render(__twzrd_ops_rows=rows, __twzrd_ops_fleet_report=document)


def test_markdown_and_html_show_the_same_week_over_week_rows_changes_first():
    history = pages.history()
    history["week_over_week"]["host"]["disks"]["/"]["growth_bytes"] = [int(24.8 * GIB), None]
    history["week_over_week"]["apps"]["api"]["memory_peak"] = [260 * pages.MIB - 12698, 260 * pages.MIB]
    rows = [fleet.host_row("web-1", {"state": "checked", "history": history})]
    document = fleet.fleet_document(rows, date="2026-11-27", generated="2026-11-27T06:00:00Z")
    markdown = _markdown(rows, document)
    page = htmlreport.render(document)
    md, html = _md_rows(markdown), _html_rows(page, "web-1")
    assert md == html and len(md) == 11
    assert ("disk /", "growth bytes", "24.8 GiB", "-", "new", "new") in md
    assert ("api", "memory peak", "260.0 MiB", "260.0 MiB", "\u2192 -12.4 KiB", "about the same") in md
    changed = [r for r in md if r[5] in ("up", "down", "new", "gone")]
    assert md[:len(changed)] == changed and len(changed) < len(md)  # changes first
    assert re.search(r"<details><summary>%d unchanged or without comparison</summary>\n\n\| Subject" % (len(md) - len(changed)), markdown)
    assert "25384" not in markdown + page and "\u25bc" not in page


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["restarts", "crashes", "memory_median", "memory_peak", "swap_p95", "load_p95", "growth_bytes"]),
       st.one_of(st.none(), st.integers(-2 ** 40, 2 ** 40), st.floats(-1e12, 1e12, allow_nan=False)),
       st.one_of(st.none(), st.integers(-2 ** 40, 2 ** 40), st.floats(allow_nan=True, allow_infinity=True)))
def test_every_row_has_one_word_and_its_texts_agree(key, this, prev):
    row = wow_row("app", key, [this, prev])
    assert row["word"] in ("up", "down", "same", "about the same", "new", "gone", "no data")
    assert row["changed"] == (row["word"] in ("up", "down", "new", "gone"))
    assert (row["this"] == "-") == (this is None) and "nan" not in repr(row).lower()
    if row["word"] in ("new", "gone"):
        assert row["delta"] == row["word"]
    if row["word"] in ("up", "down"):
        assert row["delta"][0] == ("+" if row["word"] == "up" else "-")
    unit = row["this"].split(" ")[-1] if key in ("memory_median", "memory_peak", "growth_bytes") and this is not None else None
    assert unit is None or unit in ("B", "KiB", "MiB", "GiB", "TiB")


def test_wow_rows_puts_changes_first_whatever_the_input_order():
    history = pages.history()
    rows = wow_rows(history)
    reordered = copy.deepcopy(history)
    reordered["week_over_week"]["apps"] = dict(reversed(list(reordered["week_over_week"]["apps"].items())))
    assert wow_rows(reordered) == rows
    flags = [r["changed"] for r in rows]
    assert flags == sorted(flags, reverse=True) and True in flags and False in flags
    assert wow_rows({"week_over_week": {"apps": [], "host": "x"}}) == [] and wow_rows(None) == []
