"""Pure functions behind `tracker report`: the state as of a date, tallies, compliance scores, overdue and recent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from tracker.model import (
    SCORES,
    SETTLED,
    Commitment,
    Kind,
    Percent,
    Status,
    Summary,
    Unassessed,
    actor_key,
    actor_statuses,
    assessments,
    history_pairs,
    latest_event,
    latest_status,
    parse_date,
    recorded_dates,
    summary_status_as_of,
)

RECENT_DAYS = 90
DUE_SOON_DAYS = 180


class Standing(NamedTuple):
    """One commitment as it stood on a date: its status (its latest event's) and each actor's (None: not assessed
    by any event yet); whether it is scored at all (see `scored`) and its mean (see `commitment_mean`), worked out
    once."""

    commitment: Summary
    status: Status
    actors: dict[str, Status | None]
    scored: bool
    mean: float | None


def standings(commitments: Iterable[Summary], as_of: str, known_on: str | None = None) -> list[Standing]:
    """Every commitment made on or before `as_of` (and, with `known_on`, recorded by then), with its status and
    each actor's status on that date, rebuilt from the events dated by `as_of` and recorded by `known_on`."""
    rows: list[Standing] = []
    append = rows.append
    for c in sorted(commitments, key=_BY_ID):
        if c["made"] > as_of or (known_on is not None and assessments(c)[0].recorded > known_on):
            continue
        if known_on is None and c["last"] <= as_of:  # every event counts: the summary has it all (a report today)
            status = _STATUSES[c["status"]]
            actors = {actor: None if each is None else _STATUSES[each] for actor, each in c["standing"].items()}
        else:
            status = summary_status_as_of(c, as_of, known_on) or _PENDING
            actors = actor_statuses(c, as_of, known_on)
        if c["kind"] == _REQUEST:
            append(Standing(c, status, actors, False, None))
            continue
        scores = [score for score in map(_SKIPPED.__getitem__, actors.values()) if score is not None]
        append(Standing(c, status, actors, True, sum(scores) / len(scores) if scores else None))
    return rows


_PENDING, _REQUEST = Status.PENDING, Kind.REQUEST.value
_BY_ID = itemgetter("id")
_STATUSES: dict[str | None, Status] = {status.value: status for status in Status}
# A status's text (None for none) by a lookup: an enum member's `.value` is a Python-level property, and a report
# of a hundred thousand commitments asks for it hundreds of thousands of times.
_TEXT: dict[Status | None, str | None] = {None: None, **{status: status.value for status in Status}}
_TEXT_OF_STATUS: dict[Status, str] = {status: status.value for status in Status}


# --- scores, as the G7 Research Group computes them -----------------------------------------------------------


def cell(status: Status | None, unassessed: Unassessed = Unassessed.SKIP) -> int | None:
    """An actor's score on a commitment: +1, 0 or -1; None where it does not count (lapsed, superseded, or not
    assessed yet and `unassessed` is skip)."""
    if status is None or status is _PENDING:
        return _UNASSESSED[unassessed]
    return SCORES[status]


_UNASSESSED: dict[Unassessed, int | None] = {Unassessed.SKIP: None, Unassessed.ZERO: 0, Unassessed.MINUS_ONE: -1}
_SKIPPED: dict[Status | None, int | None] = {None: None, **{status: cell(status) for status in Status}}  # cell()'s


def rounded(value: float, digits: int) -> float:
    """`value` rounded to `digits` places, and never -0.0: a mean a hair below zero is shown as 0, not -0."""
    return round(value, digits) + 0.0


def percent(mean: float, convention: Percent = Percent.G20) -> float:
    """A mean score as a percentage, by `convention`."""
    return rounded((mean + 1) / 2 * 100 if convention is Percent.G20 else mean * 100, 1)


def score_figures(mean: float | None, assessed: int, convention: Percent = Percent.G20) -> dict[str, Any]:
    """A score as every report gives it: the mean (to four places), as a percentage by `convention`, and how many
    scores it is the mean of; mean and percent None where there is none (`mean` None)."""
    if mean is None:
        return {"mean": None, "percent": None, "assessed": 0}
    return {"mean": rounded(mean, 4), "percent": percent(mean, convention), "assessed": assessed}


def mean_score(
    scores: Iterable[tuple[float, float]], convention: Percent = Percent.G20, weighted: bool = False
) -> dict[str, Any]:
    """The mean of (score, weight) pairs (weights used only if `weighted`), as a percentage too, and how many were
    counted; mean and percent None when none was."""
    pairs = list(scores)
    if not pairs:
        return score_figures(None, 0)
    if weighted:
        mean = sum(score * weight for score, weight in pairs) / sum(map(_WEIGHT, pairs))
    else:  # added in C, in the same order: the same sum to the bit
        mean = sum(map(_SCORE, pairs)) / len(pairs)
    return score_figures(mean, len(pairs), convention)


_SCORE, _WEIGHT = itemgetter(0), itemgetter(1)


def scored(row: Standing) -> bool:
    """Whether a commitment is scored at all: a request commits the party asked to nothing, so it is tracked (did
    the party act?) but, as the G7 Research Group scores only commitments, never scored."""
    return row.scored


def commitment_mean(row: Standing, unassessed: Unassessed = Unassessed.SKIP) -> float | None:
    """A commitment's score: the mean of its actors' scores, actors that do not count left out; None for a
    request."""
    if unassessed is Unassessed.SKIP or not row.scored:
        return row.mean
    scores = [score for status in row.actors.values() if (score := cell(status, unassessed)) is not None]
    return sum(scores) / len(scores) if scores else None


def _scored(rows: Iterable[Standing], unassessed: Unassessed, convention: Percent, weighted: bool) -> dict[str, Any]:
    means = ((mean, row.commitment["weight"]) for row in rows if (mean := commitment_mean(row, unassessed)) is not None)
    return mean_score(means, convention, weighted)


def score(statuses: Iterable[Status]) -> dict[str, Any]:
    """The G7/G20 Research Group's compliance score: mean of +1/0/-1 over assessed commitments, and as a percent.

    Pending commitments are not scored. With none assessed, mean and percent are None.
    """
    counts = Counter(statuses)
    assessed = sum(n for status, n in counts.items() if SCORES[status] is not None)
    if not assessed:
        return score_figures(None, 0)
    return score_figures(sum((SCORES[status] or 0) * n for status, n in counts.items()) / assessed, assessed)


# The figures of a report, one function each, as they are defined: `build_report` works them all out in one pass
# over the commitments, and tests/test_report.py holds it to these on every date and date of knowledge.


def tally(statuses: Iterable[Status]) -> dict[str, Any]:
    """How many commitments have each status, with their score."""
    return _tally(Counter(statuses))


def _tally(counts: Counter[Status]) -> dict[str, Any]:
    by_status = {status.value: counts[status] for status in Status}
    return {"total": sum(counts.values()), "by_status": by_status, "score": score(counts.elements())}


def by_pillar(rows: Sequence[Standing]) -> dict[str, dict[str, Any]]:
    """Per pillar: how many commitments, and the mean of their scores."""
    groups: dict[str, list[Standing]] = {}
    for row in rows:
        groups.setdefault(row.commitment["pillar"], []).append(row)
    return {
        pillar: {"total": len(group), "score": _scored(group, Unassessed.SKIP, Percent.G20, False)}
        for pillar, group in sorted(groups.items())
    }


def by_actor(rows: Sequence[Standing]) -> dict[str, dict[str, Any]]:
    """Per actor: how many commitments it is party to, and the mean of its own scores on them (an actor's status on
    a commitment is that of the latest event that assesses it). Actors are matched in any case, named as first
    spelt."""
    spelling: dict[str, str] = {}
    scores: dict[str, list[tuple[float, float]]] = {}
    totals: Counter[str] = Counter()
    for row in rows:
        for actor, status in row.actors.items():
            key = spelling.setdefault(actor_key(actor), actor)
            totals[key] += 1
            if row.scored and (score := cell(status)) is not None:
                scores.setdefault(key, []).append((score, 1))
    return {
        actor: {"total": totals[actor], "score": mean_score(scores.get(actor, []))}
        for actor in sorted(totals, key=str.casefold)
    }


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


def recent(
    commitments: Iterable[Commitment], as_of: str, days: int = RECENT_DAYS, known_on: str | None = None
) -> list[dict[str, Any]]:
    """Events of these commitments dated from `days` days before `as_of` up to and including it (and recorded by
    `known_on`), newest first."""
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
        if start <= event["date"] <= end and (known_on is None or event["recorded_at"][:10] <= known_on)
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
    commitments: Iterable[Summary],
    as_of: str,
    details: Callable[[list[str]], Iterable[Commitment]],
    known_on: str | None = None,
) -> dict[str, Any]:
    """Every figure of `tracker report`, with the stable keys of its JSON form.

    `details` gives the full commitments for a list of ids, in that order: those with events in the recent window,
    for the recent notes and evidence, and those whose latest event on the date (or known on `known_on`) is not
    their latest of all, for the rationale of the per-commitment table (the summaries hold the latest one's).

    The figures are those of `tally`, `by_pillar`, `by_actor`, `overdue`, `due_soon` and `commitment_row` over
    `standings`, worked out in one pass over the commitments (a report may have a hundred thousand): `report_part`
    over them all, then `merge_report`. Worked out over consecutive parts of the commitments in id order, one
    `report_part` each (in other processes, say), `merge_report` gives the same figures to the byte.
    """
    return merge_report([report_part(commitments, as_of, known_on)], as_of, details, known_on)


