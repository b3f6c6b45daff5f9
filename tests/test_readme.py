"""The README is the front door: its set-up commands, its command list and its tables must stay true."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import Run
from tracker.cli import app
from tracker.model import POLITIFACT, SCORES, SETTLED, Status

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_test_command_the_readme_gives() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.DOTALL)
    assert blocks[:2] == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install . && tracker list",
        "python3 -m venv .venv && . .venv/bin/activate && pip install '.[test]' && pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\n" + blocks[1] + "\n" in ci


def test_every_command_is_in_the_readme() -> None:
    names = [command.name or command.callback.__name__ for command in app.registered_commands]  # type: ignore[union-attr]
    assert names
    for name in names:
        assert f"`tracker {name}" in README, name


def test_status_table_matches_the_vocabulary_and_scores() -> None:
    for status in Status:
        score = SCORES[status]
        final = "not scored (final: out of assessment)" if status in SETTLED else "not scored (counted)"
        shown = final if score is None else f"{score:+d}" if score else "0"
        assert f"| `{status.value}` | {POLITIFACT[status]} | {shown} |" in README


# --- the tour, run: every command in its order, its output as shown -----------------------------------------------

_TOUR = README[README.index("## A short tour") : README.index("## Statuses and scores")]
# Shown as a terminal shows them (tables drawn with box characters, paged), where a pipe gets plain text; they are
# run, in their turn, but not compared.
_AS_ON_A_TERMINAL = {"show rcep", "report --as-of 2021-06-30", "list", "trend --every quarter --to 2021-06-30"}


def _tour_steps() -> list[tuple[str, list[str]]]:
    """Each `$ ` command of the tour's console blocks, continuation lines joined, with the lines shown after it."""
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", _TOUR, flags=re.DOTALL):
        lines = block.splitlines()
        while lines:
            command = lines.pop(0)
            assert command.startswith("$ "), command
            while command.endswith("\\"):
                command = command[:-1] + lines.pop(0).strip()
            shown = []
            while lines and not lines[0].startswith("$ "):
                shown.append(lines.pop(0))
            steps.append((command[2:].strip(), shown))
    return steps


def _normalized(lines: list[str], today: str, data_file: str) -> list[str]:
    """Lines with the moments of recording, today's date (the day the tour was run) and the data file's path made
    the same."""
    moment = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z|\d{8}T\d{6}Z")  # in text, and in a backup's name
    return [
        moment.sub("<moment>", line).replace(today, "<today>").replace(data_file, "<data file>").rstrip()
        for line in lines
    ]


def _shown(produced: list[str], expected: list[str]) -> bool:
    """Whether `produced` is what `expected` shows: line for line, where a line `...` stands for any lines (none
    included) and the runs of lines between are found in their order."""
    first, *runs = "\n".join(expected).split("\n...")
    if not runs:
        return produced == expected
    text = "\n".join(produced)
    if not text.startswith(first):
        return False
    at = len(first)
    *middle, last = runs
    for run in middle:
        found = text.find(run + "\n", at)
        if found < 0:
            return False
        at = found + len(run)
    return text.endswith(last) and len(text) - len(last) >= at


def test_the_tour_gives_the_output_it_shows(
    run: Run, isolated_environment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    monkeypatch.delenv("TRACKER_DB")  # the first command creates the data file where it lives by default (in tmp)
    monkeypatch.setenv("TRACKER_USER", "you")
    monkeypatch.chdir(tmp_path)
    steps = _tour_steps()
    assert len(steps) > 20
    compared = 0
    for command, shown in steps:
        if command.startswith("cd "):
            monkeypatch.chdir(ROOT / command[3:])
            continue
        command, _, piped = command.partition(" | ")
        words = shlex.split(command)
        assert words[0] == "tracker", command
        result = run(*words[1:])
        produced = (result.stderr + result.stdout).splitlines()
        if piped:
            assert piped.startswith("head -"), piped
            produced = result.stderr.splitlines() + result.stdout.splitlines()[: int(piped[len("head -") :])]
        if " ".join(words[1:]) in _AS_ON_A_TERMINAL:
            assert result.exit_code == 0, (command, result.stderr)
            continue
        expected = [line for line in shown if not line.startswith("tracker: created ")]
        produced = [line for line in produced if not line.startswith("tracker: created ")]
        produced = _normalized(produced, date.today().isoformat(), str(tmp_path / "home/data/tracker/commitments.json"))
        expected = _normalized(expected, "2026-11-29", "/home/you/.local/share/tracker/commitments.json")
        assert _shown(produced, expected), (command, produced)
        compared += 1
    assert compared > 15


def test_the_csv_columns_are_the_ones_the_readme_lists() -> None:
    from tracker.formats import CSV_FIELDS, EVENT_CSV_FIELDS

    for fields in (CSV_FIELDS, EVENT_CSV_FIELDS):
        assert f"`{', '.join(fields)}`" in README
    help_text = " ".join(README[README.index("#### `tracker export --help`") :].split())
    assert f"({', '.join(EVENT_CSV_FIELDS)})" in help_text
