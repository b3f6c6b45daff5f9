"""How each command's time grows with the number of commitments: growth exponents between data sets of rising size.

Usage: python bench/growth.py [--sizes 1000 10000 100000 1000000] [--repeat 5] [--repeat-large 3]
                              [--skip-large COMMAND ...] [--workdir /tmp/tracker-growth]

Each data set is generated with `generate.py N --current` (the current schema and layout), kept in the workdir as
`data-N-current.json`, and copied afresh to `work-N.json` for the run. Then, the sizes alternating run by run:

- "cold first read": `tracker show ID` right after the index is removed (the removal is not timed): it validates
  the whole file and writes the index;
- `show`, `update` (a new note each run: the same event twice is refused), `add` (a new id each run), `list`,
  `report --format json`, `export --format csv` and `scorecard --format json`, every one as a real process.

Sizes of 1,000,000 and more run `--repeat-large` times and leave out the `--skip-large` commands. The first table
gives min, median and peak resident memory (the largest of the runs) of each command at each size; the second the
growth exponent log(t2 / t1) / log(n2 / n1) of the medians between successive sizes, and from the first size to the
last. An exponent near 1 is linear; near 0 the start-up (about 0.1 s) is all there is to it.
"""

from __future__ import annotations

import argparse
import itertools
import math
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import PYTHON, TRACKER, measure  # noqa: E402

LARGE = 1_000_000
_RUNS = itertools.count()  # a new note and a new id each run


def commands(some_id: str) -> dict[str, list[str]]:
    run = next(_RUNS)
    add = ["add", "--title", f"Growth {run}", "--kind", "pledge", "--actor", "ROK", "--pillar", "economic"]
    return {
        "cold first read": [TRACKER, "show", some_id],
        "show": [TRACKER, "show", some_id],
        "update": [TRACKER, "update", some_id, "--note", f"growth {run}"],
        "add": [TRACKER, *add, "--id", f"growth-{run:06d}"],
        "list": [TRACKER, "list"],
        "report --format json": [TRACKER, "report", "--format", "json"],
        "export --format csv": [TRACKER, "export", "--format", "csv"],
        "scorecard --format json": [TRACKER, "scorecard", "--format", "json"],
    }


def prepare(size: int, workdir: Path) -> Path:
    """A fresh working copy of the generated data set of `size` commitments (generated once, then kept)."""
    source = workdir / f"data-{size}-current.json"
    if not source.exists():
        generate = [PYTHON, str(HERE / "generate.py"), str(size), str(source), "--current"]
        subprocess.run(generate, check=True, stdout=sys.stderr)  # stdout is the tables
    work = workdir / f"work-{size}.json"
    for leftover in workdir.glob(f"{work.name}*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    shutil.copyfile(source, work)
    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--repeat-large", type=int, default=3)
    parser.add_argument("--skip-large", nargs="*", default=[], metavar="COMMAND")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tracker-growth"))
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    sizes = sorted(arguments.sizes)
    databases = {size: prepare(size, arguments.workdir) for size in sizes}
    environments = {
        size: {"PATH": "/usr/bin:/bin", "HOME": str(arguments.workdir), "TRACKER_DB": str(database)}
        for size, database in databases.items()
    }
    some_id = {size: f"commitment-{size // 2:06d}" for size in sizes}
    names = list(commands("-"))
    runs: dict[tuple[int, str], list[tuple[float, float]]] = {(s, n): [] for s in sizes for n in names}
    for repetition in range(arguments.repeat):
        for size in sizes:
            large = size >= LARGE
            if large and repetition >= arguments.repeat_large:
                continue
            for name, command in commands(some_id[size]).items():
                if large and name in arguments.skip_large:
                    continue
                if name == "cold first read":
                    Path(f"{databases[size]}.index").unlink(missing_ok=True)
                runs[size, name].append(measure(command, environments[size]))
                seconds, peak = runs[size, name][-1]
                print(f"run {repetition + 1}, {size}: {name} {seconds:.3f} s, {peak:.0f} MiB", file=sys.stderr)
    medians: dict[tuple[int, str], float] = {}
    print("| commitments | command | runs | min s | median s | peak MiB |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for size, name in itertools.product(sizes, names):
        found = runs[size, name]
        if not found:
            print(f"| {size:,} | {name} | 0 | skipped | | |")
            continue
        times = [seconds for seconds, _ in found]
        medians[size, name] = statistics.median(times)
        print(
            f"| {size:,} | {name} | {len(times)} | {min(times):.3f} | {medians[size, name]:.3f} | "
            f"{max(peak for _, peak in found):.0f} |"
        )
    steps = [*itertools.pairwise(sizes), (sizes[0], sizes[-1])] if len(sizes) > 2 else list(itertools.pairwise(sizes))
    print()
    print("| command | " + " | ".join(f"{a:,} to {b:,}" for a, b in steps) + " |")
    print("| --- |" + " ---: |" * len(steps))
    for name in names:
        cells = [
            f"{math.log(medians[b, name] / medians[a, name]) / math.log(b / a):.2f}"
            if (a, name) in medians and (b, name) in medians
            else "-"
            for a, b in steps
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
