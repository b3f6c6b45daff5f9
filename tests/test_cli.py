"""Every command through the real Typer app (CliRunner), with stdout and stderr apart, and every error path."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, load, record
from tracker import __version__
from tracker.files import bundled_text
from tracker.model import latest_date_on_earth

TODAY = date.today().isoformat()
# Two days after the latest date on Earth (UTC+14): in the future in every time zone, even across a midnight.
FUTURE = (date.fromisoformat(latest_date_on_earth()) + timedelta(days=2)).isoformat()
HOSTILE = "[bold]x[/bold] \x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x9b2J \u202eevil"


def plain(output: str) -> str:
    """Output without Rich's own styling sequences, white space folded."""
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", output).split())


def plain_lines(output: str) -> list[str]:
    return re.sub(r"\x1b\[[0-9;]*m", "", output).splitlines()


def rows(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines()]


# --- list ---------------------------------------------------------------------------------------------------------


def test_first_use_creates_the_default_file_and_says_where_on_stderr(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKER_DB")
    expected = tmp_path / "home" / "data" / "tracker" / "commitments.json"
    result = run("list")
    assert result.exit_code == 0
    assert result.stderr == f"tracker: created {expected} from the bundled ASEAN-ROK 2020 data set\n"
    assert expected.read_text(encoding="utf-8") == bundled_text()
    assert run("list").stderr == ""


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["show", "rcep"],
        ["update", "rcep", "--note", "x"],
        ["import", "IMPORT"],
        ["report"],
        ["undo", "--yes"],
    ],
)
def test_an_explicit_path_that_does_not_exist_is_an_error_not_a_new_file(
    run: Run, tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "export.json").write_text("[]", encoding="utf-8")
    typo = tmp_path / "comitments.json"
    words = [str(tmp_path / "export.json") if word == "IMPORT" else word for word in command]
    for how in (["--db", str(typo)], []):
        result = run(*how, *words, env={"TRACKER_DB": str(typo)})
        assert result.exit_code == 1
        assert result.stderr == (
            f"tracker: error: no database at {typo}; 'tracker --db {typo} init' creates one (--empty for none)\n"
        )
        assert not typo.exists()
    assert run("--db", str(typo), "init", "--empty").exit_code == 0
    assert load(typo)["commitments"] == []


