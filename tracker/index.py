"""The index beside the data file: where each commitment's text lies in the file, and its Summary.

With it, `show` and `update` read one commitment's bytes instead of parsing the whole file, `update` rewrites the
file by copying every other commitment's bytes unchanged, and `list` and `report` read summaries instead of full
records. It is a cache, never data: it names the file's size, modification time, inode, device and inode change
time, and where any of them differ (an edit by hand, a git merge, a crash between writing the file and the index)
it is ignored, and the next read that validates the whole file writes it anew. The change time cannot be set by a
user (`touch -d` sets the modification time and changes the change time), so an edit in place that keeps size and
modification time is still seen. An index is never trusted beyond that: its spans must tile the file exactly, its
ids must be sorted, and each summary is checked when it is used (unless this process has just built the
index, in memory, from the records it checked); on any doubt the file is read in full.

The file is laid out so that a command reads only what it needs, with `pread`, never the whole index:

    header   magic, version, the data file's signature, the number N of commitments, the summaries' length, the
             number L of links, and the seal (16 bytes, all zero for none: see `Keyed.seal`), the proof that
             this user's tracker wrote the rows, starts, ids, offsets and links for this very data file
    rows     N rows of 80 bytes in file order (sorted by document key): the document key (20 bytes) and the id
             (60 bytes), each NUL-padded; a key is found by bisection, reading one row per step
    starts   N + 1 little-endian int64: where each commitment begins in the data file; the last is where one more
             would begin (the footer's start + 2), so that commitment i ends at starts[i + 1] - 2: spans tile the
             file by construction, once the starts are increasing
    ids      N ids of 60 bytes, NUL-padded, sorted: for a prefix of an id, by bisection
    offsets  N + 1 int64: where each packed summary begins in the summaries, and their end
    summaries
    links    L entries of 17 bytes, sorted: a tag (t title, q quote, s successor), an 8-byte key (the title's or
             quote's fingerprint, or the document id of the commitment that supersedes this one) and this
             commitment's document id; what `add` and `show` find by bisection instead of reading every summary
    digests  the key's check (16 bytes: see `Keyed.check`, all zero for none), then N digests of 16 bytes in
             file order, each the first 16 bytes of the SHA-256 of the user's private key, the commitment's bytes
             in the data file (from its key to its closing brace), its packed summary and its links (all zero:
             not known); so that when the file has changed (an edit by hand, a git merge), the next full read
             takes the entry of every commitment whose bytes are the same from this index, and parses and checks
             only the others (see `Keyed`, `Reuse`)

`show` and `update` of one commitment read about twenty rows, two starts and one summary. The order of the keys
and of the starts is proved where it is relied on: a one-record read checks the record's own bytes (its key, its
id, its validity); a write, which copies every other record's bytes and shifts their starts, first proves the
index's seal, in one pass of SHA-256 (where there is no key, or no seal of its, it reads the whole file); a bulk
read (`list`, `report`) checks each summary's shape and its id against its
row, and the rows' order; what a link finds is checked against the summary it leads to. Records read in bulk are
matched to their key and id but not checked by every rule again: the tracker writes an index only for a file whose
records it has all checked (see `store.drop_trusted_indexes` for what happens if one forged says otherwise).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import marshal
import operator
import os
import re
import struct
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from tracker.errors import DatabaseError
from tracker.files import Piece, open_regular
from tracker.model import (
    ID_MAX,
    KIND_VALUES,
    PILLAR_VALUES,
    STATUS_VALUES,
    Commitment,
    Summary,
    future_bound,
    summary_values,
    text_key,
)
from tracker.model import (
    SUMMARY_FIELDS as SUMMARY_FIELDS,  # the order the index packs a summary in
)

INDEX_VERSION = 13  # a change to a rule of the model, or to a summary, must change it: a summary is reused by it
INDEX_LIMIT = 4 << 30  # an index larger than this is not one the tracker wrote
Signature = tuple[int, int, int, int, int]


def doc_id(commitment_id: str) -> int:
    """The TinyDB document id of a commitment: a stable 63-bit number derived from its id (BLAKE2b)."""
    import hashlib  # not at start-up: `list` and `report` never ask

    digest = hashlib.blake2b(commitment_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1 or 1


@functools.lru_cache(maxsize=1 << 16)
def doc_key(commitment_id: str) -> str:
    """The document id as the file writes it: a JSON key, so a string. (Remembered: a write asks for each changed
    commitment's several times.)"""
    return str(doc_id(commitment_id))


def signature(status: os.stat_result) -> Signature:
    """What identifies one version of a file: size, modification time, inode, device and inode change time (ns)."""
    return (status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev, status.st_ctime_ns)


class IndexDoubt(ValueError):
    """Something in the index does not hold up: it must not be used."""


_LAST = SUMMARY_FIELDS.index("last")
_QUOTE_KEY = SUMMARY_FIELDS.index("quote_key")
_SUPERSEDED_BY = SUMMARY_FIELDS.index("superseded_by")


def pack_summary(summary: Summary) -> bytes:
    """A Summary as the index keeps it: its values, in the order of SUMMARY_FIELDS, then the CRC-32 of those bytes
    (four bytes, little-endian), so that an index damaged on disk (a bad sector, a stray write) is caught, not
    shown, even where the damage leaves a summary well formed."""
    return _packed(_summary_values(summary))


def _packed(values: tuple[Any, ...]) -> bytes:
    packed = marshal.dumps(values)
    return packed + zlib.crc32(packed).to_bytes(4, "little")


def entry_of(commitment: Commitment) -> tuple[bytes, list[bytes]]:
    """A valid commitment's packed summary and links: `pack_summary` and `links_of` of its Summary, made without
    the Summary (a full read makes them for every commitment). The bytes read back as `pack_summary`'s do, but may
    differ from them, and from another read's of the same record, in marshal's reference flags (which follow how
    many hold each value, and which values are one object): nothing compares packed summaries, and a digest is made
    over the very bytes kept with it."""
    values = summary_values(commitment)
    return _packed(values), _links(values[0], values[1], values[_QUOTE_KEY], values[_SUPERSEDED_BY])


_summary_values = operator.itemgetter(*SUMMARY_FIELDS)
# The CRC-32 of any bytes followed by their own CRC-32 (little-endian) is this constant: one pass checks a summary.
_CRC_RESIDUE = 0x2144DF1C


def _unpack_own(packed: bytes, expected_id: str) -> Summary:
    """A packed Summary that this process has just made from a record it checked: nothing to check again."""
    return dict(zip(SUMMARY_FIELDS, marshal.loads(packed), strict=True))  # type: ignore[return-value]


_TEXT_OR_NONE = (str, type(None))
_STATUS_OR_NONE = STATUS_VALUES | {None}


def unpack_summary(packed: bytes, expected_id: str) -> Summary:
    """A packed Summary, checked against its CRC-32, for shape and for the id it must have; IndexDoubt otherwise.
    The checks are the cheapest that still catch a summary damaged or not written by the tracker (a hundred
    thousand are unpacked for a `list`)."""
    if len(packed) < 5 or zlib.crc32(packed) != _CRC_RESIDUE:
        raise IndexDoubt(f"the summary of {expected_id!r} is damaged")
    try:
        values = marshal.loads(packed)  # the check at the end is not read
    except (EOFError, ValueError, TypeError):
        raise IndexDoubt("a summary cannot be read") from None
    if type(values) is not tuple or len(values) != len(SUMMARY_FIELDS):
        raise IndexDoubt(f"the summary of {expected_id!r} is not one the tracker wrote")
    summary: dict[str, Any] = dict(zip(SUMMARY_FIELDS, values, strict=False))  # as many: checked above
    try:
        if not _well_formed(summary):
            raise IndexDoubt(f"the summary of {expected_id!r} is not one the tracker wrote")
    except (TypeError, AttributeError):  # a value of a type no summary holds (a list where a status should be)
        raise IndexDoubt(f"the summary of {expected_id!r} is not one the tracker wrote") from None
    if summary["id"] != expected_id:
        raise IndexDoubt(f"the summary of {expected_id!r} is not one the tracker wrote")
    return summary  # type: ignore[return-value]


_HISTORY_ITEM = (
    rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} (?:{'|'.join(sorted(STATUS_VALUES))}) [0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}"
)
_HISTORY = re.compile(rf"{_HISTORY_ITEM}(?:;{_HISTORY_ITEM})*")


