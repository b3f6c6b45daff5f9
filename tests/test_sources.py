"""From a statement to commitments: `tracker extract --add`, the register of source texts beside the data file,
`tracker sources`, `show --source` from the register, and the `--source` filters; all through the real CLI."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, bundled_commitments, load, record
from tests.test_briefing import rewrite
from tests.test_corrections import _on_a_terminal

STATEMENTS = Path(__file__).resolve().parent / "statements"
CHAIR = STATEMENTS / "chair-statement.txt"
BUNDLED_SOURCE = Path(__file__).resolve().parent.parent / "data" / "sources" / "asean-rok-fmm-2020-09-09.txt"
SOURCE_FILE = BUNDLED_SOURCE.name


def candidates(run: Run, path: Path, on: str) -> list[dict[str, Any]]:
    result = run("extract", str(path), "--date", on, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def register_of(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".sources")


def chair_name() -> str:
    digest = hashlib.sha256(CHAIR.read_bytes().decode("utf-8").encode("utf-8")).hexdigest()
    return f"2021-06-08-mekong-lancang-fmm-{digest[:8]}.txt"


def added_ids(db_path: Path, before: set[str]) -> list[str]:
    return sorted({c["id"] for c in load(db_path)["commitments"]} - before)


def ids(db_path: Path) -> set[str]:
    return {c["id"] for c in load(db_path)["commitments"]}


def assert_one_line_error(result: Any, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tracker: error: "), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Traceback" not in result.stderr


def add_chair(run: Run, *more: str, env: dict[str, str] | None = None) -> Any:
    return run(
        "extract", str(CHAIR), "--date", "2021-06-08", "--document", "Mekong-Lancang FMM", "--add", *more, env=env
    )


# --- --add --pick and --add --all --yes --------------------------------------------------------------------------


def test_add_pick_adds_the_chosen_candidates_as_pending_commitments_citing_the_register(
    run: Run, db_path: Path
) -> None:
    found = candidates(run, CHAIR, "2021-06-08")
    before = ids(db_path)
    result = add_chair(run, "--pick", "1,3")
    assert result.exit_code == 0, result.stderr
    new = added_ids(db_path, before)
    assert len(new) == 2
    by_quote = {record(db_path, cid)["quote"]: record(db_path, cid) for cid in new}
    for candidate in (found[0], found[2]):
        commitment = by_quote[candidate["quote"]]
        assert commitment["title"] == candidate["title"]
        assert commitment["kind"] == candidate["kind"]
        assert commitment["actors"] == candidate["actors"]
        assert commitment["pillar"] == candidate["pillar"]
        assert commitment["due"] == candidate["due"]
        assert commitment["amount"] == candidate["amount"]
        assert commitment["status"] == "pending"
        assert commitment["source"] == {
            "document": "Mekong-Lancang FMM",
            "date": "2021-06-08",
            "paragraph": candidate["paragraph"],
            "file": chair_name(),
        }
        assert commitment["history"][0]["date"] == "2021-06-08"
    assert [path.name for path in register_of(db_path).iterdir()] == [chair_name()]
    assert (register_of(db_path) / chair_name()).read_text(encoding="utf-8") == CHAIR.read_text(encoding="utf-8")
    assert "added 2 commitment(s) from Mekong-Lancang FMM" in result.stdout


def test_the_ids_come_from_the_titles_as_add_makes_them(run: Run, db_path: Path) -> None:
    found = candidates(run, CHAIR, "2021-06-08")
    assert add_chair(run, "--pick", "3").exit_code == 0
    plain = run("add", "--title", found[2]["title"], "--kind", "pledge", "--actor", "X", "--pillar", "economic")
    first = next(c for c in load(db_path)["commitments"] if c["quote"] == found[2]["quote"])
    assert plain.stdout.startswith(f"added {first['id']}-2:")


def test_add_all_yes_on_the_bundled_release_skips_every_candidate_already_recorded(run: Run, db_path: Path) -> None:
    found = candidates(run, BUNDLED_SOURCE, "2020-09-09")
    quotes = [" ".join(c["quote"].split()) for c in bundled_commitments()]

    def recorded(quote: str) -> bool:
        mine = " ".join(quote.split())
        return any(mine in theirs or theirs in mine for theirs in quotes)

    expected_new = [c for c in found if not recorded(c["quote"])]
    skipped = [number for number, c in enumerate(found, 1) if recorded(c["quote"])]
    assert expected_new
    assert skipped
    before = ids(db_path)
    result = run("extract", str(BUNDLED_SOURCE), "--date", "2020-09-09", "--add", "--all", "--yes")
    assert result.exit_code == 0, result.stderr
    for number in skipped:
        assert re.search(rf"candidate {number} is already recorded as '[a-z0-9-]+'; skipped", result.stderr)
    new = [record(db_path, cid) for cid in added_ids(db_path, before)]
    assert sorted(c["quote"] for c in new) == sorted(c["quote"] for c in expected_new)
    # The bundled statement is a source like any other: cited by its bundled name, not copied into the register.
    assert {c["source"]["file"] for c in new} == {SOURCE_FILE}
    assert not register_of(db_path).exists()
    # Again: every candidate is now recorded; nothing is added, nothing written.
    unchanged = db_path.read_bytes()
    again = run("extract", str(BUNDLED_SOURCE), "--date", "2020-09-09", "--add", "--all", "--yes")
    assert again.exit_code == 0
    assert again.stdout.strip() == "nothing added"
    assert db_path.read_bytes() == unchanged


def test_pick_of_a_recorded_candidate_is_marked_and_skipped(run: Run, db_path: Path) -> None:
    assert add_chair(run, "--pick", "1").exit_code == 0
    result = add_chair(run, "--pick", "1,2")
    assert result.exit_code == 0
    assert "candidate 1 is already recorded as" in result.stderr
    assert "added 1 commitment(s)" in result.stdout


# --- one undo, one file -----------------------------------------------------------------------------------------


def test_one_undo_takes_back_the_whole_batch_and_keeps_the_register_file(run: Run, db_path: Path) -> None:
    original = db_path.read_bytes()
    assert add_chair(run, "--all", "--yes").exit_code == 0
    assert len(ids(db_path)) > 17
    listed = run("undo", "--list").stdout.splitlines()
    assert "extract --add" in listed[0]
    result = run("undo", "--yes")
    assert result.exit_code == 0
    assert db_path.read_bytes() == original
    assert ids(db_path) == {c["id"] for c in bundled_commitments()}
    assert (register_of(db_path) / chair_name()).is_file()  # kept: content-addressed, reused by the next --add
    assert add_chair(run, "--pick", "2").exit_code == 0
    assert [path.name for path in register_of(db_path).iterdir()] == [chair_name()]


def test_the_same_text_is_stored_once_whatever_its_name_or_date(run: Run, db_path: Path, tmp_path: Path) -> None:
    assert add_chair(run, "--pick", "1").exit_code == 0
    copy = tmp_path / "copy.txt"
    copy.write_bytes(CHAIR.read_bytes())
    result = run("extract", str(copy), "--date", "2021-06-09", "--add", "--pick", "2")
    assert result.exit_code == 0, result.stderr
    assert [path.name for path in register_of(db_path).iterdir()] == [chair_name()]
    cited = {c["source"]["file"] for c in load(db_path)["commitments"] if c["source"]["date"] >= "2021"}
    assert cited == {chair_name()}
    other = tmp_path / "other.txt"
    other.write_text(CHAIR.read_text(encoding="utf-8") + "\n5. The Ministers agreed to meet again.\n", "utf-8")
    added = run("extract", str(other), "--date", "2021-06-08", "--add", "--all", "--yes")
    assert added.exit_code == 0
    assert "candidate 1 is already recorded" in added.stderr  # but the text differs: a second file
    assert len(list(register_of(db_path).iterdir())) == 2


# --- a failure part-way adds nothing ----------------------------------------------------------------------------


def test_a_held_lock_adds_nothing(run: Run, db_path: Path) -> None:
    from filelock import FileLock

    before = db_path.read_bytes()
    with FileLock(str(db_path) + ".lock"):
        result = add_chair(run, "--all", "--yes", env={"TRACKER_LOCK_TIMEOUT": "0"})
    assert_one_line_error(result, 1, "is locked by another tracker process")
    assert db_path.read_bytes() == before
    assert not register_of(db_path).exists()


def test_a_disk_full_at_the_register_write_adds_nothing(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.register

    def full(path: Path, *args: Any, **kwargs: Any) -> Any:  # as the write of its temporary file fails
        raise OSError(errno.ENOSPC, "No space left on device", str(path.parent / f".{path.name}.tmp-1234abcd"))

    monkeypatch.setattr(tracker.register, "prepare", full)
    before = db_path.read_bytes()
    result = add_chair(run, "--all", "--yes")
    assert_one_line_error(
        result,
        1,
        f"cannot copy the statement into the source register {register_of(db_path)} (No space left on device); "
        "nothing was changed",
    )
    assert ".tmp-" not in result.stderr  # a name that means nothing to the user
    assert db_path.read_bytes() == before
    assert list(register_of(db_path).iterdir()) == []
    assert run("undo", "--list").stdout.strip() == "nothing to undo"


def test_a_register_folder_that_cannot_be_made_adds_nothing(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.register

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(register_of(db_path)))

    monkeypatch.setattr(tracker.register, "make_folder", refused)
    before = db_path.read_bytes()
    assert_one_line_error(
        add_chair(run, "--all", "--yes"),
        1,
        f"cannot copy the statement into the source register {register_of(db_path)} (Permission denied); "
        "nothing was changed",
    )
    assert db_path.read_bytes() == before
    assert not register_of(db_path).exists()


def test_a_failure_after_the_register_write_adds_nothing_and_the_file_is_reused(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.store

    real = tracker.store.Store._commit

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tracker.store.Store, "_commit", broken)
    before = db_path.read_bytes()
    assert_one_line_error(add_chair(run, "--pick", "1,2"), 1, "No space left on device")
    assert db_path.read_bytes() == before
    monkeypatch.setattr(tracker.store.Store, "_commit", real)
    assert add_chair(run, "--pick", "1,2").exit_code == 0
    assert [path.name for path in register_of(db_path).iterdir()] == [chair_name()]


# --- usage ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--add", "--pick", "1"], "--add needs --date"),
        (["--date", "2021-06-08", "--add"], "not on a terminal, so nobody can review the candidates"),
        (["--date", "2021-06-08", "--add", "--all"], "not on a terminal, so nobody can confirm; pass --yes"),
        (["--date", "2021-06-08", "--add", "--pick", "1", "--all"], "--pick and --all do not go together"),
        (["--date", "2021-06-08", "--pick", "1"], "--pick, --all and --yes go with --add"),
        (
            ["--date", "2021-06-08", "--add", "--pick", "7"],
            "there is no candidate 7; the candidates are numbered 1 to 6",
        ),
        (["--date", "2021-06-08", "--add", "--pick", "1,x"], "is not a list of candidate numbers"),
        (["--date", "2021-06-08", "--add", "--pick", "\u00b2"], "is not a list of candidate numbers"),
        (["--date", "2021-06-08", "--add", "--pick", "9" * 5000], f"'{'9' * 40}...' is not a list of candidate"),
        (["--date", "2021-06-08", "--add", "--pick", "1", "--format", "json"], "leave out --format and --explain"),
    ],
)
def test_add_usage_errors_exit_2_and_change_nothing(run: Run, db_path: Path, args: list[str], words: str) -> None:
    before = db_path.read_bytes()
    assert_one_line_error(run("extract", str(CHAIR), *args), 2, words)
    assert db_path.read_bytes() == before
    assert not register_of(db_path).exists()


def test_add_from_stdin_needs_a_document_name(run: Run, db_path: Path) -> None:
    text = CHAIR.read_text(encoding="utf-8")
    assert_one_line_error(
        run("extract", "-", "--date", "2021-06-08", "--add", "--pick", "1", input=text), 2, "needs --document"
    )
    added = run("extract", "-", "--date", "2021-06-08", "--add", "--pick", "1", "--document", "MLC", input=text)
    assert added.exit_code == 0, added.stderr
    (stored,) = register_of(db_path).iterdir()
    assert stored.name.startswith("2021-06-08-mlc-")


# --- tracker sources, show --source, --source filters -----------------------------------------------------------


def test_sources_lists_each_text_with_its_count_and_score_by_hand(run: Run, db_path: Path) -> None:
    assert add_chair(run, "--pick", "1,2,3").exit_code == 0
    new = sorted(
        (c for c in load(db_path)["commitments"] if c["source"]["file"] == chair_name()), key=lambda c: c["id"]
    )
    # By hand: one fulfilled (+1), one broken (-1) for its first actor only (the other unassessed, left out), one
    # pending (not scored): commitment means +1 and -1, so the source's mean is 0.0, 50.0%, over 2 assessed.
    assert run("update", new[0]["id"], "--status", "fulfilled", "--date", "2021-07-01").exit_code == 0
    actor = new[1]["actors"][0]
    assert run("update", new[1]["id"], "--status", "broken", "--date", "2021-07-01", "--actor", actor).exit_code == 0
    rows = {row["file"]: row for row in json.loads(run("sources", "--format", "json").stdout)}
    chair = rows[chair_name()]
    assert chair["where"] == "register"
    assert chair["document"] == "Mekong-Lancang FMM"
    assert chair["date"] == "2021-06-08"
    assert chair["commitments"] == 3
    assert chair["score"] == {"mean": 0.0, "percent": 50.0, "assessed": 2}
    bundled = rows[SOURCE_FILE]
    assert bundled["where"] == "bundled"
    assert bundled["commitments"] == sum(1 for c in bundled_commitments() if c["source"]["file"] == SOURCE_FILE)
    # As of before the events: none assessed.
    early = {r["file"]: r for r in json.loads(run("sources", "--as-of", "2021-06-30", "--format", "json").stdout)}
    assert early[chair_name()]["score"] == {"mean": None, "percent": None, "assessed": 0}
    text = run("sources").stdout.splitlines()
    assert text[0] == "file\twhere\tdate\tcommitments\tscore\tdocument"
    assert f"{chair_name()}\tregister\t2021-06-08\t3\t+0.00 (50.0%, 2)\tMekong-Lancang FMM" in text


def test_show_source_prints_the_paragraph_from_the_register(run: Run, db_path: Path) -> None:
    assert add_chair(run, "--pick", "1").exit_code == 0
    (cid,) = [c["id"] for c in load(db_path)["commitments"] if c["source"]["file"] == chair_name()]
    for command in (["show", cid, "--source"], ["source", cid]):
        result = run(*command)
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == f"{cid}: Mekong-Lancang FMM, 2021-06-08, paragraph 2, {chair_name()}"
        assert lines[2].startswith("2. The Ministers agreed to hold the 6th")
        assert "Japan pledged USD 14 million for water resource management over the next three years." in lines
        assert not any(line.startswith("3.") for line in lines)


def test_a_register_file_of_a_bundled_name_is_read_first(run: Run, db_path: Path) -> None:
    folder = register_of(db_path)
    folder.mkdir()
    name = f"2020-09-09-x-{'0' * 8}.txt"
    (folder / name).write_text("1. Registered first.\n", encoding="utf-8")
    rewrite(db_path, "rcep-signing", file=name, paragraph=1)
    result = run("source", "rcep")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1. Registered first."


@pytest.mark.parametrize("by", ["file", "document", "DOCUMENT"])
def test_source_filters_list_report_scorecard_export_and_log(run: Run, db_path: Path, by: str) -> None:
    assert add_chair(run, "--pick", "1,3").exit_code == 0
    mine = sorted(c["id"] for c in load(db_path)["commitments"] if c["source"]["file"] == chair_name())
    chosen = {"file": chair_name(), "document": "mekong-lancang fmm", "DOCUMENT": "MEKONG-LANCANG FMM"}[by]
    listed = json.loads(run("list", "--source", chosen, "--json").stdout)
    assert sorted(c["id"] for c in listed) == mine
    report = json.loads(run("report", "--source", chosen, "--format", "json").stdout)
    assert report["total"] == 2
    card = json.loads(run("scorecard", "--source", chosen, "--format", "json").stdout)
    assert sorted(row["id"] for row in card["rows"]) == mine
    exported = json.loads(run("export", "--source", chosen).stdout)
    assert sorted(c["id"] for c in exported["commitments"].values()) == mine
    logged = json.loads(run("log", "--source", chosen, "--json").stdout)
    assert sorted({entry["id"] for entry in logged}) == mine
    bundled = json.loads(run("list", "--source", SOURCE_FILE, "--json").stdout)
    assert {c["id"] for c in bundled} == {c["id"] for c in bundled_commitments()}


def test_an_unknown_source_is_an_error_naming_the_sources(run: Run, db_path: Path) -> None:
    assert_one_line_error(
        run("list", "--source", "nowhere.txt"), 1, "no commitment cites the source 'nowhere.txt'", SOURCE_FILE
    )


# --- hostile names and texts ------------------------------------------------------------------------------------


def test_a_hostile_document_name_is_kept_literally_and_never_makes_a_path(run: Run, db_path: Path) -> None:
    name = "../../etc/passwd \x1b[31mred\x1b[0m\u202e"
    result = run("extract", str(CHAIR), "--date", "2021-06-08", "--document", name, "--add", "--pick", "1")
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout
    (stored,) = register_of(db_path).iterdir()
    assert re.fullmatch(r"2021-06-08-etc-passwd-31mred-0m-[0-9a-f]{8}\.txt", stored.name)
    (new,) = [c for c in load(db_path)["commitments"] if c["source"]["file"] == stored.name]
    assert new["source"]["document"] == name
    listing = run("sources").stdout
    assert "\x1b" not in listing
    assert "\\x1b[31mred" in listing


@pytest.mark.parametrize("cited", ["../commitments.json", "/etc/passwd", "commitments.json.sources/../x.txt"])
def test_a_cited_file_name_is_never_used_as_a_path(run: Run, db_path: Path, cited: str) -> None:
    rewrite(db_path, "rcep-signing", file=cited)
    assert_one_line_error(run("source", "rcep"), 1, "neither in the source register")
    rows = json.loads(run("sources", "--format", "json").stdout)
    assert {"file": cited, "where": "missing"}.items() <= next(r for r in rows if r["file"] == cited).items()


def test_links_and_special_files_in_the_register_are_never_read(run: Run, db_path: Path, tmp_path: Path) -> None:
    assert add_chair(run, "--pick", "1").exit_code == 0
    folder = register_of(db_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("1. A secret.\n", encoding="utf-8")
    os.symlink(secret, folder / f"2021-01-01-link-{'1' * 8}.txt")
    os.mkfifo(folder / f"2021-01-01-fifo-{'2' * 8}.txt")
    files = [row["file"] for row in json.loads(run("sources", "--format", "json").stdout)]
    assert f"2021-01-01-link-{'1' * 8}.txt" not in files
    assert f"2021-01-01-fifo-{'2' * 8}.txt" not in files
    assert add_chair(run, "--pick", "2").exit_code == 0  # a FIFO beside is never opened: no hang


def test_a_register_that_is_a_link_or_a_file_is_refused_and_nothing_added(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, register_of(db_path))
    before = db_path.read_bytes()
    assert_one_line_error(add_chair(run, "--pick", "1"), 1, "is a symbolic link, not a folder")
    assert db_path.read_bytes() == before
    assert list(elsewhere.iterdir()) == []


def test_export_never_writes_into_the_register(run: Run, db_path: Path) -> None:
    assert add_chair(run, "--pick", "1").exit_code == 0
    target = register_of(db_path) / "out.json"
    assert_one_line_error(run("export", "--output", str(target)), 1, "side files")
    assert not target.exists()


# --- the review on a terminal -----------------------------------------------------------------------------------


def _review(db_path: Path, answers: bytes, *options: str) -> tuple[int, str]:
    """`extract --add` of the chair's statement on a terminal, with `answers` typed; exit code and screen."""
    arguments = ["extract", str(CHAIR), "--date", "2021-06-08", *options, "--add"]
    return _on_a_terminal(arguments, {"TRACKER_DB": str(db_path)}, answers)


