# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The names of the alert rules and how an alert key names its subject.

An alert key is "RULE" or "RULE:SUBJECT". The rules below are every rule a finding can come
from (checks.evaluate, system.breaches, the history's trends, the alert engine itself);
silences refuse any other name. The lowest layer of the alert engine: imports nothing.
"""

from __future__ import annotations

# The monitor itself failing (a run that ended UNKNOWN), delivered like any alert.
CHECKS_FAILED = "checks_failed"
# Rules whose subject is a PM2 app: an "app:NAME" silence covers all of them, and a crash
# loop of NAME inhibits the others (one problem, one alert).
APP_RULES = ("pm2_app_down", "pm2_missing", "pm2_crashes", "crash_loop", "memory_leak_suspected")
PM2_RULES = ("pm2_app_down", "pm2_missing", "pm2_crashes", "crash_loop")
# (tests/unit/test_silences.py finds every rule name module_utils raises and holds this list to them.)
RULES = ("swap", "load", "disk", "health", "log_errors", "pm2_unavailable", "system_unavailable", "reboot_ready",
         "memory_leak_suspected", "disk_full_forecast") + PM2_RULES + (CHECKS_FAILED,)
# A crash loop of an app holds back these alerts of the same app while it fires (inhibition,
# as Alertmanager's inhibit_rules would): they describe the same problem, and an app that
# PM2 restarts every few seconds is "down" in one look and "online" in the next.
INHIBITED_BY_CRASH_LOOP = ("pm2_app_down", "pm2_crashes")


def split_key(key):
    """(rule, subject or None) of an alert key."""
    rule, sep, subject = str(key).partition(":")
    return rule, (subject if sep else None)


def app_of(key):
    """The PM2 app an alert key is about, or None."""
    rule, subject = split_key(key)
    return subject if rule in APP_RULES else None
