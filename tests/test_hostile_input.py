"""Hostile input through every way in: strict JSON, one rule for event dates, bounded amounts, extreme report dates,
formulas in CSV exports and invisible characters in what is shown."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import Run, record
from tracker.layout import SCHEMA_VERSION
from tracker.model import latest_date_on_earth

TERMINAL = {"TTY_COMPATIBLE": "1", "COLUMNS": "200", "LINES": "60"}
_SGR = re.compile(r"\x1b\[[0-9;]*m")
# Two days after the latest date on Earth: in the future wherever the tests run, even across a midnight.
FUTURE = (date.fromisoformat(latest_date_on_earth()) + timedelta(days=2)).isoformat()


def _no_internal_error(stderr: str) -> None:
    assert "internal error" not in stderr
    assert "Traceback" not in stderr


def _import_fails_cleanly(run: Run, db_path: Path, source: Path, problem: str, *others: str) -> None:
    """The import exits 1 with one line for the problem (and for each of the `others` that follow it) and one
    that says nothing was imported; no change."""
    original = db_path.read_bytes()
    result = run("import", str(source))
    assert result.exit_code == 1, result.stderr
    _no_internal_error(result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 2 + len(others), lines
    for line, words in zip(lines, (problem, *others), strict=False):
        assert line.startswith(f"tracker: error: {source}: ")
        assert words in line
    assert lines[-1] == f"tracker: error: {source}: {1 + len(others)} problem(s); nothing was imported"
    assert db_path.read_bytes() == original


# --- 1. strict JSON -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda text: text.replace('"status": ', '"status": "broken", "status": ', 1),
            'the key "status" appears twice',
        ),
        (lambda text: re.sub(r'"paragraph": \d+', '"paragraph": ' + "7" * 5000, text, count=1), "5000 digits"),
        (lambda text: text.replace('"value": 14000000', '"value": 1e999'), "1e999 is too large for a floating-point"),
        (lambda text: text.replace('"value": 14000000', '"value": NaN'), "NaN is not a number JSON allows"),
        (lambda text: text.replace('"value": 14000000', '"value": -Infinity'), "-Infinity is not a number JSON"),
        (
            lambda text: text.replace(
                f'"schema_version": {SCHEMA_VERSION}', '"schema_version": ' + "[" * 10000 + "]" * 10000
            ),
            "deeply",
        ),
        (
            lambda text: text.replace(
                f'"schema_version": {SCHEMA_VERSION}\n', f'"schema_version": {SCHEMA_VERSION},\n'
            ),
            "at line ",
        ),
    ],
    ids=["duplicate-key", "5000-digit-integer", "1e999", "NaN", "-Infinity", "10000-deep", "trailing-comma"],
)
def test_import_of_json_a_strict_reader_refuses_gives_one_line_and_writes_nothing(
    run: Run, db_path: Path, tmp_path: Path, edit: object, problem: str
) -> None:
    source = tmp_path / "hostile.json"
    text = db_path.read_text(encoding="utf-8")
    edited = edit(text)  # type: ignore[operator]
    assert edited != text
    source.write_text(edited, encoding="utf-8")
    _import_fails_cleanly(run, db_path, source, problem)


def test_invalid_json_in_an_import_is_placed_by_line_and_column(run: Run, db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "broken.json"
    source.write_text('{\n  "commitments": [\n    {"id": }\n  ]\n}\n', encoding="utf-8")
    _import_fails_cleanly(run, db_path, source, "not valid JSON: Expecting value at line 3, column 12")


# --- 2. one rule for event dates, bounded amounts -------------------------------------------------------------------


def _export_with(run: Run, tmp_path: Path, change: dict[str, object], event: dict[str, object] | None = None) -> Path:
    """A JSON export of the bundled cooperation-fund commitment, with fields changed and an event appended."""
    document = json.loads(run("export").stdout)
    fund = next(c for c in document["commitments"].values() if c["id"] == "cooperation-fund")
    fund.update(change)
    if event is not None:
        fund["history"].append(
            {
                "date": "",
                "evidence": [],
                "note": "",
                "recorded_at": "2026-01-01T00:00:00Z",
                "recorded_by": None,
                "actors": None,
                "by": None,
                "status": "partial",
                **event,
            }
        )
        fund["status"] = fund["history"][-1]["status"]
    source = tmp_path / "colleague.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    return source


@pytest.mark.parametrize(
    ("day", "problems"),
    [
        (FUTURE, [f"event 2 date {FUTURE} is in the future (the latest date on Earth is"]),
        (  # the event, partial, is then not the latest: the file's status, partial, is not the latest event's
            "2020-09-08",
            [
                "event 2 date 2020-09-08 is before the commitment's source date 2020-09-09",
                "status 'partial' is not the status of its latest event (in-progress)",
            ],
        ),
    ],
)
def test_import_refuses_the_event_dates_update_refuses(
    run: Run, db_path: Path, tmp_path: Path, day: str, problems: list[str]
) -> None:
    source = _export_with(run, tmp_path, {}, {"date": day})
    _import_fails_cleanly(run, db_path, source, *problems)
    problem = problems[0]
    refused = run("update", "cooperation-fund", "--note", "x", "--date", day)
    assert refused.exit_code == 1
    assert problem.split(" is ")[1].split(" (")[0] in refused.stderr


def test_the_latest_date_on_earth_is_not_the_future_for_update_or_import(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    latest = latest_date_on_earth()
    source = _export_with(run, tmp_path, {}, {"date": latest, "note": "from a colleague east of the date line"})
    imported = run("import", str(source))
    assert imported.exit_code == 0, imported.stderr
    assert record(db_path, "cooperation-fund")["history"][-1]["date"] == latest
    updated = run("update", "rcep", "--note", "signed", "--date", latest)
    assert updated.exit_code == 0, updated.stderr
    added = run(
        "add", "--kind", "pledge", "--title", "x", "--actor", "ROK", "--pillar", "economic", "--source-date", latest
    )
    assert added.exit_code == 0, added.stderr


def test_a_data_file_edited_by_hand_with_a_future_event_is_refused_and_left_as_it_is(run: Run, db_path: Path) -> None:
    document = json.loads(db_path.read_text(encoding="utf-8"))
    next(iter(document["commitments"].values()))["history"][0]["date"] = FUTURE
    db_path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    original = db_path.read_bytes()
    result = run("list")
    assert result.exit_code == 1
    assert f"event 1 date {FUTURE} is in the future" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert db_path.read_bytes() == original


@pytest.mark.parametrize("value", [10**15 + 1, 1e300])
def test_import_refuses_an_amount_above_ten_to_the_fifteen(
    run: Run, db_path: Path, tmp_path: Path, value: float
) -> None:
    source = _export_with(run, tmp_path, {"amount": {"currency": "USD", "per": "year", "value": value}})
    _import_fails_cleanly(run, db_path, source, "is not from 0 to 1,000,000,000,000,000 (10^15)")


@pytest.mark.parametrize("amount", ["7" * 5000 + " USD", "1000000000000001 USD", "9" * 400 + ".5 EUR a year"])
def test_add_refuses_an_amount_too_large_with_a_usage_error(run: Run, db_path: Path, amount: str) -> None:
    original = db_path.read_bytes()
    result = run(
        "add", "--kind", "pledge", "--title", "Pledge", "--actor", "ROK", "--pillar", "economic", "--amount", amount
    )
    assert result.exit_code == 2
    _no_internal_error(result.stderr)
    assert "too large an amount; at most 1,000,000,000,000,000 (10^15)" in result.stderr
    assert "digits" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert db_path.read_bytes() == original


def test_add_keeps_an_amount_of_exactly_ten_to_the_fifteen(run: Run, db_path: Path) -> None:
    result = run(
        "add",
        "--kind",
        "pledge",
        "--title",
        "Pledge",
        "--actor",
        "ROK",
        "--pillar",
        "economic",
        "--amount",
        "1,000,000,000,000,000 USD",
    )
    assert result.exit_code == 0, result.stderr
    assert record(db_path, "pledge")["amount"]["value"] == 10**15


# --- 3. reports on extreme dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "0001-03-31"])
@pytest.mark.parametrize("output_format", ["table", "markdown", "json"])
def test_report_on_the_first_and_last_dates_a_calendar_has_works(
    run: Run, db_path: Path, as_of: str, output_format: str
) -> None:
    result = run("report", "--as-of", as_of, "--format", output_format)
    assert result.exit_code == 0, result.stderr
    assert as_of in result.stdout
    if output_format == "json":
        report = json.loads(result.stdout)
        assert report["total"] == (18 if as_of.startswith("9999") else 0)
        assert report["due_soon"] == []


def test_report_window_ending_at_the_last_date_lists_what_falls_due_in_it(run: Run, db_path: Path) -> None:
    added = run(
        "add",
        "--kind",
        "pledge",
        "--title",
        "Far off",
        "--actor",
        "ROK",
        "--pillar",
        "economic",
        "--source-date",
        "2020-01-01",
        "--due",
        "9999-12-30",
    )
    assert added.exit_code == 0, added.stderr
    report = json.loads(run("report", "--as-of", "9999-10-01", "--format", "json").stdout)
    assert [item["id"] for item in report["due_soon"]] == ["far-off"]


# --- 4. formulas in CSV -------------------------------------------------------------------------------------------

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1:A2)", '=HYPERLINK("http://evil","x")']


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_export_neutralises_cells_that_a_spreadsheet_would_run(run: Run, db_path: Path, formula: str) -> None:
    added = run(
        "add",
        "--kind",
        "pledge",
        "--title",
        formula,
        "--actor",
        formula,
        "--pillar",
        "economic",
        "--summary",
        formula,
        "--quote",
        formula,
        "--source-document",
        formula,
        "--id",
        "formula",
    )
    assert added.exit_code == 0, added.stderr
    rows = list(csv.reader(io.StringIO(run("export", "--format", "csv").stdout)))
    header, row = rows[0], next(r for r in rows[1:] if r[0] == "formula")
    for field in ("title", "summary", "quote", "actors", "source_document"):
        assert row[header.index(field)] == "'" + formula
    shown_json = json.loads(run("export").stdout)
    assert next(c for c in shown_json["commitments"].values() if c["id"] == "formula")["title"] == formula
    assert f"| {formula} |" in run("export", "--format", "markdown").stdout.replace("\\|", "|")


@pytest.mark.parametrize("start", ["\t", "\r", "\n"])
def test_csv_cells_starting_with_a_control_character_never_start_with_a_dangerous_one(
    run: Run, db_path: Path, start: str
) -> None:
    title = f"{start}=1+1"
    added = run(
        "add", "--kind", "pledge", "--title", title, "--actor", "ROK", "--pillar", "economic", "--quote", f"{start}@x"
    )
    assert added.exit_code == 0, added.stderr
    for row in csv.reader(io.StringIO(run("export", "--format", "csv").stdout)):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    rows = list(csv.reader(io.StringIO(run("export", "--format", "csv").stdout)))
    assert any(row[1] in ("\\t=1+1", "\\r=1+1", "\n=1+1") for row in rows)


@pytest.mark.parametrize("multiline", [False, True])
def test_no_printable_character_is_escaped_so_printable_text_skips_the_escapes(multiline: bool) -> None:
    # `safe` and `csv_row` return printable text as it is: that holds for every character.
    from tracker.render import escapes

    escaped = escapes(multiline)
    assert escaped
    assert not any(chr(code).isprintable() for code in escaped)


def test_a_large_csv_export_through_the_index_is_the_one_each_record_gives(run: Run, db_path: Path) -> None:
    from tracker.formats import CSV_FIELDS, csv_cell
    from tracker.store import Store

    hostile = ["=1+1", "\u202eevil", "tab\there", "zero\u200bwidth", "caf\u00e9 \u5927", "\x1b[31mred", "-1", "plain"]
    for number in range(80):  # past the count at which commitments are read in one pass over the index
        text = hostile[number % len(hostile)]
        added = run(
            "add", "--kind", "pledge", "--title", f"{text} {number}", "--actor", "ROK", "--pillar", "economic",
            "--quote", text, "--summary", text, "--id", f"many-{number:03d}",
        )  # fmt: skip
        assert added.exit_code == 0, added.stderr
    assert run("list").exit_code == 0  # the index is current
    shown = list(csv.reader(io.StringIO(run("export", "--format", "csv").stdout)))
    by_id = {c["id"]: c for c in Store(db_path).load()}
    assert shown[0] == list(CSV_FIELDS)
    assert len(shown) == len(by_id) + 1
    for row in shown[1:]:
        c = by_id[row[0]]
        for field, value in (("title", c["title"]), ("summary", c["summary"]), ("quote", c["quote"])):
            assert row[CSV_FIELDS.index(field)] == csv_cell(value), (row[0], field)
        assert row[CSV_FIELDS.index("events")] == str(len(c["history"]))
    assert any(cell.startswith("'=") for row in shown for cell in row)
    assert not any("\x1b" in cell or "\u202e" in cell or "\u200b" in cell for row in shown for cell in row)


def test_csv_export_leaves_ordinary_text_and_dates_as_they_are(run: Run, db_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv", "--status", "in-progress").stdout)))
    assert rows[1]["title"] == "Finance projects from the Cooperation Fund (USD 14 million a year since 2019)"
    assert rows[1]["source_date"] == "2020-09-09"
    assert not any(value.startswith("'") for row in rows for value in row.values())


# --- 5. invisible characters --------------------------------------------------------------------------------------

INVISIBLE = {
    "\U000e0041": ("\\U000e0041", "\\udb40\\udc41"),  # tag latin capital letter A
    "\U000e0001": ("\\U000e0001", "\\udb40\\udc01"),  # language tag
    "\U000e007f": ("\\U000e007f", "\\udb40\\udc7f"),  # cancel tag
    "\ufeff": ("\\ufeff", "\\ufeff"),
    "\u2028": ("\\u2028", "\\u2028"),
    "\u2029": ("\\u2029", "\\u2029"),
    "\u200b": ("\\u200b", "\\u200b"),
    "\u2060": ("\\u2060", "\\u2060"),
    "\u2063": ("\\u2063", "\\u2063"),
    "\u180e": ("\\u180e", "\\u180e"),
    "\u00ad": ("\\xad", "\\u00ad"),
    "\u061c": ("\\u061c", "\\u061c"),
    "\u200e": ("\\u200e", "\\u200e"),
    "\u200f": ("\\u200f", "\\u200f"),
    "\u202a": ("\\u202a", "\\u202a"),
    "\u202e": ("\\u202e", "\\u202e"),
    "\u2066": ("\\u2066", "\\u2066"),
    "\u2069": ("\\u2069", "\\u2069"),
    "\u206a": ("\\u206a", "\\u206a"),
    "\ufff9": ("\\ufff9", "\\ufff9"),
}


def _add_overdue(run: Run, title: str) -> None:
    """A commitment overdue today, so that `report` lists it with its title."""
    added = run(
        "add",
        "--kind",
        "pledge",
        "--title",
        title,
        "--actor",
        "ROK",
        "--pillar",
        "economic",
        "--source-date",
        "2020-01-01",
        "--due",
        "2020-06-01",
        "--id",
        "hidden",
    )
    assert added.exit_code == 0, added.stderr


def _outputs(run: Run) -> dict[str, str]:
    shown = {
        "list": run("list", "--search", "Sign"),
        "list-terminal": run("list", "--all", env=TERMINAL),
        "show": run("show", "hidden", env=TERMINAL),
        "report": run("report", env=TERMINAL),
        "report-markdown": run("report", "--format", "markdown"),
        "list-json": run("list", "--json"),
        "show-json": run("show", "hidden", "--json"),
        "report-json": run("report", "--format", "json"),
    }
    for name, result in shown.items():
        assert result.exit_code == 0, (name, result.stderr)
    return {name: _SGR.sub("", result.stdout) for name, result in shown.items()}


@pytest.mark.slow
@pytest.mark.parametrize("character", list(INVISIBLE), ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_invisible_characters_are_shown_as_escapes_in_every_output(run: Run, db_path: Path, character: str) -> None:
    visible, in_json = INVISIBLE[character]
    _add_overdue(run, f"Sign{character}it")
    for name, output in _outputs(run).items():
        assert character not in output, name
        escape = in_json if name.endswith("json") else visible
        if name.endswith("markdown"):  # its backslash escaped too, so that a rendered page shows it
            escape = escape.replace("\\", "\\\\")
        assert f"Sign{escape}it" in output, (name, output)
    document = json.loads(run("show", "hidden", "--json").stdout)
    assert document["title"] == f"Sign{character}it"
    assert record(db_path, "hidden")["title"] == f"Sign{character}it"


@pytest.mark.parametrize(
    "title",
    [
        "Sign 👩\u200d👩\u200d👧 family",  # zero-width joiner sequence
        "Sign \u263a\ufe0f smile",  # emoji presentation selector
        "Sign \u845b\U000e0100 kanji",  # ideographic variation selector
        "Sign \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian with a zero-width non-joiner
    ],
    ids=["zwj-emoji", "emoji-vs16", "ivs", "zwnj"],
)
def test_characters_scripts_and_emoji_need_are_shown_unchanged(run: Run, db_path: Path, title: str) -> None:
    _add_overdue(run, title)
    for name, output in _outputs(run).items():
        assert title in output, (name, output)


# --- a line break at the end of an id, a date or a time stamp ---------------------------------------------------


def test_an_id_ending_in_a_line_break_is_refused_by_add_and_leaves_the_file_as_it_was(run: Run, db_path: Path) -> None:
    original = db_path.read_bytes()
    result = run(
        "add", "--id", "new-pledge\n", "--kind", "pledge", "--title", "T", "--quote", "Q", "--actor", "ROK",
        "--pillar", "economic", "--source-document", "D", "--source-date", "2020-09-09", "--paragraph", "3",
    )  # fmt: skip
    assert result.exit_code == 2
    _no_internal_error(result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "is not an id" in result.stderr
    assert db_path.read_bytes() == original


@pytest.mark.parametrize("field", ["id", "recorded_at"])
def test_a_data_file_with_a_line_break_ending_an_id_or_time_stamp_is_refused(
    run: Run, db_path: Path, field: str
) -> None:
    text = db_path.read_text(encoding="utf-8")
    edited = re.sub(rf'("{field}": "[^"]*)"', r'\1\\n"', text, count=1)  # the JSON escape for a line break
    assert edited != text
    db_path.write_text(edited, encoding="utf-8")
    for command in (["list"], ["update", "rcep-signing", "--note", "x"]):
        result = run(*command)
        assert result.exit_code == 1, (command, result.stdout)
        _no_internal_error(result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert field in result.stderr
    assert db_path.read_text(encoding="utf-8") == edited


def test_evidence_ending_in_a_line_break_is_not_a_link() -> None:
    from tracker.html import is_link

    assert is_link("https://www.mofa.go.kr/eng/")
    assert not is_link("https://www.mofa.go.kr/eng/\n")


# --- a time stamp or date in digits other than ASCII's ---------------------------------------------------------

_ARABIC_INDIC = {ord("0") + digit: 0x0660 + digit for digit in range(10)}  # U+0660 ARABIC-INDIC DIGIT ZERO...


def test_a_data_file_with_a_time_stamp_in_arabic_indic_digits_is_refused(run: Run, db_path: Path) -> None:
    """`\\d` in a str pattern matches every Unicode decimal digit: 2020-09-09T00:00:00Z in Arabic-Indic digits
    is no UTC time stamp YYYY-MM-DDTHH:MM:SSZ, and it sorts after every real one, so `report --known-on` (which
    compares the dates of recording as text) leaves the commitment out of the report altogether, silently."""
    text = db_path.read_text(encoding="utf-8")
    edited = re.sub(
        r'("recorded_at": ")([^"]*)"', lambda found: found[1] + found[2].translate(_ARABIC_INDIC) + '"', text, count=1
    )
    _list_refuses(run, db_path, text, edited, "recorded_at")


def _list_refuses(run: Run, db_path: Path, text: str, edited: str, word: str) -> None:
    """With `text` edited into `edited`, `list` exits 1 with one line naming `word`, and the file is left as it is."""
    assert edited != text
    db_path.write_text(edited, encoding="utf-8")
    result = run("list")
    assert result.exit_code == 1, result.stdout
    _no_internal_error(result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert word in result.stderr
    assert db_path.read_text(encoding="utf-8") == edited


def test_an_import_with_a_time_stamp_in_arabic_indic_digits_is_refused(run: Run, db_path: Path, tmp_path: Path) -> None:
    exported = run("export")
    assert exported.exit_code == 0
    source = tmp_path / "export.json"
    source.write_text(
        re.sub(
            r'("recorded_at": ")([^"]*)"',
            lambda found: found[1] + found[2].translate(_ARABIC_INDIC) + '"',
            exported.stdout,
            count=1,
        ),
        encoding="utf-8",
    )
    _import_fails_cleanly(run, db_path, source, "recorded_at is not a UTC timestamp")


@pytest.mark.parametrize("field", ["pillar", "status", "kind"])
def test_a_data_file_with_a_list_for_a_pillar_status_or_kind_is_refused_in_words(
    run: Run, db_path: Path, field: str
) -> None:
    """`"pillar": []` is a named problem, not an internal error (a list cannot be looked up in a set)."""
    text = db_path.read_text(encoding="utf-8")
    _list_refuses(run, db_path, text, re.sub(rf'"{field}": "[^"]*"', f'"{field}": []', text, count=1), field)
