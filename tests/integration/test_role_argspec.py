"""The role twzrd_ops refuses bad settings with one clear sentence before touching anything.

Types and choices are checked by meta/argument_specs.yml (Ansible's role argument
validation), ranges and cross-field rules by tasks/validate.yml. Both run first in both
entry points: `settings` (used by the playbooks through tasks_from) and `main`, which is
run here against localhost only with settings that fail validation, so it never gets to
change this machine.
"""

from __future__ import annotations

import json

import pytest

SETTINGS_PLAY = """
- name: Load the twzrd_ops settings
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Validate
      ansible.builtin.import_role:
        name: twzrd.ops.twzrd_ops
        tasks_from: settings
    - name: Show a default
      ansible.builtin.debug:
        msg: "swap_warning={{ twzrd_ops_swap_warning }} pm2_user={{ twzrd_ops_pm2_user }}"
"""

MAIN_PLAY = """
- name: Apply the role
  hosts: localhost
  gather_facts: false
  roles:
    - role: twzrd.ops.twzrd_ops
"""


@pytest.fixture
def play(tmp_path, run_playbook):
    def run(text, extra_vars):
        path = tmp_path / "play.yml"
        path.write_text(text)
        return run_playbook(str(path), "-e", json.dumps(extra_vars))

    return run


def test_defaults_pass(play):
    proc = play(SETTINGS_PLAY, {})
    assert proc.returncode == 0, proc.stdout
    assert "swap_warning=20 pm2_user=twzrd" in proc.stdout


@pytest.mark.parametrize(
    "extra_vars, message",
    [
        ({"twzrd_ops_swap_warning": "lots"},
         "argument 'twzrd_ops_swap_warning' is of type str and we were unable to convert to int"),
        ({"twzrd_ops_expected_apps": {"milo": 1}},
         "argument 'twzrd_ops_expected_apps' is of type dict and we were unable to convert to list"),
        ({"twzrd_ops_load_mode": "percore"},
         "value of twzrd_ops_load_mode must be one of: per_core, absolute, got: percore"),
        ({"twzrd_ops_swap_warning": 120, "twzrd_ops_swap_critical": 150},
         "twzrd_ops_swap_warning and twzrd_ops_swap_critical are percentages between 0 and 100, got 120 and 150."),
        ({"twzrd_ops_swap_warning": 60},
         "twzrd_ops_swap_warning (60) must be below twzrd_ops_swap_critical (50)."),
        ({"twzrd_ops_swappiness": 500},
         "twzrd_ops_swappiness must be between 0 and 200, got 500."),
        ({"twzrd_ops_reports_dir": "/tmp/reports"},
         "twzrd_ops_reports_dir must be an absolute path outside /tmp (a reboot wipes /tmp), got '/tmp/reports'."),
        ({"twzrd_ops_cron_health_schedule": "0 0 * *"},
         "twzrd_ops_cron_health_schedule must be five cron fields (minute hour day month weekday), got '0 0 * *'."),
        ({"twzrd_ops_pm2_user": "root"},
         "twzrd_ops_pm2_user must name a non-root user that owns the PM2 apps, got 'root'."),
    ],
)
def test_bad_settings_fail_with_a_clear_message(play, extra_vars, message):
    proc = play(SETTINGS_PLAY, extra_vars)
    assert proc.returncode != 0
    assert message in " ".join(proc.stdout.split()), proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_main_entry_point_validates_before_any_task(play):
    proc = play(MAIN_PLAY, {"twzrd_ops_state": "gone", "twzrd_ops_swap_warning": "many"})
    assert proc.returncode != 0
    text = " ".join(proc.stdout.split())
    assert "value of twzrd_ops_state must be one of: present, absent, got: gone" in text
    assert "argument 'twzrd_ops_swap_warning' is of type str" in text
    assert "changed=0" in text and "ok=0" in text


def test_webhook_url_is_never_echoed(play):
    proc = play(SETTINGS_PLAY, {"twzrd_ops_alerts_webhook_url": "ftp://hooks.example/T000/secret-token-91ab"})
    assert proc.returncode != 0
    assert "twzrd_ops_alerts_webhook_url must be empty or an http(s) URL (value hidden)." in proc.stdout
    assert "secret-token-91ab" not in proc.stdout + proc.stderr
