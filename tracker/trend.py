"""Compliance over time: at the end of each month, quarter or year, the status tallies and the score that
`report --as-of` gives on that date, rebuilt in one pass over every commitment's events."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any, NamedTuple

from tracker.model import (
    SCORES,
    Kind,
    Status,
    Summary,
    actor_key,
    parse_date,
)
from tracker.report import cell, score_figures


class Every(StrEnum):
    """The length of a period of `tracker trend`."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Point(NamedTuple):
    """One period: its label (`2021-06`, `2021-Q2`, `2021`) and the date the state is taken on, its last day (or
    the end of the series, for a period that ends after it)."""

    period: str
    on: str


def _last_day(year: int, month: int) -> date:
    """The last day of `month` in `year`."""
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def points(start: str, end: str, every: Every = Every.MONTH) -> list[Point]:
    """A point for every period from the one holding `start` to the one holding `end` (both YYYY-MM-DD, `start` on
    or before `end`), each taken on its last day or on `end`, whichever is earlier."""
    first, last = parse_date(start), parse_date(end)
    step = {Every.MONTH: 1, Every.QUARTER: 3, Every.YEAR: 12}[every]
    year, month = first.year, first.month
    month = (month - 1) // step * step + 1  # the first month of the period holding `start`
    found = []
    while (year, month) <= (last.year, last.month):
        closing = _last_day(year, month + step - 1)
        label = {
            Every.MONTH: f"{year:04d}-{month:02d}",
            Every.QUARTER: f"{year:04d}-Q{(month - 1) // 3 + 1}",
            Every.YEAR: f"{year:04d}",
        }[every]
        found.append(Point(label, min(closing, last).isoformat()))
        month += step
        if month > 12:
            year, month = year + 1, month - 12
    return found


_RANK = {status.value: rank for rank, status in enumerate(Status)}
_REQUEST = Kind.REQUEST.value
_STATUS_SCORE = {status.value: SCORES[status] for status in Status}


# What a commitment adds to a period's figures: its status (a rank in Status) and its score as a fraction,
# numerator over denominator (0 over 0 where it is not scored); plain tuples, since there are millions of them.
_State = tuple[int, int, int]


def _state(statuses: Iterable[Status | None], status: Status) -> _State:
    """A commitment's contribution: `status`, and the mean of the actors' cells (`statuses`) that count."""
    scores = [score for actor_status in statuses if (score := cell(actor_status)) is not None]
    return _RANK[status.value], sum(scores), len(scores)


def _timeline(summary: Summary, known_on: str | None, wanted: str | None) -> list[tuple[str, _State]]:
    """When the commitment's contribution changes: (first date, state) from its source date on, as `standings` and
    `report --as-of` see it on each date (`wanted`: the `actor_key` of the one actor scored). A request is counted,
    never scored (see `report.scored`)."""
    made = summary["made"]
    scored = summary["kind"] != _REQUEST
    items = summary["history"].split(";")  # "date status recorded", in recorded order (see Summary)
    if known_on is not None:
        items = [item for item in items if item[-10:] <= known_on]
    if summary["assessed"] is None:
        # Every event assesses every actor, so each actor's status is the commitment's, and so is the mean of
        # their cells. On the date of an event, the status is that of the last recorded event of that date (no
        # later date counts yet): so the timeline is each date's last status, in date order.
        party = scored and (wanted is None or any(actor_key(name) == wanted for name in summary["actors"]))
        last_of_day: dict[str, str] = {}
        for item in items:
            last_of_day[item[:10]] = item[11:-11]
        if made not in last_of_day:
            last_of_day[made] = Status.PENDING.value  # no event on the source date (possible with --known-on)
        changes = []
        for day in sorted(last_of_day):
            status = last_of_day[day]
            score = _STATUS_SCORE[status] if party else None
            changes.append((day, (_RANK[status], score or 0, 0 if score is None else 1)))
        return changes  # no event is dated before its source date: every record is checked for it
    # Events name actors. The days are taken in order, and on each the events of that day in recorded order: each
    # becomes the latest event of the commitment and of every actor it assesses (a later day always does, and on
    # one day a later-recorded event), so each day's state is what `summary_status_as_of` and `actor_statuses`
    # give for it, in one pass over the events rather than one for each day.
    names = {actor_key(actor): actor for actor in summary["actors"]}
    counted = names if wanted is None else {key: name for key, name in names.items() if key == wanted}
    of_day: dict[str, list[tuple[str, list[str] | None]]] = {}
    for item, actors in zip(summary["history"].split(";"), summary["assessed"] or (), strict=True):
        if known_on is None or item[-10:] <= known_on:
            of_day.setdefault(item[:10], []).append((item[11:-11], actors))
    latest: dict[str, str] = {}  # each actor's status (by its key), from its latest event so far
    status = Status.PENDING.value  # the commitment's, from its latest event so far (none: pending)
    event_days = sorted(of_day)
    taken = 0
    changes = []
    for day in sorted({made, *(event_day for event_day in event_days if event_day > made)}):
        while taken < len(event_days) and event_days[taken] <= day:
            for status, actors in of_day[event_days[taken]]:
                for key in names if actors is None else [key for key in map(actor_key, actors) if key in names]:
                    latest[key] = status
            taken += 1
        if not scored:
            changes.append((day, (_RANK[status], 0, 0)))
            continue
        statuses = [Status(latest[key]) if key in latest else None for key in counted]
        changes.append((day, _state(statuses, Status(status))))
    return changes


