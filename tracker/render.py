"""Terminal output: Rich tables and panels, plain rows for pipes, and the one place that makes user text safe.

Every string that comes from data or from a user goes through `safe` and into a `rich.text.Text`, so it is never
read as Rich markup and can never carry a terminal control sequence.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from typing import IO, TYPE_CHECKING, Any, cast

from tracker import fastjson
from tracker.model import (
    Commitment,
    Event,
    Status,
    Summary,
    actor_statuses,
    citation,
    format_amount,
    is_overdue,
    ordered_history,
    shared_status,
    status_words,
    summarize,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table
    from rich.text import Text

    from tracker.extract import Candidate, Extraction, Rejection

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
# Lone surrogates: no text holds them, but a file name that is not UTF-8 does, as Python decodes it (one for each
# byte it cannot decode), and they cannot be written to a UTF-8 stream.
_UNSAFE += [*range(0xD800, 0xE000)]


@functools.cache
def escapes(multiline: bool = False) -> dict[int, str]:
    """What `safe` turns each unsafe character into, as Python writes it: \\x1b below U+0100, \\u200b in the Basic
    Multilingual Plane, \\U000e0041 above it; tab, newline and carriage return as \\t, \\n and \\r (newline kept if
    `multiline`). Made on first use: most commands never meet such a character, and start sooner without it."""
    table = {
        code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
        for code in _UNSAFE
    }
    table.update({ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"})
    if multiline:
        del table[ord("\n")]
    return table


@functools.cache
def _json_escapes() -> dict[int, str]:
    """What `json_safe` turns each unsafe character that JSON leaves raw into (all are DEL or beyond ASCII): \\uXXXX,
    or the UTF-16 surrogate pair above U+FFFF, as JSON writes it."""
    table = {}
    for code in _UNSAFE:
        if code >= 0x10000:
            high, low = divmod(code - 0x10000, 0x400)
            table[code] = f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"
        elif code >= 0x7F:
            table[code] = f"\\u{code:04x}"
    return table


STATUS_STYLES = {
    Status.PENDING: "dim",
    Status.IN_PROGRESS: "cyan",
    Status.STALLED: "yellow",
    Status.PARTIAL: "blue",
    Status.FULFILLED: "green",
    Status.BROKEN: "red",
    Status.LAPSED: "dim",
    Status.SUPERSEDED: "dim",
}


def safe(text: str, multiline: bool = False) -> str:
    """`text` with every control character shown as a visible escape (`\\x1b`); newlines kept if `multiline`.
    Printable text (most of it) is returned as it is, with one check in C: no printable character is escaped."""
    return text if text.isprintable() else text.translate(escapes(multiline))


def _nothing_to_escape(piece: bytes) -> bool:
    """Whether UTF-8 text holds no character that `json_safe` escapes: they are all DEL or beyond ASCII."""
    return piece.isascii() and b"\x7f" not in piece


def json_text(value: Any) -> str:
    """Pretty JSON whose strings cannot carry terminal controls: those JSON leaves raw are escaped as \\uXXXX.
    orjson writes it (the standard library's indenting encoder is pure Python, and slow on a large file) unless it
    cannot: an integer past 64 bits, a key that is not a string, a lone surrogate. (Every float shown is finite: the
    rules refuse others in the data, and figures are means of scores.)"""
    orjson = fastjson.orjson

    try:
        return json_safe(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8"))
    except TypeError:
        pass
    import json  # only for what orjson does not write

    return json_safe(json.dumps(value, indent=2, ensure_ascii=False))


def json_items(items: Sequence[Any]) -> bytes | None:
    """The items of an array written as JSON ahead of the document that holds them (in another process, say): the
    UTF-8 of orjson, without the brackets, laid out as `json_text` lays out the items of an array that is the value
    of a key of the document's top object (b"" for none). None where orjson cannot write them (see `json_text`).
    `print_json` and `json_pieces` take them; `read_items` reads them back."""
    if not items:
        return b""
    orjson = fastjson.orjson

    try:  # laid out in a top object, as they stand in the document (no new line to indent afterwards)
        document = orjson.dumps({"": items}, option=orjson.OPT_INDENT_2)
    except TypeError:
        return None
    return document[len(_ITEMS_BEFORE) : -len(_ITEMS_AFTER)]


_ITEMS_BEFORE, _ITEMS_AFTER = b'{\n  "": [\n    ', b"\n  ]\n}"


def read_items(written: bytes) -> list[Any]:
    """The items that `json_items` wrote."""
    orjson = fastjson.orjson

    return cast("list[Any]", orjson.loads(b"[" + written + b"]"))


def json_pieces(value: dict[str, Any], items: Sequence[bytes] = ()) -> list[bytes]:
    """`json_text(value)` in UTF-8, in pieces, where the value of the last key of `value` is an array left empty,
    whose items are written already (see `json_items`), each in turn of `items`."""
    document = _json_bytes(value, items)
    if document is None:
        return [json_text(_with_items(value, items)).encode("utf-8", "surrogatepass")]
    return [piece if _nothing_to_escape(piece) else json_safe(piece.decode("utf-8")).encode() for piece in document]


def _json_bytes(value: Any, items: Sequence[bytes] = ()) -> list[bytes] | None:
    """orjson's JSON of `value` (the value of its last key's empty array holding `items`: see `json_pieces`) in
    pieces; None where orjson cannot write it."""
    orjson = fastjson.orjson

    try:
        document = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except TypeError:
        return None
    written = [each for each in items if each]
    if not written:
        return [document]
    if not document.endswith(_EMPTY_LAST):
        raise ValueError("the items written ahead belong in an empty array, the value of the top object's last key")
    pieces = [document[: -len(_EMPTY_LAST)], b"[\n    "]
    for number, each in enumerate(written):
        pieces += [b",\n    ", each] if number else [each]
    return [*pieces, b"\n  ]\n}"]


_EMPTY_LAST = b"[]\n}"


def _with_items(value: dict[str, Any], items: Sequence[bytes]) -> dict[str, Any]:
    """`value` with the items written ahead (see `json_pieces`) read back into the array they belong in."""
    if not any(items):
        return value
    last = next(reversed(value))
    return {**value, last: [item for each in items if each for item in read_items(each)]}


def json_safe(document: str) -> str:
    """JSON text with the controls that JSON leaves raw (C1, bidirectional) turned into \\uXXXX escapes."""
    return document.translate(_json_escapes())


def text(value: str, style: str = "", multiline: bool = False) -> Text:
    """User or data text as a Rich Text: literal, never markup, never a control sequence."""
    from rich.text import Text

    return Text(safe(value, multiline), style=style)


def console() -> Console:
    """The standard output console: colour only on a terminal, NO_COLOR honoured."""
    from rich.console import Console

    # Rich takes COLUMNS=0 for a terminal no column wide, and prints nothing, and LINES=0 for one no line high, all
    # of whose output is paged: the terminal's own size then (80 by 24 where there is none).
    width = height = None
    if _zero("COLUMNS") or _zero("LINES"):
        import shutil

        size = shutil.get_terminal_size()
        width, height = (size.columns if _zero("COLUMNS") else None), (size.lines if _zero("LINES") else None)
    return Console(highlight=False, emoji=False, markup=False, width=width, height=height)


def _zero(name: str) -> bool:
    value = os.environ.get(name, "")
    return value != "" and value.strip("0") == ""  # "0", or "00": never int() of what the environment holds


def tolerant_streams() -> None:
    """Let stdout and stderr write a character their encoding cannot hold (an ASCII or Latin-1 locale, say) as a
    visible escape, `\\u201c`, rather than stop half-way through the output with an error. A stream closed before
    the tracker started (`>&-`), which Python leaves as None, becomes one that says so: output to stdout is then an
    error like any other failed write; stderr has nowhere to say anything, and the exit status says it."""
    if sys.stdout is None:
        sys.stdout = _Closed("stdout", fails=True)
    if sys.stderr is None:
        sys.stderr = _Closed("stderr", fails=False)
    _whole_writes_to_stdout()
    for stream in (sys.stdout, sys.stderr):  # "strict", or "surrogateescape" in the C locale: both fail on "é"
        if getattr(stream, "errors", "backslashreplace") != "backslashreplace" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


class OutputLost(OSError):
    """Standard output could not take what was written to it (a disk full, a file size limit): said as such."""


class _WholeWrites(io.RawIOBase):
    """Standard output's descriptor, each write taken whole or failed as OutputLost. Python's own raw stream, which
    stdout writes to directly when it is unbuffered (PYTHONUNBUFFERED, as container images often set it), may write
    part of what it is given on a disk nearly full and say so; the layers above drop the rest silently."""

    def __init__(self, raw: io.FileIO) -> None:
        super().__init__()
        self._raw = raw

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def isatty(self) -> bool:
        return self._raw.isatty()

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        done = 0
        try:
            while done < len(view):
                written = self._raw.write(view[done:])
                if written is None:  # a descriptor left non-blocking that cannot take more now: wait until it can
                    import select

                    select.select([], [self._raw.fileno()], [])
                    continue
                if not written:
                    raise OSError(errno.EIO, os.strerror(errno.EIO))
                done += written
        except BrokenPipeError:
            raise  # a reader that has gone: not an error to speak of (see `cli.TrackerGroup`)
        except OSError as error:
            raise OutputLost(error.errno, error.strerror or str(error)) from None
        return done


_REPLACED: list[IO[str]] = []  # standard output as Python made it: kept, so that it never closes the descriptor


def _whole_writes_to_stdout() -> None:
    """Put `_WholeWrites` under stdout, buffered as it was, where stdout is Python's own over its descriptor."""
    stream = sys.stdout
    layer = getattr(stream, "buffer", None)
    raw = layer.raw if isinstance(layer, io.BufferedWriter) else layer
    if not isinstance(stream, io.TextIOWrapper) or not isinstance(raw, io.FileIO) or raw.closed:
        return
    stream.flush()
    whole = _WholeWrites(raw)
    binary = io.BufferedWriter(whole) if isinstance(layer, io.BufferedWriter) else whole
    _REPLACED.append(stream)
    sys.stdout = io.TextIOWrapper(
        binary,
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=stream.line_buffering,
        write_through=stream.write_through,
    )


