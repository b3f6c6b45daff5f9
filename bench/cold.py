"""The first command after the index no longer describes the data file, for two installed versions of tracker,
interleaved: the index deleted, or left behind by a change made elsewhere (the file touched, or one record edited
by hand, as a git checkout or merge does). Each timed command reads and checks the file and writes the index again.

Usage: python bench/cold.py OLD_TRACKER NEW_TRACKER DATABASE SOME_ID [--after deleted touched edited]
       [--commands show list report] [--repeat 5] [--workdir DIR]

DATABASE is a data file in the canonical layout (a first write has laid it out), e.g. `generate.py --current`'s.
Each version works on its own copy in the work folder, with its own index. Before each timed run (not timed): with
`deleted`, the index is removed; with `touched`, the index that a second full read wrote (the first, with no
index at hand, digests no record) is put back and the file's modification time set to now; with `edited`, that
index is put back and one letter of a note in the middle of the file is changed to one of two others, run by run
(the size stays; the bytes differ from the indexed ones). A version that cannot use the earlier index reads the
file as if it had none. The table gives, for each case and command, min and median wall time and peak memory of
each version, and the ratio of medians.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import measure, two_versions  # noqa: E402

COMMANDS = {
    "show": ["show", "SOME_ID"],
    "list": ["list"],
    "report": ["report", "--format", "json"],
    "export-csv": ["export", "--format", "csv"],
}
CASES = ("deleted", "touched", "edited")


def _flip_a_letter(path: Path, at: int, letters: bytes) -> None:
    """Change the letter at byte `at` (a letter of a note) to the other of two `letters`, in place."""
    with path.open("r+b") as file:
        file.seek(at)
        letter = file.read(1)
        file.seek(at)
        file.write(letters[1:] if letter == letters[:1] else letters[:1])


def _a_letter_of_a_note(path: Path) -> int:
    data = path.read_bytes()
    at = data.index(b'"note": "', len(data) // 2) + len(b'"note": "')
    while not data[at : at + 1].isalpha():
        at += 1
    return at


def main() -> None:
    parser = two_versions(__doc__)
    parser.add_argument("--after", nargs="+", choices=CASES, default=["deleted"])
    parser.add_argument("--commands", nargs="+", choices=sorted(COMMANDS), default=["show", "list", "report"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tracker-bench-cold"))
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    versions = {"old": str(arguments.old), "new": str(arguments.new)}
    copies, earlier, env = {}, {}, {}
    for name, tracker in versions.items():
        copy = arguments.workdir / f"{name}.json"
        index = copy.with_name(copy.name + ".index")
        shutil.copyfile(arguments.database, copy)
        index.unlink(missing_ok=True)
        env[name] = {"PATH": "/usr/bin:/bin", "HOME": str(arguments.workdir), "TRACKER_DB": str(copy)}
        measure([tracker, "show", arguments.some_id], env[name])  # the index, as this version writes it
        os.utime(copy)
        measure([tracker, "show", arguments.some_id], env[name])  # and again, with that one at hand (digested)
        shutil.copyfile(index, arguments.workdir / f"{name}.earlier-index")
        copies[name], earlier[name] = copy, arguments.workdir / f"{name}.earlier-index"
    letter = _a_letter_of_a_note(copies["new"])
    original = copies["new"].read_bytes()[letter : letter + 1]
    letters = bytes(c for c in b"aeio" if c != original[0])[:2]
    times: dict[tuple[str, str, str], list[float]] = {}
    memory: dict[tuple[str, str, str], float] = {}
    for _ in range(arguments.repeat):
        for case in arguments.after:
            for command in arguments.commands:
                words = [arguments.some_id if word == "SOME_ID" else word for word in COMMANDS[command]]
                for name, tracker in versions.items():
                    copy = copies[name]
                    index = copy.with_name(copy.name + ".index")
                    index.unlink(missing_ok=True)
                    if case != "deleted":
                        shutil.copyfile(earlier[name], index)
                        if case == "edited":
                            _flip_a_letter(copy, letter, letters)
                        os.utime(copy)
                    elapsed, peak = measure([tracker, *words], env[name])
                    times.setdefault((case, command, name), []).append(elapsed)
                    memory[case, command, name] = max(memory.get((case, command, name), 0.0), peak)
    size = arguments.database.stat().st_size / 1e6
    print(f"{arguments.database.name} ({size:.0f} MB), {arguments.repeat} runs each, interleaved\n")
    print("| index | command | old min s | old median s | new min s | new median s | new MiB | new / old (medians) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for case in arguments.after:
        for command in arguments.commands:
            old, new = times[case, command, "old"], times[case, command, "new"]
            shown = " ".join(COMMANDS[command]).replace("SOME_ID", "ID")
            print(
                f"| {case} | {shown} | {min(old):.3f} | {statistics.median(old):.3f} | {min(new):.3f} "
                f"| {statistics.median(new):.3f} | {memory[case, command, 'new']:.0f} "
                f"| {statistics.median(new) / statistics.median(old):.2f} |"
            )


if __name__ == "__main__":
    main()
