"""The read-only flows read every host's twzrd_ops_* variables once, on the controller
(filter fleet_settings): the secrets among them (the webhook URL, the alert channels' tokens,
the fleet report's SMTP password) never reach Ansible's output, not even at -vvv.
Real parts: ansible-playbook against localhost (--check: nothing is written or sent)."""

from __future__ import annotations

import json

import pytest

SECRETS = ("hooks.example/WEBHOOK-S3CRET", "123:TELEGRAM-S3CRET", "SMTP-S3CRET")


@pytest.mark.parametrize("playbook", ["weekly-health.yml", "status.yml", "alerts.yml", "audit.yml"])
def test_no_secret_of_the_settings_reaches_the_output_at_vvv(run_playbook, tmp_path, playbook):
    extra = tmp_path / "secrets.json"
    extra.write_text(json.dumps({
        "twzrd_ops_become": False, "twzrd_ops_fail_on_critical": False, "twzrd_ops_alerts_fail_on": "none",
        "twzrd_ops_fleet_reports_dir": str(tmp_path / "reports"),
        "twzrd_ops_alerts_webhook_url": "https://" + SECRETS[0],
        "twzrd_ops_alerts_channels": [{"type": "telegram", "token": SECRETS[1], "chat_id": 1}],
        "twzrd_ops_fleet_report_email": {"host": "127.0.0.1", "port": 9, "username": "reports", "password": SECRETS[2],
                                         "from": "twzrd@example.org", "to": ["ops@example.org"]},
    }))
    proc = run_playbook("playbooks/" + playbook, "--check", "-vvv", "-e", "@" + str(extra))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "PLAY RECAP" in output, output[-3000:]
    for secret in SECRETS:
        assert secret not in output, "%s shows a secret at -vvv" % playbook