def trend(
    summaries: Iterable[Summary], series: Sequence[Point], known_on: str | None = None, actor: str | None = None
) -> list[dict[str, Any]]:
    """For each point of `series`, the figures `report --as-of` gives on its date: how many commitments, how many
    of each status, and the compliance score (the mean of the commitments' scores, each the mean of its actors'
    cells; with `actor`, the mean of that actor's cells, as the report's by-actor figure). Events recorded after
    `known_on` are left out, as `--known-on` does.

    One pass over the events: each commitment adds its state to the periods from the one it starts in to the one
    it changes in (as differences, summed once at the end), so the cost grows with events plus periods, not with
    their product. Sums are kept exact, as integers over each denominator, so no rounding order can differ from
    the report's figures."""
    ends = [point.on for point in series]
    size = len(ends)
    counts = [[0] * (size + 1) for _ in Status]
    assessed = [0] * (size + 1)
    sums: dict[int, list[int]] = {}
    wanted = actor_key(actor) if actor is not None else None
    for summary in summaries:
        if known_on is not None and summary["history"].split(";", 1)[0][-10:] > known_on:
            continue  # its first event (the statement) was not recorded yet then: the report leaves it out
        changes = _timeline(summary, known_on, wanted)
        low = bisect_left(ends, changes[0][0])
        for number, (_, (rank, numerator, denominator)) in enumerate(changes):
            high = bisect_left(ends, changes[number + 1][0]) if number + 1 < len(changes) else size
            if low < high:
                counts[rank][low] += 1
                counts[rank][high] -= 1
                if denominator:
                    assessed[low] += 1
                    assessed[high] -= 1
                    column = sums.get(denominator) or sums.setdefault(denominator, [0] * (size + 1))
                    column[low] += numerator
                    column[high] -= numerator
            low = high
    running_counts = [0] * len(counts)
    running_assessed = 0
    running_sums = dict.fromkeys(sums, 0)
    figures = []
    for position, point in enumerate(series):
        for rank, column in enumerate(counts):
            running_counts[rank] += column[position]
        running_assessed += assessed[position]
        for denominator, column in sums.items():
            running_sums[denominator] += column[position]
        by_status = {status.value: running_counts[rank] for rank, status in enumerate(Status)}
        figures.append(
            {
                "period": point.period,
                "date": point.on,
                "total": sum(running_counts),
                "by_status": by_status,
                "score": _score(running_sums, running_assessed),
            }
        )
    return figures


def _score(sums: dict[int, int], assessed: int) -> dict[str, Any]:
    """The mean score, as `report.mean_score` gives it, from exact sums."""
    if not assessed:
        return score_figures(None, 0)
    mean = float(sum((Fraction(total, denominator) for denominator, total in sums.items()), Fraction(0)) / assessed)
    return score_figures(mean, assessed)


def trend_document(
    figures: list[dict[str, Any]], every: str, start: str, end: str, known_on: str | None, filters: dict[str, Any]
) -> dict[str, Any]:
    """The series with what it was taken over, as `trend --format json` prints it."""
    return {"every": every, "from": start, "to": end, "known_on": known_on, **filters, "points": figures}
