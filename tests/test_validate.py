"""The fast check (`validate.is_valid`) says yes exactly where `model.commitment_problems` finds nothing, and the
canonical encoder gives exactly the bytes of the standard library's, on every record."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tracker import strictjson
from tracker.files import bundled_text
from tracker.index import entry_of, links_of, unpack_summary
from tracker.layout import canonical_json, parse_database
from tracker.model import commitment_problems, future_bound, summarize
from tracker.validate import is_valid

BENCH = Path(__file__).resolve().parent.parent / "bench"


def agree(record: Any) -> None:
    """is_valid and commitment_problems give the same answer; where the model raises, is_valid says no or raises."""
    try:
        expected = not commitment_problems(record)
    except (TypeError, OverflowError):
        with contextlib.suppress(TypeError, OverflowError):
            assert not is_valid(record, future_bound())
        return
    assert is_valid(record, future_bound()) == expected, (commitment_problems(record), record)


def generated(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Commitments as bench/generate.py makes them, at the current schema version."""
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_generate", module)
    spec.loader.exec_module(module)
    rng = random.Random(seed)
    records = []
    for number in range(count):
        record = module.commitment(rng, number)
        record = {"kind": None, "weight": 1, **record}
        record["history"] = [{"recorded_by": None, "actors": None, "by": None, **e} for e in record["history"]]
        records.append(record)
    return records


BUNDLED = parse_database(bundled_text(), "bundled")
GENERATED = generated(300)


def test_the_fast_check_agrees_on_the_bundled_and_generated_data() -> None:
    for record in [*BUNDLED, *GENERATED]:
        assert is_valid(record)
        agree(record)


# Values a field may be broken into: wrong types, edge strings, numbers at and past the limits.
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, 1, -1, 10**15, 10**15 + 1, 1_000_000, 1_000_001, 0.5, 1e-300, float("inf"), float("nan")]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "2020-09-09",
            "2020-09-09\n",
            "2020-02-30",
            "٢٠٢٠-٠٩-٠٩",
            "9999-12-31",
            "1900-01-01",
            "2020-09-09T00:00:00Z",
            "2020-09-09T00:00:00Z\n",
            "pending",
            "superseded",
            "fulfilled",
            "economic",
            "pledge",
            "year",
            "USD",
            "usd",
            "ÀBC",
            "rcep",
            "rcep-signing",
            "a" * 61,
            "bad id",
            "ok-id\n",
            "x" * 81,
            "\ud800",
            "ROK",
            "rok",
        ]
    ),
    st.lists(st.sampled_from(["ROK", "ASEAN", "", " ", "rok", "x\ud800"]), max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["value", "currency", "per", "x"]), st.integers(0, 5), max_size=4),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a record."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


@st.composite
def broken_records(draw: st.DrawFn) -> Any:
    record = copy.deepcopy(draw(st.sampled_from([*BUNDLED, *GENERATED[:40]])))
    for _ in range(draw(st.integers(1, 3))):
        targets = paths(record)
        path = draw(st.sampled_from(targets))
        parent = record
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "copy"]))
        if action == "replace":
            parent[path[-1]] = draw(ODD_VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "status", "date", "actors", "by"]))] = draw(ODD_VALUES)
        elif action == "copy":  # a value from elsewhere in the record: valid in shape, maybe not in place
            other = draw(st.sampled_from(paths(record)))
            source = record
            for step in other:
                source = source[step]
            parent[path[-1]] = copy.deepcopy(source)
    return record


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_records())
def test_the_fast_check_agrees_on_broken_records(record: Any) -> None:
    agree(record)


@st.composite
def valid_variants(draw: st.DrawFn) -> Any:
    """Valid records with odd but allowed values: a later status, assessed actors, a successor, a future date."""
    record = copy.deepcopy(draw(st.sampled_from(BUNDLED)))
    event = copy.deepcopy(record["history"][-1])
    event["date"] = draw(st.sampled_from(["2021-01-01", record["source"]["date"], "2099-01-01", "2000-01-01"]))
    event["status"] = draw(st.sampled_from(["superseded", "fulfilled", "broken", "pending"]))
    event["actors"] = draw(st.sampled_from([None, [record["actors"][0]], [record["actors"][0].lower()], ["Nobody"]]))
    event["by"] = draw(st.sampled_from([None, "other-commitment", record["id"]]))
    record["history"].append(event)
    record["status"] = draw(st.sampled_from([event["status"], record["status"]]))
    record["weight"] = draw(st.sampled_from([1, 0.5, 2, 1_000_000, 0]))
    return record


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(valid_variants())
def test_the_fast_check_agrees_on_records_at_the_edges_of_the_rules(record: Any) -> None:
    agree(record)


