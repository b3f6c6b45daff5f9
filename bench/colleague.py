"""A colleague's export: a data file's commitments with one in every N given a new event (the rest unchanged).

Usage: python bench/colleague.py DATA_FILE OUTPUT [--every 100]

For `imports.py --merge`: merging it into a database that holds DATA_FILE adds the new events to one commitment in
N and leaves the others as they are.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracker.layout import dump_database, parse_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_file", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--every", type=int, default=100)
    arguments = parser.parse_args()
    commitments = parse_database(arguments.data_file.read_text(encoding="utf-8"), str(arguments.data_file))
    for commitment in commitments[:: arguments.every]:
        day = max("2026-01-02", *(event["date"] for event in commitment["history"]))
        commitment["history"].append(
            {
                "date": day,
                "status": "in-progress",
                "note": "A colleague's finding.",
                "evidence": [],
                "recorded_at": "2026-01-02T00:00:00Z",
                "recorded_by": None,
                "actors": None,
                "by": None,
            }
        )
        commitment["status"] = "in-progress"
    arguments.output.write_text(dump_database(commitments), encoding="utf-8")


if __name__ == "__main__":
    main()
