"""Unit tests of plugins/module_utils/logscan.py on real files written to a temporary
directory: windows, timestamps, gzip, invalid UTF-8, long lines, binary, unreadable files
and chunk boundaries. The clock is moved with now=, never slept on."""

from __future__ import annotations

import gzip
import json
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import logbounds, logfilter, logscan
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

NOW = time.mktime((2026, 11, 27, 12, 0, 0, 0, 0, -1))  # local time, like PM2's timestamps
DAY = 86400
COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(logscan.__file__), *([".."] * 5)))


def stamp(epoch, fmt="%Y-%m-%dT%H:%M:%S"):
    return time.strftime(fmt, time.localtime(epoch))


def write(path, text, mtime=NOW):
    data = text.encode("utf-8") if isinstance(text, str) else text
    if str(path).endswith(".gz"):
        with gzip.open(str(path), "wb") as handle:
            handle.write(data)
    else:
        with open(str(path), "wb") as handle:
            handle.write(data)
    os.utime(str(path), (mtime, mtime))
    return str(path)


def scan(paths, **kwargs):
    kwargs.setdefault("now", NOW)
    return logscan.scan(paths if isinstance(paths, list) else [paths], **kwargs)


# ----------------------------------------------------------------------------- matching


def test_default_patterns_are_case_insensitive_error_words(tmp_path):
    path = write(
        tmp_path / "app-error.log",
        "TypeError: x is undefined\n"
        "[error] db down\n"
        "FATAL ERROR: heap out of memory\n"
        "UnhandledPromiseRejectionWarning: boom\n"
        "process uncaughtException\n"
        "connect ECONNREFUSED 127.0.0.1:5432\n"
        "request ETIMEDOUT\n"
        "all good here\n"
        "    at Object.<anonymous> (/srv/app.js:1:1)\n",
    )
    result = scan(path)
    assert result["total"] == 7
    assert result["files"] == [{"path": path, "matches": 7, "lines_read": 9}]
    assert result["skipped"] == []
    assert result["lines"][0] == "TypeError: x is undefined"
    assert "all good here" not in result["lines"]


def test_custom_regex_patterns(tmp_path):
    path = write(tmp_path / "x.log", "deadlock detected\nDEADLOCK DETECTED\nECONNREFUSED 10.0.0.1:5432\nECONNREFUSED 10.0.0.1:6379\nERROR plain\n")
    result = scan(path, patterns=[r"deadlock\s+detected", r"ECONNREFUSED .*:5432"])
    assert result["total"] == 3
    caps_only = scan(path, patterns=["(?-i:ERROR)", "(?-i:DEADLOCK)"])
    assert caps_only["lines"] == ["DEADLOCK DETECTED", "ERROR plain"]


def test_literal_keywords_containing_regex_dots_use_regex_semantics(tmp_path):
    path = write(tmp_path / "x.log", "a.b\naxb\n")
    assert scan(path, patterns=["a.b"])["total"] == 2
    assert scan(path, patterns=[r"a\.b"])["total"] == 1


def test_bad_pattern_is_one_sentence(tmp_path):
    with pytest.raises(OpsError) as error:
        scan(str(tmp_path), patterns=["ERROR[", "ok"])
    assert str(error.value).startswith("Pattern 'ERROR[' is not a valid regular expression: ")
    assert str(error.value).endswith(".")
    with pytest.raises(OpsError):
        scan(str(tmp_path), patterns=[""])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_lines": -1}, "max_lines must be a whole number not below 0 (got -1)."),
        ({"max_line_length": 0}, "max_line_length must be a whole number not below 1 (got 0)."),
        ({"window_seconds": -5}, "The scan window must be a number of seconds not below 0 (got -5)."),
    ],
)
def test_bad_limits(tmp_path, kwargs, message):
    with pytest.raises(OpsError) as error:
        scan(str(tmp_path / "x.log"), **kwargs)
    assert str(error.value) == message


# ----------------------------------------------------------------------------- time window


def test_file_older_than_window_is_skipped_by_mtime(tmp_path):
    old = write(tmp_path / "old-error.log", "ERROR old\n", mtime=NOW - 8 * DAY)
    new = write(tmp_path / "new-error.log", "ERROR new\n", mtime=NOW - 6 * DAY)
    result = scan([old, new])
    assert result["total"] == 1
    assert result["skipped"] == [{"path": old, "reason": "older than window"}]
    assert scan([old, new], window_seconds=0)["total"] == 2


