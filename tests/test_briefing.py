"""The briefing commands through the real CLI: `log`, `source` and `show --source`, `list --sort`, and the CSV
export's events and amount columns; every bad input exits with one line and leaves the data file as it was."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SOURCES, Run, load, record
from tracker.layout import dump_database

SOURCE_FILE = "asean-rok-fmm-2020-09-09.txt"
SOURCE_TEXT = (SOURCES / SOURCE_FILE).read_text(encoding="utf-8")
TERMINAL = {"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "PAGER": "cat"}
LONG_ID = "long-identifier-to-test-that-no-table-ever-wraps-or-cuts-ids"  # 60 characters, the most an id has


def unstyled(output: str) -> str:
    """Terminal output without Rich's styles (NO_COLOR drops colour, not bold and dim)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", output)


def rows(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines()]


def assert_one_line_error(result: Any, exit_code: int, *words: str) -> None:
    assert result.exit_code == exit_code, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("tracker: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def update(run: Run, *args: str) -> None:
    result = run("update", *args)
    assert result.exit_code == 0, result.stderr


def rewrite(db_path: Path, commitment_id: str, **source: object) -> None:
    """Change one commitment's source fields in the data file itself, as an edit by hand would."""
    commitments = load(db_path)["commitments"]
    for commitment in commitments:
        if commitment["id"] == commitment_id:
            commitment["source"].update(source)
    db_path.write_text(dump_database(commitments), encoding="utf-8")


# --- log ----------------------------------------------------------------------------------------------------------


def test_log_lists_every_event_newest_first_with_the_change_it_made(run: Run, db_path: Path) -> None:
    update(run, "rcep", "--status", "fulfilled", "--date", "2020-11-15", "--note", "Signed.", "--evidence", "A; B")
    result = run("log")
    assert result.exit_code == 0, result.stderr
    table = rows(result.stdout)
    assert table[0] == ["date", "id", "status", "change", "note", "evidence", "recorded_at", "recorded_by"]
    assert table[1][:6] == ["2020-11-15", "rcep-signing", "fulfilled", "pending -> fulfilled", "Signed.", "A; B"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", table[1][6])
    # Every commitment's first event, each shown as new; ties on a date by id.
    firsts = table[2:]
    assert len(firsts) == 18
    assert {row[0] for row in firsts} == {"2020-09-09"}
    assert {row[3] for row in firsts} == {"new"}
    assert [row[1] for row in firsts] == sorted(row[1] for row in firsts)


def test_log_of_a_backdated_event_gives_each_event_the_status_before_it_on_the_timeline(
    run: Run, db_path: Path
) -> None:
    update(run, "rcep", "--status", "fulfilled", "--date", "2020-11-15")
    # Recorded after the fulfilment, dated before it: it sits between the meeting and the signing.
    update(run, "rcep", "--status", "in-progress", "--date", "2020-10-01", "--note", "Negotiations concluded.")
    # The same date as the signing, recorded later: the signing comes just before it.
    update(run, "rcep", "--note", "Text published.", "--date", "2020-11-15")
    result = run("log", "--json")
    events = [event for event in json.loads(result.stdout) if event["id"] == "rcep-signing"]
    assert [(e["date"], e["from"], e["status"], e["change"]) for e in events] == [
        ("2020-11-15", "fulfilled", "fulfilled", "note"),
        ("2020-11-15", "in-progress", "fulfilled", "in-progress -> fulfilled"),
        ("2020-10-01", "pending", "in-progress", "pending -> in-progress"),
        ("2020-09-09", None, "pending", "new"),
    ]
    assert events[0]["note"] == "Text published."
    assert set(events[0]) == {
        "id",
        "date",
        "from",
        "status",
        "change",
        "note",
        "evidence",
        "recorded_at",
        "recorded_by",
        "actors",
    }


def test_log_since_and_until_include_their_own_dates(run: Run, db_path: Path) -> None:
    for day in ("2021-01-01", "2021-03-31", "2021-04-01"):
        update(run, "coop", "--note", f"Seen {day}.", "--date", day)
    update(run, "rcep", "--status", "fulfilled", "--date", "2020-12-31")
    quarter = rows(run("log", "--since", "2021-01-01", "--until", "2021-03-31").stdout)[1:]
    assert [(row[0], row[1], row[3]) for row in quarter] == [
        ("2021-03-31", "cooperation-fund", "note"),
        ("2021-01-01", "cooperation-fund", "note"),
    ]
    since = rows(run("log", "--since", "2021-03-31").stdout)[1:]
    assert [row[0] for row in since] == ["2021-04-01", "2021-03-31"]
    until = rows(run("log", "--until", "2020-12-31").stdout)[1:]
    assert until[0][:4] == ["2020-12-31", "rcep-signing", "fulfilled", "pending -> fulfilled"]
    assert len(until) == 19
    one_day = rows(run("log", "--since", "2020-12-31", "--until", "2020-12-31").stdout)
    assert [row[1] for row in one_day[1:]] == ["rcep-signing"]


def test_log_filters_by_resulting_status_actor_and_pillar_in_any_case(run: Run, db_path: Path) -> None:
    update(run, "rcep", "--status", "fulfilled", "--date", "2020-11-15")
    update(run, "marine", "--status", "FULFILLED", "--date", "2021-02-01")
    fulfilled = rows(run("log", "--status", "Fulfilled").stdout)[1:]
    assert [row[1] for row in fulfilled] == ["marine-debris-capacity", "rcep-signing"]
    either = rows(run("log", "-s", "fulfilled", "-s", "IN-PROGRESS").stdout)[1:]
    assert len(either) == 5  # the two fulfilments and the three commitments that start in progress
    economic = rows(run("log", "--pillar", "ECONOMIC").stdout)[1:]
    assert {row[1] for row in economic} == {
        "rcep-signing",
        "wto-candidate-support",
        "digital-economy-cooperation",
        "supply-chains-essential-movement",
    }
    asean = {row[1] for row in rows(run("log", "--actor", "asean").stdout)[1:]}
    assert "south-china-sea-restraint" in asean
    assert "cooperation-fund" not in asean  # the ROK's alone
    rok = rows(run("log", "--actor", "rok", "--status", "fulfilled", "--pillar", "economic").stdout)[1:]
    assert [row[1] for row in rok] == ["rcep-signing"]


def test_log_with_nothing_to_list_prints_the_header_in_a_pipe_and_says_so_on_a_terminal(
    run: Run, db_path: Path
) -> None:
    assert (
        run("log", "--since", "2022-01-01").stdout
        == "date\tid\tstatus\tchange\tnote\tevidence\trecorded_at\trecorded_by\n"
    )
    assert run("log", "--since", "2022-01-01", "--json").stdout == "[]\n"
    assert run("log", "--since", "2022-01-01", env=TERMINAL).stdout == "no events match\n"


@pytest.mark.parametrize("columns", ["120", "80", "60"])
def test_log_on_a_terminal_is_a_table_that_never_splits_an_id(run: Run, db_path: Path, columns: str) -> None:
    result = run(
        "add", "--kind", "pledge", "--title", "A long one", "--actor", "ROK", "--pillar", "economic", "--id", LONG_ID
    )
    assert result.exit_code == 0, result.stderr
    update(run, LONG_ID, "--status", "stalled", "--note", "Nothing moved.", "--evidence", "a report")
    result = run("log", "--since", "2021-01-01", env={**TERMINAL, "COLUMNS": columns})
    assert result.exit_code == 0, result.stderr
    screen = unstyled(result.stdout)
    lines = screen.splitlines()
    assert any(LONG_ID in line for line in lines)
    assert all(len(line) <= int(columns) for line in lines)
    assert "pending -> stalled" in screen
    assert "Nothing moved." in screen
    assert "- a report" in screen


def test_log_shows_hostile_notes_literally(run: Run, db_path: Path) -> None:
    update(run, "rcep", "--note", "[bold]x[/bold]\x1b]0;owned\x07\tand\nmore")
    table = rows(run("log", "--since", "2021-01-01").stdout)
    assert len(table) == 2
    assert table[1][4] == "[bold]x[/bold]\\x1b]0;owned\\x07\\tand\\nmore"
    terminal = run("log", "--since", "2021-01-01", env={**TERMINAL, "COLUMNS": "200"}).stdout
    assert "\x1b]" not in terminal
    assert "[bold]x[/bold]\\x1b]0;owned\\x07\\tand" in unstyled(terminal)


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        (["--since", "2021-06-30", "--until", "2021-01-01"], 2, ["--since 2021-06-30 is after --until 2021-01-01"]),
        (["--since", "2021-13-01"], 2, ["2021-13-01", "YYYY-MM-DD"]),
        (["--until", "yesterday"], 2, ["yesterday", "YYYY-MM-DD"]),
        (["--status", "done"], 2, ["done", "pending"]),
        (["--pillar", "trade"], 2, ["trade", "economic"]),
        (["--actor", "Japan"], 1, ["no commitment has the actor 'Japan'; the actors are ASEAN, ROK"]),
    ],
)
def test_log_refuses_bad_input_in_one_line_and_changes_nothing(
    run: Run, db_path: Path, args: list[str], exit_code: int, words: list[str]
) -> None:
    before = db_path.read_bytes()
    assert_one_line_error(run("log", *args), exit_code, *words)
    assert db_path.read_bytes() == before


