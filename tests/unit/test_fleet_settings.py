"""The read-only playbooks' one gathering of the settings (filter twzrd.ops.fleet_settings, run
once on the controller) and the fleet rows read straight from the registered host_check results
(issue 23: one task per host)."""

from __future__ import annotations

import yaml

from ansible_collections.twzrd.ops.plugins.filter import fleet
from ansible_collections.twzrd.ops.plugins.filter import settings as settings_filters


class Hostvars(dict):
    """hostvars stand-in: host -> mapping of that host's variables (what Ansible hands filters)."""


def _defaults():
    with open(settings_filters.ROLE_DIR + "/defaults/main.yml") as handle:
        return yaml.safe_load(handle)


def test_every_host_gets_the_role_defaults_under_its_own_variables():
    hostvars = Hostvars(web1={"twzrd_ops_swap_warning": 30, "ansible_host": "10.0.0.1", "other": 1},
                        web2={"twzrd_ops_pm2_user": ""})
    found = settings_filters.fleet_settings(hostvars, ["web1", "web2", "web1"])
    assert found["errors"] == []
    assert sorted(found["hosts"]) == ["web1", "web2"]
    web1, web2 = found["hosts"]["web1"], found["hosts"]["web2"]
    assert web1["twzrd_ops_swap_warning"] == 30 and web2["twzrd_ops_swap_warning"] == _defaults()["twzrd_ops_swap_warning"]
    assert web1["twzrd_ops_reports_dir"] == _defaults()["twzrd_ops_reports_dir"]
    assert web2["twzrd_ops_pm2_user"] == ""
    assert "ansible_host" not in web1 and "other" not in web1


def test_bad_settings_are_named_by_host_one_sentence_each():
    hostvars = Hostvars(good={}, bad={"twzrd_ops_swap_warning": 500, "twzrd_ops_swap_warnin": 5},
                        typed={"twzrd_ops_load_mode": "bogus"})
    errors = settings_filters.fleet_settings(hostvars, ["good", "bad", "typed"])["errors"]
    assert len(errors) == 2
    assert errors[0].startswith("bad: ") and "twzrd_ops_swap_warning is a percentage" in errors[0]
    assert "Unknown twzrd_ops variable: twzrd_ops_swap_warnin" in errors[0]
    # The argument specs' rules (types, choices) as the `settings` entry point applied them;
    # unknown names are said once (by settings.errors), not again by the argument specs.
    assert errors[1].startswith("typed: ") and "per_core" in errors[1]
    assert "Supported parameters" not in " ".join(errors)


def test_prefixed_strips_the_prefix_and_keeps_only_its_names():
    assert settings_filters.prefixed({"twzrd_ops_history_db_path": "/x", "twzrd_ops_swap_warning": 1},
                                     "twzrd_ops_history_") == {"db_path": "/x"}


def test_fleet_rows_read_registered_results_unreachable_failed_and_checked():
    finding = {"rule": "swap", "key": "swap", "level": "warning", "message": "Swap use is 25.0%.", "value": 25.0}
    checked = {"changed": False, "verdict": "warning", "findings": [finding], "snapshot": {}, "report": None, "history": None,
               "host": "web1"}
    hostvars = Hostvars(
        web1={"__twzrd_ops_check": checked},
        web2={"__twzrd_ops_check": {"unreachable": True, "msg": "ssh: connect to host web2 port 22: No route to host"}},
        web3={"__twzrd_ops_check": {"failed": True, "msg": "sudo: a password is required"}},
        web4={},
    )
    rows = fleet.fleet_rows(hostvars, ["web1", "web2", "web3", "web4"], fact="__twzrd_ops_check", registered=True)
    assert [(r["host"], r["verdict"]) for r in rows] == [("web1", "warning"), ("web2", "unreachable"), ("web3", "unknown")]
    assert rows[0]["top_finding"] == "Swap use is 25.0%."
    assert "No route to host" in rows[1]["error"] and "password" in rows[2]["error"]
