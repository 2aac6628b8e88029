# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for twzrd.ops checks.

This file runs in two places: inside Ansible modules (as
ansible_collections.twzrd.ops.plugins.module_utils.common) and on hosts without
Ansible (as twzrd_ops_lib.common, used by /usr/local/sbin/twzrd-ops). It must
therefore import nothing from ansible.
"""

from __future__ import annotations

import errno
import difflib
import math
import os
import re
import signal
import stat
import subprocess
import tempfile
import time

# printable is re-exported: the terminal and log escape, as callers know it.
from .escape import printable  # noqa: F401 pylint: disable=unused-import

# The one table of levels and exit codes for the whole collection (Nagios style).
LEVELS = ("ok", "warning", "critical")
EXIT_CODES = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}
UNKNOWN = "unknown"


class OpsError(Exception):
    """A failure an operator can act on; str(error) is one plain sentence."""


def refuse_unknown(given, known, what):
    """Raise OpsError naming the keys of given that are not in known.

    what is the noun with a %s where the plural "s" goes, e.g. "check setting%s" gives
    "Unknown check setting: swap_warnign. Perhaps you meant swap_warning. Known: ..." (the
    guess first, the list last: the list can be long). A typo in an inventory or config file
    must not silently fall back to a default.
    """
    unknown = sorted(set(given) - set(known))
    if unknown:
        noun = what % ("s" if len(unknown) > 1 else "")
        raise OpsError("Unknown %s: %s.%s Known: %s." % (noun, ", ".join(unknown), did_you_mean(unknown, known), ", ".join(sorted(known))))


def did_you_mean(unknown, known):
    """" Perhaps you meant swap_warning." for names that look like a known one (a typo), else ""."""
    guesses = []
    for name in unknown:
        close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.8)
        if close:
            guesses.append("%s for %s" % (close[0], name) if len(unknown) > 1 else close[0])
    return " Perhaps you meant %s." % ", ".join(guesses) if guesses else ""


def rank(level):
    """Severity rank of a level: ok 0, warning 1, critical 2 (unknown levels rank as ok)."""
    return LEVELS.index(level) if level in LEVELS else 0


def exit_code(level):
    """Nagios-style exit code for a level or verdict; anything else is 3 (unknown)."""
    return EXIT_CODES.get(level, EXIT_CODES[UNKNOWN])


def number(name, value, minimum=None, maximum=None, integer=False, what="Setting"):
    """The one number validator: return value as int/float or raise OpsError.

    Refuses booleans, non-numbers, NaN and infinities, values below minimum or above
    maximum, and (integer=True) non-integral values. Numeric strings ("5", "0.5") are
    accepted, since inventories and -e pass strings. The message names the setting and
    never echoes more than a short excerpt of the value.
    """
    original = value
    if isinstance(value, bool) or value is None:
        raise OpsError("%s %s must be a number, got %s." % (what, name, _excerpt(original)))
    if not isinstance(value, (int, float)):
        try:
            value = float(str(value).strip())
        except (TypeError, ValueError):
            raise OpsError("%s %s must be a number, got %s." % (what, name, _excerpt(original)))
    if isinstance(value, float) and not math.isfinite(value):
        raise OpsError("%s %s must be a finite number, got %s." % (what, name, _excerpt(original)))
    if integer:
        if isinstance(value, float):
            if not value.is_integer():
                raise OpsError("%s %s must be a whole number, got %s." % (what, name, _excerpt(original)))
            value = int(value)
    if minimum is not None and maximum is not None and not minimum <= value <= maximum:
        raise OpsError("%s %s must be between %s and %s, got %s." % (what, name, minimum, maximum, value))
    if minimum is not None and value < minimum:
        raise OpsError("%s %s must be at least %s, got %s." % (what, name, minimum, value))
    if maximum is not None and value > maximum:
        raise OpsError("%s %s must be at most %s, got %s." % (what, name, maximum, value))
    return value


def _excerpt(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def duration(seconds):
    """The one duration formatter: 45s, 12m, 3h05m, 2d04h; "?" when unknown or negative."""
    if seconds is None:
        return "?"
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        return "?"
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return "%dd%02dh" % (days, hours)
    if hours:
        return "%dh%02dm" % (hours, minutes)
    if minutes:
        return "%dm" % minutes
    return "%ds" % seconds


def exact_duration(seconds):
    """Every unit from the first to the last non-zero one (2h, 24h30m, 1h00m05s), where two
    lengths must never read the same."""
    hours, rest = divmod(int(round(seconds)), 3600)
    values = (hours,) + divmod(rest, 60)
    used = [i for i, value in enumerate(values) if value] or [2]
    return "".join(("%d" if i == used[0] else "%02d") % values[i] + "hms"[i] for i in range(used[0], used[-1] + 1))


_DURATION_PART = re.compile(r"(\d+)([dhms])")
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(name, text):
    """The one duration parser, the inverse of duration(): "30m", "2h", "1d", "1h30m" ->
    seconds (int > 0). A bare number is refused: "30" could be seconds or minutes."""
    value = text.strip().lower() if isinstance(text, str) else ""
    parts = _DURATION_PART.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise OpsError("%s must be a duration such as 30m, 2h, 1d or 1h30m, got %s." % (name, _excerpt(text)))
    seconds = sum(int(number_) * _DURATION_UNITS[unit] for number_, unit in parts)
    if seconds <= 0:
        raise OpsError("%s must be longer than 0 seconds, got %s." % (name, _excerpt(text)))
    return seconds


def size(value):
    """The one size formatter: bytes in binary units (0 B, 512.0 MiB, 1.5 GiB); "?" when unknown."""
    if value is None or isinstance(value, bool):
        return "?"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "?"
    if not math.isfinite(value):
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return ("%d %s" % (value, unit)) if unit == "B" else ("%.1f %s" % (value, unit))
        value /= 1024.0
    return "%.1f TiB" % value


def plain(value):
    """Deep copy into plain dict / list / str / scalars (Ansible hands plugins its own
    mapping, sequence and tagged string types; JSON and the checks want plain ones)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def worst(levels):
    """Return the most severe of an iterable of levels ("ok" when empty)."""
    highest = 0
    for level in levels:
        highest = max(highest, rank(level))
    return LEVELS[highest]