# --- source and show --source -------------------------------------------------------------------------------------


def paragraph_in_file(number: int) -> str:
    """Paragraph `number` of the bundled release as the file has it: from its numbered line to the next one."""
    start = SOURCE_TEXT.index(f"\n{number}. ") + 1
    end = SOURCE_TEXT.find(f"\n{number + 1}. ", start)
    return SOURCE_TEXT[start : None if end < 0 else end].strip()


@pytest.mark.parametrize(
    ("commitment_id", "number", "sentence"),
    [
        (
            "cooperation-fund",
            6,
            "expanding the “ASEAN-ROK Cooperation Fund” for ASEAN-ROK cooperation projects to an annual 14 million",
        ),
        (
            "maritime-southeast-asia-initiative",
            3,
            "the launch of a cooperation initiative between the ROK and maritime",
        ),
        ("south-china-sea-restraint", 8, "With regard to the South China Sea issue"),
        ("strategic-partnership-nsp-upgrade", 11, "in the process of upgrading its New Southern Policy"),
    ],
)
@pytest.mark.parametrize("command", [["source"], ["show", "--source"]])
def test_source_prints_the_cited_paragraph_as_the_file_has_it(
    run: Run, db_path: Path, command: list[str], commitment_id: str, number: int, sentence: str
) -> None:
    args = [command[0], commitment_id, *command[1:]]
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    heading, blank, *body = result.stdout.splitlines()
    assert heading.startswith(f"{commitment_id}: ROK Ministry of Foreign Affairs press release")
    assert heading.endswith(f"2020-09-09, paragraph {number}, {SOURCE_FILE}")
    assert blank == ""
    assert "\n".join(body) == "\n".join(line.rstrip() for line in paragraph_in_file(number).splitlines())
    assert body[0].startswith(f"{number}. ")
    assert sentence in result.stdout
    assert f"\n{number + 1}. " not in result.stdout  # not a word of the next paragraph
    assert all(line == line.rstrip() for line in result.stdout.splitlines())


