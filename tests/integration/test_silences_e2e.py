"""Silences end to end: the real on-host command (`twzrd-ops`, run as a separate process
from the checkout's module_utils), a real PM2 (7, from npm) with an app that is down, a real
Slack-like webhook receiver on 127.0.0.1 and the Prometheus textfile.

A silenced alert is evaluated, logged with its marker and exported with silenced="1", but
the receiver gets nothing; when the silence is removed or ends by itself and the app is
still down, the next run sends the FIRING. The Friday restart (`twzrd-ops restart`) silences
what it restarts for its run and lifts that silence at the end, also when it fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from servers import WebhookReceiver

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKER = os.path.join(os.path.dirname(HERE), "apps", "worker.js")
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")


@pytest.fixture
def receiver():
    rec = WebhookReceiver()
    yield rec
    rec.close()


@pytest.fixture
def host(tmp_path, pm2, pm2_bin, pm2_home, receiver):
    """A config.json for an app `worker` that PM2 knows but that is stopped."""
    pm2("start", WORKER, "--name", "worker")
    pm2("stop", "worker")
    url_file = tmp_path / "webhook.url"
    url_file.write_text(receiver.url + "\n")
    url_file.chmod(0o600)
    config = {
        "checks": {
            "pm2_path": pm2_bin, "pm2_home": pm2_home, "expected_apps": ["worker"], "health_url": "",
            "disk_paths": [], "log_paths": [],
            # This test is about silences: keep a busy machine's load out of it.
            "load_mode": "absolute", "load_warning": 1000, "load_critical": 2000,
        },
        "restart": {"apps": ["worker"], "verify_retries": 10, "verify_delay": 1},
        "alerts": {
            "state_file": str(tmp_path / "state" / "alerts-state.json"),
            "log_file": str(tmp_path / "alerts.log"),
            "webhook_url_file": str(url_file),
            "webhook_retries": 0,
            "textfile_path": str(tmp_path / "twzrd_ops.prom"),
        },
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return {"config": str(path), "tmp": tmp_path}


def twzrd_ops(host, *argv):
    code = "import sys; from ansible_collections.twzrd.ops.plugins.module_utils.cli import main; sys.exit(main())"
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    return subprocess.run([sys.executable, "-c", code, "--config", host["config"]] + list(argv),
                          capture_output=True, text=True, timeout=180, check=False, env=env)


def textfile(host):
    return (host["tmp"] / "twzrd_ops.prom").read_text()


def webhook_lines(receiver):
    return [line for text in receiver.texts() for line in text.split("\n")]


ACTIVE = 'twzrd_ops_alert_active{key="pm2_app_down:worker",level="critical",rule="pm2_app_down",silenced="%s"} 1'


def test_a_silenced_app_down_is_logged_and_exported_but_not_sent_until_the_silence_is_removed(host, receiver):
    added = twzrd_ops(host, "--json", "silence", "add", "pm2_app_down:worker", "--for", "1h", "--reason", "deploy of worker")
    assert added.returncode == 0, added.stderr
    silence = json.loads(added.stdout)
    assert silence["target"] == "pm2_app_down:worker" and re.match(r"^s-[0-9a-f]{6}$", silence["id"])

    run = twzrd_ops(host, "alerts")
    assert run.returncode == 2, run.stderr  # still evaluated: a critical alert is active
    firing = [line for line in run.stdout.splitlines() if " FIRING " in line]
    assert len(firing) == 1 and " FIRING critical pm2_app_down:worker: " in firing[0]
    assert firing[0].endswith("[silenced until %s by %s: deploy of worker]" % (silence["until"], silence["id"]))
    assert receiver.posts == [] and receiver.attempts == 0
    assert ACTIVE % "1" in textfile(host)
    with open(str(host["tmp"] / "alerts.log")) as handle:
        assert firing[0] in handle.read().splitlines()

    listed = twzrd_ops(host, "silence", "list")
    assert listed.returncode == 0 and listed.stdout.startswith(silence["id"] + " pm2_app_down:worker until ")

    removed = twzrd_ops(host, "silence", "remove", silence["id"])
    assert removed.returncode == 0 and removed.stdout == "Removed silence %s (pm2_app_down:worker).\n" % silence["id"]
    again = twzrd_ops(host, "alerts")
    assert again.returncode == 2
    lines = webhook_lines(receiver)
    assert len(lines) == 1 and " FIRING critical pm2_app_down:worker: " in lines[0] and "silenced" not in lines[0]
    assert ACTIVE % "0" in textfile(host)

    third = twzrd_ops(host, "alerts")
    assert third.returncode == 2 and len(webhook_lines(receiver)) == 1  # sent once, not again


def test_a_silence_ends_by_itself_and_the_alert_that_still_fires_is_sent(host, receiver):
    added = twzrd_ops(host, "--json", "silence", "add", "all", "--for", "3s", "--reason", "short maintenance")
    assert added.returncode == 0, added.stderr
    run = twzrd_ops(host, "alerts")
    assert run.returncode == 2 and receiver.posts == []
    deadline = time.monotonic() + 60
    while twzrd_ops(host, "silence", "list").stdout != "No active silences.\n":  # waits for the end; no speed asserted
        assert time.monotonic() < deadline, "the silence never ended"
        time.sleep(0.5)
    after = twzrd_ops(host, "alerts")
    assert after.returncode == 2
    assert " SILENCE ok all: %s expired (short maintenance)" % json.loads(added.stdout)["id"] in after.stdout
    lines = webhook_lines(receiver)
    assert len(lines) == 1 and " FIRING critical pm2_app_down:worker: " in lines[0]


def test_refusals_are_one_sentence_and_change_nothing(host):
    for argv, expected in (
        (("silence", "add", "pm2_app_dwn:worker", "--for", "1h", "--reason", "x"), "Perhaps you meant pm2_app_down."),
        (("silence", "add", "all", "--for", "2d", "--reason", "x"), "longer than the maximum of 24h "),
        (("silence", "add", "all", "--for", "90", "--reason", "x"), "must be a duration such as 30m"),
        (("silence", "add", "all", "--for", "1h", "--reason", " "), "A silence needs a reason"),
        (("silence", "remove", "s-000000"), "No active silence s-000000 on this host"),
    ):
        proc = twzrd_ops(host, *argv)
        assert proc.returncode == 3, argv
        assert expected in proc.stderr and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not os.path.exists(str(host["tmp"] / "state" / "alerts-state.json"))


def test_the_friday_restart_silences_its_apps_for_its_run_and_lifts_it(host, pm2):
    pm2("start", "worker")  # the stopped app comes back with the restart
    proc = twzrd_ops(host, "restart")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(str(host["tmp"] / "alerts.log")) as handle:
        log = handle.read()
    assert re.search(r" SILENCE ok pm2_app_down:worker: s-[0-9a-f]{6} added until .* by twzrd-ops restart: twzrd-ops restart of worker", log)
    assert re.search(r" SILENCE ok pm2_app_down:worker: s-[0-9a-f]{6} removed: twzrd-ops restart of worker", log)
    assert re.search(r" SILENCE ok health: s-[0-9a-f]{6} removed: ", log)
    assert twzrd_ops(host, "silence", "list").stdout == "No active silences.\n"


def test_a_failed_restart_still_lifts_its_silence(host):
    config = json.loads(open(host["config"]).read())
    config["restart"]["apps"] = ["no-such-app"]
    with open(host["config"], "w") as handle:
        json.dump(config, handle)
    proc = twzrd_ops(host, "restart")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr  # pm2 refuses an unknown app
    with open(str(host["tmp"] / "alerts.log")) as handle:
        log = handle.read()
    assert " SILENCE ok pm2_app_down:no-such-app: " in log and log.count(" removed: twzrd-ops restart of no-such-app") == 2
    assert twzrd_ops(host, "silence", "list").stdout == "No active silences.\n"


# --- the module alert_silence and playbooks/silence.yml (through ansible, on localhost) ----


@pytest.fixture
def alerts_only(tmp_path):
    """A config.json with just an alerts section (the module reads only that)."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"alerts": {"state_file": str(tmp_path / "state" / "alerts-state.json"),
                                           "log_file": str(tmp_path / "alerts.log"), "silence_max_hours": 4}}))
    return {"config": str(path), "tmp": tmp_path, "state": tmp_path / "state" / "alerts-state.json"}


