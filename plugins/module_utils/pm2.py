# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Everything twzrd.ops knows about PM2: finding it, reading `pm2 jlist`, telling crashes
from planned restarts in its daemon log, and restarting / stopping / starting apps.

Pure Python (no ansible import): it also runs on hosts as twzrd_ops_lib.pm2.

Decisions worth knowing:
- Reading never starts a daemon. `pm2 jlist` spawns an empty daemon when none runs, which
  would turn "PM2 is down" into "PM2 runs nothing" on an operator's health check. So the
  daemon is looked for first (pm2.pid + live process, or a listening rpc.sock) and a dead
  one is an OpsError, unless start_daemon=True.
- `pm2 jlist` is run WITHOUT -s: PM2 7's -s silences the ">>>> In-memory PM2 is out-of-date"
  block, which is worth a warning. The parser takes the JSON list out of whatever PM2 prints
  around it (banner, spawn lines, that block).
- pm2 exits 0 on some failures, so its output is checked rather than trusted.
- The apps' environment VALUES never leave this file: normalize() keeps names only.
"""

from __future__ import annotations

import calendar
import errno
import glob
import gzip
import itertools
import json
import math
import os
import pwd
import re
import socket
import time
import zlib

from .common import OpsError, now_epoch, number

ACTIONS = {"restarted": "restart", "reloaded": "reload", "stopped": "stop", "started": "start"}
# The restart modes of the Friday job and restart.yml (config restart.mode, twzrd_ops_restart_mode)
# -> the pm2_action state. A reload is zero-downtime for cluster-mode apps only.
MODES = {"restart": "restarted", "reload": "reloaded"}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_OUTDATED = re.compile(r"In-memory PM2 is out-of-date")
_MEM_VERSION = re.compile(r"In memory PM2 version:\s*(\S+)")
_LOCAL_VERSION = re.compile(r"Local PM2 version:\s*(\S+)")
_PM2_NOTICE = re.compile(r"^\[PM2\]\[(WARN|ERROR)\]\s*(.*)$")

# pm2.log lines: "<timestamp>: PM2 <level>: <message>". The timestamp format is PM2's
# PM2_LOG_DATE_FORMAT, by default YYYY-MM-DDTHH:mm:ss in the daemon's local time. A
# fraction of a second and a UTC offset are accepted too (custom formats).
_LOG_LINE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?:\s+PM2 (?:log|error|warn|info): (?P<msg>.*)$"
)
_STOPPING = re.compile(r"^Stopping app:(?P<name>.+) id:(?P<id>\S+)$")
_EXITED = re.compile(r"^App \[(?P<name>.+):(?P<id>[^:\]]+)\] exited with code \[(?P<code>[^\]]*)\] via signal \[(?P<signal>[^\]]*)\]")
_STARTING = re.compile(r"^App \[(?P<name>.+):(?P<id>[^:\]]+)\] starting in ")

# PM2's own bookkeeping inside pm2_env.env: not the app's configuration.
_PM2_ENV_BOOKKEEPING = frozenset(
    ("unique_id", "PM2_USAGE", "PM2_DISCRETE_MODE", "PM2_INTERACTOR_PROCESSING", "PM2_JSON_PROCESSING", "PM2_PROGRAMMATIC", "PM2_SILENT")
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# How far before the crash window pm2.log is read, so that a "Stopping app" line just
# before the window still explains an exit inside it (PM2's kill timeout is 1.6 s by default).
STOP_LOOKBACK = 120
_CHUNK = 64 * 1024
# At most this many rotated copies of pm2.log (pm2.log.1, pm2.log.2.gz, ...) are looked at.
ROTATED_MAX = 100


def _home_of(user):
    try:
        return pwd.getpwnam(user).pw_dir
    except KeyError:
        raise OpsError("User %s does not exist on this host, so its PM2 cannot be used." % user)


def _current_user():
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def _is_executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_pm2(explicit=None, homes=None):
    """Return the path of the pm2 executable, or None when PM2 is not installed.

    explicit: a path (used as is, no search when it is missing) or a command name
    (looked up on PATH). Otherwise PATH, then the usual npm global prefixes, then
    ~/.npm-global, ~/.local and nvm installs under the current user's home. homes (the
    homes of the PM2 user when it is another user) are searched first: that user's own
    install is the one matching its daemon.
    """
    if explicit:
        if os.sep in explicit:
            return explicit if _is_executable(explicit) else None
        return _which(explicit)
    for home in homes or []:
        found = _first_executable(_home_candidates(home))
        if found:
            return found
    system = ["/usr/local/bin/pm2", "/usr/bin/pm2", "/usr/lib/node_modules/pm2/bin/pm2", "/usr/local/lib/node_modules/pm2/bin/pm2"]
    return _which("pm2") or _first_executable(system + _home_candidates(os.path.expanduser("~")))


def _home_candidates(home):
    candidates = [os.path.join(home, ".npm-global", "bin", "pm2"), os.path.join(home, ".local", "bin", "pm2")]
    # newest nvm-installed Node first
    return candidates + sorted(glob.glob(os.path.join(home, ".nvm", "versions", "node", "*", "bin", "pm2")), key=_version_key, reverse=True)


def _first_executable(paths):
    for path in paths:
        if _is_executable(path):
            return path
    return None


def _version_key(path):
    version = path.split(os.sep)[-3].lstrip("v")
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def _which(name):
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if directory:
            path = os.path.join(directory, name)
            if _is_executable(path):
                return path
    return None


def default_pm2_home(user=None):
    """PM2_HOME of user (default: the current user): $PM2_HOME when it is the current user's
    environment, else ~user/.pm2."""
    if not user or user == _current_user():
        if os.environ.get("PM2_HOME"):
            return os.environ["PM2_HOME"]
        return os.path.join(os.path.expanduser("~"), ".pm2")
    return os.path.join(_home_of(user), ".pm2")


def strip_ansi(text):
    return _ANSI.sub("", text)


def parse_jlist(text):
    """Take the process list out of `pm2 jlist` output.

    Returns (list of raw process dicts, warnings). Banner, spawn messages and the
    out-of-date block around the JSON are tolerated; the out-of-date block and [PM2][WARN]
    / [PM2][ERROR] lines become warnings. OpsError when no JSON list is found.
    """
    clean = strip_ansi(text or "")
    decoder = json.JSONDecoder()
    found = None
    for match in re.finditer(r"(?m)^[ \t]*\[", clean):
        start = match.end() - 1
        try:
            value, end = decoder.raw_decode(clean, start)
        except (ValueError, RecursionError):
            # RecursionError: absurdly deep nesting is garbage too, not a traceback.
            continue
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            found = (value, start, end)
            break
    if found is None:
        raise OpsError("pm2 jlist printed no JSON process list (%d bytes of output), so PM2's state is unknown." % len(text or ""))
    processes, start, end = found
    around = clean[:start] + "\n" + clean[end:]
    warnings = []
    if _OUTDATED.search(around):
        memory = _MEM_VERSION.search(around)
        local = _LOCAL_VERSION.search(around)
        warnings.append(
            "In-memory PM2 is out-of-date (daemon %s, pm2 command %s): run `pm2 update` as the PM2 user."
            % (memory.group(1) if memory else "unknown", local.group(1) if local else "unknown")
        )
    for line in around.splitlines():
        notice = _PM2_NOTICE.match(line.strip())
        if notice:
            warnings.append("PM2 said: %s" % notice.group(2).strip())
    return processes, warnings


def _env_names(pm2_env):
    env = pm2_env.get("env")
    if isinstance(env, dict):
        keys = [key for key, value in env.items() if not isinstance(value, (dict, list))]
    else:
        # Older PM2 without pm2_env.env: the variables are copied at the top of pm2_env.
        keys = [key for key in pm2_env if key.isupper()]
    return sorted(key for key in keys if key not in _PM2_ENV_BOOKKEEPING and _ENV_NAME.match(key))


def _int(value, default=0):
    """value as an int when it is a finite number (or numeric text), else default."""
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _float(value, default=0.0):
    if isinstance(value, bool):
        return default
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return value if math.isfinite(value) else default


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _text_or_none(value):
    return value if isinstance(value, str) else None


def _scalar_text(value, default):
    """A name or status as text: strings as they are, numbers as text, anything else default."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return default


