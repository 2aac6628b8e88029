# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Text from outside, escaped for where it goes: one function per output kind.

App names, log lines, URLs, health bodies and error messages come from outside. Before any
of them is written, it goes through the function of the output it lands in:

  printable(text)          terminal and logs: every control, bidi and invisible format
                           character shown as an escape (\\x1b, \\u202e), no length cap
  term(text, limit)        a terminal line: printable (newlines shown too), at most limit characters
  log_text(text, limit)    an alert log line's message: whitespace runs -> one space, printable
  md(text, limit)          Markdown inline text and table cells: one line, markup escaped
  md_cell(text, limit)     md, and "-" for nothing
  html_text(text, limit)   HTML text and attribute values: markup escaped, controls shown
  prom_label(text, limit)  a Prometheus label value (exposition format: \\\\, \\", \\n)
  slack(text, limit)       a Slack-compatible webhook message: printable, & < > as entities
  json_safe(value)         a value that json.dumps and UTF-8 encode without loss or error

Every function first makes the text valid Unicode (a lone surrogate, from invalid UTF-8 or
a JSON "\\ud800", is shown as \\udc80 rather than breaking the encoder) and cuts it to
limit characters, marked with "...". Lists are capped with head() and more().

Pure, stdlib only, imports nothing from this package (common.py re-exports printable).
"""

from __future__ import annotations

import html
import re
import unicodedata

# How many characters of outside text each kind keeps (a line of a table, a finding).
TERM_LIMIT = 300
LOG_LIMIT = 2000
MD_LIMIT = 500
HTML_LIMIT = 2000
LABEL_LIMIT = 200
# How many items of a list a report shows before "and N more".
LIST_LIMIT = 50

# Anything that is not plain printable ASCII is looked at; of it, controls (Cc), format
# characters (Cf: bidi overrides and isolates, zero-width characters), surrogates (Cs) and
# the line and paragraph separators (Zl, Zp) are shown escaped.
_SUSPECT = re.compile("[^\x20-\x7e]")
_HIDDEN = ("Cc", "Cf", "Cs", "Zl", "Zp")
# Markdown's inline punctuation; _ only at a word's edge (snake_case inside a word is literal).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>#!|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_ELLIPSIS = "..."


def valid(text):
    """str(text), or bytes decoded as UTF-8, with every lone surrogate shown as \\udcXX and
    every invalid byte as \\xNN: the result always encodes to UTF-8."""
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("utf-8", "backslashreplace")
    if not isinstance(text, str):
        text = str(text)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def clip(text, limit):
    """text cut to at most limit characters, ending in ... when cut (None: no limit)."""
    if limit is None or len(text) <= limit:
        return text
    limit = max(int(limit), len(_ELLIPSIS))
    return text[: limit - len(_ELLIPSIS)] + _ELLIPSIS


def _shown(match):
    char = match.group(0)
    if unicodedata.category(char) not in _HIDDEN:
        return char
    code = ord(char)
    return "\\x%02x" % code if code < 0x100 else ("\\u%04x" % code if code < 0x10000 else "\\U%08x" % code)


def printable(text):
    """text with every control, bidi and invisible format character shown as an escape
    (\\x1b, \\x0a, \\u202e), so text from outside cannot move the cursor, recolour a
    terminal, fake a line of a report or log, or reorder what a reader sees."""
    return _SUSPECT.sub(_shown, valid(text))


def one_line(text):
    """Runs of whitespace (newlines included) as one space, ends trimmed."""
    return " ".join(valid(text).split())


def term(text, limit=TERM_LIMIT):
    """Outside text for one terminal line: printable (a newline is shown as \\x0a, so a
    forged line stays visible as one), at most limit characters of the original (each
    escape then takes a few more)."""
    return printable(clip(valid(text), limit))


def log_text(text, limit=LOG_LIMIT):
    """Outside text for an alert log line: one line of printable text."""
    return printable(one_line(clip(valid(text), limit)))


def md(text, limit=MD_LIMIT):
    """Outside text for Markdown inline text or a table cell: one line (a list item or a
    table row stays one), controls shown escaped, and every character Markdown or the HTML
    inside Markdown gives a meaning (* _ ` [ ] < > & | # ...) backslash-escaped."""
    if text is None:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", printable(one_line(clip(valid(text), limit))))


def md_cell(text, limit=MD_LIMIT):
    """md() for a table cell: "-" for nothing."""
    return md(text, limit) or "-"


def html_text(text, limit=HTML_LIMIT):
    """Outside text for HTML text or a quoted attribute: markup escaped (& < > " '),
    controls and bidi characters shown as visible escapes; None gives ""."""
    if text is None:
        return ""
    return html.escape(printable(clip(valid(text), limit)), quote=True)


def prom_label(text, limit=LABEL_LIMIT):
    """A Prometheus label value (without its quotes) in the text exposition format: \\ as
    \\\\, " as \\", newline as \\n; other controls shown as printable escapes (their
    backslash escaped too, since the format knows no other escape)."""
    lines = clip(valid(text), limit).split("\n")
    value = "\n".join(printable(line) for line in lines)
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def slack(text, limit=LOG_LIMIT):
    """Outside text for a Slack-compatible webhook message (mrkdwn): printable, and the three
    characters Slack asks to escape (& < >) as entities, so <!channel> or a <URL|label> link
    cannot be planted by an app name."""
    return printable(clip(valid(text), limit)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def json_safe(value):
    """A deep copy of value whose strings (and keys) are valid Unicode: json.dumps of it,
    encoded as UTF-8, never fails and never writes a lone surrogate."""
    if isinstance(value, dict):
        return {valid(k) if isinstance(k, (str, bytes)) else k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (str, bytes, bytearray)):
        return valid(value)
    return value


def head(items, limit=LIST_LIMIT):
    """The first limit items of a list (pair it with more())."""
    return list(items or [])[: int(limit)]


def more(items, limit=LIST_LIMIT):
    """"and N more" for the items past the first limit, else "" (pair it with head())."""
    rest = len(list(items or [])) - int(limit)
    return "and %d more" % rest if rest > 0 else ""


def names(items, limit=10, separator=", "):
    """Up to limit items joined, then "and N more": "a, b, c and 4 more"."""
    items = [str(item) for item in items or []]
    text = separator.join(items[:limit])
    rest = more(items, limit)
    return "%s %s" % (text, rest) if rest else text
