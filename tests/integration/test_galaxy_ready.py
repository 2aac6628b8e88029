# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as a Galaxy user gets it: the built tarball holds what a user needs and
nothing else, and it works with ansible-core alone plus the collections galaxy.yml declares.

No Galaxy server is reachable here, so the declared dependency (ansible.posix) is installed
from the copy the `ansible` package ships in the test virtualenv: `ansible-galaxy collection
install --offline TARBALL DIR` resolves twzrd.ops' dependency against that directory, exactly
as it would against a server. The run then uses a fresh virtualenv holding only ansible-core
and a collections path holding only twzrd.ops and ansible.posix, and reaches a systemd
container over SSH on 127.0.0.1 (the ssh connection is part of ansible-core, so nothing else is
needed on the controller; the container is the image scripts/build-test-image.sh builds).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time

import pytest
import yaml

from conftest import ROOT, VENV_BIN

IMAGE = os.environ.get("TWZRD_GALAXY_TEST_IMAGE", "twzrd-ops-test:bookworm")

# What a user needs, and nothing a development checkout holds besides.
TOP_LEVEL = {
    "CHANGELOG.md", "CODE_OF_CONDUCT.md", "CONTRIBUTING.md", "COPYING", "FILES.json", "LICENSES",
    "MANIFEST.json", "README.md", "changelogs", "docs", "meta", "playbooks", "plugins", "roles", "tests",
    "extras",  # Prometheus alerting rules for the textfile metrics
}
NEVER_SHIPPED = (
    "Makefile", "scripts/", "benchmarks/", "inventories/", "molecule/", ".ansible-lint", ".yamllint",
    "requirements-dev.txt", "requirements-tools.txt", "requirements.txt", "requirements.yml", "ansible.cfg",
    "tests/output/", "tests/unit/", "tests/integration/", ".venv/", ".tools/", ".ansible/", "reports/",
    "changelogs/fragments/", ".hypothesis/",
)


