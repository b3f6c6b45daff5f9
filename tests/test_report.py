"""The report's figures, checked against examples computed by hand."""

from __future__ import annotations

from typing import Any

from tests.conftest import event
from tracker.formats import report_markdown
from tracker.model import Commitment, Event, Status, summarize
from tracker.report import build_report, score


def commitment(
    cid: str,
    *events: Event,
    actors: list[str] | None = None,
    pillar: str = "economic",
    due: str | None = None,
    made: str = "2020-09-09",
) -> Commitment:
    history = [event(made, "pending"), *events]
    latest = max(enumerate(history), key=lambda pair: (pair[1]["date"], pair[0]))[1]
    return {
        "id": cid,
        "title": f"Title of {cid}",
        "summary": "",
        "quote": "",
        "source": {"document": "", "date": made, "paragraph": None, "file": None},
        "actors": actors or ["ROK"],
        "pillar": pillar,
        "due": due,
        "amount": None,
        "status": latest["status"],
        "history": history,
        "kind": None,
        "weight": 1,
    }


def report_of(commitments: list[Commitment], as_of: str) -> dict[str, Any]:
    by_id = {c["id"]: c for c in commitments}
    asked: list[list[str]] = []

    def details(ids: list[str]) -> list[Commitment]:
        asked.append(ids)
        return [by_id[i] for i in ids]

    figures = build_report([summarize(c) for c in commitments], as_of, details)
    assert all(len(ids) == len(set(ids)) for ids in asked)
    return figures


def test_score_is_the_mean_over_assessed_and_its_percentage() -> None:
    # (+1 +1 +1 + 0 - 1) / 5 = 0.4; (0.4 + 1) / 2 * 100 = 70
    statuses = [Status.FULFILLED] * 3 + [Status.PARTIAL, Status.BROKEN, Status.PENDING, Status.PENDING]
    assert score(statuses) == {"mean": 0.4, "percent": 70.0, "assessed": 5}
    # (-1 - 1 + 0) / 3 = -0.6667; (-0.6667 + 1) / 2 * 100 = 16.7
    assert score([Status.STALLED, Status.BROKEN, Status.IN_PROGRESS]) == {
        "mean": -0.6667,
        "percent": 16.7,
        "assessed": 3,
    }
    assert score([Status.PENDING]) == {"mean": None, "percent": None, "assessed": 0}


def test_report_counts_pending_but_does_not_score_it_and_splits_by_pillar_and_actor() -> None:
    commitments = [
        commitment("a", event("2021-01-01", "fulfilled"), actors=["ROK", "ASEAN"], pillar="economic"),
        commitment("b", event("2021-01-01", "broken"), actors=["ROK"], pillar="economic"),
        commitment("c", actors=["asean"], pillar="socio-cultural"),
        commitment("d", event("2021-02-01", "partial"), actors=["ASEAN"], pillar="socio-cultural"),
    ]
    figures = report_of(commitments, "2021-12-31")
    assert figures["total"] == 4
    assert figures["by_status"] == {
        "pending": 1,
        "in-progress": 0,
        "stalled": 0,
        "partial": 1,
        "fulfilled": 1,
        "broken": 1,
        "lapsed": 0,
        "superseded": 0,
    }
    # (+1 - 1 + 0) / 3 = 0 -> 50 %
    assert figures["score"] == {"mean": 0.0, "percent": 50.0, "assessed": 3}
    assert figures["by_pillar"]["economic"]["score"] == {"mean": 0.0, "percent": 50.0, "assessed": 2}
    assert figures["by_pillar"]["socio-cultural"]["total"] == 2
    # ASEAN: a (+1), c (pending, spelt "asean"), d (0) -> mean 0.5, 75 %; ROK: a (+1), b (-1) -> 0, 50 %
    assert figures["by_actor"]["ASEAN"]["total"] == 3
    assert figures["by_actor"]["ASEAN"]["score"] == {"mean": 0.5, "percent": 75.0, "assessed": 2}
    assert figures["by_actor"]["ROK"]["score"] == {"mean": 0.0, "percent": 50.0, "assessed": 2}
    assert list(figures) == [
        "as_of",
        "known_on",
        "total",
        "by_status",
        "score",
        "by_pillar",
        "by_actor",
        "overdue",
        "recent",
        "due_soon",
        "period",
        "sources",
        "commitments",
    ]


def test_report_rebuilds_each_status_as_of_its_date_around_backdated_events() -> None:
    # The broken event was recorded last but is dated before the fulfilled one.
    history = [event("2021-06-01", "fulfilled"), event("2021-03-01", "broken")]
    commitments = [commitment("a", *history), commitment("later", made="2022-01-01")]
    assert report_of(commitments, "2021-02-28")["by_status"]["pending"] == 1
    assert report_of(commitments, "2021-04-01")["by_status"]["broken"] == 1
    as_of_june = report_of(commitments, "2021-06-01")
    assert as_of_june["by_status"]["fulfilled"] == 1
    assert as_of_june["total"] == 1  # "later" was made after the as-of date
    assert report_of(commitments, "2022-01-01")["total"] == 2


