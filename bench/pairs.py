"""Ratios of pairs of commands measured interleaved in one run: `show` at N against `show` on the bundled data, and
`tracker list` on the bundled data against `python -c "import typer"`.

Usage: python bench/pairs.py DATABASE SOME_ID [--repeat 9] [--workdir DIR] [--against OTHER_TRACKER]

DATABASE is a data file already laid out by a first write (and indexed). Each pair runs `--repeat` times, the two
commands alternating, and the table gives min and median wall time of each and the ratio of medians and of mins.
With `--against`, the `tracker` executable of another build (another virtual environment, with the same Python and
the same versions of its dependencies) runs `list` on the bundled data too, in the same loop as the first pair: a
third row gives it against `import typer`, and a fourth the two builds against each other.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import PYTHON, TRACKER, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", type=Path)
    parser.add_argument("some_id")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tracker-bench"))
    parser.add_argument("--against", help="another build's tracker executable, for the start-up pair")
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    bundled = arguments.workdir / "pairs-bundled.json"
    for leftover in arguments.workdir.glob("pairs-bundled.json*"):
        subprocess.run(["rm", "-rf", str(leftover)], check=True)
    subprocess.run([TRACKER, "--db", str(bundled), "init"], check=True, capture_output=True)
    subprocess.run([TRACKER, "--db", str(bundled), "list"], check=True, capture_output=True)  # indexed
    env = {"PATH": "/usr/bin:/bin", "HOME": str(arguments.workdir)}
    pairs = {
        "show: large / bundled": (
            [TRACKER, "--db", str(arguments.database), "show", arguments.some_id],
            [TRACKER, "--db", str(bundled), "show", "rcep-signing"],
        ),
        "list on the bundled data / import typer": (
            [TRACKER, "--db", str(bundled), "list"],
            [PYTHON, "-c", "import typer"],
        ),
    }
    other = [arguments.against, "--db", str(bundled), "list"] if arguments.against else None
    print("| pair | first min s | first median s | second min s | second median s | ratio of medians | of mins |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, (first, second) in pairs.items():
        runs: list[list[str]] = [first, second] + ([other] if other and "typer" in label else [])
        times: list[list[float]] = [[] for _ in runs]
        for _ in range(arguments.repeat):
            for command, taken in zip(runs, times, strict=True):
                taken.append(measure(command, env)[0])
        rows = [(label, times[0], times[1])]
        if len(times) == 3:
            rows += [("list on the bundled data, other build / import typer", times[2], times[1])]
            rows += [("list on the bundled data, this build / other build", times[0], times[2])]
        for name, a, b in rows:
            print(
                f"| {name} | {min(a):.3f} | {statistics.median(a):.3f} | {min(b):.3f} | {statistics.median(b):.3f} | "
                f"{statistics.median(a) / statistics.median(b):.2f} | {min(a) / min(b):.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
