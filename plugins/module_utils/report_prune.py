# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pruning the weekly report directory (report.prune): reports dated more than keep_weeks
weeks ago go, unless the clock is not plausible against the newest report held (a clock
running ahead must not delete the reports; issue 20). Imports nothing from ansible."""

from __future__ import annotations

import calendar
import os
import re
import time

from .common import OpsError, now_epoch

_REPORT_NAME = re.compile(r"^weekly-health-report-(\d{4})-(\d{2})-(\d{2})\.(txt|json)$")

# A gap between two dated reports counts at most this many days for keep_weeks (the job
# runs weekly): a clock running ahead ages the reports by this much, not by its error.
REPORT_MAX_GAP_DAYS = 14


def _day_number(date):
    return int(calendar.timegm(time.strptime(date, "%Y-%m-%d")) // 86400)


def prune_plan(dates, today, keep_weeks):
    """Pure: which report dates (YYYY-MM-DD) to remove on day today, and a warning or None.

    keep_weeks counts the time the reports span, not the clock alone: walking the dates in
    order, each gap counts at most REPORT_MAX_GAP_DAYS (a clock a year ahead ages them by
    two weeks). When today is more than REPORT_MAX_GAP_DAYS past the newest earlier
    report, nothing is removed (the clock may be running ahead) and the sentence says why.
    Today's report is never removed."""
    days = sorted(set(dates))
    earlier = [d for d in days if d < today]
    if not earlier:
        return [], None
    gap = _day_number(today) - _day_number(earlier[-1])
    if gap > REPORT_MAX_GAP_DAYS:
        return [], ("Old reports not pruned: today (%s) is %d days past the newest earlier report (%s), more than the %d "
                    "days a gap between weekly reports may count; a clock running ahead must not delete the reports "
                    "(nothing to do if no report was written for that long)." % (today, gap, earlier[-1], REPORT_MAX_GAP_DAYS))
    numbers = [_day_number(d) for d in days] + [_day_number(today)]
    spans = [min(max(b - a, 0), REPORT_MAX_GAP_DAYS) for a, b in zip(numbers, numbers[1:])]
    keep, age, doomed = int(keep_weeks) * 7, 0, []
    for date, span in reversed(list(zip(days, spans))):
        age += span  # the counted days from this report to today
        if date != today and age > keep:
            doomed.append(date)
    return sorted(doomed), None


def prune(directory, keep_weeks, now=None, warnings=None):
    """Remove reports dated more than keep_weeks weeks before now as prune_plan() counts
    them (the date in the file name counts, not the mtime). Other files are never touched.
    Returns the removed paths; a refusal to prune (the clock far ahead of the newest report)
    is appended to the list warnings (when given) for the caller to say."""
    now = now_epoch(now)
    today = time.strftime("%Y-%m-%d", time.gmtime(now))
    removed = []
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return removed
    except OSError as exc:
        raise OpsError("Cannot list the report directory %s (%s)." % (directory, exc.strerror or exc))
    dated = {}
    for name in names:
        match = _REPORT_NAME.match(name)
        if match and _valid_date("%s-%s-%s" % match.group(1, 2, 3)):  # not 2026-02-30
            dated.setdefault("%s-%s-%s" % match.group(1, 2, 3), []).append(name)
    doomed, refusal = prune_plan(list(dated), today, keep_weeks)
    if refusal and warnings is not None:
        warnings.append(refusal)
    for date in doomed:
        for name in dated[date]:
            path = os.path.join(directory, name)
            try:
                os.unlink(path)
            except OSError as exc:
                raise OpsError("Cannot remove the old report %s (%s)." % (path, exc.strerror or exc))
            removed.append(path)
    return sorted(removed)


def _valid_date(date):
    try:
        _day_number(date)
    except ValueError:
        return False
    return True