class _Closed(io.TextIOBase):
    """A standard stream whose descriptor was closed before the tracker started."""

    def __init__(self, name: str, fails: bool) -> None:
        super().__init__()
        self._name, self._fails = name, fails

    def write(self, text: str) -> int:
        if self._fails:
            raise OSError(errno.EBADF, f"{self._name} is closed, so the output could not be written")
        return len(text)

    def isatty(self) -> bool:
        return False


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal, or is to be taken for one (TTY_COMPATIBLE, as Rich reads it), without importing
    Rich. Not FORCE_COLOR: it asks for colour, and a CI job that sets it for every program must still get plain rows
    in a pipe, not tables."""
    forced = os.environ.get("TTY_COMPATIBLE", "")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        return sys.stdout.isatty()
    except ValueError:
        return False


_errors_said = [0]  # how many error lines this command has printed (see `said_an_error`)


def print_error(message: str) -> None:
    """One line on standard error: `tracker: error: ...`, of at most about ERROR_MOST characters: the middle of a
    longer one (a name of a hundred thousand characters from a hostile file) is left out, and says how much."""
    _errors_said[0] += 1
    _said(f"tracker: error: {shortened(safe(message))}")


ERROR_MOST = 1000


def shortened(line: str, most: int = ERROR_MOST) -> str:
    """`line`, or its start and end with what is left out between them counted, if it is longer than `most`."""
    if len(line) <= most:
        return line
    head, tail = most * 3 // 4, most // 5
    return f"{line[:head]} [{len(line) - head - tail} characters left out] {line[-tail:]}"


def end_terminal_line() -> None:
    """After Ctrl-C the cursor stands where the terminal showed `^C`: on a terminal, what is said next starts on a
    line of its own."""
    with suppress(OSError, ValueError, AttributeError):
        if sys.stderr.isatty():
            sys.stderr.write("\n")


def forget_errors_said() -> None:
    """A command starts: no error said yet (one process may run many, as the tests do)."""
    _errors_said[0] = 0


def said_an_error() -> bool:
    """Whether an error line (or a notice of what went wrong) was printed, or tried: a stderr that cannot be written
    has nowhere to say it."""
    return _errors_said[0] > 0


def print_notice(message: str, said: bool = False) -> None:
    """One line on standard error that is not an error (where a database was created, a backup kept); with `said`,
    one that says what went wrong, as an error would (see `said_an_error`). What stdout holds goes out first, so that
    where both go to one file the notice comes after what was printed before it."""
    _errors_said[0] += said
    if not said:
        with suppress(OSError, ValueError):  # stdout that fails now fails again, and is said, at the end
            sys.stdout.flush()
    _said(f"tracker: {safe(message)}")


def _said(line: str) -> None:
    """A line on stderr; if stderr cannot take it (a disk full, a pipe nobody reads), there is nowhere else to say
    anything, and the exit status still tells."""
    try:
        _plain(sys.stderr, line)
    except (OSError, ValueError):
        silence(sys.stderr)


def silence(stream: IO[str]) -> None:
    """Point a standard stream that can no longer be written at /dev/null: Python would try again when it flushes
    it at exit, and complain."""
    with suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def print_line(message: str) -> None:
    """One line of plain output on standard output."""
    _plain(sys.stdout, safe(message))


def print_json(value: Any, items: Sequence[bytes] = ()) -> None:
    """`json_text` and a newline to stdout; orjson's own bytes, where they hold nothing to escape (all ASCII, no
    DEL) and stdout takes ASCII as it is, so that a large document is neither decoded nor encoded again. `items`:
    those of the array that is the value of the last key of `value`, written already (see `json_pieces`)."""
    document = _json_bytes(value, items) if _ascii_stdout() is not None else None
    if document is not None:
        write_pieces([*document, b"\n"])
        return
    text = json_text(_with_items(value, items))
    _plain(sys.stdout, _json_for_stdout(text, _stdout_is_utf8()))


def _ascii_stdout() -> IO[bytes] | None:
    """The bytes under stdout, where ASCII text written to stdout reaches them as it is (an encoding that keeps
    ASCII, no newline translated); None elsewhere. stdout's own text is flushed first, to keep the order."""
    stream = getattr(sys.stdout, "buffer", None)
    try:
        same = os.linesep == "\n" and "\n ~".encode(sys.stdout.encoding) == b"\n ~"
    except (LookupError, TypeError, AttributeError):
        same = False
    if stream is None or not same:
        return None
    sys.stdout.flush()
    return cast("IO[bytes]", stream)


def write_pieces(pieces: Iterable[bytes], json: bool = True) -> None:
    """Write UTF-8 pieces (a piece may end inside a character) to stdout. With `json`, the controls that JSON leaves
    raw (C1, bidirectional) are escaped, since stdout may be a terminal, and on a stdout that is not UTF-8 every
    character beyond ASCII is a JSON escape (see `_json_for_stdout`); other text (CSV, Markdown: made safe already)
    goes as stdout's encoding holds it, a character it cannot hold as a visible escape (see `tolerant_streams`). A
    piece of ASCII (and no DEL) that starts a character goes to stdout's bytes as it is."""
    import codecs

    stream = _ascii_stdout()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = _stdout_is_utf8()

    def text(piece: bytes, final: bool = False) -> str:
        decoded = decoder.decode(piece, final)
        return _json_for_stdout(json_safe(decoded), utf8) if json else decoded

    for piece in pieces:
        if stream is not None and _nothing_to_escape(piece) and not decoder.getstate()[0]:
            stream.write(piece)
            continue
        sys.stdout.write(text(piece))
        sys.stdout.flush()
    sys.stdout.write(text(b"", final=True))
    sys.stdout.flush()


def print_html(page: str) -> None:
    """An HTML page to stdout: where stdout's encoding is not UTF-8 (which the page declares), every character
    beyond ASCII as a character reference, so the bytes are the page's own in any encoding that keeps ASCII."""
    sys.stdout.write(page if _stdout_is_utf8() else page.encode("ascii", "xmlcharrefreplace").decode("ascii"))
    sys.stdout.flush()


