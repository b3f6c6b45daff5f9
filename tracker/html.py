"""The report as one self-contained HTML page: inline CSS, inline SVG charts drawn by pygal, text from the data
escaped by Jinja2's autoescaping, and no script of any kind, so that it opens offline and can be mailed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tracker import __version__
from tracker.formats import methodology
from tracker.model import Commitment, Status, citation, format_amount, ordered_history
from tracker.render import safe, score_cell

# Colours for the statuses in the stacked chart, in the order of Status, chosen to stay apart for the common
# colour-blindnesses (Okabe and Ito's palette); the scorecard also prints the number in every cell.
STATUS_COLOURS = {
    Status.PENDING: "#bbbbbb",
    Status.IN_PROGRESS: "#56b4e9",
    Status.STALLED: "#e69f00",
    Status.PARTIAL: "#0072b2",
    Status.FULFILLED: "#009e73",
    Status.BROKEN: "#d55e00",
    Status.LAPSED: "#666666",
    Status.SUPERSEDED: "#cc79a7",
}
_URL = re.compile(r"^https?://[^\s<>\"']+\Z")
# The most periods a chart shows before the report takes longer ones: ten years of months, thirty of quarters.
CHART_PERIODS = 120


def is_link(evidence: str) -> bool:
    """Whether a piece of evidence is a web address that the page may link to (http or https only)."""
    return bool(_URL.match(evidence))


def _no_script(tree: Any) -> Any:
    """An xml filter for pygal: drop the <script> elements pygal always adds (its configuration for the tooltips),
    so that the page runs nothing, and its comments (addresses of its web site)."""
    for parent in list(tree.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.endswith("script"):  # a comment's tag is a function
                parent.remove(child)
    return tree


def _described(title: str, description: str) -> Any:
    """An xml filter for pygal: give the chart a <title> and <desc> as its first children and role="img", its
    text alternative for screen readers (the table under the chart has the figures themselves)."""

    def describe(tree: Any) -> Any:
        from pygal.etree import etree

        tree.set("role", "img")
        for position, (tag, words) in enumerate((("title", title), ("desc", description))):
            node = etree.Element(tag)
            node.text = words
            tree.insert(position, node)
        return tree

    return describe


def _style(colours: Sequence[str]) -> Any:
    from pygal.style import Style

    return Style(
        background="white",
        plot_background="white",
        foreground="#222222",
        foreground_strong="#222222",
        foreground_subtle="#dddddd",
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        label_font_size=15,
        major_label_font_size=15,
        legend_font_size=16,
        title_font_size=16,
        colors=tuple(colours),
    )


def _chart_options(labels: Sequence[str]) -> dict[str, Any]:
    every = max(1, round(len(labels) / 6))
    return {
        "js": [],  # no script fetched from anywhere
        "disable_xml_declaration": True,
        "width": 720,
        "height": 330,
        "x_labels": list(labels),
        "x_labels_major_every": every,
        "show_minor_x_labels": False,
        "x_label_rotation": 0,
        "truncate_label": -1,
        "margin": 10,
        "print_values": False,
    }


def score_chart(points: Sequence[dict[str, Any]]) -> str:
    """A line of the compliance percentage at the end of each period (a gap where nothing was assessed)."""
    import pygal

    labels = [point["period"] for point in points]
    values = [point["score"]["percent"] for point in points]
    known = [value for value in values if value is not None]
    description = (
        f"From {labels[0]} to {labels[-1]}, {len(points)} periods; the score went from {known[0]:.1f}% to "
        f"{known[-1]:.1f}%, between {min(known):.1f}% and {max(known):.1f}%."
        if known
        else "No commitment was assessed in any period."
    )
    chart = pygal.Line(
        style=_style(["#0072b2"]),
        range=(0, 100),
        show_legend=False,
        dots_size=3 if len(points) <= 40 else 1.5,
        stroke_style={"width": 2.5},
        y_title="percent",
        y_labels=[0, 25, 50, 75, 100],
        allow_interruptions=True,
        **_chart_options(labels),
    )
    chart.uuid = "score"  # its id in the page, the same in every run (pygal draws a random one)
    chart.add("compliance %", values)
    chart.add_xml_filter(_no_script)
    chart.add_xml_filter(_described("Compliance score over time", description))
    return str(chart.render(is_unicode=True))


def status_chart(points: Sequence[dict[str, Any]]) -> str:
    """Stacked bars: how many commitments had each status at the end of each period."""
    import pygal

    labels = [point["period"] for point in points]
    shown = [status for status in Status if any(point["by_status"][status.value] for point in points)]
    last = points[-1]["by_status"] if points else {}
    description = f"From {labels[0]} to {labels[-1]}, {len(points)} periods. At the end: " + ", ".join(
        f"{last[status.value]} {status.value}" for status in shown
    )
    chart = pygal.StackedBar(
        style=_style([STATUS_COLOURS[status] for status in shown]),
        show_legend=False,  # the page gives the legend in HTML, where it wraps to the width
        y_title="commitments",
        spacing=2 if len(points) > 40 else 6,
        **_chart_options(labels),
    )
    chart.uuid = "statuses"  # its id in the page, the same in every run (pygal draws a random one)
    for status in shown:
        chart.add(status.value, [point["by_status"][status.value] for point in points])
    chart.add_xml_filter(_no_script)
    chart.add_xml_filter(_described("Commitments by status over time", description + "."))
    return str(chart.render(is_unicode=True))


def _events(commitment: Commitment, as_of: str, known_on: str | None) -> list[dict[str, Any]]:
    """The commitment's events that the report sees: dated by `as_of`, recorded by `known_on`, in date order."""
    return [
        {
            "date": event["date"],
            "status": event["status"],
            "note": event["note"],
            "actors": event["actors"],
            "evidence": [{"text": item, "link": is_link(item)} for item in event["evidence"]],
        }
        for event in ordered_history(commitment["history"])
        if event["date"] <= as_of and (known_on is None or event["recorded_at"][:10] <= known_on)
    ]


