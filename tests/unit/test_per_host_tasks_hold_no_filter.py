"""The read-only flows (weekly-health, status, alerts, audit) cost the controller about what a
one-task play costs per host only while no per-host task names a collection filter in its
arguments: each host's task runs in a worker forked for it, and a filter used there is imported
again by every worker (0.13 s of controller CPU a host, benchmarks/RESULTS.md). The class, held
for every task file these playbooks import: a task that runs for each host (no run_once, not
delegated) may look up values worked out once, never call a `twzrd.ops.` filter."""

from __future__ import annotations

import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TASKS = os.path.join(ROOT, "roles", "twzrd_ops", "tasks")
READ_ONLY = ("weekly-health.yml", "status.yml", "alerts.yml", "audit.yml")
KEYWORDS = {"name", "when", "register", "ignore_unreachable", "failed_when", "changed_when", "ignore_errors", "no_log",
            "vars", "run_once", "delegate_to", "tags", "become", "any_errors_fatal", "loop", "loop_control"}
FILTER = re.compile(r"twzrd\.ops\.\w+|map\('twzrd\.ops\.")


def _imported(path, seen):
    """The role task files a playbook or task file imports, recursively."""
    with open(path) as handle:
        data = yaml.safe_load(handle) or []
    found = []

    def walk(items):
        for item in items or []:
            if item.get("hosts") == "localhost":  # a play on the controller (the host pattern check)
                continue
            for key in ("tasks", "block", "rescue", "always"):
                walk(item.get(key))
            imp = item.get("ansible.builtin.import_role") or item.get("ansible.builtin.include_role")
            if imp and imp.get("tasks_from") and imp["tasks_from"] not in seen:
                seen.add(imp["tasks_from"])
                name = os.path.join(TASKS, imp["tasks_from"] + ".yml")
                found.append(name)
                found.extend(_imported(name, seen))
    walk(data)
    return found


def _per_host_tasks(path):
    with open(path) as handle:
        data = yaml.safe_load(handle) or []

    def walk(items, once):
        for item in items or []:
            if "hosts" in item:  # a play of a playbook
                if item["hosts"] != "localhost":
                    yield from walk(item.get("tasks"), False)
                continue
            here = once or bool(item.get("run_once")) or item.get("delegate_to") == "localhost"
            if "block" in item:
                for key in ("block", "rescue", "always"):
                    yield from walk(item.get(key), here)
                continue
            if not here and not any(k.startswith("ansible.builtin.import_") for k in item):
                yield item
    yield from walk(data, False)


def _files():
    files = set()
    for playbook in READ_ONLY:
        files.add(os.path.join(ROOT, "playbooks", playbook))
        files.update(_imported(os.path.join(ROOT, "playbooks", playbook), set()))
    return sorted(files)


def test_the_read_only_playbooks_import_their_host_steps_from_the_role():
    names = {os.path.basename(f) for f in _files()}
    assert {"weekly_health_check.yml", "status_check.yml", "alerts_check.yml", "audit_check.yml", "fleet_settings.yml"} <= names
    assert "hosts.yml" not in names  # its play runs on the controller


@pytest.mark.parametrize("path", _files(), ids=os.path.basename)
def test_no_per_host_task_calls_a_collection_filter_in_its_arguments(path):
    for task in _per_host_tasks(path):
        text = yaml.safe_dump([v for k, v in task.items() if k not in KEYWORDS])  # the module's parameters
        assert not FILTER.search(text), "%s: per-host task %r calls %s" % (
            os.path.basename(path), task.get("name"), FILTER.search(text).group(0))


def test_the_rule_sees_a_filter_in_a_per_host_task(tmp_path):
    # The check itself can fail: a per-host task like the one audit.yml had.
    path = tmp_path / "t.yml"
    path.write_text(yaml.safe_dump([{"name": "x", "twzrd.ops.host_audit": {
        "settings": "{{ __twzrd_ops_settings.hosts[inventory_hostname] | twzrd.ops.flow_settings('audit') }}"}}]))
    tasks = list(_per_host_tasks(str(path)))
    assert len(tasks) == 1 and FILTER.search(yaml.safe_dump([v for k, v in tasks[0].items() if k not in KEYWORDS]))
