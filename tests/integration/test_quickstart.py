"""The README's quick start, exactly as written (`make health`), on a clean clone of this
repository: as root, and as an ordinary user without sudo rights whose own PM2 runs an app.
Also `--limit` on the playbooks with a controller-side part: the report, the summary and the
exit code stay. Real parts throughout: a real clone, a real virtualenv installed by make from
PyPI, a real PM2 (from npm) under the ordinary user, the real ansible-playbook."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import time

import pytest

from conftest import LOCAL_VARS, PM2_LOCAL, ROOT, run_day

APPS = os.path.join(ROOT, "tests", "apps")
USER = "twzrdqs"


def _clean_env(extra=None):
    """The environment of a fresh login shell: nothing from this test run's virtualenv or make."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "MAKE", "MFLAGS", "VIRTUAL_ENV", "PYTEST", "PYTHON"))}
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env.update(extra or {})
    return env


def _clone(dest):
    subprocess.run(["git", "clone", "--quiet", ROOT, dest], check=True, timeout=120)
    return dest


def _fleet(clone):
    """(the fleet report's JSON, the day its files are named by)."""
    pattern = os.path.join(clone, "reports", "weekly-health-%s.json")
    day = run_day(pattern)
    with open(pattern % day) as handle:
        return json.load(handle), day


def _expected_rc(fleet):
    # weekly-health exits non-zero exactly when a host is critical, unreachable or unchecked.
    return 2 if fleet["failing_hosts"] else 0


@pytest.mark.skipif(os.geteuid() != 0, reason="creates a user and writes the system reports directory: run as root (make test does)")
def test_make_health_as_root_on_a_clean_clone(tmp_path):
    clone = _clone(str(tmp_path / "twzrd.ops"))
    proc = subprocess.run(["make", "health"], cwd=clone, env=_clean_env(), capture_output=True, text=True, timeout=900, check=False)
    out = proc.stdout + proc.stderr
    fleet, day = _fleet(clone)
    assert [row["host"] for row in fleet["hosts"]] == ["localhost"], out
    row = fleet["hosts"][0]
    assert row["verdict"] in ("ok", "warning", "critical"), out  # checked, not unreachable / unknown
    assert proc.returncode == _expected_rc(fleet), out
    report = "/var/lib/twzrd-ops/reports/weekly-health-report-%s.txt" % day
    assert "Host report of localhost: %s" % report in out
    assert os.path.exists(report)
    assert "Fleet report: %s/reports/weekly-health-%s.md" % (os.path.realpath(clone), day) in out


@pytest.fixture
def ordinary_user():
    """A login user without sudo rights (this machine has no sudo at all, or it would ask a password)."""
    if os.geteuid() != 0:
        pytest.skip("creating a user needs root: run as root (make test does)")
    created = False
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", USER], check=True, timeout=60)
        created = True
    home = pwd.getpwnam(USER).pw_dir
    yield USER, home
    _as_user(["bash", "-lc", "pm2 kill >/dev/null 2>&1 || true"], home, timeout=60)
    if created:
        _remove_user(home)


