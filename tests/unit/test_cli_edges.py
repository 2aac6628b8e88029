"""The on-host command at its edges: a reader that goes away, a duration just over the
maximum. One sentence or nothing, never a traceback."""

from __future__ import annotations

import io
import json
import os
import re

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import cli, settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import exact_duration
from ansible_collections.twzrd.ops.plugins.module_utils.host_pattern import no_hosts_matched

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class GoneReader(io.StringIO):
    """stdout of `twzrd-ops history | head` once head has exited."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


def config(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"alerts": {"state_file": str(tmp_path / "state.json"), "log_file": ""},
                                "history": {"db_path": str(tmp_path / "history.sqlite")}}))
    return str(path)


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    err = io.StringIO()
    code = cli.main(["--config", config(tmp_path), "history"], out=GoneReader(), err=err)
    assert code == 0
    assert err.getvalue() == ""


def test_a_silence_just_over_the_maximum_says_both_lengths_exactly(tmp_path):
    err = io.StringIO()
    code = cli.main(["--config", config(tmp_path), "silence", "add", "all", "--for", "24h30m", "--reason", "patch"],
                    out=io.StringIO(), err=err)
    assert code == 3
    assert "A silence of 24h30m is longer than the maximum of 24h" in err.getvalue()


def test_a_pattern_that_matched_hosts_is_fine_and_one_that_did_not_names_the_fix():
    assert no_hosts_matched("web", ["web-1"], ["web"]) is None
    said = no_hosts_matched("offchian", [], ["all", "ungrouped", "offchain", "db"])
    assert "'offchian'" in said and "Perhaps you meant offchain." in said and "groups: db, offchain" in said
    assert "\x1b" not in no_hosts_matched("\x1b[2Jx", [], [])


@pytest.mark.parametrize("name, given, key, section, expected", [
    ("twzrd_ops_restart_verify_retries", "1", "verify_retries", "restart", 1),
    ("twzrd_ops_restart_verify_delay", "2", "verify_delay", "restart", 2),
    ("twzrd_ops_reports_keep_weeks", "4", "keep_weeks", "reports", 4),
    ("twzrd_ops_crash_threshold", "3", "crash_threshold", "checks", 3),
    ("twzrd_ops_health_expect_json", "false", "health_expect_json", "checks", False),
])
def test_a_string_from_extra_vars_is_read_as_ansibles_argument_spec_reads_it(name, given, key, section, expected):
    assert settings.host_config({name: given})[section][key] == expected
    assert settings.errors({name: given}, [name], checks_only=True) == []


def test_a_real_mistake_in_extra_vars_is_still_one_sentence():
    said = settings.errors({"twzrd_ops_restart_verify_retries": "one"}, ["twzrd_ops_restart_verify_retries"], checks_only=True)
    assert said and "twzrd_ops_restart_verify_retries must be a whole number, got 'one'" in said[0]


def test_version_is_the_collections_and_needs_no_configuration(tmp_path):
    out = io.StringIO()
    assert cli.main(["--version", "--config", str(tmp_path / "missing.json")], out=out, err=io.StringIO()) == 0
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        galaxy = re.search(r"^version: *(\S+)", handle.read(), re.M).group(1)
    assert out.getvalue() == "twzrd-ops %s (twzrd.ops collection)\n" % galaxy


def test_status_says_what_the_jobs_did_and_what_is_active(tmp_path):
    """`twzrd-ops status`: the last run of each job (from the run journal every job leaves),
    the active alerts (with the silence covering one) and the active silences."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({
        "checks": {"pm2_path": "", "pm2_home": str(tmp_path / "nopm2"), "health_url": "http://127.0.0.1:9/health",
                   "health_timeout": 1, "health_retries": 0, "disk_paths": [str(tmp_path)], "disk_warning": 100,
                   "disk_critical": 100, "swap_warning": 99, "swap_critical": 100, "load_mode": "absolute",
                   "load_warning": 10000, "load_critical": 20000},
        "alerts": {"state_file": str(tmp_path / "state" / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")},
        "history": {"db_path": str(tmp_path / "history.sqlite")}}))
    out = io.StringIO()
    assert cli.main(["--config", str(path), "status"], out=out, err=io.StringIO()) == 0
    assert "alerts   never ran" in out.getvalue() and "Active alerts: none" in out.getvalue()
    assert cli.main(["--config", str(path), "alerts"], out=io.StringIO(), err=io.StringIO()) == 2
    assert cli.main(["--config", str(path), "silence", "add", "health", "--for", "1h", "--reason", "deploy"],
                    out=io.StringIO(), err=io.StringIO()) == 0
    out = io.StringIO()
    assert cli.main(["--config", str(path), "status"], out=out, err=io.StringIO()) == 0
    text = out.getvalue()
    # (pm2_unavailable may be active too: a pm2 on PATH with no daemon for this PM2_HOME)
    assert re.search(r"alerts +\S+Z \(\d+s ago\) exit 2 CRITICAL: \d active alerts?: health \(critical\)", text), text
    assert "CRITICAL health since" in text and "[silenced by s-" in text
    assert "Active silences: 1" in text and "deploy" in text
    out = io.StringIO()
    assert cli.main(["--config", str(path), "--json", "status"], out=out, err=io.StringIO()) == 0
    data = json.loads(out.getvalue())
    assert data["jobs"]["alerts"]["exit_code"] == 2 and data["jobs"]["health"] is None
    assert [alert["silenced"] for alert in data["alerts"] if alert["key"] == "health"] == [True]


