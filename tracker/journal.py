"""The undo journal beside the data file: a folder with one JSON file per change, so that recording, undoing and
trimming each cost the same however large other changes were (an import of a hundred thousand commitments
included).

Each file holds the action, when it was recorded, and the before and after states of the commitments it touched;
its name is its number in sequence. Files are written atomically. The journal keeps the last `LIMIT` changes and
at most `KEEP_BYTES` of them, but never fewer than the last `MINIMUM` changes, however large.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tracker.errors import DatabaseError

LIMIT = 100
MINIMUM = 20
KEEP_BYTES = 64 << 20
_NAME = re.compile(r"^(\d{9})\.json$")


class Journal:
    """The undo journal in the folder `path`; every method is called with the data file's lock held."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _numbered(self) -> list[tuple[int, Path]]:
        """The change files, oldest first (leftover temporary files are not among them)."""
        if self.path.exists() and not self.path.is_dir():
            raise DatabaseError(f"the undo journal {self.path} is not a folder; move it aside to go on")
        try:
            names = [(int(m[1]), entry) for entry in self.path.iterdir() if (m := _NAME.match(entry.name))]
        except FileNotFoundError:
            return []
        return sorted(names)

    def check(self) -> None:
        """Raise DatabaseError now if the journal could not take a change."""
        self._numbered()

    def append(self, entry: dict[str, Any]) -> None:
        """Record one change after all the others, then trim the oldest."""
        from tracker.store import atomic_write

        numbered = self._numbered()
        number = numbered[-1][0] + 1 if numbered else 1
        self.path.mkdir(exist_ok=True)
        text = json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        atomic_write(self.path / f"{number:09d}.json", text)
        self._trim([*numbered, (number, self.path / f"{number:09d}.json")])

    def last(self) -> tuple[Path, dict[str, Any]] | None:
        """The most recent change and its file, or None if there is none."""
        numbered = self._numbered()
        if not numbered:
            return None
        path = numbered[-1][1]
        return path, self._parse(path)

    def entries(self) -> list[dict[str, Any]]:
        """Every change kept, oldest first."""
        return [self._parse(path) for _, path in self._numbered()]

    def _parse(self, path: Path) -> dict[str, Any]:
        try:
            entry = json.loads(path.read_bytes())
            if not isinstance(entry, dict) or not {"action", "at", "changes"} <= entry.keys():
                raise ValueError
        except (OSError, ValueError):
            raise DatabaseError(
                f"the undo journal entry {path} is damaged; move it aside to undo what came before it"
            ) from None
        return entry

    def _trim(self, numbered: list[tuple[int, Path]]) -> None:
        sizes = [path.stat().st_size for _, path in numbered]
        total = sum(sizes)
        for position, (_, path) in enumerate(numbered):
            remaining = len(numbered) - position
            if remaining <= MINIMUM or (remaining <= LIMIT and total <= KEEP_BYTES):
                break
            path.unlink()
            total -= sizes[position]
