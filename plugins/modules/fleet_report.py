#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fleet_report
short_description: Write a fleet report (Markdown, JSON and HTML) on the controller
version_added: 1.1.0
description:
  - Writes C(PATH.md) and its JSON twin C(PATH.json) on the Ansible controller, atomically, creating the
    directory (mode 0750) when needed. Files whose content would not change are left alone.
  - With O(html=true), also C(PATH.html), one self-contained page (inline CSS and SVG charts, no script,
    no external file) drawn from O(document) by the collection's C(htmlreport) module utility.
  - The files of one run are written together (all of them or none).
  - An action plugin, it runs in the controller's own process (no module is sent anywhere), so the
    fleet, audit and incident reports cost one task instead of three.
author:
  - twzrd.ops contributors (@twzrd)
options:
  path:
    description: The report's path without extension (relative paths are taken from the current directory).
    type: path
    required: true
  markdown:
    description: The Markdown text (usually C(lookup('ansible.builtin.template', ...))); written to C(PATH.md).
    type: str
  document:
    description:
      - The machine-readable report; written as indented JSON to C(PATH.json).
      - A mapping gets the collection's version as its first key, C(version) (the HTML page shows it too).
    type: raw
  html:
    description:
      - Also write C(PATH.html) from O(document) with the fleet table coloured by verdict (with the verdict in
        words), the findings, the week-over-week table and, per host with history, line charts of memory,
        swap, load, disk and per app memory with its C(max_memory_restart) as a dashed line.
      - Readable in dark mode and when printed; hosts without history say so instead of drawing empty charts.
      - Needs O(document).
    type: bool
    default: false
  mode:
    description: File mode of the reports.
    type: str
    default: "0640"
attributes:
  check_mode:
    description: In check mode nothing is written; the task's C(changed) tells whether a file would change.
    support: full
  diff_mode:
    description: No diff is shown.
    support: none
  action:
    description: Runs on the controller as an action plugin.
    support: full
extends_documentation_fragment:
  - twzrd.ops.attributes.platform_posix
"""

EXAMPLES = r"""
- name: Write the fleet report
  twzrd.ops.fleet_report:
    path: reports/weekly-health-2026-11-30
    markdown: "{{ lookup('ansible.builtin.template', 'weekly-health.md.j2') }}"
    document: "{{ fleet }}"
    html: true
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
paths:
  description: The files of the report.
  returned: always
  type: list
  elements: str
  sample: [/home/op/reports/weekly-health-2026-11-30.md, /home/op/reports/weekly-health-2026-11-30.json,
           /home/op/reports/weekly-health-2026-11-30.html]
written:
  description: False in check mode.
  returned: always
  type: bool
  sample: true
"""
