"""Plain output for pipes and files is laid out directly (`render.plain_lines`), without Rich rendering each row: it
must stay byte for byte what Rich prints on a console 100,000 columns wide (`render.rich_plain_text`), for ordinary
and for hostile text, through the library and through the command line."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner

from tests.conftest import Run, record
from tests.test_hostile import FRAGMENTS
from tracker import render
from tracker.cli import app
from tracker.model import Commitment, actor_key, shows_anything

# Wide CJK, combining marks, emoji with joiners and variation selectors (also at the start of a line), markup,
# tabs, controls, bidirectional and invisible characters, spaces at the ends of lines.
HOSTILE_TITLE = "広域経済連携協定 [bold]red[/bold] \x1b[31mX Cafe\u0301 a\u0308\u0308 👩\u200d👩\u200d👧 ✈\ufe0f \ttab"
HOSTILE_NOTE = (
    "半分 done [bold]b[/bold] :smile:\nsecond line\twith tab \x1b]0;title\x07 \u202eevil\u202c\n"
    "\u0301 leading mark\n\ufe0f selector first 👨\u200d💻   \n   spaces first\u200b\u00ad\x9b"
)
HOSTILE_ACTOR = "東南アジア 😀 [red]"
PLAIN_COMMANDS = [
    ["scorecard"],
    ["scorecard", "--weighted", "--as-of", "2026-06-30"],
    ["report"],
    ["report", "--format", "text"],
    ["report", "--as-of", "2021-06-30"],
    ["trend"],
    ["trend", "--every", "year"],
    ["show", "hostile"],
    ["show", "rcep"],
    ["show", "plan-of-action"],
    ["history", "hostile"],
    ["history", "plan-of-action"],
]


def add_hostile(run: Run, title: str = HOSTILE_TITLE, note: str = HOSTILE_NOTE, actor: str = HOSTILE_ACTOR) -> None:
    """A commitment `hostile` of two actors, overdue, with a note and evidence, and one assessed actor apart."""
    added = run(
        "add", "--kind", "pledge", "--title", title, "--actor", actor, "--actor", "ROK", "--pillar", "economic",
        "--id", "hostile", "--source-date", "2020-01-01", "--due", "2021-01-01", "--summary", note, "--quote", note,
        "--source-document", title, "--paragraph", "3", "--amount", "14000000 USD/year", "--weight", "2",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    for arguments in (
        ["--status", "partial", "--note", note, "--evidence", note, "--evidence", title, "--date", "2020-06-01"],
        ["--status", "fulfilled", "--actor", "ROK", "--note", title, "--date", "2020-09-01"],
    ):
        updated = run("update", "hostile", *arguments)
        assert updated.exit_code == 0, updated.stderr


@pytest.fixture
def hostile_db(db_path: Path, run: Run) -> Path:
    add_hostile(run)
    assert run("update", "rcep", "--status", "broken", "--note", HOSTILE_NOTE, "--date", "2021-01-05").exit_code == 0
    return db_path


def _refuse(renderable: Any, width: int = render.PLAIN_WIDTH) -> list[str]:
    raise render._NotPlain


def _whole_view_to_rich(renderable: Any) -> str:
    raise AssertionError("plain_text left the whole view to Rich")


def _both(run: Run, command: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The command's output laid out by `plain_lines` (which must not leave the whole view to Rich), and printed
    by Rich as it was before `plain_lines`."""
    with monkeypatch.context() as patch:
        patch.setattr(render, "rich_plain_text", _whole_view_to_rich)
        fast = run(*command)
    assert fast.exit_code == 0, fast.stderr
    with monkeypatch.context() as patch:
        patch.setattr(render, "plain_lines", _refuse)
        slow = run(*command)
    assert slow.exit_code == 0, slow.stderr
    return fast.stdout, slow.stdout


