"""Reliability of the installed command: concurrent writers, processes killed mid-write, damaged files, stale
locks, and hostile text of every kind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import load, record, tracker_executable, write_large_database
from tracker.files import bundled_text
from tracker.journal import Journal
from tracker.store import Store

pytestmark = pytest.mark.slow  # every test here runs the installed command as real processes

WORKERS = 8
UPDATES_EACH = 10


def _environment(db_path: Path) -> dict[str, str]:
    return {**os.environ, "TRACKER_DB": str(db_path), "TRACKER_LOCK_TIMEOUT": "120"}


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(db_path: Path) -> None:
    ids = ["rcep-signing", "cooperation-fund", "plan-of-action-2021-2025"]
    workers = []
    for worker in range(WORKERS):
        commands = " && ".join(
            f"\"$TRACKER\" update {ids[worker % len(ids)]} --note 'worker {worker} update {n}' >/dev/null"
            for n in range(UPDATES_EACH)
        )
        workers.append(
            subprocess.Popen(
                ["sh", "-c", commands],
                env={**_environment(db_path), "TRACKER": tracker_executable()},
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for process in workers:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
    notes = [event["note"] for c in load(db_path)["commitments"] for event in c["history"]]
    expected = {f"worker {w} update {n}" for w in range(WORKERS) for n in range(UPDATES_EACH)}
    assert expected <= set(notes)
    assert len([note for note in notes if note.startswith("worker ")]) == WORKERS * UPDATES_EACH
    assert Store(db_path).load()
    assert len(Journal(Store(db_path).journal_path).entries()) == WORKERS * UPDATES_EACH


@pytest.mark.slow
def test_killed_writers_never_leave_a_damaged_file_or_lose_a_finished_update(isolated_environment: Path) -> None:
    db_path = isolated_environment
    ids = write_large_database(db_path, copies=40)  # about 700 commitments, so writes take a while
    environment = _environment(db_path)
    rng = random.Random(20200909)
    finished: list[str] = []
    kills = 0
    batch = 4
    while kills < 120:
        running: list[tuple[subprocess.Popen[bytes], str]] = []
        for _ in range(batch):
            note = f"crash test {kills + len(running)}"
            process = subprocess.Popen(
                [tracker_executable(), "update", rng.choice(ids), "--note", note],
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            running.append((process, note))
        deadline = time.monotonic() + rng.uniform(0.05, 0.6)
        for process, note in running:
            time.sleep(max(0.0, deadline - time.monotonic()))
            if process.poll() == 0:
                finished.append(note)
            else:
                process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        torn_writes = len(list(db_path.parent.glob(".commitments.json*.tmp-*")))
        if torn_writes:
            print(f"after {kills} kills: {torn_writes} temp file(s) left by a write cut short")
        commitments = Store(db_path).load()  # raises if the file is not a valid database
        notes = {event["note"] for c in commitments for event in c["history"]}
        assert set(finished) <= notes
    assert finished, "no update finished before its kill: the test measured nothing"
    assert len(finished) < kills, "no process was killed mid-run: the test measured nothing"
    result = subprocess.run(
        [tracker_executable(), "update", ids[0], "--note", "after the storm"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not list(db_path.parent.glob(".commitments.json*.tmp-*"))


def _run(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tracker_executable(), *args], env=_environment(db_path), capture_output=True, text=True, check=False
    )


def _damaged(name: str) -> str:
    text = bundled_text()
    document = json.loads(text)
    if name == "truncated":
        return text[: len(text) // 2]
    if name == "trailing garbage":
        return text + "garbage\n"
    if name == "wrong types":
        list(document["commitments"].values())[3]["history"][0]["evidence"] = "not a list"
        return json.dumps(document, indent=2)
    if name == "unknown schema version":
        document["_meta"]["1"]["schema_version"] = 99
        return json.dumps(document, indent=2)
    raise AssertionError(name)


@pytest.mark.parametrize("damage", ["truncated", "trailing garbage", "wrong types", "unknown schema version"])
@pytest.mark.parametrize("command", [["list"], ["update", "rcep", "--status", "fulfilled"]])
def test_damaged_files_are_refused_and_left_unchanged(
    isolated_environment: Path, damage: str, command: list[str]
) -> None:
    content = _damaged(damage)
    isolated_environment.write_text(content, encoding="utf-8")
    result = _run(isolated_environment, *command)
    assert result.returncode == 1
    assert result.stderr.startswith(f"tracker: error: {isolated_environment}")
    assert result.stderr.count("\n") == 1
    assert isolated_environment.read_text(encoding="utf-8") == content


def test_a_directory_as_the_database_is_refused(isolated_environment: Path) -> None:
    isolated_environment.mkdir()
    result = _run(isolated_environment, "update", "rcep", "--note", "x")
    assert result.returncode == 1
    assert "is a directory" in result.stderr
    assert list(isolated_environment.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file; tests/test_store.py covers this path in-process")
def test_an_unreadable_file_is_refused(db_path: Path) -> None:
    db_path.chmod(0)
    result = _run(db_path, "list")
    assert result.returncode == 1
    assert "permission denied" in result.stderr


def test_a_read_only_file_is_refused_on_update_and_still_listed(db_path: Path) -> None:
    original = db_path.read_bytes()
    db_path.chmod(0o444)
    result = _run(db_path, "update", "rcep", "--status", "fulfilled")
    assert result.returncode == 1
    assert "read-only" in result.stderr
    assert db_path.read_bytes() == original
    assert _run(db_path, "list").returncode == 0


@pytest.mark.slow
def test_a_stale_lock_left_by_a_killed_process_does_not_block(db_path: Path) -> None:
    lock_path = Store(db_path).lock_path
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; "
            f"lock = FileLock({str(lock_path)!r}); lock.acquire(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    blocked = subprocess.run(
        [tracker_executable(), "update", "rcep", "--note", "while locked"],
        env={**_environment(db_path), "TRACKER_LOCK_TIMEOUT": "0.5"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert blocked.returncode == 1
    assert "locked by another tracker process" in blocked.stderr
    holder.kill()
    holder.wait()
    assert lock_path.exists()
    result = _run(db_path, "update", "rcep", "--note", "after the holder died")
    assert result.returncode == 0, result.stderr
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "after the holder died"


_INTERRUPTED_WHILE_IMPORTING = """
import os, signal, sys, threading, time

