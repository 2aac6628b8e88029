# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: runbook
type: stdout
short_description: Ansible's default output, with a failed role argument check told in its sentences only
description:
  - Ansible's default stdout callback (the same options and output), except for one result.
  - When a role's argument validation fails (a wrong type or choice in an extra variable), the default callback
    prints the role's whole argument specification with the error (hundreds of lines for twzrd.ops.twzrd_ops).
    This one prints the error sentences only.
  - The collection's C(ansible.cfg) sets it as C(stdout_callback); set C(stdout_callback = twzrd.ops.runbook) in yours
    to get the same output.
author:
  - twzrd.ops contributors (@twzrd)
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as the stdout callback in the configuration
"""

from ansible.plugins.callback.default import CallbackModule as DefaultCallbackModule

# What a failed validate_argument_spec returns beside its message (which holds the errors): the whole specification
# (argument_spec_data) and where it came from (validate_args_context).
_SPEC_KEYS = ("argument_spec_data", "argument_errors", "validate_args_context")
_VALIDATION_ACTIONS = ("validate_argument_spec", "ansible.builtin.validate_argument_spec", "ansible.legacy.validate_argument_spec")


class CallbackModule(DefaultCallbackModule):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "twzrd.ops.runbook"

    def _clean_results(self, result, task_name):
        super()._clean_results(result, task_name)
        if task_name in _VALIDATION_ACTIONS:
            for key in _SPEC_KEYS:
                result.pop(key, None)
