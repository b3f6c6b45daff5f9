"""The Store: one data file and its side files, read as snapshots and changed in transactions.

Built on the modules below it: `files` (regular files, atomic replacement, the lock), `layout` (the canonical
bytes of the TinyDB file), `index` (where each commitment lies, and its summary), `storage` (a whole-document read
through TinyDB, for files not in the canonical layout or of an older schema version), `journal` (undo), `register`
(the source texts beside the data file, which `extract --add` writes in its transaction). A read
goes through the index while it describes the file; otherwise the whole file is read and checked once and
indexed. A write holds the lock, settles what a killed writer left, copies the bytes of every commitment it does
not change, records the change in the journal and replaces the file atomically, together or not at all.
"""

from __future__ import annotations

import bisect
import errno
import functools
import gc
import io
import marshal
import math
import operator
import os
import re
import stat
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar, cast

from tracker.errors import (
    DatabaseError,
    InvalidInputError,
    LockTimeoutError,
    NotFoundError,
    NothingToUndoError,
    UsageProblem,
)
from tracker.files import (
    Piece,
    UnfinishedFile,
    begin,
    bundled_text,
    describe_os_error,
    key_path,
    kind_of,
    locked,
    make_folder,
    mode_of,
    open_regular,
    prepare,
    prepare_body,
    private_key,
    remove_temporaries,
    temporary_pattern,
)
from tracker.index import (
    DIGEST,
    HEADER_SIZE,
    ID_WIDTH,
    NO_DIGEST,
    QUOTE,
    TITLE,
    UNSIGNED,
    Index,
    IndexDoubt,
    IndexFile,
    Keyed,
    Signature,
    entry_of,
    find_link,
    header,
    links_of,
    open_index,
    row,
    sealed_head,
    signature,
    signed,
    stale_index,
    structure_written,
    successor_link,
    text_link,
    unpack_summary,
)
from tracker.journal import AddedInParts, Entry, Journal, additions_entry, file_identity
from tracker.layout import (
    EMPTY,
    FOOTER,
    HEADER,
    KEY_HEAD,
    SCHEMA_VERSION,
    SEPARATOR,
    compact,
    doc_key,
    in_file_order,
    index_records,
    is_record_start,
    layout,
    parse_database,
    read_record,
    record_bytes,
    written_key,
)
from tracker.model import (
    Commitment,
    Filters,
    Summary,
    by_due,
    check_actor,
    check_source,
    commitment_problems,
    matching,
    repeats,
    resolve_id,
    search_ids,
    summarize,
    utc_timestamp,
)
from tracker.parallel import LARGE_RESULT_LEAD, in_parts
from tracker.register import Register
from tracker.storage import load_whole

DEFAULT_LOCK_TIMEOUT = 10.0
_BY_ID = operator.itemgetter("id")
_RUN = 1 << 20  # how many bytes of records a bulk read asks for at a time
_PARTS = "parts"  # in the names of an import's parts' files, where they cannot be made with none
_FEW = 64  # up to this many commitments, a command finds each in the index by bisection; beyond, it reads the index
_Result = TypeVar("_Result")
_Value = TypeVar("_Value")
IndexPieces = list[Piece] | Callable[[], list[Piece]]  # an index file's pieces, the first its header, or their maker


def read_text(path: Path) -> str:
    """A regular file's UTF-8 text, or a DatabaseError that says why it cannot be read (never waits on a FIFO)."""
    return decoded(read_bytes(path), path)


def decoded(data: bytes, path: Path) -> str:
    """The text of a file's bytes, or a DatabaseError: they are not UTF-8."""
    return _decode(data, path)


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes, or a DatabaseError that says why it cannot be read (never waits on a FIFO)."""
    try:
        descriptor = open_regular(path)
    except FileNotFoundError:
        raise DatabaseError(f"{path} does not exist") from None
    try:
        with os.fdopen(descriptor, "rb") as file:
            return file.read()
    except OSError as error:
        raise DatabaseError(f"{path} cannot be read: {describe_os_error(error)}") from None


class _NotAsIndexed(Exception):
    """A record's bytes are not the commitment that the index says they are."""


class StaleIndex(DatabaseError):
    """The file does not hold what its index says, found midway through a command (the index is dropped)."""


class Change:
    """One commitment before and after a write (None where it did not exist); `after` changes as a transaction
    goes on. (A plain class: a dataclass would cost start-up time, about half a millisecond a class.)"""

    __slots__ = ("after", "before", "id")

    def __init__(self, commitment_id: str, before: Commitment | None, after: Commitment | None) -> None:
        self.id, self.before, self.after = commitment_id, before, after

    def __repr__(self) -> str:
        return f"Change({self.id!r}, {self.before!r}, {self.after!r})"


class Snapshot:
    """One version of the data file, as read for one command: its ids (sorted) and its commitments by id."""

    ids: list[str]

    def get(self, commitment_id: str) -> Commitment:
        """The commitment with this exact id, validated; the caller may change it."""
        raise NotImplementedError

    def stale(self) -> DatabaseError:
        """The error for a snapshot found not to hold up: its ids leave out a commitment it holds."""
        return DatabaseError("the data file's commitments are not as they were listed; run the command again")

    def get_each(self, ids: Iterable[str]) -> Iterator[Commitment]:
        """The commitments with these exact ids, one at a time, in that order (see `get`)."""
        return map(self.get, ids)

    def states(self, ids: Iterable[str]) -> Iterator[tuple[str, Commitment | None]]:
        """Each of these ids with its commitment, or None where there is none, one at a time, in that order."""
        for commitment_id in ids:
            yield commitment_id, self.get(commitment_id) if self.contains(commitment_id) else None

    def same_records(self, data: bytes, spans: array[int], keys: list[str]) -> list[bool] | None:
        """For each record of `data`, a file in the canonical layout (each record's span and document key), whether
        this version holds a record under that key written in exactly those bytes: the same commitment, already
        checked. None where only a current index can say it at once."""
        return None

    def keyed_ids(self) -> dict[str, str] | None:
        """Every commitment's id by its document key, read from a current index; None where there is none."""
        return None

    def summaries(self) -> list[Summary]:
        """Every commitment's Summary, in id order."""
        raise NotImplementedError

    def every_in_parts(self, work: Callable[[Iterator[Commitment]], _Result]) -> Iterator[_Result]:
        """`work` over consecutive parts of every commitment (each given one at a time, in whatever order is
        cheapest to read: see `get`), each part's result in order. On a large file with a current index, the parts
        are read and worked in other processes at once (see `parallel`): `work` must return what `marshal` can
        write, and count on nothing but the commitments it is given. Where a record is not where the index says,
        the index is dropped and `work` done again over the whole file, read and checked: no result is given
        before every part is done."""
        yield work(self.get_each(self.ids))

    def summaries_in_parts(self, work: Callable[[list[Summary]], _Result]) -> Iterator[_Result]:
        """`work` over consecutive parts of every commitment's Summary in id order, each part's result in order. On
        a large file with a current index, the parts are unpacked and worked in other processes at once (see
        `parallel`): `work` must return what `marshal` can write, and count on nothing but the summaries given."""
        yield work(sorted(self.summaries(), key=_BY_ID))

    def contains(self, commitment_id: str) -> bool:
        """Whether a commitment has this exact id."""
        raise NotImplementedError

    def resolve(self, wanted: str) -> str:
        """The id equal to `wanted`, or the only id it is a prefix of (see `model.resolve_id`)."""
        return resolve_id(self.ids, wanted)

    def close(self) -> None:
        """Let go of the file."""

    def superseding(self, commitment_id: str) -> list[str]:
        """The ids of the commitments that this one replaces: those whose latest superseded event names it."""
        return sorted(s["id"] for s in self.summaries() if s["superseded_by"] == commitment_id)

    def repeats(self, title: str, quote: str) -> list[str]:
        """Words for each commitment with the same title or quote as a new one (see `model.repeats`)."""
        return repeats(sorted(self.summaries(), key=lambda s: s["id"]), title, quote)

    def select(self, filters: Filters, today: str) -> list[Summary]:
        """The commitments that `filters` choose, by due date; only a text search reads whole records. An actor
        that no commitment has is an error (NotFoundError) naming the known ones."""
        summaries = self.summaries()
        check_actor(summaries, filters.actor)
        check_source(summaries, filters.source)
        found = search_ids(self.get_each(self.ids), filters.search) if filters.search else None
        statuses = list(filters.statuses) or None
        chosen = matching(
            summaries,
            today,
            statuses,
            filters.pillar,
            filters.actor,
            filters.overdue,
            filters.due_before,
            found,
            list(filters.kinds) or None,
            filters.source,
        )
        return by_due(chosen)


class LoadedSnapshot(Snapshot):
    """A version read in full through TinyDB, every commitment validated; `schema_version` is the version the file
    has (older than the current one until the first write migrates it)."""

    def __init__(self, commitments: list[Commitment], schema_version: int = SCHEMA_VERSION) -> None:
        self._by_id = {commitment["id"]: commitment for commitment in commitments}
        self.ids = sorted(self._by_id)
        self.schema_version = schema_version

    def contains(self, commitment_id: str) -> bool:
        return commitment_id in self._by_id

    def get(self, commitment_id: str) -> Commitment:
        return _copy(self._by_id[commitment_id])

    def summaries(self) -> list[Summary]:
        return [summarize(self._by_id[commitment_id]) for commitment_id in self.ids]


