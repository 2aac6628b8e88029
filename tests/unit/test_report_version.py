"""The collection's version in the header of every report (issue 24): the on-host text report
and its JSON twin, the controller's Markdown (weekly health, audit, incidents), JSON and HTML.
One source, module_utils/version.py, held equal to galaxy.yml here; a JSON report written
before the key existed is still read."""

from __future__ import annotations

import glob
import importlib
import json
import os
import re

import jinja2
import pytest
from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import FilterModule as CoreFilters
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.twzrd.ops.plugins.filter import fleet
from ansible_collections.twzrd.ops.plugins.filter import gates as gate_filters
from ansible_collections.twzrd.ops.plugins.filter import text as text_filters
from ansible_collections.twzrd.ops.plugins.module_utils import cli_notify, htmlreport, report, version

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def galaxy_version():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        return re.search(r"^version: *(\S+)", handle.read(), re.M).group(1)


def templates():
    """The playbooks' templates with ansible's core filters and every twzrd.ops filter, as Ansible loads them."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, "roles", "twzrd_ops", "templates")),
                             trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(CoreFilters().filters())
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "filter", "*.py"))):
        module = importlib.import_module("ansible_collections.twzrd.ops.plugins.filter." + os.path.basename(path)[:-3])
        env.filters.update(("twzrd.ops." + key, function) for key, function in module.FilterModule().filters().items())
    env.globals["now"] = lambda utc=True, fmt="%Y-%m-%d": "2026-12-06 10:05:00 UTC"
    return env


SNAPSHOT = {"host": "web-1", "epoch": 1764928800, "timestamp": "2025-12-05T10:00:00Z"}


def test_the_one_source_is_galaxy_ymls_version():
    assert version.VERSION == galaxy_version()
    assert version.written_by() == "twzrd.ops " + galaxy_version()
    assert version.written_by("playbooks/audit.yml") == "twzrd.ops %s `playbooks/audit.yml`" % galaxy_version()


def test_the_text_report_names_the_version_in_its_header():
    lines = report.render_text(SNAPSHOT, [], "ok").splitlines()
    header = lines[:lines.index("")]  # the lines before the first section
    assert "Written by: twzrd.ops %s" % galaxy_version() in header


def test_the_json_twin_carries_the_version_and_is_still_read_by_the_summary(tmp_path):
    twin = json.loads(report.render_json(SNAPSHOT, [{"level": "warning", "message": "swap 60%"}], "warning"))
    assert twin["version"] == galaxy_version()
    paths = report.write_report(str(tmp_path), SNAPSHOT, [{"level": "warning", "message": "swap 60%"}], "warning")
    with open(paths["json"]) as handle:
        assert json.load(handle)["version"] == galaxy_version()
    assert "verdict WARNING, 1 finding" in cli_notify.report_summary(str(tmp_path), "web-1")


def test_a_json_report_written_before_the_version_key_is_still_read(tmp_path):
    """The key is the format's only change: an older twin (no version) is read as before."""
    (tmp_path / "weekly-health-report-2025-11-28.json").write_text(json.dumps(
        {"verdict": "critical", "findings": [{"level": "critical", "message": "disk / 97%"}], "snapshot": {}}))
    summary = cli_notify.report_summary(str(tmp_path), "web-1")
    assert summary.splitlines()[:2] == ["web-1 weekly report 2025-11-28: verdict CRITICAL, 1 finding.", "- critical disk / 97%"]


def test_the_fleet_document_and_its_markdown_carry_the_version():
    rows = fleet.fleet_rows({"web1": {"__twzrd_ops_health": {"state": "unreachable", "error": "ssh: refused"}}}, ["web1"])
    rows[0]["crash_window"] = 604800  # what a checked host's row has (the table's header reads it)
    doc = fleet.fleet_document(rows, date="2026-12-06", generated="2026-12-06T10:00:00Z")
    assert list(doc)[0] == "version" and doc["version"] == galaxy_version()
    text = templates().get_template("weekly-health.md.j2").render(__twzrd_ops_rows=rows, __twzrd_ops_fleet_report=doc)
    assert "Generated 2026-12-06T10:00:00Z by twzrd.ops %s `playbooks/weekly-health.yml`." % galaxy_version() in text.splitlines()