def report_part(commitments: Iterable[Summary], as_of: str, known_on: str | None = None) -> dict[str, Any]:
    """What one part of the commitments adds to a report (see `build_report`), in values `marshal` can write: the
    commitments of a part are consecutive in id order (they are sorted by id here)."""
    rows = standings(commitments, as_of, known_on)
    start, end = recent_window(as_of)
    soon = shifted(as_of, DUE_SOON_DAYS)
    day = parse_date(as_of)
    dates: dict[str, date] = {}  # each due date parsed once
    counts = dict.fromkeys(_TEXT_OF_STATUS.values(), 0)
    means: list[tuple[float, float]] = []  # (mean, weight) of each scored commitment, in the order of the rows
    pillars: dict[str, tuple[list[int], list[tuple[float, float]]]] = {}  # its total (in a list) and its means
    spelling: dict[str, str] = {}  # an actor's key (see `actor_key`): the name it was first spelt with
    keys: dict[str, str] = {}  # each spelling met: its actor's key
    actor_scores: dict[str, list[int]] = {}  # by actor's key: the sum of its scores (+1, 0, -1) and their count
    totals: dict[str, int] = {}  # by actor's key
    late: list[dict[str, Any]] = []
    coming: list[dict[str, Any]] = []
    active: list[str] = []
    documents: set[str] = set()  # each source's date (ten characters) and document, joined: they sort as the pairs
    table: list[dict[str, Any]] = []
    earlier: list[tuple[int, str, int]] = []  # rows whose rationale is an earlier event's: (place, id, event)
    today = known_on is None
    for row in rows:
        c, status, mean = row.commitment, row.status, row.mean
        counts[_TEXT_OF_STATUS[status]] += 1
        pillar = c["pillar"]
        group = pillars.get(pillar)
        if group is None:
            group = pillars[pillar] = ([0], [])
        group[0][0] += 1
        if mean is not None:
            pair = (mean, c["weight"])
            means.append(pair)
            group[1].append(pair)
        for actor, each in row.actors.items():
            key = keys.get(actor)
            if key is None:  # a spelling not met before
                key = keys[actor] = actor_key(actor)
                spelling.setdefault(key, actor)
            totals[key] = totals.get(key, 0) + 1
            if row.scored and (score := _SKIPPED[each]) is not None:
                held = actor_scores.get(key)
                if held is None:
                    held = actor_scores[key] = [0, 0]
                held[0] += score
                held[1] += 1
        due = c["due"]
        if due is not None and status not in SETTLED and due <= soon:
            when = dates.get(due)
            if when is None:
                when = dates[due] = parse_date(due)
            if due < as_of:
                late.append(
                    {
                        "id": c["id"],
                        "title": c["title"],
                        "due": due,
                        "days_overdue": (day - when).days,
                        "status": _TEXT[status],
                    }
                )
            else:
                coming.append(
                    {
                        "id": c["id"],
                        "title": c["title"],
                        "due": due,
                        "days_left": (when - day).days,
                        "status": _TEXT[status],
                    }
                )
        last = c["last"]
        if last >= start and any(start <= pair[0] <= end for pair in history_pairs(c)):
            active.append(c["id"])
        documents.add(c["made"] + c["source_document"])
        if today and last <= as_of:  # the latest event on the date is the latest of all: the summary has it
            table.append(commitment_row(row, (last, c["rationale"], c["evidence"])))
            continue
        dated = recorded_dates(c)
        on_the_date = latest_event(dated, as_of, known_on)
        if on_the_date >= 0 and on_the_date == latest_event(dated):
            table.append(commitment_row(row, (last, c["rationale"], c["evidence"])))
        elif on_the_date < 0:
            table.append(commitment_row(row, None))
        else:  # its date, note and evidence are filled in by `merge_report`, from the commitment itself
            earlier.append((len(table), c["id"], on_the_date))
            table.append(commitment_row(row, None))
    return {
        "total": len(rows),
        "counts": counts,
        "means": means,
        "pillars": pillars,
        "spelling": spelling,
        "totals": totals,
        "actor_scores": actor_scores,
        "overdue": late,
        "due_soon": coming,
        "active": active,
        "documents": sorted(documents),
        "first": min((row.commitment["made"] for row in rows), default=None),
        "table": table,
        "earlier": earlier,
    }


