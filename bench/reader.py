"""A minimal reader of tracker's index: the yardstick for `tracker list` and `tracker report --format json`.

Usage: python bench/reader.py DATA_FILE {list,report}

It opens `DATA_FILE.index`, reads the header, the rows' ids, the summary offsets and the packed summaries (four
reads), and unpacks every summary (marshal) into a dict keyed by `tracker.index.SUMMARY_FIELDS`. `list` prints one
line per commitment (id, status and title, tab-separated) in the order `tracker list` uses (due date, none last,
then id); `report` prints, with orjson, a JSON document of the counts by status and by pillar and the summaries.

It is a yardstick, not a reader to trust: it does only the work that a tracker command reading the same index
could not avoid. It checks the magic, the version and the data file's signature in the header (one `stat`), and
nothing else: not the rows' order, not the spans, not the summaries' shape nor their ids. It imports no part of
the CLI, nor Typer nor Rich.
"""

from __future__ import annotations

import marshal
import os
import sys
from array import array
from collections import Counter
from itertools import pairwise

import orjson

from tracker.index import _HEAD, INDEX_VERSION, KEY_WIDTH, MAGIC, ROW, SUMMARY_FIELDS, _sections, signature


def summaries(data_file: str) -> list[dict[str, object]]:
    """Every summary in the index of `data_file`, in file order, unchecked."""
    descriptor = os.open(data_file + ".index", os.O_RDONLY)
    try:
        head = _HEAD.unpack(os.pread(descriptor, _HEAD.size, 0))  # magic, version, signature (5), count, total, ...
        magic, version, stored, count, total = head[0], head[1], head[2:7], head[7], head[8]
        if magic != MAGIC or version != INDEX_VERSION or tuple(stored) != signature(os.stat(data_file)):
            raise SystemExit(f"{data_file}.index is not the index of {data_file}")
        rows, _, _, offsets_at, summaries_at = _sections(count)
        raw = os.pread(descriptor, ROW * count, rows)
        ids = [raw[at + KEY_WIDTH : at + ROW].rstrip(b"\x00").decode() for at in range(0, ROW * count, ROW)]
        offsets = array("q")
        offsets.frombytes(os.pread(descriptor, 8 * (count + 1), offsets_at))
        blob = memoryview(os.pread(descriptor, total, summaries_at))
    finally:
        os.close(descriptor)
    if len(ids) != count:  # the ids are read, as a tracker command reads them, and not otherwise checked
        raise SystemExit(f"{data_file}.index is shorter than its header says")
    return [dict(zip(SUMMARY_FIELDS, marshal.loads(blob[a:b]), strict=True)) for a, b in pairwise(offsets)]


def main() -> None:
    data_file, mode = sys.argv[1:3]
    found = summaries(data_file)
    if mode == "list":
        found.sort(key=lambda s: (s["due"] is None, s["due"] or "", s["id"]))
        sys.stdout.write("".join(f"{s['id']}\t{s['status']}\t{s['title']}\n" for s in found))
    elif mode == "report":
        document = {
            "by_status": Counter(s["status"] for s in found),
            "by_pillar": Counter(s["pillar"] for s in found),
            "commitments": found,
        }
        sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        raise SystemExit(f"unknown mode {mode!r}: list or report")


if __name__ == "__main__":
    main()
