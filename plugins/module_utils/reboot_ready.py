# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Would a reboot now bring the PM2 apps back? (issue 12, the Wednesday reboot)

Read-only. Three things decide it:
- the start-up unit `pm2-USER.service` (written by `pm2 startup systemd -u USER`) exists, is
  not masked, is enabled (a link in a `*.wants/` directory: a file check, so it works where
  systemd is not PID 1), names the PM2_HOME that holds the apps, and every path it starts
  exists: ExecStart's pm2, the interpreter of its `#!` line (`/usr/bin/env node` is looked up
  on the unit's own Environment=PATH, as systemd's `env` would at boot) and, when a runner is
  given, that node runs and loads pm2 (one `node -p` with the runner's deadline);
- the saved process list (dump.pm2, what `pm2 resurrect` starts on boot) holds every
  expected app and every app online now;
- the in-memory PM2 is the installed one (pm2.parse_jlist's out-of-date warning).

check() returns {ready, problems, repairs, unrepairable, unit, dump}: problems are sentences;
repairs the runbook's fixes for them, in the order to run them ("pm2 startup" as root for the
user, "pm2 save" and "pm2 update" as the user); unrepairable the problems none of those fixes
(the playbook then refuses to reboot). Pure Python, no ansible import.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex

from .common import OpsError, printable
from . import pm2 as pm2lib

UNIT_DIR = "/etc/systemd/system"
# What systemd gives a service when its unit sets no PATH.
SYSTEMD_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
REPAIRS = ("pm2 startup", "pm2 save", "pm2 update")
OUT_OF_DATE = "In-memory PM2 is out-of-date"
_SHEBANG_LIMIT = 256


def unit_name(user):
    return "pm2-%s.service" % user


def systemd_booted(root="/run/systemd/system"):
    """True when systemd is the init system (sd_booted()'s test); the unit is moot otherwise."""
    return os.path.isdir(root)


def parse_unit(text):
    """The [Service] settings of a unit file that matter for a boot: {user, exec_start,
    exec_reload, exec_stop (argv lists), environment: {name: value}}."""
    section = None
    result = {"user": None, "exec_start": None, "exec_reload": None, "exec_stop": None, "environment": {}}
    logical = []
    for line in (text or "").splitlines():
        if logical and logical[-1].endswith("\\"):
            logical[-1] = logical[-1][:-1] + " " + line.strip()
        else:
            logical.append(line.strip())
    for line in logical:
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section != "Service" or "=" not in line:
            continue
        key, value = [part.strip() for part in line.split("=", 1)]
        if key == "User":
            result["user"] = value
        elif key == "Environment":
            try:
                words = shlex.split(value)
            except ValueError:
                words = value.split()
            for word in words:
                name, sep, val = word.partition("=")
                if sep:
                    result["environment"][name] = val
        elif key in ("ExecStart", "ExecReload", "ExecStop"):
            if not value:
                continue  # an empty assignment resets the list
            try:
                argv = shlex.split(value)
            except ValueError:
                argv = value.split()
            if argv:
                # systemd's prefixes: - ignore failure, @ argv[0], : no env expansion, + ! privileges
                argv[0] = argv[0].lstrip("-@:+!")
            result[{"ExecStart": "exec_start", "ExecReload": "exec_reload", "ExecStop": "exec_stop"}[key]] = argv
    return result


def enabled(unit_dir, name):
    """Is the unit enabled: a link to it in one of unit_dir's *.wants / *.requires directories."""
    try:
        entries = os.listdir(unit_dir)
    except OSError:
        return False
    for entry in entries:
        if entry.endswith((".wants", ".requires")) and os.path.lexists(os.path.join(unit_dir, entry, name)):
            return True
    return False


def which(name, path_env):
    """The file `env` would run for name on path_env, or None."""
    for directory in (path_env or "").split(":"):
        if directory:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def shebang(path):
    """The interpreter argv of a script's #! line, or None for a binary / unreadable file."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SHEBANG_LIMIT)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    return line.split() or None


def _executable(path):
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def _pm2_package(pm2_script):
    """pm2's package.json beside the real file of its bin script (bin/pm2 -> ../package.json)."""
    real = os.path.realpath(pm2_script)
    return os.path.join(os.path.dirname(os.path.dirname(real)), "package.json")


def _runs(runner, node, pm2_script, user, env_path):
    """Run the unit's node on the unit's pm2 once: node starts and loads pm2's package.

    Returns None when it ran, else a short reason. Nothing is started: `node -p` prints two
    versions and exits (`pm2 -v` would spawn a daemon)."""
    package = _pm2_package(pm2_script)
    argv = [node, "-p", "process.version + ' ' + require(%s).version" % _js_string(package)]
    if user and user != pm2lib._current_user() and os.geteuid() == 0:
        argv = ["runuser", "-u", user, "--", "env", "PATH=%s" % env_path] + argv
    try:
        rc, out, err = runner(argv, env={"PATH": env_path})
    except OpsError as error:
        return str(error).rstrip(".")
    if rc != 0:
        detail = pm2lib._first_line(err) or pm2lib._first_line(out) or "exit code %s" % rc
        return "%s exited with code %s (%s)" % (node, rc, printable(detail))
    words = (out or "").split()
    if len(words) != 2 or not re.match(r"^v\d", words[0]):
        return "%s printed %r instead of two versions" % (node, printable((out or "")[:80]))
    return None


def _js_string(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _add(result, problem, repair):
    result["problems"].append(problem)
    if repair is None:
        result["unrepairable"].append(problem)
    elif repair not in result["repairs"]:
        result["repairs"].append(repair)


def check_unit(result, user, pm2_home, unit_dir, runner):
    name = unit_name(user)
    path = os.path.join(unit_dir, name)
    unit = {"name": name, "path": path, "exists": False, "masked": False, "enabled": False,
            "exec_start": None, "pm2_home": None, "path_env": None, "node": None}
    result["unit"] = unit
    if not os.path.lexists(path):
        _add(result, "The start-up unit %s does not exist, so nothing starts PM2 for %s on boot." % (path, user), "pm2 startup")
        return
    unit["exists"] = True
    if os.path.realpath(path) == os.devnull:
        unit["masked"] = True
        _add(result, "The start-up unit %s is masked (linked to /dev/null), so PM2 for %s cannot start on boot; "
                     "someone masked it on purpose: unmask it (systemctl unmask %s) if PM2 should start on boot."
             % (name, user, name), None)
        return
    try:
        with open(path, "rb") as handle:
            text = handle.read(256 * 1024).decode("utf-8", "replace")
    except OSError as error:
        _add(result, "The start-up unit %s cannot be read (%s)." % (path, error.strerror or error), None)
        return
    parsed = parse_unit(text)
    unit["enabled"] = enabled(unit_dir, name)
    if not unit["enabled"]:
        _add(result, "The start-up unit %s is not enabled, so it does not run on boot." % name, "pm2 startup")
    if parsed["user"] and parsed["user"] != user:
        _add(result, "The start-up unit %s runs PM2 as %s, not as %s." % (name, printable(parsed["user"]), user), "pm2 startup")
    env = parsed["environment"]
    unit["pm2_home"] = env.get("PM2_HOME")
    if pm2_home and unit["pm2_home"] and os.path.normpath(unit["pm2_home"]) != os.path.normpath(pm2_home):
        _add(result, "The start-up unit %s resurrects PM2_HOME %s, not %s where the apps run."
             % (name, printable(unit["pm2_home"]), pm2_home), "pm2 startup")
    path_env = env.get("PATH") or SYSTEMD_DEFAULT_PATH
    unit["path_env"] = path_env
    argv = parsed["exec_start"]
    if not argv:
        _add(result, "The start-up unit %s has no ExecStart, so it starts nothing." % name, "pm2 startup")
        return
    unit["exec_start"] = argv[0]
    others = [line[0] for line in (parsed["exec_reload"], parsed["exec_stop"]) if line]
    for program in [argv[0]] + [p for p in others if p != argv[0]]:
        if not _executable(program):
            _add(result, "The start-up unit %s starts %s, which %s." % (
                name, printable(program), "is not executable" if os.path.exists(program) else "does not exist (moved or removed)"),
                "pm2 startup")
    if not _executable(argv[0]):
        return
    interpreter = shebang(argv[0])
    node = None
    if interpreter:
        if os.path.basename(interpreter[0]) == "env" and len(interpreter) > 1:
            node = which(interpreter[-1], path_env)
            if node is None:
                _add(result, "The start-up unit %s runs %s with `%s`, but no %s is on the unit's PATH (%s): Node.js moved or was removed."
                     % (name, printable(argv[0]), " ".join(interpreter), printable(interpreter[-1]), printable(path_env)), "pm2 startup")
        else:
            node = interpreter[0]
            if not _executable(node):
                _add(result, "The start-up unit %s runs %s with %s, which does not exist (Node.js moved or was removed)."
                     % (name, printable(argv[0]), printable(node)), "pm2 startup")
                node = None
    unit["node"] = node
    if node and runner is not None:
        failure = _runs(runner, node, argv[0], user, path_env)
        if failure:
            _add(result, "The start-up unit %s would not run: %s." % (name, failure), "pm2 startup")


def check_dump(result, pm2_home, expected, online):
    path = os.path.join(pm2_home, "dump.pm2")
    dump = {"path": path, "apps": None}
    result["dump"] = dump
    # PM2 modules (pm2 install pm2-logrotate) run like apps but `pm2 save` never dumps them:
    # the daemon starts them from PM2_HOME/modules on boot.
    online = None if online is None else [name for name in online if not _is_module(pm2_home, name)]
    wanted = sorted(set(expected or []) | set(online or []))
    try:
        saved = pm2lib.read_dump(path)
    except OpsError as error:
        _add(result, "%s; pm2 save rewrites it." % str(error).rstrip("."), "pm2 save" if online is not None else None)
        return
    if saved is None:
        if wanted:
            _add(result, "PM2's saved process list %s does not exist, so on boot PM2 resurrects no app." % path,
                 "pm2 save" if online is not None else None)
        return
    dump["apps"] = sorted(set(proc["name"] for proc in saved))
    absent = [name for name in wanted if name not in dump["apps"]]
    savable = [name for name in absent if online is not None and name in online]
    lost = [name for name in absent if name not in savable]
    if savable:
        _add(result, "PM2's saved process list %s lacks %s, which %s online now: a reboot would not start %s."
             % (path, ", ".join(savable), "is" if len(savable) == 1 else "are", "it" if len(savable) == 1 else "them"), "pm2 save")
    if lost:
        _add(result, "Expected app%s %s %s neither in PM2's saved process list nor online now, so pm2 save cannot add %s; "
                     "start %s as the PM2 user, then save." % (
                         "" if len(lost) == 1 else "s", ", ".join(lost), "is" if len(lost) == 1 else "are",
                         "it" if len(lost) == 1 else "them", "it" if len(lost) == 1 else "them"), None)


def _is_module(pm2_home, name):
    return bool(name) and os.sep not in name and os.path.isdir(os.path.join(pm2_home, "modules", name))


def check_version(result, pm2_warnings):
    for warning in pm2_warnings or []:
        if isinstance(warning, str) and warning.startswith(OUT_OF_DATE):
            _add(result, warning.split(":")[0] + ".", "pm2 update")
            return


def check(user, pm2_home=None, expected=None, online=None, pm2_warnings=None, unit_dir=UNIT_DIR, runner=None):
    """Would a reboot bring PM2's apps back? See the module docstring.

    user: the PM2 user; pm2_home: its PM2_HOME (default ~user/.pm2); expected: apps that must
    come back; online: names of the apps online now (None when PM2 could not be read: then a
    missing dump is not something pm2 save can fix); pm2_warnings: pm2_status()'s warnings;
    unit_dir: where `pm2 startup` writes units (a temporary directory in tests); runner: when
    given, node is run once (with the runner's deadline) to prove the unit's paths run.
    """
    if not user or not isinstance(user, str):
        raise OpsError("Name the PM2 user whose start-up unit is checked.")
    pm2_home = pm2_home or pm2lib.default_pm2_home(user)
    result = {"ready": True, "problems": [], "repairs": [], "unrepairable": [], "unit": None, "dump": None,
              "user": user, "pm2_home": pm2_home}
    check_unit(result, user, pm2_home, unit_dir, runner)
    check_dump(result, pm2_home, expected, online)
    check_version(result, pm2_warnings)
    result["repairs"] = [repair for repair in REPAIRS if repair in result["repairs"]]
    result["ready"] = not result["problems"]
    return result


def home_of(user):
    """The home directory of user (what `pm2 startup --hp` takes), or None."""
    try:
        return pwd.getpwnam(user).pw_dir
    except KeyError:
        return None


def node_for(pm2_path, path_env=None):
    """The node that runs pm2_path now: its #! interpreter, looked up (for `env node`) beside
    pm2_path, then in the bin/ of the npm prefix pm2 really lives in (nvm and tarball layouts),
    then on path_env (default this process's PATH). None when pm2_path is None or no node is found."""
    if not pm2_path:
        return None
    interpreter = shebang(pm2_path)
    if not interpreter:
        return None
    if os.path.basename(interpreter[0]) != "env":
        return interpreter[0] if _executable(interpreter[0]) else None
    # npm's global layout: PREFIX/lib/node_modules/pm2/bin/pm2 runs with PREFIX/bin/node
    # (nvm, NodeSource and tarball installs), whatever symlink on PATH pm2 was found through.
    real = os.path.realpath(pm2_path)
    prefix_bin = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(real))))), "bin")
    search = [os.path.dirname(pm2_path), prefix_bin, path_env if path_env is not None else os.environ.get("PATH", "")]
    return which(interpreter[-1], ":".join(search))


def at_risk(result, expected=None, online=None):
    """The apps a reboot now would not bring back (all of them when the unit is broken)."""
    apps = sorted(set(expected or []) | set(online or []))
    unit = result.get("unit") or {}
    unit_broken = any(p.startswith("The start-up unit") for p in result.get("problems") or [])
    if unit_broken or not unit:
        return apps
    saved = set((result.get("dump") or {}).get("apps") or [])
    return [name for name in apps if name not in saved]


def warning_message(result, expected=None, online=None):
    """The weekly report's sentence: "a reboot now would not bring back: APPS (why)"."""
    apps = at_risk(result, expected, online)
    return "A reboot now would not bring back: %s (%s)." % (
        ", ".join(apps) or "PM2 as it runs now", " ".join(result["problems"]).rstrip("."))
