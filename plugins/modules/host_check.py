#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_check
short_description: Run the whole health check of a host in one round trip
version_added: 1.1.0
description:
  - Reads PM2 (one C(pm2 jlist), crash counts for the crash-loop window and the report window from
    one read of PM2's log), memory, swap, load, disk, the health endpoint and (O(kind=health)) the
    error logs, judges them with the twzrd.ops thresholds into findings and a verdict, and writes
    the per-host weekly report, all in one process on the host.
  - The same code as the on-host command C(twzrd-ops health) (the Monday cron job), so the report a
    playbook writes and the one cron writes are the same.
  - The single-purpose modules (M(twzrd.ops.pm2_status), M(twzrd.ops.swap_usage),
    M(twzrd.ops.health_probe), M(twzrd.ops.log_scan)) remain for ad-hoc use.
author:
  - twzrd.ops contributors (@twzrd)
options:
  config:
    description:
      - The check settings, named like the role variables without the C(twzrd_ops_) prefix
        (for example C(swap_warning), C(load_mode), C(expected_apps), C(pm2_user), C(health_url)).
      - Unset settings take the collection's defaults; unknown names and bad values are refused
        with a sentence naming the setting.
    type: dict
    default: {}
  kind:
    description:
      - C(health) collects everything (log scan, largest processes, crash counts of the report window)
        and writes the report; C(status) is the quick read of the dashboard (no log scan, no report).
    type: str
    choices: [health, status]
    default: health
  report_dir:
    description:
      - Directory of the per-host report C(weekly-health-report-YYYY-MM-DD.txt) and its JSON twin.
      - The system directory C(/var/lib/twzrd-ops/reports) is root's; a run as another user writes
        to C($XDG_STATE_HOME/twzrd-ops/reports) (by default C(~/.local/state/twzrd-ops/reports))
        instead and returns that path in RV(report).
      - Only used with O(kind=health). Empty means no report.
    type: str
    default: /var/lib/twzrd-ops/reports
  history:
    description:
      - Settings of the per-host history, named like the role variables without the C(twzrd_ops_history_) prefix
        (C(db_path), C(leak_window_hours), C(leak_min_r2), C(disk_forecast_warning_days), ...).
      - The history itself is written by the hourly C(twzrd-ops alerts) job; this module only reads it into RV(history).
    type: dict
    default: {}
  keep_weeks:
    description:
      - With O(kind=health) and a written report, older reports in O(report_dir) dated more than this many weeks ago
        are removed (the on-host C(twzrd-ops health) prunes the same way). Unset, the role's default applies (12).
    type: int
  timeout:
    description:
      - Seconds all the external commands of the check (C(pm2 jlist) and the like) may take together;
        at the limit the command's whole process group is killed and PM2 is reported as unreadable.
      - The health probe has its own limit, the C(health_timeout) setting, for the whole request.
    type: float
    default: 60
attributes:
  check_mode:
    description: Everything is read and judged in check mode; the report files are not written.
    support: full
  diff_mode:
    description: No diff is shown.
    support: none
extends_documentation_fragment:
  - twzrd.ops.attributes.platform_linux
notes:
  - The task reports a change only when it wrote the report files. In check mode nothing is written.
  - Reading another user's PM2 needs root; use O(ignore:become=true) or set C(pm2_user) to the connecting user.
  - PM2 app environment values are never read into the result.
requirements:
  - python3-psutil on the host
seealso:
  - module: twzrd.ops.pm2_status
  - module: twzrd.ops.swap_usage
  - module: twzrd.ops.health_probe
  - module: twzrd.ops.log_scan
"""

EXAMPLES = r"""
- name: Check a host and write its weekly report
  twzrd.ops.host_check:
    config:
      pm2_user: twzrd
      expected_apps: [milo-aggregator]
      health_url: http://localhost:8080/health
  become: true
  register: health

- name: Quick status read, nothing written
  twzrd.ops.host_check:
    kind: status
    config:
      pm2_user: twzrd
  become: true
  register: status
"""

RETURN = r"""
host:
  description: Host name as the host reports it.
  returned: success
  type: str
  sample: web-1
pruned:
  description: Old reports removed from the report directory (O(keep_weeks)); empty for O(kind=status) and in check mode.
  returned: success
  type: list
  elements: str
  sample: ["/var/lib/twzrd-ops/reports/health-2026-08-31.txt"]
prune_warning:
  description: Why old reports were not pruned (a clock far ahead of the newest report), else null.
  returned: success
  type: str
  sample: null
verdict:
  description: The most severe level among the findings.
  returned: success
  type: str
  choices: [ok, warning, critical]
  sample: warning
exit_code:
  description: The exit code C(twzrd-ops health) gives for this verdict (0 ok, 1 warning, 2 critical).
  returned: success
  type: int
  sample: 1
findings:
  description: The threshold breaches, most severe first, each with C(rule), C(key), C(level), C(message), C(value).
  returned: success
  type: list
  elements: dict
  sample: [{rule: swap, key: swap, level: warning, message: "Swap use is 25.0% (warning above 20%).", value: 25.0}]
snapshot:
  description:
    - The host's state as read (parts C(pm2), C(system), C(disk), C(health), C(logs), C(crashes_report_window)),
      in the shape of the collection's design document; a part that could not be read holds C(error).
  returned: success
  type: dict
  sample: {}
history:
  description:
    - The host's history (the hourly alerts job's samples) for the fleet report, read from its SQLite file.
    - C(available) is false with a C(reason) when the host has no history (yet) or it cannot be read.
    - C(windows) has C(7d) and C(30d) series (host memory/swap/load, disk percent per path, memory per app and of the
      PM2 daemon, at most 240 points each), C(week_over_week) this week against the previous, C(trends) the judged
      rules C(memory_leak_suspected) and C(disk_full_forecast) with C(hours_to_limit).
    - Null for O(kind=status), which does not read the history.
  returned: success
  type: dict
  sample: {available: false, reason: "no history yet on this host: the hourly alerts job records one sample per run",
           samples: 0, first: null, last: null, windows: {}, week_over_week: {apps: {}, host: {}}, trends: []}
