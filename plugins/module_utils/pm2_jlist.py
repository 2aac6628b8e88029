# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading what `pm2 jlist` prints: the JSON process list out of whatever PM2 prints around
it (banner, spawn lines, the out-of-date block), and one process dict per entry in the
DESIGN.md shape. Pure Python (no ansible import).

The apps' environment VALUES never leave this file: normalize() keeps names only. Every field
is type-checked: a PM2 (or a corrupt dump) giving a list where a number belongs, absurd
nesting or huge values yields "unknown"/0, never a traceback.
"""

from __future__ import annotations

import json
import math
import re

from . import jsondoc
from .common import OpsError, now_epoch

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_OUTDATED = re.compile(r"In-memory PM2 is out-of-date")
_MEM_VERSION = re.compile(r"In memory PM2 version:\s*(\S+)")
_LOCAL_VERSION = re.compile(r"Local PM2 version:\s*(\S+)")
_PM2_NOTICE = re.compile(r"^\[PM2\]\[(WARN|ERROR)\]\s*(.*)$")


# PM2's own bookkeeping inside pm2_env.env: not the app's configuration.
_PM2_ENV_BOOKKEEPING = frozenset(
    ("unique_id", "PM2_USAGE", "PM2_DISCRETE_MODE", "PM2_INTERACTOR_PROCESSING", "PM2_JSON_PROCESSING", "PM2_PROGRAMMATIC", "PM2_SILENT")
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
            value, end = jsondoc.raw_decode(decoder, clean, start)
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
