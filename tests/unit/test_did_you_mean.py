"""A misspelled setting or variable is refused with the known names and, when one is close,
the name the operator probably meant (common.refuse_unknown, used by checks, alerts, config
and the role's settings)."""

from __future__ import annotations

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import checks, settings
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError


def test_a_typo_in_a_check_setting_names_the_likely_setting():
    with pytest.raises(OpsError) as caught:
        checks.normalize_config({"swap_warnign": 10})
    assert str(caught.value).startswith("Unknown check setting: swap_warnign. Perhaps you meant swap_warning. Known: ")


def test_a_misspelled_role_variable_names_the_likely_variable():
    found = settings.errors({"twzrd_ops_expected_app": ["web"]}, ["twzrd_ops_expected_apps", "twzrd_ops_pm2_user"], True)
    assert found and " Perhaps you meant twzrd_ops_expected_apps. Known: " in found[0]


def test_no_guess_when_nothing_is_close():
    with pytest.raises(OpsError) as caught:
        checks.normalize_config({"colour": "blue"})
    assert "Perhaps you meant" not in str(caught.value)
