"""Documents in and out: the Markdown briefing, and JSON, CSV and Markdown exports and the JSON import."""

from __future__ import annotations

import csv
import functools
import io
import itertools
import operator
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from tracker import strictjson
from tracker.errors import DatabaseError, InvalidInputError
from tracker.fastjson import orjson
from tracker.files import describe_os_error, prepare
from tracker.index import Index
from tracker.journal import AddedInParts
from tracker.layout import (
    SCHEMA_VERSION,
    doc_id,
    index_records,
    keys_in_record,
    keys_in_text,
    read_records,
    record_keys,
    record_spans,
)
from tracker.migrations import META, META_DOCUMENT, TABLE, upgrade
from tracker.model import (
    Amount,
    Commitment,
    Status,
    citation,
    commitment_problems,
    format_amount,
    future_bound,
    is_overdue,
    merge_commitment,
    ordered_history,
)
from tracker.parallel import in_parts
from tracker.render import SCORE_CELL, mean_words, safe, score_cell
from tracker.store import Snapshot, Store, Transaction, export_json
from tracker.validate import is_valid


def md_cell(value: object, starts_block: bool = False) -> str:
    """A value made safe for Markdown, to read literally where it is rendered: no controls, no line breaks; the
    characters that would make inline markup (emphasis, code, links, raw HTML, entities, headings' closing marks, a
    table's pipes) escaped with a backslash, as CommonMark allows for any ASCII punctuation. A web address made only
    of characters that cannot make markup is left as it is (but for a pipe), so that a renderer that links bare
    addresses (GitHub's) links the right one. With `starts_block` (the text of a quote or a list item), what would
    begin a block is escaped too: a first `-`, `+` or `=` (a list, a rule, an underline), an ordered list's number,
    or leading spaces (code)."""
    text = safe(str(value), multiline=True).replace("\n", " ")
    text = "".join(
        piece.replace("|", "\\|") if number % 2 else piece.translate(_MD_ESCAPES)
        for number, piece in enumerate(_MD_ADDRESS.split(text))
    )
    if not starts_block:
        return text
    if text[:1] in ("-", "+", "="):
        return "\\" + text
    if text[:1].isspace():
        return "&#32;" + text[1:]
    numbered = _MD_NUMBERED.match(text)
    return text if numbered is None else f"{numbered[1]}\\{text[len(numbered[1]) :]}"


_MD_ESCAPES = str.maketrans({mark: "\\" + mark for mark in "\\`*_[]<>|~&#"})
_MD_ADDRESS = re.compile(r"\b((?:https?://|www\.)[^\s\\`*\[\]<>~]+)")  # split keeps it at the odd places
_MD_NUMBERED = re.compile(r"([0-9]{1,9})[.)](?:\s|$)")  # an ordered list item


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A Markdown table, every cell made safe."""
    lines = ["| " + " | ".join(md_cell(header) for header in headers) + " |"]
    lines.append("|" + "|".join(" --- " for _ in headers) + "|")
    lines += ["| " + " | ".join(md_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def _score_cells(score: dict[str, Any]) -> list[object]:
    if score["mean"] is None:
        return [score["assessed"], "-", "-"]
    return [score["assessed"], f"{score['mean']:+z.2f}", f"{score['percent']:.1f}%"]


def methodology(report: dict[str, Any]) -> str:
    """The paragraph that says how the report's figures were made, so that it can be handed in as it is."""
    period = report["period"]
    sources = md_cell("; ".join(f"{s['document'] or '(no document named)'} ({s['date']})" for s in report["sources"]))
    known = (
        f" Only events recorded on or before {report['known_on']} are used, so the report reads as it could have "
        "been issued then."
        if report["known_on"]
        else ""
    )
    return (
        "Method. Each commitment is scored as the G7 and G20 Research Groups score compliance: fulfilled +1; "
        "partial and in-progress 0; stalled and broken -1. Pending commitments, those that lapsed or were "
        "superseded, and requests (which commit the party asked to nothing) are counted but not scored; a "
        "commitment counts as assessed once an event has given it one of "
        "the scored statuses. Where a commitment has several actors, each actor has the status of the latest event "
        "(by date, then by order of recording) that assesses it; a commitment's score is the mean of its actors' "
        "scores, an actor's score the mean over the commitments it is party to, and the overall score the mean of "
        "the commitments' scores. Percent = (mean + 1) / 2 x 100. "
        f"Period: commitments made from {period['from'] or '-'} to {period['to']}, in their state on "
        f"{report['as_of']}, rebuilt from the dated history.{known} Sources: {sources or 'none'}."
    )


