"""A write copies records by the index's spans and places new ones by its keys: it trusts them only where the
index's seal, made with this user's key over its header and structure, proves them this tracker's own, for this
very version of the file; an index from anywhere else makes the write read the file whole. Without a key, every
start, key and offset is checked instead."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import tracker.index
import tracker.store
from tests.conftest import Run, record, write_large_database
from tracker.files import key_path, private_key
from tracker.index import HEADER_SIZE, Index, IndexDoubt, Keyed, open_index, read_index, sealed_head, signature
from tracker.layout import FOOTER, HEADER, dump_database, parse_database
from tracker.store import Store


@pytest.fixture
def full_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item for each time this process reads a data file whole."""
    reads: list[int] = []
    original = tracker.store.Store._read_whole

    def counting(self: Store, *args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(tracker.store.Store, "_read_whole", counting)
    return reads


def _trusted_for_a_write(store: Store, keyed: Keyed | None = None) -> bool:
    index = open_index(store.index_path, signature(store.path.stat()))
    if index is None:
        return False
    try:
        index.check_for_write(len(HEADER), len(FOOTER), keyed or store.keyed)
        return True
    except IndexDoubt:
        return False
    finally:
        index.close()


def _export_of(run: Run, db_path: Path, tmp_path: Path, count: int) -> Path:
    """A canonical export of `count` commitments the database does not hold."""
    source = tmp_path / f"export-{count}.json"
    write_large_database(source, 1)
    commitments = parse_database(source.read_text(encoding="utf-8"), "x")[:count]
    source.write_text(dump_database([{**c, "id": f"new-{c['id']}"} for c in commitments]), encoding="utf-8")
    return source


WRITES = [
    ["update", "rcep", "--note", "Signed in Hanoi."],
    ["add", "--title", "Host the 2021 Summit", "--kind", "pledge", "--actor", "ROK", "--pillar", "economic"],
    ["edit", "wto", "--title", "Support the WTO candidate"],
    ["remove", "wto", "--yes"],
    ["history", "rcep", "--edit", "1", "--note", "The statement."],
    ["undo", "--yes"],
    ["import"],
]


@pytest.mark.parametrize("command", WRITES, ids=[" ".join(c[:2]) for c in WRITES])
def test_every_write_seals_the_index_it_writes_and_the_next_write_trusts_it(
    run: Run, db_path: Path, tmp_path: Path, full_reads: list[int], command: list[str]
) -> None:
    assert run("update", "cooperation-fund", "--note", "Paid.").exit_code == 0  # something to undo
    if command == ["import"]:
        command = ["import", str(_export_of(run, db_path, tmp_path, 5))]
    done = run(*command)
    assert done.exit_code == 0, done.stderr
    store = Store(db_path)
    assert _trusted_for_a_write(store)
    full_reads.clear()
    assert run("update", "rcep", "--note", "Trusted.").exit_code == 0
    assert full_reads == []
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "Trusted."


def test_a_first_read_seals_the_index_it_writes(run: Run, db_path: Path, full_reads: list[int]) -> None:
    store = Store(db_path)
    assert run("list").exit_code == 0
    assert full_reads == [1]
    assert _trusted_for_a_write(store)
    assert run("update", "rcep", "--note", "Trusted.").exit_code == 0
    assert full_reads == [1]


def test_an_import_into_an_empty_database_seals_the_index(run: Run, db_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    assert run("--db", str(empty), "init", "--empty").exit_code == 0
    imported = run("--db", str(empty), "import", str(_export_of(run, db_path, tmp_path, 9)))
    assert imported.exit_code == 0, imported.stderr
    assert _trusted_for_a_write(Store(empty))


def _forge_a_commitment_away(store: Store, target: str) -> None:
    """An index consistent in every part that a write checks without the seal (keys in order, spans that tile the
    file, summaries in place) that says the file lacks `target`: its row and summary left out, the span before it
    stretched over its record. Written with the data file's exact signature, as anyone who can write the folder
    can; not sealed."""
    with store.reading():
        pass
    index = read_index(store.index_path, signature(store.path.stat()), len(HEADER), len(FOOTER))
    assert index is not None
    at = index.ids.index(target)
    assert 0 < at < len(index.ids) - 1
    spans = index.spans[:]
    spans[2 * at - 1] = spans[2 * at + 1]  # the one before ends where the target ended
    del spans[2 * at : 2 * at + 2]
    keys, ids, summaries = list(index.keys), list(index.ids), list(index.summaries)
    del keys[at], ids[at], summaries[at]
    store.index_path.write_bytes(Index(signature(store.path.stat()), keys, ids, spans, summaries).to_bytes())


def test_an_index_that_leaves_out_a_commitment_never_lets_an_import_write_its_key_twice(
    run: Run, db_path: Path, tmp_path: Path, full_reads: list[int]
) -> None:
    """The export as the tracker writes it: without the seal, copied in runs beside the file's records, the left-out
    commitment would stand twice under one key, and the file could not be read again."""
    store = Store(db_path)
    held = parse_database(db_path.read_text(encoding="utf-8"), "db")
    target = sorted(c["id"] for c in held)[5]
    _forge_a_commitment_away(store, target)
    source = tmp_path / "export.json"
    source.write_text(dump_database([c for c in held if c["id"] == target]), encoding="utf-8")
    full_reads.clear()
    imported = run("import", str(source))
    assert imported.exit_code == 0, imported.stderr
    assert "0 added, 0 updated, 1 unchanged" in imported.stdout
    assert full_reads == [1]
    text = db_path.read_text(encoding="utf-8")
    assert len(json.loads(text)["commitments"]) == len(held)
    assert text.count(f'"id": "{target}"') == 1
    assert _trusted_for_a_write(store)  # written again, sealed


def test_an_index_sealed_with_another_key_is_not_trusted_by_a_write(
    run: Run, db_path: Path, full_reads: list[int]
) -> None:
    store = Store(db_path)
    assert run("list").exit_code == 0
    data = store.index_path.read_bytes()
    theirs = Keyed(os.urandom(32))
    store.index_path.write_bytes(sealed_head(data, theirs) + data[HEADER_SIZE:])
    assert _trusted_for_a_write(store, theirs)
    assert not _trusted_for_a_write(store)
    full_reads.clear()
    assert run("update", "rcep", "--note", "Read whole.").exit_code == 0
    assert full_reads == [1]
    assert _trusted_for_a_write(store)


@pytest.mark.parametrize("where", ["a row", "a start", "a sorted id", "an offset", "the header's count"])
def test_one_byte_changed_in_what_the_seal_covers_breaks_it(run: Run, db_path: Path, where: str) -> None:
    from tracker.index import _HEAD, _sections

    store = Store(db_path)
    assert run("list").exit_code == 0
    data = bytearray(store.index_path.read_bytes())
    count = _HEAD.unpack_from(data)[7]
    sections = _sections(count)
    at = {
        "a row": sections[0] + 3,
        "a start": sections[1] + 8 * 5,
        "a sorted id": sections[2] + 1,
        "an offset": sections[3] + 8 * 7,
        "the header's count": 8 + 4 + 8 * 5,
    }[where]
    data[at] ^= 1
    store.index_path.write_bytes(bytes(data))
    assert not _trusted_for_a_write(store)


def test_without_a_key_every_write_reads_the_file_whole_and_no_forged_index_misleads_it(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_reads: list[int]
) -> None:
    """Nothing but the seal can tell an index forged to match the file from the tracker's own: without a key (a
    read-only home, a key others may read), a write trusts none."""
    blocked = tmp_path / "not a folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))  # the key cannot be made under a file
    assert private_key(key_path()) is None
    store = Store(db_path)
    assert run("list").exit_code == 0
    assert store.index_path.read_bytes()[HEADER_SIZE - 16 : HEADER_SIZE] == bytes(16)  # not sealed
    full_reads.clear()
    assert run("list").exit_code == 0
    assert full_reads == []  # a read goes through it
    assert run("update", "rcep", "--note", "Read whole.").exit_code == 0
    assert full_reads == [1]
    assert record(db_path, "rcep-signing")["history"][-1]["note"] == "Read whole."
    held = parse_database(db_path.read_text(encoding="utf-8"), "db")
    target = sorted(c["id"] for c in held)[5]
    _forge_a_commitment_away(store, target)
    source = tmp_path / "export.json"
    source.write_text(dump_database([c for c in held if c["id"] == target]), encoding="utf-8")
    imported = run("import", str(source))
    assert imported.exit_code == 0, imported.stderr
    assert "0 added, 0 updated, 1 unchanged" in imported.stdout
    assert db_path.read_text(encoding="utf-8").count(f'"id": "{target}"') == 1


def test_a_links_section_changed_breaks_the_seal(run: Run, db_path: Path, full_reads: list[int]) -> None:
    """A link left out (its place taken by a copy of its neighbour, still sorted) would lose `show`'s "replaces"
    line for good, carried by every write into the index it makes."""
    from tracker.index import LINK

    store = Store(db_path)
    assert run("update", "wto", "--status", "superseded", "--by", "rcep", "--note", "Merged.").exit_code == 0
    index = open_index(store.index_path, signature(db_path.stat()))
    assert index is not None
    at, links = index.links_at, index.links
    index.close()
    data = bytearray(store.index_path.read_bytes())
    successor = next(n for n in range(links) if data[at + LINK * n : at + LINK * n + 1] == b"s")
    begin = at + LINK * successor
    data[begin : begin + LINK] = data[begin - LINK : begin]  # still sorted
    store.index_path.write_bytes(bytes(data))
    assert not _trusted_for_a_write(store)
    full_reads.clear()
    assert run("update", "cooperation-fund", "--note", "Paid.").exit_code == 0
    assert full_reads == [1]
    assert "replaces" in run("show", "rcep").stdout


def _moved_in_place(index_path: Path, target: str) -> None:
    """Rewrite the index in place, consistent in itself: `target`'s row, start and summary offset moved one place
    on (over the next commitment's, which is left out), a made-up row where it stood."""
    import struct

    from tracker.index import _HEAD, KEY_WIDTH, ROW, _sections, row

    data = bytearray(index_path.read_bytes())
    count = _HEAD.unpack_from(data)[7]
    rows, starts, _, offsets, _ = _sections(count)

    def row_at(number: int) -> tuple[str, str]:
        raw = data[rows + ROW * number : rows + ROW * (number + 1)]
        return raw[:KEY_WIDTH].rstrip(b"\0").decode(), raw[KEY_WIDTH:].rstrip(b"\0").decode()

    at = next(number for number in range(count) if row_at(number)[1] == target)
    key = row_at(at)[0]
    assert row_at(at - 1)[0] < key[:-1]
    data[rows + ROW * at : rows + ROW * (at + 2)] = row(key[:-1], "made-up") + row(key, target)
    for section in (starts, offsets):
        numbers = list(struct.unpack_from(f"<{count + 1}q", data, section))
        numbers[at + 1], numbers[at + 2] = numbers[at], numbers[at + 1]
        struct.pack_into(f"<{count + 1}q", data, section, *numbers)
    with index_path.open("r+b") as file:
        file.write(data)


@pytest.mark.parametrize("command", [["remove", "TARGET", "--yes"], ["update", "TARGET", "--note", "Meddled."]])
def test_an_index_rewritten_in_place_after_its_seal_was_proved_never_misleads_the_write(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch, full_reads: list[int], command: list[str]
) -> None:
    """Someone rewrites the index in place once a write has proved its seal: the write, which then finds the
    commitment by the rewritten rows, would remove or replace the one after it. Its change time gives it away
    before the new file is put in place: the file is read whole and the write made on what it holds."""
    store = Store(db_path)
    assert run("list").exit_code == 0
    held = parse_database(db_path.read_text(encoding="utf-8"), "db")
    index = read_index(store.index_path, signature(db_path.stat()), len(HEADER), len(FOOTER))
    assert index is not None
    target = index.ids[5]
    original = tracker.index.IndexFile.check_for_write

    def meddling(self: tracker.index.IndexFile, *args: Any) -> None:
        original(self, *args)
        if not full_reads:
            _moved_in_place(store.index_path, target)

    monkeypatch.setattr(tracker.index.IndexFile, "check_for_write", meddling)
    full_reads.clear()
    done = run(*[target if word == "TARGET" else word for word in command])
    assert done.exit_code == 0, done.stderr
    assert full_reads == [1]
    after = {c["id"]: c for c in parse_database(db_path.read_text(encoding="utf-8"), "db")}
    assert len(after) == len(held) - (command[0] == "remove")
    assert (target in after) == (command[0] != "remove")
    for commitment in held:
        if commitment["id"] != target:
            assert after[commitment["id"]] == commitment
    monkeypatch.setattr(tracker.index.IndexFile, "check_for_write", original)
    assert _trusted_for_a_write(store)


def test_an_index_rewritten_in_place_during_an_import_is_not_sealed_into_the_new_one(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_reads: list[int]
) -> None:
    """An import of new commitments makes its index from the old one's rows, summaries and links, read after the
    seal was proved: a link left out meanwhile, in place, must not be sealed into the new index for good."""
    from tracker.index import LINK

    store = Store(db_path)
    assert run("update", "wto", "--status", "superseded", "--by", "rcep", "--note", "Merged.").exit_code == 0
    original = tracker.index.IndexFile.check_for_write

    def meddling(self: tracker.index.IndexFile, *args: Any) -> None:
        original(self, *args)
        if full_reads:
            return
        data = bytearray(store.index_path.read_bytes())
        successor = next(n for n in range(self.links) if data[self.links_at + LINK * n] == ord("s"))
        begin = self.links_at + LINK * successor
        data[begin : begin + LINK] = data[begin - LINK : begin]
        with store.index_path.open("r+b") as file:
            file.write(data)

    monkeypatch.setattr(tracker.index.IndexFile, "check_for_write", meddling)
    full_reads.clear()
    imported = run("import", str(_export_of(run, db_path, tmp_path, 3)))
    assert imported.exit_code == 0, imported.stderr
    assert "3 added" in imported.stdout
    assert full_reads == [1]
    monkeypatch.setattr(tracker.index.IndexFile, "check_for_write", original)
    assert "replaces" in run("show", "rcep").stdout
    assert _trusted_for_a_write(store)