class IndexedSnapshot(Snapshot):
    """A version read through its index: one commitment's bytes at a time, from the open file `descriptor`. Where
    a bulk read finds the index in doubt, it drops it and reads the whole file instead (`full_read`)."""

    def __init__(
        self, path: Path, index_path: Path, descriptor: int, index: IndexFile, full_read: Callable[[], Snapshot]
    ) -> None:
        self.path = path
        self.index_path = index_path
        self.descriptor = descriptor
        self.index = index
        self._full_read = full_read
        self._whole: Snapshot | None = None

    def _instead(self) -> Snapshot:
        """The index is in doubt: drop it, and read the whole file once, for the rest of this command."""
        if self._whole is None:
            _unlink_quietly(self.index_path)
            self._whole = self._full_read()
        return self._whole

    @property
    def ids(self) -> list[str]:  # type: ignore[override]
        if self._whole is None:
            try:
                return self.index.sorted_ids()
            except IndexDoubt:
                pass
        return self._instead().ids

    def position(self, commitment_id: str) -> int:
        """Where this id stands in the file; KeyError if it is not there, IndexDoubt if the index does not hold up:
        among them, an id that its sorted ids have but its rows (searched by bisection) do not, or a row with the
        id's key that names another id."""
        try:
            number = self.index.position(doc_key(commitment_id))
        except KeyError:
            if self.index.has_id(commitment_id):
                raise IndexDoubt("the index's rows and its sorted ids disagree") from None
            raise
        if self.index.row(number)[1] != commitment_id:
            raise IndexDoubt("a row of the index names another id")  # a key is its own id's alone
        return number

    def contains(self, commitment_id: str) -> bool:
        if self._whole is None:
            try:
                self.position(commitment_id)
            except KeyError:
                return False
            except IndexDoubt:
                pass
            else:
                return True
        return self._instead().contains(commitment_id)

    def resolve(self, wanted: str) -> str:
        if self._whole is None and self.contains(wanted):
            return wanted
        try:
            matches = self.index.ids_with_prefix(wanted) if wanted and self._whole is None else []
        except IndexDoubt:
            matches = []
        if matches and len(set(matches)) == len(matches) and all(self.contains(match) for match in matches):
            return resolve_id(matches, wanted)  # the one match, or the same error as over every id
        return resolve_id(self.ids, wanted)  # not found: the closest ids, from all of them

    def get(self, commitment_id: str) -> Commitment:
        if self._whole is None:  # a record that does not match the index: the whole file, read and checked, says
            try:
                start, end = self.index.span(self.position(commitment_id))
            except IndexDoubt:
                pass
            else:
                raw = os.pread(self.descriptor, end - start, start)
                commitment = read_record(raw, doc_key(commitment_id), commitment_id)
                if commitment is not None:
                    return commitment
        return self._instead().get(commitment_id)

    def places(self) -> tuple[list[str], dict[str, int], array[int]]:
        """Every document key in file order, each id's place in that order, and every start (N + 1), read from
        the index and checked once; IndexDoubt if they do not hold up."""
        keys, file_ids = self.index.rows()
        starts = self.index.starts(len(HEADER), len(FOOTER))
        return keys, {commitment_id: number for number, commitment_id in enumerate(file_ids)}, starts

    def get_each(self, ids: Iterable[str]) -> Iterator[Commitment]:
        wanted = list(ids)
        if self._whole is not None or len(wanted) < _FEW:  # a few: bisect the index for each
            doubted = self._whole is not None
            try:
                yield from super().get_each(wanted)
            except KeyError:
                if doubted or self._whole is None:
                    raise
                raise self.stale() from None  # an id the index gave, found in doubt, that the file does not hold
            return
        try:  # many: the index's rows and spans read once, then each commitment's bytes
            places = self.places()
        except IndexDoubt:
            yield from self._instead().get_each(wanted)
            return
        for at, commitment_id in enumerate(wanted):
            commitment = self._read_at(places, places[1][commitment_id], commitment_id)
            if commitment is None:  # not where the index says: this one and the rest from the whole file
                try:
                    yield from self._instead().get_each(wanted[at:])
                except KeyError:  # an id the index gave that the file does not hold
                    raise self.stale() from None
                return
            yield commitment

    def states(self, ids: Iterable[str]) -> Iterator[tuple[str, Commitment | None]]:
        wanted = list(ids)
        if self._whole is not None or len(wanted) < _FEW:
            yield from super().states(wanted)
            return
        try:
            places = self.places()
        except IndexDoubt:
            yield from self._instead().states(wanted)
            return
        for at, commitment_id in enumerate(wanted):
            number = places[1].get(commitment_id)
            commitment = None if number is None else self._read_at(places, number, commitment_id)
            if number is not None and commitment is None:  # as `get_each`
                yield from self._instead().states(wanted[at:])
                return
            yield commitment_id, commitment

    def same_records(self, data: bytes, spans: array[int], keys: list[str]) -> list[bool] | None:
        if self._whole is not None:
            return None
        try:
            held = {key: number for number, key in enumerate(self.index.rows()[0])}
            starts = self.index.starts(len(HEADER), len(FOOTER))
        except IndexDoubt:
            return None
        _TRUSTED.add(self.index_path)  # records taken as the index says, without the rules' check (as `get_each`)
        view, same = memoryview(data), []
        for at, key in enumerate(keys):
            number, start, end = held.get(key), spans[2 * at], spans[2 * at + 1]
            if number is None or starts[number + 1] - 2 - starts[number] != end - start:
                same.append(False)  # not held, or not the same length: not the same bytes
            else:
                same.append(os.pread(self.descriptor, end - start, starts[number]) == view[start:end])
        return same

    def keyed_ids(self) -> dict[str, str] | None:
        if self._whole is not None:
            return None
        try:
            return dict(zip(*self.index.rows(), strict=True))
        except IndexDoubt:
            return None

    def _read_at(
        self, places: tuple[list[str], dict[str, int], array[int]], number: int, cid: str
    ) -> Commitment | None:
        """The commitment `cid` at `number` in the file's order, by `places` (read once for many); None if the
        bytes there are not that commitment."""
        keys, _, starts = places
        _TRUSTED.add(self.index_path)  # records taken without the rules' check: see `drop_trusted_indexes`
        start, end = starts[number], starts[number + 1] - 2
        return read_record(os.pread(self.descriptor, end - start, start), keys[number], cid, checked=True)

    def every_in_parts(self, work: Callable[[Iterator[Commitment]], _Result]) -> Iterator[_Result]:
        rows = self._file_order()
        if rows is None:
            yield from self._instead().every_in_parts(work)
            return

        def part(first: int, stop: int) -> tuple[_Result] | None:
            try:
                return (work(self._records_between(*rows, first, stop)),)
            except _NotAsIndexed:
                return None

        results = _all_parts(part, len(rows[0]))
        if results is None:  # a record not where the index says: nothing read through it is used
            yield from self._instead().every_in_parts(work)
            return
        yield from results

    def _file_order(self) -> tuple[list[str], list[str], array[int]] | None:
        """Each record's document key, its commitment's id and where it starts, from a current index, in the file's
        order; None where the whole file is read instead."""
        if self._whole is not None:
            return None
        try:
            keys, file_ids = self.index.rows()
            starts = self.index.starts(len(HEADER), len(FOOTER))
        except IndexDoubt:
            return None
        _TRUSTED.add(self.index_path)  # records taken without the rules' check: see `drop_trusted_indexes`
        return keys, file_ids, starts

    def _records_between(
        self, keys: list[str], file_ids: list[str], starts: array[int], first: int, stop: int
    ) -> Iterator[Commitment]:
        """The commitments `first` to `stop` in the file's order, read in runs of a megabyte or so rather than one
        record at a time; _NotAsIndexed where the bytes are not the commitment the index says."""
        while first < stop:
            last = bisect.bisect_left(starts, starts[first] + _RUN, first + 1, stop)
            base = starts[first]
            run = memoryview(os.pread(self.descriptor, starts[last] - base, base))
            for number in range(first, last):
                raw = run[starts[number] - base : starts[number + 1] - 2 - base]
                commitment = read_record(raw, keys[number], file_ids[number], checked=True)
                if commitment is None:
                    raise _NotAsIndexed
                yield commitment
            first = last

    def stale(self) -> StaleIndex:
        """The file does not hold what the index says (a file changed in place, a forged index): drop the index,
        so that the next command reads and checks the whole file (a write does so at once: see `Store.write`)."""
        _unlink_quietly(self.index_path)
        return StaleIndex(f"{self.path} does not match its index; the index was dropped: run the command again")

    def _linked(self, prefix: bytes) -> list[Summary]:
        """The summaries of the commitments whose links begin with `prefix`, found by bisection; IndexDoubt if
        the index does not hold up."""
        found = []
        for document in self.index.linked(prefix):
            try:
                found.append(self.index.summary(self.index.position(str(document))))
            except KeyError:
                raise IndexDoubt("a link names no commitment") from None
        return found

    def superseding(self, commitment_id: str) -> list[str]:
        if self._whole is None:
            try:  # each is checked: its summary must name this commitment as its successor
                linked = self._linked(successor_link(commitment_id))
                return sorted(s["id"] for s in linked if s["superseded_by"] == commitment_id)
            except IndexDoubt:
                pass
        return super().superseding(commitment_id)

    def repeats(self, title: str, quote: str) -> list[str]:
        if self._whole is None:
            try:  # only the commitments linked by the same fingerprints; `repeats` checks each
                candidates = {
                    s["id"]: s for p in (text_link(TITLE, title), text_link(QUOTE, quote)) for s in self._linked(p)
                }
                return repeats(sorted(candidates.values(), key=lambda s: s["id"]), title, quote)
            except IndexDoubt:
                pass
        return super().repeats(title, quote)

    def summaries(self) -> list[Summary]:
        if self._whole is None:
            try:
                return self.index.summaries()
            except IndexDoubt:
                pass  # never show what the file does not hold: read every commitment itself
        return self._instead().summaries()

    def summaries_in_parts(self, work: Callable[[list[Summary]], _Result]) -> Iterator[_Result]:
        found = self._summaries_in_parts(work) if self._whole is None else None
        if found is None:  # never show what the file does not hold: read every commitment itself
            yield from super().summaries_in_parts(work)
            return
        yield from found

    def _summaries_in_parts(self, work: Callable[[list[Summary]], _Result]) -> list[_Result] | None:
        """Each part's result, the summaries unpacked and checked in the part's own process; None if one is in
        doubt (nothing of the others is kept)."""
        try:
            file_ids = self.index.ids()
            packed, offsets = self.index.summaries_at_once()  # each part takes its own out of them
        except IndexDoubt:
            return None
        order = sorted(range(len(file_ids)), key=file_ids.__getitem__)
        unpack = self.index.unpack

        def part(first: int, stop: int) -> tuple[_Result] | None:
            try:
                summaries = [
                    unpack(packed[offsets[number] : offsets[number + 1]], file_ids[number])
                    for number in order[first:stop]
                ]
                return (work(summaries),)
            except IndexDoubt:
                return None

        return _all_parts(part, len(order))

    def close(self) -> None:
        os.close(self.descriptor)
        self.index.close()
        if self._whole is not None:
            self._whole.close()


