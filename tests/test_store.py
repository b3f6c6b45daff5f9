"""The data file: canonical, atomic, locked, validated, never modified when refused; the undo journal."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Run, bundled_commitments, digested, index_digests, write_own_index
from tracker.errors import DatabaseError, InvalidInputError, LockTimeoutError, NothingToUndoError, UsageProblem
from tracker.files import bundled_text
from tracker.index import LINK, Index, open_index, read_index, signature
from tracker.journal import Journal
from tracker.layout import (
    FOOTER,
    HEADER,
    SCHEMA_VERSION,
    doc_id,
    doc_key,
    dump_database,
    index_records,
    parse_database,
    record_spans,
)
from tracker.model import Commitment, Pillar, new_commitment, record_event, summarize
from tracker.store import IndexedSnapshot, LoadedSnapshot, Snapshot, Store, export_json

GARBAGE = {
    "invalid JSON": '{"commitments": [',
    "empty": "",
    "only white space": "  \n",
    "a list": "[]",
    "wrong shape": '{"_default": {}}',
    "unknown schema version": '{"commitments": [], "schema_version": 99}',
    "commitments not a list": '{"commitments": {}, "schema_version": 1}',
    "record with wrong types": json.dumps(
        {"commitments": [{**bundled_commitments()[0], "actors": "ROK"}], "schema_version": 1}
    ),
    "duplicate ids": json.dumps({"commitments": [bundled_commitments()[0]] * 2, "schema_version": 1}),
}


def current_index(store: Store) -> Index | None:
    """The index beside the store's file, if it describes the file as it is now."""
    return read_index(store.index_path, signature(store.path.stat()), len(HEADER), len(FOOTER))


def a_commitment(title: str) -> Commitment:
    """A new, valid commitment of the ROK, made on 2021-01-01."""
    return new_commitment(
        existing_ids=[],
        title=title,
        actors=["ROK"],
        pillar=Pillar.ECONOMIC,
        today="2021-01-01",
        recorded_at="2021-01-01T00:00:00Z",
    )


def change_summary(store: Store, summary: str, action: str = "test") -> None:
    with store.transaction(action) as transaction:
        commitment = transaction.get("rcep-signing")
        commitment["summary"] = summary
        transaction.put(commitment)


def test_file_is_canonical_sorted_and_readable(store: Store) -> None:
    text = store.path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert list(document) == ["_meta", "commitments"]
    assert document["_meta"] == {"1": {"schema_version": SCHEMA_VERSION}}
    keys = list(document["commitments"])
    assert keys == sorted(keys)
    assert keys == [doc_key(c["id"]) for c in document["commitments"].values()]
    assert f'\n  "commitments": {{\n    "{keys[0]}": {{\n      "actors": [' in text
    assert "Ministers\u2019 Meeting" in text  # the character itself, not a \u2019 escape in the file
    assert "\\u2019" not in text
    assert text.endswith("}\n")


def test_an_index_built_in_this_process_gives_the_summaries_its_file_gives(store: Store) -> None:
    """A full read builds the index in memory from the records it has checked, and uses its summaries unchecked
    (they are its own); the file it writes, read by the next command, is checked, and says the same."""
    store.load()
    store.index_path.unlink()
    with store.reading() as snapshot:
        assert isinstance(snapshot, IndexedSnapshot)
        assert snapshot.index.built_here
        built = snapshot.summaries()
        in_parts = [summary for part in snapshot.summaries_in_parts(lambda found: found) for summary in part]
    with store.reading() as snapshot:
        assert isinstance(snapshot, IndexedSnapshot)
        assert not snapshot.index.built_here
        assert snapshot.summaries() == built
        assert [summary for part in snapshot.summaries_in_parts(lambda found: found) for summary in part] == in_parts
    assert sorted(built, key=lambda summary: summary["id"]) == in_parts
    written = current_index(store)
    assert written is not None
    assert [summary["id"] for summary in built] == written.ids


def test_a_write_keeps_the_file_canonical_and_changes_only_one_record(store: Store) -> None:
    before = store.path.read_text(encoding="utf-8").splitlines()
    change_summary(store, "Changed.")
    after = store.path.read_text(encoding="utf-8")
    assert dump_database(parse_database(after, "x")) == after
    changed = [line for line in after.splitlines() if line not in before]
    assert changed == ['      "summary": "Changed.",']


