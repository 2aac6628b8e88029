# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/escape.py: one escaping function per output kind, each property for any text."""

from __future__ import annotations

import html
import json
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.module_utils import common, escape

# Any code point, lone surrogates included (st.text leaves them out unless asked).
anything = st.text(st.characters(exclude_categories=()), max_size=60)
HIDDEN = ("Cc", "Cf", "Cs", "Zl", "Zp")


def hidden(text):
    return [c for c in text if unicodedata.category(c) in HIDDEN]


@settings(max_examples=100, deadline=None)
@given(anything)
def test_every_kind_gives_valid_utf8_without_hidden_characters(text):
    for function in (escape.printable, escape.term, escape.log_text, escape.md, escape.md_cell, escape.html_text, escape.prom_label, escape.slack):
        out = function(text)
        out.encode("utf-8")
        assert hidden(out) == [], function.__name__


@settings(max_examples=100, deadline=None)
@given(anything)
def test_markdown_text_is_one_line_with_every_special_character_escaped(text):
    out = escape.md(text)
    assert "\n" not in out
    # Remove the escaped pairs: no Markdown or HTML special character may be left alone.
    assert re.search(r"[`*\[\]<>#!|~&]", re.sub(r"\\.", "", out)) is None


@settings(max_examples=100, deadline=None)
@given(anything)
def test_html_text_unescapes_to_the_printable_text(text):
    assert html.unescape(escape.html_text(text)) == escape.printable(text)
    assert re.search(r"[<>\"']", escape.html_text(text)) is None


@settings(max_examples=100, deadline=None)
@given(anything)
def test_prometheus_label_round_trips_by_the_exposition_rules(text):
    label = escape.prom_label(text, limit=None)
    unescaped = re.sub(r'\\(["\\n])', lambda m: "\n" if m.group(1) == "n" else m.group(1), label)
    assert unescaped == "\n".join(escape.printable(part) for part in escape.valid(text).split("\n"))
    assert re.search(r'(?<!\\)"', re.sub(r"\\\\", "", label)) is None


def test_lone_surrogates_and_invalid_bytes_are_shown():
    assert escape.valid("a\ud800b") == "a\\ud800b"
    assert escape.valid(b"a\xffb") == "a\\xffb"
    assert json.loads(json.dumps(escape.json_safe({"k\udcff": ["\ud800"]}))) == {"k\\udcff": ["\\ud800"]}


def test_caps_cut_with_an_ellipsis_and_lists_end_in_and_n_more():
    assert escape.term("x" * 1000, 10) == "xxxxxxx..."
    assert escape.head(range(60), 50) == list(range(50)) and escape.more(range(60), 50) == "and 10 more"
    assert escape.more(range(50), 50) == ""
    assert escape.names("abcdefghijkl", 3) == "a, b, c and 9 more"


def test_snake_case_stays_readable_in_markdown_while_emphasis_is_escaped():
    assert escape.md("max_memory_restart") == "max_memory_restart"
    assert escape.md("_em_ *b* a|b") == "\\_em\\_ \\*b\\* a\\|b"


def test_common_printable_is_the_terminal_escape():
    assert common.printable is escape.printable
    assert common.printable("\x1b[31m\u202e\u2028\U000e0001") == "\\x1b[31m\\u202e\\u2028\\U000e0001"


def test_slack_text_cannot_plant_a_mention_or_a_link():
    assert escape.slack("<!channel> <http://x|click> & \x1b") == "&lt;!channel&gt; &lt;http://x|click&gt; &amp; \\x1b"
