"""Property-based: any Unicode in titles, actors, notes and evidence is stored exactly (an actor's name with its
spaces tidied) and shown by every command
without a markup error and without a raw control character reaching the output."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tracker.cli import app
from tracker.model import shows_anything
from tracker.store import Store

FRAGMENTS = [
    "[bold]",
    "[/bold]",
    "[/]",
    "[red on white]",
    "[link=https://x]",
    ":smile:",
    "\x1b[31m",
    "\x1b[2J",
    "\x1b]0;owned\x07",
    "\x1b]8;;https://evil\x1b\\",
    "\x9b31m",
    "\x9d",
    "\x00",
    "\r",
    "\t",
    "\n",
    "\x7f",
    "\u202e",
    "\u2066",
    "\u200f",
    "\u2028",
    "\u200b",
    "\ufeff",
    "\U000e0041",
    "\u00ad",
    "\u200d",
    "|",
    "\\",
    '"',
    "한국어",
    "🇰🇷",
]
_SAFE_SGR = re.compile(r"\x1b\[[0-9;]*m")  # Rich's own styling, on a terminal only
_CONTROL = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u2028\u2029\u061c"
    r"\xad\u180e\u200b\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)

any_text = st.text(st.characters(codec="utf-8"), max_size=60)
hostile = st.lists(st.one_of(st.sampled_from(FRAGMENTS), any_text), max_size=8).map("".join)
long_text = st.text(st.characters(codec="utf-8"), min_size=2000, max_size=6000)
title = st.one_of(hostile, any_text).map(lambda t: t[:80]).filter(shows_anything)  # what add takes as a title
note = st.one_of(hostile, any_text, long_text)
evidence = st.one_of(hostile, any_text, long_text).filter(lambda t: t.strip() != "")


def _commands() -> list[tuple[list[str], dict[str, str]]]:
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": "100", "LINES": "40"}
    return [
        (["list"], {}),
        (["list", "--all"], terminal),
        (["list", "--json"], {}),
        (["show", "hostile"], terminal),
        (["show", "hostile", "--json"], {}),
        (["report"], terminal),
        (["report", "--format", "markdown"], {}),
        (["report", "--format", "json"], {}),
        (["export"], {}),
        (["export", "--format", "csv"], {}),
        (["export", "--format", "markdown"], {}),
    ]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=title, actor=title, note=note, evidence=evidence)
def test_any_text_is_stored_exactly_and_rendered_safely(title: str, actor: str, note: str, evidence: str) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as directory:
        db = str(Path(directory) / "db.json")
        base = {"TRACKER_DB": db, "NO_COLOR": "", "COLUMNS": "100"}
        assert runner.invoke(app, ["init"], env=base).exit_code == 0
        added = runner.invoke(
            app,
            ["add", "--kind", "pledge", "--title", title, "--actor", actor, "--pillar", "economic", "--id", "hostile"],
            env=base,
        )
        assert added.exit_code == 0, added.stderr
        updated = runner.invoke(app, ["update", "hostile", "--note", note, "--evidence", evidence], env=base)
        assert updated.exit_code == 0, updated.stderr
        stored = next(c for c in Store(Path(db)).load() if c["id"] == "hostile")
        assert stored["title"] == title
        assert stored["actors"][0] == " ".join(
            actor.split()
        )  # an actor's name: spaces at the ends and in runs made one
        assert stored["history"][-1]["note"] == note
        assert stored["history"][-1]["evidence"] == [evidence]
        for args, env in _commands():
            result = runner.invoke(app, args, env={**base, **env})
            assert result.exit_code == 0, (args, result.stderr)
            shown = _SAFE_SGR.sub("", result.stdout) if env else result.stdout
            if args == ["list"]:  # tab-separated rows: the tabs are the format's, never the data's
                assert all(line.count("\t") == 5 for line in shown.splitlines())
                shown = shown.replace("\t", " ")
            raw = _CONTROL.search(shown)
            assert raw is None, (args, repr(raw.group()) if raw else None)
            for output in (added.stdout, updated.stdout, result.stderr):
                assert _CONTROL.search(output) is None
        shown_json = json.loads(runner.invoke(app, ["show", "hostile", "--json"], env=base).stdout)
        assert shown_json["title"] == title
        assert shown_json["history"][-1]["note"] == note
        missing = runner.invoke(app, ["show", title], env=base)
        assert _CONTROL.search(missing.stderr.rstrip("\n")) is None