def _pm_id(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value) if value.isascii() and value.isdigit() and len(value) < 20 else value
    return None


def normalize(raw, now=None):
    """One raw `pm2 jlist` entry -> the process dict of DESIGN.md (env names, never values)."""
    # Every field is type-checked: a PM2 (or a corrupt dump) giving a list where a number
    # belongs, absurd nesting or huge values yields "unknown"/0, never a traceback.
    now = now_epoch(now)
    raw = _mapping(raw)
    env = _mapping(raw.get("pm2_env"))
    monit = _mapping(raw.get("monit"))
    status = _scalar_text(env.get("status"), "unknown")
    uptime = 0
    started = _float(env.get("pm_uptime"))
    if status == "online" and started > 0:
        uptime = _int(max(0.0, now - started / 1000.0))
    mmr = _int(env.get("max_memory_restart"), None)
    exec_mode = _scalar_text(env.get("exec_mode"), "") or "fork_mode"
    if exec_mode.endswith("_mode"):
        exec_mode = exec_mode[: -len("_mode")]
    name = raw.get("name") if "name" in raw else env.get("name")
    return {
        "name": _scalar_text(name, ""),
        "pm_id": _pm_id(raw.get("pm_id", env.get("pm_id"))),
        "pid": _int(raw.get("pid")),
        "status": status,
        "restarts": _int(env.get("restart_time")),
        "unstable_restarts": _int(env.get("unstable_restarts")),
        "uptime": uptime,
        "memory": _int(monit.get("memory")),
        "cpu": _float(monit.get("cpu")),
        "max_memory_restart": mmr if mmr else None,
        "exec_mode": exec_mode,
        "instances": _int(env.get("instances", 1), 1),
        "out_log": _text_or_none(env.get("pm_out_log_path")),
        "error_log": _text_or_none(env.get("pm_err_log_path")),
        "env_names": _env_names(env),
    }


