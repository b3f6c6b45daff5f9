"""Generate a tracker database of N realistic commitments, each with 2 to 5 events, for the benchmarks.

Usage: python bench/generate.py N OUTPUT.json [--seed S] [--current]

By default it writes schema version 1 (a list of commitments), which every version of tracker reads: a benchmark's
first write then lays the file out as the version under test does, migrating it where that version is newer.

With `--current` it writes the same commitments (for the same seed) in the installed tracker's current schema and
canonical layout: each commitment goes through `tracker.migrations.upgrade` on its own, in memory, and is written
by `tracker.layout.record_bytes` and `layout`, so that no slow and memory-hungry migrating first write is needed
(only the first read, which validates the file and writes its index). The file holds only the records' bytes
while it is built, about 2.3 GB for 1,000,000 commitments.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path

from tracker.layout import doc_id, doc_key, layout, record_bytes
from tracker.migrations import upgrade
from tracker.model import Commitment, Event, Pillar, Status, current_status

VOCABULARY = (
    "ASEAN ROK cooperation fund maritime security digital economy supply chains transnational crime climate "
    "environment disaster resilience scholarship vocational training connectivity infrastructure health vaccine "
    "pandemic trade investment partnership dialogue peace stability summit ministers ministerial meeting plan "
    "action implementation capacity building startup roadmap smart cities energy transition fisheries water "
    "Mekong sub-regional cyber terrorism extremism humanitarian assistance education culture tourism youth"
)
WORDS = VOCABULARY.split()
ACTORS = ["ROK", "ASEAN", "Japan", "China", "India", "Australia", "EU", "USA"]
# The six statuses every version of tracker knows, so that a generated file can be read by an older one too.
STATUSES = [Status.PENDING, Status.IN_PROGRESS, Status.STALLED, Status.PARTIAL, Status.FULFILLED, Status.BROKEN]


def sentence(rng: random.Random, low: int, high: int) -> str:
    """Words up to between `low` and `high` characters, capitalised, with a full stop."""
    target = rng.randint(low, high)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < target:
        words.append(rng.choice(WORDS))
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def commitment(rng: random.Random, number: int) -> Commitment:
    made = date(2012, 1, 1) + timedelta(days=rng.randint(0, 3000))  # so that no event is after 2024-08
    events: list[Event] = []
    day = made
    for index in range(rng.randint(2, 5)):
        events.append(
            {
                "date": day.isoformat(),
                "status": (Status.PENDING if index == 0 else rng.choice(STATUSES)).value,
                "note": sentence(rng, 40, 160),
                "evidence": [
                    f"https://www.example.org/{rng.choice(WORDS).lower()}/{rng.randint(1000, 99999)}"
                    for _ in range(rng.randint(0, 2))
                ],
                "recorded_at": f"{day.isoformat()}T09:{rng.randint(10, 59)}:00Z",
            }
        )
        day += timedelta(days=rng.randint(10, 400))
    return {
        "id": f"commitment-{number:06d}",
        "title": sentence(rng, 30, 79)[:80],
        "summary": sentence(rng, 80, 220),
        "quote": sentence(rng, 120, 360),
        "source": {
            "document": f"Joint statement of meeting {rng.randint(1, 400)}",
            "date": made.isoformat(),
            "paragraph": rng.randint(1, 40),
            "file": None,
        },
        "actors": rng.sample(ACTORS, rng.randint(1, 3)),
        "pillar": rng.choice(list(Pillar)).value,
        "due": (made + timedelta(days=rng.randint(180, 3000))).isoformat() if rng.random() < 0.6 else None,
        "amount": {"value": rng.randint(1, 500) * 100_000, "currency": "USD", "per": "year"}
        if rng.random() < 0.1
        else None,
        "status": current_status(events).value,
        "history": events,
    }


def write_current(rng: random.Random, count: int, output: Path) -> None:
    """The commitments of schema version 1, each migrated on its own to the current schema, in the canonical file."""
    records: list[tuple[str, bytes]] = []
    for number in range(count):
        table = upgrade({"commitments": [commitment(rng, number)], "schema_version": 1}, str(output), doc_id)[0]
        (record,) = table["commitments"].values()
        records.append((doc_key(record["id"]), record_bytes(record)))
    records.sort()
    pieces, _ = layout([raw for _, raw in records])
    del records
    with output.open("wb") as file:
        file.writelines(piece for piece in pieces if isinstance(piece, bytes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--current", action="store_true", help="the current schema and layout, ready to index")
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    if arguments.current:
        write_current(rng, arguments.count, arguments.output)
        print(f"{arguments.count} commitments, {arguments.output.stat().st_size / 1e6:.1f} MB: {arguments.output}")
        return
    commitments = [commitment(rng, number) for number in range(arguments.count)]
    commitments.sort(key=lambda c: c["id"])
    document = {"commitments": commitments, "schema_version": 1}
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    arguments.output.write_text(text, encoding="utf-8")
    print(f"{arguments.count} commitments, {arguments.output.stat().st_size / 1e6:.1f} MB: {arguments.output}")


if __name__ == "__main__":
    main()
