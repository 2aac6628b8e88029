"""The library install's decisions (plugins/action/lib_install.py): which files travel, which
go, what the archive holds and what the diff says. The round trips themselves are tested for
real in tests/integration/test_upgrade_lib_install.py."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
from ansible.errors import AnsibleActionFail
from hypothesis import given, settings, strategies as st

from ansible_collections.twzrd.ops.plugins.action import lib_install

SOURCES = {"cli.py": b"print('cli')\n", "checks.py": b"X = 1\n"}


def _entry(name, data, mode="0644", owner="root", isreg=True, islnk=False):
    entry = {"path": "/usr/local/lib/twzrd-ops/twzrd_ops_lib/" + name, "mode": mode, "pw_name": owner,
             "gr_name": owner, "isreg": isreg, "islnk": islnk}
    if isreg and not islnk:
        entry["checksum"] = hashlib.sha1(data).hexdigest()  # nosec: find's checksum is sha1
    return entry


def _installed_as_sources():
    return [_entry(name, data) for name, data in SOURCES.items()] + [_entry("__init__.py", b"")]


def test_an_up_to_date_host_needs_nothing():
    assert lib_install.plan(SOURCES, _installed_as_sources(), ["__init__.py"]) == ([], [])


def test_a_fresh_host_gets_every_file_and_loses_nothing():
    assert lib_install.plan(SOURCES, [], ["__init__.py"]) == (["checks.py", "cli.py"], [])


@pytest.mark.parametrize("changed", [
    dict(data=b"edited on the host\n"),
    dict(mode="0666"),
    dict(mode="0755"),
    dict(owner="nobody"),
    dict(islnk=True),
    dict(isreg=False),
])
def test_a_file_that_differs_in_content_mode_owner_or_kind_is_written_again(changed):
    installed = _installed_as_sources()
    data = changed.pop("data", SOURCES["cli.py"])
    installed[[e["path"].endswith("/cli.py") for e in installed].index(True)] = _entry("cli.py", data, **changed)
    assert lib_install.plan(SOURCES, installed, ["__init__.py"]) == (["cli.py"], [])


def test_stale_files_of_an_older_release_go_and_the_kept_marker_stays():
    installed = _installed_as_sources() + [_entry("old_module.py", b"x"), _entry("__pycache__", b"", isreg=False)]
    assert lib_install.plan(SOURCES, installed, ["__init__.py"]) == ([], ["__pycache__", "old_module.py"])


NAMES = st.from_regex(r"[a-z_]{1,12}\.py", fullmatch=True).filter(lambda name: name != "__init__.py")


@settings(deadline=None, max_examples=60)
@given(st.dictionaries(NAMES, st.binary(max_size=64), min_size=1, max_size=8), st.dictionaries(NAMES, st.binary(max_size=64), max_size=8))
def test_after_the_plan_the_host_holds_exactly_the_sources(sources, on_host):
    """Class test: whatever an older release left, writing and removing what plan() says leaves
    exactly the controller's files (the kept marker aside) and a second plan is empty."""
    installed = [_entry(name, data) for name, data in on_host.items()]
    write, remove = lib_install.plan(sources, installed, ["__init__.py"])
    after = dict((n, d) for n, d in on_host.items() if n not in remove)
    after.update((n, sources[n]) for n in write)
    after.pop("__init__.py", None)
    assert after == sources
    assert lib_install.plan(sources, [_entry(n, d) for n, d in after.items()], ["__init__.py"]) == ([], [])


def test_the_archive_holds_root_owned_0644_files_with_the_sources_bytes():
    data = lib_install.archive(SOURCES, ["cli.py"], 1700000000)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
        assert [(m.name, m.mode, m.uid, m.gid, m.uname, m.gname, m.mtime, m.isfile()) for m in members] == [
            ("cli.py", 0o644, 0, 0, "root", "root", 1700000000, True)]
        assert tar.extractfile(members[0]).read() == SOURCES["cli.py"]
    # Deterministic: the same files and time give the same bytes.
    assert lib_install.archive(SOURCES, ["cli.py"], 1700000000) == data


def test_the_diff_names_files_never_their_content():
    text = lib_install.summary("/lib", ["f%02d.py" % n for n in range(12)], ["old.py"])
    assert text == ("/lib: write 12 file(s): f00.py, f01.py, f02.py, f03.py, f04.py, f05.py, f06.py, f07.py, f08.py, f09.py and 2 more\n"
                    "/lib: remove 1 stale entry: old.py\n")


def test_a_directory_without_python_files_is_refused_in_one_sentence(tmp_path):
    (tmp_path / "README").write_text("no code here")
    with pytest.raises(AnsibleActionFail, match=r"^lib_install found no Python file in .*; run the role from the collection\.$"):
        lib_install.read_sources(str(tmp_path))
    with pytest.raises(AnsibleActionFail, match=r"^lib_install cannot read the library directory .*missing"):
        lib_install.read_sources(str(tmp_path / "missing"))


def test_the_sources_are_the_collections_module_utils_without_the_package_marker(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "cli.py").write_bytes(SOURCES["cli.py"])
    (tmp_path / "notes.txt").write_text("not code")
    assert lib_install.read_sources(str(tmp_path)) == {"cli.py": SOURCES["cli.py"]}