def report_markdown(report: dict[str, Any]) -> str:
    """A briefing-ready Markdown document of the report: method, figures, and each commitment with its rationale
    and a numbered list of the evidence cited."""
    score = report["score"]
    pending = report["by_status"][Status.PENDING.value]
    if score["mean"] is None:
        headline = f"No commitment has been assessed yet ({pending} pending)."
    else:
        headline = (
            f"Compliance score {score['mean']:+z.2f} on the -1 to +1 scale ({score['percent']:.1f}%), "
            f"over {score['assessed']} assessed commitments ({pending} pending, not scored)."
        )
    known = f", as known on {report['known_on']}" if report["known_on"] else ""
    lines = [f"# Compliance report as of {report['as_of']}{known}", "", methodology(report), ""]
    lines += [f"{report['total']} commitments. {headline}", ""]
    lines += ["## Status", ""]
    lines += md_table(["status", "commitments"], [[s, n] for s, n in report["by_status"].items()])
    for title, key in (("By pillar", "by_pillar"), ("By actor", "by_actor")):
        lines += ["", f"## {title}", ""]
        rows = [[name, g["total"], *_score_cells(g["score"])] for name, g in report[key].items()]
        lines += md_table([key.split("_")[1], "total", "assessed", "mean", "percent"], rows)
    lines += ["", "## Commitments", ""]
    # Each item of evidence listed once, as the list shows it (two texts that show alike are one item), numbered as
    # first cited; a commitment's numbers stand in a column of their own, never in its note, whose own "[1]" could
    # pass for one.
    citations: dict[str, int] = {}
    table = []
    for item in report["commitments"]:
        shown = (md_cell(evidence, starts_block=True) for evidence in item["evidence"])
        numbers = dict.fromkeys(citations.setdefault(text, len(citations) + 1) for text in shown)
        actors = "; ".join(
            f"{actor} {entry['status'] or '-'}" + ("" if entry["score"] is None else f" ({SCORE_CELL[entry['score']]})")
            for actor, entry in item["actors"].items()
        )
        score_text = "-" if item["score"] is None else f"{item['score']:+z.2f}"
        cited = ", ".join(map(str, numbers)) or "-"
        table.append(
            [item["id"], item["title"], actors, score_text, item["assessed_on"] or "-", item["rationale"], cited]
        )
    headers = ["id", "title", "actors: status (score)", "score", "latest assessment", "rationale", "evidence"]
    lines += md_table(headers, table)
    if citations:
        lines += ["", "### Evidence", ""]
        lines += [f"{number}. {text}" for text, number in citations.items()]
    lines += ["", "## Overdue", ""]
    if report["overdue"]:
        rows = [[i["id"], i["title"], i["due"], i["days_overdue"], i["status"]] for i in report["overdue"]]
        lines += md_table(["id", "title", "due", "days overdue", "status"], rows)
    else:
        lines.append("Nothing is overdue.")
    lines += ["", "## Recent changes (90 days)", ""]
    if report["recent"]:
        rows = [[i["date"], i["id"], i["status"], i["note"], "; ".join(i["evidence"])] for i in report["recent"]]
        lines += md_table(["date", "id", "status", "note", "evidence"], rows)
    else:
        lines.append("No events in the last 90 days.")
    lines += ["", "## Due soon (180 days)", ""]
    if report["due_soon"]:
        rows = [[i["due"], i["id"], i["title"], i["days_left"], i["status"]] for i in report["due_soon"]]
        lines += md_table(["due", "id", "title", "days left", "status"], rows)
    else:
        lines.append("Nothing falls due in the next 180 days.")
    return "\n".join(lines) + "\n"


# --- exports ------------------------------------------------------------------------------------------------------

