"""Documents in and out: the Markdown briefing, and JSON, CSV and Markdown exports and the JSON import."""

from __future__ import annotations

from typing import Any

from tracker.model import Status
from tracker.render import safe


def md_cell(value: object) -> str:
    """A value made safe for one Markdown table cell: no controls, no line breaks, pipes escaped."""
    return safe(str(value), multiline=True).replace("\n", " ").replace("|", "\\|")


def md_table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(md_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def _score_cells(score: dict[str, Any]) -> list[object]:
    if score["mean"] is None:
        return [score["assessed"], "-", "-"]
    return [score["assessed"], f"{score['mean']:+.2f}", f"{score['percent']:.1f}%"]


def report_markdown(report: dict[str, Any]) -> str:
    """A briefing-ready Markdown document of the report."""
    score = report["score"]
    pending = report["by_status"][Status.PENDING.value]
    if score["mean"] is None:
        headline = f"No commitment has been assessed yet ({pending} pending)."
    else:
        headline = (
            f"Compliance score {score['mean']:+.2f} on the -1 to +1 scale ({score['percent']:.1f}%), "
            f"over {score['assessed']} assessed commitments ({pending} pending, not scored)."
        )
    lines = [f"# Compliance report as of {report['as_of']}", "", f"{report['total']} commitments. {headline}", ""]
    lines += ["## Status", ""]
    lines += md_table(["status", "commitments"], [[s, n] for s, n in report["by_status"].items()])
    for title, key in (("By pillar", "by_pillar"), ("By actor", "by_actor")):
        lines += ["", f"## {title}", ""]
        rows = [[name, g["total"], *_score_cells(g["score"])] for name, g in report[key].items()]
        lines += md_table([key.split("_")[1], "total", "assessed", "mean", "percent"], rows)
    lines += ["", "## Overdue", ""]
    if report["overdue"]:
        rows = [[i["id"], i["title"], i["due"], i["days_overdue"], i["status"]] for i in report["overdue"]]
        lines += md_table(["id", "title", "due", "days overdue", "status"], rows)
    else:
        lines.append("Nothing is overdue.")
    lines += ["", "## Recent changes (90 days)", ""]
    if report["recent"]:
        rows = [[i["date"], i["id"], i["status"], i["note"], "; ".join(i["evidence"])] for i in report["recent"]]
        lines += md_table(["date", "id", "status", "note", "evidence"], rows)
    else:
        lines.append("No events in the last 90 days.")
    lines += ["", "## Due soon (180 days)", ""]
    if report["due_soon"]:
        rows = [[i["due"], i["id"], i["title"], i["days_left"], i["status"]] for i in report["due_soon"]]
        lines += md_table(["due", "id", "title", "days left", "status"], rows)
    else:
        lines.append("Nothing falls due in the next 180 days.")
    lines += [
        "",
        "Scores follow the G7/G20 Research Group: fulfilled +1; partial and in-progress 0; stalled and broken -1;"
        " percent = (mean + 1) / 2 x 100.",
    ]
    return "\n".join(lines) + "\n"
