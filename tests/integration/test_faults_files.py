"""Faults around the files the checks write: planted symlinks, logs other users can
write, temporary files of a killed run, a report pair split between two runs, and a
webhook_url_file that holds the secret URL itself."""

from __future__ import annotations

import json
import os
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts, common, report
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

T0 = 1795737600.0  # 2026-11-27T00:00:00Z
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
SWAP = [{"rule": "swap", "key": "swap", "level": "critical", "message": "Swap use is 55.0%.", "value": 55.0}]


@pytest.fixture
def conf(tmp_path):
    (tmp_path / "state").mkdir()
    return {"state_file": str(tmp_path / "state" / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log")}


def test_a_symlink_planted_at_the_alert_log_is_not_followed(conf, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    os.symlink(str(victim), conf["log_file"])
    result = alerts.process(conf, {"host": "web-1"}, SWAP, CFG, now=T0)
    assert victim.read_text() == "precious\n"
    assert result["errors"] == ["Refusing to write %s: it is a symbolic link." % conf["log_file"]]


def test_a_pre_existing_log_others_can_write_is_refused(conf):
    with open(conf["log_file"], "w") as handle:
        handle.write("planted\n")
    os.chmod(conf["log_file"], 0o666)
    result = alerts.process(conf, {"host": "web-1"}, SWAP, CFG, now=T0)
    assert result["errors"] == [
        "Refusing to write %s: other users can write it (mode 0666); remove it or chmod go-w." % conf["log_file"]
    ]
    with open(conf["log_file"]) as handle:
        assert handle.read() == "planted\n"


def test_a_log_owned_by_another_user_is_refused(conf):
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file away")
    with open(conf["log_file"], "w"):
        pass
    os.chmod(conf["log_file"], 0o600)
    os.chown(conf["log_file"], 65534, 65534)
    result = alerts.process(conf, {"host": "web-1"}, SWAP, CFG, now=T0)
    assert result["errors"] == ["Refusing to write %s: it belongs to uid 65534, not to root; remove it." % conf["log_file"]]


def test_a_symlinked_state_file_is_not_read(conf, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text('{"version": 1}')
    os.symlink(str(secret), conf["state_file"])
    with pytest.raises(OpsError, match="it is a symbolic link"):
        alerts.read_state(conf["state_file"], T0)


def test_stale_temp_files_of_a_killed_run_are_cleaned_on_the_next_write(tmp_path):
    target = tmp_path / "alerts-state.json"
    stale = tmp_path / ".alerts-state.json.abcd1234"
    fresh = tmp_path / ".alerts-state.json.efgh5678"
    other = tmp_path / ".unrelated.abcd1234"
    for path in (stale, fresh, other):
        path.write_text("half")
    old = time.time() - common.STALE_TEMP_AGE - 60
    os.utime(str(stale), (old, old))
    os.utime(str(other), (old, old))
    common.atomic_write(str(target), "{}")
    assert not stale.exists()
    assert fresh.exists(), "a temp file of a run still going must be kept"
    assert other.exists()
    assert target.read_text() == "{}"


def test_text_and_json_reports_are_written_together_or_not_at_all(tmp_path):
    directory = tmp_path / "reports"
    directory.mkdir()
    first = report.write_report(str(directory), {"host": "web-1", "epoch": T0}, [], "ok", text="first\n", now=T0)
    assert sorted(os.listdir(str(directory))) == sorted(os.path.basename(p) for p in first.values())
    # The text report's name is taken by a directory: its rename fails after the JSON's.
    os.unlink(first["text"])
    os.mkdir(first["text"])
    with pytest.raises(OpsError, match="Cannot write the report"):
        report.write_report(str(directory), {"host": "web-1", "epoch": T0}, [], "critical", text="second\n", now=T0)
    assert not os.path.exists(first["json"]), "a JSON report without its text twin was left"
    assert [name for name in os.listdir(str(directory)) if name.startswith(".")] == []


def test_a_webhook_url_file_set_to_the_url_itself_is_not_echoed():
    secret = "https://hooks.slack.com/services/T000/B000/very-secret-token"
    with pytest.raises(OpsError) as error:
        alerts.validate({"webhook_url_file": secret})
    assert "very-secret-token" not in str(error.value)
    assert "webhook_url_file" in str(error.value)


def test_a_webhook_url_file_holding_garbage_is_not_echoed(tmp_path, conf):
    url_file = tmp_path / "webhook.url"
    url_file.write_text("not a url but a token xoxb-secret\n")
    url_file.chmod(0o600)
    conf["webhook_url_file"] = str(url_file)
    result = alerts.process(conf, {"host": "web-1"}, SWAP, CFG, now=T0)
    assert result["errors"] and "xoxb-secret" not in json.dumps(result)


# --------------------------------------------------------------- a directory where a file goes
#
# Real parts: the on-host command's main() with a real PM2 (its daemon not started: the
# checks run and say so, which is not what these tests look at), real directories and files.


def cli_config(tmp_path, pm2_bin, pm2_home, **alerts_settings):
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "textfile").mkdir(exist_ok=True)
    section = {
        "state_file": str(tmp_path / "state" / "alerts-state.json"),
        "log_file": str(tmp_path / "alerts.log"),
        "textfile_path": str(tmp_path / "textfile" / "twzrd_ops.prom"),
    }
    section.update(alerts_settings)
    data = {
        "checks": {"pm2_path": pm2_bin, "pm2_home": pm2_home, "health_url": "", "disk_paths": [str(tmp_path)],
                   "load_mode": "absolute", "load_warning": 10000, "load_critical": 20000},
        "reports": {"dir": str(tmp_path / "reports")},
        "alerts": section,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


def run_cli(*argv):
    import io

    from ansible_collections.twzrd.ops.plugins.module_utils import cli

    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("setting", ["state_file", "log_file", "textfile_path", "webhook_url_file", "heartbeat_url_file"])
def test_a_file_setting_that_names_a_directory_ends_unknown_with_a_sentence_naming_it(tmp_path, pm2_bin, pm2_home, setting):
    directory = tmp_path / ("a-directory.prom" if setting == "textfile_path" else "a-directory")
    directory.mkdir()
    (directory / "kept").write_text("untouched\n")
    path = cli_config(tmp_path, pm2_bin, pm2_home, **{setting: str(directory)})
    code, out, err = run_cli("--config", path, "alerts")
    sentence = "Alert setting %s names a directory (%s); it must name a file." % (setting, directory)
    assert code == 3
    assert "Traceback" not in out + err
    assert sorted(os.listdir(str(directory))) == ["kept"], "the directory was written into"
    if setting == "log_file":
        # No log to deliver to: the sentence goes to stderr, in the alert log's line format.
        assert out == ""
        assert err.rstrip("\n").split("\n") == [err.split(" ", 1)[0] + " ERROR unknown twzrd-ops: " + sentence]
    else:
        logged = (tmp_path / "alerts.log").read_text()
        assert " RUN unknown run: the checks failed: %s\n" % sentence in logged
        assert out == logged
    if setting != "textfile_path":
        prom = (tmp_path / "textfile" / "twzrd_ops.prom").read_text()
        assert "twzrd_ops_last_run_success 0" in prom and "names a directory" in prom


def test_a_file_setting_under_a_file_ends_unknown_with_a_sentence_naming_it(tmp_path, pm2_bin, pm2_home):
    (tmp_path / "plain").write_text("a file where a directory should be\n")
    path = cli_config(tmp_path, pm2_bin, pm2_home, state_file=str(tmp_path / "plain" / "alerts-state.json"))
    code, out, err = run_cli("--config", path, "alerts")
    assert code == 3 and err == ""
    assert ("Alert setting state_file: %s is a file, not a directory, so %s cannot be created."
            % (tmp_path / "plain", tmp_path / "plain" / "alerts-state.json")) in out
    assert (tmp_path / "plain").read_text() == "a file where a directory should be\n"


def test_a_reports_dir_that_is_a_file_ends_unknown_with_a_sentence_naming_it(tmp_path, pm2_bin, pm2_home):
    path = cli_config(tmp_path, pm2_bin, pm2_home)
    (tmp_path / "reports").write_text("not a directory\n")
    code, out, err = run_cli("--config", path, "health")
    assert code == 3
    assert "Verdict:" in out, "the report is still printed"
    assert err == "Setting reports.dir names a file (%s); it must name a directory.\n" % (tmp_path / "reports")
    assert (tmp_path / "reports").read_text() == "not a directory\n"


@pytest.mark.parametrize("command", ["alerts", "health"])
def test_a_configuration_path_that_is_a_directory_is_one_sentence(tmp_path, command):
    code, out, err = run_cli("--config", str(tmp_path), command)
    assert code == 3 and out == ""
    sentence = "Configuration file %s is a directory, not a file." % tmp_path
    if command == "alerts":
        assert err.rstrip("\n").split("\n") == [err.split(" ", 1)[0] + " ERROR unknown twzrd-ops: " + sentence]
    else:
        assert err == sentence + "\n"


def test_a_state_file_other_users_can_write_is_not_trusted(conf):
    first = alerts.process(conf, {"host": "web-1"}, SWAP, CFG, now=T0)
    assert [e["type"] for e in first["events"]] == ["firing"]
    # Another user could now mark the alert as sent long ago, or drop it: not used.
    os.chmod(conf["state_file"], 0o666)
    second = alerts.process(conf, {"host": "web-1"}, SWAP, CFG, now=T0 + 3600)
    aside = conf["state_file"] + ".untrusted-20261127T010000Z"
    assert second["lines"][0].endswith(
        " WARNING warning twzrd-ops: The alert state file %s could be written by other users (mode 0666); "
        "it was moved to %s and the alerts start afresh." % (conf["state_file"], aside))
    assert [e["type"] for e in second["events"]] == ["firing"], "the alerts start afresh and still go out"
    assert os.path.exists(aside)
    assert os.stat(conf["state_file"]).st_mode & 0o777 == 0o600


def run_cli_process(*argv):
    """The on-host command in a process of its own, so a run that would hang fails the test."""
    import subprocess
    import sys

    collections = os.path.abspath(os.path.join(os.path.dirname(common.__file__), *([".."] * 5)))
    code = "import sys; from ansible_collections.twzrd.ops.plugins.module_utils import cli; sys.exit(cli.main())"
    proc = subprocess.run([sys.executable, "-c", code] + list(argv), env=dict(os.environ, PYTHONPATH=collections),
                          capture_output=True, text=True, timeout=60, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("setting", ["webhook_url_file", "heartbeat_url_file"])
@pytest.mark.parametrize("kind", ["fifo", "endless device"])
def test_a_url_file_that_is_a_fifo_or_a_device_cannot_hold_the_run(tmp_path, pm2_bin, pm2_home, setting, kind):
    planted = tmp_path / "planted.url"
    if kind == "fifo":
        os.mkfifo(str(planted))  # opening it for reading would wait for a writer forever
    else:
        os.symlink("/dev/zero", str(planted))  # reading it would never end
    path = cli_config(tmp_path, pm2_bin, pm2_home, **{setting: str(planted)})
    code, out, err = run_cli_process("--config", path, "alerts")
    sentence = "Alert setting %s names something that is not a regular file (%s); it must name a file." % (setting, planted)
    assert code == 3
    assert " RUN unknown run: the checks failed: %s\n" % sentence in (tmp_path / "alerts.log").read_text()
    assert "Traceback" not in out + err
    if setting == "heartbeat_url_file":
        assert err.count("heartbeat ping not sent: Cannot read the heartbeat URL file %s (not a regular file)." % planted) == 2


def test_a_url_file_too_large_to_be_a_url_is_refused_unread(tmp_path):
    big = tmp_path / "webhook.url"
    big.write_bytes(b"https://example.invalid/" + b"x" * (1 << 20))
    big.chmod(0o600)
    with pytest.raises(OpsError, match=r"is larger than 65536 bytes; it must hold one URL\.$"):
        alerts.read_webhook_url(str(big))


def test_a_symlink_planted_at_the_state_lock_is_not_followed(conf, tmp_path):
    victim = tmp_path / "created-by-root"  # a path the lock must never create or open
    os.symlink(str(victim), conf["state_file"] + ".lock")
    with pytest.raises(OpsError, match=r"^Refusing to use the alert state lock .*alerts-state\.json\.lock: it is a symbolic link\.$"):
        alerts.process(conf, {"host": "web-1"}, SWAP, CFG, now=T0)
    assert not victim.exists()
    logged = alerts.record_failure(conf, "the lock", now=T0, host="web-1")
    assert logged[-1].endswith(" RUN unknown run: the checks failed: the lock")
    assert not victim.exists()
