"""Compare two installed versions of tracker on one-record writes (`update`, `add`) to a large file, interleaved.

Usage: python bench/writes.py OLD_TRACKER NEW_TRACKER DATABASE SOME_ID [--repeat 9] [--workdir DIR]

DATABASE is a data file in the canonical layout (`generate.py N OUT --current`). Each version gets its own copy,
indexed by that version (a `show`, not timed; their indexes may differ), and its own HOME (so its own private key).
Then each command runs `--repeat` times for each version, the two alternating run by run, and the table gives min
and median wall time, the peak memory of each, and the new/old ratio of medians.
"""

from __future__ import annotations

import itertools
import shutil
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import measure, two_versions  # noqa: E402

_RUNS = itertools.count()  # each write records something new: the same event twice is refused


def _words(command: str, some_id: str) -> list[str]:
    number = next(_RUNS)
    if command == "update":
        return ["update", some_id, "--note", f"benchmark write {number}", "--force"]
    title = f"Benchmark commitment number {number}"
    return ["add", "--title", title, "--kind", "pledge", "--actor", "ROK", "--pillar", "economic"]


def main() -> None:
    parser = two_versions(__doc__)
    parser.add_argument("--commands", nargs="+", choices=["update", "add"], default=["update", "add"])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tracker-bench-writes"))
    arguments = parser.parse_args()
    versions = {"old": str(arguments.old), "new": str(arguments.new)}
    env = {}
    for name, tracker in versions.items():
        home = arguments.workdir / name
        home.mkdir(parents=True, exist_ok=True)
        copy = home / "commitments.json"
        shutil.copyfile(arguments.database, copy)
        copy.with_name(copy.name + ".index").unlink(missing_ok=True)
        env[name] = {"PATH": "/usr/bin:/bin", "HOME": str(home), "TRACKER_DB": str(copy)}
        measure([tracker, "show", arguments.some_id], env[name])  # the index, as this version writes it
    times: dict[tuple[str, str], list[float]] = {}
    memory: dict[tuple[str, str], float] = {}
    for _ in range(arguments.repeat):
        for command in arguments.commands:
            for name, tracker in versions.items():
                elapsed, peak = measure([tracker, *_words(command, arguments.some_id)], env[name])
                times.setdefault((command, name), []).append(elapsed)
                memory[command, name] = max(memory.get((command, name), 0.0), peak)
    size = arguments.database.stat().st_size / 1e6
    print(f"{arguments.database.name} ({size:.0f} MB), {arguments.repeat} runs each, interleaved\n")
    print("| command | old min s | old median s | new min s | new median s | old MiB | new MiB | new / old (medians) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for command in arguments.commands:
        old, new = times[command, "old"], times[command, "new"]
        print(
            f"| {command} | {min(old):.3f} | {statistics.median(old):.3f} | {min(new):.3f} "
            f"| {statistics.median(new):.3f} | {memory[command, 'old']:.0f} | {memory[command, 'new']:.0f} "
            f"| {statistics.median(new) / statistics.median(old):.2f} |"
        )


if __name__ == "__main__":
    main()
