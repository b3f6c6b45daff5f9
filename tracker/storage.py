"""TinyDB's view of the data file, for a full read: the file's text parsed, migrated to the current schema
version and every commitment validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from tracker.layout import SCHEMA_VERSION, parse_document


class CanonicalJSONStorage(Storage):
    """A TinyDB storage over one version of the data file, made afresh for each command.

    It parses and validates the text once, on the first read; `version` is then the schema version the file has.
    Writes never go through it: the store writes whole files atomically, under its lock (TinyDB's JSONStorage
    rewrites files in place, and CachingMiddleware can lose writes, so neither is used).
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
