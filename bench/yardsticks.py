"""tracker against yardsticks on one data set, each pair interleaved run by run, as ratios measured in one run.

Usage: python bench/yardsticks.py DATABASE [--repeat 9]

DATABASE is a data file already laid out and indexed (e.g. `python bench/generate.py 100000 F --current` and a
first `tracker --db F list`). The pairs:

- `tracker list` against `bench/reader.py list`, a minimal reader of the index;
- `tracker report --format json` against `bench/reader.py report`;
- `tracker export --format csv` against `jq -r '.commitments[] | [.id,.title,.status] | @csv' DATABASE`;
- the cold first command, `tracker show ID` right after the index is removed (the removal is not timed), against
  the same `show` with the index in place (ID is the commitment in the middle of the file).

The table gives min and median wall time of each, the ratio of medians and of mins, and the peak resident memory of
each (the largest of its runs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import PYTHON, TRACKER, measure  # noqa: E402

from tracker.index import open_index, signature  # noqa: E402

JQ_CSV = ".commitments[] | [.id,.title,.status] | @csv"


def middle_id(database: Path) -> str:
    index = open_index(Path(f"{database}.index"), signature(database.stat()))
    if index is None:
        raise SystemExit(f"{database} has no index that holds: run a first `tracker --db {database} list`")
    try:
        return index.row(index.count // 2)[1]
    finally:
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", type=Path)
    parser.add_argument("--repeat", type=int, default=9)
    arguments = parser.parse_args()
    database = arguments.database.resolve()
    index = Path(f"{database}.index")
    some_id = middle_id(database)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(database.parent), "TRACKER_DB": str(database)}
    reader = [PYTHON, str(HERE / "reader.py"), str(database)]
    no_setup: Callable[[], None] = lambda: None  # noqa: E731
    pairs = {
        "`tracker list` / `reader.py list`": ([TRACKER, "list"], [*reader, "list"], no_setup),
        "`tracker report --format json` / `reader.py report`": (
            [TRACKER, "report", "--format", "json"],
            [*reader, "report"],
            no_setup,
        ),
        "`tracker export --format csv` / jq to CSV": (
            [TRACKER, "export", "--format", "csv"],
            ["/usr/bin/jq", "-r", JQ_CSV, str(database)],
            no_setup,
        ),
        "`show`, index removed / `show`, indexed": ([TRACKER, "show", some_id],) * 2 + (index.unlink,),
    }
    print(f"{database.name}, {arguments.repeat} runs each, interleaved; `show` of {some_id}\n")
    print(
        "| pair | first min s | first median s | second min s | second median s | ratio of medians | of mins "
        "| first peak MiB | second peak MiB |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, (first, second, setup) in pairs.items():
        runs: tuple[list[tuple[float, float]], list[tuple[float, float]]] = ([], [])
        for _ in range(arguments.repeat):
            setup()  # before the first command only: the cold `show` rewrites the index the warm one then uses
            runs[0].append(measure(first, env))
            runs[1].append(measure(second, env))
        a, b = ([seconds for seconds, _ in r] for r in runs)
        a_peak, b_peak = (max(peak for _, peak in r) for r in runs)
        print(
            f"| {label} | {min(a):.3f} | {statistics.median(a):.3f} | {min(b):.3f} | {statistics.median(b):.3f} | "
            f"{statistics.median(a) / statistics.median(b):.2f} | {min(a) / min(b):.2f} | "
            f"{a_peak:.0f} | {b_peak:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
