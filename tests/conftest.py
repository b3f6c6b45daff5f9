"""Shared fixtures: every test gets its own data file in a tmp path, never the user's own data."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from typer.testing import CliRunner

from tracker.cli import app
from tracker.files import bundled_text
from tracker.index import HEADER_SIZE, open_index, sealed_head, signature
from tracker.layout import FOOTER, HEADER
from tracker.model import Commitment, Event
from tracker.store import Store

SOURCES = Path(__file__).resolve().parent.parent / "data" / "sources"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point TRACKER_DB at a tmp file and the user data directories at tmp, so no test can touch real data."""
    database = tmp_path / "commitments.json"
    monkeypatch.setenv("TRACKER_DB", str(database))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "20")
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
    return database


@pytest.fixture
def db_path(isolated_environment: Path) -> Path:
    """The data file, created from the bundled data set."""
    isolated_environment.write_text(bundled_text(), encoding="utf-8")
    return isolated_environment


@pytest.fixture
def store(db_path: Path) -> Store:
    return Store(db_path)


# Typer builds the Click command from the app's functions on every invocation (about 25 ms for these commands):
# build it once for the whole session, as the installed console script builds it once per process.
typer.testing._get_command = functools.cache(typer.testing._get_command)  # type: ignore[attr-defined]


class Run:
    """Runs the real Typer app in-process and keeps stdout and stderr apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        return self.runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def run() -> Run:
    return Run()


def tracker_executable() -> str:
    """The installed console script next to this interpreter."""
    candidate = Path(sys.executable).with_name("tracker")
    found = str(candidate) if candidate.exists() else shutil.which("tracker")
    assert found, "the tracker console script is not installed"
    return found


@pytest.fixture
def run_installed(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the installed `tracker` command as a real subprocess, from a directory outside the project."""
    workdir = tmp_path / "elsewhere"
    workdir.mkdir(exist_ok=True)

    def invoke(*args: str, env: dict[str, str] | None = None, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, **(env or {})}
        return subprocess.run(
            [tracker_executable(), *args],
            capture_output=True,
            text=True,
            cwd=workdir,
            env=environment,
            timeout=60,
            check=False,
            **kwargs,
        )

    return invoke


def load(path: Path) -> dict[str, Any]:
    """The data file's document, with its commitments as a list in file order (the file keys them by
    document id, as a TinyDB table)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    table = data["commitments"]
    return {**data, "commitments": list(table.values()) if isinstance(table, dict) else table}


def bundled_commitments() -> list[dict[str, Any]]:
    """The bundled commitments, in file order."""
    return list(json.loads(bundled_text())["commitments"].values())


def record(path: Path, commitment_id: str) -> dict[str, Any]:
    return next(c for c in load(path)["commitments"] if c["id"] == commitment_id)


def write_large_database(path: Path, copies: int) -> list[str]:
    """A valid database of the bundled commitments repeated `copies` times under new ids; returns the ids."""
    from tracker.layout import dump_database, parse_database

    bundled = parse_database(bundled_text(), "bundled")
    commitments = [{**c, "id": f"{c['id']}-{n}"} for n in range(copies) for c in bundled]
    path.write_text(dump_database(commitments), encoding="utf-8")  # type: ignore[arg-type]
    return [str(c["id"]) for c in commitments]


def event(day: str, status: str, note: str = "") -> Event:
    """An event of every actor, recorded on 2026-01-01 by no one named, with no evidence."""
    return {
        "date": day,
        "status": status,
        "note": note,
        "evidence": [],
        "recorded_at": "2026-01-01T00:00:00Z",
        "recorded_by": None,
        "actors": None,
        "by": None,
    }


FINDING = "A colleague's finding."


def add_finding(commitments: Iterable[Commitment]) -> None:
    """Give each commitment an event of 2026-01-02 that fulfils it, noted `FINDING`: what a colleague's export adds."""
    for commitment in commitments:
        commitment["history"].append(event("2026-01-02", "fulfilled", FINDING))
        commitment["status"] = "fulfilled"


def digested(store: Store) -> None:
    """Index the store's file with every record's digest: a first read, with no index to draw on, digests none; the
    file is read again with that index at hand, as after a change made elsewhere, which digests every record."""
    store.load()
    os.utime(store.path)
    store.load()


def index_digests(store: Store) -> tuple[bytes, bytes]:
    """The digests the index holds, and those that this user's key makes of each record of the file with the entry
    the index holds for it (its packed summary and links: see `index.Keyed`)."""
    data = store.path.read_bytes()
    index = open_index(store.index_path, signature(store.path.stat()))
    assert index is not None
    try:
        starts, packed, keys = index.starts(len(HEADER), len(FOOTER)), index.packed_summaries(), index.rows()[0]
        owned: dict[bytes, list[bytes]] = {}
        for link in index.every_link():
            owned.setdefault(link[-8:], []).append(link)
        expected = [
            store.keyed.digest(
                data[starts[n] : starts[n + 1] - 2], packed[n], owned.get(int(keys[n]).to_bytes(8, "big"), [])
            )
            for n in range(index.count)
        ]
        return index.digests(), b"".join(expected)
    finally:
        index.close()


def write_own_index(store: Store, index: bytes) -> None:
    """Write `index` as the index of the store's file, sealed with this user's key as the tracker seals its own (see
    `index.Keyed.seal`): a crafted index that stands for one the tracker itself got wrong, which only the checks
    after the seal can find out."""
    store.index_path.write_bytes(sealed_head(index, store.keyed) + index[HEADER_SIZE:])