def _stdout_is_utf8() -> bool:
    import codecs

    try:
        return codecs.lookup(sys.stdout.encoding or "").name.startswith("utf-8")
    except (LookupError, TypeError):
        return False


def _json_for_stdout(text: str, utf8: bool) -> str:
    """JSON text as stdout can hold it: as it is on a UTF-8 stdout (`utf8`); elsewhere (an ASCII or Latin-1 locale)
    with every character beyond ASCII as a JSON escape (a surrogate pair above U+FFFF), so it still reads back to the
    same text. JSON holds such characters only inside strings, where an escape means the character."""
    return text if utf8 else _BEYOND_ASCII.sub(_as_json_escape, text)


def _as_json_escape(found: re.Match[str]) -> str:
    code = ord(found[0])
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")


def print_renderable(renderable: RenderableType, pager: bool = False) -> None:
    """Print to stdout; with `pager`, output taller than the terminal goes through the pager (see `page`)."""
    terminal = console()
    if not (pager and terminal.is_terminal and _real_terminal()):
        terminal.print(renderable)
        return
    with terminal.capture() as capture:
        terminal.print(renderable)
    output = capture.get()
    if output.count("\n") < terminal.height:
        _plain(sys.stdout, output.removesuffix("\n"))
        return
    page(output)


def print_plain(renderable: RenderableType) -> None:
    """Print as plain text for pipes and files: no colour, no wrapping, no box-drawing, no trailing spaces."""
    sys.stdout.write(plain_text(renderable))
    sys.stdout.flush()


PLAIN_WIDTH = 100_000  # wide enough that nothing wraps: a line of text stays one line for grep


def plain_text(renderable: RenderableType) -> str:
    """A renderable as plain text: no colour, no wrapping, no box-drawing, no trailing spaces.

    The texts, groups, indents and borderless tables that the views are made of are laid out here directly, line by
    line, as Rich would lay them out `PLAIN_WIDTH` columns wide (see `plain_lines`); anything else, or anything that
    would not fit, is printed through Rich (`rich_plain_text`). Both give the same bytes: the tests compare them."""
    try:
        lines = plain_lines(renderable)
    except _NotPlain:
        return rich_plain_text(renderable)
    return _stripped("\n".join(lines) + "\n")


def rich_plain_text(renderable: RenderableType) -> str:
    """A renderable printed by Rich on a console `PLAIN_WIDTH` columns wide, without colour, each line stripped."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    wide = Console(file=buffer, width=PLAIN_WIDTH, color_system=None, force_terminal=False, highlight=False)
    wide.print(renderable, markup=False, emoji=False)
    return _stripped(buffer.getvalue())


def _stripped(output: str) -> str:
    return "".join(line.rstrip() + "\n" for line in output.splitlines())


class _NotPlain(Exception):
    """A renderable, or a layout, that `plain_lines` leaves to Rich."""


# A string cell that Rich would read as itself: printable ASCII, no markup, no emoji code.
_LITERAL = re.compile(r"[ -9;-Z\\-~]*")
# Characters that join or change the glyph before them: Rich measures a line that holds one as a whole, and each of
# its styled pieces on its own, so such a table cell is left to Rich.
_JOINERS = ("\u200d", "\ufe0f")


def plain_lines(renderable: RenderableType, width: int = PLAIN_WIDTH) -> list[str]:
    """The lines (with any trailing spaces) that Rich prints for `renderable` on a console `width` columns wide with
    no colour, for what the plain views are made of: Text, Group, Padding and a Table without a box. Raises
    `_NotPlain` for anything else, and where Rich would wrap, crop or shrink a line or a column."""
    return _Plain().lines(renderable, width, None)


class _Plain:
    """Lays out renderables as Rich does, with the arithmetic of a table written out, and no Segment per cell."""

    def __init__(self) -> None:
        self._rich: tuple[Any, Any] | None = None

    def lines(self, renderable: Any, width: int, justify: str | None) -> list[str]:
        from rich.console import Group
        from rich.padding import Padding
        from rich.table import Table
        from rich.text import Text

        if width < 1:
            raise _NotPlain
        kind = type(renderable)
        if kind is Text:
            return self._text(renderable, width, justify)
        if kind is Group:
            if not renderable.fit:
                raise _NotPlain
            return [line for part in renderable.renderables for line in self.lines(part, width, justify)]
        if kind is Padding:
            return self._padding(renderable, width, justify)
        if kind is Table:
            return self._table(renderable, width)
        if kind is str:
            return self._text(_literal(renderable), width, justify)
        raise _NotPlain

    def measure(self, renderable: Any, width: int) -> int:
        """The widest line of `renderable`, as Rich's `Measurement.get(...).maximum` gives it `width` columns."""
        from rich.cells import cell_len
        from rich.console import Group
        from rich.padding import Padding
        from rich.text import Text

        if width < 1:
            raise _NotPlain
        kind = type(renderable)
        if kind is str:
            renderable = _literal(renderable)
            kind = Text
        if kind is Text:
            rows = renderable.plain.splitlines()
            widest = max(cell_len(row) for row in rows) if rows else 0
        elif kind is Group and renderable.fit:
            widest = max((self.measure(part, width) for part in renderable.renderables), default=0)
        elif kind is Padding:
            sides = renderable.left + renderable.right
            if width - sides < 1:
                raise _NotPlain
            widest = self.measure(renderable.renderable, width - sides) + sides
        else:
            raise _NotPlain
        return min(widest, width)

    def _text(self, text: Text, width: int, justify: str | None) -> list[str]:
        from rich.cells import cell_len

        plain = text.plain
        if "\t" in plain or text.end != "\n" or text.justify is not None or text.overflow == "ignore":
            raise _NotPlain
        rows = plain.split("\n")
        for row in rows:
            # A line fits if it is no wider than `width`: surely where it has at most half as many characters (none
            # is wider than two columns), else by its width, where that is the sum of its characters' (no joiner).
            if len(row) * 2 > width and (any(joiner in row for joiner in _JOINERS) or cell_len(row) > width):
                raise _NotPlain  # Rich would wrap it
        if justify == "right":
            rows = [row.rstrip() for row in rows]
            return [" " * (width - cell_len(row)) + row for row in rows]
        if justify not in (None, "default", "left"):
            raise _NotPlain
        return rows

    def _padding(self, padding: Any, width: int, justify: str | None) -> list[str]:
        if not padding.expand:
            raise _NotPlain
        inner = width - padding.left - padding.right
        indent = " " * padding.left
        body = [indent + line for line in self.lines(padding.renderable, inner, justify)]
        return [""] * padding.top + body + [""] * padding.bottom

    def _table(self, table: Table, width: int) -> list[str]:
        columns = table.columns
        if (
            not columns
            or not (table.rows or table.show_header)
            or table.box is not None
            or table.show_footer
            or table.caption
            or table.width is not None
            or table.min_width is not None
            or table.expand
            or any(
                column.width is not None
                or column.min_width is not None
                or column.max_width is not None
                or column.vertical != "top"
                or column.justify not in ("left", "right")
                for column in columns
            )
        ):
            raise _NotPlain
        top, right, bottom, left = table.padding
        if top or bottom:
            raise _NotPlain
        last = len(columns) - 1
        sides: list[tuple[int, int]] = []
        for index in range(len(columns)):
            # as Table._get_cells and Table._get_padding_width give them
            cell_left, cell_right = left, right
            if table.collapse_padding and index:
                cell_left = max(0, cell_left - cell_right)
            if not table.pad_edge:
                cell_left = 0 if index == 0 else cell_left
                cell_right = 0 if index == last else cell_right
            sides.append((cell_left, cell_right))
        cells = [[*([column.header] if table.show_header else []), *column.cells] for column in columns]
        widths = []
        for column_cells, (cell_left, cell_right) in zip(cells, sides, strict=True):
            inner = width - cell_left - cell_right
            if inner < 1:
                raise _NotPlain
            widest = max(self._cell_width(cell, inner) for cell in column_cells)
            widths.append((widest + cell_left + cell_right) or 1)
        table_width = sum(widths)
        if table_width > width:
            raise _NotPlain  # Rich would shrink the columns
        lines: list[str] = []
        if table.title:
            title = table.title
            if type(title) is str:
                title = _literal(title)
            if table.title_justify not in ("left", "default") or self.measure(title, table_width) > table_width:
                raise _NotPlain
            lines += self.lines(title, table_width, None)
        rendered = [
            self._cells(column_cells, column_width, cell_sides, column.justify)
            for column_cells, column_width, cell_sides, column in zip(cells, widths, sides, columns, strict=True)
        ]
        if table.show_header and len({len(cell) for cell in next(zip(*rendered, strict=True))}) > 1:
            raise _NotPlain  # Rich aligns the headers at the bottom
        for row in zip(*rendered, strict=True):
            height = max(len(cell) for cell in row)
            for number in range(height):
                lines.append(
                    "".join(
                        cell[number] if number < len(cell) else " " * column_width
                        for cell, column_width in zip(row, widths, strict=True)
                    )
                )
        return lines

    def _cell_width(self, cell: Any, inner: int) -> int:
        if _joined(cell):
            return self._rich_measure(cell, inner)
        return self.measure(cell, inner)

    def _cells(
        self, column_cells: list[Any], column_width: int, sides: tuple[int, int], justify: str
    ) -> list[list[str]]:
        from rich.cells import cell_len

        cell_left, cell_right = sides
        inner = column_width - cell_left - cell_right
        if inner < 1:
            raise _NotPlain
        indent, after = " " * cell_left, " " * cell_right
        rendered = []
        for cell in column_cells:
            if _joined(cell):
                rendered.append(self._rich_cell(cell, column_width, sides, justify))
                continue
            cell_lines = []
            for line in self.lines(cell, inner, justify):
                size = cell_len(line)
                if size > inner:
                    raise _NotPlain  # Rich would wrap or crop it
                cell_lines.append(indent + line + " " * (inner - size) + after)
            rendered.append(cell_lines)
        return rendered

    # A cell with a joiner is measured and laid out by Rich itself, cell by cell.

    def _console(self) -> tuple[Any, Any]:
        if self._rich is None:
            import io

            from rich.console import Console

            wide = Console(
                file=io.StringIO(), width=PLAIN_WIDTH, color_system=None, force_terminal=False, highlight=False
            )
            self._rich = (wide, wide.options.update(markup=False, highlight=False))
        return self._rich

    def _rich_measure(self, cell: Any, inner: int) -> int:
        from rich.measure import Measurement

        wide, options = self._console()
        return int(Measurement.get(wide, options.update_width(inner), cell).maximum)

    def _rich_cell(self, cell: Any, column_width: int, sides: tuple[int, int], justify: str) -> list[str]:
        from rich.padding import Padding

        wide, options = self._console()
        options = options.update(width=column_width, justify=justify, height=None)
        padded = Padding(cell, (0, sides[1], 0, sides[0]))
        return ["".join(segment.text for segment in line) for line in wide.render_lines(padded, options)]


