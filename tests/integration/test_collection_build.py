"""The collection builds with ansible-galaxy, installs from the tarball, and works from a
directory that knows nothing of this checkout (no ansible.cfg, no collection link)."""

from __future__ import annotations

import os
import subprocess
import tarfile

from conftest import ROOT, VENV_BIN


def _run(args, cwd, env):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_built_tarball_installs_and_runs_elsewhere(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    build = _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), ROOT], ROOT, env)
    assert build.returncode == 0, build.stderr
    tarball = tmp_path / "twzrd-ops-1.0.0.tar.gz"
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "plugins/modules/pm2_status.py" in names and "roles/twzrd_ops/tasks/main.yml" in names
    leaked = [n for n in names if n.split("/")[0] in (".venv", ".tools", ".ansible", "reports") or "__pycache__" in n
              or n.startswith(("tests/output", "benchmarks/data"))]
    assert leaked == []

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    collections = tmp_path / "collections"
    install = _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--force", "-p", str(collections), str(tarball)],
                   str(elsewhere), env)
    assert install.returncode == 0, install.stderr
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)

    doc = _run([os.path.join(VENV_BIN, "ansible-doc"), "twzrd.ops.pm2_status"], str(elsewhere), env)
    assert doc.returncode == 0 and "pm2 jlist" in doc.stdout, doc.stderr

    playbook = elsewhere / "check.yml"
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - ansible.builtin.import_role:\n"
        "        name: twzrd.ops.twzrd_ops\n"
        "        tasks_from: settings\n"
        "    - twzrd.ops.swap_usage:\n"
        "        disk_paths: [/]\n"
        "      register: usage\n"
        "    - ansible.builtin.assert:\n"
        "        that:\n"
        "          - usage.disks[0].total > 0\n"
        "          - usage.memory.total > 0\n"
        "          - twzrd_ops_swap_warning == 20\n"
    )
    run = _run(
        [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python"), str(playbook)],
        str(elsewhere), env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    listing = _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "list", "twzrd.ops"], str(elsewhere), env).stdout
    assert "# %s" % (collections / "ansible_collections") in listing and "twzrd.ops  1.0.0" in listing
