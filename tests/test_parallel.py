"""Reading a large file with no index in several processes gives exactly what one process gives: the same index,
the same first problem, and the same words for it; a copy that fails has its part done again."""

from __future__ import annotations

import contextlib
import csv
import errno
import functools
import io
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tracker.parallel
from tests.conftest import Run, write_large_database
from tracker.errors import DatabaseError
from tracker.index import doc_key
from tracker.parallel import in_parts

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="parts are read in several processes on Linux only")


@pytest.fixture
def four_parts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Split anything of 4 records or more into 4 parts (as on a machine with 4 cores); the process ids forked."""
    forked: list[int] = []
    fork = os.fork

    def recorded_fork() -> int:
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(tracker.parallel, "PER_PART", 1)
    monkeypatch.setattr(tracker.parallel, "_cores", lambda: 4)
    monkeypatch.setattr(os, "fork", recorded_fork)
    yield forked
    for pid in forked:  # every copy has been waited for: none is left running or unreaped
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def squares(start: int, stop: int) -> list[int]:
    return [number * number for number in range(start, stop)]


def test_parts_come_back_in_order_and_three_of_four_from_other_processes(four_parts: list[int]) -> None:
    parent = os.getpid()

    def where(start: int, stop: int) -> tuple[int, list[int]]:
        return os.getpid(), squares(start, stop)

    found = list(in_parts(where, 10))
    assert [part for _, part in found] == [squares(0, 2), squares(2, 5), squares(5, 7), squares(7, 10)]
    assert found[0][0] == parent
    assert len({pid for pid, _ in found[1:]} - {parent}) == 3
    assert len(four_parts) == 3


def test_the_first_problem_in_order_is_the_one_raised(four_parts: list[int]) -> None:
    def failing(start: int, stop: int) -> list[int]:
        if start >= 5:  # the third and fourth parts
            raise DatabaseError(f"a problem in records {start} to {stop}")
        return squares(start, stop)

    parts = in_parts(failing, 10)
    assert next(parts) == squares(0, 2)
    assert next(parts) == squares(2, 5)
    with pytest.raises(DatabaseError, match=r"^a problem in records 5 to 7$"):
        next(parts)


def test_a_copy_that_dies_has_its_part_done_again_here(four_parts: list[int]) -> None:
    parent = os.getpid()

    def dying(start: int, stop: int) -> list[int]:
        if os.getpid() != parent and start == 2:
            os._exit(3)
        return squares(start, stop)

    assert list(in_parts(dying, 10)) == [squares(0, 2), squares(2, 5), squares(5, 7), squares(7, 10)]


def test_a_copy_that_fails_with_an_unforeseen_error_has_its_part_done_again_here(four_parts: list[int]) -> None:
    parent = os.getpid()

    def unforeseen(start: int, stop: int) -> list[int]:
        if os.getpid() != parent:
            raise RuntimeError("only in a copy")
        return squares(start, stop)

    assert list(in_parts(unforeseen, 10)) == [squares(0, 2), squares(2, 5), squares(5, 7), squares(7, 10)]


def test_stopping_early_ends_the_other_processes(four_parts: list[int]) -> None:
    parts = in_parts(squares, 10)
    assert next(parts) == squares(0, 2)
    parts.close()  # the fixture checks that all three copies were ended and waited for
    assert len(four_parts) == 3


def test_an_error_in_this_process_ends_the_others(four_parts: list[int]) -> None:
    parent = os.getpid()

    def failing_here(start: int, stop: int) -> list[int]:
        if os.getpid() == parent:
            raise DatabaseError("here")
        return squares(start, stop)

    with pytest.raises(DatabaseError, match=r"^here$"):
        list(in_parts(failing_here, 10))


def test_a_lead_makes_the_first_part_larger_and_the_parts_still_cover_every_record_once(
    four_parts: list[int],
) -> None:
    assert tracker.parallel.part_bounds(10, 4) == [0, 2, 5, 7, 10]
    assert tracker.parallel.part_bounds(100_000, 2, 0.15) == [0, 53_488, 100_000]
    assert tracker.parallel.part_bounds(7, 1, 0.15) == [0, 7]
    for count, parts, lead in [(20, 2, 0.15), (1_000_003, 8, 0.15), (40, 4, 0.5), (999, 3, 0.0)]:
        bounds = tracker.parallel.part_bounds(count, parts, lead)
        sizes = [stop - start for start, stop in itertools.pairwise(bounds)]
        assert (bounds[0], bounds[-1], len(sizes)) == (0, count, parts)
        assert sizes[0] >= max(sizes[1:])
        assert min(sizes) > 0
    found = list(in_parts(lambda start, stop: list(range(start, stop)), 40, lead=0.5))
    assert [len(part) for part in found] == [13, 9, 9, 9]
    assert [number for part in found for number in part] == list(range(40))


def test_a_copy_writes_a_large_result_and_ends_before_this_process_reads_it(four_parts: list[int]) -> None:
    """A copy's result is written where it need not wait for this process to read it (a pipe holds 64 KiB to
    1 MiB): each copy ends while this process is still at work on its own part."""
    parent = os.getpid()

    def ended(pid: int) -> bool:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"  # a zombie: ended, not yet waited for

    def large(start: int, stop: int) -> bytes:
        if os.getpid() == parent:
            deadline = time.monotonic() + 20
            while not all(map(ended, four_parts)) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert all(map(ended, four_parts)), "a copy did not end before its result was read"
        return bytes([start]) * (4 << 20)

    found = list(in_parts(large, 8))
    assert [part[:1] * len(part) == part and len(part) == 4 << 20 for part in found] == [True] * 4
    assert [part[0] for part in found] == [0, 2, 4, 6]


@pytest.mark.parametrize("missing", [["memfd_create"], ["memfd_create", "O_TMPFILE"]])
def test_a_python_without_memfd_create_still_works_in_parts(
    four_parts: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: list[str]
) -> None:
    """Some prebuilt Pythons lack os.memfd_create: the copies write to a temporary file with no name instead (one
    whose name is taken away at once, where the system cannot make one with none), and leave none behind."""
    import tempfile

    for name in missing:
        monkeypatch.delattr(os, name)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    parent = os.getpid()

    def where(start: int, stop: int) -> tuple[int, list[int]]:
        return os.getpid(), squares(start, stop)

    found = list(in_parts(where, 10))
    assert [part for _, part in found] == [squares(0, 2), squares(2, 5), squares(5, 7), squares(7, 10)]
    assert [pid == parent for pid, _ in found] == [True, False, False, False]
    assert list(tmp_path.iterdir()) == []


LAST_DESCRIPTOR = """
import os, resource, sys
import tracker.parallel
from tracker.parallel import in_parts

