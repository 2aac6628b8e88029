# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cron schedules of the role: five fields, written in UTC.

cronie honours CRON_TZ=UTC; Debian's cron (3.0pl1) does not and schedules in the host's
local time, so there a UTC schedule is converted with the host's current UTC offset.
Only the shapes the runbook uses can be converted: hourly at a fixed minute ("M * * * *")
and weekly or daily at a fixed time ("M H * * D[,D...]" or "M H * * *"). Like every
module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import re

from .common import OpsError, printable

_FIELD = re.compile(r"^[0-9A-Za-z*,/-]+$")
_NUMBER = re.compile(r"^[0-9]+$")
_WEEKDAYS = re.compile(r"^([0-9]+(,[0-9]+)*|[*])$")
_OFFSET = re.compile(r"^([+-])([0-9]{2})([0-9]{2})$")


def check(name, schedule):
    """Return the five fields of schedule, or raise OpsError naming the setting."""
    fields = schedule.split() if isinstance(schedule, str) else []
    if len(fields) != 5 or not all(_FIELD.match(f) for f in fields):
        raise OpsError(
            "%s must be five cron fields (minute hour day month weekday), got '%s'." % (name, printable(str(schedule))[:200])
        )
    return fields


def offset_minutes(offset):
    """Minutes east of UTC of an offset such as "+0530" or "-0500"."""
    match = _OFFSET.match(str(offset or "+0000"))
    if not match:
        raise OpsError("UTC offset must look like +0100 or -0500, got %r." % (offset,))
    sign = -1 if match.group(1) == "-" else 1
    return sign * (int(match.group(2)) * 60 + int(match.group(3)))


def local_fields(schedule, offset, cron_tz_supported):
    """The fields cron must be given for a UTC schedule, or None when it cannot be converted.

    No conversion where cron honours CRON_TZ or the host runs on UTC.
    """
    fields = schedule.split()
    minutes = offset_minutes(offset)
    if cron_tz_supported or minutes == 0:
        return fields
    minute, hour, day, month, weekday = fields
    if hour == "*" and _NUMBER.match(minute):
        return [str((int(minute) + minutes) % 60), hour, day, month, weekday]
    if _NUMBER.match(minute) and _NUMBER.match(hour) and day == "*" and month == "*" and _WEEKDAYS.match(weekday):
        total = int(hour) * 60 + int(minute) + minutes
        days = total // 1440
        if weekday != "*":
            weekday = ",".join(str((int(d) + days) % 7) for d in weekday.split(","))
        return [str(total % 60), str(total % 1440 // 60), "*", "*", weekday]
    return None


def cron_jobs(specs, offset, cron_tz_supported):
    """Each spec ({name, schedule, ...}) with fields (local cron fields) and convertible."""
    jobs = []
    for spec in specs:
        fields = local_fields(spec["schedule"], offset, cron_tz_supported)
        job = dict(spec)
        job["convertible"] = fields is not None
        job["fields"] = fields if fields is not None else spec["schedule"].split()
        jobs.append(job)
    return jobs
