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


# --- UTC schedules on a cron that ignores CRON_TZ (Debian's) ------------------------------
# tasks/cron_schedule.yml only computes; the host's offset and the daemon's CRON_TZ support
# are given as extra vars, as the role would find them on a host in that time zone.

SCHEDULE_PLAY = """
- name: Work out the cron schedules
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Compute
      ansible.builtin.import_role:
        name: twzrd.ops.twzrd_ops
        tasks_from: cron_schedule
    - name: Show
      ansible.builtin.debug:
        msg: "SCHEDULES={{ __twzrd_ops_cron_jobs | map(attribute='fields') | map('join', ' ') | list | to_json }}"
"""


def schedules(proc):
    assert proc.returncode == 0, proc.stdout
    line = proc.stdout.split("SCHEDULES=")[-1].splitlines()[0].strip().strip("'\"")
    return json.loads(line.replace("\\\"", "\""))


@pytest.mark.parametrize(
    "offset, cron_tz, expected",
    [
        ("+0000", False, ["0 0 * * 1", "0 * * * *", "0 1 * * 5"]),
        ("-0500", True, ["0 0 * * 1", "0 * * * *", "0 1 * * 5"]),
        ("-0500", False, ["0 19 * * 0", "0 * * * *", "0 20 * * 4"]),
        ("+0530", False, ["30 5 * * 1", "30 * * * *", "30 6 * * 5"]),
        ("+1400", False, ["0 14 * * 1", "0 * * * *", "0 15 * * 5"]),
    ],
)
def test_utc_schedules_become_local_when_cron_ignores_cron_tz(play, offset, cron_tz, expected):
    proc = play(SCHEDULE_PLAY, {"__twzrd_ops_tz_offset": offset, "__twzrd_ops_cron_tz_supported": cron_tz})
    assert schedules(proc) == expected


def test_weekday_lists_move_with_the_day(play):
    proc = play(SCHEDULE_PLAY, {"__twzrd_ops_tz_offset": "-0300", "__twzrd_ops_cron_tz_supported": False,
                                "twzrd_ops_cron_restart_schedule": "30 2 * * 1,5,0"})
    assert schedules(proc)[2] == "30 23 * * 0,4,6"


def test_a_schedule_that_cannot_be_converted_is_refused(play):
    proc = play(SCHEDULE_PLAY, {"__twzrd_ops_tz_offset": "+0100", "__twzrd_ops_cron_tz_supported": False,
                                "twzrd_ops_cron_health_schedule": "*/15 2 * * *"})
    assert proc.returncode != 0
    assert "its cron ignores CRON_TZ, so the UTC schedule(s) */15 2 * * * cannot be converted" in " ".join(proc.stdout.split())
