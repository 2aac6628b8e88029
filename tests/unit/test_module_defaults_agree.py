"""The modules' documented defaults (which ansible-test's validate-modules holds equal to their
argument specs) are the checks' defaults of module_utils (checks.DEFAULTS): a module run with
no option judges as `twzrd-ops` and the role do. And the role's flow settings
(settings.FLOWS) are documented in meta/argument_specs.yml with the same kind, with a default
in defaults/main.yml."""

from __future__ import annotations

import importlib
import os

import pytest
import yaml

from ansible_collections.twzrd.ops.plugins.module_utils import checks, settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# module -> {option: key of checks.DEFAULTS}
SAME = {
    "pm2_status": {"crash_window": "crash_window", "crash_threshold": "crash_threshold"},
    "health_probe": {"url": "health_url", "timeout": "health_timeout", "retries": "health_retries", "delay": "health_delay",
                     "expect_json": "health_expect_json", "expect_keys": "health_expect_keys"},
    "swap_usage": {"swap_warning": "swap_warning", "swap_critical": "swap_critical", "load_mode": "load_mode",
                   "load_warning": "load_warning", "load_critical": "load_critical"},
    "log_scan": {"paths": "log_paths", "patterns": "log_patterns", "window_days": "log_window_days"},
}


def _options(module):
    loaded = importlib.import_module("ansible_collections.twzrd.ops.plugins.modules." + module)
    return yaml.safe_load(loaded.DOCUMENTATION)["options"]


@pytest.mark.parametrize("module", sorted(SAME))
def test_module_defaults_are_the_checks_defaults(module):
    options = _options(module)
    for option, key in SAME[module].items():
        assert options[option].get("default") == checks.DEFAULTS[key], (module, option)


def test_swap_usage_measures_no_disk_unless_asked():
    # Deliberately not checks.DEFAULTS' ['/', '/var/log']: the emergency flows read swap and load only.
    assert _options("swap_usage")["disk_paths"]["default"] == []


def _role(*parts):
    with open(os.path.join(ROOT, "roles", "twzrd_ops", *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


KINDS = {int: "int", bool: "bool", str: ("str", "path"), dict: "dict"}


def test_every_flow_setting_is_documented_with_its_kind_and_defaulted():
    options = _role("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = _role("defaults", "main.yml")
    for flow, keys in settings.FLOWS.items():
        for name, kind, low, _high in keys.values():
            assert options[name]["type"] in KINDS[kind], (flow, name)
            assert name in defaults, name
            assert settings.errors({name: defaults[name]}, [name], checks_only=True) == [], name  # the default passes its rules
            if isinstance(low, tuple):
                assert tuple(options[name]["choices"]) == low, name


def test_every_flow_is_a_documented_entry_point_with_a_task_file():
    specs = _role("meta", "argument_specs.yml")["argument_specs"]
    assert specs["settings"]["options"] == specs["main"]["options"]
    for flow in ("patch", "restart", "emergency_swap", "emergency_load", "emergency_crashloop", "silence"):
        # A flow's settings are the role's, typed and checked once by flow_settings (one sentence of
        # ours per problem): Ansible's per-host argument check with the whole option list is not repeated.
        assert flow in specs and specs[flow]["options"] == {}, flow
        assert "flow_settings" in " ".join(specs[flow]["description"]), flow
        assert os.path.exists(os.path.join(ROOT, "roles", "twzrd_ops", "tasks", flow + ".yml")), flow
