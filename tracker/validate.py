"""A fast yes-or-no check of a stored commitment, by exactly the rules of `model.commitment_problems`.

`commitment_problems` lists every problem, in words, and builds those lists for every record it checks; over a
hundred thousand commitments that is most of the cost of reading a file. `is_valid` answers only whether there is
a problem, with no list and no message, and remembers the dates it has already found valid (a data set holds a few
thousand distinct dates). Where it says no, the caller asks `commitment_problems` for the message, so the words are
always the model's own. The two must agree on every record: `tests/test_validate.py` checks them on the bundled
data, on generated data and on hypothesis-generated records, broken ones included. A rule changed in the model
must be changed here too; that test fails until it is.
"""

from __future__ import annotations

from typing import Any

from tracker.model import _TIMESTAMP_PATTERN as TIMESTAMP_PATTERN
from tracker.model import (
    AMOUNT_KEYS,
    AMOUNT_MAX,
    AMOUNT_PERIODS,
    COMMITMENT_KEYS,
    EVENT_KEYS,
    ID_MAX,
    ID_PATTERN,
    KIND_VALUES,
    PILLAR_VALUES,
    SOURCE_KEYS,
    STATUS_VALUES,
    TITLE_MAX,
    WEIGHT_MAX,
    Status,
    actor_key,
    future_bound,
    has_surrogate,
    is_name_list,
    is_number,
    parse_date,
)

_SUPERSEDED = Status.SUPERSEDED.value
_VALID_DATES: set[str] = set()
_DATES_REMEMBERED = 100_000  # beyond this many distinct dates, each new one is checked without being remembered


def _is_date(value: Any) -> bool:
    """`model._date_problem(value)` is empty."""
    if not isinstance(value, str):
        return False
    if value in _VALID_DATES:
        return True
    try:
        parse_date(value)
    except ValueError:
        return False
    if len(_VALID_DATES) < _DATES_REMEMBERED:
        _VALID_DATES.add(value)
    return True


def _is_event(event: Any) -> bool:
    """`model._problems_in_event(event)` finds no problem."""
    if not isinstance(event, dict) or event.keys() != EVENT_KEYS:
        return False
    status = event["status"]
    if not _is_date(event["date"]) or not isinstance(status, str) or status not in STATUS_VALUES:
        return False
    if not isinstance(event["note"], str):
        return False
    evidence = event["evidence"]
    if type(evidence) is not list:
        return False
    try:
        "".join(evidence)  # in C: a TypeError unless every item is a string
    except TypeError:
        return False
    recorded_at = event["recorded_at"]
    if not isinstance(recorded_at, str) or not TIMESTAMP_PATTERN.match(recorded_at):
        return False
    recorded_by = event["recorded_by"]
    if recorded_by is not None and (not isinstance(recorded_by, str) or not recorded_by.strip()):
        return False
    if event["actors"] is not None and not is_name_list(event["actors"]):
        return False
    by = event["by"]
    return by is None or (
        isinstance(by, str) and bool(ID_PATTERN.match(by)) and len(by) <= ID_MAX and status == _SUPERSEDED
    )


def _is_source(source: Any) -> bool:
    if not isinstance(source, dict) or source.keys() != SOURCE_KEYS:
        return False
    paragraph = source["paragraph"]
    return (
        isinstance(source["document"], str)
        and _is_date(source["date"])
        and (paragraph is None or (isinstance(paragraph, int) and not isinstance(paragraph, bool) and paragraph >= 1))
        and (source["file"] is None or isinstance(source["file"], str))
    )


def _is_amount(amount: Any) -> bool:
    if amount is None:
        return True
    if not isinstance(amount, dict) or amount.keys() != AMOUNT_KEYS:
        return False
    value, currency = amount["value"], amount["currency"]
    if not is_number(value) or not 0 <= value <= AMOUNT_MAX:
        return False
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii() and currency.isalpha()):
        return False
    if not currency.isupper():  # with the two checks above: [A-Z]{3}, as the model's rule says
        return False
    return amount["per"] is None or amount["per"] in AMOUNT_PERIODS


def is_valid(commitment: Any, bound: str | None = None, from_orjson: bool = False) -> bool:
    """Whether `commitment_problems(commitment)` is empty; `bound` is `future_bound()` (computed if not given: give
    it once for a batch). `from_orjson`: the record was parsed by orjson, which refuses a lone surrogate, so its
    texts need no search for one."""
    if not isinstance(commitment, dict) or commitment.keys() != COMMITMENT_KEYS:
        return False
    cid = commitment["id"]
    if not isinstance(cid, str) or len(cid) > ID_MAX or not ID_PATTERN.match(cid):
        return False
    title = commitment["title"]
    if not isinstance(title, str) or not 0 < len(title) <= TITLE_MAX or title.isspace():
        return False
    if not isinstance(commitment["summary"], str) or not isinstance(commitment["quote"], str):
        return False
    source = commitment["source"]
    actors = commitment["actors"]
    if not _is_source(source) or not is_name_list(actors):
        return False
    if not isinstance(commitment["pillar"], str) or commitment["pillar"] not in PILLAR_VALUES:
        return False
    if commitment["due"] is not None and not _is_date(commitment["due"]):
        return False
    if not _is_amount(commitment["amount"]):
        return False
    kind = commitment["kind"]
    if kind is not None and (not isinstance(kind, str) or kind not in KIND_VALUES):
        return False
    weight = commitment["weight"]
    if not is_number(weight) or not 0 < weight <= WEIGHT_MAX:
        return False
    history = commitment["history"]
    if not isinstance(history, list) or not history:
        return False
    if not all(map(_is_event, history)):
        return False
    names = {actor_key(actor) for actor in actors}
    if len(names) != len(actors):
        return False
    source_date = source["date"]
    latest_date, latest_status = "", ""
    for event in history:
        if event["actors"] is not None and any(actor_key(actor) not in names for actor in event["actors"]):
            return False
        if event["by"] is not None and event["by"] == cid:
            return False
        on = event["date"]
        if on < source_date:
            return False
        if on >= latest_date:
            latest_date, latest_status = on, event["status"]
    if latest_date > (bound or future_bound()):  # the latest date is the one that could be in the future
        return False
    if commitment["status"] != latest_status:
        return False
    return from_orjson or not has_surrogate(commitment)