class Transaction:
    """The working state of one write: commitments read from a snapshot, changed by id, then committed."""

    def __init__(self, snapshot: Snapshot, action: str) -> None:
        self._snapshot = snapshot
        self.action = action
        self.changes: dict[str, Change] = {}
        self.warnings: list[str] = []

    def __contains__(self, commitment_id: object) -> bool:
        """`in`: whether a commitment has this exact id, as the transaction has left them (see `contains`: asked of
        the index by bisection, no id read whole, as every id is for `ids`)."""
        return isinstance(commitment_id, str) and self.contains(commitment_id)

    def ids(self) -> list[str]:
        """Every id, as the transaction has left them."""
        gone = {cid for cid, change in self.changes.items() if change.after is None}
        new = sorted(cid for cid, change in self.changes.items() if change.before is None and change.after)
        return [cid for cid in self._snapshot.ids if cid not in gone] + new

    def contains(self, commitment_id: str) -> bool:
        """Whether a commitment has this exact id, as the transaction has left them."""
        if commitment_id in self.changes:
            return self.changes[commitment_id].after is not None
        return self._snapshot.contains(commitment_id)

    def get(self, commitment_id: str) -> Commitment:
        """A copy of the commitment with this exact id; KeyError if there is none."""
        if commitment_id in self.changes:
            after = self.changes[commitment_id].after
            if after is None:
                raise KeyError(commitment_id)
            return _copy(after)
        return self._snapshot.get(commitment_id)

    def states(self, ids: Iterable[str]) -> Iterator[tuple[str, Commitment | None]]:
        """Each of these ids with a copy of its commitment (None where there is none), as the transaction had left
        them when this was asked, one at a time, in that order: many are read from the snapshot at once."""
        wanted = [(cid, self.changes.get(cid)) for cid in ids]
        unchanged = self._snapshot.states(cid for cid, change in wanted if change is None)
        for commitment_id, change in wanted:
            if change is None:
                yield next(unchanged)
            else:
                yield commitment_id, None if change.after is None else _copy(change.after)

    def same_records(self, data: bytes, spans: array[int], keys: list[str]) -> list[bool] | None:
        """`Snapshot.same_records`, before the transaction has changed anything (None after)."""
        return None if self.changes else self._snapshot.same_records(data, spans, keys)

    def keyed_ids(self) -> dict[str, str] | None:
        """`Snapshot.keyed_ids`, before the transaction has changed anything (None after)."""
        return None if self.changes else self._snapshot.keyed_ids()

    def superseding(self, commitment_id: str) -> list[str]:
        """The ids of the commitments whose latest superseded event names this one as their successor (found by the
        index's links, reading nothing else; see `naming` for every event)."""
        return [cid for cid in self._snapshot.superseding(commitment_id) if self.contains(cid)]

    def naming(self, commitment_id: str) -> list[str]:
        """The ids of the commitments any of whose events names this one as their successor (`by`), the latest
        supersession or an earlier one: every summary is read, and the commitments whose history holds a superseded
        event (a rename needs them all; grows with the file, unlike `superseding`)."""
        candidates = [s["id"] for s in self._snapshot.summaries() if " superseded " in s["history"]]
        return [
            cid
            for cid, commitment in self.states(candidates)
            if commitment is not None and any(event["by"] == commitment_id for event in commitment["history"])
        ]

    def require(self, commitment_id: str) -> Commitment:
        """A copy of the commitment with this exact id, which the command found before it took the lock; a
        NotFoundError if another command removed or renamed it meanwhile (never another id in its place)."""
        if not self.contains(commitment_id):
            raise NotFoundError(
                f"commitment '{commitment_id}' is no longer there: another command removed or renamed it meanwhile"
            )
        return self.get(commitment_id)

    def hold(self, commitment_id: str, current: Commitment | None) -> None:
        """Take `current` as the commitment with this id (None: there is none), as the caller has just read and
        compared it, so that changing it reads nothing again; the caller hands it over."""
        if commitment_id not in self.changes:
            self.changes[commitment_id] = Change(commitment_id, current, current)

    def _remember(self, commitment_id: str) -> Change:
        if commitment_id not in self.changes:
            before = self._snapshot.get(commitment_id) if self._snapshot.contains(commitment_id) else None
            self.changes[commitment_id] = Change(commitment_id, before, before)
        return self.changes[commitment_id]

    def put(self, commitment: Commitment, checked: bool = False, new: bool = False) -> None:
        """Insert `commitment` (a copy of it), or replace the one with its id; `checked`: the caller has just
        checked it by the model's rules and hands it over (an import), so it is neither checked again nor copied;
        `new`: the caller chose its id as one that `ids` does not hold (a commitment added, or given a new id), so
        that one the file holds all the same means the list was wrong (an index that does not hold up), not a
        commitment to replace."""
        problems = [] if checked else commitment_problems(commitment)
        if problems:
            raise InvalidInputError(f"commitment '{commitment.get('id')}' {problems[0]}")
        change = self._remember(commitment["id"])
        if new and change.before is not None:
            raise self._snapshot.stale()
        change.after = commitment if checked else _copy(commitment)

    def delete(self, commitment_id: str) -> None:
        """Remove the commitment with this exact id."""
        self._remember(commitment_id).after = None

    def effective_changes(self) -> list[Change]:
        """The changes that leave a commitment different from how it was."""
        return [change for change in self.changes.values() if change.before != change.after]


class WriteResult(NamedTuple):
    """What a committed write did, and anything the user should know about it (e.g. its undo entry is not yet
    marked done)."""

    changes: list[Change]
    warnings: list[str]


class UndoResult(NamedTuple):
    """What `undo` reverted."""

    action: str
    at: str
    changes: list[Change]


class UndoStep(NamedTuple):
    """One change in the undo journal, as `undo --list` shows it (`action` None where the entry is damaged)."""

    number: int
    action: str | None
    at: str | None
    ids: list[str]
    path: Path
    identity: tuple[int, ...] | None = None  # its file's, when it was read (see `journal.file_identity`)


class JournalStep(NamedTuple):
    """What the undo journal does with a write: record `changes` as the change `action`, or take `undoing` out."""

    changes: list[Change]
    action: str | None = None
    undoing: Entry | None = None
    entry: Callable[[], Iterable[Piece]] | None = None  # the entry's JSON text, in pieces made as it is written


LOCK_TIMEOUT_MAX = 86_400.0
BACKUP_STAMP = r"[0-9]{8}T[0-9]{6}Z(?:-[0-9]+)?\.bak"


