"""Unit tests for plugins/module_utils/htmlreport.py: the fleet report as one HTML page.

The documents are synthetic fleet documents in the shape of fleet.fleet_document() with
each host's "history" in the contract of issue 11 (windows 7d/30d, week_over_week,
trends); hostile names come from hosts in real life and are planted here on purpose.
synthetic_document() is also used by tests/integration/test_html_report.py, which opens
the page in a real Chromium.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.twzrd.ops.plugins.module_utils import htmlreport

from reportpages import HOSTILE_HOST, check_numbers_equal_json, expected_chart_count, host_section, parse, synthetic_document


def test_hostile_names_are_escaped_everywhere():
    document = synthetic_document()
    document["hosts"][0]["error"] = "<script>alert(1)</script>"
    text = htmlreport.render(document)
    page = parse(text)
    tags = {tag for tag, _attrs in page.tags}
    assert "script" not in tags and "img" not in tags and "b" not in tags
    assert not [name for _tag, attrs in page.tags for name in attrs if name.startswith("on")]
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "&lt;script&gt;alert(&#x27;app&#x27;)&lt;/script&gt;" in text  # the app name, shown as text
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in text  # the host name, shown as text
    assert HOSTILE_HOST in [attrs.get("data-host") for _tag, attrs in page.tags]  # and round-trips as an attribute


def test_the_page_is_self_contained():
    text = htmlreport.render(synthetic_document())
    page = parse(text)
    tags = {tag for tag, _attrs in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not [name for _tag, attrs in page.tags for name in attrs if name in ("src", "href", "srcset", "background")]
    assert not re.search(r"url\(|@import", htmlreport.CSS)
    assert re.findall(r"https?://[^\"' ]+", text) == ["http://www.w3.org/2000/svg"] * text.count("<svg")
    assert "prefers-color-scheme: dark" in text and "@media print" in text


def test_empty_fleet_and_odd_documents_render_a_page():
    for document in ({"hosts": []}, {}, None, {"hosts": "nonsense", "counts": []}, {"hosts": [None, 3, {"host": "x"}]}):
        text = htmlreport.render(document)
        assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
        assert "<svg" not in text
    assert "No hosts in this report." in htmlreport.render({"hosts": []})


def test_a_host_without_history_says_so_and_draws_no_chart():
    text = htmlreport.render(synthetic_document())
    not_yet = host_section(text, 2)  # db-2: history available false
    assert "No history yet: only 1 sample so far." in not_yet and "<svg" not in not_yet
    no_key = host_section(text, 3)  # old-4: no history key at all
    assert "No history yet: this host sent no history with its check." in no_key and "<svg" not in no_key


def test_an_unreachable_host_is_listed_with_its_error_and_no_charts():
    text = htmlreport.render(synthetic_document())
    section = host_section(text, 4)
    assert "No history yet: the host was unreachable" in section and "<svg" not in section
    assert '<tr class="v-unreachable" data-host="edge-3">' in text
    assert '<span class="badge v-unreachable">UNREACHABLE</span>' in text  # text, not colour alone
    assert "Failed to connect: &lt;Connection refused&gt;" in text


def test_rows_are_coloured_by_verdict_with_the_verdict_in_words():
    document = synthetic_document()
    page = parse(htmlreport.render(document))
    rows = [attrs for tag, attrs in page.tags if tag == "tr" and "data-host" in attrs]
    assert [(r["data-host"], r["class"]) for r in rows] == [(h["host"], "v-" + h["verdict"]) for h in document["hosts"]]
    assert "UNREACHABLE" in "".join(page.text) and "CRITICAL" in "".join(page.text)


def test_every_number_shown_equals_the_document():
    document = synthetic_document()
    compared = check_numbers_equal_json(htmlreport.render(document), document)
    # 5 counts + per host memory, swap, load, crashes (+ pm2 and latency where known) + 2 x 12 week-over-week cells
    assert compared >= 5 + 5 * 4 + 2 * 2 * 12


def test_charts_per_host_with_history_and_the_dashed_max_memory_restart_line():
    document = synthetic_document()
    text = htmlreport.render(document)
    web = host_section(text, 0)
    assert web.count("<svg") == expected_chart_count(document["hosts"][0]) == 2 * (3 + 2 + 2 + 1)
    page = parse(web)
    limits = [attrs for tag, attrs in page.tags if tag == "line" and attrs.get("class") == "limit"]
    assert len(limits) == 2  # api has max_memory_restart in both windows; the other app has none
    assert all(attrs["stroke-dasharray"] for attrs in limits)
    assert "max_memory_restart 300.0 MiB" in web


def test_week_over_week_shows_changes_first_and_folds_the_rest():
    text = htmlreport.render(synthetic_document())
    changed, folded = text.split('<details class="wow-same">')
    changed = changed[changed.index("<h2>Week over week</h2>"):]
    folded = folded[:folded.index("</details>")]
    assert '<td class="num delta">\u2191 +2</td><td class="word" data-word="up">up</td>' in changed
    assert '<td class="num delta">\u2193 -20.0 MiB</td><td class="word" data-word="down">down</td>' in changed
    assert '<td class="num delta">new</td><td class="word" data-word="new">new</td>' in changed
    assert "same" not in changed and ">up<" not in folded and ">down<" not in folded
    assert "<summary>6 unchanged or without comparison</summary>" in folded
    assert folded.count('<tr class="same">') == 6 and ">about the same<" in folded and '\u2192 +0</td><td class="word" data-word="same">' in folded


def test_huge_series_is_downsampled_and_keeps_its_peak():
    document = synthetic_document()
    window = document["hosts"][0]["history"]["windows"]["7d"]
    start = window["start"]
    points = [[start + i * 6, 40.0 + (i % 7)] for i in range(100000)]
    points[54321][1] = 99.5  # one spike
    window["host"]["memory_percent"] = points
    text = htmlreport.render(document)
    figure = re.search(r'<figure class="chart" data-host="web-1" data-window="7d" data-chart="memory_percent">.*?</figure>', text).group(0)
    path = re.search(r'<path class="line" d="([^"]+)"', figure).group(1)
    assert len(re.findall(r"[ML]", path)) <= htmlreport.MAX_POINTS
    assert "max 99.5%" in figure


def test_no_nan_or_infinity_reaches_the_svg():
    document = synthetic_document()
    window = document["hosts"][0]["history"]["windows"]["7d"]
    start = window["start"]
    window["host"]["load1"] = [[start, float("nan")], [start + 60, float("inf")], [start + 120, None], [start + 180, "3"],
                               [start + 240, True], ["x", 1.0], [start + 300], 7, [start + 360, 1.5], [start + 420, 2.5]]
    window["apps"]["api"]["max_memory_restart"] = float("nan")
    window["host"]["swap_percent"] = [[start, float("nan")]]  # nothing left: a sentence, not an empty chart
    text = htmlreport.render(document)
    assert not re.search(r"nan|inf", " ".join(parse(text).svg_numbers), re.I)
    assert "Swap used: no samples in this window." in text
    figure = re.search(r'data-window="7d" data-chart="load1">.*?</figure>', text).group(0)
    assert "last 2.50, min 1.50, max 2.50" in figure


def test_output_is_deterministic_whatever_the_key_order():
    document = synthetic_document()
    shuffled = copy.deepcopy(document)
    apps = shuffled["hosts"][0]["history"]["windows"]["7d"]["apps"]
    shuffled["hosts"][0]["history"]["windows"]["7d"]["apps"] = dict(reversed(list(apps.items())))
    assert htmlreport.render(document) == htmlreport.render(copy.deepcopy(document)) == htmlreport.render(shuffled)