@pytest.mark.slow
def test_the_review_accepts_skips_edits_a_title_changes_a_kind_and_quits(run: Run, db_path: Path) -> None:
    found = candidates(run, CHAIR, "2021-06-08")
    before = ids(db_path)
    answers = b"t\nA title edited by hand\na\ns\nk\nrequest\na\nq\n"
    code, screen = _review(db_path, answers, "--document", "MLC")
    assert code == 0, screen
    assert "Candidate 1 of 6" in screen
    assert "Candidate 4 of 6" in screen
    assert "Candidate 5 of 6" not in screen
    new = {record(db_path, cid)["quote"]: record(db_path, cid) for cid in added_ids(db_path, before)}
    assert set(new) == {found[0]["quote"], found[2]["quote"]}
    assert new[found[0]["quote"]]["title"] == "A title edited by hand"
    assert new[found[2]["quote"]]["kind"] == "request"
    assert new[found[2]["quote"]]["title"] == found[2]["title"]
    assert "added 2 commitment(s) from MLC" in screen


@pytest.mark.slow
def test_an_invalid_value_in_the_review_is_asked_again_and_what_was_accepted_is_kept(run: Run, db_path: Path) -> None:
    found = candidates(run, CHAIR, "2021-06-08")
    before = ids(db_path)
    answers = b"a\nt\n" + b"x" * 90 + b"\n" + b"A title typed again\nd\n2021-01-01\nnext year\n2022-06-30\na\nq\n"
    code, screen = _review(db_path, answers)
    assert code == 0, screen
    assert "the title has 90 characters; give 1 to 80; type it again" in screen
    assert "the due date 2021-01-01 is before the statement's date 2021-06-08; type it again" in screen
    assert "type it again" in screen.split("next year", 1)[1]  # not a date either
    assert "Traceback" not in screen
    assert "tracker: error" not in screen
    new = {record(db_path, cid)["quote"]: record(db_path, cid) for cid in added_ids(db_path, before)}
    assert set(new) == {found[0]["quote"], found[1]["quote"]}
    assert new[found[0]["quote"]]["title"] == found[0]["title"]
    assert new[found[1]["quote"]]["title"] == "A title typed again"
    assert new[found[1]["quote"]]["due"] == "2022-06-30"


