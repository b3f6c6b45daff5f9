"""Terminal output: Rich tables and panels, plain rows for pipes, and the one place that makes user text safe.

Every string that comes from data or from a user goes through `safe` and into a `rich.text.Text`, so it is never
read as Rich markup and can never carry a terminal control sequence.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

from tracker.model import Commitment, Status, Summary, citation, format_amount, is_overdue, ordered_history

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table
    from rich.text import Text

# C0 controls, DEL and C1 controls could move the cursor, retitle the window or worse; bidirectional
# controls and line separators can make text read differently from what it is.
_UNSAFE = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029]
_UNSAFE += [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
# Invisible format characters that no title, note or name needs, and that can hide text or split a word so that
# a search misses it: soft hyphen, Mongolian vowel separator, zero-width space, word joiner and the invisible
# operators, the deprecated format controls, the byte order mark (anywhere), interlinear annotation marks and the
# Unicode tag characters (which can smuggle a hidden ASCII message). Kept as they are, because scripts and emoji
# need them: zero-width non-joiner and joiner (U+200C, U+200D) and the variation selectors.
_UNSAFE += [0x00AD, 0x180E, 0x200B, *range(0x2060, 0x2065), *range(0x206A, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFC)]
_UNSAFE += [*range(0xE0000, 0xE0080)]
# Shown as Python writes them: \x1b below U+0100, \u200b in the Basic Multilingual Plane, \U000e0041 above it.
_ESCAPES = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    for code in _UNSAFE
}
_ESCAPES[ord("\t")] = "\\t"
_ESCAPES[ord("\n")] = "\\n"
_ESCAPES[ord("\r")] = "\\r"
_ESCAPES_MULTILINE = {code: escape for code, escape in _ESCAPES.items() if code != ord("\n")}


def _json_escape(code: int) -> str:
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)  # JSON writes a character above U+FFFF as its UTF-16 surrogate pair
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


_JSON_ESCAPES = {code: _json_escape(code) for code in _UNSAFE if code >= 0x7F}

STATUS_STYLES = {
    Status.PENDING: "dim",
    Status.IN_PROGRESS: "cyan",
    Status.STALLED: "yellow",
    Status.PARTIAL: "blue",
    Status.FULFILLED: "green",
    Status.BROKEN: "red",
}


def safe(text: str, multiline: bool = False) -> str:
    """`text` with every control character shown as a visible escape (`\\x1b`); newlines kept if `multiline`."""
    return text.translate(_ESCAPES_MULTILINE if multiline else _ESCAPES)


def json_text(value: Any) -> str:
    """Pretty JSON whose strings cannot carry terminal controls: those JSON leaves raw are escaped as \\uXXXX."""
    return json_safe(json.dumps(value, indent=2, ensure_ascii=False))


def json_safe(document: str) -> str:
    """JSON text with the controls that JSON leaves raw (C1, bidirectional) turned into \\uXXXX escapes."""
    return document.translate(_JSON_ESCAPES)


def text(value: str, style: str = "", multiline: bool = False) -> Text:
    """User or data text as a Rich Text: literal, never markup, never a control sequence."""
    from rich.text import Text

    return Text(safe(value, multiline), style=style)


def console() -> Console:
    """The standard output console: colour only on a terminal, NO_COLOR honoured."""
    from rich.console import Console

    return Console(highlight=False, emoji=False, markup=False)


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal, by Rich's own rules (TTY_COMPATIBLE, FORCE_COLOR), without importing Rich."""
    import os

    forced = os.environ.get("TTY_COMPATIBLE", "")
    if forced in ("0", "1"):
        return forced == "1"
    force_color = os.environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color != ""
    try:
        return sys.stdout.isatty()
    except ValueError:
        return False


def print_error(message: str) -> None:
    """One line on standard error: `tracker: error: ...`."""
    _plain(sys.stderr, f"tracker: error: {safe(message)}")


def print_notice(message: str) -> None:
    """One line on standard error that is not an error (where a database was created, a backup kept)."""
    _plain(sys.stderr, f"tracker: {safe(message)}")


def print_line(message: str) -> None:
    """One line of plain output on standard output."""
    _plain(sys.stdout, safe(message))


