"""The fleet report page at 1300 and 420 px in a real Chromium (Debian's /usr/bin/chromium
driven by Playwright, the browser fixture of tests/conftest.py): no horizontal scroll of the
page on a phone, wide tables scroll inside their own box, host names stay on one line, the
unchanged week-over-week rows are folded and the charts of ten minutes of history fill their
width. Screenshots go to the test's tmp dir and are copied to tests/output/ (not committed)."""

from __future__ import annotations

import os
import shutil

import pytest

import reportpages as pages
from conftest import OUTPUT

from ansible_collections.twzrd.ops.plugins.module_utils import htmlreport

WIDTHS = (1300, 420)

MEASURE = """() => {
  const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el);
    const tops = new Set(Array.from(r.getClientRects()).map((c) => Math.round(c.top))); return tops.size; };
  const seen = (el) => el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true}) && el.getClientRects().length > 0;
  const hosts = Array.from(document.querySelectorAll('th.host')).filter(seen);
  const boxes = Array.from(document.querySelectorAll('div.scroll')).filter(seen);
  const charts = Array.from(document.querySelectorAll('figure.chart'));
  return {
    page: document.documentElement.scrollWidth, viewport: window.innerWidth,
    hostCells: hosts.length, wrappedHosts: hosts.filter((el) => lines(el) > 1).map((el) => el.textContent),
    scrollingBoxes: boxes.filter((el) => el.scrollWidth > el.clientWidth).length,
    widestChart: Math.max(...charts.map((el) => el.getBoundingClientRect().right)),
    changedShown: Array.from(document.querySelectorAll('tr.changed')).filter(seen).length,
    sameShown: Array.from(document.querySelectorAll('tr.same')).filter(seen).length,
    sameRows: document.querySelectorAll('tr.same').length,
  };
}"""


def _save(page, tmp_path, name):
    path = str(tmp_path / (name + ".png"))
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 5000, path
    os.makedirs(OUTPUT, exist_ok=True)
    shutil.copy(path, os.path.join(OUTPUT, name + ".png"))
    return path


@pytest.mark.parametrize("name, document", [("full", pages.synthetic_document), ("ten-minutes", pages.short_history_document)])
def test_the_page_reads_at_1300_and_420_px_without_page_scroll(browser, tmp_path, name, document):  # noqa: F811
    path = tmp_path / ("report-%s.html" % name)
    path.write_text(htmlreport.render(document()), encoding="utf-8")
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900})
        try:
            page.goto("file://" + str(path), wait_until="load")
            found = page.evaluate(MEASURE)
            _save(page, tmp_path, "html-layout-%s-%d" % (name, width))
        finally:
            page.close()
        assert found["page"] <= width, (width, found)  # no horizontal scroll of the page
        assert found["widestChart"] <= width, (width, found)
        assert found["hostCells"] >= 5 and found["wrappedHosts"] == [], (width, found)
        if width == 420:
            assert found["scrollingBoxes"] >= 1, found  # the wide tables scroll inside their box
        assert found["changedShown"] > 0 and found["sameRows"] > 0 and found["sameShown"] == 0, found  # unchanged folded


def test_opening_the_fold_shows_the_unchanged_rows(browser, tmp_path):  # noqa: F811
    path = tmp_path / "report.html"
    path.write_text(htmlreport.render(pages.synthetic_document()), encoding="utf-8")
    page = browser.new_page(viewport={"width": 420, "height": 900})
    try:
        page.goto("file://" + str(path), wait_until="load")
        page.click("details.wow-same summary")
        found = page.evaluate(MEASURE)
        _save(page, tmp_path, "html-layout-unfolded-420")
    finally:
        page.close()
    assert found["sameShown"] == found["sameRows"] == 6 and found["page"] <= 420 and found["wrappedHosts"] == [], found
