#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: log_scan
short_description: Count error lines in log files over the last days
version_added: 1.0.0
author:
  - twzrd.ops contributors (@twzrd)
description:
  - The runbook's "error log scan (last 7 days)" and C(pm2 logs --lines 100 | grep ERROR), run on the target.
  - Scans files or glob patterns, by default every PM2 app's error log (rotated ones included),
    for lines matching any of O(patterns), case-insensitively.
  - Files last modified before the window are skipped; lines that start with a timestamp
    older than the window are not counted. Lines without a timestamp (stack traces) belong to
    the nearest timestamped line above them.
  - Returns the matches per file, the total, the last matching lines (length-bounded) and
    the files skipped with the reason (RV(skipped_files)).
  - Files are streamed in blocks, so memory stays flat whatever their size. Gzipped files
    (C(.gz)) are read through gzip, invalid UTF-8 is replaced, files with a NUL byte in their
    first MiB are skipped as binary.
  - Reads are bounded, since the app user can write the logs root's jobs scan. At most 256 MiB
    are decompressed from one C(.gz) file and 1 GiB from all of them in one scan; the rest is
    skipped and said in RV(skipped_files). A line without a newline is judged on its first MiB.
    RV(files) and RV(skipped_files) list at most 50 entries each, with RV(files_omitted) and
    RV(skipped_omitted) counting the rest.
  - With plain keywords (the default patterns), files of 8 MiB and more are pre-filtered by
    C(LC_ALL=C grep -i), under a memory and time limit; every line grep keeps is judged again
    here, and the file is read here instead when grep is missing or fails.
options:
  paths:
    description:
      - Log files or glob patterns (C(/var/log/app/*.log)).
      - Default (empty) is every PM2 error log under O(pm2_home)C(/logs), rotated and
        gzipped ones included.
    type: list
    elements: path
    default: []
  pm2_home:
    description:
      - PM2_HOME whose error logs are scanned when O(paths) is empty.
      - Default E(PM2_HOME) of the task's environment, then C(~/.pm2) of the task user.
    type: path
  patterns:
    description:
      - Python regular expressions; a line matching any of them counts. Matching ignores the
        case of ASCII letters (use C((?-i:ERROR)) to require capitals).
      - Default (empty) is C(ERROR), C(FATAL), C(Exception), C(Unhandled), C(ECONNREFUSED) and C(ETIMEDOUT).
    type: list
    elements: str
    default: []
  window_days:
    description:
      - How many days back to count. V(0) counts every line of every file.
      - Timestamps without a zone are read in the target's local time, as PM2 writes them.
    type: float
    default: 7
  max_lines:
    description:
      - How many of the last matching lines to return in RV(lines).
    type: int
    default: 50
  max_line_length:
    description:
      - Longest line returned in RV(lines), in characters; longer ones are cut and end with an ellipsis.
    type: int
    default: 500
extends_documentation_fragment:
  - twzrd.ops.attributes.read_only
  - twzrd.ops.attributes.platform_posix
notes:
  - Returned lines are log content; if applications log secrets, those lines carry them.
  - A line longer than 1 MiB is judged on its first MiB.
seealso:
  - module: twzrd.ops.pm2_status
"""

EXAMPLES = r"""
- name: Count errors in the PM2 error logs of the deploy user over the last week
  twzrd.ops.log_scan:
    pm2_home: /home/twzrd/.pm2
  register: errors

- name: Show the error count per file
  ansible.builtin.debug:
    msg: "{{ errors.files | items2dict(key_name='path', value_name='matches') }}"

- name: Look for database trouble in the application's own logs over the last day
  twzrd.ops.log_scan:
    paths:
      - /var/log/milo/*.log
      - /var/log/milo/*.log.*.gz
    patterns:
      - 'ECONNREFUSED .*:5432'
      - 'deadlock detected'
    window_days: 1
    max_lines: 20
"""

RETURN = r"""
total:
  description: Matching lines within the window, all files together.
  returned: always
  type: int
  sample: 42
files:
  description:
    - Each file scanned (oldest first) with its matching lines and the lines read.
    - At most 50 files, those with the most matches (then by path); RV(files_omitted) counts the others.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
      sample: /home/twzrd/.pm2/logs/milo-aggregator-error.log
    matches:
      description: Matching lines within the window.
      type: int
      sample: 40
    lines_read:
      description: Lines read in the file.
      type: int
      sample: 18230
  sample:
    - {"path": "/home/twzrd/.pm2/logs/milo-aggregator-error.log", "matches": 40, "lines_read": 18230}
files_omitted:
  description: Files scanned but left out of RV(files) (their matches are in RV(total)).
  returned: always
  type: int
  sample: 0
lines:
  description: The last O(max_lines) matching lines, oldest first, each cut to O(max_line_length) characters.
  returned: always
  type: list
  elements: str
  sample: ["2026-11-20T10:00:00: Error: connect ECONNREFUSED 127.0.0.1:5432"]
skipped_files:
  description:
    - Paths not scanned, with the reason, one of C(missing), C(unreadable) (with a C(detail)),
      C(binary), C(not a regular file) or C(older than window); or a compressed file read only in
      part, with a sentence saying which budget ran out.
    - At most 50 entries (unreadable ones first, "older than window" last); RV(skipped_omitted)
      counts the others.
  returned: always
  type: list
  elements: dict
  sample:
    - {"path": "/home/twzrd/.pm2/logs/old-app-error.log.3.gz", "reason": "older than window"}
skipped_omitted:
  description: Entries left out of RV(skipped_files).
  returned: always
  type: int
  sample: 0
patterns:
  description: The patterns applied (the defaults when O(patterns) is empty).
  returned: always
  type: list
  elements: str
  sample: ["ERROR", "FATAL", "Exception", "Unhandled", "ECONNREFUSED", "ETIMEDOUT"]
window_days:
  description: The window applied, in days (0 = no window).
  returned: always
  type: float
  sample: 7
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, number
from ansible_collections.twzrd.ops.plugins.module_utils.logscan import DEFAULT_PATTERNS, pm2_error_logs, resolve_pm2_home, scan


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path", default=[]),
            pm2_home=dict(type="path"),
            patterns=dict(type="list", elements="str", default=[]),
            window_days=dict(type="float", default=7),
            max_lines=dict(type="int", default=50),
            max_line_length=dict(type="int", default=500),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        number("window_days", params["window_days"], what="Option")  # NaN would skip every line
    except OpsError as error:
        module.fail_json(msg=str(error))
    if params["window_days"] < 0:
        module.fail_json(msg="window_days must not be negative (got %g)." % params["window_days"])
    paths = params["paths"]
    if not paths:
        paths = pm2_error_logs(params["pm2_home"] or "")
        if not paths:
            module.warn("No PM2 error logs were found in %s/logs." % resolve_pm2_home(params["pm2_home"] or ""))
    patterns = params["patterns"] or list(DEFAULT_PATTERNS)
    try:
        result = scan(
            paths,
            patterns=patterns,
            window_seconds=params["window_days"] * 86400,
            max_lines=params["max_lines"],
            max_line_length=params["max_line_length"],
        )
    except OpsError as error:
        module.fail_json(msg=str(error))
    # "skipped" is Ansible's own task status key: a list there would mark the task skipped.
    result["skipped_files"] = result.pop("skipped")
    module.exit_json(changed=False, patterns=patterns, window_days=params["window_days"], **result)


if __name__ == "__main__":
    main()
