"""`tracker trend`: the tallies and score at the end of each period, which must be what `report --as-of` gives on
that date, built in one pass; its periods, its formats and its errors."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Run
from tracker.model import Status, actor_key, actor_statuses, latest_status, summarize, summary_status_as_of
from tracker.trend import _RANK, Every, Point, _state, _timeline, points

# Two events recorded on a later day than they happened, one of them for one actor of a joint commitment, a
# backdated correction, a lapse and a supersession: every way a status can change.
HISTORY = (
    ("update", "rcep", "--status", "fulfilled", "--date", "2020-11-15", "--note", "Signed."),
    ("update", "plan-of", "--status", "stalled", "--date", "2021-02-01", "--note", "ASEAN slowed.", "--actor", "ASEAN"),
    ("update", "plan-of", "--status", "partial", "--date", "2021-02-01", "--note", "Later the same day."),
    ("update", "cooperation-fund", "--status", "broken", "--date", "2021-06-30", "--note", "Cut."),
    ("update", "cooperation-fund", "--status", "partial", "--date", "2021-06-30", "--note", "Restored."),
    ("update", "marine", "--status", "stalled", "--date", "2022-01-10", "--note", "Paused."),
    ("update", "marine", "--status", "lapsed", "--date", "2023-03-01", "--note", "Overtaken."),
    ("update", "flagship", "--status", "superseded", "--date", "2021-01-05", "--by", "rcep", "--note", "Replaced."),
    ("update", "marine", "--status", "fulfilled", "--date", "2021-05-05", "--note", "A backdated finding."),
)


@pytest.fixture
def history(run: Run, db_path: Path) -> Path:
    for command in HISTORY:
        result = run(*command)
        assert result.exit_code == 0, result.stderr
    return db_path


def _json(run: Run, *args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_periods_end_on_the_last_day_of_each_month_quarter_and_year_and_the_last_on_the_end_date() -> None:
    assert points("2024-01-15", "2024-03-10") == [
        Point("2024-01", "2024-01-31"),
        Point("2024-02", "2024-02-29"),
        Point("2024-03", "2024-03-10"),
    ]
    assert points("2020-09-09", "2021-04-01", Every.QUARTER) == [
        Point("2020-Q3", "2020-09-30"),
        Point("2020-Q4", "2020-12-31"),
        Point("2021-Q1", "2021-03-31"),
        Point("2021-Q2", "2021-04-01"),
    ]
    assert points("2019-12-31", "2021-12-31", Every.YEAR) == [
        Point("2019", "2019-12-31"),
        Point("2020", "2020-12-31"),
        Point("2021", "2021-12-31"),
    ]
    assert points("2021-05-05", "2021-05-05") == [Point("2021-05", "2021-05-05")]
    assert len(points("2005-01-01", "2024-12-31")) == 240


@pytest.mark.parametrize(
    "options",
    [(), ("--known-on", "2026-01-01"), ("--pillar", "cross-cutting"), ("--every", "quarter", "--from", "2021-01-20")],
)
def test_every_period_has_the_figures_that_report_as_of_gives_on_its_date(
    run: Run, history: Path, options: tuple[str, ...]
) -> None:
    filters = [option for option in options if option not in ("--every", "quarter", "--from", "2021-01-20")]
    series = _json(run, "trend", "--to", "2023-12-31", "--format", "json", *options)
    assert series["to"] == "2023-12-31"
    assert len(series["points"]) >= 12
    for point in series["points"]:
        report = _json(run, "report", "--as-of", point["date"], "--format", "json", *filters)
        assert (point["total"], point["by_status"], point["score"]) == (
            report["total"],
            report["by_status"],
            report["score"],
        ), point["date"]


# A request, counted but never scored: fulfilled for one of its actors first and for both later, then broken.
REQUEST = (
    (
        *("add", "--kind", "request", "--title", "Host the forum", "--actor", "ASEAN", "--actor", "ROK", "--pillar"),
        *("economic", "--source-date", "2020-10-01", "--id", "forum-request"),
    ),
    (
        "update",
        "forum-request",
        "--status",
        "fulfilled",
        "--date",
        "2021-03-01",
        "--note",
        "Hosted.",
        "--actor",
        "ASEAN",
    ),
    ("update", "forum-request", "--status", "fulfilled", "--date", "2021-04-01", "--note", "Both."),
    ("update", "forum-request", "--status", "broken", "--date", "2022-02-01", "--note", "Cancelled."),
)


@pytest.mark.parametrize("actor", [None, "asean"])
def test_a_request_is_counted_in_each_period_but_never_scored_as_the_report_does(
    run: Run, history: Path, actor: str | None
) -> None:
    for command in REQUEST:
        assert run(*command).exit_code == 0
    chosen = ("--actor", actor) if actor else ()
    series = _json(run, "trend", "--to", "2022-06-30", "--format", "json", *chosen)
    for point in series["points"]:
        report = _json(run, "report", "--as-of", point["date"], "--format", "json", *chosen)
        score = report["by_actor"]["ASEAN"]["score"] if actor else report["score"]
        assert (point["total"], point["by_status"], point["score"]) == (report["total"], report["by_status"], score)
    assert series["points"][-1]["by_status"]["broken"] == 1  # the request, counted


def test_known_on_leaves_out_what_was_recorded_later(run: Run, history: Path) -> None:
    before = _json(run, "trend", "--known-on", "2020-01-01", "--format", "json")
    assert all(point["total"] == 0 for point in before["points"])
    now = _json(run, "trend", "--format", "json")
    assert now["points"][-1]["score"]["assessed"] > 0


def test_actor_scores_only_that_actors_cells_as_the_reports_by_actor_figures(run: Run, history: Path) -> None:
    series = _json(run, "trend", "--actor", "asean", "--every", "quarter", "--to", "2023-06-30", "--format", "json")
    assert series["actor"] == "asean"
    for point in series["points"]:
        report = _json(run, "report", "--as-of", point["date"], "--actor", "asean", "--format", "json")
        assert point["total"] == report["total"]
        assert point["by_status"] == report["by_status"]
        assert point["score"] == report["by_actor"]["ASEAN"]["score"], point["date"]
    # plan-of-action is stalled for ASEAN alone on 2021-02-01, then partial for both on the same day
    rok = _json(run, "trend", "--actor", "ROK", "--from", "2021-02-01", "--to", "2021-02-01", "--format", "json")
    assert rok["points"][0]["score"] != series["points"][1]["score"]


def test_the_default_span_is_from_the_earliest_source_date_to_today(run: Run, history: Path) -> None:
    from datetime import date

    series = _json(run, "trend", "--every", "year", "--format", "json")
    assert series["from"] == "2020-09-09"
    assert series["to"] == date.today().isoformat()
    assert [point["period"] for point in series["points"]][:2] == ["2020", "2021"]
    assert series["points"][-1]["date"] == date.today().isoformat()


def test_csv_has_a_row_per_period_with_every_status_and_the_score(run: Run, history: Path) -> None:
    result = run("trend", "--from", "2020-09-01", "--to", "2020-12-31", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "period,date,total,pending,in-progress,stalled,partial,fulfilled,broken,lapsed,superseded,assessed,mean,percent"
    )
    assert lines[1] == "2020-09,2020-09-30,18,15,3,0,0,0,0,0,0,3,0.0000,50.0"
    assert lines[3] == "2020-11,2020-11-30,18,14,3,0,0,1,0,0,0,4,0.2500,62.5"
    assert len(lines) == 5


def test_in_a_pipe_it_is_plain_text_and_on_a_terminal_a_chart_that_fits_80_columns(run: Run, history: Path) -> None:
    plain = run("trend", "--every", "quarter")
    assert plain.exit_code == 0, plain.stderr
    assert "\x1b" not in plain.stdout
    assert "█" not in plain.stdout
    assert re.search(r"^2020-Q4 +18 .* \+0\.25 +62\.5% #+$", plain.stdout, flags=re.MULTILINE)
    table = run("trend", env={"TTY_COMPATIBLE": "1", "COLUMNS": "80", "NO_COLOR": "1"})
    assert table.exit_code == 0, table.stderr
    lines = re.sub(r"\x1b\[[0-9;]*m", "", table.stdout).splitlines()  # bold headings, which take no column
    assert max(len(line) for line in lines) <= 80
    assert any("█" in line for line in lines)
    # the statuses that some period ends with, and only those: broken lasted less than a day
    assert all(code in lines[2] for code in ("pend", "prog", "stal", "part", "fulf", "laps", "supd"))
    assert "brok" not in lines[2]
    assert "None in any period: broken." in lines
    narrow = run("trend", "--to", "2020-09-30", env={"TTY_COMPATIBLE": "1", "COLUMNS": "20", "NO_COLOR": "1"})
    words = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", narrow.stdout).split())  # wrapped at 20 columns
    assert "by month: 1 period period total" in words
    assert "the screen is too narrow for the bar of the percentage." in words


def test_from_after_to_and_an_unknown_every_are_usage_errors_and_change_nothing(run: Run, history: Path) -> None:
    before = hashlib.sha256(history.read_bytes()).hexdigest()
    late = run("trend", "--from", "2022-01-01", "--to", "2021-01-01")
    assert late.exit_code == 2
    assert late.stderr.strip() == (
        "tracker: error: --from 2022-01-01 is after --to 2021-01-01; give a start on or before the end"
    )
    weekly = run("trend", "--every", "week")
    assert weekly.exit_code == 2
    assert len(weekly.stderr.strip().splitlines()) == 1
    assert "week" in weekly.stderr
    assert run("trend", "--from", "2021-02-30").exit_code == 2
    unknown = run("trend", "--actor", "Atlantis")
    assert unknown.exit_code == 1
    assert "Atlantis" in unknown.stderr
    assert "Traceback" not in late.stderr + weekly.stderr + unknown.stderr
    assert hashlib.sha256(history.read_bytes()).hexdigest() == before


def test_an_empty_database_gives_one_empty_period(run: Run, db_path: Path) -> None:
    assert run("init", "--empty", "--force").exit_code == 0
    series = _json(run, "trend", "--format", "json")
    assert len(series["points"]) == 1
    assert series["points"][0]["total"] == 0
    assert series["points"][0]["score"] == {"mean": None, "percent": None, "assessed": 0}


def test_an_actor_named_in_another_case_or_spacing_is_the_same_actor(run: Run, history: Path) -> None:
    # As the report matches actors: `trend` once counted the commitments of " asean " but scored none of them.
    spaced = _json(run, "trend", "--actor", "  Asean ", "--every", "year", "--to", "2023-12-31", "--format", "json")
    plain = _json(run, "trend", "--actor", "ASEAN", "--every", "year", "--to", "2023-12-31", "--format", "json")
    assert [p["score"] for p in spaced["points"]] == [p["score"] for p in plain["points"]]
    assert any(p["score"]["assessed"] for p in plain["points"])


# --- a commitment's timeline, in one pass over its events ----------------------------------------------------------

_ACTORS = ["ROK", "ASEAN", "Japan"]
_DAYS = ["2020-09-09", "2020-11-15", "2021-02-01", "2021-02-01", "2021-06-30", "2022-01-10"]
_STATUS_VALUES = ["pending", "partial", "fulfilled", "stalled", "broken", "lapsed", "superseded"]


@st.composite
def _joint_summaries(draw: st.DrawFn) -> Any:
    """The Summary of a joint commitment whose events name actors (some, all, in another case), on days that repeat
    and come out of order, recorded on days that let `--known-on` leave some out."""
    events: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 12))):
        actors = draw(st.one_of(st.none(), st.lists(st.sampled_from([*_ACTORS, "rok", " japan "]), max_size=3)))
        recorded = draw(st.sampled_from(["2020-09-09", "2021-01-01", "2022-06-01"]))
        events.append(
            {
                "date": draw(st.sampled_from(_DAYS)),
                "status": draw(st.sampled_from(_STATUS_VALUES)),
                "note": "",
                "evidence": [],
                "recorded_at": f"{recorded}T00:00:00Z",
                "recorded_by": None,
                "actors": actors,
                "by": None,
            }
        )
    events[0]["actors"] = draw(st.sampled_from([None, ["ASEAN"]]))  # at least one event that names actors
    events.append({**events[0], "actors": ["Japan"]})
    commitment = {
        "id": "joint",
        "title": "A joint commitment",
        "summary": "",
        "quote": "words",
        "source": {"document": "statement", "date": "2020-09-09", "paragraph": None, "file": None},
        "actors": _ACTORS,
        "pillar": "economic",
        "due": None,
        "amount": None,
        "kind": draw(st.sampled_from([None, "pledge", "request"])),
        "weight": 1,
        "status": latest_status([(event["date"], event["status"]) for event in events]),  # as the rules ask
        "history": events,
    }
    return summarize(commitment)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(
    _joint_summaries(),
    st.sampled_from([None, "2020-09-09", "2021-01-01", "2022-06-01"]),
    st.sampled_from([None, "rok", "japan"]),
)
def test_a_timeline_is_what_the_report_gives_on_each_day(
    summary: Any, known_on: str | None, wanted: str | None
) -> None:
    """Each day's state, taken from the events in one pass, is what `summary_status_as_of` and `actor_statuses`
    (what `report --as-of` asks) give for that day, one actor's cells alone with `wanted`."""
    expected = []
    items = [item for item in summary["history"].split(";") if known_on is None or item[-10:] <= known_on]
    for day in sorted({summary["made"], *(item[:10] for item in items if item[:10] > summary["made"])}):
        status = summary_status_as_of(summary, day, known_on) or Status.PENDING
        statuses = actor_statuses(summary, day, known_on)
        if wanted is not None:
            statuses = {name: value for name, value in statuses.items() if actor_key(name) == wanted}
        scored = summary["kind"] != "request"
        expected.append((day, _state(statuses.values(), status) if scored else (_RANK[status.value], 0, 0)))
    assert _timeline(summary, known_on, wanted) == expected


def test_a_long_history_of_events_that_name_actors_costs_one_pass_over_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """A timeline of 3,000 events that name actors, on 3,000 days, reads each event once: it never asks for each
    day's statuses over the whole history again (which made `trend` take seconds for one such commitment)."""
    import tracker.model

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a day's statuses asked over the whole history")

    monkeypatch.setattr(tracker.model, "_actor_statuses", never)
    monkeypatch.setattr(tracker.model, "latest_status", never)
    start = date(2020, 9, 9)
    items = [f"{start + timedelta(days=n)} partial 2020-09-09" for n in range(3000)]
    summary = {
        "made": "2020-09-09",
        "kind": None,
        "actors": _ACTORS,
        "history": ";".join(items),
        "assessed": [["ASEAN"] if n % 3 else None for n in range(3000)],
    }
    changes = _timeline(summary, None, None)  # type: ignore[arg-type]
    assert len(changes) == 3000
    assert changes[-1][1] == _state([Status.PARTIAL] * 3, Status.PARTIAL)
