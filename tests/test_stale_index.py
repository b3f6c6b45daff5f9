"""A full read after the data file changed (an edit by hand, a git merge, a copy from elsewhere) takes what the
earlier index knew of every commitment whose bytes are the same, and parses and checks only the others."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
import stat
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tracker.files
import tracker.index
import tracker.layout
import tracker.parallel
from tests.conftest import Run, digested, index_digests, write_large_database
from tracker.files import key_path, private_key
from tracker.index import DIGEST, NO_DIGEST, Keyed, open_index, signature
from tracker.layout import FOOTER, HEADER, parse_database
from tracker.store import Store


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The numbers of the records that full reads in this process parse and check, in order."""
    numbers: list[int] = []
    original: Callable[..., Any] = tracker.layout._record_at

    def counting(data: bytes, spans: Any, number: int, *rest: Any) -> Any:
        numbers.append(number)
        return original(data, spans, number, *rest)

    monkeypatch.setattr(tracker.layout, "_record_at", counting)
    return numbers


def _index_file(store: Store) -> tuple[Any, ...]:
    """What the index beside the file says of it, section by section, summaries unpacked (see test_store)."""
    index = open_index(store.index_path, signature(store.path.stat()))
    assert index is not None, "the index does not describe the file"
    try:
        links = index.read(index.links_at, 17 * index.links)
        starts = list(index.starts(len(HEADER), len(FOOTER)))
        return index.rows(), starts, index.sorted_ids(), index.summaries(), links, index.digests()
    finally:
        index.close()


def _as_if_read_afresh(store: Store) -> tuple[Any, ...]:
    """The index of the file as it is that a read which parses, checks and digests every record writes (the index
    that was there is put back)."""
    kept = store.index_path.with_name("kept")
    shutil.copyfile(store.index_path, kept)
    store.index_path.unlink()
    digested(store)
    written = _index_file(store)
    os.replace(kept, store.index_path)
    return written


def _replace_once(path: Path, old: bytes, new: bytes, start: int = 0) -> None:
    data = path.read_bytes()
    at = data.index(old, start)
    path.write_bytes(data[:at] + new + data[at + len(old) :])


def test_an_edit_by_hand_has_only_the_commitment_it_changed_parsed_again(store: Store, parsed: list[int]) -> None:
    digested(store)
    _replace_once(store.path, b'"title": "Sign the Regional', b'"title": "Edited: Regional')
    expected = _as_if_read_afresh(store)
    parsed.clear()
    commitments = store.load()
    assert len(parsed) == 1
    assert next(c for c in commitments if c["id"] == "rcep-signing")["title"].startswith("Edited: ")
    assert commitments == sorted(parse_database(store.path.read_text(encoding="utf-8"), "x"), key=lambda c: c["id"])
    assert _index_file(store) == expected  # the edited summary, title link and digest included
    parsed.clear()
    store.load()
    assert parsed == []  # the index written describes the file


def test_a_file_whose_bytes_are_the_same_has_nothing_parsed_again(store: Store, parsed: list[int]) -> None:
    digested(store)
    before = _index_file(store)
    os.utime(store.path)  # `touch`; a git checkout of the same bytes; a copy back
    parsed.clear()
    store.load()
    assert parsed == []
    assert _index_file(store) == before


def test_a_first_read_digests_no_record_and_the_next_full_read_and_every_write_digest_them(store: Store) -> None:
    store.load()  # no index to draw on: as fast as a read that keeps no digest
    assert index_digests(store)[0] == bytes(DIGEST * 18)
    digested(store)
    held, expected = index_digests(store)
    assert held == expected
    assert NO_DIGEST not in {held[at : at + DIGEST] for at in range(0, len(held), DIGEST)}
    data = store.path.read_bytes()
    plain = hashlib.sha256(data[len(HEADER) : data.index(b"\n    }") + 6]).digest()[:DIGEST]
    assert plain not in held  # keyed: not what anyone could compute from the file alone
    with store.transaction("one changed, one added") as transaction:
        fund = transaction.get("cooperation-fund")
        transaction.put({**fund, "summary": "Changed."})
        transaction.put({**fund, "id": "aaa-first", "title": "Added"})
    held, expected = index_digests(store)
    assert held == expected
    assert len(held) == DIGEST * 19
    document = json.loads(store.path.read_text(encoding="utf-8"))
    store.path.write_text(json.dumps(document, indent=4), encoding="utf-8")  # not the layout: written whole
    with store.transaction("written whole") as transaction:
        transaction.delete("aaa-first")
    held, expected = index_digests(store)
    assert held == expected
    assert len(held) == DIGEST * 18


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (b'"pillar": "economic"', b'"pillar": "economics"', "pillar"),
        (b'"weight": 1\n', b'"weight": 1,\n      "weight": 1\n', "weight"),
    ],
    ids=["rule", "key written twice"],
)
def test_a_commitment_broken_by_hand_is_caught_with_the_earlier_index_beside_the_file(
    run: Run, db_path: Path, old: bytes, new: bytes, words: str
) -> None:
    assert run("list").exit_code == 0  # indexed
    os.utime(db_path)
    assert run("list").exit_code == 0  # indexed again, every record digested: the index a change meets
    _replace_once(db_path, old, new)
    broken = db_path.read_bytes()
    for command in (["list"], ["show", "cooperation-fund"], ["update", "cooperation-fund", "--note", "x"]):
        result = run(*command)
        assert result.exit_code == 1, command
        assert words in result.stderr
        assert "Traceback" not in result.stderr
        assert db_path.read_bytes() == broken