CSV_FIELDS = (
    "id",
    "title",
    "summary",
    "quote",
    "actors",
    "pillar",
    "due",
    "amount",
    "amount_value",
    "amount_currency",
    "amount_per",
    "status",
    "overdue",
    "source_document",
    "source_date",
    "paragraph",
    "source_file",
    "events",
    "last_event_date",
    "kind",
    "weight",
)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A value made safe for one CSV cell: controls escaped as for a terminal, then, if what is left starts like a
    formula, a `'` in front, so that a spreadsheet shows the text instead of running it."""
    cell = safe(value if isinstance(value, str) else str(value), multiline=True)
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


_STARTS_LIKE_A_FORMULA = operator.methodcaller("startswith", _FORMULA_STARTS)


def csv_row(cells: list[str]) -> list[str]:
    """A row of cells made safe as `csv_cell` makes each, with one check in C for the usual row that needs
    nothing."""
    if "".join(cells).isprintable() and not any(map(_STARTS_LIKE_A_FORMULA, cells)):
        return cells
    return list(map(csv_cell, cells))


_FIRST = operator.itemgetter(slice(0, 1))
_FORMULA_FIRSTS = frozenset(_FORMULA_STARTS)


def csv_line(cells: list[str]) -> str | None:
    """The line that a `csv.writer` (lines ended by `\\n`) writes for `csv_row(cells)`, when the row needs
    nothing done: every cell printable (so no line break), none with a comma or a quote, none that starts like a
    formula; None for any other row, which the writer must then write itself. A few checks in C over the whole
    row, instead of the writer's look at each character of each cell."""
    text = "".join(cells)
    if (
        text.isprintable()
        and '"' not in text
        and "," not in text
        and len(cells) > 1  # a row of one empty cell is written `""`
        and _FORMULA_FIRSTS.isdisjoint(map(_FIRST, cells))
    ):
        return ",".join(cells) + "\n"
    return None


def export_csv(commitments: Iterable[Commitment], today: str) -> str:
    """One row per commitment; list fields joined with '; '; text made safe for a terminal and a spreadsheet."""
    return "".join(csv_pieces(commitments, today))


def csv_pieces(commitments: Iterable[Commitment], today: str) -> Iterator[str]:
    """`export_csv` in pieces, as the commitments come."""
    return _csv_text(CSV_FIELDS, (_commitment_cells(c, today) for c in commitments))


