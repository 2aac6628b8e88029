# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's version, as galaxy.yml states it (tests/unit/test_cli_edges.py holds them
equal): shown by `twzrd-ops --version` on hosts, where no galaxy.yml is installed, and in the
header of every report (the on-host text and JSON report, the controller's Markdown, JSON and
HTML reports). VERSION is the one source: every renderer reads it from here.

A JSON report carries it as its top-level "version" key (stamped()). Reports written before
the key existed have none: readers take them as written by an earlier release and read them
as before (the key is the only change to their format, so there is nothing to migrate).
"""

from __future__ import annotations

VERSION = "1.0.0"
NAME = "twzrd.ops"


def written_by(what=None):
    """'twzrd.ops VERSION', followed by `what` (a playbook's path) in backquotes when given:
    the words a report's header uses to say what wrote it."""
    label = "%s %s" % (NAME, VERSION)
    return "%s `%s`" % (label, what) if what else label


def stamped(document):
    """A copy of the JSON report document with "version" (this collection's VERSION) as its
    first key; a "version" already there is replaced: the file says who wrote it."""
    out = {"version": VERSION}
    out.update((key, value) for key, value in dict(document or {}).items() if key != "version")
    return out
