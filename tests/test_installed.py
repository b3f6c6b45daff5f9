"""The installed `tracker` command as a user runs it: real processes, a real terminal for confirmations, pipes."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load, tracker_executable, write_large_database
from tracker import __version__

pytestmark = pytest.mark.slow  # the installed command as real processes

Invoke = Callable[..., subprocess.CompletedProcess[str]]


def test_installed_command_lists_the_bundled_data_from_any_directory(run_installed: Invoke, tmp_path: Path) -> None:
    assert run_installed("init").returncode == 0
    result = run_installed("list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "id\ttitle\tactors\tpillar\tdue\tstatus"
    assert len(result.stdout.splitlines()) == 1 + len(load(tmp_path / "commitments.json")["commitments"])


def test_python_dash_m_tracker_works(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "--version"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0
    assert result.stdout == f"tracker {__version__}\n"


def test_errors_reach_the_user_as_one_line_without_a_traceback(run_installed: Invoke, db_path: Path) -> None:
    db_path.write_text("{", encoding="utf-8")
    result = run_installed("update", "rcep", "--note", "x")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert db_path.read_text(encoding="utf-8") == "{"
    usage = run_installed("list", "--status", "nope")
    assert usage.returncode == 2
    assert usage.stderr.count("\n") == 1


def test_a_closed_pipe_is_not_an_error_message(db_path: Path) -> None:
    command = f"'{tracker_executable()}' list | head -n 1"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False, timeout=60)
    assert result.stdout == "id\ttitle\tactors\tpillar\tdue\tstatus\n"
    assert "Traceback" not in result.stderr
    assert "Error" not in result.stderr


def test_a_closed_stdout_is_a_one_line_error_and_a_closed_stderr_keeps_the_exit_status(db_path: Path) -> None:
    """Python leaves a stream closed before it started (`>&-`) as None; writing to it is an error like a disk
    full, and a command whose errors have nowhere to go still exits as it would have."""
    tracker = tracker_executable()
    for line, status in (
        (f"'{tracker}' --db '{db_path}' list >&-", 1),
        (f"'{tracker}' --db '{db_path}' export --format csv -o - >&-", 1),
        (f"'{tracker}' --db '{db_path}' show nope 2>&-", 1),
        (f"'{tracker}' --db '{db_path}' list --status nope >&- 2>&-", 2),
    ):
        result = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=False, timeout=60)
        assert result.returncode == status, (line, result.stderr)
        if ">&-" in line and "2>&-" not in line:
            assert result.stderr == "tracker: error: stdout is closed, so the output could not be written\n"
        else:
            assert result.stderr == ""
    kept = subprocess.run(["sh", "-c", f"'{tracker}' --db '{db_path}' list 2>&-"], capture_output=True, text=True)
    assert kept.returncode == 0
    assert "rcep-signing" in kept.stdout


def buffered_environment(unbuffered: str = "") -> dict[str, str]:
    """The environment as users have it, Python's output buffered (this machine sets PYTHONUNBUFFERED), or with
    PYTHONUNBUFFERED set to `unbuffered`."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    if unbuffered:
        environment["PYTHONUNBUFFERED"] = unbuffered
    return environment