def _csv_text(header: Sequence[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """CSV text of a header and rows (each made safe by `csv_row`), in pieces of a few hundred rows: a large export
    is never whole in memory."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(header)
    write = _row_writer(buffer)
    for number, row in enumerate(rows, 1):
        write(row)
        if number % 512 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_pieces_by_due(parts: Iterable[CsvPart], events: bool = False) -> Iterator[str]:
    """`csv_pieces` (with `events`, `events_csv_pieces`) of commitments that come in any order, in the order of
    `list`: by due date (none last), then id, from `csv_part`'s work on each part of them. The commitments can so be
    read in the order that is cheapest, in several processes at once, and none needs its summary read for the
    order."""
    keys: list[tuple[bool, str, str]] = []
    lines: list[str] = []
    bounds = [0]  # where each commitment's lines begin, and their end
    for part_keys, part_lines, part_ends in parts:
        keys += part_keys
        bounds += [len(lines) + end for end in part_ends]
        lines += part_lines
    order = sorted(range(len(keys)), key=keys.__getitem__)
    csv.writer(_Lines(lines), lineterminator="\n").writerow(EVENT_CSV_FIELDS if events else CSV_FIELDS)
    yield lines.pop()
    for first in range(0, len(order), 512):
        chosen = order[first : first + 512]
        yield "".join(line for number in chosen for line in lines[bounds[number] : bounds[number + 1]])


CsvPart = tuple[list[tuple[bool, str, str]], list[str], list[int]]


def csv_part(commitments: Iterable[Commitment], today: str, events: bool = False) -> CsvPart:
    """For `csv_pieces_by_due`: each commitment's place in the order of `list`, the CSV lines of all of them (see
    `csv_pieces`; with `events`, `events_csv_pieces`), and where each commitment's lines end. Each commitment's rows
    are written as it is read: a line of text is all that is kept of it."""
    keys: list[tuple[bool, str, str]] = []
    lines: list[str] = []
    ends: list[int] = []
    write = _row_writer(_Lines(lines))
    for c in commitments:
        keys.append((c["due"] is None, c["due"] or "", c["id"]))
        for row in _event_rows(c) if events else [_commitment_cells(c, today)]:
            write(row)
        ends.append(len(lines))
    return keys, lines, ends


def _row_writer(file: Any) -> Callable[[list[str]], object]:
    """What writes one row to `file` (a `write` method that takes a whole line), each cell made safe by `csv_row`:
    joined where `csv_line` says the row needs nothing done, by a `csv.writer` otherwise."""
    writer = csv.writer(file, lineterminator="\n")

    def write(row: list[str]) -> object:
        line = csv_line(row)
        return writer.writerow(csv_row(row)) if line is None else file.write(line)

    return write


class _Lines:
    """A file for `csv.writer` that keeps each line it writes (one a row) in `lines`."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append


def _commitment_cells(c: Commitment, today: str) -> list[str]:
    """One commitment's row of `export_csv`; list fields joined with '; '."""
    source = c["source"]
    value, currency, per = _amount_cells(c["amount"])
    return [
        c["id"],
        c["title"],
        c["summary"],
        c["quote"],
        "; ".join(c["actors"]),
        c["pillar"],
        c["due"] or "",
        format_amount(c["amount"]),
        str(value),
        currency,
        per,
        c["status"],
        "yes" if is_overdue(c, today) else "no",
        source["document"],
        source["date"],
        "" if source["paragraph"] is None else str(source["paragraph"]),
        source["file"] or "",
        str(len(c["history"])),
        max(event["date"] for event in c["history"]),
        c["kind"] or "",
        str(c["weight"]),
    ]


def _amount_cells(amount: Amount | None) -> tuple[object, str, str]:
    """An amount as three cells, value, currency and period, for a spreadsheet to compute with; empty for none."""
    if amount is None:
        return "", "", ""
    return amount["value"], amount["currency"], amount["per"] or ""


EVENT_CSV_FIELDS = ("id", "date", "status", "note", "evidence", "recorded_at", "recorded_by", "actors", "by")


def export_events_csv(commitments: Iterable[Commitment]) -> str:
    """One row per event: the commitments in the order given, each one's events by date (and, for one date, in
    the order recorded); evidence joined with '; '; text made safe for a terminal and a spreadsheet."""
    return "".join(events_csv_pieces(commitments))


def events_csv_pieces(commitments: Iterable[Commitment]) -> Iterator[str]:
    """`export_events_csv` in pieces, as the commitments come."""
    return _csv_text(EVENT_CSV_FIELDS, (row for c in commitments for row in _event_rows(c)))


def _event_rows(c: Commitment) -> list[list[str]]:
    """One commitment's rows of `export_events_csv`: its events by date; evidence and the actors it assesses joined
    with '; ' (empty: it assesses them all); who recorded it and its successor empty where there is none."""
    return [
        [
            c["id"],
            event["date"],
            event["status"],
            event["note"],
            "; ".join(event["evidence"]),
            event["recorded_at"],
            event["recorded_by"] or "",
            "; ".join(event["actors"] or []),
            event["by"] or "",
        ]
        for event in ordered_history(c["history"])
    ]


def export_markdown(commitments: list[Commitment], today: str) -> str:
    """A Markdown document: a table of the commitments, then each one with its quote and dated history."""
    lines = [f"# Commitments ({len(commitments)}), as of {today}", ""]
    rows = [
        [c["id"], c["title"], ", ".join(c["actors"]), c["pillar"], c["due"] or "-", _status_words(c, today)]
        for c in commitments
    ]
    lines += md_table(["id", "title", "actors", "pillar", "due", "status"], rows)
    for c in commitments:
        cited = citation(c["source"])
        lines += ["", f"## {md_cell(c['title'])}", "", f"`{c['id']}`: {_status_words(c, today)}"]
        if c["quote"]:
            lines += ["", f"> {md_cell(c['quote'], starts_block=True)}", ">", f"> {md_cell(cited, starts_block=True)}"]
        lines += [""]
        lines += md_table(
            ["date", "status", "note", "evidence"],
            [[e["date"], e["status"], e["note"], "; ".join(e["evidence"])] for e in ordered_history(c["history"])],
        )
    return "\n".join(lines) + "\n"


def _status_words(commitment: Commitment, today: str) -> str:
    return commitment["status"] + (" (overdue)" if is_overdue(commitment, today) else "")


# --- import -------------------------------------------------------------------------------------------------------


class ImportProblems(InvalidInputError):
    """An import file with problems; `problems` lists each, with its record's position and id."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        super().__init__(f"{origin}: {len(problems)} problem(s); nothing was imported")
        self.problems = problems


def read_import(text: str | bytes, origin: str) -> list[Commitment]:
    """The commitments of a JSON export, read strictly; ImportProblems listing every invalid record otherwise."""
    valid = _read_valid_export(text)
    if valid is not None:
        return valid
    try:
        document = strictjson.loads(text)
    except strictjson.JSONProblem as problem:
        raise ImportProblems(origin, [str(problem)]) from None
    if isinstance(document, list):  # a bare list of commitments, of any schema version: as version 2 held them
        document = {META: {META_DOCUMENT: {"schema_version": 2}}, TABLE: {str(n): r for n, r in enumerate(document)}}
    records: Any = None
    if isinstance(document, dict):  # an export or a data file, of any schema version this tracker knows
        try:
            document, _ = upgrade(document, origin, doc_id)
        except DatabaseError as error:
            raise ImportProblems(origin, [str(error).removeprefix(f"{origin} ")]) from None
        table = document.get(TABLE)
        records = list(table.values()) if isinstance(table, dict) else None
    if not isinstance(records, list):
        raise ImportProblems(origin, ["not a tracker export (a tracker data file or export, or a list of commitments)"])
    problems: list[str] = []
    seen: dict[str, int] = {}
    bound = future_bound()
    for position, record in enumerate(records, start=1):
        label = f"commitment {position}"
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            label += f" ('{record['id']}')"
        if not is_valid(record, bound):  # quicker than asking for the problems of each
            problems += [f"{label}: {problem}" for problem in commitment_problems(record)]
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            if record["id"] in seen:
                problems.append(f"{label}: the same id as commitment {seen[record['id']]}")
            seen.setdefault(record["id"], position)
    if problems:
        raise ImportProblems(origin, problems)
    return cast(list[Commitment], records)


def _read_valid_export(text: str | bytes) -> list[Commitment] | None:
    """The commitments of an export of the current schema version in which every record is valid, read by orjson
    and checked by `validate.is_valid`, each once; None for anything else (an older version, a bare list, a
    problem anywhere), which the strict reader and the model's rules then read and explain. What orjson lets
    through that the strict reader would not is caught here: a key twice in one object (the keys in the text are
    counted against those read), an integer past 64 bits (read as a float, which no integer field accepts)."""
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        document = orjson.loads(data)
    except (UnicodeEncodeError, orjson.JSONDecodeError):
        return None
    if type(document) is not dict or document.keys() != {META, TABLE}:
        return None
    table, meta = document[TABLE], document[META]
    if type(table) is not dict or type(meta) is not dict or meta.keys() != {META_DOCUMENT}:
        return None
    declared = meta[META_DOCUMENT]
    if type(declared) is not dict or declared.keys() != {"schema_version"}:
        return None
    if type(declared["schema_version"]) is not int or declared["schema_version"] != SCHEMA_VERSION:
        return None  # 3.0 or True is not 3 to the strict reader
    records = list(table.values())
    bound = future_bound()

    def valid(first: int, stop: int) -> bool:
        return all(is_valid(record, bound, from_orjson=True) for record in records[first:stop])

    if not all(in_parts(valid, len(records))):  # a large import is checked by several processes: see `parallel`
        return None
    if len({record["id"] for record in records}) != len(records):
        return None
    if keys_in_text(data) != 4 + len(records) + sum(map(keys_in_record, records)):  # _meta, 1, schema_version, table
        return None
    return records


# --- moving commitments in and out of a store ---------------------------------------------------------------------


@dataclass
class ImportCounts:
    """What an import did: commitments added, updated (or replaced), left as they were, and removed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)