def test_source_takes_a_prefix_and_wraps_on_a_terminal(run: Run, db_path: Path) -> None:
    result = run("source", "coop", env={**TERMINAL, "COLUMNS": "70"})
    assert result.exit_code == 0, result.stderr
    assert all(len(line) <= 70 for line in unstyled(result.stdout).splitlines())
    assert "14 million U.S. dollars" in " ".join(result.stdout.split())


def test_show_names_the_source_file_and_the_command_for_its_paragraph(run: Run, db_path: Path) -> None:
    out = run("show", "coop").stdout
    assert "data/sources/" not in out
    assert f"paragraph 6, {SOURCE_FILE}" in out
    assert "'tracker show cooperation-fund --source' prints the paragraph" in out


def test_show_gives_no_source_hint_for_a_commitment_without_a_source_file(run: Run, db_path: Path) -> None:
    run(
        "add",
        "--kind",
        "pledge",
        "--title",
        "Host the 2021 Summit",
        "--actor",
        "ROK",
        "--pillar",
        "economic",
        "--paragraph",
        "2",
    )
    out = run("show", "host").stdout
    assert "--source" not in out


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"file": None}, ["rcep-signing cites no source file"]),
        ({"paragraph": None}, ["rcep-signing cites no paragraph number of asean-rok-fmm-2020-09-09.txt"]),
        (
            {"file": "other.txt"},
            ["'other.txt', which is neither in the source register", "nor among the bundled", SOURCE_FILE],
        ),
        (
            {"file": "../commitments.json"},
            ["'../commitments.json', which is neither in the source register", "nor among the bundled"],
        ),
        ({"paragraph": 12}, ["cites paragraph 12 of asean-rok-fmm-2020-09-09.txt, which has paragraphs 1 to 11"]),
    ],
)
@pytest.mark.parametrize("command", [["source"], ["show", "--source"]])
def test_source_says_what_is_missing_in_one_line_and_exits_1(
    run: Run, db_path: Path, command: list[str], change: dict[str, object], words: list[str]
) -> None:
    rewrite(db_path, "rcep-signing", **change)
    run("list")  # the first read after an edit by hand writes the index; then the file stays as it is
    before = db_path.read_bytes()
    assert_one_line_error(run(command[0], "rcep", *command[1:]), 1, *words)
    assert db_path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        (["show", "rcep", "--source", "--json"], 2, ["--source", "--json"]),
        (["show", "rcep", "--source", "--format", "text"], 2, ["--source", "--format"]),
        (["source", "rcep-signnig"], 1, ["no commitment 'rcep-signnig'; did you mean rcep-signing?"]),
        (["source", "c"], 1, ["'c' matches 2 commitments"]),
    ],
)
def test_source_refuses_misuse_in_one_line(
    run: Run, db_path: Path, args: list[str], exit_code: int, words: list[str]
) -> None:
    before = db_path.read_bytes()
    assert_one_line_error(run(*args), exit_code, *words)
    assert db_path.read_bytes() == before


