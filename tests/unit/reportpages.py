"""The synthetic fleet documents and the page parser of the HTML report's tests, shared by
tests/unit/test_htmlreport.py, tests/unit/test_report_layout.py and the Chromium tests of
tests/integration/ (a helpers module, not a test file)."""

from __future__ import annotations

import html.parser
import math
import re

END = 1795737600  # 2026-11-27T00:00:00Z
HOUR = 3600
DAY = 86400
MIB = 1024 * 1024
HOSTILE_HOST = '"><img src=x onerror=alert(1)>'
HOSTILE_APP = "<script>alert('app')</script>"


def _series(start, end, step, base, amplitude, phase=0.0):
    return [[t, round(base + amplitude * math.sin((t - start) / 21600.0 + phase), 3)] for t in range(start, end + 1, step)]


def _window(start, end, step):
    return {
        "start": start,
        "end": end,
        "host": {
            "memory_percent": _series(start, end, step, 55, 15),
            "swap_percent": _series(start, end, step, 8, 4, 1.0),
            "load1": _series(start, end, step, 1.2, 0.8, 2.0),
        },
        "disks": {"/": _series(start, end, step, 61, 2), "/var": _series(start, end, step, 40, 1)},
        "apps": {
            "api": {"memory": _series(start, end, step, 180 * MIB, 60 * MIB), "max_memory_restart": 300 * MIB},
            HOSTILE_APP: {"memory": _series(start, end, step, 90 * MIB, 10 * MIB), "max_memory_restart": None},
        },
        "pm2_daemon": {"memory": _series(start, end, step, 60 * MIB, 2 * MIB)},
    }


def history(step_7d=600, step_30d=HOUR):
    return {
        "available": True,
        "reason": None,
        "samples": 7 * DAY // step_7d,
        "first": END - 30 * DAY,
        "last": END,
        "windows": {"7d": _window(END - 7 * DAY, END, step_7d), "30d": _window(END - 30 * DAY, END, step_30d)},
        "week_over_week": {
            "apps": {
                "api": {"restarts": [3, 1], "crashes": [1, 1], "memory_median": [190 * MIB, 170 * MIB],
                        "memory_peak": [260 * MIB, 280 * MIB]},
                HOSTILE_APP: {"restarts": [0, 0], "crashes": [0, 2], "memory_median": [91 * MIB, None],
                              "memory_peak": [99 * MIB, 98 * MIB]},
            },
            "host": {"swap_p95": [11.5, 9.25], "load_p95": [1.9, 2.35], "disks": {"/": {"growth_bytes": [512 * MIB, -3 * MIB]}}},
        },
        "trends": [{"rule": "disk_growth", "subject": "/", "level": "warning",
                    "message": "/ grows 0.2 %/h <b>fast</b>", "slope_per_hour": 0.2, "hours_to_limit": 170.0}],
    }


def _row(host, verdict, **extra):
    row = {"host": host, "verdict": verdict, "error": None, "memory_percent": 61.4, "swap_percent": 7.25,
           "swap_configured": True, "load_per_core": 0.456, "load1": 0.912, "cpu_count": 2, "pm2_online": 2,
           "pm2_total": 3, "pm2_not_online": [], "crashes": 1, "crash_window": "7d", "health_healthy": True,
           "health_latency_ms": 12.6, "health_reason": None, "top_finding": "", "findings": [], "report": None}
    row.update(extra)
    return row


def synthetic_document():
    """Five hosts: full history (one with a hostile name), history not available yet, no
    history key, unreachable (no history), and no swap configured."""
    hosts = [
        _row("web-1", "warning", history=history(), top_finding="memory 61% <above> warning",
             findings=[{"rule": "memory", "key": "memory", "level": "warning", "message": "memory 61% <above> warning", "value": 61.4}]),
        _row(HOSTILE_HOST, "ok", history=history(step_7d=1800, step_30d=4 * HOUR), memory_percent=33.0, crashes=0),
        _row("db-2", "critical", history={"available": False, "reason": "only 1 sample so far", "samples": 1, "first": END,
                                          "last": END, "windows": {}, "week_over_week": {}, "trends": []},
             health_healthy=False, health_reason="HTTP 503 <oops>", top_finding="health failed",
             findings=[{"rule": "health", "key": "health", "level": "critical", "message": "health failed", "value": None}]),
        _row("old-4", "ok", swap_configured=False, swap_percent=None, pm2_online=None, pm2_total=None),
        {"host": "edge-3", "verdict": "unreachable", "error": "Failed to connect: <Connection refused>", "memory_percent": None,
         "swap_percent": None, "swap_configured": None, "load_per_core": None, "load1": None, "cpu_count": None,
         "pm2_online": None, "pm2_total": None, "pm2_not_online": [], "crashes": None, "crash_window": None,
         "health_healthy": None, "health_latency_ms": None, "health_reason": None,
         "top_finding": "Failed to connect: <Connection refused>", "findings": [], "report": None},
    ]
    return {"title": "weekly health", "date": "2026-11-27", "generated": "2026-11-27T06:00:00Z", "check_mode": False,
            "verdict": "critical", "counts": {"ok": 2, "warning": 1, "critical": 1, "unknown": 0, "unreachable": 1},
            "failing_hosts": ["db-2", "edge-3"], "hosts": hosts}


