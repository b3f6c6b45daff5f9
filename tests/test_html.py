"""`tracker report --format html`: one self-contained page that runs nothing and fetches nothing, with every piece
of data text escaped, written by the rules of `export --output`. (What it looks like in a browser is checked in
tests/test_browser.py.)"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import Run

HOSTILE_TITLE = "<img src=x onerror=\"document.title='pwned'\">"
HOSTILE_NOTE = "</script><script>document.title='pwned'</script>"
HOSTILE_ACTOR = "<b onmouseover=alert(1)>X</b>"


def add_hostile(run: Run) -> None:
    """A commitment whose every text tries to run, and an event whose evidence tries to be a script link."""
    added = run(
        "add", "--title", HOSTILE_TITLE, "--actor", HOSTILE_ACTOR, "--actor", "ROK", "--pillar", "economic",
        "--kind", "pledge", "--source-date", "2021-01-01", "--quote", "<style>body{display:none}</style>",
        "--source-document", "<iframe src=//evil>", "--id", "hostile",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    updated = run(
        "update", "hostile", "--status", "fulfilled", "--date", "2021-02-01", "--note", HOSTILE_NOTE,
        "--evidence", "javascript:document.title='pwned'", "--evidence", 'https://example.org/a?b=1&c="2"',
        "--evidence", "https://example.org/ok",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.stderr


def html_of(run: Run, *args: str) -> str:
    result = run("report", "--format", "html", *args)
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


def test_the_page_is_self_contained_small_and_runs_nothing(run: Run, db_path: Path) -> None:
    page = html_of(run, "--as-of", "2026-01-01")
    assert page.startswith("<!DOCTYPE html>")
    assert len(page.encode("utf-8")) < 1_000_000
    assert "<script" not in page.lower()
    assert not re.search(r"\son\w+\s*=", page)  # no event handler attribute
    # nothing is fetched: no external stylesheet, font, image, frame or script; the only addresses are the SVG
    # namespace and links a reader may follow
    assert not re.search(r"<link\b|@import|url\(|<img\b|<iframe\b|<object\b|<embed\b", page)
    addresses = set(re.findall(r"(?:src|href|xlink:href)=\"([^\"]*)\"", page))
    assert all(address.startswith(("https://", "http://", "#")) for address in addresses), addresses
    assert not re.findall(r"src=\"", page)
    assert page.count("<svg") == 2
    assert "<style" in page
    assert "@media print" in page
    assert "size: A4" in page


def test_the_page_holds_title_method_headline_charts_scorecard_commitments_and_lists(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--status", "fulfilled", "--date", "2020-11-15", "--note", "Signed.").exit_code == 0
    page = html_of(run, "--as-of", "2021-06-30")
    assert "<title>Compliance report as of 2021-06-30</title>" in page
    assert "Period: commitments made from 2020-09-09 to 2021-06-30" in page
    assert "Method. Each commitment is scored" in page
    assert '<span class="big">+0.25</span>' in page
    assert '<span class="big">62.5%</span>' in page
    assert '<figure id="score-chart"' in page
    assert '<figure id="status-chart"' in page
    assert "<title>Compliance score over time</title>" in page
    assert "<desc>From 2020-09 to 2021-06" in page
    start = page.index('<table class="scorecard">')
    scorecard = page[start : page.index("</table>", start)]
    assert scorecard.count('<tr><th scope="row">') == 18 + 2  # a row per commitment, then mean and percent
    assert page.count('<article class="commitment"') == 18
    assert "Sign the Regional Comprehensive Economic Partnership (RCEP) in 2020" in page
    assert "paragraph 5" in page  # the source paragraph each quote comes from
    assert '<h2 id="overdue">Overdue</h2>' in page
    assert "flagship-projects-2020" in page
    assert '<h2 id="due-soon">Due soon (180 days)</h2>' in page


def test_the_same_report_is_the_same_page_byte_for_byte(run: Run, db_path: Path) -> None:
    """A report issued again (`--known-on` reproduces one) gives the same bytes: no random chart ids."""
    pages = [run("report", "--format", "html", "--as-of", "2021-06-30", "--known-on", "2026-11-29") for _ in range(2)]
    assert pages[0].exit_code == 0
    assert 'id="chart-' in pages[0].stdout
    assert pages[0].stdout == pages[1].stdout


def test_every_text_from_the_data_is_escaped_and_only_web_addresses_are_links(run: Run, db_path: Path) -> None:
    add_hostile(run)
    page = html_of(run, "--as-of", "2021-06-30")
    for raw in (HOSTILE_TITLE, HOSTILE_NOTE, HOSTILE_ACTOR, "<style>body", "<iframe"):
        assert raw not in page
    assert "&lt;img src=x onerror=&#34;document.title=&#39;pwned&#39;&#34;&gt;" in page
    assert "&lt;/script&gt;&lt;script&gt;" in page
    assert 'href="javascript' not in page
    assert "javascript:document.title=&#39;pwned&#39;" in page
    assert '<a href="https://example.org/ok" rel="noopener">https://example.org/ok</a>' in page
    assert '<a href="https://example.org/a?b=1&amp;c=&#34;2&#34;"' not in page  # a quote is not a web address
    assert "<script" not in page.lower()


def test_controls_and_direction_overrides_in_data_are_shown_as_escapes(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--note", "evil\u202eright-to-left\x1b[31m").exit_code == 0
    page = html_of(run)
    assert "\u202e" not in page
    assert "\x1b" not in page
    assert "evil\\u202eright-to-left\\x1b[31m" in page


def test_output_follows_the_rules_of_export(run: Run, db_path: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    target = tmp_path / "report.html"
    written = run("report", "--format", "html", "--output", str(target))
    assert written.exit_code == 0, written.stderr
    assert written.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    again = run("report", "--format", "html", "--output", str(target))
    assert again.exit_code == 1
    assert again.stderr.strip() == f"tracker: error: {target} exists; use --force to overwrite it"
    assert run("report", "--format", "html", "--output", str(target), "--force").exit_code == 0
    for side in (db_path, Path(f"{db_path}.lock"), Path(f"{db_path}.index")):
        refused = run("report", "--format", "html", "--output", str(side), "--force")
        assert refused.exit_code == 1, side
        assert "is the database" in refused.stderr
        assert len(refused.stderr.splitlines()) == 1
    table = run("report", "--format", "table", "--output", str(tmp_path / "t.txt"))
    assert table.exit_code == 2
    assert "--format table is for a terminal" in table.stderr
    markdown = run("report", "--format", "markdown", "--output", str(tmp_path / "r.md"))
    assert markdown.exit_code == 0
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Compliance report as of")
    missing = run("report", "--format", "html", "--output", str(tmp_path / "nowhere" / "r.html"))
    assert missing.exit_code == 1
    assert "does not exist" in missing.stderr
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert "Traceback" not in again.stderr + table.stderr + missing.stderr


@pytest.mark.parametrize("every", ["month", "quarter", "year"])
def test_a_long_history_is_charted_by_longer_periods(run: Run, db_path: Path, every: str) -> None:
    as_of = {"month": "2026-01-01", "quarter": "2031-01-01", "year": "2061-01-01"}[every]
    page = html_of(run, "--as-of", as_of)
    assert f"At the end of each {every} from 2020-09-09 to {as_of}" in page


def test_the_page_reads_each_commitment_once(run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracker.layout
    import tracker.store

    listed = run("list", "--json")  # the first read writes the index; later reads go through it
    assert listed.exit_code == 0
    every = {c["id"] for c in json.loads(listed.output)}
    reads: list[str] = []
    real = tracker.layout.read_record

    def counted(raw: bytes, key: str, commitment_id: str, bound: str | None = None) -> object:
        reads.append(commitment_id)
        return real(raw, key, commitment_id, bound)

    monkeypatch.setattr(tracker.store, "read_record", counted)
    result = run("report", "--format", "html")
    assert result.exit_code == 0, result.output
    assert len(reads) == len(set(reads)), "a commitment was read twice"
    assert set(reads) == every
