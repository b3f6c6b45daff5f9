"""The data file's canonical bytes: a TinyDB database that a person can read and git can merge.

The canonical file is exactly `json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)` and a newline,
where the document is `{"_meta": {"1": {"schema_version": 2}}, "commitments": {"<doc id>": commitment, ...}}`.
Each commitment is one block of lines; the blocks stand in the order of their document ids (as strings, since
JSON keys sort so), and a commitment's document id is derived from its own id (`doc_id`), never assigned in
sequence. So two copies of the file that each gained a commitment merge in git without both taking the same
number, and the same commitment always stands at the same place.

The file is built from one piece per commitment, so that a write can copy the pieces it does not change
(`layout`), and read back one piece at a time (`record_spans`, `index_records`).
"""

from __future__ import annotations

import functools
import itertools
import re
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, cast

from tracker import fastjson, strictjson
from tracker.errors import DatabaseError
from tracker.files import Piece
from tracker.index import DIGEST, NO_DIGEST, Index, Keyed, Reuse, Signature, entry_of
from tracker.index import doc_id as doc_id
from tracker.index import doc_key as doc_key
from tracker.migrations import CURRENT, META_DOCUMENT, upgrade
from tracker.migrations import META as META
from tracker.migrations import TABLE as TABLE
from tracker.model import COMMITMENT_KEYS, Commitment, commitment_problems, future_bound
from tracker.parallel import in_parts, part_bounds, parts_for
from tracker.validate import is_valid

SCHEMA_VERSION = CURRENT

HEADER = (
    f'{{\n  "{META}": {{\n    "{META_DOCUMENT}": {{\n      "schema_version": {SCHEMA_VERSION}\n    }}\n  }},\n'
    f'  "{TABLE}": {{\n'
).encode()
SEPARATOR = b",\n"
FOOTER = b"\n  }\n}\n"
EMPTY = HEADER[: -len(b"{\n")] + b"{}\n}\n"
_BOUNDARY = re.compile(re.escape(b'\n    },\n    "'))
_KEY_PREFIX = re.compile(rb'    "(\d{1,19})": ')


def canonical_json(value: Any, commitment: bool = False) -> bytes:
    """`json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)` in UTF-8, byte for byte, made by orjson
    (ten times faster) wherever the two agree: everywhere but in floats, which orjson writes in its own way
    (`1e-7` for `1e-07`); a value holding a float is written by the standard library. With `commitment`, `value`
    is a valid commitment, whose only floats can be its weight and its amount's value."""
    if _float_free_commitment(value) if commitment else _float_free(value):
        orjson = fastjson.orjson  # not at start-up: `list` and `report` read the index, not JSON

        try:
            return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        except TypeError:  # an integer past 64 bits, a lone surrogate, a key that is not a string
            pass
    import json  # not at start-up: only for what orjson does not write as the standard library does

    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _float_free_commitment(commitment: Any) -> bool:
    amount = commitment["amount"]
    return type(commitment["weight"]) is not float and (amount is None or type(amount["value"]) is not float)