def import_as_written(store: Store, data: bytes, origin: str, label: str) -> ImportCounts | None:
    """Add every commitment of a canonical export of commitments the store does not hold as its bytes stand there
    (see `read_canonical_import` and `import_canonical`), the journal entry's changes made while the records are
    checked (`journal.AddedInParts`); None, with nothing written, for any other file or database. `origin` names
    the file in a problem, `label` in the journal."""
    added = store.added_in_parts()
    try:
        incoming = read_canonical_import(store, data, origin, added)
        return None if incoming is None else import_canonical(store, data, incoming, label, added)
    finally:
        added.close()


def read_canonical_import(store: Store, data: bytes, origin: str, added: AddedInParts | None = None) -> Index | None:
    """An export in the canonical layout of the current schema version whose every record holds up and is written
    exactly as the tracker writes it, of commitments that the store does not hold, read as a data file with no index
    is (each record parsed and checked once, in parts: see `layout.index_records`), with each record's place,
    summary and links; None for anything else, which `read_import` then reads (and writes canonically or merges) or
    explains. Whether the store holds any of them is asked before any record is parsed. `added`, if given, takes
    the changes of the journal entry that adds them, each commitment's made as it is checked."""
    try:
        return index_records(
            data,
            (0, 0, 0, 0, 0),
            origin,
            canonical=True,
            admit=store.holds_none,
            keyed=lambda: store.keyed,
            sink=added,
        )
    except DatabaseError:
        return None