def _line_time(match):
    """Epoch seconds of a pm2.log timestamp (local time unless it carries an offset), or
    None when the timestamp does not name a real time (month 13, hour 25, year 0...)."""
    try:
        stamp = time.strptime(match.group("date") + " " + match.group("time"), "%Y-%m-%d %H:%M:%S")
        frac = float(match.group("frac") or 0)
        tz = match.group("tz")
        if not tz:
            return time.mktime(stamp) + frac
        seconds = calendar.timegm(stamp) + frac
    except (ValueError, OverflowError):
        return None
    if tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 14 or minutes > 59:
            return None
        seconds -= sign * (hours * 3600 + minutes * 60)
    return seconds


def _log_match(raw):
    # copytruncate behind a writer without O_APPEND leaves NUL bytes where the old lines were
    return _LOG_LINE.match(raw.lstrip(b"\0").decode("utf-8", "replace").rstrip("\r\n"))


def _first_time_after(handle, offset, size):
    """Timestamp of the first full pm2.log line starting after byte offset (None at EOF)."""
    handle.seek(offset)
    if offset:
        handle.readline()  # the line cut by the seek
    while handle.tell() < size:
        line = handle.readline()
        if not line:
            break
        match = _log_match(line)
        stamp = _line_time(match) if match else None
        if stamp is not None:
            return stamp
    return None


def _seek_before(handle, size, target):
    """Byte offset of a line boundary at or before the first line stamped >= target.

    Bisects on timestamps so that only a few KiB of a huge pm2.log are read.
    """
    low, high = 0, size
    while high - low > _CHUNK:
        middle = (low + high) // 2
        stamp = _first_time_after(handle, middle, size)
        if stamp is None or stamp >= target:
            high = middle
        else:
            low = middle
    return low


def _record(raw, stats):
    """(epoch, message) of a pm2.log line, or None (no timestamp; a timestamp that does not
    parse is counted in stats["unparsed"] when stats is given)."""
    match = _log_match(raw)
    if not match:
        return None
    stamp = _line_time(match)
    if stamp is None:
        if stats is not None:
            stats["unparsed"] = stats.get("unparsed", 0) + 1
        return None
    return stamp, match.group("msg")


