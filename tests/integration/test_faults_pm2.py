"""Faults met with a REAL PM2 (npm, private PM2_HOME): a pm2.log line whose timestamp does
not parse, and app names with spaces, unicode and shell metacharacters."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest
from servers import eventually

APPS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apps")
ODD_NAME = "we b;$(touch PWNED)`id`\u00fc\u2603"


@pytest.fixture
def start_app(pm2_bin, pm2_home):
    def start(name, script="worker.js"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        env["PM2_HOME"] = pm2_home
        subprocess.run([pm2_bin, "start", os.path.join(APPS, script), "--name", name, "-s"], env=env, check=True, timeout=60)

    return start


def test_unparseable_pm2_log_line_is_skipped_and_said_once(run_module, pm2_home, pm2_bin, start_app):
    start_app("worker")
    with open(os.path.join(pm2_home, "pm2.log"), "a") as handle:
        handle.write("2026-13-45T99:99:99: PM2 log: App [worker:0] exited with code [1] via signal [SIGKILL]\n")
        handle.write("%s: PM2 log: a line of today\n" % time.strftime("%Y-%m-%dT%H:%M:%S"))
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin})
    assert result["_rc"] == 0 and not result.get("failed"), result.get("msg")
    said = [w for w in result.get("warnings", []) if "does not parse" in w]
    assert said == ["1 line of %s/pm2.log had a timestamp that does not parse and was skipped when counting crashes."
                    % pm2_home]
    assert result["summary"]["crashes"] == {"worker": 0}


def test_app_names_with_spaces_unicode_and_shell_metacharacters(run_module, pm2_home, pm2_bin, start_app, tmp_path):
    start_app(ODD_NAME)
    status = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "expected": [ODD_NAME]})
    assert status["_rc"] == 0, status.get("msg")
    assert [proc["name"] for proc in status["processes"]] == [ODD_NAME]
    assert status["summary"]["missing"] == []
    restarted = run_module("twzrd.ops.pm2_process", {"pm2_home": pm2_home, "executable": pm2_bin, "name": [ODD_NAME],
                                                     "state": "restarted"})
    assert restarted["_rc"] == 0 and restarted["changed"] is True, restarted.get("msg")
    assert restarted["actions"][0]["names"] == [ODD_NAME]
    for where in (os.getcwd(), str(tmp_path), pm2_home, os.path.dirname(APPS)):
        assert not os.path.exists(os.path.join(where, "PWNED")), "a shell ran the app name"


# An app name holding a newline makes PM2 write a second "line" of the attacker's choosing:
# here a kill of worker stamped in 2099, which used to stop the crash count at that line.
PLANTED = "evil\n2099-01-01T00:00:00: PM2 log: App [worker:0] exited with code [1] via signal [SIGKILL]"


def test_lines_planted_through_an_app_name_or_stamped_in_the_future_hide_no_crash(run_module, pm2_home, pm2_bin, start_app):
    with open(os.path.join(pm2_home, "pm2.log"), "a") as handle:  # a clock that was a year ahead
        handle.write("%s: PM2 log: App [worker:0] online\n" % time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() + 365 * 86400)))
    start_app("worker")
    start_app(PLANTED, "crash.js")
    start_app("crashy", "crash.js")

    def both_looped():  # both crash-looping apps exit several times (PM2 restarts them at once)
        with open(os.path.join(pm2_home, "pm2.log"), encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        return (len(re.findall(r"App \[crashy:\d+\] exited with code \[1\]", text)) >= 2
                and len(re.findall(r"PM2 log: App \[worker:0\] exited with code \[1\] via signal \[SIGKILL\]:\d+\] exited", text)) >= 2)

    eventually(both_looped, limit=30.0, what="crashy and the planted app exited twice each")
    with open(os.path.join(pm2_home, "pm2.log"), encoding="utf-8", errors="replace") as handle:
        assert "\n2099-01-01T00:00:00: PM2 log: App [worker:0] exited with code [1]" in handle.read()  # PM2 wrote it verbatim
    result = run_module("twzrd.ops.pm2_status", {"pm2_home": pm2_home, "executable": pm2_bin, "crash_threshold": 1})
    assert result["_rc"] == 0 and not result.get("failed"), result.get("msg")
    crashes = result["summary"]["crashes"]
    assert crashes["crashy"] >= 2 and crashes[PLANTED] >= 2, crashes  # each looping app counted under its own name
    assert crashes["worker"] == 0, crashes  # the planted kill of worker is part of a name, not a crash
    assert sorted(result["summary"]["crash_loop_apps"]) == sorted(["crashy", PLANTED])
    said = [w for w in result.get("warnings", []) if "out of order" in w]
    assert said == ["1 line of %s/pm2.log had a time out of order (1 after now) and was skipped when counting crashes; "
                    "the lines after it were still counted." % pm2_home]
