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
  - At the start of a playbook it imports the collection's filter, lookup and action plugins once, in the
    controller's main process, so that the worker process Ansible forks for each task inherits them instead of
    importing them again (about 0.1-0.2 s of controller CPU for each task that uses one; docs/SCALING.md).
author:
  - twzrd.ops contributors (@twzrd)
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as the stdout callback in the configuration
"""

import importlib
import os

from ansible.plugins.callback.default import CallbackModule as DefaultCallbackModule

# What a failed validate_argument_spec returns beside its message (which holds the errors): the whole specification
# (argument_spec_data) and where it came from (validate_args_context).
_SPEC_KEYS = ("argument_spec_data", "argument_errors", "validate_args_context")
_VALIDATION_ACTIONS = ("validate_argument_spec", "ansible.builtin.validate_argument_spec", "ansible.legacy.validate_argument_spec")

# The collection's controller-side plugins, imported once in the main process (see preload()).
_PLUGINS = __name__.rsplit(".", 2)[0]  # ansible_collections.twzrd.ops.plugins
_PRELOADED_KINDS = ("filter", "lookup", "action")


def preload():
    """Import the collection's filter, lookup and action plugins (and the module_utils behind them) into this process.

    Ansible runs every task in a worker forked from the main process, and the main process never
    imports a collection's filters itself: without this, each task that uses one imports the
    plugin files and their module_utils again in its fresh worker. Returns the names imported;
    a plugin that fails to import here is left to Ansible, which reports it where it is used.
    """
    if not _PLUGINS.startswith("ansible_collections."):
        return []
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = []
    for kind in _PRELOADED_KINDS:
        try:
            names = sorted(os.listdir(os.path.join(here, kind)))
        except OSError:
            continue
        for name in names:
            if not name.endswith(".py") or name.startswith("_"):
                continue
            module = "%s.%s.%s" % (_PLUGINS, kind, name[:-3])
            try:
                importlib.import_module(module)
            except Exception:  # pylint: disable=broad-except  # Ansible's own import reports it, in context
                continue
            done.append(module)
    return done


class CallbackModule(DefaultCallbackModule):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "twzrd.ops.runbook"

    def v2_playbook_on_start(self, playbook):
        preloaded = preload()
        self._display.vvvv("twzrd.ops.runbook: imported %d collection plugins in the main process" % len(preloaded))
        super().v2_playbook_on_start(playbook)

    def _clean_results(self, result, task_name):
        super()._clean_results(result, task_name)
        if task_name in _VALIDATION_ACTIONS:
            for key in _SPEC_KEYS:
                result.pop(key, None)
