"""Hostile and odd files: the data path, the index, the journal and the lock as something other than what the
tracker wrote (FIFOs, devices, directories, links, crafted contents), races between commands that name ids, and
outputs aimed at the database itself. Each must end in a clear one-line error or be ignored, never hang, never
change the data file, and never show or write what the file does not hold."""

from __future__ import annotations

import errno
import itertools
import json
import os
import stat
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from tests.conftest import Run, load, record, tracker_executable, write_large_database, write_own_index
from tracker.errors import DatabaseError
from tracker.files import PreparedFile, bundled_text
from tracker.index import Index, open_index, read_index, signature
from tracker.journal import Journal
from tracker.layout import FOOTER, HEADER
from tracker.store import Store

SECONDS = 20  # a command that has not answered by then hangs


def _installed(db_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tracker_executable(), *args],
        env={**os.environ, "TRACKER_DB": str(db_path), **env},
        capture_output=True,
        text=True,
        timeout=SECONDS,
        check=False,
    )


def _one_line_error(result: Any, code: int, *words: str) -> None:
    assert result.returncode == code if hasattr(result, "returncode") else result.exit_code == code
    assert result.stderr.startswith("tracker: error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def _add_lookalikes(run: Run) -> None:
    for commitment_id in ("foo", "foo-2"):
        result = run(
            "add",
            "--kind",
            "pledge",
            "--title",
            f"Commitment {commitment_id}",
            "--actor",
            "ROK",
            "--pillar",
            "economic",
            "--id",
            commitment_id,
        )
        assert result.exit_code == 0, result.stderr


# --- 1. a write acts on the id it resolved, never on what a prefix matches by then ----------------------------


@pytest.mark.slow
def test_two_concurrent_removes_of_an_id_never_remove_its_lookalike(run: Run, db_path: Path) -> None:
    _add_lookalikes(run)
    lock = FileLock(str(Store(db_path).lock_path))
    lock.acquire()  # both commands resolve 'foo' now, then wait for the lock
    try:
        processes = [_started(db_path, "remove", "foo", "--yes") for _ in range(2)]
        time.sleep(2.0)
    finally:
        lock.release()
    outcomes = [process.communicate(timeout=SECONDS) for process in processes]
    assert sorted(process.returncode for process in processes) == [0, 1], outcomes
    assert sum("removed foo:" in out for out, _ in outcomes) == 1
    assert sum("commitment 'foo' is no longer there" in err for _, err in outcomes) == 1
    ids = [c["id"] for c in load(db_path)["commitments"]]
    assert "foo" not in ids
    assert "foo-2" in ids


@pytest.mark.slow
@pytest.mark.parametrize("command", [["update", "foo", "--note", "late"], ["remove", "foo", "--yes"]])
def test_a_command_whose_id_was_removed_while_it_waited_fails_and_touches_nothing(
    run: Run, db_path: Path, command: list[str]
) -> None:
    _add_lookalikes(run)
    store = Store(db_path)
    lock = FileLock(str(store.lock_path))
    lock.acquire()
    try:
        waiting = _started(db_path, *command)  # resolves 'foo', then waits for the lock
        time.sleep(2.0)
        with store._transaction("remove foo") as transaction:  # another writer, holding the lock
            transaction.delete("foo")
        after_removal = db_path.read_bytes()
    finally:
        lock.release()
    _, errors = waiting.communicate(timeout=SECONDS)
    assert waiting.returncode == 1
    assert (
        errors
        == "tracker: error: commitment 'foo' is no longer there: another command removed or renamed it meanwhile\n"
    )
    assert db_path.read_bytes() == after_removal
    assert record(db_path, "foo-2")["history"][-1]["note"] == "Recorded with tracker add."


def _started(db_path: Path, *args: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "TRACKER_DB": str(db_path)}
    return subprocess.Popen(
        [tracker_executable(), *args], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_a_write_on_an_id_that_is_gone_is_refused_without_a_prefix_match(store: Store) -> None:
    with store.transaction("add") as transaction:
        commitment = transaction.get("rcep-signing")
        transaction.put({**commitment, "id": "rcep-signing-2"})
    from tracker.errors import NotFoundError

    with store.transaction("remove") as transaction:
        transaction.delete("rcep-signing")
    original = store.path.read_bytes()
    with pytest.raises(NotFoundError, match="'rcep-signing' is no longer there"), store.transaction("t") as transaction:
        transaction.require("rcep-signing")
    assert store.path.read_bytes() == original


def test_undo_reverts_only_the_change_it_asked_about(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--note", "first").exit_code == 0
    store = Store(db_path)
    asked = store.undo_preview()
    assert run("update", "cooperation-fund", "--note", "meanwhile").exit_code == 0
    from tracker.errors import InvalidInputError

    original = db_path.read_bytes()
    with pytest.raises(InvalidInputError, match="another command recorded a change meanwhile"):
        store.undo(expected=asked.number)
    assert db_path.read_bytes() == original


# --- 2. a failed command never changes the data file; a change whose undo entry is not marked done says so -----


def test_a_full_disk_at_the_journal_leaves_the_data_file_unchanged(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.journal

    original = db_path.read_bytes()

    def full(*_: object, **__: object) -> None:  # the journal's own file: the data file is written by `store`
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(tracker.journal, "prepare", full)
        result = run("update", "rcep", "--status", "fulfilled")
    _one_line_error(result, 1, "cannot record the change in the undo journal", "No space left", "nothing was changed")
    assert db_path.read_bytes() == original
    assert not [p for p in db_path.parent.iterdir() if ".tmp-" in p.name]
    assert run("update", "rcep", "--status", "fulfilled").exit_code == 0  # a retry records it once
    assert [e["status"] for e in record(db_path, "rcep-signing")["history"]].count("fulfilled") == 1


def test_a_journal_that_fails_after_the_change_says_so_exits_0_and_the_next_command_settles_it(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = db_path.read_bytes()

    def refuse(self: Journal, pending: Path) -> None:
        raise OSError(errno.EACCES, "Permission denied")

    with monkeypatch.context() as patched:
        patched.setattr(Journal, "confirm", refuse)
        result = run("update", "rcep", "--note", "kept")
    assert result.exit_code == 0
    assert result.stderr.startswith("tracker: recorded, but the undo journal could not mark it done: Permission denied")
    assert result.stderr.rstrip().endswith("the next command that writes or undoes does")
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "kept"
    assert run("undo", "--yes").exit_code == 0  # it settles the journal first: the change is the one it undoes
    assert db_path.read_bytes() == before
    assert [p.name for p in Store(db_path).journal_path.iterdir() if not p.name.endswith(".json")] == []


def test_a_directory_among_the_journal_entries_is_ignored(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--note", "one").exit_code == 0
    journal = Store(db_path).journal_path
    (journal / "000000002.json").mkdir()
    result = run("update", "rcep", "--note", "two")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in journal.iterdir()) == ["000000001.json", "000000002.json", "000000003.json"]
    assert run("undo", "--yes").stdout.startswith("undid 'update rcep-signing'")
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "one"


# --- 3. an export never writes over the database or its side files ---------------------------------------------


@pytest.mark.parametrize("target", ["database", "link", "hard link", "index", "lock", "journal entry", "device"])
def test_export_refuses_the_database_its_side_files_and_special_files(
    run: Run, db_path: Path, tmp_path: Path, target: str
) -> None:
    assert run("update", "rcep", "--note", "x").exit_code == 0  # so that an index and a journal exist
    store = Store(db_path)
    store.lock_path.touch()
    paths = {
        "database": db_path,
        "link": tmp_path / "link.json",
        "hard link": tmp_path / "hard.json",
        "index": store.index_path,
        "lock": store.lock_path,
        "journal entry": store.journal_path / "000000001.json",
        "device": Path("/dev/null"),
    }
    (tmp_path / "link.json").symlink_to(db_path)
    os.link(db_path, tmp_path / "hard.json")
    before = {path: path.read_bytes() for path in (db_path, store.index_path, store.journal_path / "000000001.json")}
    for output_format in ("json", "csv"):
        result = run("export", "--format", output_format, "--output", str(paths[target]), "--force")
        _one_line_error(result, 1, "--output" if target == "device" else "side files")
    assert {path: path.read_bytes() for path in before} == before


# --- 4. init --force replaces only a regular file it may write ---------------------------------------------------


def test_init_force_refuses_a_read_only_file(run: Run, db_path: Path) -> None:
    original = db_path.read_bytes()
    db_path.chmod(0o444)
    result = run("init", "--force")
    _one_line_error(result, 1, "read-only")
    assert db_path.read_bytes() == original
    assert not list(db_path.parent.glob("*.bak"))


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_init_force_and_reads_refuse_a_device_and_never_recommend_init(run: Run, device: str) -> None:
    for command in (["init", "--force"], ["list"], ["update", "rcep", "--note", "x"]):
        result = run("--db", device, *command)
        _one_line_error(result, 1, "is a character device, not a tracker database file")
        assert "init --force" not in result.stderr
    assert Path(device).is_char_device()


# --- 5. the index never shows or writes what the file does not hold ----------------------------------------------


def _write_in_place(path: Path, data: bytes) -> None:
    """Write the file's new bytes in place (same inode, same size) and put its times back, as `touch -d` would."""
    before = path.stat()
    assert len(data) == before.st_size
    with path.open("r+b") as file:
        file.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert path.stat().st_ino == before.st_ino


def test_an_edit_in_place_with_times_restored_is_seen_by_every_command(run: Run, db_path: Path) -> None:
    assert run("list").exit_code == 0  # indexed
    data = db_path.read_bytes()
    start = data.index(b'"id": "rcep-signing"')
    start, end = data.rindex(b'\n    "', 0, start), data.index(b"\n    }", start)
    edited = data[:start] + data[start:end].replace(b'"pending"', b'"stalled"') + data[end:]  # same length
    _write_in_place(db_path, edited)
    listed = {row.split("\t")[0]: row.split("\t")[-1] for row in run("list").stdout.splitlines()}
    assert listed["rcep-signing"].startswith("stalled")
    assert "stalled" in run("show", "rcep-signing").stdout
    assert json.loads(run("report", "--format", "json").stdout)["by_status"]["stalled"] == 1
    assert run("update", "cooperation-fund", "--note", "spliced after the edit").exit_code == 0
    assert record(db_path, "rcep-signing")["status"] == "stalled"
    listed = {row.split("\t")[0]: row.split("\t")[-1] for row in run("list").stdout.splitlines()}
    assert listed["rcep-signing"].startswith("stalled")


def test_swapped_titles_of_equal_length_show_the_same_in_list_show_and_export(run: Run, db_path: Path) -> None:
    assert run("list").exit_code == 0
    text = db_path.read_bytes()
    titles = sorted({c["title"].encode() for c in load(db_path)["commitments"]}, key=len)
    first, second = next((a, b) for a, b in itertools.pairwise(titles) if len(a) == len(b))
    swapped = text.replace(first, b"\x00").replace(second, first).replace(b"\x00", second)
    before = db_path.stat()
    with db_path.open("r+b") as file:
        file.write(swapped)
    os.utime(db_path, ns=(before.st_atime_ns, before.st_mtime_ns))
    listed = {line.split("\t")[0]: line.split("\t")[1] for line in run("list").stdout.splitlines()[1:]}
    exported = {c["id"]: c["title"] for c in json.loads(run("export").stdout)["commitments"].values()}
    assert listed == exported
    assert listed == {c["id"]: c["title"] for c in json.loads(swapped)["commitments"].values()}


def _forge_index(store: Store, change: Any) -> None:
    """Write an index that claims to describe the file as it is now (its exact signature), altered by `change`."""
    with store.reading():
        pass
    index = read_index(store.index_path, signature(store.path.stat()), len(HEADER), len(FOOTER))
    assert index is not None
    forged = change(index)
    write_own_index(store, Index(signature(store.path.stat()), *forged).to_bytes())


def test_a_crafted_index_with_overlapping_spans_is_never_used(run: Run, db_path: Path) -> None:
    store = Store(db_path)

    def overlap(index: Index) -> tuple[Any, ...]:
        spans = index.spans[:]
        spans[3] = spans[1]  # the second commitment's span is the first one's
        spans[2] = spans[0]
        return index.keys, index.ids, spans, index.summaries

    _forge_index(store, overlap)
    result = run("update", "rcep", "--note", "after the forgery")
    assert result.exit_code == 0, result.stderr
    commitments = load(db_path)["commitments"]
    ids = [c["id"] for c in commitments]
    assert len(ids) == len(set(ids)) == 18
    assert Store(db_path).load() == sorted(commitments, key=lambda c: c["id"])


def test_a_crafted_index_whose_summary_names_another_id_is_not_shown(run: Run, db_path: Path) -> None:
    store = Store(db_path)
    from tracker.index import pack_summary, unpack_summary

    def lie(index: Index) -> tuple[Any, ...]:
        summaries = list(index.summaries)
        wrong = unpack_summary(summaries[1], index.ids[1])
        summaries[0] = pack_summary({**wrong, "status": "fulfilled"})  # another commitment's summary
        return index.keys, index.ids, index.spans, summaries

    _forge_index(store, lie)
    listed = run("list").stdout
    first = sorted(c["id"] for c in load(db_path)["commitments"])[0]
    line = next(row for row in listed.splitlines() if row.startswith(first + "\t"))
    assert line.split("\t")[1] == record(db_path, first)["title"]
    assert not store.index_path.exists()  # dropped, to be written anew


def test_a_crafted_index_that_repeats_a_commitment_is_not_shown(run: Run, db_path: Path) -> None:
    """A row and summary repeated in place of the next (each well formed, its CRC right): `list` and the report read
    the file instead, and show each commitment once."""
    store = Store(db_path)

    def repeat(index: Index) -> tuple[Any, ...]:
        ids, summaries = list(index.ids), list(index.summaries)
        ids[1], summaries[1] = ids[0], summaries[0]
        return index.keys, ids, index.spans, summaries

    _forge_index(store, repeat)
    ids = sorted(c["id"] for c in load(db_path)["commitments"])
    assert sorted(row.split("\t")[0] for row in run("list").stdout.splitlines()[1:]) == ids
    _forge_index(store, repeat)
    report = json.loads(run("report", "--format", "json").stdout)
    assert [row["id"] for row in report["commitments"]] == ids


def test_every_one_bit_error_in_a_packed_summary_is_caught() -> None:
    from tracker.index import IndexDoubt, pack_summary, unpack_summary
    from tracker.layout import parse_database
    from tracker.model import summarize

    commitment = parse_database(bundled_text(), "bundled")[0]
    packed = pack_summary(summarize(commitment))
    assert unpack_summary(packed, commitment["id"])["title"] == commitment["title"]
    for bit in range(8 * len(packed)):
        damaged = bytearray(packed)
        damaged[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(IndexDoubt):
            unpack_summary(bytes(damaged), commitment["id"])
    for cut in (0, 1, 4, len(packed) - 1):
        with pytest.raises(IndexDoubt):
            unpack_summary(packed[:cut], commitment["id"])


@pytest.mark.parametrize("damage", [b"\x00\x00", b"Q"], ids=["zeroed", "a letter changed"])
def test_an_index_damaged_on_disk_where_a_summary_stays_well_formed_is_not_shown(
    run: Run, db_path: Path, damage: bytes
) -> None:
    """A bad sector or a stray write in a title or a source's name leaves the summary well formed: its CRC-32
    catches it, and the file is read instead."""
    store = Store(db_path)
    assert run("list").exit_code == 0
    expected = {form: run("report", "--format", form).stdout for form in ("json", "text")}
    listed = run("list").stdout
    title = record(db_path, "cooperation-fund")["title"].encode()
    raw = store.index_path.read_bytes()
    at = raw.index(title) + 5  # inside the title, in that commitment's summary
    store.index_path.write_bytes(raw[:at] + damage + raw[at + len(damage) :])  # the same size: the header holds
    assert run("list").stdout == listed
    assert not store.index_path.exists()  # dropped, to be written anew
    assert run("list").stdout == listed
    store.index_path.write_bytes(raw[:at] + damage + raw[at + len(damage) :])
    assert {form: run("report", "--format", form).stdout for form in ("json", "text")} == expected


# --- 6. FIFOs, devices, directories and links as the data file or a side file ------------------------------------


@pytest.mark.slow
def test_a_fifo_as_the_database_is_refused_at_once(isolated_environment: Path) -> None:
    os.mkfifo(isolated_environment)
    for command in (["list"], ["show", "rcep"], ["update", "rcep", "--note", "x"], ["init", "--force"]):
        started = time.monotonic()
        result = _installed(isolated_environment, *command)
        assert time.monotonic() - started < SECONDS / 2
        _one_line_error(result, 1, "is a named pipe (FIFO), not a tracker database file")
    assert Path(isolated_environment).is_fifo()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "directory", "link to /dev/zero", "huge garbage"])
def test_an_odd_index_is_ignored_and_every_command_works(db_path: Path, kind: str) -> None:
    index = Store(db_path).index_path
    if kind == "fifo":
        os.mkfifo(index)
    elif kind == "directory":
        index.mkdir()
    elif kind == "link to /dev/zero":
        index.symlink_to("/dev/zero")
    else:
        with index.open("wb") as file:
            file.truncate(5 << 30)  # sparse: 5 GiB that read as zeros
    for command in (["list"], ["show", "rcep"], ["report"], ["update", "rcep", "--note", "x"], ["list"]):
        result = _installed(db_path, *command)
        assert result.returncode == 0, (command, result.stderr)
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "x"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "directory", "link to /dev/zero"])
def test_an_odd_journal_entry_is_reported_with_the_fix_and_reading_still_works(db_path: Path, kind: str) -> None:
    assert _installed(db_path, "update", "rcep", "--note", "one").returncode == 0
    journal = Store(db_path).journal_path
    entry = journal / "000000001.json"
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "directory":
        entry.mkdir()
    else:
        entry.symlink_to("/dev/zero")
    assert _installed(db_path, "list").returncode == 0
    undone = _installed(db_path, "undo", "--yes")
    _one_line_error(undone, 1, "nothing to undo")
    assert _installed(db_path, "update", "rcep", "--note", "two").returncode == 0
    assert "undid 'update rcep-signing'" in _installed(db_path, "undo", "--yes").stdout


@pytest.mark.slow
def test_a_fifo_as_the_lock_file_is_a_clear_error(db_path: Path) -> None:
    os.mkfifo(Store(db_path).lock_path)
    original = db_path.read_bytes()
    result = _installed(db_path, "update", "rcep", "--note", "x")
    _one_line_error(result, 1, "lock file", "named pipe", "remove it")
    assert db_path.read_bytes() == original
    assert _installed(db_path, "list").returncode == 0


# --- 7. reading never needs to write the index -----------------------------------------------------------------


def test_reading_works_where_the_index_cannot_be_written_or_removed(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("list").exit_code == 0
    db_path.write_text(bundled_text().replace("Recorded from", "Noted from", 1), encoding="utf-8")  # index stale
    import tracker.files

    real_prepare = tracker.files.prepare
    real_unlink = Path.unlink

    def read_only_prepare(path: Path, *args: Any, **kwargs: Any) -> PreparedFile:
        if path.name.endswith(".index"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_prepare(path, *args, **kwargs)

    def read_only_unlink(path: Path, missing_ok: bool = False) -> None:
        if path.name.endswith(".index"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(tracker.files, "prepare", read_only_prepare)
    monkeypatch.setattr(Path, "unlink", read_only_unlink)
    for command in (["list"], ["show", "rcep"], ["report"], ["export"]):
        result = run(*command)
        assert result.exit_code == 0, (command, result.stderr)


def test_a_write_stands_where_its_index_cannot_be_written(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is written in another thread while the data file is; where that fails (a full disk), the change
    stands, the index goes, and the next read writes it again."""
    assert run("list").exit_code == 0
    import tracker.files
    import tracker.store

    real_prepare_body = tracker.files.prepare_body

    def full(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path.name.endswith(".index"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_prepare_body(path, *args, **kwargs)

    monkeypatch.setattr(tracker.store, "prepare_body", full)
    store = Store(db_path)
    result = run("update", "rcep", "--note", "Without an index.")
    assert (result.exit_code, result.stderr) == (0, "")
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "Without an index."
    assert not store.index_path.exists()
    assert not [p.name for p in db_path.parent.iterdir() if ".tmp-" in p.name]
    monkeypatch.setattr(tracker.store, "prepare_body", real_prepare_body)
    assert run("list").exit_code == 0
    assert read_index(store.index_path, signature(db_path.stat()), len(HEADER), len(FOOTER)) is not None


def test_a_write_where_no_thread_can_start_writes_its_index_after_the_file(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A limit on processes (`ulimit -u`) refuses the thread that writes the index meanwhile: it is written after
    the data file, as a cache must be."""
    assert run("list").exit_code == 0

    def refused(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refused)
    result = run("update", "rcep", "--note", "In one thread.")
    assert (result.exit_code, result.stderr) == (0, "")
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "In one thread."
    store = Store(db_path)
    index = read_index(store.index_path, signature(db_path.stat()), len(HEADER), len(FOOTER))
    assert index is not None
    assert "rcep-signing" in index.ids


@pytest.mark.parametrize("failure", [OSError(errno.EIO, "Input/output error"), KeyboardInterrupt()])
def test_a_write_that_fails_drops_the_index_and_the_journal_entry_written_meanwhile(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    """The data file cannot be written (a disk error, Ctrl-C) once the new index's body and the journal entry,
    written in other threads meanwhile, are on disk: both go, and the data file, its index and the journal stay
    byte for byte."""
    store = Store(db_path)
    assert store.load()
    data, index = db_path.read_bytes(), store.index_path.read_bytes()
    import tracker.files

    real_write = tracker.files.UnfinishedFile.write

    def failing(self: tracker.files.UnfinishedFile, *args: Any, **kwargs: Any) -> None:
        if self.path != db_path:
            return real_write(self, *args, **kwargs)
        deadline = time.monotonic() + SECONDS
        while {"index", "journal"} & {thread.name for thread in threading.enumerate()}:  # both written
            assert time.monotonic() < deadline, "the index or the journal entry was never written"
            time.sleep(0.001)
        assert list(db_path.parent.glob(f".{db_path.name}.index.tmp-*"))
        assert list(store.journal_path.glob("*.pending"))
        raise failure

    monkeypatch.setattr(tracker.files.UnfinishedFile, "write", failing)

    def change(transaction: Any) -> None:
        commitment = transaction.get("rcep-signing")
        transaction.put({**commitment, "summary": commitment["summary"] + " Changed."})

    with pytest.raises(type(failure)):
        store.write("a change", change)
    assert db_path.read_bytes() == data
    assert store.index_path.read_bytes() == index
    assert not [p.name for p in db_path.parent.iterdir() if ".tmp-" in p.name]
    assert not list(store.journal_path.iterdir())
    assert Journal(store.journal_path).entries() == []


def test_a_write_that_runs_out_of_room_meanwhile_takes_its_steps_one_after_the_other(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk with room for the new data file but not for it and the new index at once: the first try, with the
    index written meanwhile, fails; everything it wrote goes, and the steps are taken one after the other, as
    before the index was written meanwhile: the change is made (a cache never costs one)."""
    assert run("list").exit_code == 0
    import tracker.files

    real_write = tracker.files.UnfinishedFile.write
    tries: list[bool] = []

    def cramped(self: tracker.files.UnfinishedFile, *args: Any, **kwargs: Any) -> None:
        if self.path == db_path:
            deadline = time.monotonic() + SECONDS
            while "index" in {thread.name for thread in threading.enumerate()}:
                assert time.monotonic() < deadline
                time.sleep(0.001)
            index_meanwhile = bool(list(db_path.parent.glob(f".{db_path.name}.index.tmp-*")))
            tries.append(index_meanwhile)
            if index_meanwhile:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(tracker.files.UnfinishedFile, "write", cramped)
    result = run("update", "rcep", "--note", "On a full disk.")
    assert (result.exit_code, result.stderr) == (0, "")
    assert tries == [True, False]
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "On a full disk."
    store = Store(db_path)
    assert read_index(store.index_path, signature(db_path.stat()), len(HEADER), len(FOOTER)) is not None
    assert [entry.action for entry in Journal(store.journal_path).entries()] == ["update rcep-signing"]
    assert not [p.name for p in db_path.parent.iterdir() if ".tmp-" in p.name]
    assert not list(store.journal_path.glob("*.pending"))


@pytest.mark.parametrize("command", [["update", "rcep", "--note", "Few descriptors."], ["import", "EXPORT"]])
def test_an_index_that_runs_out_of_descriptors_meanwhile_is_written_after_the_file(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """Under `ulimit -n`, the index written meanwhile can find no descriptor left while the data file and the
    journal entry hold theirs: it is written once they are done, not dropped (the next command would read the whole
    file to make it again)."""
    from tracker.files import prepare_body

    assert run("list").exit_code == 0
    export = tmp_path / "export.json"
    write_large_database(export, 2)
    refused: list[str] = []

    def short_of_descriptors(*arguments: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            refused.append(threading.current_thread().name)
            raise OSError(errno.EMFILE, "Too many open files")
        return prepare_body(*arguments)

    monkeypatch.setattr("tracker.store.prepare_body", short_of_descriptors)
    result = run(*[str(export) if word == "EXPORT" else word for word in command])
    assert (result.exit_code, result.stderr) == (0, "")
    assert refused == ["index"]
    store = Store(db_path)
    index = read_index(store.index_path, signature(db_path.stat()), len(HEADER), len(FOOTER))
    assert index is not None
    assert sorted(index.ids) == sorted(commitment["id"] for commitment in store.load())


def test_a_journal_entry_that_runs_out_of_descriptors_meanwhile_is_written_after_the_file(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under `ulimit -n`, the journal entry written meanwhile can find no descriptor left: the write is taken
    again one step after the other, and the change recorded once."""
    assert run("list").exit_code == 0
    real_prepare = Journal.prepare

    def short_of_descriptors(self: Journal, *args: Any, **kwargs: Any) -> Path:
        if threading.current_thread() is not threading.main_thread():
            raise DatabaseError("cannot record the change") from OSError(errno.EMFILE, "Too many open files")
        return real_prepare(self, *args, **kwargs)

    monkeypatch.setattr(Journal, "prepare", short_of_descriptors)
    result = run("update", "rcep", "--note", "Few descriptors.")
    assert (result.exit_code, result.stderr) == (0, "")
    store = Store(db_path)
    assert [entry.action for entry in Journal(store.journal_path).entries()] == ["update rcep-signing"]
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "Few descriptors."
    assert not [p.name for p in db_path.parent.iterdir() if ".tmp-" in p.name]


def test_a_journal_entry_whose_folder_cannot_be_synced_is_not_left_to_count_twice(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal's folder cannot be synced once its entry is in place (a full disk): the entry goes with the first
    try, so that the second, whose data file may take the first one's freed inode, is the only one recorded."""
    assert run("update", "rcep", "--note", "First.").exit_code == 0
    import tracker.files

    real_sync = tracker.files.fsync_directory
    failed: list[Path] = []

    def full_once(directory: Path) -> None:
        if directory.name.endswith(".undo") and not failed:
            failed.append(directory)
            raise OSError(errno.ENOSPC, "No space left on device")
        real_sync(directory)

    monkeypatch.setattr(tracker.files, "fsync_directory", full_once)
    result = run("update", "wto", "--note", "Second.")
    assert (result.exit_code, result.stderr) == (0, "")
    assert failed
    store = Store(db_path)
    actions = [entry.action for entry in Journal(store.journal_path).entries()]
    assert actions == ["update rcep-signing", "update wto-candidate-support"]
    assert not [p.name for p in store.journal_path.iterdir() if not p.name.endswith(".json")]
    monkeypatch.setattr(tracker.files, "fsync_directory", real_sync)
    assert run("update", "cooperation-fund", "--note", "Third.").exit_code == 0  # settles, as any write does
    assert len(Journal(store.journal_path).entries()) == 3
    for _ in range(3):
        undone = run("undo", "--yes")
        assert (undone.exit_code, undone.stderr) == (0, "")
    assert record(db_path, "rcep-signing")["history"][-1]["note"] != "First."


def test_a_folder_that_cannot_be_synced_is_named_in_the_error(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init --force` on a disk that cannot sync the database's folder: the line names the folder."""
    real_fsync = os.fsync

    def full_folders(descriptor: int) -> None:
        if os.path.isdir(f"/proc/self/fd/{descriptor}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", full_folders)
    result = run("init", "--force", "--empty")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert result.stderr.count("\n") <= 2, result.stderr
    assert f"No space left on device: {db_path.parent}" in result.stderr, result.stderr


def test_a_journal_folder_that_runs_out_of_descriptors_meanwhile_is_read_after_the_file(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing the journal's folder finds no descriptor left (`ulimit -n`) in the thread that writes the entry
    meanwhile: the write is taken again one step after the other."""
    assert run("list").exit_code == 0
    real_scandir = os.scandir

    def short(path: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            raise OSError(errno.EMFILE, "Too many open files")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", short)
    result = run("update", "rcep", "--note", "Few descriptors.")
    assert (result.exit_code, result.stderr) == (0, "")
    monkeypatch.setattr(os, "scandir", real_scandir)
    store = Store(db_path)
    assert [entry.action for entry in Journal(store.journal_path).entries()] == ["update rcep-signing"]


def test_a_data_file_changed_in_place_as_a_write_ends_gets_no_index_that_trusts_it(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program edits the data file in place (the same size) in the moment after a write puts it in place
    and before the index is: the index, signed once the file is in place, must not name the edited file."""
    assert run("list").exit_code == 0
    store = Store(db_path)
    real_trim = Journal.trim

    def edit_in_place(self: Journal) -> None:
        real_trim(self)
        data = db_path.read_bytes()
        at = data.index(b'"title": "') + len(b'"title": "')
        with db_path.open("r+b") as file:
            file.seek(at)
            file.write(b"X")

    monkeypatch.setattr(Journal, "trim", edit_in_place)
    result = run("update", "rcep", "--note", "Edited behind.")
    assert (result.exit_code, result.stderr) == (0, "")
    assert read_index(store.index_path, signature(db_path.stat()), len(HEADER), len(FOOTER)) is None
    monkeypatch.setattr(Journal, "trim", real_trim)
    titles = [commitment["title"] for commitment in json.loads(run("list", "--json").stdout)]
    assert [title for title in titles if title.startswith("X")], titles


# --- 8. the lock timeout ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "1e999", "-1", "86401", ""])
def test_a_bad_lock_timeout_is_a_usage_error(run: Run, db_path: Path, value: str) -> None:
    original = db_path.read_bytes()
    result = run("update", "rcep", "--note", "x", env={"TRACKER_LOCK_TIMEOUT": value})
    _one_line_error(result, 2, "TRACKER_LOCK_TIMEOUT", "from 0 to 86400")
    assert db_path.read_bytes() == original


# --- 9. the journal: numbering, damage, leftovers, and a way past a change that cannot be undone ----------------


def test_journal_numbers_past_nine_digits_stay_in_order(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--note", "one").exit_code == 0
    journal = Store(db_path).journal_path
    (journal / "000000001.json").rename(journal / "999999999.json")
    assert run("update", "rcep", "--note", "two").exit_code == 0
    assert sorted(p.name for p in journal.iterdir()) == ["1000000000.json", "999999999.json"]
    listed = run("undo", "--list").stdout.splitlines()
    assert [line.split()[0] for line in listed] == ["1000000000", "999999999"]
    assert listed[0].endswith("  update rcep-signing")
    assert run("undo", "--yes").exit_code == 0
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "one"
    assert run("undo", "--yes").exit_code == 0
    assert len(record(db_path, "rcep-signing")["history"]) == 1


def test_a_journal_entry_that_cannot_be_read_is_not_called_damaged(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry its owner may not read (an old umask of 777 left some so) is a change that can still be undone."""
    import tracker.files
    import tracker.journal

    assert run("update", "rcep", "--note", "one").exit_code == 0
    entry = Store(db_path).journal_path / "000000001.json"
    entry.chmod(0)
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != entry)  # even for root
    if os.getuid() == 0:  # root reads it anyway: read it as its owner would be refused
        refuse = tracker.files.read_regular

        def as_its_owner(path: Path, *args: Any, **kwargs: Any) -> bytes:
            if path == entry:
                raise DatabaseError(f"the undo journal entry {path} cannot be read: permission denied")
            return refuse(path, *args, **kwargs)

        monkeypatch.setattr(tracker.journal, "read_regular", as_its_owner)
    original = db_path.read_bytes()
    result = run("undo", "--yes")
    _one_line_error(result, 1, "cannot be read (permission denied)", "give yourself read access")
    assert "damaged" not in result.stderr
    assert db_path.read_bytes() == original


@pytest.mark.parametrize(
    "damage",
    [
        {"changes": "not a list"},
        {"changes": [{"id": "rcep-signing", "after": None}]},
        {"changes": [{"id": "rcep-signing", "before": {"id": "x"}, "after": None}]},
        {"action": 5},
    ],
)
def test_a_malformed_journal_entry_is_reported_with_the_fix(run: Run, db_path: Path, damage: dict[str, Any]) -> None:
    assert run("update", "rcep", "--note", "one").exit_code == 0
    assert run("update", "cooperation-fund", "--note", "two").exit_code == 0
    entry = Store(db_path).journal_path / "000000002.json"
    entry.write_text(json.dumps({**json.loads(entry.read_text(encoding="utf-8")), **damage}), encoding="utf-8")
    original = db_path.read_bytes()
    result = run("undo", "--yes")
    _one_line_error(result, 1, "is damaged", "tracker undo --skip")
    assert db_path.read_bytes() == original
    assert "damaged" in run("undo", "--list").stdout.splitlines()[0]
    assert run("undo", "--skip", "--yes").exit_code == 0
    assert run("undo", "--yes").exit_code == 0
    assert len(record(db_path, "rcep-signing")["history"]) == 1  # 'one' undone
    assert record(db_path, "cooperation-fund")["history"][-1]["note"] == "two"  # forgotten, not undone


def test_undo_blocked_by_a_later_change_can_skip_past_it(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--note", "one").exit_code == 0
    assert run("update", "cooperation-fund", "--note", "two").exit_code == 0
    text = db_path.read_text(encoding="utf-8").replace('"note": "two"', '"note": "two, edited by hand"')
    db_path.write_text(text, encoding="utf-8")
    blocked = run("undo", "--yes")
    _one_line_error(blocked, 1, "has changed since", "tracker undo --skip")
    skipped = run("undo", "--skip", "--yes")
    assert skipped.exit_code == 0
    assert skipped.stdout.startswith("forgot 'update cooperation-fund'")
    assert db_path.read_text(encoding="utf-8") == text
    assert run("undo", "--yes").exit_code == 0
    assert len(record(db_path, "rcep-signing")["history"]) == 1
    assert record(db_path, "cooperation-fund")["history"][-1]["note"] == "two, edited by hand"


def test_leftover_temporary_files_in_the_journal_are_removed_by_the_next_write(run: Run, db_path: Path) -> None:
    assert run("update", "rcep", "--note", "one").exit_code == 0
    journal = Store(db_path).journal_path
    (journal / ".000000002.json.tmp-abcd1234").write_text("{cut", encoding="utf-8")
    (journal / "000000002.123.pending").write_text("{}", encoding="utf-8")  # a change whose data never landed
    assert run("update", "rcep", "--note", "two").exit_code == 0
    assert sorted(p.name for p in journal.iterdir()) == ["000000001.json", "000000002.json"]


# --- 10. clean-up touches only the file's own temporaries ------------------------------------------------------


def test_a_writer_removes_only_its_own_temporary_files(run: Run, db_path: Path) -> None:
    folder = db_path.parent
    own = [
        folder / ".commitments.json.tmp-abcd1234",
        folder / ".commitments.json.index.tmp-abcd1234",
        folder / ".commitments.json.parts.tmp-abcd1234",  # an import's part, where it could not be made unnamed
    ]
    others = [
        folder / ".commitments.json.old.tmp-abcd1234",  # a.json.old's write in progress
        folder / ".commitments.json.tmp-abcd1234.tmp-efgh5678",
        folder / ".other.json.tmp-abcd1234",
    ]
    for path in own + others:
        path.write_text("in progress", encoding="utf-8")
    assert run("update", "rcep", "--note", "x").exit_code == 0
    assert [path.exists() for path in own] == [False, False, False]
    assert [path.exists() for path in others] == [True, True, True]


def test_an_imports_parts_files_that_must_have_a_name_are_named_as_its_own_temporary_files(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the file system cannot make a file with no name (no O_TMPFILE), Python's `tempfile` makes a named one
    and removes its name at once: named so that a write after a kill in between removes it (the test above)."""
    import os
    import tempfile

    monkeypatch.setattr(tempfile, "_O_TMPFILE_WORKS", False)
    removed: list[str] = []
    unlink = os.unlink

    def spied(path: Any, *arguments: Any, **options: Any) -> None:
        removed.append(os.path.basename(path))
        unlink(path, *arguments, **options)

    monkeypatch.setattr(os, "unlink", spied)
    source = tmp_path / "export.json"
    write_large_database(source, 2)
    assert run("import", str(source)).exit_code == 0
    parts = [name for name in removed if name.startswith(".commitments.json.parts.tmp-")]
    assert len(parts) == 1  # one part
    assert not [path for path in db_path.parent.iterdir() if path.name.startswith(".commitments.json.parts")]


# --- 8. a data file with JSON that Python reads badly ------------------------------------------------------------


def _with_record_text(old: str, new: str) -> str:
    text = bundled_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"commitments": ' + "[" * 100_000 + "]" * 100_000 + ', "schema_version": 1}', "nested too deeply"),
        (_with_record_text('"paragraph": 5', '"paragraph": ' + "9" * 5000), "5000 digits"),
        (_with_record_text('"value": 14000000', '"value": 1e999'), "too large for a floating-point number"),
        (_with_record_text('"value": 14000000', '"value": NaN'), "NaN is not a number JSON allows"),
        (
            _with_record_text('"due": null,\n      "history"', '"due": null,\n      "due": "2020-12-31", "history"'),
            "appears twice",
        ),
        (
            _with_record_text('"due": null,\n      "history"', '"due": null,\n      "due": null,\n      "history"'),
            "appears twice",
        ),
    ],
    ids=["deep nesting", "long integer", "float overflow", "NaN", "duplicate key", "duplicate key in layout"],
)
def test_a_data_file_with_json_python_reads_badly_is_a_one_line_error(
    run: Run, isolated_environment: Path, content: str, words: str
) -> None:
    isolated_environment.write_text(content, encoding="utf-8")
    for command in (["list"], ["show", "rcep"], ["update", "rcep", "--note", "x"], ["report"]):
        result = run(*command)
        _one_line_error(result, 1, str(isolated_environment), words)
    assert isolated_environment.read_text(encoding="utf-8") == content


def _forge_over_a_layout_change(store: Store) -> None:
    """Change the first record's layout in place (the same length, the same JSON), and forge the index to carry the
    changed file's signature, as only a deliberate forger could."""
    assert store.load()  # written if it was not
    index = read_index(store.index_path, signature(store.path.stat()), len(HEADER), len(FOOTER))
    assert index is not None
    data = store.path.read_bytes()
    changed = data.replace(b'"commitments": {\n    "', b'"commitments": {\n   "', 1)  # the first record only
    changed = changed.replace(b'": {\n      "actors"', b'":  {\n      "actors"', 1)  # still the same length
    assert len(changed) == len(data)
    assert changed != data
    store.path.write_bytes(changed)
    forged = Index(signature(store.path.stat()), index.keys, index.ids, index.spans, index.summaries, index.links)
    write_own_index(store, forged.to_bytes())


def test_a_write_that_finds_the_index_forged_reads_the_file_whole_and_goes_on(run: Run, db_path: Path) -> None:
    """A forged index passes the first checks; the write finds it out when it checks the ranges it copies. Nothing
    is written then: it reads and checks the file whole and makes the change on what the file holds, in the same
    command (it once asked to run the command again). `undo` does the same."""
    store = Store(db_path)
    original = load(db_path)["commitments"]
    canonical = db_path.read_bytes()
    _forge_over_a_layout_change(store)
    updated = run("update", "rcep", "--note", "Read whole.")
    assert (updated.exit_code, updated.stderr) == (0, ""), updated.stderr
    after = load(db_path)["commitments"]
    assert [c for c in after if c["id"] != "rcep-signing"] == [c for c in original if c["id"] != "rcep-signing"]
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "Read whole."
    assert read_index(store.index_path, signature(db_path.stat()), len(HEADER), len(FOOTER)) is not None
    _forge_over_a_layout_change(store)
    undone = run("undo", "--yes")
    assert (undone.exit_code, undone.stderr) == (0, ""), undone.stderr
    assert db_path.read_bytes() == canonical  # the record put back, and the whole file written canonically


@pytest.mark.parametrize(
    "command",
    [
        ["update", "wto", "--note", "Read whole."],
        ["show", "wto"],
        ["remove", "wto", "--yes"],
        ["edit", "wto", "--title", "Support the WTO candidate"],
        ["edit", "wto", "--id", "wto-support"],
        ["history", "wto", "--edit", "1", "--note", "The statement."],
    ],
)
def test_a_command_on_the_very_record_the_forged_index_misplaces_reads_the_file_whole(
    run: Run, db_path: Path, command: list[str]
) -> None:
    """The first record's layout changed, and the index forged: reading that record finds it out (before any
    lock, to find the commitment), and the command reads and checks the whole file instead, in one go."""
    store = Store(db_path)
    _forge_over_a_layout_change(store)
    assert load(db_path)["commitments"][0]["id"] == "wto-candidate-support"
    done = run(*command)
    assert (done.exit_code, done.stderr) == (0, ""), done.stderr
    if command[0] != "show":
        assert run("undo", "--yes").exit_code == 0
        assert run("list").exit_code == 0  # and the index is written again
        assert read_index(store.index_path, signature(db_path.stat()), len(HEADER), len(FOOTER)) is not None


def test_an_import_over_a_forged_index_counts_each_commitment_once(run: Run, db_path: Path, tmp_path: Path) -> None:
    # The merge runs again on the file read whole: what it counted the first time must not count twice.
    colleague = tmp_path / "colleague.json"
    assert run("--db", str(colleague), "init").exit_code == 0
    added = ["add", "--title", "Host the 2021 Summit", "--kind", "pledge", "--actor", "ROK", "--pillar", "economic"]
    assert run("--db", str(colleague), *added).exit_code == 0
    assert run("--db", str(colleague), "update", "rcep", "--note", "Signed in Hanoi.").exit_code == 0
    document = json.loads(run("--db", str(colleague), "export").stdout)
    # Only the new commitment and rcep-signing: not the record the forged index misplaces, so that only the write,
    # when it checks the ranges it copies, finds the index out.
    held = {c["id"] for c in load(db_path)["commitments"]}
    kept = {k: c for k, c in document["commitments"].items() if c["id"] == "rcep-signing" or c["id"] not in held}
    document["commitments"] = kept
    export = tmp_path / "export.json"
    export.write_text(json.dumps(document, indent=1), encoding="utf-8")  # not the canonical layout: merged
    _forge_over_a_layout_change(Store(db_path))
    imported = run("import", str(export))
    assert (imported.exit_code, imported.stderr) == (0, ""), imported.stderr
    assert imported.stdout == f"imported {export}: 1 added, 1 updated, 0 unchanged\n"
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "Signed in Hanoi."


@pytest.mark.parametrize("command", [["log"], ["list", "--search", "regional"], ["report", "--as-of", "2020-12-31"]])
def test_a_read_of_many_records_that_finds_the_index_forged_reads_the_file_whole(
    run: Run, db_path: Path, command: list[str]
) -> None:
    """Many records are read through the index at once (`get_each`, `states`): one that is not where the index
    says makes the command read that one and the rest from the whole file, read and checked, in one go."""
    store = Store(db_path)
    with store.transaction("many") as transaction:  # past the count at which records are read in one pass
        base = transaction.get("rcep-signing")
        for number in range(70):
            transaction.put({**base, "id": f"copy-{number:02d}"})
    expected = run(*command)
    assert expected.exit_code == 0
    _forge_over_a_layout_change(store)
    done = run(*command)
    assert (done.exit_code, done.stderr, done.stdout) == (0, "", expected.stdout)


def test_a_forged_index_over_a_broken_record_stops_a_bulk_read_and_is_dropped(run: Run, db_path: Path) -> None:
    store = Store(db_path)
    with store.transaction("many") as transaction:  # past the count at which records are read in one pass
        base = transaction.get("rcep-signing")
        for number in range(70):
            transaction.put({**base, "id": f"copy-{number:02d}"})
    assert run("list").exit_code == 0
    index = read_index(store.index_path, signature(store.path.stat()), len(HEADER), len(FOOTER))
    assert index is not None
    text = db_path.read_bytes()
    broken = text.replace(b'"actors": [\n        "ROK"', b'"actors": [\n        12345', 1)  # same length
    assert broken != text
    db_path.write_bytes(broken)
    # Forged: the old index with the edited file's exact signature, as only a deliberate forger could write it.
    forged = Index(signature(db_path.stat()), index.keys, index.ids, index.spans, index.summaries, index.links)
    write_own_index(store, forged.to_bytes())
    first = run("export", "--format", "csv")
    assert first.exit_code == 1
    assert first.stderr.count("\n") == 1
    assert "does not match its index" in first.stderr
    assert "the index was dropped: run the command again" in first.stderr
    assert not store.index_path.exists()
    again = run("export", "--format", "csv")  # the whole file, checked: the broken record is named
    assert again.exit_code == 1
    assert "actor" in again.stderr
    assert "Traceback" not in first.stderr + again.stderr
    assert db_path.read_bytes() == broken


def test_a_csv_export_over_a_record_not_where_the_index_says_reads_the_whole_file_in_the_same_command(
    run: Run, db_path: Path
) -> None:
    from tests.test_store import forge_index_over_a_change

    store = Store(db_path)
    with store.transaction("many") as transaction:
        base = transaction.get("rcep-signing")
        for number in range(70):
            transaction.put({**base, "id": f"copy-{number:02d}"})
    assert run("list").exit_code == 0
    forge_index_over_a_change(store, b'"id": "copy-41"', b'"id": "copy-4x"')
    found = run("export", "--format", "csv")
    assert found.exit_code == 0, found.stderr
    assert found.stderr == ""
    assert not store.index_path.exists()  # dropped, to be written anew
    assert run("export", "--format", "csv").stdout == found.stdout  # the file read whole, then through a new index
    ids = [line.split(",")[0] for line in found.stdout.splitlines()[1:]]
    assert "copy-4x" in ids
    assert "copy-41" not in ids


def test_a_file_beside_the_database_that_only_starts_with_its_name_is_no_side_file(run: Run, db_path: Path) -> None:
    for name in (f"{db_path.name}.csv", f"{db_path.name}.20201231.bak", f"{db_path.name}.index.csv"):
        target = db_path.with_name(name)
        result = run("export", "--format", "csv", "--output", str(target))
        assert result.exit_code == 0, (name, result.stderr)
        assert target.read_text(encoding="utf-8").startswith("id,title,")
    for name in (f"{db_path.name}.lock", f"{db_path.name}.20201231T000000Z.bak", f".{db_path.name}.tmp-abcdefgh"):
        result = run("export", "--output", str(db_path.with_name(name)), "--force")
        assert result.exit_code == 1, name
        assert "side files" in result.stderr


def test_a_crafted_index_with_keys_out_of_order_still_shows_each_commitment(run: Run, db_path: Path) -> None:
    """Two rows' keys swapped: a lookup by bisection misses the commitments there, which the index's own sorted ids
    hold; the whole file is read instead (not an internal error, nor "no such commitment")."""
    store = Store(db_path)
    holder: list[list[str]] = []

    def swap(index: Index) -> tuple[Any, ...]:
        keys = list(index.keys)
        keys[3], keys[4] = keys[4], keys[3]
        holder.append(list(index.ids))
        return keys, index.ids, index.spans, index.summaries

    _forge_index(store, swap)
    ids = holder[0]
    for commitment_id in (ids[3], ids[4]):
        result = run("show", commitment_id, "--json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["title"] == record(db_path, commitment_id)["title"]
    _forge_index(store, swap)
    absent = run("show", "no-such-commitment-here")
    assert absent.exit_code == 1
    assert "no-such-commitment-here" in absent.stderr
    assert store.index_path.exists()  # an id that is nowhere is no reason to doubt the index


def _in_sorted_ids(store: Store, commitment_id: str, replaced_by: str, offset: int = 0) -> None:
    """Write `replaced_by` in the index's sorted ids (its rows left as they are) where the id `offset` places after
    `commitment_id` stands."""
    from tracker.index import _HEAD, ID_WIDTH, _sections

    with store.reading():
        pass
    data = bytearray(store.index_path.read_bytes())
    count = _HEAD.unpack_from(data)[7]
    at = _sections(count)[2]
    found = [bytes(data[at + ID_WIDTH * n : at + ID_WIDTH * (n + 1)]).rstrip(b"\x00") for n in range(count)]
    place = at + ID_WIDTH * (found.index(commitment_id.encode()) + offset)
    data[place : place + ID_WIDTH] = replaced_by.encode().ljust(ID_WIDTH, b"\x00")
    write_own_index(store, bytes(data))


def test_an_id_twice_in_the_sorted_ids_is_not_two_commitments(run: Run, db_path: Path) -> None:
    ids = sorted(c["id"] for c in load(db_path)["commitments"])
    wanted = next(cid for cid in ids if sum(other.startswith(cid[:4]) for other in ids) == 1)
    following = ids[ids.index(wanted) + 1]
    _in_sorted_ids(Store(db_path), following, wanted)  # the id after it made the same: sorted, but twice
    shown = run("show", wanted[:4], "--json")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == wanted


@pytest.mark.parametrize("forgery", ["renamed in the rows and the sorted ids", "left out of the sorted ids"])
def test_an_index_that_leaves_out_a_commitment_never_lets_add_write_it_twice(
    run: Run, db_path: Path, forgery: str
) -> None:
    """An index whose list of ids leaves out a commitment that the file holds: `add` of that id must neither write
    its key twice (the file would then be unreadable) nor replace the commitment; `show` finds it."""
    store = Store(db_path)
    target = "rcep-signing"

    def forge() -> None:
        if forgery.startswith("renamed"):

            def rename(index: Index) -> tuple[Any, ...]:
                return index.keys, [("q-fake" if cid == target else cid) for cid in index.ids], *index[3:5]

            _forge_index(store, rename)
        else:
            _in_sorted_ids(store, target, target + "0")  # sorts where it stood

    forge()
    before = db_path.read_bytes()
    added = run("add", "--id", target, "--title", "Again", "--actor", "ROK", "--pillar", "economic", "--kind", "pledge")
    assert added.exit_code == 1
    assert f"a commitment with id '{target}' already exists" in added.stderr
    assert db_path.read_bytes() == before
    index = open_index(store.index_path, signature(db_path.stat()))  # dropped, or standing: `add` found the id
    try:  # by its key, without the sorted ids
        forged_still = index is not None and target not in index.sorted_ids()
    finally:
        if index is not None:
            index.close()
    if not forged_still:
        forge()
    shown = run("show", target, "--json")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["title"] == record(db_path, target)["title"]


def _row_as_another_id(store: Store, target: str) -> None:
    """Forge the index so that `target`'s row, span kept, names a made-up id under that id's own key (one that sorts
    where the row stands), with a summary to match: nothing in the index says the file holds `target`."""
    from tracker.index import doc_key, pack_summary, unpack_summary

    def other(index: Index) -> tuple[Any, ...]:
        keys, ids, summaries = list(index.keys), list(index.ids), list(index.summaries)
        at = ids.index(target)
        low, high = (keys[at - 1] if at else ""), (keys[at + 1] if at + 1 < len(keys) else "9" * 20)
        made_up = next(f"zz-other-{n}" for n in itertools.count() if low < doc_key(f"zz-other-{n}") < high)
        keys[at], ids[at] = doc_key(made_up), made_up
        summaries[at] = pack_summary({**unpack_summary(summaries[at], target), "id": made_up})
        return keys, ids, index.spans, summaries

    _forge_index(store, other)


@pytest.mark.parametrize(
    "command",
    [
        [
            "add",
            "--id",
            "rcep-signing",
            "--title",
            "Again",
            "--actor",
            "ROK",
            "--pillar",
            "economic",
            "--kind",
            "pledge",
        ],
        ["edit", "cooperation-fund", "--id", "rcep-signing"],
    ],
)
def test_an_index_that_calls_a_commitment_by_another_id_never_lets_a_write_give_its_key_twice(
    run: Run, db_path: Path, command: list[str]
) -> None:
    store = Store(db_path)
    assert run("list").exit_code == 0
    _row_as_another_id(store, "rcep-signing")
    before = db_path.read_bytes()
    result = run(*command)
    assert result.exit_code == 1
    assert "'rcep-signing'" in result.stderr
    assert db_path.read_bytes() == before
    assert run("show", "rcep-signing").exit_code == 0


def test_an_import_over_an_index_that_calls_a_commitment_by_another_id_never_gives_its_key_twice(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    """An export as the tracker writes it, of commitments the index says the file lacks, one of them the commitment
    the index calls by another id: copied in runs beside the records the file holds, it would stand twice under one
    key; the index is found wrong, the file read whole, and the import merged."""
    from tracker.layout import dump_database, parse_database

    store = Store(db_path)
    held = parse_database(db_path.read_text(encoding="utf-8"), "db")
    assert run("list").exit_code == 0
    _row_as_another_id(store, "rcep-signing")
    again = next(c for c in held if c["id"] == "rcep-signing")
    source = tmp_path / "export.json"
    write_large_database(source, 1)
    commitments = parse_database(source.read_text(encoding="utf-8"), "x")
    source.write_text(dump_database([*commitments, again]), encoding="utf-8")
    result = run("import", str(source))
    assert result.exit_code == 0, result.stderr
    assert f"{len(commitments)} added, 0 updated, 1 unchanged" in result.stdout
    ids = [c["id"] for c in load(db_path)["commitments"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {c["id"] for c in held} | {c["id"] for c in commitments}
    assert run("show", "rcep-signing").exit_code == 0


def test_extract_add_over_an_index_that_renames_a_commitment_is_no_internal_error(run: Run, db_path: Path) -> None:
    store = Store(db_path)
    assert run("list").exit_code == 0
    _row_as_another_id(store, "rcep-signing")
    statement = db_path.parent / "statement.txt"
    statement.write_text("1. The ROK will provide USD 3 million to the new fund by 2027.\n", encoding="utf-8")
    result = run("extract", str(statement), "--date", "2026-01-05", "--add", "--all", "--yes")
    assert "internal error" not in result.stderr
    assert result.exit_code in (0, 1), result.stderr
    assert {c["id"] for c in load(db_path)["commitments"]} >= {"rcep-signing"}
    ids = [c["id"] for c in load(db_path)["commitments"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644])
def test_the_index_and_the_undo_journal_are_as_private_as_the_data_file(run: Run, db_path: Path, mode: int) -> None:
    """They hold what it holds (titles, notes, whole commitments): no one may read them who may not read it."""
    os.chmod(db_path, mode)
    index = db_path.with_name(db_path.name + ".index")
    old = os.umask(0o022)
    try:
        assert run("list").exit_code == 0  # a full read writes the index
        assert stat.S_IMODE(index.stat().st_mode) == mode
        assert run("update", "rcep-signing", "--note", "private").exit_code == 0  # a write: index and entry
        entries = [p for p in db_path.with_name(db_path.name + ".undo").iterdir() if p.suffix == ".json"]
        assert entries
        assert {stat.S_IMODE(p.stat().st_mode) for p in [index, db_path, *entries]} == {mode}
    finally:
        os.umask(old)


def test_an_index_of_thousands_of_commitments_reads_back_as_it_was_built() -> None:
    """The rows and the sorted ids are packed a thousand at a time into one buffer, and the index joined a thousand
    pieces at a time: across those seams, every key, id, sorted id, summary and link reads back as it was given."""
    from array import array

    from tracker.index import IndexFile

    count = 2500  # two seams and a remainder
    keys = [str(10**17 + number * 7919) for number in range(count)]
    ids = [f"c-{(number * 7) % count:05d}" + "x" * (number % 41) for number in range(count)]
    spans = array("q", [at for number in range(count) for at in (100 + 52 * number, 150 + 52 * number)])
    summaries = [f"summary {number}".encode() for number in range(count)]
    links = [b"t" + number.to_bytes(16, "big") for number in range(3 * count)]
    index = Index((1, 2, 3, 4, 5), keys, ids, spans, summaries, links)
    encoded = index.encoded(index.signature)
    data = index.to_bytes()
    assert data == b"".join(piece for piece in encoded if not isinstance(piece, tuple))
    read = IndexFile.in_memory(index, data)
    assert read.rows() == (keys, ids)
    assert read.sorted_ids() == sorted(ids)
    assert [read.sorted_id(number) for number in range(count)] == sorted(ids)
    assert read.packed_summaries() == summaries
    assert read.every_link() == links


def test_ids_as_long_as_the_index_allows_are_read_one_slot_each(run: Run, db_path: Path) -> None:
    """An id of 60 characters fills its slot among the index's sorted ids, with no NUL after it: the ids are read
    slot by slot, so a command that reads them all (an unknown id looked for among prefixes, a repeat looked for)
    finds what is there and says what is not."""
    longest = "a" + "b" * 59
    others = ["a" + "b" * 58 + "c", "zzz-last"]  # the next slot begins with no NUL before it, too
    for number, commitment_id in enumerate([longest, *others]):
        added = run(
            *("add", "--id", commitment_id, "--title", f"Commitment {number}", "--quote", f"words {number}"),
            *("--actor", "ROK", "--pillar", "economic", "--kind", "pledge"),
        )
        assert (added.exit_code, added.stderr) == (0, ""), added.stderr
    before = db_path.read_bytes()
    shown = run("show", "nosuch")
    assert shown.exit_code == 1
    assert shown.stderr == "tracker: error: no commitment 'nosuch'; 'tracker list' shows every id\n"
    assert db_path.read_bytes() == before
    assert Store(db_path).index_path.exists()  # not dropped as in doubt
    listed = run("list", "--json")
    assert {longest, *others} <= {row["id"] for row in json.loads(listed.stdout)}
    assert run("show", longest).exit_code == 0
    assert json.loads(run("show", "zzz", "--json").stdout)["id"] == "zzz-last"  # a prefix, after two full slots


def test_an_index_a_full_read_built_that_does_not_hold_up_falls_back_to_the_document_once(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were an index that this very command built to doubt itself (a bug), the command reads the file as one
    document, once, and answers: it does not read the file in full again and again until Python gives up."""
    import tracker.index
    import tracker.layout

    def doubting(self: tracker.index.IndexFile) -> list[str]:
        raise tracker.index.IndexDoubt("in doubt")

    full_reads = []
    original = tracker.layout.index_records

    def counting(*args: Any, **kwargs: Any) -> Any:
        full_reads.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(tracker.index.IndexFile, "sorted_ids", doubting)
    monkeypatch.setattr("tracker.store.index_records", counting)
    Store(db_path).index_path.unlink(missing_ok=True)
    shown = run("show", "nosuch")
    assert shown.exit_code == 1
    assert shown.stderr == "tracker: error: no commitment 'nosuch'; 'tracker list' shows every id\n"
    assert len(full_reads) == 1
