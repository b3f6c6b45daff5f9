"""Correcting what was entered: `edit` (options and $EDITOR), `history --edit/--delete`, repeated events and
titles, and the questions that stand before a destructive change."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, load, record, tracker_executable


def _events(db_path: Path, commitment_id: str) -> list[tuple[str, str, str]]:
    return [(e["date"], e["status"], e["note"]) for e in record(db_path, commitment_id)["history"]]


# --- edit --------------------------------------------------------------------------------------------------------


def test_edit_changes_each_field_and_keeps_the_history(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--status", "fulfilled", "--date", "2020-11-15", "--note", "Signed.").exit_code == 0
    history = record(db_path, "rcep-signing")["history"]
    result = run(
        "edit",
        "rcep",
        "--title",
        "Sign RCEP in 2020",
        "--summary",
        "Short.",
        "--quote",
        "Quoted.",
        "--no-due",
        "--amount",
        "5 USD/year",
        "--actor",
        "ROK",
        "--actor",
        "Japan",
        "--pillar",
        "Cross-Cutting",
        "--source-document",
        "Another document",
        "--paragraph",
        "7",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("edited rcep-signing: ")
    edited = record(db_path, "rcep-signing")
    assert (edited["title"], edited["summary"], edited["quote"], edited["due"]) == (
        "Sign RCEP in 2020",
        "Short.",
        "Quoted.",
        None,
    )
    assert edited["amount"] == {"value": 5, "currency": "USD", "per": "year"}
    assert edited["actors"] == ["ROK", "Japan"]
    assert edited["pillar"] == "cross-cutting"
    assert edited["source"]["document"] == "Another document"
    assert edited["source"]["paragraph"] == 7
    assert edited["history"] == history
    assert edited["status"] == "fulfilled"
    assert run("edit", "rcep", "--due", "2021-01-01", "--no-amount").exit_code == 0
    assert (record(db_path, "rcep-signing")["due"], record(db_path, "rcep-signing")["amount"]) == ("2021-01-01", None)


def test_a_wrong_source_date_says_how_to_fix_it_and_edit_moves_the_first_event(run: Run, db_path: Path) -> None:
    assert (
        run("add", "--kind", "pledge", "--title", "Hold a summit", "--actor", "ROK", "--pillar", "economic").exit_code
        == 0
    )
    refused = run("update", "hold-summit", "--note", "Held.", "--date", "2021-05-01")
    assert refused.exit_code == 1
    assert "'tracker edit hold-summit --source-date YYYY-MM-DD' corrects it" in refused.stderr
    assert run("edit", "hold-summit", "--source-date", "2021-03-01").exit_code == 0
    assert record(db_path, "hold-summit")["source"]["date"] == "2021-03-01"
    assert record(db_path, "hold-summit")["history"][0]["date"] == "2021-03-01"
    assert run("update", "hold-summit", "--note", "Held.", "--date", "2021-05-01").exit_code == 0
    original = db_path.read_bytes()
    late = run("edit", "hold-summit", "--source-date", "2021-06-01")  # after the event of 2021-05-01
    assert late.exit_code == 1
    assert late.stderr.count("\n") == 1  # one problem: one line
    assert late.stderr.startswith("tracker: error: 'hold-summit' was not changed: ")
    assert "before the commitment's source date" in late.stderr or "before its source date" in late.stderr
    assert db_path.read_bytes() == original


def test_edit_renames_an_id_but_never_to_a_taken_one(run: Run, db_path: Path) -> None:
    history = record(db_path, "rcep-signing")["history"]
    original = db_path.read_bytes()
    taken = run("edit", "rcep", "--id", "cooperation-fund")
    assert taken.exit_code == 1
    assert "a commitment with id 'cooperation-fund' already exists" in taken.stderr
    assert db_path.read_bytes() == original
    assert run("edit", "rcep", "--id", "rcep").exit_code == 0
    ids = [c["id"] for c in load(db_path)["commitments"]]
    assert "rcep" in ids
    assert "rcep-signing" not in ids
    assert record(db_path, "rcep")["history"] == history
    assert run("undo", "--yes").exit_code == 0
    assert db_path.read_bytes() == original


def test_renaming_a_commitment_that_replaced_another_says_which_was_edited_and_which_link_followed(
    run: Run, db_path: Path
) -> None:
    # The summary line once named the first commitment the write changed (the one whose link followed, in id
    # order), with the fields that differ between the two.
    assert run("update", "flagship", "--status", "superseded", "--by", "rcep-signing", "--note", "n").exit_code == 0
    renamed = run("edit", "rcep-signing", "--id", "zz-rcep")
    assert renamed.exit_code == 0, renamed.stderr
    line = "edited zz-rcep: id changed; flagship-projects-2020 now names zz-rcep as its successor\n"
    assert renamed.stdout == line
    assert record(db_path, "flagship-projects-2020")["history"][-1]["by"] == "zz-rcep"


def test_renaming_follows_an_earlier_supersession_too_so_no_event_keeps_the_old_id(run: Run, db_path: Path) -> None:
    # flagship is superseded by rcep-signing, then (later) by cooperation-fund: its first supersession names
    # rcep-signing still, and a commitment later added under the old id must not become its successor.
    for by, day in (("rcep-signing", "2021-01-05"), ("cooperation-fund", "2021-02-05")):
        done = run("update", "flagship", "--status", "superseded", "--by", by, "--date", day, "--note", "n")
        assert done.exit_code == 0, done.stderr
    renamed = run("edit", "rcep-signing", "--id", "zz-rcep")
    assert renamed.stdout == "edited zz-rcep: id changed; flagship-projects-2020 now names zz-rcep as its successor\n"
    named = [event["by"] for event in record(db_path, "flagship-projects-2020")["history"] if event["by"]]
    assert named == ["zz-rcep", "cooperation-fund"]
    assert run("undo", "--yes").exit_code == 0
    named = [event["by"] for event in record(db_path, "flagship-projects-2020")["history"] if event["by"]]
    assert named == ["rcep-signing", "cooperation-fund"]


def test_removing_a_commitment_that_replaced_another_says_the_link_now_names_none(run: Run, db_path: Path) -> None:
    assert run("update", "flagship", "--status", "superseded", "--by", "rcep-signing", "--note", "n").exit_code == 0
    removed = run("remove", "rcep-signing", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert removed.stdout.startswith("removed rcep-signing: ")
    notice = "flagship-projects-2020 still names rcep-signing as its successor, which no commitment is now"
    assert removed.stderr == f"tracker: {notice}\n"
    assert run("remove", "cooperation-fund", "--yes").stderr == ""  # none replaced: nothing to say


def _supersede(run: Run, commitment: str, by: str, day: str) -> Any:
    return run("update", commitment, "--status", "superseded", "--by", by, "--date", day, "--note", "n")


def test_successors_that_would_lead_back_to_the_commitment_are_refused(run: Run, db_path: Path) -> None:
    assert _supersede(run, "flagship", "rcep-signing", "2021-01-05").exit_code == 0
    assert _supersede(run, "rcep-signing", "cooperation-fund", "2021-01-06").exit_code == 0
    original = db_path.read_bytes()
    for name, by in (("rcep-signing", "flagship"), ("cooperation-fund", "flagship")):
        refused = _supersede(run, name, by, "2021-01-07")
        assert refused.exit_code == 1
        chain = f"{name} -> flagship-projects-2020 -> rcep-signing" + (
            " -> cooperation-fund" if name != "rcep-signing" else ""
        )
        assert refused.stderr == (
            f"tracker: error: the successors of '{name}' would lead back to it ({chain}); a commitment cannot in the "
            "end replace itself\n"
        )
        assert db_path.read_bytes() == original
    assert _supersede(run, "cooperation-fund", "plan-of-action", "2021-01-07").exit_code == 0  # no loop: recorded


def test_a_corrected_history_whose_latest_supersession_would_lead_back_is_refused(run: Run, db_path: Path) -> None:
    # flagship: superseded by rcep-signing, then by cooperation-fund; rcep-signing is then superseded by flagship,
    # which is no loop while flagship's latest successor is cooperation-fund. Deleting that event, or moving it
    # before the first, would make rcep-signing its successor again, and each the other's.
    assert _supersede(run, "flagship", "rcep-signing", "2021-01-05").exit_code == 0
    assert _supersede(run, "flagship", "cooperation-fund", "2021-02-05").exit_code == 0
    assert _supersede(run, "rcep-signing", "flagship", "2021-03-05").exit_code == 0
    original = db_path.read_bytes()
    for correction in (["--delete", "3", "--yes"], ["--edit", "3", "--date", "2021-01-04"]):
        refused = run("history", "flagship", *correction)
        assert refused.exit_code == 1, refused.stderr
        assert "would lead back to it" in refused.stderr
        assert db_path.read_bytes() == original
    assert run("history", "flagship", "--edit", "3", "--note", "Replaced.").exit_code == 0  # the same successor


def test_a_rename_to_an_id_that_a_successor_names_may_not_close_a_loop(run: Run, db_path: Path) -> None:
    # rcep-signing still names cooperation-fund, removed; digital is replaced by rcep-signing: renamed
    # cooperation-fund, it would be replaced by the commitment it replaces.
    assert _supersede(run, "rcep-signing", "cooperation-fund", "2021-01-05").exit_code == 0
    assert run("remove", "cooperation-fund", "--yes").exit_code == 0
    assert _supersede(run, "digital", "rcep-signing", "2021-01-06").exit_code == 0
    original = db_path.read_bytes()
    renamed = run("edit", "digital", "--id", "cooperation-fund")
    assert renamed.exit_code == 1
    assert renamed.stderr == (
        "tracker: error: the successors of 'cooperation-fund' would lead back to it (cooperation-fund -> "
        "rcep-signing -> cooperation-fund); a commitment cannot in the end replace itself\n"
    )
    assert db_path.read_bytes() == original
    assert run("edit", "digital", "--id", "digital-2").exit_code == 0  # any other id


def test_only_a_commitment_superseded_now_has_a_successor_to_follow(run: Run, db_path: Path) -> None:
    # rcep-signing was replaced by wto, then taken up again: wto may now be replaced by it.
    assert _supersede(run, "rcep-signing", "wto-candidate-support", "2021-01-05").exit_code == 0
    assert run("update", "rcep", "--status", "in-progress", "--date", "2021-02-01").exit_code == 0
    done = _supersede(run, "wto", "rcep-signing", "2021-03-01")
    assert done.exit_code == 0, done.stderr


def _import_a_loop(run: Run, tmp_path: Path) -> None:
    """An import is not checked for loops: a colleague's file in which rcep-signing and wto replace each other."""
    document = json.loads(run("export").stdout)
    successors = {"rcep-signing": "wto-candidate-support", "wto-candidate-support": "rcep-signing"}
    for commitment in document["commitments"].values():
        if commitment["id"] in successors:
            first = commitment["history"][0]
            replaced = {**first, "date": "2021-01-05", "status": "superseded", "by": successors[commitment["id"]]}
            commitment["history"].append(replaced)
            commitment["status"] = "superseded"
    colleague = tmp_path / "colleague.json"
    colleague.write_text(json.dumps(document), encoding="utf-8")
    assert run("import", str(colleague)).exit_code == 0


