# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""/usr/local/sbin/twzrd-ops writes the failed-run metrics itself when the library cannot
load (it cannot call the library's renderer then): its lines are held here to the names,
types and help texts alert_delivery.render_textfile writes for a failed run, so Prometheus
rules and fleet_prometheus read the same series either way."""

from __future__ import annotations

import os
import re

from ansible_collections.twzrd.ops.plugins.module_utils import alert_delivery

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WRAPPER = os.path.join(ROOT, "roles", "twzrd_ops", "templates", "usr", "local", "sbin", "twzrd-ops.j2")


def _header_lines(text):
    """The # HELP and # TYPE lines of an exposition text (or of the wrapper's source)."""
    return set(re.findall(r"# (?:HELP|TYPE) twzrd_ops_\w+ [^\n\\]*", text))


def test_the_fallback_writes_what_the_renderer_writes_for_a_failed_run():
    with open(WRAPPER, encoding="utf-8") as handle:
        fallback = _header_lines(handle.read())
    rendered = alert_delivery.render_textfile({}, {}, {}, 1796600000, False, reason="the checks failed")
    ours = _header_lines(rendered)
    names = {line.split()[2] for line in fallback}
    assert names == {"twzrd_ops_last_run_timestamp_seconds", "twzrd_ops_last_run_success", "twzrd_ops_last_run_failure_info"}
    assert fallback <= ours, sorted(fallback - ours)
