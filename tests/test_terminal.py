"""The installed command on a real terminal (a pseudo-terminal of a given size): ids whole, lines within the
screen, the pager, and shell completion from the database."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import select
import struct
import subprocess
import termios
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.conftest import Run, load, tracker_executable

pytestmark = pytest.mark.slow  # real pseudo-terminals and processes

Invoke = Callable[..., subprocess.CompletedProcess[str]]
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
LONG_ID = "long-identifier-to-test-that-no-table-ever-wraps-or-cuts-ids"  # 60 characters, the most an id has


def on_screen(
    args: list[str], columns: int, rows: int = 300, env: Mapping[str, str | None] | None = None
) -> tuple[int, str]:
    """Run the installed command on a pseudo-terminal `columns` wide; its exit code and what the screen showed. A
    variable given as None in `env` is unset."""
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    environment = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    given = {"TERM": "xterm-256color", "PAGER": "cat", **(env or {})}
    environment.update({name: value for name, value in given.items() if value is not None})
    for name in [name for name, value in given.items() if value is None]:
        environment.pop(name, None)
    process = subprocess.Popen(
        [tracker_executable(), *args], stdin=terminal, stdout=terminal, stderr=terminal, env=environment
    )
    os.close(terminal)
    output = drained(controller)
    os.close(controller)
    code = process.wait(timeout=30)
    return code, _ESCAPE.sub("", output.decode("utf-8", "replace").replace("\r\n", "\n"))


def drained(controller: int, seconds: float = 30) -> bytes:
    """All that a pseudo-terminal shows until the command on it has finished (or shows nothing for `seconds`)."""
    output = b""
    while select.select([controller], [], [], seconds)[0]:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the other end closed: the command has finished
            break
        if not chunk:
            break
        output += chunk
    return output


def whole_on_a_line(commitment_id: str, screen: str) -> bool:
    pattern = re.compile(rf"(?<![\w-]){re.escape(commitment_id)}(?![\w-])")
    return any(pattern.search(line) for line in screen.splitlines())


def widest(screen: str) -> int:
    return max(cell_len(line) for line in screen.splitlines())


@pytest.fixture
def long_id_database(run: Run, db_path: Path) -> Path:
    """The bundled data and one overdue commitment with the longest id an id can have."""
    added = run(
        "add",
        "--kind",
        "pledge",
        "--title",
        "A commitment whose id is as long as an id can be",
        "--actor",
        "European Union",
        "--pillar",
        "economic",
        "--source-date",
        "2020-01-01",
        "--due",
        "2020-06-30",
        "--id",
        LONG_ID,
    )
    assert added.exit_code == 0, added.stderr
    return db_path


def test_a_screen_at_80_columns_shows_every_id_whole_and_no_line_wider(db_path: Path) -> None:
    env = {"TRACKER_DB": str(db_path)}
    ids = [commitment["id"] for commitment in load(db_path)["commitments"]]
    code, screen = on_screen(["list"], 80, env=env)
    assert code == 0
    assert "┃" in screen  # a table, not the rows for pipes
    assert [i for i in ids if not whole_on_a_line(i, screen)] == []
    assert widest(screen) <= 80
    for commitment_id in ("terrorism-transnational-crime-cooperation", "rcep-signing", "flagship-projects-2020"):
        code, screen = on_screen(["show", commitment_id], 80, env=env)
        assert code == 0
        assert whole_on_a_line(commitment_id, screen)
        assert "┃" in screen
        assert widest(screen) <= 80
    figures = json.loads(
        subprocess.run(
            [tracker_executable(), "report", "--format", "json"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    listed = {item["id"] for part in ("overdue", "recent", "due_soon") for item in figures[part]}
    assert listed  # today, at least the 2020 commitments are overdue
    code, screen = on_screen(["report"], 80, env=env)
    assert code == 0
    assert [i for i in listed if not whole_on_a_line(i, screen)] == []
    assert widest(screen) <= 80


def test_columns_or_lines_set_to_0_is_the_terminal_own_size(db_path: Path, tmp_path: Path) -> None:
    """COLUMNS=0 (a shell that exports it before it knows the size) once made Rich print nothing at all, and
    LINES=0 sent even a short output through the pager."""
    paged = tmp_path / "paged.txt"
    for args in (["list"], ["show", "rcep"], ["report"]):
        environment = {"TRACKER_DB": str(db_path), "COLUMNS": "0", "LINES": "0", "PAGER": f"tee {paged}"}
        code, screen = on_screen(args, 90, env=environment)
        assert code == 0
        assert "┃" in screen, args
        assert 80 < widest(screen) <= 90, args
        assert not paged.exists(), args  # 300 rows: it fits


def test_list_at_60_columns_keeps_every_id_whole(long_id_database: Path) -> None:
    ids = [commitment["id"] for commitment in load(long_id_database)["commitments"]]
    code, screen = on_screen(["list"], 60, env={"TRACKER_DB": str(long_id_database)})
    assert code == 0
    assert [i for i in ids if not whole_on_a_line(i, screen)] == []
    assert widest(screen) <= 60


@pytest.mark.parametrize("columns", [60, 61, 67, 74, 79, 80, 81, 99, 100, 120, 140, 200])
def test_ids_are_never_split_or_cut_at_any_width(run: Run, long_id_database: Path, columns: int) -> None:
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": str(columns), "NO_COLOR": "1"}
    ids = [commitment["id"] for commitment in load(long_id_database)["commitments"]]
    listed = _ESCAPE.sub("", run("list", env=terminal).stdout)
    assert [i for i in ids if not whole_on_a_line(i, listed)] == []
    assert widest(listed) <= columns
    reported = _ESCAPE.sub("", run("report", "--as-of", "2021-06-30", env=terminal).stdout)
    for commitment_id in (LONG_ID, "flagship-projects-2020", "rcep-signing"):
        assert whole_on_a_line(commitment_id, reported), (commitment_id, reported)
    assert widest(reported) <= columns
    shown = _ESCAPE.sub("", run("show", LONG_ID, env=terminal).stdout)
    assert whole_on_a_line(LONG_ID, shown)
    assert widest(shown) <= columns


@pytest.mark.parametrize("columns", [30, 45, 60, 80, 120])
def test_events_keep_their_number_date_status_and_every_word_of_the_note_at_any_width(
    run: Run, db_path: Path, columns: int
) -> None:
    note = "Signed at the fourth RCEP summit, held online, by all fifteen participating countries."
    evidence = "https://asean.org/rcep-signed"
    updated = run("update", "rcep", "--status", "fulfilled", "--date", "2020-11-15", "--note", note, "-e", evidence)
    assert updated.exit_code == 0
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": str(columns), "NO_COLOR": "1"}
    for command in (["history", "rcep"], ["show", "rcep"]):
        screen = _ESCAPE.sub("", run(*command, env=terminal).stdout)
        assert widest(screen) <= columns, (command, screen)
        if command[0] == "history":
            assert re.search(r"(^|\s)#?2\b.*2020-11-15", screen, re.MULTILINE), screen  # the number to --edit
        assert whole_on_a_line("2020-11-15", screen)
        assert whole_on_a_line("fulfilled", screen)
        words = " ".join(" ".join(line.strip(" │").split()) for line in screen.splitlines())
        assert all(word in words.split() for word in note.split()), (command, screen)
        assert evidence in "".join(line.strip(" │") for line in screen.splitlines())  # folded only if too long


# --- the pager ----------------------------------------------------------------------------------------------------


def test_long_output_on_a_terminal_goes_through_the_pager_whole(db_path: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    env = {"TRACKER_DB": str(db_path), "PAGER": f"tee {paged}"}
    code, _ = on_screen(["list"], 80, rows=10, env=env)
    assert code == 0
    text = _ESCAPE.sub("", paged.read_text(encoding="utf-8"))
    ids = [commitment["id"] for commitment in load(db_path)["commitments"]]
    assert [i for i in ids if not whole_on_a_line(i, text)] == []  # every row, no "N more"
    assert "more" not in text
    code, _ = on_screen(["report"], 80, rows=10, env=env)
    assert code == 0
    assert "Compliance report as of" in paged.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "rows"),
    [(["--no-pager", "list"], 10), (["list", "--no-pager"], 10), (["show", "rcep", "--no-pager"], 10), (["list"], 300)],
    ids=["global", "per-command", "show", "fits-the-screen"],
)
def test_no_pager_when_asked_or_when_the_output_fits(db_path: Path, tmp_path: Path, args: list[str], rows: int) -> None:
    paged = tmp_path / "paged.txt"
    code, screen = on_screen(args, 80, rows=rows, env={"TRACKER_DB": str(db_path), "PAGER": f"tee {paged}"})
    assert code == 0
    assert not paged.exists()
    assert "rcep-signing" in screen


@pytest.mark.parametrize(
    ("term", "pager", "paged"),
    [("dumb", None, False), ("", None, False), ("xterm", None, True), ("dumb", "less", True)],
)
def test_the_default_pager_only_on_a_terminal_that_can_run_it(
    db_path: Path, tmp_path: Path, term: str, pager: str | None, paged: bool
) -> None:
    """As git: no `less` for TERM=dumb or no TERM (it would stop on a warning), unless PAGER names one."""
    tools = tmp_path / "bin"
    tools.mkdir()
    called = tmp_path / "less-was-run"
    fake = tools / "less"
    fake.write_text(f"#!/bin/sh\ntouch '{called}'\ncat\n", encoding="utf-8")
    fake.chmod(0o755)
    env = {"TRACKER_DB": str(db_path), "TERM": term or None, "PAGER": pager, "LESS": None}
    code, screen = on_screen(["list"], 80, rows=10, env={**env, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"})
    assert code == 0
    assert called.exists() == paged
    assert whole_on_a_line("supply-chains-essential-movement", screen)


def test_no_pager_in_a_pipe_and_a_missing_pager_prints_straight(
    run_installed: Invoke, db_path: Path, tmp_path: Path
) -> None:
    paged = tmp_path / "paged.txt"
    piped = run_installed("list", env={"PAGER": f"tee {paged}", "LINES": "5"})
    assert piped.returncode == 0
    assert not paged.exists()
    code, screen = on_screen(["list"], 80, rows=10, env={"TRACKER_DB": str(db_path), "PAGER": "/no/such/pager"})
    assert code == 0
    assert whole_on_a_line("supply-chains-essential-movement", screen)


@pytest.mark.parametrize("force_color", ["1", "0", "true"])
def test_force_color_in_a_pipe_still_gives_plain_rows(run_installed: Invoke, db_path: Path, force_color: str) -> None:
    """A CI job may set FORCE_COLOR for every program: a script reading the tracker's output must still get rows."""
    plain = run_installed("list", env={"FORCE_COLOR": ""})
    forced = run_installed("list", env={"FORCE_COLOR": force_color})
    assert forced.returncode == 0
    assert forced.stdout == plain.stdout
    assert forced.stdout.splitlines()[0] == "id\ttitle\tactors\tpillar\tdue\tstatus"
    for command in (["show", "rcep"], ["report"], ["scorecard"], ["log"]):
        assert run_installed(*command, env={"FORCE_COLOR": force_color}).stdout == run_installed(*command).stdout