def test_exact_durations_never_read_the_same_for_two_lengths():
    shown = [exact_duration(seconds) for seconds in range(0, 3 * 86400, 7)]
    assert len(set(shown)) == len(shown)
    assert [exact_duration(s) for s in (0, 45, 90, 3605, 86400, 88200)] == ["0s", "45s", "1m30s", "1h00m05s", "24h", "24h30m"]


def test_status_counts_undelivered_messages_across_every_channel(tmp_path):
    """State v3 keeps one outbox per alert channel: status counts the messages, not the channels."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "alerts-state.json").write_text(json.dumps({
        "version": 3, "last_run": None, "crash_until": None, "alerts": {}, "crash_counts": {}, "pending_log": [],
        "silences": [], "outbox": {"slack": ["a", "b"], "ntfy": ["c"]}}))
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"alerts": {"state_file": str(state_dir / "alerts-state.json"), "log_file": ""},
                                "history": {"db_path": str(tmp_path / "history.sqlite")}}))
    out = io.StringIO()
    assert cli.main(["--config", str(path), "status"], out=out, err=io.StringIO()) == 0
    assert "Undelivered messages: 3;" in out.getvalue(), out.getvalue()
    out = io.StringIO()
    assert cli.main(["--config", str(path), "--json", "status"], out=out, err=io.StringIO()) == 0
    assert json.loads(out.getvalue())["undelivered"] == 3


def test_health_first_on_a_fresh_host_is_recorded_and_its_json_names_the_version(tmp_path):
    """The first job on a host may be health, before any alerts run made the state
    directory: its run is still recorded for `twzrd-ops status`, and --json says which
    release wrote it, like status --json."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({
        "checks": {"pm2_path": "", "pm2_home": str(tmp_path / "nopm2"), "health_url": "http://127.0.0.1:9/health",
                   "health_timeout": 1, "health_retries": 0, "disk_paths": [str(tmp_path)]},
        "reports": {"dir": str(tmp_path / "reports")},
        "alerts": {"state_file": str(tmp_path / "state" / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")},
        "history": {"db_path": str(tmp_path / "history.sqlite")}}))
    out, err = io.StringIO(), io.StringIO()
    cli.main(["--config", str(path), "--json", "health"], out=out, err=err)
    assert "not recorded" not in err.getvalue() + out.getvalue()
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        galaxy = re.search(r"^version: *(\S+)", handle.read(), re.M).group(1)
    assert json.loads(out.getvalue())["version"] == galaxy
    out = io.StringIO()
    assert cli.main(["--config", str(path), "--json", "status"], out=out, err=io.StringIO()) == 0
    assert json.loads(out.getvalue())["jobs"]["health"]["exit_code"] is not None
