"""A process killed at every step of every kind of write leaves the old state or the new one, a journal that
matches it, no orphan file once the next command has run, and every command still working.

Each write is a sequence of file-system steps (fsync, rename, replace, unlink). The killed command runs as a real
process with those functions wrapped so that it sends itself SIGKILL just before step k; k runs from 1 until the
command finishes without reaching it, so every boundary between two steps is tried.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import bundled_commitments
from tracker.files import bundled_text
from tracker.journal import Journal
from tracker.store import Store

pytestmark = pytest.mark.slow

HARNESS = """
import os, signal, sys
target = int(os.environ["KILL_BEFORE_STEP"])
count = [0]
def wrap(function):
    def wrapper(*args, **kwargs):
        count[0] += 1
        if count[0] == target:
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)
    return wrapper
for name in ("fsync", "replace", "rename", "unlink"):
    setattr(os, name, wrap(getattr(os, name)))
sys.argv = ["tracker", *sys.argv[1:]]
from tracker.cli import run
run()
"""

IMPORTED = {
    **bundled_commitments()[0],
    "id": "imported-commitment",
    "title": "An imported commitment",
}

COMMANDS: dict[str, list[str]] = {
    "update": ["update", "rcep-signing", "--status", "fulfilled", "--date", "2020-11-15", "--note", "Signed."],
    "add": ["add", "--kind", "pledge", "--title", "Hold a new meeting", "--actor", "ROK", "--pillar", "economic"],
    "remove": ["remove", "cooperation-fund", "--yes"],
    "import": ["import", "IMPORT_FILE"],
    "undo": ["undo", "--yes"],
    "skip": ["undo", "--skip", "--yes"],
    "init --force": ["init", "--force", "--empty"],
}


def _state(path: Path) -> list[dict[str, Any]]:
    """The commitments, without the times at which events were recorded (they differ from run to run)."""
    commitments = Store(path).load()
    return [
        {**c, "history": [{k: v for k, v in e.items() if k != "recorded_at"} for e in c["history"]]}
        for c in commitments
    ]


def _template(root: Path) -> Path:
    """A database with one recorded change, so that undo has something to revert."""
    root.mkdir()
    database = root / "commitments.json"
    database.write_text(bundled_text(), encoding="utf-8")
    store = Store(database)
    with store.transaction("note on marine debris") as transaction:
        commitment = transaction.get("marine-debris-capacity")
        transaction.put({**commitment, "summary": commitment["summary"] + " Noted."})
    (root / "import.json").write_text(json.dumps([IMPORTED]), encoding="utf-8")
    return root


def _run(database: Path, args: list[str], kill_before: int) -> subprocess.CompletedProcess[str]:
    words = [str(database.parent / "import.json") if word == "IMPORT_FILE" else word for word in args]
    return subprocess.run(
        [sys.executable, "-c", HARNESS, *words],
        env={**os.environ, "TRACKER_DB": str(database), "KILL_BEFORE_STEP": str(kill_before)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _leftovers(root: Path) -> list[str]:
    found = [p.name for p in root.iterdir() if ".tmp-" in p.name]
    journal = root / "commitments.json.undo"
    if journal.is_dir():
        found += [p.name for p in journal.iterdir() if not p.name.endswith(".json")]
    return found


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_kill_at_any_step_leaves_the_old_or_the_new_state_and_a_journal_that_matches(
    tmp_path: Path, command: str
) -> None:
    template = _template(tmp_path / "template")
    old = _state(template / "commitments.json")
    (tmp_path / "bundled.json").write_text(bundled_text(), encoding="utf-8")
    bundled = _state(tmp_path / "bundled.json")

    finished = tmp_path / "finished"
    shutil.copytree(template, finished)
    done = _run(finished / "commitments.json", COMMANDS[command], kill_before=10**6)
    assert done.returncode == 0, done.stderr
    new = _state(finished / "commitments.json")
    assert new != old or command == "skip"
    new_actions = [entry.action for entry in Journal(finished / "commitments.json.undo").entries()]

    kills = 0
    for step in range(1, 200):
        root = tmp_path / f"kill-{step}"
        shutil.copytree(template, root)
        database = root / "commitments.json"
        result = _run(database, COMMANDS[command], kill_before=step)
        if result.returncode == 0:
            print(f"{command}: killed at each of {kills} steps")
            break  # the command finished before step `step`: every step has been tried
        assert result.returncode == -signal.SIGKILL, result.stderr
        kills += 1

        # Reading works at once, and shows the old state or the new one.
        state = _state(database)
        assert state in (old, new), f"killed before step {step}: neither the old state nor the new one"
        # The next write settles what the killed one left; then nothing is left over.
        store = Store(database)
        with store.transaction("settle") as transaction:
            transaction.put({**IMPORTED, "id": "settling-commitment"})  # type: ignore[typeddict-item]
        assert _leftovers(root) == [], f"killed before step {step}"
        store.undo()
        assert _state(database) == state
        # The journal matches the state: the same changes as a clean run, or as no run at all.
        actions = [entry.action for entry in Journal(store.journal_path).entries()]
        if command == "skip":
            assert actions in ([], ["note on marine debris"]), f"killed before step {step}: journal {actions}"
            continue
        expected = new_actions if state == new else ["note on marine debris"]
        assert actions == expected, f"killed before step {step}: journal {actions}, expected {expected}"
        # And every change it keeps can still be undone, back to the bundled data set.
        for _ in actions:
            store.undo()
        assert _state(database) == bundled
    assert kills >= (1 if command == "skip" else 4), f"only {kills} kill points: the test measured little"