def _clean_env(**extra):
    """The environment of a user's shell: no ANSIBLE_* from make, no test virtualenv on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if os.path.abspath(p) != VENV_BIN)
    env["ANSIBLE_NOCOLOR"] = "1"
    env.update(extra)
    return env


def _run(args, cwd, env, timeout=600):
    return subprocess.run([str(a) for a in args], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _version():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    build = _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", "--output-path", out, ROOT],
                 ROOT, _clean_env(PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", "")))
    assert build.returncode == 0, build.stdout + build.stderr
    return out / ("twzrd-ops-%s.tar.gz" % _version())


def test_tarball_holds_what_a_user_needs_and_no_development_files(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert {n.split("/")[0] for n in names} == TOP_LEVEL
    leaked = [n for n in names if n.startswith(NEVER_SHIPPED) or n in {p.rstrip("/") for p in NEVER_SHIPPED}
              or "__pycache__" in n]
    assert leaked == []
    # Sanity's ignore file ships so that ansible-test sanity can run on the built collection;
    # ansible-builder reads the EE metadata and the Python requirements it points to.
    assert "tests/sanity/ignore-2.19.txt" in names
    assert {"meta/execution-environment.yml", "meta/ee-requirements.txt", "changelogs/changelog.yaml"} <= set(names)


def test_galaxy_metadata_declares_what_the_content_uses():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    # Task keywords (`ns.coll.module:`), filters and tests (`| ns.coll.name`), lookups.
    fqcn = re.compile(r"^\s*(?:- )?([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+:|\|\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+"
                      r"|(?:lookup|query)\(\s*['\"]([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+", re.M)
    used = set()
    for base in ("roles", "playbooks"):
        for directory, _dirs, files in os.walk(os.path.join(ROOT, base)):
            for name in files:
                if name.endswith((".yml", ".yaml", ".j2")):
                    with open(os.path.join(directory, name), encoding="utf-8") as handle:
                        used |= {c for match in fqcn.findall(handle.read()) for c in match if c}
    assert used - {"ansible.builtin", "twzrd.ops"} == set(galaxy["dependencies"]), "collections the content uses vs galaxy.yml"
    for key in ("repository", "documentation", "issues", "homepage"):
        assert not galaxy.get(key), "%s names an address that does not exist" % key


def test_ee_metadata_lists_unpinned_controller_requirements():
    with open(os.path.join(ROOT, "meta", "execution-environment.yml"), encoding="utf-8") as handle:
        ee = yaml.safe_load(handle)
    python_file = os.path.join(ROOT, ee["dependencies"]["python"])
    with open(python_file, encoding="utf-8") as handle:
        lines = [line.split("#")[0].strip() for line in handle]
    reqs = [line for line in lines if line]
    assert [re.split(r"[<>=!~ ]", r)[0] for r in reqs] == ["psutil"]
    assert not any("==" in r for r in reqs)


@pytest.fixture(scope="module")
def core_only(tarball, tmp_path_factory):
    """A fresh virtualenv with ansible-core only, and a collections path with the tarball and
    exactly the collections it declares (taken from the `ansible` package's copies)."""
    base = tmp_path_factory.mktemp("core-only")
    core_version = _run([os.path.join(VENV_BIN, "python"), "-c", "import ansible.release; print(ansible.release.__version__)"],
                        ROOT, _clean_env()).stdout.strip()
    venv = base / "venv"
    made = _run([sys.executable, "-m", "venv", venv], base, _clean_env())
    assert made.returncode == 0, made.stderr
    pip = _run([venv / "bin" / "pip", "install", "--quiet", "ansible-core==%s" % core_version], base, _clean_env())
    assert pip.returncode == 0, pip.stderr
    listed = json.loads(_run([venv / "bin" / "pip", "list", "--format", "json"], base, _clean_env()).stdout)
    assert "ansible" not in {p["name"].lower() for p in listed}, "the fresh virtualenv must not hold the ansible package"

    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        declared = sorted(yaml.safe_load(handle)["dependencies"])
    # The `ansible` package of the test virtualenv (this interpreter's) ships the collections.
    bundled = os.path.join(sysconfig.get_paths()["purelib"], "ansible_collections")
    sources = [os.path.join(bundled, *name.split(".")) for name in declared]
    collections = base / "collections"
    env = _clean_env(PATH=str(venv / "bin") + os.pathsep + os.environ.get("PATH", ""))
    # --force and a collections path of its own: a copy installed elsewhere must not satisfy it.
    install = _run([venv / "bin" / "ansible-galaxy", "collection", "install", "--offline", "--force", "-p", collections, tarball]
                   + sources, base, dict(env, ANSIBLE_COLLECTIONS_PATH=str(collections)))
    assert install.returncode == 0, install.stdout + install.stderr
    installed = sorted("%s.%s" % (ns, name) for ns in os.listdir(collections / "ansible_collections")
                       for name in os.listdir(collections / "ansible_collections" / ns))
    assert installed == sorted(["twzrd.ops"] + declared)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    # Only the installed collections: not the ones a Python package might bring.
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "False"
    return {"bin": venv / "bin", "env": env, "collections": collections / "ansible_collections", "base": base}


def test_install_needs_the_declared_dependency(core_only, tarball, tmp_path):
    """Offline and with ansible-core alone, the tarball does not install without ansible.posix:
    galaxy.yml really declares it."""
    empty = tmp_path / "empty"
    env = dict(core_only["env"], ANSIBLE_COLLECTIONS_PATH=str(empty))
    alone = _run([core_only["bin"] / "ansible-galaxy", "collection", "install", "--offline", "-p", empty, tarball], tmp_path, env)
    assert alone.returncode != 0 and "ansible.posix" in alone.stdout + alone.stderr


def test_ansible_builder_reads_the_ee_metadata(core_only, tmp_path):
    """ansible-builder finds the collection's controller requirements in the installed tarball
    and accepts an execution environment built on it. `ansible-builder build` needs a base image
    with pip from a registry, which this machine cannot pull: only the build context is checked."""
    builder = os.path.join(VENV_BIN, "ansible-builder")
    introspect = _run([builder, "introspect", "--sanitize", core_only["collections"].parent], tmp_path, _clean_env())
    assert introspect.returncode == 0, introspect.stderr
    deps = yaml.safe_load(introspect.stdout.split("---", 1)[1])
    assert deps["python"] == ["psutil>=5.8.0  # from collection twzrd.ops"]

    definition = tmp_path / "execution-environment.yml"
    definition.write_text(yaml.safe_dump({
        "version": 3,
        # A local image name: nothing is pulled by `create`.
        "images": {"base_image": {"name": IMAGE}},
        "dependencies": {
            "ansible_core": {"package_pip": "ansible-core>=2.19.0"},
            "ansible_runner": {"package_pip": "ansible-runner"},
            "galaxy": {"collections": [{"name": "twzrd.ops"}]},
        },
    }))
    create = _run([builder, "create", "-f", definition, "-c", tmp_path / "context"], tmp_path, _clean_env())
    assert create.returncode == 0, create.stdout + create.stderr
    # Containerfile for podman, Dockerfile when docker is the runtime found.
    recipe = [tmp_path / "context" / n for n in ("Containerfile", "Dockerfile") if (tmp_path / "context" / n).is_file()]
    assert len(recipe) == 1 and "ansible-galaxy" in recipe[0].read_text() + (tmp_path / "context" / "_build" / "scripts" / "assemble").read_text()
    assert "twzrd.ops" in (tmp_path / "context" / "_build" / "requirements.yml").read_text()


@pytest.fixture(scope="module")
def container(core_only):
    """A systemd container reachable over SSH on 127.0.0.1 only."""
    if shutil.which("docker") is None or _run(["docker", "image", "inspect", IMAGE], ROOT, _clean_env()).returncode != 0:
        pytest.fail("docker and the image %s are needed: run `make test-env`" % IMAGE)
    base = core_only["base"]
    key = base / "id_ed25519"
    keygen = _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], base, _clean_env())
    assert keygen.returncode == 0, keygen.stderr
    name = "twzrd-galaxy-ready-%d" % os.getpid()
    run = _run(["docker", "run", "-d", "--name", name, "-p", "127.0.0.1::22",
                "--cap-add", os.environ.get("MOLECULE_DOCKER_CAPABILITY", "SYS_ADMIN"),
                "--security-opt", os.environ.get("MOLECULE_DOCKER_SECURITY_OPT", "seccomp=unconfined"),
                "--cgroupns", os.environ.get("MOLECULE_DOCKER_CGROUPNS", "host"),
                "--tmpfs", "/run", "--tmpfs", "/run/lock",
                "-v", os.environ.get("MOLECULE_DOCKER_CGROUP_VOLUME", "/sys/fs/cgroup:/sys/fs/cgroup:rw"),
                IMAGE, "/lib/systemd/systemd"], base, _clean_env())
    assert run.returncode == 0, run.stderr
    try:
        with open(str(key) + ".pub", encoding="utf-8") as handle:
            pub = handle.read().strip()
        setup = (
            "set -e; for i in $(seq 1 60); do systemctl is-system-running >/dev/null 2>&1 && break;"
            " [ \"$(systemctl is-system-running 2>/dev/null)\" = degraded ] && break; sleep 1; done;"
            " apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends"
            " openssh-server >/dev/null; mkdir -p -m 700 /root/.ssh; echo '%s' > /root/.ssh/authorized_keys;"
            " chmod 600 /root/.ssh/authorized_keys; systemctl enable --now ssh >/dev/null 2>&1;"
            # The user that would run the Node.js apps (the role's twzrd_ops_pm2_user).
            " id twzrd >/dev/null 2>&1 || useradd -m -s /bin/bash twzrd" % pub
        )
        prepared = _run(["docker", "exec", name, "sh", "-c", setup], base, _clean_env(), timeout=300)
        assert prepared.returncode == 0, prepared.stdout + prepared.stderr
        port = _run(["docker", "port", name, "22/tcp"], base, _clean_env()).stdout.strip().splitlines()[0].rsplit(":", 1)[1]
        inventory = base / "inventory.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": {"box": {
            "ansible_host": "127.0.0.1", "ansible_port": int(port), "ansible_user": "root",
            "ansible_ssh_private_key_file": str(key),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            # A bare Debian host: the role installs PM2 (from npm) itself; no app, no health endpoint.
            "twzrd_ops_install_pm2": True,
            "twzrd_ops_health_url": "",
            # The container sees the load of the machine running it; the load rule has its own tests.
            "twzrd_ops_load_warning": 50,
            "twzrd_ops_load_critical": 100,
        }}}}))
        deadline = time.time() + 30
        while True:
            ping = _run([core_only["bin"] / "ansible", "-i", inventory, "box", "-m", "ansible.builtin.ping"], base, core_only["env"])
            if ping.returncode == 0 or time.time() > deadline:
                break
            time.sleep(1)
        assert ping.returncode == 0, ping.stdout + ping.stderr
        yield inventory
    finally:
        _run(["docker", "rm", "-f", name], base, _clean_env())