def print_json(value: Any) -> None:
    _plain(sys.stdout, json_text(value))


def print_renderable(renderable: RenderableType) -> None:
    console().print(renderable)


def _plain(stream: IO[str], line: str) -> None:
    stream.write(line + "\n")
    stream.flush()


def status_text(status: Status, overdue: bool = False) -> Text:
    """A status in words (colour is only a help), with `overdue` spelled out."""
    from rich.text import Text

    label = Text(status.value, style=STATUS_STYLES[status])
    if overdue:
        label.append(" (overdue)", style="bold red")
    return label


def _actors(commitment: Commitment | Summary) -> str:
    return ", ".join(commitment["actors"])


def commitment_table(commitments: Sequence[Summary], today: str, limit: int | None = None, width: int = 80) -> Table:
    """The `list` table: id, title, actors, pillar (from 100 columns), due, status (overdue marked in words)."""
    from rich.table import Table

    with_pillar = width >= 100
    table = Table(show_edge=False, pad_edge=False, expand=True, header_style="bold")
    table.add_column("id", overflow="fold", ratio=2, min_width=12)
    table.add_column("title", ratio=3, min_width=16)
    table.add_column("actors", min_width=5)
    if with_pillar:
        table.add_column("pillar", overflow="fold", min_width=8)
    table.add_column("due", no_wrap=True, min_width=10)
    table.add_column("status", no_wrap=True, min_width=11)
    shown = commitments if limit is None else commitments[:limit]
    for commitment in shown:
        status = status_text(Status(commitment["status"]))
        if is_overdue(commitment, today):
            status.append("\noverdue", style="bold red")
        cells = [text(commitment["id"]), text(commitment["title"]), text(_actors(commitment))]
        if with_pillar:
            cells.append(text(commitment["pillar"]))
        table.add_row(*cells, text(commitment["due"] or "-"), status)
    return table