def import_canonical(
    store: Store, data: bytes, incoming: Index, origin: str, added: AddedInParts | None = None
) -> ImportCounts | None:
    """Add every commitment of a canonical export (see `read_canonical_import`) as its bytes stand there; None, with
    nothing written, where the database holds one of them already (or is not indexed): `import_commitments` then
    merges them. `added`: the journal entry's changes, if `read_canonical_import` made them."""
    warnings = store.add_canonical(f"import {origin}", data, incoming, added)
    if warnings is None:
        return None
    return ImportCounts(added=len(incoming.ids), warnings=warnings)


def import_commitments(
    store: Store, incoming: list[Commitment], origin: str, replace: bool = False, removals: set[str] | None = None
) -> ImportCounts:
    """Merge `incoming` into the store by id (new ones added, existing ones gain the events they lack), or with
    `replace` make the store exactly `incoming`. `removals`, for `replace`, are the ids the user agreed to lose:
    if the store holds others by the time the lock is taken, nothing is written (InvalidInputError)."""
    counts = ImportCounts()
    incoming_ids = {commitment["id"] for commitment in incoming}

    def change(transaction: Transaction) -> None:
        transaction.action = f"import {origin}" + (" --replace" if replace else "")
        counts.added = counts.updated = counts.removed = 0  # it may run twice: see `Store.write`
        existing = set(transaction.ids())
        if replace and removals is not None and existing - incoming_ids - removals:
            raise InvalidInputError("the database changed while you confirmed; nothing was imported, run it again")
        _merge(transaction, incoming, replace, counts)
        if replace:
            counts.removed = _remove(transaction, sorted(existing - incoming_ids))

    counts.warnings = store.write("import", change).warnings
    counts.unchanged = len(incoming) - counts.added - counts.updated
    return counts


def _merge(transaction: Transaction, incoming: list[Commitment], replace: bool, counts: ImportCounts) -> None:
    """Add each of `incoming` that the transaction does not hold; give each that it holds the events it lacks (or,
    with `replace`, make it the incoming one); count what was added and updated."""
    # Each commitment as the database holds it, or None: read in the order they come (many: the index once).
    currents = transaction.states(commitment["id"] for commitment in incoming)
    for commitment, (commitment_id, current) in zip(incoming, currents, strict=True):
        if current is None:
            transaction.hold(commitment_id, None)  # not looked for again
            transaction.put(commitment, checked=True)  # its reader checked it
            counts.added += 1
            continue
        updated = commitment if replace else merge_commitment(current, commitment)
        if updated != current:
            transaction.hold(commitment_id, current)  # not read again
            transaction.put(updated)
            counts.updated += 1


