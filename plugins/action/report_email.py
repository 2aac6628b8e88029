# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of twzrd.ops.report_email: e-mails a report from the controller, in process
(module_utils/report_email.py). The password never appears in the result or in an error."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, plain
from ansible_collections.twzrd.ops.plugins.module_utils.report_email import send_report


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("smtp", "subject", "text", "html_file"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        subject, text = args.get("subject"), args.get("text")
        if not isinstance(subject, str) or not subject.strip() or not isinstance(text, str):
            raise AnsibleActionFail("report_email needs a subject and the text of the report.")
        html = None
        if args.get("html_file"):
            path = os.path.abspath(os.path.expanduser(str(args["html_file"])))
            try:
                with open(path, "rb") as handle:
                    html = handle.read().decode("utf-8", "replace")
            except OSError as exc:
                if not self._task.check_mode:
                    raise AnsibleActionFail("Cannot read the report page %s (%s)." % (path, exc.strerror or exc))
        if self._task.check_mode:
            result.update(changed=True, sent_to=[])
            return result
        try:
            sent_to = send_report(plain(args.get("smtp")), " ".join(subject.split()), text, html)
        except OpsError as exc:
            raise AnsibleActionFail(str(exc))
        result.update(changed=True, sent_to=sent_to)
        return result
