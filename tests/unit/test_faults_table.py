"""docs/FAULTS.md names a test for every fault: each one must exist, so the table cannot
promise a test that was renamed or removed."""

from __future__ import annotations

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = {"U": "tests/unit", "I": "tests/integration"}


def test_every_row_names_a_test_that_exists():
    with open(os.path.join(ROOT, "docs", "FAULTS.md"), encoding="utf-8") as handle:
        table = handle.read()
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| fault")]
    assert len(rows) >= 80
    missing = []
    for row in rows:
        refs = re.findall(r"`([UI]):(test_\w+\.py)::(test_\w+)`", row)
        # A fault tried in a molecule scenario names its verify file, run by `make molecule`.
        scenario_files = re.findall(r"`(molecule/\w+/[\w/]+\.yml)`", row)
        assert refs or scenario_files, "a fault without a test: %s" % row
        missing.extend(path for path in scenario_files if not os.path.exists(os.path.join(ROOT, path)))
        for where, name, function in refs:
            path = os.path.join(ROOT, PREFIX[where], name)
            source = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
            if not re.search(r"^def %s\(" % function, source, re.M):
                missing.append("%s/%s::%s" % (PREFIX[where], name, function))
    assert missing == []