@pytest.mark.slow
def test_typed_bytes_that_are_not_utf8_are_asked_again_and_an_actor_typed_twice_is_one(run: Run, db_path: Path) -> None:
    found = candidates(run, CHAIR, "2021-06-08")
    before = ids(db_path)
    answers = b"a\nt\nCaf\xe9 title\nA fine title\nw\nROK, R\xf6K\nROK, rok, Japan\na\nq\n"
    code, screen = _review(db_path, answers)
    assert code == 0, screen
    assert "the title holds bytes that are not UTF-8 (set the terminal to UTF-8); type it again" in screen
    assert "an actor's name holds bytes that are not UTF-8 (set the terminal to UTF-8); type it again" in screen
    assert "actors: ROK, Japan" in screen
    new = {record(db_path, cid)["quote"]: record(db_path, cid) for cid in added_ids(db_path, before)}
    assert set(new) == {found[0]["quote"], found[1]["quote"]}  # the first, accepted before, is kept
    assert new[found[1]["quote"]]["title"] == "A fine title"
    assert new[found[1]["quote"]]["actors"] == ["ROK", "Japan"]


@pytest.mark.slow
def test_a_default_from_the_statement_is_shown_escaped_at_a_prompt(run: Run, db_path: Path, tmp_path: Path) -> None:
    statement = tmp_path / "hostile.txt"
    statement.write_text("The ROK will provide USD 5 million for \x1b]0;PWNED\x07 \u202e training in 2022.\n")
    code, screen = _on_a_terminal(
        ["extract", str(statement), "--date", "2021-06-08", "--add"], {"TRACKER_DB": str(db_path)}, b"t\n\nq\n"
    )
    assert code == 0, screen
    title_prompt = screen[screen.index("Title [") :]
    assert "\\x1b]0;PWNED\\x07" in title_prompt, title_prompt
    assert "\\u202e" in title_prompt, title_prompt
    for raw in ("\x1b", "\u202e", "\x07"):
        assert raw not in screen