def _plain_records(handle, start, stats):
    """The records of an open plain pm2.log from about the first line stamped >= start."""
    size = os.fstat(handle.fileno()).st_size
    handle.seek(_seek_before(handle, size, start))
    if handle.tell():
        handle.readline()
    for raw in handle:
        record = _record(raw, stats)
        if record is not None:
            yield record


def _gzip_records(handle, start, stats):
    """(records stamped >= start, first stamp) of a compressed rotated pm2.log: read through,
    since a gzip stream cannot be bisected."""
    records, first = [], None
    for raw in handle:
        record = _record(raw, stats if records else None)
        if record is None:
            continue
        if first is None:
            first = record[0]
        if records or record[0] >= start:
            records.append(record)
    return records, first


def _plain_is_prefix(older, current):
    """Is the rotated file a copy of the start of pm2.log (the copy was made but pm2.log was
    not truncated)? Its first and last 64 KiB are compared: timestamped lines do not repeat."""
    size = os.fstat(older.fileno()).st_size
    if not size or size > os.fstat(current.fileno()).st_size:
        return False
    for offset in sorted(set((0, max(0, size - _CHUNK)))):
        length = min(_CHUNK, size - offset)
        older.seek(offset)
        current.seek(offset)
        if older.read(length) != current.read(length):
            return False
    return True


def _gzip_is_prefix(older, current):
    current.seek(0)
    total = 0
    while True:
        data = older.read(_CHUNK)
        if not data:
            return total > 0
        if current.read(len(data)) != data:
            return False
        total += len(data)


def _rotated_file(base, number_):
    """(path, compressed) of pm2.log.N (delaycompress) or pm2.log.N.gz; None when neither exists."""
    for path, compressed in (("%s.%d" % (base, number_), False), ("%s.%d.gz" % (base, number_), True)):
        if os.path.lexists(path):
            return path, compressed
    return None


def _read_rotated(path, compressed, start, stats, current):
    """(records, first stamp, duplicate) of one rotated pm2.log; duplicate when it is a copy of
    the start of the current pm2.log (current given), whose lines are then read there once.
    OSError / EOFError / zlib.error when it cannot be read."""
    if compressed:
        with gzip.open(path, "rb") as handle:
            if current is not None and _gzip_is_prefix(handle, current):
                return [], None, True
            handle.seek(0)
            records, first = _gzip_records(handle, start, stats)
            return records, first, False
    with open(path, "rb") as handle:
        if current is not None and _plain_is_prefix(handle, current):
            return [], None, True
        first = _first_time_after(handle, 0, os.fstat(handle.fileno()).st_size)
        return list(_plain_records(handle, start, stats)), first, False


def _older_records(base, start, first, current, stats):
    """Records of the rotated copies (pm2.log.1, .2.gz, ...) a window starting at start
    reaches, oldest first. Stops at the first copy whose first line is at or before start,
    at a missing copy, or at one that cannot be read (said in stats["unreadable"])."""
    chunks = []
    for number_ in range(1, ROTATED_MAX + 1):
        found = _rotated_file(base, number_)
        if found is None:
            break
        path, compressed = found
        local = {}
        try:
            records, file_first, duplicate = _read_rotated(path, compressed, start, local, current if number_ == 1 else None)
        except (OSError, EOFError, zlib.error) as error:
            if stats is not None:
                reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
                stats.setdefault("unreadable", []).append(
                    "Cannot read PM2's rotated log %s (%s), so the crashes it holds are not counted." % (path, reason))
            break
        if stats is not None and local.get("unparsed"):
            stats["unparsed"] = stats.get("unparsed", 0) + local["unparsed"]
        if not duplicate:
            chunks.append(records)
            if file_first is not None:
                first = file_first
        if first is not None and first <= start:
            break
    return [record for chunk in reversed(chunks) for record in chunk]


def _crashes(records, since_epoch, until):
    """The crash events of time-ordered (epoch, message) records (see crash_events)."""
    events = []
    stopping = set()
    for stamp, message in records:
        if until is not None and stamp > until:
            break
        stop = _STOPPING.match(message)
        if stop:
            stopping.add((stop.group("name"), stop.group("id")))
            continue
        start = _STARTING.match(message)
        if start:
            stopping.discard((start.group("name"), start.group("id")))
            continue
        exited = _EXITED.match(message)
        if not exited:
            continue
        key = (exited.group("name"), exited.group("id"))
        if key in stopping:
            stopping.discard(key)
            continue
        if stamp < since_epoch:
            continue
        pm_id = exited.group("id")
        events.append(
            {
                "name": key[0],
                "pm_id": _pm_id(pm_id),
                "time": stamp,
                "code": _int(exited.group("code"), exited.group("code")),
                "signal": exited.group("signal") or None,
            }
        )
    return events