def test_a_loop_made_otherwise_stops_no_change_that_leaves_it_as_it_is(run: Run, db_path: Path, tmp_path: Path) -> None:
    _import_a_loop(run, tmp_path)
    for change in (
        ["update", "rcep", "--note", "Still replaced.", "--date", "2021-01-05"],  # its successor carried to it
        ["history", "rcep", "--edit", "2", "--note", "Replaced by the WTO support."],
        ["edit", "rcep", "--title", "Sign RCEP"],
    ):
        done = run(*change)
        assert done.exit_code == 0, done.stderr
    named = [event["by"] for event in record(db_path, "rcep-signing")["history"]]
    assert named == [None, "wto-candidate-support", "wto-candidate-support"]
    taken_up = run("update", "rcep", "--status", "in-progress", "--date", "2021-01-06", "--note", "Taken up again.")
    assert taken_up.exit_code == 0  # which ends the loop
    assert _supersede(run, "rcep-signing", "wto", "2021-01-07").exit_code == 1  # and it cannot be made again


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--title", "x" * 81], 2, "at most 80"),
        (["--title", "   "], 2, "Invalid value for '--title' / '-t': the title shows nothing"),
        (["--due", "2020-01-01"], 1, "the due date 2020-01-01 is before the source date 2020-09-09"),
        (["--due", "2021-13-01"], 2, "not a real calendar date"),
        (["--due", "2021-01-01", "--no-due"], 2, "do not go together"),
        (["--actor", "ROK", "--actor", "rok"], 1, "an actor is listed twice"),
        (["--actor", "ROK", "--actor", " "], 2, "Invalid value for '--actor' / '-a': an actor's name shows nothing"),
        (["--pillar", "military"], 2, "military"),
        (["--paragraph", "0"], 2, "paragraphs are numbered from 1"),
        (["--paragraph", "9" * 4400], 2, "'--paragraph': a paragraph number of 4,400 digits is more than this"),
        (["--paragraph", "²"], 2, "'--paragraph': '²' is not a paragraph number; give a whole number from 1, e.g. 5"),
        (["--id", "Not An Id"], 2, "is not an id"),
        (["--source-date", "2999-01-01"], 1, "in the future"),
        (["--amount", "lots"], 2, "Invalid value for '--amount': 'lots' is not an amount"),
        (["--weight", "1000001"], 2, "1000001 is not a weight"),
        (["--weight", "1e-400"], 2, "'--weight': 1e-400 is too small to be kept (it would be 0); give a positive"),
        (["--weight", "0e5"], 2, "'--weight': 0e5 is not a weight; give a positive number up to 1,000,000"),
        (["--weight", "\u0661e-400"], 2, "'--weight': \u0661e-400 is too small to be kept"),  # Arabic-Indic 1
        (["--weight", "-1e-400"], 2, "'--weight': -1e-400 is not a weight"),
        (["--weight", "9" * 5000], 2, "'--weight': 99999999999999999999... (5,000 characters) is not a weight"),
        (["--weight", "two"], 2, "'--weight': 'two' is not a number; give a positive number"),
        ([], 2, "nothing to change"),
    ],
)
def test_edit_refuses_what_add_refuses_and_changes_nothing(
    run: Run, db_path: Path, args: list[str], code: int, words: str
) -> None:
    original = db_path.read_bytes()
    result = run("edit", "rcep", *args)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert all(line.startswith("tracker: error: ") for line in result.stderr.splitlines())
    assert db_path.read_bytes() == original


