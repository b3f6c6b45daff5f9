"""TinyDB's view of the data file: a storage that reads it once per operation and writes it only on commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from tinydb.storages import Storage

from tracker.model import Commitment
from tracker.store import TABLE, atomic_write, dump_database, parse_database, read_text


class CanonicalJSONStorage(Storage):
    """A TinyDB storage over one canonical database file, opened afresh for each operation.

    `read` loads and validates the file the first time; `write` only keeps the new state in memory; `commit`
    writes it atomically. TinyDB's JSONStorage rewrites files in place and CachingMiddleware can lose writes,
    so neither is used.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tables: dict[str, dict[str, Any]] | None = None
        self.dirty = False

    def read(self) -> dict[str, dict[str, Any]]:
        if self._tables is None:
            commitments = parse_database(read_text(self.path), str(self.path))
            self._tables = {TABLE: {str(number): record for number, record in enumerate(commitments, start=1)}}
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._tables = data
        self.dirty = True

    def commitments(self) -> list[Commitment]:
        """Every commitment, in file order."""
        return cast(list[Commitment], list(self.read().get(TABLE, {}).values()))

    def commit(self) -> None:
        """Write the new state to the file, if anything changed."""
        if self.dirty:
            atomic_write(self.path, dump_database(self.commitments()))
            self.dirty = False
