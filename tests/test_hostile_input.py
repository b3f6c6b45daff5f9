"""Hostile input through every way in: strict JSON, one rule for event dates, bounded amounts, extreme report dates,
formulas in CSV exports and invisible characters in what is shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Run


def _no_internal_error(stderr: str) -> None:
    assert "internal error" not in stderr
    assert "Traceback" not in stderr


def _import_fails_cleanly(run: Run, db_path: Path, source: Path, problem: str) -> None:
    """The import exits 1 with one line for the problem and one that says nothing was imported; no change."""
    original = db_path.read_bytes()
    result = run("import", str(source))
    assert result.exit_code == 1, result.stderr
    _no_internal_error(result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"tracker: error: {source}: ")
    assert problem in lines[0]
    assert lines[1] == f"tracker: error: {source}: 1 problem(s); nothing was imported"
    assert db_path.read_bytes() == original


# --- 1. strict JSON -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda text: text.replace('"status": ', '"status": "broken", "status": ', 1),
            'the key "status" appears twice',
        ),
        (lambda text: re.sub(r'"paragraph": \d+', '"paragraph": ' + "7" * 5000, text, count=1), "5000 digits"),
        (lambda text: text.replace('"value": 14000000', '"value": 1e999'), "1e999 is too large for a floating-point"),
        (lambda text: text.replace('"value": 14000000', '"value": NaN'), "NaN is not a number JSON allows"),
        (lambda text: text.replace('"value": 14000000', '"value": -Infinity'), "-Infinity is not a number JSON"),
        (lambda text: text.replace('"schema_version": 1', '"schema_version": ' + "[" * 10000 + "]" * 10000), "deeply"),
        (lambda text: text.replace('"schema_version": 1\n', '"schema_version": 1,\n'), "at line "),
    ],
    ids=["duplicate-key", "5000-digit-integer", "1e999", "NaN", "-Infinity", "10000-deep", "trailing-comma"],
)
def test_import_of_json_a_strict_reader_refuses_gives_one_line_and_writes_nothing(
    run: Run, db_path: Path, tmp_path: Path, edit: object, problem: str
) -> None:
    source = tmp_path / "hostile.json"
    text = db_path.read_text(encoding="utf-8")
    edited = edit(text)  # type: ignore[operator]
    assert edited != text
    source.write_text(edited, encoding="utf-8")
    _import_fails_cleanly(run, db_path, source, problem)


def test_invalid_json_in_an_import_is_placed_by_line_and_column(run: Run, db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "broken.json"
    source.write_text('{\n  "commitments": [\n    {"id": }\n  ]\n}\n', encoding="utf-8")
    _import_fails_cleanly(run, db_path, source, "not valid JSON: Expecting value at line 3, column 12")
