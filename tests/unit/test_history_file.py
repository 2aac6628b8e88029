"""Files you open are the files you meant (issue 20, principle 7): the history database is
never opened or created through a symbolic link, never in a directory another user can
write, never written with a mode looser than 0640 (plugins/module_utils/history_file.py).
Each refusal is one sentence, and the file the link points to is left byte for byte as it
was. The tests run as root here, as the hourly job does on a host."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import history
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

NOW = 1_800_000_000
SNAPSHOT = {"epoch": NOW, "system": {}, "pm2": {"processes": [{"name": "web", "memory": 1, "status": "online"}]}}


@pytest.fixture
def state(tmp_path):
    directory = tmp_path / "state"
    directory.mkdir(mode=0o750)
    return directory


def digest(path):
    with open(str(path), "rb") as handle:
        return handle.read()


def every_use(db):
    """Each way the history file is opened: (what, call)."""
    conf = history.validate({"db_path": str(db)})
    return [
        ("record", lambda: history.record(SNAPSHOT, str(db), now=NOW)),
        ("read", lambda: history.read(str(db), now=NOW)),
        ("read_for_trends", lambda: history.read_for_trends(conf, NOW)),
        ("summary", lambda: history.summary(str(db), now=NOW)),
    ]


def refused(call):
    """The sentence of a refusal, whichever way the caller gets it."""
    try:
        result = call()
    except OpsError as exc:
        return str(exc)
    if isinstance(result, tuple):  # read_for_trends: (samples, problem)
        return result[1]
    if isinstance(result, dict) and "reason" in result:  # summary: never raises
        return result["reason"]
    raise AssertionError("not refused: %r" % (result,))


def test_a_dangling_link_is_refused_and_its_target_never_created(state, tmp_path):
    target = tmp_path / "elsewhere" / "planted.sqlite"
    target.parent.mkdir()
    db = state / "history.sqlite"
    os.symlink(str(target), str(db))
    for what, call in every_use(db):
        sentence = refused(call)
        assert "History database %s is a symbolic link" % db in sentence, what
        assert "\n" not in sentence
        assert not target.exists(), what
    assert history.last_sample_time(str(db)) is None  # record() says why, once
    assert os.listdir(str(target.parent)) == []


def test_a_link_to_another_sqlite_database_leaves_that_database_unchanged(state, tmp_path):
    other = tmp_path / "app.sqlite"
    with sqlite3.connect(str(other)) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
        conn.execute("INSERT INTO users VALUES ('alice')")
    conn.close()
    os.chmod(str(other), 0o600)
    before = digest(other)
    db = state / "history.sqlite"
    os.symlink(str(other), str(db))
    for what, call in every_use(db):
        assert "is a symbolic link" in refused(call), what
    assert history.last_sample_time(str(db)) is None
    assert digest(other) == before
    with sqlite3.connect(str(other)) as conn:
        assert [row[0] for row in conn.execute("SELECT name FROM sqlite_master")] == ["users"]
    conn.close()
    assert not os.path.exists(str(other) + "-journal")


def test_a_link_to_a_system_file_is_never_read_or_written(state, tmp_path):
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    os.chmod(str(passwd), 0o644)
    before = digest(passwd)
    db = state / "history.sqlite"
    os.symlink(str(passwd), str(db))
    for what, call in every_use(db):
        sentence = refused(call)
        assert "is a symbolic link" in sentence and "root:x" not in sentence, what
    assert digest(passwd) == before and stat.S_IMODE(os.stat(str(passwd)).st_mode) == 0o644


def test_a_directory_that_is_a_link_or_writable_by_others_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o750)
    os.symlink(str(real), str(tmp_path / "link"))
    db = tmp_path / "link" / "history.sqlite"
    with pytest.raises(OpsError, match=r"^The directory .*/link of the history database is a symbolic link"):
        history.record(SNAPSHOT, str(db), now=NOW)
    assert os.listdir(str(real)) == []
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(str(shared), 0o1777)  # like /tmp: anyone may plant a file or a link there
    with pytest.raises(OpsError, match=r"^The directory .*/shared of the history database is writable by group or "
                                       r"others, so another user could swap the file; make it root's"):
        history.record(SNAPSHOT, str(shared / "history.sqlite"), now=NOW)
    assert os.listdir(str(shared)) == []
    assert "writable by group or others" in history.summary(str(shared / "history.sqlite"), now=NOW)["reason"]


def test_created_with_mode_0640_whatever_the_umask(state):
    old = os.umask(0)
    try:
        history.record(SNAPSHOT, str(state / "history.sqlite"), now=NOW)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(str(state / "history.sqlite")).st_mode) == 0o640


def test_a_file_others_may_write_is_refused_one_others_may_read_is_tightened(state):
    db = state / "history.sqlite"
    history.record(SNAPSHOT, str(db), now=NOW)
    os.chmod(str(db), 0o666)
    before = digest(db)
    with pytest.raises(OpsError, match=r"^History database .* is writable by group or others \(mode 0666\), so it may "
                                       r"hold anything; check it, then chmod 640 "):
        history.record(SNAPSHOT, str(db), now=NOW + 3600)
    assert digest(db) == before
    os.chmod(str(db), 0o644)
    history.record(SNAPSHOT, str(db), now=NOW + 3600)
    assert stat.S_IMODE(os.stat(str(db)).st_mode) == 0o640
    assert len(history.read(str(db), now=NOW + 3600)) == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root, as the hourly job has")
def test_a_file_of_another_user_or_not_a_regular_file_is_refused(state):
    db = state / "history.sqlite"
    history.record(SNAPSHOT, str(db), now=NOW)
    os.chown(str(db), 4242, 4242)  # root runs the tests, as the hourly job does on a host
    with pytest.raises(OpsError, match=r"^History database .* belongs to uid 4242, not to root or this user"):
        history.record(SNAPSHOT, str(db), now=NOW + 3600)
    os.unlink(str(db))
    os.mkfifo(str(db))  # O_NONBLOCK: opening a FIFO never hangs the run
    with pytest.raises(OpsError, match=r"^History database .* is not a regular file; move it away"):
        history.record(SNAPSHOT, str(db), now=NOW + 3600)
    with pytest.raises(OpsError, match=r"is not a regular file"):
        history.read(str(db), now=NOW)
