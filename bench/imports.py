"""`import` of a large export, `undo` of it, and `import` of it again into a database that holds it all, for two
installed versions of tracker, interleaved.

Usage: python bench/imports.py OLD_TRACKER NEW_TRACKER EXPORT [--into DATABASE] [--merge OTHER ...] [--repeat 3]
       [--workdir DIR]

EXPORT is a JSON export (or a data file: the format is the same), e.g. one of `generate.py`'s files laid out by a
first write. Each run copies DATABASE (default: an empty database) for each version, imports EXPORT into it, undoes
the import, imports it once more, and imports it again (every commitment merged, none changed), the two versions
alternating run by run; then, for each `--merge` export (the same commitments with some changed, say: see
`colleague.py`), it imports that into a copy of the database as it stands then. The table gives min and median wall
time and the peak memory of each step, and the run stops if an undo did not give the database back byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import measure  # noqa: E402


def _digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", help="the old version's tracker executable")
    parser.add_argument("new", help="the new version's tracker executable")
    parser.add_argument("export", type=Path)
    parser.add_argument("--into", type=Path, help="the database to import into (default: an empty one)")
    parser.add_argument("--merge", type=Path, nargs="*", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tracker-bench-imports"))
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(arguments.workdir)}
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(arguments.repeat):
        for name, tracker in (("old", arguments.old), ("new", arguments.new)):
            database = arguments.workdir / f"{name}.json"
            for leftover in arguments.workdir.glob(f"{name}.json*"):
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
            if arguments.into is None:
                subprocess.run([tracker, "--db", str(database), "init", "--empty"], check=True, capture_output=True)
            else:
                shutil.copyfile(arguments.into, database)
            subprocess.run([tracker, "--db", str(database), "list"], check=True, capture_output=True)  # indexed
            before = _digest(database)  # not the bytes: this process's memory would count in the tracker's peak
            import_it = [tracker, "--db", str(database), "import", str(arguments.export)]
            for step, command in (("import", import_it), ("undo", [tracker, "--db", str(database), "undo", "--yes"])):
                found.setdefault((step, name), []).append(measure(command, env))
            if _digest(database) != before:
                raise SystemExit(f"{name}: undo did not give the database back byte for byte")
            measure(import_it, env)
            found.setdefault(("import again (merged, unchanged)", name), []).append(measure(import_it, env))
            holding = arguments.workdir / f"{name}-holding.json"
            shutil.copyfile(database, holding)
            for other in arguments.merge:
                shutil.copyfile(holding, database)  # a new version: its index is read again, by a first `list`
                subprocess.run([tracker, "--db", str(database), "list"], check=True, capture_output=True)
                step = f"import {other.name} (merged)"
                found.setdefault((step, name), []).append(measure([*import_it[:-1], str(other)], env))
    print("| step | version | min s | median s | peak MiB |")
    print("| --- | --- | ---: | ---: | ---: |")
    for (step, name), runs in found.items():
        times = [elapsed for elapsed, _ in runs]
        peak = max(memory for _, memory in runs)
        print(f"| {step} | {name} | {min(times):.3f} | {statistics.median(times):.3f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
