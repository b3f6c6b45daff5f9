"""The index beside the data file: where each commitment's text lies in the file, and its Summary.

With it, `show` and `update` read one commitment's bytes instead of parsing the whole file, `update` rewrites the
file by copying every other commitment's bytes unchanged, and `list` and `report` read summaries instead of full
records. It is a cache, never data: it names the file's size, modification time, inode, device and inode change
time, and where any of them differ (an edit by hand, a git merge, a crash between writing the file and the index)
it is ignored, and the next read that validates the whole file writes it anew. The change time cannot be set by a
user (`touch -d` sets the modification time and changes the change time), so an edit in place that keeps size and
modification time is still seen. An index is never trusted beyond that: its spans must tile the file exactly, its
ids must be sorted, and each summary is checked when it is used; on any doubt the file is read in full.
"""

from __future__ import annotations

import bisect
import marshal
import os
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.errors import DatabaseError
from tracker.files import read_regular
from tracker.model import KIND_VALUES, PILLAR_VALUES, STATUS_VALUES, Summary

INDEX_VERSION = 7
INDEX_LIMIT = 4 << 30  # an index larger than this is not one the tracker wrote
Signature = tuple[int, int, int, int, int]


def signature(status: os.stat_result) -> Signature:
    """What identifies one version of a file: size, modification time, inode, device and inode change time (ns)."""
    return (status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev, status.st_ctime_ns)


class IndexDoubt(ValueError):
    """Something in the index does not hold up: it must not be used."""


SUMMARY_FIELDS = tuple(Summary.__annotations__)


def pack_summary(summary: Summary) -> bytes:
    """A Summary as the index keeps it: its values, in the order of SUMMARY_FIELDS."""
    return marshal.dumps(tuple(summary[field] for field in SUMMARY_FIELDS))  # type: ignore[literal-required]


def unpack_summary(packed: bytes, expected_id: str) -> Summary:
    """A packed Summary, checked for shape and for the id it must have; IndexDoubt otherwise."""
    try:
        values = marshal.loads(packed)
    except (EOFError, ValueError, TypeError):
        raise IndexDoubt("a summary cannot be read") from None
    if not isinstance(values, tuple) or len(values) != len(SUMMARY_FIELDS):
        raise IndexDoubt(f"the summary of {expected_id!r} is not one the tracker wrote")
    summary: dict[str, Any] = dict(zip(SUMMARY_FIELDS, values, strict=True))
    actors, assessed = summary["actors"], summary["assessed"]
    if not (
        summary["id"] == expected_id
        and isinstance(summary["title"], str)
        and isinstance(actors, list)
        and all(isinstance(actor, str) for actor in actors)
        and summary["pillar"] in PILLAR_VALUES
        and (summary["due"] is None or _is_date(summary["due"]))
        and summary["status"] in STATUS_VALUES
        and _is_date(summary["made"])
        and _is_date(summary["last"])
        and isinstance(summary["history"], str)
        and (assessed is None or (isinstance(assessed, list) and len(assessed) == summary["history"].count(";") + 1))
        and (summary["kind"] is None or summary["kind"] in KIND_VALUES)
        and isinstance(summary["weight"], int | float)
        and (summary["superseded_by"] is None or isinstance(summary["superseded_by"], str))
        and isinstance(summary["quote_key"], str)
    ):
        raise IndexDoubt(f"the summary of {expected_id!r} is not one the tracker wrote")
    return summary  # type: ignore[return-value]


@dataclass
class Index:
    """For one version of the data file: its commitments' ids (sorted, as in the file), byte spans and summaries."""

    signature: Signature
    keys: list[str]  # each commitment's document id, as the file writes it: sorted, since the file is
    ids: list[str]  # each commitment's id, in the same (file) order
    spans: array[int]  # start and end of each commitment's bytes, two numbers per id
    summaries: list[bytes]  # each a packed Summary

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

    def to_bytes(self) -> bytes:
        return marshal.dumps((INDEX_VERSION, self.signature, self.keys, self.ids, self.spans.tobytes(), self.summaries))


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-"


def read_index(path: Path, file_signature: Signature, header: int, footer: int) -> Index | None:
    """The index at `path`, if it describes the file with `file_signature` and holds up: keys sorted and unique,
    spans that tile the file exactly (`header` bytes before the first, the two bytes of `,\n` between two, `footer`
    bytes after the last). None otherwise: it is only ever a cache. Never follows a link, never reads a special
    file, never reads more than `INDEX_LIMIT` bytes."""
    try:
        data = read_regular(path, INDEX_LIMIT, follow_links=False, what="index")
    except (OSError, DatabaseError):
        return None
    try:
        version, stored_signature, keys, ids, spans, summaries = marshal.loads(data)
        if version != INDEX_VERSION or tuple(stored_signature) != file_signature:
            return None
        offsets = array("q")
        offsets.frombytes(spans)
        if not isinstance(keys, list) or not isinstance(ids, list) or not isinstance(summaries, list):
            return None
        if len(offsets) != 2 * len(ids) or len(summaries) != len(ids) or len(keys) != len(ids):
            return None
        # Each check runs in C (map, sorted, set, array comparison): a Python loop would cost more than the read.
        if keys and (set(map(type, keys)) != {str} or keys != sorted(keys) or len(set(keys)) != len(keys)):
            return None
        if ids and (set(map(type, ids)) != {str} or len(set(ids)) != len(ids)):
            return None
        if not _spans_tile(offsets, file_signature[0], header, footer):
            return None
        if summaries and set(map(type, summaries)) != {bytes}:
            return None
        return Index(file_signature, keys, ids, offsets, summaries)
    except (EOFError, ValueError, TypeError):
        return None


def _spans_tile(offsets: array[int], size: int, header: int, footer: int) -> bool:
    """Whether the spans cover the file exactly as the canonical layout lays commitments out: each commitment
    non-empty, the next one starting two bytes (`,\n`) after it ends."""
    if not offsets:
        return True
    if offsets[0] != header or offsets[-1] != size - footer:
        return False
    starts, ends = offsets[0::2], offsets[1::2]
    if not all(map(int.__lt__, starts, ends)):
        return False
    return starts[1:] == array("q", map((2).__add__, ends[:-1]))
