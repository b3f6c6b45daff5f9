"""`import` of an export as the tracker writes it, of commitments the database does not hold: the records' bytes are
copied as they stand (checked once, as a data file with no index is read), and the result is exactly what the
import that parses and merges every commitment writes: the data file, its index, and the undo journal's entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tracker.formats
from tests.conftest import Run, record, write_large_database
from tracker.index import _HEAD
from tracker.store import Store


def _written(path: Path) -> tuple[bytes, tuple[Any, ...], dict[str, Any] | None]:
    """A data file's bytes, its index without the header's signature and seal, and its newest journal entry (if
    any) without the time it was recorded."""
    index = path.with_name(path.name + ".index").read_bytes()
    entries = sorted(path.with_name(path.name + ".undo").glob("*.json"))
    entry = json.loads(entries[-1].read_text(encoding="utf-8")) if entries else None
    if entry is not None:
        entry.pop("at")
    return path.read_bytes(), (*_HEAD.unpack(index[: _HEAD.size])[7:10], index[_HEAD.size :]), entry


def _import_both_ways(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Path, empty: bool, *options: str
) -> tuple[Any, Any, list[bool]]:
    """The same import into two copies of a database: as it stands (copied) and with every commitment parsed and
    merged; what each wrote, and whether the copying was used each time."""
    used: list[bool] = []
    add_canonical = Store.add_canonical

    def spied(self: Store, *arguments: Any) -> Any:
        warnings = add_canonical(self, *arguments)
        used.append(warnings is not None)
        return warnings

    monkeypatch.setattr(Store, "add_canonical", spied)
    outcomes = []
    for copied in (True, False):
        target = tmp_path / f"{'copied' if copied else 'merged'}.json"
        assert run("--db", str(target), "init", *(["--empty"] if empty else [])).exit_code == 0
        with monkeypatch.context() as patched:
            if not copied:
                patched.setattr(tracker.formats, "read_canonical_import", lambda *arguments: None)
            result = run("--db", str(target), "import", str(source), *options)
        assert result.exit_code == 0, result.stderr
        outcomes.append((result.stdout.replace(str(target), "DB"), _written(target)))
    return outcomes[0], outcomes[1], used


@pytest.mark.parametrize("empty", [True, False], ids=["into an empty database", "into the bundled data"])
def test_an_export_is_copied_and_writes_what_a_merge_writes(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty: bool
) -> None:
    source = tmp_path / "export.json"
    count = len(write_large_database(source, 3))
    copied, merged, used = _import_both_ways(run, tmp_path, monkeypatch, source, empty)
    assert used == [True]  # the merge did not ask
    assert copied == merged
    assert f"{count} added, 0 updated, 0 unchanged" in copied[0]
    data, _, entry = copied[1]
    assert entry is not None
    assert entry["action"] == "import export.json"
    assert len(entry["changes"]) == count
    if empty:
        assert data == source.read_bytes()


def test_an_export_holding_a_commitment_the_database_has_is_merged(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "export.json"
    assert run("--db", str(source), "init").exit_code == 0  # the bundled commitments, as an export holds them
    copied, merged, used = _import_both_ways(run, tmp_path, monkeypatch, source, False)
    assert used == []  # declined before a record was parsed (`Store.holds_none`): the database holds them all
    assert copied == merged
    assert "0 added" in copied[0]


def test_undo_takes_a_copied_import_back_byte_for_byte(run: Run, db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "export.json"
    write_large_database(source, 2)
    before = db_path.read_bytes()
    assert run("import", str(source)).exit_code == 0
    assert db_path.read_bytes() != before
    assert run("show", "rcep-signing-1").exit_code == 0
    undone = run("undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    assert db_path.read_bytes() == before


def test_a_copied_import_is_refused_when_the_journal_cannot_take_it(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import tracker.journal

    source = tmp_path / "export.json"
    write_large_database(source, 2)
    before = db_path.read_bytes()

    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tracker.journal, "prepare", full)
    result = run("import", str(source))
    assert result.exit_code == 1
    assert "cannot record the change in the undo journal" in result.stderr
    assert db_path.read_bytes() == before
    assert not [path for path in db_path.parent.iterdir() if ".tmp-" in path.name]


@pytest.mark.parametrize(
    ("canonical", "by_hand"),
    [
        (b'"weight": 1\n', b'"weight":   1\n'),  # spaces before a value
        (b'"weight": 1\n', b'"weight": 1e0\n'),  # a whole number written as a float with an exponent
        (b'        "ASEAN"', b'        "\\u0041SEAN"'),  # a \u escape where the canonical text has the character
        (b'      "amount": null,\n      "due": null,\n', b'      "due": null,\n      "amount": null,\n'),  # unsorted
    ],
    ids=["spaces", "exponent", "escape", "unsorted keys"],
)
def test_an_export_with_a_record_not_written_canonically_is_written_canonically(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, canonical: bytes, by_hand: bytes
) -> None:
    # The layout of an export is intact (header, footer, one block per commitment in order, four spaces in), but one
    # record's JSON is not the canonical text of what it holds. The data file must still be canonical JSON, as
    # parsing and merging writes it, not the record's bytes as the export had them.
    source = tmp_path / "export.json"
    assert run("--db", str(source), "init").exit_code == 0
    text = source.read_bytes()
    assert canonical in text
    source.write_bytes(text.replace(canonical, by_hand, 1))
    copied, merged, _ = _import_both_ways(run, tmp_path, monkeypatch, source, True)
    assert copied[1][0] == merged[1][0]
    assert by_hand not in copied[1][0]
    assert copied == merged


@pytest.mark.parametrize("copying", [True, False], ids=["copied", "merged"])
def test_an_import_costs_the_undo_journal_no_more_than_a_merged_one(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copying: bool
) -> None:
    # The journal keeps as many changes as fit in its budget (64 MiB; smaller here), never fewer than the last 20.
    # An import's entry is the same change whichever way it is written, so it should cost the same share of that
    # budget and leave as many earlier changes undoable; an entry whose "after" states keep the export's
    # indentation is about a third larger, and pushes earlier changes out.
    import tracker.journal

    source = tmp_path / "export.json"
    write_large_database(source, 40)
    target = tmp_path / "target.json"
    assert run("--db", str(target), "init").exit_code == 0
    for number in range(25):
        arguments = ("--status", "in-progress", "--date", "2021-01-01", "--note", f"step {number}")
        result = run("--db", str(target), "update", "rcep-signing", *arguments)
        assert result.exit_code == 0, result.stderr
    journal = target.with_name(target.name + ".undo")
    small = sum(path.stat().st_size for path in journal.glob("*.json"))
    assert len(list(journal.glob("*.json"))) == 25
    # Room for the 25 small changes and for the import's entry written compactly, as a merge writes it.
    monkeypatch.setattr(tracker.journal, "KEEP_BYTES", small + source.stat().st_size * 85 // 100)
    if not copying:
        monkeypatch.setattr(tracker.formats, "read_canonical_import", lambda *arguments: None)
    result = run("--db", str(target), "import", str(source))
    assert result.exit_code == 0, result.stderr
    assert len(list(journal.glob("*.json"))) == 26  # the 25 changes before it can still be undone


def test_many_new_commitments_go_where_a_whole_rewrite_puts_them(run: Run, db_path: Path, tmp_path: Path) -> None:
    """More than 64 new commitments are placed by the index's keys read once, not by a bisection each: the file and
    its index are what writing the whole database afresh gives."""
    from tracker.index import open_index, signature
    from tracker.layout import dump_database, index_records

    source = tmp_path / "export.json"
    assert len(write_large_database(source, 5)) > 64
    assert run("list").exit_code == 0  # indexed
    assert run("import", str(source)).exit_code == 0
    everything = Store(db_path).load()
    assert db_path.read_text(encoding="utf-8") == dump_database(everything)
    fresh = index_records(db_path.read_bytes(), signature(db_path.stat()), "fresh")
    current = open_index(db_path.with_name(db_path.name + ".index"), signature(db_path.stat()))
    assert fresh is not None
    assert current is not None
    assert current.rows() == (fresh.keys, fresh.ids)


def test_an_export_holding_one_commitment_the_database_has_is_not_parsed_to_be_copied(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.layout
    from tracker.layout import dump_database, parse_database

    source = tmp_path / "export.json"
    write_large_database(source, 4)
    held = parse_database(db_path.read_text(encoding="utf-8"), "db")[:1]
    source.write_text(dump_database([*held, *parse_database(source.read_text(encoding="utf-8"), "x")]), "utf-8")
    assert run("list").exit_code == 0  # indexed: the data file is not read in full either
    parsed: list[int] = []
    part = tracker.layout._index_part

    def counted(*arguments: Any) -> Any:
        parsed.append(1)
        return part(*arguments)

    monkeypatch.setattr(tracker.layout, "_index_part", counted)
    result = run("import", str(source))
    assert result.exit_code == 0, result.stderr
    assert "72 added, 0 updated, 1 unchanged" in result.stdout
    assert parsed == []  # the records were read once, by the merge, not first to be copied


def test_a_merge_of_many_commitments_gives_each_the_events_it_lacks_and_undo_takes_it_back(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    from tests.conftest import FINDING, add_finding, record
    from tracker.layout import dump_database, parse_database

    ids = write_large_database(db_path, 5)
    assert run("list").exit_code == 0  # indexed
    before = db_path.read_bytes()
    commitments = parse_database(before.decode("utf-8"), "db")
    add_finding(commitments[:70])
    source = tmp_path / "colleague.json"
    source.write_text(dump_database(commitments), encoding="utf-8")
    result = run("import", str(source))
    assert result.exit_code == 0, result.stderr
    assert "0 added, 70 updated, 20 unchanged" in result.stdout
    assert record(db_path, commitments[0]["id"])["history"][-1]["note"] == FINDING
    assert record(db_path, commitments[80]["id"]) == parse_database(before.decode("utf-8"), "db")[80]
    assert Store(db_path).load() == sorted(commitments, key=lambda c: c["id"])
    assert len(ids) == 90
    assert run("undo", "--yes").exit_code == 0
    assert db_path.read_bytes() == before


def _parsed_records(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The numbers of the records that `layout._record_at` parses from now on (in this process)."""
    import tracker.layout

    parsed: list[int] = []
    record_at = tracker.layout._record_at

    def counted(data: bytes, spans: Any, number: int, *rest: Any, **named: Any) -> Any:
        parsed.append(number)
        return record_at(data, spans, number, *rest, **named)

    monkeypatch.setattr(tracker.layout, "_record_at", counted)
    return parsed


