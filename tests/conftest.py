"""Shared pytest fixtures for twzrd.ops.

Unit tests import module_utils straight from the checkout (as the package
ansible_collections.twzrd.ops.plugins.module_utils, through the collection link that
`make setup` creates). Integration tests run the real modules through Ansible against
localhost and drive a real PM2 installed from npm into .tools/ by scripts/test-env.sh.

Skips are loud: every run ends with the list of skipped tests and their reasons (as with
`pytest -rs`). Under CI=true (.ci/run sets it) a skip of a test that backs a row of
docs/FAULTS.md fails the run, with the skip's reason, and a tool a test needs that is not
installed fails the test (the `require_tool` fixture) instead of skipping it: CI installs everything
(`make test-env`) and runs as root, so there a skip means coverage silently lost.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests check behaviour, not timing: hypothesis' default 200 ms deadline per example
# failed a test on a loaded 2-core machine (test_patch_window under the version matrix).
hypothesis_settings.register_profile("twzrd", deadline=None)
hypothesis_settings.load_profile("twzrd")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
PM2_LOCAL = os.path.join(ROOT, ".tools", "node_modules", ".bin", "pm2")
VENV_BIN = os.path.dirname(sys.executable)
FAULTS_MD = os.path.join(ROOT, "docs", "FAULTS.md")
IN_CI = os.environ.get("CI", "").lower() == "true"
# A tool's Debian package, for the sentence a missing tool gets (scripts/test-env.sh installs them).
TOOL_PACKAGES = {
    "promtool": "prometheus",
    "prometheus-node-exporter": "prometheus-node-exporter",
    "chromium": "chromium",
    "faketime": "faketime",
    "logrotate": "logrotate",
    "chattr": "e2fsprogs",
    "docker": "docker.io",
    "debootstrap": "debootstrap",
    "shellcheck": "shellcheck",
    "jq": "jq",
}

if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
# The helpers modules (servers.py, reportpages.py) are importable from every test file, so no
# test file imports another.
for _helpers in (os.path.join(ROOT, "tests", "integration"), os.path.join(ROOT, "tests", "unit")):
    if _helpers not in sys.path:
        sys.path.append(_helpers)

# Below the path set-up above, which makes them importable in the checkout. A copy of this
# file outside it (tests/unit/test_loud_skips.py runs one in a scratch tree) has neither,
# and needs only the skip machinery.
try:
    import servers
    from ansible_collections.twzrd.ops.plugins.module_utils import cli
    from ansible_collections.twzrd.ops.plugins.module_utils.pm2 import normalize as pm2_normalize
except ImportError:
    servers = cli = pm2_normalize = None

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # a test-only package: the browser fixture says how to install it
    sync_playwright = None


def run_day(pattern):
    """The UTC day (YYYY-MM-DD) by which a run just made named its file: `pattern % day`
    exists for today or, for a run that crossed midnight, yesterday. pattern names a file in a
    directory of the test's own, so an older run's file cannot answer. A date taken when the
    test module was imported failed every test that ran after midnight (a CI run did)."""
    now = time.time()
    days = [time.strftime("%Y-%m-%d", time.gmtime(now)), time.strftime("%Y-%m-%d", time.gmtime(now - 86400))]
    for day in days:
        if os.path.exists(pattern % day):
            return day
    return days[0]


def faults_table_tests(path=FAULTS_MD):
    """{(file basename, test name)} of every test a row of docs/FAULTS.md names."""
    with open(path, encoding="utf-8") as handle:
        return set(re.findall(r"\b[UI]:(test_\w+\.py)::(test_\w+)", handle.read()))


def tool_path(name):
    """Where the tool is, on PATH or in the sbin directories a non-root PATH may lack; or None."""
    return shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")


def needed_tool(name, why=""):
    """Path of a tool the test needs. Missing: the test is skipped with the reason, or, under
    CI=true, fails with it (CI installs every tool through scripts/test-env.sh)."""
    path = tool_path(name)
    if path:
        return path
    reason = "%s is not installed (Debian package %s; `make test-env` installs it)%s" % (
        name, TOOL_PACKAGES.get(name, name), ": " + why if why else "")
    if IN_CI:
        pytest.fail("CI=true: " + reason, pytrace=False)
    pytest.skip(reason)


def pytest_configure(config):
    """List the skipped tests and their reasons at the end of every run (pytest -rs)."""
    chars = config.option.reportchars or ""
    if "s" not in chars and "a" not in chars and "A" not in chars:
        config.option.reportchars = chars + "s"
    config._twzrd_faults_tests = faults_table_tests() if os.path.exists(FAULTS_MD) else set()


def _skip_reason(report):
    longrepr = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true, a skipped test that backs a row of docs/FAULTS.md is a failure."""
    outcome = yield
    report = outcome.get_result()
    if not (IN_CI and report.skipped) or hasattr(report, "wasxfail"):
        return
    key = (os.path.basename(str(item.fspath)), getattr(item, "originalname", None) or item.name)
    if key in item.config._twzrd_faults_tests:
        report.outcome = "failed"
        report.longrepr = "CI=true: %s backs a row of docs/FAULTS.md and must run, but was skipped: %s" % (
            item.nodeid, _skip_reason(report))