def test_default_path_is_in_the_user_data_directory(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_DB")
    result = run("list")
    assert result.exit_code == 0
    expected = tmp_path / "home" / "data" / "tracker" / "commitments.json"
    assert str(expected) in result.stderr
    assert expected.exists()


def test_db_option_before_the_command_overrides_the_environment(run: Run, db_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    assert run("--db", str(other), "init", "--empty").exit_code == 0
    assert run("--db", str(other), "list").stdout == "id\ttitle\tactors\tpillar\tdue\tstatus\n"
    assert len(run("list").stdout.splitlines()) == 1 + len(load(db_path)["commitments"])


def test_list_to_a_pipe_prints_tab_separated_rows_by_due_date_then_id(run: Run, db_path: Path) -> None:
    result = run("list")
    table = rows(result.stdout)
    assert table[0] == ["id", "title", "actors", "pillar", "due", "status"]
    body = table[1:]
    assert len(body) == len(load(db_path)["commitments"])
    assert [r[0] for r in body[:3]] == ["flagship-projects-2020", "rcep-signing", "plan-of-action-2021-2025"]
    assert [r[4] for r in body[:3]] == ["2020-12-31", "2020-12-31", "2025-12-31"]
    assert all(r[4] == "-" for r in body[3:])
    assert [r[0] for r in body[3:]] == sorted(r[0] for r in body[3:])
    assert body[1][5] == "pending (overdue)"
    assert body[1][2] == "ROK"


def test_list_filters_combine(run: Run, db_path: Path) -> None:
    def ids(*args: str) -> list[str]:
        result = run("list", *args)
        assert result.exit_code == 0, result.stderr
        return [r[0] for r in rows(result.stdout)[1:]]

    assert ids("--status", "in-progress") == ["plan-of-action-2021-2025", "cooperation-fund", "marine-debris-capacity"]
    assert ids("--status", "in-progress", "--pillar", "socio-cultural") == ["marine-debris-capacity"]
    assert ids("--actor", "asean", "--pillar", "political-security") == [
        "dprk-dialogue-asean-platforms",
        "inter-korean-cooperation-support",
        "korean-peninsula-asean-role",
        "south-china-sea-restraint",
    ]
    assert ids("--overdue", "--actor", "ROK") == ["flagship-projects-2020", "rcep-signing", "plan-of-action-2021-2025"]
    assert ids("--due-before", "2021-01-01") == ["flagship-projects-2020", "rcep-signing"]
    assert ids("--search", "MARINE DEBRIS") == ["marine-debris-capacity"]
    assert ids("--search", "14 million") == ["flagship-projects-2020", "cooperation-fund"]
    assert ids("--status", "fulfilled", "--status", "broken") == []


@pytest.mark.parametrize(
    ("title", "search"),
    [
        ("Caf\u00e9 diplomacy in Hu\u1ebf", "CAFE\u0301 DIPLOMACY IN HUE\u0302\u0301"),  # composed; decomposed
        ("Cafe\u0301 diplomacy", "caf\u00e9"),  # decomposed; composed
        ("Stra\u00dfe of trade", "STRASSE"),  # case folding, as before
    ],
)
def test_search_matches_accents_however_they_are_written(run: Run, db_path: Path, title: str, search: str) -> None:
    added = run("add", "--id", "accented", "--title", title, "--actor", "ROK", "--pillar", "economic", "-k", "pledge")
    assert added.exit_code == 0, added.stderr
    found = run("list", "--json", "--search", search)
    assert found.exit_code == 0, found.stderr
    assert [row["id"] for row in json.loads(found.stdout)] == ["accented"]


def test_list_json_is_the_full_records_and_nothing_else(run: Run, db_path: Path) -> None:
    result = run("list", "--json", "--pillar", "economic")
    listed = json.loads(result.stdout)
    stored = {c["id"]: c for c in load(db_path)["commitments"]}
    assert [c["id"] for c in listed] == [
        "rcep-signing",
        "digital-economy-cooperation",
        "supply-chains-essential-movement",
        "wto-candidate-support",
    ]
    for commitment in listed:
        overdue = commitment.pop("overdue")
        assert commitment == stored[commitment["id"]]
        assert overdue is (commitment["id"] == "rcep-signing")


def test_list_on_a_terminal_is_a_table_of_every_row_and_limit_cuts_it_with_a_more_line(run: Run, db_path: Path) -> None:
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": "120", "LINES": "16", "NO_COLOR": "1"}
    result = run("list", env=terminal)
    assert result.exit_code == 0
    lines = plain_lines(result.stdout)
    assert lines[0].split() == ["id", "┃", "title", "┃", "actors", "┃", "due", "┃", "status"]
    status_cells = [line.split("│")[-1].strip() for line in lines[2:]]
    assert sum(1 for cell in status_cells if cell in {"pending", "in-progress"}) == len(load(db_path)["commitments"])
    assert status_cells.count("overdue") == 3
    assert "more" not in result.stdout
    limited = plain_lines(run("list", "--limit", "4", env=terminal).stdout)
    assert sum(1 for line in limited[2:-1] if line.split("│")[-1].strip() in {"pending", "in-progress"}) == 4
    assert limited[-1] == f"... {len(load(db_path)['commitments']) - 4} more; a larger --limit shows them"
    assert [row[0] for row in rows(run("list", "--limit", "2").stdout)] == [
        "id",
        "flagship-projects-2020",
        "rcep-signing",
    ]
    wide = run("list", env={**terminal, "COLUMNS": "140"}).stdout
    assert "pillar" in wide
    narrow = run("list", env={**terminal, "COLUMNS": "80"}).stdout
    assert "pillar" not in narrow
    assert max(len(line) for line in plain_lines(narrow)) <= 80


# --- show ---------------------------------------------------------------------------------------------------------


def test_show_gives_quote_source_paragraph_amount_and_history(run: Run, db_path: Path) -> None:
    result = run("show", "coop", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    out = plain(result.stdout)
    assert "Finance projects from the Cooperation Fund (USD 14 million a year since 2019)" in out
    assert "USD 14,000,000 a year" in out
    assert "paragraph 6" in out
    assert "paragraph 6, asean-rok-fmm-2020-09-09.txt" in out
    assert "an annual 14 million U.S. dollars last year" in out
    assert "2020-09-09" in out
    assert "in-progress" in out


def test_show_json_prints_the_record(run: Run, db_path: Path) -> None:
    shown = json.loads(run("show", "rcep-signing", "--json").stdout)
    assert shown.pop("overdue") is True
    assert shown.pop("supersedes") == []
    assert shown == record(db_path, "rcep-signing")


def test_unknown_id_exits_1_with_the_closest_ids(run: Run, db_path: Path) -> None:
    original = db_path.read_bytes()
    result = run("show", "rcep-signnig")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "tracker: error: no commitment 'rcep-signnig'; did you mean rcep-signing?\n"
    assert db_path.read_bytes() == original


def test_ambiguous_prefix_exits_1_and_lists_the_matches(run: Run, db_path: Path) -> None:
    result = run("show", "c")
    assert result.exit_code == 1
    assert "'c' matches 2 commitments: climate-environment-cooperation, cooperation-fund" in result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["list", "--status", "done"], "'pending', 'in-progress', 'stalled', 'partial', 'fulfilled', 'broken'"),
        (["list", "--pillar", "military"], "political-security"),
        (["list", "--due-before", "2021-02-30"], "YYYY-MM-DD"),
        (["list", "--due-before", "soon"], "YYYY-MM-DD"),
        (["update", "rcep", "--status", "kept"], "fulfilled"),
        (["update", "rcep", "--note", "x", "--date", "15/11/2020"], "YYYY-MM-DD"),
        (["report", "--as-of", "2021-13-01"], "YYYY-MM-DD"),
        (["report", "--format", "pdf"], "markdown"),
        (
            ["add", "--kind", "pledge", "--title", "x", "--actor", "ROK", "--pillar", "economic", "--id", "Bad Id"],
            "lower-case",
        ),
        (
            ["add", "--kind", "pledge", "--title", "x", "--actor", "ROK", "--pillar", "economic", "--amount", "lots"],
            "Invalid value for '--amount': 'lots' is not an amount; use a number and a currency code",
        ),
        (
            ["add", "--kind", "pledge", "--title", "x", "--actor", "ROK", "--pillar", "economic", "--paragraph", "0"],
            "numbered from 1",
        ),
        (["add", "--kind", "pledge", "--title", "x", "--pillar", "economic"], "--actor"),
        (["export", "--format", "pdf"], "csv"),
        (["nonsense"], "No such command"),
        (["update", "rcep"], "nothing to record: give --status, --note or --evidence"),
        (["update", "rcep", "--evidence", " "], "'--evidence' / '-e': evidence must not be blank; give a URL or"),
        (["update", "rcep", "--note", "x", "-e", "a", "-e", ""], "evidence must not be blank"),
        (["add", "--kind", "pledge", "--title", "x" * 81, "--actor", "ROK", "--pillar", "economic"], "at most 80"),
        (["add", "--kind", "pledge", "--title", "", "--actor", "ROK", "--pillar", "economic"], "'--title' / '-t'"),
        (
            ["add", "--kind", "pledge", "--title", " \t", "--actor", "ROK", "--pillar", "economic"],
            "title shows nothing",
        ),
        (["add", "--kind", "pledge", "--title", "x", "--actor", "", "--pillar", "economic"], "'--actor' / '-a'"),
        (
            ["add", "--kind", "pledge", "--title", "\u200b\u2060", "--actor", "ROK", "--pillar", "economic"],
            "shows nothing",
        ),
        (
            ["add", "--kind", "pledge", "--title", "\x01\u202e\u3164", "--actor", "ROK", "--pillar", "economic"],
            "nothing",
        ),
        (
            ["add", "--kind", "pledge", "--title", "x", "--actor", "\ufeff", "--pillar", "economic"],
            "name shows nothing",
        ),
        (
            ["add", "--kind", "pledge", "--title", "x", "--actor", "ROK", "--pillar", "economic", "--amount", "x"],
            "'--amount'",
        ),
        (
            ["add", "-k", "pledge", "-t", "x", "-a", "ROK", "-p", "economic", "--amount", "999999999999999.99 USD"],
            "has more digits than an amount keeps (it would be 1,000,000,000,000,000.0)",
        ),
        (["list", "--limit", "0"], "--limit"),
        (["show", "rcep", "--format", "pdf"], "text"),
    ],
)
def test_invalid_values_exit_2_name_what_is_valid_and_leave_the_file(
    run: Run, db_path: Path, args: list[str], named: str
) -> None:
    original = db_path.read_bytes()
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("tracker: error: ")
    assert result.stderr.count("\n") == 1
    assert named in result.stderr
    assert db_path.read_bytes() == original


@pytest.mark.parametrize(
    "content",
    ["", "{not json", '{"commitments": [], "schema_version": 7}', "[1, 2]"],
    ids=["empty", "bad", "v7", "list"],
)
@pytest.mark.parametrize("command", [["list"], ["show", "rcep"], ["update", "rcep", "--note", "x"], ["report"]])
def test_a_file_that_is_not_a_database_is_refused_in_one_line(
    run: Run, db_path: Path, content: str, command: list[str]
) -> None:
    db_path.write_text(content, encoding="utf-8")
    result = run(*command)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"tracker: error: {db_path}")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert db_path.read_text(encoding="utf-8") == content


