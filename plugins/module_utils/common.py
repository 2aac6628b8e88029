# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for twzrd.ops checks.

This file runs in two places: inside Ansible modules (as
ansible_collections.twzrd.ops.plugins.module_utils.common) and on hosts without
Ansible (as twzrd_ops_lib.common, used by /usr/local/sbin/twzrd-ops). It must
therefore import nothing from ansible.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time

LEVELS = ("ok", "warning", "critical")


class OpsError(Exception):
    """A failure an operator can act on; str(error) is one plain sentence."""


def refuse_unknown(given, known, what):
    """Raise OpsError naming the keys of given that are not in known.

    what is the noun with a %s where the plural "s" goes, e.g. "check setting%s" gives
    "Unknown check settings: a, b (known: ...)." A typo in an inventory or config file must
    not silently fall back to a default.
    """
    unknown = sorted(set(given) - set(known))
    if unknown:
        noun = what % ("s" if len(unknown) > 1 else "")
        raise OpsError("Unknown %s: %s (known: %s)." % (noun, ", ".join(unknown), ", ".join(sorted(known))))


def worst(levels):
    """Return the most severe of an iterable of levels ("ok" when empty)."""
    rank = 0
    for level in levels:
        rank = max(rank, LEVELS.index(level))
    return LEVELS[rank]


def subprocess_runner(timeout=60):
    """Return a runner(argv, env=None) -> (rc, stdout, stderr) built on subprocess.

    env is merged over os.environ, like AnsibleModule.run_command(environ_update=...).
    A command that cannot be started or that outlives timeout raises OpsError.
    """

    def run(argv, env=None):
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        try:
            proc = subprocess.run(
                argv,
                env=full_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise OpsError("Command not found: %s." % argv[0])
        except PermissionError:
            raise OpsError("Permission denied running %s." % argv[0])
        except subprocess.TimeoutExpired:
            raise OpsError("%s did not finish within %s seconds." % (" ".join(argv[:3]), timeout))
        return (
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
        )

    return run


def atomic_write(path, data, mode=0o644):
    """Write data (str or bytes) to path atomically: temporary file in the same
    directory, fsync, chmod, then rename, so a reader never sees half a file."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def now_epoch(now=None):
    """The injectable clock: now when given, else time.time()."""
    return time.time() if now is None else float(now)