def run_with_streams(
    db_path: Path, arguments: list[str], environment: dict[str, str], stdout: Any, stderr: Any = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    """The installed command on `db_path`, its stdout and stderr as given (a file, a descriptor, PIPE)."""
    return subprocess.run(
        [tracker_executable(), "--db", str(db_path), *arguments],
        stdout=stdout,
        stderr=stderr,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("side", ["", ".index", ".lock"], ids=["database", "index", "lock"])
@pytest.mark.parametrize(
    "arguments", [["export", "--output", "/dev/stdout"], ["export", "--format", "csv"], ["list"], ["show", "rcep"]]
)
def test_stdout_into_the_database_or_a_side_file_is_refused(db_path: Path, side: str, arguments: list[str]) -> None:
    """`tracker export >> commitments.json` would corrupt the file it reads: refused, whatever the command."""
    assert run_with_streams(db_path, ["list"], dict(os.environ), subprocess.DEVNULL).returncode == 0  # the index
    target = db_path.with_name(db_path.name + side)
    target.touch()
    before = {path: path.read_bytes() for path in (db_path, target)}
    with target.open("ab") as appended:
        result = run_with_streams(db_path, arguments, dict(os.environ), appended)
    assert result.returncode == 1
    assert result.stderr == (
        f"tracker: error: stdout is the database {db_path} or one of its side files; send the output elsewhere\n"
    )
    assert {path: path.read_bytes() for path in before} == before


def test_stderr_into_the_database_is_refused_and_other_files_beside_it_are_not(db_path: Path, tmp_path: Path) -> None:
    environment = dict(os.environ)
    statement = tmp_path / "statement.txt"
    statement.write_text("1. The ROK will host the next meeting in 2027.\n", encoding="utf-8")
    assert (
        run_with_streams(db_path, ["update", "rcep", "--note", "Signed."], environment, subprocess.DEVNULL).returncode
        == 0
    )
    assert run_with_streams(db_path, ["init", "--force"], environment, subprocess.DEVNULL).returncode == 0  # a backup
    backup = next(db_path.parent.glob(db_path.name + ".*.bak"))
    entry = next(db_path.with_name(db_path.name + ".undo").glob("*.json"))
    os.link(entry, tmp_path / "entry-elsewhere.json")
    before = {path: path.read_bytes() for path in (db_path, backup, entry)}
    for arguments, target in (
        (["extract", str(statement), "--date", "2021-01-01"], db_path),  # reads no database, but prints into it
        (["list"], backup),
        (["list"], tmp_path / "entry-elsewhere.json"),  # a hard link to a journal entry
    ):
        with target.open("ab") as appended:
            result = run_with_streams(db_path, arguments, environment, appended)
        assert result.returncode == 1, (arguments, target)
        assert result.stderr.endswith("or one of its side files; send the output elsewhere\n")
    with db_path.open("ab") as appended:
        result = run_with_streams(db_path, ["show", "nosuch"], environment, subprocess.PIPE, stderr=appended)
    assert result.returncode == 1  # stderr is the database: stdout says why
    assert result.stdout == (
        f"tracker: error: stderr is the database {db_path} or one of its side files; send the output elsewhere\n"
    )
    assert {path: path.read_bytes() for path in before} == before
    for beside in (f"{db_path.name}.csv", f"{db_path.name}l", f"{db_path.name}.2020.bak", f".{db_path.name}.old"):
        with db_path.with_name(beside).open("w") as other:
            assert run_with_streams(db_path, ["list"], environment, other).returncode == 0, beside
        assert db_path.with_name(beside).read_text(encoding="utf-8").startswith("id\t")


@pytest.mark.parametrize("arguments", [["--version"], ["--help"], [], ["lsit"], ["--bogus"], ["list", "--bogus"]])
def test_what_click_prints_before_any_command_runs_is_refused_into_the_database_too(
    db_path: Path, arguments: list[str]
) -> None:
    """A help, a version or a usage error is printed before the command's own code runs: the refusal comes first."""
    before = db_path.read_bytes()
    for environment, named in (
        (dict(os.environ), ["--db", str(db_path)]),
        ({**os.environ, "TRACKER_DB": str(db_path)}, []),
    ):
        with db_path.open("ab") as appended:
            result = subprocess.run(
                [tracker_executable(), *named, *arguments],
                stdout=appended,
                stderr=appended,
                env=environment,
                timeout=60,
            )
        assert result.returncode == 1, arguments
        assert db_path.read_bytes() == before, arguments


def test_a_notice_comes_after_the_output_printed_before_it_when_both_go_to_one_file(tmp_path: Path) -> None:
    statement = tmp_path / "statement.txt"
    statement.write_text("1. The ROK will host the next meeting next year.\n", encoding="utf-8")
    together = tmp_path / "together.txt"
    with together.open("w") as both:
        command = [tracker_executable(), "extract", str(statement), "--format", "text"]
        result = subprocess.run(command, stdout=both, stderr=both, env=buffered_environment(), timeout=60)
    assert result.returncode == 0
    lines = together.read_text(encoding="utf-8").splitlines()
    assert any("host the next meeting" in line for line in lines[:-1])
    assert lines[-1].startswith("tracker: 1 candidate(s) count a time from the statement's date")


def test_a_database_path_that_cannot_be_examined_does_not_stop_a_command_that_does_not_need_it(tmp_path: Path) -> None:
    statement = tmp_path / "statement.txt"
    statement.write_text("1. The ROK will host the next meeting in 2027.\n", encoding="utf-8")
    unexaminable = tmp_path / ("x" * 300) / "commitments.json"  # a name too long for the file system
    with (tmp_path / "out.txt").open("w") as out:
        result = run_with_streams(unexaminable, ["extract", str(statement)], dict(os.environ), out)
    assert result.returncode == 0, result.stderr
    assert "host the next meeting" in (tmp_path / "out.txt").read_text(encoding="utf-8")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_output_to_a_pipe_by_its_name_in_proc_is_refused_as_a_pipe(db_path: Path) -> None:
    """A descriptor's name in /proc (here stdin's, a pipe) is a link to a pipe that has no path of its own: it is
    named as what it is."""
    before = db_path.read_bytes()
    result = subprocess.run(
        [tracker_executable(), "--db", str(db_path), "export", "--output", "/proc/self/fd/0"],
        stdin=subprocess.PIPE,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "tracker: error: /proc/self/fd/0 is a named pipe (FIFO); give a regular file (or leave --output out)\n"
    )
    assert db_path.read_bytes() == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_lost_on_a_full_disk_says_it_was_the_output(db_path: Path) -> None:
    for arguments in (["list"], ["show", "rcep"], ["export"], ["export", "--format", "csv"]):
        with open("/dev/full", "w", encoding="utf-8") as full:
            result = run_with_streams(db_path, arguments, buffered_environment(), stdout=full)
        assert result.returncode == 1, arguments
        assert result.stderr == "tracker: error: the output could not be written: No space left on device\n"


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "arguments", [["export"], ["export", "--format", "csv"], ["report", "--format", "text"], ["log"]], ids=str
)
def test_output_cut_short_by_a_file_size_limit_is_an_error(
    db_path: Path, tmp_path: Path, unbuffered: str, arguments: list[str]
) -> None:
    """A write that fits in part: unbuffered, Python's raw stream says how much it wrote, and what did not fit used
    to be dropped in silence, exit 0."""
    import resource

    assert run_with_streams(db_path, ["list"], dict(os.environ), subprocess.DEVNULL).returncode == 0  # the index
    limit = 4096
    with (tmp_path / "out").open("wb") as out:
        result = subprocess.run(
            [tracker_executable(), "--db", str(db_path), *arguments],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=buffered_environment(unbuffered),
            timeout=60,
            check=False,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)),
        )
    assert (tmp_path / "out").stat().st_size == limit  # the output is longer: it did not fit
    assert result.returncode == 1
    assert result.stderr == "tracker: error: the output could not be written: File too large\n"