# ------------------------------------------------------------------ parsing helpers (the tests' own)


class Page(html.parser.HTMLParser):
    """Tags, attributes and the text of every data-field element of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.fields = []
        self._open = []  # stack of [attrs, text] for elements with data-field
        self._depth = []
        self.text = []
        self.svg_numbers = []
        self._in_svg = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "svg":
            self._in_svg += 1
        if self._in_svg:
            for name, value in attrs.items():
                if name in ("x", "y", "x1", "x2", "y1", "y2", "d", "viewbox", "width", "height"):
                    self.svg_numbers.extend(re.findall(r"[-+]?[0-9.]*[a-zA-Z]*[0-9.]+|[a-zA-Z]+", value or ""))
        self._depth.append(tag)
        if "data-field" in attrs:
            self._open.append([attrs, [], len(self._depth)])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "svg":
            self._in_svg -= 1
        if self._open and self._open[-1][2] == len(self._depth):
            attrs, text, _level = self._open.pop()
            self.fields.append((attrs, "".join(text).strip()))
        if self._depth:
            self._depth.pop()

    def handle_data(self, data):
        self.text.append(data)
        for entry in self._open:
            entry[1].append(data)


def parse(text):
    page = Page()
    page.feed(text)
    page.close()
    return page


def expected_text(field, value):
    """How the report must show a JSON number: the tests' own table, written from the brief."""
    if value is None:
        return "-"
    if field in ("memory_percent",):
        return "%.0f%%" % value
    if field in ("swap_percent", "swap_p95"):
        return "%.1f%%" % value
    if field in ("load_per_core", "load_p95"):
        return "%.2f" % value
    if field in ("pm2_online", "pm2_total", "crashes", "count", "restarts"):
        return "%d" % value
    if field == "health_latency_ms":
        return "%.0f ms" % value
    if field in ("memory_median", "memory_peak", "growth_bytes"):  # binary units, as common.size and the Markdown
        for unit in ("B", "KiB", "MiB", "GiB"):
            if abs(value) < 1024:
                return "%d %s" % (value, unit) if unit == "B" else "%.1f %s" % (value, unit)
            value /= 1024.0
        return "%.1f TiB" % value
    raise AssertionError("field %s shown in the report but unknown to the test" % field)


def json_value(document, attrs):
    """The JSON twin's value behind one data-field element of the page."""
    field = attrs["data-field"]
    if field == "count":
        return document["counts"][attrs["data-verdict"]]
    host = next(h for h in document["hosts"] if h["host"] == attrs["data-host"])
    if "data-period" not in attrs:
        return host[field]
    index = 0 if attrs["data-period"] == "this" else 1
    wow = host["history"]["week_over_week"]
    subject = attrs["data-subject"]
    if subject == "host":
        return wow["host"][field][index]
    if subject.startswith("disk "):
        return wow["host"]["disks"][subject[5:]][field][index]
    return wow["apps"][subject][field][index]


def check_numbers_equal_json(text, document):
    """Every data-field number on the page equals the JSON twin's value; returns how many were compared."""
    page = parse(text)
    compared = 0
    for attrs, shown in page.fields:
        if attrs.get("data-text") == "no swap":
            host = next(h for h in document["hosts"] if h["host"] == attrs["data-host"])
            assert host["swap_configured"] is False and shown == "no swap"
            continue
        assert shown == expected_text(attrs["data-field"], json_value(document, attrs)), attrs
        compared += 1
    return compared


def expected_chart_count(entry):
    """Charts a host with history must show: one per non-empty series of each window."""
    count = 0
    for key in ("7d", "30d"):
        window = entry["history"]["windows"].get(key) or {}
        host = window.get("host") or {}
        series = [host.get(name) for name in ("memory_percent", "swap_percent", "load1")]
        series += list((window.get("disks") or {}).values())
        series += [app.get("memory") for app in (window.get("apps") or {}).values()]
        series.append((window.get("pm2_daemon") or {}).get("memory"))
        count += sum(1 for points in series if points)
    return count


def host_section(text, index):
    start = text.index('<section class="host" id="host-%d"' % index)
    return text[start:text.index("</section>", start)]


# ------------------------------------------------------------------ tests


def short_history_document(minutes=10, step=60):
    """web-1 with only `minutes` of samples at the end of its 7-day and 30-day windows."""
    document = synthetic_document()
    for window in document["hosts"][0]["history"]["windows"].values():
        end = window["end"]
        recent = [[t, 40.0 + (t // step) % 5] for t in range(end - minutes * 60, end + 1, step)]
        window["host"] = {"memory_percent": recent, "swap_percent": recent, "load1": [[t, 0.5] for t, _v in recent]}
        window["disks"] = {"/": recent}
        window["apps"] = {"api": {"memory": [[t, 100.0 * MIB] for t, _v in recent], "max_memory_restart": None}}
        window["pm2_daemon"] = {"memory": []}
    return document