# --- shell completion ---------------------------------------------------------------------------------------------


def complete(words: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """What bash completion asks the installed command for the last word of `words`."""
    split = words.split(" ")
    environment = {
        **os.environ,
        "_TRACKER_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(split) - 1),
        **(env or {}),
    }
    return subprocess.run([tracker_executable()], env=environment, capture_output=True, text=True, check=False)


def test_completion_gives_ids_and_actors_from_the_database(db_path: Path) -> None:
    assert complete("tracker show rc").stdout.split() == ["rcep-signing"]
    assert complete("tracker update ma").stdout.split() == [
        "marine-debris-capacity",
        "maritime-southeast-asia-initiative",
    ]
    assert complete("tracker remove ").stdout.split() == sorted(c["id"] for c in load(db_path)["commitments"])
    assert complete("tracker list --actor A").stdout.split() == ["ASEAN"]
    assert complete("tracker report --actor ").stdout.split() == ["ASEAN", "ROK"]
    other = db_path.with_name("other.json")
    other.write_bytes(db_path.read_bytes().replace(b'"rcep-signing"', b'"rcep-signed"'))
    assert complete(f"tracker --db {other} show rc").stdout.split() == ["rcep-signed"]


def test_completion_never_creates_or_writes_a_file_and_is_silent_on_errors(db_path: Path) -> None:
    for leftover in db_path.parent.glob("commitments.json.*"):  # no index: a read would normally write one
        leftover.unlink()
    before = sorted(p.name for p in db_path.parent.iterdir())
    original = db_path.read_bytes()
    assert complete("tracker show rc").stdout.split() == ["rcep-signing"]
    assert sorted(p.name for p in db_path.parent.iterdir()) == before
    assert db_path.read_bytes() == original
    missing = db_path.with_name("missing.json")
    nothing = complete(f"tracker --db {missing} show rc")
    assert (nothing.returncode, nothing.stdout.strip(), nothing.stderr) == (0, "", "")
    assert not missing.exists()
    db_path.write_text("{not json", encoding="utf-8")
    damaged = complete("tracker show rc")
    assert (damaged.returncode, damaged.stdout.strip(), damaged.stderr) == (0, "", "")
    assert db_path.read_text(encoding="utf-8") == "{not json"


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "ascii:surrogateescape"])  # the last: the C locale's
def test_output_in_a_narrow_encoding_escapes_what_it_cannot_hold_and_leaves_the_index(
    db_path: Path, encoding: str, run_installed: Invoke
) -> None:
    # A locale whose encoding cannot hold a curly quote once made these an internal error half-way through the
    # output; a bulk read (the CSV export) then dropped the index, as if it had not matched the file.
    title = "Caf\u00e9 \U0001f600 \u201cquoted\u201d"
    added = run_installed(
        "--db", str(db_path), "add", "--id", "cafe", "-t", title, "-a", "ROK", "-p", "economic", "-k", "pledge"
    )
    assert added.returncode == 0, added.stderr
    data = db_path.read_bytes()
    commands = [["log"], ["report", "--format", "markdown"], ["export", "--format", "csv"], ["list", "--json"]]
    commands += [["show", "cooperation-fund"], ["report"], ["scorecard"], ["sources"], ["report", "--format", "html"]]
    commands += [
        ["export"],
        ["report", "--format", "json"],
        ["scorecard", "--format", "json"],
        ["show", "cafe", "--json"],
    ]
    for command in commands:
        done = run_installed("--db", str(db_path), *command, env={"PYTHONIOENCODING": encoding}, encoding="latin-1")
        assert (done.returncode, done.stderr) == (0, ""), command
        done.stdout.encode(encoding.split(":")[0])  # all of it written in that encoding
        assert Path(f"{db_path}.index").exists(), command
        if "json" in command or command == ["export"]:  # JSON that reads back to the very text
            assert title in json.dumps(json.loads(done.stdout), ensure_ascii=False), command
        if "html" in command:
            assert "Caf&#233; &#128512; &#8220;quoted&#8221;" in done.stdout  # the page declares UTF-8
    logged = run_installed("--db", str(db_path), "log", env={"PYTHONIOENCODING": encoding}, encoding="latin-1")
    assert "\\u201c" in logged.stdout  # the curly quote, shown as an escape
    for text in (["export", "--format", "csv"], ["export", "--format", "markdown"]):  # as `log`, not as JSON
        exported = run_installed("--db", str(db_path), *text, env={"PYTHONIOENCODING": encoding}, encoding="latin-1")
        cafe = "Caf\u00e9" if encoding.startswith("latin-1") else "Caf\\xe9"
        assert f"{cafe} \\U0001f600 \\u201cquoted\\u201d" in exported.stdout, (text, exported.stdout[-300:])
    assert db_path.read_bytes() == data


