"""`undo` of a change to many commitments, more than a command finds one at a time in the index (`store._FEW`): the
index's rows, summaries, ids and links are read once rather than by a bisection for each commitment, and the journal
entry is read once. The data file and its index must come back exactly as they were, and a commitment changed since
must stop the undo as it does when the change touched only a few. Also how `undo` and `undo --skip` read the entry:
by orjson only where it is written as the tracker writes entries, every state checked, never one other than the
entry they asked about, and after settling what a killed writer left."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson
import pytest

import tracker.journal
import tracker.store
from tests.conftest import Run, record, write_large_database
from tests.test_import import _written
from tracker.errors import InvalidInputError
from tracker.model import Commitment
from tracker.store import Store

COPIES = 5  # of the 18 bundled commitments: 90


def _many(path: Path) -> list[str]:
    ids = write_large_database(path, COPIES)
    assert len(ids) > tracker.store._FEW  # or these tests would take the path of a few
    return ids


def test_undo_of_an_import_beside_other_commitments_gives_back_the_file_and_its_index(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    source = tmp_path / "export.json"
    _many(source)
    assert run("list").exit_code == 0  # indexed
    data, index, _ = _written(db_path)
    assert run("import", str(source)).exit_code == 0
    assert db_path.read_bytes() != data
    undone = run("undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    assert "and 85 more" in undone.stdout
    assert _written(db_path)[:2] == (data, index)


def test_undo_of_an_import_that_changed_many_commitments_gives_back_the_file_and_its_index(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    ids = _many(db_path)
    assert run("list").exit_code == 0  # indexed
    os.utime(db_path)
    assert run("list").exit_code == 0  # indexed again, every record digested
    data, index, _ = _written(db_path)
    export = json.loads(data)
    for document in export["commitments"].values():
        document["summary"] = "Changed by a colleague."
        document["title"] = document["title"][:60] + " (revised)"  # a new title: its link in the index changes too
    source = tmp_path / "export.json"
    source.write_text(json.dumps(export), encoding="utf-8")
    imported = run("import", str(source), "--replace", "--yes")  # fields other than the history: only with --replace
    assert imported.exit_code == 0, imported.stderr
    assert f"0 added, {len(ids)} updated" in imported.stdout
    assert record(db_path, ids[40])["summary"] == "Changed by a colleague."
    undone = run("undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    assert _written(db_path)[:2] == (data, index)


def test_undo_of_many_is_refused_when_one_of_them_changed_since(run: Run, db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "export.json"
    ids = _many(source)
    assert run("import", str(source)).exit_code == 0
    assert run("update", ids[77], "--note", "a later change").exit_code == 0
    assert run("undo", "--skip", "--yes").exit_code == 0  # forgotten, not reverted: the file still holds it
    changed = db_path.read_bytes()
    refused = run("undo", "--yes")
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert f"commitment '{ids[77]}' has changed since" in refused.stderr
    assert db_path.read_bytes() == changed


def _entry(db_path: Path) -> Path:
    entries = sorted(Store(db_path).journal_path.glob("*.json"))
    return entries[-1]


def _rewritten(change: Any) -> Any:
    """What rewrites an entry's text: parsed, changed by `change`, and written back as the tracker writes entries."""

    def rewrite(text: bytes) -> bytes:
        parsed = orjson.loads(text)
        change(parsed)
        return orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)

    return rewrite


@pytest.mark.parametrize(
    "damage",
    [
        _rewritten(lambda e: e["changes"][0]["before"].update(status="delivered")),  # not a status
        _rewritten(lambda e: e["changes"][0]["before"].update(due="2021-02-30")),  # not a date
        _rewritten(lambda e: e["changes"][0]["before"]["history"].clear()),  # no history
        _rewritten(lambda e: e["changes"][0]["before"].update(id="another-id")),  # not the change's commitment
        _rewritten(lambda e: e["changes"][0].update(extra=None)),  # a key no change has
        lambda text: text.replace(b'{"action":', b'{"action":"remove rcep-signing","action":', 1),  # a key twice
    ],
    ids=["status", "date", "history", "id", "key", "key twice"],
)
def test_an_entry_holding_a_broken_state_or_a_key_twice_is_damaged(run: Run, db_path: Path, damage: Any) -> None:
    assert run("update", "rcep", "--note", "one").exit_code == 0
    entry = _entry(db_path)
    text = entry.read_bytes()
    assert text == orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS)  # as the tracker writes entries
    entry.write_bytes(damage(text))
    original = db_path.read_bytes()
    result = run("undo", "--yes")
    assert result.exit_code == 1
    assert "is damaged" in result.stderr
    assert db_path.read_bytes() == original