def test_overdue_lists_unsettled_commitments_past_due_most_overdue_first() -> None:
    commitments = [
        commitment("late", due="2021-01-01"),
        commitment("later", event("2021-05-01", "in-progress"), due="2020-12-01"),
        commitment("kept", event("2020-12-01", "fulfilled"), due="2020-12-31"),
        commitment("lost", event("2020-12-01", "broken"), due="2020-12-31"),
        commitment("due-today", due="2021-06-01"),
    ]
    overdue = report_of(commitments, "2021-06-01")["overdue"]
    assert overdue == [
        {"id": "later", "title": "Title of later", "due": "2020-12-01", "days_overdue": 182, "status": "in-progress"},
        {"id": "late", "title": "Title of late", "due": "2021-01-01", "days_overdue": 151, "status": "pending"},
    ]


def test_recent_takes_90_days_up_to_as_of_and_due_soon_the_next_180() -> None:
    commitments = [
        commitment("old", event("2021-03-02", "in-progress", "too old"), due="2021-11-28"),
        commitment(
            "new", event("2021-03-03", "stalled", "just in"), event("2021-06-01", "partial", "today"), due="2021-11-29"
        ),
        commitment("done", event("2021-05-01", "fulfilled"), due="2021-07-01"),
    ]
    figures = report_of(commitments, "2021-06-01")
    assert [(r["id"], r["date"]) for r in figures["recent"]] == [
        ("new", "2021-06-01"),
        ("done", "2021-05-01"),
        ("new", "2021-03-03"),
    ]
    assert [(d["id"], d["days_left"]) for d in figures["due_soon"]] == [("old", 180)]


def test_markdown_report_is_a_briefing_with_escaped_cells() -> None:
    # What the data says reads literally where the Markdown is rendered: no emphasis, code, link, raw HTML or
    # entity made of it, and no heading or list made of an item of evidence.
    note = "a | b\nc \x1b[31mred *not em* `not code` <b>not bold</b> &amp; ~~not struck~~"
    evidence = [
        "[click](javascript:alert(1))",
        "# not a heading",
        "2. not a list",
        "- nor this",
        "https://a.example/x_y",
    ]
    hostile = commitment("a", {**event("2021-05-01", "fulfilled", note), "evidence": evidence}, due="2021-01-01")
    text = report_markdown(report_of([hostile, commitment("b", due="2021-01-01")], "2021-06-01"))
    assert text.startswith("# Compliance report as of 2021-06-01\n")
    assert "## By pillar" in text
    assert "## Overdue" in text
    assert "| b | Title of b | 2021-01-01 | 151 | pending |" in text
    escaped = (
        "a \\| b c \\\\x1b\\[31mred \\*not em\\* \\`not code\\` \\<b\\>not bold\\</b\\> \\&amp; \\~\\~not struck\\~\\~"
    )
    assert escaped in text
    assert "\x1b" not in text
    listed = ["1. \\[click\\](javascript:alert(1))", "2. \\# not a heading", "3. 2\\. not a list", "4. \\- nor this"]
    assert [line for line in text.splitlines() if line[:3] in ("1. ", "2. ", "3. ", "4. ", "5. ")] == [
        *listed,
        "5. https://a.example/x_y",  # an address as it is, for a renderer that links bare addresses
    ]


def test_the_markdown_evidence_list_holds_each_item_once_and_commitments_share_its_number() -> None:
    # The bundled data cites one press release, paragraph by paragraph: the list gave the same line many times.
    # Two texts that the list shows alike (a newline is shown as a space) are one item. The numbers stand in a
    # column of their own: a note's own "[1]" cannot pass for a citation.
    shared, own = "Press release, paragraph 4", "Summit statement"
    first = commitment("a", {**event("2021-05-01", "fulfilled", "Done [1]."), "evidence": [shared, own, shared]})
    second = commitment("b", {**event("2021-05-02", "partial", "Half."), "evidence": ["Press release,\nparagraph 4"]})
    third = commitment("c", {**event("2021-05-03", "stalled", "No evidence.")})
    text = report_markdown(report_of([first, second, third], "2021-06-01"))
    assert "| rationale | evidence |" in text
    assert "| Done \\[1\\]. | 1, 2 |" in text
    assert "| Half. | 1 |" in text
    assert "| No evidence. | - |" in text
    cited = text.split("### Evidence\n\n")[1].split("\n\n")[0]
    assert cited.splitlines() == [f"1. {shared}", f"2. {own}"]


