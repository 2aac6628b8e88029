"""playbooks/silence.yml's removals through real ansible-playbook on this machine (localhost,
the role's silence entry point and the module alert_silence): target all lifts every active
silence and the summary lists each one; an unknown id fails the host with one sentence
naming the id and how to list the silences, as `twzrd-ops silence remove` does."""

from __future__ import annotations

import json

from ansible_collections.twzrd.ops.plugins.module_utils import silences


def _setup(tmp_path):
    state = tmp_path / "state" / "alerts-state.json"
    path = tmp_path / "config.json"
    alerts = {"state_file": str(state), "log_file": str(tmp_path / "alerts.log"), "silence_max_hours": 4}
    path.write_text(json.dumps({"alerts": alerts}))
    common = ["-e", "twzrd_ops_become=false", "-e", "twzrd_ops_hosts=localhost", "-e", "twzrd_ops_alerts_config_file=%s" % path]
    return common, alerts, state


def test_remove_all_lifts_every_silence_and_lists_them(run_playbook, tmp_path):
    common, alerts, state = _setup(tmp_path)
    added = [silences.add(alerts, target, "2h", "work", now=None)[0] for target in ("all", "swap", "pm2_app_down:milo")]
    remove = ["-e", "twzrd_ops_silence_action=remove", "-e", "twzrd_ops_silence_target=all"]
    proc = run_playbook("playbooks/silence.yml", *(common + remove))
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:]
    assert json.loads(state.read_text())["silences"] == []
    summary = " ".join(out[out.index("Summarise the fleet"):].split())  # the YAML output folds long lines
    for silence in added:
        assert "%s (%s)" % (silence["id"], silence["target"]) in summary, summary
    assert "localhost: 0 active silence(s); removed s-" in summary


def test_removing_an_unknown_id_fails_with_the_sentence(run_playbook, tmp_path):
    common, alerts, state = _setup(tmp_path)
    kept = silences.add(alerts, "swap", "2h", "work", now=None)[0]
    remove = ["-e", "twzrd_ops_silence_action=remove", "-e", "twzrd_ops_silence_id=s-000000"]
    proc = run_playbook("playbooks/silence.yml", *(common + remove))
    flat = " ".join(proc.stdout.split())
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert silences.unknown_id("s-000000") in flat, flat[-3000:]
    assert [s["id"] for s in json.loads(state.read_text())["silences"]] == [kept["id"]]