if sys.argv[1:] == ["thread"]:  # another thread, which the kernel may hand the signal to
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()


class Interrupting:  # sends this process SIGINT from the first module that orjson imports as it sets itself up
    armed = fired = False

    def find_spec(self, name, path=None, target=None):
        if name == "orjson":
            Interrupting.armed = True
        elif Interrupting.armed and not Interrupting.fired and not name.startswith("orjson"):
            Interrupting.fired = True
            os.kill(os.getpid(), signal.SIGINT)
        return None


sys.meta_path.insert(0, Interrupting())
try:
    from tracker.fastjson import orjson
except KeyboardInterrupt:
    set_up = sys.modules["orjson"]
    print("interrupted", set_up.dumps({"set up": True}).decode(), Interrupting.fired)
"""


@pytest.mark.parametrize("threads", [[], ["thread"]])
def test_ctrl_c_while_orjson_sets_itself_up_is_an_interruption_after_it_not_a_crash(threads: list[str]) -> None:
    """A Ctrl-C that lands while orjson imports the Python modules it needs used to kill the process with SIGSEGV
    (orjson does not survive a failed setup); it now comes as a KeyboardInterrupt once orjson is set up, in a
    process with one thread or more."""
    ran = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_WHILE_IMPORTING, *threads],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, (ran.returncode, ran.stderr)
    assert ran.stdout == 'interrupted {"set up":true} True\n'
