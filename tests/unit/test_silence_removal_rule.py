"""One rule for lifting silences (module_utils/silences.py: removed_by, remove, unknown_id),
used by `twzrd-ops silence remove` and the module alert_silence alike: target all lifts
every active silence of the host (not only one whose target is literally all), and an
unknown id is a failure with one sentence naming it and how to list the silences. The clock
is moved through now=; the state is a real file."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import alerts, cli, silences
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
TARGETS = ["all", "swap", "pm2_app_down:milo", "app:milo", "checks_failed", "load"]


@pytest.fixture
def conf(tmp_path):
    return alerts.validate({"state_file": str(tmp_path / "s" / "state.json"), "log_file": str(tmp_path / "alerts.log"),
                            "webhook_url_file": str(tmp_path / "none.url")})


def _add_each(conf, targets, now=T0):
    return [silences.add(conf, target, "2h", "work on %s" % target, now=now)[0] for target in targets]


def test_target_all_lifts_every_silence_whatever_its_target(conf):
    added = _add_each(conf, TARGETS)
    removed, lines = silences.remove(conf, target="all", now=T0 + 60)
    assert sorted(s["id"] for s in removed) == sorted(s["id"] for s in added)
    assert silences.listing(conf, T0 + 120) == []
    assert len(lines) == len(TARGETS) and all(" removed: work on " in line for line in lines)


def test_another_target_lifts_only_its_own_silences(conf):
    _add_each(conf, TARGETS)
    removed, _lines = silences.remove(conf, target="swap", now=T0 + 60)
    assert [s["target"] for s in removed] == ["swap"]
    assert sorted(s["target"] for s in silences.listing(conf, T0 + 120)) == sorted(t for t in TARGETS if t != "swap")


def test_a_target_with_no_silence_removes_nothing_and_is_no_error(conf):
    assert silences.remove(conf, target="all", now=T0)[0] == []
    assert silences.remove(conf, target="swap", now=T0)[0] == []


def test_an_unknown_id_is_one_sentence_naming_it_and_how_to_list(conf):
    _add_each(conf, ["swap"])
    with pytest.raises(OpsError) as info:
        silences.remove(conf, silence_id="s-abcdef", now=T0 + 60)
    text = str(info.value)
    assert text.startswith("No active silence s-abcdef on this host") and text.count(". ") == 0 and text.endswith(".")
    assert "twzrd-ops silence list" in text and "twzrd_ops_silence_action=list" in text
    assert silences.remove(conf, silence_id="s-abcdef", now=T0 + 60, missing_ok=True)[0] == []  # a flow's own cleanup


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TARGETS), max_size=8), st.sampled_from(TARGETS))
def test_removed_by_all_is_everything_and_a_target_only_its_own(targets, target):
    kept = [{"id": "s-%06x" % i, "target": t} for i, t in enumerate(targets)]
    assert silences.removed_by(kept, target="all") == kept
    chosen = silences.removed_by(kept, target=target)
    if target == "all":
        assert chosen == kept
    else:
        assert chosen == [s for s in kept if s["target"] == target]
    assert silences.removed_by(kept, silence_id="s-%06x" % 0) == kept[:1]


def test_parse_removal_tells_an_id_from_a_target():
    assert silences.parse_removal("s-3f9a1c") == ("s-3f9a1c", None)
    assert silences.parse_removal(" all ") == (None, "all")
    assert silences.parse_removal("pm2_app_down:milo") == (None, "pm2_app_down:milo")
    with pytest.raises(OpsError, match="Perhaps you meant swap"):
        silences.parse_removal("swp")


# --------------------------------------------------------------------------- the on-host command


def _cli(tmp_path, conf, *argv):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"alerts": {"state_file": conf["state_file"], "log_file": conf["log_file"]}}))
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--config", str(path)] + list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_command_removes_all_and_lists_what_it_removed(tmp_path, conf):
    added = _add_each(conf, ["all", "swap", "pm2_app_down:milo"], now=None)  # the command reads the real clock
    code, out, err = _cli(tmp_path, conf, "silence", "remove", "all")
    assert (code, err) == (0, "")
    assert sorted(out.splitlines()) == sorted("Removed silence %s (%s)." % (s["id"], s["target"]) for s in added)
    assert _cli(tmp_path, conf, "silence", "list")[1] == "No active silences.\n"
    assert _cli(tmp_path, conf, "silence", "remove", "all")[:2] == (0, "No active silence of target all to remove.\n")


def test_the_command_refuses_an_unknown_id_like_the_module(tmp_path, conf):
    code, out, err = _cli(tmp_path, conf, "silence", "remove", "s-000000")
    assert code == 3 and out == ""
    assert err == silences.unknown_id("s-000000") + "\n"
