# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""patch.yml's window guard: is now inside twzrd_ops_patch_window (UTC)?

A window is {days: [Wednesday, ...], start: "HH:MM", end: "HH:MM"} in UTC; days name the day
the window STARTS. A window whose end is not after its start crosses midnight: Wednesday
22:00-02:00 is open from Wednesday 22:00 until Thursday 02:00. Pure (the time is given).
"""

from __future__ import annotations

import re
import time

from .common import OpsError, printable

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
EXAMPLE = '{days: [Wednesday], start: "01:00", end: "04:00"}'


def _day(name):
    text = str(name).strip().lower()
    for day in DAYS:
        if text in (day.lower(), day[:3].lower()):
            return day
    raise OpsError("twzrd_ops_patch_window.days: %s is not a day of the week (Monday ... Sunday, or Mon ... Sun)."
                   % printable(str(name))[:40])


def _minutes(key, value):
    match = _CLOCK.match(str(value).strip())
    if not match:
        raise OpsError("twzrd_ops_patch_window.%s must be a time of day HH:MM (UTC), got %s." % (key, printable(repr(value))[:40]))
    return int(match.group(1)) * 60 + int(match.group(2))


def validate(window):
    """{} (no window) or {days, start, end, crosses_midnight} normalised; OpsError otherwise."""
    if window in (None, {}, ""):
        return {}
    if not isinstance(window, dict) or set(window) != {"days", "start", "end"}:
        raise OpsError("twzrd_ops_patch_window must be empty or %s, got %s." % (EXAMPLE, printable(repr(window))[:120]))
    days = window["days"]
    if isinstance(days, str):
        days = [days]
    if not isinstance(days, list) or not days:
        raise OpsError("twzrd_ops_patch_window.days must list at least one day, e.g. [Wednesday].")
    start, end = _minutes("start", window["start"]), _minutes("end", window["end"])
    if start == end:
        raise OpsError("twzrd_ops_patch_window: start and end are both %s; a window needs a length." % window["start"])
    return {"days": sorted({_day(d) for d in days}, key=DAYS.index), "start": "%02d:%02d" % divmod(start, 60),
            "end": "%02d:%02d" % divmod(end, 60), "crosses_midnight": end < start}


def check(window, now):
    """{"open": bool, "message": sentence}: whether the epoch now falls in the window."""
    conf = validate(window)
    if not conf:
        return {"open": True, "message": "No patch window is set (twzrd_ops_patch_window): patching at any time."}
    moment = time.gmtime(now)
    day, minute = DAYS[moment.tm_wday], moment.tm_hour * 60 + moment.tm_min
    start, end = _minutes("start", conf["start"]), _minutes("end", conf["end"])
    if conf["crosses_midnight"]:
        yesterday = DAYS[(moment.tm_wday - 1) % 7]
        opened = (day in conf["days"] and minute >= start) or (yesterday in conf["days"] and minute < end)
    else:
        opened = day in conf["days"] and start <= minute < end
    shown = "%s %s-%s UTC%s" % ("/".join(conf["days"]), conf["start"], conf["end"],
                                " (ending the next day)" if conf["crosses_midnight"] else "")
    now_text = "%s %02d:%02d UTC" % (day, moment.tm_hour, moment.tm_min)
    if opened:
        return {"open": True, "message": "It is %s, inside the patch window %s." % (now_text, shown)}
    return {"open": False, "message": "It is %s, outside the patch window %s." % (now_text, shown)}