def test_the_question_to_confirm_shows_when_stdout_is_a_file(db_path: Path, tmp_path: Path) -> None:
    """`tracker remove ID > file` on a terminal: the question goes to stderr, where it is seen, not into the file."""
    controller, terminal = os.openpty()
    out = tmp_path / "out.txt"
    before = db_path.read_bytes()
    with out.open("w") as file:
        process = subprocess.Popen(
            [tracker_executable(), "--db", str(db_path), "remove", "rcep"],
            stdin=terminal,
            stdout=file,
            stderr=terminal,
            env={**os.environ, "TERM": "xterm-256color"},
        )
    os.close(terminal)
    screen = b""
    while b"?" not in screen and select.select([controller], [], [], 30)[0]:
        screen += os.read(controller, 4096)
    os.write(controller, b"maybe\rn\r")
    assert process.wait(timeout=30) == 1
    with_answer = screen.decode("utf-8", "replace")
    os.close(controller)
    assert "Remove" in with_answer  # asked where it can be seen
    assert "rcep-signing" in with_answer
    assert with_answer.rstrip().endswith("[y/N]:")  # the whole question, its last space too
    assert out.read_text(encoding="utf-8") == ""  # nothing of the question (not even a space), asked twice
    assert db_path.read_bytes() == before


@pytest.mark.parametrize("stderr", ["a file", "another terminal"])
@pytest.mark.parametrize("controlling", ["the same", "none", "another"])
def test_the_question_shows_on_the_terminal_when_stderr_goes_elsewhere(
    db_path: Path, tmp_path: Path, controlling: str, stderr: str
) -> None:
    """`tracker remove ID 2>/dev/null` on a terminal: the question goes to the terminal the answer is read from,
    not into stderr where nobody sees it (a file, or another terminal), whatever the process's controlling terminal
    is (the same, none as under setsid, or another); the answer is read, and a refusal still changes nothing."""
    log = tmp_path / "errors.log"
    before = db_path.read_bytes()
    for answer, code in ((b"maybe\rn\r", 1), (b"y\r", 0)):
        controller, terminal = os.openpty()
        other_controller, other = os.openpty()
        control = {"the same": terminal, "none": None, "another": other}[controlling]
        with log.open("w") as errors:
            process = subprocess.Popen(
                [tracker_executable(), "--db", str(db_path), "remove", "rcep"],
                stdin=terminal,
                stdout=terminal,
                stderr=errors if stderr == "a file" else other,
                env={**os.environ, "TERM": "xterm-256color"},
                start_new_session=True,  # a session of its own, with the controlling terminal chosen here
                pass_fds=(terminal, other),
                preexec_fn=None if control is None else functools.partial(fcntl.ioctl, control, termios.TIOCSCTTY, 0),
            )
        os.close(terminal)
        os.close(other)
        screen = b""
        while b"[y/N]" not in screen and select.select([controller], [], [], 30)[0]:
            screen += os.read(controller, 4096)
        os.write(controller, answer)
        screen += drained(controller)
        assert process.wait(timeout=30) == code
        elsewhere = drained(other_controller, 1).decode("utf-8", "replace") + log.read_text(encoding="utf-8")
        os.close(controller)
        os.close(other_controller)
        shown = screen.decode("utf-8", "replace")
        assert "Remove rcep-signing" in shown, shown
        assert "[y/N]:" not in elsewhere
        if code == 1:
            assert "'maybe' is not an answer" in shown
            assert db_path.read_bytes() == before
    listed = [tracker_executable(), "--db", str(db_path), "list"]
    assert "rcep-signing" not in subprocess.run(listed, capture_output=True, text=True, check=True).stdout


