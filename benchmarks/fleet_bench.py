# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The weekly check across a fleet of containers (issue 9): playbook vs the runbook's bash.

One command builds (once, cached by a hash of its inputs) the image twzrd-bench-host:bookworm
from the molecule image twzrd-ops-test:bookworm, shaped like the runbook's hosts: user
`twzrd` owning PM2 (from npm) with two apps (milo-aggregator answering JSON on
http://localhost:8080/health, cls-worker-s0), openssh-server with root key auth,
python3-psutil, curl, and the bash check benchmarks/fleet/weekly-health-check.sh as
/usr/local/sbin/weekly-health-check.sh. It then starts max(--hosts) containers named
twzrd-bench-NN with systemd as PID 1 (molecule's docker settings), sshd published on
127.0.0.1 only, starts the PM2 apps as twzrd, seeds a week of PM2 error log, writes one
inventory for the docker connection and one for SSH (key generated in a temp dir,
pipelining, ControlPersist), and measures for each N of --hosts (the first N containers),
medians of --runs:

  bash-loop/<conn>   the bash check host after host (docker exec, or one ssh per host)
  naive/<conn>       benchmarks/fleet/naive-play.yml: that script in one `command` task
  weekly/<conn>      ansible-playbook playbooks/weekly-health.yml

every ansible-playbook with --forks 20 and the repository's ansible.cfg. Each SSH run starts
from cold connections (a fresh ControlPath directory, masters closed afterwards), as a weekly
run would. It prints the table and the issue's ratios (weekly on 1 host / bash on 1 host
<= 2; weekly on 20 / bash loop over 20 <= 0.5; weekly 20 / weekly 1 <= 3), each against the
bash check over the same connection. The containers are removed at the end (--keep leaves
them).

    .venv/bin/python benchmarks/fleet_bench.py [--hosts 1,5,10,20] [--runs 3]
        [--connection docker,ssh] [--measure bash,naive,weekly] [--keep]
        [--refs BEFORE,AFTER [--baseline-hosts 1,20] [--baseline-connection docker]]
        [--profile] [--floor] [--stop-at HH:MM] [--json FILE]

--refs measures weekly-health.yml of git refs (exported with git archive, so uncommitted work
never leaks in) instead of the working tree; the first of several is the baseline, measured
last and, with --baseline-hosts/--baseline-connection, only where asked (it is slow).
--stop-at starts no new run after that UTC time and reports what it has.

--profile adds a task profile of weekly-health.yml on 1 host (ansible.posix.profile_tasks);
--floor measures the per-host primitives a round trip is made of (docker exec, an SSH
connection, python3 start-up, `pm2 jlist -s`). The container settings can be overridden as
molecule's are: TWZRD_BENCH_PRIVILEGED=true, TWZRD_BENCH_CAPABILITY, TWZRD_BENCH_SECURITY_OPT,
TWZRD_BENCH_CGROUPNS, TWZRD_BENCH_CGROUP_VOLUME.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "benchmarks", "fleet")
BASE_IMAGE = os.environ.get("TWZRD_BENCH_BASE_IMAGE", "twzrd-ops-test:bookworm")
IMAGE = os.environ.get("TWZRD_BENCH_IMAGE", "twzrd-bench-host:bookworm")
PREFIX = "twzrd-bench-"
PLAYBOOK = os.path.join(ROOT, "playbooks", "weekly-health.yml")
NAIVE = os.path.join(HERE, "naive-play.yml")
CHECK_SCRIPT = os.path.join(HERE, "weekly-health-check.sh")
APPS = [os.path.join(ROOT, "tests", "apps", "healthy.js"), os.path.join(ROOT, "tests", "apps", "worker.js")]
APP_NAMES = ["milo-aggregator", "cls-worker-s0"]
ANSIBLE_PLAYBOOK = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
FORKS = 20
# The read-only flows measured (issue 23), by --measure kind.
PLAYBOOKS = {"weekly": "weekly-health.yml", "status": "status.yml", "alerts": "alerts.yml"}

BUILD_SH = r"""
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server python3-psutil curl >/dev/null
useradd -m -s /bin/bash twzrd
NODE_EXTRA_CA_CERTS=/usr/local/share/twzrd-host-ca.crt \
  npm install -g --no-audit --no-fund --loglevel=error pm2@7 >/dev/null
mkdir -p /home/twzrd/apps /root/.ssh
cp /tmp/bench/healthy.js /tmp/bench/worker.js /home/twzrd/apps/
chown -R twzrd:twzrd /home/twzrd/apps
install -m 0755 /tmp/bench/weekly-health-check.sh /usr/local/sbin/weekly-health-check.sh
chmod 700 /root/.ssh
systemctl enable ssh >/dev/null 2>&1 || true
apt-get clean
rm -rf /var/lib/apt/lists/* /tmp/bench /root/.npm
"""