@pytest.mark.parametrize("content", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_is_refused_with_the_file_named_and_left_unchanged(db_path: Path, content: str) -> None:
    db_path.write_text(content, encoding="utf-8")
    store = Store(db_path)
    with pytest.raises(DatabaseError, match=str(db_path).replace("\\", "\\\\")):
        store.load()
    with pytest.raises(DatabaseError), store.transaction("x"):
        pass
    assert db_path.read_text(encoding="utf-8") == content


def test_a_directory_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "dir.json"
    directory.mkdir()
    with pytest.raises(DatabaseError, match="is a directory"):
        Store(directory).load()


def test_a_file_that_is_not_utf8_is_refused(db_path: Path) -> None:
    db_path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DatabaseError, match="not UTF-8"):
        Store(db_path).load()
    assert db_path.read_bytes() == b"\xff\xfe\x00garbage"


def test_an_unreadable_file_is_refused(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def denied(path: object, *args: Any, **kwargs: Any) -> int:
        if str(path) == str(db_path):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(DatabaseError, match="cannot be read: permission denied"):
        Store(db_path).load()


def test_a_read_only_file_is_not_replaced(store: Store) -> None:
    original = store.path.read_bytes()
    store.path.chmod(0o444)
    with pytest.raises(DatabaseError, match="read-only"):
        change_summary(store, "Changed.")
    assert store.path.read_bytes() == original
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o444


def test_an_atomic_write_keeps_the_file_mode_and_leaves_no_temp_file(store: Store) -> None:
    store.path.chmod(0o640)
    change_summary(store, "Changed.")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o640
    assert sorted(p.name for p in store.path.parent.iterdir() if p.name.startswith(".")) == []


def test_an_error_inside_a_transaction_writes_nothing(store: Store) -> None:
    original = store.path.read_bytes()

    def remove_then_fail() -> None:
        with store.transaction("x") as transaction:
            transaction.delete("rcep-signing")
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        remove_then_fail()
    assert store.path.read_bytes() == original
    assert not store.journal_path.exists()


def test_a_held_lock_times_out_with_a_clear_error(store: Store) -> None:
    original = store.path.read_bytes()
    with FileLock(str(store.lock_path)):
        impatient = Store(store.path, lock_timeout=0.1)
        with pytest.raises(LockTimeoutError, match="locked by another tracker process"), impatient.transaction("x"):
            pass
    assert store.path.read_bytes() == original


def test_ensure_creates_the_file_from_the_bundled_data_only_when_absent(isolated_environment: Path) -> None:
    store = Store(isolated_environment)
    assert store.ensure() is True
    assert store.path.read_text(encoding="utf-8") == bundled_text()
    store.path.write_text("not json", encoding="utf-8")
    assert store.ensure() is False
    assert store.path.read_text(encoding="utf-8") == "not json"


def test_an_explicit_path_in_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="does not exist"):
        Store(tmp_path / "no" / "such" / "db.json").ensure()


def test_init_refuses_an_existing_file_and_force_keeps_a_backup(store: Store) -> None:
    store.path.write_text("damaged", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="already exists"):
        store.init()
    backup = store.init(force=True)
    assert backup is not None
    assert backup.read_text(encoding="utf-8") == "damaged"
    assert store.path.read_text(encoding="utf-8") == bundled_text()
    second = store.init(force=True)
    assert second is not None
    assert second != backup
    assert backup.read_text(encoding="utf-8") == "damaged"


def test_undo_walks_back_through_more_than_twenty_changes(store: Store) -> None:
    original = store.path.read_bytes()
    for number in range(25):
        change_summary(store, f"Summary {number}", f"change {number}")
    actions = [store.undo().action for _ in range(25)]
    assert actions == [f"change {number}" for number in reversed(range(25))]
    assert store.path.read_bytes() == original
    with pytest.raises(NothingToUndoError):
        store.undo()


def test_undo_restores_an_added_and_a_removed_commitment(store: Store) -> None:
    original = store.path.read_bytes()
    added = a_commitment("New")
    with store.transaction("add") as transaction:
        transaction.put(added)
        transaction.delete("rcep-signing")
    assert {c["id"] for c in store.load()} >= {"new"}
    assert store.undo().action == "add"
    assert store.path.read_bytes() == original