def _literal(value: str) -> Text:
    """A string cell or title as Rich reads it, where that is the string itself (else `_NotPlain`)."""
    from rich.text import Text

    if not _LITERAL.fullmatch(value):
        raise _NotPlain
    return Text(value)


def _joined(cell: Any) -> bool:
    from rich.text import Text

    return type(cell) is Text and any(joiner in cell.plain for joiner in _JOINERS)


def _real_terminal() -> bool:
    # A pager needs stdout to be a terminal itself, not merely output that Rich was told to style.
    try:
        return sys.stdout.isatty()
    except ValueError:
        return False


DEFAULT_PAGER = "less -FRX"


def _capable_terminal() -> bool:
    """Whether the terminal can run a full-screen pager: as git asks, TERM is set and is not `dumb` (an Emacs shell,
    `env -i`, some CI terminals), where `less` would stop on a warning. A PAGER named by the user is used anyway."""
    return os.environ.get("TERM", "") not in ("", "dumb")


def page(output: str) -> None:
    """Show `output` through `$PAGER` (default `less -FRX`, but none on a terminal that cannot run it), as git does;
    print it as it is if the pager is empty, `cat`, or cannot be started."""
    import shlex
    import subprocess

    command = os.environ.get("PAGER", DEFAULT_PAGER if _capable_terminal() else "")
    try:
        args = shlex.split(command)
    except ValueError:
        args = []
    if not args or args[0] == "cat":
        _plain(sys.stdout, output.removesuffix("\n"))
        return
    environment = {**os.environ}
    environment.setdefault("LESS", "FRX")  # a bare PAGER=less still shows colours and leaves the screen as it is
    sys.stdout.flush()
    try:
        process = subprocess.Popen(args, stdin=subprocess.PIPE, env=environment)
    except OSError:
        _plain(sys.stdout, output.removesuffix("\n"))
        return
    assert process.stdin is not None
    try:
        process.stdin.write(output.encode(sys.stdout.encoding or "utf-8", "backslashreplace"))
        process.stdin.close()
    except BrokenPipeError:  # the reader quit the pager before the end: not an error
        pass
    while True:
        try:
            process.wait()
            return
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager while it runs
            continue


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


GAP = 3  # between two table columns: a rule and a space either side
DUE_WIDTH = 10
STATUS_WIDTH = max(len(status.value) for status in Status)
TITLE_MIN = 24
ACTORS_MAX = 10
PILLAR_WIDTH = 18


def commitment_table(commitments: Sequence[Summary], today: str, width: int = 80) -> RenderableType:
    """The `list` view for a terminal `width` columns wide. Ids are what users type, so an id is never wrapped
    or cut: the title column gets what is left and wraps. Where an id column and a title column do not both fit,
    the id stands above its title in one column; where even that does not fit, each commitment is a few lines."""
    id_width = max([2, *(len(commitment["id"]) for commitment in commitments)])
    actors_width = max([6, *(min(ACTORS_MAX, len(_actors(commitment))) for commitment in commitments)])
    fixed = actors_width + DUE_WIDTH + STATUS_WIDTH + 3 * GAP
    title_width = width - fixed - id_width - GAP
    if title_width >= TITLE_MIN:
        with_pillar = width >= 100 and title_width - PILLAR_WIDTH - GAP >= TITLE_MIN
        if with_pillar:
            title_width -= PILLAR_WIDTH + GAP
        table = _list_table()
        table.add_column("id", width=id_width, no_wrap=True)
        table.add_column("title", width=title_width)
        table.add_column("actors", width=actors_width)
        if with_pillar:
            table.add_column("pillar", width=PILLAR_WIDTH)
        table.add_column("due", width=DUE_WIDTH, no_wrap=True)
        table.add_column("status", width=STATUS_WIDTH, no_wrap=True)
        for commitment in commitments:
            cells = [text(commitment["id"]), text(commitment["title"]), text(_actors(commitment))]
            if with_pillar:
                cells.append(text(commitment["pillar"]))
            table.add_row(*cells, text(commitment["due"] or "-"), _status_cell(commitment, today))
        return table
    # The id above its title, in one column; actors may wrap to make room.
    actors_width = max(6, min(actors_width, width - DUE_WIDTH - STATUS_WIDTH - 3 * GAP - id_width))
    fixed = actors_width + DUE_WIDTH + STATUS_WIDTH + 3 * GAP
    if width - fixed >= id_width:
        table = _list_table()
        table.add_column("id and title", width=width - fixed)
        table.add_column("actors", width=actors_width)
        table.add_column("due", width=DUE_WIDTH, no_wrap=True)
        table.add_column("status", width=STATUS_WIDTH, no_wrap=True)
        for commitment in commitments:
            table.add_row(
                _id_over(commitment["id"], commitment["title"]),
                text(_actors(commitment)),
                text(commitment["due"] or "-"),
                _status_cell(commitment, today),
            )
        return table
    if width - STATUS_WIDTH - GAP >= id_width:  # and the due date above the status
        table = _list_table()
        table.add_column("id, title and actors", width=width - STATUS_WIDTH - GAP)
        table.add_column("due, status", width=STATUS_WIDTH, no_wrap=True)
        for commitment in commitments:
            detail = _id_over(commitment["id"], commitment["title"])
            detail.append("\n")
            detail.append_text(text(_actors(commitment), style="dim"))
            when = text(commitment["due"] or "-")
            when.append("\n")
            when.append_text(_status_cell(commitment, today))
            table.add_row(detail, when)
        return table
    return _stacked(commitments, today)