def test_each_rationale_is_that_of_the_latest_event_on_the_date_and_only_earlier_ones_are_read() -> None:
    def dated(day: str, status: str, note: str, recorded: str, evidence: list[str]) -> Event:
        return {**event(day, status, note), "recorded_at": f"{recorded}T09:00:00Z", "evidence": evidence}

    commitments = [
        commitment("one", dated("2021-03-01", "in-progress", "started", "2021-03-02", ["https://a.example/1"])),
        commitment(
            "two",
            dated("2021-05-01", "partial", "half done", "2021-05-02", []),
            dated("2021-02-01", "stalled", "backdated", "2021-06-01", ["https://b.example/2"]),
            dated("2021-05-01", "fulfilled", "same day, recorded later", "2021-07-01", []),
        ),
        commitment("three"),
    ]
    for each in commitments:
        each["history"][0]["recorded_at"] = "2020-09-09T09:00:00Z"
    by_id = {c["id"]: c for c in commitments}
    asked: list[str] = []

    def details(ids: list[str]) -> list[Commitment]:
        asked.extend(ids)
        return [by_id[i] for i in ids]

    read_earlier = {"2021-03-01": ["one", "two"], "2021-05-31": ["two"], "2021-06-15": ["two"]}
    for as_of in ("2020-09-09", "2021-02-15", "2021-03-01", "2021-05-01", "2021-12-31"):
        for known_on in (None, "2021-03-01", "2021-05-31", "2021-06-15", "2026-01-01"):
            asked.clear()
            figures = build_report([summarize(c) for c in commitments], as_of, details, known_on)
            for row in figures["commitments"]:
                history = by_id[row["id"]]["history"]
                seen = [
                    (e["date"], place, e)
                    for place, e in enumerate(history)
                    if e["date"] <= as_of and (known_on is None or e["recorded_at"][:10] <= known_on)
                ]
                latest = max(seen, key=lambda item: item[:2])[2] if seen else None
                assert row["assessed_on"] == (latest["date"] if latest else None), (as_of, known_on, row)
                assert row["rationale"] == (latest["note"] if latest else ""), (as_of, known_on, row)
                assert row["evidence"] == (latest["evidence"] if latest else []), (as_of, known_on, row)
            # With no recent events to show, a record is read only where its latest event on the date is not its
            # latest of all.
            if as_of == "2021-12-31":
                assert asked == read_earlier.get(known_on or "", []), (as_of, known_on)
    assert figures["sources"] == [{"date": "2020-09-09", "document": ""}]


def test_the_figures_of_one_pass_are_those_of_the_functions_that_define_them() -> None:
    """`build_report` works every figure out in one pass; each must be what `standings` and the functions of each
    figure give, on any date and any date of knowledge: ties of days overdue and due, requests, weights, actors
    spelt two ways, backdated and later-recorded events, commitments made after the date."""
    import random

    from tracker.model import Kind, Percent, Unassessed, actor_key, history_pairs
    from tracker.report import (
        _scored,
        by_actor,
        by_pillar,
        due_soon,
        overdue,
        recent_window,
        standings,
        tally,
    )

    chance = random.Random(7)
    statuses = [status.value for status in Status]
    days = ["2020-09-09", "2020-12-31", "2021-03-01", "2021-06-30", "2021-09-01", "2022-01-01", "2022-06-30"]
    commitments = []
    for number in range(120):
        made = chance.choice(days[:4])
        events = []
        for _ in range(chance.randrange(4)):
            each = event(chance.choice([d for d in days if d >= made]), chance.choice(statuses), f"note {number}")
            each["recorded_at"] = chance.choice(["2021-01-01", "2021-07-01", "2026-01-01"]) + "T00:00:00Z"
            each["actors"] = chance.choice([None, ["ROK"], ["asean"]])
            events.append(each)
        c = commitment(
            f"c{number:03}",
            *events,
            actors=chance.choice([["ROK"], ["ASEAN", "ROK"], ["asean"], ["EU", "ROK"]]),
            pillar=chance.choice(["economic", "socio-cultural", "cross-cutting"]),
            due=chance.choice([None, "2021-01-01", "2021-06-30", "2021-07-01", "2021-12-31", "2022-03-01"]),
            made=made,
        )
        c["kind"] = chance.choice([None, Kind.REQUEST.value, Kind.PLEDGE.value])
        c["weight"] = chance.choice([1, 2, 3])
        c["source"]["document"] = chance.choice(["A", "B"])
        commitments.append(c)
    by_id = {c["id"]: c for c in commitments}
    summaries = [summarize(c) for c in commitments]
    chance.shuffle(summaries)
    for as_of in days:
        for known_on in (None, "2021-01-01", "2021-07-01", "2026-01-01"):
            figures = build_report(summaries, as_of, lambda ids: [by_id[i] for i in ids], known_on)
            rows = standings(summaries, as_of, known_on)
            overall = tally(row.status for row in rows)
            assert figures["total"] == overall["total"] == len(figures["commitments"])
            assert figures["by_status"] == overall["by_status"]
            assert figures["score"] == _scored(rows, Unassessed.SKIP, Percent.G20, False)
            assert figures["by_pillar"] == by_pillar(rows)
            assert figures["by_actor"] == by_actor(rows)
            assert figures["overdue"] == overdue(rows, as_of)
            assert figures["due_soon"] == due_soon(rows, as_of)
            assert [row["id"] for row in figures["commitments"]] == [row.commitment["id"] for row in rows]
            for row, standing in zip(figures["commitments"], rows, strict=True):
                assert row["status"] == standing.status.value
                assert {actor_key(actor) for actor in row["actors"]} <= {"rok", "asean", "eu"}
            start, end = recent_window(as_of)
            active = {
                r.commitment["id"] for r in rows if any(start <= d <= end for d, _ in history_pairs(r.commitment))
            }
            assert {item["id"] for item in figures["recent"]} <= active
    assert len({item["days_overdue"] for item in figures["overdue"]}) < len(figures["overdue"])  # ties were met


