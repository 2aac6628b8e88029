# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding PM2 and its daemon, and running pm2 as the right user for one PM2_HOME.

Reading never starts a daemon: `pm2 jlist` spawns an empty daemon when none runs, which would
turn "PM2 is down" into "PM2 runs nothing" on an operator's health check. So the daemon is
looked for first (pm2.pid + live process, or a listening rpc.sock). Pure Python (no ansible).
"""

from __future__ import annotations

import errno
import glob
import os
import pwd
import socket

from .common import OpsError
from .pm2_jlist import parse_jlist, strip_ansi


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
