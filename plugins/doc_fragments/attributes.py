# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by the collection's modules (extends_documentation_fragment)."""

    # The read-only modules: they never change a host, so check mode gives the same answer.
    READ_ONLY = r"""
attributes:
  check_mode:
    description: The module only reads, so it runs fully in check mode and returns the same answer.
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
"""

    # Modules that read Linux interfaces (/proc, psutil's Linux figures, swapon/swapoff, runuser).
    PLATFORM_LINUX = r"""
attributes:
  platform:
    description: Runs on Linux hosts only; tested on Debian 12 and 13.
    support: full
    platforms: linux
"""

    # Modules that need nothing beyond a POSIX host with Python (files, HTTP).
    PLATFORM_POSIX = r"""
attributes:
  platform:
    description: Runs on any POSIX host with Python; tested on Debian 12 and 13.
    support: full
    platforms: posix
"""
