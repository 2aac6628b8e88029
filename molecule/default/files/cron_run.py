"""Run one job of /etc/cron.d/twzrd-ops exactly as cron would, and print what happened.

Usage: cron_run.py "JOB NAME" (the text after `#Ansible: ` above the job line).
cron starts the job's command with $SHELL -c COMMAND as the job's user, in an environment
made of the file's NAME=value lines (quotes stripped, as Debian's cron does) plus HOME,
LOGNAME and USER from the user's passwd entry; nothing else from the caller leaks in.
Prints JSON {user, command, env, rc}.
This imitation stays for the weekly and Friday jobs, which cannot wait for their day; the
hourly job is also run by cron itself (verify_tasks/cron_fires.yml).
"""
import json
import os
import pwd
import re
import subprocess
import sys

CRON_FILE = "/etc/cron.d/twzrd-ops"
wanted = sys.argv[1]
env, jobs, name = {}, {}, None
with open(CRON_FILE) as handle:
    for line in handle:
        line = line.rstrip("\n")
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if match:
            value = match.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            env[match.group(1)] = value
        elif line.startswith("#Ansible: "):
            name = line[len("#Ansible: "):]
        elif line.strip() and not line.startswith("#"):
            fields = line.split(None, 6)
            jobs[name] = {"schedule": fields[:5], "user": fields[5], "command": fields[6]}
job = jobs[wanted]
entry = pwd.getpwnam(job["user"])
run_env = {"HOME": entry.pw_dir, "LOGNAME": job["user"], "USER": job["user"], "SHELL": "/bin/sh"}
run_env.update(env)
argv = [run_env["SHELL"], "-c", job["command"]]
if entry.pw_uid != os.getuid():
    argv = ["runuser", "-u", job["user"], "--", "env", "-i"] + ["%s=%s" % kv for kv in sorted(run_env.items())] + argv
proc = subprocess.run(argv, env=run_env, cwd=entry.pw_dir, stdin=subprocess.DEVNULL,
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
print(json.dumps({"user": job["user"], "command": job["command"], "schedule": job["schedule"],
                  "env": run_env, "rc": proc.returncode, "output": proc.stdout.decode("utf-8", "replace")}))
