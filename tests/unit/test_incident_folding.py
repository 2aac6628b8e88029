"""Issue 24: the emergency flows' incident summaries fold repeated log lines the weekly report's
way (logscan.fold_repeats, one rule; the count in report.py's form "  (N times)"), order kept,
and the lines escaped exactly as before (the templates' twzrd.ops.term). The summaries are the
real templates of roles/twzrd_ops/templates, rendered by jinja2 with the collection's own filters
(as tests/unit/test_foreign_text.py renders them), fed what the role's tasks feed them: the registered
`tail -n 100` results through filter folded_logs (roles/twzrd_ops/tasks/emergency_*.yml)."""

from __future__ import annotations

import functools
import glob
import importlib
import os
import re

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import FilterModule as CoreFilters
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.filter import gates as gate_filters
from ansible_collections.twzrd.ops.plugins.module_utils import escape, gates, incident, logscan, report

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Text a log line may hold: terminal controls, bidi, Markdown and HTML, bad surrogates.
PIECES = ["<script>alert(1)</script>", "\x1b[2J\x1b[31mRED", "\u202egnp.exe", "\u2028", "\x00", "\r", "\t",
          "\n- fake item", "| pipe |", "`tick`", "\ud800", "\\back\\", "caf\u00e9", "\U0001f600", "token=s3cr3t"]


