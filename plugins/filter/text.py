# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Escaping filters for the playbooks' templates: the collection's one escaping function
per output kind (module_utils/escape.py), so an app name or a log line shown in a summary
or an incident report cannot drive the terminal, break a Markdown list item or hide text;
and written_by, the release a report's header names (module_utils/version.py).
The documentation of each filter is in plugins/filter/NAME.yml.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import escape, version


def md(value, limit=escape.MD_LIMIT):
    """Outside text for Markdown inline text (one line, markup escaped, controls shown)."""
    return escape.md(value, int(limit))


def term(value, limit=escape.TERM_LIMIT):
    """Outside text for a terminal line (controls and bidi characters shown, capped)."""
    return escape.term("" if value is None else value, int(limit))


def head(items, limit=escape.LIST_LIMIT):
    """The first limit items of a list (pair it with more)."""
    return escape.head(items, int(limit))


def more(items, limit=escape.LIST_LIMIT):
    """"and N more" for the items past the first limit, else ""."""
    return escape.more(items, int(limit))


def written_by(what):
    """'twzrd.ops VERSION `what`': the words a report's header uses to say which release wrote
    it (module_utils/version.py, the one source of the version)."""
    if not isinstance(what, str) or not what:
        raise AnsibleFilterError("written_by expects the path of the playbook that writes the report, got %r." % (what,))
    return version.written_by(what)


class FilterModule(object):
    """twzrd.ops escaping filters."""

    def filters(self):
        return {"md": md, "term": term, "head": head, "more": more, "written_by": written_by}