def test_version_and_help_with_examples(run: Run) -> None:
    assert run("--version").stdout == f"tracker {__version__}\n"
    assert run("-V").stdout == f"tracker {__version__}\n"
    for command in ("list", "show", "init", "update", "add", "remove", "undo", "report", "export", "import"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "Example: tracker " in result.stdout


def test_no_command_prints_help(run: Run) -> None:
    result = run()
    assert result.exit_code == 2
    assert "Commands" in result.stdout
    assert "list" in result.stdout


# --- init ---------------------------------------------------------------------------------------------------------


def test_init_creates_then_refuses_then_force_keeps_a_backup(run: Run, isolated_environment: Path) -> None:
    assert run("init").exit_code == 0
    refused = run("init")
    assert refused.exit_code == 1
    assert "already exists" in refused.stderr
    isolated_environment.write_text("old", encoding="utf-8")
    forced = run("init", "--force")
    assert forced.exit_code == 0
    backups = list(isolated_environment.parent.glob("commitments.json.*.bak"))
    assert len(backups) == 1
    assert backups[0].read_text(encoding="utf-8") == "old"
    assert f"kept a backup of the old file at {backups[0]}" in forced.stderr


# --- update -------------------------------------------------------------------------------------------------------


def test_update_appends_a_dated_sourced_event_and_prints_one_line(run: Run, db_path: Path) -> None:
    result = run(
        "update",
        "rcep",
        "--status",
        "fulfilled",
        "--date",
        "2020-11-15",
        "--note",
        "Signed at the 4th RCEP Summit.",
        "--evidence",
        "https://example.org/rcep",
        "--evidence",
        "MOFA, 15 Nov 2020",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "rcep-signing: fulfilled (was pending); recorded the event of 2020-11-15 (fulfilled); 2 events\n"
    )
    stored = record(db_path, "rcep-signing")
    assert stored["status"] == "fulfilled"
    event = stored["history"][-1]
    assert event["date"] == "2020-11-15"
    assert event["note"] == "Signed at the 4th RCEP Summit."
    assert event["evidence"] == ["https://example.org/rcep", "MOFA, 15 Nov 2020"]
    assert event["recorded_at"].startswith(date.today().isoformat()[:4])


def test_update_note_alone_keeps_the_status_of_its_date_and_defaults_to_today(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--status", "fulfilled", "--date", "2020-11-15").exit_code == 0
    assert run("update", "rcep", "--note", "before signing", "--date", "2020-10-01").exit_code == 0
    assert run("update", "rcep", "--evidence", "https://example.org/later").exit_code == 0
    history = record(db_path, "rcep-signing")["history"]
    assert [(e["date"], e["status"]) for e in history[1:]] == [
        ("2020-11-15", "fulfilled"),
        ("2020-10-01", "pending"),
        (TODAY, "fulfilled"),
    ]
    assert record(db_path, "rcep-signing")["status"] == "fulfilled"


def test_a_backdated_event_does_not_change_the_current_status(run: Run, db_path: Path) -> None:
    run("update", "rcep", "--status", "fulfilled", "--date", "2020-11-15")
    result = run("update", "rcep", "--status", "stalled", "--date", "2020-10-01")
    assert result.exit_code == 0
    assert result.stdout.startswith("rcep-signing: fulfilled;")
    assert record(db_path, "rcep-signing")["status"] == "fulfilled"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["update", "nope", "--status", "fulfilled"], "no commitment 'nope'"),
        (["update", "rcep", "--note", "x", "--date", FUTURE], "in the future"),
        (["update", "rcep", "--note", "x", "--date", "2020-09-08"], "before the commitment's source date 2020-09-09"),
        (
            [
                "add",
                "--kind",
                "pledge",
                "--title",
                "Sign RCEP",
                "--actor",
                "ROK",
                "--pillar",
                "economic",
                "--id",
                "rcep-signing",
            ],
            "exists",
        ),
        (
            [
                "add",
                "--kind",
                "pledge",
                "--title",
                "x",
                "--actor",
                "ROK",
                "--pillar",
                "economic",
                "--source-date",
                FUTURE,
            ],
            "future",
        ),
        (["remove", "nope", "--yes"], "no commitment 'nope'"),
    ],
)
def test_rule_breaking_writes_exit_1_and_leave_the_file_unchanged(
    run: Run, db_path: Path, args: list[str], message: str
) -> None:
    original = db_path.read_bytes()
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert db_path.read_bytes() == original


# --- add, remove, undo --------------------------------------------------------------------------------------------


