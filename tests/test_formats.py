"""Export and import: JSON that round-trips byte for byte, CSV and Markdown, merging, and files shared via git."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Run, load, record
from tracker.layout import parse_database
from tracker.model import Status
from tracker.store import Store

TWO_UPDATES = [
    ["update", "rcep", "--status", "fulfilled", "--date", "2020-11-15", "--evidence", "Joint Leaders' Statement"],
    ["update", "coop", "--note", "Fund confirmed for 2021", "--date", "2021-02-01"],
]


def test_json_export_imports_into_an_empty_database_and_exports_byte_identical(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    for args in TWO_UPDATES:
        assert run(*args).exit_code == 0
    first = run("export").stdout
    exported = tmp_path / "export.json"
    exported.write_text(first, encoding="utf-8")
    empty = tmp_path / "empty.json"
    assert run("--db", str(empty), "init", "--empty").exit_code == 0
    assert load(empty)["commitments"] == []
    imported = run("--db", str(empty), "import", str(exported))
    assert imported.stdout == f"imported {exported}: 18 added, 0 updated, 0 unchanged\n"
    assert run("--db", str(empty), "export").stdout == first
    assert first == db_path.read_text(encoding="utf-8")


def test_export_takes_the_list_filters_and_writes_a_file_once(run: Run, db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "economic.json"
    result = run("export", "--pillar", "economic", "--output", str(target))
    assert result.exit_code == 0
    assert result.stderr == f"tracker: exported 4 commitments to {target}\n"
    ids = [c["id"] for c in parse_database(target.read_text(encoding="utf-8"), "x")]
    assert sorted(ids) == [
        "digital-economy-cooperation",
        "rcep-signing",
        "supply-chains-essential-movement",
        "wto-candidate-support",
    ]
    before = target.read_bytes()
    again = run("export", "--output", str(target))
    assert again.exit_code == 1
    assert "exists; use --force" in again.stderr
    assert target.read_bytes() == before
    assert run("export", "--output", str(target), "--force").exit_code == 0
    assert len(load(target)["commitments"]) == 18


def test_csv_export_has_one_row_per_commitment(run: Run, db_path: Path) -> None:
    result = run("export", "--format", "csv", "--status", "in-progress")
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["id"] for row in table] == ["plan-of-action-2021-2025", "cooperation-fund", "marine-debris-capacity"]
    fund = table[1]
    assert fund["amount"] == "USD 14,000,000 a year"
    assert fund["actors"] == "ROK"
    assert fund["paragraph"] == "6"
    assert fund["events"] == "1"
    assert table[0]["overdue"] == "yes"


def test_markdown_export_has_a_table_and_each_quote(run: Run, db_path: Path) -> None:
    result = run("export", "--format", "markdown", "--search", "RCEP")
    text = result.stdout
    assert text.startswith("# Commitments (2), as of ")
    assert "| rcep-signing | Sign the Regional Comprehensive Economic Partnership (RCEP) in 2020 |" in text
    assert "> The Minister underscored the need to strengthen economic resilience" in text


MARKED_UP = {
    "title": "Fund *A* `B` <b>C</b> &amp; ~~D~~ | E_F_ #",
    "quote": "# Not a heading",
    "note": "See [click](javascript:alert(1)) and <script>x</script>",
}
EVIDENCE = ["1. not a list", "---", "    indented", "https://asean.org/joint_statement?id=1&lang=en"]


@pytest.mark.parametrize("command", [["report", "--format", "markdown"], ["export", "--format", "markdown"]])
def test_markdown_renders_the_data_as_written_in_a_commonmark_renderer(
    run: Run, db_path: Path, command: list[str]
) -> None:
    # markdown-it-py (CommonMark, with the GitHub tables and strikethrough) is what Rich renders Markdown with.
    import html
    import re

    from markdown_it import MarkdownIt

    added = run(
        "add", "--id", "marked", "--kind", "pledge", "--title", MARKED_UP["title"], "--quote", MARKED_UP["quote"],
        "--actor", "ROK", "--pillar", "economic", "--source-date", "2020-09-09", "--source-document", "    Joint",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    cited = [option for evidence in EVIDENCE for option in ("--evidence", evidence)]
    noted = run("update", "marked", "--status", "partial", "--note", MARKED_UP["note"], *cited)
    assert noted.exit_code == 0, noted.stderr
    page = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(run(*command).stdout)
    assert not re.search(r"<(em|strong|a|del|s|b|script|hr|pre)\b", page)  # no markup made of the data
    assert all(re.fullmatch(r"[a-z0-9-]+", code) for code in re.findall(r"<code>(.*?)</code>", page))  # ids alone
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for name, value in MARKED_UP.items():
        if name != "quote" or command[0] == "export":  # the report does not show quotes
            assert value in text, name
    for evidence in EVIDENCE:  # the export shows them in its history table, the report as a numbered list
        assert evidence.strip() in text, evidence
    headings = re.findall(r"<h[1-6]>(.*?)</h[1-6]>", page)
    assert not any("Not a heading" in heading for heading in headings)
    assert command[0] == "report" or any(heading.endswith("E_F_ #") for heading in map(html.unescape, headings))
    # A renderer that links bare addresses (GitHub's) finds the address whole: no escape inside it.
    assert "https://asean.org/joint_statement?id=1&lang=en" in run(*command).stdout


def test_import_merges_by_id_adding_new_commitments_and_missing_events(run: Run, db_path: Path, tmp_path: Path) -> None:
    colleague = tmp_path / "colleague.json"
    shutil.copy(db_path, colleague)
    for args in TWO_UPDATES:
        assert run("--db", str(colleague), *args).exit_code == 0
    assert (
        run(
            "--db",
            str(colleague),
            "add",
            "--kind",
            "pledge",
            "--title",
            "A new pledge",
            "--actor",
            "Japan",
            "--pillar",
            "economic",
        ).exit_code
        == 0
    )
    assert run("update", "rcep", "--note", "my own note", "--date", "2020-10-01").exit_code == 0
    exported = tmp_path / "theirs.json"
    assert run("--db", str(colleague), "export", "--output", str(exported)).exit_code == 0
    result = run("import", str(exported))
    assert result.stdout == f"imported {exported}: 1 added, 2 updated, 16 unchanged\n"
    rcep = record(db_path, "rcep-signing")
    assert [e["date"] for e in rcep["history"]] == ["2020-09-09", "2020-10-01", "2020-11-15"]
    assert rcep["status"] == "fulfilled"
    assert record(db_path, "new-pledge")["actors"] == ["Japan"]
    again = run("import", str(exported))
    assert again.stdout == f"imported {exported}: 0 added, 0 updated, 19 unchanged\n"
    assert run("undo", "--yes").stdout.startswith("undid 'import theirs.json'")
    assert "new-pledge" not in db_path.read_text(encoding="utf-8")


def test_import_replace_makes_the_database_the_file(run: Run, db_path: Path, tmp_path: Path) -> None:
    exported = tmp_path / "two.json"
    assert run("export", "--search", "marine debris", "--output", str(exported)).exit_code == 0
    original = db_path.read_bytes()
    unconfirmed = run("import", str(exported), "--replace")
    assert unconfirmed.exit_code == 2
    assert unconfirmed.stderr == "tracker: error: not on a terminal, so nobody can confirm; pass --yes to go ahead\n"
    assert db_path.read_bytes() == original
    result = run("import", str(exported), "--replace", "--yes")
    assert result.stdout == f"imported {exported}: 0 added, 0 updated, 1 unchanged, 17 removed\n"
    assert [c["id"] for c in load(db_path)["commitments"]] == ["marine-debris-capacity"]


@pytest.mark.parametrize(
    ("content", "problems"),
    [
        ("{oops", ["not valid JSON"]),
        ('{"commitments": [], "schema_version": 99}', ["schema version 99, newer than this tracker knows"]),
        ('"text"', ["not a tracker export"]),
        ('[{"id": "x"}, 7]', ["commitment 1 ('x'): record lacks", "commitment 2: is not an object"]),
    ],
)
def test_invalid_import_writes_nothing_and_lists_every_problem(
    run: Run, db_path: Path, tmp_path: Path, content: str, problems: list[str]
) -> None:
    source = tmp_path / "bad.json"
    source.write_text(content, encoding="utf-8")
    original = db_path.read_bytes()
    result = run("import", str(source))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == len(problems) + 1
    for line, problem in zip(lines, problems, strict=False):
        assert line.startswith(f"tracker: error: {source}: ")
        assert problem in line
    assert lines[-1] == f"tracker: error: {source}: {len(problems)} problem(s); nothing was imported"
    assert db_path.read_bytes() == original
    assert not Store(db_path).journal_path.exists()


def test_invalid_records_are_named_by_id_and_position(run: Run, db_path: Path, tmp_path: Path) -> None:
    document = load(db_path)
    document["commitments"][2]["status"] = "done"
    document["commitments"][5]["pillar"] = "military"
    document["commitments"].append(dict(document["commitments"][0]))
    source = tmp_path / "mixed.json"
    source.write_text(json.dumps(document["commitments"]), encoding="utf-8")  # a list of commitments
    result = run("import", str(source))
    assert result.exit_code == 1
    third, sixth = document["commitments"][2]["id"], document["commitments"][5]["id"]
    first = document["commitments"][0]["id"]
    assert f"commitment 3 ('{third}'): status 'done'" in result.stderr
    assert f"commitment 6 ('{sixth}'): pillar 'military'" in result.stderr
    assert f"commitment 19 ('{first}'): the same id as commitment 1" in result.stderr


def test_import_of_a_missing_file_is_a_clear_error(run: Run, db_path: Path, tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "nope.json"))
    assert result.exit_code == 1
    assert "nope.json does not exist" in result.stderr


def test_two_copies_updated_on_different_commitments_merge_in_git_without_conflict(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path / "base.json"
    ours = tmp_path / "ours.json"
    theirs = tmp_path / "theirs.json"
    for copy in (base, ours, theirs):
        shutil.copy(db_path, copy)
    assert run("--db", str(ours), *TWO_UPDATES[0]).exit_code == 0
    assert run("--db", str(theirs), *TWO_UPDATES[1]).exit_code == 0
    merged = subprocess.run(["git", "merge-file", str(ours), str(base), str(theirs)], capture_output=True, check=False)
    assert merged.returncode == 0, merged.stderr
    commitments = parse_database(ours.read_text(encoding="utf-8"), "merged")
    by_id = {c["id"]: c for c in commitments}
    assert by_id["rcep-signing"]["status"] == "fulfilled"
    assert by_id["cooperation-fund"]["history"][-1]["note"] == "Fund confirmed for 2021"
    assert run("--db", str(ours), "show", "rcep").exit_code == 0


def test_an_export_of_valid_records_is_read_once_and_anything_doubtful_is_read_strictly(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker import formats, strictjson

    note = 'He said \\"done\\": the fund is paid'  # an escaped quote before `": ` inside a value
    assert run("update", "rcep", "--note", note.replace('\\"', '"'), "--date", "2020-11-15").exit_code == 0
    text = run("export").stdout
    strict = list(strictjson.loads(text)["commitments"].values())
    with monkeypatch.context() as patched:  # the valid export never reaches the strict reader
        patched.setattr(strictjson, "loads", lambda *_: pytest.fail("read strictly"))
        assert formats.read_import(text, "export.json") == strict
    doubtful = {
        "a key twice": (text.replace('"pillar": ', '"pillar": "economic",\n      "pillar": ', 1), "appears twice"),
        "an integer past 64 bits": (text.replace('"paragraph": 9', '"paragraph": 9' + "0" * 5000, 1), "5001 digits"),
        "a record that breaks a rule": (text.replace('"pillar": "economic"', '"pillar": "cosmic"', 1), "pillar"),
    }
    for what, (changed, words) in doubtful.items():
        assert changed != text, what
        with pytest.raises(formats.ImportProblems) as raised:
            formats.read_import(changed, "export.json")
        assert words in " ".join(raised.value.problems), (what, raised.value.problems)


# --- CSV written fast: the same bytes as csv.writer -------------------------------------------------------------

_AWKWARD_CELLS = [
    "",
    "plain",
    "a, b",
    'say "yes"',
    "two\nlines",
    "=1+2",
    "+1",
    "-1",
    "@sum",
    "\tx",
    "\rx",
    "x,=1",
    "x =1",
    "caf\u00e9 \u2019quoted\u2019",
    "\x1b[31m",
    "\x7f",
    "\u202eevil",
    "soft\u00adhyphen",
    "'",
    "x\x00y",
]


@given(st.lists(st.sampled_from(_AWKWARD_CELLS) | st.text(max_size=8), min_size=1, max_size=6))
@settings(max_examples=400, deadline=None)
def test_a_fast_csv_line_is_what_the_csv_writer_writes_for_the_safe_row(cells: list[str]) -> None:
    from tracker.formats import csv_line, csv_row

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(csv_row(cells))
    line = csv_line(cells)
    assert line is None or line == buffer.getvalue()


def test_a_fast_csv_line_is_taken_only_for_rows_that_need_nothing() -> None:
    from tracker.formats import csv_line

    assert csv_line(["id", "a title", "", "2020-01-01"]) == "id,a title,,2020-01-01\n"
    for awkward in ("a, b", 'say "yes"', "two\nlines", "=1", "-1", "@x", "\x1b", "\x7f", "\u202e"):
        assert csv_line(["id", awkward]) is None
        assert csv_line([awkward, "id"]) is None
    assert csv_line([""]) is None  # the writer writes `""` for a row of one empty cell


@pytest.mark.parametrize("events", [False, True])
def test_csv_of_commitments_in_any_order_is_the_csv_of_them_by_due_date(events: bool) -> None:
    import random

    from tests.conftest import bundled_commitments
    from tracker.formats import csv_part, csv_pieces, csv_pieces_by_due, events_csv_pieces
    from tracker.model import by_due

    commitments = bundled_commitments()
    commitments[0]["title"] = '=HYPERLINK("x"), with a comma'
    commitments[1]["due"] = commitments[2]["due"]  # a tie on the date: then by id
    commitments[3]["history"][0]["note"] = "two\nlines, \x1b and \u202e"
    ordered = by_due(commitments)  # type: ignore[arg-type]
    expected = "".join(events_csv_pieces(ordered) if events else csv_pieces(ordered, "2026-11-29"))  # type: ignore[arg-type]
    for seed in range(6):
        shuffled = list(commitments)
        generator = random.Random(seed)
        generator.shuffle(shuffled)
        cuts = sorted(generator.choices(range(len(shuffled) + 1), k=seed))  # in parts (some empty), as processes read
        bounds = [0, *cuts, len(shuffled)]
        parts = [csv_part(shuffled[a:b], "2026-11-29", events) for a, b in itertools.pairwise(bounds)]  # type: ignore[arg-type]
        assert "".join(csv_pieces_by_due(parts, events)) == expected
    assert "".join(csv_pieces_by_due([], events)).count("\n") == 1  # the header alone


def test_csv_export_of_every_commitment_is_that_of_a_filter_that_keeps_them_all(run: Run, db_path: Path) -> None:
    for args in TWO_UPDATES:
        assert run(*args).exit_code == 0
    every_status = [arg for status in Status for arg in ("--status", status.value)]
    for extra in ([], ["--events"]):
        every = run("export", "--format", "csv", *extra)
        assert every.exit_code == 0
        assert every.stdout == run("export", "--format", "csv", *every_status, *extra).stdout
        assert every.stdout.count("\n") > 18


_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"))
)
_JSON_VALUES = st.recursive(
    _JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    head=st.dictionaries(st.text(max_size=5).filter(lambda key: key != "rows"), _JSON_VALUES, max_size=3),
    items=st.lists(_JSON_VALUES, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=8), max_size=4),
)
def test_items_written_ahead_make_the_document_written_whole(
    head: dict[str, object], items: list[object], cuts: list[int]
) -> None:
    """A report's rows written as JSON in its parts' processes, then put in their place, give the bytes that
    writing the whole report at once gives (controls escaped as `json_text` escapes them), and read back whole."""
    from tracker import render

    bounds = [0, *sorted(min(cut, len(items)) for cut in cuts), len(items)]
    parts = [items[start:stop] for start, stop in itertools.pairwise(bounds)]
    written = [render.json_items(part) for part in parts]
    assert all(each is not None for each in written)
    chunks = [each for each in written if each is not None]
    assert [render.read_items(each) for each in chunks] == parts
    whole = {**head, "rows": items}
    expected = render.json_text(whole).encode("utf-8")
    assert b"".join(render.json_pieces({**head, "rows": []}, chunks)) == expected
    assert json.loads(expected) == json.loads(json.dumps(whole))


def test_items_written_ahead_are_read_back_where_orjson_cannot_write_the_rest(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    from tracker import render

    rows = [{"id": "a", "title": "caf\u00e9 \u0085"}, {"id": "b", "score": 0.3333}]
    assert render.json_items([{"title": "lone \ud800"}]) is None  # the caller keeps those rows as they are
    chunks = [render.json_items(rows[:1]), b"", render.json_items(rows[1:])]
    assert None not in chunks
    written = [each for each in chunks if each is not None]
    for head in ({"note": "lone \ud800", "rows": []}, {"n": 2**70, "rows": []}, {"plain": "text", "rows": []}):
        whole = {**head, "rows": rows}
        expected = (render.json_text(whole) + "\n").encode("utf-8", "surrogatepass")
        assert b"".join([*render.json_pieces(head, written), b"\n"]) == expected
        render.print_json(head, written)
        assert capsysbinary.readouterr().out == expected
    with pytest.raises(ValueError, match="empty array"):
        render.json_pieces({"rows": [], "last": 1}, written)


def test_pieces_and_json_on_stdout_are_escaped_whether_written_as_bytes_or_as_text(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    from tracker import render

    text = "plain, then \u00e9 \x7f \u0085 \u202e \U000e0041 \u2019 end\n"
    raw = text.encode("utf-8")
    cut = raw.index("\u2019".encode()) + 1  # a piece that ends inside a character, then one of ASCII
    render.write_pieces([b"ascii only\n", raw[:cut], raw[cut:], b"tail\n"])
    expected = "ascii only\n" + render.json_safe(text) + "tail\n"
    assert capsysbinary.readouterr().out == expected.encode("utf-8")
    assert all(escape in expected for escape in ("\\u007f", "\\u0085", "\\u202e", "\\udb40\\udc41"))
    assert render._ascii_stdout() is not None  # the bytes were written as they are where they could be
    for value in ({"a": "ascii"}, {"a": "del \x7f"}, {"a": "caf\u00e9 \u0085"}, {"n": 2**70}, {1: "int key"}):
        render.print_json(value)
        assert capsysbinary.readouterr().out == (render.json_text(value) + "\n").encode("utf-8")
