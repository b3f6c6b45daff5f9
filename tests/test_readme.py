"""The README is the front door: its set-up commands, its command list and its tables must stay true."""

from __future__ import annotations

import re
from pathlib import Path

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