def test_setup_weekly_health_and_status_run_with_core_and_declared_dependencies(core_only, container, tmp_path):
    env, bin_dir = core_only["env"], core_only["bin"]
    playbooks = core_only["collections"] / "twzrd" / "ops" / "playbooks"
    workdir = tmp_path / "operator"
    workdir.mkdir()

    def playbook(target, *args):
        return _run([bin_dir / "ansible-playbook", "-i", container, target] + list(args), workdir, env, timeout=900)

    setup = playbook("twzrd.ops.setup")
    assert setup.returncode == 0, setup.stdout[-4000:] + setup.stderr[-2000:]
    # (A second run changing nothing is molecule's `default` scenario's idempotence step.)

    health = playbook(str(playbooks / "weekly-health.yml"))
    assert health.returncode == 0, health.stdout[-4000:] + health.stderr[-2000:]
    reports = list((workdir / "reports").glob("weekly-health-*.md"))
    assert len(reports) == 1 and "box" in reports[0].read_text()

    status = playbook("twzrd.ops.status")
    assert status.returncode == 0, status.stdout[-4000:] + status.stderr[-2000:]
    assert "box" in status.stdout


def _tracked(*patterns):
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--"] + list(patterns),
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [p for p in out.splitlines() if os.path.exists(os.path.join(ROOT, p))]


