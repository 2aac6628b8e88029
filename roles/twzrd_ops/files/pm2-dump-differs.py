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


running = []
for line in sys.stdin.read().splitlines():
    if line.startswith("[{") or line.strip() == "[]":
        running = json.loads(line)
try:
    with open(sys.argv[1]) as handle:
        saved = json.load(handle)
except (OSError, ValueError):
    saved = None
print("same" if saved is not None and _key(running) == _key(saved) else "differs")
