"""The on-host library install (twzrd.ops.lib_install, roles/twzrd_ops/tasks/command.yml) on a
host set up by an older release, for real: ansible-playbook, the real find / unarchive /
file modules over the local connection, the collection's real module_utils.

The older release laid the library out one file per module; the files it left are brought up
to date, a module the collection no longer has and a bytecode directory go, the package
marker stays, a second run changes nothing, --check changes nothing, and the installed
package runs the on-host command. The destination is a temporary directory, not
/usr/local/lib: this machine's own twzrd-ops is never touched."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

from conftest import ROOT

LIB = os.path.join(ROOT, "plugins", "module_utils")

PLAY = """
- name: Install the library
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Install the check code
      twzrd.ops.lib_install:
        src: "{{ src }}"
        dest: "{{ dest }}"
        keep: [__init__.py]
      register: installed
    - name: Show what changed
      ansible.builtin.debug:
        msg: "written={{ installed.written | join(',') }} removed={{ installed.removed | join(',') }}"
"""

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the library is installed owned by root: run as root (make test does)")


def _sources():
    return sorted(name for name in os.listdir(LIB) if name.endswith(".py") and name != "__init__.py")


def _older_release(dest):
    """The layout of the previous release: one file per module, copied by ansible.builtin.copy."""
    os.makedirs(dest)
    for name in _sources():
        shutil.copyfile(os.path.join(LIB, name), os.path.join(dest, name))
        os.chmod(os.path.join(dest, name), 0o644)
    with open(os.path.join(dest, "__init__.py"), "w") as handle:
        handle.write("# twzrd_ops_lib: the package marker the role writes\n")
    # What the new release changes: one module edited, one mode drifted, one module gone, bytecode.
    with open(os.path.join(dest, "checks.py"), "a") as handle:
        handle.write("\nOLDER_RELEASE = True\n")
    os.chmod(os.path.join(dest, "cli.py"), 0o600)
    with open(os.path.join(dest, "retired_module.py"), "w") as handle:
        handle.write("RETIRED = True\n")
    os.makedirs(os.path.join(dest, "__pycache__"))
    with open(os.path.join(dest, "__pycache__", "checks.cpython-311.pyc"), "wb") as handle:
        handle.write(b"\0")


def _tree(dest):
    """{relative path: (bytes or None for a directory, mode, uid, gid)} of the installed package."""
    out = {}
    for top, dirs, files in os.walk(dest):
        for name in dirs + files:
            path = os.path.join(top, name)
            info = os.lstat(path)
            data = None
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    data = handle.read()
            out[os.path.relpath(path, dest)] = (data, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return out


def _assert_holds_the_sources(dest):
    """dest holds the package marker and exactly the collection's modules, root-owned 0644."""
    tree = _tree(dest)
    assert sorted(tree) == sorted(["__init__.py"] + _sources())
    for name in _sources():
        with open(os.path.join(LIB, name), "rb") as handle:
            assert tree[name] == (handle.read(), 0o644, 0, 0), name


def _recap(proc):
    match = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=0\s+failed=0", proc.stdout)
    assert match, proc.stdout[-3000:] + proc.stderr[-3000:]
    return int(match.group(2))