# --- export --format csv --events and the amount columns ------------------------------------------------------------

HOSTILE_NOTES = ["=cmd|' /C calc'!A0", "line one\nline two", "\x1b[31mred\x1b[0m", "+SUM(A1:A2)", "plain, with comma"]


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_events_round_trip_through_csv_reader_with_hostile_notes(run: Run, db_path: Path) -> None:
    for number, note in enumerate(HOSTILE_NOTES, start=1):
        update(run, "rcep", "--note", note, "--date", f"2021-0{number}-01", "--evidence", f"@ev{number}", "-e", "x")
    result = run("export", "--format", "CSV", "--events")
    assert result.exit_code == 0, result.stderr
    table = read_csv(result.stdout)
    assert table[0] == ["id", "date", "status", "note", "evidence", "recorded_at", "recorded_by", "actors", "by"]
    assert len(table) == 1 + 18 + len(HOSTILE_NOTES)  # one row per event of every commitment
    rcep = [row for row in table[1:] if row[0] == "rcep-signing"]
    assert [row[1] for row in rcep] == [
        "2020-09-09",
        "2021-01-01",
        "2021-02-01",
        "2021-03-01",
        "2021-04-01",
        "2021-05-01",
    ]
    assert [row[3] for row in rcep[1:]] == [
        "'=cmd|' /C calc'!A0",
        "line one\nline two",
        "\\x1b[31mred\\x1b[0m",
        "'+SUM(A1:A2)",
        "plain, with comma",
    ]
    assert rcep[1][4] == "'@ev1; x"
    assert {row[2] for row in rcep} == {"pending"}
    stored = record(db_path, "rcep-signing")["history"]
    assert [row[5] for row in rcep] == [event["recorded_at"] for event in stored]
    assert "\x1b" not in result.stdout


def test_csv_keeps_kind_weight_and_each_events_actors_recorder_and_successor(run: Run, db_path: Path) -> None:
    # Per-actor assessments, who recorded an event and a successor were lost in CSV; so were a kind and a weight.
    assert run("edit", "south-china", "--weight", "2.5").exit_code == 0
    update(run, "south-china", "--status", "partial", "--actor", "ASEAN", "--date", "2021-03-01", "--note", "n")
    update(run, "rcep", "--status", "superseded", "--by", "cooperation-fund", "--date", "2021-03-02", "--note", "m")
    commitments = read_csv(run("export", "--format", "csv").stdout)
    header = commitments[0]
    assert header[-2:] == ["kind", "weight"]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in commitments[1:]}
    south = record(db_path, "south-china-sea-restraint")
    assert (rows["south-china-sea-restraint"]["kind"], rows["south-china-sea-restraint"]["weight"]) == (
        south["kind"] or "",
        "2.5",
    )
    assert rows["rcep-signing"]["weight"] == "1"
    events = read_csv(run("export", "--format", "csv", "--events").stdout)
    rows_of = [dict(zip(events[0], row, strict=True)) for row in events[1:]]
    assessed = next(e for e in rows_of if e["id"] == "south-china-sea-restraint" and e["note"] == "n")
    assert (assessed["actors"], assessed["by"]) == ("ASEAN", "")
    assert assessed["recorded_by"] == record(db_path, "south-china-sea-restraint")["history"][-1]["recorded_by"]
    replaced = next(e for e in rows_of if e["id"] == "rcep-signing" and e["note"] == "m")
    assert (replaced["actors"], replaced["by"]) == ("", "cooperation-fund")


