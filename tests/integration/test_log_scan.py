"""twzrd.ops.log_scan through Ansible on generated PM2-style logs."""

from __future__ import annotations

import gzip
import os
import time

DAY = 86400


def stamp(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(epoch))


def make_pm2_home(base):
    """A PM2_HOME with the error logs PM2 and its log rotation leave behind."""
    logs = base / "logs"
    logs.mkdir(parents=True)
    now = time.time()
    (logs / "milo-aggregator-error.log").write_text(
        "%s: Error: connect ECONNREFUSED 127.0.0.1:5432\n"
        "    at TCPConnectWrap.afterConnect (node:net:1555:16)\n"
        "%s: Error: ten days old, outside the window\n"
        "%s: UnhandledPromiseRejectionWarning: boom\n" % (stamp(now - 3600), stamp(now - 10 * DAY), stamp(now - 60))
    )
    (logs / "milo-aggregator-out.log").write_text("%s: ERROR in the out log is not scanned by default\n" % stamp(now))
    with gzip.open(str(logs / "cls-worker-error-0.log.1.gz"), "wt") as handle:
        handle.write("%s: FATAL ERROR: heap out of memory\n" % stamp(now - 2 * DAY))
    os.utime(str(logs / "cls-worker-error-0.log.1.gz"), (now - 2 * DAY, now - 2 * DAY))
    old = logs / "retired-error.log"
    old.write_text("%s: Error: a month ago\n" % stamp(now - 30 * DAY))
    os.utime(str(old), (now - 30 * DAY, now - 30 * DAY))
    return str(base), logs


def test_default_scans_pm2_error_logs(run_module, tmp_path):
    home, logs = make_pm2_home(tmp_path / "pm2")
    result = run_module("twzrd.ops.log_scan", {"pm2_home": home})
    assert result["_rc"] == 0, result.get("msg")
    assert result["changed"] is False
    assert result["total"] == 3
    counts = {os.path.basename(f["path"]): f["matches"] for f in result["files"]}
    assert counts == {"cls-worker-error-0.log.1.gz": 1, "milo-aggregator-error.log": 2}
    assert result["skipped_files"] == [{"path": str(logs / "retired-error.log"), "reason": "older than window"}]
    assert result["lines"][0].endswith("FATAL ERROR: heap out of memory")  # oldest file first
    assert result["lines"][-1].endswith("UnhandledPromiseRejectionWarning: boom")
    assert result["patterns"] == ["ERROR", "FATAL", "Exception", "Unhandled", "ECONNREFUSED", "ETIMEDOUT"]


def test_pm2_home_from_the_environment(run_module, tmp_path):
    home, _logs = make_pm2_home(tmp_path / "pm2")
    # An explicit default: the run_module fixture sends "{}" for no arguments, which Ansible
    # reads as raw parameters.
    result = run_module("twzrd.ops.log_scan", {"max_lines": 50}, env={"PM2_HOME": home})
    assert result["_rc"] == 0 and result["total"] == 3


def test_window_and_patterns_and_limits(run_module, tmp_path):
    home, logs = make_pm2_home(tmp_path / "pm2")
    args = {
        "paths": [str(logs / "*.log"), str(logs / "*.gz"), str(tmp_path / "absent.log")],
        "patterns": ["econnrefused", "out of memory"],
        "window_days": 0,
        "max_lines": 1,
        "max_line_length": 30,
    }
    result = run_module("twzrd.ops.log_scan", args, check=True)
    assert result["_rc"] == 0, result.get("msg")
    assert result["total"] == 2
    assert result["lines"] == [result["lines"][0]] and len(result["lines"][0]) == 31
    assert result["lines"][0].endswith("\u2026")
    assert {"path": str(tmp_path / "absent.log"), "reason": "missing"} in result["skipped_files"]


def test_no_pm2_logs_warns(run_module, tmp_path):
    result = run_module("twzrd.ops.log_scan", {"pm2_home": str(tmp_path / "nothing")})
    assert result["_rc"] == 0
    assert result["total"] == 0 and result["files"] == []
    assert any("No PM2 error logs were found in %s/logs." % (tmp_path / "nothing") in w for w in result.get("warnings", []))


def test_bad_input_fails_with_a_sentence(run_module, tmp_path):
    bad = run_module("twzrd.ops.log_scan", {"paths": [str(tmp_path)], "patterns": ["(unclosed"]})
    assert bad.get("failed") is True
    assert bad["msg"].startswith("Pattern '(unclosed' is not a valid regular expression: ")
    negative = run_module("twzrd.ops.log_scan", {"paths": [str(tmp_path)], "window_days": -1})
    assert negative["msg"] == "window_days must not be negative (got -1)."
    assert "Traceback" not in bad["_stdout"] + negative["_stdout"]


def test_a_hundred_thousand_error_logs_give_a_bounded_result(run_module, tmp_path):
    # A PM2 home with 100,000 error logs (a restart loop under pm2-logrotate): the result
    # names the 50 files with the most matches and counts the rest, instead of listing them all.
    logs = tmp_path / "pm2" / "logs"
    logs.mkdir(parents=True)
    old = time.time() - 30 * DAY
    for i in range(100000):
        name = str(logs / ("app%05d-error.log" % i))
        fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"ERROR x\n" * (1 + (i % 997 == 0) * (i // 997)))
        os.close(fd)
        if i % 2:
            os.utime(name, (old, old))
    result = run_module("twzrd.ops.log_scan", {"pm2_home": str(tmp_path / "pm2")})
    assert result["_rc"] == 0, result.get("msg")
    assert len(result["files"]) == 50 and result["files_omitted"] == 50000 - 50
    assert len(result["skipped_files"]) == 50 and result["skipped_omitted"] == 50000 - 50
    assert result["total"] == sum(1 + (i % 997 == 0) * (i // 997) for i in range(0, 100000, 2))
    # i = 997 k with k even has 1 + k matches: the 50 with k = 2 .. 100 lead, oldest first.
    assert [f["matches"] for f in result["files"]] == [1 + k for k in range(2, 101, 2)]
    assert len(result["_stdout"]) < 50000