def test_add_makes_a_pending_commitment_with_an_id_from_its_title(run: Run, db_path: Path) -> None:
    result = run(
        "add",
        "--kind",
        "pledge",
        "--title",
        "Host the ASEAN-ROK Summit in 2021",
        "--actor",
        "ROK",
        "--actor",
        "Japan",
        "--pillar",
        "cross-cutting",
        "--due",
        "2021-12-31",
        "--amount",
        "5,000,000 USD/year",
        "--quote",
        "We will host.",
        "--source-document",
        "Chair's statement",
        "--source-date",
        "2021-01-05",
        "--paragraph",
        "4",
        "--summary",
        "A summit.",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "added host-asean-rok-summit-2021: Host the ASEAN-ROK Summit in 2021\n"
    added = record(db_path, "host-asean-rok-summit-2021")
    assert added["actors"] == ["ROK", "Japan"]
    assert added["amount"] == {"value": 5_000_000, "currency": "USD", "per": "year"}
    assert added["source"] == {"document": "Chair's statement", "date": "2021-01-05", "paragraph": 4, "file": None}
    assert [(e["date"], e["status"]) for e in added["history"]] == [("2021-01-05", "pending")]
    assert run("list", "--actor", "JAPAN").stdout.count("host-asean-rok-summit-2021") == 1


def test_remove_needs_yes_off_a_terminal_and_undo_brings_it_back(run: Run, db_path: Path) -> None:
    original = db_path.read_bytes()
    refused = run("remove", "rcep")
    assert refused.exit_code == 2
    assert "pass --yes" in refused.stderr
    assert db_path.read_bytes() == original
    removed = run("remove", "rcep", "--yes")
    assert (
        removed.stdout == "removed rcep-signing: Sign the Regional Comprehensive Economic Partnership (RCEP) in 2020\n"
    )
    assert "rcep-signing" not in db_path.read_text(encoding="utf-8")
    undone = run("undo", "--yes")
    assert undone.exit_code == 0
    assert undone.stdout.startswith("undid 'remove rcep-signing' (recorded ")
    assert undone.stdout.endswith("); put back as before: rcep-signing\n")
    assert db_path.read_bytes() == original


def test_a_question_nobody_would_see_is_not_asked(run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """stdin a terminal, but stderr not one and no terminal to write the question to: refused, as off a terminal."""
    import tracker.cli

    monkeypatch.setattr(tracker.cli, "_stdin_is_terminal", lambda: True)
    original = db_path.read_bytes()
    refused = run("remove", "rcep", input="y\n")
    assert refused.exit_code == 2
    assert refused.stderr == (
        "tracker: error: the question cannot be shown on the terminal stdin is; pass --yes to go on\n"
    )
    assert db_path.read_bytes() == original


def test_update_report_undo_report_round_trip(run: Run, db_path: Path) -> None:
    before = json.loads(run("report", "--format", "json", "--as-of", "2021-06-30").stdout)
    assert before["score"] == {"mean": 0.0, "percent": 50.0, "assessed": 3}
    run("update", "rcep", "--status", "fulfilled", "--date", "2020-11-15")
    run("update", "flagship", "--status", "broken", "--date", "2021-05-01")
    during = json.loads(run("report", "--format", "json", "--as-of", "2021-06-30").stdout)
    # in-progress x3 (0), fulfilled (+1), broken (-1): mean 0 over 5
    assert during["score"] == {"mean": 0.0, "percent": 50.0, "assessed": 5}
    assert during["by_status"]["fulfilled"] == 1
    assert during["overdue"] == []
    assert [r["id"] for r in during["recent"]] == ["flagship-projects-2020"]
    assert run("undo", "--yes").exit_code == 0
    after_one = json.loads(run("report", "--format", "json", "--as-of", "2021-06-30").stdout)
    # in-progress x3 (0), fulfilled (+1): mean 0.25, 62.5 %
    assert after_one["score"] == {"mean": 0.25, "percent": 62.5, "assessed": 4}
    assert [o["id"] for o in after_one["overdue"]] == ["flagship-projects-2020"]
    assert after_one["overdue"][0]["days_overdue"] == 181
    assert run("undo", "--yes").exit_code == 0
    assert json.loads(run("report", "--format", "json", "--as-of", "2021-06-30").stdout) == before
    nothing = run("undo", "--yes")
    assert nothing.exit_code == 1
    assert "nothing to undo" in nothing.stderr


def test_report_as_of_leaves_out_later_commitments_and_filters(run: Run, db_path: Path) -> None:
    assert json.loads(run("report", "--format", "json", "--as-of", "2020-09-08").stdout)["total"] == 0
    figures = json.loads(run("report", "--format", "json", "--as-of", "2020-09-09", "--pillar", "economic").stdout)
    assert figures["total"] == 4
    assert set(figures["by_pillar"]) == {"economic"}
    asean = json.loads(run("report", "--format", "json", "--actor", "ASEAN").stdout)
    assert set(asean["by_actor"]) == {"ROK", "ASEAN"}
    assert asean["by_actor"]["ASEAN"]["total"] == asean["total"]


def test_report_table_fits_80_columns_and_reads_without_colour(run: Run, db_path: Path) -> None:
    run("update", "rcep", "--status", "fulfilled", "--date", "2020-11-15")
    result = run("report", "--as-of", "2021-01-31", "--format", "table", env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0] == "Compliance report as of 2021-01-31: 18 commitments"
    assert "Score: +0.25 (62.5%) over 4 assessed of 18 (14 pending, not scored)" in result.stdout
    assert any(line.startswith("fulfilled") and "#" in line for line in lines)
    assert "flagship-projects-2020" in result.stdout  # overdue
    assert "\x1b" not in result.stdout


def test_report_markdown_is_a_briefing(run: Run, db_path: Path) -> None:
    result = run("report", "--format", "markdown", "--as-of", "2021-01-31")
    assert result.stdout.startswith("# Compliance report as of 2021-01-31\n\nMethod. Each commitment is scored")
    assert "\n\n18 commitments. " in result.stdout
    assert "Period: commitments made from 2020-09-09 to 2021-01-31" in result.stdout
    assert (
        "| rcep-signing | Sign the Regional Comprehensive Economic Partnership (RCEP) in 2020 | 2020-12-31 | 31 |"
        in result.stdout
    )


# --- hostile text -------------------------------------------------------------------------------------------------


def test_markup_and_control_characters_are_stored_exactly_and_shown_literally(run: Run, db_path: Path) -> None:
    added = run(
        "add", "--kind", "pledge", "--title", HOSTILE, "--actor", "ROK", "--pillar", "economic", "--id", "hostile"
    )
    assert added.exit_code == 0
    assert run("update", "hostile", "--note", HOSTILE, "--evidence", HOSTILE).exit_code == 0
    stored = record(db_path, "hostile")
    assert stored["title"] == HOSTILE
    assert stored["history"][-1]["note"] == HOSTILE
    assert stored["history"][-1]["evidence"] == [HOSTILE]
    outputs = [
        run("list").stdout,
        run("list", "--json").stdout,
        run("list", env={"TTY_COMPATIBLE": "1", "COLUMNS": "300"}).stdout,
        run("show", "hostile", env={"COLUMNS": "300"}).stdout,
        run("show", "hostile", "--json").stdout,
        run("report", env={"COLUMNS": "300"}).stdout,
        run("report", "--format", "markdown").stdout,
        run("report", "--format", "json").stdout,
    ]
    for output in outputs:
        assert "\x1b[31mred" not in output
        assert "\x1b]0;" not in output
        assert "\x07" not in output
        assert "\x9b" not in output
        assert "\u202e" not in output
    assert "[bold]x[/bold] \\x1b[31mred" in outputs[0]
    assert "[bold]x[/bold]" in outputs[3]
    listed = {commitment["id"]: commitment for commitment in json.loads(outputs[1])}
    assert listed["hostile"]["title"] == HOSTILE
    assert json.loads(outputs[4])["title"] == HOSTILE
    problem = run("show", HOSTILE)
    assert "\x1b" not in problem.stderr
    assert "\\x1b" in problem.stderr


def test_a_full_disk_is_one_line_and_leaves_the_file_whole(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    original = db_path.read_bytes()
    real_write = os.write

    def full(descriptor: int, data: bytes) -> int:
        if len(data) > 1000:
            raise OSError(28, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", full)
    result = run("update", "rcep", "--status", "fulfilled")
    assert result.exit_code == 1
    assert result.stderr == f"tracker: error: No space left on device: {db_path}\n"
    assert db_path.read_bytes() == original
    assert not list(db_path.parent.glob(".commitments.json*.tmp-*"))


def test_an_unexpected_error_is_one_line_unless_debugging(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.report

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(tracker.report, "merge_report", broken)
    result = run("report")
    assert result.exit_code == 1
    assert result.stderr == (
        "tracker: error: internal error (RuntimeError: a bug); set TRACKER_DEBUG=1 to see where, and report it\n"
    )
    with pytest.raises(RuntimeError, match="a bug"):
        run("report", env={"TRACKER_DEBUG": "1"})


def test_text_that_is_not_utf8_is_refused_not_stored(run: Run, db_path: Path) -> None:
    original = db_path.read_bytes()
    lone = "\udcff"  # what Python makes of the byte 0xff in a command-line argument
    result = run("add", "--kind", "pledge", "--title", f"bad {lone}", "--actor", "ROK", "--pillar", "economic")
    assert result.exit_code == 1
    assert "not Unicode" in result.stderr
    assert run("update", "rcep", "--note", lone).exit_code == 1
    assert db_path.read_bytes() == original


def test_an_import_with_an_escaped_lone_surrogate_is_refused(run: Run, db_path: Path, tmp_path: Path) -> None:
    document = load(db_path)
    document["commitments"][0]["title"] = "x"
    text = json.dumps(document["commitments"]).replace('"title": "x"', '"title": "\\ud800"', 1)
    source = tmp_path / "surrogate.json"
    source.write_text(text, encoding="utf-8")
    result = run("import", str(source))
    assert result.exit_code == 1
    assert "not Unicode" in result.stderr


def test_undo_of_a_large_change_names_five_ids_and_counts_the_rest(run: Run, db_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    assert run("--db", str(empty), "init", "--empty").exit_code == 0
    assert run("--db", str(empty), "import", str(db_path)).exit_code == 0
    undone = run("--db", str(empty), "undo", "--yes")
    ids = sorted(c["id"] for c in load(db_path)["commitments"])
    assert undone.stdout.endswith(f"put back as before: {', '.join(ids[:5])} and 13 more\n")
    assert load(empty)["commitments"] == []


def test_export_to_a_missing_directory_and_import_of_a_directory_are_clear_errors(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    original = db_path.read_bytes()
    exported = run("export", "--output", str(tmp_path / "no" / "such" / "x.json"))
    assert exported.exit_code == 1
    assert exported.stderr == f"tracker: error: the directory of {tmp_path / 'no' / 'such' / 'x.json'} does not exist\n"
    (tmp_path / "link.json").symlink_to(tmp_path / "gone" / "x.json")  # names the folder the link leads to
    linked = run("report", "--output", str(tmp_path / "link.json"))
    where = f"{tmp_path / 'gone' / 'x.json'} (where the link {tmp_path / 'link.json'} leads)"
    assert (linked.exit_code, linked.stderr) == (1, f"tracker: error: the directory of {where} does not exist\n")
    imported = run("import", str(tmp_path))
    assert imported.exit_code == 1
    assert imported.stderr == f"tracker: error: {tmp_path} is a directory, not a regular file\n"
    assert db_path.read_bytes() == original


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--db", "", "list"], "'--db'"),
        (["export", "--output", ""], "'--output' / '-o'"),
        (["report", "--format", "json", "-o", ""], "'--output' / '-o'"),
        (["import", ""], "'FILE'"),
        (["extract", ""], "'FILE'"),
    ],
)
def test_an_empty_path_is_a_usage_error_not_the_current_folder(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], named: str
) -> None:
    """Python reads Path('') as '.', so an empty path used to be reported as the folder '.'."""
    monkeypatch.chdir(tmp_path)
    original = db_path.read_bytes()
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"tracker: error: Invalid value for {named}")
    assert "the path is empty; give a file's path" in result.stderr
    assert result.stderr.count("\n") == 1
    assert db_path.read_bytes() == original


@pytest.mark.parametrize(
    "args",
    [["--db", "gone/", "init"], ["export", "--output", "out/"], ["import", "colleague/"], ["--db", "x/.", "list"]],
    ids=str,
)
def test_a_path_ending_in_a_slash_names_a_folder_not_a_file(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """Path('out/') is Path('out'): the slash, and what the user meant by it, would be lost."""
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    result = run(*args)
    assert result.exit_code == 2
    path = args[1] if args[0] == "--db" else args[-1]
    assert f"{path} ends in {'/.' if path.endswith('.') else '/'}, so it names a folder" in result.stderr
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("command", [["init"], ["init", "--force"], ["undo", "--yes"], ["list"]], ids=str)
@pytest.mark.parametrize("folder", [".", "sub/..", "sub"])
def test_a_folder_as_the_database_is_refused_by_every_command(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], folder: str
) -> None:
    # '.' has no file name: init and undo, which name files beside the database, failed with an internal error.
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    result = run("--db", folder, *command)
    assert result.exit_code == 1
    assert result.stderr == (
        f"tracker: error: {folder} is a directory, not a tracker database file; give a file's path, "
        f"e.g. {Path(folder) / 'commitments.json'}\n"
    )
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize(
    "name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "//dev/./stdout", "/dev/fd/01", "/proc/thread-self/fd/1"]
)
def test_output_named_as_stdout_is_stdout(run: Run, db_path: Path, name: str) -> None:
    before = db_path.read_bytes()
    for command in (["export"], ["export", "--format", "csv"], ["report", "--format", "json", "--as-of", "2021-01-01"]):
        named = run(*command, "--output", name)
        assert (named.exit_code, named.stderr) == (0, ""), named.stderr
        assert named.stdout == run(*command).stdout
        assert named.stdout
    assert db_path.read_bytes() == before


@pytest.mark.parametrize("name", ["/dev/stderr", "/dev/fd/2", "/proc/self/fd/2", "/dev//stderr"])
def test_output_named_as_stderr_is_a_usage_error(run: Run, db_path: Path, name: str) -> None:
    before = db_path.read_bytes()
    result = run("export", "--output", name, "--force")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"tracker: error: Invalid value for '--output' / '-o': {name} is stderr; give a file (or leave --output out "
        "for stdout) (see 'tracker export --help')\n"
    )
    assert db_path.read_bytes() == before


def test_output_dash_is_stdout_and_import_dash_reads_stdin(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    exported = run("export", "--output", "-")
    assert exported.exit_code == 0
    assert json.loads(exported.stdout)["_meta"] == {"1": {"schema_version": 3}}
    assert not (tmp_path / "-").exists()
    document = json.loads(exported.stdout)
    for commitment in document["commitments"].values():
        if commitment["id"] == "rcep-signing":
            commitment["history"].append({**commitment["history"][0], "date": "2020-11-15", "note": "Signed."})
    imported = run("import", "-", input=json.dumps(document))
    assert (imported.exit_code, imported.stderr) == (0, ""), imported.stderr
    assert imported.stdout == "imported <stdin>: 0 added, 1 updated, 17 unchanged\n"
    assert "import <stdin>" in run("undo", "--list").stdout
    replaced = run("import", "-", "--replace", input=json.dumps(document))
    assert replaced.exit_code == 2  # stdin is the file: nobody can confirm, on a terminal or not
    assert replaced.stderr == (
        "tracker: error: stdin is the file, so nobody can confirm --replace; pass --yes to go ahead\n"
    )
    (tmp_path / "-").write_text(exported.stdout, encoding="utf-8")
    named_dash = run("import", "./-", input="not JSON")  # the file named -, not stdin
    assert named_dash.stdout == "imported -: 0 added, 0 updated, 18 unchanged\n", named_dash.stderr


@pytest.mark.parametrize("piped", ["not JSON", "", '{"commitments": 7}'])
def test_a_bad_import_from_stdin_is_a_clear_error_and_writes_nothing(run: Run, db_path: Path, piped: str) -> None:
    original = db_path.read_bytes()
    result = run("import", "-", input=piped)
    assert result.exit_code == 1
    assert result.stderr.startswith("tracker: error: <stdin")
    assert "Traceback" not in result.stderr
    assert db_path.read_bytes() == original


def test_an_import_from_stdin_that_is_not_utf8_is_a_clear_error(db_path: Path) -> None:
    import subprocess

    from tests.conftest import tracker_executable

    original = db_path.read_bytes()
    piped = subprocess.run(
        [tracker_executable(), "--db", str(db_path), "import", "-"], input=b'{"\xff": 1}', capture_output=True
    )
    assert piped.returncode == 1
    assert piped.stderr.decode().startswith("tracker: error: <stdin>")
    assert piped.stderr.count(b"\n") == 1
    assert db_path.read_bytes() == original


def test_import_and_extract_from_a_closed_stdin_say_so(db_path: Path) -> None:
    import subprocess

    from tests.conftest import tracker_executable

    for command in ("import -", "extract - --date 2021-01-01"):
        line = f"{tracker_executable()} --db {db_path} {command} <&-"
        closed = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=False)
        assert closed.returncode == 1
        assert closed.stderr == "tracker: error: stdin is closed; give a file's path, or pipe the file in\n"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_stdin_that_cannot_be_an_export_is_refused_at_once(db_path: Path) -> None:
    """`import -` reads stdin to its end, but not an endless stream that is not JSON (`< /dev/zero`, or `{` and
    then NUL bytes): it stops where the parser can already say what is wrong."""
    import subprocess

    from tests.conftest import tracker_executable

    original = db_path.read_bytes()
    for line, said in (
        (f"'{tracker_executable()}' --db '{db_path}' import - < /dev/zero", "Expecting value at line 1, column 1"),
        (f"yes | '{tracker_executable()}' --db '{db_path}' import -", "Expecting value at line 1, column 1"),
        (
            f"(printf '\\n {{'; cat /dev/zero) | '{tracker_executable()}' --db '{db_path}' import -",
            "Expecting property name enclosed in double quotes at line 2, column 3",
        ),
    ):
        refused = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=False, timeout=60)
        assert refused.returncode == 1
        assert refused.stderr.splitlines()[0] == f"tracker: error: <stdin>: not valid JSON: {said}"
    assert db_path.read_bytes() == original


def test_a_stdin_that_cannot_be_read_is_one_line_and_changes_nothing(db_path: Path, tmp_path: Path) -> None:
    """stdin opened for writing only (`0>file`): every read of it fails."""
    import subprocess

    from tests.conftest import tracker_executable

    original = db_path.read_bytes()
    for command in ("import -", "extract - --date 2021-01-01"):
        line = f"'{tracker_executable()}' --db '{db_path}' {command} 0>'{tmp_path / 'written-only'}'"
        result = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=False, timeout=60)
        assert result.returncode == 1
        assert result.stderr == "tracker: error: stdin cannot be read: Bad file descriptor\n"
    assert db_path.read_bytes() == original