class Store:
    """One tracker database file, its lock file, its index and its undo journal."""

    def __init__(self, path: Path, lock_timeout: float | None = None) -> None:
        # A link is followed, so that a write replaces the file it points to, not the link.
        self.path = Path(os.path.realpath(path)) if path.is_symlink() else path
        if lock_timeout is None:
            lock_timeout = _lock_timeout_from_environment()
        self.lock_timeout = lock_timeout

    def _sibling(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    @property
    def lock_path(self) -> Path:
        return self._sibling(".lock")

    @property
    def journal_path(self) -> Path:
        return self._sibling(".undo")

    @property
    def _journal(self) -> Journal:
        return Journal(self.journal_path, mode_of(self.path))

    @property
    def index_path(self) -> Path:
        return self._sibling(".index")

    @property
    def register(self) -> Register:
        """The register of source texts beside the data file (`<name>.sources/`)."""
        return Register(self._sibling(".sources"))

    @functools.cached_property
    def keyed(self) -> Keyed:
        """What makes the digest of a commitment's entry for the index, with this user's private key (see `Keyed`):
        the key is read, or made, the first time it is asked for (by a write or a full read, which seal the index
        they write with it: see `Keyed.seal`)."""
        return Keyed(private_key(key_path()))

    def _keeping(self, check: bytes) -> Keyed:
        """What makes the digests of the commitments a write splices into an index whose key's check is `check`: this
        user's key's, where the index's digests were made with it; none (NO_DIGEST each) where it holds none (a
        first read's) or another key's, so that no digest is made for nothing."""
        return self.keyed if check != NO_DIGEST and check == self.keyed.check else Keyed(None)

    def owns(self, candidate: Path) -> bool:
        """Whether writing to `candidate` would write over this database or one of its side files (the lock,
        the index, the journal, the source register, a backup, a temporary file), links and hard links resolved."""
        resolved = Path(os.path.realpath(candidate))
        directory = Path(os.path.realpath(self.path.parent))
        if resolved.parent == directory and self._side_name(resolved.name):
            return True
        for folder in (self.journal_path, self.register.path):
            if Path(os.path.realpath(folder)) in resolved.parents:
                return True
        try:
            return os.path.samefile(resolved, self.path)
        except OSError:
            return False

    def _side_name(self, name: str) -> bool:
        """Whether `name`, in the data file's folder, is the data file's or one of its side files' (the lock, the
        index, the journal, the register, a backup) or a temporary file of theirs (hidden, `.<name>.`...)."""
        own = re.escape(self.path.name)
        sides = rf"{own}|{own}\.(?:lock|index|undo|sources|{BACKUP_STAMP})"
        return re.fullmatch(sides, name) is not None or temporary_pattern(sides).fullmatch(name) is not None

    def holds_open_file(self, descriptor: int) -> bool:
        """Whether the open file `descriptor` (stdout appended to the data file, say) is this database or one of its
        side files: writing to it would corrupt them."""
        try:
            status = os.fstat(descriptor)
        except OSError:
            return False
        if not stat.S_ISREG(status.st_mode):
            return False
        with suppress(OSError):  # where the system names the file open at a descriptor (Linux)
            target = os.readlink(f"/proc/self/fd/{descriptor}")
            if target.startswith("/") and self.owns(Path(target)):
                return True
        return any(os.path.samestat(status, other) for other in self._side_statuses(every=status.st_nlink > 1))

    def _side_statuses(self, every: bool) -> Iterator[os.stat_result]:
        """What identifies the data file, its index and its lock as they are; with `every`, each of its other side
        files too (a backup, a journal entry: only a file with another name, a hard link, can be one of those)."""
        paths = [self.path, self.index_path, self.lock_path]
        if every:
            with suppress(OSError):
                paths += [entry for entry in self.path.parent.iterdir() if self._side_name(entry.name)]
            for folder in (self.journal_path, self.register.path):
                with suppress(OSError):
                    paths += list(folder.iterdir())
        for path in paths:
            with suppress(OSError):
                yield os.stat(path)

    def output_target(self, output: Path, force: bool) -> Path:
        """Where an output file given as `output` goes (a link followed): a new file, or with `force` an existing
        regular file; never this database or one of its side files. InvalidInputError naming the problem."""
        target = Path(os.path.realpath(output))
        if self.owns(target):
            raise InvalidInputError(f"{output} is the database {self.path} or one of its side files; choose another")
        try:  # through the link itself: one in /proc or /dev/fd leads to a pipe that has no path of its own
            mode: int | None = os.stat(output).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            raise InvalidInputError(f"{output} is {kind_of(mode)}; give a regular file (or leave --output out)")
        if mode is not None and not force:
            raise InvalidInputError(f"{output} exists; use --force to overwrite it")
        if not target.parent.is_dir():
            where = f"{target} (where the link {output} leads)" if output.is_symlink() else str(output)
            raise InvalidInputError(f"the directory of {where} does not exist")
        return target

    # --- locking and creation ----------------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cross-process lock on the sibling lock file for a read-modify-write."""
        self._check_directory()
        with locked(self.lock_path, self.lock_timeout, self.path):
            yield

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
            make_folder(self.path.parent, parents=True)
        with self.locked():
            if self.exists():
                return False
            self._write_full(parse_database(bundled_text(), "the bundled data set"), None)
            return True

    def init(self, force: bool = False, empty: bool = False) -> Path | None:
        """Create the database from the bundled data set (or `empty`); with `force`, over an existing file, after
        a backup. Returns the backup's path, if one was made.
        """
        make_folder(self.path.parent, parents=True)
        fresh = [] if empty else parse_database(bundled_text(), "the bundled data set")
        with self.locked():
            if not self.exists():
                self._write_full(fresh, None)
                return None
            if not force:
                raise InvalidInputError(
                    f"{self.path} already exists; 'tracker init --force' replaces it and keeps a backup"
                )
            self._check_replaceable()
            self._settle()
            self._journal.check()  # before the backup: a change that cannot be journaled is not made at all
            descriptor = open_regular(self.path)
            try:
                data = _read_all(descriptor, self.path)
                try:
                    old: list[Commitment] | None = parse_database(_decode(data, self.path), str(self.path))
                except DatabaseError:
                    old = None
                backup = self._backup(data)
            finally:
                os.close(descriptor)
            changes = _diff(old, fresh) if old is not None else []
            self._write_full(fresh, JournalStep(changes, action="init --force") if changes else None)
            return backup

    def _check_replaceable(self) -> None:
        """Refuse to replace anything but a regular file that may be written."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return
        except OSError as error:
            raise DatabaseError(f"{self.path} cannot be examined: {describe_os_error(error)}") from None
        if not stat.S_ISREG(mode):
            raise DatabaseError(f"{self.path} is {kind_of(mode)}, not a tracker database file; choose another --db")
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(self.path, os.W_OK):
            raise DatabaseError(f"{self.path} is read-only; make it writable to record changes")

    def _migration_backup(self, version: int) -> str:
        """Before the first write to a file of an older schema version: keep it as it is, and say so."""
        descriptor = self._open_data()
        try:
            backup = self._backup(_read_all(descriptor, self.path))
        finally:
            os.close(descriptor)
        return (
            f"migrated {self.path} from schema version {version} to {SCHEMA_VERSION}; the old file is kept at {backup}"
        )

    def _backup(self, data: bytes) -> Path:
        """Keep `data` (the file as it is) in a new timestamped backup beside it (`<name>.<UTC time>.bak`, named
        as `BACKUP_STAMP` matches), written atomically."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = self.path.with_name(f"{self.path.name}.{stamp}.bak")
        number = 1
        while backup.exists() or backup.is_symlink():
            number += 1
            backup = self.path.with_name(f"{self.path.name}.{stamp}-{number}.bak")
        prepare(backup, [data], mode=stat.S_IMODE(self.path.stat().st_mode)).commit()
        return backup

    # --- reading -------------------------------------------------------------------------------------------------

    def _open_data(self) -> int:
        """A descriptor on the data file, which must be a regular file (a FIFO or a device is refused at once)."""
        try:
            return open_regular(self.path)
        except FileNotFoundError:
            raise DatabaseError(f"{self.path} does not exist") from None
        except DatabaseError as error:
            raise DatabaseError(str(error).replace("not a regular file", "not a tracker database file")) from None

    def _snapshot(self, for_write: bool = False, whole: bool = False) -> Snapshot:
        """The file as it is now: through its index if the index describes this very version (and, `for_write`,
        bears this user's seal, since a write copies records by its starts: see `IndexFile.check_for_write`);
        otherwise, or if `whole`, the whole file is read and checked, and indexed if it is in the canonical layout."""
        descriptor = self._open_data()
        try:
            file_signature = signature(os.fstat(descriptor))
            index = None if whole else open_index(self.index_path, file_signature)
            if index is not None and (index.count or file_signature[0] == len(EMPTY)):
                try:
                    if for_write:
                        index.check_for_write(len(HEADER), len(FOOTER), self.keyed)
                    return IndexedSnapshot(self.path, self.index_path, descriptor, index, self._full_snapshot)
                except IndexDoubt:
                    pass
            if index is not None:
                index.close()
            # An index that is not this version's (the file changed since) still knows the commitments that did not.
            return self._read_whole(descriptor, file_signature, reuse=index is None and not whole)
        except BaseException:
            with suppress(OSError):
                os.close(descriptor)
            raise

    def _full_snapshot(self) -> Snapshot:
        """The file read in full, whatever its index says (a bulk read that found the index in doubt)."""
        descriptor = self._open_data()
        try:
            return self._read_whole(descriptor, signature(os.fstat(descriptor)), write_index=False)
        except BaseException:
            with suppress(OSError):
                os.close(descriptor)
            raise

    def _read_whole(
        self, descriptor: int, file_signature: Signature, write_index: bool = True, reuse: bool = False
    ) -> Snapshot:
        """Read and check every commitment of the open file, and index it if it is in the canonical layout (the
        next command writes the index, if not `write_index`). With `reuse`, the summaries of the commitments written
        as the index file (which describes another version of the file) last saw them are taken from it."""
        with _gc_paused():
            data = _read_all(descriptor, self.path)
            # Where no earlier index of this user's can be drawn on (none, of an older version, or of another key),
            # the records are not digested: a first read is as fast as it was, and the next full read, which has
            # this index at hand, digests them.
            there = reuse and self.index_path.exists()
            earlier = stale_index(self.index_path, len(data), self.keyed) if there else None
            keyed = None if earlier is None else (lambda: self.keyed)
            index = index_records(data, file_signature, str(self.path), reuse=earlier, keyed=keyed)
            del earlier
            if index is None:
                commitments, version = self._load_whole(data)
                os.close(descriptor)
                return LoadedSnapshot(commitments, version)
        del data
        encoded = index.to_bytes()  # once, for the file and for this command
        if write_index:
            self._write_index(encoded)
        in_memory = IndexFile.in_memory(index, encoded)
        return IndexedSnapshot(self.path, self.index_path, descriptor, in_memory, self._whole_document)

    def _whole_document(self) -> Snapshot:
        """The file read as one document, through no index: what stands in, for the rest of a command, for an index
        that a full read of this command built and that does not hold up after all (a bug: reading the file in full
        again would only build the same index, and doubt it again, without end)."""
        descriptor = self._open_data()
        try:
            data = _read_all(descriptor, self.path)
        finally:
            os.close(descriptor)
        return LoadedSnapshot(*self._load_whole(data))

    def _load_whole(self, data: bytes) -> tuple[list[Commitment], int]:
        """Parse and validate a file that is not in the canonical layout as one document, through TinyDB (any
        formatting, a file TinyDB itself wrote, an older schema version); its commitments and its version."""
        return load_whole(self.path, _decode(data, self.path))

    @contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """The file as it is now, for reading without the lock (writes replace it whole, never in place)."""
        snapshot = self._snapshot()
        try:
            yield snapshot
        finally:
            snapshot.close()

    def load(self) -> list[Commitment]:
        """Every commitment in the file, validated, sorted by id."""
        with self.reading() as snapshot, _gc_paused():
            return [snapshot.get(commitment_id) for commitment_id in sorted(snapshot.ids)]

    # --- writing -------------------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, action: str) -> Iterator[Transaction]:
        """Lock, read, let the caller change commitments, then write atomically and journal the change for undo.

        If the caller raises, nothing is written.
        """
        with self.locked(), self._transaction(action) as transaction:
            yield transaction

    def _settle(self) -> None:
        """Under the lock, before a write: settle what a killed writer left (journal entries in flight, temporary
        files of the data file, its index and its journal)."""
        try:
            inode: int | None = os.stat(self.path).st_ino
        except OSError:
            inode = None
        self._journal.recover(inode)
        name = re.escape(self.path.name)
        remove_temporaries(self.path.parent, rf"{name}|{name}\.index|{name}\.{BACKUP_STAMP}|{name}\.{_PARTS}")

    @contextmanager
    def _transaction(self, action: str, whole: bool = False) -> Iterator[Transaction]:
        self._settle()
        snapshot = self._snapshot(for_write=True, whole=whole)
        try:
            transaction = Transaction(snapshot, action)
            yield transaction
            changes = transaction.effective_changes()
            if not changes:
                return
            self._check_replaceable()
            if isinstance(snapshot, LoadedSnapshot) and snapshot.schema_version < SCHEMA_VERSION:
                transaction.warnings.append(self._migration_backup(snapshot.schema_version))
            transaction.warnings += self._commit(snapshot, JournalStep(changes, action=transaction.action))
        finally:
            snapshot.close()

    def write(self, action: str, change: Callable[[Transaction], None]) -> WriteResult:
        """Run `change` in a transaction; return what it changed. If the index proves not to match the file midway
        (damaged or forged so that its signature still matches), nothing has been written and the index has been
        dropped: `change` runs again, from the start, on the file read whole and checked."""

        def attempt(whole: bool) -> WriteResult:
            with self._transaction(action, whole) as transaction:
                change(transaction)
            return WriteResult(transaction.effective_changes(), transaction.warnings)

        with self.locked():
            try:
                return attempt(whole=False)
            except StaleIndex:
                return attempt(whole=True)

    def holds_none(self, keys: Callable[[], list[str] | None]) -> bool:
        """Whether the data file, read through a current index, holds none of the commitments with the document
        keys that `keys` reads (a cheap look before `add_canonical`, which asks again under the lock; the keys are
        not read where the file holds no commitment); False where the index cannot say, or `keys` gives None."""
        with self.reading() as snapshot:
            if not isinstance(snapshot, IndexedSnapshot):
                return False
            try:
                held = snapshot.index.rows()[0]
            except IndexDoubt:
                return False
            if not held:
                return True
            written = keys()
            return written is not None and set(held).isdisjoint(written)

    def added_in_parts(self) -> AddedInParts:
        """Where the parts that check an import's records write the changes of its journal entry (see
        `journal.AddedInParts`): files beside the data file. Closed by the caller."""
        return AddedInParts(self.path.parent, f".{self.path.name}.{_PARTS}.tmp-")

    def add_canonical(
        self, action: str, data: bytes, incoming: Index, added: AddedInParts | None = None
    ) -> list[str] | None:
        """Add the commitments of `data`, a file in the canonical layout (an export) that `incoming` indexes (every
        record in it checked: see `layout.index_records`), as they are written there: their bytes are copied into
        the data file, and into the journal entry, without being parsed again (the entry's changes are those
        `added` holds, made while the records were checked, where it holds them all). The warnings; None, with
        nothing written, unless the data file is indexed and holds none of them (then a transaction does the
        work)."""
        with self.locked():
            self._settle()
            snapshot = self._snapshot(for_write=True)
            try:
                if not isinstance(snapshot, IndexedSnapshot) or not incoming.ids or incoming.links is None:
                    return None
                try:
                    held = snapshot.index.rows()[1]
                except IndexDoubt:
                    return None
                if not set(held).isdisjoint(incoming.ids):
                    return None
                self._check_replaceable()
                view = memoryview(data)
                spans = incoming.spans
                at = utc_timestamp()

                def entry() -> Iterator[bytes]:
                    made = None if added is None else added.entry(action, at)
                    if made is not None:
                        return made
                    keyed = enumerate(zip(incoming.keys, incoming.ids, strict=True))
                    afters = (  # each record's object, after its `    "<key>": `, made compact as it is written
                        (cid, compact(view[spans[2 * number] + len(key) + 8 : spans[2 * number + 1]]))
                        for number, (key, cid) in keyed
                    )
                    return additions_entry(action, at, afters)

                step = JournalStep([], action=action, entry=entry)
                if snapshot.index.count == 0:  # into an empty database: the export is the file, its index the index
                    return self._write_file([data], step, None, (functools.partial(incoming.encoded, UNSIGNED), None))
                try:
                    return self._write_added(snapshot, data, incoming, step)
                except StaleIndex:  # nothing written, the index dropped: a transaction reads the file whole
                    return None
            finally:
                snapshot.close()

    def _write_added(self, snapshot: IndexedSnapshot, data: bytes, incoming: Index, step: JournalStep) -> list[str]:
        """Add the commitments of `data`, a canonical export that `incoming` indexes, none of them held, in runs: the
        file is written from ranges of the current file and runs of the export's records (those that go between the
        same two commitments of the file are one piece of the export, with its own separators), and the index made
        afresh from the current one's rows, summaries, links and digests, each read at once, and the export's.
        StaleIndex, with nothing written, where the index proves wrong (a key of the export's in it under another
        id, a neighbour of a run the file holds under another key than its row says)."""
        index = snapshot.index
        try:
            keys, ids = index.rows()
            starts = index.starts(len(HEADER), len(FOOTER))
            summaries = index.packed_summaries()
            links = index.every_link()
            digests = index.digests()
            key_check = index.key_check()
            ours = self._keeping(key_check).known
        except IndexDoubt:
            raise snapshot.stale() from None
        new_keys, spans, view = incoming.keys, incoming.spans, memoryview(data)
        new_digests = incoming.digests if ours and incoming.digests else bytes(DIGEST * len(new_keys))
        keyed_as_row = _keyed_as_rows(snapshot.descriptor, starts, keys.__getitem__)
        records: list[Piece] = []  # runs of the file's records (ranges) and of the export's (its bytes)
        all_keys: list[str] = []
        all_ids: list[str] = []
        all_summaries: list[bytes] = []
        all_digests: list[bytes] = []
        all_spans = array("q")
        offset = len(HEADER)
        old = new = 0
        while old < len(keys) or new < len(new_keys):
            if new == len(new_keys) or (old < len(keys) and keys[old] < new_keys[new]):
                stop = bisect.bisect_left(keys, new_keys[new], old) if new < len(new_keys) else len(keys)
                first, last = starts[old], starts[stop] - 2
                records.append((first, last))
                all_keys += keys[old:stop]
                all_ids += ids[old:stop]
                all_summaries += summaries[old:stop]
                all_digests.append(digests[DIGEST * old : DIGEST * stop])
                shift = offset - first
                for number in range(old, stop):
                    all_spans.extend((starts[number] + shift, starts[number + 1] - 2 + shift))
                old = stop
            else:
                if old < len(keys) and keys[old] == new_keys[new]:
                    raise snapshot.stale()  # a key under another id than the export's: the index does not hold up
                # Never a key written twice: the file's records beside the run are keyed as their rows say.
                if not all(map(keyed_as_row, range(max(old - 1, 0), min(old + 1, len(keys))))):
                    raise snapshot.stale()
                stop = bisect.bisect_left(new_keys, keys[old], new) if old < len(keys) else len(new_keys)
                first, last = spans[2 * new], spans[2 * stop - 1]
                records.append(view[first:last])  # the export's own separators between them
                all_keys += new_keys[new:stop]
                all_ids += incoming.ids[new:stop]
                all_summaries += incoming.summaries[new:stop]
                all_digests.append(new_digests[DIGEST * new : DIGEST * stop])
                shift = offset - first
                all_spans.extend(map(shift.__add__, spans[2 * new : 2 * stop]))
                new = stop
            offset += last - first + len(SEPARATOR)
        pieces, _ = layout(records)
        merged = Index(
            UNSIGNED,
            all_keys,
            all_ids,
            all_spans,
            all_summaries,
            [*incoming.links, *links] if incoming.links is not None else None,
            b"".join(all_digests),
            key_check,
        )
        return self._write_file(pieces, step, snapshot, (functools.partial(merged.encoded, UNSIGNED), None))

    def _commit(self, snapshot: Snapshot, step: JournalStep) -> list[str]:
        changes = step.changes
        if isinstance(snapshot, IndexedSnapshot) and snapshot._whole is not None:
            snapshot = snapshot._whole  # the index proved wrong in this command: nothing is copied by it
        if isinstance(snapshot, IndexedSnapshot):
            existing = {change.id for change in changes if change.before is not None}
            afters = {change.id: change.after for change in changes if change.after is not None}
            try:
                keeping = self._keeping(snapshot.index.key_check())
            except IndexDoubt:
                raise snapshot.stale() from None
            encoded = dict(zip(afters, _encoded(list(afters.values()), keeping), strict=True))
            return self._write_spliced(snapshot, {c.id: encoded.get(c.id) for c in changes}, existing, step)
        updated = {cid: snapshot.get(cid) for cid in snapshot.ids}
        for change in changes:
            if change.after is None:
                updated.pop(change.id, None)
            else:
                updated[change.id] = change.after
        return self._write_full(list(updated.values()), step)

    def _write_full(self, commitments: list[Commitment], step: JournalStep | None) -> list[str]:
        """Write a whole canonical file, then its index."""
        ordered = in_file_order(commitments)
        encoded = _encoded(ordered, self.keyed)
        records: list[Piece] = [text for text, _, _, _ in encoded]
        summaries = [packed for _, packed, _, _ in encoded]
        links = [link for _, _, linked, _ in encoded for link in linked]
        digests = b"".join(digest for _, _, _, digest in encoded)
        keys = [doc_key(commitment["id"]) for commitment in ordered]
        ids = [commitment["id"] for commitment in ordered]
        pieces, spans = layout(records)
        index = Index((0, 0, 0, 0, 0), keys, ids, spans, summaries, links, digests, self.keyed.check)
        return self._write_file(pieces, step, None, (functools.partial(index.encoded, UNSIGNED), None))

    def _write_spliced(
        self,
        snapshot: IndexedSnapshot,
        replacements: dict[str, Encoded | None],
        existing: set[str],
        step: JournalStep,
    ) -> list[str]:
        """Write the file again, copying every unchanged commitment's bytes from the current file, and the index
        likewise, in runs: only the changed commitments (`existing`: those of them the file holds), each as its
        bytes, packed summary and links or None if it goes, are handled one by one (no loop over the others)."""
        index = snapshot.index
        try:
            starts = index.starts(len(HEADER), len(FOOTER))
            offsets = index.offsets()
            sorted_ids = index.read(index.sections[2], ID_WIDTH * index.count)
            key_check = index.key_check()
            ours = self._keeping(key_check).known
        except IndexDoubt:
            raise snapshot.stale() from None
        # Each change as (position in the old file, 0 for a new commitment before it / 1 for the one there, key).
        edits = []
        try:  # many changes (an import, its undo): every row read once, rather than a bisection of the file for each
            file_rows = index.rows() if len(replacements) > _FEW else None
        except IndexDoubt:
            raise snapshot.stale() from None
        where = {cid: number for number, cid in enumerate(file_rows[1])} if file_rows and existing else {}
        row_key = file_rows[0].__getitem__ if file_rows is not None else index.key
        keyed_as_row = _keyed_as_rows(snapshot.descriptor, starts, row_key)
        for commitment_id, commitment in replacements.items():
            key = doc_key(commitment_id)
            if commitment_id in existing:
                if file_rows is None:
                    try:
                        place = snapshot.position(commitment_id)
                    except IndexDoubt:
                        raise snapshot.stale() from None
                elif where.get(commitment_id) is None or file_rows[0][where[commitment_id]] != key:
                    raise snapshot.stale()
                else:
                    place = where[commitment_id]
                edits.append((place, 1, key, commitment_id, commitment))
            elif commitment is not None:
                place = bisect.bisect_left(file_rows[0], key) if file_rows is not None else index.insertion_point(key)
                # Never a key written twice: not one a row holds, nor one the file holds beside where it goes (the
                # keys are in order) under rows that say otherwise.
                around = range(max(place - 1, 0), min(place + 1, index.count))
                if (place < index.count and row_key(place) == key) or not all(map(keyed_as_row, around)):
                    raise snapshot.stale()
                edits.append((place, 0, key, commitment_id, commitment))
        edits.sort(key=lambda edit: edit[:3])
        file_ids = file_rows[1] if file_rows is not None else []
        try:  # many replaced: the summaries read at once, each checked against its row as `index.summary` does
            summaries_read = (
                index.read(index.sections[4], index.total) if file_rows is not None and len(existing) > _FEW else b""
            )
        except IndexDoubt:
            raise snapshot.stale() from None

        def replaced_summary(position: int) -> Summary:
            if not summaries_read:
                return index.summary(position)
            return unpack_summary(summaries_read[offsets[position] : offsets[position + 1]], file_ids[position])

        records: list[Piece] = []  # runs of old records as one range each, and new records' bytes
        runs: list[tuple[int, int] | None] = []  # for each entry of `records`: the old positions it copies
        new_summaries: list[tuple[str, str, bytes, bytes]] = []
        gone_links: list[bytes] = []  # the links of the commitments replaced or removed, and of those put
        new_links: list[bytes] = []
        previous = 0
        for position, replaced, key, commitment_id, commitment in edits:
            if position > previous:
                records.append((starts[previous], starts[position] - 2))
                runs.append((previous, position))
            if replaced:
                try:
                    gone_links += links_of(replaced_summary(position))
                except IndexDoubt:
                    raise snapshot.stale() from None
            if commitment is not None:
                text, packed, linked, digest = commitment
                records.append(text)
                runs.append(None)
                new_summaries.append((key, commitment_id, packed, digest))
                new_links += linked
            previous = position + replaced
        if previous < index.count:
            records.append((starts[previous], starts[index.count] - 2))
            runs.append((previous, index.count))
        pieces, _ = layout(records)
        # The index: rows, starts, ids, summaries and digests, the unchanged runs copied from the old index file.
        rows: list[Piece] = []
        digests: list[Piece] = []
        new_starts = array("q")
        blob: list[Piece] = []
        new_offsets = array("q", [0])
        offset, total, fresh = len(HEADER), 0, iter(new_summaries)
        for record, run in zip(records, runs, strict=True):
            if run is None:
                key, commitment_id, packed, digest = next(fresh)
                rows.append(row(key, commitment_id))
                digests.append(digest if ours else NO_DIGEST)
                new_starts.append(offset)
                blob.append(packed)
                total += len(packed)
                new_offsets.append(total)
                assert not isinstance(record, tuple)
                offset += len(record) + 2
                continue
            first, last = run
            rows.append(index.section_range(0, first, last))
            digests.append(index.digest_range(first, last))
            new_starts.extend(_shifted(starts[first:last], offset - starts[first]))
            blob.append(index.summary_range(first, last, offsets))
            new_offsets.extend(_shifted(offsets[first + 1 : last + 1], total - offsets[first]))
            total += offsets[last] - offsets[first]
            offset += starts[last] - starts[first]
        new_starts.append(offset)
        ids_pieces = _spliced_ids(sorted_ids, replacements, existing)
        count = len(new_starts) - 1
        try:
            link_pieces, links = _spliced_links(index, gone_links, new_links)
        except IndexDoubt:
            raise snapshot.stale() from None

        index_pieces: list[Piece] = [
            header(UNSIGNED, count, total, links),
            *rows,
            new_starts.tobytes(),
            ids_pieces,
            new_offsets.tobytes(),
            *blob,
            *link_pieces,
            key_check,
            *digests,
        ]
        return self._write_file(pieces, step, snapshot, (index_pieces, index))

    def _write_file(
        self,
        pieces: list[Piece],
        step: JournalStep | None,
        source: IndexedSnapshot | None,
        index: tuple[IndexPieces, IndexFile | None],
    ) -> list[str]:
        """Write the data file from its pieces (bytes, or ranges of the `source` file), with its journal entry,
        then its index, from its pieces (the first its header, made with UNSIGNED; the others bytes, or ranges of
        the old index file), or from what makes them. The data file and the journal change together or not at all;
        what cannot be done after the data file has changed (make the change undoable, write the index) is said,
        not raised.

        The journal entry and the index are written in other threads while the data file is (the copying and
        flushing is the kernel's; an import's entry is made, and a new index encoded, as they are written), all but
        the index's header, which names the data file's signature, known once the data file is in place. Where that
        runs out of room (disk space, a quota, file descriptors) that one after the other would not, everything
        written meanwhile is removed and the steps are taken one after the other, as a cache must never cost a
        change."""
        try:
            return self._write_steps(pieces, step, source, index, meanwhile=True)
        except _Cramped:
            self._settle()  # as after any write that failed: nothing of the first try may pass for the second's
            return self._write_steps(pieces, step, source, index, meanwhile=False)

    def _write_steps(
        self,
        pieces: list[Piece],
        step: JournalStep | None,
        source: IndexedSnapshot | None,
        index: tuple[IndexPieces, IndexFile | None],
        meanwhile: bool,
    ) -> list[str]:
        if source is not None:
            for piece in pieces:  # each merged range once, not each commitment
                if isinstance(piece, tuple) and not _is_record_range(source.descriptor, *piece):
                    raise source.stale()  # never copy from a file that no longer matches its index
        journal = self._journal
        data_file: UnfinishedFile | None = None
        index_body: _IndexBody | None = None
        recording: _Meanwhile[Path] | None = None
        warnings: list[str] = []
        pending: Path | None = None
        undoing: Path | None = None
        entry: dict[str, Any] | Iterable[Piece] | None = None
        try:
            if step is not None and step.action is not None:
                # Before the data file's temporary file: an import's entry taken again, one step after the other,
                # first lets go of the files its parts wrote (see `journal.AddedInParts.entry`), for their room.
                entry = step.entry() if step.entry is not None else _journal_entry(step.action, step.changes)
            try:
                data_file = begin(self.path)  # first, so that what is written meanwhile never takes its descriptor
                index_body = _IndexBody(self.path, self.index_path, *index, self.keyed, meanwhile=meanwhile)
                if entry is not None:
                    recording = _Meanwhile(
                        functools.partial(journal.prepare, entry, data_file.inode), "journal", meanwhile
                    )
                data_file.write(pieces, source=source.descriptor if source is not None else -1)
            except BaseException:
                if data_file is not None:
                    data_file.discard()
                raise
            new_version = data_file.finish(b"")
        except BaseException as error:
            if recording is not None and (recorded := recording.outcome()) is not None:
                _unlink_quietly(recorded)
            if index_body is not None:
                index_body.discard()
            if meanwhile and _cramped(error):
                raise _Cramped from error
            raise
        assert index_body is not None  # made before the data file was written
        try:
            if recording is not None:
                pending = recording.result()
            if step is not None and step.undoing is not None:
                undoing = journal.begin_undo(step.undoing, new_version.inode)
            if source is not None and not source.index.unchanged():
                # Rewritten in place since its seal was proved: what this write found by it (a commitment's place,
                # its summary) may not be what was proved. The file is read whole and the write made again.
                raise source.stale()
            new_version.commit()
            _CHANGED.add(self.path)
        except BaseException as error:
            if pending is None and recording is not None:
                pending = recording.outcome()
            index_body.discard()
            if _holds(self.path, new_version.inode):  # in place (Ctrl-C, say, came after the rename): it stands
                _CHANGED.add(self.path)
                with suppress(OSError):
                    if pending is not None:
                        journal.confirm(pending)  # or the next write confirms it (see `Journal.recover`)
                    if undoing is not None:
                        undoing.unlink()
                raise
            new_version.discard()
            if pending is not None:
                _unlink_quietly(pending)
            if undoing is not None:
                with suppress(OSError):
                    journal.cancel_undo(undoing)
            if meanwhile and _cramped(error):
                raise _Cramped from error
            raise
        if undoing is not None:
            _unlink_quietly(undoing)  # if it stays, the next writer sees that the undo happened and removes it
        if pending is not None:
            try:
                journal.confirm(pending)
            except OSError as error:
                warnings.append(
                    f"recorded, but the undo journal could not mark it done: {describe_os_error(error)} ({pending}); "
                    "the next command that writes or undoes does"
                )
            journal.trim()
        index_body.finish(new_version.written)
        return warnings

    def _write_index(self, encoded: bytes) -> None:
        """Write the index of the data file as it was read, from its bytes (signed with that version's signature),
        sealed with this user's key (see `Keyed.seal`)."""
        try:
            head = sealed_head(encoded, self.keyed)
            prepare(self.index_path, [head, memoryview(encoded)[HEADER_SIZE:]], mode=mode_of(self.path)).commit()
        except OSError:
            # The index is only a cache: a read-only directory, say, just means no fast path.
            _unlink_quietly(self.index_path)

    # --- the undo journal --------------------------------------------------------------------------------------

    def _settled_journal(self) -> None:
        """Before saying what undo would do: settle what a killed writer left in the journal (a change the data file
        holds whose entry was not yet confirmed becomes the newest), as the next write would. Best effort: where the
        lock cannot be taken (a folder that cannot be written), the journal is shown as it is."""
        try:
            with self.locked():
                self._settle()
        except (DatabaseError, LockTimeoutError, OSError):
            pass

    def undo_preview(self) -> Entry:
        """The change that `undo` would revert; NothingToUndoError when there is none."""
        self._settled_journal()
        last = self._journal.last()
        if last is None:
            raise NothingToUndoError(f"nothing to undo: no recorded changes to {self.path}")
        return last

    def undo_steps(self) -> list[UndoStep]:
        """Every change the journal keeps, newest first (the next one `undo` would revert first)."""
        self._settled_journal()
        return [_step(number, path, entry) for number, path, entry in self._journal.listing()]

    def _last_entry(self, expected: int | None, seen: Entry | None = None) -> Entry:
        last = self._journal.last(seen)
        if last is None:
            raise NothingToUndoError(f"nothing to undo: no recorded changes to {self.path}")
        if expected is not None and last.number != expected:
            raise InvalidInputError(
                f"another command recorded a change meanwhile ('{last.action}'); run undo again to see what it "
                "would revert now"
            )
        if seen is not None and last is not seen:
            raise InvalidInputError(_CHANGED_WHILE_ASKED.format(path=seen.path, command="undo"))
        return last

    def skip_preview(self) -> UndoStep:
        """The change that `undo --skip` would forget (damaged or not); NothingToUndoError when there is none."""
        self._settled_journal()
        newest = self._journal.newest()
        if newest is None:
            raise NothingToUndoError(f"nothing to undo: no recorded changes to {self.path}")
        return _step(*newest)

    def skip(self, expected: int | None = None, seen: UndoStep | None = None) -> UndoStep:
        """Forget the most recent change (the one numbered `expected`, if given) without reverting it, so that undo
        can go further back; a damaged entry included. `seen` is that change as `skip_preview` found it: if its
        file is no longer the newest as it was, nothing is done (InvalidInputError)."""
        with self.locked():
            self._settle()
            newest = self._journal.newest()
            if newest is None:
                raise NothingToUndoError(f"nothing to undo: no recorded changes to {self.path}")
            if expected is not None and newest[0] != expected:
                raise InvalidInputError(
                    "another command recorded a change meanwhile; run 'tracker undo --list' to see what comes next"
                )
            if seen is not None and (newest[1] != seen.path or file_identity(newest[1]) != seen.identity):
                raise InvalidInputError(_CHANGED_WHILE_ASKED.format(path=seen.path, command="undo --skip"))
            self._journal.drop(newest[1])
            _CHANGED.add(self.journal_path)
            return _step(*newest)

    def undo(self, expected: int | None = None, seen: Entry | None = None) -> UndoResult:
        """Revert the most recent journaled change (the one numbered `expected`, if given), if every commitment it
        touched is still as it left it; `seen` is that change as `undo_preview` read it: if its file is no longer
        the newest as it was then (another command undid it and recorded another under the same number, say),
        nothing is done (InvalidInputError)."""
        with self.locked():
            self._settle()
            last = self._last_entry(expected, seen)
            changes = [Change(c["id"], c["before"], c["after"]) for c in last.changes]
            try:
                self._undo(last, changes, whole=False)
            except StaleIndex:  # nothing written, the index dropped: as `write` does, read the file whole
                self._undo(last, changes, whole=True)
            return UndoResult(last.action, last.at, changes)

    def _undo(self, last: Entry, changes: list[Change], whole: bool) -> None:
        snapshot = self._snapshot(for_write=True, whole=whole)
        try:
            transaction = Transaction(snapshot, "undo")
            states = snapshot.states(change.id for change in changes)  # many: the index read once, not per id
            for change, (_, current) in zip(changes, states, strict=True):
                if current != change.after:
                    raise InvalidInputError(
                        f"cannot undo '{last.action}': commitment '{change.id}' has changed since; "
                        "'tracker undo --skip' forgets that change so that undo can go further back"
                    )
                transaction.hold(change.id, change.after)  # the same as `current`: not kept twice
            for change in changes:
                if change.before is None:
                    transaction.delete(change.id)
                else:
                    transaction.put(change.before, checked=True)  # the journal checked every state it holds
            self._check_replaceable()
            self._commit_undo(snapshot, transaction.effective_changes(), last)
        finally:
            snapshot.close()

    def _commit_undo(self, snapshot: Snapshot, changes: list[Change], entry: Entry) -> None:
        """Write the reverted file and take `entry` out of the journal, together or not at all."""
        if not changes:
            self._journal.drop(entry.path)
            return
        self._commit(snapshot, JournalStep(changes, undoing=entry))


def _all_parts(part: Callable[[int, int], tuple[_Result] | None], count: int) -> list[_Result] | None:
    """Each part's result, in order (see `parallel.in_parts`), where `part` gives it in a tuple; None as soon as one
    gives None (the other processes are then stopped). The results are large (a report's or an export's rows): the
    first part, done in this process, leads."""
    results = []
    for found in in_parts(part, count, LARGE_RESULT_LEAD):
        if found is None:
            return None
        results.append(found[0])
    return results


class _Meanwhile(Generic[_Value]):
    """`work()`, run in another thread from now on; where no thread can be started (a limit on processes), run
    when its result is asked for."""

    def __init__(self, work: Callable[[], _Value], name: str, start: bool = True) -> None:
        """`start` false: no thread, `work()` runs when its result is asked for."""
        self._work = work
        self._value: _Value | None = None
        self._error: BaseException | None = None
        self._done = False
        self._thread: threading.Thread | None = threading.Thread(target=self._run, name=name) if start else None
        try:
            if self._thread is not None:
                self._thread.start()
        except RuntimeError:  # "can't start new thread"
            self._thread = None

    def _run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as error:  # raised again by `result`, in the thread that asks
            self._error = error
        self._done = True

    def result(self) -> _Value:
        """What `work()` returned, once it has; what it raised is raised here."""
        if self._thread is None:
            if not self._done:
                self._run()
        else:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def outcome(self) -> _Value | None:
        """What `work()` returned, once it has, or None if it raised or was never run (no thread): for a caller that
        is giving up and must undo what it made."""
        if self._thread is not None:
            self._thread.join()
        return self._value if self._done and self._error is None else None


def _shifted(numbers: array[int], shift: int) -> Iterable[int]:
    """`numbers` (starts, offsets of an unchanged run) moved by `shift`: as they are, copied whole, where a change
    moved nothing before them (every run before the first change)."""
    return numbers if shift == 0 else map(shift.__add__, numbers)


class _IndexBody:
    """A data file's new index, written to a temporary file in another thread from the moment it is made: all but
    its header, which `finish` writes once the data file is in place (the header names its signature). The index
    is a cache: where it cannot be written, it is removed, and the next read that checks the whole file writes it
    again."""

    def __init__(
        self,
        data_path: Path,
        path: Path,
        pieces: IndexPieces,
        source: IndexFile | None,
        keyed: Keyed,
        meanwhile: bool = True,
    ) -> None:
        """`pieces`: the index's, or what makes them (an index of many commitments is encoded in that thread too);
        `keyed`: what seals it (see `Keyed.seal`), over its structure, read back once written. `meanwhile` false: no
        thread, the body is made and written by `finish`, after the data file."""
        self._data_path, self._path = data_path, path
        self._head = b""
        self._keyed = keyed
        self._structure = b""
        self._source = source
        descriptor = source.descriptor if source is not None else -1
        mode = mode_of(data_path)

        def work() -> UnfinishedFile:
            head, *body = pieces() if callable(pieces) else pieces
            if source is not None and source.descriptor < 0:  # an index held in memory: its bytes
                body = [source.buffer[piece[0] : piece[1]] if isinstance(piece, tuple) else piece for piece in body]
            self._head = bytes(head)
            written = prepare_body(path, HEADER_SIZE, body, descriptor, mode)
            try:
                self._structure = structure_written(self._head, written.descriptor) if keyed.known else b""
            except BaseException:
                written.discard()
                raise
            return written

        self._work = work
        self._body = _Meanwhile(work, "index", meanwhile)

    def finish(self, written: os.stat_result) -> None:
        """Wait for the body, then write the header for the data file in place, and put the index in place; none if
        the file is no longer as it was `written` (changed in place by another program since, say), nor if the index
        it copied from was rewritten after its seal was proved (see `IndexFile.unchanged`). A body that ran
        out of room (descriptors, space) while the data file and the journal entry were written is written again
        now that they are."""
        try:
            try:
                body = self._body.result()
            except OSError as error:
                if not _cramped(error):
                    raise
                body = self._work()
            now = os.stat(self._data_path)
            if _identity(now) != _identity(written):
                body.discard()
                raise OSError("the data file changed once in place")
            if self._source is not None and not self._source.unchanged():
                body.discard()  # what was copied from it is not what its seal proved
                raise OSError("the index changed while it was copied")
            body.finish(signed(self._head, signature(now), self._keyed, self._structure)).commit()
        except Exception:  # a full disk, a read-only folder, the old index changed: no fast path until the next
            _unlink_quietly(self._path)  # full read writes the index again

    def discard(self) -> None:
        """Wait for the body, and drop it: the old index stays."""
        written = self._body.outcome()
        if written is not None:
            written.discard()


_CRAMPED = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EMFILE, errno.ENFILE})


