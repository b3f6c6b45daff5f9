"""The first command after the index is lost (deleted, or left behind by a change made elsewhere), for two
installed versions of tracker, interleaved: each run removes the index (not timed), then times the command, which
reads and checks the whole file and writes the index again.

Usage: python bench/cold.py OLD_TRACKER NEW_TRACKER DATABASE SOME_ID [--commands show list report] [--repeat 5]

DATABASE is a data file in the canonical layout (a first write has laid it out), e.g. `generate.py --current`'s.
Both versions must read the same index version (they write it in turn). The table gives, for each command, min and
median wall time and peak memory of each version, and the ratio of medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import measure  # noqa: E402

COMMANDS = {
    "show": ["show", "SOME_ID"],
    "list": ["list"],
    "report": ["report", "--format", "json"],
    "export-csv": ["export", "--format", "csv"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("database", type=Path)
    parser.add_argument("some_id")
    parser.add_argument("--commands", nargs="+", choices=sorted(COMMANDS), default=["show", "list", "report"])
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    database = arguments.database.resolve()
    index = database.with_name(database.name + ".index")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(database.parent), "TRACKER_DB": str(database)}
    versions = {"old": str(arguments.old), "new": str(arguments.new)}
    times: dict[tuple[str, str], list[float]] = {}
    memory: dict[tuple[str, str], float] = {}
    for _ in range(arguments.repeat):
        for command in arguments.commands:
            words = [arguments.some_id if word == "SOME_ID" else word for word in COMMANDS[command]]
            for name, tracker in versions.items():
                index.unlink(missing_ok=True)
                elapsed, peak = measure([tracker, *words], env)
                times.setdefault((command, name), []).append(elapsed)
                memory[command, name] = max(memory.get((command, name), 0.0), peak)
    print(f"{database.name}, index removed before each run, {arguments.repeat} runs each, interleaved\n")
    print("| command | old min s | old median s | new min s | new median s | new MiB | new / old (medians) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for command in arguments.commands:
        old, new = times[command, "old"], times[command, "new"]
        print(
            f"| {' '.join(COMMANDS[command]).replace('SOME_ID', 'ID')} | {min(old):.3f} | {statistics.median(old):.3f} "
            f"| {min(new):.3f} | {statistics.median(new):.3f} | {memory[command, 'new']:.0f} "
            f"| {statistics.median(new) / statistics.median(old):.2f} |"
        )


if __name__ == "__main__":
    main()
