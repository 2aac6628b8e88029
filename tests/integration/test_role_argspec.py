"""The role twzrd_ops refuses bad settings with one clear sentence before touching anything.

Types and choices are checked by meta/argument_specs.yml (Ansible's role argument
validation); ranges, cross-field rules and misspelled names by the collection's Python
(module_utils/settings.py, through tasks/validate.yml), the same code as the on-host config. Both run first in both
entry points: `settings` (used by the playbooks through tasks_from) and `main`, which is
run here against localhost only with settings that fail validation, so it never gets to
change this machine.
"""

from __future__ import annotations

import json

import pytest

from conftest import ROLE_PLAY


def settings_play(show):
    """A play that loads the settings as every playbook does, then shows one debug msg."""
    return """
- name: Load the twzrd_ops settings
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Validate
      ansible.builtin.import_role:
        name: twzrd.ops.twzrd_ops
        tasks_from: settings
    - name: Show
      ansible.builtin.debug:
        msg: %s
      vars:
        names: "{{ query('ansible.builtin.varnames', '^twzrd_ops_') }}"
""" % json.dumps(show)


SETTINGS_PLAY = settings_play("swap_warning={{ twzrd_ops_swap_warning }} crash_window={{ twzrd_ops_crash_window }}")


def test_defaults_pass(play):
    proc = play(SETTINGS_PLAY, {})
    assert proc.returncode == 0, proc.stdout
    assert "swap_warning=20 crash_window=300" in proc.stdout


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
         "twzrd_ops_swap_warning is a percentage and must be between 0 and 100 (got 120)."),
        ({"twzrd_ops_swap_warning": 60},
         "twzrd_ops_swap_warning (60) must not be above twzrd_ops_swap_critical (50)."),
        ({"twzrd_ops_load_warning": 3, "twzrd_ops_load_mode": "per_core"},
         "twzrd_ops_load_warning (3) must not be above twzrd_ops_load_critical (1.5)."),
        ({"twzrd_ops_alerts_load_clear_ratio": 1.5},
         "Alert setting twzrd_ops_alerts_load_clear_ratio must be between 0 and 1, got 1.5."),
        ({"twzrd_ops_reports_keep_weeks": 0},
         "Setting twzrd_ops_reports_keep_weeks must be at least 1, got 0."),
        ({"twzrd_ops_swap_warnign": 30},
         "Unknown twzrd_ops variable: twzrd_ops_swap_warnign. Perhaps you meant twzrd_ops_swap_warning. Known: "),
        ({"twzrd_ops_swappiness": 500},
         "twzrd_ops_swappiness must be between 0 and 200, got 500."),
        ({"twzrd_ops_reports_dir": "/tmp/reports"},
         "twzrd_ops_reports_dir must be an absolute path outside /tmp (a reboot wipes /tmp), got '/tmp/reports'."),
        ({"twzrd_ops_cron_health_schedule": "0 0 * *"},
         "twzrd_ops_cron_health_schedule must be five cron fields (minute hour day month weekday), got '0 0 * *'."),
        ({"twzrd_ops_pm2_user": "root"},
         "twzrd_ops_pm2_user must name a non-root user that owns the PM2 apps, got 'root'."
         " Set twzrd_ops_pm2_root_ok: true to keep a root-owned PM2 (see the README)."),
    ],
)
def test_bad_settings_fail_with_a_clear_message(play, extra_vars, message):
    proc = play(SETTINGS_PLAY, extra_vars)
    assert proc.returncode != 0
    assert message in " ".join(proc.stdout.split()), proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_misspelled_variable_is_refused_with_the_known_names(play):
    proc = play(SETTINGS_PLAY, {"twzrd_ops_swap_warnign": 30})
    assert proc.returncode != 0
    text = " ".join(proc.stdout.split())
    assert "Unknown twzrd_ops variable: twzrd_ops_swap_warnign. Perhaps you meant twzrd_ops_swap_warning. Known: " in text
    assert "twzrd_ops_swap_warning, " in text.split("twzrd_ops_swap_warning. Known: ")[1]


# The check configuration as the playbooks read it (weekly-health.yml, status.yml, audit.yml).
LOAD_PLAY = settings_play(
    "LOAD={{ (dict(names | zip(query('ansible.builtin.vars', *names))) | twzrd.ops.health_config)"
    " | dict2items | selectattr('key', 'match', '^load_') | items2dict | to_json }}"
)


def load_thresholds(proc):
    assert proc.returncode == 0, proc.stdout
    line = proc.stdout.split("LOAD=")[-1].splitlines()[0].strip().strip("'\"")
    return json.loads(line.replace("\\\"", "\""))


def test_absolute_load_mode_without_thresholds_uses_the_runbooks_8_and_12(play):
    # The bug of issue 10: the per-core defaults 1.0 / 1.5 were taken as absolute loads.
    proc = play(LOAD_PLAY, {"twzrd_ops_load_mode": "absolute"})
    assert load_thresholds(proc) == {"load_mode": "absolute", "load_warning": 8.0, "load_critical": 12.0}


def test_per_core_load_mode_without_thresholds_uses_1_and_1_5(play):
    assert load_thresholds(play(LOAD_PLAY, {})) == {"load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}


def test_explicit_load_thresholds_win_over_the_mode(play):
    proc = play(LOAD_PLAY, {"twzrd_ops_load_mode": "absolute", "twzrd_ops_load_warning": 4, "twzrd_ops_load_critical": 6})
    assert load_thresholds(proc) == {"load_mode": "absolute", "load_warning": 4.0, "load_critical": 6.0}


def test_main_entry_point_validates_before_any_task(play):
    proc = play(ROLE_PLAY, {"twzrd_ops_state": "gone", "twzrd_ops_swap_warning": "many"})
    assert proc.returncode != 0
    text = " ".join(proc.stdout.split())
    assert "value of twzrd_ops_state must be one of: present, absent, purged, got: gone" in text
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


# The conversion itself is unit-tested in tests/unit/test_settings.py (module_utils/schedule.py);
# these prove the role's task wires it up.
def test_utc_schedules_become_local_when_cron_ignores_cron_tz(play):
    proc = play(SCHEDULE_PLAY, {"__twzrd_ops_tz_offset": "-0500", "__twzrd_ops_cron_tz_supported": False})
    assert schedules(proc) == ["0 19 * * 0", "0 * * * *", "0 20 * * 4"]


def test_a_schedule_that_cannot_be_converted_is_refused(play):
    proc = play(SCHEDULE_PLAY, {"__twzrd_ops_tz_offset": "+0100", "__twzrd_ops_cron_tz_supported": False,
                                "twzrd_ops_cron_health_schedule": "*/15 2 * * *"})
    assert proc.returncode != 0
    assert "its cron ignores CRON_TZ, so the UTC schedule(s) */15 2 * * * cannot be converted" in " ".join(proc.stdout.split())
