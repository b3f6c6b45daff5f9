"""The vocabulary of the domain: statuses, pillars, commitments and their events, and the rules that keep them valid."""

from __future__ import annotations

import difflib
import itertools
import math
import operator
import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple, TypedDict, TypeGuard

from tracker.errors import AmbiguousIdError, InvalidInputError, NotFoundError, RecordProblems, UsageProblem


class Status(StrEnum):
    """Where a commitment stands: PolitiFact's vocabulary, scored as the G7/G20 Research Group does."""

    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    STALLED = "stalled"
    PARTIAL = "partial"
    FULFILLED = "fulfilled"
    BROKEN = "broken"
    LAPSED = "lapsed"
    SUPERSEDED = "superseded"


# The G7/G20 Research Group's compliance score. A pending commitment is counted but not scored; nor are the two final
# statuses that take a commitment out of assessment: lapsed (moot, overtaken by events) and superseded (replaced by a
# later commitment).
SCORES: dict[Status, int | None] = {
    Status.PENDING: None,
    Status.IN_PROGRESS: 0,
    Status.STALLED: -1,
    Status.PARTIAL: 0,
    Status.FULFILLED: 1,
    Status.BROKEN: -1,
    Status.LAPSED: None,
    Status.SUPERSEDED: None,
}

# PolitiFact's name for each status, shown in the README and `tracker statuses`.
POLITIFACT: dict[Status, str] = {
    Status.PENDING: "Not Yet Rated",
    Status.IN_PROGRESS: "In the Works",
    Status.STALLED: "Stalled",
    Status.PARTIAL: "Compromise",
    Status.FULFILLED: "Promise Kept",
    Status.BROKEN: "Promise Broken",
    Status.LAPSED: "(no rating: moot)",
    Status.SUPERSEDED: "(no rating: replaced)",
}

# A commitment whose due date has passed is overdue unless it has reached one of these.
SETTLED = frozenset({Status.FULFILLED, Status.BROKEN, Status.LAPSED, Status.SUPERSEDED})


class Unassessed(StrEnum):
    """How an actor's cell that no event has assessed (or that is still pending) counts in a mean."""

    SKIP = "skip"  # left out
    ZERO = "zero"  # as 0
    MINUS_ONE = "minus-one"  # as -1: no action by the deadline counts against


class Percent(StrEnum):
    """The two percentage conventions of the literature."""

    G20 = "g20"  # (mean + 1) / 2 x 100, the G20 Research Group's
    MEAN = "mean"  # mean x 100, as older papers give it


class Kind(StrEnum):
    """What sort of statement a commitment is, by the G7 Research Group's coding discipline."""

    PLEDGE = "pledge"  # an actor says it will act
    AGREEMENT = "agreement"  # the parties agreed
    ASPIRATION = "aspiration"  # a stated hope or need
    REQUEST = "request"  # one party asks another
    CONTINUATION = "continuation"  # action already under way, said to continue


class Pillar(StrEnum):
    """The three ASEAN Community pillars, and one for commitments that span them."""

    POLITICAL_SECURITY = "political-security"
    ECONOMIC = "economic"
    SOCIO_CULTURAL = "socio-cultural"
    CROSS_CUTTING = "cross-cutting"


class Source(TypedDict):
    document: str
    date: str
    paragraph: int | None
    file: str | None


class Amount(TypedDict):
    value: int | float
    currency: str
    per: str | None


class Event(TypedDict):
    date: str
    status: str
    note: str
    evidence: list[str]
    recorded_at: str
    recorded_by: str | None  # who recorded it (None: not known, as for events recorded before schema version 3)
    actors: list[str] | None  # the actors it assesses; None: all of the commitment's actors
    by: str | None  # for a superseded event: the id of the commitment that replaces this one


class Commitment(TypedDict):
    id: str
    title: str
    summary: str
    quote: str
    source: Source
    actors: list[str]
    pillar: str
    due: str | None
    amount: Amount | None
    status: str
    history: list[Event]
    kind: str | None  # a Kind, or None where it has not been coded
    weight: int | float  # significance, for weighted means: a positive number, 1 by default


class Summary(TypedDict):
    """What `list`, `report` and `scorecard` need of a commitment: no long texts (summary, quote, notes, evidence),
    no source details. `made` is the source date, `last` its latest event's date. `history` is its events in
    recorded order, each as its date, status and the date it was recorded, packed in one string
    ("2020-09-09 pending 2026-11-29;2020-11-15 fulfilled 2026-11-30") because a report over a hundred thousand
    commitments would otherwise spend its time making little objects; `assessed` is, for each event in the same
    order, the actors it assesses (None: all), or None itself where no event names actors. `superseded_by` is the
    successor named by its latest superseded event. `quote_key` is the quote's `text_key`, so that `add` can find a
    repeated quote without reading every record; `source_file` and `source_document` are its source's, for
    `--source` and `tracker sources`. `rationale` and `evidence` are the note and evidence of its latest event (by
    date, then by recording order: see `latest_event`), which the report's per-commitment table shows, so that a
    report on today's state reads no record."""

    id: str
    title: str
    actors: list[str]
    pillar: str
    due: str | None
    status: str
    made: str
    last: str
    history: str
    assessed: list[list[str] | None] | None
    kind: str | None
    weight: int | float
    superseded_by: str | None
    quote_key: str
    source_file: str | None
    source_document: str
    rationale: str
    evidence: list[str]
    standing: dict[str, str | None]


SUMMARY_FIELDS = tuple(Summary.__annotations__)


def summarize(commitment: Commitment) -> Summary:
    """The Summary of a commitment."""
    return dict(zip(SUMMARY_FIELDS, summary_values(commitment), strict=True))  # type: ignore[return-value]


def summary_values(commitment: Commitment) -> tuple[Any, ...]:
    """The values of a commitment's Summary, in the order of SUMMARY_FIELDS, as the index packs them: made in one
    pass over its history, with no dict (a full read makes one for each of a hundred thousand commitments)."""
    history = commitment["history"]
    latest, last, assessed, superseded = -1, "", False, False
    events = []
    for place, event in enumerate(history):
        day, event_status = event["date"], event["status"]
        if day >= last:  # as `latest_event` finds it: the latest by date, then by recording order
            latest, last = place, day
        assessed = assessed or event["actors"] is not None
        superseded = superseded or event_status == _SUPERSEDED
        events.append(f"{day} {event_status} {event['recorded_at'][:10]}")
    newest = history[latest]
    actors, status, source = commitment["actors"], commitment["status"], commitment["source"]
    packed_history = ";".join(events)
    assessed_actors = [event["actors"] for event in history] if assessed else None
    standing: dict[str, str | None]
    if assessed_actors is None:  # every event assessed every actor: they share the latest's status
        standing = dict.fromkeys(actors, _STATUSES[status].value)
    else:
        fields = {"actors": actors, "assessed": assessed_actors, "history": packed_history, "status": status}
        statuses = _actor_statuses(fields)  # type: ignore[arg-type]
        standing = {actor: None if value is None else value.value for actor, value in statuses.items()}
    return (
        commitment["id"],
        commitment["title"],
        actors,
        commitment["pillar"],
        commitment["due"],
        status,
        source["date"],
        last,
        packed_history,
        assessed_actors,
        commitment["kind"],
        commitment["weight"],
        successor(history) if superseded else None,
        text_key(commitment["quote"]),
        source["file"],
        source["document"],
        newest["note"],
        newest["evidence"],
        standing,
    )