# Starts the apps as twzrd and seeds a week of PM2 error log (PM2's --time prefix, one line
# in ten an error) so that the 7-day scans have something to read.
START_SH = r"""
set -e
su - twzrd -c 'cd ~/apps && PORT=8080 pm2 start healthy.js --name milo-aggregator --time -s \
  && pm2 start worker.js --name cls-worker-s0 --time -s && pm2 save -s' >/dev/null
python3 - <<'EOF'
import datetime, os, pwd
now = datetime.datetime.now(datetime.timezone.utc)
path = "/home/twzrd/.pm2/logs/milo-aggregator-error.log"
with open(path, "a") as f:
    for i in range(5000):
        t = now - datetime.timedelta(seconds=(5000 - i) * 120)
        msg = "ERROR upstream ECONNREFUSED 127.0.0.1:5432" if i % 10 == 0 else "warn slow response 1234 ms"
        f.write("%s: %s\n" % (t.strftime("%Y-%m-%dT%H:%M:%S"), msg))
pw = pwd.getpwnam("twzrd")
os.chown(path, pw.pw_uid, pw.pw_gid)
EOF
for _ in $(seq 1 60); do curl -fsS -m 2 http://localhost:8080/health >/dev/null 2>&1 && exit 0; sleep 0.5; done
echo "health endpoint not answering" >&2; exit 1
"""


def log(msg):
    print("[fleet-bench] %s" % msg, file=sys.stderr, flush=True)


def run(argv, check=True, capture=True, input=None, env=None, cwd=None):
    res = subprocess.run(argv, input=input, env=env, cwd=cwd, text=True, check=False,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.PIPE if capture else None)
    if check and res.returncode != 0:
        raise SystemExit("command failed (%d): %s\n%s%s" % (res.returncode, " ".join(argv), res.stdout or "", res.stderr or ""))
    return res


def docker_run_opts():
    """molecule/default/molecule.yml's settings for systemd as PID 1, same overrides."""
    env = os.environ.get
    opts = ["--tmpfs", "/run", "--tmpfs", "/run/lock",
            "--cgroupns", env("TWZRD_BENCH_CGROUPNS", "host"),
            "-v", env("TWZRD_BENCH_CGROUP_VOLUME", "/sys/fs/cgroup:/sys/fs/cgroup:rw")]
    if env("TWZRD_BENCH_PRIVILEGED", "false").lower() in ("1", "true", "yes"):
        opts.append("--privileged")
    else:
        opts += ["--cap-add", env("TWZRD_BENCH_CAPABILITY", "SYS_ADMIN"),
                 "--security-opt", env("TWZRD_BENCH_SECURITY_OPT", "seccomp=unconfined")]
    return opts


# --- image -------------------------------------------------------------------------------

def inputs_hash():
    h = hashlib.sha256()
    h.update(BASE_IMAGE.encode())
    base_id = run(["docker", "image", "inspect", "-f", "{{.Id}}", BASE_IMAGE]).stdout.strip()
    h.update(base_id.encode())
    h.update(BUILD_SH.encode())
    for path in APPS + [CHECK_SCRIPT]:
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def build_image():
    if run(["docker", "image", "inspect", BASE_IMAGE], check=False).returncode != 0:
        raise SystemExit("%s is missing: run `make test-env` (scripts/build-test-image.sh bookworm) first" % BASE_IMAGE)
    want = inputs_hash()
    res = run(["docker", "image", "inspect", "-f", '{{index .Config.Labels "twzrd.bench.inputs"}}', IMAGE], check=False)
    if res.returncode == 0 and res.stdout.strip() == want:
        log("%s is up to date (inputs %s)" % (IMAGE, want))
        return
    log("building %s from %s (PM2 from npm, openssh-server, python3-psutil; about a minute)" % (IMAGE, BASE_IMAGE))
    name = "%sbuild-%d" % (PREFIX, os.getpid())
    run(["docker", "run", "-d", "--name", name, BASE_IMAGE, "sleep", "infinity"])
    try:
        run(["docker", "exec", name, "mkdir", "-p", "/tmp/bench"])
        for path in APPS + [CHECK_SCRIPT]:
            run(["docker", "cp", path, "%s:/tmp/bench/%s" % (name, os.path.basename(path))])
        run(["docker", "exec", "-i", name, "bash", "-s"], input=BUILD_SH)
        run(["docker", "commit", "-c", 'CMD ["/lib/systemd/systemd"]',
             "-c", "LABEL twzrd.bench.inputs=%s" % want, name, IMAGE])
    finally:
        run(["docker", "rm", "-f", name], check=False)
    log("built %s" % IMAGE)