@functools.lru_cache(maxsize=None)
def environment():
    """The templates as Ansible renders them: jinja2 with ansible's core filters and every filter
    of plugins/filter/*.py under its twzrd.ops name (as tests/unit/test_foreign_text.py does)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, "roles", "twzrd_ops", "templates")),
                             trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(CoreFilters().filters())
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "filter", "*.py"))):
        module = importlib.import_module("ansible_collections.twzrd.ops.plugins.filter." + os.path.basename(path)[:-3])
        env.filters.update(("twzrd.ops." + key, function) for key, function in module.FilterModule().filters().items())
    env.globals["now"] = lambda utc=True, fmt="%Y-%m-%d": "2026-12-06 10:05:00 UTC"
    return env


def render(template, **context):
    return environment().get_template(template).render(**context)


STAMPS = ["2026-12-06T10:%02d:%02dZ" % (minute, second) for minute in range(5) for second in range(0, 60, 6)]
CRASH = "Error: connect ECONNREFUSED 127.0.0.1:5432"


def crash_loop_tail():
    """What `tail -n 100` of a crash-looping app's error log holds: 50 times the same error
    (each with its own time stamp), a start-up line between, and a different last line."""
    lines = ["%s %s" % (STAMPS[i], CRASH) for i in range(50)]
    lines.insert(10, "%s app listening on 3000" % STAMPS[9])
    lines.append("%s FATAL giving up" % STAMPS[49])
    return lines


def test_a_crash_loops_fifty_identical_lines_come_out_as_one_with_its_count():
    shown = incident.folded_lines(crash_loop_tail())
    assert shown == [
        "%s app listening on 3000" % STAMPS[9],
        "%s %s  (50 times)" % (STAMPS[49], CRASH),  # the latest of them, where the latest was
        "%s FATAL giving up" % STAMPS[49],
    ]


def test_the_count_has_the_weekly_reports_form():
    """One rule, one place: the weekly report (report.render_text) shows the same fold the same way."""
    lines = ["%s %s" % (STAMPS[i], CRASH) for i in range(30)]
    text = report.render_text({"host": "web-1", "epoch": 0, "logs": {"total": 30, "files": [], "lines": lines}}, [], "ok")
    weekly = [line.strip() for line in text.splitlines() if CRASH in line]
    assert weekly == incident.folded_lines(lines) == ["%s %s%s" % (STAMPS[29], CRASH, incident.REPEAT % 30)]


def crashloop_context(registered):
    return {"inventory_hostname": "web1", "ansible_check_mode": False, "__twzrd_ops_mode": "detect",
            "__twzrd_ops_pm2": {"processes": [{"name": "api", "status": "stopped", "restarts": 51}],
                                "summary": {"crash_window": 300, "crash_threshold": 5, "crashes": {"api": 51},
                                            "crash_loop_apps": ["api"]}},
            "__twzrd_ops_logs": gate_filters.folded_logs(registered)}


def tail_result(lines, key="error_log"):
    return {"item": [{"name": "api", key: "/home/app/.pm2/logs/api-%s.log" % key}, key], "stdout_lines": lines}


def test_the_crashloop_summary_shows_the_repeated_line_once_with_its_count():
    registered = {"changed": False, "results": [tail_result(crash_loop_tail()), {"skipped": True, "item": []}]}
    page = render("incident-crashloop.j2", **crashloop_context(registered))
    logged = [line for line in page.splitlines() if line.startswith("    ")]
    assert logged == ["    %s app listening on 3000" % STAMPS[9],
                      "    %s %s  (50 times)" % (STAMPS[49], CRASH),
                      "    %s FATAL giving up" % STAMPS[49]]


def test_the_load_summary_shows_each_error_once_with_its_count():
    lines = crash_loop_tail() + ["%s GET /health 200" % STAMPS[i] for i in range(40)]
    registered = {"results": [tail_result(lines, "out_log")]}
    system = {"load": {"load1": 14.0, "load5": 9.0, "load15": 4.0, "per_core": {"load1": 7.0, "load5": 4.5, "load15": 2.0}},
              "cpu_count": 2, "swap": {"percent": 0}, "memory": {"percent": 40}, "breaches": [], "top_cpu": []}
    page = render("incident-load.j2", inventory_hostname="web1", ansible_check_mode=False, __twzrd_ops_system=system,
                  __twzrd_ops_pm2={"processes": [], "summary": {"online": 0, "total": 0, "not_online": []}},
                  twzrd_ops_log_patterns=[], __twzrd_ops_restart_app="",
                  __twzrd_ops_logs=gate_filters.folded_logs(registered, errors=True, patterns=[]))
    logged = [line for line in page.splitlines() if line.startswith("    ")]
    assert logged == ["    %s %s  (50 times)" % (STAMPS[49], CRASH), "    %s FATAL giving up" % STAMPS[49]]
    assert "and " not in page.split("## Errors", 1)[1]  # 51 error lines no longer overflow the list's 50


def test_the_role_feeds_both_summaries_through_folded_logs():
    """The task files fold what they registered before the templates read it."""
    for flow, expected in (("crashloop", ["__twzrd_ops_logs", "__twzrd_ops_watched_logs"]), ("load", ["__twzrd_ops_logs"])):
        with open(os.path.join(ROOT, "roles", "twzrd_ops", "tasks", "emergency_%s.yml" % flow)) as handle:
            text = handle.read()
        for name in expected:
            assert re.search(r"%s: \"\{\{ %s .*\| twzrd\.ops\.folded_logs" % (name, name), text), (flow, name)
        tasks = yaml.safe_load(text)
        names = [task.get("name") for block in tasks for task in block.get("block", [block])]
        fold = [i for i, name in enumerate(names) if "old" in (name or "") and "repeat" in (name or "")]
        assert fold and fold[0] < names.index("Write the incident summary"), names


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES + ["ERROR x", "ok", "A" * 400 + " ERROR tail"]),
                          st.sampled_from(STAMPS)), max_size=60),
       st.sampled_from([40, 120, 300]))
def test_folding_keeps_every_message_in_order_and_escapes_as_before(pairs, limit):
    """Class: any excerpt. Every message stays (counts add up), newest last, the count survives the
    template's cap, and a shown line escapes to what the unfolded line escaped to (cut alike)."""
    lines = ["%s %s" % (stamp, text) for text, stamp in pairs]
    folded = logscan.fold_repeats(lines)
    shown = incident.folded_lines(lines, limit)
    assert len(shown) == len(folded)
    for entry, line in zip(folded, shown):
        if entry["count"] == 1:
            assert line == entry["line"]
            continue
        suffix = incident.REPEAT % entry["count"]
        assert line.endswith(suffix) and len(line) <= limit
        on_screen = escape.term(line, limit)
        assert on_screen.endswith(suffix)  # not cut off
        body = on_screen[: -len(suffix)]
        original = escape.term(entry["line"], limit)
        # the same escaping: the line itself, or the same text cut earlier (then ending in the ellipsis)
        cut = escape.clip("x" * (limit + 1), 1)
        assert body == original or (body.endswith(cut) and original.startswith(body[: -len(cut)])), (body, original)


PATTERNS = st.sampled_from([[], ["error"], ["ERROR$"], ["^\\d{4}"], ["tail$", "x"], ["ECONN.*5432$"]])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ERROR x", "ok", CRASH, "A" * 400 + " ERROR tail", "x ERROR"]),
                          st.sampled_from(STAMPS[:4])), max_size=40), PATTERNS)
def test_error_mode_keeps_every_error_and_a_template_filtering_again_keeps_all(pairs, patterns):
    """incident-load.j2 filters the lines again with error_lines: nothing folded may fall out of it,
    whatever the patterns (one anchored at the end, a match past the cut), and no error is lost."""
    lines = ["%s %s" % (stamp, text) for text, stamp in pairs]
    shown = incident.folded_lines(lines, 120, errors=True, patterns=patterns)
    assert gates.error_lines(shown, patterns) == shown
    errors = gates.error_lines(lines, patterns)
    assert sum(int(m.group(1)) if m else 1 for m in (re.search(r"  \((\d+) times\)$", line) for line in shown)) == len(errors)