def latest_event(dated: Iterable[tuple[str, str]], as_of: str | None = None, known_on: str | None = None) -> int:
    """Given each event's date and the date it was recorded, in recorded order: the place of the latest event (by
    date, then by recording order) among those dated by `as_of` and recorded by `known_on`; -1 if none is."""
    latest, latest_date = -1, ""
    for place, (day, recorded) in enumerate(dated):
        if (as_of is None or day <= as_of) and (known_on is None or recorded <= known_on) and day >= latest_date:
            latest, latest_date = place, day
    return latest


def recorded_dates(summary: Summary) -> list[tuple[str, str]]:
    """A Summary's events as (date, date recorded) pairs, in recorded order (for `latest_event`)."""
    return [(item[:10], item[-10:]) for item in summary["history"].split(";")]


def text_key(text: str) -> str:
    """A short fingerprint of a text for finding repeats: case, spacing and curly quotes ignored; "" for none."""
    import hashlib

    folded = " ".join(text.casefold().replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').split())
    return hashlib.blake2b(folded.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest() if folded else ""


def repeats(summaries: Iterable[Summary], title: str, quote: str) -> list[str]:
    """Words for each commitment that has the same title or the same quote (see `text_key`) as a new one."""
    title_key, quote_key = text_key(title), text_key(quote)
    found = []
    for summary in summaries:
        pairs = (("title", title_key, text_key(summary["title"])), ("quote", quote_key, summary["quote_key"]))
        same = [what for what, key, theirs in pairs if key and key == theirs]
        if same:
            found.append(f"'{summary['id']}' has the same {' and '.join(same)}")
    return found


def history_pairs(summary: Summary) -> list[tuple[str, str]]:
    """A Summary's (date, status) pairs, in recorded order."""
    return [(item[:10], item[11:-11]) for item in summary["history"].split(";")]


class Assessment(NamedTuple):
    """One event as scoring sees it: when it happened, what status it gave, when it was recorded, and the actors
    it assesses (None: all the commitment's actors)."""

    date: str
    status: str
    recorded: str
    actors: list[str] | None


def assessments(summary: Summary) -> list[Assessment]:
    """A Summary's events, in recorded order, as scoring sees them."""
    assessed = summary["assessed"] or [None] * (summary["history"].count(";") + 1)
    return [
        Assessment(item[:10], item[11:-11], item[-10:], actors)
        for item, actors in zip(summary["history"].split(";"), assessed, strict=True)
    ]


def actor_statuses(summary: Summary, as_of: str | None = None, known_on: str | None = None) -> dict[str, Status | None]:
    """Each actor's status: that of the latest event (by date, then by recording order) that applies to the
    actor, dated on or before `as_of` and recorded on or before `known_on` (None: no limit); None for an actor
    that no such event assesses. Actors are matched in any case and named as the commitment names them."""
    if known_on is None and (as_of is None or summary["last"] <= as_of):  # every event counts: as summarized
        return {actor: None if status is None else _STATUSES[status] for actor, status in summary["standing"].items()}
    return _actor_statuses(summary, as_of, known_on)


def _actor_statuses(
    summary: Summary, as_of: str | None = None, known_on: str | None = None
) -> dict[str, Status | None]:
    if as_of is None and known_on is None and summary["assessed"] is None:
        status = _STATUSES[summary["status"]]  # every event assessed every actor: they share the latest's status
        return dict.fromkeys(summary["actors"], status)
    latest: dict[str, tuple[str, str]] = {}
    names = {actor_key(actor): actor for actor in summary["actors"]}
    # The packed history read as `assessments` reads it, without an object per event (a report reads them all).
    assessed = summary["assessed"] or itertools.repeat(None)
    for item, actors in zip(summary["history"].split(";"), assessed, strict=False):  # as long as the history
        day = item[:10]
        if (as_of is not None and day > as_of) or (known_on is not None and item[-10:] > known_on):
            continue
        keys = names if actors is None else [key for key in map(actor_key, actors) if key in names]
        for key in keys:
            previous = latest.get(key)
            if previous is None or day >= previous[0]:
                latest[key] = (day, item[11:-11])
    return {name: _STATUSES[latest[key][1]] if key in latest else None for key, name in names.items()}


def shared_status(statuses: dict[str, Status | None]) -> Status | None:
    """The status all actors share, or None where they differ (or none is assessed)."""
    values = set(statuses.values())
    return values.pop() if len(values) == 1 else None


def status_words(statuses: dict[str, Status | None]) -> str:
    """A commitment's status in words: the one all its actors share, or each actor's (`ROK fulfilled, ASEAN
    partial`; `-` for an actor no event assesses yet)."""
    shared = shared_status(statuses)
    if shared is not None:
        return shared.value
    return ", ".join(f"{actor} {status.value if status else '-'}" for actor, status in statuses.items())


def summary_status_as_of(summary: Summary, as_of: str, known_on: str | None = None) -> Status | None:
    """What `status_as_of` gives for the commitment, from its Summary: the status of its latest event on or before
    `as_of` (and recorded on or before `known_on`), whichever actors it assesses."""
    if summary["last"] <= as_of and known_on is None:
        return _STATUSES[summary["status"]]
    pairs = [(e.date, e.status) for e in assessments(summary) if known_on is None or e.recorded <= known_on]
    return latest_status(pairs, as_of)


TITLE_MAX = 80
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")  # \Z, not $: $ lets a final line break through
ID_MAX = 60
_DATE_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")  # [0-9]: \d is any Unicode digit in a str pattern
_TIMESTAMP_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
_AMOUNT_PATTERN = re.compile(
    r"^\s*(?P<value>[0-9][0-9,_]*(?:\.[0-9]+)?)\s*(?P<currency>[A-Za-z]{3})\s*(?:(?:/|a|per)\s*(?P<per>[a-z]+))?\s*$"
)
AMOUNT_PERIODS = ("year", "month", "quarter", "week", "day")
AMOUNT_MAX = 10**15  # a thousand trillion: more than any pledge, and still exact as a float
COMMITMENT_KEYS = frozenset(Commitment.__required_keys__)
EVENT_KEYS = frozenset(Event.__required_keys__)
SOURCE_KEYS = frozenset(Source.__required_keys__)
AMOUNT_KEYS = frozenset(Amount.__required_keys__)
STATUS_VALUES = frozenset(s.value for s in Status)
KIND_VALUES = frozenset(k.value for k in Kind)
KIND_VALUES_ORDERED = tuple(k.value for k in Kind)
WEIGHT_MAX = 1_000_000
PILLAR_VALUES = frozenset(p.value for p in Pillar)


def parse_date(text: str) -> date:
    """Parse a strict YYYY-MM-DD date; raise ValueError naming the expected form."""
    if not _DATE_PATTERN.match(text):
        raise ValueError(f"'{text}' is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a real calendar date (YYYY-MM-DD)") from None


# The earliest time zone on Earth (UTC+14, Kiribati's Line Islands): its date is the latest date anywhere.
EARLIEST_ZONE = timezone(timedelta(hours=14))


def latest_date_on_earth(now: datetime | None = None) -> str:
    """The date in the earliest time zone (UTC+14) at `now` (default: now): no place on Earth is at a later date."""
    return (now or datetime.now(UTC)).astimezone(EARLIEST_ZONE).date().isoformat()


def future_bound(today: str | None = None) -> str:
    """The last date that is not in the future: the latest date on Earth, or `today` (the caller's own date) should
    a slow clock put it later. One rule for `add`, `update`, `import` and the data file: a colleague's date in
    another time zone is never refused."""
    latest = latest_date_on_earth()
    return today if today is not None and today > latest else latest


def utc_timestamp(moment: datetime | None = None) -> str:
    """The UTC time as stored in `recorded_at`: YYYY-MM-DDTHH:MM:SSZ."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_amount(text: str) -> Amount:
    """Parse an amount such as `14000000 USD/year`, `14,000,000 USD a year` or `500000 EUR`."""
    match = _AMOUNT_PATTERN.match(text)
    if not match:
        raise ValueError(f"'{text}' is not an amount; use a number and a currency code, e.g. '14000000 USD/year'")
    raw = match["value"].replace(",", "").replace("_", "")
    too_large = f"'{match['value']}' is too large an amount; at most {AMOUNT_MAX:,} (10^15)"
    if len(raw.split(".")[0].lstrip("0")) > len(str(AMOUNT_MAX)):  # before int(), which refuses 4,300 digits
        raise ValueError(too_large)
    exact = Decimal(raw)
    if exact > AMOUNT_MAX:  # as written, not as a float rounds it (1000000000000000.0001 is 10^15 as a float)
        raise ValueError(too_large)
    value: int | float = float(raw) if "." in raw else int(raw)
    if isinstance(value, float) and Decimal(repr(value)) != exact:
        raise ValueError(
            f"'{match['value']}' has more digits than an amount keeps (it would be {Decimal(repr(value)):,f}); "
            "round it to 15 significant digits or fewer"
        )
    per = match["per"]
    if per is not None and per not in AMOUNT_PERIODS:
        raise ValueError(f"'{per}' is not a period; use one of {', '.join(AMOUNT_PERIODS)}")
    return {"value": value, "currency": match["currency"].upper(), "per": per}


def format_amount(amount: Amount | None) -> str:
    """`USD 14,000,000 a year`, or an empty string for no amount."""
    if amount is None:
        return ""
    value = amount["value"]
    if isinstance(value, int):
        shown = f"{value:,}"
    else:  # as kept, in decimal digits: cents as money is written, anything finer as it is (0.001, not 0.00)
        exact = Decimal(repr(value))
        shown = format(exact, ",.2f" if exact == round(exact, 2) else ",f")
    return f"{amount['currency']} {shown}" + (f" a {amount['per']}" if amount["per"] else "")


# Words that carry no meaning in an id: dropped so that prefixes stay short and tell commitments apart.
SLUG_STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "and",
        "or",
        "its",
        "their",
        "our",
        "this",
        "that",
        "these",
        "those",
        "be",
        "is",
        "are",
        "will",
    }
)


def slugify(title: str) -> str:
    """A short id made from a title: its lower-case ASCII words but articles and stop words, joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    meaningful = [word for word in words if word not in SLUG_STOP_WORDS] or words
    slug = ""
    for word in meaningful:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > 40:
            break
        slug = candidate
    return slug or "commitment"


def citation(source: Source, with_file: bool = False) -> str:
    """Where a commitment comes from, in words: document, date, paragraph (and the source text's file name, which
    `tracker show ID --source` reads from the texts bundled with the package)."""
    parts = (
        source["document"],
        source["date"],
        f"paragraph {source['paragraph']}" if source["paragraph"] is not None else "",
        source["file"] if with_file and source["file"] else "",
    )
    return ", ".join(part for part in parts if part)


def ordered_history(history: Sequence[Event]) -> list[Event]:
    """Events by date, and in the order they were recorded for one date."""
    return sorted(history, key=lambda event: event["date"])


_STATUSES = {status.value: status for status in Status}
_SUPERSEDED = Status.SUPERSEDED.value


def successor(history: Sequence[Event]) -> str | None:
    """The commitment that replaces this one: the `by` of its latest superseded event (None if it has none)."""
    if not any(event["status"] == _SUPERSEDED for event in history):
        return None
    return [e for e in ordered_history(history) if e["status"] == _SUPERSEDED][-1]["by"]


def current_successor(commitment: Commitment) -> str | None:
    """The commitment that replaces this one now: its successor while its status is superseded, else None."""
    return successor(commitment["history"]) if commitment["status"] == _SUPERSEDED else None


def successor_loop(commitment: Commitment, lookup: Callable[[str], Commitment | None]) -> list[str] | None:
    """The ids from this commitment, current successor by current successor (`lookup` finds each; None where there
    is none), back to itself, if they lead back to it: it would then in the end replace itself. None if not."""
    chain = [commitment["id"]]
    following = current_successor(commitment)
    while following is not None and following not in chain[1:]:  # a loop that leaves this one out is not its own
        chain.append(following)
        if following == chain[0]:
            return chain
        found = lookup(following)
        following = None if found is None else current_successor(found)
    return None


def check_successors(
    commitment: Commitment,
    lookup: Callable[[str], Commitment | None],
    before: Commitment | None = None,
    looped: bool | None = None,
) -> None:
    """InvalidInputError if the change to this commitment makes its successors lead back to it (see
    `successor_loop`). Not where `before`, the commitment as it was, had the same id and successor, nor where its
    successors led back to it already (`looped`, if `lookup` no longer shows the others as they were): a loop made
    otherwise (by an import, an undo, a file edited by hand) never stops a change, only a change never makes one."""
    if before is not None:
        if (before["id"], current_successor(before)) == (commitment["id"], current_successor(commitment)):
            return
        if successor_loop(before, lookup) is not None if looped is None else looped:
            return
    chain = successor_loop(commitment, lookup)
    if chain is not None:
        shown = chain if len(chain) <= 7 else [*chain[:3], f"({len(chain) - 5:,} more)", *chain[-2:]]
        raise InvalidInputError(
            f"the successors of '{chain[0]}' would lead back to it ({' -> '.join(shown)}); a commitment cannot in the "
            "end replace itself"
        )


def search_ids(commitments: Iterable[Commitment], text: str) -> set[str]:
    """The ids of the commitments whose title, summary or quote holds `text`, in any case, and however its accents
    are written (é as one character or as e and a combining accent: Unicode's canonical caseless match)."""
    needle = _caseless(text)
    return {c["id"] for c in commitments if needle in _caseless(f"{c['title']}\n{c['summary']}\n{c['quote']}")}


def _caseless(text: str) -> str:
    import unicodedata

    if text.isascii():
        return text.casefold()
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).casefold())