def merge_report(
    parts: Sequence[dict[str, Any]],
    as_of: str,
    details: Callable[[list[str]], Iterable[Commitment]],
    known_on: str | None = None,
) -> dict[str, Any]:
    """The figures of a report (see `build_report`) from the `report_part` of each part of the commitments, the
    parts in id order."""
    counts = dict.fromkeys(_TEXT_OF_STATUS.values(), 0)
    means: list[tuple[float, float]] = []
    pillars: dict[str, tuple[list[int], list[tuple[float, float]]]] = {}
    spelling: dict[str, str] = {}
    totals: dict[str, int] = {}
    actor_scores: dict[str, list[int]] = {}
    late: list[dict[str, Any]] = []
    coming: list[dict[str, Any]] = []
    active: list[str] = []
    documents: list[str] = []
    table: list[dict[str, Any]] = []
    earlier: list[tuple[int, str, int]] = []
    for part in parts:
        for text, number in part["counts"].items():
            counts[text] += number
        means += part["means"]
        for pillar, (total, scores) in part["pillars"].items():
            group = pillars.setdefault(pillar, ([0], []))
            group[0][0] += total[0]
            group[1].extend(scores)
        for key, name in part["spelling"].items():
            spelling.setdefault(key, name)  # the name the actor was first spelt with, in id order
        for key, number in part["totals"].items():
            totals[key] = totals.get(key, 0) + number
        for key, (total, count) in part["actor_scores"].items():
            held = actor_scores.setdefault(key, [0, 0])
            held[0] += total
            held[1] += count
        late += part["overdue"]
        coming += part["due_soon"]
        active += part["active"]
        documents += part["documents"]  # each part's sorted: the sort below merges them
        earlier += [(place + len(table), cid, number) for place, cid, number in part["earlier"]]
        table += part["table"]
    # Sorted as `overdue` and `due_soon` sort: the rows are in the order of their ids, and a sort (reversed or not)
    # is stable, so the ids stay in order within a day.
    late.sort(key=_DAYS_OVERDUE, reverse=True)
    coming.sort(key=_DUE)
    recent_events = recent(details(active), as_of, known_on=known_on) if active else []
    if earlier:
        events = {each["id"]: each["history"] for each in details([cid for _, cid, _ in earlier])}
        for place, cid, number in earlier:
            event = events[cid][number]
            table[place] = {
                **table[place],
                "assessed_on": event["date"],
                "rationale": event["note"],
                "evidence": list(event["evidence"]),
            }
    names = {key: spelling[key] for key in totals}
    firsts = [part["first"] for part in parts if part["first"] is not None]
    return {
        "as_of": as_of,
        "known_on": known_on,
        "total": sum(part["total"] for part in parts),
        "by_status": counts,
        "score": mean_score(means),
        "by_pillar": {
            pillar: {"total": total[0], "score": mean_score(scores)}
            for pillar, (total, scores) in sorted(pillars.items())
        },
        "by_actor": {
            names[key]: {"total": totals[key], "score": _integer_mean(*actor_scores.get(key, (0, 0)))}
            for key in sorted(totals, key=lambda key: names[key].casefold())
        },
        "overdue": late,
        "recent": recent_events,
        "due_soon": coming,
        "period": {"from": min(firsts, default=None), "to": as_of},
        "sources": [{"date": source[:10], "document": source[10:]} for source, _ in groupby(sorted(documents))],
        "commitments": table,
    }