def test_an_older_release_is_brought_up_to_date_in_one_task_and_stays_so(run_playbook, tmp_path):
    dest = str(tmp_path / "lib" / "twzrd_ops_lib")
    _older_release(dest)
    with open(os.path.join(dest, "__init__.py")) as handle:
        marker = handle.read()
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    extra = ["-e", "src=%s" % LIB, "-e", "dest=%s" % dest]

    # --check --diff: nothing changes on the host; the diff names the files, shows no code.
    older = _tree(dest)
    checked = run_playbook(str(playbook), "--check", "--diff", *extra)
    assert _recap(checked) == 1
    assert _tree(dest) == older
    assert "%s: write 2 file(s): checks.py, cli.py" % dest in checked.stdout, checked.stdout
    assert "%s: remove 2 stale entries: __pycache__, retired_module.py" % dest in checked.stdout, checked.stdout
    assert "OLDER_RELEASE" not in checked.stdout and "def main" not in checked.stdout

    # The real run: only what differs is written, what the collection lacks is removed.
    first = run_playbook(str(playbook), *extra)
    assert _recap(first) == 1
    assert "written=checks.py,cli.py removed=__pycache__,retired_module.py" in first.stdout, first.stdout
    _assert_holds_the_sources(dest)
    with open(os.path.join(dest, "__init__.py")) as handle:
        assert handle.read() == marker

    # Up to date: no change, nothing rewritten (same inodes), and --check agrees.
    inodes = dict((name, os.stat(os.path.join(dest, name)).st_ino) for name in os.listdir(dest))
    assert _recap(run_playbook(str(playbook), *extra)) == 0
    assert _recap(run_playbook(str(playbook), "--check", *extra)) == 0
    assert dict((name, os.stat(os.path.join(dest, name)).st_ino) for name in os.listdir(dest)) == inodes

    # The installed package is the on-host command's: it imports and answers --version.
    code = "import sys; sys.path.insert(0, %r); from twzrd_ops_lib.cli import main; sys.exit(main())" % os.path.dirname(dest)
    version = subprocess.run([sys.executable, "-I", "-c", code, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert version.returncode == 0 and re.search(r"\d+\.\d+\.\d+", version.stdout), version.stdout + version.stderr


def test_a_fresh_host_gets_the_whole_library_in_one_task(run_playbook, tmp_path):
    dest = tmp_path / "lib" / "twzrd_ops_lib"
    dest.mkdir(parents=True)
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    proc = run_playbook(str(playbook), "-e", "src=%s" % LIB, "-e", "dest=%s" % dest)
    assert _recap(proc) == 1
    assert sorted(os.listdir(str(dest))) == _sources()


def test_a_run_killed_half_way_leaves_whole_files_and_the_next_run_finishes(run_playbook, tmp_path):
    # The new files are unpacked into a staging directory inside the package and renamed over
    # the old ones, one rename each: a run killed while it unpacked leaves the package's files
    # as they were (whole) and its staging directory, which the next run removes.
    dest = str(tmp_path / "lib" / "twzrd_ops_lib")
    _older_release(dest)
    staging = os.path.join(dest, ".twzrd-staging")
    os.makedirs(staging)
    with open(os.path.join(LIB, "cli.py"), "rb") as handle:
        half = handle.read()[:500]
    with open(os.path.join(staging, "cli.py"), "wb") as handle:
        handle.write(half)  # the file the killed run was writing
    # A directory where a module goes (rename cannot replace it): removed, then the file.
    os.unlink(os.path.join(dest, "probe.py"))
    os.makedirs(os.path.join(dest, "probe.py", "inside"))
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    extra = ["-e", "src=%s" % LIB, "-e", "dest=%s" % dest]
    first = run_playbook(str(playbook), *extra)
    assert _recap(first) == 1
    assert "written=checks.py,cli.py,probe.py removed=.twzrd-staging,__pycache__,retired_module.py" in first.stdout, first.stdout
    _assert_holds_the_sources(dest)
    assert _recap(run_playbook(str(playbook), *extra)) == 0


def test_a_disk_that_fills_during_setup_leaves_the_library_as_it_was(run_playbook, tmp_path, mount_tmpfs, as_root):
    # A real tmpfs that holds the installed library but not the new release beside it: the
    # unpacking fails in the staging directory, every installed file stays whole and the
    # package still runs; with room again, the next run brings it up to date.
    src = tmp_path / "src"
    src.mkdir()
    for name in _sources():
        with open(os.path.join(LIB, name), "rb") as handle:
            (src / name).write_bytes(handle.read() + b"\n# a newer release, larger\n" + b"#" * 8000 + b"\n")
    disk = tmp_path / "disk"
    disk.mkdir()
    mount_tmpfs(disk, "900k")
    dest = str(disk / "twzrd_ops_lib")
    os.makedirs(dest)
    for name in _sources():
        shutil.copyfile(os.path.join(LIB, name), os.path.join(dest, name))
        os.chmod(os.path.join(dest, name), 0o644)
    with open(os.path.join(dest, "__init__.py"), "w") as handle:
        handle.write("# twzrd_ops_lib: the package marker the role writes\n")
    before = _tree(dest)
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    extra = ["-e", "src=%s" % src, "-e", "dest=%s" % dest]

    full = run_playbook(str(playbook), *extra)
    assert "failed=1" in full.stdout and "lib_install: ansible.builtin.unarchive on %s/.twzrd-staging failed" % dest in full.stdout, full.stdout
    after = _tree(dest)
    assert dict((k, v) for k, v in after.items() if not k.startswith(".twzrd-staging")) == before
    code = "import sys; sys.path.insert(0, %r); from twzrd_ops_lib.cli import main; sys.exit(main())" % os.path.dirname(dest)
    version = subprocess.run([sys.executable, "-I", "-c", code, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert version.returncode == 0, version.stderr

    assert as_root(["mount", "-o", "remount,size=8m", str(disk)]).returncode == 0
    assert _recap(run_playbook(str(playbook), *extra)) == 1
    assert sorted(os.listdir(dest)) == sorted(["__init__.py"] + _sources())
    assert _recap(run_playbook(str(playbook), *extra)) == 0