def _ansible_env(extra=None):
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
            "ANSIBLE_NOCOLOR": "1",
            "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
        }
    )
    if extra:
        env.update(extra)
    return env


@pytest.fixture(scope="session")
def require_tool():
    """require_tool("promtool") -> its path; skips the test when the tool is missing, fails it
    under CI=true. The one way a test asks for a tool (see the module docstring)."""
    return needed_tool


def root_command():
    """The prefix that runs a command as root: [] as root, ["sudo", "-n"] for a user with
    passwordless sudo (README allows `make test` so), or None when neither."""
    if os.geteuid() == 0:
        return []
    sudo = tool_path("sudo")
    if sudo and subprocess.run([sudo, "-n", "true"], capture_output=True, timeout=60, check=False).returncode == 0:
        return [sudo, "-n"]
    return None


@pytest.fixture(scope="session")
def as_root():
    """as_root(["mount", ...]) runs one command as root (directly, or through passwordless
    sudo for a non-root run) and returns the CompletedProcess (bytes); without either the test
    is skipped with the reason (under CI=true, where the suite runs as root, it fails)."""
    prefix = root_command()

    def run(argv, check=False, timeout=120):
        if prefix is None:
            reason = "needs root or passwordless sudo for: %s" % " ".join(argv)
            if IN_CI:
                pytest.fail("CI=true: " + reason, pytrace=False)
            pytest.skip(reason)
        return subprocess.run(prefix + list(argv), capture_output=True, timeout=timeout, check=check)

    return run


@pytest.fixture
def mount_tmpfs(as_root):
    """mount_tmpfs(directory, "64k") mounts a real tmpfs of that size on directory, owned by the
    user running the tests (as root, or through passwordless sudo: see as_root), and unmounts it
    after the test; where mounting is not allowed the test is skipped, naming why."""
    mounted = []

    def mount(directory, size):
        options = "size=%s,uid=%d,gid=%d" % (size, os.getuid(), os.getgid())
        proc = as_root(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)])
        if proc.returncode != 0:
            pytest.skip("cannot mount a tmpfs here: %s" % proc.stderr.decode().strip())
        mounted.append(str(directory))

    yield mount
    for directory in reversed(mounted):
        as_root(["umount", "-l", directory])


@pytest.fixture(scope="session")
def meminfo():
    """meminfo("MemTotal") -> bytes, read from this machine's /proc/meminfo (the tests' own
    reading, independent of the code under test)."""

    def read(key):
        with open("/proc/meminfo") as handle:
            for line in handle:
                name, _sep, value = line.partition(":")
                if name == key:
                    return int(value.split()[0]) * 1024
        raise KeyError(key)

    return read


@pytest.fixture(scope="session")
def run_module():
    """Run a module through `ansible localhost -m` and return its result dict.

    run_module("twzrd.ops.pm2_status", {"pm2_home": ...}, check=False, env=None)
    The result carries "failed" and "msg" as Ansible reports them.
    """

    def run(module, args=None, check=False, env=None):
        cmd = [os.path.join(VENV_BIN, "ansible"), "localhost", "-m", module]
        if args:
            # An empty "{}" would be taken as raw parameters, which modules refuse.
            cmd += ["-a", json.dumps(args)]
        if check:
            cmd.append("--check")
        proc = subprocess.run(
            cmd, cwd=ROOT, env=_ansible_env(env), capture_output=True, text=True, timeout=300, check=False
        )
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("ansible printed no JSON (rc=%s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
        result = data["plays"][0]["tasks"][0]["hosts"]["localhost"]
        result["_rc"] = proc.returncode
        result["_stdout"] = proc.stdout
        result["_stderr"] = proc.stderr
        return result

    return run


@pytest.fixture(scope="session")
def run_playbook():
    """Run ansible-playbook from the repo root; returns the CompletedProcess (text)."""

    def run(playbook, *args, env=None, timeout=900):
        cmd = [os.path.join(VENV_BIN, "ansible-playbook"), playbook] + list(args)
        extra = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}
        extra.update(env or {})
        return subprocess.run(
            cmd, cwd=ROOT, env=_ansible_env(extra), capture_output=True, text=True, timeout=timeout, check=False
        )

    return run


