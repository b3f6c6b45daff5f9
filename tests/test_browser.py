"""The HTML report as a person sees it: opened in headless Chromium (Debian's `chromium`, which .ci/run installs),
measured in the rendered page through the DevTools protocol, and printed to PDF. The measuring code is sent over
the protocol; the page itself holds no script.

Set TRACKER_SCREENSHOTS to a folder to keep a screenshot of the page at each width there."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import Browser, chromium_path, print_to_pdf
from tests.conftest import Run
from tests.test_html import HOSTILE_NOTE, HOSTILE_TITLE, add_hostile

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium is not installed here ('apt-get install chromium', as .ci/run does, brings it)",
    ),
]
AS_OF = "2026-01-01"
TITLE = f"Compliance report as of {AS_OF}"

# Elements whose content is wider than their box, where the box does not scroll: text that spills out. Scroll
# boxes (the charts and wide tables on a phone) hold their content, so they are not counted; neither are inline
# elements (which have no box width of their own) nor the inside of an SVG (which scales as a whole).
OVERFLOWING = """
(() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) found.push(`the page: ${root.scrollWidth} > ${window.innerWidth}`);
  for (const element of document.body.querySelectorAll('*')) {
    if (element.closest('svg')) continue;
    const style = getComputedStyle(element);
    if (style.display === 'inline' || style.display === 'none' || style.overflowX !== 'visible') continue;
    if (element.closest('.scroll') && element.closest('.scroll') !== element) {
      if (element.getBoundingClientRect().width === 0) continue;
    }
    if (element.scrollWidth > element.clientWidth + 1) {
      const name = `${element.tagName.toLowerCase()}.${element.className}`;
      found.push(`${name}: ${element.scrollWidth} > ${element.clientWidth}`);
    }
  }
  return found;
})()
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as opened:
        yield opened


@pytest.fixture
def page(run: Run, db_path: Path, tmp_path: Path) -> Path:
    """The report on the bundled data, with a few events and one hostile commitment, written to a file."""
    for command in (
        ("update", "rcep", "--status", "fulfilled", "--date", "2020-11-15", "--note", "Signed.",
         "--evidence", "https://asean.org/rcep"),
        ("update", "plan-of", "--status", "stalled", "--date", "2022-03-01", "--note", "Slowed.", "--actor", "ASEAN"),
        ("update", "cooperation-fund", "--status", "partial", "--date", "2023-05-01", "--note", "Cut back."),
    ):  # fmt: skip
        assert run(*command).exit_code == 0
    add_hostile(run)
    target = tmp_path / "report.html"
    result = run("report", "--as-of", AS_OF, "--format", "html", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    return target


def _series(run: Run) -> dict[str, Any]:
    result = run("trend", "--to", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.stderr
    series: dict[str, Any] = json.loads(result.stdout)
    return series


@pytest.mark.parametrize("width", [1280, 390])
def test_the_rendered_page_draws_its_charts_and_scorecard_and_nothing_overflows(
    browser: Browser, page: Path, run: Run, width: int
) -> None:
    browser.open(page, width)
    series = _series(run)
    periods = len(series["points"])
    scored = sum(point["score"]["mean"] is not None for point in series["points"])
    statuses = {status for point in series["points"] for status, count in point["by_status"].items() if count}
    assert browser.evaluate("document.querySelectorAll('#score-chart svg').length") == 1
    assert browser.evaluate("document.querySelectorAll('#score-chart svg .dots').length") == scored
    assert browser.evaluate("document.querySelectorAll('#score-chart svg path.line').length") >= 1
    bars = browser.evaluate("document.querySelectorAll('#status-chart svg rect.rect').length")
    assert bars == periods * len(statuses)
    drawn = browser.evaluate(
        "[...document.querySelectorAll('#status-chart svg rect.rect')].filter(r => r.getBBox().height > 0).length"
    )
    assert drawn == sum(1 for point in series["points"] for count in point["by_status"].values() if count)
    chart_width = browser.evaluate("document.querySelector('#score-chart svg').getBoundingClientRect().width")
    assert chart_width > 300
    commitments = json.loads(run("report", "--as-of", AS_OF, "--format", "json").stdout)["total"]
    assert browser.evaluate("document.querySelectorAll('table.scorecard tbody tr').length") == commitments
    assert browser.evaluate("document.querySelectorAll('article.commitment').length") == commitments
    assert browser.evaluate(OVERFLOWING) == []
    screenshots = os.environ.get("TRACKER_SCREENSHOTS")
    if screenshots:
        browser.screenshot(Path(screenshots) / f"report-{width}.png")


def test_hostile_text_is_shown_literally_and_nothing_in_it_ran(browser: Browser, page: Path) -> None:
    browser.open(page, 1280)
    assert browser.evaluate("document.title") == TITLE
    assert browser.evaluate("document.scripts.length") == 0
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate(f"document.body.innerText.includes({json.dumps(HOSTILE_TITLE)})")
    assert browser.evaluate(f"document.body.innerText.includes({json.dumps(HOSTILE_NOTE)})")
    assert browser.evaluate("getComputedStyle(document.body).display") == "block"  # the quote's <style> is text
    links = browser.evaluate("[...document.querySelectorAll('a')].map(a => [a.protocol, a.rel])")
    assert links
    assert all(protocol == "https:" and rel == "noopener" for protocol, rel in links)


def test_printing_to_pdf_gives_a4_pages(page: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    result = print_to_pdf(page, pdf)
    assert result.returncode == 0, result.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes, "no page in the PDF"
    assert all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes), boxes[:3]
    assert len(boxes) >= 3
