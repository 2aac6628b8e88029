"""twzrd_ops_restart_mode (restart | reload), the logrotate limits of PM2's logs, and the
`twzrd-ops restart --mode` option: their validation lives in module_utils (config.py,
settings.py); the real reload of a cluster app is tests/integration/test_pm2_reload.py."""

from __future__ import annotations

import io
import json
import re

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import cli, config, settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

KNOWN = [
    "twzrd_ops_pm2_user", "twzrd_ops_restart_mode", "twzrd_ops_logrotate_pm2_log_maxsize",
    "twzrd_ops_logrotate_pm2_log_rotate", "twzrd_ops_logrotate_app_maxsize", "twzrd_ops_logrotate_app_rotate",
]


def errors(**variables):
    variables.setdefault("pm2_user", "twzrd")
    return settings.errors(dict(("twzrd_ops_" + k, v) for k, v in variables.items()), KNOWN)


def test_restart_and_reload_are_the_modes():
    assert errors(restart_mode="restart") == [] and errors(restart_mode="reload") == []
    assert settings.host_config({"twzrd_ops_restart_mode": "reload"})["restart"]["mode"] == "reload"
    assert settings.host_config({})["restart"]["mode"] == "restart"


def test_an_unknown_restart_mode_is_one_sentence_naming_the_variable():
    assert errors(restart_mode="bounce") == ["Setting twzrd_ops_restart_mode must be restart or reload, got 'bounce'."]
    with pytest.raises(OpsError) as error:
        config.validate({"restart": {"mode": ["reload"]}})
    assert str(error.value) == "Setting restart.mode must be restart or reload, got ['reload']."


def test_logrotate_limits_of_the_pm2_logs():
    assert errors(logrotate_pm2_log_maxsize="10M", logrotate_app_maxsize="512k", logrotate_pm2_log_rotate=4,
                  logrotate_app_rotate=1) == []
    assert errors(logrotate_app_maxsize="100", logrotate_pm2_log_maxsize="1G") == []


@pytest.mark.parametrize(
    "variables, sentence",
    [
        ({"logrotate_pm2_log_maxsize": "10 MB"},
         "twzrd_ops_logrotate_pm2_log_maxsize must be a logrotate size: digits, then optionally k, M or G (e.g. 100M), got '10 MB'."),
        ({"logrotate_app_maxsize": "0"},
         "twzrd_ops_logrotate_app_maxsize must be a logrotate size: digits, then optionally k, M or G (e.g. 100M), got '0'."),
        ({"logrotate_app_maxsize": "1T"},
         "twzrd_ops_logrotate_app_maxsize must be a logrotate size: digits, then optionally k, M or G (e.g. 100M), got '1T'."),
        ({"logrotate_pm2_log_rotate": 0}, "Setting twzrd_ops_logrotate_pm2_log_rotate must be at least 1, got 0."),
        ({"logrotate_app_rotate": "many"}, "Setting twzrd_ops_logrotate_app_rotate must be a number, got 'many'."),
    ],
)
def test_a_bad_logrotate_limit_is_one_sentence_naming_the_variable(variables, sentence):
    assert errors(**variables) == [sentence]


def test_an_unknown_mode_on_the_command_line_is_a_usage_error(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({}))
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["restart", "--mode", "bounce", "--config", str(path)], out=out, err=err)
    assert code == 3 and out.getvalue() == ""
    # argparse quotes the choices up to Python 3.12 and not from 3.13 on (the version matrix runs 3.13).
    assert re.fullmatch(r"twzrd-ops: argument --mode: invalid choice: 'bounce' \(choose from ('restart', 'reload'|restart, reload)\) "
                        r"\(see twzrd-ops --help\)\.\n", err.getvalue()), err.getvalue()


def test_an_unknown_mode_in_the_configuration_file_names_it(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"restart": {"mode": "graceful"}}))
    err = io.StringIO()
    assert cli.main(["restart", "--config", str(path)], out=io.StringIO(), err=err) == 3
    assert err.getvalue() == "Configuration file %s: Setting restart.mode must be restart or reload, got 'graceful'.\n" % path
