"""The per-host history store (plugins/module_utils/history.py) on real SQLite files in a
temporary directory: one transaction per sample, retention, a corrupt file moved aside, a
newer schema left alone, the clock going back, the summary() contract of host_check and
the fleet JSON, the judged trends as alerts (fire, held while the history is unreadable,
resolved) and `twzrd-ops history`. Time is passed in (now=), never slept."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import tracemalloc

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts, cli, history, settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

MIB = 1024 * 1024
GIB = 1024 * MIB
HOUR = 3600
DAY = 86400
NOW = 1_800_000_000


def snapshot(t, leak_mib=100, flat_mib=80, restarts=0, used_gib=10, free_gib=40, daemon_mib=50, swap=1.0, load=0.5):
    return {
        "host": "web-1",
        "epoch": t,
        "system": {"memory": {"percent": 50.0, "available": 2 * GIB, "total": 4 * GIB},
                   "swap": {"percent": swap}, "load": {"load1": load}},
        "pm2": {"daemon_memory": daemon_mib * MIB, "processes": [
            {"name": "leaky", "memory": int(leak_mib * MIB), "cpu": 1.5, "restarts": restarts, "status": "online",
             "max_memory_restart": 500 * MIB},
            {"name": "flat", "memory": int(flat_mib * MIB), "cpu": 0.5, "restarts": 0, "status": "online",
             "max_memory_restart": None},
        ]},
        "disk": [{"path": "/", "used": int(used_gib * GIB), "free": int(free_gib * GIB), "percent": 20.0}],
    }


def fill(db, hours, end=NOW, step=HOUR, free0=60, **kwargs):
    """Samples every step seconds for hours, the leaky app +5 MiB/h, the disk +1 GiB/h
    (free0 GiB free at the start)."""
    count = int(hours * HOUR // step)
    for i in range(count + 1):
        t = end - (count - i) * step
        age_h = (t - (end - hours * HOUR)) / HOUR
        history.record(snapshot(t, leak_mib=100 + 5 * age_h, used_gib=10 + age_h, free_gib=free0 - age_h, **kwargs),
                       db, now=t)


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "state" / "history.sqlite")


def test_record_then_read_round_trip_with_mode_0640_and_schema_version(db):
    history.record(snapshot(NOW - HOUR), db, now=NOW - HOUR)
    result = history.record(with_events(snapshot(NOW), NOW - 60, NOW - 30), db, now=NOW)
    assert result["warnings"] == [] and result["pruned"] == 0
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o640
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
    sample = history.read(db, now=NOW)[-1]
    assert sample["t"] == NOW and sample["daemon_memory"] == 50 * MIB and sample["swap_percent"] == 1.0
    assert sample["apps"]["leaky"] == {"memory": 100 * MIB, "cpu": 1.5, "restarts": 0, "crashes": 2,
                                       "status": "online", "max_memory_restart": 500 * MIB}
    assert sample["apps"]["flat"]["crashes"] == 0 and sample["apps"]["flat"]["max_memory_restart"] is None
    assert sample["disks"]["/"]["used"] == 10 * GIB
    assert history.read(db, now=NOW, app="flat")[0]["apps"].keys() == {"flat"}


def with_events(snap, *times, name="leaky"):
    """snap with the crash events the run read from pm2.log (snapshot["pm2"]["events"])."""
    snap["pm2"]["events"] = [{"name": name, "pm_id": 0, "time": t, "code": 1, "signal": None} for t in times]
    return snap


def test_crashes_count_the_events_after_the_previous_sample_and_not_after_now(db):
    first = history.record(with_events(snapshot(NOW - HOUR), NOW - 2 * HOUR), db, now=NOW - HOUR)
    events = (NOW - 2 * HOUR, NOW - HOUR, NOW - HOUR + 1, NOW - 5, NOW, NOW + 1)  # only 3 are in (NOW-HOUR, NOW]
    history.record(with_events(snapshot(NOW), *events), db, now=NOW)
    assert first["warnings"] == []
    assert [s["apps"]["leaky"]["crashes"] for s in history.read(db, now=NOW)] == [0, 3]  # the first sample counts none
    assert [s["apps"]["flat"]["crashes"] for s in history.read(db, now=NOW)] == [0, 0]


@pytest.mark.parametrize("events", [None, "absent", [], [{"name": "leaky"}, {"time": NOW}, "junk", {"name": 3, "time": NOW}]])
def test_absent_or_malformed_crash_events_count_zero(db, events):
    history.record(snapshot(NOW - HOUR), db, now=NOW - HOUR)
    snap = snapshot(NOW)
    if events != "absent":
        snap["pm2"]["events"] = events
    history.record(snap, db, now=NOW)
    assert history.read(db, now=NOW)[-1]["apps"]["leaky"]["crashes"] == 0


def test_last_sample_time_is_read_only_and_clamped_when_the_clock_went_back(tmp_path, db):
    assert history.last_sample_time(db) is None and not os.path.lexists(db)
    assert not os.path.lexists(os.path.dirname(db))  # not even the directory is created
    history.record(snapshot(NOW), db, now=NOW)
    assert history.last_sample_time(db) == NOW
    assert history.last_sample_time(db, now=NOW + HOUR) == NOW
    assert history.last_sample_time(db, now=NOW - DAY) == NOW - DAY - HOUR  # one hourly run back, not the future


def test_samples_older_than_the_retention_are_pruned(db):
    for day in range(100, 0, -1):  # one sample a day: every gap counts in full
        history.record(snapshot(NOW - day * DAY), db, now=NOW - day * DAY, retention_days=3650)
    result = history.record(snapshot(NOW), db, now=NOW, retention_days=90)
    assert result["pruned"] == 10 and result["warnings"] == []
    assert [round((NOW - s["t"]) / DAY) for s in history.read(db, now=NOW)] == list(range(90, -1, -1))
    with sqlite3.connect(db) as conn:  # no orphan rows left behind
        assert conn.execute("SELECT COUNT(*) FROM apps").fetchone()[0] == 91 * 2
        assert conn.execute("SELECT COUNT(*) FROM disks").fetchone()[0] == 91


def test_a_sample_is_one_transaction_nothing_half_written(db):
    history.record(snapshot(NOW - HOUR), db, now=NOW - HOUR)
    broken = snapshot(NOW)
    broken["disk"][0]["used"] = ["not", "a", "number"]  # fails after the sample row went in
    with pytest.raises(OpsError, match="Cannot write the history database .*nothing was recorded"):
        history.record(broken, db, now=NOW)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM apps").fetchone()[0] == 2


def test_a_file_that_is_not_a_database_is_moved_aside_and_history_starts_afresh(db):
    os.makedirs(os.path.dirname(db))
    with open(db, "wb") as handle:
        handle.write(b"this is not SQLite at all\n" * 100)
    result = history.record(snapshot(NOW), db, now=NOW)
    [warning] = result["warnings"]
    aside = db + ".corrupt-20270115T080000Z"
    assert warning.startswith("History database %s was corrupt" % db) and aside in warning
    assert "a new history starts now" in warning
    with open(aside, "rb") as handle:
        assert handle.read().startswith(b"this is not SQLite")
    assert len(history.read(db, now=NOW)) == 1


def test_a_damaged_database_is_found_by_its_integrity_check_and_moved_aside(db):
    fill(db, 48)
    size = os.path.getsize(db)
    with open(db, "r+b") as handle:  # scribble over pages in the middle, keep the header
        handle.seek(size // 2)
        handle.write(b"\xff" * 8192)
    result = history.record(snapshot(NOW + HOUR), db, now=NOW + HOUR)
    assert any("was corrupt" in w and "moved aside" in w for w in result["warnings"]), result
    assert [s["t"] for s in history.read(db, now=NOW + HOUR)] == [NOW + HOUR]


def test_reading_a_corrupt_database_says_so_and_never_moves_it(db):
    os.makedirs(os.path.dirname(db))
    with open(db, "wb") as handle:
        handle.write(b"garbage" * 1000)
    summary = history.summary(db, now=NOW)
    assert summary["available"] is False
    assert summary["reason"] == ("History database %s is corrupt (file is not a database); the next hourly run "
                                 "moves it aside and starts afresh." % db)
    assert os.path.exists(db) and not [n for n in os.listdir(os.path.dirname(db)) if ".corrupt-" in n]


def test_a_newer_schema_is_left_alone(db):
    os.makedirs(os.path.dirname(db))
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(OpsError, match="schema version 99, newer than this twzrd-ops knows"):
        history.record(snapshot(NOW), db, now=NOW)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99


def test_a_path_below_a_file_cannot_be_created_one_sentence(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OpsError) as info:
        history.record(snapshot(NOW), str(tmp_path / "afile" / "history.sqlite"), now=NOW)
    assert str(info.value) == "Cannot create the history database %s: %s is not a directory; nothing was recorded." % (
        tmp_path / "afile" / "history.sqlite", tmp_path / "afile")


def test_the_clock_going_back_is_said_and_trends_ignore_the_stray_sample(db):
    fill(db, 24)
    result = history.record(snapshot(NOW - 1800, leak_mib=10), db, now=NOW - 1800)
    assert [w for w in result["warnings"] if w.startswith("The clock went back")]
    [leak] = [t for t in history.judge(history.read(db, now=NOW), now=NOW) if t["subject"] == "leaky"]
    assert leak["slope_per_hour"] == pytest.approx(5 * MIB, rel=0.01)


def test_judge_flags_the_leak_and_the_disk_but_not_the_flat_app(db):
    fill(db, 30)
    judged = history.judge(history.read(db, now=NOW), now=NOW)
    by_subject = {t["subject"]: t for t in judged}
    assert set(by_subject) == {"leaky", "/"}
    leak = by_subject["leaky"]
    assert leak["rule"] == "memory_leak_suspected" and leak["level"] == "warning"
    # At NOW: 100 + 5 * 30 = 250 MiB, limit 500 MiB, +5 MiB/h: 50 h.
    assert leak["hours_to_limit"] == pytest.approx(50, rel=0.01)
    assert "max_memory_restart of 500.0 MiB in about 2.1 days" in leak["message"]
    disk = by_subject["/"]
    # 30 GiB free at +1 GiB/h: 30 h -> a warning (under 7 days), not critical (under 24 h).
    assert disk["rule"] == "disk_full_forecast" and disk["level"] == "warning"
    assert disk["hours_to_limit"] == pytest.approx(30, rel=0.01)


def test_disk_forecast_is_critical_under_the_critical_hours(db):
    fill(db, 30)
    judged = history.judge(history.read(db, now=NOW), {"disk_forecast_critical_hours": 48}, now=NOW)
    assert [t["level"] for t in judged if t["rule"] == "disk_full_forecast"] == ["critical"]


def test_pm2_daemon_leak_is_judged_against_memavailable(db):
    for i in range(25):
        t = NOW - (24 - i) * HOUR
        history.record(snapshot(t, daemon_mib=50 + 10 * i, leak_mib=100), db, now=t)
    [daemon] = [t for t in history.judge(history.read(db, now=NOW), now=NOW) if t["subject"] == history.DAEMON_KEY]
    # 2 GiB available at +10 MiB/h: about 205 h.
    assert daemon["hours_to_limit"] == pytest.approx(2048 / 10, rel=0.01)
    assert daemon["message"].startswith("The PM2 daemon memory rises") and "MemAvailable" in daemon["message"]


def test_summary_keeps_the_contract_of_the_fleet_json(db):
    fill(db, 14 * 24, step=HOUR)
    summary = history.summary(db, now=NOW)
    assert summary["available"] is True and summary["reason"] is None
    assert summary["samples"] == 14 * 24 + 1 and summary["last"] == NOW
    assert set(summary) == {"available", "reason", "samples", "first", "last", "windows", "week_over_week", "trends"}
    week = summary["windows"]["7d"]
    assert week["end"] == NOW and week["start"] == NOW - 7 * DAY
    assert set(week) == {"start", "end", "host", "disks", "apps", "pm2_daemon"}
    assert set(week["host"]) == {"memory_percent", "swap_percent", "load1"}
    assert week["apps"]["leaky"]["max_memory_restart"] == 500 * MIB
    assert all(isinstance(t, int) for t, _v in week["apps"]["leaky"]["memory"])
    assert len(week["apps"]["leaky"]["memory"]) == 7 * 24 + 1
    assert len(summary["windows"]["30d"]["apps"]["leaky"]["memory"]) <= history.MAX_POINTS
    wow = summary["week_over_week"]
    assert wow["apps"]["leaky"]["memory_peak"][0] > wow["apps"]["leaky"]["memory_peak"][1]
    growth = wow["host"]["disks"]["/"]["growth_bytes"]
    assert growth == [pytest.approx(7 * 24 * GIB, rel=0.01), pytest.approx((7 * 24 - 1) * GIB, rel=0.01)]
    assert set(wow["host"]) == {"swap_p95", "load_p95", "disks"}
    for trend in summary["trends"]:
        assert set(trend) == {"rule", "subject", "level", "message", "slope_per_hour", "hours_to_limit"}
    json.dumps(summary)  # JSON-ready as it is


def test_summary_with_one_week_only_has_no_previous_week(db):
    fill(db, 48)
    wow = history.summary(db, now=NOW)["week_over_week"]
    assert wow["apps"]["flat"]["restarts"] == [0, None]
    assert wow["host"]["swap_p95"] == [1.0, None]


def test_summary_of_a_host_without_history_says_why(tmp_path):
    summary = history.summary(str(tmp_path / "none.sqlite"), now=NOW)
    assert summary == history.unavailable(history.NO_HISTORY)


def test_week_over_week_rows_carry_arrows_and_deltas():
    rows = history.wow_rows({"week_over_week": {
        "apps": {"web": {"restarts": [5, 2], "crashes": [0, 0], "memory_median": [200 * MIB, 100 * MIB],
                         "memory_peak": [100 * MIB, 200 * MIB]}},
        "host": {"swap_p95": [1.0, None], "load_p95": [0.5, 0.5], "disks": {"/": {"growth_bytes": [GIB, 2 * GIB]}}}}})
    table = dict(((r["subject"], r["figure"]), (r["arrow"], r["delta"])) for r in rows)
    assert table[("web", "restarts")] == ("↑", "+3")
    assert table[("web", "crashes")] == ("→", "+0")
    assert table[("web", "memory median")] == ("↑", "+100.0 MiB")
    assert table[("web", "memory peak")] == ("↓", "-100.0 MiB")
    assert table[("host", "swap p95")] == ("", "new")
    assert table[("disk /", "growth bytes")] == ("↓", "-1.0 GiB")


def test_settings_are_validated_with_one_sentence_each():
    assert history.validate({})["leak_min_r2"] == 0.8
    with pytest.raises(OpsError, match="Perhaps you meant leak_min_r2"):
        history.validate({"leak_min_r": 0.5})
    with pytest.raises(OpsError, match="history.leak_min_r2 must be between 0 and 1"):
        history.validate({"leak_min_r2": 2})
    with pytest.raises(OpsError, match="history.db_path must be empty or an absolute path"):
        history.validate({"db_path": "history.sqlite"})


def test_the_default_file_lies_next_to_the_alert_state_file():
    from ansible_collections.twzrd.ops.plugins.module_utils import config

    assert config.validate({})["history"]["db_path"] == "/var/lib/twzrd-ops/history.sqlite"
    # A test's (or an operator's) own state file takes its history along with it.
    moved = config.validate({"alerts": {"state_file": "/srv/ops/alerts-state.json"}})
    assert moved["history"]["db_path"] == "/srv/ops/history.sqlite"
    assert config.validate({"history": {"db_path": "/data/h.sqlite"}})["history"]["db_path"] == "/data/h.sqlite"
    with pytest.raises(OpsError, match="disk_forecast_critical_hours .* must not be above"):
        history.validate({"disk_forecast_critical_hours": 200, "disk_forecast_warning_days": 7})


def test_role_variables_reach_the_history_section_and_are_named_in_errors():
    config = settings.host_config({"twzrd_ops_history_retention_days": 30, "twzrd_ops_history_leak_window_hours": 12})
    assert config["history"]["retention_days"] == 30 and config["history"]["leak_window_hours"] == 12
    known = list(settings.VARIABLES["history"]) + ["twzrd_ops_pm2_user"]
    found = settings.errors({"twzrd_ops_history_leak_min_samples": 1, "twzrd_ops_pm2_user": "app"}, known)
    assert found == ["Setting twzrd_ops_history_leak_min_samples must be between 3 and 10000, got 1."]


# --- trends through the alert engine ---------------------------------------------------


def leak_finding():
    return {"rule": "memory_leak_suspected", "key": "memory_leak_suspected:leaky", "level": "warning",
            "message": "PM2 app leaky memory rises steadily.", "value": 50.0}


def test_trend_alert_fires_is_held_while_history_is_unreadable_then_resolves(tmp_path):
    conf = {"state_file": str(tmp_path / "state.json"), "log_file": str(tmp_path / "alerts.log")}
    snap = {"host": "web-1"}
    first = alerts.process(conf, snap, [leak_finding()], {}, now=NOW, warnings=["History database x was corrupt."])
    assert [(e["type"], e["key"]) for e in first["events"]] == [("firing", "memory_leak_suspected:leaky")]
    assert first["exit_code"] == 1
    assert any(" WARNING " in line and "History database x was corrupt." in line for line in first["lines"])
    held = alerts.process(conf, {"host": "web-1", "history": {"error": "cannot read"}}, [], {}, now=NOW + HOUR)
    assert held["events"] == [] and [a["key"] for a in held["active"]] == ["memory_leak_suspected:leaky"]
    gone = alerts.process(conf, snap, [], {}, now=NOW + 2 * HOUR)
    assert [(e["type"], e["key"]) for e in gone["events"]] == [("resolved", "memory_leak_suspected:leaky")]


def test_read_for_trends_then_trend_findings_judge_the_run_without_touching_the_snapshot(db):
    fill(db, 30, end=NOW - HOUR)
    conf = history.validate({"db_path": db})
    snap = snapshot(NOW, leak_mib=255, used_gib=40, free_gib=30)
    assert history.record(snap, db, now=NOW)["warnings"] == []
    samples, problem = history.read_for_trends(conf, NOW)
    assert problem is None and samples[-1]["t"] == NOW
    before = json.dumps(samples, sort_keys=True)
    found = history.trend_findings(samples, conf, NOW)
    assert {f["key"] for f in found} == {"memory_leak_suspected:leaky", "disk_full_forecast:/"}
    assert json.dumps(samples, sort_keys=True) == before  # pure: the samples are not changed
    assert history.trend_findings(samples, conf, NOW) == found  # and the same answer twice


def test_an_unusable_history_is_one_sentence_and_trends_are_held(tmp_path):
    (tmp_path / "afile").write_text("x")
    conf = history.validate({"db_path": str(tmp_path / "afile" / "h.sqlite")})
    with pytest.raises(OpsError, match="^Cannot create the history database .*is not a directory; nothing was recorded"):
        history.record(snapshot(NOW), conf["db_path"], now=NOW)
    assert history.read_for_trends(conf, NOW) == ([], None)  # no file: no data, not an error
    (tmp_path / "h.sqlite").write_bytes(b"garbage" * 1000)
    conf = history.validate({"db_path": str(tmp_path / "h.sqlite")})
    samples, problem = history.read_for_trends(conf, NOW)
    assert samples == [] and problem.startswith("Trends not judged: History database %s is corrupt" % conf["db_path"])


# --- twzrd-ops history -------------------------------------------------------------------


def run_history(tmp_path, db, *args):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"history": {"db_path": db}, "alerts": {"state_file": str(tmp_path / "s.json")}}))
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--config", str(config), "history"] + list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_history_command_prints_samples_and_trends(tmp_path, db):
    import time

    now = int(time.time())
    fill(db, 30, end=now)
    code, out, err = run_history(tmp_path, db, "--days", "1", "--app", "leaky")
    assert (code, err) == (0, "")
    # 24 or 25 samples: the command's own clock has moved on a little since fill(). The
    # samples are streamed, so their count closes the list.
    assert out.startswith("History in %s, the last 1 days" % db)
    assert "\n24 samples from " in out or "\n25 samples from " in out
    assert "leaky: " in out and "flat: " not in out
    assert "WARNING memory_leak_suspected: PM2 app leaky memory rises steadily" in out
    code, out, err = run_history(tmp_path, db, "--json", "--days", "2")
    data = json.loads(out)
    assert code == 0 and len(data["samples"]) == 31 and {t["subject"] for t in data["trends"]} == {"leaky", "/"}


def test_history_command_without_history_and_with_bad_days(tmp_path):
    db = str(tmp_path / "none.sqlite")
    code, out, _err = run_history(tmp_path, db)
    assert code == 0 and out.startswith("No history samples in the last 7 days")
    code, out, err = run_history(tmp_path, db, "--days", "soon")
    assert code == 3 and err.strip() == "Option --days must be a number, got 'soon'."


# --- the reports: per-host text, fleet row and Markdown ------------------------------------


def two_weeks(db):
    fill(db, 14 * 24, free0=400)  # 64 GiB free at the end: full in 64 h at 1 GiB/h
    return history.summary(db, now=NOW)


def test_text_report_shows_trends_and_week_over_week_with_arrows(db):
    from ansible_collections.twzrd.ops.plugins.module_utils import report

    text = report.render_text({"host": "web-1"}, [], "warning", history=two_weeks(db))
    part = text[text.index("== History: trends and week over week"):]
    # After two weeks the leaky app is far above its limit and rises by under 10 % a day: no
    # leak is judged (min_rise_percent), but the disk is.
    assert "WARNING disk_full_forecast: Disk / fills up in about 2.7 days at the rate of the last 24 h" in part
    # The leaky app grows 5 MiB/h: medians at hour 252 (this week) and 83.5 (the previous).
    assert [line.split() for line in part.splitlines() if line.strip().startswith("leaky") and "median" in line] == [
        ["leaky", "memory", "median", "1.3", "GiB", "517.5", "MiB", "↑", "+842.5", "MiB"]]
    assert "no history yet on this host" in report.render_text({}, [], "ok", history=history.unavailable(history.NO_HISTORY))


def test_fleet_row_carries_the_history_unchanged_and_the_markdown_shows_week_over_week(db):
    import jinja2

    from ansible_collections.twzrd.ops.plugins.filter import fleet

    summary = two_weeks(db)
    checked = {"state": "checked", "snapshot": {}, "findings": [], "verdict": "ok", "history": summary}
    rows = [fleet.host_row("web1", checked), fleet.host_row("web2", {"state": "unreachable", "error": "ssh: refused"})]
    assert rows[0]["history"] is summary and rows[1]["history"] is None
    doc = fleet.fleet_document(rows, date="2026-11-30", generated="2026-11-30T00:00:00Z")
    assert doc["hosts"][0]["history"] is summary  # the JSON twin, for the HTML report
    templates = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "roles", "twzrd_ops", "templates")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["twzrd.ops.md_cell"] = fleet.md_cell
    text = env.get_template("weekly-health.md.j2").render(__twzrd_ops_rows=rows, __twzrd_ops_fleet_report=doc)
    part = text[text.index("## Trends and week over week"):]
    assert "- trend: Disk / fills up in about 2.7 days" in part
    assert "| leaky | restarts | 0 | 0 | → +0 |" in part
    assert "| leaky | memory median | 1.3 GiB | 517.5 MiB | ↑ +842.5 MiB |" in part
    assert "| disk / | growth bytes | 168.0 GiB | 167.0 GiB | → +1.0 GiB |" in part
    assert "### web2\n- no history reported" in part


# --- bounded reads: `history --json --days 365` for 50 apps took 932 MB ------------------


def bulk(db, samples, apps):
    """samples hourly samples of apps apps written straight into the schema (fast)."""
    history.record(snapshot(NOW - samples * HOUR), db, now=NOW - samples * HOUR)
    with sqlite3.connect(db) as conn:
        for i in range(samples):
            sid = conn.execute("INSERT INTO samples (t, memory_percent) VALUES (?, ?)", (NOW - (samples - 1 - i) * HOUR, 50.0)).lastrowid
            conn.executemany("INSERT INTO apps VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [(sid, "app-%02d" % a, MIB, 1.0, 0, 0, "online", None) for a in range(apps)])
            conn.execute("INSERT INTO disks VALUES (?, '/', 1, 2, 3.0)", (sid,))
    conn.close()


def test_iter_samples_streams_what_read_returns_and_limit_keeps_the_newest(db):
    bulk(db, 300, 5)
    streamed = list(history.iter_samples(db, now=NOW))
    assert streamed == history.read(db, now=NOW, limit=None) and len(streamed) == 301
    assert all(len(s["apps"]) == 5 and s["disks"]["/"]["percent"] == 3.0 for s in streamed[1:])
    newest = history.read(db, now=NOW, limit=10)
    assert newest == streamed[-10:]
    assert [s["apps"].keys() for s in history.read(db, now=NOW, app="app-03", limit=3)] == [{"app-03"}] * 3
    assert len(history.read(db, days=1, now=NOW)) == 25  # 24 h back, both ends included


def test_streaming_a_long_history_keeps_memory_to_one_sample(db):
    bulk(db, 300, 40)
    tracemalloc.start()
    try:
        count = sum(1 for _sample in history.iter_samples(db, now=NOW))
        streamed = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        listed = len(history.read(db, now=NOW, limit=None))
        whole = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == listed == 301
    assert streamed * 10 < whole, (streamed, whole)  # one sample at a time, not 301
