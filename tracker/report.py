"""Pure functions behind `tracker report`: the state as of a date, tallies, compliance scores, overdue and recent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

from tracker.model import (
    SCORES,
    SETTLED,
    Commitment,
    Status,
    Summary,
    history_pairs,
    latest_status,
    parse_date,
    summary_status_as_of,
)

RECENT_DAYS = 90
DUE_SOON_DAYS = 180


class Standing(NamedTuple):
    """One commitment as it stood on a date."""

    commitment: Summary
    status: Status


def standings(commitments: Iterable[Summary], as_of: str) -> list[Standing]:
    """Every commitment made on or before `as_of`, with its status on that date, rebuilt from its history."""
    return [
        Standing(c, summary_status_as_of(c, as_of) or Status.PENDING)
        for c in sorted(commitments, key=lambda c: c["id"])
        if c["made"] <= as_of
    ]


def score(statuses: Iterable[Status]) -> dict[str, Any]:
    """The G7/G20 Research Group's compliance score: mean of +1/0/-1 over assessed commitments, and as a percent.

    Pending commitments are not scored. With none assessed, mean and percent are None.
    """
    counts = Counter(statuses)
    assessed = sum(n for status, n in counts.items() if SCORES[status] is not None)
    if not assessed:
        return {"mean": None, "percent": None, "assessed": 0}
    mean = sum((SCORES[status] or 0) * n for status, n in counts.items()) / assessed
    return {"mean": round(mean, 4), "percent": round((mean + 1) / 2 * 100, 1), "assessed": assessed}


def tally(statuses: Iterable[Status]) -> dict[str, Any]:
    """How many commitments have each status, with their score."""
    return _tally(Counter(statuses))


def _tally(counts: Counter[Status]) -> dict[str, Any]:
    by_status = {status.value: counts[status] for status in Status}
    return {"total": sum(counts.values()), "by_status": by_status, "score": score(counts.elements())}


def _grouped(counts: Counter[tuple[str, Status]]) -> dict[str, dict[str, Any]]:
    """Tallies per group, from how many commitments each (group, status) pair has."""
    groups: dict[str, Counter[Status]] = {}
    for (key, status), count in counts.items():
        groups.setdefault(key, Counter())[status] += count
    return {key: _tally(groups[key]) for key in sorted(groups, key=str.casefold)}


def by_pillar(rows: Sequence[Standing]) -> dict[str, dict[str, Any]]:
    """Tallies per pillar."""
    return _grouped(Counter((row.commitment["pillar"], row.status) for row in rows))


def by_actor(rows: Sequence[Standing]) -> dict[str, dict[str, Any]]:
    """Tallies per actor; a commitment with two actors counts for each, actors matched case-insensitively (and
    named as first spelt)."""
    # Few commitments differ in their list of actors and status: count those pairs first, then share them out.
    combinations = Counter((tuple(row.commitment["actors"]), row.status) for row in rows)
    spelling: dict[str, str] = {}
    counts: Counter[tuple[str, Status]] = Counter()
    for (actors, status), count in combinations.items():
        for actor in actors:
            spelling.setdefault(actor.casefold(), actor)
        for key in dict.fromkeys(actor.casefold() for actor in actors):
            counts[(spelling[key], status)] += count
    return _grouped(counts)


def days_between(start: str, end: str) -> int:
    return (parse_date(end) - parse_date(start)).days


def shifted(day: str, days: int) -> str:
    """The date `days` days after `day` (before, if negative), held at 0001-01-01 and 9999-12-31 rather than
    overflowing, so that a report on any date a user can type has its windows."""
    start = parse_date(day)
    if days >= 0:
        return (start + timedelta(days=min(days, (date.max - start).days))).isoformat()
    return (start - timedelta(days=min(-days, (start - date.min).days))).isoformat()


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


def recent_window(as_of: str, days: int = RECENT_DAYS) -> tuple[str, str]:
    """The first and last dates of the recent-changes window: `days` days before `as_of`, up to `as_of`."""
    return shifted(as_of, -days), as_of


def recent(commitments: Iterable[Commitment], as_of: str, days: int = RECENT_DAYS) -> list[dict[str, Any]]:
    """Events of these commitments dated from `days` days before `as_of` up to and including it, newest first."""
    start, end = recent_window(as_of, days)
    events = [
        {
            "id": commitment["id"],
            "title": commitment["title"],
            "date": event["date"],
            "status": event["status"],
            "note": event["note"],
            "evidence": list(event["evidence"]),
        }
        for commitment in commitments
        if commitment["source"]["date"] <= as_of
        for event in commitment["history"]
        if start <= event["date"] <= end
    ]
    return sorted(events, key=lambda item: (item["date"], item["id"]), reverse=True)


def due_soon(rows: Sequence[Standing], as_of: str, days: int = DUE_SOON_DAYS) -> list[dict[str, Any]]:
    """Unsettled commitments due after `as_of` and within `days` days of it, soonest first."""
    end = shifted(as_of, days)
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


def build_report(
    commitments: Iterable[Summary], as_of: str, details: Callable[[list[str]], list[Commitment]]
) -> dict[str, Any]:
    """Every figure of `tracker report`, with the stable keys of its JSON form.

    `details` gives the full commitments for a list of ids: only those with events in the recent window are asked
    for, since only they need notes and evidence.
    """
    rows = standings(commitments, as_of)
    start, end = recent_window(as_of)
    active = [
        row.commitment["id"]
        for row in rows
        if row.commitment["last"] >= start and any(start <= day <= end for day, _ in history_pairs(row.commitment))
    ]
    statuses = [row.status for row in rows]
    overall = tally(statuses)
    return {
        "as_of": as_of,
        "total": overall["total"],
        "by_status": overall["by_status"],
        "score": overall["score"],
        "by_pillar": by_pillar(rows),
        "by_actor": by_actor(rows),
        "overdue": overdue(rows, as_of),
        "recent": recent(details(active), as_of) if active else [],
        "due_soon": due_soon(rows, as_of),
    }


def log_candidates(
    commitments: Iterable[Summary], since: str | None, until: str | None, statuses: Sequence[Status] | None
) -> list[str]:
    """The ids of the commitments with at least one event that `event_log` would list, from their summaries alone,
    so that only those are read whole."""
    wanted = {status.value for status in statuses} if statuses else None
    return [
        c["id"]
        for c in commitments
        if any(
            (since is None or since <= day) and (until is None or day <= until) and (wanted is None or status in wanted)
            for day, status in history_pairs(c)
        )
    ]


def event_log(
    commitments: Iterable[Commitment],
    since: str | None = None,
    until: str | None = None,
    statuses: Sequence[Status] | None = None,
) -> list[dict[str, Any]]:
    """Every event of these commitments dated from `since` to `until` (both included; None: no bound) whose status
    is one of `statuses` (None: any), newest first: by date, then the later recorded first (by `recorded_at`, then
    by place in the commitment's history), then by id.

    `from` is the status the commitment had just before the event on its timeline, by the rules of `status_as_of`:
    the status of the latest earlier-dated event or, on the same date, of the event recorded before it; None for
    the commitment's first event. `change` says it in words: `new`, `note` (the status stays) or `from -> to`.
    """
    wanted = {status.value for status in statuses} if statuses else None
    entries: list[tuple[int, dict[str, Any]]] = []
    for commitment in commitments:
        history = commitment["history"]
        for place, event in enumerate(history):
            on = event["date"]
            if (since is not None and on < since) or (until is not None and on > until):
                continue
            if wanted is not None and event["status"] not in wanted:
                continue
            earlier = [
                (other["date"], other["status"])
                for number, other in enumerate(history)
                if other["date"] < on or (other["date"] == on and number < place)
            ]
            before = latest_status(earlier)
            if before is None:
                change = "new"
            elif before.value == event["status"]:
                change = "note"
            else:
                change = f"{before.value} -> {event['status']}"
            entry: dict[str, Any] = {
                "id": commitment["id"],
                "date": on,
                "from": None if before is None else before.value,
                "status": event["status"],
                "change": change,
                "note": event["note"],
                "evidence": list(event["evidence"]),
                "recorded_at": event["recorded_at"],
            }
            entries.append((place, entry))
    entries.sort(key=lambda pair: pair[1]["id"])
    entries.sort(key=lambda pair: (pair[1]["date"], pair[1]["recorded_at"], pair[0]), reverse=True)
    return [entry for _, entry in entries]