tracker.parallel.parts_for = lambda count: 2
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
held = []
while True:
    try:
        held.append(os.open(os.devnull, os.O_RDONLY))
    except OSError:
        break
for descriptor in held[: int(sys.argv[1])]:
    os.close(descriptor)
def part(start, stop):
    os.close(os.open(os.devnull, os.O_RDONLY))  # a file opened in each part: a module imported, say
    return os.getpid()
pids = list(in_parts(part, 2))
print(sum(pid != os.getpid() for pid in pids))
"""


@pytest.mark.parametrize(("free", "copies"), [(1, 0), (2, 1)])
def test_a_copy_never_takes_the_last_descriptor_this_process_may_open(free: int, copies: int) -> None:
    """Under `ulimit -n`, with one descriptor left, the result file of a copy would take it, and the next file this
    process opens (importing a module, say) would fail: the part is done here instead. With two left, a copy does
    it."""
    done = subprocess.run(
        [sys.executable, "-c", LAST_DESCRIPTOR, str(free)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stderr, done.stdout) == (0, "", f"{copies}\n")


CTRL_C_WHILE_FORKING = """
import os, signal, sys
import logging  # its after-fork hook is where the KeyboardInterrupt used to be raised, printed and dropped
import tracker.parallel
from tracker.parallel import in_parts