def _integer_mean(total: int, count: int) -> dict[str, Any]:
    """`mean_score` of `count` unweighted scores of +1, 0 or -1 that add up to `total` (integers: their sum is
    exact in any order)."""
    return score_figures(total / count if count else None, count)


_DAYS_OVERDUE = itemgetter("days_overdue")
_DUE = itemgetter("due")


def commitment_row(row: Standing, latest: tuple[str, str, list[str]] | None) -> dict[str, Any]:
    """The per-commitment table's row for one commitment: each actor's status and score on the date, the
    commitment's score, and the date, note and evidence of `latest`, the latest event that set a status (by date,
    then by recording order; dated by the report's date and recorded by its `known_on`: see `latest_event`)."""
    mean, status, scored = row.mean, row.status, row.scored
    return {
        "id": row.commitment["id"],
        "title": row.commitment["title"],
        "kind": row.commitment["kind"],
        "weight": row.commitment["weight"],
        "status": _TEXT[status],
        "actors": {
            actor: {"status": _TEXT[each], "score": _SKIPPED[each] if scored else None}
            for actor, each in row.actors.items()
        },
        "score": None if mean is None else rounded(mean, 4),
        "assessed_on": latest[0] if latest else None,
        "rationale": latest[1] if latest else "",
        "evidence": list(latest[2]) if latest else [],
        "superseded_by": row.commitment["superseded_by"] if status is Status.SUPERSEDED else None,
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
                "recorded_by": event["recorded_by"],
                "actors": event["actors"],
            }
            entries.append((place, entry))
    entries.sort(key=lambda pair: pair[1]["id"])
    entries.sort(key=lambda pair: (pair[1]["date"], pair[1]["recorded_at"], pair[0]), reverse=True)
    return [entry for _, entry in entries]


