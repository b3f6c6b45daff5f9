"""The data file: where it lives, how it is locked, read, validated and written atomically, and its undo journal.

The file is canonical JSON (2-space indent, sorted keys, UTF-8, commitments sorted by id, a schema version) so
that it can be kept in git and reviewed. TinyDB sees it through `tracker.storage.CanonicalJSONStorage`, which reads
the file once per operation and writes it back only when the operation commits, under a lock, by an atomic replace.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tracker.errors import DatabaseError, InvalidInputError, LockTimeoutError, NothingToUndoError
from tracker.model import Commitment, commitment_problems, utc_timestamp

if TYPE_CHECKING:
    from tinydb.table import Table

    from tracker.storage import CanonicalJSONStorage

SCHEMA_VERSION = 1
TABLE = "commitments"
JOURNAL_SCHEMA_VERSION = 1
JOURNAL_LIMIT = 100
DEFAULT_LOCK_TIMEOUT = 10.0


def default_path() -> Path:
    """`commitments.json` in the platform's user data directory."""
    import platformdirs

    return platformdirs.user_data_path("tracker", appauthor=False) / "commitments.json"


def bundled_text() -> str:
    """The bundled ASEAN-ROK 2020 data set, as shipped inside the package."""
    return resources.files("tracker.data").joinpath("commitments.json").read_text(encoding="utf-8")


def bundled_source(file_name: str) -> str:
    """A bundled source text from `data/sources/`."""
    return resources.files("tracker.data.sources").joinpath(file_name).read_text(encoding="utf-8")