tracker.parallel.parts_for = lambda count: 3
sent = []

def ctrl_c_once():
    if not sent:
        sent.append(True)
        os.kill(os.getpid(), signal.SIGINT)

os.register_at_fork(after_in_parent=ctrl_c_once)
try:
    print(list(in_parts(lambda start, stop: list(range(start, stop)), 3)))
except KeyboardInterrupt:
    print("interrupted")
try:
    os.waitpid(-1, os.WNOHANG)
    print("a copy is left")
except ChildProcessError:
    pass
"""


def test_a_ctrl_c_while_forking_a_copy_stops_the_command() -> None:
    """A SIGINT that comes while a copy is forked (in Python's after-fork hooks) is a KeyboardInterrupt once the
    fork is done, not an error printed and dropped; no copy is left."""
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_WHILE_FORKING], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "interrupted\n")


def test_each_copy_holds_its_own_result_file_and_no_other(four_parts: list[int]) -> None:
    def held(start: int, stop: int) -> list[str]:
        links = []
        for name in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
                links.append(os.readlink(f"/proc/self/fd/{name}"))
        return [link for link in links if "tracker-part" in link]

    found = list(in_parts(held, 8))
    assert [len(part) for part in found] == [3, 1, 1, 1]  # this process holds every copy's until it reads it back


def test_an_interruption_while_reading_a_result_back_signals_no_copy_already_waited_for(
    four_parts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy that has been waited for is gone, and its process id free to be another process's: it is never sent
    a signal, whatever happens next."""
    import marshal
    import types

    def interrupted(data: Any) -> Any:
        raise KeyboardInterrupt

    signalled: list[int] = []
    kill = os.kill

    def recorded_kill(pid: int, number: int) -> None:
        signalled.append(pid)
        kill(pid, number)

    monkeypatch.setattr(os, "kill", recorded_kill)
    monkeypatch.setattr(tracker.parallel, "marshal", types.SimpleNamespace(dumps=marshal.dumps, loads=interrupted))
    with pytest.raises(KeyboardInterrupt):
        list(in_parts(squares, 10))
    assert four_parts[0] not in signalled
    assert sorted(signalled) == sorted(four_parts[1:])


def test_few_records_or_one_core_are_one_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker.parallel, "_cores", lambda: 4)
    assert tracker.parallel.parts_for(tracker.parallel.PER_PART * 2 - 1) == 1
    assert tracker.parallel.parts_for(tracker.parallel.PER_PART * 2) == 2
    assert tracker.parallel.parts_for(tracker.parallel.PER_PART * 100) == 4
    monkeypatch.setattr(tracker.parallel, "_cores", lambda: 64)
    assert tracker.parallel.parts_for(tracker.parallel.PER_PART * 100) == tracker.parallel.MOST_PARTS
    monkeypatch.setattr(tracker.parallel, "_cores", lambda: 1)
    assert tracker.parallel.parts_for(tracker.parallel.PER_PART * 100) == 1


# --- through the CLI: the same index, the same errors ---------------------------------------------------------


def _cold(run: Run, path: Path, *command: str) -> tuple[int, str, str, bytes | None]:
    """A command on the file with its index removed first: exit code, stdout, stderr and the index it wrote."""
    index = path.with_name(path.name + ".index")
    index.unlink(missing_ok=True)
    result = run(*command)
    return result.exit_code, result.stdout, result.stderr, index.read_bytes() if index.exists() else None


def _serial_and_parallel(
    run: Run, path: Path, monkeypatch: pytest.MonkeyPatch, *command: str
) -> list[tuple[int, str, str, bytes | None]]:
    outcomes = []
    for per_part in (10**9, 1):
        monkeypatch.setattr(tracker.parallel, "PER_PART", per_part)
        monkeypatch.setattr(tracker.parallel, "_cores", lambda: 4)
        outcomes.append(_cold(run, path, *command))
    return outcomes


