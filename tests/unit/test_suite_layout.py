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


def suite_sources():
    """(folder/name, source) of every Python file of tests/unit and tests/integration."""
    for folder in ("unit", "integration"):
        directory = os.path.join(TESTS, folder)
        for name in sorted(os.listdir(directory)):
            if name.endswith(".py"):
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    yield "%s/%s" % (folder, name), handle.read()


def accept_rule_holds(source):
    """True unless source calls accept() on a socket without servers.stop_listening."""
    tree = ast.parse(source)
    attributes = [node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)]
    names = [node.id for node in ast.walk(tree) if isinstance(node, ast.Name)]
    return "accept" not in attributes or "stop_listening" in attributes + names


def test_every_raw_accept_loop_is_stopped_before_its_socket_is_freed():
    """A test server that calls accept() on a plain socket in a thread is closed through
    servers.stop_listening (shutdown, join, close): a bare close() leaves the thread blocked
    while its descriptor number goes to the next socket, and a later test's receiver can be
    answered by the stale server (a CI run failed with such a reply). A file with a raw accept() uses it."""
    offenders = [path for path, source in suite_sources() if not accept_rule_holds(source)]
    assert offenders == [], "raw accept() without servers.stop_listening: %s" % offenders
    # The rule can fail: a bare close() after accept() is refused.
    assert accept_rule_holds("sock.accept()\nsock.close()\n") is False
    assert accept_rule_holds("sock.accept()\nstop_listening(sock, thread)\n") is True


_CLOCK_CALLS = ("strftime", "now", "today", "time", "gmtime", "localtime", "utcnow")


def clock_at_import(source):
    """Module-level assignments of source whose value reads the clock (a call such as
    strftime(), now(), time.time()) when the module is imported: the names of their targets."""
    def calls(node):  # the calls made when the value is evaluated (not those a lambda defers)
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.Call):
            yield node.func
        for child in ast.iter_child_nodes(node):
            yield from calls(child)

    found = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            funcs = list(calls(node.value))
            if any(getattr(func, "attr", getattr(func, "id", None)) in _CLOCK_CALLS for func in funcs):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found.extend(getattr(target, "id", "?") for target in targets)
    return found


def test_no_test_module_reads_the_clock_when_it_is_imported():
    """A date taken when pytest imports a test module is hours old when its tests run: a CI run
    that crossed midnight failed 9 tests looking for yesterday's report. Tests take the day from
    the run (conftest.run_day) or read the clock when they need it."""
    offenders = ["%s: %s" % (path, target) for path, source in suite_sources() for target in clock_at_import(source)]
    assert offenders == []
    # The rule can fail: the line the quick start tests had.
    assert clock_at_import('TODAY = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")\nT0 = 1795737600.0\n') == ["TODAY"]
