"""status.yml with a wrong type and a misspelt variable from -e, against this machine
(connection local; the host is not contacted: its settings are refused first). The operator
reads ONE sentence per problem, ours (module_utils/settings.one_sentence_each), never
Ansible's argument-spec message beside it, and a misspelt name's likely name first with at
most a few names after it. Real ansible-playbook, the collection's stdout callback."""

from __future__ import annotations

import os
import re

import pytest
import yaml


def _inventory(tmp_path):
    host = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "twzrd_ops_become": False, "twzrd_ops_pm2_user": "", "twzrd_ops_health_url": "",
            "twzrd_ops_disk_paths": [str(tmp_path)]}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": {"web1": host}}}))
    return str(path)


def _told(proc):
    """The sentences of the 'Say which hosts are not checked' task, unfolded."""
    out = proc.stdout
    start = out.index("Say which hosts are not checked")
    block = out[start:out.index("PLAY [", start)]
    flat = " ".join(block.split()).replace("''", "'")
    return flat[flat.index("Not checked, invalid twzrd_ops settings on web1: ") + len("Not checked, invalid twzrd_ops settings on web1: "):]


@pytest.mark.parametrize("extra, sentence", [
    ("twzrd_ops_crash_threshold=abc", "Setting twzrd_ops_crash_threshold must be a number, got 'abc'."),
    ("twzrd_ops_cron_enabled=maybe", "Setting twzrd_ops_cron_enabled must be true or false, got 'maybe'."),
])
def test_a_wrong_type_is_one_sentence_of_ours(run_playbook, tmp_path, extra, sentence):
    proc = run_playbook("playbooks/status.yml", "-i", _inventory(tmp_path), "-e", extra,
                        env={"ANSIBLE_STDOUT_CALLBACK": "twzrd.ops.runbook"}, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    told = _told(proc)
    assert told.startswith(sentence + "'"), told[:600]
    assert "unable to convert" not in proc.stdout and "argument '" not in proc.stdout, proc.stdout[-3000:]


def test_a_misspelt_variable_says_the_likely_name_first_and_no_long_list(run_playbook, tmp_path):
    proc = run_playbook("playbooks/status.yml", "-i", _inventory(tmp_path), "-e", "twzrd_ops_crash_treshold=3",
                        env={"ANSIBLE_STDOUT_CALLBACK": "twzrd.ops.runbook"}, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    told = _told(proc)
    assert told.startswith("Unknown twzrd_ops variable: twzrd_ops_crash_treshold. Perhaps you meant twzrd_ops_crash_threshold."), told
    sentence = told[:told.index("'")]
    assert len(re.findall(r"twzrd_ops_\w+", sentence)) <= 7 and len(sentence) < 300, sentence


@pytest.mark.parametrize("playbook, extra", [
    ("playbooks/silence.yml", ["-e", "twzrd_ops_silence_action=list"]),
    ("playbooks/restart.yml", []),
])
def test_a_mutating_flow_refuses_a_wrong_type_in_one_sentence_of_ours(run_playbook, tmp_path, playbook, extra):
    # The flows' entry points leave the option list to the role's `main`: their settings are checked
    # by the collection's rules (validate.yml, flow_settings), never by Ansible's per-host argument
    # check, whose failure printed the whole specification beside its own wording.
    # --check and a PM2 that does not exist: were the setting ever let through, nothing here would change.
    proc = run_playbook(playbook, "--check", "-i", _inventory(tmp_path), "-e", "twzrd_ops_crash_threshold=abc",
                        "-e", "twzrd_ops_pm2_path=/nonexistent/pm2", *extra,
                        env={"ANSIBLE_STDOUT_CALLBACK": "twzrd.ops.runbook"}, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "Setting twzrd_ops_crash_threshold must be a number, got 'abc'." in proc.stdout, proc.stdout[-3000:]
    assert "unable to convert" not in proc.stdout and "argument_spec" not in proc.stdout, proc.stdout[-3000:]
    assert "changed=0" in proc.stdout, proc.stdout[-2000:]


def test_the_runbook_callback_imports_the_collections_plugins_once_in_the_main_process(run_playbook, tmp_path):
    # Every task's worker is forked from the main process: with the collection's filter, lookup and
    # action plugins imported there first, a task that uses one does not import them again.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    wanted = sum(len([n for n in os.listdir(os.path.join(root, "plugins", kind)) if n.endswith(".py") and not n.startswith("_")])
                 for kind in ("filter", "lookup", "action"))
    proc = run_playbook("playbooks/status.yml", "-i", _inventory(tmp_path), "-vvvv",
                        env={"ANSIBLE_STDOUT_CALLBACK": "twzrd.ops.runbook"}, timeout=300)
    assert "twzrd.ops.runbook: imported %d collection plugins in the main process" % wanted in proc.stdout, proc.stdout[:3000]