def latest_status(history: Iterable[tuple[str, str]], as_of: str | None = None) -> Status | None:
    """Of (date, status) pairs in recorded order: the status of the latest dated on or before `as_of` (all when
    None), a later-recorded pair winning a tie; None if no pair is that early."""
    latest: tuple[str, str] | None = None
    for pair in history:
        if (as_of is None or pair[0] <= as_of) and (latest is None or pair[0] >= latest[0]):
            latest = pair
    return None if latest is None else _STATUSES[latest[1]]


def status_as_of(history: Sequence[Event], as_of: str | None = None) -> Status | None:
    """The status of the latest event dated on or before `as_of` (all events when None), or None if none is."""
    return latest_status(((event["date"], event["status"]) for event in history), as_of)


def current_status(history: Sequence[Event]) -> Status:
    """The status of the latest event: by date, then by the order in which events were recorded."""
    status = status_as_of(history)
    if status is None:
        raise InvalidInputError("a commitment needs at least one event in its history")
    return status


def is_overdue(commitment: Mapping[str, Any], as_of: str, status: Status | None = None) -> bool:
    """Due before `as_of` and neither fulfilled nor broken (by `status`, or the current status).

    `commitment` is a Commitment or a Summary.
    """
    due = commitment["due"]
    current = status if status is not None else commitment["status"]  # a status's value is equal to it
    return due is not None and due < as_of and current not in SETTLED


