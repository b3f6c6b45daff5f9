"""The undo journal beside the data file: one JSON line per change, appended, so that recording a change costs the
same however long the journal is.

Each line holds the action, when it was recorded, and the before and after states of the commitments it touched.
A line cut short by a crash has no newline at its end: it is ignored, and cut off before the next append. The
journal keeps the last `LIMIT` changes; it is trimmed, by an atomic rewrite, only when it grows past `TRIM_BYTES`,
and then also to at most `KEEP_BYTES`, though never below the last `MINIMUM` changes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tracker.errors import DatabaseError

LIMIT = 100
MINIMUM = 20
TRIM_BYTES = 64 << 20
KEEP_BYTES = 32 << 20


class Journal:
    """The undo journal at `path`; every method is called with the data file's lock held."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entry: dict[str, Any]) -> None:
        """Add one change at the end, durably."""
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"
        complete = self._complete_length()
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o666)
        try:
            os.ftruncate(descriptor, complete)  # drop a line a crash cut short
            os.lseek(descriptor, complete, os.SEEK_SET)
            view = memoryview(line)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if complete + len(line) > TRIM_BYTES:
            self._trim()

    def last(self) -> tuple[int, dict[str, Any]] | None:
        """The most recent change and the offset of its line, or None if there is none."""
        lines = self._lines()
        if not lines:
            return None
        offset, raw = lines[-1]
        return offset, self._parse(raw)

    def drop_last(self, offset: int) -> None:
        """Remove the most recent change, whose line starts at `offset`."""
        descriptor = os.open(self.path, os.O_WRONLY)
        try:
            os.ftruncate(descriptor, offset)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def entries(self) -> list[dict[str, Any]]:
        """Every change, oldest first."""
        return [self._parse(raw) for _, raw in self._lines()]

    def _read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""
        except OSError as error:
            raise DatabaseError(f"the undo journal {self.path} cannot be read: {error.strerror or error}") from None

    def _complete_length(self) -> int:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return 0
        if size == 0:
            return 0
        with self.path.open("rb") as file:
            file.seek(size - 1)
            if file.read(1) == b"\n":
                return size
        data = self._read()
        return data.rfind(b"\n") + 1

    def _lines(self) -> list[tuple[int, bytes]]:
        data = self._read()
        data = data[: data.rfind(b"\n") + 1]
        lines: list[tuple[int, bytes]] = []
        offset = 0
        for raw in data.splitlines(keepends=True):
            lines.append((offset, raw))
            offset += len(raw)
        return lines

    def _parse(self, raw: bytes) -> dict[str, Any]:
        try:
            entry = json.loads(raw)
            if not isinstance(entry, dict) or not {"action", "at", "changes"} <= entry.keys():
                raise ValueError
        except ValueError:
            raise DatabaseError(
                f"the undo journal {self.path} is damaged; move it aside to go on (undo history is lost)"
            ) from None
        return entry

    def _trim(self) -> None:
        from tracker.store import atomic_write

        lines = [raw for _, raw in self._lines()][-LIMIT:]
        kept: list[bytes] = []
        size = 0
        for raw in reversed(lines):
            if len(kept) >= MINIMUM and size + len(raw) > KEEP_BYTES:
                break
            kept.append(raw)
            size += len(raw)
        atomic_write(self.path, b"".join(reversed(kept)))