def test_undo_refuses_when_the_commitment_changed_since(store: Store) -> None:
    change_summary(store, "one")
    commitments = parse_database(store.path.read_text(encoding="utf-8"), "x")
    commitments = [{**c, "summary": "edited by hand"} if c["id"] == "rcep-signing" else c for c in commitments]
    store.path.write_text(dump_database(commitments), encoding="utf-8")
    edited = store.path.read_bytes()
    with pytest.raises(InvalidInputError, match="has changed since"):
        store.undo()
    assert store.path.read_bytes() == edited


def test_a_damaged_journal_entry_is_reported_not_overwritten(store: Store) -> None:
    change_summary(store, "one", "first")
    (entry,) = store.journal_path.iterdir()
    entry.write_text("{broken", encoding="utf-8")
    original = store.path.read_bytes()
    with pytest.raises(DatabaseError, match=r"undo journal entry .* is damaged"):
        store.undo()
    assert entry.read_text(encoding="utf-8") == "{broken"
    assert store.path.read_bytes() == original


def test_a_temporary_file_left_in_the_journal_is_not_a_change(store: Store) -> None:
    change_summary(store, "one", "first")
    (store.journal_path / ".000000002.json.tmp-abcd1234").write_text("{cut short", encoding="utf-8")
    assert store.undo_preview().action == "first"
    change_summary(store, "two", "second")
    assert [store.undo().action for _ in range(2)] == ["second", "first"]