# --- the scorecard: commitments by actors ---------------------------------------------------------------------


def scorecard(
    commitments: Iterable[Summary],
    as_of: str,
    known_on: str | None = None,
    actors: Sequence[str] = (),
    unassessed: Unassessed = Unassessed.SKIP,
    weighted: bool = False,
    convention: Percent = Percent.G20,
) -> dict[str, Any]:
    """The G7 Research Group's compliance matrix: a row for each commitment, a column for each actor, each cell +1, 0
    or -1 (None where it does not count), with the mean of each row (over its actors), of each column (over the
    commitments its actor is party to) and overall (the mean of the row means), each also as a percentage.

    `actors` limits the columns to those actors (and the rows to the commitments they are party to); by default
    every actor has a column, in the order first met. With `weighted`, commitments count by their weight.
    """
    rows = standings(commitments, as_of, known_on)
    wanted = list(dict.fromkeys(actor_key(actor) for actor in actors))  # an actor named twice has one column
    spelling: dict[str, str] = {}
    for row in rows:
        for actor in row.actors:
            spelling.setdefault(actor_key(actor), actor)
    keys = [key for key in wanted if key in spelling] if wanted else sorted(spelling, key=lambda k: spelling[k])
    columns = [spelling[key] for key in keys]
    table = []
    column_scores: dict[str, list[tuple[float, float]]] = {key: [] for key in keys}
    row_means: list[tuple[float, float]] = []
    for row in rows:
        statuses = {actor_key(actor): status for actor, status in row.actors.items()}
        if not any(key in statuses for key in keys):
            continue
        weight = row.commitment["weight"]
        cells: dict[str, dict[str, Any] | None] = {}
        scores = []
        for key, name in zip(keys, columns, strict=True):
            if key not in statuses:
                cells[name] = None  # not party to it
                continue
            status = statuses[key]
            score = cell(status, unassessed) if scored(row) else None
            cells[name] = {"status": _TEXT[status], "score": score, "request": not scored(row)}
            if score is not None:
                scores.append(score)
                column_scores[key].append((score, weight))
        mean = sum(scores) / len(scores) if scores else None
        if mean is not None:
            row_means.append((mean, weight))
        table.append(
            {
                "id": row.commitment["id"],
                "title": row.commitment["title"],
                "kind": row.commitment["kind"],
                "weight": weight,
                "cells": cells,
                **mean_score([(mean, weight)] if mean is not None else [], convention),
            }
        )
    for entry in table:
        del entry["assessed"]
    return {
        "as_of": as_of,
        "known_on": known_on,
        "percent_convention": convention.value,
        "weighted": weighted,
        "unassessed": unassessed.value,
        "actors": columns,
        "rows": table,
        "columns": {
            name: mean_score(column_scores[key], convention, weighted) for key, name in zip(keys, columns, strict=True)
        },
        "overall": mean_score(row_means, convention, weighted),
    }


