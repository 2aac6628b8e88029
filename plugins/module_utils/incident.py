# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the emergency flows' incident summaries show: the busiest processes by the PM2 app
they run (PM2 titles every app `node /home/USER/...`, which names nothing)."""

from __future__ import annotations


def name_apps(rows, processes):
    """The top-process rows (swap_usage's top_memory / top_cpu), each with `app`: the PM2 app
    whose pid it is, or None; processes is pm2_status's list (name, pid)."""
    apps = {}
    for proc in processes or []:
        pid = proc.get("pid") if isinstance(proc, dict) else None
        if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
            apps[pid] = proc.get("name")
    return [dict(row, app=apps.get(row.get("pid"))) for row in rows or [] if isinstance(row, dict)]