def crash_events(pm2_log_path, since_epoch, until=None, stats=None):
    """Crashes recorded in PM2's daemon log between since_epoch and until (epoch seconds).

    A crash is an "App [NAME:ID] exited ..." line NOT preceded by "Stopping app:NAME id:ID"
    (what PM2 logs for `pm2 restart`, `reload`, `stop`). Returns a list of
    {name, pm_id, time, code, signal}. OpsError when the log cannot be read.

    Rotation (the role's logrotate: copytruncate, delaycompress): when the window (less
    STOP_LOOKBACK) starts before the first line of pm2.log, the rotated copies pm2.log.1,
    pm2.log.2.gz, ... are read too, newest first, until one starts at or before the window,
    and their lines come before pm2.log's. Each line is counted once: PM2 opens pm2.log with
    O_APPEND, so after copytruncate a line is either in the copy or in the truncated file;
    the one case of a line in both (the copy made, pm2.log not truncated: logrotate failed
    in between, or `copy` instead of `copytruncate`) leaves pm2.log.1 an exact copy of the
    start of pm2.log, which is then not read. A rotated copy that cannot be read (permissions,
    corrupt gzip) is skipped and said in stats["unreadable"] (sentences).

    A line whose timestamp does not parse (hour 25, month 13, a corrupt write) is skipped,
    never fatal; when stats (a dict) is given, stats["unparsed"] counts those lines.
    """
    start = since_epoch - STOP_LOOKBACK
    try:
        handle = open(pm2_log_path, "rb")
    except FileNotFoundError:
        handle = None
    except OSError as error:
        raise OpsError("Cannot read PM2's log %s (%s), so crashes cannot be counted." % (pm2_log_path, error.strerror or error))
    try:
        first = _first_time_after(handle, 0, os.fstat(handle.fileno()).st_size) if handle is not None else None
        older = []
        if first is None or first > start:
            older = _older_records(pm2_log_path, start, first, handle, stats)
        current = _plain_records(handle, start, stats) if handle is not None else ()
        return _crashes(itertools.chain(older, current), since_epoch, until)
    finally:
        if handle is not None:
            handle.close()


def unparsed_warning(log_path, count):
    """The one sentence saying pm2.log lines were skipped (said once in results and reports)."""
    return "%d line%s of %s had a timestamp that does not parse and %s skipped when counting crashes." % (
        count, "" if count == 1 else "s", log_path, "was" if count == 1 else "were")


def daemon_running(pm2_home):
    """True when a PM2 daemon serves pm2_home; starts nothing.

    pm2.pid naming a live process, or else an rpc.sock that accepts a connection.
    """
    pid = None
    try:
        with open(os.path.join(pm2_home, "pm2.pid")) as handle:
            pid = int(handle.read().strip() or 0)
    except (OSError, ValueError):
        pid = None
    if pid and pid > 0:
        try:
            os.kill(pid, 0)
            return _looks_like_pm2(pid)
        except OSError as error:
            if error.errno == errno.EPERM:
                return True
    sock_path = os.path.join(pm2_home, "rpc.sock")
    if not os.path.exists(sock_path):
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(2)
    try:
        sock.connect(sock_path)
        return True
    except OSError:
        return False
    finally:
        sock.close()