def test_a_question_is_refused_where_stdin_is_a_terminal_s_other_end_and_answers_stdin_cannot_read_are_not_answers(
    db_path: Path, tmp_path: Path
) -> None:
    """stdin the controlling side of a pseudo-terminal (whose name opens a new one): the question could be shown to
    nobody, so it is not asked (exit 2). Bytes that stdin's encoding cannot read are asked again, not a failure."""
    before = db_path.read_bytes()
    log = tmp_path / "errors.log"
    for stderr in ("a file", "another terminal's other end"):  # every such end is one device, as stdin's
        controller, terminal = os.openpty()
        other_controller, other = os.openpty()
        with log.open("w") as errors:
            refused = subprocess.run(
                [tracker_executable(), "--db", str(db_path), "remove", "rcep"],
                stdin=controller,
                stdout=subprocess.DEVNULL,
                stderr=errors if stderr == "a file" else other_controller,
                timeout=30,
                check=False,
                start_new_session=True,
            )
        said = log.read_text(encoding="utf-8").encode() + drained(other, 1)
        for each in (controller, terminal, other_controller, other):
            os.close(each)
        assert refused.returncode == 2
        assert b"tracker: error: the question cannot be shown on the terminal stdin is; pass --yes to go on" in said
        assert db_path.read_bytes() == before
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [tracker_executable(), "--db", str(db_path), "remove", "rcep"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, "TERM": "xterm-256color", "PYTHONIOENCODING": "ascii"},
    )
    os.close(terminal)
    screen = b""
    while b"[y/N]" not in screen and select.select([controller], [], [], 30)[0]:
        screen += os.read(controller, 4096)
    os.write(controller, "\u00e9\r".encode() + b"\xff\rn\r")
    screen += drained(controller)
    assert process.wait(timeout=30) == 1
    os.close(controller)
    shown = screen.decode("utf-8", "replace")
    assert shown.count("is not an answer: type y (yes) or n (no)") == 2, shown
    assert "internal error" not in shown
    assert "aborted; nothing was changed" in shown
    assert db_path.read_bytes() == before
