# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Foreign text in every report and summary (issue 20, principle 2).

Hostile strings (markup, ESC sequences, bidi controls, newlines, NUL, lone surrogates,
100 000 characters) are put as app names, host errors and finding messages through every
output: the fleet Markdown, the audit Markdown, the HTML page, the per-host text report,
the terminal summaries (the real templates, rendered by jinja2 with the collection's own
filter plugins, as Ansible would), the alert log line, the Prometheus textfile and the JSON
twin. Each output is compared with the same output rendered from harmless text of the same
shape: it must have the same lines (a forged newline adds one), the same table cells (a
forged pipe adds one), no raw control or bidi character, no markup of its own, valid
UTF-8, and no run of outside text longer than its kind's cap.
"""

from __future__ import annotations

import functools
import glob
import html.parser
import importlib
import json
import os
import re
import unicodedata

import jinja2
from ansible.plugins.filter.core import FilterModule as CoreFilters
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.filter import audit, fleet
from ansible_collections.twzrd.ops.plugins.module_utils import alert_delivery, htmlreport, report

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = os.path.join(ROOT, "roles", "twzrd_ops", "templates")
NOW = 1764460800  # 2025-11-30T00:00:00Z

PIECES = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\x1b[2J\x1b[31mRED", "\x1b]0;title\x07", "\x9b6n",
    "\u202egnp.exe", "\u2066", "\u200f", "\u061c", "\u2028", "\u2029", "\ufeff", "\x00", "\x85", "\r", "\t",
    "\n- fake item", "\n| fake | row |", "\n## Fake heading", "\n\nVerdict: OK", "\ud800", "\udcff",
    "| pipe |", "`tick`", "*bold*", "_under_", "[link](http://x)", "&amp;", "&lt;b&gt;", '"quote\'', "\\back\\",
    "#hash", "!", "~~strike~~", "\u00a0nbsp", "caf\u00e9", "\U0001f600",
]
PAD = "A"  # the 100 000 characters: a run of it longer than a cap shows text that was not cut
piece = st.sampled_from(PIECES)
hostile = st.one_of(
    st.lists(st.one_of(piece, st.text(max_size=8)), min_size=1, max_size=6).map("".join).filter(bool),
    st.lists(piece, min_size=1, max_size=3).map(lambda parts: "".join(parts) + PAD * 100000 + parts[0]),
)
HIDDEN = ("Cc", "Cf", "Cs", "Zl", "Zp")
# Every piece at once, around 100 000 characters: each test tries it besides the drawn ones.
LONG = "".join(PIECES) + PAD * 100000 + "".join(reversed(PIECES))
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # the 100 kB repr


def collection_filters():
    """Every filter of plugins/filter/*.py under its twzrd.ops name, as Ansible loads them."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "filter", "*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        module = importlib.import_module("ansible_collections.twzrd.ops.plugins.filter." + name)
        for key, function in module.FilterModule().filters().items():
            found["twzrd.ops." + key] = function
    return found


@functools.lru_cache(maxsize=None)
def environment():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(CoreFilters().filters())  # extract, as Ansible has it
    env.filters.update(collection_filters())
    env.globals["now"] = lambda utc=True, fmt="%Y-%m-%d": "2025-11-30 00:00 UTC"
    return env


def render(template, **context):
    return environment().get_template(template).render(**context)


# ---------------------------------------------------------------- what every output must hold


def raw_hidden(text):
    """Characters a reader cannot see, or that drive a terminal or reorder text (newline aside)."""
    return sorted({"U+%04X" % ord(c) for c in text if c != "\n" and unicodedata.category(c) in HIDDEN})


def longest_pad(text):
    return max((len(m) for m in re.findall(PAD + "+", text)), default=0)


def unescaped_pipes(line):
    return len(re.findall(r"(?<!\\)\|", line))


def shape(text, markdown=False):
    """Its lines, and for Markdown each line's count of unescaped pipes (its table cells;
    a line of an indented code block is literal text, its pipes make no cell)."""
    return [unescaped_pipes(line) if markdown and not line.startswith("    ") else 0 for line in text.split("\n")]


def assert_safe(text, benign, cap, markdown=False):
    text.encode("utf-8")  # valid UTF-8: no lone surrogate reached the output
    assert raw_hidden(text) == []
    assert shape(text, markdown) == shape(benign, markdown), "a line or a table cell was forged"
    assert longest_pad(text) <= cap
    if markdown:  # an indented code block is shown literally: markup there is text
        prose = "\n".join(line for line in text.split("\n") if not line.startswith("    "))
        assert re.search(r"(?<!\\)<", prose) is None, "raw markup in Markdown"


# ---------------------------------------------------------------- hostile data


def process(name):
    return {"name": name, "pm_id": 0, "pid": 42, "status": "online", "restarts": 30, "unstable_restarts": 1, "uptime": 60,
            "memory": 50 * 1024 * 1024, "cpu": 1.5, "max_memory_restart": None, "exec_mode": "fork_mode", "instances": 1,
            "out_log": "/x/out.log", "error_log": "/x/%s-error.log" % name, "env_names": ["NODE_ENV", name]}


def pm2_part(names):
    procs = [process(n) for n in names]
    return {"installed": True, "daemon_running": True, "pm2_path": "/usr/bin/pm2", "pm2_home": "/home/a/.pm2",
            "warnings": [names[0]], "processes": procs,
            "summary": {"total": len(procs), "online": len(procs), "not_online": [], "missing": [names[-1]],
                        "crash_window": 300, "crash_threshold": 5, "crashes": {names[0]: 7}, "crash_loop": False,
                        "crash_loop_apps": []}}


def snapshot(text):
    return {
        "host": "web1", "timestamp": "2025-11-30T00:00:00Z", "epoch": NOW,
        "system": {"memory": {"total": 2 ** 31, "available": 2 ** 30, "used": 2 ** 30, "percent": 50.0},
                   "swap": {"total": 0, "used": 0, "free": 0, "percent": 0.0, "configured": False},
                   "load": {"load1": 0.5, "load5": 0.5, "load15": 0.5, "per_core": {"load1": 0.25, "load5": 0.25, "load15": 0.25}},
                   "cpu_count": 2},
        "disk": {"disks": [{"path": "/" + text, "percent": 10.0, "used": 1, "total": 10}]},
        "pm2": pm2_part([text + str(i) for i in range(52)]),
        "health": {"url": "http://127.0.0.1/" + text, "healthy": False, "status": 500, "latency_ms": 3, "attempts": 1,
                   "reason": text, "message": text},
        "crashes_report_window": {"crashes": {text: 7}, "window": 604800},
        "logs": {"total": 52, "files": [{"path": "/var/log/%s%d.log" % (text, i), "matches": 1} for i in range(52)],
                 "lines": [text, "ERROR " + text], "skipped": [{"path": text, "reason": text}]},
    }


def findings(text, count=52):
    return [{"rule": "pm2_crash_loop", "key": "pm2:" + text, "level": "critical", "message": "%d %s" % (i, text), "value": None}
            for i in range(count)]


def host_results(text):
    checked = {"state": "checked", "verdict": "critical", "snapshot": snapshot(text), "findings": findings(text),
               "report": {"path": "/var/lib/" + text, "written": False, "error": text},
               "history": {"available": False, "reason": text}}
    return {"web1": {"__twzrd_ops_health": checked}, "web2": {"__twzrd_ops_health": {"state": "unreachable", "error": text}}}


def fleet_context(text):
    rows = fleet.fleet_rows(host_results(text), ["web1", "web2"])
    doc = fleet.fleet_document(rows, date="2025-11-30", generated="2025-11-30T00:00:00Z")
    return {"__twzrd_ops_rows": rows, "__twzrd_ops_fleet_report": doc, "__twzrd_ops_fleet_base": "reports/weekly",
            "ansible_check_mode": False}


def audit_context(text):
    data = {"swappiness_live": "10", "swappiness_files": "/etc/sysctl.d/a.conf:vm.swappiness=10",
            "virtualization_type": "kvm", "virtualization_role": "guest",
            "pm2": pm2_part([text + str(i) for i in range(52)]),
            "cron": {"path": "/etc/cron.d/twzrd-ops", "exists": True, "content": "0 0 * * 1 root twzrd-ops health\n"},
            "reports": [], "logrotate": {"exists": True},
            "logs": [{"path": "/var/log/%s%d.log" % (text, i), "size": 2 ** 30} for i in range(52)]}
    result = audit.audit_host(data, today="2025-11-30")
    doc = {"date": "2025-11-30", "generated": "2025-11-30T00:00:00Z",
           "hosts": [{"host": "web1", "result": {"state": "checked", "audit": result}},
                     {"host": "web2", "result": {"state": "failed", "error": text}}]}
    return {"__twzrd_ops_audit_report": doc, "__twzrd_ops_audit_base": "reports/audit", "ansible_check_mode": False}


def patch_context(text):
    outcome = {"status": "patched", "packages": [text + str(i) for i in range(52)], "rebooted": True, "reboot_policy": "auto",
               "reboot_required_flag": True, "apps": [text, text], "health": text, "startup_errors": [text] * 22}
    failed = {"status": "failed", "reason": text, "packages": []}
    return {"__twzrd_ops_rollout_hosts": ["web1", "web2"], "ansible_check_mode": False,
            "hostvars": {"web1": {"__twzrd_ops_patch_outcome": outcome}, "web2": {"__twzrd_ops_patch_outcome": failed}}}


def both(build, text):
    """(hostile, benign): the same structure built from the hostile text and from "x"."""
    return build(text), build("x")


SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------- the outputs


@SETTINGS
@given(hostile)
@example(LONG)
def test_fleet_markdown_and_summary_hold_hostile_text(text):
    hostile_ctx, benign_ctx = both(fleet_context, text)
    for template in ("weekly-health.md.j2",):
        assert_safe(render(template, **hostile_ctx), render(template, **benign_ctx), cap=500, markdown=True)
    assert_safe(render("weekly-health-summary.j2", **hostile_ctx), render("weekly-health-summary.j2", **benign_ctx), cap=300)
    assert "and 2 more" in render("weekly-health.md.j2", **hostile_ctx)  # 52 findings, 50 shown


@SETTINGS
@given(hostile)
@example(LONG)
def test_audit_markdown_and_summary_hold_hostile_text(text):
    hostile_ctx, benign_ctx = both(audit_context, text)
    markdown = render("audit.md.j2", **hostile_ctx)
    assert_safe(markdown, render("audit.md.j2", **benign_ctx), cap=500, markdown=True)
    assert "and 2 more" in markdown
    assert_safe(render("audit-summary.j2", **hostile_ctx), render("audit-summary.j2", **benign_ctx), cap=300)


@SETTINGS
@given(hostile)
@example(LONG)
def test_patch_summary_holds_hostile_text(text):
    hostile_ctx, benign_ctx = both(patch_context, text)
    summary = render("patch-summary.j2", **hostile_ctx)
    assert_safe(summary, render("patch-summary.j2", **benign_ctx), cap=2000)
    assert "and 2 more" in summary


class Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add((tag, tuple(sorted(k for k, _v in attrs))))


def tags(page):
    parser = Tags()
    parser.feed(page)
    return parser.tags


@SETTINGS
@given(hostile)
@example(LONG)
def test_html_report_holds_hostile_text(text):
    hostile_ctx, benign_ctx = both(fleet_context, text)
    page = htmlreport.render(hostile_ctx["__twzrd_ops_fleet_report"])
    benign = htmlreport.render(benign_ctx["__twzrd_ops_fleet_report"])
    page.encode("utf-8")
    assert raw_hidden(page) == []
    assert tags(page) == tags(benign), "a tag or an attribute came from outside"
    assert longest_pad(page) <= 2000
    assert "and 2 more" in page


@SETTINGS
@given(hostile)
@example(LONG)
def test_text_report_and_json_twin_hold_hostile_text(text):
    page = report.render_text(snapshot(text), findings(text), "critical")
    benign = report.render_text(snapshot("x"), findings("x"), "critical")
    assert_safe(page, benign, cap=1000)
    assert "and 2 more" in page  # 52 log files, 50 shown
    twin = report.render_json({"pm2": pm2_part([text])}, findings(text, 2), "critical")
    parsed = json.loads(twin)
    json.dumps(parsed, ensure_ascii=False).encode("utf-8")  # no lone surrogate hides in a \\udXXXX escape
    assert parsed["verdict"] == "critical"


LOG_GRAMMAR = re.compile(r"^(\S+) (\S+) (\S+) (\S+): (.*)$")


@SETTINGS
@given(hostile, hostile)
@example(LONG, LONG)
def test_alert_log_line_stays_one_line_of_its_grammar(name, message):
    line = alert_delivery.log_line(NOW, "FIRING", "critical", "pm2_app_down:" + name, message)
    line.encode("utf-8")
    assert "\n" not in line and raw_hidden(line) == []
    match = LOG_GRAMMAR.match(line)
    assert match and match.group(2, 3) == ("FIRING", "critical") and match.group(4).startswith("pm2_app_down:")
    assert longest_pad(line) <= 2000


def parse_label_values(inner):
    """The label values of {a="...",b="..."} by the exposition format's rules (what
    node_exporter's expfmt parser accepts: only \\\\, \\" and \\n escapes); None if invalid."""
    values, i = [], 0
    while i < len(inner):
        match = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*="').match(inner, i)
        if not match:
            return None
        i, value = match.end(), []
        while True:
            if i >= len(inner):
                return None
            char = inner[i]
            if char == "\\":
                nxt = inner[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    return None
                value.append("\n" if nxt == "n" else nxt)
                i += 2
            elif char == '"':
                i += 1
                break
            elif char == "\n":
                return None
            else:
                value.append(char)
                i += 1
        values.append("".join(value))
        if inner[i:i + 1] == ",":
            i += 1
    return values


@SETTINGS
@given(hostile)
@example(LONG)
def test_prometheus_textfile_is_valid_exposition_with_hostile_labels(text):
    names = [text + "a", text + "b"]
    snap = {"system": snapshot(text)["system"], "pm2": pm2_part(names)}
    alerts = {"pm2_app_down:" + text: {"rule": "pm2_app_down", "level": "critical"}}
    body = alert_delivery.render_textfile(snap, alerts, {names[0]: 3}, NOW, False, reason=text)
    body.encode("utf-8")
    assert raw_hidden(body) == []
    samples = 0
    for line in body.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line)
        assert match, line[:200]
        if match.group(2) is not None:
            values = parse_label_values(match.group(2))
            assert values is not None, line[:200]
            assert all(longest_pad(v) <= 200 for v in values)
        samples += 1
    assert samples >= 8


# ---------------------------------------------------------------- one case of each class, by name


def test_fleet_markdown_finding_with_a_newline_stays_one_list_item():
    text = render("weekly-health.md.j2", **fleet_context("crashed\n- ok: all good\n## web9: OK"))
    assert "\n- ok: all good" not in text and "\n## web9" not in text
    assert "crashed - ok: all good \\#\\# web9: OK" in text


def test_fleet_markdown_app_name_with_markup_is_text():
    text = render("weekly-health.md.j2", **fleet_context("<img src=x onerror=alert(1)>"))
    assert re.search(r"(?<!\\)<img", text) is None and "\\<img src=x onerror=alert(1)\\>" in text


def test_terminal_summary_shows_escape_sequences_instead_of_running_them():
    text = render("weekly-health-summary.j2", **fleet_context("\x1b[2J\u202eKO"))
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\x1b[2J\\u202eKO" in text


def test_html_report_shows_esc_and_bidi_controls_visibly():
    page = htmlreport.render(fleet_context("evil\x1b[31m\u202eexe.txt")["__twzrd_ops_fleet_report"])
    assert "\x1b" not in page and "\u202e" not in page
    assert "evil\\x1b[31m\\u202eexe.txt" in page


def test_text_report_lists_at_most_fifty_log_files_then_and_n_more():
    snap = snapshot("app")
    snap["logs"]["files"] = [{"path": "/var/log/app%d.log" % i, "matches": 1} for i in range(100000)]
    text = report.render_text(snap, [], "ok")
    assert "/var/log/app49.log" in text and "/var/log/app50.log" not in text
    assert "and 99950 more" in text and len(text) < 50000


def test_alert_key_with_a_no_break_space_keeps_the_log_grammar():
    line = alert_delivery.log_line(NOW, "FIRING", "critical", "pm2_app_down:a\u00a0b c", "down")
    match = LOG_GRAMMAR.match(line)
    assert match and match.group(4) == "pm2_app_down:a\\xa0b\\x20c" and match.group(5) == "down"


def test_textfile_label_shows_escape_characters_and_keeps_the_format():
    body = alert_delivery.render_textfile({"pm2": pm2_part(['a\x1b[2J"b\\\nc'])}, {}, {}, NOW, True)
    assert "\x1b" not in body
    assert 'app="a\\\\x1b[2J\\"b\\\\\\nc"' in body


def test_audit_detail_with_a_backtick_cannot_close_its_code_span():
    text = render("audit.md.j2", **audit_context("x`<b>y"))
    assert "<b>" not in text and "x\\`\\<b\\>y" in text


def incident_context(text):
    system = snapshot(text)["system"]
    procs = [{"pid": 7, "user": text, "cpu_percent": 90.0, "memory_percent": 5.0, "rss": 2 ** 20, "name": text}] * 3
    system = dict(system, top_cpu=procs, top_memory=procs, breaches=[{"level": "critical", "message": text}])
    log = {"item": [{"name": text, "pm_err_log_path": "/x/" + text}, "pm_err_log_path"], "stdout_lines": ["ERROR " + text] * 52}
    return {"inventory_hostname": "web1", "ansible_check_mode": False, "__twzrd_ops_system": system, "__twzrd_ops_before": system,
            "__twzrd_ops_after": system, "__twzrd_ops_pm2": pm2_part([text + str(i) for i in range(52)]),
            "__twzrd_ops_logs": {"results": [log]}, "twzrd_ops_log_patterns": None, "__twzrd_ops_restart_app": text,
            "__twzrd_ops_cycle": {"decision": "refused", "message": text}, "__twzrd_ops_cycle_error": text,
            "twzrd_ops_swap_critical": 50}


@SETTINGS
@given(hostile)
@example(LONG)
def test_incident_summaries_hold_hostile_text(text):
    hostile_ctx, benign_ctx = both(incident_context, text)
    for template in ("incident-load.j2", "incident-swap.j2"):
        page = render(template, **hostile_ctx)
        assert_safe(page, render(template, **benign_ctx), cap=500, markdown=True)
    assert "and 2 more" in render("incident-load.j2", **hostile_ctx)