class _Cramped(Exception):
    """A write that took its journal entry and index meanwhile ran out of room; nothing was changed, and nothing it
    wrote is left."""


def _cramped(error: BaseException | None) -> bool:
    """Whether `error`, or what caused it, says the disk or the process ran out of room: space, a quota, file
    descriptors."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in _CRAMPED:
            return True
        error = error.__cause__
    return False


def _keyed_as_rows(descriptor: int, starts: array[int], row_key: Callable[[int], str]) -> Callable[[int], bool]:
    """Whether the file (open as `descriptor`) holds the record at a position under the key its row gives
    (`row_key`), read from the record's first bytes once for each position: many new commitments go beside the
    same few (an import)."""
    checked: set[int] = set()

    def keyed_as_row(near: int) -> bool:
        if near not in checked:
            if written_key(os.pread(descriptor, KEY_HEAD, starts[near])) != row_key(near):
                return False
            checked.add(near)
        return True

    return keyed_as_row


def _identity(status: os.stat_result) -> tuple[int, ...]:
    """What renaming a file into place leaves as it was: its signature but for the change time (the last of it)."""
    return signature(status)[:-1]


def _holds(path: Path, inode: int) -> bool:
    """Whether the file at `path` is now the one with `inode` (a new version put in place)."""
    try:
        return os.stat(path).st_ino == inode
    except OSError:
        return False


def _copy(commitment: Commitment) -> Commitment:
    """A deep copy of a commitment (plain JSON values), made in C: copy.deepcopy takes ten times as long."""
    return cast(Commitment, marshal.loads(marshal.dumps(cast(dict[str, Any], commitment))))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector while many objects are made at once and none of them can form a cycle to
    collect: it would otherwise run again and again over the growing heap (five times the cost of the work)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def export_json(snapshot: Snapshot, ids: Iterable[str]) -> Iterator[bytes]:
    """The JSON export of the commitments with these ids: the database format, canonical, in pieces. Through a
    current index, each commitment's bytes are copied from the file as they are."""
    wanted = sorted(ids, key=doc_key)
    records: list[Piece] | None = None
    if isinstance(snapshot, IndexedSnapshot) and snapshot._whole is None:
        try:
            if len(wanted) == snapshot.index.count:  # every one (the ids are distinct): the file's run of records
                starts = snapshot.index.starts(len(HEADER), len(FOOTER))
                records = [(starts[0], starts[-1] - 2)] if wanted else []
            else:
                _, where, starts = snapshot.places()
                records = [(starts[where[cid]], starts[where[cid] + 1] - 2) for cid in wanted]
        except (IndexDoubt, KeyError):
            records = None
    if records is None:
        records = [record_bytes(snapshot.get(cid)) for cid in wanted]
    pieces, _ = layout(records)
    for piece in pieces:
        if not isinstance(piece, tuple):
            yield bytes(piece)
        else:
            assert isinstance(snapshot, IndexedSnapshot)
            if not _is_record_range(snapshot.descriptor, *piece):
                raise snapshot.stale()
            yield from _read_range(snapshot, *piece)


