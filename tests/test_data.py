"""The bundled data set is part of the product: every commitment is checked against the release it quotes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker.files import bundled_text
from tracker.layout import dump_database, parse_database
from tracker.model import Status, commitment_problems

REPO_DATA = Path(__file__).resolve().parent.parent / "data"
SOURCE_FILE = "asean-rok-fmm-2020-09-09.txt"
COMMITMENTS = parse_database((REPO_DATA / "commitments.json").read_text(encoding="utf-8"), "data/commitments.json")


def normalised(text: str) -> str:
    return " ".join(text.split())


def paragraphs(source: str) -> dict[int, str]:
    """The release's numbered paragraphs; a sub-point (°) belongs to the numbered paragraph before it."""
    numbered: dict[int, list[str]] = {}
    current: int | None = None
    for line in source.splitlines():
        match = re.match(r"^(\d+)\. ", line)
        if match:
            current = int(match[1])
            numbered[current] = [line[match.end() :]]
        elif current is not None and line.strip():
            numbered[current].append(line.lstrip("° "))
    return {number: normalised(" ".join(lines)) for number, lines in numbered.items()}


SOURCE = (REPO_DATA / "sources" / SOURCE_FILE).read_text(encoding="utf-8")
PARAGRAPHS = paragraphs(SOURCE)


def by_id(commitment_id: str) -> dict[str, object]:
    return next(dict(c) for c in COMMITMENTS if c["id"] == commitment_id)


def test_source_text_is_the_shared_release_verbatim() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "sources" / SOURCE_FILE
    if not shared.exists():
        pytest.skip("the shared source folder is not beside this checkout")
    assert (REPO_DATA / "sources" / SOURCE_FILE).read_bytes() == shared.read_bytes()


def test_release_has_eleven_numbered_paragraphs() -> None:
    assert sorted(PARAGRAPHS) == list(range(1, 12))


def test_data_set_holds_between_12_and_18_commitments_with_unique_ids() -> None:
    ids = [c["id"] for c in COMMITMENTS]
    assert 12 <= len(ids) <= 18
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("commitment", COMMITMENTS, ids=lambda c: c["id"])
def test_every_commitment_is_valid(commitment: dict[str, object]) -> None:
    assert commitment_problems(commitment) == []


@pytest.mark.parametrize("commitment", COMMITMENTS, ids=lambda c: c["id"])
def test_quote_is_verbatim_in_the_paragraph_it_cites(commitment: dict[str, object]) -> None:
    source = commitment["source"]
    assert isinstance(source, dict)
    assert source["file"] == SOURCE_FILE
    assert source["date"] == "2020-09-09"
    quote = commitment["quote"]
    assert isinstance(quote, str)
    assert quote
    assert normalised(quote) in normalised(SOURCE)
    assert normalised(quote) in PARAGRAPHS[source["paragraph"]]


@pytest.mark.parametrize("commitment", COMMITMENTS, ids=lambda c: c["id"])
def test_first_event_is_the_meeting_and_cites_its_paragraph(commitment: dict[str, object]) -> None:
    history = commitment["history"]
    assert isinstance(history, list)
    first = history[0]
    source = commitment["source"]
    assert isinstance(source, dict)
    assert first["date"] == "2020-09-09"
    assert f"paragraph {source['paragraph']}" in first["note"]
    assert any(f"paragraph {source['paragraph']}" in item for item in first["evidence"])
    assert first["status"] in {Status.PENDING, Status.IN_PROGRESS}
    assert len(commitment["title"]) <= 80  # type: ignore[arg-type]


def test_the_four_commitments_the_user_named_are_there_with_their_facts() -> None:
    rcep = by_id("rcep-signing")
    assert rcep["due"] == "2020-12-31"
    assert "signing the Regional Comprehensive Economic Partnership (RCEP) in 2020" in str(rcep["quote"])
    fund = by_id("cooperation-fund")
    assert fund["amount"] == {"value": 14_000_000, "currency": "USD", "per": "year"}
    assert "annual 14 million U.S. dollars" in str(fund["quote"])
    crime = by_id("transnational-crime-ministerial")
    assert "the next Meeting" in str(crime["quote"])
    assert crime["pillar"] == "political-security"
    plan = by_id("plan-of-action-2021-2025")
    assert plan["due"] == "2025-12-31"
    assert plan["source"]["paragraph"] == 10  # type: ignore[index]


def test_only_commitments_the_release_reports_progress_on_start_in_progress() -> None:
    started = sorted(c["id"] for c in COMMITMENTS if c["history"][0]["status"] == Status.IN_PROGRESS)
    assert started == ["cooperation-fund", "marine-debris-capacity", "plan-of-action-2021-2025"]


def test_due_dates_only_where_the_text_implies_one() -> None:
    due = {c["id"]: c["due"] for c in COMMITMENTS if c["due"] is not None}
    assert due == {
        "rcep-signing": "2020-12-31",
        "flagship-projects-2020": "2020-12-31",
        "plan-of-action-2021-2025": "2025-12-31",
    }


def test_bundled_file_is_canonical() -> None:
    text = (REPO_DATA / "commitments.json").read_text(encoding="utf-8")
    assert dump_database(parse_database(text, "data")) == text


def test_installed_package_ships_the_same_data_set() -> None:
    assert bundled_text() == (REPO_DATA / "commitments.json").read_text(encoding="utf-8")
