"""A bad setting on one host fails that host, not the fleet (issue 21, h15).

Two hosts (both this machine, connection local): `good` with sane settings, `bad` with a
broken threshold and a webhook URL (a secret) that is also broken. The read-only flows check
`good` for real, report `bad` "not checked: <the sentence>" in the summary (and the fleet
report), exit non-zero, and never show the secret. Real parts: ansible-playbook, the modules
on this host, the fleet reports on disk; nothing is mocked.
"""

from __future__ import annotations

import glob
import json

import pytest
import yaml

SECRET = "hooks.example/BAD-HOST-S3CRET"


def _inventory(tmp_path):
    common = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "twzrd_ops_become": False,
        "twzrd_ops_pm2_user": "",
        "twzrd_ops_health_url": "",
        "twzrd_ops_disk_paths": [str(tmp_path)],
        "twzrd_ops_alerts_config_file": str(tmp_path / "not-set-up" / "config.json"),
    }
    bad = dict(common, twzrd_ops_swap_warning="lots", twzrd_ops_alerts_webhook_url="ftp://" + SECRET)
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": {"good": common, "bad": bad}}}))
    return str(path)


@pytest.mark.parametrize("playbook", ["weekly-health.yml", "status.yml", "alerts.yml", "audit.yml"])
def test_the_bad_host_is_not_checked_and_the_good_one_is(run_playbook, tmp_path, playbook):
    reports = tmp_path / "reports"
    proc = run_playbook("playbooks/" + playbook, "-i", _inventory(tmp_path), "-e", "twzrd_ops_fleet_reports_dir=%s" % reports,
                        "-e", "twzrd_ops_fail_on_critical=false",
                        "--skip-tags", "host_report")  # the hosts' own report directories are left alone
    out = proc.stdout + proc.stderr
    flat = " ".join(out.split())  # the YAML output folds long lines
    assert proc.returncode != 0, out[-3000:]
    assert SECRET not in out
    # The bad host is named with the sentence of the broken setting, the secret's value hidden.
    assert "not checked: " in out and "twzrd_ops_swap_warning" in out, out[-3000:]
    assert "not checked: not checked:" not in flat, out[-3000:]  # said once, not twice
    assert "twzrd_ops_alerts_webhook_url must be empty or an http(s) URL (value hidden)." in flat
    recap = out[out.index("PLAY RECAP"):]
    # `good` was contacted and checked: its check task ran (ok), not skipped only.
    if playbook == "alerts.yml":
        assert "good: ok" in out or "good: warning" in out or "good: critical" in out, out[-3000:]
    elif playbook == "status.yml":
        table = out[out.index("Fleet status"):]
        good_row = [line for line in table.splitlines() if line.strip().startswith("good ")]
        assert good_row and "UNKNOWN" not in good_row[0].upper().split()[1], table[:2000]
    else:
        name = "weekly-health-*.json" if playbook == "weekly-health.yml" else "audit-*.json"
        [report] = glob.glob(str(reports / name))
        document = json.loads(open(report).read())
        rows = dict((h["host"], h) for h in document["hosts"])
        if playbook == "audit.yml":
            assert rows["good"]["result"]["state"] == "checked"
            assert rows["bad"]["result"]["state"] == "failed"
            assert rows["bad"]["result"]["error"].startswith("not checked: ")
        else:
            assert rows["good"]["verdict"] in ("ok", "warning", "critical")
            assert rows["bad"]["verdict"] == "unknown"
            assert rows["bad"]["error"].startswith("not checked: ")
        assert SECRET not in open(report).read()
    assert "good" in recap and "bad" in recap
