# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AnsiballZ payload of the collection's modules as Ansible builds it (issue 23).

Runs Ansible's own recursive_finder (the import graph AnsiballZ packs) over each module named
and prints the zip's size, its file count and the collection's module_utils in it; `command`
is ansible.builtin.command, the floor play's module.

    .venv/bin/python benchmarks/payload_size.py host_check alert_check command
"""

from __future__ import annotations

import datetime
import io
import os
import sys
import zipfile

from ansible._internal._ansiballz import _builder
from ansible.executor import module_common
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = "ansible_collections/twzrd/ops/plugins/module_utils/"


def payload(name):
    """(zip bytes, file names) of module `name` (ours, or `command` for the builtin)."""
    if name == "command":
        path = os.path.join(os.path.dirname(module_common.__file__), "..", "modules", "command.py")
        fqn = "ansible.modules.command"
    else:
        path = os.path.join(ROOT, "plugins", "modules", name + ".py")
        fqn = "ansible_collections.twzrd.ops.plugins.modules." + name
    with open(path, "rb") as handle:
        source = handle.read()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        module_common.recursive_finder(name, fqn, source, archive, datetime.datetime(2020, 1, 1), _builder.ExtensionManager())
        names = archive.namelist()
    return len(buf.getvalue()), names


def main():
    finder = _AnsibleCollectionFinder(paths=[os.path.join(ROOT, ".ansible", "collections")])
    finder._install()  # pylint: disable=protected-access
    for name in sys.argv[1:] or ["host_check"]:
        size, names = payload(name)
        ours = sorted(os.path.basename(entry)[:-3] for entry in names if entry.startswith(OURS) and entry.endswith(".py"))
        print("%-12s %8d bytes zipped, %3d files, %2d of the collection's module_utils: %s"
              % (name, size, len(names), len(ours), " ".join(item for item in ours if item != "__init__")))


if __name__ == "__main__":
    main()
