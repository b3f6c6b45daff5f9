"""The README's command reference is generated from the commands' own --help by cog, and must be current."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cogapp import Cog

from tracker.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def cog_check(path: Path) -> int:
    """cog --check on `path`: 0 when its generated parts are what the generator makes now."""
    return int(Cog().main(["cog", "--check", "--verbosity=0", str(path)]))


def test_the_readme_reference_is_the_commands_own_help() -> None:
    assert cog_check(README) == 0, "README.md's command reference is stale: run 'cog -r README.md'"


@pytest.mark.slow
def test_a_stale_reference_is_caught(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    shutil.copy(README, stale)
    text = stale.read_text(encoding="utf-8")
    stale.write_text(text.replace("  --json                          Print JSON instead of a table.\n", "", 1))
    assert stale.read_text(encoding="utf-8") != text
    assert cog_check(stale) != 0


def test_every_command_has_its_help_in_the_reference() -> None:
    text = README.read_text(encoding="utf-8")
    names = [command.name or command.callback.__name__ for command in app.registered_commands]  # type: ignore[union-attr]
    assert len(names) >= 10
    for name in names:
        assert f"#### `tracker {name} --help`\n\n```\nUsage: tracker {name} " in text, name
    assert "#### `tracker --help`" in text