def test_an_entry_written_otherwise_is_still_read(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--note", "one").exit_code == 0
    entry = _entry(db_path)
    entry.write_text(json.dumps(json.loads(entry.read_bytes()), indent=3), encoding="utf-8")
    undone = run("undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    assert record(db_path, "rcep-signing")["history"][-1]["note"] != "one"


def test_undo_reads_its_entry_once(run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("update", "rcep", "--note", "one").exit_code == 0
    parse = tracker.journal.Journal._parse
    parsed: list[int] = []

    def counted(self: tracker.journal.Journal, number: int, path: Path) -> tracker.journal.Entry:
        parsed.append(number)
        return parse(self, number, path)

    monkeypatch.setattr(tracker.journal.Journal, "_parse", counted)
    assert run("undo", "--yes").exit_code == 0
    assert parsed == [1]


def _with_a_long_paragraph(path: Path, number: int = 10**20 + 1) -> list[Commitment]:
    """`path`'s commitments, the first citing paragraph `number`: a whole number past 64 bits, which the model allows
    and orjson reads as a float."""
    from tracker.layout import parse_database

    commitments = parse_database(path.read_text(encoding="utf-8"), "x")
    commitments[0]["source"]["paragraph"] = number
    return commitments


@pytest.mark.parametrize("layout", ["canonical", "a bare list"])
def test_undo_of_many_with_a_paragraph_past_64_bits_gives_back_the_file(
    run: Run, db_path: Path, tmp_path: Path, layout: str
) -> None:
    from tracker.layout import dump_database

    source = tmp_path / "export.json"
    _many(source)
    commitments = _with_a_long_paragraph(source)
    source.write_text(dump_database(commitments) if layout == "canonical" else json.dumps(commitments), "utf-8")
    assert run("list").exit_code == 0
    before = db_path.read_bytes()
    imported = run("import", str(source))
    assert imported.exit_code == 0, imported.stderr
    assert "90 added" in imported.stdout
    assert f'"paragraph": {10**20 + 1}' in db_path.read_text(encoding="utf-8")
    assert "damaged" not in run("undo", "--list").stdout
    undone = run("undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    assert db_path.read_bytes() == before


def test_a_paragraph_past_64_bits_is_read_exactly_by_a_merge_of_many(run: Run, db_path: Path, tmp_path: Path) -> None:
    from tests.conftest import add_finding
    from tracker.layout import dump_database

    ids = _many(db_path)
    db_path.write_text(dump_database(_with_a_long_paragraph(db_path)), encoding="utf-8")
    assert run("list").exit_code == 0  # indexed
    own = tmp_path / "own.json"
    own.write_bytes(db_path.read_bytes())
    for options in ([], ["--replace", "--yes"]):
        unchanged = run("import", str(json_copy(own, tmp_path)), *options)  # not the canonical layout: parsed whole
        assert unchanged.exit_code == 0, unchanged.stderr
        assert "0 added, 0 updated, 90 unchanged" in unchanged.stdout
    commitments = _with_a_long_paragraph(db_path)
    add_finding(commitments)
    colleague = tmp_path / "colleague.json"
    colleague.write_text(dump_database(commitments), encoding="utf-8")
    merged = run("import", str(colleague))
    assert merged.exit_code == 0, merged.stderr
    assert f"0 added, {len(ids)} updated" in merged.stdout
    assert record(db_path, commitments[0]["id"])["source"]["paragraph"] == 10**20 + 1
    assert f",{10**20 + 1}," in run("export", "--format", "csv").stdout  # read in bulk, in the file's order
    assert run("undo", "--yes").exit_code == 0


def json_copy(path: Path, folder: Path) -> Path:
    """The same commitments as `path`, written by `json.dumps` (not the canonical layout)."""
    copy = folder / f"plain-{path.name}"
    copy.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    return copy


def test_undo_refuses_if_its_entry_changed_after_it_was_shown(store: Store) -> None:
    from tests.conftest import event

    def note(transaction: tracker.store.Transaction, text: str) -> None:
        commitment = transaction.get("rcep-signing")
        commitment["history"].append(event("2021-01-01", "in-progress", text))
        commitment["status"] = "in-progress"
        transaction.put(commitment)

    store.write("first", lambda t: note(t, "one"))
    shown = store.undo_preview()
    assert shown.action == "first"
    shown.path.write_bytes(_rewritten(lambda e: e.update(action="renamed"))(shown.path.read_bytes()))
    original = store.path.read_bytes()
    with pytest.raises(InvalidInputError, match=r"changed while you were asked .* run 'undo' again"):
        store.undo(expected=shown.number, seen=shown)
    assert store.path.read_bytes() == original
    assert store.undo().action == "renamed"  # asked again, it goes ahead


def test_undo_skip_refuses_if_the_entry_changed_after_it_was_shown(store: Store) -> None:
    from tests.conftest import event

    def note(transaction: tracker.store.Transaction) -> None:
        commitment = transaction.get("rcep-signing")
        commitment["history"].append(event("2021-01-01", "in-progress", "one"))
        commitment["status"] = "in-progress"
        transaction.put(commitment)

    store.write("first", note)
    shown = store.skip_preview()
    assert shown.action == "first"
    # Another process undoes it and records another change, under the same number.
    shown.path.write_bytes(_rewritten(lambda e: e.update(action="second"))(shown.path.read_bytes()))
    with pytest.raises(InvalidInputError, match=r"changed while you were asked .* run 'undo --skip' again"):
        store.skip(expected=shown.number, seen=shown)
    assert shown.path.exists()
    again = store.skip_preview()
    assert store.skip(expected=again.number, seen=again).action == "second"


def test_a_change_whose_entry_a_killed_writer_left_unconfirmed_is_the_one_undo_offers(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--note", "before").exit_code == 0
    before = db_path.read_bytes()
    assert run("update", "rcep", "--note", "one").exit_code == 0
    entry = _entry(db_path)  # as a writer killed after replacing the data file, before confirming its entry
    entry.rename(entry.with_name(f"{entry.stem}.{db_path.stat().st_ino}.pending"))
    listed = run("undo", "--list")
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[0].endswith("update rcep-signing")
    assert len(listed.stdout.splitlines()) == 2
    assert run("undo", "--yes").exit_code == 0
    assert db_path.read_bytes() == before