def _well_formed(summary: dict[str, Any]) -> bool:
    """Whether a summary has the shape the tracker writes; TypeError (or AttributeError) for some that do not."""
    actors, assessed, history = summary["actors"], summary["assessed"], summary["history"]
    due, made, last, evidence, standing = (
        summary["due"],
        summary["made"],
        summary["last"],
        summary["evidence"],
        summary["standing"],
    )
    "".join(actors)  # in C: a TypeError unless a list or tuple of strings
    "".join(evidence)
    "".join(standing)  # its keys
    return (
        type(summary["id"]) is str
        and type(summary["title"]) is str
        and type(actors) is list
        and summary["pillar"] in PILLAR_VALUES
        and summary["status"] in STATUS_VALUES
        and type(made) is str
        and len(made) == 10
        and type(last) is str
        and len(last) == 10
        and (due is None or (type(due) is str and len(due) == 10))
        and type(history) is str
        and _HISTORY.fullmatch(history) is not None
        and (assessed is None or (type(assessed) is list and len(assessed) == history.count(";") + 1))
        and (summary["kind"] is None or summary["kind"] in KIND_VALUES)
        and type(summary["weight"]) in (int, float)
        and isinstance(summary["superseded_by"], _TEXT_OR_NONE)
        and type(summary["quote_key"]) is str
        and isinstance(summary["source_file"], _TEXT_OR_NONE)
        and type(summary["source_document"]) is str
        and type(summary["rationale"]) is str
        and type(evidence) is list
        and type(standing) is dict
        and _STATUS_OR_NONE.issuperset(standing.values())
        and standing.keys() <= set(actors)
    )


KEY_WIDTH = 20  # a document id has at most 19 digits
ID_WIDTH = ID_MAX
ROW = KEY_WIDTH + ID_WIDTH
_HEAD = struct.Struct("<8sI5qqqq16s")  # magic, version, signature, count, summaries' length, links, seal
MAGIC = b"trackidx"


def _padded(text: str, width: int) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > width or b"\x00" in raw:
        raise ValueError(f"{text!r} does not fit the index")  # never for a valid id or document key
    return raw.ljust(width, b"\x00")


def _fitted(texts: Sequence[str], width: int) -> Iterator[bytes]:
    """Each text as ASCII bytes, to be NUL-padded to `width` (`_padded` for many: the checks made once over them
    all, in C); ValueError if one does not fit."""
    joined = "".join(texts)
    if not joined.isascii() or "\x00" in joined or max(map(len, texts), default=0) > width:
        raise ValueError("a text does not fit the index")  # never for valid ids and document keys
    return map(str.encode, texts)


def _joined(pieces: Sequence[bytes | memoryview]) -> bytes:
    """`b"".join(pieces)`, a few thousand at a time: a join holds 80 bytes of its own for each piece until it is
    done (16 MB for the 200,000 links of 100,000 commitments, more than the links themselves)."""
    return b"".join([b"".join(pieces[at : at + _CHUNK]) for at in range(0, len(pieces), _CHUNK)])


