"""The layout of module_utils shows its layers (docs/DESIGN.md, "Import layers"): every
file has a layer, imports only its own layer or below, in no cycle, and only at the top of
the file; no file is over 400 lines."""

from __future__ import annotations

import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UTILS = os.path.join(ROOT, "plugins", "module_utils")
LIMIT = 400


def layers():
    with open(os.path.join(ROOT, "docs", "DESIGN.md"), encoding="utf-8") as handle:
        text = handle.read()
    found = {}
    for number, names in re.findall(r"^layer (\d+) +(.+)$", text, re.M):
        for name in names.split():
            found[name] = int(number)
    return found


def files():
    return sorted(name[:-3] for name in os.listdir(UTILS) if name.endswith(".py") and name != "__init__.py")


def parse(name):
    with open(os.path.join(UTILS, name + ".py"), encoding="utf-8") as handle:
        source = handle.read()
    return source, ast.parse(source)


def local_imports(tree):
    """(module_utils names imported, line) of every relative import in tree."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.append((node.module.split(".")[0], node.lineno))
            else:
                found.extend((alias.name, node.lineno) for alias in node.names)
    return found


def test_every_file_has_a_layer():
    assert sorted(set(files()) - set(layers())) == []
    assert sorted(set(layers()) - set(files())) == []  # no layer line for a file that is gone


def test_no_import_against_the_layer_order():
    order = layers()
    wrong = []
    for name in files():
        for imported, line in local_imports(parse(name)[1]):
            if order.get(imported, -1) > order.get(name, -1):
                wrong.append("%s.py:%d imports %s (layer %s above %s)"
                             % (name, line, imported, order.get(imported), order.get(name)))
    assert wrong == []


def test_no_import_cycle():
    graph = {name: {imported for imported, _line in local_imports(parse(name)[1])} for name in files()}
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            visit(nxt)
        stack.pop()

    for name in sorted(graph):
        visit(name)
    assert cycles == []


def test_every_import_is_at_the_top_of_its_file():
    inside = []
    for name in files():
        tree = parse(name)[1]
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inside.extend("%s.py:%d" % (name, sub.lineno) for sub in ast.walk(node)
                              if isinstance(sub, (ast.Import, ast.ImportFrom)))
    assert inside == []


def test_no_file_is_over_the_limit():
    long_files = []
    for name in files():
        count = parse(name)[0].count("\n")
        if count > LIMIT:
            long_files.append("%s.py: %d lines" % (name, count))
    assert long_files == []
