"""A state file holding a malformed silence, met by the hourly run itself (issue 25: the
row of docs/FAULTS.md was backed only by read_state(move_aside=False)). The run moves the
file aside with one WARNING line, like any corrupt state, keeps its bytes for the operator,
and starts afresh: the broken silence silences nothing and the finding is delivered."""

from __future__ import annotations

import json
import os

from ansible_collections.twzrd.ops.plugins.module_utils import alert_state, alerts

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
HOUR = 3600.0
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
DOWN = {"rule": "pm2_app_down", "key": "pm2_app_down:milo", "level": "critical", "message": "PM2 app milo is stopped.", "value": None}
SNAP = {"host": "web-1", "system": {"swap": {"percent": 1.0}, "load": {"load1": 0.1, "per_core": {"load1": 0.1}}}}


def test_the_hourly_run_moves_a_state_with_a_broken_silence_aside_and_delivers_the_finding(tmp_path):
    conf = alerts.validate({"state_file": str(tmp_path / "s" / "state.json"), "log_file": str(tmp_path / "alerts.log"),
                            "webhook_url_file": str(tmp_path / "none.url")})
    os.makedirs(str(tmp_path / "s"))
    broken = json.dumps({"version": 1, "alerts": {}, "silences": [{"id": "s-1", "target": "all"}]}).encode()
    with open(conf["state_file"], "wb") as handle:
        handle.write(broken)

    result = alerts.process(conf, SNAP, [DOWN], CFG, now=T0 + HOUR)

    warnings = [line for line in result["lines"] if " WARNING " in line]
    assert len(warnings) == 1 and "was corrupt" in warnings[0] and "state.json.corrupt-20261127T010000Z" in warnings[0]
    with open(conf["log_file"]) as handle:
        assert warnings[0] in handle.read().splitlines()
    aside = str(tmp_path / "s" / "state.json.corrupt-20261127T010000Z")
    with open(aside, "rb") as handle:
        assert handle.read() == broken  # kept as it was, for the operator to read
    assert [(e["type"], e["key"], e.get("silenced")) for e in result["events"]] == [("firing", "pm2_app_down:milo", None)]
    state, warning = alert_state.read_state(conf["state_file"], T0 + HOUR, move_aside=False)
    assert warning is None and state["silences"] == [] and list(state["alerts"]) == ["pm2_app_down:milo"]
    assert [line for line in result["lines"] if " FIRING " in line][0].endswith(
        "FIRING critical pm2_app_down:milo: PM2 app milo is stopped.")
