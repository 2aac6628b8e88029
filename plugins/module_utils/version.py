# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's version, as galaxy.yml states it (tests/unit/test_cli_edges.py holds them
equal): shown by `twzrd-ops --version` on hosts, where no galaxy.yml is installed."""

from __future__ import annotations

VERSION = "1.0.0"