def test_the_journal_keeps_the_last_changes_within_its_limits(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracker.journal

    monkeypatch.setattr(tracker.journal, "LIMIT", 30)
    monkeypatch.setattr(tracker.journal, "KEEP_BYTES", 60_000)  # less than the 20 changes always kept
    for number in range(25):
        change_summary(store, f"Summary {number} " + "x" * 2000, f"large {number}")
    actions = [entry.action for entry in Journal(store.journal_path).entries()]
    assert actions == [f"large {n}" for n in range(5, 25)]  # the last 20, though over KEEP_BYTES
    monkeypatch.setattr(tracker.journal, "KEEP_BYTES", 10**9)
    for number in range(40):
        change_summary(store, f"small {number}", f"small {number}")
    actions = [entry.action for entry in Journal(store.journal_path).entries()]
    assert actions == [f"small {n}" for n in range(10, 40)]  # the last 30 (LIMIT)


def test_lock_timeout_comes_from_the_environment(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "2.5")
    assert Store(db_path).lock_timeout == 2.5
    for wrong in ("soon", "nan", "1e999", "-1", "inf", "100000"):
        monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", wrong)
        with pytest.raises(UsageProblem, match=rf"TRACKER_LOCK_TIMEOUT='{wrong}' .* from 0 to 86400"):
            Store(db_path)


def test_new_file_mode_follows_the_umask(isolated_environment: Path) -> None:
    old = os.umask(0o027)
    try:
        Store(isolated_environment).ensure()
    finally:
        os.umask(old)
    assert stat.S_IMODE(isolated_environment.stat().st_mode) == 0o640


@pytest.mark.parametrize("umask", [0o222, 0o777])
def test_a_restrictive_umask_leaves_every_file_and_folder_usable_by_its_owner(
    run: Run, isolated_environment: Path, umask: int
) -> None:
    """Under umask 222 or 777 a new file would be read-only, or unreadable, to its owner, and a new folder one it
    cannot write in: the next command could not open the lock, the journal or the index. The tracker gives its
    owner what it needs (and the umask the rest)."""
    database = isolated_environment.parent / "made" / "here" / "commitments.json"
    old = os.umask(umask)
    try:
        assert run("--db", str(database), "init").exit_code == 0
        assert run("--db", str(database), "update", "rcep", "--note", "Signed.").exit_code == 0
        registered = database.with_name(database.name + ".sources")
        text = isolated_environment.parent / "statement.txt"
        text.write_text("1. The ROK will host the next meeting in 2027.\n", encoding="utf-8")
        added = run("--db", str(database), "extract", str(text), "--date", "2026-01-05", "--all", "--add", "--yes")
        assert added.exit_code == 0, added.stderr
    finally:
        os.umask(old)
    files = [database, *database.parent.glob(database.name + ".*"), *database.parent.glob(f"{database.name}.*/*")]
    assert {path.name for path in files} >= {database.name, "commitments.json.lock", "commitments.json.index"}
    for path in files:
        wanted = stat.S_IRWXU if path.is_dir() else stat.S_IRUSR | stat.S_IWUSR
        assert stat.S_IMODE(path.stat().st_mode) & wanted == wanted, path
        assert stat.S_IMODE(path.stat().st_mode) & umask & ~stat.S_IRWXU == 0, path  # the umask for the others
    for folder in (database.parent, database.parent.parent, registered, database.with_name(database.name + ".undo")):
        assert stat.S_IMODE(folder.stat().st_mode) & stat.S_IRWXU == stat.S_IRWXU, folder
    assert run("--db", str(database), "undo", "--yes").exit_code == 0
    # As an earlier version left them under such a umask: mended by the next write.
    lock, journal = database.with_name(database.name + ".lock"), database.with_name(database.name + ".undo")
    lock.chmod(0o444)
    journal.chmod(0o555)
    assert run("--db", str(database), "update", "rcep", "--note", "Again.").exit_code == 0
    assert stat.S_IMODE(lock.stat().st_mode) == 0o644
    assert stat.S_IMODE(journal.stat().st_mode) == 0o755


def test_the_folder_of_the_database_keeps_the_mode_its_owner_gave_it(run: Run, isolated_environment: Path) -> None:
    """Only the tracker's own folders (the journal, the register) are mended; the one the file lives in is the
    user's: write-protected, it stays so (root writes in it anyway, which lets this be checked as root too)."""
    folder = isolated_environment.parent / "kept"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run("--db", str(folder / "commitments.json"), "init")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o555, result.stderr
    finally:
        folder.chmod(0o755)


# --- the index: a cache that is used only while it describes the file exactly --------------------------------------


def test_layout_pieces_give_exactly_the_canonical_json(store: Store) -> None:
    commitments = store.load()
    document = {
        "_meta": {"1": {"schema_version": SCHEMA_VERSION}},
        "commitments": {str(doc_id(c["id"])): c for c in commitments},
    }
    expected = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    assert dump_database(commitments) == expected + "\n"
    empty = json.dumps({"_meta": {"1": {"schema_version": SCHEMA_VERSION}}, "commitments": {}}, indent=2)
    assert dump_database([]) == empty + "\n"


def test_a_full_read_writes_an_index_that_later_reads_use(store: Store) -> None:
    assert not store.index_path.exists()
    first = store.load()
    assert store.index_path.exists()
    snapshot = store._snapshot()
    try:
        assert isinstance(snapshot, IndexedSnapshot)
        assert sorted((snapshot.get(cid) for cid in snapshot.ids), key=lambda c: c["id"]) == first
        assert sorted(snapshot.summaries(), key=lambda s: s["id"]) == [summarize(c) for c in first]
    finally:
        snapshot.close()


def test_many_commitments_are_read_through_the_index_in_one_pass_and_checked(store: Store) -> None:
    with store.transaction("test") as transaction:
        for number in range(80):
            transaction.put(a_commitment(f"Many {number:02d}"))
    expected = store.load()
    ids = [c["id"] for c in expected][::-1]  # in the order asked, not the file's
    with store.reading() as snapshot:
        assert isinstance(snapshot, IndexedSnapshot)
        assert len(ids) >= 64
        assert list(snapshot.get_each(ids)) == [snapshot.get(cid) for cid in ids] == expected[::-1]
    forge_index_over_a_change(store, b'"id": "many-41"', b'"id": "many-4x"')
    with store.reading() as snapshot:
        assert isinstance(snapshot, IndexedSnapshot)
        with pytest.raises(DatabaseError, match="does not match its index"):
            list(snapshot.get_each(ids))
    assert not store.index_path.exists()


def forge_index_over_a_change(store: Store, old: bytes, new: bytes) -> None:
    """Change the file in place (`old` for `new`, of the same length: an id that is not the one the index gives),
    and forge the index that described it to carry the changed file's signature, as only a deliberate forger could."""
    index = current_index(store)
    assert index is not None
    data = store.path.read_bytes()
    damaged = data.replace(old, new, 1)
    assert damaged != data
    assert len(damaged) == len(data)
    store.path.write_bytes(damaged)
    forged = Index(signature(store.path.stat()), index.keys, index.ids, index.spans, index.summaries)
    write_own_index(store, forged.to_bytes())


@pytest.mark.parametrize("run_bytes", [1, 5_000, 1 << 20])
def test_every_commitment_is_read_in_file_order_in_runs_and_checked(
    store: Store, monkeypatch: pytest.MonkeyPatch, run_bytes: int
) -> None:
    import tracker.store

    monkeypatch.setattr(tracker.store, "_RUN", run_bytes)  # one record, a few, or all of them at a time
    with store.transaction("test") as transaction:
        for number in range(30):
            transaction.put(a_commitment(f"Many {number:02d}"))
    expected = store.load()
    in_file_order = sorted(expected, key=lambda c: doc_key(c["id"]))
    with store.reading() as snapshot:
        assert isinstance(snapshot, IndexedSnapshot)
        assert [c for part in snapshot.every_in_parts(list) for c in part] == in_file_order
    forge_index_over_a_change(store, b'"id": "many-21"', b'"id": "many-2x"')
    with store.reading() as snapshot:  # a record not where the index says: the whole file, read and checked
        assert isinstance(snapshot, IndexedSnapshot)
        found = sorted(c["id"] for part in snapshot.every_in_parts(list) for c in part)
    assert not store.index_path.exists()
    assert found == sorted(c["id"] for c in store.load())
    assert "many-2x" in found
    assert "many-21" not in found


def test_an_edit_by_hand_makes_the_index_stale_and_the_file_is_read_in_full(store: Store) -> None:
    store.load()
    document = json.loads(store.path.read_text(encoding="utf-8"))
    edited = next(iter(document["commitments"].values()))
    edited["title"] = "Edited by hand"
    store.path.write_text(json.dumps(document, indent=4), encoding="utf-8")  # not our layout
    assert next(c for c in store.load() if c["id"] == edited["id"])["title"] == "Edited by hand"
    snapshot = store._snapshot()
    assert isinstance(snapshot, LoadedSnapshot)
    change_summary(store, "After the hand edit.")  # a write puts the file back in canonical form
    text = store.path.read_text(encoding="utf-8")
    assert dump_database(parse_database(text, "x")) == text
    assert isinstance(store._snapshot(), IndexedSnapshot)


def test_a_damaged_index_is_ignored(store: Store) -> None:
    store.load()
    store.index_path.write_bytes(b"\x00garbage")
    assert store.load() == sorted(parse_database(store.path.read_text(encoding="utf-8"), "x"), key=lambda c: c["id"])
    assert current_index(store) is not None  # written anew


def test_spliced_writes_give_the_same_file_as_a_full_write(store: Store) -> None:
    store.load()  # so that the writes below splice
    added = a_commitment("Zeta")
    first = {**added, "id": "aaa-first"}
    with store.transaction("mixed") as transaction:
        transaction.put(added)
        transaction.put(first)  # type: ignore[arg-type]
        transaction.delete("summit-commitments-2019")
        transaction.delete("climate-environment-cooperation")
        fund = transaction.get("cooperation-fund")
        fund["summary"] = "Changed in the middle."
        transaction.put(fund)
    text = store.path.read_text(encoding="utf-8")
    commitments = parse_database(text, "spliced")
    assert dump_database(commitments) == text
    ids = [c["id"] for c in commitments]
    assert [doc_key(cid) for cid in ids] == sorted(doc_key(cid) for cid in ids)  # in document-id order
    assert "aaa-first" in ids
    assert "zeta" in ids
    assert "summit-commitments-2019" not in ids
    assert store.load() == sorted(commitments, key=lambda c: c["id"])
    index = current_index(store)
    assert index is not None
    assert index.ids == ids


def test_a_spliced_index_is_the_one_a_full_read_writes_links_included(store: Store) -> None:
    digested(store)  # so that the writes below splice the index too, every digest included
    with store.transaction("supersede") as transaction:
        old = transaction.get("rcep-signing")
        old["history"].append({**old["history"][-1], "date": "2021-01-01", "status": "superseded", "by": "rcep-entry"})
        old["status"] = "superseded"
        transaction.put(old)
        transaction.put({**a_commitment("RCEP enters into force"), "id": "rcep-entry"})
    with store.transaction("retitle and remove") as transaction:
        fund = transaction.get("cooperation-fund")
        fund["title"] = "A title of its own"
        transaction.put(fund)
        transaction.delete("climate-environment-cooperation")
        transaction.put({**a_commitment("Same quote"), "id": "same-quote", "quote": fund["quote"]})
    with store.reading() as snapshot:
        assert isinstance(snapshot, IndexedSnapshot)
        assert snapshot.superseding("rcep-entry") == ["rcep-signing"]
        assert snapshot.repeats("A TITLE of its own ", "") == ["'cooperation-fund' has the same title"]
        found = snapshot.repeats("x", fund["quote"])
        assert "'same-quote' has the same quote" in found
        assert found == Snapshot.repeats(snapshot, "x", fund["quote"])  # as a search of every summary finds
    store.undo()  # the links of the retitled, removed and added commitments, back as they were
    original = next(c for c in bundled_commitments() if c["id"] == "cooperation-fund")
    with store.reading() as snapshot:
        assert snapshot.repeats("A title of its own", "") == []
        found = snapshot.repeats(original["title"], fund["quote"])
        assert "'cooperation-fund' has the same title and quote" in found
        assert found == Snapshot.repeats(snapshot, original["title"], fund["quote"])
    spliced = _index_contents(store)
    held, expected = index_digests(store)
    assert held == expected
    store.index_path.unlink()
    with store.reading() as snapshot:  # the whole file read, and the index written anew
        assert snapshot.superseding("rcep-entry") == ["rcep-signing"]
    assert _index_contents(store) == spliced


def _index_contents(store: Store) -> tuple[Any, ...]:
    """What an index file says, section by section, but for the digests (packed summaries unpacked: marshal's bytes
    for equal values depend on which objects were shared)."""
    index = open_index(store.index_path, signature(store.path.stat()))
    assert index is not None
    try:
        links = index.read(index.links_at, LINK * index.links)
        return index.rows(), list(index.starts(len(HEADER), len(FOOTER))), index.sorted_ids(), index.summaries(), links
    finally:
        index.close()


def test_removing_every_commitment_then_undoing_keeps_the_file_canonical(store: Store) -> None:
    store.load()
    original = store.path.read_bytes()
    with store.transaction("empty it") as transaction:
        for commitment_id in transaction.ids():
            transaction.delete(commitment_id)
    assert json.loads(store.path.read_text(encoding="utf-8")) == {
        "_meta": {"1": {"schema_version": SCHEMA_VERSION}},
        "commitments": {},
    }
    store.undo()
    assert store.path.read_bytes() == original


def assert_indexes_back(text: str, commitments: list[Commitment]) -> None:
    """The index of a file's text finds every commitment's bytes and summary, in order."""
    index = index_records(text.encode(), (1, 2, 3, 4, 5), "x")
    assert index is not None
    assert index.ids == [c["id"] for c in commitments]
    for number, commitment in enumerate(commitments):
        start, end = index.span(number)
        assert json.loads(text.encode()[start:end].split(b": ", 1)[1]) == commitment
        assert index.summary(number) == summarize(commitment)


def test_records_are_indexed_only_in_the_canonical_layout() -> None:
    text = bundled_text()
    commitments = parse_database(text, "x")
    assert_indexes_back(text, commitments)
    assert index_records(json.dumps(json.loads(text), indent=4).encode(), (1, 2, 3, 4, 5), "x") is None
    renamed = dump_database(commitments).replace('"climate-environment', '"zz-climate-environment', 1)
    assert index_records(renamed.encode(), (1, 2, 3, 4, 5), "x") is None  # its document id is not its id's
    assert parse_database(renamed, "x")  # the whole-document read takes it, and the next write puts it in place
    assert record_spans(text.encode()[:-2]) is None


def test_a_bad_record_in_the_canonical_layout_is_named(store: Store) -> None:
    commitments = parse_database(store.path.read_text(encoding="utf-8"), "x")
    commitments[4]["pillar"] = "military"
    store.path.write_text(dump_database(commitments), encoding="utf-8")
    name = commitments[4]["id"]
    with pytest.raises(DatabaseError, match=rf"commitment 5 \('{name}'\) pillar 'military'"):
        store.load()


def test_a_file_changed_in_place_with_its_times_restored_is_read_in_full(store: Store) -> None:
    store.load()
    before = store.path.stat()
    text = store.path.read_text(encoding="utf-8")
    shifted = text.replace('"actors": [', '"actors":  [', 1)[:-1]  # same size, every span after it moved
    assert len(shifted.encode()) == before.st_size
    with store.path.open("r+", encoding="utf-8") as file:  # in place: same inode
        file.write(shifted)
    os.utime(store.path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `touch -d` would
    expected_order = sorted(parse_database(shifted, "x"), key=lambda c: c["id"])
    assert store.load() == expected_order  # the change time gave it away: read in full
    change_summary(store, "Written over the edited file.")
    expected = {c["id"]: c for c in parse_database(shifted, "x")}
    assert {c["id"]: c for c in store.load() if c["id"] != "rcep-signing"} == {
        cid: c for cid, c in expected.items() if cid != "rcep-signing"
    }


def test_json_export_is_the_same_with_and_without_the_index(store: Store) -> None:
    ids = ["rcep-signing", "cooperation-fund", "zz-not-there"][:2]
    store.load()
    with store.reading() as snapshot:
        indexed = b"".join(export_json(snapshot, ids))
    store.index_path.unlink()
    store.path.write_text(json.dumps(json.loads(store.path.read_text(encoding="utf-8")), indent=4), encoding="utf-8")
    with store.reading() as snapshot:
        full = b"".join(export_json(snapshot, ids))
    assert indexed == full
    assert full.decode() == dump_database([c for c in store.load() if c["id"] in ids])


def test_a_splice_checks_every_range_it_copies(store: Store) -> None:
    store.load()
    before = store.path.stat()
    data = store.path.read_bytes()
    damaged = data.replace(b'"commitments": {\n    "', b'"commitments": {\n   "', 1)  # the first record only
    damaged = damaged.replace(b'": {\n      "actors"', b'":  {\n      "actors"', 1)  # the same length
    assert len(damaged) == len(data)
    index = current_index(store)
    with store.path.open("r+b") as file:
        file.write(damaged)
    os.utime(store.path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert index is not None
    forged = Index(signature(store.path.stat()), index.keys, index.ids, index.spans, index.summaries)  # crafted
    write_own_index(store, forged.to_bytes())
    with pytest.raises(DatabaseError, match="does not match its index"):
        change_summary(store, "Must not be written.")  # rcep-signing itself is intact; the first range is not
    assert store.path.read_bytes() == damaged
    assert not store.index_path.exists()


def test_a_link_to_the_data_file_stays_a_link(store: Store, tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(store.path)
    change_summary(Store(link), "Through the link.")
    assert link.is_symlink()
    assert "Through the link." in store.path.read_text(encoding="utf-8")
    assert Store(link).load() == store.load()


_text = st.text(st.characters(codec="utf-8"), max_size=40)
STAMP = "2021-01-01T00:00:00Z"


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    titles=st.lists(_text.filter(lambda t: t.strip() != ""), min_size=0, max_size=6),
    notes=st.lists(_text, min_size=1, max_size=3),
)
def test_the_layout_is_exactly_the_canonical_json_and_indexes_back(titles: list[str], notes: list[str]) -> None:
    commitments = []
    for number, title in enumerate(titles):
        made = new_commitment(
            existing_ids=[],
            title=title[:80],
            actors=["ROK", title],
            pillar=Pillar.ECONOMIC,
            today="2021-01-01",
            recorded_at="2021-01-01T00:00:00Z",
            commitment_id=f"c-{number}",
        )
        for note in notes:
            if note:  # an empty note with no evidence is nothing to record
                evidence = [note] if note.strip() else []
                made = record_event(
                    made,
                    on="2021-01-01",
                    today="2021-01-01",
                    status=None,
                    note=note,
                    evidence=evidence,
                    recorded_at=STAMP,
                    repeat=True,
                )
        commitments.append(made)
    text = dump_database(commitments)
    table = {str(doc_id(c["id"])): c for c in commitments}
    document = {"_meta": {"1": {"schema_version": SCHEMA_VERSION}}, "commitments": table}
    expected = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    assert text == expected + "\n"
    assert_indexes_back(text, sorted(commitments, key=lambda c: doc_key(c["id"])))


def test_a_journal_that_cannot_take_a_change_stops_it_before_the_data_changes(store: Store) -> None:
    store.journal_path.write_text("not a folder", encoding="utf-8")
    original = store.path.read_bytes()
    with pytest.raises(DatabaseError, match="is not a folder"):
        change_summary(store, "Must not be written.")
    with pytest.raises(DatabaseError, match="is not a folder"):
        store.init(force=True)
    assert store.path.read_bytes() == original
    assert not list(store.path.parent.glob("*.bak"))


@pytest.mark.parametrize("key", ["\u00b2", "\u2460", "\u0661\u0662", "9" * 5000, "0", "18446744073709551616", "-1"])
def test_a_document_id_that_is_not_a_whole_number_of_ascii_digits_is_refused(key: str) -> None:
    """TinyDB's document ids are whole numbers: a key of other digits (superscripts, circled, Arabic-Indic), of more
    digits than a number may have, or out of range names the key, never a failure of the reader."""
    document = json.loads(bundled_text())
    table = document["commitments"]
    first = next(iter(table))
    table[key] = table.pop(first)
    with pytest.raises(DatabaseError, match=r"not a whole number from 1 to 18,446,744,073,709,551,615 \(2\^64 - 1\)"):
        parse_database(json.dumps(document, ensure_ascii=False), "test.json")


@pytest.mark.parametrize("old", [None, "schema-v2.json"], ids=["current", "version 2"])
@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"1": {"note": "kept?"}}, "'note'"),
        ({"2": {"x": 1}}, "'2'"),
        ({"1": {"x\ud800": 1}}, "'x\\\\ud800'"),
        ({str(number): {} for number in range(2, 12)}, "'10', '11', '2' and 7 more"),
    ],
)
def test_what_the_meta_table_holds_beside_the_schema_version_is_refused_not_dropped(
    old: str | None, extra: dict[str, Any], named: str
) -> None:
    """The next write (or the upgrade of an older file) would rewrite `_meta` with the schema version alone:
    anything else there is named, not lost."""
    text = bundled_text() if old is None else (Path(__file__).parent / "data" / old).read_text(encoding="utf-8")
    document = json.loads(text)
    meta = document["_meta"]
    for key, fields in extra.items():
        meta[key] = {**meta.get(key, {}), **fields}
    with pytest.raises(DatabaseError, match=f"the table '_meta' holds {named}, which this tracker does not keep"):
        parse_database(json.dumps(document), "test.json")