def test_an_endless_stdin_that_looks_like_json_runs_out_of_memory_and_says_so(db_path: Path) -> None:
    """`{` and more `{` forever may be an export until its end, which never comes: with memory limited, the
    command says it ran out, and it is not an internal error."""
    import subprocess

    from tests.conftest import tracker_executable

    original = db_path.read_bytes()
    line = f"ulimit -v 800000; yes '{{' | '{tracker_executable()}' --db '{db_path}' import -"
    result = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 1
    assert result.stderr == "tracker: error: out of memory\n"
    assert db_path.read_bytes() == original


@pytest.mark.parametrize(
    "data",
    [
        "\u201chello\u201d".encode(),  # not JSON, but UTF-8: a character of three bytes first
        b"\xc2\xa0{}",  # a no-break space, which JSON does not take for white space
        b" " * ((1 << 20) - 1) + "\u00e9".encode(),  # a character cut in two by the first megabyte's end
        b"x\xff",  # not JSON, and not UTF-8 after that
        b"{\x00\xff",
    ],
)
def test_stdin_that_cannot_be_an_export_is_named_as_a_file_would_be(db_path: Path, tmp_path: Path, data: bytes) -> None:
    import subprocess

    from tests.conftest import tracker_executable

    source = tmp_path / "in.json"
    source.write_bytes(data)
    said = []
    for name in (str(source), "-"):
        with source.open("rb") as stream:
            result = subprocess.run(
                [tracker_executable(), "--db", str(db_path), "import", name],
                stdin=stream,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        said.append((result.returncode, result.stderr.replace(str(source), "<stdin>")))
    assert said[0] == said[1]
    assert said[0][0] == 1


def test_stdin_is_imported_as_the_same_bytes_in_a_file_would_be(db_path: Path, tmp_path: Path) -> None:
    """However much is read of stdin, the import says what it would say of the same bytes in a file: a list of
    commitments (the version 2 form) of a few megabytes is imported, and a NUL deep inside is named where it is."""
    import subprocess

    from tests.conftest import bundled_commitments, tracker_executable

    many = [{**c, "id": f"{c['id']}-{n}"} for n in range(200) for c in bundled_commitments()]
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(many, indent=2), encoding="utf-8")
    assert listed.stat().st_size > 3 << 20
    poisoned = tmp_path / "nul.json"
    text = listed.read_bytes()
    poisoned.write_bytes(text[: 2 << 20] + b"\x00" + text[2 << 20 :])
    for source in (listed, poisoned):
        said: list[tuple[int, str, bytes]] = []
        for target in ("file", "stdin"):
            data = tmp_path / f"{target}-{source.name}"
            made = subprocess.run([tracker_executable(), "--db", str(data), "init", "--empty"], capture_output=True)
            assert made.returncode == 0
            with source.open("rb") as stream:
                result = subprocess.run(
                    [tracker_executable(), "--db", str(data), "import", str(source) if target == "file" else "-"],
                    stdin=subprocess.DEVNULL if target == "file" else stream,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
            written = data.read_bytes() if result.returncode == 0 else b""
            said.append((result.returncode, result.stderr.replace(str(source), "<stdin>"), written))
        assert said[0] == said[1], source.name
        assert said[0][0] == (0 if source is listed else 1)
    assert "Invalid control character at line" in said[0][1]


def test_a_directory_as_the_output_is_named_with_its_control_characters_escaped(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "new\nline"
    folder.mkdir()
    result = run("report", "--output", str(folder))
    assert result.exit_code == 2
    assert f"{tmp_path}/new\\nline is a directory" in result.stderr


def test_a_directory_as_the_output_is_a_usage_error(run: Run, db_path: Path, tmp_path: Path) -> None:
    before = sorted(tmp_path.iterdir())
    result = run("export", "--output", str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path} is a directory; give a file's path (or leave --output out)" in result.stderr
    assert result.stdout == ""
    assert sorted(tmp_path.iterdir()) == before


# --- finding, filtering and reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("flagshp", "flagship-projects-2020"),
        ("flag-ship", "flagship-projects-2020"),
        ("signing", "rcep-signing"),
        ("teror", "terrorism-transnational-crime-cooperation"),
        ("RCEP", "rcep-signing"),
    ],
)
def test_a_mistyped_id_gets_the_closest_ids(run: Run, db_path: Path, typed: str, suggested: str) -> None:
    original = db_path.read_bytes()
    result = run("update", typed, "--note", "x")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"tracker: error: no commitment '{typed}'; did you mean ")
    assert suggested in result.stderr.split("did you mean ")[1]
    assert result.stderr.count("\n") == 1
    assert db_path.read_bytes() == original


