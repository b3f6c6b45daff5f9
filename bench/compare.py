"""Compare two installed versions of tracker on the same data set, interleaved, as ratios measured in one run.

Usage: python bench/compare.py OLD_TRACKER NEW_TRACKER [--size 100000] [--repeat 9] [--workdir DIR] [--reformatted]

OLD_TRACKER and NEW_TRACKER are the `tracker` executables of two virtual environments (e.g. one with the last
release installed, one with the working tree). Each gets its own copy of the data set (their indexes may differ),
laid out by a first write (so a file of an older schema version is migrated by the version that reads it). Then
every command runs `--repeat` times for each version, the two versions alternating run by run, and the table gives
min and median wall time for each and the new/old ratio of medians.

With --reformatted, the data file is written as compact JSON instead (as a script, or TinyDB itself, might write
it: not the canonical layout), so that every command reads and checks it whole through the model's rules; only the
commands that read are timed (a write would lay the file out again).
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

_RUNS = itertools.count()  # each update records a new note: the same event twice is refused

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import measure  # noqa: E402


def commands(tracker: str, some_id: str) -> dict[str, list[str]]:
    return {
        "list": [tracker, "list"],
        "show": [tracker, "show", some_id],
        "update": [tracker, "update", some_id, "--note", f"benchmark {next(_RUNS)}"],
        "report --format json": [tracker, "report", "--format", "json"],
        "export": [tracker, "export"],
        "export --format csv": [tracker, "export", "--format", "csv"],
        "export --format csv --events": [tracker, "export", "--format", "csv", "--events"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--workdir", type=Path, default=HERE / "data")
    parser.add_argument("--reformatted", action="store_true", help="time reads of a file not in the canonical layout")
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    source = arguments.workdir / f"data-{arguments.size}.json"
    if not source.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(arguments.size), str(source)], check=True)
    some_id = f"commitment-{arguments.size // 2:06d}"
    versions = {"old": arguments.old, "new": arguments.new}
    environments = {}
    for name, tracker in versions.items():
        folder = arguments.workdir / f"compare-{name}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        database = folder / "commitments.json"
        shutil.copyfile(source, database)
        environments[name] = {"PATH": "/usr/bin:/bin", "TRACKER_DB": str(database), "HOME": str(folder)}
        # A first write: each version lays the file out as it does (an older schema version is migrated).
        cold, memory = measure([tracker, "update", some_id, "--note", "first write"], environments[name])
        print(f"{name}: first write (file laid out, index written) {cold:.3f} s, {memory:.0f} MiB", flush=True)
        if arguments.reformatted:
            database.write_text(json.dumps(json.loads(database.read_text(encoding="utf-8"))), encoding="utf-8")
    labels = [label for label in commands("tracker", some_id) if not arguments.reformatted or label != "update"]

    print(f"\n{arguments.size:,} commitments, {arguments.repeat} runs each, interleaved\n")
    print("| command | old min s | old median s | new min s | new median s | new / old (medians) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label in labels:
        times: dict[str, list[float]] = {"old": [], "new": []}
        for _ in range(arguments.repeat):
            for name, tracker in versions.items():
                times[name].append(measure(commands(tracker, some_id)[label], environments[name])[0])
        old, new = times["old"], times["new"]
        ratio = statistics.median(new) / statistics.median(old)
        print(
            f"| {label} | {min(old):.3f} | {statistics.median(old):.3f} | {min(new):.3f} | "
            f"{statistics.median(new):.3f} | {ratio:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
