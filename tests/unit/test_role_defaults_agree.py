"""The role's defaults menu (defaults/main.yml) and its argument_specs restate, for the reader,
the defaults that live in module_utils (checks.DEFAULTS, alerts.DEFAULTS): this test
makes module_utils the one source, so a changed default cannot disagree anywhere."""

from __future__ import annotations

import os

import yaml

from ansible_collections.twzrd.ops.plugins.module_utils import alerts, checks, history, settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(ROOT, "roles", "twzrd_ops")


def _load(*parts):
    with open(os.path.join(ROLE, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _module_utils_defaults():
    """Role variable -> the default module_utils applies when the variable is unset."""
    sources = {"checks": checks.DEFAULTS, "alerts": alerts.DEFAULTS, "history": history.DEFAULTS}
    wanted = {}
    for section, names in settings.VARIABLES.items():
        defaults = sources.get(section)
        if defaults is None:
            continue
        for name, key in names.items():
            if key in defaults:
                wanted[name] = defaults[key]
    return wanted


def _same(role_value, default):
    if role_value is None:
        return True  # unset in the role: module_utils' default applies, nothing restated
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return isinstance(role_value, (int, float)) and float(role_value) == float(default)
    return role_value == default


def test_role_defaults_restate_module_utils_defaults_exactly():
    role = _load("defaults", "main.yml")
    wanted = _module_utils_defaults()
    assert len(wanted) >= 20
    differ = dict((name, (role[name], default)) for name, default in wanted.items()
                  if name in role and not _same(role[name], default))
    # The role picks its own PM2 user and health URL for a set-up host on purpose.
    differ.pop("twzrd_ops_pm2_user", None)
    assert differ == {}


def test_argument_specs_defaults_restate_module_utils_defaults_exactly():
    options = _load("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    wanted = _module_utils_defaults()
    differ = dict((name, (options[name].get("default"), default)) for name, default in wanted.items()
                  if name in options and "default" in options[name] and not _same(options[name]["default"], default))
    differ.pop("twzrd_ops_pm2_user", None)
    assert differ == {}
