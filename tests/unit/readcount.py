"""Count the bytes the pm2.log reader reads (a helpers module of the unit tests, not a test
file): count_reads(monkeypatch) -> {"bytes": n}, kept up to date while the test runs."""

from __future__ import annotations

import builtins

from ansible_collections.twzrd.ops.plugins.module_utils import pm2_log, pm2_log_read


class _Counting(object):
    """A file whose read, readline and iteration add what they return to counter["bytes"]."""

    def __init__(self, handle, counter):
        self.handle = handle
        self.counter = counter

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def _counted(self, data):
        self.counter["bytes"] += len(data)
        return data

    def read(self, *args):
        return self._counted(self.handle.read(*args))

    def readline(self, *args):
        return self._counted(self.handle.readline(*args))

    def __iter__(self):
        for data in self.handle:
            yield self._counted(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def count_reads(monkeypatch):
    """Every file the pm2.log reader opens is counted from now on; returns the counter."""
    counter = {"bytes": 0}
    real_open = builtins.open

    def counting_open(*args, **kwargs):
        return _Counting(real_open(*args, **kwargs), counter)

    for module in (pm2_log, pm2_log_read):
        monkeypatch.setattr(module, "open", counting_open, raising=False)
    return counter
