"""The floor under `tracker update` on a large file: what replacing the data file and its index atomically costs by
itself, measured against `tracker update`, interleaved.

Usage: python bench/write_floor.py DATABASE SOME_ID [--repeat 9]

DATABASE is a data file already laid out and indexed. The floor is a process that starts Python and does only what
an atomic replacement needs: copy the data file and its index to temporary files in the kernel (copy_file_range),
fsync each, rename each over itself and fsync the directory. `tracker update` does that too (with one record
changed), plus its own start-up, reading and checking, and its journal entry. Each pair runs `--repeat` times,
alternating, and the table gives min and median of each and the ratio of medians.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import PYTHON, TRACKER, measure  # noqa: E402

FLOOR = """
import os, sys
directory = os.path.dirname(os.path.abspath(sys.argv[1]))
for path in sys.argv[1:]:
    source = os.open(path, os.O_RDONLY)
    temp = path + ".floor-tmp"
    target = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    size, copied = os.fstat(source).st_size, 0
    while copied < size:
        copied += os.copy_file_range(source, target, size - copied, copied)
    os.fsync(target)
    os.close(target)
    os.close(source)
    os.replace(temp, path + ".floor")
folder = os.open(directory, os.O_RDONLY)
os.fsync(folder)
os.close(folder)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", type=Path)
    parser.add_argument("some_id")
    parser.add_argument("--repeat", type=int, default=9)
    arguments = parser.parse_args()
    database = arguments.database.resolve()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(database.parent), "TRACKER_DB": str(database)}
    notes = itertools.count()
    run_mark = time.strftime("%Y%m%dT%H%M%S")  # a note new to the file in each run, not a repeated event
    floor = [PYTHON, "-c", FLOOR, str(database), f"{database}.index"]
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(arguments.repeat):
        update = [TRACKER, "update", arguments.some_id, "--note", f"write floor {run_mark} {next(notes)}"]
        times[0].append(measure(update, env)[0])
        times[1].append(measure(floor, env)[0])
    for leftover in database.parent.glob(f"{database.name}*.floor"):
        leftover.unlink()
    a, b = times
    print("| pair | update min s | update median s | floor min s | floor median s | ratio of medians |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| `tracker update` / copy, fsync and rename of the file and its index | {min(a):.3f} | "
        f"{statistics.median(a):.3f} | {min(b):.3f} | {statistics.median(b):.3f} | "
        f"{statistics.median(a) / statistics.median(b):.2f} |"
    )


if __name__ == "__main__":
    main()
