"""The data file is a real TinyDB database: stock TinyDB reads and queries it, a file TinyDB itself wrote is
read, document ids let two copies merge in git, and files of an older schema version are migrated."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tinydb import Query, TinyDB

from tests.conftest import Run, bundled_commitments, load, record
from tracker.errors import DatabaseError
from tracker.layout import SCHEMA_VERSION, doc_id, dump_database, parse_database
from tracker.migrations import MIGRATIONS
from tracker.store import Store

ROOT = Path(__file__).resolve().parent.parent
OLD_FILES = Path(__file__).resolve().parent / "data"


def _readme_snippet() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    (snippet,) = [str(block) for block in blocks if "TinyDB(" in block]
    return snippet


def test_the_readme_snippet_queries_a_fresh_data_file_with_stock_tinydb(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("--db", "commitments.json", "init").exit_code == 0
    assert (
        run("--db", "commitments.json", "update", "rcep", "--status", "broken", "--date", "2021-01-05").exit_code == 0
    )
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(_readme_snippet(), {})  # exactly as the README writes it
    assert printed.getvalue() == "['rcep-signing']\n"


def test_stock_tinydb_sees_every_commitment_as_a_document_with_its_derived_id(db_path: Path) -> None:
    database = TinyDB(db_path, access_mode="r")
    try:
        assert database.tables() == {"_meta", "commitments"}
        documents = database.table("commitments").all()
        assert sorted(d["id"] for d in documents) == sorted(c["id"] for c in bundled_commitments())
        assert all(document.doc_id == doc_id(document["id"]) for document in documents)
        assert database.table("_meta").get(doc_id=1) == {"schema_version": SCHEMA_VERSION}
        pending = database.table("commitments").search(Query().status == "pending")
        assert len(pending) == len([c for c in bundled_commitments() if c["status"] == "pending"])
    finally:
        database.close()


def test_a_document_inserted_by_stock_tinydb_is_read_and_the_next_write_lays_it_out(run: Run, db_path: Path) -> None:
    new = {**record(db_path, "rcep-signing"), "id": "inserted-by-tinydb", "title": "Inserted with TinyDB"}
    database = TinyDB(db_path)  # TinyDB's own JSONStorage: its own formatting, the next document id in sequence
    database.table("commitments").insert(new)
    database.close()
    assert db_path.read_text(encoding="utf-8").startswith(f'{{"_meta": {{"1": {{"schema_version": {SCHEMA_VERSION}}}}}')
    assert "inserted-by-tinydb" in run("list").stdout
    assert json.loads(run("show", "inserted-by", "--json").stdout)["title"] == "Inserted with TinyDB"
    assert run("update", "inserted-by", "--note", "Laid out again.").exit_code == 0
    text = db_path.read_text(encoding="utf-8")
    assert dump_database(parse_database(text, "x")) == text  # canonical again
    assert str(doc_id("inserted-by-tinydb")) in json.loads(text)["commitments"]


def test_an_invalid_document_inserted_by_tinydb_is_named_and_left_as_it_is(run: Run, db_path: Path) -> None:
    database = TinyDB(db_path)
    database.table("commitments").insert({"id": "half-a-record", "title": "No more than this"})
    database.close()
    original = db_path.read_bytes()
    result = run("list")
    assert result.exit_code == 1
    assert "('half-a-record') record lacks actors" in result.stderr
    assert db_path.read_bytes() == original


def test_a_document_in_another_table_is_refused(run: Run, db_path: Path) -> None:
    database = TinyDB(db_path)
    database.insert({"id": "in-the-default-table"})
    database.close()
    result = run("list")
    assert result.exit_code == 1
    assert "table(s) this tracker does not keep: _default" in result.stderr


# --- schema migrations ------------------------------------------------------------------------------------------


def test_every_schema_version_has_a_migration_and_an_old_file_to_test_it() -> None:
    from tracker.migrations import CURRENT

    assert sorted(MIGRATIONS) == list(range(1, CURRENT))
    for version in MIGRATIONS:
        assert (OLD_FILES / f"schema-v{version}.json").exists()


def test_the_version_1_to_2_migration_keeps_every_commitment_and_keys_it_by_its_document_id() -> None:
    old = json.loads((OLD_FILES / "schema-v1.json").read_text(encoding="utf-8"))
    document = MIGRATIONS[1](old, doc_id)
    assert document["_meta"] == {"1": {"schema_version": 2}}
    assert sorted(document["commitments"].values(), key=lambda c: c["id"]) == old["commitments"]
    assert all(key == str(doc_id(c["id"])) for key, c in document["commitments"].items())


def test_the_version_2_to_3_migration_adds_kind_weight_and_event_fields_without_changing_meaning() -> None:
    old = json.loads((OLD_FILES / "schema-v2.json").read_text(encoding="utf-8"))
    document = MIGRATIONS[2](old, doc_id)
    assert document["_meta"] == {"1": {"schema_version": 3}}
    assert list(document["commitments"]) == list(old["commitments"])
    for key, commitment in document["commitments"].items():
        before = old["commitments"][key]
        assert {**commitment, "kind": None, "weight": 1} == {
            **before,
            "kind": None,
            "weight": 1,
            "history": commitment["history"],
        }
        assert (commitment["kind"], commitment["weight"]) == (None, 1)
        for event, old_event in zip(commitment["history"], before["history"], strict=True):
            assert event == {**old_event, "actors": None, "recorded_by": None, "by": None}


def test_a_file_of_each_old_version_reads_as_the_same_commitments() -> None:
    v1 = parse_database((OLD_FILES / "schema-v1.json").read_text(encoding="utf-8"), "v1")
    v2 = parse_database((OLD_FILES / "schema-v2.json").read_text(encoding="utf-8"), "v2")
    assert sorted(v1, key=lambda c: c["id"]) == sorted(v2, key=lambda c: c["id"])
    assert all(c["kind"] is None and c["weight"] == 1 for c in v2)


def test_reading_an_old_file_writes_nothing_and_the_first_write_migrates_it_with_a_backup(
    run: Run, isolated_environment: Path
) -> None:
    old = (OLD_FILES / "schema-v1.json").read_bytes()
    isolated_environment.write_bytes(old)
    for command in (["list"], ["show", "rcep"], ["report"], ["export"]):
        assert run(*command).exit_code == 0
    assert isolated_environment.read_bytes() == old
    assert sorted(p.name for p in isolated_environment.parent.iterdir()) == ["commitments.json"]
    result = run("update", "rcep", "--note", "The first write.")
    assert result.exit_code == 0, result.stderr
    (backup,) = isolated_environment.parent.glob("commitments.json.*.bak")
    assert result.stderr == (
        f"tracker: migrated {isolated_environment} from schema version 1 to {SCHEMA_VERSION}; the old file is kept at "
        f"{backup}\n"
    )
    assert backup.read_bytes() == old
    text = isolated_environment.read_text(encoding="utf-8")
    assert json.loads(text)["_meta"] == {"1": {"schema_version": SCHEMA_VERSION}}
    assert dump_database(parse_database(text, "x")) == text
    assert record(isolated_environment, "rcep-signing")["history"][-1]["note"] == "The first write."
    assert run("undo", "--yes").exit_code == 0
    migrated = {c["id"]: c for c in load(isolated_environment)["commitments"]}
    assert migrated == {c["id"]: c for c in parse_database(old.decode(), "old")}


def test_a_file_of_a_newer_schema_version_is_refused_with_upgrade_tracker(run: Run, db_path: Path) -> None:
    document = json.loads(db_path.read_text(encoding="utf-8"))
    document["_meta"]["1"]["schema_version"] = SCHEMA_VERSION + 1
    db_path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    original = db_path.read_bytes()
    for command in (["list"], ["update", "rcep", "--note", "x"]):
        result = run(*command)
        assert result.exit_code == 1
        assert result.stderr == (
            f"tracker: error: {db_path} has schema version {SCHEMA_VERSION + 1}, newer than this tracker knows "
            f"({SCHEMA_VERSION}); upgrade tracker\n"
        )
    assert db_path.read_bytes() == original


@pytest.mark.parametrize("meta", [{}, {"1": {}}, {"1": {"schema_version": "2"}}, {"1": {"schema_version": 0}}])
def test_a_file_without_a_valid_schema_version_is_refused(run: Run, db_path: Path, meta: object) -> None:
    document = json.loads(db_path.read_text(encoding="utf-8"))
    document["_meta"] = meta
    db_path.write_text(json.dumps(document), encoding="utf-8")
    result = run("list")
    assert result.exit_code == 1
    assert "schema version" in result.stderr


def test_parse_names_a_duplicate_id_under_two_document_ids(db_path: Path) -> None:
    document = json.loads(db_path.read_text(encoding="utf-8"))
    first = next(iter(document["commitments"].values()))
    document["commitments"]["1"] = first
    with pytest.raises(DatabaseError, match=f"id '{first['id']}' appears more than once"):
        parse_database(json.dumps(document), "x")


# --- two copies, merged with git ------------------------------------------------------------------------------


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@example.org",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", *args], cwd=repository, env=environment, capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_two_branches_that_each_add_and_update_merge_without_conflict(run: Run, tmp_path: Path) -> None:
    repository = tmp_path / "team"
    repository.mkdir()
    database = repository / "commitments.json"
    assert _git(repository, "init", "-q", "-b", "main").returncode == 0
    assert run("--db", str(database), "init").exit_code == 0
    (repository / ".gitignore").write_text("*.lock\n*.undo\n*.index\n*.bak\n", encoding="utf-8")
    assert _git(repository, "add", ".").returncode == 0
    assert _git(repository, "commit", "-q", "-m", "start").returncode == 0
    work = {
        "seoul": (["--title", "Open an ASEAN-ROK centre in Seoul", "--id", "seoul-centre"], "rcep-signing"),
        "jakarta": (["--title", "Hold a youth forum in Jakarta", "--id", "jakarta-youth-forum"], "cooperation-fund"),
    }
    for branch, (added, updated) in work.items():
        assert _git(repository, "checkout", "-q", "-b", branch, "main").returncode == 0
        result = run(
            "--db", str(database), "add", *added, "--kind", "pledge", "--actor", "ROK", "--pillar", "socio-cultural"
        )
        assert result.exit_code == 0, result.stderr
        result = run("--db", str(database), "update", updated, "--note", f"From {branch}.", "--date", "2021-01-05")
        assert result.exit_code == 0, result.stderr
        assert _git(repository, "commit", "-q", "-am", branch).returncode == 0
    assert _git(repository, "checkout", "-q", "main").returncode == 0
    assert _git(repository, "merge", "-q", "--no-edit", "seoul").returncode == 0
    merged = _git(repository, "merge", "--no-edit", "jakarta")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout
    commitments = {c["id"]: c for c in Store(database).load()}
    assert {"seoul-centre", "jakarta-youth-forum"} <= set(commitments)
    assert commitments["rcep-signing"]["history"][-1]["note"] == "From seoul."
    assert commitments["cooperation-fund"]["history"][-1]["note"] == "From jakarta."
    text = database.read_text(encoding="utf-8")
    assert dump_database(parse_database(text, "x")) == text  # the merge is itself the canonical file
