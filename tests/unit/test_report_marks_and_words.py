"""Issue 24's report: crashes and restarts are marked on the app charts (the history summary
carries each app's crash and planned-restart events per window, history_summary.app_events,
from samples recorded in a real SQLite history), and the per-host text report, the HTML page
and the Markdown (the fleet filter) say the same week over week: the rows of one builder,
history.wow_rows, with the same cells (the HTML and Markdown add the direction word)."""

from __future__ import annotations

from ansible_collections.twzrd.ops.plugins.module_utils import history, htmlcharts, htmlreport, report
from ansible_collections.twzrd.ops.plugins.module_utils.escape import html_text
from ansible_collections.twzrd.ops.plugins.module_utils.history_summary import app_events

from reportpages import synthetic_document

MIB = 1024 * 1024
HOUR = 3600
NOW = 1_800_000_000


def snapshot(t, restarts, crash_times=()):
    return {
        "host": "web-1", "epoch": t,
        "system": {"memory": {"percent": 50.0, "available": 2 << 30, "total": 4 << 30},
                   "swap": {"percent": 1.0}, "load": {"load1": 0.5}},
        "pm2": {"daemon_memory": 50 * MIB,
                "processes": [{"name": "web", "memory": 100 * MIB, "cpu": 1.0, "restarts": restarts, "status": "online",
                               "max_memory_restart": None}],
                "events": [{"name": "web", "pm_id": 0, "time": c, "code": 1, "signal": None} for c in crash_times]},
        "disk": [{"path": "/", "used": 10 << 30, "free": 40 << 30, "percent": 20.0}],
    }


def test_crashes_and_planned_restarts_become_marks_on_the_app_chart(tmp_path):
    db = str(tmp_path / "history.sqlite")
    # Hourly runs: at -5 h two crashes (PM2 restarted the app twice: counter 0 -> 2), at -2 h
    # the Friday restart (2 -> 3, no crash), at -1 h PM2 itself restarted (the counter back to 0).
    counters = {-6: 0, -5: 2, -4: 2, -3: 2, -2: 3, -1: 0, 0: 0}
    for hours, counter in sorted(counters.items()):
        t = NOW + hours * HOUR
        crashes = (t - 900, t - 600) if hours == -5 else ()
        history.record(snapshot(t, counter, crashes), db, now=t)
    summary = history.summary(db, now=NOW)
    app = summary["windows"]["7d"]["apps"]["web"]
    assert app["crashes"] == [[NOW - 5 * HOUR, 2]]
    assert app["restarts"] == [[NOW - 2 * HOUR, 1]]
    svg = htmlcharts.window_charts("web-1", "7d", "last 7 days", summary["windows"]["7d"])
    assert svg.count('class="mark crash"') == 1 and "<title>2 crashes</title>" in svg
    assert svg.count('class="mark restart"') == 1 and "<title>1 restart</title>" in svg


def test_a_window_holds_only_its_own_events_and_the_counter_before_it_counts():
    samples = [{"t": NOW - 10 * 86400, "apps": {"web": {"restarts": 5, "crashes": 1}}},
               {"t": NOW - HOUR, "apps": {"web": {"restarts": 7, "crashes": 0}}}]
    events = app_events(samples, "web", NOW - 7 * 86400, NOW)
    assert events == {"crashes": [], "restarts": [[NOW - HOUR, 2]]}


def test_many_events_are_summed_into_at_most_240_marks():
    samples = [{"t": NOW - i * 600, "apps": {"web": {"restarts": 0, "crashes": 1}}} for i in range(1000)][::-1]
    crashes = app_events(samples, "web", NOW - 30 * 86400, NOW)["crashes"]
    assert len(crashes) <= 240 and sum(count for _t, count in crashes) == 1000


def test_text_and_html_say_the_same_week_over_week(tmp_path):
    db = str(tmp_path / "history.sqlite")
    for hours in range(14 * 24, -1, -6):  # two weeks; the second one restarts more
        t = NOW - hours * HOUR
        history.record(snapshot(t, 0 if hours > 7 * 24 else (14 * 24 - hours) // 24), db, now=t)
    summary = history.summary(db, now=NOW)
    rows = history.wow_rows(summary)
    assert rows and rows[0]["changed"] and rows[0]["word"] in ("up", "down", "new", "gone")
    text = report.render_text({"host": "web-1", "epoch": NOW}, [], "ok", history=summary)
    document = synthetic_document()
    document["hosts"] = [dict(document["hosts"][0], host="web-1", history=summary)]
    page = htmlreport.render(document)
    for row in rows:
        cells = [row["this"], row["prev"], ("%s %s" % (row["arrow"], row["delta"])).strip()]
        text_line = [line for line in text.splitlines() if row["figure"] in line and row["subject"] in line]
        assert len(text_line) == 1 and all(cell in text_line[0] for cell in cells if cell), (row, text_line)
        assert all(html_text(cell) in page for cell in cells + [row["word"]] if cell), row