def _float_free(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(map(_float_free, value.values()))
    if isinstance(value, list | tuple):
        return all(map(_float_free, value))
    return True


def record_bytes(commitment: Commitment) -> bytes:
    """One commitment as it stands in the canonical file: `"<doc id>": ` and its canonical JSON, four spaces in."""
    text = canonical_json(commitment, commitment=True)
    return b'    "' + doc_key(commitment["id"]).encode() + b'": ' + text.replace(b"\n", b"\n    ")


def body(raw: bytes) -> tuple[str, bytes] | None:
    """A record piece's document key and its JSON, or None if the piece does not begin as one does."""
    match = _KEY_PREFIX.match(raw)
    if match is None:
        return None
    return match[1].decode(), raw[match.end() :]


def in_file_order(commitments: Iterable[Commitment]) -> list[Commitment]:
    """The commitments in the order the canonical file holds them: by document key."""
    return sorted(commitments, key=lambda commitment: doc_key(commitment["id"]))


def dump_database(commitments: Iterable[Commitment]) -> str:
    """The canonical text of a database holding `commitments`."""
    pieces, _ = layout([record_bytes(commitment) for commitment in in_file_order(commitments)])
    return b"".join(piece for piece in pieces if not isinstance(piece, tuple)).decode("utf-8")


def layout(records: Sequence[Piece]) -> tuple[list[Piece], array[int]]:
    """The pieces of a canonical file holding these commitments (in file order), and each one's byte span in it.
    A record is its bytes, or its span in the current file; spans that were neighbours there are copied as one
    range, the separator between them included."""
    spans = array("q")
    if not records:
        return [EMPTY], spans
    pieces: list[Piece] = [HEADER]
    offset = len(HEADER)
    for number, record in enumerate(records):
        length = record[1] - record[0] if isinstance(record, tuple) else len(record)
        previous = pieces[-1]
        if number and isinstance(record, tuple) and isinstance(previous, tuple) and previous[1] + 2 == record[0]:
            pieces[-1] = (previous[0], record[1])  # the file's own ",\n" comes with the range
            offset += len(SEPARATOR)
        else:
            if number:
                pieces.append(SEPARATOR)
                offset += len(SEPARATOR)
            pieces.append(record)
        spans.extend((offset, offset + length))
        offset += length
    pieces.append(FOOTER)
    return pieces, spans


def record_spans(data: bytes) -> array[int] | None:
    """Each commitment's byte span in a file's `data`, if the file has the canonical layout; else None."""
    spans = array("q")
    if data == EMPTY:
        return spans
    if not data.startswith(HEADER) or not data.endswith(FOOTER):
        return None
    start = len(HEADER)
    for boundary in _BOUNDARY.finditer(data):
        spans.extend((start, boundary.start() + 6))  # up to and with "\n    }"
        start = boundary.end() - 5  # from '    "'
    spans.extend((start, len(data) - len(FOOTER)))
    return spans


def is_record_start(head: bytes) -> bool:
    """Whether bytes read at a span's start begin a record: `    "` and a digit."""
    return len(head) >= 6 and head[:5] == b'    "' and head[5:6].isdigit()


def written_key(head: bytes) -> str | None:
    """The document key that bytes read at a span's start (at least KEY_HEAD of them) write a record under; None if
    they do not begin a record."""
    matched = _KEY_PREFIX.match(head)
    return None if matched is None else matched[1].decode()


KEY_HEAD = 27  # `    "` (5), up to 19 digits and `": ` (3)


def index_records(
    data: bytes,
    file_signature: Signature,
    origin: str,
    canonical: bool = False,
    admit: Callable[[Callable[[], list[str] | None]], bool] | None = None,
    reuse: Reuse | None = None,
    keyed: Callable[[], Keyed] | None = None,
    sink: RecordSink | None = None,
) -> Index | None:
    """Validate a file in the canonical layout one commitment at a time, and index it; None if the file is not
    in that layout, or not in its order, or a document id is not the one its commitment's id gives (then only a
    whole-document read can say what it is), or, with `canonical`, a commitment is not written exactly as the
    tracker writes it (spacing, escapes, the order of keys). Never holds more than one commitment. `admit`, if
    given, is asked first, with what reads the document keys that the records are written under (nothing parsed;
    None if a record does not begin as one does), for it to read if it needs them: None unless it says yes.
    `keyed` gives, once the file is known to be in the layout, what makes each record's digest for the index (if
    not given, the records are not digested, and none is known); `reuse`: what an earlier index of the file knows,
    whose entry of a commitment written in the same bytes is taken instead of parsing and checking it again;
    `sink`: where each part also writes every commitment it parses (not with `reuse`)."""
    spans = record_spans(data)
    if spans is None:
        return None
    if admit is not None and not admit(functools.partial(record_keys, data, spans)):
        return None
    keys: list[str] = []
    ids: list[str] = []
    summaries: list[bytes] = []
    links: list[bytes] = []
    digests: list[bytes] = []
    owners: list[bytes] = []  # the document ids of the commitments `reuse` knew
    count = len(spans) // 2

    digester = None if keyed is None else keyed()
    if digester is None or not digester.known:
        digester, reuse = None, None  # nothing to make a digest with, nor to know a record by
    if reuse is not None and reuse.empty:
        reuse = None  # the records are digested, and none is known

    bounds = part_bounds(count, parts_for(count))
    if sink is not None and (reuse is not None or not sink.open(bounds)):
        sink = None

    def part(first: int, stop: int) -> _Part | None:
        writer = None if sink is None else sink.part(first)
        return _index_part(data, spans, first, stop, origin, canonical, reuse, digester, writer)

    for number, found in enumerate(in_parts(part, count, bounds=bounds)):
        if found is None:
            return None
        if sink is not None:
            sink.written(bounds[number], found[6])
        keys += found[0]
        ids += found[1]
        if reuse is not None and found[5]:  # where `reuse` knew a commitment: its place there
            summaries += [reuse.packed(item) if type(item) is int else item for item in found[2]]
        else:
            summaries += found[2]
        links += found[3]
        digests.append(found[4])
        owners.append(found[5])
    if any(first >= second for first, second in itertools.pairwise(keys)):
        return None  # out of order or repeated: the whole-document read says which
    reused = b"".join(owners)
    if reuse is not None and reused:
        links += reuse.links(reused)
    check = NO_DIGEST if digester is None else digester.check
    return Index(file_signature, keys, ids, spans, summaries, links, b"".join(digests), check, checked=not reused)


_Part = tuple[list[str], list[str], list[Any], list[bytes], bytes, bytes, int]


class PartSink(Protocol):
    """Where one part of `index_records` writes each commitment it parses."""

    def add(self, record: Commitment) -> None: ...

    def finish(self) -> int:
        """What was written, in bytes; -1 where it could not all be."""
        ...


class RecordSink(Protocol):
    """Where the parts of `index_records` write the commitments they parse (see `journal.AddedInParts`)."""

    def open(self, bounds: list[int]) -> bool:
        """Ready for parts that begin at `bounds` (the last, where the last part ends); False: not used."""
        ...

    def part(self, first: int) -> PartSink | None: ...

    def written(self, first: int, size: int) -> None:
        """What the part that begins at `first` wrote (see `PartSink.finish`)."""
        ...


def _index_part(
    data: bytes,
    spans: array[int],
    first: int,
    stop: int,
    origin: str,
    canonical: bool,
    reuse: Reuse | None,
    digester: Keyed | None,
    writer: PartSink | None = None,
) -> _Part | None:
    """The keys, ids, packed summaries, links and digests of the records `first` to `stop` (see `index_records`),
    the document ids of those that `reuse` knew (for each, its place there stands for its summary, which is not
    sent back from a copy to the process that has it already; its links are `reuse`'s too), and what `writer`, given
    each commitment parsed, wrote (-1: nothing)."""
    keys: list[str] = []
    ids: list[str] = []
    summaries: list[bytes | int] = []
    links: list[bytes] = []
    digests = bytearray()
    owners = bytearray()
    bound = future_bound()
    view = memoryview(data)
    for number in range(first, stop):
        if reuse is not None:
            start, end = spans[2 * number], spans[2 * number + 1]
            matched = _KEY_PREFIX.match(data, start, end)
            key = "" if matched is None else matched[1].decode()
            place = reuse.take(key, view[start:end]) if key else None
            if place is not None:
                keys.append(key)
                ids.append(reuse.row(place))
                summaries.append(place)
                digests += reuse.held(place)
                owners += int(key).to_bytes(8, "big")
                continue
        found = _record_at(data, spans, number, bound, origin, canonical)
        if found is None:
            return None
        key, record = found
        keys.append(key)
        ids.append(record["id"])
        packed, linked = entry_of(record)
        summaries.append(packed)
        links += linked
        if digester is not None:
            digests += digester.digest(view[spans[2 * number] : spans[2 * number + 1]], packed, linked)
        if writer is not None:
            writer.add(record)
    if digester is None:
        digests = bytearray(DIGEST * (stop - first))  # none known
    written = -1 if writer is None else writer.finish()
    return keys, ids, summaries, links, bytes(digests), bytes(owners), written


def _record_at(
    data: bytes, spans: array[int], number: int, bound: str, origin: str, canonical: bool
) -> tuple[str, Commitment] | None:
    """The document key and the commitment of record `number`, parsed and checked (see `index_records`); None where
    only a whole-document read can say what it is; DatabaseError for a record that breaks a rule."""
    end = spans[2 * number + 1]
    matched = _KEY_PREFIX.match(data, spans[2 * number], end)
    if matched is None:
        return None
    raw = data[matched.end() : end]
    record = _parse_record(raw, bound, f"{origin}: commitment {number + 1}")
    if record is None:
        return None
    key = matched[1].decode()
    if key != doc_key(record["id"]):
        return None  # a document id the tracker did not give: read the whole file
    if not _written_canonically(record, raw) and (canonical or keys_in_text(raw) != keys_in_record(record)):
        return None  # a key written twice (the whole-document read names it), or not as the tracker writes it
    return key, record


def record_keys(data: bytes, spans: array[int]) -> list[str] | None:
    """The document key that each record of a file in the canonical layout (its `spans`) is written under, read from
    the record's first bytes (nothing parsed); None if a record does not begin as one does."""
    written = [_KEY_PREFIX.match(data, spans[at], spans[at + 1]) for at in range(0, len(spans), 2)]
    return None if None in written else [match[1].decode() for match in written if match is not None]


def read_records(data: bytes, spans: array[int], numbers: list[int], origin: str) -> list[Commitment] | None:
    """The commitments of records `numbers` of a file in the canonical layout, each parsed and checked once (in
    parts: see `parallel`), in that order; None if one is not a valid commitment under the document key its id
    gives, written as JSON the strict reader reads alike (then only a whole-document read can say what is wrong)."""
    bound = future_bound()

    def part(first: int, stop: int) -> list[Commitment] | None:
        found = []
        for number in numbers[first:stop]:
            try:
                record = _record_at(data, spans, number, bound, origin, canonical=False)
            except DatabaseError:
                return None
            if record is None:
                return None
            found.append(record[1])
        return found

    records: list[Commitment] = []
    for found in in_parts(part, len(numbers)):
        if found is None:
            return None
        records += found
    return records


def _written_canonically(record: Commitment, raw: bytes) -> bool:
    """Whether `raw` is exactly the canonical text of the record parsed from it (so no key in it is written twice:
    the record would have one key fewer than its text). Cheaper to ask than to count the keys of the text."""
    return canonical_json(record, commitment=True).replace(b"\n", b"\n    ") == raw


def compact(text: bytes | memoryview) -> bytes:
    """A valid record's JSON text as compact JSON with sorted keys, as an undo journal entry holds it: by orjson, in
    C, unless orjson reads it otherwise or not at all (a paragraph number past 64 bits), then by the standard
    library, exactly."""
    orjson = fastjson.orjson

    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError:  # a number past a float's range (a paragraph of 310 digits, say)
        record = None
    if record is None or misread(record):
        import json

        exact = json.loads(bytes(text).decode("utf-8"))
        return json.dumps(exact, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def misread(record: Any) -> bool:
    """Whether orjson has read a record that has the shape of a commitment otherwise than its text says: the one
    number a commitment may hold past 64 bits, a source's paragraph, comes out a float (an amount and a weight are
    bounded far below). Such a record must be read by the standard library."""
    source = record.get("source") if type(record) is dict else None
    return type(source) is dict and type(source.get("paragraph")) is float


def _parse_record(raw: bytes, bound: str, where: str) -> Commitment | None:
    """One commitment's canonical text, parsed and validated; None where only a whole-document read can say what
    it is; DatabaseError (`where` and the problem) for a record that breaks a rule. orjson parses and `is_valid`
    checks; on any doubt the standard library's parser and the model's own rules decide, as they always did
    (orjson reads an integer past 64 bits as a float, and refuses NaN where the strict reader names it)."""
    orjson = fastjson.orjson

    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        record = None
    if record is not None and is_valid(record, bound, from_orjson=True):
        return cast(Commitment, record)
    try:
        import json

        # The C parser, on text decoded strictly (bytes would let a byte order mark through); what it lets through
        # that the strict one would not is below.
        record = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None  # the whole-document read, strict, names the problem and where it is
    problems = commitment_problems(record)
    if problems:
        try:
            strictjson.loads(raw)
        except strictjson.JSONProblem as problem:  # say what is wrong with the text, not what it became
            raise DatabaseError(f"{where}{label(record)}: {problem}") from None
        raise DatabaseError(f"{where}{label(record)} {problems[0]}")
    return cast(Commitment, record)


def read_record(
    raw: bytes | memoryview, key: str, commitment_id: str, bound: str | None = None, checked: bool = False
) -> Commitment | None:
    """The commitment `commitment_id` from its canonical text `raw` (from the key on), checked by the strict rules:
    None if the text is not that commitment, valid, under the document key `key`.

    With `checked`, the text comes from a file that its current index describes, and the tracker writes an index
    only for a file whose every record it has checked (read in full, or written by itself), so the rules are not
    applied again: the text must still be this commitment, under this key, with the fields of a commitment."""
    prefix = b'    "' + key.encode() + b'": '
    if raw[: len(prefix)] != prefix:
        return None
    view = memoryview(raw)[len(prefix) :]  # as `body` gives it, without a copy of the text
    orjson = fastjson.orjson

    try:
        record: Any = orjson.loads(view)
    except orjson.JSONDecodeError:
        record = None
    if (
        checked
        and type(record) is dict
        and record.keys() == COMMITMENT_KEYS
        and record["id"] == commitment_id
        and not misread(record)
    ):
        return cast(Commitment, record)
    text = bytes(view)
    fast = record is not None and is_valid(record, bound, True) and keys_in_text(text) == keys_in_record(record)
    if not fast:  # the strict reader and the model's rules decide
        try:
            record = strictjson.loads(text)
        except strictjson.JSONProblem:
            return None
        if commitment_problems(record):
            return None
    return cast(Commitment, record) if record["id"] == commitment_id else None


# A key ends in a closing quote (one not escaped: an even run of backslashes before it), any white space, a colon.
# Inside a string a quote is always escaped, so nothing else in JSON text matches.
_KEY = re.compile(rb'(?<!\\)(?:\\\\)*"[ \t\r\n]*:')
_SPACED_KEY = re.compile(rb'"[ \t\r\n]+:')


def keys_in_text(raw: bytes) -> int:
    """How many keys a JSON text writes, however it is spaced (a key written twice counts twice)."""
    if b'\\"' not in raw:  # no escaped quote: every quote before a colon ends a key
        return raw.count(b'":') + len(_SPACED_KEY.findall(raw))
    return len(_KEY.findall(raw))


def keys_in_record(record: Commitment) -> int:
    """How many keys a valid commitment has once parsed: a key written twice in its text counts once here."""
    return len(record) + len(record["source"]) + len(record["amount"] or ()) + sum(map(len, record["history"]))


def label(record: Any) -> str:
    """` ('<id>')` for a record that has a string id, for error messages; else nothing."""
    return f" ('{record['id']}')" if isinstance(record, dict) and isinstance(record.get("id"), str) else ""


def parse_document(text: str, origin: str) -> tuple[dict[str, dict[str, Any]], int]:
    """A data file's text as TinyDB's tables at the current schema version, and the version the file had: every
    commitment validated, ids unique, document ids whole numbers. DatabaseError naming `origin` otherwise."""
    if not text.strip():
        raise DatabaseError(f"{origin} is empty, not a tracker database (run 'tracker init --force' to recreate it)")
    try:
        document = strictjson.loads(text)
    except strictjson.JSONProblem as problem:
        raise DatabaseError(f"{origin} is not a tracker database: {problem}") from None
    _check_meta(document, origin)  # before an upgrade, which writes the table anew
    document, version = upgrade(document, origin, doc_id)
    unknown = set(document) - {META, TABLE, "_default"}
    if unknown or document.get("_default"):
        extra = ", ".join(sorted(unknown)) or "_default"
        raise DatabaseError(f"{origin} has table(s) this tracker does not keep: {extra} (only '{TABLE}')")
    table = document.get(TABLE, {})
    if not isinstance(table, dict):
        raise DatabaseError(f"{origin}: the table '{TABLE}' is not an object of documents keyed by document id")
    seen: set[str] = set()
    bound = future_bound()
    for position, (key, record) in enumerate(table.items(), start=1):
        if not (key.isascii() and key.isdigit() and len(key) <= 20) or not 0 < int(key) < 1 << 64:
            raise DatabaseError(
                f"{origin}: document id {key!r} is not a whole number from 1 to {(1 << 64) - 1:,} (2^64 - 1) in digits,"
                " as TinyDB needs"
            )
        problems = [] if is_valid(record, bound) else commitment_problems(record)  # the first is quicker
        if problems:
            raise DatabaseError(f"{origin}: commitment {position}{label(record)} {problems[0]}")
        if record["id"] in seen:
            raise DatabaseError(f"{origin}: id '{record['id']}' appears more than once")
        seen.add(record["id"])
    return {META: document[META], TABLE: table}, version


def _check_meta(document: Any, origin: str) -> None:
    """DatabaseError if the table `_meta` holds anything beside the schema version, which a write would drop (its
    shape is `migrations.version_of`'s to check)."""
    meta = document.get(META) if isinstance(document, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get(META_DOCUMENT), dict):
        return
    strangers = sorted({*meta} - {META_DOCUMENT}) or sorted({*meta[META_DOCUMENT]} - {"schema_version"})
    if strangers:
        named = ", ".join(map(repr, strangers[:3])) + (f" and {len(strangers) - 3} more" if len(strangers) > 3 else "")
        raise DatabaseError(
            f"{origin}: the table '{META}' holds {named}, which this tracker does not keep (only the schema version, "
            f"in document '{META_DOCUMENT}')"
        )


def parse_database(text: str, origin: str) -> list[Commitment]:
    """The commitments in a database file's text (of any schema version this tracker knows), validated."""
    tables, _ = parse_document(text, origin)
    return cast(list[Commitment], list(tables[TABLE].values()))
