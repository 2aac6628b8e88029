# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The suite's own layout: `pytest tests` imports test files by their basename (rootdir-relative
packages are not used), so two test files with one name make the whole run stop at collection
("import file mismatch") before any test runs."""

from __future__ import annotations

import collections
import os

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_test_file_has_its_own_basename():
    seen = collections.defaultdict(list)
    for directory, dirs, files in os.walk(TESTS):
        dirs[:] = [d for d in dirs if d not in ("output", "__pycache__")]
        for name in files:
            if name.startswith("test_") and name.endswith(".py"):
                seen[name].append(os.path.relpath(os.path.join(directory, name), TESTS))
    clashes = dict((name, paths) for name, paths in seen.items() if len(paths) > 1)
    assert not clashes, "test files sharing a basename (rename one): %s" % clashes
    assert len(seen) > 40