# A commitment's bytes in the file, packed summary, links and digest.
Encoded = tuple[bytes | memoryview, bytes, list[bytes], bytes]


def _encoded(commitments: list[Commitment], keyed: Keyed) -> list[Encoded]:
    """Each commitment's bytes in the file, packed summary, links and digest, in order (the work of a large import
    is shared among processes: see `parallel`)."""

    def part(first: int, stop: int) -> list[Encoded]:
        found: list[Encoded] = []
        for commitment in commitments[first:stop]:
            text = record_bytes(commitment)
            packed, linked = entry_of(commitment)
            found.append((text, packed, linked, keyed.digest(text, packed, linked)))
        return found

    return [item for found in in_parts(part, len(commitments)) for item in found]


def _spliced_ids(sorted_ids: bytes, replacements: dict[str, Encoded | None], existing: set[str]) -> bytes:
    """The sorted-ids section after the change: ids removed and added by bisection, the rest copied."""
    gone = {cid for cid, commitment in replacements.items() if commitment is None and cid in existing}
    new = {cid for cid, commitment in replacements.items() if commitment is not None and cid not in existing}
    if not gone and not new:
        return sorted_ids
    count = len(sorted_ids) // ID_WIDTH
    padded = [cid.encode().ljust(ID_WIDTH, b"\x00") for cid in sorted(gone | new)]
    if len(padded) > _FEW:  # many: every id taken at once, and the bisections made in memory
        every = [sorted_ids[at : at + ID_WIDTH] for at in range(0, count * ID_WIDTH, ID_WIDTH)]
        find: Callable[[bytes], int] = functools.partial(bisect.bisect_left, every)
    else:  # a few: each id sliced only where a bisection steps

        def find(item: bytes) -> int:
            return bisect.bisect_left(range(count), item, key=lambda n: sorted_ids[n * ID_WIDTH : (n + 1) * ID_WIDTH])

    parts: list[bytes] = []
    previous = 0
    for item in padded:
        at = find(item)
        parts.append(sorted_ids[previous * ID_WIDTH : at * ID_WIDTH])
        if item.rstrip(b"\x00").decode() in new:
            parts.append(item)
            previous = at
        else:
            previous = at + 1  # the removed id itself
    parts.append(sorted_ids[previous * ID_WIDTH :])
    return b"".join(parts)


