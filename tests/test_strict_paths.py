"""What only the strict paths may decide: an import that its fast reader must not accept (a key twice, however
spaced; a schema version that is not the integer), and an index summary that must be doubted, not used."""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, write_own_index
from tracker.index import SUMMARY_FIELDS, Index, read_index, signature
from tracker.layout import FOOTER, HEADER, SCHEMA_VERSION
from tracker.store import Store


def _refused_as_strictly(run: Run, db_path: Path, source: Path, problem: str) -> None:
    original = db_path.read_bytes()
    result = run("import", str(source))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert problem in result.stderr
    assert db_path.read_bytes() == original


# --- import's fast path (`formats._read_valid_export`) accepts what the strict reader refuses ----------------------


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        # The duplicate is written without the space after the colon, so `keys_in_text` (which counts `": `) does
        # not count it, and the counts agree: orjson keeps the last value, the first is silently dropped.
        (lambda text: text.replace('"title": ', '"title":"A TITLE NOBODY SEES", "title": ', 1), "appears twice"),
        (lambda text: text.replace('"status": ', '"status":"fulfilled", "status": ', 1), "appears twice"),
    ],
    ids=["duplicate-title-compact", "duplicate-status-compact"],
)
def test_an_import_with_a_key_twice_written_compactly_is_refused(
    run: Run, db_path: Path, tmp_path: Path, edit: Any, problem: str
) -> None:
    text = run("export").stdout
    edited = edit(text)
    assert edited != text
    source = tmp_path / "hostile.json"
    source.write_text(edited, encoding="utf-8")
    _refused_as_strictly(run, db_path, source, problem)


def test_an_import_with_a_whole_commitment_twice_under_one_key_is_refused(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    """The first copy, written compactly, is dropped by orjson without a word; the strict reader refuses the key."""
    document = json.loads(run("export").stdout)
    key, commitment = next(iter(document["commitments"].items()))
    text = json.dumps(document, indent=2, ensure_ascii=False)
    shadow = json.dumps({**commitment, "title": "A commitment silently dropped"}, separators=(",", ":"))
    edited = text.replace(f'"{key}": {{', f'"{key}":{shadow},\n    "{key}": {{', 1)
    assert edited != text
    source = tmp_path / "hostile.json"
    source.write_text(edited, encoding="utf-8")
    _refused_as_strictly(run, db_path, source, "appears twice")


def test_an_import_whose_schema_version_is_a_float_is_refused(run: Run, db_path: Path, tmp_path: Path) -> None:
    """`{"schema_version": 3.0}` compares equal to `{"schema_version": 3}` in Python; the strict path refuses it."""
    text = run("export").stdout
    edited = text.replace(f'"schema_version": {SCHEMA_VERSION}', f'"schema_version": {SCHEMA_VERSION}.0', 1)
    assert edited != text
    source = tmp_path / "float-version.json"
    source.write_text(edited, encoding="utf-8")
    _refused_as_strictly(run, db_path, source, "no valid schema version")


# --- a crafted index (with the data file's exact signature) ----------------------------------------------------------


CRAFTED: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "a status that is a list": ("standing", lambda s: {s["actors"][0]: ["fulfilled"]}),
    "a status of an actor it does not have": ("standing", lambda s: {"Nobody": "fulfilled"}),
    "an empty history": ("history", lambda s: ""),
    "a history with an unknown status": ("history", lambda s: s["history"].replace("pending", "pendin")),
}


@pytest.mark.parametrize("what", CRAFTED)
@pytest.mark.parametrize("command", [["list"], ["report", "--format", "json"], ["trend", "--format", "csv"]])
def test_a_crafted_summary_is_doubted_and_the_file_read_instead(
    run: Run, db_path: Path, what: str, command: list[str]
) -> None:
    expected = run(*command).stdout  # and the index written
    store = Store(db_path)
    index = read_index(store.index_path, signature(db_path.stat()), len(HEADER), len(FOOTER))
    assert index is not None
    summaries = list(index.summaries)
    summary = dict(zip(SUMMARY_FIELDS, marshal.loads(summaries[0]), strict=True))
    field, value = CRAFTED[what]
    summary[field] = value(summary)
    summaries[0] = marshal.dumps(tuple(summary[field] for field in SUMMARY_FIELDS))
    forged = Index(signature(db_path.stat()), index.keys, index.ids, index.spans, summaries)
    write_own_index(store, forged.to_bytes())
    result = run(*command)
    assert "internal error" not in result.stderr, result.stderr
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_a_data_file_record_with_a_key_twice_written_compactly_is_refused(run: Run, db_path: Path) -> None:
    text = db_path.read_text(encoding="utf-8")
    doubled = text.replace('"pillar": ', '"pillar":"economic", "pillar": ', 1)
    db_path.write_text(doubled, encoding="utf-8")
    result = run("list")
    assert result.exit_code == 1
    assert "appears twice in one object" in result.stderr
    assert db_path.read_text(encoding="utf-8") == doubled
