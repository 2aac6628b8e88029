"""What twzrd_ops can leave on a host, listed before setup and compared after a purge.

host_inventory.py save FILE      the paths under ROOTS, vm.swappiness, enabled pm2-* units
host_inventory.py compare FILE   prints JSON: what differs from FILE and is neither a package's
                                 file (dpkg -S) nor one of the system's own moving parts
"""

import glob
import json
import os
import subprocess
import sys

ROOTS = ["/etc", "/usr/local", "/var/lib", "/var/log", "/var/spool/cron"]

# Written by the system while the scenario runs (apt, dpkg, journald, systemd, logrotate's
# own state), not by twzrd_ops.
MOVING = ("/var/lib/apt/", "/var/lib/dpkg/", "/var/log/journal/", "/var/lib/systemd/", "/var/log/apt/",
          "/var/lib/logrotate/", "/var/lib/ucf/", "/var/lib/python/", "/var/lib/sudo/", "/var/log/private/",
          "/etc/ld.so.cache", "/etc/.pwd.lock", "/var/log/dpkg.log", "/var/log/alternatives.log",
          "/var/log/btmp", "/var/log/wtmp", "/var/log/lastlog", "/etc/machine-id")


def paths():
    found = set()
    for root in ROOTS:
        for top, dirs, files in os.walk(root):
            for name in dirs + files:
                found.add(os.path.join(top, name))
    return found


def state():
    with open("/proc/sys/vm/swappiness") as handle:
        swappiness = handle.read().strip()
    units = sorted(os.path.basename(p) for p in glob.glob("/etc/systemd/system/*.wants/pm2-*"))
    return {"paths": sorted(paths()), "swappiness": swappiness, "pm2_units": units}


def packaged(candidates):
    """The candidates some package owns (dpkg-query -S)."""
    if not candidates:
        return set()
    proc = subprocess.run(["dpkg-query", "-S"] + sorted(candidates), capture_output=True, text=True, check=False)
    owned = set()
    for line in proc.stdout.splitlines():
        for path in line.split(": ", 1)[1].split(", ") if ": " in line else []:
            owned.add(path)
    return owned


def compare(before):
    now = state()
    old, new = set(before["paths"]), set(now["paths"])
    added = {p for p in new - old if not p.startswith(MOVING)}
    added -= packaged(added)
    removed = {p for p in old - new if not p.startswith(MOVING)}
    return {"added": sorted(added), "removed": sorted(removed),
            "swappiness": [before["swappiness"], now["swappiness"]],
            "pm2_units": [before["pm2_units"], now["pm2_units"]]}


def main(argv):
    action, path = argv[1], argv[2]
    if action == "save":
        with open(path, "w") as handle:
            json.dump(state(), handle)
        return 0
    with open(path) as handle:
        print(json.dumps(compare(json.load(handle))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
