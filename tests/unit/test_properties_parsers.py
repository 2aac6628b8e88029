"""Property tests of the parsers tests/unit/test_properties.py leaves out (issue 25): the
systemd unit file (reboot_ready.parse_unit), PM2's saved process list (pm2.read_dump), the
role's cron schedules (schedule.py) and silences (targets, durations, reasons, records).

Over arbitrary input each returns its documented shape or raises OpsError (one sentence),
never anything else; where a parser has an inverse, the round trip gives the input back.
Fast by design (max 100 examples each, no per-example deadline).
"""

from __future__ import annotations

import json
import math
import os
import shlex
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import alert_rules, pm2, reboot_ready, schedule, silences
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, duration, parse_duration, printable

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = 1795818760

SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
)
JSON_VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=20)


def _only_ops_errors(call, *args, one_line=True, **kwargs):
    try:
        return call(*args, **kwargs)
    except OpsError as error:
        assert str(error).strip(), "an OpsError must say something"
        if one_line:
            assert "\n" not in str(error).strip(), "an OpsError is one sentence on one line"
        return error


# ------------------------------------------------------------------ systemd unit files

UNIT_KEYS = ["User", "ExecStart", "ExecReload", "ExecStop", "Environment", "Type", "PIDFile", "Restart"]
UNIT_LINE = (
    st.sampled_from(["[Unit]", "[Service]", "[Install]", "[Service", "", "# comment", "; comment", "\\"])
    | st.builds(lambda k, v: "%s=%s" % (k, v), st.sampled_from(UNIT_KEYS), st.text(max_size=30))
    | st.text(max_size=40)
)


@SETTINGS
@given(st.lists(UNIT_LINE, max_size=15).map("\n".join) | st.text(max_size=300) | st.none())
def test_unit_files_of_any_shape_parse_into_the_documented_shape(text):
    unit = reboot_ready.parse_unit(text)
    assert sorted(unit) == ["environment", "exec_reload", "exec_start", "exec_stop", "user"]
    assert unit["user"] is None or isinstance(unit["user"], str)
    for key in ("exec_start", "exec_reload", "exec_stop"):
        assert unit[key] is None or (isinstance(unit[key], list) and all(isinstance(w, str) for w in unit[key]))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in unit["environment"].items())


WORD = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(lambda w: w.strip() == w)
NAME = st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,8}\Z")


@SETTINGS
@given(user=st.from_regex(r"\A[a-z_][a-z0-9_-]{0,15}\Z"), argv=st.lists(WORD, min_size=1, max_size=5),
       env=st.dictionaries(NAME, st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12), max_size=3),
       split=st.booleans(), prefix=st.sampled_from(["", "-", "@", "+", "!", ":"]))
def test_a_unit_written_from_settings_parses_back_to_them(user, argv, env, split, prefix):
    argv = [argv[0].lstrip("-@:+!") or "node"] + argv[1:]
    words = [shlex.quote(word) for word in argv]
    # A continuation line: `pm2 startup` never writes one, but systemd reads it.
    command = (words[0] + " \\\n  " + " ".join(words[1:])) if split and len(words) > 1 else " ".join(words)
    lines = ["[Unit]", "Description=PM2", "User=nobody", "", "[Service]", "User=%s" % user,
             "ExecStart=%s%s" % (prefix, command)]
    lines += ["Environment=%s" % shlex.quote("%s=%s" % item) for item in sorted(env.items())]
    lines += ["", "[Install]", "WantedBy=multi-user.target"]
    unit = reboot_ready.parse_unit("\n".join(lines) + "\n")
    assert unit["user"] == user
    assert unit["exec_start"] == argv
    assert unit["environment"] == env


# ------------------------------------------------------------------ PM2's dump.pm2

DUMP_ENTRY = st.fixed_dictionaries({}, optional={
    "name": JSON_VALUES, "pm_id": JSON_VALUES, "status": JSON_VALUES,
    "pm2_env": JSON_VALUES | st.dictionaries(st.sampled_from(["name", "status", "env", "exec_mode"]), JSON_VALUES),
})


def _read_dump_of(data):
    with tempfile.TemporaryDirectory() as home:
        path = os.path.join(home, "dump.pm2")
        with open(path, "wb") as handle:
            handle.write(data)
        return _only_ops_errors(pm2.read_dump, path)


