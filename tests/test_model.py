"""The domain rules: statuses over time, ids and prefixes, amounts, validation, events and new commitments."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import event
from tracker.errors import AmbiguousIdError, InvalidInputError, NotFoundError, RecordProblems
from tracker.model import (
    SCORES,
    Commitment,
    Pillar,
    Status,
    Summary,
    by_due,
    check_successors,
    checked_fields,
    checked_record,
    commitment_problems,
    current_status,
    format_amount,
    future_bound,
    latest_date_on_earth,
    matching,
    new_commitment,
    parse_amount,
    parse_date,
    record_event,
    resolve_id,
    search_ids,
    slugify,
    status_as_of,
    successor_loop,
    summarize,
)
from tracker.validate import is_valid

# Two days after the latest date on Earth: in the future wherever the tests run, even across a midnight.
FUTURE = (date.fromisoformat(latest_date_on_earth()) + timedelta(days=2)).isoformat()


def commitment(**fields: object) -> Commitment:
    made = new_commitment(
        existing_ids=[],
        title="Sign the agreement",
        actors=["ROK"],
        pillar=Pillar.ECONOMIC,
        today="2021-01-01",
        recorded_at="2021-01-01T00:00:00Z",
        source_date="2020-09-09",
    )
    return {**made, **fields}  # type: ignore[typeddict-item]


def test_scores_follow_the_g7_g20_research_group() -> None:
    assert SCORES == {
        Status.FULFILLED: 1,
        Status.PARTIAL: 0,
        Status.IN_PROGRESS: 0,
        Status.STALLED: -1,
        Status.BROKEN: -1,
        Status.PENDING: None,
        Status.LAPSED: None,
        Status.SUPERSEDED: None,
    }


def test_status_is_the_latest_event_by_date_then_by_order_recorded() -> None:
    history = [event("2021-01-01", "pending"), event("2021-06-01", "stalled"), event("2021-03-01", "fulfilled")]
    assert current_status(history) is Status.STALLED
    same_day = [event("2021-01-01", "pending"), event("2021-01-01", "broken"), event("2021-01-01", "partial")]
    assert current_status(same_day) is Status.PARTIAL


def test_status_as_of_a_date_ignores_later_events() -> None:
    history = [event("2021-01-01", "pending"), event("2021-06-01", "in-progress"), event("2022-01-01", "fulfilled")]
    assert status_as_of(history, "2020-12-31") is None
    assert status_as_of(history, "2021-01-01") is Status.PENDING
    assert status_as_of(history, "2021-12-31") is Status.IN_PROGRESS
    assert status_as_of(history, "2022-01-01") is Status.FULFILLED


def test_resolve_id_takes_exact_ids_and_unique_prefixes() -> None:
    ids = ["rcep-signing", "cooperation-fund", "climate-environment-cooperation", "co"]
    assert resolve_id(ids, "rcep") == "rcep-signing"
    assert resolve_id(ids, "co") == "co"
    with pytest.raises(AmbiguousIdError, match="3 commitments: climate-environment-cooperation, co, cooperation-fund"):
        resolve_id(ids, "c")
    with pytest.raises(NotFoundError, match="no commitment 'rcep-signin'") as error:
        resolve_id(["cooperation-fund"], "rcep-signin")
    assert "did you mean" not in str(error.value)
    with pytest.raises(NotFoundError, match="did you mean cooperation-fund"):
        resolve_id(ids, "cooperation-funds")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14000000 USD/year", {"value": 14_000_000, "currency": "USD", "per": "year"}),
        ("14,000,000 usd a year", {"value": 14_000_000, "currency": "USD", "per": "year"}),
        ("2.5 EUR", {"value": 2.5, "currency": "EUR", "per": None}),
        ("500 KRW per month", {"value": 500, "currency": "KRW", "per": "month"}),
    ],
)
def test_parse_amount_reads_number_currency_and_period(text: str, expected: dict[str, object]) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["fourteen million", "14000000", "USD 14", "14 USD/decade", ""])
def test_parse_amount_rejects_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError, match=r"amount|period"):
        parse_amount(text)


def test_format_amount() -> None:
    assert format_amount({"value": 14_000_000, "currency": "USD", "per": "year"}) == "USD 14,000,000 a year"
    assert format_amount(None) == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2.5, "EUR 2.50"),
        (0.001, "EUR 0.001"),  # not 0.00: what is kept is shown
        (1e-07, "EUR 0.0000001"),
        (123456789012345.6, "EUR 123,456,789,012,345.60"),  # not ...345.59, the float's binary digits
        (1e15, "EUR 1,000,000,000,000,000.00"),
    ],
)
def test_a_fractional_amount_is_shown_as_it_is_kept(value: float, shown: str) -> None:
    assert format_amount({"value": value, "currency": "EUR", "per": None}) == shown


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1000000000000000.0001 USD", "too large an amount; at most 1,000,000,000,000,000 (10^15)"),
        ("999999999999999.99 USD", "has more digits than an amount keeps (it would be 1,000,000,000,000,000.0)"),
        ("0.33333333333333333 USD", "round it to 15 significant digits or fewer"),
    ],
)
def test_an_amount_is_refused_where_it_would_not_be_kept_as_written(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_amount(text)
    assert parse_amount("999999999999999.9 USD")["value"] == 999999999999999.9  # 16 digits, and kept exactly


@pytest.mark.parametrize("text", ["2020-13-01", "2020-02-30", "20-01-01", "2020-1-1", "tomorrow", "2020-01-01x"])
def test_parse_date_is_strict(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date(text)


def test_slugify_makes_short_ascii_ids() -> None:
    assert slugify("Sign RCEP in 2020!") == "sign-rcep-2020"
    assert slugify("Launch the ASEAN-ROK Startup Partnership") == "launch-asean-rok-startup-partnership"
    assert slugify("The Plan of Action and its Review") == "plan-action-review"
    assert slugify("The A") == "the-a"  # nothing but stop words: keep them rather than make no id
    assert slugify("[bold]x[/bold]") == "bold-x-bold"
    assert slugify("한국어") == "commitment"
    assert len(slugify("word " * 40)) <= 40


def test_note_only_event_keeps_the_status_on_its_own_date() -> None:
    start = commitment()
    fulfilled = record_event(
        start, on="2021-06-01", today="2022-01-01", status=Status.FULFILLED, note="", evidence=[], recorded_at="x"
    )
    noted = record_event(
        fulfilled, on="2021-03-01", today="2022-01-01", status=None, note="talks", evidence=[], recorded_at="x"
    )
    assert noted["history"][-1]["status"] == "pending"
    assert noted["status"] == "fulfilled"


@pytest.mark.parametrize(
    ("on", "status", "note", "evidence", "message"),
    [
        ("2021-01-01", None, "", [], "nothing to record"),
        (FUTURE, Status.BROKEN, "", [], "in the future"),
        ("2020-09-08", Status.BROKEN, "", [], "before the commitment's source date"),
        ("2021-01-01", None, "", ["  "], "evidence must not be blank"),
    ],
)
def test_record_event_refuses_what_cannot_be_recorded(
    on: str, status: Status | None, note: str, evidence: list[str], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        record_event(
            commitment(), on=on, today="2022-01-01", status=status, note=note, evidence=evidence, recorded_at="x"
        )


def test_new_commitment_starts_pending_at_its_source_date_with_a_free_id() -> None:
    made = new_commitment(
        existing_ids=["sign-rcep"],
        title="Sign RCEP",
        actors=["ROK", "rok", "Japan"],
        pillar=Pillar.ECONOMIC,
        today="2021-01-01",
        recorded_at="2021-01-01T00:00:00Z",
    )
    assert made["id"] == "sign-rcep-2"
    assert made["actors"] == ["ROK", "Japan"]
    assert made["history"][0]["date"] == "2021-01-01"
    assert made["status"] == "pending"
    assert commitment_problems(made) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": " "}, "title must not be blank"),
        ({"title": "x" * 81}, "81 characters"),
        ({"actors": []}, "at least one --actor"),
        ({"commitment_id": "taken"}, "already exists"),
        ({"source_date": FUTURE}, "in the future"),
        ({"due": "2020-01-01", "source_date": "2020-06-01"}, "before the source date"),
    ],
)
def test_new_commitment_refuses_bad_values(fields: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "existing_ids": ["taken"],
        "title": "A title",
        "actors": ["ROK"],
        "pillar": Pillar.ECONOMIC,
        "today": "2021-01-01",
        "recorded_at": "2021-01-01T00:00:00Z",
    }
    arguments.update(fields)
    with pytest.raises(InvalidInputError, match=message):
        new_commitment(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"status": "done"}, "status 'done'"),
        ({"status": "fulfilled"}, "is not the status of its latest event"),
        ({"pillar": "military"}, "pillar 'military'"),
        ({"id": "Bad Id"}, "is not a slug"),
        ({"id": "a" * 61}, "' is not a slug of lower-case letters, digits and single hyphens, at most 60 characters"),
        ({"title": 5}, "title is not a string"),
        ({"due": "2020-02-30"}, "due"),
        ({"actors": []}, "actors"),
        ({"history": []}, "history"),
        ({"amount": {"value": "lots", "currency": "USD", "per": None}}, "amount value"),
        ({"amount": {"value": float("inf"), "currency": "USD", "per": None}}, "amount value"),
        ({"amount": {"value": float("nan"), "currency": "USD", "per": None}}, "amount value"),
        ({"extra": 1}, "unknown field"),
    ],
)
def test_commitment_problems_name_what_is_wrong(change: dict[str, object], problem: str) -> None:
    broken = {**commitment(), **change}
    problems = commitment_problems(broken)
    assert problems
    assert problem in " ".join(problems)


def by_due_matching(*args: object, **kwargs: object) -> list[Summary]:
    return by_due(matching(*args, **kwargs))  # type: ignore[arg-type]


def test_filters_combine_and_list_order_is_by_due_then_id() -> None:
    full = [
        commitment(id="a", due=None),
        commitment(id="b", due="2021-01-01", actors=["ASEAN"]),
        commitment(id="c", due="2020-12-31", summary="Digital economy"),
    ]
    a, b, c = (summarize(x) for x in full)
    assert search_ids(full, "DIGITAL") == {"c"}
    assert [x["id"] for x in by_due_matching([a, b, c], "2022-01-01")] == ["c", "b", "a"]
    assert [x["id"] for x in by_due_matching([a, b, c], "2022-01-01", actor="asean")] == ["b"]
    assert [x["id"] for x in by_due_matching([a, b, c], "2022-01-01", found={"c", "a"})] == ["c", "a"]
    assert [x["id"] for x in by_due_matching([a, b, c], "2022-01-01", overdue=True, due_before="2021-01-01")] == ["c"]
    assert by_due_matching([a, b, c], "2022-01-01", statuses=[Status.BROKEN]) == []


@given(
    st.lists(
        st.tuples(st.sampled_from([None, "2020-12-31", "2021-01-01", "2024-06-30"]), st.sampled_from("abcdef")),
        max_size=30,
    )
)
def test_by_due_is_the_order_of_due_date_none_last_then_id(pairs: list[tuple[str | None, str]]) -> None:
    # Repeated ids too (two copies of one commitment keep the order they came in): the order a sort by the key
    # (due is None, due or "", id) gives, as `by_due` is defined, whatever its sorts.
    rows = [{"due": due, "id": cid, "place": place} for place, (due, cid) in enumerate(pairs)]
    expected = sorted(rows, key=lambda c: (c["due"] is None, c["due"] or "", c["id"]))
    ordered: list[dict[str, Any]] = by_due(iter(rows))  # type: ignore[arg-type, assignment]
    assert [row["place"] for row in ordered] == [row["place"] for row in expected]


def test_an_unknown_field_and_a_missing_one_are_listed_with_every_other_problem() -> None:
    problems = commitment_problems({**commitment(), "extra": 1, "weight": 1e308, "due": "2020-1-1"})
    assert problems[0] == "record has unknown field(s) extra"
    assert len(problems) == 3, problems  # and the weight's and the due date's
    missing = {key: value for key, value in commitment().items() if key != "weight"}
    assert commitment_problems({**missing, "due": "2020-1-1"}) == [
        "record lacks weight",
        "due: '2020-1-1' is not a date in the form YYYY-MM-DD",
    ]


def test_a_missing_field_hides_no_other_problem_of_its_object_or_of_the_record() -> None:
    made = commitment(amount={"value": 5, "currency": "USD", "per": None})
    first = made["history"][0]
    lacking = {key: value for key, value in made.items() if key != "actors"}
    no_note = {key: value for key, value in first.items() if key != "note"}
    broken = {
        **lacking,
        "title": 7,
        "source": {key: value for key, value in {**made["source"], "document": 5}.items() if key != "file"},
        "amount": {"value": "lots", "currency": 5},
        "history": [first, {**no_note, "date": "2099-01-01", "status": "bad"}],
    }
    assert commitment_problems(broken, "2021-01-02") == [
        "record lacks actors",
        "title is not a string",
        "source lacks file",
        "source document is not a string",
        "amount lacks per",
        "amount value is not a finite number from 0 to 1,000,000,000,000,000 (10^15)",
        "amount currency is not a three-letter code such as USD",
        "event 2 lacks note",
        "event 2 status 'bad' is not one of pending, in-progress, stalled, partial, fulfilled, broken, lapsed, "
        "superseded",
        f"event 2 date 2099-01-01 is in the future (the latest date on Earth is {future_bound('2021-01-02')})",
    ]
    odd_evidence = {**made, "history": [first, {**first, "date": "2019-01-01", "evidence": "x", "actors": ["Nobody"]}]}
    assert commitment_problems(odd_evidence, "2021-01-02") == [
        "event 2 evidence is not a list of strings",
        "event 2 assesses Nobody, not an actor of the commitment",
        "event 2 date 2019-01-01 is before the commitment's source date 2020-09-09",
    ]


def test_an_unknown_field_hides_no_other_problem_of_its_object_or_of_the_record() -> None:
    made = commitment(amount={"value": 5, "currency": "USD", "per": None})
    first = made["history"][0]
    broken = {
        **made,
        "extra": 1,
        "status": "fulfilled",  # not the status of its latest event
        "source": {**made["source"], "page": 3, "paragraph": 0},
        "amount": {"value": 5, "currency": "usd", "per": None, "note": "x"},
        "history": [{**first, "place": "Seoul"}, {**first, "date": "2019-01-01", "status": "done", "why": 1}],
    }
    assert commitment_problems(broken) == [
        "record has unknown field(s) extra",
        "source has unknown field(s) page",
        "source paragraph is not a positive whole number or null",
        "amount has unknown field(s) note",
        "amount currency is not a three-letter code such as USD",
        "event 1 has unknown field(s) place",
        "event 2 has unknown field(s) why",
        "event 2 status 'done' is not one of pending, in-progress, stalled, partial, fulfilled, broken, lapsed, "
        "superseded",
        "event 2 date 2019-01-01 is before the commitment's source date 2020-09-09",
    ]
    fine_events = {**broken, "history": [{**first, "place": "Seoul"}, {**first, "date": "2019-01-01", "why": 1}]}
    assert commitment_problems(fine_events)[-2:] == [
        "event 2 date 2019-01-01 is before the commitment's source date 2020-09-09",
        "status 'fulfilled' is not the status of its latest event (pending)",
    ]


def _superseded(commitment_id: str, by: str | None) -> Commitment:
    made = commitment(id=commitment_id)
    if by is None:
        return made
    return record_event(
        made,
        on="2021-01-02",
        today="2021-01-02",
        status=Status.SUPERSEDED,
        note="Replaced.",
        evidence=[],
        recorded_at="2021-01-02T00:00:00Z",
        by=by,
    )


def test_a_successor_loop_is_found_only_where_it_leads_back_to_the_commitment() -> None:
    # a -> b -> c -> b: the loop b, c (a file edited by hand) leaves a out, and following it ends
    held = {cid: _superseded(cid, by) for cid, by in (("b", "c"), ("c", "b"), ("d", "a"), ("e", "gone"))}
    assert successor_loop(_superseded("a", "b"), held.get) is None
    assert successor_loop(_superseded("a", "d"), held.get) == ["a", "d", "a"]
    assert successor_loop(_superseded("a", "e"), held.get) is None  # a successor no commitment is: the chain ends
    assert successor_loop(_superseded("a", None), held.get) is None
    assert successor_loop(held["b"], held.get) == ["b", "c", "b"]


@pytest.mark.parametrize(
    ("title", "problem"),
    [("", "title must be 1 to 80 characters, not 0"), ("  ", "the title must not be blank")],
)
def test_a_corrected_record_with_no_title_has_one_problem_not_two(title: str, problem: str) -> None:
    made = commitment(id="a")
    with pytest.raises(RecordProblems) as raised:
        checked_record({**made, "title": title}, "a", ["a"], "2021-01-02")
    assert raised.value.problems == [problem]


def test_a_long_loop_is_named_by_its_ends_and_its_length() -> None:
    held = {f"c{n}": _superseded(f"c{n}", f"c{n + 1}") for n in range(1, 12)}
    held["c12"] = _superseded("c12", "c0")
    with pytest.raises(InvalidInputError) as raised:
        check_successors(_superseded("c0", "c1"), held.get)
    assert str(raised.value) == (
        "the successors of 'c0' would lead back to it (c0 -> c1 -> c2 -> (9 more) -> c12 -> c0); "
        "a commitment cannot in the end replace itself"
    )
    check_successors(_superseded("c0", "c1"), held.get, before=_superseded("c0", "c1"))  # as it was: not asked


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        ({"source_date": "2019-02-30"}, ["source date: '2019-02-30' is not a real calendar date (YYYY-MM-DD)"]),
        ({"source_date": "2999-01-01"}, ["the source date 2999-01-01 is in the future (the latest date on Earth is"]),
        (
            {"status": "fulfilled", "title": "x" * 81},
            [
                "the status is its latest event's: record what happened with 'tracker update'",
                "title must be 1 to 80 characters, not 81",
            ],
        ),
        (
            {"history": [], "extra": 1, "title": "\ud800"},
            [
                "the history is not edited here: 'tracker history a --edit N' corrects one event",
                "record has unknown field(s) extra",
                "holds text that is not Unicode (a lone surrogate, as bytes that are not UTF-8 become)",
            ],
        ),
    ],
)
def test_an_editor_save_lists_each_problem_once_and_every_one(change: dict[str, Any], problems: list[str]) -> None:
    before = commitment(id="a", due="2021-06-30")
    edited: dict[str, Any] = {**before, **{k: v for k, v in change.items() if k != "source_date"}}
    if "source_date" in change:
        edited["source"] = {**before["source"], "date": change["source_date"]}
    with pytest.raises(RecordProblems) as raised:
        checked_fields(before, edited, ["a"], "2021-01-02")
    found = raised.value.problems
    assert len(found) == len(problems), found
    assert all(line.startswith(words) for line, words in zip(found, problems, strict=True)), found


def test_a_status_that_is_not_a_name_is_said_to_be_none_of_them() -> None:
    assert commitment_problems({**commitment(), "status": ["pending"]}) == [
        "status ['pending'] is not one of pending, in-progress, stalled, partial, fulfilled, broken, lapsed, superseded"
    ]


def test_a_blank_title_breaks_the_rules_whichever_way_it_comes_in() -> None:
    # `add` and `edit` refused it; an import or a file edited by hand let it through, and every later edit failed.
    assert commitment_problems({**commitment(), "title": " \t "}) == ["the title must not be blank"]
    assert not is_valid({**commitment(), "title": " \t "})


@pytest.mark.parametrize("odd_id", [{}, [], 7, None])
def test_an_editor_save_with_an_id_that_is_not_text_is_a_problem_not_a_crash(odd_id: object) -> None:
    before = commitment(id="a")
    with pytest.raises(RecordProblems) as raised:
        checked_fields(before, {**before, "id": odd_id}, ["a", "b"], "2021-01-02")
    assert raised.value.problems == [
        f"id {odd_id!r} is not a slug of lower-case letters, digits and single hyphens, at most 60 characters"
    ]


@pytest.mark.parametrize("field", ["date", "status", "note", "evidence", "recorded_at"])
def test_an_event_field_that_may_not_be_null_is_a_problem_when_it_is(field: str) -> None:
    # A field that is there but null is not a field that is missing: the first must be named, not skipped.
    made = commitment()
    broken = {**made, "history": [{**made["history"][0], field: None}]}
    assert any(problem.startswith(f"event 1 {field}") for problem in commitment_problems(broken))
    assert not is_valid(broken)


@pytest.mark.parametrize("field", ["weight", "amount"])
def test_a_number_past_a_floats_range_is_a_problem_not_a_crash(field: str) -> None:
    # math.isfinite cannot take an int of 400 digits (OverflowError): an import of one was an internal error.
    huge = 10**400
    value = huge if field == "weight" else {"value": huge, "currency": "USD", "per": None}
    broken = {**commitment(), field: value}
    problems = commitment_problems(broken)
    assert problems == [
        "weight 10000000000000000000... (401 characters) is not a positive number up to 1,000,000"
        if field == "weight"
        else "amount value 10000000000000000000... (401 characters) is not from 0 to 1,000,000,000,000,000 (10^15)"
    ]
    assert not is_valid(broken)


@pytest.mark.parametrize(
    ("text", "shows"),
    [
        ("ROK", True),
        ("\u0e01\u0e34", True),  # Thai with a vowel mark
        ("\u092a\u094d\u0930", True),  # Devanagari with a virama
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467", True),  # a family emoji, joined
        ("\U0001fae8", True),  # an emoji newer than some Pythons' Unicode tables
        ("\uf8ff", True),  # private use: a logo in some fonts
        ("\u06dd", True),  # the Arabic end of ayah, a format character that shows
        ("\u1680", True),  # the Ogham space mark, a space that shows
        ("", False),
        (" \t\u3000\u00a0", False),
        ("\u200b\u200c\u200d\u2060\ufeff", False),  # zero-width
        ("\u202e\u2066", False),  # bidirectional
        ("\x01\x7f\x9d", False),  # controls
        ("\u0301\u034f", False),  # combining marks alone
        ("\u115f\u3164\u2800", False),  # fillers, the blank Braille pattern
    ],
)
def test_a_text_that_shows_nothing_is_told_from_one_that_shows(text: str, shows: bool) -> None:
    from tracker.model import shows_anything

    assert shows_anything(text) is shows