def report_html(
    figures: dict[str, Any], series: dict[str, Any], card: dict[str, Any], commitments: Sequence[Commitment]
) -> str:
    """The whole page: title, period and method; the headline score; the charts of `series` (from `trend`); the
    scorecard `card`; each commitment with its quote, source, history and evidence; overdue and due-soon lists."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    def literal(value: Any) -> Any:
        # Data text is shown as it is, escaped by autoescaping; controls and bidirectional overrides, which
        # would hide or reorder it, are shown as visible escapes, as on a terminal.
        return safe(value, multiline=True) if isinstance(value, str) and not isinstance(value, Markup) else value

    environment = Environment(
        loader=PackageLoader("tracker", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        finalize=literal,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    by_id = {commitment["id"]: commitment for commitment in commitments}
    details = [
        {
            **item,
            "commitment": by_id[item["id"]],
            "citation": citation(by_id[item["id"]]["source"]),
            "amount": format_amount(by_id[item["id"]]["amount"]),
            "events": _events(by_id[item["id"]], figures["as_of"], figures["known_on"]),
            "evidence_links": [{"text": item_text, "link": is_link(item_text)} for item_text in item["evidence"]],
        }
        for item in figures["commitments"]
    ]
    points = series["points"]
    template = environment.get_template("report.html")
    return template.render(
        report=figures,
        method=methodology(figures),
        series=series,
        score_svg=Markup(score_chart(points)) if points else None,
        status_svg=Markup(status_chart(points)) if points else None,
        card=card,
        score_cell=score_cell,
        details=details,
        statuses=[status.value for status in Status],
        colours={status.value: colour for status, colour in STATUS_COLOURS.items()},
        version=__version__,
    )
