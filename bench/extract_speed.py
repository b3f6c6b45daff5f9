"""Speed of `tracker extract` on a 20 kB statement, and its sentence splitter against pysbd and syntok.

    python bench/extract_speed.py [--repeat N]

The statement is the bundled press release repeated, paragraphs renumbered, to 20 kB. "in process" times
`tracker.extract.extract` alone; "beyond start-up" is the median wall time of `tracker extract FILE --format json`
as a process minus that of `tracker --version`. pysbd and syntok are compared only if installed (they are not
dependencies): sentence counts on the texts we have, and their time on the 20 kB statement.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from tracker.extract import extract, paragraphs, sentences

TESTS = Path(__file__).resolve().parent.parent / "tests" / "statements"


def statement_of(size: int) -> str:
    source = resources.files("tracker.data.sources").joinpath("asean-rok-fmm-2020-09-09.txt").read_text("utf-8")
    body = source[source.index("1. On September 9") :]
    pieces, number = [], 0
    while sum(len(piece) for piece in pieces) < size:
        for line in body.splitlines(keepends=True):
            if re.match(r"\d+\. ", line):
                number += 1
                line = re.sub(r"^\d+", str(number), line)
            pieces.append(line)
    return "".join(pieces)[: size + 2000]


def median_seconds(action: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    text = statement_of(20_000)
    print(f"statement: {len(text.encode('utf-8')):,} bytes")
    extract(text)  # warm the regular expressions
    print(f"extract() in process: {median_seconds(lambda: extract(text), repeat) * 1000:.0f} ms (median of {repeat})")
    tracker = str(Path(sys.executable).with_name("tracker"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "statement.txt"
        path.write_text(text, encoding="utf-8")

        def command(*args: str) -> None:
            subprocess.run([tracker, *args], check=True, capture_output=True)

        startup = median_seconds(lambda: command("--version"), repeat)
        full = median_seconds(lambda: command("extract", str(path), "--format", "json"), repeat)
    print(f"tracker --version: {startup * 1000:.0f} ms; tracker extract: {full * 1000:.0f} ms")
    print(f"beyond start-up: {(full - startup) * 1000:.0f} ms (target: under 300 ms)")
    compare_splitters(text, repeat)


def compare_splitters(big: str, repeat: int) -> None:
    texts = {path.name: path.read_text(encoding="utf-8") for path in sorted(TESTS.glob("*.txt"))}
    source = resources.files("tracker.data.sources").joinpath("asean-rok-fmm-2020-09-09.txt")
    texts["bundled release"] = source.read_text(encoding="utf-8")
    ours = {name: [s for unit in paragraphs(t) for s in sentences(unit.text)] for name, t in texts.items()}
    splitters = {"tracker (own rules)": lambda unit: sentences(unit)}
    try:
        import pysbd

        segmenter = pysbd.Segmenter(language="en", clean=False)
        splitters["pysbd"] = lambda unit: [s.strip() for s in segmenter.segment(unit) if s.strip()]
    except ImportError:
        print("pysbd not installed: pip install pysbd to compare")
    try:
        from syntok import segmenter as syntok_segmenter

        def syntok_split(unit: str) -> list[str]:
            return [
                "".join(token.spacing + token.value for token in sentence).strip()
                for paragraph in syntok_segmenter.analyze(unit)
                for sentence in paragraph
            ]

        splitters["syntok"] = syntok_split
    except ImportError:
        print("syntok not installed: pip install syntok to compare")
    big_units = [unit.text for unit in paragraphs(big)]
    for name, split in splitters.items():
        counts = []
        for text_name, text in texts.items():
            found = [s for unit in paragraphs(text) for s in split(unit.text)]
            differ = len(set(found) ^ set(ours[text_name]))
            counts.append(f"{text_name} {len(found)} ({differ} differ from ours)")
        seconds = median_seconds(lambda split=split: [split(unit) for unit in big_units], max(1, repeat // 2))
        print(f"{name}: {seconds * 1000:.0f} ms on 20 kB; sentences: " + "; ".join(counts))
        if name != "tracker (own rules)":
            for text_name, text in texts.items():
                found = {s for unit in paragraphs(text) for s in split(unit.text)}
                for sentence in sorted(found - set(ours[text_name]))[:3]:
                    print(f"    {text_name}: {name} gives {sentence[:90]!r}")


if __name__ == "__main__":
    main()
