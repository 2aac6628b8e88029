"""The on-host command when its own code cannot load, for real: the role's template of
/usr/local/sbin/twzrd-ops rendered by ansible-playbook, the library installed by the role's
lib_install from the collection's module_utils, then damaged the ways a setup cut short, a
disk or a hand leaves it; each run is the rendered file run by /usr/bin/python3, as cron runs it.

The class: whatever stops the code from loading (a file cut short, a module missing, the
package gone) is one sentence, exit 3 (unknown), and the Prometheus textfile marked failed,
never a traceback. The destination is a temporary directory: this machine's own twzrd-ops is
never touched."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

LIB = os.path.join(ROOT, "plugins", "module_utils")
TEMPLATES = os.path.join(ROOT, "roles", "twzrd_ops", "templates")
PLAY = """
- name: Install the on-host command as the role does
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Create the library directory
      ansible.builtin.file:
        path: "{{ __twzrd_ops_lib_dir }}/twzrd_ops_lib"
        state: directory
        mode: "0755"
    - name: Write the package marker
      ansible.builtin.template:
        src: "{{ templates }}/usr/local/lib/twzrd-ops/twzrd_ops_lib/__init__.py.j2"
        dest: "{{ __twzrd_ops_lib_dir }}/twzrd_ops_lib/__init__.py"
        mode: "0644"
    - name: Install the check code
      twzrd.ops.lib_install:
        src: "{{ src }}"
        dest: "{{ __twzrd_ops_lib_dir }}/twzrd_ops_lib"
        keep: [__init__.py]
    - name: Write the command
      ansible.builtin.template:
        src: "{{ templates }}/usr/local/sbin/twzrd-ops.j2"
        dest: "{{ command }}"
        mode: "0755"
"""

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the library is installed owned by root: run as root (make test does)")


@pytest.fixture
def installed(tmp_path, play):
    """(command path, library package path, config path, textfile path): the role's command
    and library installed under tmp_path, with a config whose alerts write a textfile."""
    lib_dir = tmp_path / "lib"
    command = tmp_path / "sbin" / "twzrd-ops"
    (tmp_path / "sbin").mkdir()
    (tmp_path / "textfile").mkdir()
    config = tmp_path / "config.json"
    textfile = tmp_path / "textfile" / "twzrd_ops.prom"
    config.write_text(json.dumps({"alerts": {"textfile_path": str(textfile)}}))
    proc = play(PLAY, {"src": LIB, "templates": TEMPLATES, "command": str(command), "__twzrd_ops_lib_dir": str(lib_dir),
                       "__twzrd_ops_config_file": str(config), "__twzrd_ops_command": str(command)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return str(command), str(lib_dir / "twzrd_ops_lib"), str(config), str(textfile)


def run(command, *argv):
    proc = subprocess.run([command] + list(argv), capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def cut_short(package):
    """A setup killed while it wrote cli.py: the file holds its first part only."""
    path = os.path.join(package, "cli.py")
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(data[: len(data) // 2])


def module_missing(package):
    """Files of two releases side by side: a module cli.py imports is not there."""
    os.unlink(os.path.join(package, "common.py"))


def package_gone(package):
    shutil.rmtree(package)


def test_the_installed_command_runs_from_its_library(installed):
    # The control: the same install, undamaged, answers as the library does.
    command, _package, _config, textfile = installed
    code, out, err = run(command, "--version")
    assert code == 0 and out.startswith("twzrd-ops ") and err == ""
    assert not os.path.exists(textfile)


@pytest.mark.parametrize("damage", [cut_short, module_missing, package_gone], ids=lambda f: f.__name__)
def test_code_that_cannot_load_is_one_sentence_exit_3_and_a_failed_textfile(installed, damage):
    command, package, config, textfile = installed
    damage(package)
    code, out, err = run(command, "--config", config, "alerts")
    assert code == 3 and out == ""
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("twzrd-ops cannot load its code from %s (" % package), err
    assert err.rstrip().endswith("run setup.yml again to reinstall it."), err
    with open(textfile) as handle:
        metrics = handle.read()
    assert "\ntwzrd_ops_last_run_success 0\n" in metrics
    assert 'twzrd_ops_last_run_failure_info{reason="twzrd-ops cannot load its code from ' in metrics
    assert os.listdir(os.path.dirname(textfile)) == ["twzrd_ops.prom"]  # no temporary file left


def test_a_textfile_that_cannot_be_written_either_is_a_second_sentence(installed):
    command, package, config, textfile = installed
    package_gone(package)
    os.rmdir(os.path.dirname(textfile))
    code, _out, err = run(command, "--config=%s" % config, "health")
    lines = err.splitlines()
    assert code == 3 and "Traceback" not in err and len(lines) == 2, err
    assert lines[0].startswith("twzrd-ops cannot load its code from ")
    assert lines[1].startswith("twzrd-ops could not mark its Prometheus textfile failed either ("), err