def _list_table() -> Table:
    from rich.table import Table

    return Table(show_edge=False, pad_edge=False, header_style="bold")


def _id_over(commitment_id: str, title: str) -> Text:
    """An id in bold on its own line, a title below it."""
    from rich.text import Text

    cell = Text()
    cell.append_text(text(commitment_id, style="bold"))
    cell.append("\n")
    cell.append_text(text(title))
    return cell


def _status_cell(commitment: Summary, today: str) -> Text:
    status = actor_status_text(actor_statuses(commitment))
    if is_overdue(commitment, today):
        status.append("\noverdue", style="bold red")
    return status


def actor_status_text(statuses: dict[str, Status | None], separator: str = "\n") -> Text:
    """A commitment's status: the one its actors share, or each actor's (`ROK fulfilled`, `ASEAN partial`, one a
    line; `-` for an actor no event assesses yet)."""
    from rich.text import Text

    shared = shared_status(statuses)
    if shared is not None:
        return status_text(shared)
    label = Text()
    for number, (actor, status) in enumerate(statuses.items()):
        if number:
            label.append(separator)
        label.append_text(text(f"{actor} "))
        label.append_text(status_text(status) if status else Text("-"))
    return label


def _stacked(commitments: Sequence[Summary], today: str) -> RenderableType:
    """Each commitment as lines (id; title; actors, due and status), for terminals narrower than any table."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    parts: list[RenderableType] = []
    for commitment in commitments:
        facts = text(f"{_actors(commitment)}; due {commitment['due'] or '-'}; ")
        facts.append_text(actor_status_text(actor_statuses(commitment), ", "))
        if is_overdue(commitment, today):
            facts.append(" (overdue)", style="bold red")
        parts += [text(commitment["id"], style="bold"), Padding(Group(text(commitment["title"]), facts), (0, 0, 0, 2))]
        parts.append(Text())
    return Group(*parts[:-1])


LIST_FIELDS = ("id", "title", "actors", "pillar", "due", "status")


def commitment_rows(commitments: Iterable[Summary], today: str) -> Iterable[str]:
    """Tab-separated rows for pipes: a header, then one line per commitment; no field holds a tab or newline."""
    yield "\t".join(LIST_FIELDS)
    for commitment in commitments:
        shared = commitment["assessed"] is None  # every event assessed every actor: the latest status is theirs
        words = commitment["status"] if shared else safe(status_words(actor_statuses(commitment)))
        status = words + (" (overdue)" if is_overdue(commitment, today) else "")
        fields = (commitment["id"], commitment["title"], _actors(commitment), commitment["pillar"])
        yield "\t".join((*map(safe, fields), commitment["due"] or "-", status))


def _box(plain: bool) -> Any:
    """The tables' box: none in plain text, Rich's heavy-headed one on a terminal."""
    from rich import box

    return None if plain else box.HEAVY_HEAD


def commitment_detail(
    commitment: Commitment, today: str, width: int = 80, plain: bool = False, supersedes: Sequence[str] = ()
) -> RenderableType:
    """Everything about one commitment, for `show`: on a terminal `width` wide, or as plain text. `supersedes` are
    the commitments it replaces (whose superseded event names it)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    where = citation(commitment["source"], with_file=True)
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    label_width = len("status") + 2
    id_fits = plain or len(commitment["id"]) <= width - label_width
    facts.add_row("id", text(commitment["id"]) if id_fits else Text("(above)"))
    summary = summarize(commitment)
    status = actor_status_text(actor_statuses(summary), "; ")
    if is_overdue(commitment, today):
        status.append(" (overdue)", style="bold red")
    facts.add_row("status", status)
    if summary["superseded_by"] is not None and commitment["status"] == Status.SUPERSEDED.value:
        facts.add_row("replaced by", text(summary["superseded_by"]))
    if supersedes:
        facts.add_row("replaces", text(", ".join(supersedes)))
    facts.add_row("kind", text(commitment["kind"] or "-"))
    if commitment["weight"] != 1:
        facts.add_row("weight", text(f"{commitment['weight']:g}"))
    facts.add_row("actors", text(_actors(commitment)))
    facts.add_row("pillar", text(commitment["pillar"]))
    facts.add_row("due", text(commitment["due"] or "-"))
    facts.add_row("amount", text(format_amount(commitment["amount"]) or "-"))
    facts.add_row("source", text(where or "-"))
    if commitment["source"]["file"] and commitment["source"]["paragraph"] is not None:
        hint = f"'tracker show {commitment['id']} --source' prints the paragraph"
        if not plain and len(hint) > width - label_width:  # an id is never wrapped: name it ID instead
            hint = "'tracker show ID --source' prints the paragraph"
        facts.add_row("", text(hint, style="dim"))

    events = [(None, event) for event in ordered_history(commitment["history"])]
    history = _events_view(events, _recorded_on, width, plain, multiline=True)

    parts: list[RenderableType] = [] if id_fits else [text(commitment["id"], style="bold")]
    parts.append(text(commitment["title"], style="bold"))
    if commitment["summary"]:
        parts.append(text(commitment["summary"], multiline=True))
    parts += [Text(), facts]
    if commitment["quote"]:
        parts += [Text(), Text("quote", style="bold"), _indented(text(commitment["quote"], multiline=True))]
    parts += [Text(), Text("history", style="bold"), history]
    return Group(*parts)


def history_view(commitment: Commitment, width: int = 80, plain: bool = False) -> RenderableType:
    """A commitment's events, numbered as `tracker history ID --edit N` and `--delete N` take them, for a terminal
    `width` wide or as plain text."""
    from rich.console import Group
    from rich.text import Text

    from tracker.model import numbered_events

    events = [(number, event) for number, _, event in numbered_events(commitment)]
    table = _events_view(events, _recorded_at, width, plain, multiline=not plain)
    return Group(text(commitment["id"], style="bold"), text(commitment["title"]), Text(), table)


def _recorded_on(event: Event) -> Text:
    """When an event was recorded (the day) and by whom, on lines of their own."""
    return _lines(event["recorded_at"][:10], *([event["recorded_by"]] if event["recorded_by"] else []))


def _recorded_at(event: Event) -> Text:
    """When an event was recorded (to the second) and by whom, on one line."""
    return text(event["recorded_at"] + (f" {event['recorded_by']}" if event["recorded_by"] else ""))


NOTE_AT_LEAST = 24  # the fewest columns a table gives an event's note; on a narrower terminal, events are stacked


def _events_view(
    events: Sequence[tuple[int | None, Event]],
    recorded: Callable[[Event], Text],
    width: int,
    plain: bool,
    multiline: bool,
) -> RenderableType:
    """Events (with their numbers, where given) as a table of date, status, note and evidence, and when recorded;
    where the note would have fewer than NOTE_AT_LEAST columns, each event as a block instead: its number, date and
    status on a line, then, under them, its note and evidence and when it was recorded, wrapped to the width."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    numbered = any(number is not None for number, _ in events)
    statuses = [status_text(Status(event["status"])) for _, event in events]
    stamps = [recorded(event) for _, event in events]
    fixed = [
        *([max(len(str(number)) for number, _ in events)] if numbered and events else []),
        len("yyyy-mm-dd"),
        max([len("status"), *(status.cell_len for status in statuses)]),
        max([len("recorded"), *(cell_len(line) for stamp in stamps for line in stamp.plain.split("\n"))]),
    ]
    if plain or width - sum(fixed) - 3 * len(fixed) >= NOTE_AT_LEAST:
        table = Table(show_edge=False, pad_edge=False, header_style="bold", box=_box(plain))
        if numbered:
            table.add_column("#", justify="right", no_wrap=True)
        table.add_column("date", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("note and evidence", ratio=1)
        table.add_column("recorded", no_wrap=True, style="dim")
        for (number, event), status, stamp in zip(events, statuses, stamps, strict=True):
            cells = [text(event["date"]), status, _event_detail(event, multiline), stamp]
            table.add_row(*([str(number)] if numbered else []), *cells)
        return table
    blocks: list[RenderableType] = []
    for (number, event), status, stamp in zip(events, statuses, stamps, strict=True):
        head = Text(f"#{number}  " if number is not None else "", style="bold")
        head.append_text(text(event["date"]))
        head.append("  ")
        head.append_text(status)
        body = _event_detail(event, multiline=True)
        body.append("\nrecorded ", style="dim")
        body.append_text(Text(stamp.plain.replace("\n", " "), style="dim"))
        blocks += [head, _indented(body)]
    return Group(*blocks)


def _event_detail(event: Event, multiline: bool) -> Text:
    """An event's note, whom it assesses and its successor, and its evidence: on lines, or on one line."""
    detail = text(event["note"], multiline=multiline)
    extras = []
    if event["actors"] is not None:
        extras.append(f"assesses {', '.join(event['actors'])}")
    if event["by"] is not None:
        extras.append(f"replaced by {event['by']}")
    for extra in extras:
        detail.append("\n" if multiline else " ")
        detail.append_text(text(f"[{extra}]", style="dim"))
    for evidence in event["evidence"]:
        detail.append("\n" if multiline else " ")
        detail.append_text(text(f"- {evidence}" if multiline else f"[evidence: {evidence}]", style="italic"))
    return detail


