# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JSON read from outside (pm2 jlist, a health body, Prometheus, our own state files) with one
nesting limit, whatever the Python.

Up to Python 3.12 json raises RecursionError at about 1,000 levels; from 3.13 on it reads
nesting of any depth, so a 9,000-deep health body would be "healthy" and the code that walks
it later could overflow the stack. Every reader here raises RecursionError beyond MAX_DEPTH,
the error those readers already turn into a sentence. Imports nothing from ansible.
"""

from __future__ import annotations

import json

# Deeper than any document twzrd-ops reads (pm2 jlist is about 10 levels deep).
MAX_DEPTH = 200


def check_depth(value, limit=MAX_DEPTH):
    """value, or RecursionError when its lists and objects nest deeper than limit (iterative)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise RecursionError("JSON nested deeper than %d levels" % limit)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return value


def loads(text):
    """json.loads with the nesting limit (ValueError for bad JSON, RecursionError for depth)."""
    return check_depth(json.loads(text))


def raw_decode(decoder, text, start):
    """decoder.raw_decode with the nesting limit: (value, end)."""
    value, end = decoder.raw_decode(text, start)
    return check_depth(value), end