def _index_region(store: Store, section: str) -> tuple[int, int]:
    index = open_index(store.index_path, signature(store.path.stat()))
    assert index is not None
    try:
        if section == "digests":
            return index.digests_at + DIGEST, index.digests_at + DIGEST * (index.count + 1)
        offsets = index.offsets()
        return index.summary_range(3, 4, offsets)
    finally:
        index.close()


@pytest.mark.parametrize("section", ["digests", "summary"])
def test_what_is_damaged_in_the_earlier_index_is_not_taken(store: Store, parsed: list[int], section: str) -> None:
    digested(store)
    begin, end = _index_region(store, section)
    damaged = bytearray(store.index_path.read_bytes())
    damaged[begin + (end - begin) // 2] ^= 0x55
    store.index_path.write_bytes(bytes(damaged))
    os.utime(store.path)
    expected = _as_if_read_afresh(store)
    store.index_path.write_bytes(bytes(damaged))
    parsed.clear()
    store.load()
    assert parsed == ([3] if section == "summary" else [(end - begin) // 2 // DIGEST])
    assert _index_file(store) == expected


def test_the_index_of_another_database_gives_only_the_commitments_written_alike(
    tmp_path: Path, parsed: list[int]
) -> None:
    first, second = Store(tmp_path / "first.json"), Store(tmp_path / "second.json")
    write_large_database(first.path, 2)
    write_large_database(second.path, 3)  # the same 36 commitments, and 18 more
    _replace_once(second.path, b'"note": "', b'"note": "Changed. ')
    digested(first)
    second.load()
    expected = _as_if_read_afresh(second)
    shutil.copyfile(first.index_path, second.index_path)  # the index of another file: its signature is not this one's
    parsed.clear()
    assert second.load() == sorted(parse_database(second.path.read_text(encoding="utf-8"), "x"), key=lambda c: c["id"])
    assert len(parsed) == 18 + 1
    assert _index_file(second) == expected


def test_a_summary_taken_from_the_earlier_index_is_checked_where_it_is_used(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    digested(store)
    os.utime(store.path)
    checked: list[str] = []
    original = tracker.index.unpack_summary

    def counting(packed: bytes, expected_id: str) -> Any:
        checked.append(expected_id)
        return original(packed, expected_id)

    monkeypatch.setattr(tracker.index, "unpack_summary", counting)
    with store.reading() as snapshot:
        snapshot.summaries()
    assert len(checked) == 18  # as a bulk read through any index on disk checks them
    store.index_path.unlink()
    checked.clear()
    with store.reading() as snapshot:
        snapshot.summaries()
    assert checked == []  # every record checked by this process: its own summaries


def test_an_index_rebuilt_in_parts_from_an_earlier_one_is_the_one_built_in_one(
    run: Run, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_large_database(isolated_environment, 4)
    index = isolated_environment.with_name(isolated_environment.name + ".index")
    assert run("list").exit_code == 0
    undigested = index.read_bytes()  # a first read's: no digest
    os.utime(isolated_environment)
    assert run("list").exit_code == 0  # every record digested
    earlier = index.read_bytes()
    text = isolated_environment.read_bytes()
    _replace_once(isolated_environment, b'"note": "', b'"note": "Changed. ', len(text) // 2)
    outcomes = []
    # The first: every record parsed and digested, in one process; then the same file read in one and in parts.
    for per_part, earlier_index in ((10**9, undigested), (10**9, earlier), (1, earlier)):
        monkeypatch.setattr(tracker.parallel, "PER_PART", per_part)
        monkeypatch.setattr(tracker.parallel, "_cores", lambda: 4)
        index.write_bytes(earlier_index)
        result = run("list")
        assert result.exit_code == 0, result.stderr
        outcomes.append((result.stdout, index.read_bytes()))
    assert outcomes[1] == outcomes[0]
    assert outcomes[2] == outcomes[0]
    assert outcomes[0][1] != earlier


def test_an_earlier_index_larger_than_its_file_could_have_had_is_not_read(store: Store, parsed: list[int]) -> None:
    digested(store)
    os.utime(store.path)
    size = store.index_path.stat().st_size
    assert tracker.index.stale_index(store.index_path, (size - 4096) // 2, store.keyed) is not None
    assert (
        tracker.index.stale_index(store.index_path, (size - 4096) // 2 - 1, store.keyed) is None
    )  # not read: too large
    store.path.write_bytes(store.path.read_bytes())
    parsed.clear()
    store.load()
    assert parsed == []


def test_an_index_made_by_another_user_vouches_for_nothing(
    store: Store, parsed: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data file and its index brought from elsewhere (a folder copied whole, a repository that holds the index):
    its digests were made with another key, so every record is parsed and checked, and a summary it holds that
    does not match its record (forged) is never shown."""
    digested(store)
    os.utime(store.path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "someone else"))
    parsed.clear()
    foreign = Store(store.path)
    assert foreign.load() == sorted(parse_database(store.path.read_text(encoding="utf-8"), "x"), key=lambda c: c["id"])
    assert len(parsed) == 18
    held, _ = index_digests(foreign)
    assert held == bytes(DIGEST * 18)  # read as if there were no index: nothing digested, nothing more paid


def test_the_private_key_is_made_once_for_its_owner_and_never_made_over_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "data" / "tracker" / "cache-key"
    key = private_key(path)
    assert key is not None
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert private_key(path) == key
    path.write_bytes(b"short")
    assert private_key(path) is None  # not a key: left as it is, and nothing is keyed
    assert path.read_bytes() == b"short"
    path.unlink()
    again = private_key(path)
    assert again is not None
    assert again != key
    assert Keyed(key).digest(b"x", b"", []) != Keyed(again).digest(b"x", b"", [])
    assert Keyed(key).check != Keyed(again).check
    assert key_path().parent == Path(os.environ["XDG_DATA_HOME"]) / "tracker"


def test_without_a_private_key_nothing_is_taken_and_nothing_fails(
    store: Store, parsed: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not a folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))  # the key cannot be made under a file
    assert private_key(key_path()) is None
    keyless = Store(store.path)
    digested(keyless)  # the second read would digest every record, given a key
    assert index_digests(keyless)[0] == bytes(DIGEST * 18)
    os.utime(store.path)
    parsed.clear()
    Store(store.path).load()
    assert len(parsed) == 18


def _forge_summary(store: Store, number: int) -> None:
    """Change one letter of the title in the packed summary of record `number` of the index, its CRC-32 made anew:
    what anyone holding the index (committed by mistake, in a shared folder) could do without the key."""
    index = open_index(store.index_path, signature(store.path.stat()))
    assert index is not None
    try:
        begin, end = index.summary_range(number, number + 1, index.offsets())
    finally:
        index.close()
    data = bytearray(store.index_path.read_bytes())
    packed = bytes(data[begin : end - 4])
    title = next(s for s in marshal.loads(packed) if isinstance(s, str) and len(s) > 20)
    forged = packed.replace(title.encode()[:8], b"FORGED: ", 1)
    assert forged != packed
    data[begin:end] = forged + zlib.crc32(forged).to_bytes(4, "little")
    store.index_path.write_bytes(bytes(data))


def test_a_summary_changed_in_the_earlier_index_is_not_taken_though_its_crc_holds(
    run: Run, store: Store, parsed: list[int]
) -> None:
    digested(store)
    _forge_summary(store, 3)
    os.utime(store.path)  # the file changes (a pull): the index, forged, is stale
    parsed.clear()
    store.load()
    assert parsed == [3]  # its digest does not match the forged entry: read and checked again
    assert "FORGED" not in run("list").stdout
    assert "FORGED" not in store.index_path.read_bytes().decode("latin-1")


def test_the_key_is_never_made_over_a_file_that_is_there(
    tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = key_path()  # a data file whose name is the key's
    monkeypatch.setenv("TRACKER_DB", str(database))
    database.parent.mkdir(parents=True)
    assert run("init").exit_code == 0
    assert run("list").exit_code == 0
    os.utime(database)
    before = database.read_bytes()
    assert run("list").exit_code == 0  # a full read with an earlier index at hand: it asks for the key
    assert database.read_bytes() == before
    assert run("update", "rcep-signing", "--note", "still a database").exit_code == 0
    assert "still a database" in run("show", "rcep-signing").stdout
    assert private_key(database) is None


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_that_others_may_read_or_write_is_not_used(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "cache-key"
    key = private_key(path)
    assert key is not None
    os.chmod(path, mode)
    assert private_key(path) is None
    assert path.read_bytes() == key  # left as it is


def test_a_key_made_by_another_process_meanwhile_is_the_one_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache-key"
    theirs = os.urandom(32)
    original = tracker.files.prepare

    def racing(*arguments: Any, **keywords: Any) -> Any:
        prepared = original(*arguments, **keywords)
        path.write_bytes(theirs)  # the other process links its key to the name first
        os.chmod(path, 0o600)
        return prepared

    monkeypatch.setattr(tracker.files, "prepare", racing)
    assert private_key(path) == theirs
    assert [p.name for p in tmp_path.iterdir()] == ["cache-key"]  # no temporary file left


def test_an_index_that_was_a_link_is_replaced_by_a_file_with_the_mode_of_a_new_one(store: Store) -> None:
    target = store.path.with_name("open to all")
    target.write_bytes(b"")
    os.chmod(target, 0o666)
    store.index_path.symlink_to(target)
    old = os.umask(0o022)
    try:
        store.load()
    finally:
        os.umask(old)
    assert not store.index_path.is_symlink()
    assert stat.S_IMODE(store.index_path.stat().st_mode) == 0o644
    assert target.read_bytes() == b""


def test_where_files_have_no_owner_the_key_is_used_as_it_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache-key"
    key = private_key(path)
    os.chmod(path, 0o644)
    monkeypatch.delattr(os, "geteuid")  # Windows: no owner nor mode bits to ask about
    assert private_key(path) == key


def test_a_record_whose_latest_event_is_now_in_the_future_is_checked_again(
    store: Store, parsed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index made while the clock ran fast vouches for no date that is in the future now: such a record is
    parsed and checked, and the rule says what is wrong with it."""
    with store.transaction("a later event") as transaction:
        fund = transaction.get("cooperation-fund")
        fund["history"].append({**fund["history"][-1], "date": "2021-03-01", "note": "Later."})
        transaction.put(fund)
    digested(store)
    os.utime(store.path)
    monkeypatch.setattr(tracker.index, "future_bound", lambda: "2020-12-31")  # today, as the taking sees it
    parsed.clear()
    store.load()
    index = open_index(store.index_path, signature(store.path.stat()))
    assert index is not None
    try:
        assert parsed == [index.rows()[1].index("cooperation-fund")]  # the only record dated after that day
    finally:
        index.close()


def test_the_key_is_not_made_in_a_folder_of_another_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "someone"
    home.mkdir()
    monkeypatch.setattr(os, "geteuid", lambda: home.stat().st_uid + 1)  # as root with that user's HOME (sudo -E)
    assert private_key(home / ".local" / "share" / "tracker" / "cache-key") is None
    assert list(home.iterdir()) == []


def test_a_write_into_an_index_with_no_digest_makes_none_but_seals_it(store: Store) -> None:
    store.load()  # a first read's index: no digest
    with store.transaction("one changed") as transaction:
        fund = transaction.get("cooperation-fund")
        transaction.put({**fund, "summary": "Changed."})
    assert index_digests(store)[0] == bytes(DIGEST * 18)
    index = open_index(store.index_path, signature(store.path.stat()))
    assert index is not None
    try:
        index.check_for_write(len(HEADER), len(FOOTER), Keyed(private_key(key_path())))  # the key made to seal it
    finally:
        index.close()


@pytest.mark.parametrize("kind", ["fifo", "link", "folder"])
def test_a_key_that_is_not_a_regular_file_is_not_used_nor_waited_on(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "cache-key"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        target = tmp_path / "elsewhere"
        target.write_bytes(os.urandom(32))
        os.chmod(target, 0o600)
        path.symlink_to(target)
    else:
        path.mkdir()
    assert private_key(path) is None
    assert path.is_symlink() if kind == "link" else path.exists()  # left as it is
