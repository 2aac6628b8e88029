# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opening the history file (history_store.py): the file opened is the file meant.

The hourly job runs as root and the app user can write PM2_HOME, so a path is a claim:
  * its directory must be a real directory (not a symbolic link), owned by root or by the
    user running, and writable by nobody else (no other user can plant or swap a file);
  * the file must be a regular file, never a symbolic link (checked on a descriptor
    opened with O_NOFOLLOW, and the path must still name that inode once SQLite opened
    it), owned by root or the user running, and, to be written, not writable by group or
    others (refused) nor readable by others (the writer tightens it to 0640);
  * it is created with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0640, never through a link.
Each refusal is an OpsError of one sentence naming the path and the fix. A corrupt file is
moved aside (move_aside) by the writer only. Imports nothing from ansible.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from urllib.parse import quote

from .common import OpsError
from .history_settings import FILE_MODE, SCHEMA_VERSION

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class Corrupt(Exception):
    """The file is an SQLite file whose integrity check failed."""


def errname(exc):
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name:
        return name
    text = str(exc).lower()
    for words, code in (("not a database", "SQLITE_NOTADB"), ("malformed", "SQLITE_CORRUPT"), ("disk is full", "SQLITE_FULL"),
                        ("readonly", "SQLITE_READONLY"), ("read-only", "SQLITE_READONLY"), ("locked", "SQLITE_BUSY"),
                        ("busy", "SQLITE_BUSY")):
        if words in text:
            return code
    return ""


def is_corrupt(exc):
    return isinstance(exc, Corrupt) or errname(exc).split("_")[:2] in (["SQLITE", "CORRUPT"], ["SQLITE", "NOTADB"])


def why(exc):
    name = errname(exc)
    if name.startswith("SQLITE_FULL"):
        return "the disk is full"
    if name.startswith("SQLITE_READONLY") or name.startswith("SQLITE_CANTOPEN"):
        return "it cannot be opened for writing: %s" % exc
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
        return "another process holds it locked"
    return str(exc)


def _trusted_owner(uid):
    return uid in (0, os.geteuid())


def check_directory(db_path, create=False):
    """Refuse (OpsError) a directory of db_path that another user could plant a file in;
    with create, make a missing one (mode 0750). Returns False when it is missing (or,
    without create, not a directory)."""
    directory = os.path.dirname(db_path) or "."
    try:
        if create and not os.path.lexists(directory):
            os.makedirs(directory, 0o750)
        info = os.lstat(directory)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise OpsError("Cannot use the directory %s of the history database (%s); nothing was recorded."
                       % (directory, exc.strerror or exc))
    if stat.S_ISLNK(info.st_mode):
        raise OpsError("The directory %s of the history database is a symbolic link; twzrd-ops never opens its history "
                       "through a link: set history.db_path to a path in a real directory." % directory)
    if not stat.S_ISDIR(info.st_mode):
        if not create:
            return False  # no directory, so no history to read
        raise OpsError("Cannot create the history database %s: %s is not a directory; nothing was recorded."
                       % (db_path, directory))
    if not _trusted_owner(info.st_uid) or info.st_mode & 0o022:
        raise OpsError("The directory %s of the history database is %s, so another user could swap the file; make it "
                       "root's and writable by root only (chown root: %s; chmod 750 %s)."
                       % (directory, "writable by group or others" if info.st_mode & 0o022 else
                          "owned by uid %d" % info.st_uid, directory, directory))
    return True


def _refuse_link(db_path):
    return OpsError("History database %s is a symbolic link; twzrd-ops never opens or creates its history through a "
                    "link: remove the link (the next hourly run starts a new history there)." % db_path)