def test_a_report_worked_out_in_parts_is_the_report_of_one_pass_to_the_byte() -> None:
    """`report` works the figures out over consecutive parts of the commitments in id order (in other processes on
    a large file, each part sent back through `marshal`): cut anywhere, merged, they must be the same, on any date
    and date of knowledge: actors spelt two ways across a cut, the same source on both sides, earlier rationales."""
    import itertools
    import json
    import marshal
    import random

    from tracker.report import merge_report, report_part

    chance = random.Random(11)
    days = ["2020-09-09", "2020-12-31", "2021-03-01", "2021-06-30", "2021-09-01", "2022-01-01"]
    commitments = []
    for number in range(60):
        made = chance.choice(days[:3])
        events = []
        for _ in range(chance.randrange(4)):
            each = event(chance.choice([d for d in days if d >= made]), chance.choice(list(Status)).value, f"n{number}")
            each["recorded_at"] = chance.choice(["2021-01-01", "2021-07-01", "2026-01-01"]) + "T00:00:00Z"
            each["actors"] = chance.choice([None, ["ROK"], ["asean"]])
            events.append(each)
        c = commitment(
            f"c{number:03}",
            *events,
            actors=chance.choice([["ROK"], ["ASEAN", "ROK"], ["asean", "rok"], ["EU", "Rok"]]),
            pillar=chance.choice(["economic", "socio-cultural"]),
            due=chance.choice([None, "2021-01-01", "2021-06-30", "2021-12-31"]),
            made=made,
        )
        c["source"]["document"] = chance.choice(["A", "B", "C"])
        c["weight"] = chance.choice([1, 0.5, 3])
        commitments.append(c)
    by_id = {c["id"]: c for c in commitments}
    summaries = sorted((summarize(c) for c in commitments), key=lambda s: s["id"])

    def details(ids: list[str]) -> list[Commitment]:
        return [by_id[i] for i in ids]

    for as_of in days:
        for known_on in (None, "2021-01-01", "2021-07-01"):
            whole = json.dumps(build_report(summaries, as_of, details, known_on))
            for cuts in ([], [1], [30], [59], [7, 8, 40], sorted(chance.sample(range(1, 60), 5))):
                bounds = [0, *cuts, len(summaries)]
                parts = [
                    marshal.loads(marshal.dumps(report_part(summaries[a:b], as_of, known_on)))
                    for a, b in itertools.pairwise(bounds)
                ]
                assert json.dumps(merge_report(parts, as_of, details, known_on)) == whole, (as_of, known_on, cuts)


def test_a_mean_a_hair_below_zero_is_zero_not_minus_zero() -> None:
    import math

    from tracker.model import Percent
    from tracker.report import mean_score

    for convention in Percent:
        figures = mean_score([(-1.0, 1.0), (1.0, 1.0), (-1e-9, 1.0)], convention)
        assert (figures["mean"], math.copysign(1, figures["mean"])) == (0.0, 1.0), convention
        assert math.copysign(1, figures["percent"]) == 1.0, convention


def test_a_mean_that_rounds_to_zero_is_shown_as_plus_zero() -> None:
    # 101 fulfilled and 102 broken: the mean is -0.0049, which two places show as 0, not -0.
    from tracker.render import mean_words

    assert mean_words({"mean": -0.0049, "percent": 49.8, "assessed": 203}) == ("+0.00", "49.8%")
    assert mean_words({"mean": -0.0051, "percent": 49.7, "assessed": 203}) == ("-0.01", "49.7%")