def _whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The exports (by origin) that the whole-document reader, `formats.read_import`, reads from now on."""
    read_import = tracker.formats.read_import
    origins: list[str] = []

    def counted(text: str | bytes, origin: str) -> Any:
        origins.append(origin)
        return read_import(text, origin)

    monkeypatch.setattr(tracker.formats, "read_import", counted)
    return origins


def _colleague(db_path: Path, tmp_path: Path, dropped: int = 0) -> tuple[Path, list[int]]:
    """An export of the 90 commitments of `db_path` (less the last `dropped`) in which three have a new event, and
    two new commitments: the export and the numbers of its records that differ from the database's."""
    from tests.conftest import add_finding
    from tracker.layout import dump_database, parse_database

    commitments = parse_database(db_path.read_text(encoding="utf-8"), "db")
    del commitments[len(commitments) - dropped :]
    add_finding(commitments[10:13])
    for number in (1, 2):
        commitments.append({**commitments[0], "id": f"colleague-{number}"})
    source = tmp_path / "colleague.json"
    source.write_text(dump_database(commitments), encoding="utf-8")
    ids = {commitment["id"] for commitment in commitments[10:13]} | {"colleague-1", "colleague-2"}
    order = [commitment["id"] for commitment in parse_database(source.read_text(encoding="utf-8"), "x")]
    return source, sorted(order.index(cid) for cid in ids)  # `parse_database` gives them in the file's order


