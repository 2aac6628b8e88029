"""The fleet report's HTML page (fleet_report html: true), written by the real action plugin
through the real ansible-playbook and opened in a real browser: Debian's Chromium driven by
Playwright from PyPI (Playwright cannot download its own browsers here, so it is launched on
/usr/bin/chromium, installed by scripts/test-env.sh).

The browser must not be skipped: when Chromium or Playwright is missing the tests FAIL with
a sentence saying so. Screenshots go to the test's tmp dir and are copied to
tests/output/html-report*.png (not committed) for a person to look at.

The fleet documents of the first tests are synthetic (tests/unit/test_htmlreport.py's
synthetic_document, the history contract of issue 11, hostile names included); the last
test runs playbooks/weekly-health.yml on localhost and opens the page it writes.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import struct
import sys
import zlib

from conftest import LOCAL_ALPHA_INVENTORY as INVENTORY, OUTPUT, ROOT, run_day

sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))
import reportpages as pages  # noqa: E402  (the synthetic documents and the page parser)


def _open(browser, path):
    """A page showing the file, with every console message and page error collected."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems = []
    page.on("console", lambda message: problems.append(("console " + message.type, message.text)))
    page.on("pageerror", lambda error: problems.append(("pageerror", str(error))))
    page.on("requestfailed", lambda request: problems.append(("requestfailed", request.url)))
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (problems.append(("dialog error", dialog.message)), dialog.dismiss()))
    page.goto("file://" + path, wait_until="load")
    return page, problems, requests


def _png_pixels(path):
    """Width, height and the set of distinct pixel values of an 8-bit RGB/RGBA PNG (stdlib only)."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    offset, idat = 8, b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        chunk = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
        offset += 12 + length
    assert depth == 8 and colour in (2, 6), "unexpected PNG format (depth %d, colour type %d)" % (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    colours = set()
    position = 0
    for _row in range(height):
        kind = raw[position]
        line = bytearray(raw[position + 1:position + 1 + stride])
        position += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        if len(colours) < 64:
            colours.update(bytes(line[i:i + bpp]) for i in range(0, stride, bpp * 7))
        previous = line
    return width, height, colours


def _screenshot(page, tmp_path, name):
    path = str(tmp_path / (name + ".png"))
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 1000
    width, height, colours = _png_pixels(path)
    assert width >= 1200 and height >= 900 and len(colours) > 10, "%s: %dx%d, %d colours" % (name, width, height, len(colours))
    os.makedirs(OUTPUT, exist_ok=True)
    shutil.copy(path, os.path.join(OUTPUT, name + ".png"))
    return path


PLAYBOOK = """
- name: Write the fleet report with its HTML page
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check mode writes nothing
      twzrd.ops.fleet_report:
        path: "{{ base }}-check"
        markdown: "# fleet"
        document: "{{ doc }}"
        html: true
      check_mode: true
      register: checked

    - name: Write
      twzrd.ops.fleet_report:
        path: "{{ base }}"
        markdown: "# fleet"
        document: "{{ doc }}"
        html: true
        mode: "0600"
      register: first

    - name: Write again
      twzrd.ops.fleet_report:
        path: "{{ base }}"
        markdown: "# fleet"
        document: "{{ doc }}"
        html: true
        mode: "0600"
      register: again

    - name: Check mode said it would write; the second run changed nothing
      ansible.builtin.assert:
        that:
          - checked.changed and not checked.written
          - first.changed and first.paths | length == 3
          - not again.changed
