"""The shipped Prometheus alerting rules (extras/prometheus/) for a job that stops running
or fails: promtool accepts them and their own unit tests pass, and every metric they read
is one the alert job writes."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts

RULES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "extras", "prometheus")
RULES = os.path.join(RULES_DIR, "twzrd-ops.rules.yml")
RULE_TESTS = os.path.join(RULES_DIR, "twzrd-ops.rules.test.yml")


@pytest.fixture(scope="module")
def promtool(require_tool):
    return require_tool("promtool", "it checks the shipped rules and runs their unit tests")


def test_promtool_check_rules_accepts_the_rule_file(promtool):
    proc = subprocess.run([promtool, "check", "rules", RULES], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 3 rules found" in proc.stdout


def test_promtool_test_rules_passes(promtool):
    proc = subprocess.run([promtool, "test", "rules", os.path.basename(RULE_TESTS)], cwd=RULES_DIR,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_the_rules_read_metrics_the_job_writes():
    with open(RULES) as handle:
        rules = "\n".join(line for line in handle if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\btwzrd_ops_[a-z_]+", rules))
    written = alerts.render_textfile(None, {}, {}, 0, False, 0, reason="x")
    assert used and all(name in written for name in used), used


def test_a_failed_run_textfile_with_a_hostile_reason_passes_promtool(promtool):
    reason = 'Cannot write "state" \\ (No space left on device)\n\x1b[31m'
    text = alerts.render_textfile(None, {}, {}, 1795737600, False, 0, reason=reason)
    proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "twzrd_ops_last_run_success 0" in text and "\x1b" not in text
