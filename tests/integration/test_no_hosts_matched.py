"""A run that checks nothing fails: a host pattern or group that matches no host is an
error with one sentence, in every playbook (real ansible-playbook, real inventories)."""

from __future__ import annotations

import pytest

PLAYBOOKS = ["weekly-health", "status", "alerts", "audit", "patch", "silence", "setup", "restart",
             "emergency-swap", "emergency-load", "emergency-crashloop"]


@pytest.fixture
def inventory(tmp_path):
    path = tmp_path / "fleet.yml"
    path.write_text("all:\n  children:\n    offchain:\n      hosts:\n        web-1:\n          ansible_host: 127.0.0.1\n"
                    "    empty_group:\n      hosts: {}\n")
    return str(path)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_a_misspelt_group_fails_the_run_with_one_sentence(run_playbook, inventory, playbook):
    proc = run_playbook("playbooks/%s.yml" % playbook, "-i", inventory, "-e", "twzrd_ops_hosts=offchian", timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-3000:]
    assert "The host pattern 'offchian' (twzrd_ops_hosts) matches no host" in output
    assert "Perhaps you meant offchain." in output
    assert "Traceback" not in output


def test_an_empty_group_fails_the_run_too(run_playbook, inventory):
    proc = run_playbook("playbooks/weekly-health.yml", "-i", inventory, "-e", "twzrd_ops_hosts=empty_group", timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "The host pattern 'empty_group' (twzrd_ops_hosts) is a group with no hosts" in output