def test_lines_are_filtered_by_their_timestamp(tmp_path):
    lines = [
        "%s: Error: eight days ago" % stamp(NOW - 8 * DAY),
        "%s: Error: just outside" % stamp(NOW - 7 * DAY - 60),
        "%s: Error: just inside" % stamp(NOW - 7 * DAY + 60),
        "%s: Error: today" % stamp(NOW - 3600),
        "%s Error: space separator, inside" % stamp(NOW - 2 * DAY, "%Y-%m-%d %H:%M:%S"),
        "[%s] ERROR bracketed, outside" % stamp(NOW - 30 * DAY, "%Y-%m-%d %H:%M:%S"),
    ]
    path = write(tmp_path / "app-error.log", "\n".join(lines) + "\n")
    result = scan(path)
    assert result["lines"] == [lines[2], lines[3], lines[4]]
    assert result["total"] == 3
    assert result["files"][0]["lines_read"] == 6


def test_timestamps_with_zone_are_honoured(tmp_path):
    inside_utc = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(NOW - 7 * DAY + 120))
    # The same instant written in +02:00: two hours later on the clock face.
    inside_plus2 = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(NOW - 7 * DAY + 120 + 7200))
    outside_plus2 = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(NOW - 7 * DAY - 120 + 7200))
    path = write(
        tmp_path / "z.log",
        "%s.000Z ERROR utc inside\n"
        "%sZ ERROR utc at cutoff minus 2 min\n"
        "%s+02:00 ERROR plus two inside\n"
        "%s+0200 ERROR plus two outside\n"
        % (inside_utc, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(NOW - 7 * DAY - 120)), inside_plus2, outside_plus2),
    )
    result = scan(path)
    assert [line.rsplit("ERROR ", 1)[1] for line in result["lines"]] == ["utc inside", "plus two inside"]


def test_undated_lines_belong_to_the_entry_above(tmp_path):
    text = (
        "%s: Uncaught exception in worker\n"
        "TypeError: old stack head\n"
        "    at old (/srv/a.js:1:1)\n"
        "%s: Uncaught exception in worker\n"
        "TypeError: new stack head\n"
        "    at new (/srv/a.js:1:1)\n"
    ) % (stamp(NOW - 9 * DAY), stamp(NOW - DAY))
    result = scan(write(tmp_path / "a.log", text))
    assert result["total"] == 2
    assert result["lines"][1] == "TypeError: new stack head"


def test_undated_file_modified_in_window_counts_everything(tmp_path):
    path = write(tmp_path / "plain.log", "ERROR one\nnothing\nERROR two\n", mtime=NOW - DAY)
    assert scan(path)["total"] == 2


def test_undated_line_after_a_chunk_boundary_inherits(tmp_path, monkeypatch):
    monkeypatch.setattr(logscan, "CHUNK_SIZE", 64)
    text = "%s: old entry padding padding padding padding\n" % stamp(NOW - 10 * DAY)
    text += "Error: continuation of the old entry, in the next chunk\n"
    text += "%s: fresh entry padding padding padding padding\n" % stamp(NOW - 60)
    text += "Error: continuation of the fresh entry\n"
    result = scan(write(tmp_path / "b.log", text))
    assert result["lines"] == ["Error: continuation of the fresh entry"]


# ----------------------------------------------------------------------------- file handling


def test_gzipped_rotations_are_read(tmp_path):
    rotated = write(tmp_path / "app-error.log.2.gz", "ERROR in gz\nok\nFATAL in gz\n", mtime=NOW - 2 * DAY)
    current = write(tmp_path / "app-error.log", "ERROR current\n", mtime=NOW - 60)
    result = scan(str(tmp_path / "app-error.log*"))
    assert result["total"] == 3
    assert [f["path"] for f in result["files"]] == [rotated, current]  # oldest first
    assert result["lines"] == ["ERROR in gz", "FATAL in gz", "ERROR current"]


def test_corrupt_gzip_is_unreadable(tmp_path):
    path = str(tmp_path / "bad.log.gz")
    with open(path, "wb") as handle:  # not through write(), which would gzip it
        handle.write(b"this is not gzip ERROR\n")
    result = scan(path)
    assert result["skipped"][0]["path"] == path and result["skipped"][0]["reason"] == "unreadable"
    assert result["total"] == 0 and result["files"] == []


