#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: report_email
short_description: E-mail a report from the controller (the weekly fleet report to people)
version_added: 1.1.0
description:
  - Sends one message with the report's text (Markdown) and, when given, its HTML page as the alternative, through
    SMTP (STARTTLS, SSL or plain, optional auth) or the controller's sendmail.
  - The SMTP settings are those of the C(email) alert channel (README, "Alert channels"), checked by the same code;
    the password is given as a value (from a vault) and never appears in output or errors.
  - Runs on the controller (an action plugin); C(weekly-health.yml) uses it when O(smtp) is set through
    C(twzrd_ops_fleet_report_email).
options:
  smtp:
    description:
      - C(host), C(port), C(security) (V(starttls), V(ssl) or V(none)), C(username), C(password), C(from), C(to)
        (one address or a list), C(ca_file), C(timeout), C(transport) (V(smtp) or V(sendmail)) and C(sendmail).
    type: dict
    required: true
  subject:
    description: The message's subject.
    type: str
    required: true
  text:
    description: The report's text (the Markdown fleet report).
    type: str
    required: true
  html_file:
    description: A report page on the controller to attach as the HTML alternative.
    type: path
attributes:
  check_mode:
    description: In check mode nothing is sent.
    support: full
  diff_mode:
    description: No diff is shown.
    support: none
  action:
    description: Runs on the controller as an action plugin.
    support: full
extends_documentation_fragment:
  - twzrd.ops.attributes.platform_posix
author:
  - twzrd.ops contributors (@twzrd)
"""

EXAMPLES = r"""
- name: E-mail the fleet report
  twzrd.ops.report_email:
    smtp: {host: smtp.example.org, username: reports, password: "{{ vault_smtp_password }}",
           from: twzrd@example.org, to: [ops@example.org]}
    subject: Weekly health 2026-11-30
    text: "{{ lookup('ansible.builtin.file', 'reports/weekly-health-2026-11-30.md') }}"
    html_file: reports/weekly-health-2026-11-30.html
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
sent_to:
  description: The recipients (empty in check mode).
  returned: always
  type: list
  elements: str
  sample: [ops@example.org]
"""
