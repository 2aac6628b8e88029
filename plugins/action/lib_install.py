# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of twzrd.ops.lib_install: installs the on-host library in a few round trips.

The role deploys the collection's module_utils as the package twzrd_ops_lib, one file per
module as before (a host set up by an older release is simply brought up to date). One
ansible.builtin.copy per file cost about 90 round trips, each a Python start on the host.
This reads the host's side once (ansible.builtin.find with checksums), then sends only the
files that differ (content, mode 0644, owner root, a link or a directory in their place) as
one tar archive unpacked by ansible.builtin.unarchive into a staging directory inside the
package, renames each new file over its old version, and removes what the collection no
longer has. A file of the package is always whole, old or new, even when the run is killed
half-way: a killed run leaves only the staging directory, a stale entry the next run removes.
An up-to-date host costs one round trip and reports no change; check mode only reads; the
diff names the files, never their content.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

# Files and modes of the installed package; owner and group are root's.
FILE_MODE = 0o644
# Where the archive is unpacked before its files are renamed into place: inside the package,
# so it is on the same filesystem (rename is atomic) and a leftover is an entry the plan removes.
STAGING = ".twzrd-staging"
SHOWN_NAMES = 10


def read_sources(src):
    """{name: bytes} of the *.py files of src, __init__.py excepted (the role writes its own)."""
    try:
        names = sorted(name for name in os.listdir(src) if name.endswith(".py") and name != "__init__.py")
    except OSError as exc:
        raise AnsibleActionFail("lib_install cannot read the library directory %s (%s); run the role from the collection." % (src, exc.strerror))
    sources = {}
    for name in names:
        path = os.path.join(src, name)
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                sources[name] = handle.read()
    if not sources:
        raise AnsibleActionFail("lib_install found no Python file in %s; run the role from the collection." % src)
    return sources


def plan(sources, installed, keep):
    """(names to write, names to remove) from the controller's sources and the host's entries.

    installed: find's files list (path, checksum for regular files, mode, pw_name, gr_name,
    isreg, islnk). A file is written when missing, different, not a plain root-owned 0644 file;
    an entry that is neither a source nor kept is removed (stale files of an older release)."""
    found = dict((os.path.basename(entry["path"]), entry) for entry in installed)
    write = []
    for name, data in sorted(sources.items()):
        entry = found.get(name)
        if (entry is None or not entry.get("isreg") or entry.get("islnk")
                or entry.get("checksum") != hashlib.sha1(data).hexdigest()  # nosec: find's checksum is sha1
                or entry.get("mode") != "%04o" % FILE_MODE
                or entry.get("pw_name") != "root" or entry.get("gr_name") != "root"):
            write.append(name)
    remove = sorted(name for name in found if name not in sources and name not in keep)
    return write, remove


def archive(sources, names, mtime):
    """A gzipped tar of the named sources: mode 0644, owner root, the given mtime."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = len(sources[name])
            info.mode = FILE_MODE
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(sources[name]))
    return buffer.getvalue()


def summary(dest, write, remove):
    """The diff's one short text: which files change, never their content."""
    def names(items):
        shown = ", ".join(items[:SHOWN_NAMES])
        return shown + (" and %d more" % (len(items) - SHOWN_NAMES) if len(items) > SHOWN_NAMES else "")
    lines = []
    if write:
        lines.append("%s: write %d file(s): %s" % (dest, len(write), names(write)))
    if remove:
        lines.append("%s: remove %d stale entr%s: %s" % (dest, len(remove), "y" if len(remove) == 1 else "ies", names(remove)))
    return "\n".join(lines) + "\n"


class ActionModule(ActionBase):
    # The remote temporary directory is made only when an archive is sent (_unpack): an
    # up-to-date host costs the one find.
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("src", "dest", "keep"))

    def _module(self, name, args, task_vars, where=None):
        outcome = self._execute_module(module_name=name, module_args=args, task_vars=task_vars)
        if outcome.get("failed"):
            reason = outcome.get("stderr") or outcome.get("msg") or "no message"
            raise AnsibleActionFail("lib_install: %s on %s failed: %s" % (name, where or args.get("dest") or args.get("path"), str(reason).strip()))
        return outcome

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        src, dest = args.get("src"), args.get("dest")
        if not isinstance(src, str) or not src or not isinstance(dest, str) or not dest.startswith("/"):
            raise AnsibleActionFail("lib_install needs src (the collection's module_utils directory) and dest (an absolute directory on the host).")
        keep = args.get("keep") or []
        if not isinstance(keep, list):
            raise AnsibleActionFail("lib_install keep must be a list of file names.")
        sources = read_sources(src)
        try:
            found = self._module("ansible.builtin.find", {
                "paths": [dest], "patterns": ["*"], "file_type": "any", "hidden": True,
                "recurse": False, "follow": False, "get_checksum": True}, task_vars)
            write, remove = plan(sources, found.get("files", []), keep)
            result.update(changed=bool(write or remove), written=write, removed=remove)
            if self._task.diff and (write or remove):
                result["diff"] = {"prepared": summary(dest, write, remove)}
            if self._task.check_mode or not (write or remove):
                return result
            if write:
                in_the_way = sorted(os.path.basename(entry["path"]) for entry in found.get("files", [])
                                    if entry.get("isdir") and not entry.get("islnk") and os.path.basename(entry["path"]) in write)
                self._unpack(sources, write, dest, in_the_way, task_vars)
            for name in remove:
                self._module("ansible.builtin.file", {"path": os.path.join(dest, name), "state": "absent"}, task_vars)
            return result
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def _unpack(self, sources, write, dest, in_the_way, task_vars):
        """Unpack the files into the staging directory, then rename them into dest (mv, one
        rename(2) each): no file of the package is ever seen half-written. in_the_way: the
        written names that are directories on the host (rename cannot replace those)."""
        staging = os.path.join(dest, STAGING)
        self._module("ansible.builtin.file", {"path": staging, "state": "absent"}, task_vars)
        self._module("ansible.builtin.file", {"path": staging, "state": "directory", "mode": "0700",
                                              "owner": "root", "group": "root"}, task_vars)
        self._send_archive(sources, write, staging, task_vars)
        for name in in_the_way:
            self._module("ansible.builtin.file", {"path": os.path.join(dest, name), "state": "absent"}, task_vars)
        self._module("ansible.builtin.command", {
            "argv": ["mv", "-f", "-t", dest, "--"] + [os.path.join(staging, name) for name in write]}, task_vars, where=dest)
        self._module("ansible.builtin.file", {"path": staging, "state": "absent"}, task_vars)

    def _send_archive(self, sources, write, dest, task_vars):
        data = archive(sources, write, int(time.time()))
        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        remote = self._connection._shell.join_path(tmpdir, "twzrd_ops_lib.tar.gz")
        with tempfile.NamedTemporaryFile(prefix="twzrd_ops_lib-", suffix=".tar.gz") as local:
            local.write(data)
            local.flush()
            self._transfer_file(local.name, remote)
        self._fixup_perms2((tmpdir, remote))
        self._module("ansible.builtin.unarchive", {
            "src": remote, "dest": dest, "remote_src": True,
            "owner": "root", "group": "root", "mode": "%04o" % FILE_MODE}, task_vars)
