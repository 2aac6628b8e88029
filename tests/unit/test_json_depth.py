"""One nesting limit for every JSON document read from outside (module_utils/jsondoc.py), the
same on Python 3.11 (whose json stops near 1,000 levels) and 3.13 (which reads any depth)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import config, jsondoc, run_journal
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError


def nested(depth, kind="list"):
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_the_limit_is_the_same_for_lists_and_objects(kind):
    assert jsondoc.loads(nested(jsondoc.MAX_DEPTH, kind)) is not None
    with pytest.raises(RecursionError):
        jsondoc.loads(nested(jsondoc.MAX_DEPTH + 1, kind))


def test_wide_documents_are_not_deep():
    wide = json.dumps([{"name": "app%d" % i, "pm2_env": {"env": {"K%d" % j: "v" for j in range(50)}}} for i in range(200)])
    assert len(jsondoc.loads(wide)) == 200


def test_a_too_deep_configuration_file_is_one_sentence(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"checks": {"x": ' + nested(300) + "}}")
    with pytest.raises(OpsError) as caught:
        config.load(str(path))
    assert str(path) in str(caught.value)


def test_a_too_deep_run_journal_reads_as_no_journal(tmp_path):
    path = tmp_path / "runs.json"
    path.write_text('{"version": 1, "jobs": ' + nested(300) + "}")
    assert run_journal.read(str(path)) == {}