def _remove(transaction: Transaction, ids: list[str]) -> int:
    """Remove these commitments (read at once, where there are many); how many."""
    for commitment_id, current in transaction.states(ids):
        transaction.hold(commitment_id, current)
        transaction.delete(commitment_id)
    return len(ids)


class _NotAtOnce(Exception):
    """The export cannot be merged by `merge_canonical`: the whole-document reader must read it."""


def _canonical_keys(data: bytes) -> tuple[array[int], list[str]] | None:
    """The records' spans and document keys of an export in the canonical layout of the current schema version,
    nothing parsed; None for any other layout, or records out of order or repeated."""
    spans = record_spans(data)
    keys = None if spans is None else record_keys(data, spans)
    if spans is None or keys is None or any(first >= second for first, second in itertools.pairwise(keys)):
        return None
    return spans, keys


def _not_held(held: dict[str, str], keys: list[str]) -> list[str]:
    """The ids, sorted, of the commitments held (by document key) that are under none of `keys`."""
    wanted = set(keys)
    return sorted(commitment_id for key, commitment_id in held.items() if key not in wanted)


def replacing(store: Store, data: bytes, origin: str) -> tuple[int, list[str]] | None:
    """For `import --replace` of an export in the canonical layout, before it is confirmed: how many commitments it
    holds, and the ids of those the database holds that it does not (which the replacement removes), once every
    record that differs from the database's has been checked. None for an export in another layout, a record in
    doubt or with a problem (the whole-document reader then names every problem), or a database without a current
    index; `merge_canonical` then does the replacement, reading only the records that differ again."""
    found = _canonical_keys(data)
    if found is None:
        return None
    spans, keys = found
    with store.reading() as snapshot:
        held = snapshot.keyed_ids()
        same = snapshot.same_records(data, spans, keys)
    if held is None or same is None:
        return None
    if read_records(data, spans, [number for number, kept in enumerate(same) if not kept], origin) is None:
        return None
    return len(keys), _not_held(held, keys)


def merge_canonical(store: Store, data: bytes, origin: str, removals: set[str] | None = None) -> ImportCounts | None:
    """Merge an export in the canonical layout of the current schema version (see `import_commitments`) reading
    only the records that differ from the database's: a record written in exactly the bytes of the one the database
    holds under its key is that commitment, unchanged, and checked already. The others are parsed and checked once
    each, under the lock (what the database holds then is what they are merged with). With `removals` (the ids the
    user agreed to lose: see `replacing`), make the database exactly the export's commitments, as `--replace` does.
    None, with nothing written, for an export in any other layout, a record in doubt or with a problem (the
    whole-document reader then names every problem), or a database without a current index."""
    found = _canonical_keys(data)
    if found is None:
        return None
    spans, keys = found
    replace = removals is not None
    counts = ImportCounts()

    def change(transaction: Transaction) -> None:
        transaction.action = f"import {origin}" + (" --replace" if replace else "")
        counts.added = counts.updated = counts.removed = 0  # it may run twice: see `Store.write`
        held = transaction.keyed_ids() if replace else {}
        same = transaction.same_records(data, spans, keys)
        if held is None or same is None:
            raise _NotAtOnce
        gone = _not_held(held, keys) if replace else []
        if removals is not None and not removals.issuperset(gone):
            raise InvalidInputError("the database changed while you confirmed; nothing was imported, run it again")
        differing = read_records(data, spans, [number for number, kept in enumerate(same) if not kept], origin)
        if differing is None:
            raise _NotAtOnce
        _merge(transaction, differing, replace, counts)
        counts.removed = _remove(transaction, gone)

    try:
        counts.warnings = store.write("import", change).warnings
    except _NotAtOnce:
        return None
    counts.unchanged = len(keys) - counts.added - counts.updated
    return counts


