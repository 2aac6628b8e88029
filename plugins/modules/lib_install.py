#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lib_install
short_description: Install the on-host library twzrd_ops_lib in one task
version_added: 1.1.0
description:
  - Installs the Python files of O(src) on the controller (the collection's C(module_utils), C(__init__.py)
    excepted) into the directory O(dest) on the host, one file per module, owned by root with mode 0644.
  - Reads the host once (M(ansible.builtin.find) with checksums); only the files that are missing or differ
    (content, mode, owner, a link or a directory in their place) are sent, as one archive unpacked by
    M(ansible.builtin.unarchive) into the staging directory C(.twzrd-staging) inside O(dest), then renamed
    over the old files one by one (C(mv), one rename each), so a file of the package is never half-written,
    even when the run is killed or the disk fills half-way. Entries of O(dest) that are not in O(src) and
    not in O(keep) are removed (a staging directory left by a killed run too), so a module an older release
    had disappears.
  - An up-to-date host costs one round trip and reports no change. The role C(twzrd_ops) uses it; it replaces
    one M(ansible.builtin.copy) per file.
  - Needs root on the host (become), GNU tar, as M(ansible.builtin.unarchive) does, and GNU C(mv) (C(-t)).
author:
  - twzrd.ops contributors (@twzrd)
options:
  src:
    description: The directory on the controller whose C(*.py) files are installed.
    type: path
    required: true
  dest:
    description: The package directory on the host (absolute); it must exist.
    type: path
    required: true
  keep:
    description: Names in O(dest) that are not from O(src) and stay (the package marker the role writes).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: In check mode the host is only read; C(changed) tells whether a file would be written or removed.
    support: full
  diff_mode:
    description: The diff names the files to write and to remove, never their content.
    support: partial
  action:
    description: An action plugin; it runs the built-in modules named above on the host.
    support: full
extends_documentation_fragment:
  - twzrd.ops.attributes.platform_posix
"""

EXAMPLES = r"""
- name: Install the check code (the collection's module_utils)
  twzrd.ops.lib_install:
    src: "{{ role_path }}/../../plugins/module_utils"
    dest: /usr/local/lib/twzrd-ops/twzrd_ops_lib
    keep: [__init__.py]
"""

RETURN = r"""
written:
  description: The files written (or, in check mode, that would be written).
  returned: always
  type: list
  elements: str
  sample: [checks.py, cli.py]
removed:
  description: The entries of O(dest) removed (or that would be), stale files of an older release.
  returned: always
  type: list
  elements: str
  sample: [retired_module.py, __pycache__]
"""
