"""Time `tracker trend` over 20 years by month on a large generated data set, against its target of 3 s.

Usage: python bench/trend.py [--size 100000] [--repeat 5] [--workdir DIR] [--tracker PATH]

The data is made by `generate.py` (schema version 1) and migrated by a first write, both once and kept in
`--workdir`. Each run of `tracker trend --from 2004-12-01 --to 2024-11-30 --format csv` (240 monthly periods,
stdout drained from a pipe) is timed as a real process; the script prints each run, the minimum and the median,
and its peak memory. It also checks the last period against `tracker report --as-of` on the same date.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import measure  # noqa: E402 - the same timing as the other benchmarks

START, END = "2004-12-01", "2024-11-30"  # 20 years; every generated event falls between them
TARGET = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tracker-bench"))
    parser.add_argument("--tracker", default=str(Path(sys.executable).with_name("tracker")))
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    data = arguments.workdir / f"data-{arguments.size}.json"
    env = {**os.environ, "TRACKER_DB": str(data)}
    if not data.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(arguments.size), str(data)], check=True)
        # The first write migrates schema version 1, lays the file out and writes the index.
        first = [arguments.tracker, "update", "commitment-000001", "--note", "first write", "--date", "2024-08-01"]
        subprocess.run(first, env=env, check=True, stdout=subprocess.DEVNULL)
    command = [arguments.tracker, "trend", "--from", START, "--to", END, "--format", "csv"]
    measure(command, env)  # warm the page cache
    runs = [measure(command, env) for _ in range(arguments.repeat)]
    seconds = [elapsed for elapsed, _ in runs]
    for number, (elapsed, memory) in enumerate(runs, start=1):
        print(f"run {number}: {elapsed:.3f} s, {memory:.0f} MiB")
    median = statistics.median(seconds)
    print(
        f"tracker trend, {arguments.size:,} commitments, {START} to {END} by month (240 periods): "
        f"min {min(seconds):.3f} s, median {median:.3f} s, peak {max(m for _, m in runs):.0f} MiB; "
        f"target {TARGET:.1f} s: {'met' if median < TARGET else 'MISSED'}"
    )
    rows = list(csv.DictReader(io.StringIO(subprocess.run(command, env=env, capture_output=True, text=True).stdout)))
    report = subprocess.run(
        [arguments.tracker, "report", "--as-of", END, "--format", "json"], env=env, capture_output=True, text=True
    )
    figures = json.loads(report.stdout)
    last = rows[-1]
    agree = int(last["total"]) == figures["total"] and int(last["assessed"]) == figures["score"]["assessed"]
    agree = agree and all(int(last[status]) == count for status, count in figures["by_status"].items())
    print(f"last period against 'tracker report --as-of {END}': {'the same' if agree else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
