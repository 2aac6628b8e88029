"""The decisions the flows (role entry points patch, restart, emergency_*, silence) used to make
in Jinja, now module_utils functions: the apt plan, the reboot, the looks of a wait, the dpkg
lock's owner, the failure classes, the `pm2 startup` command line, the PM2 app of a busy
process, and every flow setting typed and checked (settings.flow)."""

from __future__ import annotations

import fcntl
import os

import pytest
from hypothesis import given, strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import incident, patching, pm2_startup, settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

# Captured from `apt-get --simulate -o Debug::NoLocking=1 upgrade --with-new-pkgs` on Debian 12.
APT_SIMULATION = """\
Reading package lists...
Building dependency tree...
Calculating upgrade...
The following NEW packages will be installed:
  linux-image-6.1.0-28-amd64
The following packages will be upgraded:
  libc6 openssl
2 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.
Inst libc6 [2.36-9+deb12u8] (2.36-9+deb12u9 Debian:12.8/stable [amd64])
Inst linux-image-6.1.0-28-amd64 (6.1.119-1 Debian-Security:12/stable-security [amd64])
Inst openssl [3.0.14-1~deb12u2] (3.0.15-1~deb12u1 Debian:12.8/stable [amd64]) []
Conf libc6 (2.36-9+deb12u9 Debian:12.8/stable [amd64])
Conf linux-image-6.1.0-28-amd64 (6.1.119-1 Debian-Security:12/stable-security [amd64])
Conf openssl (3.0.15-1~deb12u1 Debian:12.8/stable [amd64])
""".splitlines()


def test_the_apt_plan_lists_upgrades_and_new_packages_only():
    assert patching.planned_packages(APT_SIMULATION) == [
        "libc6 2.36-9+deb12u8 -> 2.36-9+deb12u9",
        "linux-image-6.1.0-28-amd64 (new) 6.1.119-1",
        "openssl 3.0.14-1~deb12u2 -> 3.0.15-1~deb12u1",
    ]
    assert patching.planned_packages(["0 upgraded, 0 newly installed"]) == []


@pytest.mark.parametrize("upgrade, argv", [("safe", ["upgrade", "--with-new-pkgs"]), ("dist", ["dist-upgrade"])])
def test_the_apt_command_follows_the_upgrade_kind(upgrade, argv):
    assert patching.apt_command(upgrade) == argv


@pytest.mark.parametrize("policy, flag, expected", [
    ("always", False, True), ("always", True, True), ("never", True, False), ("never", False, False),
    ("if_required", True, True), ("if_required", False, False),
])
def test_the_reboot_follows_the_policy_and_the_flag(policy, flag, expected):
    assert patching.reboot_wanted(policy, flag) is expected


def test_an_unknown_reboot_policy_is_one_sentence():
    with pytest.raises(OpsError, match="twzrd_ops_patch_reboot must be always, if_required or never"):
        patching.reboot_wanted("sometimes", True)


@pytest.mark.parametrize("timeout, expected", [(5, 1), (6, 2), (300, 60), (301, 61), (1, 1), (0, 1)])
def test_the_looks_of_a_wait_cover_the_whole_timeout(timeout, expected):
    assert patching.looks(timeout, 5) == expected


@given(st.integers(min_value=0, max_value=100000), st.integers(min_value=1, max_value=60))
def test_looks_times_the_delay_is_never_short_of_the_timeout_nor_a_whole_look_over(timeout, delay):
    looks = patching.looks(timeout, delay)
    assert looks >= 1 and looks * delay >= timeout and (looks - 1) * delay < max(timeout, 1)


def test_the_lock_holder_is_read_from_the_kernels_lock_table(tmp_path):
    """A real lock on a real file, read back from this machine's /proc/locks."""
    path = tmp_path / "lock-frontend"
    path.write_text("")
    with open(path, "w") as handle:
        fcntl.lockf(handle, fcntl.LOCK_EX)
        with open("/proc/locks") as table:
            text = table.read()
        assert patching.lock_holders(text, os.stat(path).st_ino) == [os.getpid()]
    with open("/proc/locks") as table:
        assert patching.lock_holders(table.read(), os.stat(path).st_ino) == []