def test_an_index_built_in_parts_is_byte_for_byte_the_one_built_in_one(
    run: Run, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_large_database(isolated_environment, 3)
    serial, parallel = _serial_and_parallel(run, isolated_environment, monkeypatch, "list")
    assert serial[0] == 0
    assert serial[3] is not None
    assert parallel == serial


@pytest.mark.parametrize(
    "breakage",
    [
        [("last", b'"pillar": "economic"', b'"pillar": "economics"')],  # a rule broken in the last part
        [("last", b'"weight": 1\n', b'"weight": 1,\n      "weight": 1\n')],  # a key twice: the whole-document read
        [("last", b'"weight": 1\n', b'"weight": 0\n'), ("first", b'"weight": 1\n', b'"weight": 1e999\n')],
        [("middle", b'"pillar": "economic"', b'"pillar": 7'), ("last", b'"id": "', b'"id": "X')],
    ],
    ids=["rule", "duplicate key", "two problems", "two parts broken"],
)
def test_a_broken_file_gives_the_same_words_read_in_parts_or_in_one(
    run: Run,
    isolated_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    breakage: list[tuple[str, bytes, bytes]],
) -> None:
    write_large_database(isolated_environment, 3)
    text = isolated_environment.read_bytes()
    for where, old, new in breakage:
        at = {"first": text.find(old), "middle": text.find(old, len(text) // 2), "last": text.rfind(old)}[where]
        assert at >= 0
        text = text[:at] + new + text[at + len(old) :]
    isolated_environment.write_bytes(text)
    for command in (["list"], ["show", "rcep-signing-0"], ["update", "rcep-signing-1", "--note", "x"]):
        serial, parallel = _serial_and_parallel(run, isolated_environment, monkeypatch, *command)
        assert serial[0] == 1, serial
        assert serial[2].startswith("tracker: error: ")
        assert parallel == serial
    assert isolated_environment.read_bytes() == text


def test_an_import_done_in_parts_writes_what_one_done_in_one_process_writes(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "export.json"
    count = len(write_large_database(source, 3))
    written = []
    for per_part in (10**9, 1):
        monkeypatch.setattr(tracker.parallel, "PER_PART", per_part)
        monkeypatch.setattr(tracker.parallel, "_cores", lambda: 4)
        target = tmp_path / f"parts-{per_part}.json"
        assert run("--db", str(target), "init", "--empty").exit_code == 0
        result = run("--db", str(target), "import", str(source), "--yes")
        assert result.exit_code == 0, result.stderr
        assert f"{count} added" in result.stdout
        entry = json.loads(next((tmp_path / f"parts-{per_part}.json.undo").glob("*.json")).read_text("utf-8"))
        entry.pop("at")
        written.append((target.read_bytes(), target.with_name(target.name + ".index").read_bytes(), entry))
    serial, parallel = written
    assert parallel[0] == serial[0] == source.read_bytes()
    assert parallel[2] == serial[2]
    from tracker.index import _HEAD

    # The header holds the data file's signature (the inode differs) and the seal made over it: the rest must be
    # the same.
    assert _HEAD.unpack(parallel[1][: _HEAD.size])[7:10] == _HEAD.unpack(serial[1][: _HEAD.size])[7:10]
    assert parallel[1][_HEAD.size :] == serial[1][_HEAD.size :]


def test_an_import_with_a_broken_record_in_a_later_part_names_it_and_writes_nothing(
    run: Run, db_path: Path, tmp_path: Path, four_parts: list[int]
) -> None:
    source = tmp_path / "export.json"
    write_large_database(source, 3)
    text = source.read_bytes()
    at = text.rfind(b'"pillar": "economic"')
    source.write_bytes(text[:at] + b'"pillar": "economics"' + text[at + len(b'"pillar": "economic"') :])
    before = db_path.read_bytes()
    result = run("import", str(source), "--yes")
    assert result.exit_code == 1
    assert "pillar" in result.stderr
    assert "nothing was imported" in result.stderr
    assert db_path.read_bytes() == before
    assert four_parts  # the check was shared among processes


def test_a_process_running_other_threads_does_its_parts_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(tracker.parallel, "PER_PART", 1)
    monkeypatch.setattr(tracker.parallel, "_cores", lambda: 4)
    assert tracker.parallel.parts_for(10) == 4
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert tracker.parallel.parts_for(10) == 1
    finally:
        release.set()
        other.join()
    assert tracker.parallel.parts_for(10) == 4


# --- a copy must not outlive the process that made it ----------------------------------------------

_LONG_PART = """
import os, sys, time
import tracker.parallel as parallel

parallel.PER_PART = 1
parallel._cores = lambda: 2
parent = os.getpid()


def work(start, stop):
    if os.getpid() != parent:  # the copy: say who it is, then take a long time over its part
        with open(sys.argv[1] + ".tmp", "w") as file:
            file.write(str(os.getpid()))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        time.sleep(20)
    else:
        time.sleep(60)
    return [start]


print(list(parallel.in_parts(work, 2)))
"""


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, whose parent will never reap it here, is not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_a_copy_does_not_outlive_a_reader_that_is_terminated(tmp_path: Path) -> None:
    """`kill <pid>` (SIGTERM, as systemd or a supervisor sends it) or SIGKILL (the OOM killer) ends the tracker
    process at once, with no `finally`: its copies must end with it, not go on reading their parts (holding the
    file's bytes, a CPU each, and whatever it had open, stdout included) for as long as their part takes."""
    import signal
    import subprocess
    import time

    pid_file = tmp_path / "copy.pid"
    parent = subprocess.Popen([sys.executable, "-c", _LONG_PART, str(pid_file)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not pid_file.exists():
            assert time.monotonic() < deadline, "no copy was made"
            time.sleep(0.01)
        copy = int(pid_file.read_text())
        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 3
        while _running(copy) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = _running(copy)
    finally:
        parent.kill()
        parent.wait()
    if left:
        os.kill(copy, signal.SIGKILL)
    assert not left, "the copy went on running after the process that made it was terminated"


@pytest.mark.parametrize(
    ("contents", "cores"),
    [
        ({"cpu.max": "200000 100000\n"}, 2),
        ({"cpu.max": "150000 100000\n"}, 2),  # a core and a half: two processes
        ({"cpu.max": "50000 100000\n"}, 1),
        ({"cpu.max": "max 100000\n"}, 8),  # no limit
        ({"quota": "100000\n", "period": "100000\n"}, 1),  # version 1
        ({"quota": "-1\n", "period": "100000\n"}, 8),
        ({}, 8),  # no control group files
    ],
)
def test_a_containers_cpu_quota_bounds_the_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contents: dict[str, str], cores: int
) -> None:
    for name, text in contents.items():
        (tmp_path / name).write_text(text, encoding="ascii")
    files = ((str(tmp_path / "cpu.max"),), (str(tmp_path / "quota"), str(tmp_path / "period")))
    monkeypatch.setattr(tracker.parallel, "_QUOTA_FILES", files)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert tracker.parallel._cores() == cores


# --- every commitment read in parts: a CSV export -----------------------------------------------------------------


def _write_large_database_with_odd_cells(path: Path) -> None:
    """`write_large_database` of three copies, the last commitment's cells ones that the csv writer must quote, and
    that look like formulas, with controls and bidirectional marks escaped: they cross from a copy as text."""
    from tracker.layout import dump_database, parse_database

    write_large_database(path, 3)
    commitments = parse_database(path.read_text(encoding="utf-8"), "test")
    odd = commitments[-1]
    odd["title"] = '=SUM(1, 2) "quoted" \u202e \u2028'
    odd["history"][-1]["note"] = "two\nlines, \x1b[31m and a tab\t"
    odd["history"][-1]["evidence"] = ["@cmd", "+1"]
    path.write_text(dump_database(commitments), encoding="utf-8")


@pytest.mark.parametrize("events", [[], ["--events"]], ids=["commitments", "events"])
def test_a_csv_export_read_in_parts_is_the_one_read_in_one(
    run: Run,
    isolated_environment: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    four_parts: list[int],
    events: list[str],
) -> None:
    _write_large_database_with_odd_cells(isolated_environment)
    monkeypatch.setattr(tracker.parallel, "PER_PART", 10**9)
    assert run("list").exit_code == 0  # the index, so that records are read through it
    serial = run("export", "--format", "csv", *events)
    assert serial.exit_code == 0, serial.stderr
    assert not four_parts
    monkeypatch.setattr(tracker.parallel, "PER_PART", 1)
    parallel = run("export", "--format", "csv", *events)
    assert parallel.exit_code == 0, parallel.stderr
    assert len(four_parts) == 3
    assert parallel.stdout == serial.stdout
    written = tmp_path / "export.csv"
    assert run("export", "--format", "csv", *events, "--output", str(written)).exit_code == 0
    assert len(four_parts) == 6
    assert written.read_text(encoding="utf-8") == serial.stdout
    rows = list(csv.reader(io.StringIO(serial.stdout)))
    cells = {cell for row in rows for cell in row}
    if events:
        assert {"two\nlines, \\x1b[31m and a tab\\t", "'@cmd; +1"} <= cells
    else:
        assert '\'=SUM(1, 2) "quoted" \\u202e \\u2028' in cells
        from tracker.model import by_due
        from tracker.store import Store

        with Store(isolated_environment).reading() as snapshot:
            listed = [s["id"] for s in by_due(snapshot.summaries())]
        assert [row[0] for row in rows[1:]] == listed


def test_parts_are_collected_when_sigchld_is_ignored(four_parts: list[int]) -> None:
    """A program may hand on SIGCHLD ignored (a daemon, a supervisor): then the kernel reaps each copy itself, and
    waiting for it finds no child; what it sent counts."""
    import signal

    before = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert list(in_parts(squares, 10)) == [squares(0, 2), squares(2, 5), squares(5, 7), squares(7, 10)]
    finally:
        signal.signal(signal.SIGCHLD, before)
    assert len(four_parts) == 3


def test_a_record_changed_in_a_later_part_drops_the_index_and_the_whole_file_is_read_instead(
    isolated_environment: Path, four_parts: list[int]
) -> None:
    from tests.test_store import forge_index_over_a_change
    from tracker.formats import csv_part
    from tracker.store import Store

    store = Store(isolated_environment)
    write_large_database(isolated_environment, 3)
    store.load()
    work = functools.partial(csv_part, today="2026-11-29")
    with store.reading() as snapshot:
        parts = list(snapshot.every_in_parts(work))
        in_file_order = [c["id"] for c in sorted(snapshot.get_each(snapshot.ids), key=lambda c: doc_key(c["id"]))]
    assert len(parts) == 4
    assert [key[2] for part in parts for key in part[0]] == in_file_order
    forked = len(four_parts)
    last = parts[-1][0][-1][2]  # the last record of the last part, read by another process
    forge_index_over_a_change(store, f'"id": "{last}"'.encode(), f'"id": "{last[:-1]}x"'.encode())
    with store.reading() as snapshot:  # the whole file instead, read and checked: nothing read in parts is used
        again = list(snapshot.every_in_parts(work))
    assert len(four_parts) == forked + 6  # three copies read through the index, three the whole file
    assert not store.index_path.exists()
    ids = [key[2] for part in again for key in part[0]]
    assert sorted(ids) == sorted(c["id"] for c in store.load())
    assert f"{last[:-1]}x" in ids
    assert last not in ids


@pytest.mark.parametrize(
    "dates",
    [[], ["--as-of", "2021-06-30"], ["--as-of", "2021-06-30", "--known-on", "2026-11-29"]],
    ids=["today", "as-of", "known-on"],
)
def test_a_report_worked_out_in_parts_is_the_one_worked_out_in_one(
    run: Run, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch, four_parts: list[int], dates: list[str]
) -> None:
    write_large_database(isolated_environment, 3)
    assert run("update", "rcep-signing-2", "--status", "fulfilled", "--date", "2021-03-01", "-a", "ROK").exit_code == 0
    assert run("update", "rcep-signing-2", "--note", "Later.", "--date", "2021-09-01").exit_code == 0  # an earlier
    monkeypatch.setattr(tracker.parallel, "PER_PART", 10**9)  # rationale as of 2021-06-30, in the last part
    before = len(four_parts)  # the first read, with no index yet, was done in parts
    serial = {form: run("report", *dates, "--format", form) for form in ("json", "text", "markdown")}
    assert len(four_parts) == before
    monkeypatch.setattr(tracker.parallel, "PER_PART", 1)
    for form, expected in serial.items():
        forked = len(four_parts)
        found = run("report", *dates, "--format", form)
        assert found.exit_code == 0, found.stderr
        assert len(four_parts) == forked + 3
        assert found.stdout == expected.stdout
        written = isolated_environment.parent / f"report.{form}"
        assert run("report", *dates, "--format", form, "--output", str(written)).exit_code == 0
        assert written.read_text(encoding="utf-8") == expected.stdout
    figures = json.loads(serial["json"].stdout)
    assert figures["total"] == 54
    if dates == ["--as-of", "2021-06-30"]:
        row = next(row for row in figures["commitments"] if row["id"] == "rcep-signing-2")
        assert row["assessed_on"] == "2021-03-01"


def test_a_summary_in_doubt_in_a_later_part_reads_the_file_instead(
    run: Run, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch, four_parts: list[int]
) -> None:
    """The report never shows what the file does not hold: a summary that is not one the tracker wrote, met by a
    copy, makes the report read every commitment from the file itself."""
    ids = write_large_database(isolated_environment, 3)
    assert run("list").exit_code == 0  # the index
    expected = run("report", "--format", "json").stdout
    index = Path(f"{isolated_environment}.index")
    raw = index.read_bytes()
    last = max(ids).encode()
    at = raw.rindex(last)  # its summary, which begins with its id, is after every row and sorted id
    status = min(raw.find(word, at) for word in (b"pending", b"in-progress") if raw.find(word, at) > 0)
    index.write_bytes(raw[:status] + b"X" + raw[status + 1 :])  # the same length: the header still holds
    found = run("report", "--format", "json")
    assert found.exit_code == 0, found.stderr
    assert len(four_parts) >= 3
    assert found.stdout == expected


def _entry_with_no_time(path: Path) -> bytes:
    """The newest journal entry of the data file `path`, as written, with the time it was recorded blanked."""
    import re

    entry = max(path.with_name(path.name + ".undo").glob("*.json")).read_bytes()
    return re.sub(rb'^\{"action":("[^"]*"),"at":"[^"]*"', rb'{"action":\1,"at":""', entry)


def _no_room(*arguments: Any, **options: Any) -> Any:
    raise OSError(28, "No space left on device")


def _unnamed_files_open(folder: Path) -> bool:
    """Whether this process holds a file in `folder` that has no name (made with O_TMPFILE, or removed)."""
    for descriptor in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{descriptor}")
            if target.startswith(f"{folder}/") and target.endswith(" (deleted)"):
                return True
    return False


def _break_parts(patched: pytest.MonkeyPatch, failure: str) -> None:
    """Make the parts' making of an import's entry fail as `failure` says."""
    if failure == "no files":  # the folder cannot take them
        patched.setattr("tempfile.TemporaryFile", _no_room)
    elif failure == "a part cannot write":  # the disk fills up as a copy writes its part's changes
        parent, pwrite = os.getpid(), os.pwrite
        patched.setattr(os, "pwrite", lambda *arguments: (pwrite if os.getpid() == parent else _no_room)(*arguments))
    elif failure == "a part's writes go nowhere":  # in a copy, a write that takes no byte and says no error
        parent, pwrite = os.getpid(), os.pwrite
        patched.setattr(os, "pwrite", lambda *arguments: pwrite(*arguments) if os.getpid() == parent else 0)
    elif failure == "a copy fails":  # its part is done again here, its file written anew
        read_back = tracker.parallel._read_back
        failed: list[int] = []

        def first_fails(channel: int, status: int) -> Any:
            if not failed:
                failed.append(channel)
                return None
            return read_back(channel, status)

        patched.setattr(tracker.parallel, "_read_back", first_fails)
    elif failure == "no descriptor for the data file":  # nor room for it, while the parts' files are open
        from tracker.files import begin

        def short_of_descriptors_at_first(path: Path, *arguments: Any) -> Any:
            if path.name.startswith("made-in-parts") and _unnamed_files_open(path.parent):
                raise OSError(errno.EMFILE, "Too many open files")
            return begin(path, *arguments)

        patched.setattr("tracker.store.begin", short_of_descriptors_at_first)
    elif failure == "out of descriptors meanwhile":  # the write is taken again one step after the other
        from tracker.journal import Journal

        prepare = Journal.prepare

        def short_of_descriptors(self: Journal, *arguments: Any) -> Path:
            if threading.current_thread() is not threading.main_thread():
                raise DatabaseError("cannot record the change") from OSError(errno.EMFILE, "Too many open files")
            return prepare(self, *arguments)

        patched.setattr(Journal, "prepare", short_of_descriptors)


@pytest.mark.parametrize(
    ("failure", "made"),
    [
        ("none", [True]),
        ("no files", [False]),
        ("a part cannot write", [False]),
        ("a part's writes go nowhere", [False]),
        ("a copy fails", [True]),
        ("out of descriptors meanwhile", [True, False]),  # the second time, from the records: the files are gone
        ("no descriptor for the data file", [True, False]),  # they go before it is tried again
    ],
)
def test_an_imports_entry_made_in_parts_is_byte_for_byte_the_one_made_from_its_records(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, four_parts: list[int], failure: str, made: list[bool]
) -> None:
    """The parts that check an import's records make its journal entry's changes (`journal.AddedInParts`); where
    they cannot, the entry is made from the records' text after them. Either way it is the same entry, byte for byte:
    with a paragraph past 64 bits (written by the standard library) and a weight that the two libraries write
    differently (1e-07)."""
    from tracker import journal
    from tracker.layout import dump_database, parse_database

    source = tmp_path / "export.json"
    write_large_database(source, 3)
    commitments = parse_database(source.read_text(encoding="utf-8"), "x")
    commitments[0]["source"]["paragraph"] = 10**400 + 7
    commitments[-1]["weight"] = 1e-7
    source.write_text(dump_database(commitments), encoding="utf-8")
    given: list[bool] = []
    entry = journal.AddedInParts.entry

    def spied(self: journal.AddedInParts, action: str, at: str) -> Any:
        pieces = entry(self, action, at)
        given.append(pieces is not None)
        return pieces

    monkeypatch.setattr(journal.AddedInParts, "entry", spied)
    written = []
    for made_in_parts in (False, True):
        with monkeypatch.context() as patched:
            if made_in_parts:
                _break_parts(patched, failure)
            else:
                patched.setattr(journal.AddedInParts, "open", lambda self, bounds: False)
            target = tmp_path / f"made-in-parts-{made_in_parts}.json"
            assert run("--db", str(target), "init", "--empty").exit_code == 0
            before = os.listdir(tmp_path)
            result = run("--db", str(target), "import", str(source))
        assert result.exit_code == 0, result.stderr
        assert sorted(os.listdir(tmp_path)) == sorted({*before, target.name + ".undo"})  # nothing left behind
        written.append(_entry_with_no_time(target))
    assert written[1] == written[0]
    assert json.loads(written[0])["changes"][0]["after"]["source"]["paragraph"] == 10**400 + 7
    assert b'"weight":1e-7' in written[0]
    assert given == [False, *made]
    assert four_parts  # the records were checked in several processes