_ROW_FIELDS, _ID_FIELDS = f"{KEY_WIDTH}s{ID_WIDTH}s", f"{ID_WIDTH}s"  # NUL-padded, as `row` writes one
_CHUNK = 1024


def _rows(fields: str, count: int, *columns: Iterable[bytes]) -> memoryview:
    """`count` rows of `fields` (struct's format of one row), their values taken from `columns` in turn, packed a
    thousand rows at a time where they stand: one bytes object per row would hold 11 MB at once for 100,000 rows,
    and pieces joined, twice their size."""
    values = itertools.chain.from_iterable(zip(*columns, strict=True))
    chunk = struct.Struct(fields * _CHUNK)
    rows = bytearray(struct.calcsize(fields) * count)
    for at in range(0, count // _CHUNK * chunk.size, chunk.size):
        chunk.pack_into(rows, at, *itertools.islice(values, len(columns) * _CHUNK))
    struct.pack_into(fields * (count % _CHUNK), rows, count // _CHUNK * chunk.size, *values)
    return memoryview(rows)


def _sections(count: int) -> tuple[int, int, int, int, int]:
    """Where rows, starts, ids, offsets and summaries begin in an index of `count` commitments."""
    rows = _HEAD.size
    starts = rows + ROW * count
    ids = starts + 8 * (count + 1)
    offsets = ids + ID_WIDTH * count
    summaries = offsets + 8 * (count + 1)
    return rows, starts, ids, offsets, summaries


def encode(
    file_signature: Signature,
    keys: Sequence[str],
    ids: Sequence[str],
    starts: array[int],
    summaries: Sequence[bytes],
    links: Sequence[bytes] | None = None,
    digests: bytes | None = None,
    key_check: bytes = b"",
) -> list[Piece]:
    """An index file's bytes, in pieces: rows, starts (N + 1), sorted ids, summary offsets, summaries, links (if
    not given, those of the summaries), the key's check and the digests (if not given, none known)."""
    count = len(keys)
    offsets = array("q", [0])
    total = 0
    for packed in summaries:
        total += len(packed)
        offsets.append(total)
    if links is None:
        unpacked = (dict(zip(SUMMARY_FIELDS, marshal.loads(packed), strict=True)) for packed in summaries)
        links = [link for summary in unpacked for link in links_of(summary)]  # type: ignore[arg-type]
    rows = _rows(_ROW_FIELDS, count, _fitted(keys, KEY_WIDTH), _fitted(ids, ID_WIDTH))
    sorted_ids = _rows(_ID_FIELDS, count, _fitted(sorted(ids), ID_WIDTH))
    return [
        header(file_signature, count, total, len(links)),
        rows,
        starts.tobytes(),
        sorted_ids,
        offsets.tobytes(),
        *summaries,
        _joined(sorted(links)),
        key_check or NO_DIGEST,
        bytes(DIGEST * count) if digests is None else digests,
    ]


# --- links: what finds a commitment by something other than its id -----------------------------------------------

LINK = 17  # a tag, an 8-byte key, and the document id (8 bytes, big-endian) of the commitment it finds
TITLE, QUOTE, SUCCESSOR = b"t", b"q", b"s"


def links_of(summary: Summary) -> list[bytes]:
    """A commitment's links, which the index keeps sorted so that one bisection finds them: its title's and its
    quote's fingerprints (`text_key`), for `add` to find a repeat, and the id of the commitment that supersedes it,
    for `show` to say what that one replaces. IndexDoubt for a summary whose quote key is not one."""
    return _links(summary["id"], summary["title"], summary["quote_key"], summary["superseded_by"])


def _links(commitment_id: str, title: str, quote_key: str, superseded_by: str | None) -> list[bytes]:
    own = int(doc_key(commitment_id)).to_bytes(8, "big")  # remembered: a full read has just asked for it
    found = []
    title_key = text_key(title)
    try:
        if title_key:
            found.append(TITLE + bytes.fromhex(title_key) + own)
        if quote_key:
            found.append(QUOTE + bytes.fromhex(quote_key) + own)
    except ValueError:
        raise IndexDoubt(f"the summary of {commitment_id!r} is not one the tracker wrote") from None
    if superseded_by is not None:
        found.append(SUCCESSOR + doc_id(superseded_by).to_bytes(8, "big") + own)
    if any(len(link) != LINK for link in found):
        raise IndexDoubt(f"the summary of {commitment_id!r} is not one the tracker wrote")
    return found


def text_link(tag: bytes, text: str) -> bytes:
    """The first nine bytes of the links of a text (a title, a quote) of this kind: what `IndexFile.linked` finds
    them by; empty for a text with no fingerprint (no words)."""
    key = text_key(text)
    return tag + bytes.fromhex(key) if key else b""


def successor_link(commitment_id: str) -> bytes:
    """The first nine bytes of the links of the commitments that this one supersedes."""
    return SUCCESSOR + doc_id(commitment_id).to_bytes(8, "big")


DIGEST = 16


NO_DIGEST = bytes(DIGEST)


class Keyed:
    """What makes the digest that the index keeps of each commitment, to know its entry again once the data file has
    changed: the first 16 bytes of the SHA-256 of `key`, this user's private key (`files.private_key`), then the
    commitment's bytes in the data file (its span, key included), its packed summary and its links, sorted. Only
    this user's tracker can make one, so an index brought from elsewhere (a folder copied whole, a repository that
    holds one), or one that anybody changed since, can never vouch for a record nor pass off a summary: its digests
    match nothing. (SHA-256 is computed in the processor, on most: twice as fast as BLAKE2b here; cut short, it
    cannot be extended to longer bytes.) Without a key, every digest is NO_DIGEST: none is known again."""

    def __init__(self, key: bytes | None) -> None:
        import hashlib

        self._keyed = None if key is None else hashlib.sha256(key)
        # What an index says of the key its digests were made with, so that one made with another is not read at all.
        self.check = NO_DIGEST if key is None else hashlib.sha256(b"tracker index key check" + key).digest()[:DIGEST]

    @property
    def known(self) -> bool:
        return self._keyed is not None

    def digest(self, record: bytes | memoryview, packed: bytes, links: Iterable[bytes]) -> bytes:
        if self._keyed is None:
            return NO_DIGEST
        began = self._keyed.copy()
        began.update(record)
        began.update(packed)
        began.update(b"".join(sorted(links)))
        return began.digest()[:DIGEST]

    def seal(self, unsealed: bytes, structure: bytes) -> bytes:
        """An index's seal: the first 16 bytes of the SHA-256 of the key, a label (a record's bytes, which a digest
        begins with, begin with spaces), the index's header as it names the data file (its seal NO_DIGEST) and the
        digest of its structure (`structure_of`). Only this user's tracker can make it: an index that holds it was
        written by this tracker, for the data file with the signature its header names, and its rows, starts, sorted
        ids, offsets and links are the ones it wrote, so that a write may copy by them unchecked. NO_DIGEST without a
        key."""
        if self._keyed is None:
            return NO_DIGEST
        began = self._keyed.copy()
        began.update(b"tracker index seal")
        began.update(unsealed)
        began.update(structure)
        return began.digest()[:DIGEST]


def header(file_signature: Signature, count: int, total: int, links: int, seal: bytes = b"") -> bytes:
    """The header of an index of `count` commitments whose summaries take `total` bytes, with `links` links, and
    its seal (see `Keyed.seal`; none: NO_DIGEST)."""
    return _HEAD.pack(MAGIC, INDEX_VERSION, *file_signature, count, total, links, seal or NO_DIGEST)


UNSIGNED: Signature = (0, 0, 0, 0, 0)  # no file's: in a header written before the data file it names is in place
HEADER_SIZE = _HEAD.size


def signed(head: bytes, file_signature: Signature, keyed: Keyed | None = None, structure: bytes = b"") -> bytes:
    """An index header (made with UNSIGNED) naming the data file with `file_signature` instead, sealed by `keyed`
    over the digest of the index's `structure` (see `Keyed.seal`; not sealed if either is not given)."""
    _, _, *_, count, total, links, _ = _HEAD.unpack(head)
    unsealed = header(file_signature, count, total, links)
    if keyed is None or not structure:
        return unsealed
    return header(file_signature, count, total, links, keyed.seal(unsealed, structure))


class Structure(NamedTuple):
    """What an index's seal is made over (see `Keyed.seal`), and the starts and summary offsets as they were read
    for it: a write copies by those very bytes, not by a later read of the file."""

    digest: bytes
    starts: bytes
    offsets: bytes


def structure_of(read: Callable[[int, int], bytes | memoryview], count: int, total: int, links: int) -> Structure:
    """The SHA-256 of what a write copies records by, places new ones by and finds commitments by: an index's rows,
    starts, sorted ids, summary offsets and links (`read(at, size)` gives the index's bytes; `count`, `total`,
    `links` are its header's), in C, a few megabytes at a time."""
    import hashlib

    digest = hashlib.sha256()
    rows, starts, ids, offsets, summaries = _sections(count)
    links_at = summaries + total
    kept: list[bytes] = []
    for begin, end, keep in (
        (rows, starts, False),
        (starts, ids, True),
        (ids, offsets, False),
        (offsets, summaries, True),
        (links_at, links_at + LINK * links, False),
    ):
        pieces = []
        while begin < end:
            piece = read(begin, min(end - begin, _STRUCTURE_CHUNK))
            digest.update(piece)
            if keep:
                pieces.append(bytes(piece))
            begin += len(piece)
        if keep:
            kept.append(b"".join(pieces))
    return Structure(digest.digest(), *kept)


_STRUCTURE_CHUNK = 8 << 20


def structure_written(head: bytes, descriptor: int) -> bytes:
    """The digest of the structure (see `structure_of`) of an index being written to the open file `descriptor`,
    whose header is `head` (OSError if the file is shorter than the header says)."""

    def read(at: int, size: int) -> bytes:
        data = os.pread(descriptor, size, at)
        if len(data) != size:
            raise OSError("the index being written is shorter than its header says")
        return data

    count, total, links = _HEAD.unpack(head)[7:10]
    return structure_of(read, count, total, links).digest


def sealed_head(encoded: bytes, keyed: Keyed) -> bytes:
    """The header of the whole index `encoded` (which names its data file), sealed by `keyed` (if it has a key)."""
    head = encoded[:HEADER_SIZE]
    _, _, *stored, count, total, links, _ = _HEAD.unpack(head)
    if not keyed.known:
        return head
    view = memoryview(encoded)
    structure = structure_of(lambda at, size: view[at : at + size], count, total, links)
    return signed(head, tuple(stored), keyed, structure.digest)


def row(key: str, commitment_id: str) -> bytes:
    """One row of the index: a document key and an id, NUL-padded."""
    return _padded(key, KEY_WIDTH) + _padded(commitment_id, ID_WIDTH)


class Index(NamedTuple):
    """For one version of the data file, held in memory: its commitments' document keys (sorted, as in the file),
    ids, byte spans and summaries. What a full read builds and a full write lays out; see `IndexFile` for the
    one on disk."""

    signature: Signature
    keys: list[str]  # each commitment's document id, as the file writes it: sorted, since the file is
    ids: list[str]  # each commitment's id, in the same (file) order
    spans: array[int]  # start and end of each commitment's bytes, two numbers per id
    summaries: list[bytes]  # each a packed Summary
    links: list[bytes] | None = None  # every link (see `links_of`); None: those of the summaries
    digests: bytes | None = None  # each commitment's digest (see `Keyed`), in file order; None: not known
    key_check: bytes = NO_DIGEST  # the check of the key the digests were made with (see `Keyed.check`)
    checked: bool = True  # whether every summary was made by this process, from a record it checked (not `Reuse`d)

    def position(self, key: str) -> int:
        """Where the commitment with this document key stands in the file; KeyError if none does."""
        number = bisect.bisect_left(self.keys, key)
        if number == len(self.keys) or self.keys[number] != key:
            raise KeyError(key)
        return number

    def span(self, position: int) -> tuple[int, int]:
        return self.spans[2 * position], self.spans[2 * position + 1]

    def summary(self, position: int) -> Summary:
        """The Summary at `position`, checked (IndexDoubt if it does not hold up)."""
        return unpack_summary(self.summaries[position], self.ids[position])

    def starts(self) -> array[int]:
        """Each commitment's start, and where one more would start (two bytes after the last one's end)."""
        starts = array("q", self.spans[0::2])
        starts.append(self.spans[-1] + 2 if self.spans else 0)
        return starts

    def encoded(self, file_signature: Signature) -> list[Piece]:
        """This index, as the index file of the data file with `file_signature`, in pieces (see `encode`)."""
        return encode(
            file_signature, self.keys, self.ids, self.starts(), self.summaries, self.links, self.digests, self.key_check
        )

    def to_bytes(self) -> bytes:
        return _joined(self.encoded(self.signature))  # type: ignore[arg-type]


def find_link(links: Sequence[bytes], link: bytes) -> int:
    """Where this very link stands among sorted `links` (read from the index one at a time, or all held), by
    bisection; IndexDoubt if it is not there (the summaries say it is)."""
    number = bisect.bisect_left(links, link)
    if number == len(links) or links[number] != link:
        raise IndexDoubt("the index's links do not match its summaries")
    return number


class _Section(Sequence[Any]):
    """A fixed-width section of an index file (keys, sorted ids, links) as a sequence read one item at a time, for
    bisection."""

    def __init__(self, length: int, item: Callable[[int], Any]) -> None:
        self._length = length
        self._item = item

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, number: Any) -> Any:
        return self._item(number)


def _row_texts(raw: bytes, column: str) -> list[str]:
    """The text in one column of each row (`column`: `_KEYS` or `_IDS`), its NUL padding left off; IndexDoubt if one
    is not ASCII."""
    try:
        return [field.rstrip(b"\x00").decode("ascii") for (field,) in struct.iter_unpack(column, raw)]
    except UnicodeDecodeError:
        raise IndexDoubt("a row of the index is not text") from None


_KEYS, _IDS = f"{KEY_WIDTH}s{ID_WIDTH}x", f"{KEY_WIDTH}x{ID_WIDTH}s"
_ID_SLOTS = struct.Struct(f"{ID_WIDTH}s").iter_unpack


def _unique_ids(raw: bytes) -> list[str]:
    """The id of each row; IndexDoubt unless each is there once."""
    ids = _row_texts(raw, _IDS)
    if len(set(ids)) != len(ids):
        raise IndexDoubt("an id is in the index twice")
    return ids


class IndexFile:
    """The index on disk, for one version of the data file, read a piece at a time from the open `descriptor`.
    Every method that reads raises IndexDoubt where what it reads does not hold up."""

    def __init__(
        self,
        descriptor: int,
        size: int,
        file_signature: Signature,
        count: int,
        total: int,
        links: int,
        buffer: bytes = b"",
        head: bytes = b"",
    ) -> None:
        self.descriptor = descriptor  # -1 for an index held in `buffer`
        self.buffer = buffer
        self.head = head  # the header as read (with the seal)
        self.size = size
        self.signature = file_signature
        self.count = count
        self.total = total  # the summaries' length
        self.links = links  # how many links
        self.sections = _sections(count)
        self.links_at = self.sections[4] + total
        self.digests_at = self.links_at + LINK * links
        self._starts: array[int] | None = None
        self._offsets: array[int] | None = None
        self._rows: tuple[list[str], list[str]] | None = None
        # Built by this process from records it has read and checked (`in_memory`): its summaries are its own.
        self.built_here = False
        self._sealed = False  # its seal proved: the structure is as this user's tracker wrote it
        self._sealed_as: Signature | None = None  # the index file's own signature when it was

    @property
    def unpack(self) -> Callable[[bytes, str], Summary]:
        """What reads one of this index's packed summaries: `unpack_summary`, which checks it, unless the index was
        built here."""
        return _unpack_own if self.built_here else unpack_summary

    def read(self, at: int, size: int) -> bytes:
        """`size` bytes at `at`, all of them, or IndexDoubt."""
        if at < 0 or at + size > self.size:
            raise IndexDoubt("a read past the end of the index")
        if self.descriptor < 0:
            return self.buffer[at : at + size]
        try:
            data = os.pread(self.descriptor, size, at)
        except OSError:
            raise IndexDoubt("the index cannot be read") from None
        if len(data) != size:
            raise IndexDoubt("the index is shorter than it says")
        return data

    def close(self) -> None:
        if self.descriptor >= 0:
            os.close(self.descriptor)
            self.descriptor = -2

    @classmethod
    def in_memory(cls, index: Index, data: bytes | None = None) -> IndexFile:
        """An index built by a full read, held in memory; `data` is its bytes, if already encoded."""
        data = index.to_bytes() if data is None else data
        count, total = len(index.keys), sum(map(len, index.summaries))
        links = (len(data) - _sections(count)[4] - total - DIGEST * (count + 1)) // LINK
        built = cls(-1, len(data), index.signature, count, total, links, data)
        built.built_here = index.checked
        return built

    # --- one commitment ------------------------------------------------------------------------------------------

    def row(self, position: int) -> tuple[str, str]:
        """The document key and the id at `position` in file order."""
        if not 0 <= position < self.count:
            raise IndexError(position)
        raw = self.read(self.sections[0] + ROW * position, ROW)
        try:
            return raw[:KEY_WIDTH].rstrip(b"\x00").decode("ascii"), raw[KEY_WIDTH:].rstrip(b"\x00").decode("ascii")
        except UnicodeDecodeError:
            raise IndexDoubt("a row of the index is not text") from None

    def key(self, position: int) -> str:
        return self.row(position)[0]

    def position(self, key: str) -> int:
        """Where the commitment with this document key stands in the file; KeyError if none does."""
        number = bisect.bisect_left(_Section(self.count, self.key), key)
        if number == self.count or self.key(number) != key:
            raise KeyError(key)
        return number

    def insertion_point(self, key: str) -> int:
        """Where a commitment with this (new) document key goes in the file."""
        return bisect.bisect_left(_Section(self.count, self.key), key)

    def span(self, position: int) -> tuple[int, int]:
        start, following = struct.unpack("<2q", self.read(self.sections[1] + 8 * position, 16))
        if not start < following - 2:
            raise IndexDoubt("a span of the index is empty or reversed")
        return start, following - 2

    def packed_summary(self, position: int) -> bytes:
        begin, end = struct.unpack("<2q", self.read(self.sections[3] + 8 * position, 16))
        if not 0 <= begin <= end <= self.total:
            raise IndexDoubt("a summary's place in the index is out of bounds")
        return self.read(self.sections[4] + begin, end - begin)

    def summary(self, position: int) -> Summary:
        """The Summary at `position`, checked against its row (IndexDoubt if it does not hold up)."""
        return self.unpack(self.packed_summary(position), self.row(position)[1])

    def ids_with_prefix(self, prefix: str) -> list[str]:
        """The ids that start with `prefix`, sorted (by bisection on the sorted ids)."""
        ids = _Section(self.count, self.sorted_id)
        found = []
        for number in range(bisect.bisect_left(ids, prefix), self.count):
            candidate = ids[number]
            if not candidate.startswith(prefix):
                break
            found.append(candidate)
        return found

    def has_id(self, commitment_id: str) -> bool:
        """Whether the sorted ids hold this one (by bisection)."""
        number = bisect.bisect_left(_Section(self.count, self.sorted_id), commitment_id)
        return number < self.count and self.sorted_id(number) == commitment_id

    def sorted_id(self, number: int) -> str:
        raw = self.read(self.sections[2] + ID_WIDTH * number, ID_WIDTH)
        return raw.rstrip(b"\x00").decode("ascii", "replace")

    def link(self, number: int) -> bytes:
        return self.read(self.links_at + LINK * number, LINK)

    def linked(self, prefix: bytes) -> list[int]:
        """The document ids of the commitments whose links begin with `prefix` (see `text_link`,
        `successor_link`), by bisection."""
        if len(prefix) != LINK - 8:
            return []
        found = []
        for number in range(bisect.bisect_left(_Section(self.links, self.link), prefix), self.links):
            link = self.link(number)
            if not link.startswith(prefix):
                break
            found.append(int.from_bytes(link[9:], "big"))
        return found

    def every_link(self) -> list[bytes]:
        """Every link, in the index's order, read at once (for many bisections in memory)."""
        raw = self.read(self.links_at, LINK * self.links)
        return [raw[at : at + LINK] for at in range(0, len(raw), LINK)]

    def link_place(self, link: bytes) -> int:
        """Where a link goes among the links (by bisection)."""
        return bisect.bisect_left(_Section(self.links, self.link), link)

    def find_link(self, link: bytes) -> int:
        """Where this very link stands among the links; IndexDoubt if it is not there (the summaries say it is)."""
        return find_link(_Section(self.links, self.link), link)

    def link_range(self, first: int, last: int) -> tuple[int, int]:
        """The byte range in this file of links first..last."""
        return self.links_at + LINK * first, self.links_at + LINK * last

    # --- every commitment ----------------------------------------------------------------------------------------

    def rows(self) -> tuple[list[str], list[str]]:
        """Every document key and id, in file order; IndexDoubt unless the keys are in order and each id there once.
        Read and checked once (a merge asks for them several times): not to be changed by the caller."""
        if self._rows is not None:
            return self._rows
        raw = self.read(self.sections[0], ROW * self.count)
        keys, ids = _row_texts(raw, _KEYS), _unique_ids(raw)
        if not all(map(str.__lt__, keys, keys[1:])):
            raise IndexDoubt("the index's keys are not in order")
        self._rows = keys, ids
        return self._rows

    def ids(self) -> list[str]:
        """Every id, in file order; IndexDoubt unless each is there once (the keys are not read: see `rows`)."""
        if self._rows is not None:
            return self._rows[1]
        return _unique_ids(self.read(self.sections[0], ROW * self.count))

    def sorted_ids(self) -> list[str]:
        """Every id, sorted; IndexDoubt unless they are."""
        raw = self.read(self.sections[2], ID_WIDTH * self.count)
        # Each in its own slot: an id as long as the slot has no NUL after it to end it.
        ids = [field.rstrip(b"\x00").decode("ascii", "replace") for (field,) in _ID_SLOTS(raw)]
        if not all(ids) or not all(map(str.__lt__, ids, ids[1:])):
            raise IndexDoubt("the index's ids are not in order")
        return ids

    def starts(self, header: int, footer: int, raw: bytes | None = None) -> array[int]:
        """Every start (N + 1), checked: increasing, from the header to the footer, as commitments tile the file.
        Read (or taken from `raw`, as read for the seal) and checked once (a write checks them, then copies by
        them): not to be changed by the caller."""
        if self._starts is not None:
            return self._starts
        starts = array("q")
        starts.frombytes(self.read(self.sections[1], 8 * (self.count + 1)) if raw is None else raw)
        if self.count and not (starts[0] == header and starts[-1] == self.signature[0] - footer + 2):
            raise IndexDoubt("the index's spans do not cover the file")
        if not self._sealed and not all(map(int.__lt__, map((2).__add__, starts), starts[1:])):
            raise IndexDoubt("the index's spans overlap or are empty")  # each commitment ends after it starts
        self._starts = starts
        return starts

    def offsets(self, raw: bytes | None = None) -> array[int]:
        """Every summary offset (N + 1), checked: from 0 to the summaries' length, never decreasing. Read (or taken
        from `raw`) and checked once: not to be changed by the caller."""
        if self._offsets is not None:
            return self._offsets
        offsets = array("q")
        offsets.frombytes(self.read(self.sections[3], 8 * (self.count + 1)) if raw is None else raw)
        if offsets[0] != 0 or offsets[-1] != self.total:
            raise IndexDoubt("the index's summaries are out of place")
        if not self._sealed and not all(map(int.__le__, offsets, offsets[1:])):
            raise IndexDoubt("the index's summaries are out of place")
        self._offsets = offsets
        return offsets

    def packed_summaries(self) -> list[bytes]:
        """Every packed summary, in file order."""
        blob, offsets = self.summaries_at_once()
        return [blob[begin:end] for begin, end in itertools.pairwise(offsets)]

    def summaries_at_once(self) -> tuple[bytes, array[int]]:
        """Every packed summary, in file order, back to back, and where each begins and the last ends (N + 1)."""
        offsets = self.offsets()
        return self.read(self.sections[4], self.total), offsets

    def summaries(self) -> list[Summary]:
        """Every Summary, in file order, each checked against its row."""
        return list(map(self.unpack, self.packed_summaries(), self.ids()))

    def load(self, header: int, footer: int) -> Index:
        """The whole index in memory, every part checked."""
        keys, ids = self.rows()
        starts = self.starts(header, footer)
        spans = array("q")
        for number in range(self.count):
            spans.extend((starts[number], starts[number + 1] - 2))
        digests, key_check = self.digests(), self.key_check()
        return Index(self.signature, keys, ids, spans, self.packed_summaries(), digests=digests, key_check=key_check)

    def check_for_write(self, header: int, footer: int, keyed: Keyed) -> None:
        """Before a write copies records by the index's starts and places new ones by its keys: the index's seal
        (`Keyed.seal`), made over its structure read once, in C, must prove them as this user's tracker wrote them for
        this very version of the file, or IndexDoubt (an index made by hand, forged to match the file, made by
        another user's tracker, or by none with a key). The starts and offsets are kept as they were read for it;
        `unchanged` then says whether the file was rewritten since."""
        stored = self.head[-DIGEST:]
        if not keyed.known or stored == NO_DIGEST:
            raise IndexDoubt("the index is not sealed with this user's key")
        try:
            before = os.fstat(self.descriptor) if self.descriptor >= 0 else None
        except OSError:
            raise IndexDoubt("the index cannot be read") from None
        structure = structure_of(self.read, self.count, self.total, self.links)
        if keyed.seal(self.head[:-DIGEST] + NO_DIGEST, structure.digest) != stored:
            raise IndexDoubt("the index is not sealed with this user's key")
        self._sealed_as = None if before is None else signature(before)
        self._sealed = True
        self._starts = self._offsets = None
        self.starts(header, footer, structure.starts)
        self.offsets(structure.offsets)

    def unchanged(self) -> bool:
        """Whether the index file is still as it was when its seal was proved (`check_for_write`): a program that
        rewrote it in place meanwhile changed its change time."""
        if self._sealed_as is None:
            return True  # held in memory, or no seal proved: nothing to compare
        try:
            return signature(os.fstat(self.descriptor)) == self._sealed_as
        except OSError:
            return False

    def section_range(self, section: int, first: int, last: int) -> tuple[int, int]:
        """The byte range in this file of items first..last of the fixed-width `section` (0 rows, 2 sorted ids)."""
        width = ROW if section == 0 else ID_WIDTH
        return self.sections[section] + width * first, self.sections[section] + width * last

    def summary_range(self, first: int, last: int, offsets: array[int]) -> tuple[int, int]:
        """The byte range in this file of the packed summaries first..last."""
        return self.sections[4] + offsets[first], self.sections[4] + offsets[last]

    def key_check(self) -> bytes:
        """The check of the key this index's digests were made with (see `Keyed.check`)."""
        return self.read(self.digests_at, DIGEST)

    def digests(self) -> bytes:
        """Every commitment's digest (see `Keyed`), in file order, back to back (all zero where not known)."""
        return self.read(self.digests_at + DIGEST, DIGEST * self.count)

    def digest_range(self, first: int, last: int) -> tuple[int, int]:
        """The byte range in this file of the digests first..last."""
        return self.digests_at + DIGEST * (first + 1), self.digests_at + DIGEST * (last + 1)


class Reuse:
    """What an index that no longer describes the data file (it has changed since: an edit by hand, a git merge, a
    copy from elsewhere) still knows: the entry (id, summary and links) of each commitment whose bytes are the same
    as when it was indexed, found by its document key and proved by its digest, which this user's key made of those
    bytes and that entry (see `Keyed`), so that a full read parses and checks only the commitments that differ.
    The rows' order and the summaries' places are checked once, here; each summary taken, where it is used, as any
    index's are (an index built with them is not taken as this process's own: see `Index.checked`)."""

    def __init__(self, index: IndexFile | None, keyed: Keyed) -> None:
        """What `index` knows (None: an index with no digest, which knows nothing to take)."""
        self._keyed = keyed
        self._bound = future_bound()  # the one rule of a record that its bytes do not settle: no date in the future
        self._ids: list[str] = []
        self._places: dict[str, int] = {}
        self._summaries, self._offsets, self._digests = b"", array("q"), b""
        self._links: dict[bytes, list[bytes]] = {}  # each commitment's links, by its document id (8 bytes)
        if index is None:
            return
        keys, self._ids = index.rows()  # IndexDoubt: nothing is reused
        self._places = dict(zip(keys, range(len(keys)), strict=True))
        self._summaries, self._offsets = index.summaries_at_once()
        self._digests = index.digests()
        for link in index.every_link():
            self._links.setdefault(link[LINK - 8 :], []).append(link)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to take."""
        return not self._places

    def take(self, key: str, record: bytes | memoryview) -> int | None:
        """Where the earlier index held the commitment written under document `key` in these very bytes, with the
        entry it holds for it now (for `row` and `packed`), if it did; None if not (its digest says otherwise)."""
        place = self._places.get(key)
        if place is None:
            return None
        held, packed = self.held(place), self.packed(place)
        if held == NO_DIGEST or self._keyed.digest(record, packed, self._owned(key)) != held:
            return None
        if doc_key(self._ids[place]) != key:  # its row, which no digest covers, names another commitment
            return None
        # Checked when a clock put today later than it is now (its latest event would now be in the future)?
        return place if marshal.loads(packed)[_LAST] <= self._bound else None

    def _owned(self, key: str) -> list[bytes]:
        return self._links.get(int(key).to_bytes(8, "big"), [])

    def held(self, place: int) -> bytes:
        """The digest at `place` (see `take`): the one that its commitment, taken, keeps."""
        return self._digests[DIGEST * place : DIGEST * (place + 1)]

    def row(self, place: int) -> str:
        """The id at `place` (see `take`)."""
        return self._ids[place]

    def packed(self, place: int) -> bytes:
        """The packed summary at `place` (see `take`)."""
        return self._summaries[self._offsets[place] : self._offsets[place + 1]]

    def links(self, owners: bytes) -> list[bytes]:
        """The links of the commitments taken; `owners`: their document ids, 8 bytes each (big-endian), back to back."""
        return [link for at in range(0, len(owners), 8) for link in self._links.get(owners[at : at + 8], [])]


_SLACK = 4096


def stale_index(path: Path, file_size: int, keyed: Keyed) -> Reuse | None:
    """What the index at `path` can still tell a full read of the changed data file, of `file_size` bytes (see
    `Reuse`): nothing, but that the records are to be digested this time, if its digests were not made (a first
    read made it); None if there is no index there that the tracker wrote, or it does not hold up, or its digests
    were made with another key than this user's (`keyed`: such an index is not read further than its header and the
    key's check: a full read with it at hand is as fast as one without), or it is larger than twice the file and
    4 kB (an index is smaller than its file, or a few records' worth larger, for a file whose records are tiny),
    since it is read whole."""
    if not keyed.known:
        return None
    index = open_index(path, None)
    if index is None:
        return None
    try:
        if index.count == 0 or index.size > 2 * file_size + _SLACK:
            return None
        check = index.key_check()
        if check == NO_DIGEST:
            return Reuse(None, keyed)
        return Reuse(index, keyed) if check == keyed.check else None
    except IndexDoubt:
        return None
    finally:
        index.close()


def open_index(path: Path, file_signature: Signature | None) -> IndexFile | None:
    """The index at `path`, if its header describes the file with `file_signature` (None: any file, for the
    digests and summaries of an index that no longer describes the data file) and its size is the one the header
    implies; None otherwise (it is only ever a cache). Reads only the header: every other part is checked where it
    is used. Never follows a link, never reads a special file nor one over `INDEX_LIMIT` bytes."""
    try:
        descriptor = open_regular(path, follow_links=False, what="index")
    except (OSError, DatabaseError):
        return None
    try:
        size = os.fstat(descriptor).st_size
        if size > INDEX_LIMIT or size < _HEAD.size:
            raise IndexDoubt("too large or too small")
        head = os.pread(descriptor, _HEAD.size, 0)
        magic, version, *stored, count, total, links, _ = _HEAD.unpack(head)
        if (
            magic != MAGIC
            or version != INDEX_VERSION
            or (file_signature is not None and tuple(stored) != file_signature)
            or min(count, total, links) < 0
        ):
            raise IndexDoubt("another file's index")
        if _sections(count)[4] + total + LINK * links + DIGEST * (count + 1) != size:
            raise IndexDoubt("not the size its header implies")
    except (OSError, IndexDoubt, struct.error):
        os.close(descriptor)
        return None
    return IndexFile(descriptor, size, file_signature or tuple(stored), count, total, links, head=head)


def read_index(path: Path, file_signature: Signature, header: int, footer: int) -> Index | None:
    """The index at `path`, whole and checked (see `open_index`), or None."""
    index = open_index(path, file_signature)
    if index is None:
        return None
    try:
        return index.load(header, footer)
    except IndexDoubt:
        return None
    finally:
        index.close()