def test_the_html_page_shows_the_version_of_its_json_twin():
    doc = fleet.fleet_document([], date="2026-12-06", generated="2026-12-06T10:00:00Z")
    page = htmlreport.render(doc)
    meta = re.search(r'<p class="meta">(.*?)</p>', page).group(1)
    assert meta == 'generated 2026-12-06T10:00:00Z, by twzrd.ops <span class="version">%s</span>' % galaxy_version()
    # A twin written before the key existed: the page does not pretend to know its release.
    old = htmlreport.render({key: value for key, value in doc.items() if key != "version"})
    assert 'by twzrd.ops <span class="version">(version not recorded)</span>' in old
    # The version is outside text like any other field of a JSON file: escaped.
    assert "&lt;b&gt;" in htmlreport.render(dict(doc, version="<b>"))


def test_the_audit_markdown_names_the_version():
    doc = {"date": "2026-12-06", "generated": "2026-12-06T10:00:00Z", "hosts": []}
    text = templates().get_template("audit.md.j2").render(__twzrd_ops_audit_report=doc)
    assert "by twzrd.ops %s `playbooks/audit.yml`" % galaxy_version() in text


@pytest.mark.parametrize("kind", ["crashloop", "load", "swap"])
def test_every_incident_summary_names_the_version_and_its_playbook(kind):
    """Each incident template carries the header line (the rendering of each is tested in
    tests/unit/test_incident_folding.py and test_foreign_text.py, which register the filter too)."""
    with open(os.path.join(ROOT, "roles", "twzrd_ops", "templates", "incident-%s.j2" % kind)) as handle:
        source = handle.read()
    line = "- Written by: {{ 'playbooks/emergency-%s.yml' | twzrd.ops.written_by }}" % kind
    assert line in source.splitlines()
    assert os.path.exists(os.path.join(ROOT, "playbooks", "emergency-%s.yml" % kind))
    shown = templates().from_string(line).render()
    assert shown == "- Written by: twzrd.ops %s `playbooks/emergency-%s.yml`" % (galaxy_version(), kind)


def test_the_crashloop_summary_rendered_whole_has_the_line_under_when():
    context = {"inventory_hostname": "web1", "ansible_check_mode": False, "__twzrd_ops_mode": "detect",
               "__twzrd_ops_pm2": {"processes": [], "summary": {"crash_window": 300, "crash_threshold": 5, "crashes": {},
                                                                "crash_loop_apps": []}},
               "__twzrd_ops_logs": gate_filters.folded_logs({"results": []})}
    lines = templates().get_template("incident-crashloop.j2").render(**context).splitlines()
    when = next(i for i, line in enumerate(lines) if line.startswith("- When: "))
    assert lines[when + 1] == "- Written by: twzrd.ops %s `playbooks/emergency-crashloop.yml`" % galaxy_version()


def test_written_by_refuses_what_is_not_a_path():
    for bad in (None, 3, "", ["playbooks/x.yml"]):
        with pytest.raises(AnsibleFilterError, match="written_by expects the path"):
            text_filters.written_by(bad)


@settings(deadline=None, max_examples=60)
@given(st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.integers(), st.text(max_size=8)), max_size=6))
def test_stamped_puts_this_version_first_and_keeps_everything_else(document):
    out = version.stamped(document)
    assert list(out)[0] == "version" and out["version"] == version.VERSION
    assert {k: v for k, v in out.items() if k != "version"} == {k: v for k, v in document.items() if k != "version"}
    assert "version" not in document or document is not out  # the input is not changed
