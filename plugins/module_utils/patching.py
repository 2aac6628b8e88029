# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decisions of the Wednesday patch (role entry point `patch`), pure and tested.

What apt's simulation says it will upgrade, whether to reboot, how many looks a wait of N
seconds takes, who holds the dpkg lock (from /proc/locks) and, when a host fails, the
sentence an operator acts on. The role's tasks only run the tools and pass their output in.
"""

from __future__ import annotations

import math
import re

from .common import OpsError

REBOOT_POLICIES = ("always", "if_required", "never")
# `apt-get --simulate` lines: "Inst NAME [OLD] (NEW ...)" for an upgrade, "Inst NAME (NEW ...)" for a new package.
_INST = re.compile(r"^Inst (\S+)(?: \[(\S+)\])? \((\S+)")
# What apt and apt-get say when another package manager holds the dpkg lock.
LOCK_ERROR = re.compile(r"Could not get lock|Unable to acquire the dpkg|Failed to lock apt")
LOCK_FILE = "/var/lib/dpkg/lock-frontend"


def apt_command(upgrade):
    """apt-get's sub-command (and option) for the upgrade kind, safe or dist."""
    if upgrade == "dist":
        return ["dist-upgrade"]
    if upgrade == "safe":
        return ["upgrade", "--with-new-pkgs"]
    raise OpsError("twzrd_ops_patch_upgrade must be safe or dist, got %r." % (upgrade,))


def planned_packages(lines):
    """'name old -> new' (or 'name (new) version') for each package `apt-get --simulate` would install."""
    packages = []
    for line in lines or []:
        match = _INST.match(str(line))
        if match:
            name, old, new = match.groups()
            packages.append("%s %s -> %s" % (name, old, new) if old else "%s (new) %s" % (name, new))
    return packages


def reboot_wanted(policy, reboot_required):
    """Whether to reboot: always, never, or if_required when /var/run/reboot-required exists."""
    if policy not in REBOOT_POLICIES:
        raise OpsError("twzrd_ops_patch_reboot must be always, if_required or never, got %r." % (policy,))
    return policy == "always" or (policy == "if_required" and bool(reboot_required))


def looks(timeout, delay=5):
    """How many looks `delay` seconds apart cover a wait of `timeout` seconds (at least 1)."""
    if delay <= 0:
        raise OpsError("The delay between looks must be above 0 seconds, got %s." % delay)
    return max(1, int(math.ceil(float(timeout) / delay)))


def lock_holders(proc_locks, inode):
    """The PIDs (sorted, unique) holding a lock on the file with this inode, from /proc/locks.

    A /proc/locks line: "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; field 6 is
    MAJOR:MINOR:INODE. A blocked waiter ("1: -> POSIX ...") shifts the fields by one.
    """
    wanted = str(inode).strip()
    pids = set()
    for line in str(proc_locks or "").splitlines():
        fields = line.split()
        if len(fields) > 1 and fields[1] == "->":
            continue  # waiting for the lock, not holding it
        if len(fields) >= 6 and fields[5].rsplit(":", 1)[-1] == wanted and fields[4].isdigit():
            pids.add(int(fields[4]))
    return sorted(pids)


def is_lock_error(message):
    """Whether apt failed because another package manager holds the dpkg lock."""
    return bool(LOCK_ERROR.search(str(message or "")))


def failure(message, task="", holders=None, lock_timeout=60, reboot_timeout=900):
    """{"class": lock | reboot | other, "reason": sentence} for a host whose patch failed.

    holders: "PID COMMAND" for each process lock_holders named (`ps -o pid=,comm=`), when apt met the lock.
    """
    message = str(message or "the patch failed").strip()
    if is_lock_error(message):
        named = ", ".join(" ".join(str(h).split()) for h in holders or [] if str(h).strip())
        holder = " (process %s holds %s)" % (named, LOCK_FILE) if named else ""
        return {"class": "lock", "reason": "another package manager is running%s: the dpkg lock stayed held for %s s "
                "(twzrd_ops_patch_lock_timeout); nothing was upgraded and the host was not rebooted" % (holder, lock_timeout)}
    if re.search(r"(^|: )Reboot", str(task or "")):  # the reboot task, role-prefixed or not
        return {"class": "reboot", "reason": "did not come back from its reboot within %s s (twzrd_ops_patch_reboot_timeout): %s"
                % (reboot_timeout, message)}
    return {"class": "other", "reason": message}