def _spliced_links(index: IndexFile, gone: list[bytes], new: list[bytes]) -> tuple[list[Piece], int]:
    """The links section after the change, in pieces, and how many links it holds: the links of the changed
    commitments taken out and their new ones put in, each found by bisection, the runs between copied from the
    old index file. IndexDoubt if a link the old summaries give is not there."""
    if len(gone) + len(new) > _FEW:  # many: every link read at once, and the bisections made in memory
        every = index.every_link()
        place_of: Callable[[bytes], int] = functools.partial(bisect.bisect_left, every)
        find: Callable[[bytes], int] = functools.partial(find_link, every)
    else:
        place_of, find = index.link_place, index.find_link
    cuts = sorted([(find(link), 1, link) for link in gone] + [(place_of(link), 0, link) for link in new])
    pieces: list[Piece] = []
    previous = 0
    for place, removed, link in cuts:
        if place > previous:
            pieces.append(index.link_range(previous, place))
            previous = place
        if removed:
            previous = place + 1
        else:
            pieces.append(link)
    if previous < index.links:
        pieces.append(index.link_range(previous, index.links))
    return pieces, index.links - len(gone) + len(new)


def _is_record_range(descriptor: int, start: int, end: int) -> bool:
    """Whether bytes start..end of the file still begin and end as a run of commitments does."""
    return is_record_start(os.pread(descriptor, 6, start)) and os.pread(descriptor, 6, end - 6) == b"\n    }"


