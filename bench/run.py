"""Time tracker commands on the bundled data and on generated data sets, as ratios measured in one run.

Usage: python bench/run.py [--sizes 1000 10000 100000] [--repeat 5] [--workdir DIR]

For each data set it runs every command `--repeat` times as a real process (stdout to a pipe that is drained) and
reports the median wall time and the peak memory (maximum resident set size) of the process. Ratios compare
commands measured in this same run: against the same command on the bundled data, against the bare interpreter
(`python -c pass`) and against a plain `json.load` of the same file. The first command on a data set (which
validates the whole file, lays it out and writes its index) is a write, reported on its own as "first write".
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
TRACKER = str(Path(PYTHON).with_name("tracker"))


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one run of `command`, its output read and thrown away."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    while process.stdout.read(1 << 20):
        pass
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    return elapsed, usage.ru_maxrss / 1024


def two_versions(description: str | None) -> argparse.ArgumentParser:
    """The arguments of a bench that compares two installed versions (their `tracker` executables) on a copy each of
    one data file, with one of its ids."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("database", type=Path)
    parser.add_argument("some_id")
    return parser


def median_run(command: list[str], env: dict[str, str], repeat: int) -> tuple[float, float]:
    runs = [measure(command, env) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def commands(database: Path, some_id: str) -> dict[str, list[str]]:
    return {
        "bare interpreter": [PYTHON, "-c", "pass"],
        "import typer": [PYTHON, "-c", "import typer"],
        "json.load of the file": [PYTHON, "-c", f"import json; json.load(open({str(database)!r}, 'rb'))"],
        "list": [TRACKER, "list"],
        "list --status fulfilled": [TRACKER, "list", "--status", "fulfilled"],
        "show": [TRACKER, "show", some_id],
        "update": [TRACKER, "update", some_id, "--note", "benchmark", "--force"],
        "report": [TRACKER, "report"],
        "export": [TRACKER, "export"],
    }


def prepare(size: int | None, workdir: Path) -> tuple[Path, str]:
    """A fresh working copy of the data set of `size` commitments (None: the bundled one) and an id in it."""
    work = workdir / f"work-{size or 'bundled'}.json"
    for leftover in workdir.glob(f"{work.name}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    if size is None:
        subprocess.run([TRACKER, "--db", str(work), "init"], check=True, capture_output=True)
        return work, "rcep-signing"
    source = workdir / f"data-{size}.json"
    if not source.exists():
        subprocess.run([PYTHON, str(HERE / "generate.py"), str(size), str(source)], check=True)
    shutil.copyfile(source, work)
    return work, f"commitment-{size // 2:06d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tracker-bench"))
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str | int, dict[str, tuple[float, float]]] = {}
    print("| data set | command | median s | x bundled | x bare | x json.load | peak MiB |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for size in [None, *arguments.sizes]:
        label: str | int = size or "bundled"
        database, some_id = prepare(size, arguments.workdir)
        env = {**os.environ, "TRACKER_DB": str(database), "TRACKER_LOCK_TIMEOUT": "600"}
        first = measure([TRACKER, "update", some_id, "--note", "first write"], env)
        results[label] = {"first write": first}
        for name, command in commands(database, some_id).items():
            results[label][name] = median_run(command, env, arguments.repeat)
        bare = results[label]["bare interpreter"][0]
        plain = results[label]["json.load of the file"][0]
        for name, (seconds, peak) in results[label].items():
            base = results["bundled"].get(name, (float("nan"), 0))[0]
            print(
                f"| {label} | {name} | {seconds:.3f} | {seconds / base:.2f} | {seconds / bare:.1f} | "
                f"{seconds / plain:.2f} | {peak:.0f} |",
                flush=True,
            )
    bundled = results["bundled"]
    print()
    print(f"tracker list / import typer, bundled data: {bundled['list'][0] / bundled['import typer'][0]:.2f}")


if __name__ == "__main__":
    main()