def test_a_stdout_left_non_blocking_is_waited_for_not_cut_short(db_path: Path) -> None:
    """A pipe left O_NONBLOCK by whatever started the command: a write that would block is retried when the pipe can
    take it, not an error (nor, unbuffered, a silent loss)."""
    import time

    write_large_database(db_path, 5)
    arguments = [tracker_executable(), "--db", str(db_path), "export"]  # larger than a pipe holds
    whole = subprocess.run(arguments, capture_output=True, timeout=60, check=True).stdout
    assert len(whole) > 1 << 17
    for unbuffered in ("", "1"):
        process = subprocess.Popen(
            arguments,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=buffered_environment(unbuffered),
            preexec_fn=lambda: os.set_blocking(1, False),
        )
        time.sleep(0.5)  # the pipe fills up meanwhile
        out, err = process.communicate(timeout=60)
        assert (process.returncode, err) == (0, b""), unbuffered
        assert out == whole


def test_a_data_file_that_cannot_be_written_is_named(db_path: Path) -> None:
    """A file size limit below the data file's size: the write fails (EFBIG), and says which file."""
    import resource

    before = db_path.read_bytes()
    limit = len(before) // 2
    result = subprocess.run(
        [tracker_executable(), "--db", str(db_path), "update", "rcep", "--note", "Signed."],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)),
    )
    assert result.returncode == 1
    assert result.stderr == f"tracker: error: File too large: {db_path}\n"
    assert db_path.read_bytes() == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_disk_is_one_error_line_with_or_without_buffering(db_path: Path) -> None:
    """The output of `--version` waits in Python's buffer until the end (unless PYTHONUNBUFFERED is set), and
    that of `show` fails while the command runs: either way, one line and exit 1."""
    for unbuffered in ("", "1"):
        environment = buffered_environment(unbuffered)
        # No command at all: Click prints the help and exits 2, having said nothing of its own; the help is lost.
        for arguments in (["--version"], ["show", "rcep-signing"], ["list"], []):
            with open("/dev/full", "w", encoding="utf-8") as full:
                result = run_with_streams(db_path, arguments, environment, stdout=full)
            assert result.returncode == 1, (arguments, unbuffered, result.stderr)
            assert result.stderr.count("\n") == 1, (arguments, unbuffered, result.stderr)
            assert "No space left on device" in result.stderr
        # A stderr that cannot be written leaves each command its own exit status.
        for arguments, status in ((["show", "nope"], 1), (["bogus"], 2), (["remove", "rcep-signing"], 2)):
            with open("/dev/full", "w", encoding="utf-8") as full:
                failed = run_with_streams(db_path, arguments, environment, stdout=subprocess.PIPE, stderr=full)
            assert failed.returncode == status, (arguments, unbuffered)
            assert failed.stdout == ""