# --- fleet -------------------------------------------------------------------------------

class Fleet:
    def __init__(self, count, workdir, keep):
        self.count = count
        self.workdir = workdir
        self.keep = keep
        self.names = ["%s%02d" % (PREFIX, i + 1) for i in range(count)]
        self.ports = {}
        self.key = os.path.join(workdir, "id_ed25519")

    def start(self):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key])
        with open(self.key + ".pub") as f:
            pub = f.read()
        self.remove()  # leftovers of an interrupted --keep run
        log("starting %d containers (%s..%s)" % (self.count, self.names[0], self.names[-1]))
        for name in self.names:
            run(["docker", "run", "-d", "--name", name, "--hostname", name, "--label", "twzrd.bench=1",
                 "-p", "127.0.0.1::22"] + docker_run_opts() + [IMAGE, "/lib/systemd/systemd"])
        for name in self.names:
            self.wait_boot(name)
            run(["docker", "exec", "-i", name, "sh", "-c",
                 "cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys"], input=pub)
            run(["docker", "exec", "-i", name, "bash", "-s"], input=START_SH)
            port = run(["docker", "port", name, "22/tcp"]).stdout.split()[0].rsplit(":", 1)[1]
            self.ports[name] = int(port)
        log("fleet ready: PM2 apps online and answering on every host")

    def wait_boot(self, name):
        """Wait for systemd; a boot that hangs (seen with many systemd containers on one
        machine, e.g. when fs.inotify.max_user_instances runs short) is restarted once."""
        for attempt in (1, 2):
            deadline = time.monotonic() + 90
            state = ""
            while time.monotonic() < deadline:
                res = run(["docker", "exec", name, "timeout", "15", "systemctl", "is-system-running", "--wait"], check=False)
                state = res.stdout.strip() or res.stderr.strip()
                if state in ("running", "degraded"):
                    return
                time.sleep(0.5)
            if attempt == 1:
                log("%s: systemd still '%s' after 90 s; restarting the container once" % (name, state))
                run(["docker", "restart", name])
        raise SystemExit("%s: systemd did not come up (%s); check fs.inotify.max_user_instances "
                         "(each systemd container uses several)" % (name, state))

    def remove(self):
        res = run(["docker", "ps", "-aq", "--filter", "name=^%s[0-9]+$" % PREFIX], check=False)
        ids = res.stdout.split()
        if ids:
            run(["docker", "rm", "-f"] + ids, check=False)

    def inventory(self, n, connection):
        path = os.path.join(self.workdir, "inventory-%s-%d.json" % (connection, n))
        hosts = {}
        for name in self.names[:n]:
            if connection == "docker":
                hosts[name] = {"ansible_connection": "community.docker.docker", "ansible_host": name}
            else:
                hosts[name] = {"ansible_host": "127.0.0.1", "ansible_port": self.ports[name]}
        group_vars = {
            "twzrd_ops_pm2_user": "twzrd",
            "twzrd_ops_expected_apps": APP_NAMES,
            "twzrd_ops_health_url": "http://localhost:8080/health",
            "twzrd_ops_fail_on_critical": False,
            "twzrd_ops_fleet_reports_dir": os.path.join(self.workdir, "reports"),
            # Containers see the load of the machine running them (20 of them on 2 cores).
            "twzrd_ops_load_warning": 50,
            "twzrd_ops_load_critical": 100,
        }
        if connection == "ssh":
            group_vars.update({
                "ansible_connection": "ansible.builtin.ssh",
                "ansible_user": "root",
                "ansible_ssh_private_key_file": self.key,
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
                "ansible_ssh_args": "-C -o ControlMaster=auto -o ControlPersist=60s",
                "ansible_ssh_pipelining": True,
            })
        with open(path, "w") as f:
            json.dump({"all": {"hosts": hosts, "vars": group_vars}}, f, indent=2)
        return path

    def ssh_argv(self, name):
        return ["ssh", "-i", self.key, "-p", str(self.ports[name]), "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "root@127.0.0.1"]

    def container_cpu(self, n):
        """CPU seconds used so far by the first n containers (cgroup v1 cpuacct or v2 cpu.stat)."""
        total = 0.0
        for name in self.names[:n]:
            cid = run(["docker", "inspect", "-f", "{{.Id}}", name]).stdout.strip()
            for path, scale, key in (("/sys/fs/cgroup/cpuacct/docker/%s/cpuacct.usage" % cid, 1e9, None),
                                     ("/sys/fs/cgroup/system.slice/docker-%s.scope/cpu.stat" % cid, 1e6, "usage_usec"),
                                     ("/sys/fs/cgroup/docker/%s/cpu.stat" % cid, 1e6, "usage_usec")):
                if os.path.exists(path):
                    with open(path) as f:
                        text = f.read()
                    if key is None:
                        total += int(text.strip()) / scale
                    else:
                        total += int(dict(l.split() for l in text.splitlines())[key]) / scale
                    break
            else:
                return None
        return total


# --- sources: the playbooks of a git ref, or the working tree -------------------------------

def export_ref(ref, workdir):
    """`git archive REF` into a directory laid out like a checkout after `make setup`."""
    sha = run(["git", "-C", ROOT, "rev-parse", "--short", ref + "^{commit}"]).stdout.strip()
    subject = run(["git", "-C", ROOT, "log", "-1", "--format=%s", sha]).stdout.strip()
    dest = os.path.join(workdir, "src-" + sha)
    os.makedirs(dest)
    archive = subprocess.Popen(["git", "-C", ROOT, "archive", sha], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", dest], stdin=archive.stdout, check=True)
    archive.wait()
    link = os.path.join(dest, ".ansible", "collections", "ansible_collections", "twzrd")
    os.makedirs(link)
    os.symlink("../../../..", os.path.join(link, "ops"))
    return {"ref": sha, "subject": subject, "dir": dest}


# --- measurements ------------------------------------------------------------------------

def ansible_env(extra=None, src=ROOT):
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = os.path.join(src, "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    env.update(extra or {})
    return env


def close_masters(cpdir):
    for sock in os.listdir(cpdir):
        subprocess.run(["ssh", "-S", os.path.join(cpdir, sock), "-O", "exit", "x"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(fn):
    before = os.times()
    t0 = time.monotonic()
    fn()
    wall = time.monotonic() - t0
    after = os.times()
    ctl = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, ctl


def one_run(fleet, kind, conn, n, workdir, extra_env=None, src=ROOT):
    """Run one measurement; returns (wall s, controller CPU s, containers CPU s, output)."""
    out = []
    cpu0 = fleet.container_cpu(n)

    if kind == "bash":
        def fn():
            for name in fleet.names[:n]:
                argv = (["docker", "exec", name] if conn == "docker" else fleet.ssh_argv(name)) + ["/usr/local/sbin/weekly-health-check.sh"]
                res = run(argv, check=False)
                if res.returncode != 0:
                    raise SystemExit("bash check failed on %s: %s%s" % (name, res.stdout, res.stderr))
                out.append(res.stdout)
    else:
        playbook = NAIVE if kind == "naive" else os.path.join(src, "playbooks", PLAYBOOKS[kind])
        inv = fleet.inventory(n, conn)
        cpdir = tempfile.mkdtemp(prefix="cp-", dir=workdir)
        env = ansible_env(dict({"ANSIBLE_SSH_CONTROL_PATH_DIR": cpdir}, **(extra_env or {})), src=src)

        def fn():
            res = run([ANSIBLE_PLAYBOOK, "-i", inv, "--forks", str(FORKS), playbook], check=False, env=env, cwd=src)
            out.append(res.stdout + res.stderr)
            if res.returncode != 0:
                raise SystemExit("%s failed (rc %d):\n%s" % (os.path.basename(playbook), res.returncode,
                                                             (res.stdout + res.stderr)[-4000:]))
    try:
        wall, ctl = timed(fn)
    finally:
        if kind != "bash":
            close_masters(cpdir)
            shutil.rmtree(cpdir, ignore_errors=True)
    cpu1 = fleet.container_cpu(n)
    if kind == "weekly":
        verify_fleet_report(fleet.workdir, n)
    return wall, ctl, (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None, "".join(out)


def verify_fleet_report(workdir, n):
    """Every host checked: the run measured real work, not n unreachable hosts."""
    reports = os.path.join(workdir, "reports")
    latest = sorted((os.path.join(reports, f) for f in os.listdir(reports) if f.endswith(".json")),
                    key=os.path.getmtime)[-1]
    with open(latest) as f:
        doc = json.load(f)
    checked = [h for h in doc["hosts"] if h.get("verdict") in ("ok", "warning", "critical")
               and h.get("host", "").startswith(PREFIX)]
    if len(checked) != n:
        raise SystemExit("fleet report %s: %d of %d hosts checked: %s" % (latest, len(checked), n, json.dumps(doc["counts"])))
    os.remove(latest)


def floor(fleet, workdir, runs):
    """Per-host primitives of a round trip, on the first host (median of runs, seconds)."""
    name = fleet.names[0]
    cases = [
        ("docker exec true", ["docker", "exec", name, "true"]),
        ("docker exec python3 -c pass", ["docker", "exec", name, "python3", "-c", "pass"]),
        ("docker exec python3 -c 'import psutil, json, subprocess'",
         ["docker", "exec", name, "python3", "-c", "import psutil, json, subprocess"]),
        ("docker exec su - twzrd -c 'pm2 jlist -s'", ["docker", "exec", name, "su", "-", "twzrd", "-c", "pm2 jlist -s"]),
        ("docker exec weekly-health-check.sh", ["docker", "exec", name, "/usr/local/sbin/weekly-health-check.sh"]),
        ("ssh (new connection) true", fleet.ssh_argv(name) + ["true"]),
        ("ssh (new connection) weekly-health-check.sh", fleet.ssh_argv(name) + ["/usr/local/sbin/weekly-health-check.sh"]),
    ]
    results = []
    for label, argv in cases:
        times = []
        for _run in range(runs):
            t0 = time.monotonic()
            run(argv)
            times.append(time.monotonic() - t0)
        results.append((label, statistics.median(times)))
    # One command over an open SSH master (what ControlPersist buys for every task after the first).
    cp = os.path.join(tempfile.mkdtemp(prefix="cpf-", dir=workdir), "m")
    base = fleet.ssh_argv(name)[:-1] + ["-o", "ControlMaster=auto", "-o", "ControlPersist=60s", "-o", "ControlPath=%s" % cp, "root@127.0.0.1"]
    run(base + ["true"])
    times = []
    for _run in range(runs):
        t0 = time.monotonic()
        run(base + ["true"])
        times.append(time.monotonic() - t0)
    results.append(("ssh over an open ControlPersist master: true", statistics.median(times)))
    subprocess.run(["ssh", "-S", cp, "-O", "exit", "x"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    # Ansible's own floor: start-up on the controller, then one module (ping) to one host.
    plays = (("ansible-playbook start-up: one debug task on localhost (no host contacted)",
              "localhost,", "ansible.builtin.debug: {msg: hi}", "localhost"),
             ("ansible-playbook: one ping task, 1 host, docker connection", fleet.inventory(1, "docker"),
              "ansible.builtin.ping:", "all"),
             ("ansible-playbook: one ping task, 1 host, ssh connection (cold)", fleet.inventory(1, "ssh"),
              "ansible.builtin.ping:", "all"))
    for label, inv, task, hosts in plays:
        path = os.path.join(workdir, "floor-play.yml")
        with open(path, "w") as f:
            f.write("- hosts: %s\n  gather_facts: false\n  tasks:\n    - %s\n" % (hosts, task))
        times = []
        for _run in range(runs):
            cpdir = tempfile.mkdtemp(prefix="cp-", dir=workdir)
            env = ansible_env({"ANSIBLE_SSH_CONTROL_PATH_DIR": cpdir})
            t0 = time.monotonic()
            run([ANSIBLE_PLAYBOOK, "-i", inv, path], env=env, cwd=ROOT)
            times.append(time.monotonic() - t0)
            close_masters(cpdir)
        results.append((label, statistics.median(times)))
    return results


def profile(fleet, conn, src):
    inv = fleet.inventory(1, conn)
    cpdir = tempfile.mkdtemp(prefix="cp-", dir=fleet.workdir)
    env = ansible_env({"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
                       "ANSIBLE_SSH_CONTROL_PATH_DIR": cpdir, "PROFILE_TASKS_SORT_ORDER": "none",
                       "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all"}, src=src)
    try:
        t0 = time.monotonic()
        res = run([ANSIBLE_PLAYBOOK, "-i", inv, "--forks", str(FORKS),
                   os.path.join(src, "playbooks", "weekly-health.yml")], env=env, cwd=src)
        wall = time.monotonic() - t0
    finally:
        close_masters(cpdir)
    text = res.stdout
    # The recap of profile_tasks: from the last "=====" ruler on.
    idx = text.rfind("===============================================================================")
    lines = (text[idx:] if idx >= 0 else text[-4000:]).strip().splitlines()[1:]
    return "\n".join(["ansible-playbook wall %.2f s; tasks:" % wall] + lines)


def host_profile(fleet, src, runs):
    """Host side of the one-round-trip module: its AnsiballZ payload run by hand on the host.

    The module is shipped once with ANSIBLE_KEEP_REMOTE_FILES (no pipelining), then run again
    directly in the container: total time, then a cProfile of the module's own code."""
    module = os.path.join(src, "plugins", "modules", "host_check.py")
    if not os.path.exists(module):
        return None
    name = fleet.names[0]
    inv = fleet.inventory(1, "docker")
    env = ansible_env({"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_PIPELINING": "0"}, src=src)
    run(["docker", "exec", name, "rm", "-rf", "/root/.ansible/tmp"])
    run([ANSIBLE_PLAYBOOK, "-i", inv, os.path.join(src, "playbooks", "weekly-health.yml")], env=env, cwd=src)
    found = run(["docker", "exec", name, "sh", "-c", "ls /root/.ansible/tmp/*/AnsiballZ_host_check.py"]).stdout.split()
    if not found:
        return None
    payload = found[0]
    out = []
    for label, cmd in (("python3 -c pass", "python3 -c pass"),
                       ("python3 AnsiballZ_host_check.py (whole module, host side)", "python3 %s >/dev/null" % payload),
                       ("su - twzrd -c 'pm2 jlist -s'", "su - twzrd -c 'pm2 jlist -s' >/dev/null")):
        times = []
        for _run in range(runs):
            t0 = time.monotonic()
            run(["docker", "exec", name, "sh", "-c", cmd])
            times.append(time.monotonic() - t0)
        out.append("%-60s %6.3f s (docker exec, median of %d)" % (label, statistics.median(times), runs))
    prof = run(["docker", "exec", name, "sh", "-c",
                "cd $(dirname %s) && python3 AnsiballZ_host_check.py explode >/dev/null && cd debug_dir && "
                "python3 -c \"import cProfile, pstats, runpy, sys, io; sys.argv=['m', 'args']; sys.path.insert(0, '.');"
                "p=cProfile.Profile(); p.enable()\n"
                "try: runpy.run_module('ansible_collections.twzrd.ops.plugins.modules.host_check', run_name='__main__')\n"
                "except SystemExit: pass\n"
                "p.disable(); s=io.StringIO(); pstats.Stats(p, stream=s).sort_stats('cumulative').print_stats(25); sys.stderr.write(s.getvalue())\" "
                ">/dev/null" % payload], check=False)
    text = prof.stderr
    idx = text.find("ncalls")
    out.append("cProfile of the module run in-process on the host (cumulative, top 25):")
    out.append(text[idx:].rstrip() if idx >= 0 else text[-3000:])
    run(["docker", "exec", name, "rm", "-rf", "/root/.ansible/tmp"])
    return "\n".join(out)


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    ver = run([ANSIBLE_PLAYBOOK, "--version"]).stdout.splitlines()[0]
    git = run(["git", "-C", ROOT, "log", "-1", "--format=%h %s"], check=False).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu": cpu, "mem_gib": round(mem, 1), "python": platform.python_version(),
            "ansible": ver, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": git}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    ap.add_argument("--hosts", default="1,5,10,20")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--connection", default="docker,ssh")
    ap.add_argument("--measure", default="bash,naive,weekly")
    ap.add_argument("--keep", action="store_true", help="leave the containers running")
    ap.add_argument("--profile", action="store_true", help="task profile of weekly-health.yml on 1 host")
    ap.add_argument("--floor", action="store_true", help="per-host primitives of a round trip")
    ap.add_argument("--refs", default="",
                    help="git refs whose weekly-health.yml to measure, e.g. 9e92b80^,9e92b80 "
                         "(exported with git archive); default the working tree")
    ap.add_argument("--baseline-hosts", default="",
                    help="measure the first of --refs (the slow baseline) only at these host counts")
    ap.add_argument("--baseline-connection", default="",
                    help="measure the first of --refs only over these connections")
    ap.add_argument("--stop-at", default="",
                    help="HH:MM (UTC): start no new run after this time; report what was measured")
    ap.add_argument("--json", help="write all figures to this file")
    args = ap.parse_args()
    sizes = sorted({int(x) for x in args.hosts.split(",")})
    conns = [c for c in args.connection.split(",") if c]
    kinds = [k for k in args.measure.split(",") if k]
    if not os.path.exists(ANSIBLE_PLAYBOOK):
        raise SystemExit("%s missing: run `make setup` first" % ANSIBLE_PLAYBOOK)

    stop_at = None
    if args.stop_at:
        hh, mm = (int(x) for x in args.stop_at.split(":"))
        now = time.time()
        stop_at = now - now % 86400 + hh * 3600 + mm * 60
    build_image()
    workdir = tempfile.mkdtemp(prefix="twzrd-bench.")
    os.makedirs(os.path.join(workdir, "reports"))
    fleet = Fleet(max(sizes), workdir, args.keep)

    def cleanup(*_):
        if not args.keep:
            fleet.remove()
        shutil.rmtree(workdir, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info = machine()
    results = {"machine": info, "hosts": sizes, "runs": args.runs, "forks": FORKS, "cases": [], "floor": [],
               "profile": {}, "host_profile": {}, "sources": []}
    try:
        sources = [export_ref(r, workdir) for r in args.refs.split(",") if r] or \
            [{"ref": "worktree", "subject": "working tree of %s" % ROOT, "dir": ROOT}]
        results["sources"] = [{k: v for k, v in s.items() if k != "dir"} for s in sources]
        fleet.start()
        # Warm-up, not measured: page cache, docker exec paths, first Python start-ups.
        for name in fleet.names:
            run(["docker", "exec", name, "/usr/local/sbin/weekly-health-check.sh"])
        if args.floor:
            log("per-host primitives")
            results["floor"] = floor(fleet, workdir, max(args.runs, 5))
        if args.profile:
            for si, src in enumerate(sources):
                log("task profile of %s" % src["ref"])
                for conn in conns:
                    if si == 0 and len(sources) > 1 and args.baseline_connection and \
                            conn not in args.baseline_connection.split(","):
                        continue
                    results["profile"]["%s %s" % (src["ref"], conn)] = profile(fleet, conn, src["dir"])
                hp = host_profile(fleet, src["dir"], max(args.runs, 5))
                if hp:
                    results["host_profile"][src["ref"]] = hp
        # The cases; the baseline (first of several --refs, the slow one) goes last in the first
        # round so an interrupted or --stop-at run still has every figure of the code under test.
        cases = []
        for n in sizes:
            for kind in kinds:
                for si, src in enumerate(sources if kind in PLAYBOOKS else [None]):
                    for conn in conns:
                        baseline = bool(si == 0 and src and len(sources) > 1)
                        if baseline and (
                                (args.baseline_hosts and str(n) not in args.baseline_hosts.split(",")) or
                                (args.baseline_connection and conn not in args.baseline_connection.split(","))):
                            continue
                        cases.append((baseline, n, kind, src, conn))
        cases.sort(key=lambda c: c[0])
        # Interleaved: each round runs every case once (the next round in the reverse order), so
        # the floor and the flows it is compared with see the same machine. Run after run of one
        # case, then of the next, put them minutes apart, and a controller's CPU figure follows the
        # machine's load (its loops poll while they wait): the per-host ratio moved by 0.3-0.5x.
        rows = [[] for _case in cases]
        order = list(range(len(cases)))
        for i in range(args.runs):
            for ci in (order if i % 2 == 0 else order[::-1]):
                baseline, n, kind, src, conn = cases[ci]
                if stop_at and time.time() > stop_at:
                    break
                ref = src["ref"] if src else "-"
                load = os.getloadavg()[0]
                wall, ctl, hostcpu, _detail = one_run(fleet, kind, conn, n, workdir, src=src["dir"] if src else ROOT)
                rows[ci].append({"wall": wall, "controller_cpu": ctl, "hosts_cpu": hostcpu, "load1": load})
                log("%-6s %-9s %-6s %2d hosts run %d: %.2f s (controller CPU %.2f s, containers CPU %s s, load %.1f)"
                    % (kind, ref, conn, n, i + 1, wall, ctl, "-" if hostcpu is None else "%.2f" % hostcpu, load))
            results["cases"] = []
            for (baseline, n, kind, src, conn), done in zip(cases, rows):
                if done:
                    results["cases"].append({"kind": kind, "ref": src["ref"] if src else "-", "connection": conn, "hosts": n,
                                             "runs": done, "wall": median(done, "wall"),
                                             "controller_cpu": median(done, "controller_cpu"),
                                             "hosts_cpu": median(done, "hosts_cpu"), "load1": median(done, "load1")})
            if args.json:  # partial results survive an interrupted run
                with open(args.json, "w") as f:
                    json.dump(results, f, indent=2)
        for (baseline, n, kind, src, conn), done in zip(cases, rows):
            if not done:
                log("--stop-at reached: %s %s %s %d hosts not measured" % (kind, src["ref"] if src else "-", conn, n))
    finally:
        cleanup()

    report(results, kinds, conns, sizes)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


def median(rows, key):
    values = [r[key] for r in rows if r[key] is not None]
    return statistics.median(values) if values else None


def report(results, kinds, conns, sizes):
    info = results["machine"]
    print("\nMachine: %(cpus)s CPU %(cpu)s, %(mem_gib)s GiB, Python %(python)s, %(ansible)s, %(date)s" % info)
    for src in results["sources"]:
        print("weekly-health.yml of %(ref)s: %(subject)s" % src)
    print("Wall seconds, median of %d runs; forks %d; in brackets: controller CPU s / containers CPU s.\n"
          % (results["runs"], results["forks"]))
    label = {"bash": "bash check, host after host", "naive": "naive play (one `command` task)", "weekly": "`weekly-health.yml`",
             "status": "`status.yml`", "alerts": "`alerts.yml`"}
    print("| | ref | connection | " + " | ".join("%d host%s" % (n, "" if n == 1 else "s") for n in sizes) + " |")
    print("|---|---|---|" + "---|" * len(sizes))
    by = {(c["kind"], c["ref"], c["connection"], c["hosts"]): c for c in results["cases"]}
    refs = [s["ref"] for s in results["sources"]]
    for kind in kinds:
        for ref in (refs if kind in PLAYBOOKS else ["-"]):
            for conn in conns:
                cells = []
                for n in sizes:
                    c = by.get((kind, ref, conn, n))
                    if not c:
                        cells.append("-")
                        continue
                    hcpu = "-" if c["hosts_cpu"] is None else "%.1f" % c["hosts_cpu"]
                    cells.append("%.1f (%.1f / %s)" % (c["wall"], c["controller_cpu"], hcpu))
                print("| %s | %s | %s | %s |" % (label[kind], ref, conn, " | ".join(cells)))
    lo, hi = min(sizes), max(sizes)
    print()
    for ref in refs:
        for conn in conns:
            w1, wn = by.get(("weekly", ref, conn, lo)), by.get(("weekly", ref, conn, hi))
            b1, bn = by.get(("bash", "-", conn, lo)), by.get(("bash", "-", conn, hi))
            checks = [("weekly %d / bash %d" % (lo, lo), w1, b1, 2.0)]
            if hi != lo:
                checks += [("weekly %d / bash loop over %d" % (hi, hi), wn, bn, 0.5),
                           ("weekly %d / weekly %d" % (hi, lo), wn, w1, 3.0)]
            for name, num, den, target in checks:
                if num and den:
                    ratio = num["wall"] / den["wall"]
                    print("%-9s %-6s %-28s %6.2fx  target <= %.1fx  %s" % (
                        ref, conn, name, ratio, target, "met" if ratio <= target else "NOT MET"))
    # Issue 23: controller CPU per extra host against the one-task floor (the naive play), and
    # the one-host wall against the floor's, from the same run.
    if hi != lo:
        print()
        for conn in conns:
            f1, fn = by.get(("naive", "-", conn, lo)), by.get(("naive", "-", conn, hi))
            if not (f1 and fn):
                continue
            floor_per_host = (fn["controller_cpu"] - f1["controller_cpu"]) / (hi - lo)
            print("%-6s %-34s controller CPU per extra host %.3f s" % (conn, "floor (one-task play)", floor_per_host))
            for kind in [k for k in kinds if k in PLAYBOOKS]:
                for ref in refs:
                    c1, cn = by.get((kind, ref, conn, lo)), by.get((kind, ref, conn, hi))
                    if not (c1 and cn):
                        continue
                    per_host = (cn["controller_cpu"] - c1["controller_cpu"]) / (hi - lo)
                    print("%-6s %-34s controller CPU per extra host %.3f s = %.2fx floor; 1-host wall %.2fx floor's%s" % (
                        conn, "%s (%s)" % (PLAYBOOKS[kind], ref), per_host, per_host / floor_per_host if floor_per_host > 0 else 0,
                        c1["wall"] / f1["wall"], "  (targets <= 1.2x)" if kind == "weekly" else ""))
    if results["floor"]:
        print("\nPer-host primitives (first host, median):")
        for label_, t in results["floor"]:
            print("  %-78s %6.3f s" % (label_, t))
    for key, text in results["profile"].items():
        print("\nTask profile, weekly-health.yml of %s connection, 1 host:\n%s" % (key, text))
    for ref, text in results["host_profile"].items():
        print("\nHost side of host_check (%s), first host:\n%s" % (ref, text))


if __name__ == "__main__":
    main()