def _pin(db_path, flags, for_write):
    """A descriptor on db_path opened without following a link, its file checked; None
    when the file does not exist."""
    try:
        fd = os.open(db_path, flags | _NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        if os.path.islink(db_path):
            raise _refuse_link(db_path)
        return None
    except OSError as exc:
        if os.path.islink(db_path):
            raise _refuse_link(db_path)
        if exc.errno == 13:
            raise OpsError("History database %s cannot be %s by this user (permission denied); run as root (become)."
                           % (db_path, "written" if for_write else "read"))
        raise OpsError("Cannot open the history database %s (%s)." % (db_path, exc.strerror or exc))
    info = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = "is not a regular file; move it away"
    elif not _trusted_owner(info.st_uid):
        problem = "belongs to uid %d, not to root or this user; move it away" % info.st_uid
    elif for_write and info.st_mode & 0o022:
        problem = ("is writable by group or others (mode %04o), so it may hold anything; check it, then chmod %o %s"
                   % (stat.S_IMODE(info.st_mode), FILE_MODE, db_path))
    elif for_write and stat.S_IMODE(info.st_mode) & ~FILE_MODE:
        os.fchmod(fd, stat.S_IMODE(info.st_mode) & FILE_MODE)  # readable by others: the writer tightens it to 0640
    if problem:
        os.close(fd)
        raise OpsError("History database %s %s (nothing was %s)." % (db_path, problem, "recorded" if for_write else "read"))
    return fd


def _still_the_same(db_path, fd):
    """The path still names the inode pinned (no link swapped in while SQLite opened it)."""
    try:
        now, pinned = os.lstat(db_path), os.fstat(fd)
    except OSError:
        return False
    return not stat.S_ISLNK(now.st_mode) and (now.st_dev, now.st_ino) == (pinned.st_dev, pinned.st_ino)


def create_file(db_path):
    """Create db_path (mode 0640, never through a link) unless it exists."""
    check_directory(db_path, create=True)
    try:
        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE))
    except FileExistsError:
        if os.path.islink(db_path):
            raise _refuse_link(db_path)
    except OSError as exc:
        raise OpsError("Cannot create the history database %s (%s); nothing was recorded." % (db_path, exc.strerror or exc))


def _connect(db_path, fd, target, **kwargs):
    try:
        connection = sqlite3.connect(target, **kwargs)
    except BaseException:
        os.close(fd)
        raise
    same = _still_the_same(db_path, fd)
    os.close(fd)  # before any statement: closing a descriptor drops the process's POSIX locks on the file
    if not same:
        connection.close()
        raise _refuse_link(db_path)
    return connection


def open_for_write(db_path):
    """An autocommit connection on the (existing) history file with the schema in place.
    Raises Corrupt, sqlite3.DatabaseError or OpsError."""
    check_directory(db_path)
    fd = _pin(db_path, os.O_RDWR, True)
    if fd is None:
        raise OpsError("History database %s disappeared while it was opened; nothing was recorded." % db_path)
    connection = _connect(db_path, fd, db_path, timeout=10, isolation_level=None)
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        check = connection.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise Corrupt("integrity check: %s" % check)
        if version > SCHEMA_VERSION:
            raise OpsError("History database %s has schema version %d, newer than this twzrd-ops knows (%d); it is left "
                           "alone and nothing was recorded." % (db_path, version, SCHEMA_VERSION))
        return connection, version
    except BaseException:
        connection.close()
        raise


def open_for_read(db_path):
    """A read-only connection on the history file, or None when there is none (nothing is
    ever created). Raises OpsError (one sentence)."""
    if not check_directory(db_path) or not os.path.lexists(db_path):
        return None
    fd = _pin(db_path, os.O_RDONLY, False)
    if fd is None:
        return None
    try:
        return _connect(db_path, fd, "file:%s?mode=ro" % quote(db_path), uri=True, timeout=10)
    except sqlite3.DatabaseError as exc:
        raise OpsError("Cannot read the history database %s (%s)." % (db_path, why(exc)))


def move_aside(db_path, now, reason):
    """Rename a corrupt history (and its journals) to <db>.corrupt-<stamp>; the sentence."""
    target = "%s.corrupt-%s" % (db_path, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)))
    try:
        os.rename(db_path, target)
        for suffix in ("-journal", "-wal", "-shm"):
            if os.path.lexists(db_path + suffix):
                os.rename(db_path + suffix, target + suffix)
    except OSError as exc:
        raise OpsError("History database %s is corrupt (%s) and cannot be moved aside (%s); nothing was recorded."
                       % (db_path, reason, exc.strerror or exc))
    return ("History database %s was corrupt (%s); it was moved aside to %s and a new history starts now."
            % (db_path, reason, target))
