"""Property tests: over arbitrary input, every parser and loader either returns its
documented shape or raises OpsError (one sentence), never anything else.

Covered: PM2's `jlist` output and process entries, PM2's daemon log, health response
bodies, the on-host configuration file, the error-log scanner and the alert state file.
Fast by design (max 200 examples each, no per-example deadline).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import alert_state, checks, config, logfilter, logscan, pm2, probe
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = 1795818760

# JSON-like values: scalars incl. NaN / infinities / huge numbers, nested lists and objects.
SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
)
JSON_VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=20)
PM2_KEYS = ["name", "pm_id", "pid", "pm2_env", "monit", "status", "pm_uptime", "restart_time", "unstable_restarts",
            "memory", "cpu", "max_memory_restart", "exec_mode", "instances", "pm_out_log_path", "pm_err_log_path", "env"]
# Entries shaped like PM2's, with any value in any field.
PM2_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "name": JSON_VALUES, "pm_id": JSON_VALUES, "pid": JSON_VALUES, "monit": JSON_VALUES | st.dictionaries(
            st.sampled_from(["memory", "cpu"]), JSON_VALUES),
        "pm2_env": JSON_VALUES | st.dictionaries(st.sampled_from(PM2_KEYS), JSON_VALUES, max_size=10),
    },
)


def _only_ops_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except OpsError as error:
        assert str(error).strip(), "an OpsError must say something"
        return None


def _dump(value):
    return json.dumps(value, allow_nan=True)


# ------------------------------------------------------------------------------ PM2 JSON


@SETTINGS
@given(st.text(max_size=300))
def test_jlist_text_of_any_shape(text):
    found = _only_ops_errors(pm2.parse_jlist, text)
    if found is not None:
        processes, warnings = found
        assert isinstance(processes, list) and isinstance(warnings, list)


@SETTINGS
@given(st.lists(PM2_ENTRY, max_size=4), st.text(max_size=40), st.integers(min_value=0, max_value=3000))
def test_jlist_entries_of_any_type_normalise_and_summarise(entries, banner, depth):
    text = banner + "\n" + _dump(entries) + "\n" + "[" * depth + "]" * depth
    found = _only_ops_errors(pm2.parse_jlist, text)
    if found is None:
        return
    processes = [pm2.normalize(raw, now=NOW) for raw in found[0]]
    for proc in processes:
        assert isinstance(proc["name"], str) and isinstance(proc["status"], str)
        assert isinstance(proc["cpu"], float) and math.isfinite(proc["cpu"])
        json.dumps(proc, allow_nan=False)
    summary = pm2.summarize(processes, [], ["web"], 300, 5)
    assert summary["total"] == len(processes)


# ------------------------------------------------------------------------------ PM2 log

STAMP = st.builds(
    "{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99), st.sampled_from(["T", " "]),
    st.integers(0, 99), st.integers(0, 99), st.integers(0, 99),
    st.sampled_from(["", ".5", ".123456789"]), st.sampled_from(["", "Z", "+01:00", "-99:99", "+9999"]),
)
MESSAGE = st.sampled_from([
    "App [web:0] exited with code [1] via signal [SIGKILL]", "Stopping app:web id:0", "App [web:0] starting in -fork mode-",
    "App [we b:x] exited with code [] via signal []", "App [web:" + "9" * 5000 + "] exited with code [" + "1" * 5000 + "] via signal [x]",
]) | st.text(max_size=60)
LOG_LINE = st.builds("{}: PM2 {}: {}".format, STAMP, st.sampled_from(["log", "error", "warn"]), MESSAGE) | st.text(max_size=80)


@SETTINGS
@given(st.lists(LOG_LINE, max_size=12), st.binary(max_size=40), st.floats(min_value=0, max_value=4e9))
def test_pm2_log_lines_of_any_shape_are_counted_or_skipped(lines, junk, since):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "pm2.log")
        with open(path, "wb") as handle:
            handle.write("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n" + junk)
        stats = {}
        events = _only_ops_errors(pm2.crash_events, path, since, stats=stats)
        assert events is not None, "a readable pm2.log never fails"
        for event in events:
            assert isinstance(event["time"], float) and isinstance(event["name"], str)


# ------------------------------------------------------------------------------ health JSON


@SETTINGS
@given(
    st.binary(max_size=200) | JSON_VALUES.map(lambda v: _dump(v).encode()) | st.integers(0, 20000).map(
        lambda depth: b"[" * depth + b"]" * depth),
    st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=3),
    st.integers(100, 599),
)
def test_health_bodies_of_any_shape_are_judged(payload, expect_keys, status):
    with mock.patch.object(probe, "fetch", return_value=(status, payload, False)):
        result = probe.probe("http://127.0.0.1:9/health", expect_keys=expect_keys or None, expected_status=[status])
    assert result["reason"] in (None,) + probe.REASONS
    assert isinstance(result["message"], str)
    json.dumps(result, allow_nan=False)


# ------------------------------------------------------------------------------ config file

CONFIG = st.fixed_dictionaries({}, optional={
    "checks": st.dictionaries(st.sampled_from(sorted(checks.DEFAULTS)), JSON_VALUES, max_size=6) | JSON_VALUES,
    "alerts": st.dictionaries(st.sampled_from(["state_file", "repeat_hours", "swap_clear", "load_clear_ratio",
                                               "webhook_timeout", "webhook_retries", "textfile_path"]), JSON_VALUES) | JSON_VALUES,
    "reports": JSON_VALUES, "restart": JSON_VALUES,
})


@SETTINGS
@given(st.binary(max_size=100) | CONFIG.map(lambda c: _dump(c).encode()) | st.integers(0, 50000).map(
    lambda depth: b'{"checks": ' + b"[" * depth + b"]" * depth + b"}"))
def test_config_files_of_any_content_load_or_say_why(raw):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "config.json")
        with open(path, "wb") as handle:
            handle.write(raw)
        loaded = _only_ops_errors(config.load, path)
    if loaded is not None:
        for key in ("swap_warning", "swap_critical", "load_warning", "load_critical", "health_timeout", "crash_window"):
            assert math.isfinite(loaded["checks"][key]), key


# ------------------------------------------------------------------------------ log lines


@SETTINGS
@given(st.lists(st.binary(max_size=60) | st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")), max_size=10),
       st.lists(st.text(min_size=1, max_size=8), max_size=3), st.integers(0, 30 * 86400))
def test_log_scan_of_any_lines_and_patterns(lines, patterns, window):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "app-error.log")
        with open(path, "wb") as handle:
            handle.write(b"\n".join(lines))
        result = _only_ops_errors(logscan.scan, [path], patterns=patterns or None, window_seconds=window, now=NOW + 86400 * 400)
    if result is not None:
        for line in result["lines"]:
            assert not any(ord(char) < 32 or 0x7f <= ord(char) <= 0x9f for char in line)


# Lines that start with a PM2 timestamp, days before the scans' "now" below: a block of them
# is settled at once by the window (logwindow.Window.block_verdict) when all share a date or two.
DATED_LINES = st.tuples(st.sampled_from([0, 1, 2, 3, 20, 31, 40]), st.integers(0, 86399), st.binary(max_size=30)).map(
    lambda parts: time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(NOW + 86400 * (400 - parts[0]) - parts[1])).encode() + parts[2])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # grep and wc start per example
@given(st.lists(st.binary(max_size=60) | st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass"))
                | DATED_LINES | DATED_LINES.map(lambda line: line + b": ERROR"), max_size=10),
       st.lists(st.text(min_size=1, max_size=8), max_size=3) | st.just(list(logscan.DEFAULT_PATTERNS)), st.integers(0, 30 * 86400))
def test_log_scan_with_and_without_the_pre_filter_agree(lines, patterns, window):
    # The grep pre-filter (logfilter) only drops lines: for any text and any patterns, the
    # scan with it on for every file equals the scan reading the file itself.
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "app-error.log")
        with open(path, "wb") as handle:
            handle.write(b"\n".join(lines))
        results = []
        for min_bytes in (1 << 62, 0):
            with mock.patch.object(logfilter, "MIN_BYTES", min_bytes):  # a setting, not a stand-in: grep runs
                results.append(_only_ops_errors(logscan.scan, [path], patterns=patterns or None, window_seconds=window,
                                                now=NOW + 86400 * 400))
    assert results[0] == results[1]


# ------------------------------------------------------------------------------ state file


@SETTINGS
@given(st.binary(max_size=100) | JSON_VALUES.map(lambda v: _dump(v).encode())
       | st.fixed_dictionaries({"version": st.just(1)}, optional={
           "alerts": JSON_VALUES, "last_run": JSON_VALUES, "crash_until": JSON_VALUES,
           "crash_counts": JSON_VALUES, "outbox": JSON_VALUES}).map(lambda v: _dump(v).encode())
       | st.integers(0, 50000).map(lambda depth: b"[" * depth + b"]" * depth))
def test_state_files_of_any_content_are_read_or_moved_aside(raw):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "alerts-state.json")
        with open(path, "wb") as handle:
            handle.write(raw)
        found = _only_ops_errors(alert_state.read_state, path, NOW)
    assert found is not None, "a readable state file never fails: it is used or moved aside"
    state, _warning = found
    assert set(state) >= {"alerts", "outbox", "crash_counts"}
