"""The undo journal beside the data file: a folder with one JSON file per change, so that recording, undoing and
trimming each cost the same however large other changes were (an import of a hundred thousand commitments
included).

Each file holds the action, when it was recorded, and the before and after states of the commitments it touched;
its name is its number in sequence (`000000042.json`). The journal keeps the last `LIMIT` changes and at most
`KEEP_BYTES` of them, but never fewer than the last `MINIMUM` changes, however large.

The journal and the data file change together or not at all, even if the process is killed between the two:

- a change is first written as `<number>.<inode>.pending`, where `inode` is that of the new data file, already
  written in full but not yet in place; then the data file is replaced, then the entry renamed to `<number>.json`;
- an undo first renames its entry to `<number>.<inode>.undoing`, then replaces the data file, then removes it.

The next writer, holding the lock, settles what a killed one left (`recover`): an entry whose inode is the data
file's is the one that happened; any other is the one that did not.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple, cast

from tracker import fastjson, strictjson
from tracker.errors import DatabaseError
from tracker.files import Piece, describe_os_error, fsync_directory, make_folder, prepare, read_regular
from tracker.model import Commitment, future_bound

LIMIT = 100
MINIMUM = 20
KEEP_BYTES = 64 << 20
ENTRY_LIMIT = 1 << 30  # an entry larger than this is not one the tracker wrote
_NAME = re.compile(r"([0-9]+)\.json")
_IN_FLIGHT = re.compile(r"([0-9]+)\.([0-9]+)\.(pending|undoing)")
_ANY_NUMBERED = re.compile(r"([0-9]+)\..*")
_TEMPORARY = re.compile(r"\..*\.tmp-[a-z0-9_]{8}")


class Entry(NamedTuple):
    """One recorded change: its number, its file and what it holds."""

    number: int
    path: Path
    action: str
    at: str
    changes: list[dict[str, Any]]
    identity: tuple[int, ...] | None = None  # the file's, as read (None: it changed while it was read)


class Journal:
    """The undo journal in the folder `path`; every method that changes it is called with the data file's lock
    held."""

    def __init__(self, path: Path, mode: int | None = None) -> None:
        """`mode`: that of the files it writes (None: a new file's), the data file's (see `files.mode_of`)."""
        self.path = path
        self.mode = mode

    # --- looking -----------------------------------------------------------------------------------------------

    def _names(self) -> list[os.DirEntry[str]]:
        if not self.path.exists() and not self.path.is_symlink():
            return []
        if self.path.is_symlink() or not self.path.is_dir():
            raise DatabaseError(
                f"the undo journal {self.path} is not a folder; move it aside (a new one is made) to go on"
            )
        try:
            return list(os.scandir(self.path))
        except OSError as error:
            problem = f"the undo journal {self.path} cannot be read: {describe_os_error(error)}"
            raise DatabaseError(problem) from error  # the cause: see `prepare`

    def _numbered(self) -> list[tuple[int, Path]]:
        """The recorded changes' files, oldest first: regular files named `<number>.json`, nothing else."""
        found = []
        for entry in self._names():
            match = _NAME.fullmatch(entry.name)
            if match and entry.is_file(follow_symlinks=False):
                found.append((int(match[1]), Path(entry.path)))
        return sorted(found)

    def _next_number(self) -> int:
        numbers = [int(m[1]) for entry in self._names() if (m := _ANY_NUMBERED.fullmatch(entry.name))]
        return max(numbers, default=0) + 1

    def check(self) -> None:
        """DatabaseError now, with the fix, if the journal could not take a change."""
        self._names()

    def last(self, seen: Entry | None = None) -> Entry | None:
        """The most recent change, or None if there is none; `seen`, an entry read before, is given back rather
        than read again if it is still the most recent and its file has not changed since."""
        numbered = self._numbered()
        if not numbered:
            return None
        number, path = numbered[-1]
        if seen is not None and (seen.number, seen.path) == (number, path) and seen.identity == file_identity(path):
            return seen
        return self._parse(number, path)

    def newest(self) -> tuple[int, Path, Entry | None] | None:
        """The most recent change's number and file, and what it holds (None if damaged); None if there is none."""
        numbered = self._numbered()
        if not numbered:
            return None
        number, path = numbered[-1]
        try:
            return number, path, self._parse(number, path)
        except DatabaseError:
            return number, path, None

    def entries(self) -> list[Entry]:
        """Every change kept, oldest first."""
        return [self._parse(number, path) for number, path in self._numbered()]

    def listing(self) -> list[tuple[int, Path, Entry | None]]:
        """Every change kept, newest first, with None where an entry is damaged (for `undo --list`)."""
        result: list[tuple[int, Path, Entry | None]] = []
        for number, path in reversed(self._numbered()):
            try:
                result.append((number, path, self._parse(number, path)))
            except DatabaseError:
                result.append((number, path, None))
        return result

    def _parse(self, number: int, path: Path) -> Entry:
        damaged = (
            f"the undo journal entry {path} is damaged; 'tracker undo --skip' drops it so that undo can go on "
            "with the change before it"
        )
        try:
            identity = file_identity(path)
            text = read_regular(path, ENTRY_LIMIT, follow_links=False, what="undo journal entry")
        except DatabaseError:
            if _unreadable(path):  # not damaged: a change that can still be undone, once it can be read
                raise DatabaseError(
                    f"the undo journal entry {path} cannot be read (permission denied); give yourself read access "
                    "to it to undo that change, or 'tracker undo --skip' forgets it"
                ) from None
            raise DatabaseError(damaged) from None
        try:
            identity = identity if file_identity(path) == identity else None
            entry = _as_written(text)
            fast = entry is not None
            if not fast:
                entry = strictjson.loads(text)
        except (DatabaseError, strictjson.JSONProblem):
            raise DatabaseError(damaged) from None
        if not _well_formed(entry, fast):
            raise DatabaseError(damaged)
        return Entry(number, path, entry["action"], entry["at"], entry["changes"], identity)

    # --- recording -----------------------------------------------------------------------------------------------

    def prepare(self, entry: dict[str, Any] | Iterable[Piece], inode: int) -> Path:
        """Write `entry` (or its JSON text, in pieces) as a change not yet made (the data file's new version has
        `inode`); its file."""
        self.check()
        pending: Path | None = None
        try:
            make_folder(self.path, mend=True)
            pending = self.path / f"{self._next_number():09d}.{inode}.pending"
            prepare(pending, [_compact_json(entry)] if isinstance(entry, dict) else entry, mode=self.mode).commit()
        except OSError as error:
            if pending is not None:  # in place, but the folder not synced: it is not recorded
                with suppress(OSError):
                    pending.unlink(missing_ok=True)
            raise DatabaseError(
                f"cannot record the change in the undo journal {self.path} ({describe_os_error(error)}); "
                "nothing was changed"
            ) from error  # the cause: a write that ran out of room tries again, one step after the other
        return pending

    def confirm(self, pending: Path) -> None:
        """The data file now holds the change: make its entry a recorded one (OSError if that fails)."""
        match = _IN_FLIGHT.fullmatch(pending.name)
        assert match is not None
        os.rename(pending, self.path / f"{match[1]}.json")
        fsync_directory(self.path)

    def begin_undo(self, entry: Entry, inode: int) -> Path:
        """Mark `entry` as being undone, by the data file's new version with `inode`."""
        undoing = self.path / f"{entry.number:09d}.{inode}.undoing"
        os.rename(entry.path, undoing)
        fsync_directory(self.path)
        return undoing

    def finish_undo(self, undoing: Path) -> None:
        """The data file is back as it was before the change: forget it."""
        undoing.unlink()

    def cancel_undo(self, undoing: Path) -> None:
        """The undo did not happen: the entry is a recorded change again."""
        match = _IN_FLIGHT.fullmatch(undoing.name)
        assert match is not None
        os.rename(undoing, self.path / f"{match[1]}.json")

    def drop(self, path: Path) -> None:
        """Forget a change without reverting it."""
        path.unlink()

    def recover(self, data_inode: int | None) -> None:
        """Settle what a killed writer left: keep the change the data file holds, drop the one it does not, and
        remove temporary files. Called with the lock held, before any other write."""
        try:
            names = self._names()
        except DatabaseError:
            return  # a journal that is not a folder is reported by the write that needs it
        for entry in names:
            path = Path(entry.path)
            if _TEMPORARY.fullmatch(entry.name):
                path.unlink(missing_ok=True)
                continue
            match = _IN_FLIGHT.fullmatch(entry.name)
            if match is None:
                continue
            happened = data_inode is not None and int(match[2]) == data_inode
            if match[3] == "pending":
                if happened:
                    os.rename(path, self.path / f"{match[1]}.json")
                else:
                    path.unlink()
            elif happened:
                path.unlink()
            else:
                os.rename(path, self.path / f"{match[1]}.json")

    def trim(self) -> None:
        """Drop the oldest changes beyond the limits; best effort (a file that will not go is left for later)."""
        try:
            numbered = self._numbered()
            sizes = [path.stat().st_size for _, path in numbered]
        except (OSError, DatabaseError):
            return
        total = sum(sizes)
        for position, (_, path) in enumerate(numbered):
            remaining = len(numbered) - position
            if remaining <= MINIMUM or (remaining <= LIMIT and total <= KEEP_BYTES):
                break
            try:
                path.unlink()
            except OSError:
                return
            total -= sizes[position]


def _unreadable(path: Path) -> bool:
    """Whether `path` is a regular file that this process may not read."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode) and not os.access(path, os.R_OK)
    except OSError:
        return False


def file_identity(path: Path) -> tuple[int, ...] | None:
    """What tells one version of an entry's file from another (see `index.signature`); None if it is not there."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev, status.st_ctime_ns)


def _as_written(text: bytes) -> Any:
    """The entry in `text`, parsed by orjson, if `text` is exactly what the tracker writes for it (compact JSON with
    sorted keys, as `_compact_json` writes it): then no key is written twice, and every number and string reads as
    the strict reader reads it. None for any other text, which the strict reader reads (more slowly: 1.26 s against
    0.90 s for the entry of an import of 100,000 commitments)."""
    orjson = fastjson.orjson

    try:
        entry = orjson.loads(text)
        return entry if orjson.dumps(entry, option=orjson.OPT_SORT_KEYS) == text else None
    except (orjson.JSONDecodeError, TypeError):
        return None


def _well_formed(entry: Any, from_orjson: bool = False) -> bool:
    """Whether a parsed journal entry has the shape the tracker writes, every state a valid commitment
    (`from_orjson`: parsed by orjson, see `validate.is_valid`)."""
    from tracker.validate import is_valid

    bound = future_bound()
    if not isinstance(entry, dict) or not isinstance(entry.get("action"), str) or not isinstance(entry.get("at"), str):
        return False
    changes = entry.get("changes")
    if not isinstance(changes, list) or not changes:
        return False
    for change in changes:
        if not isinstance(change, dict) or set(change) != {"id", "before", "after"}:
            return False
        if not isinstance(change["id"], str):
            return False
        for state in (change["before"], change["after"]):
            if state is not None and (not is_valid(state, bound, from_orjson) or state["id"] != change["id"]):
                return False
    return True


def additions_entry(action: str, at: str, added: Iterable[tuple[str, bytes]]) -> Iterator[bytes]:
    """The JSON text, in pieces made as they are written, of the entry of a change that adds commitments, each
    given by its id and its compact JSON text (as `_compact_json` writes it)."""
    orjson = fastjson.orjson

    yield b'{"action":%b,"at":%b,"changes":[' % (orjson.dumps(action), orjson.dumps(at))
    for number, (commitment_id, after) in enumerate(added):
        yield _change_added(commitment_id, after, not number)
    yield b"]}"


def _change_added(commitment_id: str, after: bytes, first: bool) -> bytes:
    """The JSON text of one change that adds a commitment, given its compact JSON text, in an entry's list."""
    return b'%b{"after":%b,"before":null,"id":%b}' % (
        b"" if first else b",",
        after,
        fastjson.orjson.dumps(commitment_id),
    )


def compact_record(record: Commitment) -> bytes:
    """A commitment as compact JSON with sorted keys, as an entry holds it (see `_compact_json`)."""
    return _compact_json(cast(dict[str, Any], record))


class AddedInParts:
    """The changes of an entry that adds commitments (see `additions_entry`), made where the commitments are read
    and checked, in parts (`parallel.in_parts`, some in copies of this process): each part writes the changes of its
    commitments to a file of its own, unnamed, in `folder`, as it parses them. The entry is then put together from
    those files as it is written: no commitment is parsed again to be made compact, none is held in memory, and the
    thread that writes the entry does little work that would hold up the others. Where a file cannot be made or
    written, or holds other than its part wrote, the entry is made from the records' text instead."""

    def __init__(self, folder: Path, prefix: str) -> None:
        """`prefix`: what a file's name begins with where the file system cannot make one with no name (Python's
        `tempfile` then makes a named one and removes its name at once), for the next write to remove it if this
        process is killed in between."""
        self._folder, self._prefix = folder, prefix
        self._files: dict[int, Any] = {}  # each part's first record number: its file
        self._sizes: dict[int, int] = {}  # what each part wrote (-1: it failed)
        self._given = False

    def open(self, bounds: list[int]) -> bool:
        """A file for each part that begins at one of `bounds` (the last is where the last part ends); False, with
        none made, where the folder cannot take them."""
        import tempfile

        self.close()
        try:
            for first in bounds[:-1]:
                self._files[first] = tempfile.TemporaryFile(dir=self._folder, prefix=self._prefix)  # noqa: SIM115
        except OSError:
            self.close()
            return False
        return True

    def part(self, first: int) -> PartAdded | None:
        """Where the part beginning at record `first` writes its changes, from the file's start (a part done again
        here, after its copy failed, writes the same bytes over what the copy wrote); None if no file was made for
        it."""
        file = self._files.get(first)
        return None if file is None else PartAdded(file.fileno())

    def written(self, first: int, size: int) -> None:
        """The part beginning at `first` wrote `size` bytes; -1: it failed (a full disk, say), and every file goes
        at once, to leave its room to the write."""
        self._sizes[first] = size
        if size < 0:
            self.close()

    def entry(self, action: str, at: str) -> Iterator[bytes] | None:
        """The entry's JSON text, in pieces read as they are written; None unless every part wrote its changes in
        full (then the caller makes them from the records). Given once: asked again (a write that ran out of room,
        taken again one step after the other), the files go, to leave their room to the write, and it is None."""
        sizes = self._sizes
        try:
            if (
                self._given
                or not self._files
                or any(sizes.get(first, -1) != os.fstat(file.fileno()).st_size for first, file in self._files.items())
            ):
                self.close()
                return None
        except OSError:
            self.close()
            return None
        self._given = True
        return self._pieces(action, at)

    def _pieces(self, action: str, at: str) -> Iterator[bytes]:
        orjson = fastjson.orjson

        yield b'{"action":%b,"at":%b,"changes":[' % (orjson.dumps(action), orjson.dumps(at))
        some = False
        for first, file in sorted(self._files.items()):
            size = self._sizes[first]
            if some and size:
                yield b","
            some = some or size > 0
            offset = 0
            while offset < size:
                chunk = os.pread(file.fileno(), min(size - offset, _CHUNK), offset)
                if not chunk:
                    raise OSError(errno.EIO, "an import's journal entry was cut short while it was written")
                yield chunk
                offset += len(chunk)
        self.close()  # read: their room is the data file's and the index's now
        yield b"]}"

    def close(self) -> None:
        """Remove the files."""
        for file in self._files.values():
            with suppress(OSError):
                file.close()
        self._files, self._sizes = {}, {}


class PartAdded:
    """The changes of one part of an import's records (see `AddedInParts`), written to its file a megabyte at a
    time."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor
        self._buffer = bytearray()
        self._size = 0
        self._failed = False

    def add(self, record: Commitment) -> None:
        """Add the change that adds `record`, a valid commitment."""
        if self._failed:
            return
        self._buffer += _change_added(record["id"], compact_record(record), not self._size and not self._buffer)
        if len(self._buffer) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        try:
            view = memoryview(self._buffer)
            while view:
                written = os.pwrite(self._descriptor, view, self._size)
                if not written:
                    raise OSError(errno.EIO, "nothing written")
                view = view[written:]
                self._size += written
        except OSError:
            self._failed = True
        self._buffer = bytearray()

    def finish(self) -> int:
        """The bytes written, or -1 if the part could not write them all."""
        if not self._failed:
            self._flush()
        return -1 if self._failed else self._size


_CHUNK = 1 << 20


def _compact_json(entry: dict[str, Any]) -> bytes:
    """An entry as compact JSON with sorted keys: by orjson (an import's entry holds every commitment it adds), by
    the standard library for what orjson does not write (an integer past 64 bits)."""
    orjson = fastjson.orjson  # not at start-up: only a write needs it

    try:
        return orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        import json

        return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