def export_pieces(
    snapshot: Snapshot, ids: list[str], output_format: str, today: str, events: bool = False, ordered: bool = True
) -> Iterator[bytes]:
    """The export of the commitments with these ids, in pieces: `json` (the database format, canonical: a current
    index copies each commitment's bytes as they are), `csv` (with `events`, one row per event) or `markdown`.
    Unless `ordered` (then `ids` are every id), a CSV export reads the commitments in the file's order and puts
    them in the order of `list` itself (see `csv_pieces_by_due`)."""
    if output_format == "json":
        return export_json(snapshot, ids)
    if output_format == "csv":
        if not ordered:
            work = functools.partial(csv_part, today=today, events=events)
            pieces = csv_pieces_by_due(snapshot.every_in_parts(work), events)
        else:
            records = snapshot.get_each(ids)
            pieces = events_csv_pieces(records) if events else csv_pieces(records, today)
        return (piece.encode("utf-8") for piece in pieces)
    return iter([export_markdown(list(snapshot.get_each(ids)), today).encode("utf-8")])


def write_export(target: Path, pieces: Iterable[bytes]) -> None:
    """Write an export to `target` (checked with `Store.output_target`) atomically; InvalidInputError if not."""
    try:
        prepare(target, list(pieces)).commit()
    except OSError as error:
        raise InvalidInputError(f"cannot write {target}: {describe_os_error(error)}") from None


# --- the scorecard as a document --------------------------------------------------------------------------------


def _scorecard_rows(card: dict[str, Any]) -> tuple[list[str], list[list[object]]]:
    """The scorecard's header and rows as cells: a row per commitment, then the actors' means and percentages."""
    actors = card["actors"]
    header = ["id", "title", *actors, "mean", "percent"]
    rows: list[list[object]] = [
        [row["id"], row["title"], *(score_cell(row["cells"][a]) for a in actors), *mean_words(row)]
        for row in card["rows"]
    ]
    columns = [mean_words(card["columns"][a]) for a in actors]
    overall = mean_words(card["overall"])
    rows.append(["mean", "", *(words[0] for words in columns), overall[0], ""])
    rows.append(["percent", "", *(words[1] for words in columns), "", overall[1]])
    return header, rows


def scorecard_markdown(card: dict[str, Any]) -> str:
    """The scorecard as a Markdown table, its conventions under it."""
    header, rows = _scorecard_rows(card)
    convention = "(mean + 1) / 2 x 100" if card["percent_convention"] == "g20" else "mean x 100"
    known = f", events recorded by {card['known_on']}" if card["known_on"] else ""
    lines = [f"# Compliance scorecard as of {card['as_of']}{known}", "", *md_table(header, rows), ""]
    lines.append(
        "Cells: +1 fulfilled; 0 partial or in progress; -1 stalled or broken; · not yet assessed; lap lapsed, "
        "sup superseded and req a request (none of them scored); empty where the actor is not a party. A row's "
        "mean is over its actors, "
        "an actor's over the commitments it is party to, the overall mean over the commitments' means"
        + (" (weighted by each commitment's weight)" if card["weighted"] else "")
        + f". Percent = {convention}. Unassessed cells: {card['unassessed']}."
    )
    return "\n".join(lines) + "\n"


def scorecard_csv(card: dict[str, Any]) -> str:
    """The scorecard as CSV: the header, a row per commitment, then the means and percentages of the columns."""
    header, rows = _scorecard_rows(card)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(name) for name in header])  # the actors' names come from the data
    for row in rows:  # the scores are the tracker's own figures; only the id and title come from the data
        writer.writerow([csv_cell(row[0]), csv_cell(row[1]), *row[2:]])
    return buffer.getvalue()


# --- compliance over time ---------------------------------------------------------------------------------------


def trend_csv(document: dict[str, Any]) -> str:
    """The series as CSV: a row per period with its date, the tallies by status, and the score."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["period", "date", "total", *(status.value for status in Status), "assessed", "mean", "percent"])
    for point in document["points"]:
        score = point["score"]
        counts = [point["by_status"][status.value] for status in Status]
        mean = "" if score["mean"] is None else f"{score['mean']:.4f}"
        share = "" if score["percent"] is None else f"{score['percent']:.1f}"
        writer.writerow([point["period"], point["date"], point["total"], *counts, score["assessed"], mean, share])
    return buffer.getvalue()