def test_module_adds_keeps_lists_and_removes_and_check_mode_writes_nothing(run_module, alerts_only):
    base = {"config_file": alerts_only["config"]}
    dry = run_module("twzrd.ops.alert_silence", dict(base, target="all", duration="1h", reason="patch"), check=True)
    assert dry["changed"] is True and dry["silence"]["target"] == "all"
    assert not os.path.exists(str(alerts_only["state"].parent))  # --check adds nothing, not even the directory
    added = run_module("twzrd.ops.alert_silence", dict(base, target="all", duration="1h", reason="patch"))
    assert added["changed"] is True and [s["id"] for s in added["silences"]] == [added["silence"]["id"]]
    again = run_module("twzrd.ops.alert_silence", dict(base, target="all", duration="1h", reason="patch"))
    assert again["changed"] is False and again["silence"]["id"] == added["silence"]["id"]
    info = run_module("twzrd.ops.alert_silence_info", base)
    assert info["changed"] is False and [(s["id"], s["target"]) for s in info["silences"]] == [(added["silence"]["id"], "all")]
    too_long = run_module("twzrd.ops.alert_silence", dict(base, target="all", duration="5h", reason="patch"))
    assert too_long["failed"] is True and "longer than the maximum of 4h " in too_long["msg"]
    dry_rm = run_module("twzrd.ops.alert_silence", dict(base, state="absent", id=added["silence"]["id"]), check=True)
    assert dry_rm["changed"] is True and dry_rm["silences"] == []
    assert len(json.loads(alerts_only["state"].read_text())["silences"]) == 1
    removed = run_module("twzrd.ops.alert_silence", dict(base, state="absent", id=added["silence"]["id"]))
    assert removed["changed"] is True and removed["silences"] == []
    gone = run_module("twzrd.ops.alert_silence", dict(base, state="absent", id=added["silence"]["id"]))
    assert gone["changed"] is False  # already gone: nothing to do, not an error


