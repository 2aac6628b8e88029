# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The suite's own layout: `pytest tests` imports test files by their basename (rootdir-relative
packages are not used), so two test files with one name make the whole run stop at collection
("import file mismatch") before any test runs."""

from __future__ import annotations

import ast
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


def test_no_test_file_imports_another():
    """Shared helpers live in tests/conftest.py, tests/integration/servers.py and
    tests/unit/reportpages.py; a test file never imports another test file."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tests = {name[:-3] for folder in ("unit", "integration") for name in os.listdir(os.path.join(root, folder))
             if name.startswith("test_") and name.endswith(".py")}
    found = []
    for folder in ("unit", "integration"):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(root, folder, name), encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
            for node in ast.walk(tree):
                names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                found.extend("%s/%s imports %s" % (folder, name, imported) for imported in names if imported in tests)
    assert found == []