def daemon_memory(pm2_home):
    """Resident memory (bytes) of the PM2 daemon of pm2_home (pm2.pid -> /proc/PID/status
    VmRSS), None when it cannot be read. For the per-host history (history.py)."""
    try:
        with open(os.path.join(pm2_home, "pm2.pid")) as handle:
            pid = int(handle.read().strip() or 0)
        if pid <= 0:
            return None
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _looks_like_pm2(pid):
    """A pid from pm2.pid may have been reused after a reboot: check the process title."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return True  # no /proc to ask: trust the pid file
    return "PM2" in cmdline or "pm2" in cmdline or "God" in cmdline


class _Pm2(object):
    """Runs pm2 for one PM2_HOME, as the right user."""

    def __init__(self, runner, path, pm2_home, user=None):
        self.runner = runner
        self.path = path
        self.pm2_home = pm2_home
        self.user = user
        self.as_other_user = bool(user) and user != _current_user()
        if self.as_other_user and os.geteuid() != 0:
            raise OpsError("Running pm2 as %s needs root (become: true); this task runs as %s." % (user, _current_user()))

    def run(self, *args):
        argv = [self.path] + list(args)
        if self.as_other_user:
            # pm2 runs as the user, so nothing root-owned lands in its PM2_HOME; runuser resets
            # HOME, so PM2_HOME and HOME are set on the command line.
            argv = ["runuser", "-u", self.user, "--", "env", "PM2_HOME=%s" % self.pm2_home, "HOME=%s" % _home_of(self.user)] + argv
        return self.runner(argv, env={"PM2_HOME": self.pm2_home})

    def jlist(self):
        rc, out, err = self.run("jlist")
        try:
            raw, warnings = parse_jlist(out)
        except OpsError:
            detail = _first_line(err)
            raise OpsError(
                "pm2 jlist printed no JSON process list (exit code %s, %d bytes on stdout%s), so PM2's state is unknown."
                % (rc, len(out or ""), ": " + detail if detail else "")
            )
        return raw, warnings


def _first_line(text):
    for line in strip_ansi(text or "").splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _check_home(pm2_home, user):
    if os.path.isdir(pm2_home) and not os.access(pm2_home, os.R_OK | os.X_OK):
        raise OpsError("PM2_HOME %s is not readable by user %s, so PM2 cannot be checked; run the task as its owner or as root." % (pm2_home, _current_user()))


def _not_running(pm2_home, user):
    where = "PM2_HOME %s (user %s)" % (pm2_home, user or _current_user())
    if not os.path.isdir(pm2_home):
        return OpsError("PM2 daemon is not running for %s: the directory does not exist; start the apps as that user or check pm2_home." % where)
    return OpsError("PM2 daemon is not running for %s: no live pm2.pid or rpc.sock; start it with `pm2 resurrect` as that user." % where)


def _where(pm2_path):
    return "at " + pm2_path if pm2_path else "on PATH or in the usual npm prefixes"


def _empty_summary(crash_window, crash_threshold, expected):
    return {
        "total": 0,
        "online": 0,
        "not_online": [],
        "missing": sorted(set(expected or [])),
        "crash_window": crash_window,
        "crash_threshold": crash_threshold,
        "crashes": {},
        "crash_loop": False,
        "crash_loop_apps": [],
    }


def _validate_numbers(crash_window, crash_threshold):
    for label, value in (("crash_window", crash_window), ("crash_threshold", crash_threshold)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise OpsError("%s must be a number of at least 0, not %r." % (label, value))
        number(label, value)  # NaN / infinity: a crash loop that never fires


def pm2_status(
    runner,
    pm2_path=None,
    pm2_home=None,
    user=None,
    names=None,
    expected=None,
    crash_window=300,
    crash_threshold=5,
    start_daemon=False,
    now=None,
    report_window=0,
    events_since=None,
):
    """What PM2 runs, in the DESIGN.md shape. See the module docstring for the rules.

    names filters the processes (and crash counts); expected lists apps that must exist.
    crash_window=0 skips reading pm2.log. report_window (seconds, 0 = none) also counts the
    crashes of a longer window (the weekly report's) from the same single read of pm2.log,
    returned as result["report_window"] = {"window": seconds, "crashes": {name: n}}.
    """
    _validate_numbers(crash_window, crash_threshold)
    now = now_epoch(now)
    user = user or None
    expected = list(expected or [])
    names = list(names or [])
    homes = [_home_of(user)] if user else None
    pm2_home = pm2_home or default_pm2_home(user)
    path = find_pm2(pm2_path, homes)
    result = {
        "installed": path is not None,
        "daemon_running": False,
        "pm2_path": path,
        "pm2_home": pm2_home,
        "warnings": [],
        "processes": [],
        "summary": _empty_summary(crash_window, crash_threshold, expected),
    }
    if path is None:
        if expected:
            raise OpsError("PM2 is not installed (no pm2 %s) but apps are expected: %s." % (_where(pm2_path), ", ".join(expected)))
        return result
    _check_home(pm2_home, user)
    pm2 = _Pm2(runner, path, pm2_home, user)
    result["daemon_running"] = daemon_running(pm2_home)
    if not result["daemon_running"]:
        if not start_daemon:
            raise _not_running(pm2_home, user)
        result["warnings"].append("Started a PM2 daemon for PM2_HOME %s (start_daemon)." % pm2_home)
    raw, warnings = pm2.jlist()
    result["daemon_running"] = True
    result["daemon_memory"] = daemon_memory(pm2_home)
    result["warnings"].extend(warnings)
    processes = [normalize(entry, now) for entry in raw]
    if names:
        processes = [proc for proc in processes if proc["name"] in names]
    result["processes"] = processes
    crashes = []
    longest = max(crash_window or 0, report_window or 0)
    start = now - longest if events_since is None else min(now - longest, events_since)
    if longest or events_since is not None:
        log_path = os.path.join(pm2_home, "pm2.log")
        stats = {}
        crashes = crash_events(log_path, start, now, stats=stats)
        if stats.get("unparsed"):
            result["warnings"].append(unparsed_warning(log_path, stats["unparsed"]))
        result["warnings"].extend(stats.get("unreadable") or [])
    result["events"] = crashes
    in_window = [event for event in crashes if crash_window and event["time"] >= now - crash_window]
    result["summary"] = summarize(processes, in_window, expected, crash_window, crash_threshold, names)
    if report_window:
        weekly = summarize(processes, crashes if report_window >= now - start else
                           [event for event in crashes if event["time"] >= now - report_window],
                           expected, report_window, crash_threshold, names)
        result["report_window"] = {"window": report_window, "crashes": weekly["crashes"]}
    return result


def summarize(processes, crashes, expected, crash_window, crash_threshold, names=None):
    present = set(proc["name"] for proc in processes)
    counts = dict((name, 0) for name in sorted(present))
    for event in crashes:
        if names and event["name"] not in names:
            continue
        counts[event["name"]] = counts.get(event["name"], 0) + 1
    looping = sorted(name for name, count in counts.items() if count > crash_threshold)
    not_online = []
    for proc in processes:
        if proc["status"] != "online" and proc["name"] not in not_online:
            not_online.append(proc["name"])
    return {
        "total": len(processes),
        "online": sum(1 for proc in processes if proc["status"] == "online"),
        "not_online": not_online,
        "missing": sorted(set(name for name in expected if name not in present)),
        "crash_window": crash_window,
        "crash_threshold": crash_threshold,
        "crashes": counts,
        "crash_loop": bool(looping),
        "crash_loop_apps": looping,
    }


def _wanted(action, status):
    """Does a process in status need the action to reach its state?"""
    if action == "stopped":
        return status != "stopped"
    if action == "started":
        return status not in ("online", "launching")
    return True


def pm2_action(
    runner,
    action,
    names,
    pm2_path=None,
    pm2_home=None,
    user=None,
    check_mode=False,
    wait_online=0,
    now=None,
    sleep=time.sleep,
    clock=time.monotonic,
):
    """Restart, reload, stop or start PM2 apps by name (or ["all"]).

    Unknown names are an OpsError before anything is done. stopped/started act only on
    processes not already in that state; restarted/reloaded always act. check_mode runs
    nothing. wait_online > 0 waits up to that many seconds for the acted-on processes to
    be online again (restarted/reloaded/started) and lists those that are not.
    Returns {changed, processes (after), actions: [{action, names, pm_ids}], not_online}.
    """
    if action not in ACTIONS:
        raise OpsError("state must be one of %s, not %r." % (", ".join(sorted(ACTIONS)), action))
    names = [str(name) for name in (names or [])]
    if not names:
        raise OpsError("Name at least one PM2 app (or all).")
    if "all" in names and len(names) > 1:
        raise OpsError("Name either all or specific apps, not both.")
    user = user or None
    homes = [_home_of(user)] if user else None
    pm2_home = pm2_home or default_pm2_home(user)
    path = find_pm2(pm2_path, homes)
    if path is None:
        raise OpsError("PM2 is not installed (no pm2 %s), so apps cannot be %s." % (_where(pm2_path), action))
    _check_home(pm2_home, user)
    if not daemon_running(pm2_home):
        raise _not_running(pm2_home, user)
    pm2 = _Pm2(runner, path, pm2_home, user)
    raw, warnings = pm2.jlist()
    before = [normalize(entry, now) for entry in raw]
    known = set(proc["name"] for proc in before)
    if names != ["all"]:
        unknown = [name for name in names if name not in known]
        if unknown:
            raise OpsError(
                "No PM2 app named %s in PM2_HOME %s (known: %s); nothing was done."
                % (", ".join(unknown), pm2_home, ", ".join(sorted(known)) or "none")
            )
        targets = [proc for proc in before if proc["name"] in names]
    else:
        targets = before
    targets = [proc for proc in targets if _wanted(action, proc["status"])]
    ids = [proc["pm_id"] for proc in targets]
    acted = []
    if targets:
        acted.append({"action": ACTIONS[action], "names": sorted(set(proc["name"] for proc in targets)), "pm_ids": ids})
    result = {"changed": bool(targets), "actions": acted, "warnings": warnings, "not_online": [], "processes": before, "pm2_home": pm2_home, "pm2_path": path}
    forked = sorted(set(proc["name"] for proc in targets if proc["exec_mode"] != "cluster"))
    if action == "reloaded" and forked:
        # PM2 reloads a fork-mode app by restarting it: say so, the operator asked for no downtime.
        result["warnings"].append(
            "%s %s not in cluster mode, so pm2 reload restarts %s (a brief outage); only cluster-mode apps reload one instance at a time."
            % (", ".join(forked), "is" if len(forked) == 1 else "are", "it" if len(forked) == 1 else "them"))
    if check_mode or not targets:
        return result
    if action == "reloaded":
        # `pm2 reload` takes one app (it ignores further arguments); by name, a cluster app is
        # reloaded instance by instance.
        commands = [["reload", name] for name in acted[0]["names"]]
    else:
        commands = [[ACTIONS[action]] + [str(pm_id) for pm_id in ids]]
    for command in commands:
        rc, out, err = pm2.run(*command)
        errors = [line for line in strip_ansi((out or "") + "\n" + (err or "")).splitlines() if "[PM2][ERROR]" in line]
        if rc != 0 or errors:
            detail = errors[0].split("[PM2][ERROR]", 1)[1].strip() if errors else _first_line(err) or "exit code %s" % rc
            raise OpsError("pm2 %s of %s failed: %s." % (ACTIONS[action], ", ".join(acted[0]["names"]), detail.rstrip(".")))
    # the real clock from here on: uptimes are compared with the wait
    after = [normalize(entry) for entry in pm2.jlist()[0]]
    if action != "stopped" and wait_online:
        deadline = clock() + wait_online
        while True:
            # online for a second at least: a crashing app is "online" for a moment at each start
            pending = [proc for proc in after if proc["pm_id"] in ids and (proc["status"] != "online" or proc["uptime"] < 1)]
            if not pending or clock() >= deadline:
                break
            sleep(0.5)
            after = [normalize(entry) for entry in pm2.jlist()[0]]
        result["not_online"] = sorted(set(proc["name"] for proc in pending))
    result["processes"] = after
    return result


def read_dump(path):
    """The apps of PM2's saved process list (dump.pm2, what `pm2 resurrect` starts on boot),
    normalised like `pm2 jlist` entries (names, status; env names only, never values).

    The one reader of dump.pm2 in module_utils. None when the file does not exist; OpsError
    (one sentence) when it cannot be read or is not a JSON list of processes.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(64 * 1024 * 1024)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OpsError("Cannot read PM2's saved process list %s (%s)." % (path, error.strerror or error))
    try:
        raw = json.loads(data.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        raw = None
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise OpsError("PM2's saved process list %s is not a JSON list of processes (%d bytes), so `pm2 resurrect` "
                       "would restore nothing from it." % (path, len(data)))
    return [normalize(entry) for entry in raw]
