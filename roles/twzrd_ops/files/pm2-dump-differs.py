"""Print "same" when PM2's saved process list (dump.pm2) already holds the running apps,
"differs" otherwise. Reads `pm2 jlist` output on stdin; argument: the dump file.

Used by the role so that `pm2 save` runs only when it would change something (pm2 save
rewrites dump.pm2 on every call). PM2 may print a banner before the JSON line.
"""
import json
import sys


def _key(processes):
    keys = []
    for proc in processes or []:
        env = proc.get("pm2_env") or proc
        keys.append((proc.get("name") or env.get("name"), env.get("pm_exec_path"), env.get("pm_cwd")))
    return sorted(keys, key=repr)


def _same(text, dump_path):
    running = []
    for line in text.splitlines():
        if line.startswith("[{") or line.strip() == "[]":
            running = json.loads(line)
    with open(dump_path) as handle:
        saved = json.load(handle)
    return _key(running) == _key(saved)


try:
    SAME = _same(sys.stdin.read(), sys.argv[1])
except Exception:  # pylint: disable=broad-except
    # A missing, truncated or corrupt dump.pm2 (or output of an unexpected shape) is never a
    # failure here: the list differs, so the role runs `pm2 save`, which writes a good one.
    SAME = False
print("same" if SAME else "differs")
