"""A time the history did not write is a claim (issue 20, principle 1): the hourly history
and the weekly reports under a clock that jumps by +-1 h, +-30 d and +-1 y, with the
injected clock (now=). A clock running ahead never deletes data; a clock that went back
never breaks reads or trends. The rules: history_store.prune_ids, report_prune.prune_plan."""

from __future__ import annotations

import calendar
import os
import shutil
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import history, report, report_prune
from ansible_collections.twzrd.ops.plugins.module_utils.history_store import prune_ids

MIB = 1024 * 1024
GIB = 1024 * MIB
HOUR = 3600
DAY = 86400
T = 1_800_000_000  # the last honest run
RETENTION = 7
JUMPS = {"+1h": HOUR, "+30d": 30 * DAY, "+1y": 365 * DAY, "-1h": -HOUR, "-30d": -30 * DAY, "-1y": -365 * DAY}


def snapshot(t, age_h):
    return {
        "epoch": t,
        "system": {"memory": {"percent": 50.0, "available": 2 * GIB, "total": 4 * GIB}, "swap": {"percent": 1.0},
                   "load": {"load1": 0.5}},
        "pm2": {"daemon_memory": 50 * MIB, "processes": [
            {"name": "leaky", "memory": int((100 + 5 * age_h) * MIB), "cpu": 1.0, "restarts": 0, "status": "online",
             "max_memory_restart": 900 * MIB}]},
        "disk": [{"path": "/", "used": int((10 + age_h) * GIB), "free": int((300 - age_h) * GIB), "percent": 20.0}],
    }


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Ten days of hourly samples, the last at T, all recorded with an honest clock (once)."""
    path = str(tmp_path_factory.mktemp("template") / "history.sqlite")
    for hours_ago in range(10 * 24, -1, -1):
        t = T - hours_ago * HOUR
        assert history.record(snapshot(t, 240 - hours_ago), path, now=t, retention_days=3650)["pruned"] == 0
    return path


@pytest.fixture
def db(tmp_path, recorded):
    """A copy of the recorded history (mode 0640 like the original) for one test."""
    os.mkdir(str(tmp_path / "state"), 0o750)
    path = str(tmp_path / "state" / "history.sqlite")
    shutil.copy(recorded, path)
    return path


def times(db):
    return [s["t"] for s in history.read(db, limit=None)]


@pytest.mark.parametrize("jump", ["+30d", "+1y"])
def test_a_clock_running_ahead_prunes_nothing_and_says_why_then_ages_the_history_by_one_day(db, jump):
    before = times(db)
    now = T + JUMPS[jump]
    result = history.record(snapshot(now, 241), db, now=now, retention_days=RETENTION)
    assert result["pruned"] == 0
    [warning] = result["warnings"]
    assert warning.startswith("History not pruned: the clock (%s) is %.1f days past the newest sample (%s)"
                              % (history.iso(now), JUMPS[jump] / DAY, history.iso(T)))
    assert times(db) == before + [now]
    # The next hourly run: the gap counts one day, so only what is older than 7 days of
    # recorded time goes (samples up to 7 d - 1 d - 1 h before T stay), never the lot.
    second = history.record(snapshot(now + HOUR, 242), db, now=now + HOUR, retention_days=RETENTION)
    assert second["warnings"] == []
    kept = [t for t in times(db) if t <= T]
    assert kept == [t for t in before if T - t <= RETENTION * DAY - DAY - HOUR]
    assert len(kept) == 6 * 24  # 143 hours back and T itself


def test_an_hour_ahead_prunes_exactly_as_the_plain_clock_would(db):
    before = times(db)
    now = T + HOUR
    result = history.record(snapshot(now, 241), db, now=now, retention_days=RETENTION)
    assert result["warnings"] == []
    assert times(db) == [t for t in before if t >= now - RETENTION * DAY] + [now]
    assert result["pruned"] == len(before) - len([t for t in before if t >= now - RETENTION * DAY])


@pytest.mark.parametrize("jump", ["-1h", "-30d", "-1y"])
def test_a_clock_that_went_back_prunes_by_recorded_time_and_keeps_reads_and_trends_whole(db, jump):
    before = times(db)
    now = T + JUMPS[jump]
    conf = history.validate({"db_path": db, "retention_days": RETENTION})
    if jump != "-1h":  # before this run records: every sample of the 30 days read is in the future
        summary = history.summary(db, now=now, settings=conf)
        assert not summary["available"] and summary["reason"].startswith("all 241 history samples are stamped later than now")
    result = history.record(snapshot(now, 241), db, now=now, retention_days=RETENTION)
    assert any(w.startswith("The clock went back: the last history sample is from %s" % history.iso(T))
               for w in result["warnings"])
    # Only samples older than 7 days of RECORDED time went, never a sample because of the clock.
    assert [t for t in times(db) if t > now] == [t for t in before if T - t <= RETENTION * DAY and t > now]
    samples, problem = history.read_for_trends(conf, now)
    assert all(s["t"] <= now for s in samples)
    assert problem.startswith("Trends not judged: ") and "stamped later than now" in problem  # held, not resolved
    assert history.trend_findings(history.read(db), conf, now) is not None  # the pure half never raises on them
    summary = history.summary(db, now=now, settings=conf)
    assert summary["available"] and summary["last"] == now  # this run's sample; the future ones left out


def test_last_sample_time_never_hands_out_a_future_time(db):
    assert history.last_sample_time(db, now=T + HOUR) == T
    for jump in ("-1h", "-30d", "-1y"):
        now = T + JUMPS[jump]
        assert history.last_sample_time(db, now=now) == now - HOUR


def test_prune_ids_is_pure_and_counts_gaps_at_most_a_day():
    samples = [(1, 0.0), (2, 3600.0), (3, 3600.0 + 40 * DAY), (4, 7200.0 + 40 * DAY)]
    # Sample 1 is 1 h + min(40 d, 1 d) + 1 h = 26 h old in recorded time, sample 2 25 h.
    assert prune_ids(samples, 7200.0 + 40 * DAY, 25.5 / 24) == ([1], None)
    assert prune_ids(samples, 7200.0 + 40 * DAY, 26.5 / 24) == ([], None)
    assert prune_ids([(1, 10.0), (2, 5.0), (3, 20.0)], 20.0, 10.0 / DAY) == ([1, 2], None)  # a back step counts 0
    assert prune_ids([(1, 10.0), (2, 5.0), (3, 20.0)], 20.0, 16.0 / DAY) == ([], None)
    doomed, warning = prune_ids(samples, 7200.0 + 42 * DAY, 1)
    assert doomed == [] and warning.startswith("History not pruned")
    assert prune_ids([], 0, 1) == ([], None)


# --- the weekly reports (report.prune) ----------------------------------------------------


def day(epoch):
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


def day_number(date):
    return calendar.timegm(time.strptime(date, "%Y-%m-%d")) // DAY


@pytest.fixture
def reports(tmp_path):
    """Weekly reports for 20 weeks, the last at T (each with its .json twin)."""
    for week in range(20):
        for ext in ("txt", "json"):
            (tmp_path / report.report_name(T - week * 7 * DAY, ext)).write_text("x")
    return tmp_path


def dates(directory):
    start = len(report.REPORT_PREFIX)
    return sorted({name[start:start + 10] for name in os.listdir(str(directory))})


@pytest.mark.parametrize("jump", ["+30d", "+1y"])
def test_a_clock_running_ahead_deletes_no_weekly_report_and_says_why(reports, jump):
    before = dates(reports)
    now = T + JUMPS[jump]
    warnings = []
    (reports / report.report_name(now, "txt")).write_text("this run's report")
    assert report.prune(str(reports), keep_weeks=4, now=now, warnings=warnings) == []
    [warning] = warnings
    assert warning.startswith("Old reports not pruned: today (%s) is %d days past the newest earlier report (%s)"
                              % (day(now), JUMPS[jump] // DAY, day(T)))
    assert dates(reports) == sorted(before + [day(now)])
    # A week later the gap counts two weeks: the reports of the last 2 weeks before it stay.
    later = now + 7 * DAY
    assert report.prune(str(reports), keep_weeks=4, now=later, warnings=warnings) != []
    assert len(warnings) == 1
    assert [d for d in dates(reports) if d <= day(T)] == [day(T - 7 * DAY), day(T)]


def test_an_hour_ahead_prunes_the_reports_as_the_plain_clock_would(reports):
    now = T + HOUR
    warnings = []
    removed = report.prune(str(reports), keep_weeks=4, now=now, warnings=warnings)
    assert warnings == [] and len(removed) == 2 * 15
    assert dates(reports) == [day(T - w * 7 * DAY) for w in range(4, -1, -1)]


@pytest.mark.parametrize("jump", ["-1h", "-30d", "-1y"])
def test_a_clock_that_went_back_deletes_no_report_newer_than_keep_weeks_of_reports(reports, jump):
    now = T + JUMPS[jump]
    warnings = []
    report.prune(str(reports), keep_weeks=4, now=now, warnings=warnings)
    assert warnings == []
    # Every report within 4 weeks of the newest report is still there, whatever the clock says.
    kept = dates(reports)
    assert all(day(T - w * 7 * DAY) in kept for w in range(5))


def test_prune_plan_is_pure_and_never_removes_today():
    assert report.prune_plan([], "2027-01-01", 1) == ([], None)
    assert report.prune_plan(["2027-01-01"], "2027-01-01", 0) == ([], None)
    # 2026-12-01 is 12 + min(19, 14) = 26 days old in report time, 2026-12-20 12 days.
    assert report.prune_plan(["2026-12-01", "2026-12-20", "2027-01-01"], "2027-01-01", 2) == (["2026-12-01"], None)
    assert report.prune_plan(["2026-12-01", "2026-12-20", "2027-01-01"], "2027-01-01", 4) == ([], None)


# --- the class, not the cases: any history, any clock --------------------------------------

STEPS = st.lists(st.floats(min_value=-2 * 365 * DAY, max_value=2 * 365 * DAY, allow_nan=False), min_size=1, max_size=40)


def history_times(steps):
    """(id, t) in recording order from clock steps between runs (backwards ones too)."""
    t, out = float(T), []
    for index, step in enumerate(steps):
        t += step
        out.append((index + 1, t))
    return out


@settings(max_examples=300, deadline=None)
@given(steps=STEPS, jump=st.floats(min_value=-2 * 365 * DAY, max_value=2 * 365 * DAY, allow_nan=False),
       retention=st.floats(min_value=1, max_value=3650))
def test_pruning_never_outruns_the_recorded_time_whatever_the_clock_did(steps, jump, retention):
    samples = history_times(steps)
    newest = max(t for _id, t in samples)
    now = samples[-1][1] + jump
    doomed, warning = prune_ids(samples, now, retention)
    ids = [sample_id for sample_id, _t in samples]
    assert doomed == ids[:len(doomed)]  # always the oldest in recording order, never a hole
    if now - newest > history.MAX_GAP:  # the clock is far past every sample: nothing goes
        assert doomed == [] and warning.startswith("History not pruned")
    else:
        assert warning is None
    # At most one day per gap: a sample goes only when retention days of recording lie after it.
    for sample_id, t in samples:
        if sample_id in doomed:
            later = [u for i, u in samples if i >= sample_id] + [now]
            counted = sum(min(max(b - a, 0), history.MAX_GAP) for a, b in zip(later, later[1:]))
            assert counted > retention * DAY


@settings(max_examples=300, deadline=None)
@given(gaps=st.lists(st.integers(min_value=-400, max_value=400), min_size=1, max_size=30),
       jump=st.integers(min_value=-800, max_value=800), keep=st.integers(min_value=0, max_value=52))
def test_report_pruning_never_outruns_the_reports_whatever_the_clock_did(gaps, jump, keep):
    base, dates = T, []
    for gap in gaps:
        base += gap * DAY
        dates.append(day(base))
    today = day(base + jump * DAY)
    doomed, warning = report.prune_plan(dates, today, keep)
    assert today not in doomed and set(doomed) <= set(dates)
    earlier = sorted(d for d in dates if d < today)
    if earlier and day_number(today) - day_number(earlier[-1]) > report_prune.REPORT_MAX_GAP_DAYS:
        assert doomed == [] and warning.startswith("Old reports not pruned")
    else:
        assert warning is None
    newest = max(set(dates) | {today})
    for date in doomed:  # a removed report is older than keep weeks of reports, never just of the clock
        assert date < newest
        assert day_number(newest) - day_number(date) > keep * 7