def test_playbook_adds_idempotently_lists_and_removes_by_target(run_playbook, alerts_only):
    common = ["-e", "twzrd_ops_become=false",
              "-e", "twzrd_ops_alerts_config_file=%s" % alerts_only["config"]]
    add = ["-e", "twzrd_ops_silence_target=pm2_app_down:milo", "-e", "twzrd_ops_silence_duration=2h",
           "-e", json.dumps({"twzrd_ops_silence_reason": "deploy of milo"})]
    first = run_playbook("playbooks/silence.yml", *(common + add))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "changed=1" in first.stdout and re.search(r"localhost: 1 active silence\(s\); added s-[0-9a-f]{6}", first.stdout)
    second = run_playbook("playbooks/silence.yml", *(common + add))
    assert second.returncode == 0 and "changed=0" in second.stdout and "; kept s-" in second.stdout
    listed = run_playbook("playbooks/silence.yml", *(common + ["-e", "twzrd_ops_silence_action=list"]))
    assert listed.returncode == 0 and " pm2_app_down:milo until " in listed.stdout and ": deploy of milo" in listed.stdout
    bad = run_playbook("playbooks/silence.yml", *(common + ["-e", "twzrd_ops_silence_target=pm2_app_dwn"] + add[2:]))
    assert bad.returncode != 0 and "Perhaps you meant pm2_app_down" in bad.stdout
    remove = ["-e", "twzrd_ops_silence_action=remove", "-e", "twzrd_ops_silence_target=pm2_app_down:milo"]
    removed = run_playbook("playbooks/silence.yml", *(common + remove))
    assert removed.returncode == 0 and "changed=1" in removed.stdout
    assert json.loads(alerts_only["state"].read_text())["silences"] == []


# --- the emergency playbooks on this machine (connection local, the test's own PM2) ---------


@pytest.mark.parametrize("playbook, extra", [
    ("emergency-load.yml", {"twzrd_ops_emergency_restart_app": "worker"}),
    ("emergency-crashloop.yml",
     {"twzrd_ops_crashloop_mode": "recover", "twzrd_ops_crashloop_app": "worker", "twzrd_ops_crashloop_watch": 2}),
])
def test_emergency_restarts_silence_the_app_and_health_and_lift_it(
        run_playbook, pm2, pm2_bin, pm2_home, alerts_only, playbook, extra):
    pm2("start", WORKER, "--name", "worker")
    variables = dict({
        "twzrd_ops_hosts": "localhost", "twzrd_ops_become": False, "twzrd_ops_pm2_user": "",
        "twzrd_ops_pm2_home": pm2_home, "twzrd_ops_pm2_path": pm2_bin, "twzrd_ops_expected_apps": ["worker"],
        "twzrd_ops_health_url": "", "twzrd_ops_fleet_reports_dir": str(alerts_only["tmp"] / "reports"),
        "twzrd_ops_alerts_config_file": alerts_only["config"],
        "ansible_python_interpreter": sys.executable,  # the test's venv (psutil), not interpreter discovery
    }, **extra)
    (alerts_only["tmp"] / "extra.json").write_text(json.dumps(variables))
    common = ["-i", "localhost,", "-c", "local", "-e", "@%s" % (alerts_only["tmp"] / "extra.json")]
    dry = run_playbook("playbooks/" + playbook, "--check", *common)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert not os.path.exists(str(alerts_only["state"].parent))  # --check silences nothing
    proc = run_playbook("playbooks/" + playbook, *common)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = (alerts_only["tmp"] / "alerts.log").read_text()
    for target in ("pm2_app_down:worker", "health"):
        assert re.search(r" SILENCE ok %s: s-[0-9a-f]{6} added until .*: %s (restart|recover) of worker\n" % (target, playbook), log), log
        assert re.search(r" SILENCE ok %s: s-[0-9a-f]{6} removed: %s" % (target, playbook), log), log
    assert json.loads(alerts_only["state"].read_text())["silences"] == []