@SETTINGS
@given(st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_dump_files_of_any_content_are_a_process_list_or_one_sentence(data):
    result = _read_dump_of(data)
    if not isinstance(result, OpsError):
        assert isinstance(result, list) and all(isinstance(proc, dict) and isinstance(proc["name"], str) for proc in result)
    else:
        assert "dump.pm2" in str(result)


@settings(SETTINGS, max_examples=40)
@given(st.lists(DUMP_ENTRY, max_size=6))
def test_a_dump_of_process_shaped_entries_keeps_one_process_per_entry(entries):
    result = _read_dump_of(json.dumps(entries).encode())
    assert isinstance(result, list) and len(result) == len(entries)


# ------------------------------------------------------------------ cron schedules

FIELD = st.sampled_from(["*", "0", "5", "59", "23", "1-5", "*/15", "1,3,5", "mon", "7", "99", ""]) | st.text(max_size=4)
SCHEDULE = st.lists(FIELD, min_size=0, max_size=7).map(" ".join) | st.text(max_size=30)


def _offset(quarters):
    """A real UTC offset (-12:00 to +14:00) in quarter hours."""
    return "%s%02d%02d" % ("-" if quarters < 0 else "+", abs(quarters) * 15 // 60, abs(quarters) * 15 % 60)


OFFSET = st.integers(min_value=-48, max_value=56).map(_offset)


@SETTINGS
@given(SCHEDULE | JSON_VALUES)
def test_schedules_of_any_shape_are_five_fields_or_one_sentence_naming_the_setting(text):
    # one_line=False: see the xfail test below.
    result = _only_ops_errors(schedule.check, "twzrd_ops_cron_alerts_schedule", text, one_line=False)
    if isinstance(result, OpsError):
        assert str(result).startswith("twzrd_ops_cron_alerts_schedule must be five cron fields")
    else:
        assert len(result) == 5 and " ".join(result) == " ".join(text.split())


def test_a_schedule_refused_is_said_on_one_printable_line():
    with pytest.raises(OpsError) as info:
        schedule.check("twzrd_ops_cron_alerts_schedule", "0 * *\n\x1b[2J* *")
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)


@SETTINGS
@given(st.text(max_size=8) | JSON_VALUES)
def test_offsets_of_any_shape_are_minutes_or_one_sentence(offset):
    result = _only_ops_errors(schedule.offset_minutes, offset)
    assert isinstance(result, OpsError) or (isinstance(result, int) and -(99 * 60 + 99) <= result <= 99 * 60 + 99)


@SETTINGS
@given(SCHEDULE, OFFSET, st.booleans())
def test_every_accepted_schedule_converts_or_is_marked_not_convertible(text, offset, cron_tz):
    if isinstance(_only_ops_errors(schedule.check, "s", text, one_line=False), OpsError):
        return
    jobs = schedule.cron_jobs([{"name": "job", "schedule": text}], offset, cron_tz)
    assert len(jobs) == 1 and len(jobs[0]["fields"]) == 5
    assert jobs[0]["convertible"] or not (cron_tz or offset in ("+0000", "-0000"))


WEEK = 7 * 1440


@SETTINGS
@given(st.integers(0, 59), st.integers(0, 23), st.sampled_from(["*", "1", "5", "0,3", "1,2,3,4,5"]), OFFSET)
def test_a_converted_weekly_time_is_the_same_instant_in_the_hosts_time(minute, hour, weekday, offset):
    fields = schedule.local_fields("%d %d * * %s" % (minute, hour, weekday), offset, False)
    shift = schedule.offset_minutes(offset)
    assert fields is not None and fields[2:4] == ["*", "*"]
    utc_days = range(7) if weekday == "*" else [int(d) for d in weekday.split(",")]
    local_days = range(7) if fields[4] == "*" else [int(d) for d in fields[4].split(",")]
    utc = sorted((d * 1440 + hour * 60 + minute + shift) % WEEK for d in utc_days)
    local = sorted(d * 1440 + int(fields[1]) * 60 + int(fields[0]) for d in local_days)
    assert utc == local


@SETTINGS
@given(st.integers(0, 59), OFFSET)
def test_a_converted_hourly_minute_is_the_same_instant_in_the_hosts_time(minute, offset):
    fields = schedule.local_fields("%d * * * *" % minute, offset, False)
    assert fields[1:] == ["*", "*", "*", "*"]
    assert int(fields[0]) == (minute + schedule.offset_minutes(offset)) % 60


# ------------------------------------------------------------------ silences


@SETTINGS
@given(st.text(max_size=40) | JSON_VALUES | st.builds(lambda r, s: "%s:%s" % (r, s), st.sampled_from(alert_rules.RULES),
                                                      st.text(max_size=12)))
def test_silence_targets_of_any_shape_are_a_target_or_one_sentence(text):
    result = _only_ops_errors(silences.parse_target, text)
    if not isinstance(result, OpsError):
        assert result == silences.ALL or result.partition(":")[0] in alert_rules.RULES
        assert result == result.strip() and silences.parse_target(result) == result


@SETTINGS
@given(st.text(max_size=12) | JSON_VALUES, st.integers(1, 48))
def test_silence_durations_of_any_shape_are_a_length_within_the_maximum_or_one_sentence(text, max_hours):
    result = _only_ops_errors(silences.seconds_of, text, max_hours)
    if not isinstance(result, OpsError):
        assert 0 < result <= max_hours * 3600 and math.isfinite(result)


@SETTINGS
@given(st.integers(1, 59) | st.integers(1, 59).map(lambda m: m * 60)
       | st.tuples(st.integers(1, 23), st.integers(0, 59)).map(lambda hm: hm[0] * 3600 + hm[1] * 60)
       | st.tuples(st.integers(1, 400), st.integers(0, 23)).map(lambda dh: dh[0] * 86400 + dh[1] * 3600))
def test_a_duration_as_written_parses_back_to_its_seconds(seconds):
    assert parse_duration("d", duration(seconds)) == seconds


@SETTINGS
@given(st.text(max_size=300) | JSON_VALUES)
def test_silence_reasons_of_any_shape_are_one_printable_line_or_one_sentence(reason):
    result = _only_ops_errors(silences.clean_reason, reason)
    if not isinstance(result, OpsError):
        assert 0 < len(result) <= silences.REASON_LIMIT
        assert printable(result) == result and "\n" not in result


@SETTINGS
@given(JSON_VALUES | st.fixed_dictionaries({}, optional={k: JSON_VALUES for k in ("id", "target", "reason", "by", "created", "until")}))
def test_silence_records_of_any_shape_are_valid_or_not_and_a_valid_one_is_usable(record):
    valid = silences.valid_record(record)
    assert valid in (True, False)
    if valid:
        assert silences.active([record], NOW) in ([], [record])
        assert isinstance(silences.marker(record), str) and isinstance(silences.describe(record, NOW), str)
