# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Memory, swap, load and disk of the local host, and the threshold checks on them.

Runs inside Ansible modules and on hosts without Ansible (twzrd_ops_lib), so it imports
nothing from ansible. psutil is optional at import time: callers check HAS_PSUTIL.
"""

from __future__ import annotations

import os
import re
import time
import traceback

from .common import OpsError, number

try:
    import psutil
except ImportError:
    psutil = None
    HAS_PSUTIL = False
    PSUTIL_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PSUTIL = True
    PSUTIL_IMPORT_ERROR = None

LOAD_MODES = ("per_core", "absolute")
LOAD_DEFAULTS = {"per_core": (1.0, 1.5), "absolute": (8.0, 12.0)}
SWAP_DEFAULTS = (20, 50)
DISK_DEFAULTS = (80, 90)

# Command lines are returned so an operator can tell two node processes apart, but they may
# carry secrets passed as arguments: values of secret-looking options are masked and the
# whole line is cut to this many characters.
CMDLINE_MAX = 200
CPU_SAMPLE_SECONDS = 0.5
MASK = "********"
_SECRET_NAME = re.compile(r"(pass|secret|token|key|auth|credential|api[_-]?key)", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(://[^/\s:@]+:)[^/\s@]+@")


def _require_psutil():
    if not HAS_PSUTIL:
        raise OpsError("The Python library psutil is required; install it (Debian/Ubuntu: apt install python3-psutil).")


def _percent(part, whole):
    """part/whole as a percentage with one decimal; 0.0 when whole is 0 (no swap)."""
    if not whole:
        return 0.0
    return round(100.0 * part / whole, 1)


def _number(text):
    """Threshold as written in a message: 20 rather than 20.0."""
    value = float(text)
    return "%d" % value if value == int(value) else "%g" % value


def mask_cmdline(args, limit=CMDLINE_MAX):
    """Join argv for display, masking secret-looking option values, cut to limit characters.

    `--db-password=x` and `--token x` become `--db-password=********` / `--token ********`,
    `https://user:pw@host` loses the password. This is a best effort: anything else passed
    on a command line is visible to every local user in `ps` anyway.
    """
    shown = []
    hide_next = False
    for arg in args:
        if hide_next:
            shown.append(MASK)
            hide_next = False
            continue
        arg = _URL_CREDENTIALS.sub(r"\1" + MASK + "@", arg)
        name, sep, _value = arg.partition("=")
        if sep and _SECRET_NAME.search(name):
            arg = name + "=" + MASK
        elif arg.startswith("-") and _SECRET_NAME.search(arg):
            hide_next = True
        shown.append(arg)
    line = " ".join(" ".join(arg.split()) for arg in shown).strip()
    if len(line) > limit:
        line = line[: limit - 3] + "..."
    return line


def start_cpu_sample(clock=time.monotonic):
    """Open the CPU sample of the top-process lists now, so that the caller's other work
    (reading PM2, probing) runs inside the sample window instead of a sleep."""
    _require_psutil()
    procs = {}
    for proc in psutil.process_iter():
        try:
            proc.cpu_percent(None)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        procs[proc.pid] = proc
    return {"procs": procs, "started": clock()}


def _top_processes(count, sample_seconds, sleep, sample=None, clock=time.monotonic):
    """The count biggest processes by memory and by CPU, from one CPU sample for all.
    With an opened sample (start_cpu_sample) only what is left of sample_seconds is slept."""
    if sample is None:
        sample = start_cpu_sample(clock)
    procs = sample["procs"]
    remaining = sample_seconds - (clock() - sample["started"])
    if remaining > 0:
        sleep(remaining)
    rows = []
    for proc in procs.values():
        try:
            with proc.oneshot():
                cpu = proc.cpu_percent(None)
                rss = proc.memory_info().rss
                mem = proc.memory_percent()
                name = proc.name()
                try:
                    user = proc.username()
                except (KeyError, psutil.AccessDenied):
                    user = None
                try:
                    cmdline = mask_cmdline(proc.cmdline())
                except (psutil.AccessDenied, psutil.ZombieProcess):
                    cmdline = ""
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            # Gone (or hidden) between the two samples: nothing to report about it.
            continue
        rows.append(
            {
                "pid": proc.pid,
                "user": user,
                "name": name,
                "rss": rss,
                "memory_percent": round(mem, 1),
                "cpu_percent": round(cpu, 1),
                "cmdline": cmdline,
            }
        )
    by_memory = sorted(rows, key=lambda row: row["rss"], reverse=True)[:count]
    by_cpu = sorted(rows, key=lambda row: row["cpu_percent"], reverse=True)[:count]
    return by_memory, by_cpu


def collect(top=0, sample_seconds=CPU_SAMPLE_SECONDS, sleep=time.sleep, sample=None):
    """Snapshot of swap, memory and load (DESIGN.md "system" shape, without breaches).

    top > 0 adds top_memory and top_cpu with that many processes each; CPU percentages come
    from one sample of sample_seconds taken for all processes at once (opened earlier by
    start_cpu_sample() when given as sample).
    """
    _require_psutil()
    try:
        top = int(top)
    except (TypeError, ValueError):
        raise OpsError("top must be a whole number of processes (got %r)." % (top,))
    if top < 0:
        raise OpsError("top must not be negative (got %d)." % top)

    swap = psutil.swap_memory()
    memory = psutil.virtual_memory()
    load1, load5, load15 = os.getloadavg()
    cpu_count = psutil.cpu_count() or os.cpu_count() or 1
    snapshot = {
        "swap": {
            "total": swap.total,
            "used": swap.used,
            "free": swap.free,
            "percent": _percent(swap.used, swap.total),
            "configured": swap.total > 0,
        },
        "memory": {
            "total": memory.total,
            "available": memory.available,
            "used": memory.used,
            "percent": _percent(memory.total - memory.available, memory.total),
        },
        "load": {
            "load1": round(load1, 2),
            "load5": round(load5, 2),
            "load15": round(load15, 2),
            "per_core": {
                "load1": round(load1 / cpu_count, 2),
                "load5": round(load5 / cpu_count, 2),
                "load15": round(load15 / cpu_count, 2),
            },
        },
        "cpu_count": cpu_count,
    }
    if top:
        snapshot["top_memory"], snapshot["top_cpu"] = _top_processes(top, sample_seconds, sleep, sample)
    return snapshot


def _as_number(name, value):
    # NaN would compare false with everything: a threshold that silently never fires.
    return float(number(name, value))


def _check_pair(warn_name, warning, crit_name, critical, percent):
    warning = _as_number(warn_name, warning)
    critical = _as_number(crit_name, critical)
    for name, value in ((warn_name, warning), (crit_name, critical)):
        if value < 0:
            raise OpsError("%s must not be negative (got %s)." % (name, _number(value)))
        if percent and value > 100:
            raise OpsError("%s is a percentage and must be between 0 and 100 (got %s)." % (name, _number(value)))
    if warning > critical:
        raise OpsError(
            "%s (%s) must not be above %s (%s)." % (warn_name, _number(warning), crit_name, _number(critical))
        )
    return warning, critical


def validate_thresholds(swap_warning=None, swap_critical=None, load_mode="per_core", load_warning=None, load_critical=None):
    """Check thresholds and fill defaults; return the thresholds dict used by breaches().

    None means "the default": swap 20/50 %, load 1.0/1.5 per core or 8/12 absolute.
    Raises OpsError with one sentence for a negative value, a warning above its critical,
    a percentage above 100 or an unknown load_mode.
    """
    if load_mode in (None, ""):
        load_mode = "per_core"
    if load_mode not in LOAD_MODES:
        raise OpsError("load_mode must be per_core or absolute (got %r)." % (load_mode,))
    swap_w, swap_c = _check_pair(
        "swap_warning",
        SWAP_DEFAULTS[0] if swap_warning is None else swap_warning,
        "swap_critical",
        SWAP_DEFAULTS[1] if swap_critical is None else swap_critical,
        percent=True,
    )
    default_w, default_c = LOAD_DEFAULTS[load_mode]
    load_w, load_c = _check_pair(
        "load_warning",
        default_w if load_warning is None else load_warning,
        "load_critical",
        default_c if load_critical is None else load_critical,
        percent=False,
    )
    return {
        "swap_warning": swap_w,
        "swap_critical": swap_c,
        "load_mode": load_mode,
        "load_warning": load_w,
        "load_critical": load_c,
    }


def _level(value, warning, critical):
    """Runbook semantics: a breach is a value above the threshold ("swap > 20%")."""
    if value > critical:
        return "critical"
    if value > warning:
        return "warning"
    return None


def breaches(snapshot, thresholds):
    """Findings for swap and load in a collect() snapshot, given validate_thresholds() output.

    Load is judged on the 1-minute average (the first figure of `uptime`), per core or
    absolute according to load_mode. A host without swap never breaches on swap.
    """
    findings = []
    swap = snapshot["swap"]
    if swap["configured"]:
        level = _level(swap["percent"], thresholds["swap_warning"], thresholds["swap_critical"])
        if level:
            findings.append(
                {
                    "rule": "swap",
                    "key": "swap",
                    "level": level,
                    "value": swap["percent"],
                    "message": "Swap use is %s%% (warning at %s%%, critical at %s%%)."
                    % (swap["percent"], _number(thresholds["swap_warning"]), _number(thresholds["swap_critical"])),
                }
            )
    if thresholds["load_mode"] == "per_core":
        value = snapshot["load"]["per_core"]["load1"]
        what = "%.2f per core on %d CPUs" % (value, snapshot["cpu_count"])
    else:
        value = snapshot["load"]["load1"]
        what = "%.2f on %d CPUs" % (value, snapshot["cpu_count"])
    level = _level(value, thresholds["load_warning"], thresholds["load_critical"])
    if level:
        findings.append(
            {
                "rule": "load",
                "key": "load",
                "level": level,
                "value": value,
                "message": "Load average (1 min) is %s (warning at %s, critical at %s)."
                % (what, _number(thresholds["load_warning"]), _number(thresholds["load_critical"])),
            }
        )
    return findings


def disk(paths):
    """Usage of the filesystems holding paths, like df: [{path, total, used, free, percent}].

    free is what unprivileged users may still write; percent is used / (used + free), as df
    shows it. A path that cannot be examined gets None figures and an "error" sentence.
    """
    result = []
    for path in paths:
        try:
            stat = os.statvfs(path)
        except OSError as err:
            result.append(
                {"path": path, "total": None, "used": None, "free": None, "percent": None, "error": err.strerror or str(err)}
            )
            continue
        total = stat.f_blocks * stat.f_frsize
        used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
        free = stat.f_bavail * stat.f_frsize
        result.append({"path": path, "total": total, "used": used, "free": free, "percent": _percent(used, used + free)})
    return result


def disk_breaches(disks, warning=DISK_DEFAULTS[0], critical=DISK_DEFAULTS[1]):
    """Findings (rule "disk", key "disk:PATH") for disk() entries above the thresholds.

    A configured path that cannot be examined is a warning: the check is blind there.
    """
    warning, critical = _check_pair("disk_warning", warning, "disk_critical", critical, percent=True)
    findings = []
    for entry in disks:
        key = "disk:%s" % entry["path"]
        if entry["percent"] is None:
            findings.append(
                {
                    "rule": "disk",
                    "key": key,
                    "level": "warning",
                    "value": None,
                    "message": "Disk use of %s cannot be checked: %s." % (entry["path"], entry.get("error", "unknown error")),
                }
            )
            continue
        level = _level(entry["percent"], warning, critical)
        if level:
            findings.append(
                {
                    "rule": "disk",
                    "key": key,
                    "level": level,
                    "value": entry["percent"],
                    "message": "Disk %s is %s%% full (warning at %s%%, critical at %s%%)."
                    % (entry["path"], entry["percent"], _number(warning), _number(critical)),
                }
            )
    return findings
