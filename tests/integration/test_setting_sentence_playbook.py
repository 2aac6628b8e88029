"""status.yml with a wrong type and a misspelt variable from -e, against this machine
(connection local; the host is not contacted: its settings are refused first). The operator
reads ONE sentence per problem, ours (module_utils/settings.one_sentence_each), never
Ansible's argument-spec message beside it, and a misspelt name's likely name first with at
most a few names after it. Real ansible-playbook, the collection's stdout callback."""

from __future__ import annotations

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
