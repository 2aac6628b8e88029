"""Would a reboot bring the PM2 apps back? module_utils/reboot_ready.py on real files.

The unit files, links, scripts and dump.pm2 are real files in tmp_path laid out as
`pm2 startup systemd` lays them out in /etc/systemd/system (systemd is not PID 1 on this
machine, so the enabled check reads the *.wants links, as the code does everywhere). No
process is started here: tests/integration/test_reboot_ready.py runs real node and PM2.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import checks, reboot_ready
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError
from ansible_collections.twzrd.ops.plugins.module_utils.pm2 import read_dump

USER = "twzrd"


def script(path, text, mode=0o755):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)
    return path


SYSTEM_PATH = "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"


def layout(tmp_path, node_dir="node/bin", pm2_script=None, enable=True, unit_path=None, home=None, user=USER,
           system_path=SYSTEM_PATH):
    """A node 'binary', a pm2 bin script with `#!/usr/bin/env node`, and the unit pm2 startup
    would write for them; returns (unit_dir, pm2_home, pm2 script path)."""
    node = script(str(tmp_path / node_dir / "node"), "#!/bin/sh\necho v20.0.0\n")
    pm2 = pm2_script or script(str(tmp_path / "lib/node_modules/pm2/bin/pm2"), "#!/usr/bin/env node\nrequire('../lib/binaries/CLI.js');\n")
    home = home or str(tmp_path / "home" / ".pm2")
    os.makedirs(home, exist_ok=True)
    unit_dir = tmp_path / "systemd"
    (unit_dir / "multi-user.target.wants").mkdir(parents=True)
    unit = unit_dir / ("pm2-%s.service" % user)
    unit.write_text(
        "[Unit]\nDescription=PM2 process manager\n\n[Service]\nType=forking\nUser=%s\n"
        "Environment=PATH=%s:%s\n"
        "Environment=PM2_HOME=%s\nPIDFile=%s/pm2.pid\n\nExecStart=%s resurrect\nExecReload=%s reload all\n"
        "ExecStop=%s kill\n\n[Install]\nWantedBy=multi-user.target\n"
        % (user, unit_path or os.path.dirname(node), system_path, home, home, pm2, pm2, pm2)
    )
    if enable:
        os.symlink(str(unit), str(unit_dir / "multi-user.target.wants" / unit.name))
    return str(unit_dir), home, pm2


def dump(home, names):
    with open(os.path.join(home, "dump.pm2"), "w") as handle:
        json.dump([{"name": n, "pm2_env": {"name": n, "status": "online", "env": {"SECRET": "s3cr3t-value"}}} for n in names], handle)


def test_a_sound_unit_and_dump_are_ready(tmp_path):
    unit_dir, home, pm2 = layout(tmp_path)
    dump(home, ["web", "api"])
    result = reboot_ready.check(USER, home, expected=["web"], online=["web", "api"], unit_dir=unit_dir)
    assert result["ready"], result["problems"]
    assert result["problems"] == [] and result["repairs"] == []
    assert result["unit"]["enabled"] and result["unit"]["exec_start"] == pm2
    assert result["unit"]["node"] == str(tmp_path / "node/bin/node")
    assert result["dump"]["apps"] == ["api", "web"]


def test_missing_unit_needs_pm2_startup(tmp_path):
    home = str(tmp_path / ".pm2")
    os.makedirs(home)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, expected=["web"], online=["web"], unit_dir=str(tmp_path / "systemd"))
    assert not result["ready"]
    assert result["repairs"] == ["pm2 startup"]
    assert "pm2-twzrd.service does not exist" in result["problems"][0]


def test_disabled_unit_needs_pm2_startup(tmp_path):
    unit_dir, home, _pm2 = layout(tmp_path, enable=False)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, online=["web"], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 startup"]
    assert result["problems"] == ["The start-up unit pm2-twzrd.service is not enabled, so it does not run on boot."]


def test_moved_node_is_not_found_on_the_units_path(tmp_path):
    # pm2 startup wrote the unit when node lived in node-v18/bin; the upgrade moved it to
    # node-v20/bin. The unit's PATH ends with the system directories (here directories of
    # tmp_path without a node, as on a host whose only node is the moved one).
    system = str(tmp_path / "usr/bin")
    os.makedirs(system)
    unit_dir, home, _pm2 = layout(tmp_path, node_dir="node-v20/bin", unit_path=str(tmp_path / "node-v18/bin"), system_path=system)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, online=["web"], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 startup"]
    assert result["unit"]["node"] is None
    assert "but no node is on the unit's PATH" in result["problems"][0]
    assert "Node.js moved or was removed" in result["problems"][0]
    # a node left in a system directory is what boot would find: then the unit works
    script(os.path.join(system, "node"), "#!/bin/sh\n")
    again = reboot_ready.check(USER, home, online=["web"], unit_dir=unit_dir)
    assert again["ready"] and again["unit"]["node"] == os.path.join(system, "node")


def test_interpreter_named_by_absolute_path_must_exist(tmp_path):
    pm2 = script(str(tmp_path / "pm2/bin/pm2"), "#!%s\n" % (tmp_path / "gone/node"))
    unit_dir, home, _pm2 = layout(tmp_path, pm2_script=pm2)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, online=["web"], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 startup"]
    assert "with %s, which does not exist" % (tmp_path / "gone/node") in result["problems"][0]


def test_node_for_finds_the_node_beside_pm2_first(tmp_path):
    node = script(str(tmp_path / "nvm/bin/node"), "#!/bin/sh\n")
    pm2 = script(str(tmp_path / "nvm/bin/pm2"), "#!/usr/bin/env node\n")
    assert reboot_ready.node_for(pm2, path_env=str(tmp_path / "empty")) == node
    assert reboot_ready.node_for(None) is None


def test_env_node_resolution_uses_only_the_units_path(tmp_path):
    node = script(str(tmp_path / "new/bin/node"), "#!/bin/sh\n")
    assert reboot_ready.which("node", str(tmp_path / "old/bin") + ":" + str(tmp_path / "nowhere")) is None
    assert reboot_ready.which("node", str(tmp_path / "old/bin") + ":" + str(tmp_path / "new/bin")) == node
    os.chmod(node, 0o644)
    assert reboot_ready.which("node", str(tmp_path / "new/bin")) is None


def test_moved_pm2_in_execstart_needs_pm2_startup(tmp_path):
    gone = str(tmp_path / "node-v18/lib/node_modules/pm2/bin/pm2")
    unit_dir, home, _pm2 = layout(tmp_path, pm2_script=gone)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, online=["web"], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 startup"]
    assert result["problems"] == ["The start-up unit pm2-twzrd.service starts %s, which does not exist (moved or removed)." % gone]


def test_masked_unit_is_unrepairable(tmp_path):
    unit_dir = tmp_path / "systemd"
    unit_dir.mkdir()
    os.symlink(os.devnull, str(unit_dir / "pm2-twzrd.service"))
    home = str(tmp_path / ".pm2")
    os.makedirs(home)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, online=["web"], unit_dir=str(unit_dir))
    assert not result["ready"] and result["repairs"] == []
    assert result["unrepairable"] == result["problems"]
    assert "is masked" in result["problems"][0] and "systemctl unmask pm2-twzrd.service" in result["problems"][0]


def test_unit_resurrecting_another_pm2_home_needs_pm2_startup(tmp_path):
    unit_dir, home, _pm2 = layout(tmp_path, home=str(tmp_path / "elsewhere"))
    real_home = str(tmp_path / ".pm2")
    os.makedirs(real_home)
    dump(real_home, ["web"])
    result = reboot_ready.check(USER, real_home, online=["web"], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 startup"]
    assert "resurrects PM2_HOME %s, not %s" % (tmp_path / "elsewhere", real_home) in result["problems"][0]


def test_app_online_but_not_saved_needs_pm2_save(tmp_path):
    unit_dir, home, _pm2 = layout(tmp_path)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, expected=["web"], online=["web", "api"], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 save"] and result["unrepairable"] == []
    assert "lacks api, which is online now" in result["problems"][0]
    assert reboot_ready.at_risk(result, ["web"], ["web", "api"]) == ["api"]


def test_expected_app_neither_saved_nor_running_cannot_be_saved(tmp_path):
    unit_dir, home, _pm2 = layout(tmp_path)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, expected=["web", "billing"], online=["web"], unit_dir=unit_dir)
    assert result["repairs"] == []
    assert result["unrepairable"] == result["problems"]
    assert "billing is neither in PM2's saved process list nor online now" in result["problems"][0]


@pytest.mark.parametrize("content", ["", "{", "{}", "[1, 2]", "[" * 100000, "\xff\xfe garbage"])
def test_corrupt_dump_needs_pm2_save_never_a_traceback(tmp_path, content):
    unit_dir, home, _pm2 = layout(tmp_path)
    with open(os.path.join(home, "dump.pm2"), "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(content)
    result = reboot_ready.check(USER, home, online=["web"], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 save"]
    assert "is not a JSON list of processes" in result["problems"][0]


def test_missing_dump_needs_pm2_save_only_when_pm2_could_be_read(tmp_path):
    unit_dir, home, _pm2 = layout(tmp_path)
    assert reboot_ready.check(USER, home, expected=["web"], online=["web"], unit_dir=unit_dir)["repairs"] == ["pm2 save"]
    unread = reboot_ready.check(USER, home, expected=["web"], online=None, unit_dir=unit_dir)
    assert unread["repairs"] == [] and unread["unrepairable"] == unread["problems"]
    # nothing expected, nothing running: nothing to bring back, no dump needed
    assert reboot_ready.check(USER, home, online=[], unit_dir=unit_dir)["ready"]


def test_out_of_date_in_memory_pm2_needs_pm2_update(tmp_path):
    unit_dir, home, _pm2 = layout(tmp_path)
    dump(home, ["web"])
    warning = "In-memory PM2 is out-of-date (daemon 6.0.8, pm2 command 7.0.4): run `pm2 update` as the PM2 user."
    result = reboot_ready.check(USER, home, online=["web"], pm2_warnings=["PM2 said: x", warning], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 update"]
    assert result["problems"] == ["In-memory PM2 is out-of-date (daemon 6.0.8, pm2 command 7.0.4)."]


def test_repairs_come_in_the_runbooks_order(tmp_path):
    unit_dir, home, _pm2 = layout(tmp_path, enable=False)
    dump(home, [])
    warning = "In-memory PM2 is out-of-date (daemon 6, pm2 command 7): run `pm2 update` as the PM2 user."
    result = reboot_ready.check(USER, home, online=["web"], pm2_warnings=[warning], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 startup", "pm2 save", "pm2 update"]
    assert len(result["problems"]) == 3


def test_read_dump_keeps_names_never_env_values(tmp_path):
    home = str(tmp_path)
    dump(home, ["web"])
    saved = read_dump(os.path.join(home, "dump.pm2"))
    assert [p["name"] for p in saved] == ["web"]
    assert "s3cr3t-value" not in json.dumps(saved)
    assert read_dump(str(tmp_path / "absent")) is None


def test_unreadable_dump_is_one_sentence(tmp_path):
    directory = tmp_path / "dump.pm2"
    directory.mkdir()  # a directory where the file belongs: open() fails with EISDIR
    with pytest.raises(OpsError, match="Cannot read PM2's saved process list"):
        read_dump(str(directory))


def test_parse_unit_reads_prefixes_quotes_and_continuations():
    parsed = reboot_ready.parse_unit(
        "[Unit]\nExecStart=/not/service\n[Service]\nUser=web\n"
        'Environment="PATH=/a b:/c" PM2_HOME=/h\nExecStart=-/usr/bin/pm2 \\\n  resurrect\n# ExecStop=/x\n'
    )
    assert parsed["user"] == "web"
    assert parsed["environment"] == {"PATH": "/a b:/c", "PM2_HOME": "/h"}
    assert parsed["exec_start"] == ["/usr/bin/pm2", "resurrect"]
    assert parsed["exec_stop"] is None


def test_no_user_is_refused():
    with pytest.raises(OpsError, match="Name the PM2 user"):
        reboot_ready.check("", "/nonexistent")


def test_warning_message_names_the_apps_and_why(tmp_path):
    unit_dir, home, _pm2 = layout(tmp_path, enable=False)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, expected=["web"], online=["web"], unit_dir=unit_dir)
    message = reboot_ready.warning_message(result, ["web"], ["web"])
    assert message == ("A reboot now would not bring back: web (The start-up unit pm2-twzrd.service is not enabled, "
                       "so it does not run on boot).")


def _snapshot(reboot):
    return {"pm2": {"installed": True, "processes": [], "summary": {}}, "reboot": reboot}


def test_weekly_findings_warn_when_not_ready():
    reboot = {"ready": False, "problems": ["The start-up unit pm2-twzrd.service is not enabled, so it does not run on boot."],
              "repairs": ["pm2 startup"], "unrepairable": [], "unit": {"exists": True}, "dump": {"apps": ["web"]},
              "message": "A reboot now would not bring back: web (x)."}
    findings = [f for f in checks.evaluate(_snapshot(reboot), {"expected_apps": ["web"]}) if f["rule"] == "reboot_ready"]
    assert findings == [{"rule": "reboot_ready", "key": "reboot_ready", "level": "warning",
                         "message": "A reboot now would not bring back: web (x).", "value": None}]
    reboot.update(ready=True, problems=[], repairs=[])
    assert not [f for f in checks.evaluate(_snapshot(reboot), {}) if f["rule"] == "reboot_ready"]
    assert not [f for f in checks.evaluate(_snapshot(None), {}) if f["rule"] == "reboot_ready"]


def test_weekly_collect_reads_readiness_only_on_systemd_hosts_with_apps(tmp_path):
    unit_dir, home, _pm2 = layout(tmp_path, enable=False)
    dump(home, ["web"])
    cfg = checks.normalize_config({"pm2_user": USER, "expected_apps": ["web"]})
    status = {"installed": True, "pm2_home": home, "warnings": [], "processes": [{"name": "web", "status": "online"}]}
    reboot = checks._reboot_readiness(cfg, status, unit_dir=unit_dir, booted=True)
    assert reboot["ready"] is False
    assert reboot["message"].startswith("A reboot now would not bring back: web (The start-up unit pm2-twzrd.service is not enabled")
    # not booted with systemd (this machine, a chroot): nothing to say about a unit
    assert checks._reboot_readiness(cfg, status, unit_dir=unit_dir, booted=False) is None
    # PM2 unreadable: its own finding says so; no apps at all: nothing to bring back
    assert checks._reboot_readiness(cfg, {"error": "PM2 daemon is not running"}, unit_dir=unit_dir, booted=True) is None
    idle = checks.normalize_config({"pm2_user": USER})
    assert checks._reboot_readiness(idle, dict(status, processes=[]), unit_dir=unit_dir, booted=True) is None


def test_audit_reports_the_pre_reboot_checks_read_only(tmp_path):
    from ansible_collections.twzrd.ops.plugins.filter import audit

    def reboot_check(reboot):
        data = {"swappiness_live": "10", "swappiness_files": "", "pm2": None, "cron": None, "reports": [],
                "logrotate": None, "logs": [], "reboot": reboot}
        return [c for c in audit.audit_host(data, today="2026-11-30")["checks"] if c["check"] == "reboot_ready"]

    unit_dir, home, _pm2 = layout(tmp_path)
    dump(home, ["web"])
    result = reboot_ready.check(USER, home, expected=["web", "api"], online=["web", "api"], unit_dir=unit_dir)
    result["message"] = reboot_ready.warning_message(result, ["web", "api"], ["web", "api"])
    [check] = reboot_check(result)
    assert check["level"] == "warning" and check["message"].startswith("A reboot now would not bring back: api (")
    assert check["details"] == ["fix: pm2 save"]
    dump(home, ["web", "api"])
    [check] = reboot_check(reboot_ready.check(USER, home, expected=["web"], online=["web", "api"], unit_dir=unit_dir))
    assert check["level"] == "ok"
    assert reboot_check(None) == []
    [check] = reboot_check({"error": "pm2_reboot_ready: Name the PM2 user whose start-up unit is checked."})
    assert check["level"] == "warning" and "could not run" in check["message"]


def test_node_for_follows_a_symlinked_pm2_to_its_npm_prefix(tmp_path):
    # /usr/local/bin/pm2 -> /opt/node-v20/bin/pm2 -> ../lib/node_modules/pm2/bin/pm2, node in /opt/node-v20/bin
    node = script(str(tmp_path / "opt/node-v20/bin/node"), "#!/bin/sh\n")
    real = script(str(tmp_path / "opt/node-v20/lib/node_modules/pm2/bin/pm2"), "#!/usr/bin/env node\n")
    os.symlink("../lib/node_modules/pm2/bin/pm2", str(tmp_path / "opt/node-v20/bin/pm2"))
    os.makedirs(str(tmp_path / "usr/local/bin"))
    os.symlink(str(tmp_path / "opt/node-v20/bin/pm2"), str(tmp_path / "usr/local/bin/pm2"))
    assert reboot_ready.node_for(str(tmp_path / "usr/local/bin/pm2"), path_env=str(tmp_path / "empty")) == node
    assert reboot_ready.node_for(real, path_env=str(tmp_path / "empty")) == node


def test_pm2_modules_are_not_expected_in_the_dump(tmp_path):
    # `pm2 save` never dumps a PM2 module (pm2 install pm2-logrotate): the daemon starts those
    # from PM2_HOME/modules, so an online module must not make the host "not ready" for ever.
    unit_dir, home, _pm2 = layout(tmp_path)
    dump(home, ["web"])
    os.makedirs(os.path.join(home, "modules", "pm2-logrotate"))
    result = reboot_ready.check(USER, home, expected=["web"], online=["web", "pm2-logrotate"], unit_dir=unit_dir)
    assert result["ready"], result["problems"]
    # an app of the same kind that is not a module still must be saved
    result = reboot_ready.check(USER, home, expected=["web"], online=["web", "pm2-other"], unit_dir=unit_dir)
    assert result["repairs"] == ["pm2 save"]
