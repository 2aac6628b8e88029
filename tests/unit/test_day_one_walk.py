"""Issue 24's day-one list, walked again as a new user (h17): what the walk found that did not
hold, as the class it belongs to.

"silence.yml prints no literal \\n" holds, but the class does not: under ansible-core 2.19 a
Jinja string '\\n' written in a YAML scalar that is not double-quoted (a folded `>-` block, a
plain or single-quoted scalar) reaches the output as the two characters backslash and n
(`msg: 'localhost:\\n  CRITICAL health ...'`, seen from playbooks/alerts.yml on 2026-12-06);
only YAML's double quotes turn it into a line break before Jinja sees it (status.yml's
join('\\n')). This test reads every task and template file of the playbooks and the role, as
YAML parses them, and finds the Jinja string literals that still hold a backslash-n."""

from __future__ import annotations

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
LITERAL_BACKSLASH_N = re.compile(r"""(['"])(?:(?!\1).)*?\\n(?:(?!\1).)*?\1""", re.S)
# Known offenders, each waiting for its owner's fix (the lead's report names the change).
KNOWN = {}


# What Ansible prints: the messages of debug, fail and assert (a command's argument, e.g.
# dpkg-query's format '\\n', is not printed and wants its backslash).
PRINTED = ("msg", "fail_msg", "success_msg")


def strings(node, printed=False):
    if isinstance(node, str):
        if printed:
            yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, printed or key in PRINTED)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value, printed)


def yaml_files():
    found = []
    for pattern in ("playbooks/*.yml", "playbooks/**/*.yml", "roles/twzrd_ops/tasks/*.yml", "roles/twzrd_ops/handlers/*.yml"):
        found.extend(glob.glob(os.path.join(ROOT, pattern), recursive=True))
    return sorted({os.path.relpath(path, ROOT) for path in found})


def literal_backslash_n(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    hits = []
    for text in strings(document):
        for expression in JINJA.findall(text):
            hits.extend(match.group(0) for match in LITERAL_BACKSLASH_N.finditer(expression))
    return hits


def test_the_walk_covers_the_playbooks_and_the_role():
    files = yaml_files()
    assert "playbooks/silence.yml" in files and "roles/twzrd_ops/tasks/emergency_load.yml" in files
    assert len(files) > 20


def test_the_finder_sees_the_fault_and_not_its_fixed_form():
    """The finder itself: a folded block's '\\n' is found, a double-quoted scalar's is not (YAML
    made it a line break), nor a '\\\\n' meant as a backslash."""
    folded = yaml.safe_load("msg: >-\n  {{ host }}:{{ '\\n' }}\n")
    quoted = yaml.safe_load('msg: "{{ rows | join(\'\\n\') }}"\n')
    assert LITERAL_BACKSLASH_N.findall(JINJA.findall(folded["msg"])[1])
    assert not LITERAL_BACKSLASH_N.findall(JINJA.findall(quoted["msg"])[0])


@pytest.mark.parametrize("path", [
    pytest.param(path, marks=pytest.mark.xfail(strict=True, reason=KNOWN[path])) if path in KNOWN else path
    for path in yaml_files()])
def test_no_jinja_string_prints_a_literal_backslash_n(path):
    assert literal_backslash_n(path) == []


# ------------------------------------------------- the versions claimed are the versions tested
# (issue 24: "The README's tested versions table and meta/runtime.yml say exactly what passes")

def matrix_versions():
    with open(os.path.join(ROOT, "scripts", "test-matrix.sh"), encoding="utf-8") as handle:
        return re.search(r"^VERSIONS=\$\{TWZRD_MATRIX_VERSIONS:-([\d. ]+)\}$", handle.read(), re.M).group(1).split()


def test_requires_ansible_is_the_range_the_matrix_tests():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        claimed = yaml.safe_load(handle)["requires_ansible"]
    tested = matrix_versions()
    assert tested == ["2.19", "2.20", "2.21"]
    low, high = re.fullmatch(r">=(\d+\.\d+)\.0,<(\d+\.\d+)\.0", claimed).groups()
    assert low == tested[0]  # the oldest tested release
    major, minor = tested[-1].split(".")
    assert high == "%s.%d" % (major, int(minor) + 1)  # nothing newer than the newest tested
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        row = [line for line in handle if line.startswith("| ansible-core (controller) |")]
    assert len(row) == 1 and "`%s` (`meta/runtime.yml`)" % claimed in row[0]
    for version in tested:
        assert re.search(r"\b%s\.\d+\b" % re.escape(version), row[0]), version  # each tested release named exactly
