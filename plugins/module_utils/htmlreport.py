# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report as one self-contained HTML file (weekly-health-YYYY-MM-DD.html).

render(document) is a pure function of the fleet document (the JSON twin written by the
fleet_report action plugin): the same document always gives the same bytes. The page has
no script, no external style, font or image: inline CSS (dark mode through
prefers-color-scheme, a print layout through @media print) and inline SVG line charts
with axes and labels, so it opens from disk and in a mail client that shows HTML.

Everything that comes from a host (names, app names, messages, errors, disk paths) is
untrusted and goes through escape.html_text (markup escaped, controls and bidi characters
shown as visible escapes, length capped); classes and ids are built only from this
module's own names. Every list (findings, week-over-week rows, charts) stops after
escape.LIST_LIMIT items with "and N more". Numbers are shown through FORMATS and carry
data-field / data-host attributes so a test can compare every number shown with the JSON
twin. The charts are drawn by htmlcharts.py.
"""

from __future__ import annotations

from .escape import LIST_LIMIT, html_text, more
from .history_summary import wow_rows
from .version import NAME
from .htmlcharts import (  # noqa: F401 pylint: disable=unused-import
    MAX_POINTS, MIB, as_dict, as_list, clean_series, number, svg_chart, thresholds, window_charts,
)

_dict, _list, _number = as_dict, as_list, number

VERDICTS = ("ok", "warning", "critical", "unreachable", "unknown")
WINDOWS = (("7d", "last 7 days"), ("30d", "last 30 days"))

# How each number is shown: the HTML report's one table of formats (a test mirrors it).
FORMATS = {
    "memory_percent": "%.0f%%",
    "swap_percent": "%.1f%%",
    "load_per_core": "%.2f",
    "load1": "%.2f",
    "pm2_online": "%d",
    "pm2_total": "%d",
    "crashes": "%d",
    "health_latency_ms": "%.0f ms",
    "count": "%d",
    "restarts": "%d",
    "memory_median": "mib",
    "memory_peak": "mib",
    "swap_p95": "%.1f%%",
    "load_p95": "%.2f",
    "growth_bytes": "mib",
}

CSS = """
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1d2229; --muted: #5b6470; --border: #d0d4da;
  --ok-bg: #e3f4e8; --ok-fg: #145c2e; --warning-bg: #fff3cd; --warning-fg: #7a5200;
  --critical-bg: #fde2e1; --critical-fg: #8f1d16; --unreachable-bg: #ece4f6; --unreachable-fg: #4b2a7a;
  --unknown-bg: #eceef1; --unknown-fg: #3d4450; --line: #1f5fa8; --limit: #b42318; --grid: #d0d4da; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171c; --fg: #e6e9ee; --muted: #a3acb9; --border: #3a414c;
    --ok-bg: #123222; --ok-fg: #8fe0ab; --warning-bg: #3a2e0c; --warning-fg: #f5d27a;
    --critical-bg: #451614; --critical-fg: #ffaba5; --unreachable-bg: #2d2040; --unreachable-fg: #d4bdf5;
    --unknown-bg: #2a2f37; --unknown-fg: #c9ced6; --line: #7fb3f0; --limit: #ff8a80; --grid: #3a414c; }
}
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  margin: 1.5em auto; max-width: 1200px; padding: 0 1em; }
h1 { font-size: 1.6em; margin: 0 0 .2em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid var(--border); }
h3 { font-size: 1.1em; margin: 1.2em 0 .4em; } h4 { font-size: 1em; margin: .8em 0 .3em; color: var(--muted); }
.meta, .note { color: var(--muted); }
h1, h2, h3, p, li, figcaption { overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; margin: .5em 0; }
table { border-collapse: collapse; margin: 0; }
th.host, td.host { white-space: nowrap; }
details.wow-same summary { cursor: pointer; color: var(--muted); margin: .4em 0; }
th, td { border: 1px solid var(--border); padding: .3em .6em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; font-weight: 700; padding: 0 .45em; border-radius: 3px; border: 1px solid currentColor; }
.v-ok { background: var(--ok-bg); color: var(--ok-fg); }
.v-warning { background: var(--warning-bg); color: var(--warning-fg); }
.v-critical { background: var(--critical-bg); color: var(--critical-fg); }
.v-unreachable { background: var(--unreachable-bg); color: var(--unreachable-fg); }
.v-unknown { background: var(--unknown-bg); color: var(--unknown-fg); }
tr.v-ok td, tr.v-warning td, tr.v-critical td, tr.v-unreachable td, tr.v-unknown td { color: inherit; }
ul.findings { margin: .3em 0 .8em; padding-left: 1.2em; }
.charts { display: flex; flex-wrap: wrap; gap: .8em; }
figure.chart { box-sizing: border-box; margin: 0; width: 520px; max-width: 100%; border: 1px solid var(--border); padding: .4em;
  break-inside: avoid; page-break-inside: avoid; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart figcaption { font-size: .85em; color: var(--muted); }
svg .line { stroke: var(--line); } svg .limit { stroke: var(--limit); } svg .limit-label { fill: var(--limit); }
svg .threshold.warning { stroke: var(--warning-fg); } svg .threshold.critical, svg .mark.crash { stroke: var(--limit); }
svg .grid { stroke: var(--grid); } svg .axis { stroke: var(--muted); } svg text { fill: var(--muted); }
@media print {
  :root { --bg: #ffffff; --fg: #000000; --muted: #333333; --border: #999999; --line: #000000; --limit: #000000; --grid: #cccccc; }
  body { margin: 0; max-width: none; font-size: 11pt; }
  section.host { break-before: page; page-break-before: always; }
  .badge { border-width: 2px; }
}
"""


def _e(value):
    """Outside text for HTML text and attributes: markup escaped, controls and bidi shown, capped."""
    return html_text(value)


def fmt(field, value):
    """The text of a number as the report shows it ("-" when absent)."""
    number = _number(value)
    if number is None:
        return "-"
    pattern = FORMATS.get(field, "%s")
    if pattern == "mib":
        return "%.1f MiB" % (number / MIB)
    if pattern == "%d":
        return "%d" % int(round(number))
    return pattern % number


def _verdict(value):
    return value if value in VERDICTS else "unknown"


def _badge(verdict):
    verdict = _verdict(verdict)
    return '<span class="badge v-%s">%s</span>' % (verdict, verdict.upper())


def _cell(field, value, host, extra=""):
    return '<td class="num" data-field="%s" data-host="%s"%s>%s</td>' % (field, _e(host), extra, _e(fmt(field, value)))


# ---------------------------------------------------------------- sections


def _history(entry):
    history = entry.get("history")
    return history if isinstance(history, dict) else None


def no_history_sentence(entry):
    """Why a host has no charts, in one sentence (None when it has history)."""
    history = _history(entry)
    if _verdict(entry.get("verdict")) == "unreachable":
        return "No history yet: the host was unreachable, so nothing was read from it."
    if history is None:
        return "No history yet: this host sent no history with its check."
    if not history.get("available"):
        reason = " ".join(str(history.get("reason") or "no samples have been recorded yet").split()).rstrip(".")
        if reason.lower().startswith("no history"):
            return reason[0].upper() + reason[1:] + "."
        return "No history yet: %s." % reason
    return None


def _fleet_table(hosts):
    head = ("<div class=\"scroll\"><table class=\"fleet\"><thead><tr><th>Host</th><th>Verdict</th><th class=\"num\">Memory</th>"
            "<th class=\"num\">Swap</th><th class=\"num\">Load/core</th><th class=\"num\">PM2 online</th>"
            "<th class=\"num\">Crashes</th><th>Health</th><th>Top finding</th></tr></thead><tbody>")
    rows = [head]
    for entry in hosts:
        host = entry.get("host")
        verdict = _verdict(entry.get("verdict"))
        if entry.get("swap_configured") is False:
            swap = '<td class="num" data-field="swap_percent" data-host="%s" data-text="no swap">no swap</td>' % _e(host)
        else:
            swap = _cell("swap_percent", entry.get("swap_percent"), host)
        pm2 = '<td class="num">%s</td>' % "-"
        if _number(entry.get("pm2_total")) is not None:
            pm2 = ('<td class="num"><span data-field="pm2_online" data-host="%s">%s</span>/<span data-field="pm2_total" data-host="%s">%s</span></td>'
                   % (_e(host), _e(fmt("pm2_online", entry.get("pm2_online"))), _e(host), _e(fmt("pm2_total", entry.get("pm2_total")))))
        healthy = entry.get("health_healthy")
        if healthy is True:
            health = '<td>ok <span data-field="health_latency_ms" data-host="%s">%s</span></td>' % (
                _e(host), _e(fmt("health_latency_ms", entry.get("health_latency_ms"))))
        elif healthy is False:
            health = "<td>FAIL (%s)</td>" % _e(entry.get("health_reason") or "unhealthy")
        else:
            health = "<td>-</td>"
        rows.append(
            '<tr class="v-%s" data-host="%s"><th scope="row" class="host">%s</th><td>%s</td>%s%s%s%s%s%s<td>%s</td></tr>'
            % (verdict, _e(host), _e(host), _badge(verdict), _cell("memory_percent", entry.get("memory_percent"), host),
               swap, _cell("load_per_core", entry.get("load_per_core"), host), pm2,
               _cell("crashes", entry.get("crashes"), host), health, _e(entry.get("top_finding") or "-")))
    rows.append("</tbody></table></div>")
    return "".join(rows)


def _findings(hosts):
    parts = []
    for entry in hosts:
        host = entry.get("host")
        items = []
        if entry.get("error"):
            items.append('<li><span class="badge v-%s">%s</span> %s</li>'
                         % (_verdict(entry.get("verdict")), _e(_verdict(entry.get("verdict")).upper()), _e(entry["error"])))
        for finding in _list(entry.get("findings")):
            finding = _dict(finding)
            level = _verdict(finding.get("level"))
            items.append('<li><span class="badge v-%s">%s</span> %s <span class="meta">(%s)</span></li>'
                         % (level, level.upper(), _e(finding.get("message")), _e(finding.get("rule"))))
        for trend in _list(_dict(_history(entry)).get("trends")):
            trend = _dict(trend)
            level = _verdict(trend.get("level"))
            hours = _number(trend.get("hours_to_limit"))
            when = " (limit in about %.0f h)" % hours if hours is not None else ""
            items.append('<li><span class="badge v-%s">%s</span> trend: %s%s <span class="meta">(%s, %s)</span></li>'
                         % (level, level.upper(), _e(trend.get("message")), _e(when), _e(trend.get("rule")), _e(trend.get("subject"))))
        if not items:
            items.append("<li>No findings.</li>")
        elif len(items) > LIST_LIMIT:
            items[LIST_LIMIT:] = ['<li class="more">%s</li>' % _e(more(items, LIST_LIMIT))]
        parts.append('<h3 data-host="%s">%s %s</h3><ul class="findings">%s</ul>'
                     % (_e(host), _e(host), _badge(entry.get("verdict")), "".join(items)))
    return "".join(parts)


def _wow_row(host, row):
    """One week-over-week row of history_summary.wow_rows: formatted there, only laid out here."""
    attrs = 'data-host="%s" data-subject="%s"' % (_e(host), _e(row["subject"]))
    return ('<tr class="%s"><th scope="row" class="host">%s</th><td>%s</td><td>%s</td>'
            '<td class="num" data-field="%s" data-period="this" %s>%s</td>'
            '<td class="num" data-field="%s" data-period="prev" %s>%s</td>'
            '<td class="num delta">%s</td><td class="word" data-word="%s">%s</td></tr>'
            % ("changed" if row["changed"] else "same", _e(host), _e(row["subject"]), _e(row["figure"]),
               row["key"], attrs, _e(row["this"]), row["key"], attrs, _e(row["prev"]),
               _e((row["arrow"] + " " + row["delta"]).strip() or "-"), _e(row["word"]), _e(row["word"])))


WOW_HEAD = ('<div class="scroll"><table class="wow"><thead><tr><th>Host</th><th>Subject</th><th>Figure</th>'
            '<th class="num">This week</th><th class="num">Previous</th><th class="num">Change</th><th>Direction</th>'
            '</tr></thead><tbody>%s</tbody></table></div>')


def _week_over_week(hosts):
    """Changed rows first in one table; the unchanged ones (and those without comparison) folded."""
    changed, same, folded = [], [], 0
    for entry in hosts:
        history = _history(entry)
        rows = wow_rows(history) if history and history.get("available") else []
        for row in rows[:LIST_LIMIT]:
            (changed if row["changed"] else same).append(_wow_row(entry.get("host"), row))
            folded += 0 if row["changed"] else 1
        if more(rows, LIST_LIMIT):
            same.append('<tr class="more"><th scope="row" class="host">%s</th><td colspan="6">%s</td></tr>'
                        % (_e(entry.get("host")), _e(more(rows, LIST_LIMIT))))
    if not changed and not same:
        return '<p class="note">No week-over-week comparison yet: no host has two weeks of history.</p>'
    out = [WOW_HEAD % "".join(changed) if changed else '<p class="note wow-none">Nothing changed since the previous week.</p>']
    if same:
        out.append('<details class="wow-same"><summary>%d unchanged or without comparison</summary>%s</details>'
                   % (folded, WOW_HEAD % "".join(same)))
    return "".join(out)


def _host_section(index, entry):
    host = entry.get("host")
    parts = ['<section class="host" id="host-%d" data-host="%s"><h3>%s %s</h3>'
             % (index, _e(host), _e(host), _badge(entry.get("verdict")))]
    sentence = no_history_sentence(entry)
    if sentence is not None:
        parts.append('<p class="note no-history" data-host="%s">%s</p>' % (_e(host), _e(sentence)))
    else:
        windows = _dict(_history(entry).get("windows"))
        for key, label in WINDOWS:
            if key in windows:
                parts.append(window_charts(host, key, label, windows[key], thresholds(entry)))
            else:
                parts.append('<p class="note no-samples" data-host="%s" data-window="%s">%s: no samples in this window.</p>'
                             % (_e(host), key, _e(label.capitalize())))
    parts.append("</section>")
    return "".join(parts)


def render(document):
    """The fleet report document as one self-contained HTML page (a str)."""
    document = _dict(document)
    hosts = [entry for entry in _list(document.get("hosts")) if isinstance(entry, dict)]
    title = "Fleet report: %s" % (document.get("title") or "weekly health")
    date = document.get("date")
    counts = _dict(document.get("counts"))
    verdict = _verdict(document.get("verdict"))
    out = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width, initial-scale=1">'
           '<meta name="color-scheme" content="light dark">',
           "<title>%s%s</title>" % (_e(title), _e(" " + str(date)) if date else ""),
           "<style>%s</style></head><body>" % CSS,
           "<h1>%s%s</h1>" % (_e(title), _e(" " + str(date)) if date else "")]
    meta = []
    if document.get("generated"):
        meta.append("generated %s" % _e(document["generated"]))
    # The version of the JSON twin (version.stamped); a twin written before the key existed has none.
    written = document.get("version")
    meta.append('by %s <span class="version">%s</span>' % (NAME, _e(written) if written else "(version not recorded)"))
    if document.get("check_mode"):
        meta.append("check mode")
    out.append('<p class="meta">%s</p>' % (", ".join(meta) or "&nbsp;"))
    summary = ", ".join('<span data-field="count" data-verdict="%s">%s</span> %s' % (state, _e(fmt("count", counts.get(state, 0))), state)
                        for state in VERDICTS)
    out.append('<p class="summary">Fleet verdict: %s (%s)</p>' % (_badge(verdict), summary))
    out.append("<h2>Hosts</h2>")
    if hosts:
        out.append(_fleet_table(hosts))
    else:
        out.append('<p class="note no-hosts">No hosts in this report.</p>')
    out.append("<h2>Findings</h2>")
    out.append(_findings(hosts) if hosts else '<p class="note">No findings: no hosts in this report.</p>')
    out.append("<h2>Week over week</h2>")
    out.append(_week_over_week(hosts))
    out.append("<h2>History</h2>")
    if not hosts:
        out.append('<p class="note">No history: no hosts in this report.</p>')
    for index, entry in enumerate(hosts):
        out.append(_host_section(index, entry))
    out.append('<p class="meta">Written by twzrd.ops fleet_report; the numbers are those of the JSON twin of this file.</p>')
    out.append("</body></html>\n")
    return "".join(out)
