"""One gathering of settings (issue 21, h15): the role's entry points (`__twzrd_ops_variables`
in roles/twzrd_ops/vars/main.yml, filter gather_settings) and the read-only playbooks (filter
fleet_settings over hostvars) give the same settings for the same host variables, `-e`
strings converted the same way. Real parts: ansible-playbook with the role on this host.
"""

from __future__ import annotations

import json

import yaml

PLAYBOOK = """
- name: Both gatherings of one host's settings
  hosts: box
  gather_facts: false
  tasks:
    - name: The role's entry point (validation included), its variables made public
      ansible.builtin.include_role:
        name: twzrd.ops.twzrd_ops
        tasks_from: settings
        public: true

    - name: Write both views
      ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'role': __twzrd_ops_variables,
                      'fleet': (hostvars | twzrd.ops.fleet_settings([inventory_hostname])).hosts[inventory_hostname]} | to_json }}"
        mode: "0600"
"""


def test_the_role_and_the_fleet_playbooks_gather_the_same_settings(run_playbook, tmp_path):
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "twzrd_ops_pm2_user": "",
        "twzrd_ops_swap_warning": "40",          # a string from an inventory, read as a number
        "twzrd_ops_alerts_weekly_report": "yes",  # a boolean spelled as -e would
        "twzrd_ops_expected_apps": ["api", "worker"],
    }
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"box": host}}}))
    playbook = tmp_path / "gather.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "views.json"
    proc = run_playbook(str(playbook), "-i", str(inventory), "-e", "out=%s" % out,
                        "-e", "twzrd_ops_crash_threshold=3", "-e", "twzrd_ops_audit_report_weeks=12",
                        "-e", "twzrd_ops_cron_alerts_enabled=false")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    views = json.loads(out.read_text())
    assert views["role"] == views["fleet"]
    settings = views["fleet"]
    # -e strings and string host vars converted by their defaults' types, on both paths.
    assert settings["twzrd_ops_crash_threshold"] == 3
    assert settings["twzrd_ops_audit_report_weeks"] == 12
    assert settings["twzrd_ops_cron_alerts_enabled"] is False
    assert settings["twzrd_ops_alerts_weekly_report"] is True
    assert settings["twzrd_ops_swap_warning"] == 40
    assert settings["twzrd_ops_expected_apps"] == ["api", "worker"]
    # The role's defaults fill in what the host does not set.
    assert settings["twzrd_ops_swappiness"] == 10
