"""Schema versions of the data file, and the small functions that take a parsed file from one version to the next.

Version 1: `{"commitments": [commitment, ...], "schema_version": 1}`, commitments in a list sorted by id.
Version 3: version 2, with a `kind` and a `weight` for each commitment, and `actors`, `recorded_by` and `by` for
each event.
Version 2: a TinyDB database. `{"_meta": {"1": {"schema_version": 2}}, "commitments": {"<doc id>": commitment}}`,
where each commitment's document id is derived from its id (`tracker.layout.doc_id`), so that two copies of the
file that each gained a commitment merge in git without both taking the same number.

A migration takes the parsed document of version N and returns the document of version N + 1; `upgrade` chains
them. Every one is tested on a real file of the old version kept under `tests/data/`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracker.errors import DatabaseError

CURRENT = 3
TABLE = "commitments"
META = "_meta"
META_DOCUMENT = "1"


def version_of(document: Any, origin: str) -> int:
    """The schema version a parsed data file declares; DatabaseError if it declares none this tracker knows of."""
    if not isinstance(document, dict):
        raise DatabaseError(f"{origin} is not a tracker database (it is not a JSON object)")
    if META in document:
        meta = document[META]
        record = meta.get(META_DOCUMENT) if isinstance(meta, dict) else None
        version = record.get("schema_version") if isinstance(record, dict) else None
    elif TABLE in document and "schema_version" in document:
        version = document["schema_version"]
    else:
        raise DatabaseError(
            f"{origin} is not a tracker database (expected the tables '{META}' and '{TABLE}' of a TinyDB file)"
        )
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DatabaseError(f"{origin} has no valid schema version ({version!r}); it is not a tracker database")
    if version > CURRENT:
        raise DatabaseError(
            f"{origin} has schema version {version}, newer than this tracker knows ({CURRENT}); upgrade tracker"
        )
    return version


def _v1_to_v2(document: dict[str, Any], doc_id: Callable[[str], int]) -> dict[str, Any]:
    """A list of commitments becomes a TinyDB table keyed by document ids derived from the commitments' ids."""
    if set(document) != {TABLE, "schema_version"}:
        extra = ", ".join(sorted(set(document) - {TABLE, "schema_version"}))
        raise DatabaseError(f"has unknown top-level field(s): {extra}")
    records = document[TABLE]
    if not isinstance(records, list):
        raise DatabaseError(f"'{TABLE}' is not a list, as schema version 1 has it")
    table: dict[str, Any] = {}
    for position, record in enumerate(records, start=1):
        commitment_id = record.get("id") if isinstance(record, dict) else None
        if not isinstance(commitment_id, str):
            raise DatabaseError(f"commitment {position} has no id")
        key = str(doc_id(commitment_id))
        if key in table:
            raise DatabaseError(f"id '{commitment_id}' appears more than once")
        table[key] = record
    return {META: {META_DOCUMENT: {"schema_version": 2}}, TABLE: table}


def _v2_to_v3(document: dict[str, Any], doc_id: Callable[[str], int]) -> dict[str, Any]:
    """Commitments gain a kind (not coded: null) and a weight (1); events gain the actors they assess (null: all,
    as every event before meant), who recorded them (null: not known) and, for a superseded event, its successor
    (null). Nothing changes meaning."""
    table = document.get(TABLE)
    if not isinstance(table, dict):
        raise DatabaseError(f"the table '{TABLE}' is not an object of documents keyed by document id")
    upgraded: dict[str, Any] = {}
    for key, record in table.items():
        if isinstance(record, dict):
            record = {"kind": None, "weight": 1, **record}
            if isinstance(record.get("history"), list):  # one it lacks stays lacking, to be named as such
                record["history"] = [
                    {"recorded_by": None, "actors": None, "by": None, **event} if isinstance(event, dict) else event
                    for event in record["history"]
                ]
        upgraded[key] = record
    return {**document, META: {META_DOCUMENT: {"schema_version": 3}}, TABLE: upgraded}


MIGRATIONS: dict[int, Callable[[dict[str, Any], Callable[[str], int]], dict[str, Any]]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
}


def upgrade(document: Any, origin: str, doc_id: Callable[[str], int]) -> tuple[dict[str, Any], int]:
    """The document at the current version, and the version it had; each migration in turn."""
    version = version_of(document, origin)
    found = version
    while version < CURRENT:
        try:
            document = MIGRATIONS[version](document, doc_id)
        except DatabaseError as error:
            raise DatabaseError(f"{origin} (schema version {version}) {error}") from None
        version += 1
    return document, found