EDITOR = """
import json, sys
path = sys.argv[1]
record = json.load(open(path, encoding="utf-8"))
{change}
json.dump(record, open(path, "w", encoding="utf-8"), indent=2)
"""


def _on_a_terminal(args: list[str], env: dict[str, str], answer: bytes = b"") -> tuple[int, str]:
    """Run the installed command with a pseudo-terminal as stdin and stdout; type `answer`; return what it showed."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [tracker_executable(), *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, "TERM": "dumb", "PAGER": "cat", **env},
    )
    os.close(terminal)
    if answer:
        os.write(controller, answer)
    output = b""
    while select.select([controller], [], [], 30)[0]:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    return process.wait(timeout=30), output.decode("utf-8", "replace").replace("\r\n", "\n")


def _editor(tmp_path: Path, change: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(change=change), encoding="utf-8")
    return f"{sys.executable} {script}"


@pytest.mark.slow
def test_ctrl_c_while_the_editor_runs_is_the_editors_and_the_edit_goes_on(db_path: Path, tmp_path: Path) -> None:
    """As with git: an editor such as vim takes Ctrl-C for itself; the tracker, which the terminal sends it too,
    must neither stop nor kill the editor and lose what is being edited."""
    editor = _editor(
        tmp_path,
        "import os, signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "os.kill(os.getppid(), signal.SIGINT); time.sleep(0.5); record['title'] = 'Edited after a Ctrl-C'",
    )
    code, screen = _on_a_terminal(["edit", "rcep"], {"TRACKER_DB": str(db_path), "EDITOR": editor, "VISUAL": ""})
    assert code == 0, screen
    assert record(db_path, "rcep-signing")["title"] == "Edited after a Ctrl-C"


@pytest.mark.slow
@pytest.mark.parametrize("ending", ["SIGTERM", "SIGHUP"])
def test_a_signal_while_the_editor_runs_leaves_no_copy_behind_and_ends_by_it(
    db_path: Path, tmp_path: Path, ending: str
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        f"import os, signal, time\nos.kill(os.getppid(), signal.{ending})\ntime.sleep(20)\n", encoding="utf-8"
    )
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    before = db_path.read_bytes()
    env = {"TRACKER_DB": str(db_path), "EDITOR": f"{sys.executable} {script}", "VISUAL": "", "TMPDIR": str(temporary)}
    code, _ = _on_a_terminal(["edit", "rcep"], env)
    assert code == -getattr(signal, ending)
    assert list(temporary.iterdir()) == []
    assert db_path.read_bytes() == before


@pytest.mark.slow
def test_edit_without_options_opens_the_editor_and_checks_what_is_saved(db_path: Path, tmp_path: Path) -> None:
    editor = _editor(tmp_path, 'record["title"] = "Edited in the editor"; record["summary"] = "Fixed."')
    code, screen = _on_a_terminal(["edit", "rcep"], {"TRACKER_DB": str(db_path), "EDITOR": editor, "VISUAL": ""})
    assert code == 0, screen
    assert "edited rcep-signing: " in screen
    edited = record(db_path, "rcep-signing")
    assert edited["title"] == "Edited in the editor"
    assert edited["summary"] == "Fixed."


@pytest.mark.slow
def test_an_editor_save_that_does_not_hold_up_lists_every_problem_and_writes_nothing(
    db_path: Path, tmp_path: Path
) -> None:
    original = db_path.read_bytes()
    change = 'record["title"] = "x" * 90; record["pillar"] = "military"; record["source"]["date"] = "2999-01-01"'
    editor = _editor(tmp_path, change)
    code, screen = _on_a_terminal(["edit", "rcep"], {"TRACKER_DB": str(db_path), "EDITOR": editor, "VISUAL": ""})
    assert code == 1
    problems = [line for line in screen.splitlines() if line.startswith("tracker: error: ")]
    assert any("title must be 1 to 80 characters" in line for line in problems), screen
    assert any("pillar 'military'" in line for line in problems), screen
    assert any("2999-01-01 is in the future" in line for line in problems), screen
    assert re.fullmatch(r"tracker: error: 'rcep-signing' was not changed: \d+ problems", problems[-1])
    assert db_path.read_bytes() == original


# --- history --------------------------------------------------------------------------------------------------


def _three_events(run: Run) -> None:
    for args in (
        ["--status", "in-progress", "--date", "2020-10-01", "--note", "Talks."],
        ["--status", "fulfilled", "--date", "2020-11-15", "--note", "Signed."],
    ):
        assert run("update", "rcep", *args).exit_code == 0


def test_history_numbers_events_by_date_and_recording_order(run: Run, db_path: Path) -> None:
    _three_events(run)
    assert run("update", "rcep", "--note", "Backdated.", "--date", "2020-09-30").exit_code == 0
    listed = json.loads(run("history", "rcep", "--format", "json").stdout)
    assert [(e["number"], e["date"], e["note"][:10]) for e in listed] == [
        (1, "2020-09-09", "Recorded f"),
        (2, "2020-09-30", "Backdated."),
        (3, "2020-10-01", "Talks."),
        (4, "2020-11-15", "Signed."),
    ]
    plain = run("history", "rcep").stdout.splitlines()
    assert plain[0] == "rcep-signing"
    assert any(line.split()[:3] == ["2", "2020-09-30", "pending"] for line in plain)


def test_history_edit_fixes_a_mistyped_date_and_the_status_follows(run: Run, db_path: Path) -> None:
    _three_events(run)
    assert record(db_path, "rcep-signing")["status"] == "fulfilled"
    moved = run("history", "rcep", "--edit", "3", "--date", "2020-09-20")  # signed before the talks: now earlier
    assert moved.exit_code == 0, moved.stderr
    assert moved.stdout == "rcep-signing: corrected event 3; in-progress (was fulfilled); 3 events\n"
    assert record(db_path, "rcep-signing")["status"] == "in-progress"
    assert run("history", "rcep", "--edit", "2", "--status", "broken", "--note", "Walked out.").exit_code == 0
    assert ("2020-09-20", "broken", "Walked out.") in _events(db_path, "rcep-signing")
    assert run("undo", "--yes").exit_code == 0
    assert run("undo", "--yes").exit_code == 0
    assert record(db_path, "rcep-signing")["status"] == "fulfilled"


def test_history_delete_removes_one_event_but_never_the_statement(run: Run, db_path: Path) -> None:
    _three_events(run)
    unconfirmed = run("history", "rcep", "--delete", "3")
    assert unconfirmed.exit_code == 2
    deleted = run("history", "rcep", "--delete", "3", "--yes")
    assert deleted.exit_code == 0, deleted.stderr
    assert [e[2] for e in _events(db_path, "rcep-signing")][1:] == ["Talks."]
    assert record(db_path, "rcep-signing")["status"] == "in-progress"
    original = db_path.read_bytes()
    first = run("history", "rcep", "--delete", "1", "--yes")
    assert first.exit_code == 1
    assert "is the statement itself and cannot be deleted" in first.stderr
    moved = run("history", "rcep", "--edit", "1", "--date", "2020-09-10")
    assert moved.exit_code == 1
    assert "--source-date" in moved.stderr
    assert db_path.read_bytes() == original
    assert run("undo", "--yes").exit_code == 0
    assert record(db_path, "rcep-signing")["status"] == "fulfilled"


@pytest.mark.parametrize(("number", "words"), [("1", "is the statement itself"), ("9", "has no event 9")])
def test_a_deletion_that_cannot_be_done_is_refused_before_anyone_is_asked(
    run: Run, db_path: Path, number: str, words: str
) -> None:
    _three_events(run)
    original = db_path.read_bytes()
    refused = run("history", "rcep", "--delete", number, input="y\n")  # no --yes, and an answer waiting
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert words in refused.stderr
    assert "confirm" not in refused.stderr + refused.stdout
    assert db_path.read_bytes() == original


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--edit", "9", "--note", "x"], 1, "has no event 9; its events are numbered 1 to 3"),
        (["--edit", "2"], 2, "nothing to change"),
        (["--note", "x"], 2, "go with --edit N"),
        (["--edit", "2", "--delete", "3"], 2, "do not go together"),
        (["--edit", "2", "--date", "2999-01-01"], 1, "in the future"),
        (["--edit", "2", "--date", "2020-01-01"], 1, "before"),
        (["--edit", "2", "--evidence", " "], 2, "evidence must not be blank"),
        (["--delete", "0", "--yes"], 1, "has no event 0"),
    ],
)
def test_history_refuses_bad_corrections_and_changes_nothing(
    run: Run, db_path: Path, args: list[str], code: int, words: str
) -> None:
    _three_events(run)
    original = db_path.read_bytes()
    result = run("history", "rcep", *args)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert db_path.read_bytes() == original


# --- repeats --------------------------------------------------------------------------------------------------


def test_an_exactly_repeated_event_is_refused_unless_forced(run: Run, db_path: Path) -> None:
    args = ["update", "rcep", "--status", "fulfilled", "--date", "2020-11-15", "--evidence", "https://x"]
    assert run(*args).exit_code == 0
    original = db_path.read_bytes()
    again = run(*args)
    assert again.exit_code == 1
    assert "already has this event (2020-11-15, fulfilled, the same note and evidence); --force" in again.stderr
    assert db_path.read_bytes() == original
    assert run(*args, "--note", "another note").exit_code == 0
    assert run(*args, "--force").exit_code == 0
    assert len(record(db_path, "rcep-signing")["history"]) == 4


def test_add_warns_of_a_repeated_title_or_quote_and_adds_all_the_same(run: Run, db_path: Path) -> None:
    quote = record(db_path, "cooperation-fund")["quote"]
    same_title = run(
        "add",
        "--kind",
        "pledge",
        "--title",
        "SIGN the Regional Comprehensive Economic Partnership (RCEP)  in 2020",
        "--actor",
        "ROK",
        "--pillar",
        "economic",
        "--id",
        "rcep-again",
    )
    assert same_title.exit_code == 0
    assert same_title.stderr == (
        "tracker: warning: 'rcep-signing' has the same title; adding it all the same ('tracker remove ID' if it is "
        "one)\n"
    )
    same_quote = run(
        "add",
        "--kind",
        "pledge",
        "--title",
        "Another",
        "--quote",
        " ".join(quote.split()).upper(),
        "--actor",
        "ROK",
        "--pillar",
        "economic",
    )
    assert same_quote.exit_code == 0
    assert "'cooperation-fund' has the same quote" in same_quote.stderr
    different = run("add", "--kind", "pledge", "--title", "Something new", "--actor", "ROK", "--pillar", "economic")
    assert different.stderr == ""


# --- questions before a destructive change -----------------------------------------------------------------------


@pytest.mark.slow
def test_an_answer_that_is_neither_yes_nor_no_is_asked_again_in_words(db_path: Path) -> None:
    original = db_path.read_bytes()
    code, screen = _on_a_terminal(["remove", "rcep"], {"TRACKER_DB": str(db_path)}, b"maybe\n\x1b[31m\nn\n")
    assert code == 1
    assert "'maybe' is not an answer: type y (yes) or n (no)" in screen
    assert "'\\x1b[31m' is not an answer" in screen
    assert screen.count("and its history? [y/N]") == 3
    assert "Error: invalid input" not in screen
    assert screen.endswith("tracker: error: aborted; nothing was changed\n")
    assert db_path.read_bytes() == original


@pytest.mark.slow
def test_import_replace_says_what_it_removes_and_a_no_changes_nothing(run: Run, db_path: Path, tmp_path: Path) -> None:
    exported = tmp_path / "one.json"
    assert run("export", "--search", "marine debris", "--output", str(exported)).exit_code == 0
    original = db_path.read_bytes()
    code, screen = _on_a_terminal(["import", str(exported), "--replace"], {"TRACKER_DB": str(db_path)}, b"n\n")
    assert code == 1
    assert f"Replace the database with the 1 commitments of {exported}? This removes 17 commitment(s)" in " ".join(
        screen.split()
    )
    assert "aborted; nothing was changed" in screen
    assert db_path.read_bytes() == original
    code, screen = _on_a_terminal(["import", str(exported), "--replace"], {"TRACKER_DB": str(db_path)}, b"y\n")
    assert code == 0, screen
    assert [c["id"] for c in load(db_path)["commitments"]] == ["marine-debris-capacity"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "words"),
    [
        ('record["status"] = "fulfilled"', "the status is its latest event's"),
        ('record["history"][0]["recorded_by"] = "mallory"', "the history is not edited here"),
        ('record["history"].append(dict(record["history"][0], date="2020-12-01"))', "the history is not edited here"),
    ],
)
def test_the_editor_changes_the_commitments_fields_never_its_history_or_status(
    db_path: Path, tmp_path: Path, change: str, words: str
) -> None:
    original = db_path.read_bytes()
    editor = _editor(tmp_path, change)
    code, screen = _on_a_terminal(["edit", "rcep"], {"TRACKER_DB": str(db_path), "EDITOR": editor, "VISUAL": ""})
    assert code == 1
    assert words in screen
    assert db_path.read_bytes() == original


@pytest.mark.slow
def test_a_source_date_changed_in_the_editor_moves_the_first_event(db_path: Path, tmp_path: Path) -> None:
    editor = _editor(tmp_path, 'record["source"]["date"] = "2020-09-08"')
    code, screen = _on_a_terminal(["edit", "rcep"], {"TRACKER_DB": str(db_path), "EDITOR": editor, "VISUAL": ""})
    assert code == 0, screen
    assert record(db_path, "rcep-signing")["history"][0]["date"] == "2020-09-08"


def test_a_rename_inside_a_loop_made_otherwise_keeps_the_loop_as_it_was_and_is_allowed(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    _import_a_loop(run, tmp_path)
    renamed = run("edit", "rcep-signing", "--id", "rcep-2020")
    assert renamed.exit_code == 0, renamed.stderr
    assert record(db_path, "wto-candidate-support")["history"][-1]["by"] == "rcep-2020"  # the loop, renamed


def test_a_status_restated_or_corrected_keeps_or_drops_the_successor_as_it_says(run: Run, db_path: Path) -> None:
    assert _supersede(run, "rcep-signing", "wto-candidate-support", "2021-01-05").exit_code == 0
    again = run("update", "rcep", "--status", "superseded", "--note", "Still.", "--date", "2021-02-01")
    assert again.exit_code == 0
    assert record(db_path, "rcep-signing")["history"][-1]["by"] == "wto-candidate-support"  # restated: kept
    assert run("update", "rcep", "--note", "A note.", "--date", "2021-03-01").exit_code == 0
    corrected = run("history", "rcep", "--edit", "4", "--status", "partial")  # the note's event: no successor now
    assert corrected.exit_code == 0, corrected.stderr
    assert [e["by"] for e in record(db_path, "rcep-signing")["history"]] == [
        None,
        "wto-candidate-support",
        "wto-candidate-support",
        None,
    ]