def _read_range(snapshot: Snapshot, start: int, end: int) -> Iterator[bytes]:
    assert isinstance(snapshot, IndexedSnapshot)
    while start < end:
        chunk = os.pread(snapshot.descriptor, min(end - start, 1 << 20), start)
        if not chunk:
            raise DatabaseError(f"{snapshot.path} changed while it was being read")
        yield chunk
        start += len(chunk)


def _step(number: int, path: Path, entry: Entry | None) -> UndoStep:
    if entry is None:
        return UndoStep(number, None, None, [], path, file_identity(path))
    ids = [str(change["id"]) for change in entry.changes]
    return UndoStep(number, entry.action, entry.at, ids, path, entry.identity)


_CHANGED_WHILE_ASKED = (
    "the undo journal's newest change ({path}) changed while you were asked (another command undid it or recorded "
    "another, or the file was touched); nothing was done: run '{command}' again to see what it would do now"
)


def _read_all(descriptor: int, path: Path) -> bytes:
    """Every byte of the open file, from its start, in one buffer the size of the file."""
    try:
        os.lseek(descriptor, 0, os.SEEK_SET)
        return io.FileIO(descriptor, closefd=False).readall()
    except OSError as error:
        raise DatabaseError(f"{path} cannot be read: {describe_os_error(error)}") from None


_TRUSTED: set[Path] = set()  # the index files of this command's bulk reads (see `drop_trusted_indexes`)
_CHANGED: set[Path] = set()  # the data files (or undo journals, for `undo --skip`) this command has changed


def forget_trusted_reads() -> None:
    """A new command begins: the reads and writes of any before it (in the same process, as in tests) are not its
    own."""
    _TRUSTED.clear()
    _CHANGED.clear()


def changed_files() -> list[Path]:
    """The data files (or undo journals) this command has changed so far: for an error after the change, which was
    made all the same."""
    return sorted(_CHANGED)


def drop_trusted_indexes() -> list[Path]:
    """After an unexpected error: drop every index whose records this process read in bulk without checking them
    by the rules (a current index vouches for them, but one forged to match a file edited by hand could pass a
    broken record), so that the next command reads and checks the whole file. The data files they describe."""
    dropped = sorted(_TRUSTED)
    for path in dropped:
        _unlink_quietly(path)
    _TRUSTED.clear()
    return [path.with_name(path.name.removesuffix(".index")) for path in dropped]


def _unlink_quietly(path: Path) -> None:
    with suppress(OSError):
        path.unlink(missing_ok=True)


def _journal_entry(action: str, changes: list[Change]) -> dict[str, Any]:
    return {
        "action": action,
        "at": utc_timestamp(),
        "changes": [{"id": c.id, "before": c.before, "after": c.after} for c in changes],
    }


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DatabaseError(f"{path} is not UTF-8 text (byte {error.start}), not a tracker database") from None


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
    valid = f"a number of seconds from 0 to {LOCK_TIMEOUT_MAX:g}, e.g. 10"
    try:
        value = float(raw)
    except ValueError:
        raise UsageProblem(f"TRACKER_LOCK_TIMEOUT={raw!r} is not a number; use {valid}") from None
    if not math.isfinite(value) or not 0 <= value <= LOCK_TIMEOUT_MAX:
        raise UsageProblem(f"TRACKER_LOCK_TIMEOUT={raw!r} is out of range; use {valid}")
    return value