def commitment_page(commitments: Sequence[Summary], today: str) -> tuple[Table, int]:
    """The `list` table cut to the rows that fit on one screen, and how many rows that is."""
    terminal = console()
    budget = max(8, terminal.height - 2)  # room for the "more" line and the prompt
    count = min(len(commitments), budget)
    while True:
        table = commitment_table(commitments, today, count, terminal.width)
        height = len(terminal.render_lines(table, terminal.options, pad=False))
        if height <= budget or count == 1:
            return table, count
        count = max(1, min(count - 1, count * budget // height))


LIST_FIELDS = ("id", "title", "actors", "pillar", "due", "status")


def commitment_rows(commitments: Iterable[Summary], today: str) -> Iterable[str]:
    """Tab-separated rows for pipes: a header, then one line per commitment; no field holds a tab or newline."""
    yield "\t".join(LIST_FIELDS)
    for commitment in commitments:
        status = commitment["status"] + (" (overdue)" if is_overdue(commitment, today) else "")
        fields = (commitment["id"], commitment["title"], _actors(commitment), commitment["pillar"])
        yield "\t".join((*map(safe, fields), commitment["due"] or "-", status))


def commitment_detail(commitment: Commitment, today: str) -> RenderableType:
    """Everything about one commitment, for `show`."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    where = citation(commitment["source"], with_file=True)
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    facts.add_row("id", text(commitment["id"]))
    facts.add_row("status", status_text(Status(commitment["status"]), is_overdue(commitment, today)))
    facts.add_row("actors", text(_actors(commitment)))
    facts.add_row("pillar", text(commitment["pillar"]))
    facts.add_row("due", text(commitment["due"] or "-"))
    facts.add_row("amount", text(format_amount(commitment["amount"]) or "-"))
    facts.add_row("source", text(where or "-"))

    history = Table(show_edge=False, pad_edge=False, header_style="bold", title_justify="left")
    history.add_column("date", no_wrap=True)
    history.add_column("status", no_wrap=True)
    history.add_column("note and evidence", ratio=1)
    history.add_column("recorded", no_wrap=True, style="dim")
    for event in ordered_history(commitment["history"]):
        detail = text(event["note"], multiline=True)
        for evidence in event["evidence"]:
            detail.append("\n")
            detail.append_text(text(f"- {evidence}", style="italic"))
        history.add_row(
            text(event["date"]), status_text(Status(event["status"])), detail, text(event["recorded_at"][:10])
        )

    parts: list[RenderableType] = [text(commitment["title"], style="bold")]
    if commitment["summary"]:
        parts.append(text(commitment["summary"], multiline=True))
    parts += [Text(), facts]
    if commitment["quote"]:
        parts += [Text(), Text("quote", style="bold"), Padding(text(commitment["quote"], multiline=True), (0, 2))]
    parts += [Text(), Text("history", style="bold"), history]
    return Group(*parts)


BAR_WIDTH = 30


def _score_words(score: dict[str, Any]) -> str:
    if score["mean"] is None:
        return "no assessed commitments"
    return f"{score['mean']:+.2f} ({score['percent']:.1f}%) over {score['assessed']} assessed"


def _group_table(title: str, groups: dict[str, dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold", show_edge=False, pad_edge=False)
    table.add_column(title.split()[-1], overflow="fold")
    table.add_column("total", justify="right")
    table.add_column("assessed", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("percent", justify="right")
    for name, group in groups.items():
        group_score = group["score"]
        mean = "-" if group_score["mean"] is None else f"{group_score['mean']:+.2f}"
        percent = "-" if group_score["percent"] is None else f"{group_score['percent']:.1f}%"
        table.add_row(text(name), str(group["total"]), str(group_score["assessed"]), mean, percent)
    return table


def report_view(report: dict[str, Any]) -> RenderableType:
    """The report as a person wants to read it: status bars and score at a glance, in 80 columns."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = [
        Text(f"Compliance report as of {report['as_of']}: {report['total']} commitments", style="bold"),
        Text(),
    ]
    counts = report["by_status"]
    largest = max(counts.values(), default=0) or 1
    bars = Table.grid(padding=(0, 1))
    bars.add_column(no_wrap=True)
    bars.add_column(justify="right")
    bars.add_column(no_wrap=True)
    for status in Status:
        count = counts[status.value]
        length = round(count / largest * BAR_WIDTH)
        bar = Text("#" * length, style=STATUS_STYLES[status])
        bars.add_row(status_text(status), str(count), bar)
    parts += [bars, Text()]
    pending = counts[Status.PENDING.value]
    parts.append(Text(f"Score: {_score_words(report['score'])} of {report['total']} ({pending} pending, not scored)"))
    parts.append(Text("Scale: fulfilled +1; partial, in-progress 0; stalled, broken -1.", style="dim"))
    parts += [Text(), _group_table("By pillar", report["by_pillar"]), Text()]
    parts += [_group_table("By actor", report["by_actor"]), Text()]
    parts.append(_listing("Overdue", report["overdue"], ("due", "days_overdue"), "nothing is overdue"))
    parts.append(Text())
    parts.append(_listing("Recent changes (90 days)", report["recent"], ("date",), "no events in the last 90 days"))
    parts.append(Text())
    parts.append(_listing("Due soon (180 days)", report["due_soon"], ("due", "days_left"), "nothing falls due"))
    return Group(*parts)


LISTING_LIMIT = 20


def _listing(title: str, items: list[dict[str, Any]], first: tuple[str, ...], empty: str) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    if not items:
        return Text(f"{title}: {empty}.", style="bold")
    if len(items) > LISTING_LIMIT:
        more = Text(f"... {len(items) - LISTING_LIMIT} more; --format markdown or json lists them all")
        return Group(_listing(title, items[:LISTING_LIMIT], first, empty), more)
    table = Table(title=title, title_justify="left", title_style="bold", show_edge=False, pad_edge=False)
    for column in first:
        table.add_column(column.replace("_", " "), no_wrap=True, justify="right" if "days" in column else "left")
    table.add_column("status", no_wrap=True)
    table.add_column("commitment" if "note" not in items[0] else "commitment and note", ratio=1)
    for item in items:
        detail = Text()
        detail.append_text(text(item["id"], style="bold"))
        detail.append("\n")
        detail.append_text(text(item["note"] if "note" in item else item["title"]))
        cells = [text(str(item[column])) for column in first]
        table.add_row(*cells, status_text(Status(item["status"])), detail)
    return table