def test_an_id_like_none_says_where_to_find_the_ids(run: Run, db_path: Path) -> None:
    assert run("show", "zzz").stderr == "tracker: error: no commitment 'zzz'; 'tracker list' shows every id\n"


def test_status_and_pillar_words_are_taken_in_any_case(run: Run, db_path: Path) -> None:
    listed = rows(run("list", "--status", "IN-PROGRESS", "--pillar", "Socio-Cultural").stdout)
    assert [r[0] for r in listed[1:]] == ["marine-debris-capacity"]
    updated = run("update", "rcep", "--status", "Fulfilled", "--date", "2020-11-15")
    assert updated.exit_code == 0, updated.stderr
    assert record(db_path, "rcep-signing")["status"] == "fulfilled"
    added = run("add", "--kind", "pledge", "--title", "Any case", "--actor", "ROK", "--pillar", "ECONOMIC")
    assert added.exit_code == 0, added.stderr
    assert record(db_path, "any-case")["pillar"] == "economic"
    assert json.loads(run("report", "--format", "JSON", "--pillar", "Economic").stdout)["total"] == 5


@pytest.mark.parametrize(
    "command", [["list"], ["report"], ["export"], ["list", "--json"], ["report", "--format", "json"]]
)
def test_an_unknown_actor_is_an_error_that_names_the_known_actors(run: Run, db_path: Path, command: list[str]) -> None:
    original = db_path.read_bytes()
    result = run(*command, "--actor", "Japan")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "tracker: error: no commitment has the actor 'Japan'; the actors are ASEAN, ROK\n"
    assert db_path.read_bytes() == original
    assert run(*command, "--actor", "rok").exit_code == 0