def test_secrets_and_hostile_text_stay_as_the_template_shows_them_unfolded():
    """Folding adds no path around the escaping: the repeated hostile line renders as its single
    copy renders, plus the count."""
    hostile = "ERROR \x1b[2J\u202e token=abc \n| fake |"
    once = render("incident-crashloop.j2", **crashloop_context({"results": [tail_result([hostile])]}))
    many = render("incident-crashloop.j2", **crashloop_context({"results": [tail_result([hostile] * 50)]}))
    shown_once = [line for line in once.splitlines() if line.startswith("    ")]
    shown_many = [line for line in many.splitlines() if line.startswith("    ")]
    assert shown_many == [shown_once[0] + "  (50 times)"]
    assert "\x1b" not in many and "\u202e" not in many


def test_folded_logs_keeps_what_is_not_a_log_read():
    assert gate_filters.folded_logs({}) == {}
    skipped = {"skipped": True, "changed": False}
    assert gate_filters.folded_logs(skipped) == skipped
    assert gate_filters.folded_lines("a\na\nb") == ["a  (2 times)", "b"]


def test_a_bad_pattern_is_one_sentence():
    with pytest.raises(AnsibleFilterError, match="folded_logs: Pattern '\\(' is not a valid regular expression"):
        gate_filters.folded_logs({"results": [tail_result(["x"])]}, errors=True, patterns=["("])


# ---------------------------------------------------------- the busiest processes, named in full
# (issue 24: "names the PM2 app, not a command cut at 15 characters"; rows as system.py's
# _top_processes makes them: psutil's name() is the 15-character comm, cmdline is masked)

def test_a_pm2_app_is_named_by_its_app_and_a_cut_name_is_told_in_full():
    rows = [
        {"pid": 4242, "name": "node /home/app/", "cmdline": "node /home/app/milo/server.js"},
        {"pid": 900, "name": "PM2 v7.0.4: God", "cmdline": "PM2 v7.0.4: God Daemon (/home/app/.pm2)"},
        {"pid": 77, "name": "ansible-playboo", "cmdline": "/usr/bin/python3 /usr/bin/ansible-playbook site.yml"},
        {"pid": 78, "name": "kworker/u4:2-ev", "cmdline": ""},  # a kernel thread: no command line
        {"pid": 79, "name": "postgres", "cmdline": "postgres: checkpointer"},
        {"pid": 80, "name": "node /home/bob/", "cmdline": None},  # hidden from this user
    ]
    named = incident.name_apps(rows, [{"name": "milo-aggregator", "pid": 4242}])
    assert [(row["app"], row["name"]) for row in named] == [
        ("milo-aggregator", "node /home/app/milo/server.js"), (None, "PM2 v7.0.4: God Daemon (/home/app/.pm2)"),
        (None, "ansible-playbook"), (None, "kworker/u4:2-ev"), (None, "postgres"), (None, "node /home/bob/")]


def test_the_load_summary_shows_the_app_or_the_whole_command():
    rows = [{"pid": 4242, "user": "app", "name": "node /home/app/", "cmdline": "node /home/app/milo/server.js",
             "cpu_percent": 80.0, "memory_percent": 3.0},
            {"pid": 5151, "user": "app", "name": "node /home/app/", "cmdline": "node /home/app/tools/cron-sync.js --password=********",
             "cpu_percent": 40.0, "memory_percent": 1.0}]
    system = {"load": {"load1": 14.0, "load5": 9.0, "load15": 4.0, "per_core": {"load1": 7.0, "load5": 4.5, "load15": 2.0}},
              "cpu_count": 2, "swap": {"percent": 0}, "memory": {"percent": 40}, "breaches": [], "top_cpu": rows}
    page = render("incident-load.j2", inventory_hostname="web1", ansible_check_mode=False, __twzrd_ops_system=system,
                  __twzrd_ops_pm2={"processes": [{"name": "milo-aggregator", "pid": 4242, "status": "online", "cpu": 80,
                                                  "memory": 2 ** 26, "restarts": 0}],
                                   "summary": {"online": 1, "total": 1, "not_online": []}},
                  twzrd_ops_log_patterns=[], __twzrd_ops_restart_app="", __twzrd_ops_logs={"results": []})
    busy = page.split("- Busiest processes:", 1)[1].split("- PM2:", 1)[0]
    assert "PM2 app milo-aggregator" in busy
    assert "node /home/app/tools/cron-sync.js --password=\\*\\*\\*\\*\\*\\*\\*\\*" in busy  # whole, masked, Markdown-escaped
    assert not re.search(r"node /home/app/$", busy, re.M)
