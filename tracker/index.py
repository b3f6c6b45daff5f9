"""The index beside the data file: where each commitment's text lies in the file, and its Summary.

With it, `show` and `update` read one commitment's bytes instead of parsing the whole file, `update` rewrites the
file by copying every other commitment's bytes unchanged, and `list` and `report` read summaries instead of full
records. It is a cache, never data: it names the file's size, modification time and inode, and where any of them
differ (an edit by hand, a git merge, a crash between writing the file and the index) it is ignored, and the next
read that validates the whole file writes it anew.
"""

from __future__ import annotations

import marshal
import os
from array import array
from dataclasses import dataclass
from pathlib import Path

from tracker.model import Summary

INDEX_VERSION = 3
Signature = tuple[int, int, int]


def signature(status: os.stat_result) -> Signature:
    """What identifies one version of a file: size, modification time (ns) and inode."""
    return (status.st_size, status.st_mtime_ns, status.st_ino)


def pack_summary(summary: Summary) -> bytes:
    return marshal.dumps(
        (
            summary["id"],
            summary["title"],
            summary["actors"],
            summary["pillar"],
            summary["due"],
            summary["status"],
            summary["made"],
            summary["last"],
            summary["history"],
        )
    )


def unpack_summary(packed: bytes) -> Summary:
    cid, title, actors, pillar, due, status, made, last, history = marshal.loads(packed)
    return {
        "id": cid,
        "title": title,
        "actors": actors,
        "pillar": pillar,
        "due": due,
        "status": status,
        "made": made,
        "last": last,
        "history": history,
    }


@dataclass
class Index:
    """For one version of the data file: its commitments' ids (sorted, as in the file), byte spans and summaries."""

    signature: Signature
    ids: list[str]
    spans: array[int]  # start and end of each commitment's bytes, two numbers per id
    summaries: list[bytes]  # each a packed Summary

    def span(self, position: int) -> tuple[int, int]:
        return self.spans[2 * position], self.spans[2 * position + 1]

    def summary(self, position: int) -> Summary:
        return unpack_summary(self.summaries[position])

    def to_bytes(self) -> bytes:
        return marshal.dumps((INDEX_VERSION, self.signature, self.ids, self.spans.tobytes(), self.summaries))


def read_index(path: Path) -> Index | None:
    """The index at `path`, or None if there is none or it cannot be used (it is only ever a cache)."""
    try:
        version, file_signature, ids, spans, summaries = marshal.loads(path.read_bytes())
        if version != INDEX_VERSION:
            return None
        offsets = array("q")
        offsets.frombytes(spans)
        if len(offsets) != 2 * len(ids) or len(summaries) != len(ids):
            return None
        return Index(tuple(file_signature), ids, offsets, summaries)
    except (OSError, EOFError, ValueError, TypeError):
        return None