def subprocess_runner(timeout=60, total=None, clock=time.monotonic):
    """Return a runner(argv, env=None) -> (rc, stdout, stderr) built on subprocess.

    env is merged over os.environ, like AnsibleModule.run_command(environ_update=...).
    Each command may take timeout seconds, and all the commands of this runner together
    total seconds (None: no total), so a caller's run cannot outlive its limit. A command
    runs in its own session; at its limit its whole process group is killed, so no child
    (node under pm2, pm2 under runuser) is left behind. A command that cannot be started,
    or that outlives its limit, raises OpsError.
    """
    deadline = None if total is None else clock() + total

    def run(argv, env=None):
        limit = timeout
        if deadline is not None:
            limit = min(limit, deadline - clock())
            if limit <= 0:
                raise OpsError("%s was not run: this run's time limit of %s seconds is used up." % (_command(argv), total))
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        try:
            proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
                argv,
                env=full_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise OpsError("Command not found: %s." % argv[0])
        except PermissionError:
            raise OpsError("Permission denied running %s." % argv[0])
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise OpsError("%s did not finish within %s seconds and was stopped." % (_command(argv), _figure(limit)))
        except BaseException:
            kill_group(proc)
            raise
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    return run


def kill_group(proc):
    """Kill the process group of a Popen started with start_new_session=True, reap it and
    close its pipes (a grandchild that escaped the group must not hold the caller)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _command(argv):
    return " ".join(str(part) for part in argv[:3])


def _figure(seconds):
    return "%g" % round(seconds, 1)


# A temporary file of atomic_write older than this was left by a run that was killed.
STALE_TEMP_AGE = 600


def atomic_write(path, data, mode=0o644):
    """Write data (str or bytes) to path atomically: temporary file in the same
    directory, fsync, chmod, then rename, so a reader never sees half a file. The rename
    replaces a symlink planted at path instead of following it; temporary files that a
    killed run left behind are removed first."""
    atomic_write_all([(path, data, mode)])


def atomic_write_all(files):
    """Write several files [(path, data, mode)] together: all of them or none.

    Every temporary file is written and synced before the first rename; a failure before
    then leaves every target as it was, and a failure between renames removes the targets
    already renamed, so two files of one run never sit beside files of another run.
    """
    temps = []
    try:
        for path, data, mode in files:
            directory = os.path.dirname(os.path.abspath(path)) or "."
            remove_stale_temps(path)
            if isinstance(data, str):
                data = data.encode("utf-8")
            fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), dir=directory)
            temps.append(tmp)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
        done = []
        try:
            for (path, _data, _mode), tmp in zip(files, temps):
                os.replace(tmp, path)
                done.append(path)
        except BaseException:
            for path in done:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            raise
    except BaseException:
        for tmp in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise


def _temp_prefix(path):
    return ".%s." % os.path.basename(path)


def remove_stale_temps(path, now=None):
    """Remove the temporary files of atomic_write for path that are older than
    STALE_TEMP_AGE seconds (left by a run that was killed). Returns the removed paths."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    prefix = _temp_prefix(path)
    limit = now_epoch(now) - STALE_TEMP_AGE
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(prefix) or len(name) != len(prefix) + 8:
            continue  # mkstemp adds 8 characters
        candidate = os.path.join(directory, name)
        try:
            info = os.lstat(candidate)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < limit:
                os.unlink(candidate)
                removed.append(candidate)
        except OSError:
            pass
    return removed


def open_append(path, mode=0o640):
    """Open path for appending, safely for a root job: never through a symlink, never a
    file that is not regular, and never a pre-existing file that someone other than root
    (or the running user) can write. Returns a text handle; OpsError for a refusal,
    OSError when the file cannot be opened."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | os.O_NONBLOCK, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OpsError("Refusing to write %s: it is a symbolic link." % path)
        raise
    try:
        _refuse_unsafe(path, os.fstat(fd))
    except OpsError:
        os.close(fd)
        raise
    return os.fdopen(fd, "a", encoding="utf-8")


def _refuse_unsafe(path, info):
    if not stat.S_ISREG(info.st_mode):
        raise OpsError("Refusing to write %s: it is not a regular file." % path)
    if info.st_uid not in (0, os.geteuid()):
        raise OpsError("Refusing to write %s: it belongs to uid %d, not to root; remove it." % (path, info.st_uid))
    if info.st_mode & 0o022:
        raise OpsError("Refusing to write %s: other users can write it (mode %04o); remove it or chmod go-w." % (path, info.st_mode & 0o7777))


def read_nofollow(path, limit=None):
    """The bytes of path, opened without following a symlink (OSError ELOOP for one)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return handle.read() if limit is None else handle.read(limit)


def iso_time(epoch):
    """UTC time as ISO 8601 with a Z, e.g. 2026-11-27T22:00:00Z (logs, reports, alerts)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def now_epoch(now=None):
    """The injectable clock: now when given, else time.time()."""
    return time.time() if now is None else float(now)