report:
  description: The per-host report files (O(kind=health) with a O(report_dir)), else null.
  returned: success
  type: dict
  contains:
    path:
      description: The text report.
      type: str
      sample: /var/lib/twzrd-ops/reports/weekly-health-report-2026-11-30.txt
    json:
      description: Its JSON twin.
      type: str
      sample: /var/lib/twzrd-ops/reports/weekly-health-report-2026-11-30.json
    written:
      description: Whether the files were written (false in check mode or on error).
      type: bool
      sample: true
    error:
      description: Why the report could not be written, else null.
      type: str
      sample: null
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twzrd.ops.plugins.module_utils import hostcheck, probe
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError, number, subprocess_runner


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type="dict", default={}),
            kind=dict(type="str", choices=["health", "status"], default="health"),
            report_dir=dict(type="str", default=hostcheck.SYSTEM_REPORTS_DIR),
            timeout=dict(type="float", default=60),
            history=dict(type="dict", default={}),
            keep_weeks=dict(type="int", default=None),
        ),
        supports_check_mode=True,
    )
    # A password inside a URL is masked wherever Ansible shows it (the invocation at -vvv too).
    module.no_log_values.update(probe.url_secrets((module.params["config"] or {}).get("health_url")))

    params = module.params
    try:
        limit = number("timeout", params["timeout"], minimum=0.1, what="Option")
        runner = subprocess_runner(timeout=limit, total=limit)
        result = hostcheck.run(
            params["config"],
            kind=params["kind"],
            runner=runner,
            report_dir=params["report_dir"] or None,
            write=not module.check_mode,
            history_settings=params["history"],
            keep_weeks=params["keep_weeks"],
        )
    except OpsError as exc:
        module.fail_json(msg=str(exc))
    report = result.get("report") or {}
    if report.get("error"):
        module.warn(report["error"])
    module.exit_json(changed=bool(report.get("written")), **result)


if __name__ == "__main__":
    main()
