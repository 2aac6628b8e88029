"""`-e key=value` always passes strings; the flows read them as Ansible's argument spec does
('1' -> 1, 'true' -> True) and keep the one-sentence error for real mistakes (issue 21).

Every numeric and boolean setting of meta/argument_specs.yml is passed as `-e name=VALUE`
(its default, spelled as a string) to each mutating playbook in --check against localhost with
a real PM2 (private PM2_HOME): one ansible-playbook call per playbook, all -e's at once. Then a
few real mistakes, which must fail on the controller before any host is touched.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPECS = os.path.join(ROOT, "roles", "twzrd_ops", "meta", "argument_specs.yml")
# Set by the test's own file of variables (where the run writes, whose PM2 it reads) or not a
# host setting at all (the run's host pattern).
OWN = {"twzrd_ops_become", "twzrd_ops_pm2_startup"}


def _strings():
    """name=VALUE for every int, float and bool setting, VALUE its default as -e would spell it."""
    with open(SPECS, encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    pairs = []
    for name, spec in sorted(options.items()):
        if name in OWN or spec.get("type") not in ("int", "float", "bool") or spec.get("default") is None:
            continue
        default = spec["default"]
        pairs.append("%s=%s" % (name, str(default).lower() if isinstance(default, bool) else default))
    return pairs


def _own_vars(tmp_path, pm2_bin, pm2_home):
    extra = {
        "twzrd_ops_hosts": "localhost", "twzrd_ops_pm2_user": "", "twzrd_ops_pm2_home": pm2_home,
        "twzrd_ops_pm2_path": pm2_bin, "twzrd_ops_expected_apps": [], "twzrd_ops_health_url": "",
        "twzrd_ops_restart_log": str(tmp_path / "restart.log"), "twzrd_ops_fleet_reports_dir": str(tmp_path / "reports"),
        "twzrd_ops_alerts_config_file": str(tmp_path / "config.json"), "twzrd_ops_patch_reboot": "never",
        "twzrd_ops_patch_records_dir": str(tmp_path / "patches"), "twzrd_ops_silence_action": "list",
        "ansible_python_interpreter": sys.executable,
    }
    (tmp_path / "config.json").write_text(json.dumps({"alerts": {"state_file": str(tmp_path / "alerts-state.json"),
                                                                 "log_file": str(tmp_path / "alerts.log")}}))
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(extra))
    return ["-e", "@%s" % path, "-e", "twzrd_ops_become=false"]


def test_every_numeric_and_boolean_setting_is_read_from_a_string(tmp_path, run_playbook, pm2, pm2_bin, pm2_home):
    pairs = _strings()
    assert "twzrd_ops_restart_verify_retries=6" in pairs and "twzrd_ops_patch_force=false" in pairs, pairs
    assert len(pairs) >= 40, pairs  # every kind of setting, not a handful
    strings = [arg for pair in pairs for arg in ("-e", pair)]
    own = _own_vars(tmp_path, pm2_bin, pm2_home)
    pm2("ping")  # a daemon with no app: the flows read an empty process list
    for playbook in ("restart.yml", "patch.yml", "emergency-swap.yml", "emergency-load.yml",
                     "emergency-crashloop.yml", "silence.yml"):
        proc = run_playbook("playbooks/" + playbook, "-i", "localhost,", "-c", "local", "--check", *(own + strings))
        said = proc.stdout + proc.stderr
        assert proc.returncode == 0, (playbook, said[-4000:])
        assert "must be a whole number" not in said and "must be a number" not in said, playbook


@pytest.mark.parametrize("playbook, pair, sentence", [
    ("patch.yml", "twzrd_ops_patch_reboot_timeout=59", "twzrd_ops_patch_reboot_timeout must be at least 60, got 59."),
    ("patch.yml", "twzrd_ops_patch_online_timeout=4", "twzrd_ops_patch_online_timeout must be at least 5, got 4."),
    ("restart.yml", "twzrd_ops_restart_verify_retries=-1", "twzrd_ops_restart_verify_retries"),
    ("emergency-crashloop.yml", "twzrd_ops_crashloop_watch=0", "twzrd_ops_crashloop_watch must be at least 1, got 0."),
])
def test_a_real_mistake_still_fails_with_its_sentence(tmp_path, run_playbook, pm2_bin, pm2_home, playbook, pair, sentence):
    proc = run_playbook("playbooks/" + playbook, "-i", "localhost,", "-c", "local", "--check",
                        *(_own_vars(tmp_path, pm2_bin, pm2_home) + ["-e", pair]))
    assert proc.returncode != 0
    assert sentence in " ".join(proc.stdout.split()), proc.stdout[-3000:]
    assert ": Restart the PM2 apps]" not in proc.stdout and ": Update the package lists (apt update)]" not in proc.stdout


def test_silence_listings_print_one_line_per_silence_without_a_literal_newline(tmp_path, run_playbook, pm2_bin, pm2_home):
    """Issue 24: the host's and the fleet's listings were one string with literal \\n in it."""
    own = _own_vars(tmp_path, pm2_bin, pm2_home)
    for target in ("swap", "load"):
        proc = run_playbook("playbooks/silence.yml", "-i", "localhost,", "-c", "local", *own,
                            "-e", "twzrd_ops_silence_action=add", "-e", "twzrd_ops_silence_target=" + target,
                            "-e", "twzrd_ops_silence_duration=1h", "-e", "twzrd_ops_silence_reason=test")
        assert proc.returncode == 0, proc.stdout[-3000:]
    listed = run_playbook("playbooks/silence.yml", "-i", "localhost,", "-c", "local", *own)
    assert listed.returncode == 0, listed.stdout[-3000:]
    assert "\\n" not in listed.stdout, listed.stdout
    # one item of the debug message per silence and per host (the callback quotes each item)
    lines = [line.strip().lstrip("- ").strip("'\"") for line in listed.stdout.splitlines()]
    for target in ("swap", "load"):
        assert any(line.startswith("s-") and (" %s until " % target) in line and line.endswith(": test") for line in lines), lines
    assert "localhost: 2 active silence(s)" in lines, lines


def test_the_read_only_playbooks_read_every_setting_from_a_string_too(tmp_path, run_playbook, pm2, pm2_bin, pm2_home):
    """weekly-health, status, alerts and audit gather their settings on the controller
    (fleet_settings): the same strings must be read the same way, and the host checked, not
    reported "not checked" (a bad setting fails only its host there, so rc alone would hide it)."""
    strings = [arg for pair in _strings() for arg in ("-e", pair)]
    own = _own_vars(tmp_path, pm2_bin, pm2_home)  # --check: the host's report directory is only read
    pm2("ping")
    for playbook in ("weekly-health.yml", "status.yml", "alerts.yml", "audit.yml"):
        proc = run_playbook("playbooks/" + playbook, "-i", "localhost,", "-c", "local", "--check", *(own + strings))
        said = " ".join((proc.stdout + proc.stderr).split())
        for refusal in ("must be a whole number", "must be a number", "must be true or false", "not checked:", "Not checked:", "Traceback"):
            assert refusal not in said, (playbook, refusal, said[-4000:])
        assert "localhost" in said and "ok=" in said, (playbook, said[-3000:])
