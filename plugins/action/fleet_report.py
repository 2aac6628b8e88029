# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of twzrd.ops.fleet_report: writes a fleet report on the controller, in process.

The fleet, audit and incident reports live on the controller. Writing them with file +
template + copy costs three module runs (each a Python start) per report; this writes the
Markdown and the JSON twin directly, atomically, in the controller's own process. With
html: true it also writes PATH.html, rendered from the same document by
module_utils/htmlreport.py, so the page shows exactly the numbers of the JSON twin. A
document (a mapping) gets the collection's version as its "version" key. Every
file is valid UTF-8 (module_utils/escape.py: valid, json_safe) whatever text the hosts sent;
the Markdown's escaping is done by the templates' filters.
"""

from __future__ import annotations

import json
import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.twzrd.ops.plugins.module_utils.common import atomic_write_all, plain
from ansible_collections.twzrd.ops.plugins.module_utils.escape import json_safe, valid
from ansible_collections.twzrd.ops.plugins.module_utils.htmlreport import render
from ansible_collections.twzrd.ops.plugins.module_utils.version import stamped


def _same(path, data):
    try:
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("path", "markdown", "document", "mode", "html"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        base = args.get("path")
        if not base or not isinstance(base, str):
            raise AnsibleActionFail("fleet_report needs path, the report's path without extension.")
        base = os.path.abspath(os.path.expanduser(base))
        files = []
        if args.get("markdown") is not None:
            # Valid UTF-8 whatever a host sent (a lone surrogate from a JSON "\ud800" is shown, not fatal).
            text = valid(args["markdown"])
            files.append((base + ".md", (text if text.endswith("\n") else text + "\n").encode("utf-8")))
        try:
            html = boolean(args.get("html", False), strict=True)
        except TypeError:
            raise AnsibleActionFail("fleet_report html must be true or false, got %r." % (args.get("html"),))
        if html and args.get("document") is None:
            raise AnsibleActionFail("fleet_report html: true needs the document the page is drawn from.")
        if args.get("document") is not None:
            # The page is rendered from the JSON text itself, so it shows the twin's numbers exactly.
            # Every JSON report carries the collection's version as its first key (version.stamped).
            document = plain(args["document"])
            if isinstance(document, dict):
                document = stamped(document)
            document = json.dumps(json_safe(document), indent=2, sort_keys=False, default=str) + "\n"
            files.append((base + ".json", document.encode("utf-8")))
            if html:
                files.append((base + ".html", render(json.loads(document)).encode("utf-8")))
        if not files:
            raise AnsibleActionFail("fleet_report needs markdown, document or both.")
        mode = args.get("mode", "0640")
        try:
            mode = int(str(mode), 8)
        except ValueError:
            raise AnsibleActionFail("fleet_report mode must be an octal string such as 0640, got %r." % (mode,))
        changed = [path for path, data in files if not _same(path, data)]
        result.update(changed=bool(changed), paths=[entry[0] for entry in files], written=not self._task.check_mode)
        if self._task.check_mode or not changed:
            return result
        directory = os.path.dirname(base)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o750)
            atomic_write_all([(path, data, mode) for path, data in files if path in changed])
        except OSError as exc:
            raise AnsibleActionFail("Cannot write the report %s (%s)." % (base, exc.strerror or exc))
        return result