def test_a_waiter_is_not_a_holder_and_other_files_do_not_count():
    table = ("1: POSIX  ADVISORY  WRITE 812 fe:01:1311 0 EOF\n"
             "1: -> POSIX  ADVISORY  WRITE 990 fe:01:1311 0 EOF\n"
             "2: FLOCK  ADVISORY  WRITE 77 fe:01:13110 0 EOF\n")
    assert patching.lock_holders(table, 1311) == [812]
    assert patching.lock_holders("", 1311) == []


@pytest.mark.parametrize("message, task, klass", [
    ("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (apt-get)", "Upgrade the packages", "lock"),
    ("Failed to lock apt for exclusive operation: Failed to lock directory /var/lib/apt/lists/", "Update", "lock"),
    ("Timed out waiting for last boot time check (timeout=900)", "Reboot (PM2 brings the apps back on boot)", "reboot"),
    ("Timed out waiting for last boot time check", "twzrd.ops.twzrd_ops : Reboot (PM2 brings the apps back on boot)", "reboot"),
    ("apps not online 300 s after the reboot: api", "Check that the expected apps are online", "other"),
])
def test_each_failure_is_classed_and_said_for_the_operator(message, task, klass):
    result = patching.failure(message, task, ["  812 apt-get"], lock_timeout=60, reboot_timeout=900)
    assert result["class"] == klass
    if klass == "lock":
        assert result["reason"].startswith("another package manager is running (process 812 apt-get holds /var/lib/dpkg/lock-frontend)")
        assert "60 s (twzrd_ops_patch_lock_timeout)" in result["reason"]
    elif klass == "reboot":
        assert result["reason"].startswith("did not come back from its reboot within 900 s (twzrd_ops_patch_reboot_timeout): ")
    else:
        assert result["reason"] == message


def test_a_lock_failure_without_a_known_holder_still_says_what_to_do():
    reason = patching.failure("Could not get lock /var/lib/dpkg/lock-frontend", "x", [], 5, 900)["reason"]
    assert reason.startswith("another package manager is running: the dpkg lock stayed held for 5 s")


@pytest.mark.parametrize("home, hp", [("/home/app/.pm2", ["--hp", "/home/app"]), ("/home/app/.pm2/", ["--hp", "/home/app"]),
                                      ("/srv/pm2", [])])
def test_pm2_startup_passes_hp_for_a_dot_pm2_home_and_pm2_home_always(home, hp):
    command = pm2_startup.startup_command("/usr/bin/pm2", "app", home, "/usr/local/bin:/usr/bin")
    assert command["argv"] == ["/usr/bin/pm2", "startup", "systemd", "-u", "app"] + hp
    assert command["environment"] == {"PATH": "/usr/local/bin:/usr/bin", "PM2_HOME": home.rstrip("/")}


@pytest.mark.parametrize("args", [("", "app", "/home/app/.pm2"), ("/usr/bin/pm2", "", "/home/app/.pm2"), ("/usr/bin/pm2", "app", "pm2")])
def test_pm2_startup_refuses_what_would_write_the_wrong_unit(args):
    with pytest.raises(OpsError):
        pm2_startup.startup_command(*(args + ("/usr/bin",)))


def test_the_busy_processes_are_named_by_their_pm2_app():
    rows = [{"pid": 4242, "name": "node /home/app/"}, {"pid": 1, "name": "systemd"}]
    processes = [{"name": "milo-aggregator", "pid": 4242}, {"name": "stopped", "pid": 0}]
    named = incident.name_apps(rows, processes)
    assert [row["app"] for row in named] == ["milo-aggregator", None]
    assert named[0]["name"] == "node /home/app/" and "app" not in rows[0]


# --- the flows' settings: `-e` strings as Ansible's argument spec reads them, every range ---

def test_strings_from_e_are_read_as_the_argument_spec_reads_them():
    patch = settings.flow("patch", {"twzrd_ops_patch_reboot_timeout": "60", "twzrd_ops_patch_force": "true",
                                    "twzrd_ops_patch_online_timeout": "6", "twzrd_ops_patch_lock_timeout": "0"})
    assert patch["reboot_timeout"] == 60 and patch["force"] is True and patch["lock_timeout"] == 0
    assert patch["online_looks"] == 2 and patch["apt_command"] == ["upgrade", "--with-new-pkgs"]
    assert settings.flow("patch", {"twzrd_ops_patch_force": "no"})["force"] is False
    assert settings.flow("emergency_crashloop", {"twzrd_ops_crashloop_watch": "1"})["watch"] == 1