def entry_agrees(record: Any) -> None:
    """What a full read packs into the index for a valid commitment is its Summary and that Summary's links."""
    packed, links = entry_of(record)
    summary = summarize(record)
    assert unpack_summary(packed, record["id"]) == summary
    assert links == links_of(summary)


def test_the_index_entry_of_a_commitment_is_its_summary_on_the_bundled_and_generated_data() -> None:
    for record in [*BUNDLED, *GENERATED]:
        entry_agrees(record)


@settings(max_examples=300, deadline=None)
@given(valid_variants())
def test_the_index_entry_of_a_commitment_is_its_summary_at_the_edges_of_the_rules(record: Any) -> None:
    assume(is_valid(record, future_bound()))
    entry_agrees(record)


# --- the canonical encoder -----------------------------------------------------------------------------------------


def standard(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")


def test_the_canonical_encoder_gives_the_standard_librarys_bytes_on_the_data() -> None:
    for record in [*BUNDLED, *GENERATED]:
        assert canonical_json(record) == standard(record)
        assert canonical_json(record, commitment=True) == standard(record)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None)
@given(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6))
def test_the_canonical_encoder_gives_the_standard_librarys_bytes_on_any_document(value: dict[str, Any]) -> None:
    try:
        expected = standard(value)
    except UnicodeEncodeError:  # a lone surrogate: no valid record holds one
        return
    assert canonical_json(value) == expected


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(broken_records())
def test_the_canonical_encoder_gives_the_standard_librarys_bytes_on_record_shaped_values(record: Any) -> None:
    test_the_canonical_encoder_gives_the_standard_librarys_bytes_on_any_document.hypothesis.inner_test(record)


@pytest.mark.parametrize("text", [b'"\\ud800"', b'"x\\udfff"', '"\ud800"'.encode("utf-8", "surrogatepass")])
def test_orjson_refuses_a_lone_surrogate_so_its_records_need_no_search_for_one(text: bytes) -> None:
    # `is_valid(..., from_orjson=True)` skips `has_surrogate` on that ground; the strict reader then names it.
    import orjson

    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(text)
    record = {**BUNDLED[0], "title": strictjson.loads(b'"\\ud800"')}
    assert not is_valid(record, future_bound())
    agree(record)


_TRICKY_TEXT = st.text(
    st.sampled_from(['"', "\\", ":", " ", ",", "\n", "\t", "{", "}", "[", "]", "a", "é", "\u2028", "\x1b", "\ud7ff"]),
    max_size=12,
)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([*BUNDLED, *GENERATED[:40]]), _TRICKY_TEXT, _TRICKY_TEXT, _TRICKY_TEXT)
def test_compact_text_of_a_canonical_record_is_what_orjson_writes(
    record: dict[str, Any], title: str, note: str, actor: str
) -> None:
    """`layout.compact` takes the layout out of a record's canonical text by its lines alone; whatever its strings
    hold (a quote and a colon, an escaped line break, braces), the bytes are those orjson writes with sorted keys."""
    import orjson

    from tracker.layout import compact, record_bytes

    record = copy.deepcopy(record)
    record["title"] = title
    record["history"][0]["note"] = note
    record["actors"] = [actor, *record["actors"][1:]]
    if not _float_free(record):
        return
    text = record_bytes(record)  # type: ignore[arg-type]
    after = text[text.index(b"{") :]
    assert compact(after) == orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    assert json.loads(compact(after)) == record


def _float_free(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(map(_float_free, value.values()))
    if isinstance(value, list):
        return all(map(_float_free, value))
    return True


def test_a_lone_surrogate_in_any_text_of_a_record_is_refused_by_both_checks() -> None:
    """Every string of a record (an event's `recorded_by` too), given a lone surrogate, makes the record invalid,
    for the quick check and for the one that names problems: the canonical encoder cannot write it."""
    recorded = copy.deepcopy(BUNDLED[0])
    recorded["history"][0]["recorded_by"] = "analyst"
    assert is_valid(recorded, future_bound())
    records = [recorded, *BUNDLED[1:], *GENERATED[:40]]
    checked: set[tuple[Any, ...]] = set()
    for record in records:
        for path in paths(record):
            value = record
            for step in path:
                value = value[step]
            if not isinstance(value, str):
                continue
            broken = copy.deepcopy(record)
            parent = broken
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = value + "\ud800"
            assert not is_valid(broken, future_bound()), path
            assert any("not Unicode" in problem for problem in commitment_problems(broken)), path
            checked.add(tuple(step if isinstance(step, str) else 0 for step in path))
    assert ("history", 0, "recorded_by") in checked