"""


def _write_with_the_plugin(run_playbook, tmp_path, document):
    (tmp_path / "write.yml").write_text(PLAYBOOK)
    (tmp_path / "vars.json").write_text(json.dumps({"doc": document, "base": str(tmp_path / "reports" / "fleet")}))
    proc = run_playbook(str(tmp_path / "write.yml"), "-i", "localhost,", "-e", "@" + str(tmp_path / "vars.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return str(tmp_path / "reports" / "fleet")


def test_the_page_opens_in_chromium_with_table_charts_and_the_numbers_of_the_json_twin(run_playbook, browser, tmp_path):
    base = _write_with_the_plugin(run_playbook, tmp_path, pages.synthetic_document())
    assert not [p for p in os.listdir(str(tmp_path / "reports")) if p.startswith("fleet-check")]  # check mode wrote nothing
    for suffix in (".md", ".json", ".html"):
        assert stat.S_IMODE(os.stat(base + suffix).st_mode) == 0o600, suffix
    with open(base + ".json") as handle:
        twin = json.load(handle)
    with open(base + ".html", encoding="utf-8") as handle:
        text = handle.read()

    page, problems, requests = _open(browser, base + ".html")
    try:
        assert not [p for p in problems if "error" in p[0] or p[0] == "requestfailed"], problems
        assert [url for url in requests if not url.startswith("file://")] == []  # self-contained
        rows = page.locator("table.fleet tbody tr")
        assert rows.count() == len(twin["hosts"])
        for index, entry in enumerate(twin["hosts"]):
            row = rows.nth(index)
            assert row.get_attribute("data-host") == entry["host"]
            assert row.locator(".badge").inner_text() == entry["verdict"].upper()
            section = page.locator("section#host-%d" % index)
            assert section.get_attribute("data-host") == entry["host"]
            history = entry.get("history")
            if history and history.get("available"):
                assert section.locator("svg").count() == pages.expected_chart_count(entry) > 0
                assert section.locator("svg path.line").count() == section.locator("svg").count()
                assert section.locator(".no-history").count() == 0
            else:
                assert section.locator("svg").count() == 0
                assert section.locator(".no-history").inner_text().startswith("No history yet")
        # Colour by verdict, as the browser computes it: a critical row is not an ok row.
        colour = page.evaluate("(h) => getComputedStyle(document.querySelector('tr.v-' + h)).backgroundColor", "critical")
        assert colour != page.evaluate("() => getComputedStyle(document.querySelector('tr.v-ok')).backgroundColor")
        # The dashed max_memory_restart line is drawn inside the chart's box.
        limit = page.locator("section#host-0 svg line.limit").first
        assert limit.get_attribute("stroke-dasharray") and limit.evaluate(  # within its own chart's box
            "(l) => { const b = l.getBoundingClientRect(), s = l.ownerSVGElement.getBoundingClientRect(); "
            "return b.top >= s.top && b.bottom <= s.bottom && b.left >= s.left && b.right <= s.right; }")
        assert limit.bounding_box()["width"] > 100
        _screenshot(page, tmp_path, "html-report")

        light = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        page.emulate_media(color_scheme="dark")
        dark = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert light == "rgb(255, 255, 255)" and dark != light, (light, dark)
        _screenshot(page, tmp_path, "html-report-dark")

        page.emulate_media(media="print", color_scheme="dark")
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        assert page.evaluate("() => getComputedStyle(document.querySelector('section.host')).breakBefore") == "page"
        _screenshot(page, tmp_path, "html-report-print")
        pdf = tmp_path / "html-report.pdf"
        page.pdf(path=str(pdf))
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10000
        assert not [p for p in problems if "error" in p[0]], problems
    finally:
        page.close()

    # The HTML, parsed: every number shown equals the JSON twin's value formatted the same way.
    assert pages.check_numbers_equal_json(text, twin) >= 5 + 5 * 4 + 2 * 2 * 12


def test_report_directory_that_cannot_be_written_fails_with_one_sentence(run_playbook, tmp_path, require_tool, as_root):
    chattr = require_tool("chattr")
    locked = tmp_path / "locked"
    locked.mkdir()
    playbook = tmp_path / "locked.yml"
    playbook.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Write into an immutable directory
      twzrd.ops.fleet_report:
        path: "%s/fleet"
        markdown: "# fleet"
        document: {hosts: []}
        html: true
    - name: html without a document
      twzrd.ops.fleet_report:
        path: "%s/other"
        markdown: "# fleet"
        html: true
      ignore_errors: true
""" % (locked, tmp_path))
    as_root([chattr, "+i", str(locked)], check=True)  # as root, or through passwordless sudo
    try:
        proc = run_playbook(str(playbook), "-i", "localhost,")
    finally:
        as_root([chattr, "-i", str(locked)], check=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "Cannot write the report %s/fleet (Operation not permitted)." % locked in out
    assert "Traceback" not in out
    assert os.listdir(str(locked)) == []  # nothing half-written, no temporary file left

    playbook.write_text(playbook.read_text().replace("%s/fleet" % locked, "%s/fleet" % tmp_path))
    proc = run_playbook(str(playbook), "-i", "localhost,")
    out = proc.stdout + proc.stderr
    assert "fleet_report html: true needs the document the page is drawn from." in out
    assert not os.path.exists(str(tmp_path / "other.md"))


def _real_history(tmp_path, now):
    """A real history file: 20 days of hourly samples recorded by history.record (SQLite),
    summarised by history.summary, exactly what host_check returns."""
    from ansible_collections.twzrd.ops.plugins.module_utils import history

    db = str(tmp_path / "history.sqlite")
    for hour in range(20 * 24, 0, -1):
        t = now - hour * 3600
        snapshot = {
            "epoch": t,
            "system": {"memory": {"percent": 40 + (hour % 24), "available": 2 << 30, "total": 4 << 30},
                       "swap": {"percent": 3.5 + (hour % 5)}, "load": {"load1": 0.5 + (hour % 7) / 10.0}},
            "pm2": {"daemon_memory": 60 << 20, "processes": [
                {"name": "api", "memory": (150 + (480 - hour) // 4) << 20, "cpu": 1.0, "restarts": hour // 100,
                 "status": "online", "max_memory_restart": 300 << 20},
                {"name": '<img src=x onerror="alert(1)">', "memory": 90 << 20, "cpu": 0.5, "restarts": 0,
                 "status": "online", "max_memory_restart": None}]},
            "disk": [{"path": "/", "used": (10 << 30) + (480 - hour) * (8 << 20), "free": 20 << 30, "percent": 33.0 + (480 - hour) / 100.0}],
        }
        history.record(snapshot, db_path=db, now=t)
    return history.summary(db, now=now)


def test_a_real_history_is_drawn_with_the_numbers_of_the_json_twin(run_playbook, browser, tmp_path):
    from ansible_collections.twzrd.ops.plugins.filter import fleet

    now = 1795737600
    summary = _real_history(tmp_path, now)
    assert summary["available"] and summary["samples"] == 480
    row = fleet.host_row("web-1", {"state": "checked", "verdict": "ok", "findings": [], "history": summary,
                                   "snapshot": {"system": {"memory": {"percent": 52.0}, "swap": {"percent": 4.0, "configured": True},
                                                           "load": {"load1": 0.9, "per_core": {"load1": 0.45}}}}})
    row_without = fleet.host_row("db-2", {"state": "checked", "verdict": "ok", "findings": [],
                                          "history": {"available": False, "reason": "no history yet on this host", "samples": 0,
                                                      "first": None, "last": None, "windows": {}, "week_over_week": {}, "trends": []}})
    document = fleet.fleet_document([row, row_without], date="2026-11-27", generated="2026-11-27T00:00:00Z")
    base = _write_with_the_plugin(run_playbook, tmp_path, document)
    with open(base + ".json") as handle:
        twin = json.load(handle)
    with open(base + ".html", encoding="utf-8") as handle:
        text = handle.read()
    assert pages.check_numbers_equal_json(text, twin) >= 5 + 3 + 2 * 2 + 2 * 4  # counts, row, host and app week over week

    page, problems, _requests = _open(browser, base + ".html")
    try:
        assert not [p for p in problems if "error" in p[0] or p[0] == "requestfailed"], problems
        # 7d and 30d: memory, swap, load, disk /, two apps, the PM2 daemon
        assert page.locator("section#host-0 svg").count() == pages.expected_chart_count(twin["hosts"][0]) == 2 * 7
        assert page.locator("section#host-0 svg line.limit").count() == 2  # api's max_memory_restart, both windows
        assert page.locator("section#host-1 svg").count() == 0
        assert page.locator("section#host-1 .no-history").inner_text() == "No history yet on this host."
        _screenshot(page, tmp_path, "html-report-real-history")
    finally:
        page.close()


def test_weekly_health_writes_the_html_page_next_to_md_and_json(run_playbook, browser, tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY)
    reports = str(tmp_path / "reports")
    proc = run_playbook("playbooks/weekly-health.yml", "-i", str(inventory), "--skip-tags", "host_report",
                        "-e", "twzrd_ops_fleet_reports_dir=" + reports)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    base = os.path.join(os.path.realpath(reports), "weekly-health-%s" % run_day(os.path.join(reports, "weekly-health-%s.json")))
    assert sorted(os.listdir(reports)) == sorted(os.path.basename(base) + s for s in (".html", ".json", ".md"))
    assert "Fleet report: %s.md (and .json, .html)" % base in out
    with open(base + ".json") as handle:
        twin = json.load(handle)
    with open(base + ".html", encoding="utf-8") as handle:
        text = handle.read()
    assert [entry["host"] for entry in twin["hosts"]] == ["alpha"]
    assert pages.check_numbers_equal_json(text, twin) >= 5 + 3  # the counts, memory, swap, load of alpha

    page, problems, _requests = _open(browser, base + ".html")
    try:
        assert not [p for p in problems if "error" in p[0] or p[0] == "requestfailed"], problems
        assert page.locator("table.fleet tbody tr").count() == 1
        assert page.locator("table.fleet tbody tr .badge").inner_text() == twin["hosts"][0]["verdict"].upper()
        history = twin["hosts"][0].get("history")
        section = page.locator("section#host-0")
        if history and history.get("available"):
            assert section.locator("svg").count() == pages.expected_chart_count(twin["hosts"][0]) > 0
        else:  # a first run: the host has no history yet, and the page says so
            assert section.locator("svg").count() == 0
            assert section.locator(".no-history").inner_text().startswith("No history yet")
        _screenshot(page, tmp_path, "html-report-weekly-health")
    finally:
        page.close()
