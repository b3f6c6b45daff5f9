"""TinyDB's view of the data file, for a full read: the file's text parsed, migrated to the current schema
version and every commitment validated, then read back through TinyDB as documents."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, cast

from tracker.layout import SCHEMA_VERSION, TABLE, parse_document
from tracker.model import Commitment


def load_whole(path: Path, text: str) -> tuple[list[Commitment], int]:
    """Every commitment of a data file's text, read through TinyDB (any formatting, a file TinyDB itself wrote, an
    older schema version), sorted by id; and the schema version the file has."""
    from tinydb import TinyDB  # 12 ms: only a file that is not in the canonical layout is read this way

    storage = _storage_class()(path, text)
    documents = TinyDB(storage=lambda: storage).table(TABLE).all()
    return sorted((cast(Commitment, dict(d)) for d in documents), key=lambda c: c["id"]), storage.version


@cache
def _storage_class() -> Any:
    from tinydb.storages import Storage

    class CanonicalJSONStorage(Storage):
        """A TinyDB storage over one version of the data file, made afresh for each command.

        It parses and validates the text once, on the first read; `version` is then the file's schema version.
        Writes never go through it: the store writes whole files atomically, under its lock (TinyDB's
        JSONStorage rewrites files in place, and CachingMiddleware can lose writes, so neither is used).
        """

        def __init__(self, path: Path, text: str) -> None:
            self.path = path
            self._text = text
            self._tables: dict[str, dict[str, Any]] | None = None
            self.version = SCHEMA_VERSION

        def read(self) -> dict[str, dict[str, Any]]:
            if self._tables is None:
                self._tables, self.version = parse_document(self._text, str(self.path))
            return self._tables

        def write(self, data: dict[str, dict[str, Any]]) -> None:
            raise NotImplementedError("the tracker writes files through its store, atomically and under its lock")

    return CanonicalJSONStorage
