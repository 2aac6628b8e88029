# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one `pm2 startup` command line, for setup (tasks/pm2_startup.yml) and the patch's
pre-reboot repair (tasks/patch.yml) alike.

`pm2 startup systemd -u USER` runs as root and writes the unit pm2-USER; the unit's PM2_HOME
is `--hp`/.pm2 when --hp is given, else the PM2_HOME of the environment. So a home that ends
in .pm2 is passed as --hp (its parent), any other as PM2_HOME; PM2_HOME is set in both cases,
so the command never falls back to root's own ~/.pm2.
"""

from __future__ import annotations

import posixpath

from .common import OpsError


def startup_command(pm2_path, user, pm2_home, path):
    """{"argv": [...], "environment": {"PATH", "PM2_HOME"}} of `pm2 startup` for the PM2 user."""
    for name, value in (("pm2 path", pm2_path), ("PM2 user", user), ("PM2 home", pm2_home)):
        if not value or not isinstance(value, str):
            raise OpsError("pm2 startup needs the %s, got %r; run setup.yml with twzrd_ops_pm2_user set." % (name, value))
    home = posixpath.normpath(pm2_home)
    if not posixpath.isabs(home):
        raise OpsError("pm2 startup needs an absolute PM2 home, got %r (twzrd_ops_pm2_home)." % (pm2_home,))
    argv = [pm2_path, "startup", "systemd", "-u", user]
    if posixpath.basename(home) == ".pm2":
        argv += ["--hp", posixpath.dirname(home)]
    return {"argv": argv, "environment": {"PATH": str(path or ""), "PM2_HOME": home}}