@pytest.mark.slow
def test_the_review_marks_and_skips_a_candidate_already_recorded(run: Run, db_path: Path) -> None:
    before = db_path.read_bytes()
    code, screen = _on_a_terminal(
        ["extract", str(BUNDLED_SOURCE), "--date", "2020-09-09", "--add"], {"TRACKER_DB": str(db_path)}, b"q\n"
    )
    assert code == 0, screen
    assert re.search(r"Candidate 1 of \d+ is already recorded as 'south-china-sea", screen), screen
    assert "nothing added" in screen
    assert db_path.read_bytes() == before


def test_candidates_recorded_meanwhile_are_skipped_and_nothing_is_said_to_be_added(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another command records the candidates between the first look and the lock: each is skipped, and the
    command says that nothing was added (not that none was, with `undo` to take it back)."""
    import tracker.extract

    listed = run("extract", str(BUNDLED_SOURCE), "--date", "2020-09-09", "--format", "json")
    count = len(json.loads(listed.stdout))
    original = tracker.extract.recorded_as
    calls = []

    def meanwhile(quote: str, recorded: Any) -> str | None:
        calls.append(quote)
        return original(quote, recorded) if len(calls) <= count else "recorded-meanwhile"

    monkeypatch.setattr(tracker.extract, "recorded_as", meanwhile)
    unchanged = db_path.read_bytes()
    result = run("extract", str(BUNDLED_SOURCE), "--date", "2020-09-09", "--add", "--all", "--yes")
    assert result.exit_code == 0, result.stderr
    assert len(calls) > count
    assert result.stdout == "nothing added\n"
    assert "is already recorded as 'recorded-meanwhile'; skipped" in result.stderr
    assert db_path.read_bytes() == unchanged
    assert "nothing to undo" in run("undo", "--yes").stderr