def _exists(name, relative_to):
    return any(os.path.exists(os.path.join(base, name)) for base in (relative_to, ROOT))


def test_every_relative_link_and_named_markdown_file_exists():
    """No document points at a file the repository does not have."""
    link = re.compile(r"\]\(([^)\s]+)\)")
    named = re.compile(r"`([\w./-]+\.md)`")
    missing = []
    for doc in _tracked("*.md"):
        base = os.path.dirname(os.path.join(ROOT, doc))
        with open(os.path.join(ROOT, doc), encoding="utf-8") as handle:
            text = handle.read()
        for target in link.findall(text) + named.findall(text):
            path = target.split("#")[0]
            # Addresses, anchors, and the names of files the tools write (dated reports).
            if not path or re.match(r"^[a-z]+:", path) or "YYYY" in path:
                continue
            if not _exists(path, base):
                missing.append("%s -> %s" % (doc, target))
    assert missing == []


def test_every_path_named_in_a_playbook_header_exists():
    path = re.compile(r"(?<![\w/.{])((?:docs|roles|playbooks|inventories|plugins|meta|tests)/[\w./-]*[\w/]|(?<![\w-])[A-Z][A-Z_]+\.md)")
    missing = []
    for playbook in _tracked("playbooks/*.yml"):
        with open(os.path.join(ROOT, playbook), encoding="utf-8") as handle:
            header = []
            for line in handle:
                if line.startswith("---"):
                    continue
                if not line.startswith("#"):
                    break
                header.append(line)
        for name in path.findall("".join(header)):
            if not _exists(name, os.path.dirname(os.path.join(ROOT, playbook))):
                missing.append("%s -> %s" % (playbook, name))
    assert missing == []