def canonical_json(value: Any) -> str:
    """The one way the tracker writes JSON files: 2-space indent, sorted keys, UTF-8 unescaped, final newline."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def dump_database(commitments: list[Commitment]) -> str:
    """The canonical text of a database holding `commitments`."""
    ordered = sorted(commitments, key=lambda commitment: commitment["id"])
    return canonical_json({TABLE: ordered, "schema_version": SCHEMA_VERSION})


def parse_database(text: str, origin: str) -> list[Commitment]:
    """The commitments in a database file's text; DatabaseError naming `origin` and the problem otherwise."""
    if not text.strip():
        raise DatabaseError(f"{origin} is empty, not a tracker database (run 'tracker init --force' to recreate it)")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DatabaseError(
            f"{origin} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(document, dict) or TABLE not in document or "schema_version" not in document:
        raise DatabaseError(
            f"{origin} is not a tracker database (expected an object with 'commitments' and 'schema_version')"
        )
    version = document["schema_version"]
    if version != SCHEMA_VERSION:
        raise DatabaseError(
            f"{origin} has schema version {version!r}; this tracker reads version {SCHEMA_VERSION} only"
        )
    if set(document) != {TABLE, "schema_version"}:
        extra = ", ".join(sorted(set(document) - {TABLE, "schema_version"}))
        raise DatabaseError(f"{origin} has unknown top-level field(s): {extra}")
    records = document[TABLE]
    if not isinstance(records, list):
        raise DatabaseError(f"{origin}: 'commitments' is not a list")
    seen: set[str] = set()
    for position, record in enumerate(records, start=1):
        problems = commitment_problems(record)
        if problems:
            label = f" ('{record['id']}')" if isinstance(record, dict) and isinstance(record.get("id"), str) else ""
            raise DatabaseError(f"{origin}: commitment {position}{label} {problems[0]}")
        if record["id"] in seen:
            raise DatabaseError(f"{origin}: id '{record['id']}' appears more than once")
        seen.add(record["id"])
    return cast(list[Commitment], records)


def read_text(path: Path) -> str:
    """A file's UTF-8 text, or a DatabaseError that says why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise DatabaseError(f"{path} is a directory, not a tracker database file") from None
    except UnicodeDecodeError as error:
        raise DatabaseError(f"{path} is not UTF-8 text (byte {error.start}), not a tracker database") from None
    except PermissionError:
        raise DatabaseError(f"{path} cannot be read: permission denied") from None
    except OSError as error:
        raise DatabaseError(f"{path} cannot be read: {error.strerror or error}") from None


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, text: str) -> None:
    """Replace `path` with `text`: temp file in the same directory, fsync, rename, fsync the directory."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as temp:
            temp.write(text)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@dataclass
class Change:
    """One commitment before and after a write (None where it did not exist)."""

    id: str
    before: Commitment | None
    after: Commitment | None


class Transaction:
    """The working state of one write: read the file, change commitments by id, then commit or roll back."""

    def __init__(self, table: Table, action: str) -> None:
        self._table = table
        self.action = action
        self._doc_ids = {document["id"]: document.doc_id for document in table.all()}
        self.changes: dict[str, Change] = {}

    def ids(self) -> list[str]:
        """Every id in the database."""
        return list(self._doc_ids)

    def all(self) -> list[Commitment]:
        """A copy of every commitment."""
        return [cast(Commitment, copy.deepcopy(dict(document))) for document in self._table.all()]

    def get(self, commitment_id: str) -> Commitment:
        """A copy of the commitment with this exact id."""
        document = self._table.get(doc_id=self._doc_ids[commitment_id])
        assert isinstance(document, dict)
        return cast(Commitment, copy.deepcopy(dict(document)))

    def _remember(self, commitment_id: str) -> None:
        if commitment_id not in self.changes:
            before = self.get(commitment_id) if commitment_id in self._doc_ids else None
            self.changes[commitment_id] = Change(commitment_id, before, None)

    def put(self, commitment: Commitment) -> None:
        """Insert `commitment`, or replace the one with its id."""
        problems = commitment_problems(commitment)
        if problems:
            raise InvalidInputError(f"commitment '{commitment.get('id')}' {problems[0]}")
        commitment_id = commitment["id"]
        self._remember(commitment_id)
        stored = copy.deepcopy(commitment)
        if commitment_id in self._doc_ids:
            self._table.update(cast(dict[str, Any], stored), doc_ids=[self._doc_ids[commitment_id]])
        else:
            self._doc_ids[commitment_id] = self._table.insert(cast(dict[str, Any], stored))
        self.changes[commitment_id].after = copy.deepcopy(commitment)

    def delete(self, commitment_id: str) -> None:
        """Remove the commitment with this exact id."""
        self._remember(commitment_id)
        self._table.remove(doc_ids=[self._doc_ids.pop(commitment_id)])
        self.changes[commitment_id].after = None

    def effective_changes(self) -> list[Change]:
        """The changes that leave a commitment different from how it was."""
        return [change for change in self.changes.values() if change.before != change.after]


@dataclass
class WriteResult:
    """What a committed write did: its changes, and any warning the user should see."""

    changes: list[Change]
    warnings: list[str] = field(default_factory=list)


@dataclass
class UndoResult:
    """What `undo` reverted."""

    action: str
    at: str
    changes: list[Change]


class Store:
    """One tracker database file, its lock file and its undo journal."""

    def __init__(self, path: Path, lock_timeout: float | None = None) -> None:
        self.path = path
        if lock_timeout is None:
            lock_timeout = _lock_timeout_from_environment()
        self.lock_timeout = lock_timeout

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def journal_path(self) -> Path:
        return self.path.with_name(self.path.name + ".undo")

    # --- locking and creation ----------------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cross-process lock on the sibling lock file for a read-modify-write."""
        from filelock import FileLock, Timeout

        self._check_directory()
        lock = FileLock(str(self.lock_path), timeout=self.lock_timeout)
        try:
            lock.acquire()
        except Timeout:
            raise LockTimeoutError(
                f"{self.path} is locked by another tracker process ({self.lock_path}); waited "
                f"{self.lock_timeout:g} s; try again when it has finished"
            ) from None
        except OSError as error:
            raise DatabaseError(f"cannot lock {self.path}: {error.strerror or error} ({self.lock_path})") from None
        try:
            yield
        finally:
            lock.release()

    def _check_directory(self) -> None:
        if not self.path.parent.is_dir():
            raise DatabaseError(f"the directory of {self.path} does not exist; create it or choose another --db")

    def exists(self) -> bool:
        """Whether anything (valid or not) is at the data path."""
        return self.path.exists() or self.path.is_symlink()

    def ensure(self, create_directory: bool = False) -> bool:
        """Create the database from the bundled data set if nothing is at its path; True if it was created."""
        if self.exists():
            return False
        if create_directory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.locked():
            if self.exists():
                return False
            atomic_write(self.path, dump_database(parse_database(bundled_text(), "the bundled data set")))
            return True

    def init(self, force: bool = False, empty: bool = False) -> Path | None:
        """Create the database from the bundled data set (or `empty`); with `force`, over an existing file, after
        a backup. Returns the backup's path, if one was made.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        bundled = [] if empty else parse_database(bundled_text(), "the bundled data set")
        with self.locked():
            if not self.exists():
                atomic_write(self.path, dump_database(bundled))
                return None
            if not force:
                raise InvalidInputError(
                    f"{self.path} already exists; 'tracker init --force' replaces it and keeps a backup"
                )
            if self.path.is_dir():
                raise DatabaseError(f"{self.path} is a directory; remove it or choose another --db")
            backup = self._backup()
            try:
                old = parse_database(read_text(self.path), str(self.path))
            except DatabaseError:
                old = None
            atomic_write(self.path, dump_database(bundled))
            if old is not None:
                self._journal_changes("init --force", _diff(old, bundled))
            return backup

    def _backup(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = self.path.with_name(f"{self.path.name}.{stamp}.bak")
        number = 1
        while backup.exists():
            number += 1
            backup = self.path.with_name(f"{self.path.name}.{stamp}-{number}.bak")
        shutil.copy2(self.path, backup)
        return backup

    # --- reading and writing -----------------------------------------------------------------------------------

    def _open(self) -> tuple[CanonicalJSONStorage, Table]:
        # TinyDB is imported here, not at start-up: read-only commands on small files need little of it.
        from tinydb import TinyDB

        from tracker.storage import CanonicalJSONStorage

        storage = CanonicalJSONStorage(self.path)
        storage.read()
        database = TinyDB(storage=lambda: storage)
        return storage, database.table(TABLE)

    def load(self) -> list[Commitment]:
        """Every commitment in the file, validated, sorted by id."""
        storage, _ = self._open()
        return sorted(storage.commitments(), key=lambda commitment: commitment["id"])

    @contextmanager
    def transaction(self, action: str) -> Iterator[Transaction]:
        """Lock, read, let the caller change commitments, then write atomically and journal the change for undo.

        If the caller raises, nothing is written.
        """
        with self.locked():
            storage, table = self._open()
            transaction = Transaction(table, action)
            yield transaction
            changes = transaction.effective_changes()
            if not changes:
                return
            self._check_writable()
            self._remove_stale_temp_files()
            storage.commit()
            self._journal_changes(transaction.action, changes)

    def write(self, action: str, change: Callable[[Transaction], None]) -> WriteResult:
        """Run `change` in a transaction; return what it changed."""
        with self.transaction(action) as transaction:
            change(transaction)
        return WriteResult(transaction.effective_changes())

    def _remove_stale_temp_files(self) -> None:
        # Only called under the lock, so no other process is writing: a temp file is what a killed one left.
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)

    def _check_writable(self) -> None:
        mode = self.path.stat().st_mode
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(self.path, os.W_OK):
            raise DatabaseError(f"{self.path} is read-only; make it writable to record changes")

    # --- the undo journal --------------------------------------------------------------------------------------

    def _read_journal(self) -> list[dict[str, Any]]:
        if not self.journal_path.exists():
            return []
        text = read_text(self.journal_path)
        try:
            journal = json.loads(text)
            if journal.get("schema_version") != JOURNAL_SCHEMA_VERSION or not isinstance(journal["entries"], list):
                raise ValueError
            return cast(list[dict[str, Any]], journal["entries"])
        except (ValueError, AttributeError, KeyError, TypeError):
            raise DatabaseError(
                f"the undo journal {self.journal_path} is damaged; move it aside to go on (undo history is lost)"
            ) from None

    def _write_journal(self, entries: list[dict[str, Any]]) -> None:
        text = canonical_json({"entries": entries[-JOURNAL_LIMIT:], "schema_version": JOURNAL_SCHEMA_VERSION})
        atomic_write(self.journal_path, text)

    def _journal_changes(self, action: str, changes: list[Change]) -> None:
        entries = self._read_journal()
        entries.append(
            {
                "action": action,
                "at": utc_timestamp(),
                "changes": [{"id": c.id, "before": c.before, "after": c.after} for c in changes],
            }
        )
        self._write_journal(entries)

    def undo_preview(self) -> str:
        """The action that `undo` would revert; NothingToUndoError when there is none."""
        entries = self._read_journal()
        if not entries:
            raise NothingToUndoError(f"nothing to undo: no recorded changes to {self.path}")
        return str(entries[-1]["action"])

    def undo(self) -> UndoResult:
        """Revert the most recent journaled change, if every commitment it touched is still as it left it."""
        with self.locked():
            entries = self._read_journal()
            if not entries:
                raise NothingToUndoError(f"nothing to undo: no recorded changes to {self.path}")
            entry = entries[-1]
            storage, table = self._open()
            transaction = Transaction(table, "undo")
            changes = [Change(c["id"], c["before"], c["after"]) for c in entry["changes"]]
            for change in changes:
                current = transaction.get(change.id) if change.id in transaction.ids() else None
                if current != change.after:
                    raise InvalidInputError(
                        f"cannot undo '{entry['action']}': commitment '{change.id}' has changed since"
                    )
            for change in changes:
                if change.before is None:
                    transaction.delete(change.id)
                else:
                    transaction.put(change.before)
            self._check_writable()
            storage.commit()
            self._write_journal(entries[:-1])
            return UndoResult(str(entry["action"]), str(entry["at"]), changes)


def _diff(old: list[Commitment], new: list[Commitment]) -> list[Change]:
    before = {commitment["id"]: commitment for commitment in old}
    after = {commitment["id"]: commitment for commitment in new}
    return [
        Change(cid, before.get(cid), after.get(cid))
        for cid in sorted(before.keys() | after.keys())
        if before.get(cid) != after.get(cid)
    ]


def _lock_timeout_from_environment() -> float:
    raw = os.environ.get("TRACKER_LOCK_TIMEOUT")
    if raw is None:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise DatabaseError(f"TRACKER_LOCK_TIMEOUT={raw!r} is not a number of seconds") from None
    if value < 0:
        raise DatabaseError(f"TRACKER_LOCK_TIMEOUT={raw!r} must be zero or more seconds")
    return value