def _remove_user(home):
    """Remove the test user: its processes first (waited for, userdel refuses a logged-in user),
    then its home, which holds a clone with its own .venv (tens of thousands of files: too many
    for userdel --remove under a short deadline), then the user itself, checked."""
    subprocess.run(["pkill", "-KILL", "-u", USER], check=False, timeout=30)
    deadline = time.monotonic() + 60
    while subprocess.run(["pgrep", "-u", USER], capture_output=True, check=False, timeout=30).returncode == 0:
        assert time.monotonic() < deadline, "processes of %s still running 60 s after pkill" % USER
        time.sleep(0.1)
    shutil.rmtree(home, ignore_errors=True)
    proc = subprocess.run(["userdel", USER], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, "userdel %s failed: %s" % (USER, proc.stderr)
    if os.path.isfile("/var/mail/" + USER):  # a mail spool, where useradd makes one
        os.remove("/var/mail/" + USER)


def _as_user(argv, home, cwd=None, timeout=900):
    env = _clean_env({"HOME": home, "USER": USER, "LOGNAME": USER,
                      "PATH": os.path.dirname(PM2_LOCAL) + ":/usr/local/bin:/usr/bin:/bin"})
    runuser = shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin")
    return subprocess.run([runuser, "-u", USER, "--"] + argv, cwd=cwd or home, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_make_health_as_an_ordinary_user_reads_their_own_pm2_without_sudo(ordinary_user):
    user, home = ordinary_user
    assert os.path.exists(PM2_LOCAL), "pm2 is not installed: run `make test-env` first"
    clone = os.path.join(home, "twzrd.ops")
    shutil.rmtree(clone, ignore_errors=True)
    _clone(clone)
    subprocess.run(["chown", "-R", "%s:" % user, clone], check=True, timeout=60)
    # The user's own PM2 with one app (default PM2_HOME ~/.pm2): the quick start must find it.
    app = os.path.join(home, "web.js")
    shutil.copy(os.path.join(APPS, "healthy.js"), app)
    os.chown(app, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    started = _as_user(["env", "PORT=18123", "pm2", "start", app, "--name", "qs-web", "-s"], home, timeout=120)
    assert started.returncode == 0, started.stdout + started.stderr

    proc = _as_user(["make", "health"], home, cwd=clone)
    out = proc.stdout + proc.stderr
    fleet, day = _fleet(clone)
    row = fleet["hosts"][0]
    assert row["host"] == "localhost" and row["verdict"] in ("ok", "warning", "critical"), out
    assert (row["pm2_online"], row["pm2_total"]) == (1, 1), out  # the user's own PM2, read as the user
    assert proc.returncode == _expected_rc(fleet), out
    assert "sudo" not in out.lower()
    report = os.path.join(home, ".local", "state", "twzrd-ops", "reports", "weekly-health-report-%s.txt" % day)
    assert "Host report of localhost: %s" % report in out
    assert os.stat(report).st_uid == pwd.getpwnam(user).pw_uid

    # Asking for become where it cannot work: one sentence with the fix, the host not checked.
    become = _as_user(["make", "health", "ARGS=-e twzrd_ops_become=true"], home, cwd=clone)
    out = become.stdout + become.stderr
    assert become.returncode == 2, out
    assert "Privilege escalation (become)" in out and "-K" in out and "twzrd_ops_become=false" in out
    assert _fleet(clone)[0]["hosts"][0]["verdict"] == "unknown"


INVENTORY = LOCAL_VARS + """\
  children:
    web:
      hosts:
        alpha: {}
        beta:
          twzrd_ops_expected_apps: [ghost-app]
"""


@pytest.fixture
def two_hosts(tmp_path):
    path = tmp_path / "inventory.yml"
    path.write_text(INVENTORY)
    return str(path), str(tmp_path / "reports")


def _fleet_hosts(path):
    with open(path) as handle:
        return [row["host"] for row in json.load(handle)["hosts"]]


@pytest.mark.parametrize("limit, hosts, rc", [("alpha", ["alpha"], 0), ("beta", ["beta"], 2), ("web:!beta", ["alpha"], 0), ("web", ["alpha", "beta"], 2)])
def test_weekly_health_with_limit_keeps_report_summary_and_exit_code(run_playbook, two_hosts, limit, hosts, rc):
    inventory, reports = two_hosts
    proc = run_playbook("playbooks/weekly-health.yml", "-i", inventory, "--limit", limit, "--skip-tags", "host_report",
                        "-e", "twzrd_ops_fleet_reports_dir=" + reports)
    out = proc.stdout + proc.stderr
    assert proc.returncode == rc, out
    day = run_day(os.path.join(reports, "weekly-health-%s.json"))
    assert _fleet_hosts(os.path.join(reports, "weekly-health-%s.json" % day)) == hosts
    assert "Weekly health %s:" % day in out


def test_status_and_audit_with_limit_keep_their_table_and_report(run_playbook, two_hosts):
    inventory, reports = two_hosts
    status = run_playbook("playbooks/status.yml", "-i", inventory, "--limit", "beta")
    assert status.returncode == 0, status.stdout
    assert "Fleet status" in status.stdout and "ghost-app" in status.stdout and "alpha" not in status.stdout
    audit = run_playbook("playbooks/audit.yml", "-i", inventory, "--limit", "alpha", "-e", "twzrd_ops_fleet_reports_dir=" + reports)
    assert audit.returncode == 0, audit.stdout
    with open(os.path.join(reports, "audit-%s.json" % run_day(os.path.join(reports, "audit-%s.json")))) as handle:
        assert [host["host"] for host in json.load(handle)["hosts"]] == ["alpha"]


def test_unreachable_host_is_listed_with_its_reason_and_fails_the_run(run_playbook, tmp_path):
    # Port 1 on loopback: nothing listens, the SSH connection is refused at once.
    inventory = tmp_path / "inventory.yml"
    ghost = "        ghost: {ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1}"
    inventory.write_text(INVENTORY.replace("        alpha: {}", "        alpha: {}\n" + ghost))
    reports = str(tmp_path / "reports")
    proc = run_playbook("playbooks/weekly-health.yml", "-i", str(inventory), "--limit", "alpha,ghost", "--skip-tags", "host_report",
                        "-e", "twzrd_ops_fleet_reports_dir=" + reports)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    with open(os.path.join(reports, "weekly-health-%s.json" % run_day(os.path.join(reports, "weekly-health-%s.json")))) as handle:
        fleet = json.load(handle)
    rows = {row["host"]: row for row in fleet["hosts"]}
    assert rows["alpha"]["verdict"] == "ok" and rows["ghost"]["verdict"] == "unreachable"
    assert "Connection refused" in rows["ghost"]["error"]
    assert fleet["failing_hosts"] == ["ghost"]
    assert "ghost unreachable: " in out
