"""Pure functions behind `tracker report`: the state as of a date, tallies, compliance scores, overdue and recent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tracker.model import SCORES, SETTLED, Commitment, Status, parse_date, status_as_of

RECENT_DAYS = 90
DUE_SOON_DAYS = 180


@dataclass(frozen=True)
class Standing:
    """One commitment as it stood on a date."""

    commitment: Commitment
    status: Status


def standings(commitments: Iterable[Commitment], as_of: str) -> list[Standing]:
    """Every commitment made on or before `as_of`, with its status on that date, rebuilt from its history."""
    return [
        Standing(c, status_as_of(c["history"], as_of) or Status.PENDING)
        for c in sorted(commitments, key=lambda c: c["id"])
        if c["source"]["date"] <= as_of
    ]


def score(statuses: Iterable[Status]) -> dict[str, Any]:
    """The G7/G20 Research Group's compliance score: mean of +1/0/-1 over assessed commitments, and as a percent.

    Pending commitments are not scored. With none assessed, mean and percent are None.
    """
    scores = [value for value in (SCORES[s] for s in statuses) if value is not None]
    if not scores:
        return {"mean": None, "percent": None, "assessed": 0}
    mean = sum(scores) / len(scores)
    return {"mean": round(mean, 4), "percent": round((mean + 1) / 2 * 100, 1), "assessed": len(scores)}


def tally(statuses: Sequence[Status]) -> dict[str, Any]:
    """How many commitments have each status, with their score."""
    by_status = {status.value: 0 for status in Status}
    for status in statuses:
        by_status[status.value] += 1
    return {"total": len(statuses), "by_status": by_status, "score": score(statuses)}


def _grouped(items: Iterable[tuple[str, Status]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Status]] = {}
    for key, status in items:
        groups.setdefault(key, []).append(status)
    return {key: tally(groups[key]) for key in sorted(groups, key=str.casefold)}


def by_actor(rows: Sequence[Standing]) -> dict[str, dict[str, Any]]:
    """Tallies per actor; a commitment with two actors counts for each, actors matched case-insensitively."""
    spelling: dict[str, str] = {}
    for row in rows:
        for actor in row.commitment["actors"]:
            spelling.setdefault(actor.casefold(), actor)
    return _grouped(
        (spelling[actor.casefold()], row.status)
        for row in rows
        for actor in {a.casefold(): a for a in row.commitment["actors"]}.values()
    )


def days_between(start: str, end: str) -> int:
    return (parse_date(end) - parse_date(start)).days


def overdue(rows: Sequence[Standing], as_of: str) -> list[dict[str, Any]]:
    """Commitments due before `as_of` and neither fulfilled nor broken then, the most overdue first."""
    late = [
        {
            "id": row.commitment["id"],
            "title": row.commitment["title"],
            "due": row.commitment["due"],
            "days_overdue": days_between(row.commitment["due"], as_of),
            "status": row.status.value,
        }
        for row in rows
        if row.commitment["due"] is not None and row.commitment["due"] < as_of and row.status not in SETTLED
    ]
    return sorted(late, key=lambda item: (-item["days_overdue"], item["id"]))


def recent(rows: Sequence[Standing], as_of: str, days: int = RECENT_DAYS) -> list[dict[str, Any]]:
    """Events dated from `days` days before `as_of` up to and including it, newest first."""
    start = (parse_date(as_of) - timedelta(days=days)).isoformat()
    events = [
        {
            "id": row.commitment["id"],
            "title": row.commitment["title"],
            "date": event["date"],
            "status": event["status"],
            "note": event["note"],
            "evidence": list(event["evidence"]),
        }
        for row in rows
        for event in row.commitment["history"]
        if start <= event["date"] <= as_of
    ]
    return sorted(events, key=lambda item: (item["date"], item["id"]), reverse=True)


def due_soon(rows: Sequence[Standing], as_of: str, days: int = DUE_SOON_DAYS) -> list[dict[str, Any]]:
    """Unsettled commitments due after `as_of` and within `days` days of it, soonest first."""
    end = (parse_date(as_of) + timedelta(days=days)).isoformat()
    soon = [
        {
            "id": row.commitment["id"],
            "title": row.commitment["title"],
            "due": row.commitment["due"],
            "days_left": days_between(as_of, row.commitment["due"]),
            "status": row.status.value,
        }
        for row in rows
        if row.commitment["due"] is not None and as_of <= row.commitment["due"] <= end and row.status not in SETTLED
    ]
    return sorted(soon, key=lambda item: (item["due"], item["id"]))


def build_report(commitments: Iterable[Commitment], as_of: str) -> dict[str, Any]:
    """Every figure of `tracker report`, with the stable keys of its JSON form."""
    rows = standings(commitments, as_of)
    statuses = [row.status for row in rows]
    overall = tally(statuses)
    return {
        "as_of": as_of,
        "total": overall["total"],
        "by_status": overall["by_status"],
        "score": overall["score"],
        "by_pillar": _grouped((row.commitment["pillar"], row.status) for row in rows),
        "by_actor": by_actor(rows),
        "overdue": overdue(rows, as_of),
        "recent": recent(rows, as_of),
        "due_soon": due_soon(rows, as_of),
    }