def test_add_and_update_read_no_list_of_every_id(run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-record write asks the index whether an id is taken by bisection: no list of every id is read (at a
    million commitments, that list alone took 0.6 s)."""
    import tracker.index

    assert run("list").exit_code == 0

    def whole(self: tracker.index.IndexFile) -> list[str]:
        raise AssertionError("every id read")

    monkeypatch.setattr(tracker.index.IndexFile, "sorted_ids", whole)
    monkeypatch.setattr(tracker.index.IndexFile, "ids", whole)
    monkeypatch.setattr(tracker.index.IndexFile, "rows", whole)
    added = run("add", "--title", "Sign RCEP", "--kind", "pledge", "--actor", "ROK", "--pillar", "economic")
    assert (added.exit_code, added.stderr) == (0, "")
    assert added.stdout == "added sign-rcep: Sign RCEP\n"
    again = run("add", "--title", "Sign RCEP", "--kind", "pledge", "--actor", "ROK", "--pillar", "economic")
    assert again.stdout.startswith("added sign-rcep-2: "), again.stderr
    taken = run(
        "add", "--id", "rcep-signing", "--title", "Again", "--kind", "pledge", "--actor", "ROK", "-p", "economic"
    )
    assert taken.exit_code == 1
    assert "a commitment with id 'rcep-signing' already exists" in taken.stderr
    assert run("update", "sign-rcep", "--note", "Signed.").exit_code == 0
