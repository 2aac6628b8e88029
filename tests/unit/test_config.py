"""Unit tests for plugins/module_utils/config.py: the on-host configuration file.

Every broken file must give one sentence that names the file and the problem (the CLI
prints it and exits 3), never a traceback and never a silent default.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts, checks, config
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError


def write(tmp_path, data, name="config.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def error_of(path):
    with pytest.raises(OpsError) as caught:
        config.load(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_empty_object_gives_every_default(tmp_path):
    cfg = config.load(write(tmp_path, {}))
    assert cfg["checks"] == checks.normalize_config({})
    assert cfg["reports"] == {"dir": "/var/lib/twzrd-ops/reports", "keep_weeks": 12}
    assert cfg["restart"] == {"apps": [], "verify_retries": 6, "verify_delay": 5, "mode": "restart", "settle_seconds": 15,
                              "log_file": "/var/log/twzrd-restart.log"}
    assert cfg["alerts"] == alerts.validate({})


def test_values_flow_through_unchanged(tmp_path):
    data = {
        "checks": {"pm2_user": "twzrd", "expected_apps": ["milo-aggregator"], "swap_warning": 30, "swap_critical": 60},
        "reports": {"dir": "/srv/reports/", "keep_weeks": 4},
        "restart": {"apps": ["milo-aggregator"], "verify_retries": 3, "verify_delay": 0, "mode": "reload",
                    "log_file": "/var/log/restart.log"},
        "alerts": {"repeat_hours": 2, "log_file": "/var/log/x.log"},
    }
    cfg = config.load(write(tmp_path, data))
    assert cfg["checks"]["pm2_user"] == "twzrd"
    assert cfg["checks"]["expected_apps"] == ["milo-aggregator"]
    assert cfg["checks"]["swap_warning"] == 30
    assert cfg["reports"] == {"dir": "/srv/reports", "keep_weeks": 4}
    assert cfg["restart"] == {"apps": ["milo-aggregator"], "verify_retries": 3, "verify_delay": 0, "mode": "reload", "settle_seconds": 15,
                              "log_file": "/var/log/restart.log"}
    assert cfg["alerts"]["repeat_hours"] == 2 and cfg["alerts"]["log_file"] == "/var/log/x.log"


def test_missing_file_says_how_to_create_it(tmp_path):
    path = str(tmp_path / "absent.json")
    message = error_of(path)
    assert message.startswith("Configuration file %s does not exist" % path)
    assert "twzrd_ops" in message


def test_directory_instead_of_file(tmp_path):
    assert error_of(str(tmp_path)) == "Configuration file %s is a directory, not a file." % tmp_path


def test_broken_json_gives_line_and_column(tmp_path):
    path = write(tmp_path, '{"checks": {"swap_warning": 20,,}}')
    assert error_of(path) == "Configuration file %s is not valid JSON at line 1, column 32." % path


def test_empty_file_is_not_json(tmp_path):
    path = write(tmp_path, "")
    assert error_of(path).startswith("Configuration file %s is not valid JSON" % path)


def test_binary_garbage_is_not_utf8(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert error_of(str(path)) == "Configuration file %s is not UTF-8 text." % path


def test_top_level_must_be_an_object(tmp_path):
    path = write(tmp_path, [1, 2])
    assert error_of(path) == "Configuration file %s: The configuration must be a JSON object, got list." % path


def test_unknown_section_is_refused(tmp_path):
    message = error_of(write(tmp_path, {"chekcs": {}}))
    assert "Unknown section: chekcs. Perhaps you meant checks. Known: alerts, checks, history, reports, restart." in message


def test_unknown_check_setting_is_refused(tmp_path):
    assert "swap_warnnig" in error_of(write(tmp_path, {"checks": {"swap_warnnig": 20}}))


def test_unknown_report_setting_is_refused(tmp_path):
    message = error_of(write(tmp_path, {"reports": {"keep": 3}}))
    assert "Unknown setting in section reports: keep. Known: dir, keep_weeks." in message


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"checks": {"swap_warning": "lots"}}, "swap_warning"),
        ({"checks": {"swap_warning": 60, "swap_critical": 50}}, "swap_warning"),
        ({"checks": []}, "Section checks must be a JSON object, got list."),
        ({"reports": {"dir": "reports"}}, "Setting reports.dir must be an absolute path, got 'reports'."),
        ({"reports": {"keep_weeks": 0}}, "Setting reports.keep_weeks must be at least 1, got 0."),
        ({"reports": {"keep_weeks": "4"}}, "Setting reports.keep_weeks must be a whole number, got '4'."),
        ({"reports": {"keep_weeks": True}}, "Setting reports.keep_weeks must be a whole number, got True."),
        ({"restart": {"apps": "milo"}}, "Setting restart.apps must be a list of PM2 app names, got 'milo'."),
        ({"restart": {"verify_retries": 0}}, "Setting restart.verify_retries must be at least 1, got 0."),
        ({"restart": {"verify_delay": -1}}, "Setting restart.verify_delay must be at least 0, got -1."),
        ({"restart": {"mode": "bounce"}}, "Setting restart.mode must be restart or reload, got 'bounce'."),
        ({"restart": 5}, "Section restart must be a JSON object, got int."),
        ({"alerts": {"repeat_hours": -1}}, "repeat_hours"),
    ],
)
def test_bad_values_name_the_file_and_the_setting(tmp_path, data, expected):
    path = write(tmp_path, data)
    message = error_of(path)
    assert message.startswith("Configuration file %s: " % path)
    assert expected in message


def test_whole_number_floats_are_accepted(tmp_path):
    cfg = config.load(write(tmp_path, {"reports": {"keep_weeks": 8.0}}))
    assert cfg["reports"]["keep_weeks"] == 8 and isinstance(cfg["reports"]["keep_weeks"], int)
