"""Recall and precision of `tracker extract` on the bundled press release, with the bundled commitments as gold.

    python bench/extract_eval.py

"Covers" is `tracker.extract.covers`: after whitespace is collapsed and curly quotes made straight, the candidate's
quote contains the gold quote, or the gold quote (of several sentences) contains the candidate's whole sentence.
Recall counts distinct gold quotes (two commitments from one sentence count once) and, second, gold commitments.
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

from tracker.extract import covers, extract, recall_precision


def main() -> None:
    data = json.loads(resources.files("tracker.data").joinpath("commitments.json").read_text(encoding="utf-8"))
    gold = list(data["commitments"].values())
    by_file: dict[str, list[dict[str, object]]] = {}
    for commitment in gold:
        by_file.setdefault(commitment["source"]["file"], []).append(commitment)
    for name, commitments in sorted(by_file.items()):
        text = resources.files("tracker.data.sources").joinpath(name).read_text(encoding="utf-8")
        statement_date = date.fromisoformat(str(commitments[0]["source"]["date"]))  # type: ignore[index]
        candidates = extract(text, statement_date).candidates
        quotes = [candidate.quote for candidate in candidates]
        golds = [str(commitment["quote"]) for commitment in commitments]
        recall, precision = recall_precision(quotes, golds)
        by_commitment = sum(any(covers(q, g) for q in quotes) for g in golds) / len(golds)
        print(
            f"{name}: {len(candidates)} candidates, {len(set(golds))} distinct gold quotes ({len(golds)} commitments)"
        )
        print(f"  recall    {recall:.2f} of distinct gold quotes; {by_commitment:.2f} of gold commitments")
        print(f"  precision {precision:.2f}")
        for candidate in candidates:
            hit = any(covers(candidate.quote, g) for g in golds)
            label = "gold " if hit else "other"
            print(f"  {label} {candidate.confidence:.2f} {candidate.kind:12} ¶{candidate.paragraph} {candidate.title}")
        for missed in sorted({g for g in golds if not any(covers(q, g) for q in quotes)}):
            print(f"  MISSED {missed[:100]}")


if __name__ == "__main__":
    main()