def _lines(*parts: str) -> Text:
    """Data texts, each shown literally, on lines of their own."""
    from rich.text import Text

    joined = Text()
    for number, part in enumerate(parts):
        if number:
            joined.append("\n")
        joined.append_text(text(part))
    return joined


def _indented(body: RenderableType) -> RenderableType:
    """`body` two spaces in, wrapped within the width."""
    from rich.padding import Padding

    return Padding(body, (0, 0, 0, 2))


BAR_WIDTH = 30


def _score_words(score: dict[str, Any]) -> str:
    if score["mean"] is None:
        return "no assessed commitments"
    return f"{score['mean']:+z.2f} ({score['percent']:.1f}%) over {score['assessed']} assessed"


def _group_table(title: str, groups: dict[str, dict[str, Any]], plain: bool) -> Table:
    from rich.table import Table

    table = Table(
        title=title, title_justify="left", title_style="bold", show_edge=False, pad_edge=False, box=_box(plain)
    )
    table.add_column(title.split()[-1], overflow="fold")
    table.add_column("total", justify="right")
    table.add_column("assessed", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("percent", justify="right")
    for name, group in groups.items():
        group_score = group["score"]
        mean = "-" if group_score["mean"] is None else f"{group_score['mean']:+z.2f}"
        percent = "-" if group_score["percent"] is None else f"{group_score['percent']:.1f}%"
        table.add_row(text(name), str(group["total"]), str(group_score["assessed"]), mean, percent)
    return table


def report_view(report: dict[str, Any], width: int = 80, plain: bool = False) -> RenderableType:
    """The report as a person wants to read it: status bars and score at a glance, on a terminal `width` wide
    (every listed item, ids never wrapped), or as plain text."""
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
    parts += [Text(), _group_table("By pillar", report["by_pillar"], plain), Text()]
    parts += [_group_table("By actor", report["by_actor"], plain), Text()]
    parts += [_commitments_listing(report["commitments"]), Text()]
    listings = (
        ("Overdue", report["overdue"], ("due", "days_overdue"), "nothing is overdue"),
        ("Recent changes (90 days)", report["recent"], ("date",), "no events in the last 90 days"),
        ("Due soon (180 days)", report["due_soon"], ("due", "days_left"), "nothing falls due"),
    )
    for title, items, first, empty in listings:
        parts += [_listing(title, items, first, empty, width, plain), Text()]
    return Group(*parts[:-1])


def _commitments_listing(items: list[dict[str, Any]]) -> RenderableType:
    """Each commitment: its id (whole, on its own line), title, each actor's status and score, its score and latest
    assessment, and the rationale and evidence behind it."""
    from rich.console import Group
    from rich.text import Text

    if not items:
        return Text("Commitments: none.", style="bold")
    parts: list[RenderableType] = [Text("Commitments", style="bold")]
    for item in items:
        standing = Text()
        for number, (actor, entry) in enumerate(item["actors"].items()):
            if number:
                standing.append("; ")
            standing.append_text(text(f"{actor} "))
            standing.append_text(status_text(Status(entry["status"])) if entry["status"] else Text("-"))
            if entry["score"] is not None:
                standing.append(f" {SCORE_CELL[entry['score']]}")
        score = "-" if item["score"] is None else f"{item['score']:+z.2f}"
        standing.append(f" · score {score} · latest {item['assessed_on'] or '-'}", style="dim")
        body: list[RenderableType] = [text(item["title"]), standing]
        if item["rationale"]:
            body.append(text(item["rationale"], multiline=True))
        body += [text(f"- {evidence}", style="italic") for evidence in item["evidence"]]
        parts += [text(item["id"], style="bold"), _indented(Group(*body))]
    return Group(*parts)


def _listing(
    title: str, items: list[dict[str, Any]], first: tuple[str, ...], empty: str, width: int, plain: bool
) -> RenderableType:
    """One of the report's lists, every item of it: dates and figures, status, then the id (whole) and text."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    if not items:
        return Text(f"{title}: {empty}.", style="bold")
    first_widths = [max(len(column.split("_")[0]), *(len(str(item[column])) for item in items)) for column in first]
    id_width = max(len(item["id"]) for item in items)
    rest = width - sum(first_widths) - STATUS_WIDTH - GAP * len(first_widths) - GAP
    if not plain and rest < id_width:  # too narrow for a table whose ids stay whole: a few lines each
        lines: list[RenderableType] = [Text(title, style="bold")]
        for item in items:
            facts = ", ".join(f"{column.replace('_', ' ')} {item[column]}" for column in first)
            lines.append(text(item["id"], style="bold"))
            summary = text(f"{facts}; ")
            summary.append_text(status_text(Status(item["status"])))
            lines.append(_indented(Group(summary, text(item["note"] if "note" in item else item["title"]))))
        return Group(*lines)
    table = Table(
        title=title, title_justify="left", title_style="bold", show_edge=False, pad_edge=False, box=_box(plain)
    )
    for column, column_width in zip(first, first_widths, strict=True):
        # "days overdue" and "days left" are said by the title; the column is "days"
        header = column.split("_")[0]
        justify: Any = "right" if column.startswith("days") else "left"
        table.add_column(header, no_wrap=True, justify=justify, width=None if plain else column_width)
    table.add_column("status", no_wrap=True, width=None if plain else STATUS_WIDTH)
    heading = "commitment" if "note" not in items[0] else "commitment and note"
    table.add_column(heading, width=None if plain else rest)
    for item in items:
        words = item["note"] if "note" in item else item["title"]
        detail = Text()
        detail.append_text(text(item["id"], style="bold"))
        detail.append("  " if plain else "\n")
        detail.append_text(text(words))
        cells = [text(str(item[column])) for column in first]
        table.add_row(*cells, status_text(Status(item["status"])), detail)
    return table


LOG_FIELDS = ("date", "id", "status", "change", "note", "evidence", "recorded_at", "recorded_by")
NOTE_MIN = 20


def event_log_rows(entries: Iterable[dict[str, Any]]) -> Iterable[str]:
    """Tab-separated rows of `tracker log` for pipes: a header, then one line per event (`status` is the status it
    leaves, evidence is joined by `; `); no field holds a tab or newline."""
    yield "\t".join(LOG_FIELDS)
    for entry in entries:
        evidence = "; ".join(entry["evidence"])
        fields = (entry["date"], entry["id"], entry["status"], entry["change"], entry["note"], evidence)
        yield "\t".join((*map(safe, fields), safe(entry["recorded_at"]), safe(entry["recorded_by"] or "-")))


def _recorded(entry: dict[str, Any]) -> Text:
    """When an event was recorded (the date), and by whom where that is known."""
    return _lines(entry["recorded_at"][:10], *([entry["recorded_by"]] if entry["recorded_by"] else []))


def _change_text(entry: dict[str, Any]) -> Text:
    """`new pending`, `note pending` or `pending -> fulfilled`, the resulting status in its colour."""
    from rich.text import Text

    label = Text()
    if entry["from"] is None or entry["from"] == entry["status"]:
        label.append("new " if entry["from"] is None else "note ")
    else:
        label.append_text(status_text(Status(entry["from"])))
        label.append(" -> ")
    label.append_text(status_text(Status(entry["status"])))
    return label


def _note_and_evidence(entry: dict[str, Any]) -> Text:
    detail = text(entry["note"], multiline=True)
    for evidence in entry["evidence"]:
        detail.append("\n")
        detail.append_text(text(f"- {evidence}", style="italic"))
    return detail


def event_log_table(entries: Sequence[dict[str, Any]], width: int = 80) -> RenderableType:
    """`tracker log` on a terminal `width` wide: date, id (never wrapped or cut), change, note and evidence, when
    recorded. Where the id and the note do not both fit, the id stands above its note; where even that does not fit,
    each event is a few lines, its id on a line of its own."""
    from rich.console import Group
    from rich.text import Text

    id_width = max([2, *(len(entry["id"]) for entry in entries)])
    change_width = max([len("change"), *(_change_text(entry).cell_len for entry in entries)])
    note_width = width - DUE_WIDTH - id_width - change_width - DUE_WIDTH - 4 * GAP
    if note_width >= NOTE_MIN:
        table = _list_table()
        table.add_column("date", width=DUE_WIDTH, no_wrap=True)
        table.add_column("id", width=id_width, no_wrap=True)
        table.add_column("change", width=change_width, no_wrap=True)
        table.add_column("note and evidence", width=note_width)
        table.add_column("recorded", width=DUE_WIDTH, overflow="fold", style="dim")
        for entry in entries:
            table.add_row(
                text(entry["date"]),
                text(entry["id"]),
                _change_text(entry),
                _note_and_evidence(entry),
                _recorded(entry),
            )
        return table
    note_width = width - DUE_WIDTH - change_width - DUE_WIDTH - 3 * GAP
    if note_width >= id_width:  # the id above its note, in one column
        table = _list_table()
        table.add_column("date", width=DUE_WIDTH, no_wrap=True)
        table.add_column("change", width=change_width, no_wrap=True)
        table.add_column("id, note and evidence", width=note_width)
        table.add_column("recorded", width=DUE_WIDTH, overflow="fold", style="dim")
        for entry in entries:
            detail = Text()
            detail.append_text(text(entry["id"], style="bold"))
            detail.append("\n")
            detail.append_text(_note_and_evidence(entry))
            table.add_row(text(entry["date"]), _change_text(entry), detail, _recorded(entry))
        return table
    parts: list[RenderableType] = []
    for entry in entries:
        facts = text(f"{entry['date']}  ")
        facts.append_text(_change_text(entry))
        by = f" by {entry['recorded_by']}" if entry["recorded_by"] else ""
        recorded = text(f"recorded {entry['recorded_at']}{by}", style="dim")
        parts += [text(entry["id"], style="bold"), _indented(Group(facts, _note_and_evidence(entry), recorded))]
        parts.append(Text())
    return Group(*parts[:-1])


def source_view(heading: str, paragraph: str) -> RenderableType:
    """A cited paragraph under its citation, for `tracker source` on a terminal (the paragraph wraps there)."""
    from rich.console import Group
    from rich.text import Text

    return Group(text(heading, style="bold"), Text(), text(paragraph, multiline=True))


def _candidate_facts(candidate: Candidate) -> str:
    actors = ", ".join(candidate.actors) or "no actor named"
    paragraph = "no paragraph number" if candidate.paragraph is None else f"paragraph {candidate.paragraph}"
    facts = [f"{candidate.confidence:.2f}", paragraph, candidate.kind, actors, candidate.pillar]
    facts.append(f"due {candidate.due}" if candidate.due else "no due date")
    if candidate.amount:
        facts.append(format_amount(candidate.amount))
    return "  ".join(facts)


def _rejection_facts(rejection: Rejection) -> str:
    paragraph = "no paragraph number" if rejection.paragraph is None else f"paragraph {rejection.paragraph}"
    return f"{paragraph}  '{rejection.cue}': {rejection.reason}"


def extraction_text(extraction: Extraction, heading: str, explain: bool) -> Iterable[str]:
    """Plain lines for a pipe: per candidate its facts, title, quote (whole, on one line) and cue; with `explain`,
    then the sentences with a cue word that were left out, and why."""
    yield safe(heading)
    for number, candidate in enumerate(extraction.candidates, 1):
        yield ""
        yield f"{number}. {safe(_candidate_facts(candidate))}"
        yield f"   title: {safe(candidate.title)}"
        yield f"   quote: {safe(candidate.quote)}"
        yield f"   cue: {safe(candidate.cue)}"
    if explain:
        yield ""
        yield f"left out: {len(extraction.rejected)} sentences with a cue word"
        for rejection in extraction.rejected:
            yield ""
            yield f"- {safe(_rejection_facts(rejection))}"
            yield f"   quote: {safe(rejection.quote)}"


def extraction_view(extraction: Extraction, heading: str) -> RenderableType:
    """Candidates on a terminal, then what was left out and why: every quote whole, wrapped at words to the width."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    parts: list[RenderableType] = [text(heading, style="bold")]
    for number, candidate in enumerate(extraction.candidates, 1):
        parts.append(Text())
        parts.append(Text.assemble(f"{number}. ", text(candidate.title, style="bold")))
        body = Text.assemble(
            text(_candidate_facts(candidate), style="cyan"),
            "\n",
            text(f"“{candidate.quote}”"),
            "\n",
            text(f"cue: {candidate.cue}", style="dim"),
        )
        parts.append(Padding(body, (0, 0, 0, 3)))
    parts.append(Text())
    if not extraction.rejected:
        parts.append(Text("Left out: no other sentence had a cue word.", style="bold"))
        return Group(*parts)
    parts.append(Text(f"Left out: {len(extraction.rejected)} sentences with a cue word, and why", style="bold"))
    for rejection in extraction.rejected:
        parts.append(Text.assemble("- ", text(_rejection_facts(rejection), style="yellow")))
        parts.append(Padding(text(f"“{rejection.quote}”", style="dim"), (0, 0, 0, 2)))
    return Group(*parts)


# --- the scorecard ------------------------------------------------------------------------------------------------

SCORE_CELL = {1: "+1", 0: "0", -1: "-1"}
NOT_SCORED = {None: "·", Status.PENDING.value: "·", Status.LAPSED.value: "lap", Status.SUPERSEDED.value: "sup"}


def score_cell(entry: dict[str, Any] | None) -> str:
    """A scorecard cell in words: +1, 0, -1; · not yet assessed; lap or sup for a lapsed or superseded commitment;
    req for a request (not scored); empty where the actor is not party to it."""
    if entry is None:
        return ""
    if entry.get("request"):
        return "req"
    if entry["score"] is not None:
        return SCORE_CELL[entry["score"]]
    return NOT_SCORED.get(entry["status"], "·")


def mean_words(score: dict[str, Any]) -> tuple[str, str]:
    """A mean and its percentage in words, `-` where nothing was scored."""
    if score["mean"] is None:
        return "-", "-"
    return f"{score['mean']:+z.2f}", f"{score['percent']:.1f}%"


def actor_codes(actors: Sequence[str], longest: int = 5) -> dict[str, str]:
    """A short header for each actor: its own name where it is short, else its initials (numbered if two clash);
    made from the name as `safe` shows it, so that a control character in a name is never printed."""
    from rich.cells import cell_len

    codes: dict[str, str] = {}
    for actor in actors:
        shown = safe(actor)
        code = shown if cell_len(shown) <= longest else "".join(word[0] for word in shown.split())[:longest].upper()
        code = code or shown[:longest]
        base, number = code, 1
        while code in codes.values():
            number += 1
            code = f"{base[: longest - len(str(number))]}{number}"
        codes[actor] = code
    return codes


def scorecard_view(card: dict[str, Any], width: int = 80, plain: bool = False) -> RenderableType:
    """The scorecard as text lines that fit `width` columns: actors abbreviated in the header with a legend, ids
    whole (on a line of their own above their cells where a row would not fit), row and column means."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.text import Text

    actors = card["actors"]
    codes = actor_codes(actors)
    cell_width = max([6, *map(cell_len, codes.values())])  # room for "+0.33" and "100.0%" below
    figures = "".join(" " * (cell_width + 1 - cell_len(codes[a])) + codes[a] for a in actors)
    figures += f" {'mean':>5} {'%':>6}"
    id_width = max([len("commitment"), *(len(row["id"]) for row in card["rows"])])
    inline = id_width + cell_len(figures) <= width
    label = id_width if inline else 2
    lines: list[Text] = []
    header = Text(f"{'commitment':<{label}}" if inline else "commitment\n  ", style="bold")
    header.append(f"{'':<{0 if inline else label - 2}}{figures}", style="bold")
    lines.append(header)
    for row in card["rows"]:
        mean, share = mean_words(row)
        cells = "".join(f" {score_cell(row['cells'][a]):>{cell_width}}" for a in actors) + f" {mean:>5} {share:>6}"
        if inline:
            line = text(f"{row['id']:<{id_width}}")
            line.append(cells)
            lines.append(line)
        else:
            lines.append(text(row["id"], style="bold"))
            lines.append(Text(f"{'':<{label}}{cells}"))
    column_means = [mean_words(card["columns"][a]) for a in actors]
    for title, index in (("mean", 0), ("%", 1)):
        cells = "".join(f" {words[index]:>{cell_width}}" for words in column_means)
        if inline:
            lines.append(Text(f"{title:<{label}}{cells}", style="bold"))
        else:  # as the rows above: the title on a line of its own, the figures under their columns
            lines.append(Text(title, style="bold"))
            lines.append(Text(f"{'':<{label}}{cells}", style="bold"))
    overall_mean, overall_share = mean_words(card["overall"])
    convention = "(mean + 1) / 2 x 100" if card["percent_convention"] == "g20" else "mean x 100"
    overall = (
        f"Overall: {overall_mean} ({overall_share}) over {card['overall']['assessed']} scored commitments"
        + (", weighted" if card["weighted"] else "")
        + f". Percent: {convention}. Unassessed cells: {card['unassessed']}."
    )
    notes = [
        Text(),
        Text(overall, style="bold"),
        Text(
            "Cells: +1 fulfilled, 0 partial or in progress, -1 stalled or broken, · not yet assessed, lap lapsed, "
            "sup superseded, req a request (none of these three scored), empty: not a party."
        ),
    ]
    legend = [f"{code} = {actor}" for actor, code in codes.items() if code != actor]
    if legend:
        notes.append(text("Actors: " + "; ".join(legend)))
    return Group(*lines, *notes)


# --- sources --------------------------------------------------------------------------------------------------

SOURCE_FIELDS = ("file", "where", "date", "commitments", "score", "document")


def _source_cells(row: dict[str, Any]) -> tuple[str, ...]:
    score = row["score"]
    shown = "-" if score["mean"] is None else f"{score['mean']:+z.2f} ({score['percent']:.1f}%, {score['assessed']})"
    return (row["file"], row["where"], row["date"] or "-", str(row["commitments"]), shown, row["document"] or "-")


def source_rows(rows: Iterable[dict[str, Any]]) -> Iterable[str]:
    """Tab-separated rows for pipes: a header, then one line per source text (score: mean, percent, assessed)."""
    yield "\t".join(SOURCE_FIELDS)
    for row in rows:
        yield "\t".join(safe(cell) for cell in _source_cells(row))


def sources_table(rows: Sequence[dict[str, Any]]) -> RenderableType:
    """The source texts on a terminal: file, where it is, date, commitments citing it, their score, document."""
    table = _list_table()
    for name in SOURCE_FIELDS:
        table.add_column(name, justify="right" if name == "commitments" else "left", overflow="fold")
    for row in rows:
        table.add_row(*(text(cell) for cell in _source_cells(row)))
    return table


def candidate_review(number: int, count: int, candidate: Candidate) -> list[str]:
    """One candidate as `extract --add` shows it for review: every field it would be added with, the quote whole."""
    return [
        "",
        f"Candidate {number} of {count} (confidence {candidate.confidence:.2f}, paragraph "
        f"{candidate.paragraph if candidate.paragraph is not None else '-'})",
        f"  title:  {safe(candidate.title)}",
        f"  kind:   {candidate.kind}",
        f"  actors: {safe(', '.join(candidate.actors)) or '-'}",
        f"  pillar: {candidate.pillar}",
        f"  due:    {candidate.due or 'none'}",
        f"  quote:  {safe(candidate.quote)}",
    ]


# --- compliance over time -----------------------------------------------------------------------------------------

# Four letters for each status in the trend's header, with a legend under it, so that the table fits 80 columns.
STATUS_CODES = {
    Status.PENDING: "pend",
    Status.IN_PROGRESS: "prog",
    Status.STALLED: "stal",
    Status.PARTIAL: "part",
    Status.FULFILLED: "fulf",
    Status.BROKEN: "brok",
    Status.LAPSED: "laps",
    Status.SUPERSEDED: "supd",
}
_EIGHTHS = " ▏▎▍▌▋▊▉"
TREND_BAR_MAX = 40


def score_bar(share: float, width: int, plain: bool = False) -> str:
    """A horizontal bar `width` characters long at 100%: in eighths of a character on a terminal, `#` in plain."""
    if plain:
        return "#" * round(share * width)
    eighths = round(share * width * 8)
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def trend_view(document: dict[str, Any], width: int = 80, plain: bool = False) -> RenderableType:
    """The series as a table that fits `width` columns: a row per period, the tallies by status (a status that is
    0 in every period left out, and said so), the score, and a bar of the percentage beside them."""
    from rich.console import Group
    from rich.text import Text

    figures = document["points"]
    scope = ", ".join(
        f"{name} {safe(str(document[name]))}" for name in ("pillar", "actor", "known_on") if document.get(name)
    )
    title = (
        f"Compliance from {document['from']} to {document['to']}, by {document['every']}"
        + (f" ({scope})" if scope else "")
        + f": {len(figures)} period{'' if len(figures) == 1 else 's'}"
    )
    shown = [status for status in Status if any(point["by_status"][status.value] for point in figures)]
    label = max([len("period"), *(len(point["period"]) for point in figures)])
    numbers = max([3, *(len(str(point["total"])) for point in figures)])
    cells = [("total", max(numbers, 5)), *((STATUS_CODES[status], max(numbers, 4)) for status in shown)]
    cells += [("scored", max(numbers, 6))]
    used = label + sum(size + 1 for _, size in cells) + len(" +0.00 100.0% ")
    bar = max(0, min(TREND_BAR_MAX, width - used - 1))  # never wider than the screen: no bar rather than a wrap
    header = f"{'period':<{label}}" + "".join(f" {name:>{size}}" for name, size in cells)
    lines: list[Text] = [Text(title, style="bold"), Text(), Text(f"{header} {'mean':>5} {'%':>6} score", style="bold")]
    for point in figures:
        score = point["score"]
        values = [point["total"], *(point["by_status"][status.value] for status in shown), score["assessed"]]
        row = f"{point['period']:<{label}}" + "".join(
            f" {value:>{size}}" for value, (_, size) in zip(values, cells, strict=True)
        )
        if score["mean"] is None:
            line = Text(f"{row} {'-':>5} {'-':>6}")
        else:
            line = Text(f"{row} {score['mean']:+z.2f} {score['percent']:>5.1f}% ")
            line.append(score_bar(score["percent"] / 100, bar, plain), style="green")
            line.rstrip()
        lines.append(line)
    legend = ", ".join(f"{STATUS_CODES[status]} {status.value}" for status in shown)
    hidden = [status.value for status in Status if status not in shown]
    notes = [
        Text(),
        Text(f"Columns: {legend}" + ("; " if legend else "") + "scored: assessed commitments."),
        Text(
            "Each row is the state at the end of the period (the last on the end date), as 'tracker report --as-of' "
            + (
                f"gives it; the bar is the percentage, {bar} character{'' if bar == 1 else 's'} for 100%."
                if bar
                else "gives it; the screen is too narrow for the bar of the percentage."
            )
        ),
    ]
    if hidden:
        notes.append(Text(f"None in any period: {', '.join(hidden)}."))
    return Group(*lines, *notes)
