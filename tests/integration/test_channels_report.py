"""`twzrd-ops notify --report`: the newest weekly report's summary (verdict, findings, the
path of the full report) through the alert channels that are not incident trackers, against
loopback receivers (receivers.py); PagerDuty and Alertmanager are never paged by a report."""

from __future__ import annotations

import io
import json
import os

from ansible_collections.twzrd.ops.plugins.module_utils import cli, report

from receivers import Receiver

T0 = 1795737600.0  # 2026-11-27 (a Friday; the date is the report's name)


def run(path, *argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--config", str(path), "notify"] + list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_report_summary_goes_to_chat_channels_and_not_to_the_pager(tmp_path):
    chat, pager = Receiver(), Receiver()
    key = tmp_path / "pd-key"
    key.write_text("routing-key\n")
    os.chmod(str(key), 0o600)
    hook = tmp_path / "hook"
    hook.write_text(chat.url + "/hook\n")
    os.chmod(str(hook), 0o600)
    reports = tmp_path / "reports"
    findings = [{"rule": "disk", "key": "disk:/d%d" % n, "level": "warning", "message": "/d%d is 85%% full." % n} for n in range(7)]
    report.write_report(str(reports), {"host": "web-1"}, findings, "warning", text="the report\n", now=T0)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"reports": {"dir": str(reports)}, "alerts": {
        "state_file": str(tmp_path / "state.json"), "webhook_url_file": str(hook),
        "channels": [{"type": "pagerduty", "url": pager.url, "routing_key_file": str(key)}]}}))
    try:
        code, out, err = run(config, "--report")
    finally:
        chat.close()
        pager.close()
    assert (code, err) == (0, ""), err
    assert out == "webhook: sent\n"
    assert pager.requests == []
    text = chat.json()["text"].splitlines()
    assert text[0].endswith(" weekly report 2026-11-27: verdict WARNING, 7 findings.")
    assert text[1] == "- warning /d0 is 85% full." and text[-2] == "- ... and 2 more"
    assert text[-1] == "Full report: %s" % (reports / "weekly-health-report-2026-11-27.txt")


def test_no_report_yet_and_no_channel_are_said_in_one_sentence(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"reports": {"dir": str(tmp_path / "none")}, "alerts": {
        "state_file": str(tmp_path / "state.json"), "channels": [{"type": "ntfy", "topic": "ops", "url": "http://127.0.0.1:9"}]}}))
    code, _out, err = run(config, "--report")
    assert code == 3 and err == "No weekly report in %s yet: run twzrd-ops health first.\n" % (tmp_path / "none")
    config.write_text(json.dumps({"alerts": {"state_file": str(tmp_path / "state.json")}}))
    code, _out, err = run(config, "--test")
    assert code == 3 and err.startswith("No alert channel is configured")