# The play that applies the role as a user would (its argument check runs first).
ROLE_PLAY = """
- name: Apply the role
  hosts: localhost
  gather_facts: false
  roles:
    - role: twzrd.ops.twzrd_ops
"""


@pytest.fixture
def play(tmp_path, run_playbook):
    """play(text, extra_vars=None, env=None): write the play text to tmp_path/play.yml and run
    it with ansible-playbook (extra_vars as one JSON -e); returns the CompletedProcess."""

    def run(text, extra_vars=None, env=None):
        path = tmp_path / "play.yml"
        path.write_text(text)
        args = ["-e", json.dumps(extra_vars)] if extra_vars is not None else []
        return run_playbook(str(path), *args, env=env)

    return run


@pytest.fixture(scope="session")
def pm2_bin():
    """Path of the real pm2 (installed by scripts/test-env.sh); the test fails when absent."""
    path = PM2_LOCAL if os.path.exists(PM2_LOCAL) else shutil.which("pm2")
    assert path, "pm2 is not installed: run `make test-env` (scripts/test-env.sh) first"
    return path


def _processes():
    """{pid: (ppid, command line)} of every live process in /proc (zombies left out)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as handle:
                stat = handle.read()
            with open("/proc/%s/cmdline" % name, "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        if fields[0] != b"Z":
            table[int(name)] = (int(fields[1]), cmdline)
    return table


def _pm2_home_of(pid):
    """The PM2_HOME in a process's environment, or None (unreadable: another user's, or gone)."""
    try:
        with open("/proc/%d/environ" % pid, "rb") as handle:
            environ = handle.read().split(b"\0")
    except OSError:
        return None
    for item in environ:
        if item.startswith(b"PM2_HOME="):
            return item[len(b"PM2_HOME="):].decode("utf-8", "replace")
    return None


def stop_pm2(home, timeout=30.0):
    """Stop the PM2 daemon of `home` and every process below it (its apps) with SIGKILL.

    The teardown of a private PM2_HOME. `pm2 kill` takes 1-3 s a test: it stops each app in
    turn, and where no daemon runs it first spawns one only to kill it. The daemon (its title,
    "PM2 v7.0.4: God Daemon (HOME)", is cut to the length of its first command line, so it is
    told by the PM2_HOME of its environment) is frozen first (SIGSTOP), so that it cannot
    restart an app killed under it; all are waited for."""
    table = _processes()
    daemons = [pid for pid, (_ppid, cmdline) in table.items()
               if cmdline.startswith("PM2 v") and "God Daemon" in cmdline and _pm2_home_of(pid) == home]
    for pid in daemons:
        os.kill(pid, signal.SIGSTOP)
    table = _processes()
    doomed, parents = set(daemons), set(daemons)
    while parents:
        parents = set(pid for pid, (ppid, _cmdline) in table.items() if ppid in parents) - doomed
        doomed |= parents
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while doomed & set(_processes()):
        assert time.monotonic() < deadline, "PM2 of %s still running %s s after SIGKILL" % (home, timeout)
        time.sleep(0.02)


@pytest.fixture
def pm2_home(tmp_path, pm2_bin):
    """A private PM2_HOME; the daemon started in it and its apps are killed after the test."""
    home = tmp_path / "pm2home"
    home.mkdir()
    yield str(home)
    stop_pm2(str(home))


@pytest.fixture
def pm2(pm2_bin, pm2_home):
    """Run pm2 against the private PM2_HOME: pm2("start", "app.js", "--name", "x")."""

    def run(*args, check=True):
        env = dict(os.environ, PM2_HOME=pm2_home)
        proc = subprocess.run([pm2_bin] + list(args), env=env, capture_output=True, text=True, timeout=120, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("pm2 %s failed: %s %s" % (" ".join(args), proc.stdout, proc.stderr))
        return proc

    return run


@pytest.fixture
def pm2_daemon_home(tmp_path):
    """A PM2_HOME whose rpc.sock answers connections, so pm2.daemon_running() sees a daemon
    (for tests whose pm2 is a stand-in script); closed after the test."""
    home = tmp_path / "pm2home"
    home.mkdir()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(home / "rpc.sock"))
    server.listen(16)
    yield str(home)
    server.close()


# ---- shared by the integration tests (real PM2 demo apps, the Chromium browser) ----------

APPS = os.path.join(ROOT, "tests", "apps")
CANARY = "twzrd-canary-XYZ-7f3a"
CHROMIUM = "/usr/bin/chromium"
OUTPUT = os.path.join(ROOT, "tests", "output")


@pytest.fixture
def start_app(pm2_bin, pm2_home):
    """start_app("web", "healthy.js", PORT="1234") starts a demo app under the private PM2."""

    def start(name, script, *extra, **env):
        # The app starts from a clean slate of ANSIBLE_* variables (make exports ANSIBLE_CONFIG),
        # so that any ANSIBLE_* name found later was carried in by a module's pm2 call.
        full = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        full.update(PM2_HOME=pm2_home, **env)
        subprocess.run([pm2_bin, "start", os.path.join(APPS, script), "--name", name, "-s"] + list(extra), env=full, check=True, timeout=60)

    return start


@pytest.fixture
def jlist(pm2):
    """jlist() -> {(name, pm_id): normalised process} from the private PM2's `pm2 jlist`."""

    def read():
        return dict(((proc["name"], proc["pm_id"]), proc) for proc in (pm2_normalize(raw) for raw in json.loads(pm2("jlist", "-s").stdout)))

    return read