BOX_DRAWING = re.compile("[\u2500-\u257f]")


@pytest.mark.parametrize(
    "command",
    [["show", "rcep"], ["report", "--as-of", "2021-06-30"], ["report"], ["show", "coop", "--format", "text"]],
)
def test_show_and_report_in_a_pipe_are_plain_text_and_format_table_forces_the_table(
    run: Run, db_path: Path, command: list[str]
) -> None:
    run("update", "coop", "--note", "A note\nover two lines.", "--evidence", "https://example.org/fund")
    plain_text = run(*command).stdout
    assert plain_text
    assert not BOX_DRAWING.search(plain_text)
    assert [line for line in plain_text.splitlines() if line != line.rstrip()] == []
    assert "\x1b" not in plain_text
    table = run(*[word for word in command if word not in ("--format", "text")], "--format", "table").stdout
    assert BOX_DRAWING.search(table)
    on_a_terminal = run(*command, env={"TTY_COMPATIBLE": "1", "COLUMNS": "100"}).stdout
    assert bool(BOX_DRAWING.search(on_a_terminal)) is ("text" not in command)


def test_plain_show_and_report_keep_each_fact_and_listed_commitment_on_one_line(run: Run, db_path: Path) -> None:
    shown = run("show", "rcep").stdout.splitlines()
    assert shown[0] == "Sign the Regional Comprehensive Economic Partnership (RCEP) in 2020"
    assert "id      rcep-signing" in shown
    assert "status  pending (overdue)" in shown
    assert any(
        line.startswith("source  ROK Ministry") and line.endswith("asean-rok-fmm-2020-09-09.txt") for line in shown
    )
    reported = run("report", "--as-of", "2021-06-30").stdout.splitlines()
    assert reported[0] == "Compliance report as of 2021-06-30: 18 commitments"
    overdue = [line for line in reported if line.startswith("2020-12-31")]
    assert [" ".join(line.split()) for line in overdue] == [
        "2020-12-31 181 pending flagship-projects-2020 Launch the TVET, disaster-risk and faculty scholarship "
        "projects in 2020",
        "2020-12-31 181 pending rcep-signing Sign the Regional Comprehensive Economic Partnership (RCEP) in 2020",
    ]


def test_show_json_and_format_json_are_the_same_record(run: Run, db_path: Path) -> None:
    assert run("show", "rcep", "--json").stdout == run("show", "rcep", "--format", "json").stdout
    assert json.loads(run("show", "rcep", "--json", env={"TTY_COMPATIBLE": "1"}).stdout)["id"] == "rcep-signing"


def test_the_report_lists_every_overdue_commitment(run: Run, db_path: Path) -> None:
    for number in range(25):
        added = run(
            "add", "--kind", "pledge", "--title", f"Pledge {number}", "--actor", "ROK", "--pillar", "economic",
            "--source-date", "2020-01-01", "--due", "2020-06-30",
        )  # fmt: skip
        assert added.exit_code == 0, added.stderr
    for output in (run("report").stdout, run("report", "--format", "table", env={"COLUMNS": "100"}).stdout):
        assert all(f"pledge-{number}" in output for number in range(25))
        assert "more" not in output


def test_top_level_help_has_every_summary_whole_and_an_example_of_each_command(run: Run) -> None:
    from tracker.cli import app

    result = run("--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:\n")[1].split("\n\n")[0]
    examples = result.stdout.split("Examples:\n")[1]
    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        help_text = (command.callback.__doc__ or "").strip()
        summary = help_text.splitlines()[0]
        assert re.search(rf"^  {name} +{re.escape(summary)}$", commands, flags=re.MULTILINE), (name, commands)
        example = re.search(r"Example: (.*)", help_text)
        assert example, name
        assert f"  {example[1]}\n" in examples
    assert "..." not in commands


@pytest.mark.parametrize(
    "command",
    ["list", "show", "init", "update", "add", "edit", "history", "remove", "undo", "report", "export", "import"],
)
def test_help_metavars_are_the_same_words_everywhere(run: Run, command: str) -> None:
    shown = run(command, "--help", env={"COLUMNS": "200"}).stdout
    assert not re.search(r"<str>|<path>|<int>|\bINTEGER\b|\bPATH\b|\bSLUG\b", shown), shown
    for option in ("--date", "--due", "--source-date", "--as-of", "--due-before"):
        if re.search(rf"{option}(?![\w-])", shown):
            assert f"{option} DATE" in shown
    for option in ("--note", "--evidence", "--title", "--actor", "--search", "--quote", "--summary"):
        if re.search(rf"{option}(?![\w-])", shown):
            assert f"{option} TEXT" in shown
    if "--output" in shown:
        assert "--output FILE" in shown


class _Output(io.StringIO):
    """A stdout whose flush fails as `error` says (or not at all), and that remembers whether it was flushed."""

    def __init__(self, error: BaseException | None = None) -> None:
        super().__init__()
        self.error, self.flushed = error, False

    def flush(self) -> None:
        if self.error is not None:
            raise self.error
        self.flushed = True


@pytest.mark.parametrize(
    ("code", "status", "said"),
    [(None, 0, ""), (0, 0, ""), (3, 3, ""), (256, 0, ""), (True, 1, ""), ("stopped early", 1, "stopped early\n")],
)
def test_the_exit_status_is_what_python_would_make_of_the_code_and_the_output_is_flushed_first(
    monkeypatch: pytest.MonkeyPatch, code: object, status: int, said: str
) -> None:
    from tracker.cli import exit_status

    output, errors = _Output(), io.StringIO()
    monkeypatch.setattr("sys.stdout", output)
    monkeypatch.setattr("sys.stderr", errors)
    assert exit_status(code) == status
    assert output.flushed
    assert errors.getvalue() == said