def test_csv_events_take_the_filters_of_list_and_go_to_a_file(run: Run, db_path: Path, tmp_path: Path) -> None:
    update(run, "rcep", "--status", "fulfilled", "--date", "2020-11-15")
    target = tmp_path / "events.csv"
    result = run("export", "-f", "csv", "--events", "--status", "fulfilled", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    table = read_csv(target.read_text(encoding="utf-8"))
    assert [row[:3] for row in table[1:]] == [
        ["rcep-signing", "2020-09-09", "pending"],
        ["rcep-signing", "2020-11-15", "fulfilled"],
    ]


def test_commitment_csv_has_the_amount_in_three_columns_too(run: Run, db_path: Path) -> None:
    table = read_csv(run("export", "--format", "csv").stdout)
    header = table[0]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}
    fund = by_id["cooperation-fund"]
    assert (fund["amount"], fund["amount_value"], fund["amount_currency"], fund["amount_per"]) == (
        "USD 14,000,000 a year",
        "14000000",
        "USD",
        "year",
    )
    assert int(fund["amount_value"]) == 14_000_000
    rcep = by_id["rcep-signing"]
    assert (rcep["amount"], rcep["amount_value"], rcep["amount_currency"], rcep["amount_per"]) == ("", "", "", "")


def test_commitment_csv_keeps_a_fractional_amount_without_a_period(run: Run, db_path: Path) -> None:
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
        "2500.75 EUR",
    )
    assert result.exit_code == 0, result.stderr
    table = read_csv(run("export", "--format", "csv", "--search", "Pledge").stdout)
    row = dict(zip(table[0], table[1], strict=True))
    assert (row["amount_value"], row["amount_currency"], row["amount_per"]) == ("2500.75", "EUR", "")


@pytest.mark.parametrize("output_format", ["json", "markdown"])
def test_events_with_a_format_other_than_csv_is_a_usage_error(
    run: Run, db_path: Path, tmp_path: Path, output_format: str
) -> None:
    before = db_path.read_bytes()
    target = tmp_path / "out.txt"
    result = run("export", "--format", output_format, "--events", "--output", str(target))
    assert_one_line_error(result, 2, "--events goes with --format csv", output_format)
    assert not target.exists()
    assert db_path.read_bytes() == before


def test_events_with_the_default_format_is_a_usage_error(run: Run, db_path: Path) -> None:
    assert_one_line_error(run("export", "--events"), 2, "--events goes with --format csv, not --format json")


# --- list --sort --------------------------------------------------------------------------------------------------


def listed_ids(run: Run, *args: str) -> list[str]:
    result = run("list", *args)
    assert result.exit_code == 0, result.stderr
    return [row[0] for row in rows(result.stdout)[1:]]


def test_list_sort_due_is_the_default_order(run: Run, db_path: Path) -> None:
    default = listed_ids(run)
    assert listed_ids(run, "--sort", "due") == default
    assert default[:3] == ["flagship-projects-2020", "rcep-signing", "plan-of-action-2021-2025"]
    assert default[3:] == sorted(default[3:])  # no due date: last, by id


def test_list_sort_id(run: Run, db_path: Path) -> None:
    ids = listed_ids(run, "--sort", "ID")
    assert ids == sorted(ids)
    assert len(ids) == 18


def test_list_sort_status_follows_the_status_order_then_due_then_id(run: Run, db_path: Path) -> None:
    update(run, "rcep", "--status", "fulfilled", "--date", "2020-11-15")
    update(run, "coop", "--status", "stalled", "--date", "2021-01-01")
    result = run("list", "--sort", "Status")
    table = rows(result.stdout)[1:]
    statuses = [row[5].split(" ")[0] for row in table]
    assert statuses == ["pending"] * 14 + ["in-progress"] * 2 + ["stalled", "fulfilled"]
    assert [row[0] for row in table[:2]] == ["flagship-projects-2020", "climate-environment-cooperation"]
    assert [row[0] for row in table[14:16]] == ["plan-of-action-2021-2025", "marine-debris-capacity"]


def test_list_sort_updated_puts_the_latest_event_first(run: Run, db_path: Path) -> None:
    update(run, "south", "--note", "Seen.", "--date", "2021-05-01")
    update(run, "rcep", "--status", "fulfilled", "--date", "2020-11-15")
    # Recorded last, dated earliest: the event's date counts, not when it was recorded.
    update(run, "coop", "--note", "Seen.", "--date", "2020-10-01")
    ids = listed_ids(run, "--sort", "updated")
    assert ids[:3] == ["south-china-sea-restraint", "rcep-signing", "cooperation-fund"]
    assert ids[3:] == sorted(ids[3:])
    shown = json.loads(run("list", "--sort", "updated", "--json", "--limit", "2").stdout)
    assert [c["id"] for c in shown] == ["south-china-sea-restraint", "rcep-signing"]


def test_list_sort_refuses_an_unknown_key_in_one_line(run: Run, db_path: Path) -> None:
    before = db_path.read_bytes()
    assert_one_line_error(run("list", "--sort", "title"), 2, "title", "due", "updated")
    assert db_path.read_bytes() == before