@pytest.fixture
def web(start_app, jlist):
    """The healthy HTTP demo app `web`, online and answering /health on a free loopback port
    (returned), with a canary secret in its environment (CANARY_SECRET=CANARY)."""
    port = servers.closed_port()
    start_app("web", "healthy.js", PORT=str(port), CANARY_SECRET=CANARY)
    servers.eventually(lambda: servers.health_json(port), limit=30.0, what="web answering /health")
    return port


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Chromium is not installed at %s: run `make test-env` (scripts/test-env.sh installs Debian's chromium)." % CHROMIUM)
    if sync_playwright is None:
        pytest.fail("Playwright is not installed in this virtualenv: `pip install -r requirements-dev.txt` installs it.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


# ---- shared by the playbook tests that read this machine as one inventory host -----------

WORKER = os.path.join(APPS, "worker.js")

# This machine as an inventory host of a weekly-health run: no PM2, no health URL, thresholds
# no load or disk reaches. LOCAL_VARS is the group's vars block (test_quickstart's two hosts
# use it too); LOCAL_ALPHA_INVENTORY is this machine as the one host `alpha` (the fleet
# report's tests: HTML page, version in the headers).
LOCAL_VARS = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    twzrd_ops_become: false
    twzrd_ops_pm2_user: ""
    twzrd_ops_pm2_path: /nonexistent/pm2
    twzrd_ops_health_url: ""
    twzrd_ops_load_warning: 500
    twzrd_ops_load_critical: 600
    twzrd_ops_disk_warning: 99
    twzrd_ops_disk_critical: 100
"""
LOCAL_ALPHA_INVENTORY = LOCAL_VARS + """\
  hosts:
    alpha: {}
"""


@pytest.fixture
def local_host(tmp_path, pm2_bin, pm2_home):
    """local_host(name, **variables) -> the path of tmp_path/inventory.yml, an inventory of one
    host `name`: this machine over connection local with the test's Python, no become, and the
    test's own PM2 (pm2_bin, pm2_home, no PM2 user); variables (twzrd_ops_* settings and the
    like) are added or override. Start the demo app with pm2("start", WORKER, "--name", ...)."""

    def write(name, **variables):
        host = {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "twzrd_ops_become": False,
            "twzrd_ops_pm2_user": "",
            "twzrd_ops_pm2_path": pm2_bin,
            "twzrd_ops_pm2_home": pm2_home,
        }
        host.update(variables)
        path = tmp_path / "inventory.yml"
        path.write_text(json.dumps({"all": {"hosts": {name: host}}}, indent=1))  # JSON is YAML
        return str(path)

    return write


# ---- shared by the alert tests (the on-host command, alert settings, secret files) --------


@pytest.fixture(scope="session")
def twzrd_ops():
    """twzrd_ops("--config", path, "alerts") -> (exit code, stdout, stderr): the on-host
    command's main() run in this process (so a test can monkeypatch what it calls)."""

    def run(*argv):
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(list(argv), out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def alert_settings(tmp_path, monkeypatch):
    """The alert engine's settings for one test: its state and log under tmp_path, a short
    delivery timeout, one retry and no pause between retries. Tests add the webhook URL file,
    channels or a textfile with dict(alert_settings, ...)."""
    monkeypatch.setattr("ansible_collections.twzrd.ops.plugins.module_utils.alerts.RETRY_DELAY", 0)
    return {"state_file": str(tmp_path / "state" / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log"),
            "webhook_timeout": 2, "webhook_retries": 1}


@pytest.fixture
def secret_file(tmp_path):
    """secret_file(name, text) -> path of a root-only (0600) file under tmp_path holding text
    and a newline: a webhook URL, a token, a password, as the role writes them."""

    def write(name, text):
        path = tmp_path / name
        path.write_text(text + "\n")
        os.chmod(str(path), 0o600)
        return str(path)

    return write


@pytest.fixture
def webhook_receiver():
    """A Slack-like webhook endpoint on 127.0.0.1 (servers.WebhookReceiver), closed after the test."""
    receiver = servers.WebhookReceiver()
    yield receiver
    receiver.close()
