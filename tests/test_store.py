"""The data file: canonical, atomic, locked, validated, never modified when refused; the undo journal."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from filelock import FileLock

from tracker.errors import DatabaseError, InvalidInputError, LockTimeoutError, NothingToUndoError
from tracker.model import Pillar, new_commitment
from tracker.store import Store, bundled_text, dump_database, parse_database

GARBAGE = {
    "invalid JSON": '{"commitments": [',
    "empty": "",
    "only white space": "  \n",
    "a list": "[]",
    "wrong shape": '{"_default": {}}',
    "unknown schema version": '{"commitments": [], "schema_version": 99}',
    "commitments not a list": '{"commitments": {}, "schema_version": 1}',
    "record with wrong types": json.dumps(
        {"commitments": [{**json.loads(bundled_text())["commitments"][0], "actors": "ROK"}], "schema_version": 1}
    ),
    "duplicate ids": json.dumps(
        {"commitments": [json.loads(bundled_text())["commitments"][0]] * 2, "schema_version": 1}
    ),
}


def change_summary(store: Store, summary: str, action: str = "test") -> None:
    with store.transaction(action) as transaction:
        commitment = transaction.get("rcep-signing")
        commitment["summary"] = summary
        transaction.put(commitment)


def test_file_is_canonical_sorted_and_readable(store: Store) -> None:
    text = store.path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert list(document) == ["commitments", "schema_version"]
    assert document["schema_version"] == 1
    ids = [c["id"] for c in document["commitments"]]
    assert ids == sorted(ids)
    assert '\n  "commitments": [\n    {\n      "actors": [' in text
    assert "Ministers\u2019 Meeting" in text  # the character itself, not a \u2019 escape in the file
    assert "\\u2019" not in text
    assert text.endswith("}\n")


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
    def denied(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", denied)
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
    added = new_commitment(
        existing_ids=[],
        title="New",
        actors=["ROK"],
        pillar=Pillar.ECONOMIC,
        today="2021-01-01",
        recorded_at="2021-01-01T00:00:00Z",
    )
    with store.transaction("add") as transaction:
        transaction.put(added)
        transaction.delete("rcep-signing")
    assert {c["id"] for c in store.load()} >= {"new"}
    assert store.undo().action == "add"
    assert store.path.read_bytes() == original


def test_undo_refuses_when_the_commitment_changed_since(store: Store) -> None:
    change_summary(store, "one")
    document = json.loads(store.path.read_text(encoding="utf-8"))
    document["commitments"] = [
        {**c, "summary": "edited by hand"} if c["id"] == "rcep-signing" else c for c in document["commitments"]
    ]
    store.path.write_text(dump_database(document["commitments"]), encoding="utf-8")
    edited = store.path.read_bytes()
    with pytest.raises(InvalidInputError, match="has changed since"):
        store.undo()
    assert store.path.read_bytes() == edited


def test_a_damaged_journal_is_reported_not_overwritten(store: Store) -> None:
    store.journal_path.write_text("{broken", encoding="utf-8")
    original = store.path.read_bytes()
    with pytest.raises(DatabaseError, match="undo journal"):
        store.undo()
    assert store.journal_path.read_text(encoding="utf-8") == "{broken"
    assert store.path.read_bytes() == original


def test_lock_timeout_comes_from_the_environment(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "2.5")
    assert Store(db_path).lock_timeout == 2.5
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "soon")
    with pytest.raises(DatabaseError, match="TRACKER_LOCK_TIMEOUT"):
        Store(db_path)


def test_new_file_mode_follows_the_umask(isolated_environment: Path) -> None:
    old = os.umask(0o027)
    try:
        Store(isolated_environment).ensure()
    finally:
        os.umask(old)
    assert stat.S_IMODE(isolated_environment.stat().st_mode) == 0o640
