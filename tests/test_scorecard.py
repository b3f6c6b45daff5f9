"""Assessing as the G7 Research Group does: per-actor scores, the scorecard and its means (checked against figures
computed by hand), reports that can be reproduced as they were issued, lapsed and superseded commitments."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from tests.conftest import Run, load, record

# A small database whose figures are worked out by hand below.
#   commitment   weight  actors           events (date: status, actors it assesses)
#   alpha        1       ROK, ASEAN       2021-03-01 fulfilled (all)
#   beta         2       ROK, ASEAN       2021-03-01 broken (ROK); 2021-04-01 partial (ASEAN)
#   gamma        1       ROK, Japan       2021-03-01 stalled (Japan); ROK never assessed
#   delta        1       ASEAN            2021-03-01 lapsed
RECORDED = "2021-05-01T00:00:00Z"


def _event(day: str, status: str, actors: list[str] | None = None, note: str = "") -> dict[str, Any]:
    return {
        "date": day,
        "status": status,
        "note": note,
        "evidence": [],
        "recorded_at": RECORDED,
        "recorded_by": "analyst",
        "actors": actors,
        "by": None,
    }


def _commitment(cid: str, actors: list[str], events: list[dict[str, Any]], weight: float = 1) -> dict[str, Any]:
    history = [_event("2021-01-15", "pending"), *events]
    latest = max(enumerate(history), key=lambda pair: (pair[1]["date"], pair[0]))[1]
    return {
        "id": cid,
        "title": f"The {cid} commitment",
        "summary": "",
        "quote": "",
        "source": {"document": "Test statement", "date": "2021-01-15", "paragraph": 1, "file": None},
        "actors": actors,
        "pillar": "economic",
        "due": None,
        "amount": None,
        "status": latest["status"],
        "history": history,
        "kind": "pledge",
        "weight": weight,
    }


@pytest.fixture
def small(run: Run, db_path: Path, tmp_path: Path) -> Path:
    commitments = [
        _commitment("alpha", ["ROK", "ASEAN"], [_event("2021-03-01", "fulfilled")]),
        _commitment(
            "beta",
            ["ROK", "ASEAN"],
            [_event("2021-03-01", "broken", ["ROK"]), _event("2021-04-01", "partial", ["ASEAN"])],
            weight=2,
        ),
        _commitment("gamma", ["ROK", "Japan"], [_event("2021-03-01", "stalled", ["Japan"])]),
        _commitment("delta", ["ASEAN"], [_event("2021-03-01", "lapsed")]),
    ]
    source = tmp_path / "small.json"
    source.write_text(json.dumps(commitments), encoding="utf-8")
    assert run("init", "--empty", "--force").exit_code == 0
    assert run("import", str(source)).exit_code == 0
    return db_path


def _card(run: Run, *args: str) -> dict[str, Any]:
    result = run("scorecard", "--as-of", "2021-12-31", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    card: dict[str, Any] = json.loads(result.stdout)
    return card


def test_a_joint_commitment_is_scored_for_each_actor_apart(run: Run, small: Path) -> None:
    listed = {row.split("\t")[0]: row.split("\t")[-1] for row in run("list").stdout.splitlines()[1:]}
    assert listed["beta"] == "ROK broken, ASEAN partial"
    assert listed["alpha"] == "fulfilled"
    assert listed["gamma"] == "ROK pending, Japan stalled"  # the statement itself, which assesses every actor
    assert [r.split("\t")[0] for r in run("list", "--status", "partial").stdout.splitlines()[1:]] == ["beta"]
    assert "ROK broken; ASEAN partial" in run("show", "beta").stdout
    report = json.loads(run("report", "--as-of", "2021-12-31", "--format", "json").stdout)
    # ROK: alpha +1, beta -1 (gamma unassessed) -> 0, 50 %; ASEAN: alpha +1, beta 0 (delta lapsed) -> 0.5, 75 %
    assert report["by_actor"]["ROK"]["score"] == {"mean": 0.0, "percent": 50.0, "assessed": 2}
    assert report["by_actor"]["ASEAN"]["score"] == {"mean": 0.5, "percent": 75.0, "assessed": 2}
    assert report["by_actor"]["Japan"]["score"] == {"mean": -1.0, "percent": 0.0, "assessed": 1}
    beta = next(item for item in report["commitments"] if item["id"] == "beta")
    assert beta["actors"] == {"ROK": {"status": "broken", "score": -1}, "ASEAN": {"status": "partial", "score": 0}}
    assert beta["score"] == -0.5
    assert beta["assessed_on"] == "2021-04-01"


def test_the_scorecard_means_match_figures_computed_by_hand(run: Run, small: Path) -> None:
    card = _card(run)
    assert card["actors"] == ["ASEAN", "Japan", "ROK"]
    cells = {row["id"]: {a: (c or {}).get("score", "-") for a, c in row["cells"].items()} for row in card["rows"]}
    assert cells["alpha"] == {"ASEAN": 1, "Japan": "-", "ROK": 1}
    assert cells["beta"] == {"ASEAN": 0, "Japan": "-", "ROK": -1}
    assert cells["gamma"] == {"ASEAN": "-", "Japan": -1, "ROK": None}  # ROK party but unassessed
    assert cells["delta"] == {"ASEAN": None, "Japan": "-", "ROK": "-"}  # lapsed: not scored
    # Rows: alpha (1 + 1) / 2 = 1; beta (0 - 1) / 2 = -0.5; gamma -1 (ROK left out); delta none.
    means = {row["id"]: row["mean"] for row in card["rows"]}
    assert means == {"alpha": 1.0, "beta": -0.5, "gamma": -1.0, "delta": None}
    # Columns: ASEAN (1 + 0) / 2 = 0.5; Japan -1; ROK (1 - 1) / 2 = 0.
    assert {a: c["mean"] for a, c in card["columns"].items()} == {"ASEAN": 0.5, "Japan": -1.0, "ROK": 0.0}
    assert {a: c["percent"] for a, c in card["columns"].items()} == {"ASEAN": 75.0, "Japan": 0.0, "ROK": 50.0}
    # Overall: the mean of the row means, (1 - 0.5 - 1) / 3 = -0.1667; (mean + 1) / 2 x 100 = 41.7 %.
    assert card["overall"] == {"mean": -0.1667, "percent": 41.7, "assessed": 3}


def test_the_percent_conventions_weights_and_unassessed_cells(run: Run, small: Path) -> None:
    # mean x 100
    assert _card(run, "--percent", "mean")["overall"] == {"mean": -0.1667, "percent": -16.7, "assessed": 3}
    # Weighted (beta counts twice): (1 x 1 - 0.5 x 2 - 1 x 1) / 4 = -0.25 -> 37.5 %
    weighted = _card(run, "--weighted")
    assert weighted["overall"] == {"mean": -0.25, "percent": 37.5, "assessed": 3}
    # ASEAN weighted: (1 x 1 + 0 x 2) / 3 = 0.3333; ROK: (1 x 1 - 1 x 2) / 3 = -0.3333
    assert weighted["columns"]["ASEAN"]["mean"] == 0.3333
    assert weighted["columns"]["ROK"]["mean"] == -0.3333
    # Unassessed as -1: gamma (ROK -1, Japan -1) = -1; ROK column (1 - 1 - 1) / 3 = -0.3333
    harsh = _card(run, "--unassessed", "minus-one")
    assert {row["id"]: row["mean"] for row in harsh["rows"]}["gamma"] == -1.0
    assert harsh["columns"]["ROK"]["mean"] == -0.3333
    # Unassessed as 0: gamma (0 - 1) / 2 = -0.5; ROK (1 - 1 + 0) / 3 = 0
    mild = _card(run, "--unassessed", "zero")
    assert {row["id"]: row["mean"] for row in mild["rows"]}["gamma"] == -0.5
    assert mild["columns"]["ROK"]["mean"] == 0.0
    assert mild["overall"] == {"mean": round((1 - 0.5 - 0.5) / 3, 4), "percent": 50.0, "assessed": 3}


def test_the_scorecard_selects_actors_and_kinds_and_writes_every_format(run: Run, small: Path) -> None:
    only = _card(run, "--actor", "rok", "--actor", "Japan")
    assert only["actors"] == ["ROK", "Japan"]
    assert [row["id"] for row in only["rows"]] == ["alpha", "beta", "gamma"]
    assert _card(run, "--kind", "request")["rows"] == []
    rows = list(csv.reader(io.StringIO(run("scorecard", "--as-of", "2021-12-31", "--format", "csv").stdout)))
    assert rows[0] == ["id", "title", "ASEAN", "Japan", "ROK", "mean", "percent"]
    assert rows[1] == ["alpha", "The alpha commitment", "+1", "", "+1", "+1.00", "100.0%"]
    assert rows[-2] == ["mean", "", "+0.50", "-1.00", "+0.00", "-0.17", ""]
    markdown = run("scorecard", "--as-of", "2021-12-31", "--format", "markdown").stdout
    assert "| beta | The beta commitment | 0 |  | -1 | -0.50 | 25.0% |" in markdown
    assert "| delta | The delta commitment | lap |  |  | - | - |" in markdown


@pytest.mark.parametrize("columns", [80, 60])
def test_the_scorecard_table_fits_the_terminal_and_never_splits_an_id(run: Run, small: Path, columns: int) -> None:
    for number in range(6):
        args = ["--title", f"Pledge {number}", "--actor", f"Member State Number {number}", "--pillar", "economic"]
        assert run("add", "--kind", "pledge", *args, "--source-date", "2021-01-15").exit_code == 0
    screen = run("scorecard", "--as-of", "2021-12-31", env={"TTY_COMPATIBLE": "1", "COLUMNS": str(columns)}).stdout
    plain = [line.rstrip() for line in screen.replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()]
    assert max(len(line) for line in plain) <= columns
    for cid in ("alpha", "beta", "gamma", "delta", "pledge-0"):
        assert any(line.split() and line.split()[0] == cid for line in plain), cid
    assert any(line.startswith("Actors: MSN0 = Member State Number 0") for line in plain)


@pytest.mark.parametrize("columns", [40, 120])
def test_the_column_means_stand_under_their_actors_in_either_layout(run: Run, db_path: Path, columns: int) -> None:
    screen = run("scorecard", "--as-of", "2021-12-31", env={"TTY_COMPATIBLE": "1", "COLUMNS": str(columns)}).stdout
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip() for line in screen.splitlines()]
    top = next(number for number, line in enumerate(plain) if line.endswith(" mean      %"))
    header = plain[top]
    at = next(number for number, line in enumerate(plain) if number > top and line.split()[:1] == ["mean"])
    means = plain[at + 1] if plain[at] == "mean" else plain[at]  # stacked: the figures under the title
    assert header.split()[-4:-2] == ["ASEAN", "ROK"]
    columns_end = {match.end() for match in re.finditer(r"\S+", header)}
    figures = [match.end() for match in re.finditer(r"[+-][0-9]\.[0-9]{2}|(?<!\S)-(?!\S)", means)]
    assert len(figures) == 2, means  # one for each actor
    assert set(figures) <= columns_end, (header, means)


def test_known_on_reproduces_an_earlier_report_byte_for_byte(run: Run, small: Path) -> None:
    args = ["report", "--as-of", "2021-06-30", "--known-on", "2021-05-31"]
    before = {f: run(*args, "--format", f).stdout for f in ("json", "markdown", "text")}
    card_before = run("scorecard", "--as-of", "2021-06-30", "--known-on", "2021-05-31", "--format", "json").stdout
    # Later work, recorded today: one event dated after the report, one backdated into its period.
    assert run("update", "gamma", "--status", "fulfilled", "--actor", "ROK", "--date", "2021-05-15").exit_code == 0
    assert run("update", "alpha", "--status", "broken", "--date", "2021-09-01").exit_code == 0
    assert run("add", "--kind", "pledge", "--title", "Later", "--actor", "ROK", "--pillar", "economic",
               "--source-date", "2021-02-01").exit_code == 0  # fmt: skip
    after = {f: run(*args, "--format", f).stdout for f in ("json", "markdown", "text")}
    assert after == before
    assert run("scorecard", "--as-of", "2021-06-30", "--known-on", "2021-05-31", "--format", "json").stdout == (
        card_before
    )
    as_of_only = json.loads(run("report", "--as-of", "2021-06-30", "--format", "json").stdout)
    assert as_of_only["by_actor"]["ROK"] != json.loads(before["json"])["by_actor"]["ROK"]  # the backdated event
    assert "Only events recorded on or before 2021-05-31 are used" in before["markdown"]


def test_lapsed_and_superseded_are_left_out_of_scores_and_linked_both_ways(run: Run, small: Path) -> None:
    refused = run("update", "alpha", "--status", "superseded", "--by", "nowhere", "--date", "2021-06-01")
    assert refused.exit_code == 1
    assert "no commitment 'nowhere'" in refused.stderr
    result = run("update", "alpha", "--status", "superseded", "--by", "beta", "--date", "2021-06-01")
    assert result.exit_code == 0, result.stderr
    assert record(small, "alpha")["history"][-1]["by"] == "beta"
    assert re.search(r"^replaced by +beta$", run("show", "alpha").stdout, flags=re.MULTILINE)
    assert re.search(r"^replaces +alpha$", run("show", "beta").stdout, flags=re.MULTILINE)
    card = _card(run)
    assert next(row for row in card["rows"] if row["id"] == "alpha")["mean"] is None
    # Without alpha: beta -0.5, gamma -1 -> -0.75
    assert card["overall"] == {"mean": -0.75, "percent": 12.5, "assessed": 2}
    report = json.loads(run("report", "--as-of", "2021-12-31", "--format", "json").stdout)
    assert report["by_status"]["superseded"] == 1
    assert report["by_status"]["lapsed"] == 1
    assert not any(item["id"] in ("alpha", "delta") for item in report["overdue"])


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["update", "beta", "--status", "partial", "--actor", "Japan"], 2, "'Japan' is not an actor of 'beta'"),
        (["update", "beta", "--status", "superseded", "--by", "beta"], 2, "cannot supersede itself"),
        (["update", "beta", "--status", "fulfilled", "--by", "alpha"], 2, "--by names the successor"),
        (["update", "beta", "--status", "superseded", "--by", "nowhere"], 1, "no commitment 'nowhere'"),
        (
            ["add", "--title", "x", "--actor", "ROK", "--pillar", "economic"],
            2,
            "Missing option '--kind' / '-k'. Choose from: pledge, agreement",
        ),
        (["add", "--kind", "promise", "--title", "x", "--actor", "ROK", "--pillar", "economic"], 2, "promise"),
        (
            ["add", "--kind", "pledge", "--title", "x", "--actor", "ROK", "--pillar", "economic", "--weight", "0"],
            2,
            "positive number",
        ),
        (["edit", "beta", "--weight", "-1"], 2, "positive number"),
        (["edit", "beta", "--weight", "nan"], 2, "positive number"),
        (["edit", "beta", "--weight", "inf"], 2, "positive number"),
        (["report", "--known-on", "2999-01-01"], 2, "in the future"),
        (["scorecard", "--known-on", "2999-01-01"], 2, "in the future"),
        (["scorecard", "--kind", "promise"], 2, "promise"),
        (["scorecard", "--percent", "ratio"], 2, "ratio"),
        (["scorecard", "--unassessed", "maybe"], 2, "maybe"),
        (["scorecard", "--actor", "Mars"], 1, "no commitment has the actor 'Mars'"),
    ],
)
def test_bad_scoring_input_is_one_line_names_what_is_valid_and_changes_nothing(
    run: Run, small: Path, args: list[str], code: int, words: str
) -> None:
    original = small.read_bytes()
    result = run(*args)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert result.stderr.count("\n") == 1
    assert small.read_bytes() == original


def test_kind_and_weight_are_set_edited_and_filtered(run: Run, small: Path) -> None:
    added = run("add", "--kind", "Request", "--weight", "2.5", "--title", "Ask for support", "--actor", "ROK",
                "--pillar", "economic")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    made = record(small, "ask-support")
    assert (made["kind"], made["weight"]) == ("request", 2.5)
    assert made["history"][0]["recorded_by"]
    assert run("edit", "ask-support", "--kind", "aspiration", "--weight", "3").exit_code == 0
    assert (record(small, "ask-support")["kind"], record(small, "ask-support")["weight"]) == ("aspiration", 3)
    assert [r.split("\t")[0] for r in run("list", "--kind", "aspiration").stdout.splitlines()[1:]] == ["ask-support"]
    report = json.loads(run("report", "--kind", "pledge", "--format", "json").stdout)
    assert report["total"] == 4


def test_events_say_who_recorded_them(run: Run, small: Path) -> None:
    assert run("update", "alpha", "--note", "Checked.", env={"TRACKER_USER": "desk officer"}).exit_code == 0
    assert record(small, "alpha")["history"][-1]["recorded_by"] == "desk officer"
    assert "desk officer" in run("show", "alpha").stdout
    assert run("log", "--since", "2021-01-01").stdout.splitlines()[1].endswith("\tdesk officer")
    assert load(small)["commitments"]


# --- found by a hostile review ------------------------------------------------------------------------------------


def test_actor_names_that_differ_only_in_case_or_spacing_are_one_actor(run: Run, small: Path, tmp_path: Path) -> None:
    added = run("add", "--kind", "pledge", "--title", "Spaced", "--id", "spaced", "--actor", "ROK",
                "--actor", "  rok ", "--actor", "Viet  Nam", "--pillar", "economic")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert record(small, "spaced")["actors"] == ["ROK", "Viet Nam"]
    assert run("update", "spaced", "--status", "fulfilled", "--actor", " viet nam ").exit_code == 0
    assert record(small, "spaced")["history"][-1]["actors"] == ["Viet Nam"]
    twice = run("edit", "spaced", "--actor", "ROK", "--actor", "ROK ")
    assert twice.exit_code == 1
    assert "an actor is listed twice" in twice.stderr
    source = tmp_path / "twice.json"
    source.write_text(json.dumps([_commitment("twin", ["ROK", "rok "], [])]), encoding="utf-8")
    imported = run("import", str(source))
    assert imported.exit_code == 1
    assert "an actor is listed twice" in imported.stderr


def test_renaming_a_successor_keeps_the_superseded_link_both_ways(run: Run, small: Path) -> None:
    assert run("update", "alpha", "--status", "superseded", "--by", "beta", "--date", "2021-06-01").exit_code == 0
    assert run("edit", "beta", "--id", "beta-renewed").exit_code == 0
    assert record(small, "alpha")["history"][-1]["by"] == "beta-renewed"
    assert re.search(r"^replaced by +beta-renewed$", run("show", "alpha").stdout, flags=re.MULTILINE)
    assert re.search(r"^replaces +alpha$", run("show", "beta-renewed").stdout, flags=re.MULTILINE)
    assert run("undo", "--yes").exit_code == 0
    assert record(small, "alpha")["history"][-1]["by"] == "beta"


def test_actor_names_in_scorecard_headers_and_sources_in_the_method_are_made_safe(run: Run, small: Path) -> None:
    hostile = "A\x1b]0;PWN\x07|=HYPERLINK(1)\u202e"
    added = run("add", "--kind", "pledge", "--title", "T", "--id", "t", "--actor", hostile, "--actor", "-2+3",
                "--pillar", "economic", "--source-date", "2021-01-15",
                "--source-document", f"Doc {hostile}")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    for output in (
        run("scorecard", "--as-of", "2021-12-31", "--format", "markdown").stdout,
        run("scorecard", "--as-of", "2021-12-31", "--format", "csv").stdout,
        run("report", "--as-of", "2021-12-31", "--format", "markdown").stdout,
    ):
        assert "\x1b" not in output
        assert "\x07" not in output
        assert "\u202e" not in output
    header = run("scorecard", "--as-of", "2021-12-31", "--format", "markdown").stdout.splitlines()[2]
    assert "\\|" in header  # a pipe in a name does not split the table
    csv_header = next(csv.reader(io.StringIO(run("scorecard", "--as-of", "2021-12-31", "--format", "csv").stdout)))
    assert "'-2+3" in csv_header


def test_history_errors_name_events_as_history_numbers_them(run: Run, small: Path) -> None:
    # beta's events in the file: pending (1), broken (2), partial (3); history numbers them the same way by date.
    assert run("update", "beta", "--note", "later", "--date", "2021-02-01").exit_code == 0  # stored 4th, numbered 2
    result = run("history", "beta", "--edit", "2", "--date", "2020-12-01")
    assert result.exit_code == 1
    assert "event 2 date 2020-12-01 is before" in result.stderr


def test_a_register_that_is_a_plain_file_is_named_as_one(run: Run, small: Path) -> None:
    small.with_name(small.name + ".sources").write_text("hi", encoding="utf-8")
    result = run("sources")
    assert result.exit_code == 1
    assert "is a regular file, not a folder" in result.stderr


def test_an_id_too_long_says_how_long_an_id_may_be(run: Run, small: Path) -> None:
    result = run("add", "--kind", "pledge", "--title", "x", "--actor", "ROK", "--pillar", "economic", "--id", "a" * 61)
    assert result.exit_code == 2
    assert "at most 60 lower-case letters" in result.stderr


def test_an_actor_with_controls_or_wide_characters_is_shown_safely_and_in_line(run: Run, db_path: Path) -> None:
    for title, actor in (("Escaping actor", "\x1b[31mEvil\x1b[0m"), ("Wide actor", "東京")):
        added = run("add", "--kind", "pledge", "--title", title, "--actor", actor, "--pillar", "economic")
        assert added.exit_code == 0, added.stderr
        assert run("update", title.lower().replace(" ", "-"), "--status", "fulfilled").exit_code == 0
    for env in ({}, {"TTY_COMPATIBLE": "1", "COLUMNS": "120"}):
        screen = run("scorecard", env=env).stdout
        shown = screen.replace("\x1b[1m", "").replace("\x1b[0m", "")  # the bold of a terminal, nothing else
        assert "\x1b" not in shown.replace("\\x1b", ""), screen
        lines = shown.splitlines()
        header = next(line for line in lines if "東京" in line)  # the header (its legend comes last)
        at = next(number for number, line in enumerate(lines) if line.startswith("wide-actor"))
        row = lines[at] if "+1" in lines[at] else lines[at + 1]  # cells beside the id, or under it
        # The wide actor's code ends where its +1 does: columns line up by display width, not characters.
        assert cell_len(header[: header.index("東京") + 2]) == cell_len(row[: row.index("+1") + 2]), screen