def resolve_id(ids: Iterable[str], wanted: str) -> str:
    """The id equal to `wanted`, or the only id it is a prefix of; otherwise a NotFound or Ambiguous error."""
    known = list(ids)
    if wanted in known:
        return wanted
    matches = sorted(i for i in known if i.startswith(wanted)) if wanted else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousIdError(f"'{wanted}' matches {len(matches)} commitments: {', '.join(matches)}")
    close = closest_ids(known, wanted)
    hint = f"; did you mean {', '.join(close)}?" if close else "; 'tracker list' shows every id"
    raise NotFoundError(f"no commitment '{wanted}'{hint}")


def closest_ids(ids: Iterable[str], wanted: str, count: int = 3) -> list[str]:
    """The ids most like `wanted`: as a whole, as a mistyped prefix (`flagshp`), or as one of their words
    (`signing`); best first."""
    typed = wanted.casefold()
    if not typed:
        return []
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(typed)

    def likeness(candidate: str) -> float:
        matcher.set_seq1(candidate)
        return matcher.ratio()

    scored = []
    for commitment_id in ids:
        whole = likeness(commitment_id)
        # A prefix or a word is shorter than a whole id, so it must be closer to count.
        parts = [commitment_id[: len(typed)], *commitment_id.split("-")]
        part = max(likeness(piece) for piece in parts)
        score = max(whole, part if part >= 0.75 else 0.0)
        if score >= 0.5:
            scored.append((-score, commitment_id))
    return [commitment_id for _, commitment_id in sorted(scored)[:count]]


# --- validation -------------------------------------------------------------------------------------------------


_ABSENT: Any = object()  # a field an object lacks: said once (`_key_problems`), its value not checked


