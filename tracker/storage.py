"""TinyDB's view of the data file, for a full read: the file's text parsed and every commitment validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from tinydb.storages import Storage

from tracker.model import Commitment
from tracker.store import TABLE, parse_database


class CanonicalJSONStorage(Storage):
    """A TinyDB storage over one version of the data file, made afresh for each command.

    It parses and validates the text once, on the first read. Writes never go through it: the store writes whole
    files atomically, under its lock (TinyDB's JSONStorage rewrites files in place, and CachingMiddleware can lose
    writes, so neither is used).
    """

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self._text = text
        self._tables: dict[str, dict[str, Any]] | None = None

    def read(self) -> dict[str, dict[str, Any]]:
        if self._tables is None:
            commitments = parse_database(self._text, str(self.path))
            self._tables = {TABLE: {str(number): record for number, record in enumerate(commitments, start=1)}}
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        raise NotImplementedError("the tracker writes files through its store, atomically and under its lock")

    def commitments(self) -> list[Commitment]:
        """Every commitment, in file order."""
        return cast(list[Commitment], list(self.read().get(TABLE, {}).values()))