def test_an_export_the_database_holds_as_it_is_is_merged_without_parsing_a_record(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_large_database(db_path, 5)
    assert run("list").exit_code == 0  # indexed
    before = db_path.read_bytes()
    source = tmp_path / "same.json"
    source.write_bytes(before)
    parsed = _parsed_records(monkeypatch)
    whole = _whole_reads(monkeypatch)
    result = run("import", str(source))
    assert result.exit_code == 0, result.stderr
    assert "0 added, 0 updated, 90 unchanged" in result.stdout
    assert parsed == []
    assert whole == []  # nor read by the whole-document reader
    assert db_path.read_bytes() == before
    assert not Store(db_path).journal_path.exists() or not list(Store(db_path).journal_path.iterdir())


_BREAKAGES = {
    "a status": lambda data: data.replace(b'"status": "fulfilled"', b'"status": "delivered"'),
    # A byte order mark before one record's object: not JSON (the standard library drops it from bytes, not text).
    "a byte order mark": lambda data: data.replace(b'": {\n      "actors"', b'": \xef\xbb\xbf{\n      "actors"', 1),
}


def _merged_both_ways(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str | None, *options: str
) -> list[tuple[Any, list[int], list[int]]]:
    """A colleague's export (`_colleague`, with `broken` one of `_BREAKAGES`) imported (with `options`) into two
    copies of a database of 90 commitments: reading only the records that differ, and by the whole-document reader.
    For each: the result, the numbers of the records that differ, and those parsed one by one."""
    outcomes = []
    for reading_only_what_differs in (True, False):
        database = tmp_path / f"{reading_only_what_differs}.json"
        write_large_database(database, 5)
        assert run("--db", str(database), "list").exit_code == 0  # indexed
        source, differing = _colleague(database, tmp_path)
        if broken is not None:
            source.write_bytes(_BREAKAGES[broken](source.read_bytes()))
        before = database.read_bytes()
        with monkeypatch.context() as patched:
            if not reading_only_what_differs:
                patched.setattr(tracker.formats, "merge_canonical", lambda *arguments, **named: None)
                patched.setattr(tracker.formats, "replacing", lambda store, data, origin: None)
            parsed = _parsed_records(patched)
            result = run("--db", str(database), "import", str(source), *options)
        if broken is not None:
            assert result.exit_code == 1
            assert "nothing was imported" in result.stderr
            assert database.read_bytes() == before
            outcomes.append((result.stderr.replace(str(database), "DB"), differing, parsed))
        else:
            assert result.exit_code == 0, result.stderr
            assert "2 added, 3 updated, 87 unchanged" in result.stdout
            outcomes.append((_written(database), differing, parsed))
    return outcomes


def test_a_colleagues_export_is_merged_reading_only_the_records_that_differ(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (fast, differing, parsed), (whole, _, _) = _merged_both_ways(run, tmp_path, monkeypatch, None)
    assert sorted(parsed) == differing
    assert fast == whole  # the data file, its index and the journal entry: as the whole-document merge writes them


@pytest.mark.parametrize("options", [[], ["--replace", "--yes"]], ids=["merged", "replaced"])
@pytest.mark.parametrize("broken", list(_BREAKAGES))
def test_a_colleagues_export_with_a_broken_record_lists_every_problem_as_before(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str, options: list[str]
) -> None:
    (fast, _, _), (whole, _, _) = _merged_both_ways(run, tmp_path, monkeypatch, broken, *options)
    assert fast == whole


@pytest.mark.parametrize("empty", [True, False], ids=["into an empty database", "into the bundled data"])
def test_a_paragraph_of_400_digits_is_imported_and_undone(run: Run, db_path: Path, tmp_path: Path, empty: bool) -> None:
    from tracker.layout import dump_database, parse_database

    source = tmp_path / "export.json"
    write_large_database(source, 2)
    commitments = parse_database(source.read_text(encoding="utf-8"), "x")
    commitments[0]["source"]["paragraph"] = 10**400 + 7  # past a float's range: orjson does not read it at all
    source.write_text(dump_database(commitments), encoding="utf-8")
    if empty:
        assert run("init", "--empty", "--force").exit_code == 0
    assert run("list").exit_code == 0
    before = db_path.read_bytes()
    result = run("import", str(source))
    assert result.exit_code == 0, result.stderr
    assert record(db_path, commitments[0]["id"])["source"]["paragraph"] == 10**400 + 7
    if empty:
        assert db_path.read_bytes() == source.read_bytes()
    assert run("undo", "--yes").exit_code == 0
    assert db_path.read_bytes() == before


def test_an_import_from_a_file_whose_name_is_not_utf8_is_recorded(run: Run, db_path: Path, tmp_path: Path) -> None:
    import os

    source = Path(os.fsdecode(bytes(tmp_path) + b"/export\xff.json"))
    write_large_database(source, 1)
    before = db_path.read_bytes()
    for options in ([], ["--replace", "--yes"]):
        result = run("import", str(source), *options)
        assert result.exit_code == 0, result.stderr
        assert "import export\ufffd.json" in run("undo", "--list").stdout
        assert run("undo", "--yes").exit_code == 0
        assert db_path.read_bytes() == before


@pytest.mark.parametrize("colleague", [True, False], ids=["a colleague's", "the database's own"])
def test_a_replacement_by_an_export_reads_only_the_records_that_differ(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, colleague: bool
) -> None:
    outcomes = []
    for reading_only_what_differs in (True, False):
        database = tmp_path / f"{reading_only_what_differs}.json"
        write_large_database(database, 5)
        assert run("--db", str(database), "list").exit_code == 0  # indexed
        if colleague:
            source, differing = _colleague(database, tmp_path, dropped=4)
        else:
            source, differing = tmp_path / "own.json", []
            source.write_bytes(database.read_bytes())
        with monkeypatch.context() as patched:
            if not reading_only_what_differs:
                patched.setattr(tracker.formats, "replacing", lambda store, data, origin: None)
            whole = _whole_reads(patched)
            parsed = _parsed_records(patched)
            result = run("--db", str(database), "import", str(source), "--replace", "--yes")
        assert result.exit_code == 0, result.stderr
        expected = "2 added, 3 updated, 83 unchanged, 4 removed" if colleague else "0 added, 0 updated, 90 unchanged"
        assert expected in result.stdout
        assert (whole == []) is reading_only_what_differs  # the whole-document reader: only the old way
        if reading_only_what_differs:
            assert sorted(set(parsed)) == differing  # each twice: checked before the question, and merged after
        outcomes.append((result.stdout.replace(str(database), "DB"), _written(database)))
    assert outcomes[0] == outcomes[1]


def test_a_replacement_is_refused_if_the_database_gained_a_commitment_while_it_asked(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.cli

    write_large_database(db_path, 5)
    assert run("list").exit_code == 0
    source, _ = _colleague(db_path, tmp_path, dropped=4)
    asked: list[str] = []

    def meanwhile(question: str, yes: bool) -> None:
        asked.append(question)
        added = run("add", "--title", "Added meanwhile", "--actor", "ROK", "--pillar", "economic", "--kind", "pledge")
        assert added.exit_code == 0, added.stderr

    monkeypatch.setattr(tracker.cli, "_confirm", meanwhile)
    result = run("import", str(source), "--replace", "--yes")
    assert len(asked) == 1
    assert "This removes 4 commitment(s)" in asked[0]
    assert result.exit_code == 1
    assert "the database changed while you confirmed; nothing was imported" in result.stderr
    assert "added-meanwhile" in run("list").stdout


def test_a_replacement_by_an_export_with_a_broken_record_lists_the_problems_before_it_asks(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    write_large_database(db_path, 5)
    assert run("list").exit_code == 0
    source, _ = _colleague(db_path, tmp_path, dropped=4)
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace('"status": "fulfilled"', '"status": "delivered"'), encoding="utf-8")
    before = db_path.read_bytes()
    result = run("import", str(source), "--replace")  # no --yes, not on a terminal: it would refuse to ask
    assert result.exit_code == 1
    assert "nothing was imported" in result.stderr
    assert "delivered" in result.stderr
    assert db_path.read_bytes() == before


def test_a_data_file_with_a_byte_order_mark_before_a_record_is_refused_as_the_whole_document_reader_says(
    run: Run, db_path: Path
) -> None:
    text = db_path.read_bytes()
    assert text.count(b'": {\n      "actors"') == 18
    broken = _BREAKAGES["a byte order mark"](text)
    db_path.write_bytes(broken)
    result = run("list")
    assert result.exit_code == 1
    assert "not valid JSON" in result.stderr
    assert result.stderr.count("\n") == 1
    assert db_path.read_bytes() == broken
    assert not db_path.with_name(db_path.name + ".index").exists()