# --- the register of sources ----------------------------------------------------------------------------------


def source_figures(
    commitments: Iterable[Summary], bundled: Iterable[str], registered: Iterable[str], as_of: str
) -> list[dict[str, Any]]:
    """One row per source text: each bundled file, each registered file, and each file that a commitment cites but
    neither holds (`where`: bundled, register or missing; a registered file of a bundled file's name is the
    register's, as `show --source` reads it first). Each row has the document and date its commitments cite (the
    most common; for a registered file none cites, those its name gives), how many commitments cite it, and their
    compliance score on `as_of` (the mean of each commitment's mean over its actors, as `report` scores)."""
    citing: dict[str, list[Summary]] = {}
    for summary in commitments:
        if summary["source_file"] is not None:
            citing.setdefault(summary["source_file"], []).append(summary)
    where = dict.fromkeys(bundled, "bundled") | dict.fromkeys(registered, "register")
    where |= {name: "missing" for name in citing if name not in where}
    rows = []
    for name, place in sorted(where.items(), key=lambda item: (item[1] == "missing", item[0])):
        group = citing.get(name, [])
        documents = Counter(summary["source_document"] for summary in group)
        dates = Counter(summary["made"] for summary in group)
        scored = standings(group, as_of)
        means = ((mean, row.commitment["weight"]) for row in scored if (mean := commitment_mean(row)) is not None)
        rows.append(
            {
                "file": name,
                "where": place,
                "document": documents.most_common(1)[0][0] if documents else None,
                "date": dates.most_common(1)[0][0] if dates else (name[:10] if place == "register" else None),
                "commitments": len(group),
                "score": mean_score(means),
            }
        )
    return rows
