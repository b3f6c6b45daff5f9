"""`tracker extract`: candidate commitments proposed from a statement's text, through the CLI and the library."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tracker.errors import InvalidInputError
from tracker.extract import (
    TITLE_LIMIT,
    amount_of,
    covers,
    decode_statement,
    due_date,
    extract,
    paragraphs,
    recall_precision,
    sentences,
)
from tracker.files import bundled_text

KOREAN = "한국과 아세안은 내년에 서울에서 회의를 개최하기로 합의했다고 외교부가 밝혔다. 양측은 협력을 강화하기로 했다."
STATEMENTS = Path(__file__).resolve().parent / "statements"
BUNDLED_SOURCE = Path(__file__).resolve().parent.parent / "data" / "sources" / "asean-rok-fmm-2020-09-09.txt"


def candidates(run: Any, *args: str) -> list[dict[str, Any]]:
    result = run("extract", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def by_quote(found: list[dict[str, Any]], words: str) -> dict[str, Any]:
    (match,) = [candidate for candidate in found if words in candidate["quote"]]
    return match


# The bundled press release, scored against the bundled commitments


def test_recall_and_precision_on_the_bundled_release_meet_the_targets(run: Any) -> None:
    gold = [c["quote"] for c in json.loads(bundled_text())["commitments"].values()]
    found = candidates(run, str(BUNDLED_SOURCE), "--date", "2020-09-09")
    recall, precision = recall_precision([c["quote"] for c in found], gold)
    assert recall >= 0.9
    assert precision >= 0.7


def test_candidates_come_most_confident_first_with_every_field(run: Any) -> None:
    found = candidates(run, str(BUNDLED_SOURCE), "--date", "2020-09-09")
    confidences = [c["confidence"] for c in found]
    assert confidences == sorted(confidences, reverse=True)
    for candidate in found:
        assert {"paragraph", "quote", "title", "actors", "kind", "pillar", "due", "amount", "cue", "confidence"} <= set(
            candidate
        )
        assert len(candidate["title"]) <= TITLE_LIMIT
        assert candidate["title"][0].isupper()
        assert candidate["kind"] in {"pledge", "agreement", "aspiration", "request", "continuation"}
        assert " ".join(candidate["quote"].split()) in " ".join(BUNDLED_SOURCE.read_text(encoding="utf-8").split())


def test_the_bundled_release_gives_paragraphs_kinds_amount_and_due(run: Any) -> None:
    found = candidates(run, str(BUNDLED_SOURCE), "--date", "2020-09-09")
    fund = by_quote(found, "14 million U.S. dollars")
    assert fund["paragraph"] == 6
    assert fund["amount"] == {"value": 14_000_000, "currency": "USD", "per": "year"}
    assert fund["due"] == "2020-12-31"
    urged = by_quote(found, "urged ASEAN to continue")
    assert urged["kind"] == "request"
    assert "ASEAN" in urged["actors"]
    assert by_quote(found, "will continue efforts")["kind"] == "continuation"
    assert by_quote(found, "will continue efforts")["actors"] == ["ROK"]
    assert by_quote(found, "agreed on the need to refrain")["kind"] == "agreement"
    assert by_quote(found, "for the next five years")["due"] == "2025-12-31"


def test_praise_views_and_past_action_are_left_out_and_explained(run: Any) -> None:
    found = candidates(run, str(BUNDLED_SOURCE))
    quotes = " ".join(c["quote"] for c in found)
    assert "noted with appreciation" not in quotes
    assert "highly commended" not in quotes
    assert "expressed confidence" not in quotes
    assert "was adopted at the Meeting" not in quotes
    explained = run("extract", str(BUNDLED_SOURCE), "--explain")
    assert explained.exit_code == 0
    assert "a report of past action ('was adopted')" in explained.stdout
    assert "a statement of views, not of intent to act ('expressed confidence')" in explained.stdout


# Statements of other formats


def test_a_chairmans_statement_with_menus_numbers_and_sub_points(run: Any) -> None:
    found = candidates(run, str(STATEMENTS / "chair-statement.txt"), "--date", "2021-06-08")
    japan = by_quote(found, "Japan pledged")
    assert japan["paragraph"] == 2  # a "-" sub-point belongs to the numbered paragraph above it
    assert japan["kind"] == "pledge"
    assert japan["actors"] == ["Japan"]
    assert japan["amount"] == {"value": 14_000_000, "currency": "USD", "per": None}
    assert japan["due"] == "2024-06-08"  # "over the next three years" from the statement's date
    thailand = by_quote(found, "double the Special Fund")
    assert thailand["paragraph"] == 2
    assert thailand["title"] == "Double the Special Fund to 200 million USD by 2027"
    assert thailand["amount"] == {"value": 200_000_000, "currency": "USD", "per": None}
    assert thailand["due"] == "2027-12-31"
    meeting = by_quote(found, "agreed to hold the 6th")
    assert meeting["kind"] == "agreement"
    assert meeting["title"].startswith("Hold the 6th Foreign Ministers' Meeting")
    assert by_quote(found, "urged development partners")["kind"] == "request"
    assert by_quote(found, "urged development partners")["paragraph"] == 3
    assert by_quote(found, "stressed the need")["pillar"] == "socio-cultural"
    quotes = " ".join(c["quote"] for c in found)
    assert "Skip to Content" not in quotes
    assert "welcomed the progress" not in quotes
    assert "appreciated the work" not in quotes
    assert "was adopted in 2018" not in quotes


def test_an_html_page_loses_its_menus_and_keeps_its_paragraphs(run: Any) -> None:
    found = candidates(run, str(STATEMENTS / "press-page.html"), "--date", "2022-03-12")
    quotes = " ".join(c["quote"] for c in found)
    assert "menu" not in quotes
    assert "never share your data" not in quotes
    group = by_quote(found, "joint working group")
    assert group["paragraph"] == 2
    assert group["kind"] == "agreement"
    assert group["actors"] == ["Japan", "Indonesia"] or set(group["actors"]) == {"Japan", "Indonesia"}
    assert group["due"] == "2022-12-31"
    assert group["pillar"] == "political-security"
    training = by_quote(found, "coast guard training")  # a <li> under paragraph 2
    assert training["paragraph"] == 2
    assert training["amount"] == {"value": 10_000_000, "currency": "USD", "per": None}
    assert training["due"] == "2023-12-31"  # "next year" from --date
    assert by_quote(found, "asked Japan to support")["kind"] == "request"
    assert "thanked Japan" not in quotes


def test_a_news_story_without_numbers_broken_lines_glued_words_and_a_cut_off_end(run: Any) -> None:
    found = candidates(run, str(STATEMENTS / "news-agency.txt"), "--date", "2021-10-05")
    assert all(c["paragraph"] is None for c in found)
    korea = by_quote(found, "Korea will provide")
    assert (
        korea["quote"] == "Korea will provide 5 million U.S. dollars to Vietnam’s flood-hit provinces, officials said."
    )
    assert korea["amount"] == {"value": 5_000_000, "currency": "USD", "per": None}
    assert korea["actors"] == ["ROK"]
    committee = by_quote(found, "decided to launch a joint committee")
    assert committee["quote"].endswith("according to the ministry.")  # joined across the hard line break
    assert committee["kind"] == "agreement"
    assert set(committee["actors"]) == {"ROK", "Viet Nam"}
    talks = by_quote(found, "hopes to hold the next talks")
    assert talks["due"] == "2023-10-05"
    assert talks["confidence"] < min(c["confidence"] for c in found if c is not talks)  # cut off in mid-sentence
    assert "praised" not in " ".join(c["quote"] for c in found)


def test_notes_and_cyrillic_sub_points_belong_to_their_paragraph(run: Any) -> None:
    found = candidates(run, str(STATEMENTS / "notes.txt"))
    assert by_quote(found, "will continue to support")["paragraph"] == 1  # a Cyrillic "о" mark
    assert by_quote(found, "will continue to support")["kind"] == "continuation"
    plan = by_quote(found, "Plan of Action 2021–2025")
    assert plan["paragraph"] == 1
    assert plan["due"] == "2025-12-31"
    assert plan["title"] == "Implement the ASEAN-ROK Plan of Action 2021–2025 in full"
    expo = by_quote(found, "called for ASEAN's support")  # a ※ note
    assert expo["paragraph"] == 2
    assert expo["kind"] == "request"
    assert "expressed appreciation" not in " ".join(c["quote"] for c in found)


# Library: the pieces


def test_sentences_keep_abbreviations_and_split_glued_ones() -> None:
    text = "It pledged 14 million U.S. dollars to Mr. Lee's fund. The meeting ended.They will meet again."
    assert sentences(text) == [
        "It pledged 14 million U.S. dollars to Mr. Lee's fund.",
        "The meeting ended.",
        "They will meet again.",
    ]


def test_paragraph_numbers_out_of_sequence_do_not_open_a_paragraph() -> None:
    units = paragraphs("1. The Ministers met.\n2. They agreed to meet in\n2021. and again\n\n3. Done here now.")
    assert [unit.number for unit in units] == [1, 2, 3]
    assert units[1].text == "They agreed to meet in 2021. and again"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("USD 14 million", {"value": 14_000_000, "currency": "USD", "per": None}),
        ("an annual 14 million U.S. dollars", {"value": 14_000_000, "currency": "USD", "per": "year"}),
        ("US$10-million", {"value": 10_000_000, "currency": "USD", "per": None}),
        ("200 million USD each year", {"value": 200_000_000, "currency": "USD", "per": "year"}),
        ("EUR 1.5 billion", {"value": 1_500_000_000, "currency": "EUR", "per": None}),
        ("10 billion won", {"value": 10_000_000_000, "currency": "KRW", "per": None}),
        ("in 2020 and 2021", None),
        ("USD 14bn", {"value": 14_000_000_000, "currency": "USD", "per": None}),
        ("$20m a year", {"value": 20_000_000, "currency": "USD", "per": "year"}),
        ("$3,000,000.", {"value": 3_000_000, "currency": "USD", "per": None}),
        # A number that goes on past what the pattern reads is no sum at all, not its first digits.
        ("USD 1e308 million", None),
        ("USD 1.5e3", None),
        ("USD 1,0000", None),
        ("$5k", None),
        ("USD 5 million.12", {"value": 5_000_000, "currency": "USD", "per": None}),  # a footnote's number after it
        ("USD 14 million,2021", {"value": 14_000_000, "currency": "USD", "per": None}),
        ("US$1.5bn,3", {"value": 1_500_000_000, "currency": "USD", "per": None}),
    ],
)
def test_amounts(words: str, expected: dict[str, Any] | None) -> None:
    assert amount_of(f"The ROK will provide {words} to the Fund.") == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("They will sign it in 2020.", ("2020-12-31", False)),
        ("They will double it by 2027.", ("2027-12-31", False)),
        ("They will meet by March 2021.", ("2021-03-31", False)),
        ("They will meet later in the year.", ("2020-12-31", False)),
        ("They will meet next year.", ("2021-12-31", False)),
        ("They will work together for the next five years.", ("2025-09-09", False)),
        ("They will implement the commitments made at the Summit in 2019.", (None, False)),
        ("They will finish it within 7979 years.", ("9999-09-09", False)),
        ("They will finish it within 7980 years.", (None, False)),  # past the last year a date can have
        (f"They will finish it within {'9' * 5000} years.", (None, False)),
        ("They will finish it within \u0663 years.", ("2023-09-09", False)),  # an Arabic-Indic three
    ],
)
def test_due_dates_with_a_statement_date(sentence: str, expected: tuple[str | None, bool]) -> None:
    assert due_date(sentence, date(2020, 9, 9)) == expected


@pytest.mark.parametrize("sentence", ["They will meet next year.", "They will work for the next five years."])
def test_no_due_date_after_the_last_day_a_date_can_have(sentence: str) -> None:
    assert due_date(sentence, date(9999, 12, 31)) == (None, False)
    assert due_date(sentence, date(9990, 1, 1))[0] is not None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("They will meet next year.", "0002-12-31"),
        ("They will meet later in the year.", "0001-12-31"),
        ("They will work for the next five years.", "0006-01-01"),
    ],
)
def test_due_dates_in_the_first_years_have_four_digits(sentence: str, expected: str) -> None:
    assert due_date(sentence, date(1, 1, 1)) == (expected, False)


def test_relative_due_dates_need_the_statement_date(run: Any, tmp_path: Path) -> None:
    assert due_date("They will meet next year.", None) == (None, True)
    statement = tmp_path / "s.txt"
    statement.write_text("The ROK will host the next meeting next year.\n", encoding="utf-8")
    result = run("extract", str(statement), "--format", "json")
    assert json.loads(result.stdout)[0]["due"] is None
    assert "--date" in result.stderr


def test_covers_is_containment_after_normalising_either_way() -> None:
    assert covers("He said: “they will meet  again” soon.", 'they will meet again"')
    assert covers("She will go.", "He met.  She will go.")
    assert not covers("She will go.", "She will stay.")


def test_min_confidence_leaves_out_the_weaker_and_says_so() -> None:
    result = extract(BUNDLED_SOURCE.read_text(encoding="utf-8"), min_confidence=0.8)
    assert result.candidates
    assert all(c.confidence >= 0.8 for c in result.candidates)
    assert any("below --min-confidence" in r.reason for r in result.rejected)


# Output formats


def test_text_in_a_pipe_and_table_on_a_terminal_fit_and_keep_quotes_whole(run: Any) -> None:
    plain = run("extract", str(BUNDLED_SOURCE))
    assert plain.exit_code == 0
    assert "quote: The ROK government will continue efforts" in plain.stdout
    assert "\x1b" not in plain.stdout
    table = run("extract", str(BUNDLED_SOURCE), env={"TTY_COMPATIBLE": "1", "COLUMNS": "80"})
    assert table.exit_code == 0
    lines = re.sub(r"\x1b\[[0-9;]*m", "", table.stdout).splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "Left out:" in table.stdout
    words = " ".join(line.strip() for line in lines)
    assert "upgrading its New Southern Policy.”" in words  # the long quote ends whole, wrapped at words


def test_data_text_is_shown_literally_never_as_markup_or_control(run: Any, tmp_path: Path) -> None:
    statement = tmp_path / "hostile.txt"
    statement.write_text("The [bold]ROK[/bold] will fund \x1b[31mred\x1b[0m projects in 2030.\n", encoding="utf-8")
    for args in ((), ("--format", "table")):
        result = run("extract", str(statement), *args)
        assert "[bold]ROK[/bold]" in result.stdout
        assert "\x1b[31m" not in result.stdout
        assert "\\x1b" in result.stdout


def test_stdin_is_read_for_a_dash(run: Any) -> None:
    found = json.loads(run("extract", "-", "--format", "json", input="Japan will host the summit in 2030.\n").stdout)
    assert found[0]["actors"] == ["Japan"]
    assert found[0]["due"] == "2030-12-31"


# Bad input: one line, the right exit code, nothing changed


def _error(result: Any) -> str:
    lines: list[str] = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "is a binary file, not UTF-8 text"),
        (
            "Les ministres sont convenus de se réunir à Séoul l'année prochaine, a précisé le ministère.".encode(
                "cp1252"
            ),
            "is not UTF-8 text",
        ),
        (KOREAN.encode("euc-kr"), "it looks like"),
        ("The ROK will host.".encode("utf-16"), "is UTF-16 text, not UTF-8"),
        (b"", "is empty"),
        (b"   \n\n  ", "is empty"),
        (b"Home | News\n2020-09-09\n12:00\n", "found no sentences"),
    ],
)
def test_files_that_are_not_statements_get_one_line_and_exit_1(
    run: Any, tmp_path: Path, content: bytes, message: str
) -> None:
    statement = tmp_path / "statement.txt"
    statement.write_bytes(content)
    result = run("extract", str(statement))
    assert result.exit_code == 1
    assert message in _error(result)


def test_another_encoding_is_named() -> None:
    with pytest.raises(InvalidInputError, match=r"looks like (?:EUC-KR|CP949|JOHAB)"):
        decode_statement(KOREAN.encode("euc-kr"), "s.txt")


def test_a_directory_a_missing_file_and_a_file_over_10_mb_are_refused(run: Any, tmp_path: Path) -> None:
    assert "is a directory" in _error(run("extract", str(tmp_path)))
    assert "does not exist" in _error(run("extract", str(tmp_path / "missing.txt")))
    big = tmp_path / "big.txt"
    with big.open("wb") as file:
        file.truncate(10 * 1024 * 1024 + 1)
    result = run("extract", str(big))
    assert result.exit_code == 1
    assert "at most 10,485,760 (10 MB)" in _error(result)
    piped = run("extract", "-", input="x" * (10 * 1024 * 1024 + 7))  # stdin is read up to one byte past the limit
    assert piped.exit_code == 1
    assert "stdin has more than 10,485,760 bytes (10 MB)" in _error(piped)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "2020-13-01"), "not a real calendar date"),
        (("--date", "9 September 2020"), "not a date in the form YYYY-MM-DD"),
        (("--min-confidence", "2"), "from 0 to 1"),
        (("--format", "json", "--explain"), "leave out --format json"),
        (("--format", "yaml"), "yaml"),
    ],
)
def test_bad_options_are_usage_errors(run: Any, args: tuple[str, ...], message: str) -> None:
    result = run("extract", str(BUNDLED_SOURCE), *args)
    assert result.exit_code == 2
    assert message in _error(result)


def test_extract_never_writes_the_database(run: Any, db_path: Path) -> None:
    before = db_path.read_bytes()
    siblings = sorted(path.name for path in db_path.parent.iterdir())
    assert run("extract", str(BUNDLED_SOURCE)).exit_code == 0
    assert db_path.read_bytes() == before
    assert sorted(path.name for path in db_path.parent.iterdir()) == siblings


def test_extract_without_a_database_creates_none(run: Any, isolated_environment: Path) -> None:
    assert run("extract", str(BUNDLED_SOURCE)).exit_code == 0
    assert not isolated_environment.exists()