@pytest.mark.parametrize("command", PLAIN_COMMANDS)
def test_plain_output_in_a_pipe_is_what_rich_prints_for_hostile_and_bundled_data(
    hostile_db: Path, run: Run, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = _both(run, command, monkeypatch)
    assert fast == slow
    assert fast.endswith("\n")


def test_a_text_report_written_to_a_file_is_what_rich_prints(
    hostile_db: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = tmp_path / "fast.txt", tmp_path / "slow.txt"
    assert run("report", "--format", "text", "--output", str(fast)).exit_code == 0
    with monkeypatch.context() as patch:
        patch.setattr(render, "plain_lines", _refuse)
        assert run("report", "--format", "text", "--output", str(slow)).exit_code == 0
    assert fast.read_bytes() == slow.read_bytes()


def test_data_text_stays_literal_and_safe_in_plain_output(hostile_db: Path, run: Run) -> None:
    shown = run("show", "hostile").stdout
    assert "[bold]red[/bold] \\x1b[31mX" in shown  # markup as written, the escape character as a visible escape
    assert ":smile:" in shown
    assert "\\t" in shown
    assert "\t" not in shown
    assert "\\u202eevil\\u202c" in shown
    for command in PLAIN_COMMANDS:
        output = run(*command).stdout
        assert not any(character in output for character in "\x1b\x07\x9b\u202e\t\r"), command


def _views(db: Path, run: Run) -> list[Any]:
    commitment: Commitment = record(db, "hostile")  # type: ignore[assignment]
    card = json.loads(run("scorecard", "--format", "json").stdout)
    figures = json.loads(run("report", "--format", "json").stdout)
    document = json.loads(run("trend", "--format", "json").stdout)
    return [
        render.commitment_detail(commitment, "2026-01-01", plain=True, supersedes=["a-b", "c"]),
        render.commitment_detail(commitment, "2026-01-01", plain=True),
        render.history_view(commitment, plain=True),
        render.scorecard_view(card, plain=True),
        render.report_view(figures, plain=True),
        render.trend_view(document, plain=True),
    ]


def test_each_plain_view_is_laid_out_as_rich_lays_it_out(hostile_db: Path, run: Run) -> None:
    for view in _views(hostile_db, run):
        assert render.plain_text(view) == render.rich_plain_text(view)
        render.plain_lines(view)  # laid out without Rich: does not raise


def _table(**options: Any) -> Table:
    table = Table(show_edge=False, pad_edge=False, box=None, **options)
    table.add_column("left", no_wrap=True)
    table.add_column("right", justify="right")
    table.add_column("multi", style="dim")
    table.add_column("last")
    return table


CELLS: list[RenderableType] = [
    "",
    "x",
    "12",
    "+0.33",
    "100.0%",
    Text("  spaces around  "),
    Text("広域 wide"),
    Text("a\u0301\u0301 marks"),
    Text("line one\nline two, longer\n"),
    Text("\n"),
    Text(""),
    Text("👩\u200d👩\u200d👧 family"),
    Text("✈\ufe0f plane"),
    Text("\ufe0fselector first"),
    Text.assemble(("ROK ", "bold"), ("\u200d joiner after a style", "red")),
    Text.assemble(("emoji 👩", "bold"), ("\u200d👩 split", "red")),
    Padding(Text("indented\ntwo lines"), (0, 0, 0, 2)),
    Group(Text("grouped"), Padding(Group(Text("deeper"), Text("")), (0, 0, 0, 4))),
]


@pytest.mark.parametrize(
    "options",
    [{}, {"title": "By pillar", "title_justify": "left"}, {"show_header": False}, {"padding": (0, 2)}],
)
def test_a_borderless_table_is_laid_out_as_rich_lays_it_out(options: dict[str, Any]) -> None:
    for offset in range(0, len(CELLS), 5):
        table = _table(**options)
        for row in range(len(CELLS)):
            table.add_row(*(CELLS[(offset + row + column) % len(CELLS)] for column in range(4)))
        view = Group(Text("heading", style="bold"), Text(), table, Text(), Padding(table, (0, 0, 0, 2)))
        assert render.plain_text(view) == render.rich_plain_text(view)


@pytest.mark.parametrize("padding", [(0, 1), (0, 2), 0])
def test_a_grid_is_laid_out_as_rich_lays_it_out(padding: Any) -> None:
    grid = Table.grid(padding=padding)
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right")
    grid.add_column()
    for cell in CELLS:
        grid.add_row(Text("label"), cell, cell)
    grid.add_row("", "", "")
    assert render.plain_text(grid) == render.rich_plain_text(grid)
    render.plain_lines(grid)


def test_what_it_does_not_lay_out_is_left_to_rich() -> None:
    boxed = Table()
    boxed.add_column("a")
    boxed.add_row("x")
    fixed = Table(box=None)
    fixed.add_column("a", width=3)
    fixed.add_row("longer than three")
    markup = Table(box=None)
    markup.add_column("[bold]a[/bold]")
    markup.add_row(":smile:")
    long_line = Text("word " * 30_000)
    for view in (boxed, fixed, markup, long_line, Group(Text("x"), boxed), Padding(long_line, (0, 0, 0, 2))):
        with pytest.raises(render._NotPlain):
            render.plain_lines(view)
        assert render.plain_text(view) == render.rich_plain_text(view)


def test_an_empty_report_and_scorecard_are_laid_out_as_rich_lays_them_out(
    isolated_environment: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init", "--empty").exit_code == 0
    for command in (["report"], ["scorecard"], ["trend"]):
        fast, slow = _both(run, command, monkeypatch)
        assert fast == slow


MORE = ["👩\u200d👧", "\ufe0f", "\u0301", "広", " ", "\n"]
fragment = st.one_of(st.sampled_from([*FRAGMENTS, *MORE]), st.text(max_size=8))
hostile_text = st.lists(fragment, min_size=1, max_size=8).map("".join)
hostile_title = hostile_text.map(lambda t: t[:80]).filter(shows_anything)  # what add takes as a title


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=hostile_title,
    actor=hostile_title.filter(lambda t: actor_key(t) != "rok"),  # the second actor besides ROK
    note=hostile_text.filter(lambda t: t.strip() != ""),  # it is also given as evidence, which is never blank
)
def test_any_text_in_plain_output_is_what_rich_prints(title: str, actor: str, note: str) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as directory:
        env = {"TRACKER_DB": str(Path(directory) / "db.json")}

        def invoke(*args: str) -> Any:
            return runner.invoke(app, list(args), env=env, catch_exceptions=False)

        assert invoke("init").exit_code == 0
        add_hostile(invoke, title, note, actor)  # type: ignore[arg-type]
        for command in PLAIN_COMMANDS:
            fast = invoke(*command)
            original = render.plain_lines
            render.plain_lines = _refuse
            try:
                slow = invoke(*command)
            finally:
                render.plain_lines = original
            assert fast.exit_code == slow.exit_code == 0, (command, fast.stderr)
            assert fast.stdout == slow.stdout, command
