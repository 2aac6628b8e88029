"""fleet_settings (the read-only playbooks' gathering) tells each broken setting in ONE
sentence, ours: never Ansible's argument-spec message beside ours for the same variable, and
an unknown variable with the likely name first and at most a few names like it
(module_utils/settings.one_sentence_each, unknown_variable)."""

from __future__ import annotations

import re

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.twzrd.ops.plugins.filter import settings as settings_filter
from ansible_collections.twzrd.ops.plugins.module_utils import settings

OPTIONS = settings_filter._role()[1]  # pylint: disable=protected-access
ANSIBLE_WORDS = ("we were unable to convert", "argument '", "must be one of: ", "Valid booleans include")
# A value of the wrong type for each argument-spec type.
WRONG = {"int": "abc", "float": "abc", "bool": "maybe", "list": {"a": 1}, "dict": "x", "str": {"a": 1}, "path": {"a": 1}}


def _refused_by_the_argument_specs(name):
    """The variables whose wrong value Ansible's argument check refuses (a str setting takes a
    mapping as its text, so those are not refused at all)."""
    option = OPTIONS[name] or {}
    return len(list(ArgumentSpecValidator(OPTIONS).validate({name: WRONG.get(option.get("type", "str"))}).errors)) > 0


REFUSED = sorted(n for n, o in OPTIONS.items() if (o or {}).get("type", "str") in WRONG and _refused_by_the_argument_specs(n))


def test_the_class_is_large():
    assert len(REFUSED) >= 40, REFUSED


def _told(variables):
    return settings_filter.fleet_settings({"h": variables}, ["h"])["unchecked"].get("h", "")


@pytest.mark.parametrize("name", REFUSED)
def test_every_variable_of_a_wrong_type_is_one_sentence_of_ours(name):
    told = _told({name: WRONG[(OPTIONS[name] or {}).get("type", "str")]})
    assert told.startswith("not checked: "), told
    sentences = told[len("not checked: "):]
    assert not any(words in sentences for words in ANSIBLE_WORDS), sentences
    assert len(re.findall(r"(?<!\w)%s(?!\w)" % re.escape(name), sentences)) >= 1, sentences
    # One sentence names the variable: not ours and then Ansible's again.
    assert sum(1 for part in re.split(r"(?<=\.) (?=[A-Z])", sentences) if name in part) == 1, sentences


def test_the_crash_threshold_from_extra_vars_is_our_sentence_alone():
    assert _told({"twzrd_ops_crash_threshold": "abc"}) == "not checked: Setting twzrd_ops_crash_threshold must be a number, got 'abc'."


def test_a_secret_setting_of_the_wrong_type_hides_its_value():
    told = _told({"twzrd_ops_alerts_webhook_url": {"token": "S3CRET"}})
    assert "S3CRET" not in told and "twzrd_ops_alerts_webhook_url" in told


def test_an_argument_spec_message_naming_no_variable_is_kept():
    assert settings.one_sentence_each([], ["something else went wrong"], {}, OPTIONS) == ["something else went wrong"]


def test_an_unknown_variable_says_the_likely_name_first_and_a_short_list():
    told = settings.unknown_variable("twzrd_ops_crash_treshold", list(OPTIONS))
    assert told.startswith("Unknown twzrd_ops variable: twzrd_ops_crash_treshold. Perhaps you meant twzrd_ops_crash_threshold. ")
    assert len(re.findall(r"twzrd_ops_\w+", told)) <= 7, told
    assert len(told) < 300 and "ansible-doc -t role twzrd.ops.twzrd_ops" in told


def test_an_unknown_variable_like_nothing_points_at_the_documentation():
    told = settings.unknown_variable("twzrd_ops_colour", list(OPTIONS))
    assert told == "Unknown twzrd_ops variable: twzrd_ops_colour. The role's variables: ansible-doc -t role twzrd.ops.twzrd_ops."


def test_each_unknown_variable_is_its_own_short_sentence():
    found = settings.errors({"twzrd_ops_swap_warnign": 1, "twzrd_ops_colour": 2, "twzrd_ops_pm2_user": "app"}, list(OPTIONS), True)
    unknown = [text for text in found if text.startswith("Unknown")]
    assert len(unknown) == 2 and all(len(text) < 300 for text in unknown), unknown


def test_a_hidden_value_reads_as_a_sentence():
    assert _told({"twzrd_ops_fleet_report_email": "x"}) == \
        "not checked: Setting twzrd_ops_fleet_report_email must be a mapping (value hidden)."