def test_an_interrupted_command_sends_nothing_more_of_what_stdout_holds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Ctrl-C may come half-way through a write: the buffer still holds what went out in part, and flushing it at
    exit would send that part twice. After an interruption (130) nothing more goes out."""
    from tracker.cli import exit_status

    target = tmp_path / "out"
    with target.open("wb") as raw:
        descriptor = __import__("os").dup(raw.fileno())
    stream = io.TextIOWrapper(io.BufferedWriter(io.FileIO(descriptor, "w")), encoding="utf-8")
    stream.write("held in the buffer\n")
    monkeypatch.setattr("sys.stdout", stream)
    assert exit_status(130) == 130
    stream.flush()  # Python's own flush at exit, where the process exits the usual way
    assert target.read_bytes() == b""


def test_ctrl_c_in_a_command_is_130_and_changes_nothing(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.store

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    before = db_path.read_bytes()
    monkeypatch.setattr(tracker.store.Store, "_commit", interrupted)
    result = run("update", "rcep-signing", "--note", "Never recorded.")
    assert result.exit_code == 130
    assert result.stderr == "tracker: error: aborted; nothing was changed\n"
    assert db_path.read_bytes() == before


def test_ctrl_c_just_after_a_change_says_it_was_made_and_exits_0(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for any other failure once the file has changed: run again, the change would be made twice."""
    from tracker import render

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "print_line", interrupted)
    result = run("update", "rcep-signing", "--note", "Recorded all the same.")
    assert result.exit_code == 0
    assert result.stderr == f"tracker: the change to {db_path} was made, but then: interrupted\n"
    notes = [event["note"] for event in json.loads(run("show", "rcep-signing", "--json").stdout)["history"]]
    assert notes[-1] == "Recorded all the same."


def test_ctrl_c_just_after_the_file_is_renamed_in_place_says_the_change_stands_and_can_be_undone(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the rename that puts the new version in place and the tracker's note that it did, Ctrl-C must not
    make it say that nothing was changed, nor lose the change's undo entry."""
    import tracker.files

    real = tracker.files.fsync_directory
    note = "Recorded just before Ctrl-C."

    def interrupted(folder: Path) -> None:
        real(folder)
        if folder == db_path.parent and note in db_path.read_text(encoding="utf-8"):
            raise KeyboardInterrupt  # once the new version is in place, before anything else is done

    monkeypatch.setattr(tracker.files, "fsync_directory", interrupted)
    result = run("update", "rcep-signing", "--note", note)
    assert result.exit_code == 0
    assert result.stderr == f"tracker: the change to {db_path} was made, but then: interrupted\n"
    monkeypatch.setattr(tracker.files, "fsync_directory", real)
    assert "update rcep-signing" in run("undo", "--list").stdout
    assert run("undo", "--yes").exit_code == 0
    assert note not in db_path.read_text(encoding="utf-8")


def test_output_that_cannot_be_written_at_the_end_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from tracker import render
    from tracker.cli import exit_status
    from tracker.store import forget_trusted_reads

    forget_trusted_reads()  # as a command begins: nothing written yet, nothing said
    render.forget_errors_said()
    errors = io.StringIO()
    monkeypatch.setattr("sys.stderr", errors)
    monkeypatch.setattr("sys.stdout", _Output(OSError(errno.ENOSPC, "No space left on device")))
    assert exit_status(0) == 1
    assert errors.getvalue() == "tracker: error: the output could not be written: No space left on device\n"
    errors = io.StringIO()
    monkeypatch.setattr("sys.stderr", errors)
    assert exit_status(2) == 2  # a command that failed has said why (the line above): once is enough
    assert errors.getvalue() == ""
    render.forget_errors_said()
    assert exit_status(2) == 1  # Click's help for a bare `tracker`, exit 2: nothing said yet, so this says it
    assert errors.getvalue() == "tracker: error: the output could not be written: No space left on device\n"
    errors = io.StringIO()
    monkeypatch.setattr("sys.stderr", errors)
    monkeypatch.setattr("sys.stdout", _Output(BrokenPipeError(errno.EPIPE, "Broken pipe")))
    errors = io.StringIO()
    monkeypatch.setattr("sys.stderr", errors)
    assert exit_status(0) == 1  # the reader went away: not said, but not a success either
    assert errors.getvalue() == ""
    monkeypatch.setattr("sys.stdout", _Output(KeyboardInterrupt()))  # Ctrl-C while the pipe is full
    assert exit_status(0) == 130
    assert errors.getvalue() == ""
    monkeypatch.setattr("sys.stdout", None)  # closed before the start, and nothing wrote to it
    assert exit_status(0) == 0


@pytest.mark.parametrize(
    ("typed", "meant"), [("LIST", "'list'?"), ("Update", "'update'?"), ("Report", "'report'?"), ("lsit", "'list'?")]
)
def test_a_command_in_other_capitals_or_misspelt_is_named(run: Run, db_path: Path, typed: str, meant: str) -> None:
    before = db_path.read_bytes()
    result = run(typed)
    assert result.exit_code == 2
    assert f"No such command '{typed}'. Did you mean {meant}" in result.stderr
    assert result.stderr.count("\n") == 1
    assert db_path.read_bytes() == before


def test_a_user_name_from_the_account_database_that_is_not_utf8_says_where_it_came_from(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No variable names the user: the name comes from the system's account database, which is then named."""
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "ab\udcff")
    env = {"TRACKER_USER": "", "LOGNAME": "", "USER": "", "LNAME": "", "USERNAME": ""}
    before = db_path.read_bytes()
    refused = run("update", "rcep", "--note", "Checked.", env=env)
    assert refused.exit_code == 2
    assert refused.stderr == (
        "tracker: error: your user name in the system's account database holds bytes that are not UTF-8; "
        "set TRACKER_USER to a name in UTF-8\n"
    )
    assert db_path.read_bytes() == before


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"TRACKER_USER": "ab\udcff"}, "TRACKER_USER holds bytes that are not UTF-8; set it to a name in UTF-8"),
        (
            {"TRACKER_USER": "", "LOGNAME": "ab\udcff"},
            "LOGNAME holds bytes that are not UTF-8; set TRACKER_USER to a name in UTF-8",
        ),
    ],
)
def test_a_user_name_that_is_not_utf8_is_named_as_the_problem(
    run: Run, db_path: Path, env: dict[str, str], said: str
) -> None:
    """Bytes that are not UTF-8 in the name an event is recorded by: the variable is the problem, not the data."""
    before = db_path.read_bytes()
    refused = run("update", "rcep", "--note", "Checked.", env=env)
    assert refused.exit_code == 2
    assert refused.stderr == f"tracker: error: {said}\n"
    assert db_path.read_bytes() == before


def test_an_error_about_a_name_of_a_hundred_thousand_characters_stays_a_short_line(run: Run, db_path: Path) -> None:
    """A hostile file's table named with 200,000 characters: the error says what is wrong and what would be valid,
    in one line of about a thousand characters, the middle left out and counted."""
    document = json.loads(db_path.read_text(encoding="utf-8"))
    document["A" * 200_000] = {}
    db_path.write_text(json.dumps(document), encoding="utf-8")
    before = db_path.read_bytes()
    refused = run("list")
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert len(refused.stderr) < 1100
    assert refused.stderr.startswith(f"tracker: error: {db_path} has table(s) this tracker does not keep: AAA")
    assert "characters left out] AAA" in refused.stderr
    assert refused.stderr.endswith("AAA (only 'commitments')\n")
    assert db_path.read_bytes() == before