def test_invalid_utf8_is_replaced(tmp_path):
    path = write(tmp_path / "u.log", b"\xff\xfe ERROR caf\xc3\xa9 \xc3\n")
    result = scan(path)
    assert result["total"] == 1
    assert result["lines"] == ["\ufffd\ufffd ERROR caf\u00e9 \ufffd"]


def test_long_lines_are_cut(tmp_path):
    path = write(tmp_path / "long.log", "ERROR " + "x" * 10000 + "\r\nERROR short\r\n")
    result = scan(path, max_line_length=40)
    assert result["lines"][0] == "ERROR " + "x" * 34 + "\u2026"
    assert result["lines"][1] == "ERROR short"


def test_multibyte_characters_are_not_split_when_cut(tmp_path):
    path = write(tmp_path / "m.log", "ERROR " + "\u00e9" * 100 + "\n")
    (line,) = scan(path, max_line_length=10)["lines"]
    assert line == "ERROR " + "\u00e9" * 4 + "\u2026"


def test_endless_line_keeps_memory_flat(tmp_path):
    # 24 MiB without a newline, then a normal line: judged on its first MiB, never held whole.
    path = str(tmp_path / "endless.log")
    with open(path, "wb") as handle:
        handle.write(b"FATAL start of an endless line ")
        block = b"y" * (1 << 20)
        for _block in range(24):
            handle.write(block)
        handle.write(b"\nERROR after\n")
    tracemalloc.start()
    try:
        result = scan(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result["total"] == 2
    assert result["files"][0]["lines_read"] == 2
    assert result["lines"][1] == "ERROR after"
    assert peak < 8 * (1 << 20), "peak %d bytes for a 24 MiB line" % peak


def test_binary_file_is_skipped(tmp_path):
    path = write(tmp_path / "core.log", b"ERROR \x00\x01\x02 binary\n")
    result = scan(path)
    assert result["skipped"] == [{"path": path, "reason": "binary"}]
    assert result["total"] == 0


def test_missing_paths_and_empty_globs(tmp_path):
    missing = str(tmp_path / "nope.log")
    pattern = str(tmp_path / "*-error.log")
    result = scan([missing, pattern])
    assert {(s["path"], s["reason"]) for s in result["skipped"]} == {(missing, "missing"), (pattern, "missing")}


def test_directory_and_fifo_are_not_opened(tmp_path):
    fifo = str(tmp_path / "pipe.log")
    os.mkfifo(fifo)
    directory = str(tmp_path / "dir.log")
    os.mkdir(directory)
    result = scan([fifo, directory])  # opening the FIFO would block this test forever
    assert sorted(s["reason"] for s in result["skipped"]) == ["not a regular file", "not a regular file"]


def test_read_error_is_unreadable():
    # /proc/self/mem is a regular file whose first read fails with EIO, for root too:
    # a real read error, not a permission check root would bypass.
    result = scan("/proc/self/mem")
    assert result["skipped"] == [{"path": "/proc/self/mem", "reason": "unreadable", "detail": "Input/output error"}]


@pytest.fixture
def open_dir():
    """A directory any user can enter (pytest's tmp_path sits under a mode-700 parent)."""
    path = tempfile.mkdtemp(prefix="twzrd-logscan-")
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    shutil.rmtree(path)


def test_permission_denied_is_unreadable(open_dir):
    """Run as an unprivileged user: root reads mode-000 files, so the scan runs as nobody."""
    base = open_dir
    secret = write(base / "secret-error.log", "ERROR hidden\n")
    os.chmod(secret, 0o000)
    readable = write(base / "ok-error.log", "ERROR visible\n")
    os.chmod(readable, 0o644)
    code = (
        "import json, sys; sys.path.insert(0, %r)\n"
        "from ansible_collections.twzrd.ops.plugins.module_utils import logscan\n"
        "print(json.dumps(logscan.scan([%r, %r], window_seconds=0)))\n"
    ) % (COLLECTIONS, secret, readable)
    # The system Python: the test venv's interpreter lives under /root, which nobody cannot
    # enter, and logscan needs nothing beyond the standard library anyway.
    argv = ["/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable, "-c", code]
    if os.geteuid() == 0:
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + argv
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["skipped"] == [{"path": secret, "reason": "unreadable", "detail": "Permission denied"}]
    assert result["total"] == 1 and result["lines"] == ["ERROR visible"]


def test_same_file_through_two_globs_counts_once(tmp_path):
    path = write(tmp_path / "app-error.log", "ERROR once\n")
    result = scan([path, str(tmp_path / "*.log")])
    assert result["total"] == 1 and len(result["files"]) == 1


def test_last_lines_keep_the_newest(tmp_path):
    path = write(tmp_path / "many.log", "".join("ERROR %d\n" % i for i in range(100)))
    result = scan(path, max_lines=3)
    assert result["total"] == 100
    assert result["lines"] == ["ERROR 97", "ERROR 98", "ERROR 99"]
    assert scan(path, max_lines=0)["lines"] == []


def test_pm2_error_logs_find_current_cluster_and_rotated(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    names = [
        "milo-error.log",
        "milo-out.log",
        "cls-worker-error-0.log",
        "cls-worker-error-1.log",
        "milo-error__2026-11-20_00-00-00.log",
        "milo-error.log.1",
        "milo-error.log.2.gz",
        "my-error-handler-out.log",
        "pm2.log",
    ]
    for name in names:
        write(logs / name, "x\n")
    found = [os.path.basename(p) for p in logscan.pm2_error_logs(str(tmp_path))]
    assert found == sorted(
        [
            "milo-error.log",
            "cls-worker-error-0.log",
            "cls-worker-error-1.log",
            "milo-error__2026-11-20_00-00-00.log",
            "milo-error.log.1",
            "milo-error.log.2.gz",
        ]
    )
    assert logscan.pm2_error_logs(str(tmp_path / "absent")) == []


# ----------------------------------------------------------------------------- chunk boundaries


def reference_count(data, patterns):
    """Plain line-by-line count: what the chunked scanner must agree with."""
    regex = re.compile("|".join("(?:%s)" % p for p in patterns).encode(), re.IGNORECASE)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    matched = [line for line in lines if regex.search(line)]
    return len(matched), len(lines), matched


@pytest.mark.parametrize("chunk", [7, 64, 100, 4096])
@pytest.mark.parametrize("patterns", [list(logscan.DEFAULT_PATTERNS), [r"err\w+", r"^warn", "timeout 5\\d"]])
def test_chunked_scan_agrees_with_line_by_line(tmp_path, monkeypatch, chunk, patterns):
    monkeypatch.setattr(logscan, "CHUNK_SIZE", chunk)
    monkeypatch.setattr(logscan, "LONG_LINE", 1 << 20)
    rng = random.Random(chunk)
    words = ["ERROR", "error", "ErRoR", "warn", "fatal", "ok", "timeout 51", "Exception", "x" * 150, "unhandled", "", "é"]
    lines = [" ".join(rng.choice(words) for _word in range(rng.randint(0, 6))) for _line in range(400)]
    data = ("\n".join(lines)).encode("utf-8")  # no final newline: the last line still counts
    path = write(tmp_path / "r.log", data)
    expected, line_count, matched = reference_count(data, patterns)
    result = scan(path, patterns=patterns, window_seconds=0, max_lines=5, max_line_length=10000)
    assert result["total"] == expected
    assert result["files"][0]["lines_read"] == line_count
    assert result["lines"] == [m.decode("utf-8") for m in matched[-5:]]


def test_terminal_escapes_in_matching_lines_are_escaped(tmp_path):
    path = write(tmp_path / "esc.log", "ERROR \x1b[2J\x1b]0;owned\x07 \x9b31m\u202eevil\x7f\n")
    (line,) = scan(path)["lines"]
    assert line == "ERROR \\x1b[2J\\x1b]0;owned\\x07 \\x9b31m\\u202eevil\\x7f"


@pytest.mark.parametrize("window", [float("nan"), float("inf")])
def test_non_finite_window_is_refused_not_silently_empty(tmp_path, window):
    path = write(tmp_path / "a.log", "ERROR x\n")
    with pytest.raises(OpsError, match="Scan setting window_seconds must be a finite number"):
        scan(path, window_seconds=window)


# ----------------------------------------------------------------------------- fast path vs the definition
#
# Matcher.line_matches (the patterns as one case-insensitive regular expression, searched in
# one line) is what counts as an error line. The scanner finds those lines a chunk at a time:
# plain keywords with bytes.find on a lowered copy of the chunk (the fast path), other
# patterns with the combined expression over the chunk (the general path). Both must give
# exactly what a line-by-line pass with line_matches gives.


def reference_scan(data, patterns, max_lines=50, max_line_length=500):
    """Line by line with the definition: (total, lines_read, last lines as the scanner shows them)."""
    matcher = logscan.Matcher(patterns)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    matched = [line for line in lines if matcher.line_matches(line)]
    shown = [logscan._text(line, max_line_length) for line in matched[-max_lines:]] if max_lines else []
    return len(matched), len(lines), shown


def assert_same_as_reference(tmp_path, data, patterns, name="r.log", max_lines=50, max_line_length=500):
    path = write(tmp_path / name, data)
    result = scan(path, patterns=patterns, window_seconds=0, max_lines=max_lines, max_line_length=max_line_length)
    total, lines_read, shown = reference_scan(data, patterns, max_lines, max_line_length)
    assert (result["total"], result["files"][0]["lines_read"], result["lines"]) == (total, lines_read, shown)


def test_default_patterns_take_the_fast_path_and_regexes_the_general_one():
    assert logscan.Matcher(list(logscan.DEFAULT_PATTERNS)).keywords is not None
    for patterns in ([r"err\w+"], ["ERROR", "timeout 5\\d"], ["(?:ERROR)"], ["a\nb"]):
        assert logscan.Matcher(patterns).keywords is None, patterns


@pytest.mark.parametrize("chunk", list(range(1, 24)) + [4096])
def test_a_keyword_split_by_every_block_boundary_is_found(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(logscan, "CHUNK_SIZE", chunk)
    data = b"ok line\nxxxxEcOnNrEfUsEd yyy\nok\nfatal\nzzzzzzzzzzzzzzzzUNHANDLED\nno\n"
    assert_same_as_reference(tmp_path, data, list(logscan.DEFAULT_PATTERNS))
    assert scan(write(tmp_path / "s.log", data), window_seconds=0)["total"] == 3


def test_crlf_lines_match_and_are_shown_without_the_carriage_return(tmp_path):
    data = b"ERROR one\r\nok\r\nwarn Exception\r\n\r\nFATAL\r"
    assert_same_as_reference(tmp_path, data, list(logscan.DEFAULT_PATTERNS))
    assert scan(write(tmp_path / "c.log", data), window_seconds=0)["lines"] == ["ERROR one", "warn Exception", "FATAL"]


def test_invalid_utf8_around_keywords_matches_like_the_definition(tmp_path):
    data = b"\xff\xfeERROR\xc3\n\xc3\x28fatal\n\xe2\x82ERR\xfeOR\nok\x80\n\xc0\xafEtImEdOuT\xf0\n"
    assert_same_as_reference(tmp_path, data, list(logscan.DEFAULT_PATTERNS))
    assert scan(write(tmp_path / "u.log", data), window_seconds=0)["total"] == 3


def test_very_long_lines_match_like_the_definition(tmp_path, monkeypatch):
    monkeypatch.setattr(logscan, "CHUNK_SIZE", 1000)
    data = b"x" * 5000 + b"ERROR" + b"y" * 5000 + b"\n" + b"z" * 3000 + b"\nFATAL " + b"w" * 2500 + b"\n"
    assert_same_as_reference(tmp_path, data, list(logscan.DEFAULT_PATTERNS), max_line_length=20)


def test_a_regex_that_could_span_lines_is_judged_per_line(tmp_path):
    # In a chunk, ERROR\s+FATAL matches "ERROR\nFATAL" and a lookahead sees the next line;
    # within one line neither can match, so neither line counts.
    data = b"first ERROR\nFATAL second\nERROR   FATAL same line\nwarn\n"
    for patterns in ([r"ERROR\s+FATAL"], [r"ERROR(?=\nFATAL)|ERROR(?=\s+FATAL)"]):
        assert_same_as_reference(tmp_path, data, patterns)
    assert scan(write(tmp_path / "x.log", data), patterns=[r"ERROR\s+FATAL"], window_seconds=0)["total"] == 1


def test_the_general_path_gives_what_the_fast_path_gives(tmp_path, monkeypatch):
    monkeypatch.setattr(logscan, "CHUNK_SIZE", 37)
    rng = random.Random(9)
    pieces = [b"ERROR", b"eRrOr", b"fatal", b"Unhandled", b"ECONN", b"REFUSED", b"etimedout", b"Exception", b"\r", b" ",
              b"\xff", b"x" * 40, b"ok"]
    data = b"\n".join(b"".join(rng.choice(pieces) for _i in range(rng.randint(0, 5))) for _line in range(300))
    path = write(tmp_path / "g.log", data)
    fast = scan(path, window_seconds=0)
    general = scan(path, patterns=["(?:%s)" % p for p in logscan.DEFAULT_PATTERNS], window_seconds=0)
    assert fast == general
    assert fast["total"] > 0


LINE_PIECES = st.sampled_from(
    [b"ERROR", b"error", b"ErRoR", b"ERR", b"OR", b"fatal", b"FATAL", b"Exception", b"exceptio", b"Unhandled", b"ECONNREFUSED",
     b"econn", b"ETIMEDOUT", b"\r", b"\r\n", b" ", b"\t", b"\xff", b"\xc3", b"\xe2\x82", b"\x1b[2J", b"warn", b"x" * 30,
     "é".encode(), b"[2026-11-27T10:00:00]"]
) | st.binary(max_size=6).map(lambda raw: raw.replace(b"\0", b""))  # a NUL makes the file "binary"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    pieces=st.lists(LINE_PIECES, max_size=60),
    chunk=st.integers(1, 200),
    patterns=st.sampled_from([list(logscan.DEFAULT_PATTERNS), ["error", "warn"], [r"err\w*", r"^warn", r"\s+fatal$"], ["or\r"]]),
    max_lines=st.integers(0, 4),
)
def test_scan_agrees_with_the_line_by_line_definition(tmp_path_factory, monkeypatch, pieces, chunk, patterns, max_lines):
    monkeypatch.setattr(logscan, "CHUNK_SIZE", chunk)
    data = b"".join(pieces)
    assert_same_as_reference(tmp_path_factory.mktemp("p"), data, patterns, max_lines=max_lines)


# ----------------------------------------------------------------------------- the grep pre-filter
#
# For plain keywords, grep (LC_ALL=C, -i) drops the lines that cannot match before Python
# judges the rest (logfilter). It only ever drops: every scan below must equal a scan that
# reads the file itself, and the line-by-line definition.


class GrepRuns:
    """Counts pre-filter runs that finished (a spy around the real grep, which still runs)."""

    def __init__(self, monkeypatch):
        self.done = 0
        real = logscan._prefiltered

        def counted(path, state):
            result = real(path, state)
            self.done += 1
            return result

        monkeypatch.setattr(logscan, "_prefiltered", counted)


@pytest.fixture
def prefilter(monkeypatch):
    """The pre-filter on for files of any size (it starts at logfilter.MIN_BYTES)."""
    monkeypatch.setattr(logfilter, "MIN_BYTES", 0)
    return GrepRuns(monkeypatch)


def test_grep_and_wc_are_here_so_the_pre_filter_is_tested():
    assert logfilter.available()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    pieces=st.lists(LINE_PIECES | st.binary(max_size=8), max_size=60),  # NUL too, past the first block
    chunk=st.integers(1, 200),
    patterns=st.sampled_from([list(logscan.DEFAULT_PATTERNS), ["error", "warn"], ["or\r"], ["x x", "é"], [r"err\w*", "fatal"]]),
    max_lines=st.integers(0, 4),
)
def test_pre_filtered_scan_agrees_with_the_line_by_line_definition(tmp_path_factory, prefilter, monkeypatch, pieces, chunk,
                                                                   patterns, max_lines):
    monkeypatch.setattr(logscan, "CHUNK_SIZE", chunk)
    data = b"".join(pieces)
    assume(b"\0" not in data[:chunk])  # else the file is skipped as binary
    before = prefilter.done
    assert_same_as_reference(tmp_path_factory.mktemp("p"), data, patterns, max_lines=max_lines)
    assert prefilter.done == before + (logscan.Matcher(patterns).keywords is not None)  # grep ran for plain keywords, and only for them


def test_pre_filter_with_a_window_counts_what_the_file_read_counts(tmp_path, prefilter):
    lines = ["%s: Error: %d days ago" % (stamp(NOW - days * DAY), days) for days in (9, 8, 7.01, 6.99, 3, 1)]
    lines[3:3] = ["%s: all good" % stamp(NOW - 5 * DAY), "[%s] FATAL in brackets" % stamp(NOW - 2 * DAY)]
    path = write(tmp_path / "w.log", "\n".join(lines) + "\n")
    filtered = scan(path)
    assert prefilter.done == 1
    logfilter.MIN_BYTES = 1 << 60
    assert scan(path) == filtered
    assert filtered["total"] == 4


def test_pre_filter_hands_an_undated_matching_line_back_to_the_file_read(tmp_path, prefilter):
    # "    at ... Error" inherits the verdict of the line above it, which grep dropped.
    text = "%s: Error: old\n    at handler (Error.js:1:1)\n%s: Error: new\n" % (stamp(NOW - 9 * DAY), stamp(NOW - DAY))
    path = write(tmp_path / "u.log", text)
    assert scan(path)["total"] == 1
    assert prefilter.done == 0


def test_pre_filter_fallbacks_give_the_same_result(tmp_path, prefilter, monkeypatch):
    data = b"".join(b"%d ERROR x\nok\r\nFatal %d\n" % (i, i) for i in range(3000)) + b"tail etimedout"
    path = write(tmp_path / "f.log", data)
    expected = scan(path, window_seconds=0)
    assert prefilter.done == 1 and expected["total"] == 6001 and expected["files"][0]["lines_read"] == 9001
    monkeypatch.setattr(logfilter, "GREP_SECONDS", -1)  # past its deadline at the first read
    assert scan(path, window_seconds=0) == expected
    monkeypatch.setattr(logfilter, "GREP_SECONDS", 120)
    monkeypatch.setattr(logfilter, "_ENV", {"LC_ALL": "C", "PATH": str(tmp_path)})  # no grep, no wc there
    assert not logfilter.available()
    assert scan(path, window_seconds=0) == expected
    assert prefilter.done == 1


def test_grep_out_of_memory_on_an_endless_line_falls_back(tmp_path, prefilter, monkeypatch):
    monkeypatch.setattr(logfilter, "GREP_MEMORY", 48 << 20)
    path = str(tmp_path / "endless.log")
    with open(path, "wb") as handle:
        handle.write(b"ok\nERROR " + b"x" * (1 << 20))
        for _block in range(63):
            handle.write(b"y" * (1 << 20))  # 64 MiB without a newline: grep would hold it whole
        handle.write(b"\nFATAL last\n")
    result = scan(path, window_seconds=0)
    assert prefilter.done == 0
    assert (result["total"], result["files"][0]["lines_read"]) == (2, 3)


# ----------------------------------------------------------------------------- bounded by construction


def _gzip_bomb(path, member, copies):
    """A .gz of `copies` identical gzip members (Python's gzip reads them one after the other):
    small on disk, large when decompressed."""
    packed = gzip.compress(member, 9)
    with open(path, "wb") as handle:
        for _copy in range(copies):
            handle.write(packed)
    os.utime(path, (NOW, NOW))
    return path


# The peak is VmHWM, the high-water mark of this process's own memory since exec:
# ru_maxrss (RUSAGE_SELF) would also carry the RSS pytest had when it forked the child.
MEASURE = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.twzrd.ops.plugins.module_utils import logscan
result = logscan.scan(sys.argv[2:], window_seconds=0)
with open("/proc/self/status") as status:
    peak = [int(line.split()[1]) for line in status if line.startswith("VmHWM:")][0]
print(json.dumps({"result": result, "max_rss_kib": peak,
                  "children_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _scan_in_subprocess(paths):
    done = subprocess.run([sys.executable, "-c", MEASURE, COLLECTIONS] + paths, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_a_gzip_bomb_costs_its_budget_not_its_size(tmp_path):
    # 4 GiB of one endless line decompressed, 4 MiB on disk: read up to the budget (256 MiB),
    # in flat memory, and said in skipped.
    bomb = _gzip_bomb(str(tmp_path / "app-error.log.2.gz"), b"ERROR " + b"x" * ((16 << 20) - 6), 256)
    assert os.path.getsize(bomb) < 8 << 20
    out = _scan_in_subprocess([bomb])
    assert out["max_rss_kib"] < 80 << 10, out["max_rss_kib"]
    result = out["result"]
    assert (result["total"], result["files"][0]["lines_read"]) == (1, 1)
    assert result["skipped"] == [{"path": bomb, "reason": logscan.gzip_reason(logscan.GZIP_FILE_BUDGET)}]
    assert result["skipped"][0]["reason"] == (
        "only the first 256 MiB decompressed were scanned (the budget for one compressed log); the rest of it was skipped")


def test_decompressed_bytes_have_a_budget_for_the_whole_scan(tmp_path, monkeypatch):
    monkeypatch.setattr(logscan, "GZIP_FILE_BUDGET", 3 << 20)
    monkeypatch.setattr(logscan, "GZIP_TOTAL_BUDGET", 5 << 20)
    monkeypatch.setattr(logbounds, "GZIP_FILE_BUDGET", 3 << 20)
    monkeypatch.setattr(logbounds, "GZIP_TOTAL_BUDGET", 5 << 20)
    line = b"ERROR boom\n" * ((1 << 20) // 11) + b"\n" * ((1 << 20) % 11)  # exactly 1 MiB, 95,325 matching lines
    paths = [_gzip_bomb(str(tmp_path / ("a-error.log.%d.gz" % i)), line, 4) for i in (1, 2, 3)]
    result = scan(paths, window_seconds=0)
    assert [f["matches"] for f in result["files"]] == [3 * 95325, 2 * 95325]
    assert result["skipped"] == [
        {"path": paths[0], "reason": "only the first 3 MiB decompressed were scanned (the budget for one compressed log); "
                                     "the rest of it was skipped"},
        {"path": paths[1], "reason": "only 2 MiB decompressed were scanned: the budget of 5 MiB for all compressed logs of "
                                     "one scan ran out; the rest of it was skipped"},
        {"path": paths[2], "reason": "only 0 MiB decompressed were scanned: the budget of 5 MiB for all compressed logs of "
                                     "one scan ran out; the rest of it was skipped"},
    ]


def test_an_endless_plain_line_keeps_memory_flat_with_grep_too(tmp_path):
    # 300 MiB without a newline, above the pre-filter's size: grep meets its memory limit,
    # the scanner reads the file itself, neither holds the line.
    path = str(tmp_path / "endless-error.log")
    with open(path, "wb") as handle:
        handle.write(b"ERROR ")
        for _block in range(300):
            handle.write(b"x" * (1 << 20))
    out = _scan_in_subprocess([path])
    assert out["max_rss_kib"] < 80 << 10, out["max_rss_kib"]
    assert out["children_rss_kib"] < (logfilter.GREP_MEMORY >> 10) + (8 << 10)
    assert (out["result"]["total"], out["result"]["files"][0]["lines_read"]) == (1, 1)


def test_many_logs_give_a_bounded_result(tmp_path):
    # tests/integration/test_log_scan.py does this with 100,000 files through the module.
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(3000):
        name = str(logs / ("app%05d-error.log" % i))
        with open(name, "wb") as handle:
            handle.write(b"ERROR x\n" * (1 + (i % 37 == 0) * (i // 37)))
        if i % 3 == 0:
            os.utime(name, (NOW - 30 * DAY, NOW - 30 * DAY))
    os.symlink(name, str(logs / "link-error.log"))  # the same file again: counted once, not skipped
    unreadable = str(logs / "zz-error.log")
    os.mkfifo(unreadable)
    result = scan([str(logs / "*-error.log")])
    assert len(result["files"]) == logbounds.MAX_FILES
    assert result["files_omitted"] == 2000 - logbounds.MAX_FILES
    top = sorted(i for i in range(3000) if i % 3 and i % 37 == 0)[-logbounds.MAX_FILES:]
    assert [f["path"] for f in result["files"]] == [str(logs / ("app%05d-error.log" % i)) for i in top]
    assert len(result["skipped"]) == logbounds.MAX_SKIPPED and result["skipped_omitted"] == 1001 - logbounds.MAX_SKIPPED
    assert result["skipped"][0] == {"path": unreadable, "reason": "not a regular file"}  # the one to act on comes first
    assert result["total"] == sum(1 + (i % 37 == 0) * (i // 37) for i in range(3000) if i % 3)
    assert len(json.dumps(result)) < 20000


DATED_LINES = st.lists(
    st.tuples(st.integers(-12, 3), st.sampled_from(["%Y-%m-%dT%H:%M:%S: ", "[%Y-%m-%d %H:%M:%S] ", "%Y-%m-%d", "%Y-%m", "x %Y"]),
              st.binary(max_size=6)).map(lambda t: stamp(NOW + t[0] * DAY * 0.9, t[1]).encode() + t[2]),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(lines=DATED_LINES)
def test_window_verdicts_of_many_lines_equal_one_verdict_per_line(lines):
    # Window.verdicts settles the lines of a date far from the cutoff at once (the pre-filter's
    # window path): it must say what verdict() says of each line.
    window = logscan.Window(NOW - 7 * DAY)
    assert window.verdicts(lines) == [window.verdict(line, 0) for line in lines]