@pytest.mark.parametrize("name, low", [
    ("twzrd_ops_patch_reboot_timeout", 60), ("twzrd_ops_patch_online_timeout", 5), ("twzrd_ops_patch_lock_timeout", 0),
    ("twzrd_ops_patch_serial", 1), ("twzrd_ops_restart_serial", 1), ("twzrd_ops_crashloop_watch", 1),
    ("twzrd_ops_swap_cycle_margin_mb", 0), ("twzrd_ops_swap_cycle_timeout", 1), ("twzrd_ops_audit_report_weeks", 1),
])
def test_every_flow_range_is_checked_on_its_edge(name, low):
    flow = next(f for f, keys in settings.FLOWS.items() if any(spec[0] == name for spec in keys.values()))
    settings.flow(flow, {name: low})
    settings.flow(flow, {name: str(low)})
    with pytest.raises(OpsError, match="%s must be at least %s, got %s" % (name, low, low - 1)):
        settings.flow(flow, {name: str(low - 1)})
    # and the role's validation (validate.yml) says the same
    assert any(name in problem for problem in settings.errors({name: low - 1}, [name], checks_only=True))


@pytest.mark.parametrize("name, value, said", [
    ("twzrd_ops_patch_reboot_timeout", "sixty", "must be a number"),
    ("twzrd_ops_patch_reboot_timeout", "90.5", "must be a whole number"),
    ("twzrd_ops_patch_force", "maybe", "must be true or false"),
    ("twzrd_ops_patch_reboot", "sometimes", "must be one of always, if_required, never"),
    ("twzrd_ops_patch_max_fail_percentage", "101", "must be between 0 and 100"),
    ("twzrd_ops_patch_window", {"days": ["Someday"], "start": "01:00", "end": "02:00"}, "is not a day of the week"),
])
def test_real_mistakes_keep_their_one_sentence(name, value, said):
    with pytest.raises(OpsError, match=said) as caught:
        settings.flow("patch", {name: value})
    assert name in str(caught.value)


def test_the_requests_rules_are_the_flows():
    with pytest.raises(OpsError, match="recover needs the app"):
        settings.flow("emergency_crashloop", {"twzrd_ops_crashloop_mode": "recover", "twzrd_ops_crashloop_app": ""})
    with pytest.raises(OpsError, match="add needs twzrd_ops_silence_target"):
        settings.flow("silence", {"twzrd_ops_silence_action": "add", "twzrd_ops_silence_target": "swap",
                                  "twzrd_ops_silence_duration": "2h", "twzrd_ops_silence_reason": "  "})
    with pytest.raises(OpsError, match="remove needs twzrd_ops_silence_id"):
        settings.flow("silence", {"twzrd_ops_silence_action": "remove"})
    assert settings.flow("silence", {"twzrd_ops_silence_action": "list"})["action"] == "list"
    # a request rule is the run's, not every playbook's: the role's validation does not apply it
    assert settings.errors({"twzrd_ops_silence_action": "add"}, ["twzrd_ops_silence_action"], checks_only=True) == []


def test_an_unknown_flow_is_refused():
    with pytest.raises(OpsError, match="Unknown twzrd_ops flow"):
        settings.flow("reboot_everything", {})


def test_a_root_owned_pm2_is_refused_unless_accepted_and_then_warned():
    known = ["twzrd_ops_pm2_user", "twzrd_ops_pm2_root_ok"]
    assert settings.errors({"twzrd_ops_pm2_user": "root"}, known) == [
        "twzrd_ops_pm2_user must name a non-root user that owns the PM2 apps, got 'root'."
        " Set twzrd_ops_pm2_root_ok: true to keep a root-owned PM2 (see the README)."]
    assert settings.warnings({"twzrd_ops_pm2_user": "root"}) == []
    for accepted in (True, "true", "yes"):  # also from -e
        variables = {"twzrd_ops_pm2_user": "root", "twzrd_ops_pm2_root_ok": accepted}
        assert settings.errors(variables, known) == []
        assert settings.warnings(variables) == [settings.ROOT_PM2_WARNING]
    assert "owns the whole host" in settings.ROOT_PM2_WARNING
    assert settings.warnings({"twzrd_ops_pm2_user": "twzrd", "twzrd_ops_pm2_root_ok": True}) == []