def _fields(obj: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """Each of these fields of `obj`, `_ABSENT` where it has none (`obj` itself where it has them all)."""
    return obj if obj.keys() >= keys else {key: obj.get(key, _ABSENT) for key in keys}


def _problems_in_event(event: Any, where: str) -> tuple[list[str], bool, str | None]:
    """Every problem of the event; whether its date, status and time of recording hold up, so that it can be
    ordered among the others; and its date, if that is a real date."""
    if not isinstance(event, dict):
        return [f"{where} is not an object"], False, None
    problems = _key_problems(event, EVENT_KEYS, where)
    e = _fields(event, EVENT_KEYS)
    comparable = _ABSENT not in (e["date"], e["status"], e["recorded_at"])
    dated = None
    if e["date"] is not _ABSENT:
        found = _date_problem(e["date"], f"{where} date")
        problems += found
        comparable, dated = (False, None) if found else (comparable, e["date"])
    if e["status"] is not _ABSENT and (not isinstance(e["status"], str) or e["status"] not in STATUS_VALUES):
        problems.append(f"{where} status {e['status']!r} is not one of {', '.join(STATUS_VALUES_ORDERED)}")
        comparable = False
    if e["note"] is not _ABSENT and not isinstance(e["note"], str):
        problems.append(f"{where} note is not a string")
    evidence = e["evidence"]
    if evidence is not _ABSENT and (not isinstance(evidence, list) or not all(isinstance(x, str) for x in evidence)):
        problems.append(f"{where} evidence is not a list of strings")
    recorded_at = e["recorded_at"]
    if recorded_at is not _ABSENT and (not isinstance(recorded_at, str) or not _TIMESTAMP_PATTERN.match(recorded_at)):
        problems.append(f"{where} recorded_at is not a UTC timestamp YYYY-MM-DDTHH:MM:SSZ")
        comparable = False
    recorded_by = e["recorded_by"]
    if recorded_by not in (None, _ABSENT) and (not isinstance(recorded_by, str) or not recorded_by.strip()):
        problems.append(f"{where} recorded_by is not a name or null")
    actors = e["actors"]
    if actors not in (None, _ABSENT) and not is_name_list(actors):
        problems.append(f"{where} actors is not a non-empty list of names or null")
    by = e["by"]
    if by not in (None, _ABSENT) and (not isinstance(by, str) or not ID_PATTERN.match(by) or len(by) > ID_MAX):
        problems.append(f"{where} by is not a commitment id (a slug of at most {ID_MAX} characters) or null")
    elif by not in (None, _ABSENT) and e["status"] != Status.SUPERSEDED.value:
        problems.append(f"{where} names a successor (by) but its status is not superseded")
    return problems, comparable, dated


def is_name_list(value: Any) -> TypeGuard[list[str]]:
    """Whether `value` is a non-empty list of names (strings that are not blank)."""
    return isinstance(value, list) and bool(value) and all(isinstance(a, str) and a.strip() for a in value)


STATUS_VALUES_ORDERED = tuple(s.value for s in Status)
PILLAR_VALUES_ORDERED = tuple(p.value for p in Pillar)


def _key_problems(obj: dict[str, Any], expected: frozenset[str], where: str) -> list[str]:
    problems = []
    missing = expected - obj.keys()
    extra = obj.keys() - expected
    if missing:
        problems.append(f"{where} lacks {', '.join(sorted(missing))}")
    if extra:
        problems.append(f"{where} has unknown field(s) {', '.join(sorted(extra))}")
    return problems


def _date_problem(value: Any, where: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{where} is not a date string"]
    try:
        parse_date(value)
    except ValueError as error:
        return [f"{where}: {error}"]
    return []


def _text_problems(commitment: dict[str, Any]) -> list[str]:
    problems = []
    for field in ("title", "summary", "quote"):
        if commitment[field] is not _ABSENT and not isinstance(commitment[field], str):
            problems.append(f"{field} is not a string")
    title = commitment["title"]
    if isinstance(title, str) and not (0 < len(title) <= TITLE_MAX):
        problems.append(f"title must be 1 to {TITLE_MAX} characters, not {len(title)}")
    elif isinstance(title, str) and title.isspace():  # as `add` and `edit` refuse it
        problems.append("the title must not be blank")
    return problems


def _source_problems(source: Any) -> tuple[list[str], str | None]:
    """Every problem of the source, and its date if that is a real date."""
    if not isinstance(source, dict):
        return ["source is not an object"], None
    problems = _key_problems(source, SOURCE_KEYS, "source")
    fields = _fields(source, SOURCE_KEYS)
    if fields["document"] is not _ABSENT and not isinstance(fields["document"], str):
        problems.append("source document is not a string")
    dated = None
    if fields["date"] is not _ABSENT:
        found = _date_problem(fields["date"], "source date")
        problems += found
        dated = None if found else fields["date"]
    paragraph = fields["paragraph"]
    if paragraph not in (None, _ABSENT) and (
        not isinstance(paragraph, int) or isinstance(paragraph, bool) or paragraph < 1
    ):
        problems.append("source paragraph is not a positive whole number or null")
    if fields["file"] not in (None, _ABSENT) and not isinstance(fields["file"], str):
        problems.append("source file is not a string or null")
    return problems, dated


def _amount_problems(amount: Any) -> list[str]:
    if amount is None:
        return []
    if not isinstance(amount, dict):
        return ["amount is not an object or null"]
    problems = _key_problems(amount, AMOUNT_KEYS, "amount")
    fields = _fields(amount, AMOUNT_KEYS)
    value = fields["value"]
    if value is _ABSENT:
        pass
    elif not is_number(value):
        problems.append(f"amount value is not a finite number from 0 to {AMOUNT_MAX:,} (10^15)")
    elif not 0 <= value <= AMOUNT_MAX:
        problems.append(f"amount value {_shown(value)} is not from 0 to {AMOUNT_MAX:,} (10^15)")
    currency = fields["currency"]
    if currency is not _ABSENT and (not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency)):
        problems.append("amount currency is not a three-letter code such as USD")
    if fields["per"] not in (None, _ABSENT) and fields["per"] not in AMOUNT_PERIODS:
        problems.append(f"amount per is not one of {', '.join(AMOUNT_PERIODS)} or null")
    return problems


def commitment_problems(commitment: Any, today: str | None = None) -> list[str]:
    """Every way in which `commitment` is not a valid stored commitment (an empty list when it is valid): a field
    it lacks or does not know is said once, and every field it has is checked whatever else is wrong.

    Events must fall between the commitment's source date and `future_bound(today)`, the latest date on Earth.
    """
    if not isinstance(commitment, dict):
        return ["is not an object"]
    problems = _key_problems(commitment, COMMITMENT_KEYS, "record")
    c = _fields(commitment, COMMITMENT_KEYS)
    cid = c["id"]
    if cid is not _ABSENT and (not isinstance(cid, str) or len(cid) > ID_MAX or not ID_PATTERN.match(cid)):
        problems.append(
            f"id {cid!r} is not a slug of lower-case letters, digits and single hyphens, at most {ID_MAX} characters"
        )
    problems += _text_problems(c)
    source_date = None
    if c["source"] is not _ABSENT:
        found, source_date = _source_problems(c["source"])
        problems += found
    actors = c["actors"]
    if actors is _ABSENT:
        pass
    elif not is_name_list(actors):
        problems.append("actors is not a non-empty list of names")
    elif len({actor_key(a) for a in actors}) != len(actors):
        problems.append("an actor is listed twice (names that differ only in case or spacing are one actor)")
    if c["pillar"] is not _ABSENT and (not isinstance(c["pillar"], str) or c["pillar"] not in PILLAR_VALUES):
        problems.append(f"pillar {c['pillar']!r} is not one of {', '.join(PILLAR_VALUES_ORDERED)}")
    if c["due"] not in (None, _ABSENT):
        problems += _date_problem(c["due"], "due")
    if c["amount"] is not _ABSENT:
        problems += _amount_problems(c["amount"])
    if c["kind"] not in (None, _ABSENT) and (not isinstance(c["kind"], str) or c["kind"] not in KIND_VALUES):
        problems.append(f"kind {c['kind']!r} is not one of {', '.join(KIND_VALUES_ORDERED)} or null")
    if c["weight"] is not _ABSENT:
        problems += _weight_problems(c["weight"])
    history, comparable, dates = c["history"], False, []
    if history is _ABSENT:
        pass
    elif not isinstance(history, list) or not history:
        problems.append("history is not a non-empty list of events")
    else:
        comparable = True  # every event's date, status and time of recording hold up
        for number, event in enumerate(history, start=1):
            found, holds, dated = _problems_in_event(event, f"event {number}")
            problems += found
            comparable = comparable and holds
            if dated is not None:
                dates.append((number, dated))
        if isinstance(actors, list):
            problems += _assessed_actor_problems(history, actors, cid)
    if source_date is not None:
        if source_date > (bound := future_bound(today)):  # every event would be before it or in the future
            problems.append(f"the source date {source_date} is in the future (the latest date on Earth is {bound})")
        else:
            problems += _event_date_problems(dates, source_date, bound)  # whatever else is wrong
    status = c["status"]
    if status is _ABSENT:
        pass
    elif not isinstance(status, str) or status not in STATUS_VALUES:
        problems.append(f"status {status!r} is not one of {', '.join(STATUS_VALUES_ORDERED)}")
    elif comparable and status != current_status(history):
        problems.append(f"status {status!r} is not the status of its latest event ({current_status(history).value})")
    if has_surrogate(commitment) if not problems else _holds_surrogate(commitment):  # the first is quicker
        problems.append("holds text that is not Unicode (a lone surrogate, as bytes that are not UTF-8 become)")
    return problems


def _event_date_problems(dates: list[tuple[int, str]], source_date: str, bound: str) -> list[str]:
    """Each event (number, real date) dated before the source date or in the future."""
    problems = []
    for number, on in dates:
        if on < source_date:
            problems.append(f"event {number} date {on} is before the commitment's source date {source_date}")
        elif on > bound:
            problems.append(f"event {number} date {on} is in the future (the latest date on Earth is {bound})")
    return problems


def surrogate_in(text: str) -> bool:
    """Whether a text holds a lone surrogate: the one thing UTF-8 cannot encode (faster than a pattern, which would
    also take a millisecond of start-up to compile)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _holds_surrogate(value: Any) -> bool:
    """Whether any text in `value` (keys too), whatever its shape, holds a lone surrogate."""
    if isinstance(value, str):
        return surrogate_in(value)
    if isinstance(value, dict):
        return any(_holds_surrogate(key) or _holds_surrogate(item) for key, item in value.items())
    return isinstance(value, list) and any(_holds_surrogate(item) for item in value)


def has_surrogate(commitment: dict[str, Any]) -> bool:
    """Whether any text of a well-formed commitment holds a lone surrogate (bytes that were not UTF-8)."""
    source = commitment["source"]
    texts = [commitment["title"], commitment["summary"], commitment["quote"], source["document"], source["file"] or ""]
    texts += commitment["actors"]
    for event in commitment["history"]:
        texts += [event["note"], event.get("recorded_by") or "", event.get("by") or ""]
        texts += event["evidence"]
        texts += event.get("actors") or []
    return surrogate_in("\n".join(texts))


# --- changes ----------------------------------------------------------------------------------------------------


EVIDENCE_BLANK = "evidence must not be blank; give a URL or a citation"


def blank_evidence(evidence: Iterable[str]) -> bool:
    """Whether an item of evidence is only white space: it cites nothing."""
    return any(not item.strip() for item in evidence)


def record_event(
    commitment: Commitment,
    *,
    on: str,
    today: str | None = None,
    status: Status | None,
    note: str,
    evidence: Sequence[str],
    recorded_at: str,
    repeat: bool = False,
    actors: Sequence[str] | None = None,
    recorded_by: str | None = None,
    by: str | None = None,
) -> Commitment:
    """A copy of `commitment` with one more event; a note or evidence alone keeps the status it had on `on`. An
    event exactly like one it has (date, status, note, evidence) is refused unless `repeat`.

    `on` must not be in the future (later than `future_bound(today)`) nor before the commitment's source date.
    """
    if status is None and not note and not evidence:
        raise InvalidInputError("nothing to record: give --status, --note or --evidence")
    if blank_evidence(evidence):
        raise InvalidInputError(EVIDENCE_BLANK)
    bound = future_bound(today)
    if on > bound:
        raise InvalidInputError(
            f"the date {on} is in the future (the latest date on Earth is {bound}); events record what happened"
        )
    source_date = commitment["source"]["date"]
    if on < source_date:
        raise InvalidInputError(
            f"the date {on} is before the commitment's source date {source_date}; if that source date is wrong, "
            f"'tracker edit {commitment['id']} --source-date YYYY-MM-DD' corrects it"
        )
    assessed = assessed_actors(commitment, actors) if actors else None
    was = status_as_of(commitment["history"], on)
    if status is None:
        status = was or Status.PENDING
    if status is Status.SUPERSEDED and was is Status.SUPERSEDED and by is None:  # still replaced by the same one
        by = successor([event for event in commitment["history"] if event["date"] <= on])
    if by is not None and status is not Status.SUPERSEDED:
        raise UsageProblem("--by names the successor of a superseded commitment; give --status superseded with it")
    if by is not None and by == commitment["id"]:
        raise UsageProblem(f"'{by}' cannot supersede itself; --by names the commitment that replaces it")
    event: Event = {
        "date": on,
        "status": status.value,
        "note": note,
        "evidence": list(evidence),
        "recorded_at": recorded_at,
        "recorded_by": recorded_by,
        "actors": assessed,
        "by": by,
    }
    if not repeat and any(_same_event(event, earlier) for earlier in commitment["history"]):
        raise InvalidInputError(
            f"'{commitment['id']}' already has this event ({on}, {status.value}, the same note and evidence); "
            "--force records it again"
        )
    history = [*commitment["history"], event]
    return {**commitment, "history": history, "status": current_status(history).value}


def is_number(value: Any) -> bool:
    """Whether `value` is a finite number (not a bool): an int of any size (math.isfinite cannot take one past a
    float's range) or a finite float."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _weight_problems(weight: Any) -> list[str]:
    if not is_number(weight) or not 0 < weight <= WEIGHT_MAX:
        return [f"weight {_shown(weight)} is not a positive number up to {WEIGHT_MAX:,}"]
    return []


def _shown(value: Any) -> str:
    """A value as a problem names it: its repr, cut short past 40 characters (a number of hundreds of digits)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text):,} characters)"


def _assessed_actor_problems(history: list[Any], actors: list[Any], commitment_id: Any) -> list[str]:
    """The actors each event assesses that are not the commitment's, and an event that names the commitment as
    its own successor (each event whose fields for that are well formed)."""
    names = {actor_key(a) for a in actors if isinstance(a, str)}
    problems = []
    for number, event in enumerate(history, start=1):
        if not isinstance(event, dict):
            continue
        assessed = event.get("actors")
        if is_name_list(assessed):
            strangers = [a for a in assessed if actor_key(a) not in names]
            if strangers:
                problems.append(f"event {number} assesses {', '.join(strangers)}, not an actor of the commitment")
        if event.get("by") is not None and event.get("by") == commitment_id:
            problems.append(f"event {number} names the commitment itself as its successor")
    return problems


def new_commitment(
    *,
    existing_ids: Container[str],
    title: str,
    actors: Sequence[str],
    pillar: Pillar,
    today: str,
    recorded_at: str,
    summary: str = "",
    due: str | None = None,
    quote: str = "",
    source_document: str = "",
    source_date: str | None = None,
    paragraph: int | None = None,
    amount: Amount | None = None,
    commitment_id: str | None = None,
    kind: Kind | None = None,
    weight: int | float = 1,
    recorded_by: str | None = None,
    source_file: str | None = None,
    note: str = "Recorded with tracker add.",
) -> Commitment:
    """A new commitment whose first event is `pending` at its source date (`today` if none is given), with `note`;
    `existing_ids` answers whether an id is taken (a set, or a `store.Transaction`, which asks the index).

    The source date must not be in the future: later than `future_bound(today)`.
    """
    if not title.strip():
        raise InvalidInputError("the title must not be blank")
    if len(title) > TITLE_MAX:
        raise InvalidInputError(f"the title has {len(title)} characters; at most {TITLE_MAX} are allowed")
    names = _unique_actors(actors)
    source_date = source_date or today
    bound = future_bound(today)
    if source_date > bound:
        raise InvalidInputError(f"the source date {source_date} is in the future (the latest date on Earth is {bound})")
    if due is not None and due < source_date:
        raise InvalidInputError(f"the due date {due} is before the source date {source_date}")
    if commitment_id is not None:
        if commitment_id in existing_ids:
            raise InvalidInputError(f"a commitment with id '{commitment_id}' already exists; choose another --id")
    else:
        commitment_id = _free_id(slugify(title), existing_ids)
    event: Event = {
        "date": source_date,
        "status": Status.PENDING.value,
        "note": note,
        "evidence": [],
        "recorded_at": recorded_at,
        "recorded_by": recorded_by,
        "actors": None,
        "by": None,
    }
    if _weight_problems(weight):
        raise UsageProblem(f"{_weight_problems(weight)[0]}, e.g. 1 or 2.5")
    return {
        "id": commitment_id,
        "title": title,
        "summary": summary,
        "quote": quote,
        "source": {"document": source_document, "date": source_date, "paragraph": paragraph, "file": source_file},
        "actors": names,
        "pillar": pillar.value,
        "due": due,
        "amount": amount,
        "status": Status.PENDING.value,
        "history": [event],
        "kind": kind.value if kind is not None else None,
        "weight": weight,
    }


_ACTOR_KEYS: dict[str, str] = {}


def actor_key(name: str) -> str:
    """What makes two actor names the same actor: case and spacing aside (`ROK`, `rok`, ` ROK `)."""
    key = _ACTOR_KEYS.get(name)
    if key is None:
        key = " ".join(name.split()).casefold()
        if len(_ACTOR_KEYS) < 4096:  # a report asks for the same few names hundreds of thousands of times
            _ACTOR_KEYS[name] = key
    return key


def shows_anything(text: str) -> bool:
    """Whether `text` has a character that shows: not only spaces, controls, format characters (zero-width spaces
    and joiners, bidirectional marks), lone combining marks and the fillers that render as nothing. What a user types
    as a title or a name must; data already recorded is held to `commitment_problems` only."""
    import unicodedata

    return any(
        (unicodedata.category(character) not in _SHOWS_NOTHING and character not in _FILLERS)
        or character in _SHOWN_ANYWAY
        for character in text
    )


# Unassigned (in this Python's Unicode: a newer emoji) and private-use characters may show; a lone surrogate is for
# the rule on text that is not Unicode to name.
_SHOWS_NOTHING = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # Hangul fillers and the blank Braille pattern
_SHOWN_ANYWAY = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\u1680")  # signs


def actor_name(name: str) -> str:
    """An actor's name as it is stored: spaces at either end dropped, runs of spaces made one."""
    return " ".join(name.split())


def _unique_actors(actors: Sequence[str]) -> list[str]:
    names: list[str] = []
    for actor in actors:
        if not actor.strip():
            raise InvalidInputError("an actor must not be blank")
        if actor_key(actor) not in {actor_key(name) for name in names}:
            names.append(actor_name(actor))
    if not names:
        raise InvalidInputError("give at least one --actor, e.g. --actor ROK --actor ASEAN")
    return names


def _free_id(base: str, taken: Container[str]) -> str:
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def by_due(commitments: Iterable[Summary]) -> list[Summary]:
    """Sorted by due date (none last), then id: the order of `list`. A due date is always ten characters
    (YYYY-MM-DD), so one string per commitment, its due date (or ten "~", after every digit) and its id, orders
    them as the pair would, in less than half the time a tuple for each takes."""
    return sorted(commitments, key=_due_then_id)


def _due_then_id(commitment: Summary) -> str:
    return (commitment["due"] or _NO_DUE) + commitment["id"]


_NO_DUE = "~" * 10
_BY_ID = operator.itemgetter("id")


class Filters(NamedTuple):
    """What `list`, `export`, `log` and `report` choose commitments by; a field left empty chooses them all."""

    statuses: tuple[Status, ...] = ()
    pillar: Pillar | None = None
    actor: str | None = None
    overdue: bool = False
    due_before: str | None = None
    search: str | None = None
    kinds: tuple[Kind, ...] = ()
    source: str | None = None  # a source text's file name, or a source document's name in any case


def cites(summary: Summary, source: str) -> bool:
    """Whether a commitment comes from `source`: its source text's file name, exactly, or its source document's
    name, in any case."""
    return summary["source_file"] == source or summary["source_document"].casefold() == source.casefold()


def check_source(summaries: Iterable[Summary], source: str | None) -> None:
    """A source that no commitment cites is a mistake, not an empty answer: NotFoundError naming the known ones."""
    if source is None:
        return
    known: set[str] = set()
    for summary in summaries:
        if cites(summary, source):
            return
        known.add(summary["source_file"] or summary["source_document"] or "")
    names = ", ".join(sorted(name for name in known if name)) or "none: no commitment cites a source"
    raise NotFoundError(
        f"no commitment cites the source '{source}'; the sources are {names} ('tracker sources' lists them)"
    )


def check_actor(summaries: Iterable[Summary], actor: str | None) -> None:
    """An actor that no commitment has is a mistake, not an empty answer: NotFoundError naming the known actors."""
    if actor is None:
        return
    known = {actor_key(a): a for c in summaries for a in c["actors"]}
    if actor_key(actor) not in known:
        names = ", ".join(sorted(known.values(), key=str.casefold)) or "none: there are no commitments"
        raise NotFoundError(f"no commitment has the actor '{actor}'; the actors are {names}")


def matching(
    commitments: Iterable[Summary],
    today: str,
    statuses: Sequence[Status] | None = None,
    pillar: Pillar | None = None,
    actor: str | None = None,
    overdue: bool = False,
    due_before: str | None = None,
    found: set[str] | None = None,
    kinds: Sequence[Kind] | None = None,
    source: str | None = None,
) -> list[Summary]:
    """The commitments that pass every filter given (`found`: the ids a text search found), in the order given. A
    status matches a commitment where any of its actors has it (or its latest event does)."""
    if not (statuses or pillar or actor or overdue or due_before or found is not None or kinds or source):
        return list(commitments)
    wanted_statuses = {s.value for s in statuses} if statuses else None
    wanted_actor = actor_key(actor) if actor else None
    wanted_kinds = {k.value for k in kinds} if kinds else None
    return [
        c
        for c in commitments
        if (wanted_statuses is None or _has_status(c, wanted_statuses))
        and (wanted_kinds is None or c["kind"] in wanted_kinds)
        and (pillar is None or c["pillar"] == pillar.value)
        and (wanted_actor is None or any(actor_key(a) == wanted_actor for a in c["actors"]))
        and (not overdue or is_overdue(c, today))
        and (due_before is None or (c["due"] is not None and c["due"] < due_before))
        and (found is None or c["id"] in found)
        and (source is None or cites(c, source))
    ]


def _has_status(summary: Summary, wanted: set[str]) -> bool:
    if summary["status"] in wanted:
        return True
    if summary["assessed"] is None:
        return False  # every event assesses every actor: they all have the latest event's status
    return any(status is not None and status.value in wanted for status in actor_statuses(summary).values())


def merge_commitment(existing: Commitment, incoming: Commitment) -> Commitment:
    """`existing` with the events of `incoming` it lacks appended (in their order) and its status recomputed.

    Only history is merged: every other field of `existing` is kept as it is.
    """
    missing = [event for event in incoming["history"] if event not in existing["history"]]
    if not missing:
        return existing
    history = [*existing["history"], *missing]
    return {**existing, "history": history, "status": current_status(history).value}


def _same_event(one: Event, other: Event) -> bool:
    fields = ("date", "status", "note", "evidence", "actors", "by")
    return all(one[field] == other[field] for field in fields)  # type: ignore[literal-required]


def assessed_actors(commitment: Commitment, actors: Sequence[str]) -> list[str]:
    """The commitment's own names for `actors` (matched in any case), in its order; UsageProblem naming the valid
    actors if one is not a party to it."""
    names = {actor_key(actor): actor for actor in commitment["actors"]}
    strangers = [actor for actor in actors if actor_key(actor) not in names]
    if strangers:
        raise UsageProblem(
            f"{', '.join(map(repr, strangers))} is not an actor of '{commitment['id']}'; its actors are "
            f"{', '.join(commitment['actors'])} ('tracker edit {commitment['id']} --actor ...' changes them)"
        )
    wanted = {actor_key(actor) for actor in actors}
    return [actor for actor in commitment["actors"] if actor_key(actor) in wanted]


# --- corrections ------------------------------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "id",
    "kind",
    "weight",
    "title",
    "summary",
    "quote",
    "due",
    "amount",
    "actors",
    "pillar",
    "source_document",
    "source_date",
    "paragraph",
)


def edit_commitment(
    commitment: Commitment, changes: Mapping[str, Any], existing_ids: Iterable[str], today: str | None = None
) -> Commitment:
    """A copy of `commitment` with `changes` (keys from EDITABLE_FIELDS) made, checked as `add` checks a new one;
    RecordProblems listing every problem otherwise. A new source date moves the first event (the statement
    itself) with it, if that event was dated on the old source date."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInputError(f"cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE_FIELDS)}")
    edited: dict[str, Any] = {**commitment, "source": dict(commitment["source"])}
    edited["history"] = list(commitment["history"])
    for field, value in changes.items():
        if field.startswith("source_") or field == "paragraph":
            edited["source"][field.removeprefix("source_")] = value
        elif field == "actors":
            edited["actors"] = [actor_name(actor) if actor.strip() else actor for actor in value]
        else:
            edited[field] = value
    old_date, new_date = commitment["source"]["date"], edited["source"]["date"]
    if new_date != old_date and edited["history"] and edited["history"][0]["date"] == old_date:
        edited["history"][0] = {**edited["history"][0], "date": new_date}
    return checked_record(edited, commitment["id"], existing_ids, today)


def checked_record(record: Any, old_id: str, existing_ids: Iterable[str], today: str | None = None) -> Commitment:
    """`record` (a corrected version of the commitment `old_id`) with its status recomputed from its history, if
    it holds every rule a new commitment holds; RecordProblems listing every problem otherwise."""
    problems: list[str] = []
    if isinstance(record, dict) and isinstance(record.get("history"), list) and record["history"]:
        with suppress(InvalidInputError, KeyError, TypeError, ValueError):  # such problems are listed below
            record = {**record, "status": current_status(record["history"]).value}
    if isinstance(record, dict):
        problems += _edit_problems(record, old_id, set(existing_ids), today)
    problems += commitment_problems(record, today)
    if problems:
        problems = list(dict.fromkeys(problems))
        raise RecordProblems(f"'{old_id}' was not changed", problems)
    return record  # type: ignore[no-any-return]


def checked_fields(
    before: Commitment, edited: dict[str, Any], existing_ids: Iterable[str], today: str | None = None
) -> Commitment:
    """`edited`, the commitment `before` as the user saved it from an editor, if it changes only the commitment's
    own fields and holds every rule (see `checked_record`); RecordProblems listing every problem otherwise. Its
    history and status are changed with `history` and `update`, so that every event keeps when and by whom it was
    recorded. A new source date, if it is a real date, moves the first event (the statement itself) with it, as
    `edit --source-date` does."""
    problems = []
    if edited.get("status", before["status"]) != before["status"]:
        problems.append("the status is its latest event's: record what happened with 'tracker update'")
    if edited.get("history", before["history"]) != before["history"]:
        problems.append(f"the history is not edited here: 'tracker history {before['id']} --edit N' corrects one event")
    history = list(before["history"])
    new_date, old_date = _real_source_date(edited), before["source"]["date"]
    if new_date is not None and new_date != old_date and history[0]["date"] == old_date:
        history[0] = {**history[0], "date": new_date}
    record = {**edited, "history": history, "status": before["status"]}
    try:
        checked = checked_record(record, before["id"], existing_ids, today)
    except RecordProblems as error:
        problems += error.problems
    if problems:
        raise RecordProblems(f"'{before['id']}' was not changed", problems)
    return checked


def _real_source_date(record: dict[str, Any]) -> str | None:
    """The record's source date, if it is a real date (YYYY-MM-DD)."""
    source = record.get("source")
    if isinstance(source, dict) and not _date_problem(source.get("date"), "source date"):
        return source["date"]  # type: ignore[no-any-return]
    return None


def _edit_problems(record: dict[str, Any], old_id: str, existing: set[str], today: str | None) -> list[str]:
    problems = []
    new_id = record.get("id")
    if isinstance(new_id, str) and new_id != old_id and new_id in existing:
        problems.append(f"a commitment with id '{new_id}' already exists; choose another --id")
    source_date, due = _real_source_date(record), record.get("due")
    if source_date is None or source_date > future_bound(today):
        return problems  # the source date's own problem is listed; the due date cannot be held to it
    if isinstance(due, str) and not _date_problem(due, "due") and due < source_date:
        problems.append(f"the due date {due} is before the source date {source_date}")
    return problems


def numbered_events(commitment: Commitment) -> list[tuple[int, int, Event]]:
    """The events as `history` numbers them: (number from 1, index in the stored list, event), in date order and,
    for one date, in the order they were recorded. Number 1 is the statement itself."""
    history = commitment["history"]
    order = sorted(range(len(history)), key=lambda index: (history[index]["date"], index))
    return [(number, index, history[index]) for number, index in enumerate(order, start=1)]


def _event_index(commitment: Commitment, number: int) -> int:
    events = numbered_events(commitment)
    if not 1 <= number <= len(events):
        raise NotFoundError(
            f"'{commitment['id']}' has no event {number}; its events are numbered 1 to {len(events)} "
            f"('tracker history {commitment['id']}' lists them)"
        )
    return events[number - 1][1]


def edit_event(
    commitment: Commitment,
    number: int,
    *,
    on: str | None = None,
    status: Status | None = None,
    note: str | None = None,
    evidence: Sequence[str] | None = None,
    today: str | None = None,
) -> Commitment:
    """A copy of `commitment` with event `number` (as `numbered_events` numbers them) changed; its status is
    recomputed, and the whole record checked (RecordProblems otherwise). The first event's date is the source
    date: change it with the source date."""
    index = _event_index(commitment, number)
    event = dict(commitment["history"][index])
    if on is not None and index == 0 and on != event["date"]:
        raise InvalidInputError(
            f"event 1 is the statement itself, dated on the source date; 'tracker edit {commitment['id']} "
            "--source-date YYYY-MM-DD' moves both"
        )
    if evidence is not None and blank_evidence(evidence):
        raise InvalidInputError(EVIDENCE_BLANK)
    for key, value in (("date", on), ("status", status.value if status else None), ("note", note)):
        if value is not None:
            event[key] = value
    if evidence is not None:
        event["evidence"] = list(evidence)
    if status is not None and status is not Status.SUPERSEDED:
        event["by"] = None  # a successor is named only by a superseded event
    history = list(commitment["history"])
    history[index] = event  # type: ignore[call-overload]
    return _checked_with_numbers({**commitment, "history": history}, commitment, today)


def _checked_with_numbers(
    candidate: Commitment, original: Commitment, today: str | None, removed: int | None = None
) -> Commitment:
    """`checked_record`, its problems naming events by the numbers `tracker history` showed for the commitment
    before the correction (`removed`: the place of an event taken out), not by their places in the file."""
    try:
        return checked_record(candidate, candidate["id"], [], today)
    except RecordProblems as error:
        shown = {index: number for number, index, _ in numbered_events(original)}
        places = [index for index in range(len(original["history"])) if index != removed]
        numbers = {place + 1: shown[index] for place, index in enumerate(places)}
        renumbered = [
            re.sub(r"\bevent ([0-9]+)\b", lambda m: f"event {numbers.get(int(m[1]), m[1])}", problem)
            for problem in error.problems
        ]
        raise RecordProblems(error.subject, renumbered) from None


def delete_event(commitment: Commitment, number: int, today: str | None = None) -> Commitment:
    """A copy of `commitment` without event `number`; the first event (the statement itself) cannot go."""
    index = _event_index(commitment, number)
    if index == 0:
        raise InvalidInputError(
            f"event 1 of '{commitment['id']}' is the statement itself and cannot be deleted; "
            f"'tracker remove {commitment['id']}' removes the whole commitment"
        )
    history = [event for position, event in enumerate(commitment["history"]) if position != index]
    return _checked_with_numbers({**commitment, "history": history}, commitment, today, removed=index)


class SortKey(StrEnum):
    """The orders `list --sort` offers."""

    DUE = "due"
    ID = "id"
    STATUS = "status"
    UPDATED = "updated"


_STATUS_RANK = {status.value: rank for rank, status in enumerate(Status)}


def sorted_commitments(commitments: Iterable[Summary], key: SortKey = SortKey.DUE) -> list[Summary]:
    """In the order `key` names: `due` as `by_due`; `id`; `status` in the order of Status (pending first), then due
    date (none last), then id; `updated` by the latest event's date, newest first, then id."""
    if key is SortKey.ID:
        return sorted(commitments, key=_BY_ID)
    if key is SortKey.STATUS:
        return sorted(commitments, key=lambda c: (_STATUS_RANK[c["status"]], c["due"] is None, c["due"] or "", c["id"]))
    if key is SortKey.UPDATED:
        # Two stable sorts: by id, then by the latest event's date, newest first.
        return sorted(sorted(commitments, key=_BY_ID), key=operator.itemgetter("last"), reverse=True)
    return by_due(commitments)


_NUMBERED = re.compile(r"^([0-9]+)\.\s")


def source_paragraphs(text: str) -> dict[int, str]:
    """The numbered paragraphs of a source text (`1. ...`, `2. ...`): each from its numbered line up to the next,
    sub-points (`°`) included, its lines as in the text but for trailing white space, blank lines at its ends
    dropped. Only a line whose number follows the last one starts a paragraph (a line opening with a year does
    not); what comes before paragraph 1 (the heading) belongs to none."""
    paragraphs: dict[int, list[str]] = {}
    current = 0
    for line in text.splitlines():
        match = _NUMBERED.match(line)
        if match and int(match[1]) == current + 1:
            current += 1
            paragraphs[current] = []
        if current:
            paragraphs[current].append(line.rstrip())
    return {number: "\n".join(lines).strip("\n") for number, lines in paragraphs.items()}


def cited_paragraph(
    commitment: Commitment,
    sources: Mapping[str, str],
    paragraphs_of: Callable[[str], dict[int, str]] = source_paragraphs,
) -> str:
    """The text of the paragraph a commitment cites, from `sources` (file name to text) cut by `paragraphs_of`; a
    NotFoundError that says what is missing when it has no source file, no paragraph, or cites what `sources`
    lacks."""
    cid, source = commitment["id"], commitment["source"]
    if source["file"] is None:
        raise NotFoundError(
            f"{cid} cites no source file, so there is no paragraph to show; 'tracker show {cid}' shows its quote"
        )
    if source["paragraph"] is None:
        raise NotFoundError(
            f"{cid} cites no paragraph number of {source['file']}; 'tracker show {cid}' shows its quote"
        )
    text = sources.get(source["file"])
    if text is None:
        known = ", ".join(sorted(sources)) or "none"
        raise NotFoundError(
            f"{cid} cites the source file '{source['file']}', which is neither in the source register beside the data "
            f"file nor among the bundled source texts ({known})"
        )
    paragraphs = paragraphs_of(text)
    if source["paragraph"] not in paragraphs:
        have = f"paragraphs 1 to {len(paragraphs)}" if paragraphs else "no numbered paragraphs"
        raise NotFoundError(f"{cid} cites paragraph {source['paragraph']} of {source['file']}, which has {have}")
    return paragraphs[source["paragraph"]]