def test_ctrl_c_outside_a_command_ends_it_quietly_by_sigint(tmp_path: Path) -> None:
    """Ctrl-C while Typer makes the command (before the command's own handling of it) is no traceback."""
    script = (
        "import tracker.cli\n"
        "def interrupted():\n    raise KeyboardInterrupt\n"
        "tracker.cli.run = interrupted\n"
        "from tracker.__main__ import main\nmain()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == -signal.SIGINT  # killed by it, as a shell expects of a program Ctrl-C stopped
    assert result.stderr == ""


def test_a_profiler_gets_its_exit(tmp_path: Path) -> None:
    """The command ends the process without Python's exit work, except under a profiler, debugger or coverage tool."""
    profile = tmp_path / "list.prof"
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "tracker", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"tracker {__version__}\n"
    assert profile.stat().st_size > 0


def test_a_debugger_running_on_without_breakpoints_sees_the_program_exit(db_path: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pdb", "-m", "tracker", "--db", str(db_path), "show", "nope"],
        input="c\nq\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert "The program exited via sys.exit(). Exit status: 1" in result.stdout, result.stdout
    assert result.stderr == "tracker: error: no commitment 'nope'; 'tracker list' shows every id\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_change_whose_output_is_lost_says_it_was_made(db_path: Path) -> None:
    """Run again, a change that seemed to fail would be made twice: a command that changed the data file says so
    and exits 0, whatever happens to its output."""
    tracker = tracker_executable()
    environment = buffered_environment()
    for number, redirect in enumerate(("> /dev/full", ">&-")):
        line = f"'{tracker}' --db '{db_path}' update rcep-signing --note 'Output lost {number}.' {redirect}"
        result = subprocess.run(["sh", "-c", line], capture_output=True, text=True, env=environment, check=False)
        assert result.returncode == 0
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(f"tracker: the change to {db_path} was made, but then: "), result.stderr
        rcep = next(c for c in load(db_path)["commitments"] if c["id"] == "rcep-signing")
        notes = [event["note"] for event in rcep["history"]]
        assert notes[-1] == f"Output lost {number}."
    forgotten = subprocess.run(  # undo --skip changes the undo journal only: the change is as real
        ["sh", "-c", f"'{tracker}' --db '{db_path}' undo --skip --yes > /dev/full"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert forgotten.returncode == 0
    assert forgotten.stderr.startswith(f"tracker: the change to {db_path}.undo was made, but then: ")
    listed = subprocess.run([tracker, "--db", str(db_path), "undo", "--list"], capture_output=True, text=True)
    assert len(listed.stdout.splitlines()) == 1  # of the two updates, the newer was forgotten, once
    lost = subprocess.run(
        ["sh", "-c", f"'{tracker}' --db '{db_path}' show nope > /dev/full"], capture_output=True, text=True, check=False
    )
    assert lost.returncode == 1
    assert lost.stderr.startswith("tracker: error: ")  # nothing was changed


def test_a_change_whose_reader_has_gone_exits_0_and_one_that_changed_nothing_exits_1(db_path: Path) -> None:
    """stdout is a pipe whose reading end is closed before the command writes: every write to it fails."""
    environment = buffered_environment()
    for arguments, status in (
        (["update", "rcep-signing", "--note", "Nobody read this."], 0),
        (["list"], 1),
        (["show", "rcep-signing"], 1),
    ):
        reading, writing = os.pipe()
        os.close(reading)
        try:
            result = run_with_streams(db_path, arguments, environment, stdout=writing)
        finally:
            os.close(writing)
        assert result.returncode == status, (arguments, result.stderr)
        assert result.stderr == ""
    rcep = next(c for c in load(db_path)["commitments"] if c["id"] == "rcep-signing")
    assert rcep["history"][-1]["note"] == "Nobody read this."


def test_a_closed_stdin_means_nobody_can_confirm(db_path: Path) -> None:
    original = db_path.read_bytes()
    tracker = tracker_executable()
    for command, said in (
        ("remove rcep-signing", "not on a terminal, so nobody can confirm; pass --yes to go ahead"),
        ("edit rcep-signing", "nothing to change: give an option such as --title or --due"),
    ):
        line = f"'{tracker}' --db '{db_path}' {command} <&-"
        result = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=False, timeout=60)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"tracker: error: {said}")
        assert result.stderr.count("\n") == 1
    assert db_path.read_bytes() == original


def test_large_output_reaches_a_pipe_whole(tmp_path: Path) -> None:
    """The command ends without tearing the interpreter down: what it printed must all be out first."""
    path = tmp_path / "many.json"
    tracker = tracker_executable()
    subprocess.run([tracker, "--db", str(path), "init"], capture_output=True, check=True)
    adding = ["--actor", "ROK", "--pillar", "economic", "--summary", "x" * 5000]
    for number in range(25):  # 25 summaries of 5,000 characters: twice what a pipe holds
        subprocess.run(
            [tracker, "--db", str(path), "add", "--kind", "pledge", "--title", f"Pledge {number:02d}", *adding],
            capture_output=True,
            check=True,
        )
    exported = subprocess.run([tracker, "--db", str(path), "export"], capture_output=True, check=True)
    assert exported.stdout == path.read_bytes()
    table = subprocess.run(
        ["sh", "-c", f"'{tracker}' --db '{path}' export --format csv | cat"], capture_output=True, text=True, check=True
    )
    assert table.stdout.count("x" * 5000) == 25
    assert table.stdout.endswith("\n")


def run_in_terminal(args: list[str], answer: bytes, env: dict[str, str]) -> tuple[int, str]:
    """Run the installed command on a pseudo-terminal, type `answer` at its prompt, return exit code and output."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        os.execve(tracker_executable(), [tracker_executable(), *args], {**os.environ, **env})
    output = b""
    answered = False
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:  # it waits for something no test gives it: end it, so that the test fails, not hangs
            os.kill(pid, signal.SIGKILL)
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"[y/N]" in output:
            os.write(fd, answer)
            answered = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


def test_remove_asks_on_a_terminal_and_no_keeps_the_file(db_path: Path) -> None:
    original = db_path.read_bytes()
    code, output = run_in_terminal(["remove", "rcep"], b"n\n", {"TRACKER_DB": str(db_path)})
    assert "Remove rcep-signing (Sign the Regional Comprehensive Economic Partnership (RCEP) in 2020)" in output
    assert code == 1
    assert "aborted; nothing was changed" in output
    assert db_path.read_bytes() == original


@pytest.mark.parametrize(("key", "status"), [(b"\x03", -signal.SIGINT), (b"\x04", 1)], ids=["ctrl-c", "ctrl-d"])
def test_ctrl_c_or_ctrl_d_at_a_question_ends_its_line_before_saying_aborted(
    db_path: Path, key: bytes, status: int
) -> None:
    """Ctrl-C ends the process by SIGINT, so that a shell loop that runs it stops too; Ctrl-D is an answer of no."""
    original = db_path.read_bytes()
    code, output = run_in_terminal(["remove", "rcep"], key, {"TRACKER_DB": str(db_path)})
    assert code == status
    question, _, rest = output.partition("[y/N]: ")
    assert question.startswith("Remove rcep-signing")
    assert rest.replace("^C", "").replace("\r\n", "\n") == "\ntracker: error: aborted; nothing was changed\n"
    assert db_path.read_bytes() == original


def test_undo_asks_on_a_terminal_and_yes_goes_ahead(db_path: Path) -> None:
    original = db_path.read_bytes()
    env = {"TRACKER_DB": str(db_path)}
    assert run_in_terminal(["remove", "rcep"], b"y\n", env)[0] == 0
    assert "rcep-signing" not in db_path.read_text(encoding="utf-8")
    code, output = run_in_terminal(["undo"], b"y\n", env)
    assert "Undo 'remove rcep-signing'?" in output
    assert code == 0
    assert db_path.read_bytes() == original


def test_colour_only_on_a_terminal_and_never_with_no_color(db_path: Path) -> None:
    env = {"TRACKER_DB": str(db_path), "COLUMNS": "120", "PAGER": "cat"}  # a pty of 24 rows: show would page
    code, coloured = run_in_terminal(["show", "rcep"], b"", env)
    assert code == 0
    colour = re.compile(r"\x1b\[(?:\d+;)*3[0-8](?:;\d+)*m")  # a foreground colour, e.g. bold red 1;31
    assert colour.search(coloured)
    code, plain = run_in_terminal(["show", "rcep"], b"", {**env, "NO_COLOR": "1"})
    assert code == 0
    assert "overdue" in plain
    assert not colour.search(plain)


# --- the installed command makes a Click command only of the one asked for ------------------------------------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["list"], "list"),
        (["list", "--status", "pending"], "list"),
        (["--db", "data.json", "show", "rcep"], "show"),
        (["--db=data.json", "--no-pager", "report"], "report"),
        (["--db", "list"], None),  # "list" is the data file here, and no command is named
        (["source", "rcep"], "source"),  # a command whose function has another name
        (["--help"], None),
        (["--version", "list"], None),
        (["--install-completion"], None),
        (["lst"], None),
        ([], None),
    ],
)
def test_the_command_asked_for_is_found_as_click_would_find_it(arguments: list[str], expected: str | None) -> None:
    from tracker.cli import command_asked_for

    assert command_asked_for(arguments) == expected


def test_the_options_before_a_command_that_take_a_value_are_known() -> None:
    import typer.main

    from tracker.cli import GLOBAL_OPTIONS_WITH_VALUES, app

    group = typer.main.get_command(app)
    with_values = {name for param in group.params if not getattr(param, "is_flag", True) for name in param.opts}
    assert with_values == GLOBAL_OPTIONS_WITH_VALUES
    flags = {name for param in group.params if getattr(param, "is_flag", False) for name in param.opts}
    assert flags - {"--version", "-V", "--install-completion", "--show-completion"} == {"--no-pager"}


def test_the_installed_command_still_knows_every_command(run_installed: Invoke, db_path: Path) -> None:
    listed = run_installed("--db", str(db_path), "list", "--status", "pending")
    assert listed.returncode == 0, listed.stderr
    assert "rcep-signing" in listed.stdout
    typo = run_installed("--db", str(db_path), "lst")
    assert typo.returncode == 2
    assert "No such command 'lst'" in typo.stderr
    assert "Did you mean 'list'?" in typo.stderr
    overview = run_installed("--help")
    assert overview.returncode == 0
    for command in ("list", "show", "update", "undo", "extract", "source"):
        assert re.search(rf"^\s+{command}\s", overview.stdout, re.MULTILINE), command
    help_of_one = run_installed("--db", str(db_path), "source", "--help")
    assert help_of_one.returncode == 0
    assert "Usage: tracker source" in help_of_one.stdout
