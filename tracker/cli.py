"""The command line: each command parses its options, calls the core or the store, and hands the result to render."""

from __future__ import annotations

import functools
import math
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TextIO, TypeVar

import typer
from typer.core import TyperGroup

from tracker import __version__, render
from tracker.errors import DatabaseError, InvalidInputError, RecordProblems, TrackerError, UsageProblem
from tracker.files import default_path, describe_os_error
from tracker.model import (
    EVIDENCE_BLANK,
    ID_MAX,
    ID_PATTERN,
    KIND_VALUES_ORDERED,
    TITLE_MAX,
    WEIGHT_MAX,
    Amount,
    Commitment,
    Filters,
    Kind,
    Percent,
    Pillar,
    SortKey,
    Status,
    Summary,
    Unassessed,
    actor_key,
    blank_evidence,
    check_actor,
    check_successors,
    checked_fields,
    citation,
    cited_paragraph,
    delete_event,
    edit_commitment,
    edit_event,
    future_bound,
    is_overdue,
    new_commitment,
    numbered_events,
    parse_amount,
    parse_date,
    record_event,
    shows_anything,
    sorted_commitments,
    successor_loop,
    surrogate_in,
    utc_timestamp,
)
from tracker.store import (
    Store,
    Transaction,
    WriteResult,
    changed_files,
    drop_trusted_indexes,
    forget_trusted_reads,
)

if TYPE_CHECKING:
    from tracker.extract import Candidate
    from tracker.formats import ImportCounts


class TrackerGroup(TyperGroup):
    """Typer's group, with every error printed as one line on stderr and no traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        forget_trusted_reads()
        render.forget_errors_said()
        render.tolerant_streams()
        try:
            arguments = kwargs.get("args", args[0] if args else None)
            _refuse_output_into_the_database(database_asked_for(sys.argv[1:] if arguments is None else arguments))
            result = super().main(*args, **kwargs)
            if result == 130:  # what Typer makes of Ctrl-C in a command
                raise KeyboardInterrupt
        except TrackerError as error:
            for problem in error.listed if isinstance(error, RecordProblems) else []:
                render.print_error(problem)
            render.print_error(str(error))
            sys.exit(error.exit_code)
        except typer.TyperException as error:
            render.print_error(_usage_message(error))
            sys.exit(error.exit_code)
        except (typer.Abort, KeyboardInterrupt) as stop:
            if isinstance(stop, KeyboardInterrupt):  # not at a question, which ends its own line (`_prompting`)
                render.end_terminal_line()
            if changed_files():  # Ctrl-C just after the change was made: it stands, as after any other failure
                sys.exit(_failed_after_any_change("interrupted"))
            render.print_error("aborted; nothing was changed")
            # Ctrl-C (at a question too, where Click makes it an Abort) is 130; an answer of no, or Ctrl-D, is 1.
            interrupted = isinstance(stop, KeyboardInterrupt) or isinstance(stop.__context__, KeyboardInterrupt)
            sys.exit(130 if interrupted else 1)
        except BrokenPipeError:
            render.silence(sys.stdout)
            sys.exit(1)
        except OSError as error:  # a disk full, a file system gone read-only: writes are atomic, none is half done
            words = str(error.strerror or error)
            if isinstance(error, render.OutputLost):  # as at the end (see `exit_status`)
                words = f"the output could not be written: {words}"
                render.silence(sys.stdout)
            elif error.filename:
                words = f"{words}: {error.filename}"
            sys.exit(_failed_after_any_change(words))
        except MemoryError:  # an input too large for this machine (or an endless stream that looks like JSON)
            sys.exit(_failed_after_any_change("out of memory"))
        except Exception as error:
            if os.environ.get("TRACKER_DEBUG"):
                raise
            name = type(error).__name__
            dropped = drop_trusted_indexes()  # a bulk read took records on an index's word: never again from it
            if dropped:
                problem = f"{dropped[0]} does not match its index ({name}: {error})"
                render.print_error(f"{problem}; the index was dropped: run the command again")
                sys.exit(1)
            render.print_error(f"internal error ({name}: {error}); set TRACKER_DEBUG=1 to see where, and report it")
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # stdout's reader has gone: Click ends quietly with exit 1, unless the change is made
            if not changed_files():
                raise
            render.silence(sys.stdout)
            raise typer.Exit(0) from None  # see `_failed_after_any_change`

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Typer's, which suggests commands spelt like an unknown one; one in other capitals (`Report`) alone."""
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as error:  # Click's UsageError: "No such command 'LIST'."
            typed = args[0] if args else ""
            message = getattr(error, "message", None)
            if isinstance(message, str) and typed.lower() in self.commands:  # that one, not those spelt alike
                error.message = f"{message.partition('. Did you mean')[0].rstrip('.')}. Did you mean {typed.lower()!r}?"
            raise

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        """After the list of commands, one example of each, taken from its own help, so they cannot drift."""
        examples = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            found = (
                [line for line in (command.help or "").splitlines() if line.startswith("Example: ")] if command else []
            )
            examples += [line.removeprefix("Example: ") for line in found[:1]]
        if examples:
            formatter.write_paragraph()
            formatter.write_text("Examples:")
            for example in examples:
                formatter.write(f"  {example}\n")
        super().format_epilog(ctx, formatter)


def _failed_after_any_change(problem: str) -> int:
    """Say what went wrong, and give the exit status. Once this command has changed the data file (and its output
    then could not be written, say), the change stands: a notice, exit 0, as for any command that changed the file,
    so that nobody runs it again to make the change twice. Otherwise an error, exit 1."""
    changed = changed_files()
    if changed:
        render.print_notice(f"the change to {changed[0]} was made, but then: {problem}", said=True)
        return 0
    render.print_error(problem)
    return 1


def _usage_message(error: Any) -> str:
    message = " ".join(error.format_message().split())
    context = getattr(error, "ctx", None)
    if context is not None:
        return f"{message} (see '{context.command_path} --help')"
    return message


app = typer.Typer(
    cls=TrackerGroup,
    name="tracker",
    help="Track diplomatic commitments: what was promised, what happened since, with dated evidence.",
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        render.print_line(f"tracker {__version__}")
        raise typer.Exit()


def check_date(value: str | None) -> str | None:
    """Option callback: a strict YYYY-MM-DD date, or a usage error (exit 2)."""
    if value is None:
        return None
    try:
        parse_date(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    return value


NO_PAGER = "tracker.no_pager"


def _check_given(value: str) -> str:
    """A file named by an empty string is a mistake, not the current folder (which is what Path('') is); so is one
    that ends in a slash (or /.), which Path would drop (making `x/` the file `x`)."""
    if not value:
        raise typer.BadParameter("the path is empty; give a file's path")
    ending = next((end for end in ("/", "/.", os.sep, os.sep + ".") if value.endswith(end)), None)
    if ending is not None:
        raise typer.BadParameter(f"{render.safe(value)} ends in {ending}, so it names a folder; give a file's path")
    return value


def _check_path(value: str) -> Path:
    return Path(_check_given(value))


def _check_output(value: str) -> Path | None:
    """The --output file; None (stdout) for - and for the names of this process's standard output. The names of
    its standard error are refused: a file there would be replaced, not written to."""
    path = _check_path(value)
    stream = _standard_stream(value)
    if value == "-" or stream == 1:
        return None
    if stream == 2:
        raise typer.BadParameter(f"{render.safe(value)} is stderr; give a file (or leave --output out for stdout)")
    if path.is_dir():
        raise typer.BadParameter(f"{render.safe(value)} is a directory; give a file's path (or leave --output out)")
    return path


def _standard_stream(value: str) -> int | None:
    """1 or 2 where `value` names this process's stdout or stderr (`/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`,
    however spelt: `//dev/./stdout`, `/dev/fd/01`), else None."""
    parts = [part for part in value.split("/") if part not in ("", ".")]
    if not value.startswith("/") or ".." in parts:
        return None
    if parts in (["dev", "stdout"], ["dev", "stderr"]):
        return 1 if parts[1] == "stdout" else 2
    if (
        parts[:-1] in (["dev", "fd"], ["proc", "self", "fd"], ["proc", "thread-self", "fd"])
        and parts[-1].isascii()
        and parts[-1].isdigit()
        and len(parts[-1]) <= 9
    ):
        return int(parts[-1]) if int(parts[-1]) in (1, 2) else None
    return None


@app.callback()
def main(
    context: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar="TRACKER_DB",
            metavar="FILE",
            help="The data file. Default: commitments.json in your user data directory.",
            parser=_check_path,
            show_default=False,
        ),
    ] = None,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page long output (else it goes through $PAGER, default 'less -FRX', on a terminal).",
        ),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Track diplomatic commitments: what was promised, what happened since, with dated evidence.

    Example: tracker list --status pending --pillar economic
    """
    context.obj = db
    context.meta[NO_PAGER] = no_pager
    if context.invoked_subcommand is None:
        sys.stdout.write(context.get_help() + "\n")
        raise typer.Exit(2)


def _refuse_output_into_the_database(db: Path | None) -> None:
    """Refuse, before anything is read, written or printed (a help, a version, a usage error included), a stdout or
    stderr that is the data file or one of its side files (`tracker export >> commitments.json`, `2>> ...`): what the
    command printed would corrupt it. A refused stderr is silenced and the refusal said on stdout (if it can be)."""
    regular = [number for number in (1, 2) if _is_regular_file(number)]
    if not regular:
        return
    try:
        path = db if db is not None else default_path()
        if not path.name or path.is_dir():  # no file name to have side files by: the command says what is wrong
            return
        store = Store(path, lock_timeout=0)
        into = [number for number in regular if store.holds_open_file(number)]
    except OSError:  # a path that cannot be examined is no database to write into (and the command may not need it)
        return
    words = f"the database {store.path} or one of its side files; send the output elsewhere"
    if 2 in into:
        render.silence(sys.stderr)
        if 1 not in into:  # stdout, then, is where it can be said
            render.print_line(f"tracker: error: stderr is {words}")
        raise typer.Exit(1)
    if 1 in into:  # or `--output /dev/stdout` so sent
        raise InvalidInputError(f"stdout is {words}")


def _is_regular_file(descriptor: int) -> bool:
    try:
        return stat.S_ISREG(os.fstat(descriptor).st_mode)
    except OSError:
        return False


def _store(context: typer.Context, create: bool = True) -> Store:
    """The store for this run. Only the default path is created on first use (from the bundled data set, saying
    where): a --db or TRACKER_DB path that does not exist is an error, so that a typo never starts a new file."""
    explicit = context.find_root().obj
    store = Store(explicit if explicit is not None else default_path())
    if store.path.is_dir():  # for every command, init and undo too: `.` and `/` have no file name to work with
        raise DatabaseError(
            f"{store.path} is a directory, not a tracker database file; give a file's path, "
            f"e.g. {store.path / 'commitments.json'}"
        )
    if not create:
        return store
    if explicit is not None:
        if not store.exists():
            import shlex

            raise DatabaseError(
                f"no database at {store.path}; 'tracker --db {shlex.quote(str(store.path))} init' creates one "
                "(--empty for none)"
            )
    elif store.ensure(create_directory=True):
        render.print_notice(f"created {store.path} from the bundled ASEAN-ROK 2020 data set")
    return store


def _today() -> str:
    return date.today().isoformat()


def _find(store: Store, wanted: str) -> Commitment:
    """The commitment that `wanted` names (an id or a unique prefix), resolved once, before any lock is taken: a
    write then acts on that exact id (`Transaction.require`), never on whatever the prefix matches by then."""
    with store.reading() as snapshot:
        return snapshot.get(snapshot.resolve(wanted))


def _recorded_by() -> str | None:
    """Who records an event: TRACKER_USER, else the name the system knows the user by."""
    import getpass

    name = os.environ.get("TRACKER_USER", "").strip()
    if name:
        if surrogate_in(name):
            raise UsageProblem("TRACKER_USER holds bytes that are not UTF-8; set it to a name in UTF-8")
        return name
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        return None
    if surrogate_in(name):  # from the first of these that is set, as getpass looks, else the account database
        where = next(
            (each for each in ("LOGNAME", "USER", "LNAME", "USERNAME") if os.environ.get(each)),
            "your user name in the system's account database",
        )
        raise UsageProblem(f"{where} holds bytes that are not UTF-8; set TRACKER_USER to a name in UTF-8")
    return name or None


def _successor(store: Store, by: str, commitment_id: str) -> str:
    """The exact id of the commitment that --by names (an id or a unique prefix), which must not be the commitment."""
    successor = _find(store, by)["id"]
    if successor == commitment_id:
        raise UsageProblem(f"'{commitment_id}' cannot supersede itself; --by names the commitment that replaces it")
    return successor


def _lookup(transaction: Transaction) -> Callable[[str], Commitment | None]:
    """The transaction's commitment with this exact id, or None if it has none."""
    return lambda commitment_id: transaction.get(commitment_id) if transaction.contains(commitment_id) else None


def _write(store: Store, action: str, change: Any) -> WriteResult:
    """Run one write and say anything the user must know about it (e.g. that its undo entry is not yet marked
    done)."""
    result = store.write(action, change)
    for warning in result.warnings:
        render.print_notice(warning)
    return result


def _completion_summaries(context: typer.Context) -> list[Summary]:
    """The summaries in the data file, for shell completion: read only, never creating or writing a file (not
    even the index), and nothing at all on any problem, since a completion must not print errors."""
    try:
        from tracker.index import read_index, signature
        from tracker.layout import FOOTER, HEADER, parse_database
        from tracker.model import summarize
        from tracker.store import read_text

        explicit = context.find_root().params.get("db")
        path = Path(explicit) if explicit else default_path()
        if not path.is_file():
            return []
        index = read_index(Store(path).index_path, signature(path.stat()), len(HEADER), len(FOOTER))
        if index is not None:
            return [index.summary(position) for position in range(len(index.ids))]
        return [summarize(commitment) for commitment in parse_database(read_text(path), str(path))]
    except Exception:
        return []


def _complete_id(context: typer.Context, incomplete: str) -> list[str]:
    return sorted(c["id"] for c in _completion_summaries(context) if c["id"].startswith(incomplete))


def _complete_actor(context: typer.Context, incomplete: str) -> list[str]:
    # As the shell itself matches, in the case typed.
    return sorted({a for c in _completion_summaries(context) for a in c["actors"] if a.startswith(incomplete)})


IdArgument = Annotated[
    str,
    typer.Argument(metavar="ID", help="An id, or a unique prefix of one.", autocompletion=_complete_id),
]


def _with_overdue(commitment: Commitment, today: str) -> dict[str, Any]:
    return {**commitment, "overdue": is_overdue(commitment, today)}


StatusFilter = Annotated[
    list[Status] | None,
    typer.Option(
        "--status",
        "-s",
        help="Only this status (repeatable: any of them; any case).",
        show_default=False,
        case_sensitive=False,
    ),
]
PillarFilter = Annotated[
    Pillar | None,
    typer.Option("--pillar", "-p", help="Only this pillar (any case).", show_default=False, case_sensitive=False),
]
ActorFilter = Annotated[
    str | None,
    typer.Option(
        "--actor",
        "-a",
        metavar="TEXT",
        help="Only commitments of this actor (any case).",
        show_default=False,
        autocompletion=_complete_actor,
    ),
]
OverdueFilter = Annotated[
    bool, typer.Option("--overdue", help="Only commitments past their due date, neither fulfilled nor broken.")
]
DueBeforeFilter = Annotated[
    str | None,
    typer.Option("--due-before", metavar="DATE", callback=check_date, help="Only those due before DATE (YYYY-MM-DD)."),
]
SearchFilter = Annotated[
    str | None,
    typer.Option("--search", metavar="TEXT", help="Only those whose title, summary or quote holds TEXT (any case)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
NoPagerFlag = Annotated[
    bool, typer.Option("--no-pager", help="Never page long output (the same as 'tracker --no-pager ...').")
]


def _paging(context: typer.Context, no_pager: bool) -> bool:
    """Whether long output may go through the pager: not if --no-pager was given before or after the command."""
    return not (no_pager or context.find_root().meta.get(NO_PAGER, False))


def _filters(
    statuses: list[Status] | None = None,
    pillar: Pillar | None = None,
    actor: str | None = None,
    overdue: bool = False,
    due_before: str | None = None,
    search: str | None = None,
    kinds: list[Kind] | None = None,
    source: str | None = None,
) -> Filters:
    return Filters(tuple(statuses or ()), pillar, actor, overdue, due_before, search, tuple(kinds or ()), source)


SourceFilter = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="TEXT",
        help="Only commitments from this source: its text's file name (as 'tracker sources' lists it) or its "
        "document's name (any case).",
        show_default=False,
    ),
]


KindFilter = Annotated[
    list[Kind] | None,
    typer.Option(
        "--kind",
        "-k",
        help="Only this kind (repeatable: any of them; any case): pledge, agreement, aspiration, request, "
        "continuation.",
        case_sensitive=False,
        show_default=False,
    ),
]


def check_known_on(value: str | None) -> str | None:
    """Option callback: a --known-on date, which cannot be in the future (nothing is recorded there yet)."""
    value = check_date(value)
    if value is not None and value > future_bound():
        raise typer.BadParameter(f"{value} is in the future; --known-on takes a date by which events were recorded")
    return value


KnownOnOption = Annotated[
    str | None,
    typer.Option(
        "--known-on",
        metavar="DATE",
        callback=check_known_on,
        help="Use only events recorded on or before DATE, to reproduce a report as it could be issued then.",
        show_default=False,
    ),
]


@app.command("list")
def list_command(
    context: typer.Context,
    status: StatusFilter = None,
    pillar: PillarFilter = None,
    actor: ActorFilter = None,
    overdue: OverdueFilter = False,
    due_before: DueBeforeFilter = None,
    search: SearchFilter = None,
    kind: KindFilter = None,
    source: SourceFilter = None,
    as_json: JsonFlag = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", metavar="N", min=1, help="Only the first N (on a terminal, then 'N more').", show_default=False
        ),
    ] = None,
    no_pager: NoPagerFlag = False,
    show_all: Annotated[bool, typer.Option("--all", hidden=True, help="Every row (always so now).")] = False,
    sort: Annotated[
        SortKey,
        typer.Option(
            "--sort",
            help="The order: due (due date, none last, then id), id, status (pending first, then due, then id) "
            "or updated (latest event first, then id); any case.",
            case_sensitive=False,
        ),
    ] = SortKey.DUE,
) -> None:
    """List commitments, by due date or --sort; filters combine.

    On a terminal: a table (through the pager when it is long). In a pipe: tab-separated rows.

    Example: tracker list --status pending --status stalled --pillar economic
    """
    today = _today()
    with _store(context).reading() as snapshot:
        chosen = snapshot.select(_filters(status, pillar, actor, overdue, due_before, search, kind, source), today)
        if sort is not SortKey.DUE:  # select gives them by due date
            chosen = sorted_commitments(chosen, sort)
        commitments = chosen if limit is None else chosen[:limit]
        if as_json:
            render.print_json([_with_overdue(c, today) for c in snapshot.get_each(c["id"] for c in commitments)])
            return
    if not render.stdout_is_terminal():
        for row in render.commitment_rows(commitments, today):
            sys.stdout.write(row + "\n")
        return
    if not commitments:
        render.print_line("no commitments match")
        return
    table = render.commitment_table(commitments, today, render.console().width)
    render.print_renderable(table, pager=_paging(context, no_pager))
    if len(commitments) < len(chosen):
        render.print_line(f"... {len(chosen) - len(commitments)} more; a larger --limit shows them")


FormatT = TypeVar("FormatT")


class ShowFormat(StrEnum):
    TABLE = "table"
    TEXT = "text"
    JSON = "json"


@app.command()
def show(
    context: typer.Context,
    commitment_id: IdArgument,
    output_format: Annotated[
        ShowFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (the default on a terminal), text (the default elsewhere) or json.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON (--format json).")] = False,
    no_pager: NoPagerFlag = False,
    source: Annotated[
        bool, typer.Option("--source", help="Print the paragraph of the source text it cites (as 'tracker source').")
    ] = False,
) -> None:
    """Show one commitment: quote, source, status, history, evidence.

    On a terminal: tables (through the pager when long). Elsewhere: plain text, or --format table.
    --source prints the cited paragraph of the source text instead.

    Example: tracker show rcep
    """
    if source and (as_json or output_format is not None):
        raise UsageProblem("--source prints the cited paragraph as text; leave out --format and --json")
    if source:
        _print_source(context, commitment_id, no_pager)
        return
    today = _today()
    with _store(context).reading() as snapshot:
        commitment = snapshot.get(snapshot.resolve(commitment_id))
        supersedes = snapshot.superseding(commitment["id"])
    chosen = ShowFormat.JSON if as_json else output_format or _table_or_text(ShowFormat.TABLE, ShowFormat.TEXT)
    if chosen is ShowFormat.JSON:
        render.print_json({**_with_overdue(commitment, today), "supersedes": supersedes})
    elif chosen is ShowFormat.TEXT:
        render.print_plain(render.commitment_detail(commitment, today, plain=True, supersedes=supersedes))
    else:
        detail = render.commitment_detail(commitment, today, render.console().width, supersedes=supersedes)
        render.print_renderable(detail, pager=_paging(context, no_pager))


@app.command("source")
def source_command(context: typer.Context, commitment_id: IdArgument, no_pager: NoPagerFlag = False) -> None:
    """Print the paragraph of its source text that a commitment cites.

    The paragraph as in the text, its sub-points included; on a terminal it wraps to the screen. The source texts
    are those bundled with tracker and those 'extract --add' kept beside the data file. The same as
    'tracker show ID --source'.

    Example: tracker source cooperation-fund
    """
    _print_source(context, commitment_id, no_pager)


class SourcesFormat(StrEnum):
    TABLE = "table"
    TEXT = "text"
    JSON = "json"


@app.command("sources")
def sources_command(
    context: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", callback=check_date, help="The date to score on. Default: today."),
    ] = None,
    output_format: Annotated[
        SourcesFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (the default on a terminal), text (tab-separated, the default elsewhere) or json.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the source texts, with their commitments and score.

    The bundled texts, those registered by 'extract --add' (beside the data file), and any cited but missing. For
    each: its file name, where it is (bundled, register or missing), its date, the document its commitments cite,
    how many commitments cite it and their compliance score (the mean of each commitment's actors' scores, as
    'report' scores; the percentage, and how many are assessed). 'list --source FILE' shows them.

    Example: tracker sources --as-of 2021-06-30
    """
    from tracker.report import source_figures

    store = _store(context)
    with store.reading() as snapshot:
        summaries = snapshot.summaries()
    rows = source_figures(summaries, _bundled_sources(), store.register.names(), as_of or _today())
    chosen = output_format or _table_or_text(SourcesFormat.TABLE, SourcesFormat.TEXT)
    if chosen is SourcesFormat.JSON:
        render.print_json(rows)
    elif chosen is SourcesFormat.TEXT:
        for line in render.source_rows(rows):
            sys.stdout.write(line + "\n")
    else:
        render.print_renderable(render.sources_table(rows))


def _bundled_sources() -> dict[str, str]:
    """The source texts bundled with the package, by file name. Only these are read: a file name from the data
    is matched against them, never used as a path."""
    from importlib import resources

    folder = resources.files("tracker.data.sources")
    return {
        entry.name: entry.read_bytes().decode("utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".txt") and entry.is_file()
    }


def _print_source(context: typer.Context, commitment_id: str, no_pager: bool) -> None:
    from tracker.extract import numbered_paragraphs

    store = _store(context)
    commitment = _find(store, commitment_id)
    name = commitment["source"]["file"]
    # The register beside the data file first, then the bundled texts; the name is only looked up among them.
    registered = store.register.text(name) if name is not None else None
    if name is not None and registered is not None:
        paragraph = cited_paragraph(commitment, {name: registered}, numbered_paragraphs)  # as extract numbered it
    else:
        paragraph = cited_paragraph(commitment, _bundled_sources())
    heading = f"{commitment['id']}: {citation(commitment['source'], with_file=True)}"
    if render.stdout_is_terminal():
        render.print_renderable(render.source_view(heading, paragraph), pager=_paging(context, no_pager))
        return
    for line in [heading, "", *paragraph.splitlines()]:
        render.print_line(line)


def _table_or_text(table: FormatT, plain: FormatT) -> FormatT:
    """The default format: a table on a terminal, plain text in a pipe or file."""
    return table if render.stdout_is_terminal() else plain


@app.command()
def init(
    context: typer.Context,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing file (a timestamped backup is kept).")
    ] = False,
    empty: Annotated[bool, typer.Option("--empty", help="Start with no commitments, not the bundled ones.")] = False,
) -> None:
    """Create the data file from the bundled data set (or empty).

    Example: tracker --db team/commitments.json init
    """
    store = _store(context, create=False)
    backup = store.init(force=force, empty=empty)
    if backup is not None:
        render.print_notice(f"kept a backup of the old file at {backup}")
    what = "with no commitments" if empty else "from the bundled ASEAN-ROK 2020 data set"
    render.print_notice(f"created {store.path} {what}")


YesFlag = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def _stdin_is_terminal() -> bool:
    """Whether stdin is a terminal; not if it was closed before the tracker started (`<&-`: Python leaves it None)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _confirm(question: str, yes: bool) -> None:
    """Ask on a terminal; elsewhere nobody can answer, so demand --yes."""
    if yes:
        return
    if not _stdin_is_terminal():
        raise UsageProblem("not on a terminal, so nobody can confirm; pass --yes to go ahead")
    with _asking() as stream:
        while True:
            with _prompting(stream):
                answer = _answer(stream, f"{render.safe(question)} [y/N]: ").strip().lower()
            if answer in ("y", "yes"):
                return
            if answer in ("", "n", "no"):
                raise typer.Abort()
            stream.write(f"'{render.safe(answer)}' is not an answer: type y (yes) or n (no)\n")


@contextmanager
def _asking() -> Iterator[TextIO]:
    """Where a question goes: the terminal the answer is read from (stdin). stderr where it is that terminal (stdout
    may be a file); else that terminal opened by its name (`2>/dev/null`, `2>log`, or stderr on another terminal),
    never made the controlling terminal of a process that has none (as under setsid). A UsageProblem where it cannot
    be: a question nobody sees is not asked."""
    cannot = UsageProblem("the question cannot be shown on the terminal stdin is; pass --yes to go on")
    ttyname = getattr(os, "ttyname", None)
    if ttyname is None:  # Windows: stdin's terminal is the console, where stderr shows if it is a terminal
        if sys.stderr is None or not sys.stderr.isatty():
            raise cannot
        yield sys.stderr
        return
    try:
        name = ttyname(sys.stdin.fileno())
    except (OSError, AttributeError, ValueError):
        raise cannot from None
    if os.path.basename(name) == "ptmx":  # a pseudo-terminal's other end: whoever sees it is a program, not a person
        raise cannot
    if _same_terminal(sys.stderr, sys.stdin):
        yield sys.stderr
        return
    try:
        descriptor = os.open(name, os.O_WRONLY | os.O_NOCTTY)
    except OSError:
        raise cannot from None
    with open(descriptor, "w", encoding=sys.stdin.encoding, errors="backslashreplace") as terminal:
        yield terminal


def _same_terminal(stream: TextIO | None, other: TextIO | None) -> bool:
    try:
        return bool(
            stream is not None
            and other is not None
            and stream.isatty()
            and os.fstat(stream.fileno()).st_rdev == os.fstat(other.fileno()).st_rdev
        )
    except (OSError, AttributeError, ValueError):
        return False


def _answer(stream: TextIO, prompt: str) -> str:
    """The line typed after `prompt`, which goes to `stream` (not stdout), all of it (Click's prompts write their
    last character to stdout, which may be a file); bytes that stdin's encoding cannot read are shown as U+FFFD.
    Ctrl-C, Ctrl-D or a terminal gone (hung up, closed): typer.Abort, as Click's."""
    reconfigure = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:
        with suppress(ValueError, LookupError):
            reconfigure(errors="replace")
    try:
        stream.write(prompt)
        stream.flush()
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        raise typer.Abort() from None  # Ctrl-C (still its context: see TrackerGroup.main)
    except UnicodeError:  # an encoding that cannot read any answer (UTF-16 with no byte order mark)
        raise UsageProblem(f"an answer cannot be read in stdin's encoding ({sys.stdin.encoding}); pass --yes") from None
    except OSError:
        raise typer.Abort() from None
    if not line:
        raise typer.Abort()  # Ctrl-D
    return line.removesuffix("\n")


@contextmanager
def _prompting(stream: TextIO) -> Iterator[None]:
    """A prompt written to `stream` and waiting for its answer: Ctrl-C or Ctrl-D there leaves the cursor after the
    prompt, so the line is ended before anything else is said."""
    try:
        yield
    except (typer.Abort, KeyboardInterrupt, EOFError):
        with suppress(OSError, ValueError, AttributeError):
            stream.write("\n")
            stream.flush()
        raise


def _prompt(question: str, default: str | None) -> str:
    """The answer typed to `question` on stdout (`default` for none, shown with its control characters escaped:
    it may come from the text of a statement)."""
    shown = question if default is None else f"{question} [{render.safe(default)}]"
    with _prompting(sys.stdout):
        return str(typer.prompt(shown, default=default, show_default=False))


_TITLE_SHOWS_NOTHING = "the title shows nothing (only spaces or invisible characters)"
_ACTOR_SHOWS_NOTHING = "an actor's name shows nothing (only spaces or invisible characters)"


def _check_title(value: str) -> str:
    if not shows_anything(value):
        raise typer.BadParameter(f"{_TITLE_SHOWS_NOTHING}; give what was promised in 1 to {TITLE_MAX} characters")
    if len(value) > TITLE_MAX:
        raise typer.BadParameter(f"the title has {len(value)} characters; at most {TITLE_MAX} are allowed")
    return value


def _check_actors(values: list[str] | None) -> list[str] | None:
    if values and not all(map(shows_anything, values)):
        raise typer.BadParameter(f"{_ACTOR_SHOWS_NOTHING}; give a name, e.g. ROK or ASEAN")
    return values


def _check_evidence(values: list[str] | None) -> list[str] | None:
    """The model's rule for evidence, asked here so that breaking it is a usage error."""
    if values and blank_evidence(values):
        raise typer.BadParameter(EVIDENCE_BLANK)
    return values


def _check_paragraph(text: str) -> int:
    """A --paragraph: a whole number from 1, named in a problem as it was given (shortened where long)."""
    try:
        value = int(text)
    except ValueError:
        if text.strip().isascii() and text.strip().isdigit():  # more digits than Python reads (4,300)
            raise typer.BadParameter(
                f"a paragraph number of {len(text.strip()):,} digits is more than this tracker reads; "
                "paragraphs are numbered from 1"
            ) from None
        raise typer.BadParameter(
            f"{_as_typed(text)} is not a paragraph number; give a whole number from 1, e.g. 5"
        ) from None
    if value < 1:
        raise typer.BadParameter(f"{value} is not a paragraph number; paragraphs are numbered from 1")
    return value


def _check_id(value: str | None) -> str | None:
    if value is not None and (len(value) > ID_MAX or not ID_PATTERN.match(value)):
        raise typer.BadParameter(
            f"'{value}' is not an id; use at most {ID_MAX} lower-case letters, digits and single hyphens, "
            "e.g. rcep-signing"
        )
    return value


def _parse_amount(value: str | None) -> Amount | None:
    if value is None:
        return None
    try:
        return parse_amount(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--amount'") from None


@app.command()
def update(
    context: typer.Context,
    commitment_id: IdArgument,
    status: Annotated[
        Status | None,
        typer.Option("--status", "-s", help="The new status (any case).", show_default=False, case_sensitive=False),
    ] = None,
    note: Annotated[
        str, typer.Option("--note", "-n", metavar="TEXT", help="What happened, in a sentence or two.")
    ] = "",
    evidence: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence",
            "-e",
            metavar="TEXT",
            callback=_check_evidence,
            help="A URL or citation (repeatable).",
            show_default=False,
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--date", "-d", metavar="DATE", callback=check_date, help="When it happened (YYYY-MM-DD). Default: today."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Record it even if exactly this event (date, status, note, evidence) is.")
    ] = False,
    actor: Annotated[
        list[str] | None,
        typer.Option(
            "--actor",
            "-a",
            metavar="TEXT",
            help="An actor this event assesses (repeatable). Default: all of the commitment's actors.",
            autocompletion=_complete_actor,
            show_default=False,
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", metavar="ID", help="With --status superseded: the commitment that replaces it."),
    ] = None,
) -> None:
    """Record a dated event: what happened, its status and evidence.

    A note or evidence without --status keeps the status the commitment had on that date. --actor scores one
    party of a joint commitment apart from the others.

    Example: tracker update rcep --status fulfilled --date 2020-11-15 --evidence https://asean.org/...
    """
    if status is None and not note and not evidence:
        raise UsageProblem("nothing to record: give --status, --note or --evidence")
    today = _today()
    store = _store(context)
    found = _find(store, commitment_id)["id"]
    successor = _successor(store, by, found) if by is not None else None

    def change(transaction: Transaction) -> None:
        transaction.action = f"update {found}"
        if successor is not None:
            transaction.require(successor)
        current = transaction.require(found)
        updated = record_event(
            current,
            on=on or today,
            today=today,
            status=status,
            note=note,
            evidence=evidence or [],
            recorded_at=utc_timestamp(),
            repeat=force,
            actors=actor,
            recorded_by=_recorded_by(),
            by=successor,
        )
        check_successors(updated, _lookup(transaction), before=current)
        transaction.put(updated)

    result = _write(store, "update", change)
    (changed,) = result.changes
    before, after = changed.before, changed.after
    assert before is not None
    assert after is not None
    was = "" if before["status"] == after["status"] else f" (was {before['status']})"
    event = after["history"][-1]
    render.print_line(
        f"{after['id']}: {after['status']}{was}; recorded the event of {event['date']} ({event['status']}); "
        + _events(after)
    )


def _whole(value: float) -> int | float:
    """A number as JSON should hold it: 2, not 2.0."""
    return int(value) if value.is_integer() else value


def _as_typed(text: str, number: bool = False) -> str:
    """An option's text as a problem names it: quoted (but a `number`, which is shown as it reads), escaped, and cut
    short where long."""
    shown = text.strip() if number else text
    if len(shown) > 40:
        shown = (
            f"{shown[:20]}... ({len(shown):,} characters)"
            if number
            else repr(shown[:20]) + f"... ({len(shown):,} characters)"
        )
    elif not number:
        shown = repr(shown)
    return render.safe(shown)


def _check_weight(text: str) -> float:
    """A --weight, named in a problem as it was given (1e-400 is too small to keep, not "0")."""
    valid = f"give a positive number up to {WEIGHT_MAX:,}, e.g. 2"
    try:
        value = float(text)
    except ValueError:
        raise typer.BadParameter(f"{_as_typed(text)} is not a number; {valid}") from None
    if value == 0 and math.copysign(1, value) > 0 and not _is_zero(text):
        raise typer.BadParameter(f"{_as_typed(text, number=True)} is too small to be kept (it would be 0); {valid}")
    if not (math.isfinite(value) and 0 < value <= WEIGHT_MAX):
        raise typer.BadParameter(f"{_as_typed(text, number=True)} is not a weight; {valid}")
    return value


def _is_zero(text: str) -> bool:
    """Whether a number's text, as `float` reads it, is zero itself (0, 0.0, 0e5, in any script's digits), not a
    tiny number that rounds to zero."""
    import unicodedata  # not at start-up: only a --weight that reads as 0 asks

    mantissa = text.strip().lower().partition("e")[0]
    return not any(unicodedata.decimal(character, 0) for character in mantissa)


_KIND = typer.Option(
    "--kind",
    "-k",
    help="pledge, agreement, aspiration, request or continuation (any case).",
    case_sensitive=False,
    show_default=False,
)
KindOption = Annotated[Kind | None, _KIND]
WeightOption = Annotated[
    float | None,
    typer.Option(
        "--weight",
        metavar="N",
        parser=_check_weight,
        help="Significance, for --weighted scores: a positive number (default 1).",
        show_default=False,
    ),
]


@app.command()
def add(
    context: typer.Context,
    title: Annotated[
        str,
        typer.Option(
            "--title",
            "-t",
            metavar="TEXT",
            callback=_check_title,
            help=f"What was promised, in at most {TITLE_MAX} characters.",
        ),
    ],
    actor: Annotated[
        list[str],
        typer.Option(
            "--actor",
            "-a",
            metavar="TEXT",
            help="Who promised it (repeatable), e.g. ROK, ASEAN, Japan.",
            callback=_check_actors,
            autocompletion=_complete_actor,
        ),
    ],
    pillar: Annotated[
        Pillar, typer.Option("--pillar", "-p", help="The ASEAN Community pillar (any case).", case_sensitive=False)
    ],
    kind: Annotated[Kind, _KIND],
    summary: Annotated[
        str, typer.Option("--summary", metavar="TEXT", help="One or two sentences in your own words.")
    ] = "",
    due: Annotated[
        str | None, typer.Option("--due", metavar="DATE", callback=check_date, help="When it is due (YYYY-MM-DD).")
    ] = None,
    quote: Annotated[str, typer.Option("--quote", metavar="TEXT", help="The source's own words, verbatim.")] = "",
    source_document: Annotated[
        str, typer.Option("--source-document", metavar="TEXT", help="The statement it comes from.")
    ] = "",
    source_date: Annotated[
        str | None,
        typer.Option(
            "--source-date", metavar="DATE", callback=check_date, help="The statement's date. Default: today."
        ),
    ] = None,
    paragraph: Annotated[
        int | None,
        typer.Option("--paragraph", metavar="N", parser=_check_paragraph, help="The statement's paragraph number."),
    ] = None,
    amount: Annotated[
        str | None,
        typer.Option("--amount", metavar="TEXT", help="A sum promised, e.g. '14000000 USD/year'.", show_default=False),
    ] = None,
    commitment_id: Annotated[
        str | None,
        typer.Option(
            "--id", metavar="ID", callback=_check_id, help="The id. Default: made from the title's main words."
        ),
    ] = None,
    weight: WeightOption = None,
) -> None:
    """Add a commitment, pending from its source date.

    --kind is required: pledge (an actor says it will act), agreement (the parties agreed), aspiration (a stated
    hope or need), request (one party asks another) or continuation (action under way, said to continue).

    Example: tracker add --title "Host the 2021 Summit" --kind pledge --actor ROK --pillar economic
    """
    today = _today()
    parsed_amount = _parse_amount(amount)
    store = _store(context)
    with store.reading() as snapshot:
        for repeat in snapshot.repeats(title, quote):
            render.print_notice(f"warning: {repeat}; adding it all the same ('tracker remove ID' if it is one)")

    def change(transaction: Transaction) -> None:
        commitment = new_commitment(
            existing_ids=transaction,
            title=title,
            actors=actor,
            pillar=pillar,
            today=today,
            recorded_at=utc_timestamp(),
            summary=summary,
            due=due,
            quote=quote,
            source_document=source_document,
            source_date=source_date,
            paragraph=paragraph,
            amount=parsed_amount,
            commitment_id=commitment_id,
            kind=kind,
            weight=1 if weight is None else _whole(weight),
            recorded_by=_recorded_by(),
        )
        transaction.action = f"add {commitment['id']}"
        transaction.put(commitment, new=True)

    (added,) = _write(store, "add", change).changes
    assert added.after is not None
    render.print_line(f"added {added.id}: {added.after['title']}")


@app.command()
def remove(context: typer.Context, commitment_id: IdArgument, yes: YesFlag = False) -> None:
    """Remove a commitment and its history ('undo' brings it back).

    Example: tracker remove maritime-southeast-asia-initiative --yes
    """
    store = _store(context)
    commitment = _find(store, commitment_id)
    _confirm(f"Remove {commitment['id']} ({commitment['title']}) and its history?", yes)

    replaced: list[str] = []  # those whose latest supersession names it: found by the index, as `remove` reads no more

    def change(transaction: Transaction) -> None:
        transaction.action = f"remove {commitment['id']}"
        transaction.require(commitment["id"])
        replaced[:] = transaction.superseding(commitment["id"])
        transaction.delete(commitment["id"])

    _write(store, "remove", change)
    render.print_line(f"removed {commitment['id']}: {commitment['title']}")
    for other in replaced:
        render.print_notice(f"{other} still names {commitment['id']} as its successor, which no commitment is now")


def _check_optional_title(value: str | None) -> str | None:
    return None if value is None else _check_title(value)


@app.command()
def edit(
    context: typer.Context,
    commitment_id: IdArgument,
    title: Annotated[
        str | None,
        typer.Option(
            "--title",
            "-t",
            metavar="TEXT",
            callback=_check_optional_title,
            help=f"What was promised, in at most {TITLE_MAX} characters.",
            show_default=False,
        ),
    ] = None,
    summary: Annotated[
        str | None, typer.Option("--summary", metavar="TEXT", help="One or two sentences in your own words.")
    ] = None,
    quote: Annotated[str | None, typer.Option("--quote", metavar="TEXT", help="The source's own words.")] = None,
    due: Annotated[
        str | None, typer.Option("--due", metavar="DATE", callback=check_date, help="When it is due (YYYY-MM-DD).")
    ] = None,
    no_due: Annotated[bool, typer.Option("--no-due", help="It has no due date.")] = False,
    amount: Annotated[
        str | None,
        typer.Option("--amount", metavar="TEXT", help="A sum promised, e.g. '14000000 USD/year'.", show_default=False),
    ] = None,
    no_amount: Annotated[bool, typer.Option("--no-amount", help="It promises no sum.")] = False,
    actor: Annotated[
        list[str] | None,
        typer.Option(
            "--actor",
            "-a",
            metavar="TEXT",
            help="Who promised it (repeatable; replaces the list).",
            callback=_check_actors,
            autocompletion=_complete_actor,
            show_default=False,
        ),
    ] = None,
    pillar: Annotated[
        Pillar | None,
        typer.Option("--pillar", "-p", help="The ASEAN Community pillar (any case).", case_sensitive=False),
    ] = None,
    source_document: Annotated[
        str | None, typer.Option("--source-document", metavar="TEXT", help="The statement it comes from.")
    ] = None,
    source_date: Annotated[
        str | None,
        typer.Option(
            "--source-date",
            metavar="DATE",
            callback=check_date,
            help="The statement's date (the first event moves with it).",
        ),
    ] = None,
    paragraph: Annotated[
        int | None,
        typer.Option("--paragraph", metavar="N", parser=_check_paragraph, help="The statement's paragraph number."),
    ] = None,
    new_id: Annotated[
        str | None, typer.Option("--id", metavar="ID", callback=_check_id, help="A new id (not one already taken).")
    ] = None,
    kind: KindOption = None,
    weight: WeightOption = None,
) -> None:
    """Correct a commitment's fields, keeping its history.

    With no option, on a terminal, it opens $VISUAL (or $EDITOR, else vi) on the record as JSON, as git commit
    does, and checks it when you save; a record that does not hold up is refused with every problem listed.

    Example: tracker edit rcep --source-date 2020-09-09 --due 2020-12-31
    """
    if due is not None and no_due:
        raise UsageProblem("--due and --no-due do not go together")
    if amount is not None and no_amount:
        raise UsageProblem("--amount and --no-amount do not go together")
    changes: dict[str, Any] = {
        field: value
        for field, value in (
            ("title", title),
            ("summary", summary),
            ("quote", quote),
            ("due", due),
            ("amount", _parse_amount(amount)),
            ("actors", actor or None),
            ("pillar", pillar.value if pillar else None),
            ("source_document", source_document),
            ("source_date", source_date),
            ("paragraph", paragraph),
            ("id", new_id),
            ("kind", kind.value if kind else None),
            ("weight", _whole(weight) if weight is not None else None),
        )
        if value is not None
    }
    if no_due:
        changes["due"] = None
    if no_amount:
        changes["amount"] = None
    store = _store(context)
    before = _find(store, commitment_id)
    found = before["id"]
    edited_by_hand: dict[str, Any] | None = None
    if not changes:
        if not (_stdin_is_terminal() and sys.stdout.isatty()):
            raise UsageProblem("nothing to change: give an option such as --title or --due (see 'tracker edit --help')")
        edited_by_hand = _edit_in_editor(before)
        if edited_by_hand == before:
            render.print_line(f"{found}: nothing changed")
            return

    written: dict[str, Any] = {"relinked": []}  # the edited commitment's id, and those whose link followed it

    def change(transaction: Transaction) -> None:
        current = transaction.require(found)
        if edited_by_hand is not None and current != before:
            raise InvalidInputError(f"'{found}' changed while you edited it; nothing was written, edit it again")
        others = [cid for cid in transaction.ids() if cid != found]
        looped = successor_loop(current, _lookup(transaction)) is not None  # before any change: see below
        if edited_by_hand is not None:
            edited = checked_fields(before, edited_by_hand, others)
        else:
            edited = edit_commitment(current, changes, others)
        transaction.action = f"edit {found}" + (f" (now {edited['id']})" if edited["id"] != found else "")
        written["id"], written["relinked"] = edited["id"], []
        if edited["id"] != found:
            transaction.delete(found)
            for other in transaction.naming(found):  # their links to it follow the new id
                replaced = transaction.get(other)
                history = [{**e, "by": edited["id"]} if e["by"] == found else e for e in replaced["history"]]
                transaction.put({**replaced, "history": history})  # type: ignore[typeddict-item]
                written["relinked"].append(other)
        transaction.put(edited, new=edited["id"] != found)
        check_successors(edited, _lookup(transaction), before=current, looped=looped)  # a new id: one others name?

    result = _write(store, "edit", change)
    after = next((c.after for c in result.changes if c.after is not None and c.id == written.get("id")), None)
    if after is None:
        render.print_line(f"{found}: nothing changed")
        return
    fields = sorted(_changed_fields(before, after))
    relinked = "".join(f"; {other} now names {after['id']} as its successor" for other in written["relinked"])
    render.print_line(f"edited {after['id']}: {', '.join(fields) or 'nothing'} changed{relinked}")


def _events(commitment: Commitment) -> str:
    count = len(commitment["history"])
    return f"{count} event" + ("" if count == 1 else "s")


def _changed_fields(before: Commitment, after: Commitment) -> set[str]:
    changed = {key for key in before if key not in ("source", "status") and before[key] != after[key]}  # type: ignore[literal-required]
    changed |= {f"source {key}" for key in before["source"] if before["source"][key] != after["source"][key]}  # type: ignore[literal-required]
    return changed


class _Ended(BaseException):
    """SIGTERM or SIGHUP arrived while the editor ran: unwind, so that the temporary copy is removed."""


class _EditorSignals:
    """The signals of a terminal while `edit` waits for its editor, as git handles them. Ctrl-C belongs to the
    editor (vim's users press it all the time): the tracker lets it pass, and the editor, which gets it too, decides.
    SIGTERM or SIGHUP (the terminal closed) cuts the wait short; then, once the temporary copy is removed, the
    process ends by that signal, as it would have ended at once. One that comes while the copy is written or removed
    waits for that to be done. Signals that were ignored or handled (under nohup, say) stay so."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self._waiting = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _EditorSignals:
        import signal

        for number in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(number) is signal.SIG_DFL:
                self._previous[number] = signal.signal(number, self._arrived)
        return self

    def _arrived(self, number: int, _: Any) -> None:
        self.received.append(number)
        if self._waiting:
            self._waiting = False
            raise _Ended

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """While the editor runs: Ctrl-C is the editor's; SIGTERM and SIGHUP end the wait."""
        import signal

        if self.received:
            raise _Ended
        interrupt = signal.getsignal(signal.SIGINT)
        own = interrupt is signal.default_int_handler  # Python's own (a handler set by a host program is left)
        if own:
            signal.signal(signal.SIGINT, _let_pass)  # a handled signal is the default again in the editor
        self._waiting = True
        try:
            yield
        finally:
            self._waiting = False
            if own:
                signal.signal(signal.SIGINT, interrupt)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _: Any) -> None:
        import signal

        for number, handler in self._previous.items():
            signal.signal(number, handler)
        if self.received:  # the temporary copy is gone: end as the signal would have ended the process
            if self.received[0] in self._previous:
                os.kill(os.getpid(), self.received[0])
            raise SystemExit(128 + self.received[0])  # where the signal did not end it


def _let_pass(*_: Any) -> None:
    """Ctrl-C while the editor runs: the editor's to handle."""


def _edit_in_editor(record: Commitment) -> dict[str, Any]:
    """The record as the user left it after editing its JSON in $VISUAL or $EDITOR (the file is kept nowhere)."""
    import json
    import shlex
    import subprocess
    import tempfile

    from tracker import strictjson

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with _EditorSignals() as signals, tempfile.TemporaryDirectory(prefix="tracker-edit-") as folder:
        path = Path(folder) / f"{record['id']}.json"
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        try:
            with signals.waiting():
                finished = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except (OSError, ValueError) as error:
            raise InvalidInputError(f"cannot run the editor {editor!r}: {error}; set EDITOR, or give options") from None
        if finished.returncode != 0:
            raise InvalidInputError(f"the editor {editor!r} exited with {finished.returncode}; nothing was changed")
        try:
            edited = strictjson.loads(path.read_bytes())
        except strictjson.JSONProblem as problem:
            raise InvalidInputError(f"the edited record is not JSON: {problem}; nothing was changed") from None
    if not isinstance(edited, dict):
        raise InvalidInputError("the edited record is not a JSON object; nothing was changed")
    return edited


@app.command()
def history(
    context: typer.Context,
    commitment_id: IdArgument,
    edit_number: Annotated[
        int | None,
        typer.Option("--edit", metavar="N", help="Change event N: give --date, --status, --note or --evidence."),
    ] = None,
    delete_number: Annotated[
        int | None, typer.Option("--delete", metavar="N", help="Delete event N (not 1, the statement itself).")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", "-d", metavar="DATE", callback=check_date, help="With --edit: the date.")
    ] = None,
    status: Annotated[
        Status | None,
        typer.Option("--status", "-s", help="With --edit: the status (any case).", case_sensitive=False),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", "-n", metavar="TEXT", help="With --edit: the note.")] = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence",
            "-e",
            metavar="TEXT",
            callback=_check_evidence,
            help="With --edit: the evidence (repeatable; replaces the list).",
        ),
    ] = None,
    yes: YesFlag = False,
    output_format: Annotated[
        ShowFormat | None,
        typer.Option("--format", "-f", help="table, text or json.", case_sensitive=False, show_default=False),
    ] = None,
    no_pager: NoPagerFlag = False,
) -> None:
    """List one commitment's events, numbered; correct or delete one.

    The commitment's status is always its latest event's. 'tracker undo' takes a correction back.

    Example: tracker history rcep --edit 2 --date 2020-11-15
    """
    if edit_number is not None and delete_number is not None:
        raise UsageProblem("--edit and --delete do not go together: one event at a time")
    if edit_number is None and (on, status, note, evidence) != (None, None, None, None):
        raise UsageProblem("--date, --status, --note and --evidence go with --edit N")
    store = _store(context)
    before = _find(store, commitment_id)
    found = before["id"]
    if edit_number is None and delete_number is None:
        chosen = output_format or _table_or_text(ShowFormat.TABLE, ShowFormat.TEXT)
        if chosen is ShowFormat.JSON:
            render.print_json([{"number": n, **event} for n, _, event in numbered_events(before)])
        elif chosen is ShowFormat.TEXT:
            render.print_plain(render.history_view(before, plain=True))
        else:
            view = render.history_view(before, render.console().width)
            render.print_renderable(view, pager=_paging(context, no_pager))
        return
    if edit_number is not None and (on, status, note, evidence) == (None, None, None, None):
        raise UsageProblem("nothing to change: give --date, --status, --note or --evidence with --edit")
    if delete_number is not None:
        delete_event(before, delete_number)  # what cannot be done is said before anyone is asked to confirm it
        event = numbered_events(before)[delete_number - 1][2]
        _confirm(f"Delete event {delete_number} of {found} ({event['date']}, {event['status']})?", yes)

    def change(transaction: Transaction) -> None:
        current = transaction.require(found)
        if current != before:
            raise InvalidInputError(f"'{found}' changed meanwhile; run 'tracker history {found}' to see its events")
        if delete_number is not None:
            transaction.action = f"history {found} --delete {delete_number}"
            corrected = delete_event(current, delete_number)
        else:
            assert edit_number is not None
            transaction.action = f"history {found} --edit {edit_number}"
            corrected = edit_event(current, edit_number, on=on, status=status, note=note, evidence=evidence)
        check_successors(corrected, _lookup(transaction), before=current)  # another may now be the latest
        transaction.put(corrected)

    result = _write(store, "history", change)
    if not result.changes:
        render.print_line(f"{found}: nothing changed")
        return
    after = result.changes[0].after
    assert after is not None
    done = f"deleted event {delete_number}" if delete_number is not None else f"corrected event {edit_number}"
    was = "" if before["status"] == after["status"] else f" (was {before['status']})"
    render.print_line(f"{found}: {done}; {after['status']}{was}; {_events(after)}")


def _named(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5:,} more" if len(ids) > 5 else "")


@app.command()
def undo(
    context: typer.Context,
    yes: YesFlag = False,
    listing: Annotated[
        bool, typer.Option("--list", help="List the changes undo can revert, the next one first; change nothing.")
    ] = False,
    skip: Annotated[
        bool,
        typer.Option("--skip", help="Forget the last change without reverting it, so that undo can go further back."),
    ] = False,
) -> None:
    """Revert the last change; again to go further back.

    It reverts update, add, edit, remove, history --edit/--delete, import, extract --add and init --force.
    --list shows what it would revert, the next first; --skip forgets a change that can no longer be undone, so
    that undo can go further back.

    Example: tracker undo --yes
    """
    store = _store(context)
    if listing and skip:
        raise UsageProblem("--list and --skip do not go together; list first, then skip")
    if listing:
        steps = store.undo_steps()
        if not steps:
            render.print_line("nothing to undo")
        for step in steps:
            if step.action is None:
                render.print_line(f"{step.number}  damaged: {step.path} ('tracker undo --skip' drops it)")
            else:
                named = "" if all(cid in step.action for cid in step.ids) else f": {_named(step.ids)}"
                render.print_line(f"{step.number}  {step.at}  {step.action}{named}")
        return
    if skip:
        step = store.skip_preview()
        what = f"'{step.action}' (recorded {step.at})" if step.action else f"the damaged change {step.path}"
        _confirm(f"Forget {what} without reverting it? It can no longer be undone.", yes)
        store.skip(expected=step.number, seen=step)
        render.print_line(f"forgot {what}; the data file is unchanged")
        return
    entry = store.undo_preview()
    _confirm(f"Undo '{entry.action}'?", yes)
    result = store.undo(expected=entry.number, seen=entry)
    ids = sorted(change.id for change in result.changes)
    render.print_line(f"undid '{result.action}' (recorded {result.at}); put back as before: {_named(ids)}")


@app.command("log")
def log_command(
    context: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="DATE", callback=check_date, help="Only events dated on or after DATE (YYYY-MM-DD)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar="DATE", callback=check_date, help="Only events dated on or before DATE (YYYY-MM-DD)."
        ),
    ] = None,
    status: Annotated[
        list[Status] | None,
        typer.Option(
            "--status",
            "-s",
            help="Only events that leave this status (repeatable: any of them; any case).",
            show_default=False,
            case_sensitive=False,
        ),
    ] = None,
    actor: ActorFilter = None,
    pillar: PillarFilter = None,
    source: SourceFilter = None,
    as_json: JsonFlag = False,
    no_pager: NoPagerFlag = False,
) -> None:
    """List every commitment's events, newest first, with evidence.

    Newest first by the event's date; on one date, the later recorded first. Each event shows its status change
    (from -> to, 'note' when the status stays, 'new' for a commitment's first event), note, evidence and when it
    was recorded. On a terminal: a table (through the pager when it is long). In a pipe: tab-separated rows.

    Example: tracker log --since 2021-01-01 --until 2021-03-31
    """
    from tracker.report import event_log, log_candidates

    if since is not None and until is not None and since > until:
        raise UsageProblem(f"--since {since} is after --until {until}; give a start on or before the end")
    with _store(context).reading() as snapshot:
        chosen = snapshot.select(_filters(pillar=pillar, actor=actor, source=source), _today())
        ids = log_candidates(chosen, since, until, status)
        entries = event_log(snapshot.get_each(ids), since, until, status)
    if as_json:
        render.print_json(entries)
        return
    if not render.stdout_is_terminal():
        for row in render.event_log_rows(entries):
            sys.stdout.write(row + "\n")
        return
    if not entries:
        render.print_line("no events match")
        return
    table = render.event_log_table(entries, render.console().width)
    render.print_renderable(table, pager=_paging(context, no_pager))


class ReportFormat(StrEnum):
    TABLE = "table"
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    HTML = "html"


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to this file instead of stdout (- or /dev/stdout is stdout).",
        parser=_check_output,
        show_default=False,
    ),
]
ForceFlag = Annotated[bool, typer.Option("--force", help="Overwrite the --output file if it exists.")]


def _report_page(
    commitments: list[Summary],
    figures: dict[str, Any],
    known_on: str | None,
    details: Callable[[list[str]], Iterable[Commitment]],
) -> str:
    """The report as one HTML page: its figures, the trend over the same commitments from the earliest source date
    to the report's date (by month up to ten years of them, else by quarter, else by year) and the scorecard."""
    from tracker.html import CHART_PERIODS, report_html
    from tracker.report import scorecard as build_scorecard
    from tracker.trend import Every, points, trend, trend_document

    day = figures["as_of"]
    first = min((c["made"] for c in commitments if c["made"] <= day), default=day)
    every = next((every for every in Every if len(points(first, day, every)) <= CHART_PERIODS), Every.YEAR)
    series = trend(commitments, points(first, day, every), known_on)
    document = trend_document(series, every.value, first, day, known_on, {})
    card = build_scorecard(commitments, day, known_on)
    full = list(details([item["id"] for item in figures["commitments"]]))
    return report_html(figures, document, card, full)


def _rows_written(work: Callable[[list[Summary]], dict[str, Any]], summaries: list[Summary]) -> dict[str, Any]:
    """`work`, a `report.report_part`, with the part's per-commitment rows written as JSON already (see
    `render.json_items`) in the process that works the part out, unless a row waits for an earlier event's note
    (filled in by `merge_report`) or orjson cannot write them."""
    part = work(summaries)
    if not part["earlier"] and (written := render.json_items(part["table"])) is not None:
        part["table"] = written
    return part


def _rows_apart(parts: list[dict[str, Any]]) -> list[bytes]:
    """The rows that each part of a report wrote as JSON (see `_rows_written`), taken out of the parts (their tables
    left empty) where every part wrote its own; else none, and those written are read back into their parts."""
    written = [part["table"] for part in parts if isinstance(part["table"], bytes)]
    if len(written) == len(parts):
        for part in parts:
            part["table"] = []
        return written
    for part in parts:
        if isinstance(part["table"], bytes):
            part["table"] = render.read_items(part["table"])
    return []


@app.command()
def report(
    context: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", callback=check_date, help="The date to report on. Default: today."),
    ] = None,
    pillar: PillarFilter = None,
    actor: ActorFilter = None,
    kind: KindFilter = None,
    source: SourceFilter = None,
    known_on: KnownOnOption = None,
    output_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (the default on a terminal), text (the default elsewhere), markdown, json or html.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    no_pager: NoPagerFlag = False,
    output: OutputOption = None,
    force: ForceFlag = False,
) -> None:
    """Report compliance on a date: tallies, scores, what is overdue.

    Tallies by status, G7/G20 compliance scores overall, by pillar and by actor, every overdue commitment,
    recent changes, what falls due soon, and a table of every commitment with each actor's status and score and
    the rationale and evidence behind it. --as-of rebuilds the state on a date from the dated history; --known-on
    also leaves out what was recorded after a date, so that a report issued then can be reproduced exactly. On a
    terminal: tables (through the pager when long). Elsewhere: plain text, or --format table. --format html is
    one self-contained page with charts of the score and the statuses over time (--output report.html).

    Example: tracker report --as-of 2021-06-30 --format markdown > briefing.md
    """
    from tracker.report import build_report, merge_report, report_part

    day = as_of or _today()
    chosen = output_format or (ReportFormat.TEXT if output else _table_or_text(ReportFormat.TABLE, ReportFormat.TEXT))
    if output is not None and chosen is ReportFormat.TABLE:
        raise UsageProblem("--output writes text, markdown, json or html; --format table is for a terminal")
    store = _store(context)
    target = store.output_target(output, force) if output is not None else None
    filters = _filters(pillar=pillar, actor=actor, kinds=kind, source=source)
    page = ""
    rows: list[bytes] = []  # the per-commitment table's rows, written as JSON already
    with store.reading() as snapshot:
        details: Callable[[list[str]], Iterable[Commitment]] = snapshot.get_each
        if filters == Filters() and chosen is not ReportFormat.HTML:  # every commitment: worked out in parts
            work = functools.partial(report_part, as_of=day, known_on=known_on)
            if chosen is ReportFormat.JSON:
                work = functools.partial(_rows_written, work)
            parts = list(snapshot.summaries_in_parts(work))
            rows = _rows_apart(parts)
            figures = merge_report(parts, day, details, known_on)
        else:
            commitments = snapshot.select(filters, day)
            if chosen is ReportFormat.HTML:  # the page shows every commitment whole: each is read once, for both
                whole = {c["id"]: c for c in snapshot.get_each(c["id"] for c in commitments)}
                details = functools.partial(map, whole.__getitem__)
            figures = build_report(commitments, day, details, known_on)
            if chosen is ReportFormat.HTML:
                page = _report_page(commitments, figures, known_on, details)
    if target is not None:
        from tracker.formats import report_markdown, write_export

        if chosen is ReportFormat.JSON:
            pieces = [*render.json_pieces(figures, rows), b"\n"]
        else:
            document = {
                ReportFormat.HTML: lambda: page,
                ReportFormat.MARKDOWN: lambda: report_markdown(figures),
                ReportFormat.TEXT: lambda: render.plain_text(render.report_view(figures, plain=True)),
            }[chosen]()
            pieces = [document.encode("utf-8", "surrogatepass")]
        write_export(target, pieces)
        render.print_notice(f"wrote the report ({chosen.value}) to {output}")
    elif chosen is ReportFormat.HTML:
        render.print_html(page)
    elif chosen is ReportFormat.JSON:
        render.print_json(figures, rows)
    elif chosen is ReportFormat.MARKDOWN:
        from tracker.formats import report_markdown

        sys.stdout.write(report_markdown(figures))
    elif chosen is ReportFormat.TEXT:
        render.print_plain(render.report_view(figures, plain=True))
    else:
        width = render.console().width
        render.print_renderable(render.report_view(figures, width), pager=_paging(context, no_pager))


class ScorecardFormat(StrEnum):
    TABLE = "table"
    TEXT = "text"
    MARKDOWN = "markdown"
    CSV = "csv"
    JSON = "json"


@app.command()
def scorecard(
    context: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", callback=check_date, help="The date to score on. Default: today."),
    ] = None,
    known_on: KnownOnOption = None,
    pillar: PillarFilter = None,
    actor: Annotated[
        list[str] | None,
        typer.Option(
            "--actor",
            "-a",
            metavar="TEXT",
            help="Only this actor's column (repeatable, in this order; any case), and the commitments it is party to.",
            autocompletion=_complete_actor,
            show_default=False,
        ),
    ] = None,
    kind: KindFilter = None,
    source: SourceFilter = None,
    output_format: Annotated[
        ScorecardFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (the default on a terminal), text (the default elsewhere), markdown, csv or json.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    convention: Annotated[
        Percent,
        typer.Option(
            "--percent",
            help="g20: (mean + 1) / 2 x 100; mean: mean x 100, as older papers give it.",
            case_sensitive=False,
        ),
    ] = Percent.G20,
    weighted: Annotated[
        bool, typer.Option("--weighted", help="Weight each commitment by its weight (see 'add --weight').")
    ] = False,
    unassessed: Annotated[
        Unassessed,
        typer.Option(
            "--unassessed",
            help="How a cell no event has assessed counts: skip (left out), zero, or minus-one (no action by the "
            "deadline counts -1).",
            case_sensitive=False,
        ),
    ] = Unassessed.SKIP,
    no_pager: NoPagerFlag = False,
) -> None:
    """Score each commitment for each actor, G7 Research Group style.

    Rows are commitments, columns actors; each cell is +1, 0 or -1 (blank where an actor is not a party, · where
    it is not assessed yet), with the mean of each row, of each column and overall, each also as a percentage.

    Example: tracker scorecard --as-of 2021-06-30 --format markdown
    """
    from tracker.formats import scorecard_csv, scorecard_markdown
    from tracker.report import scorecard as build_scorecard

    day = as_of or _today()
    with _store(context).reading() as snapshot:
        chosen = snapshot.select(_filters(pillar=pillar, kinds=kind, source=source), day)
        for name in actor or []:
            check_actor(chosen, name)
        card = build_scorecard(chosen, day, known_on, actor or (), unassessed, weighted, convention)
    shown = output_format or _table_or_text(ScorecardFormat.TABLE, ScorecardFormat.TEXT)
    if shown is ScorecardFormat.JSON:
        render.print_json(card)
    elif shown is ScorecardFormat.MARKDOWN:
        sys.stdout.write(scorecard_markdown(card))
    elif shown is ScorecardFormat.CSV:
        sys.stdout.write(scorecard_csv(card))
    elif shown is ScorecardFormat.TEXT:
        render.print_plain(render.scorecard_view(card, plain=True))
    else:
        view = render.scorecard_view(card, render.console().width)
        render.print_renderable(view, pager=_paging(context, no_pager))


class TrendFormat(StrEnum):
    TABLE = "table"
    TEXT = "text"
    CSV = "csv"
    JSON = "json"


class EveryOption(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def _trend_figures(
    snapshot: Any,
    chosen: list[Summary],
    every: EveryOption,
    start: str | None,
    end: str,
    known_on: str | None,
    actor: str | None,
) -> tuple[str, list[dict[str, Any]]]:
    """The trend series over the chosen commitments, from `start` (default: the earliest source date) to `end`; a
    usage error if `start` is after `end`."""
    from tracker.trend import Every, points, trend

    first = start or min((c["made"] for c in chosen), default=end)
    if first > end:
        if start is None:
            first = end  # every commitment is made after --to: the series is that one period, with none in it
        else:
            raise UsageProblem(f"--from {start} is after --to {end}; give a start on or before the end")
    return first, trend(chosen, points(first, end, Every(every.value)), known_on, actor)


@app.command("trend")
def trend_command(
    context: typer.Context,
    every: Annotated[
        EveryOption,
        typer.Option("--every", help="The length of a period: month, quarter or year.", case_sensitive=False),
    ] = EveryOption.MONTH,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="DATE",
            callback=check_date,
            help="The first date. Default: the earliest source date.",
            show_default=False,
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", metavar="DATE", callback=check_date, help="The last date. Default: today."),
    ] = None,
    known_on: KnownOnOption = None,
    pillar: PillarFilter = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            "-a",
            metavar="TEXT",
            help="Only this actor's commitments, scored by its own cells (as the report's by-actor figures; any case).",
            show_default=False,
            autocompletion=_complete_actor,
        ),
    ] = None,
    output_format: Annotated[
        TrendFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (the default on a terminal), text (the default elsewhere), csv or json.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    no_pager: NoPagerFlag = False,
) -> None:
    """Show compliance over time: tallies and score, period by period.

    For each month (or quarter, or year), the number of commitments by status and the compliance score (mean,
    percentage, how many assessed), as 'report --as-of' gives them on the period's last day (the last period on
    --to). On a terminal: a table with a bar of the score; elsewhere plain text, or csv or json.

    Example: tracker trend --every quarter --from 2020-09-01 --to 2022-12-31
    """
    from tracker.formats import trend_csv
    from tracker.trend import trend_document

    day = end or _today()
    if start is not None and start > day:
        raise UsageProblem(f"--from {start} is after --to {day}; give a start on or before the end")
    with _store(context).reading() as snapshot:
        chosen = snapshot.select(_filters(pillar=pillar, actor=actor), day)
        first, figures = _trend_figures(snapshot, chosen, every, start, day, known_on, actor)
    scope = {"pillar": pillar.value if pillar else None, "actor": actor}
    document = trend_document(figures, every.value, first, day, known_on, scope)
    shown = output_format or _table_or_text(TrendFormat.TABLE, TrendFormat.TEXT)
    if shown is TrendFormat.JSON:
        render.print_json(document)
    elif shown is TrendFormat.CSV:
        sys.stdout.write(trend_csv(document))
    elif shown is TrendFormat.TEXT:
        render.print_plain(render.trend_view(document, plain=True))
    else:
        view = render.trend_view(document, render.console().width)
        render.print_renderable(view, pager=_paging(context, no_pager))


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


@app.command()
def export(
    context: typer.Context,
    output_format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="The format.", case_sensitive=False)
    ] = ExportFormat.JSON,
    output: OutputOption = None,
    force: ForceFlag = False,
    status: StatusFilter = None,
    pillar: PillarFilter = None,
    actor: ActorFilter = None,
    overdue: OverdueFilter = False,
    due_before: DueBeforeFilter = None,
    search: SearchFilter = None,
    source: SourceFilter = None,
    events: Annotated[
        bool,
        typer.Option("--events", help="With --format csv: one row per event of the chosen commitments."),
    ] = False,
) -> None:
    """Export commitments as JSON, CSV or Markdown.

    It takes the filters of 'list'. JSON is what 'import' reads back. --format csv --events writes one row per
    event instead (id, date, status, note, evidence, recorded_at, recorded_by, actors, by).

    Example: tracker export --format csv --pillar economic --output economic.csv
    """
    from tracker import formats

    if events and output_format is not ExportFormat.CSV:
        raise UsageProblem(f"--events goes with --format csv, not --format {output_format.value}")
    today = _today()
    store = _store(context)
    target = store.output_target(output, force) if output is not None else None
    with store.reading() as snapshot:
        filters = _filters(status, pillar, actor, overdue, due_before, search, source=source)
        # All of them: no summary needs reading (JSON keeps the order of the ids; CSV puts the rows in order itself)
        every = filters == Filters() and output_format is not ExportFormat.MARKDOWN
        ids = snapshot.ids if every else [c["id"] for c in snapshot.select(filters, today)]
        pieces = formats.export_pieces(snapshot, ids, output_format.value, today, events, ordered=not every)
        if target is None:
            render.write_pieces(pieces, json=output_format is ExportFormat.JSON)
            return
        formats.write_export(target, pieces)
    render.print_notice(f"exported {len(ids)} commitments to {output}")


@app.command("import")
def import_command(
    context: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="A JSON export, or - for stdin.", callback=_check_given, show_default=False
        ),
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Make the database exactly the file's commitments (undo reverts it).")
    ] = False,
    yes: YesFlag = False,
) -> None:
    """Import a JSON export, merging by id.

    New commitments are added, existing ones gain the events they lack. With --replace, the database becomes
    the file's commitments. If anything in the file is invalid, nothing is written and every problem is listed.

    Example: tracker import colleague.json
    """
    from tracker.formats import import_as_written, merge_canonical, replacing
    from tracker.store import decoded, read_bytes

    if name == "-":  # (./- is the file named -)
        if replace and not yes:
            raise UsageProblem("stdin is the file, so nobody can confirm --replace; pass --yes to go ahead")
        data, file = _stdin_export(), Path("<stdin>")  # named as Python names it
    else:
        file = Path(name)
        data = read_bytes(file)
    store = _store(context)
    counts = None
    confirmed: set[str] | None = None
    if not replace:
        # An export as the tracker writes it, of commitments the database does not hold: copied as it stands; else
        # merged, reading only the records that differ from the database's.
        counts = import_as_written(store, data, str(file), _file_label(file))
        counts = merge_canonical(store, data, _file_label(file)) if counts is None else counts
    elif (plan := replacing(store, data, str(file))) is not None:
        confirmed = set(plan[1])
        _confirm(_replace_question(plan[0], file, plan[1]), yes)
        counts = merge_canonical(store, data, _file_label(file), removals=confirmed)
    if counts is None:
        text = decoded(data, file)
        del data  # the merge holds every commitment: not these too
        counts = _import_by_merging(context, text, file, replace, yes, confirmed)
    for warning in counts.warnings:
        render.print_notice(warning)
    summary = f"imported {file}: {counts.added} added, {counts.updated} updated, {counts.unchanged} unchanged"
    render.print_line(summary + (f", {counts.removed} removed" if replace else ""))


def _import_by_merging(
    context: typer.Context, text: str, file: Path, replace: bool, yes: bool, confirmed: set[str] | None = None
) -> ImportCounts:
    """Import the commitments of `text` one by one: new ones added, others merged (or, with `replace`, the database
    made exactly the file's, once the user agrees to lose what it does not hold; `confirmed`: what they agreed to
    lose, if they were asked already)."""
    from tracker.formats import ImportProblems, import_commitments, read_import

    try:
        incoming = read_import(text, str(file))
    except ImportProblems as error:
        for problem in error.problems:
            render.print_error(f"{file}: {problem}")
        raise
    store = _store(context)
    removals = confirmed
    if replace and removals is None:
        with store.reading() as snapshot:
            removals = set(snapshot.ids) - {commitment["id"] for commitment in incoming}
        _confirm(_replace_question(len(incoming), file, sorted(removals)), yes)
    return import_commitments(store, incoming, _file_label(file), replace=replace, removals=removals)


def _replace_question(count: int, file: Path, gone: list[str]) -> str:
    return (
        f"Replace the database with the {count:,} commitments of {file}? This removes {len(gone):,} "
        f"commitment(s) that the file does not hold" + (f" ({_named(gone)})" if gone else "") + "."
    )


def _file_label(file: Path) -> str:
    """A file's name as the undo journal records it: text, with each byte of the name that is not UTF-8 (a name
    from a system that wrote another encoding) shown as U+FFFD."""
    return file.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class ExtractFormat(StrEnum):
    TABLE = "table"
    TEXT = "text"
    JSON = "json"


def _check_confidence(value: float) -> float:
    if not 0 <= value <= 1:
        raise typer.BadParameter(f"{value:g} is not a confidence; use a number from 0 to 1, e.g. 0.7")
    return value


def _stdin() -> Any:
    """The bytes of stdin, to read; an error if there is no stdin (closed before the start: `<&-`)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise InvalidInputError("stdin is closed; give a file's path, or pipe the file in")
    return stream


def _stdin_bytes(limit: int) -> bytes:
    """What stdin holds, at most `limit` bytes."""
    stream = _stdin()
    try:
        return stream.read(limit)  # type: ignore[no-any-return]
    except OSError as error:
        raise InvalidInputError(f"stdin cannot be read: {describe_os_error(error)}") from None


def _stdin_export() -> bytes:
    """What stdin holds, for `import -`: read to its end, or only to the end of the megabyte that shows it is not
    JSON: one whose first byte other than white space cannot begin a JSON value, or that holds a NUL, which JSON
    never does. So an endless stream of anything else (`< /dev/zero`, `yes`) is refused at once, in the words the
    same bytes in a file get (unless the file goes on to break UTF-8 later than that megabyte: it is then said so)."""
    stream = _stdin()
    chunks: list[bytes] = []
    opened = False  # a byte other than white space has come
    try:
        while chunk := stream.read(1 << 20):
            stop = b"\x00" in chunk
            if not opened:
                head = chunk.lstrip(b" \t\r\n")
                opened = bool(head)
                stop = stop or (opened and head[0] not in _JSON_STARTS)
            if stop:
                chunks.append(_whole_last_character(chunk, stream))
                break
            chunks.append(chunk)
    except OSError as error:
        raise InvalidInputError(f"stdin cannot be read: {describe_os_error(error)}") from None
    return b"".join(chunks)


def _whole_last_character(chunk: bytes, stream: Any) -> bytes:
    """`chunk`, and the bytes from `stream` that finish its last UTF-8 character if it goes on past it (else a
    character cut in two would be read as text that is not UTF-8)."""
    for back in range(1, min(4, len(chunk)) + 1):
        byte = chunk[-back]
        if byte < 0x80:
            return chunk
        if byte >= 0xC0:  # the first byte of a character: of 2, 3 or 4
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return chunk + stream.read(length - back) if back < length else chunk
    return chunk


_JSON_STARTS = frozenset(b'{["-0123456789tfn\xef')  # \xef: a byte order mark, which the parser names


def _statement_bytes(file: str) -> bytes:
    """The bytes of the statement file (or of stdin for '-'), refusing a directory, a FIFO and a file over 10 MB."""
    from tracker.extract import MAX_BYTES
    from tracker.files import open_regular

    if file == "-":
        return _stdin_bytes(MAX_BYTES + 1)
    path = Path(file)
    try:
        descriptor = open_regular(path, what="statement")
    except FileNotFoundError:
        raise InvalidInputError(f"{file} does not exist; give a statement's text file, or - for stdin") from None
    with os.fdopen(descriptor, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > MAX_BYTES:
            raise InvalidInputError(f"{file} has {size:,} bytes; a statement may have at most {MAX_BYTES:,} (10 MB)")
        return stream.read(MAX_BYTES + 1)


def _check_pick(value: str | None) -> str | None:
    """Option callback: --pick's candidate numbers, e.g. 1,3,5 (checked against the list once it is made)."""
    if value is None:
        return None
    parts = [part.strip() for part in value.split(",")]
    if not parts or not all(part.isascii() and part.isdigit() and len(part) <= 18 and int(part) >= 1 for part in parts):
        shown = value if len(value) <= 40 else f"{value[:40]}..."
        raise typer.BadParameter(f"'{shown}' is not a list of candidate numbers; give e.g. 1,3,5")
    return value


def _check_add(
    file: str,
    on: str | None,
    document: str | None,
    output_format: ExtractFormat | None,
    explain: bool,
    pick: str | None,
    every: bool,
) -> str:
    """The usage rules of extract --add (a UsageProblem for each broken one); the statement's document name."""
    if on is None:
        raise UsageProblem("--add needs --date YYYY-MM-DD: the statement's date, the source date of what it adds")
    if output_format is not None or explain:
        raise UsageProblem("--add reviews or adds the candidates; leave out --format and --explain")
    if pick is not None and every:
        raise UsageProblem("--pick and --all do not go together: name the candidates, or take them all")
    if pick is None and not every and not (_stdin_is_terminal() and sys.stdout.isatty()):
        raise UsageProblem(
            "not on a terminal, so nobody can review the candidates; give --pick N,N... or --all --yes with --add"
        )
    if document is not None and document.strip():
        return document
    if file == "-":
        raise UsageProblem("--add from stdin needs --document TEXT: the statement's name")
    return Path(file).stem


class Statement(NamedTuple):
    """The statement that extract --add records commitments from: its date and its document's name."""

    on: str
    document: str


def _add_candidates(
    context: typer.Context,
    text: str,
    candidates: list[Candidate],
    statement: Statement,
    pick: str | None,
    every: bool,
    yes: bool,
) -> None:
    """extract --add: choose candidates (--pick, --all or a review on the terminal), then register the statement
    and add them, in one transaction that one undo takes back."""
    import dataclasses

    from tracker.extract import recorded_as

    store = _store(context)
    with store.reading() as snapshot:
        known_ids = set(snapshot.ids)
        recorded = [(c["id"], c["quote"]) for c in snapshot.get_each(snapshot.ids)]
    marks = [recorded_as(candidate.quote, recorded) for candidate in candidates]
    count = len(candidates)
    chosen: list[tuple[int, Candidate]] = []
    if pick is not None:
        numbers = list(dict.fromkeys(int(part) for part in pick.split(",")))
        wrong = [number for number in numbers if number > count]
        if wrong:
            raise UsageProblem(
                f"there is no candidate {wrong[0]}; the candidates are numbered 1 to {count} (see 'tracker extract')"
            )
        for number in numbers:
            if marks[number - 1] is not None:
                render.print_notice(f"candidate {number} is already recorded as '{marks[number - 1]}'; skipped")
            else:
                chosen.append((number, candidates[number - 1]))
    elif every:
        for number, (candidate, mark) in enumerate(zip(candidates, marks, strict=True), 1):
            if mark is not None:
                render.print_notice(f"candidate {number} is already recorded as '{mark}'; skipped")
            else:
                chosen.append((number, candidate))
        if chosen:
            _confirm(f"Add {len(chosen)} candidate(s) of {statement.document} as pending commitments?", yes)
    else:
        chosen = _review(candidates, marks, statement)
    if not chosen:
        render.print_line("nothing added")
        return
    for position, (number, candidate) in enumerate(chosen):
        if candidate.due is not None and candidate.due < statement.on:
            render.print_notice(
                f"candidate {number} is due {candidate.due}, before the statement's date {statement.on}; "
                "added without a due date"
            )
            chosen[position] = (number, dataclasses.replace(candidate, due=None))
    for number, candidate in chosen:
        if not candidate.actors:
            raise InvalidInputError(
                f"candidate {number} names no actor; review it on a terminal (--add without --pick) to give one; "
                "nothing was added"
            )
    today = _today()
    bundled = next((name for name, source in _bundled_sources().items() if source == text), None)

    def change(transaction: Transaction) -> None:
        # Under the lock: the statement first, then the commitments that cite it (a failure in between leaves a
        # register file that nothing cites, which the next --add of the same text reuses).
        source_file = bundled or store.register.add(statement.on, statement.document, text)
        added: list[tuple[str, str]] = []
        fresh = [(cid, transaction.get(cid)["quote"]) for cid in transaction.ids() if cid not in known_ids]
        for number, candidate in chosen:
            again = recorded_as(candidate.quote, fresh + added)
            if again is not None:
                transaction.warnings.append(f"candidate {number} is already recorded as '{again}'; skipped")
                continue
            commitment = new_commitment(
                existing_ids=transaction,
                title=candidate.title,
                actors=candidate.actors,
                pillar=Pillar(candidate.pillar),
                today=today,
                recorded_at=utc_timestamp(),
                due=candidate.due,
                quote=candidate.quote,
                source_document=statement.document,
                source_date=statement.on,
                paragraph=candidate.paragraph,
                amount=candidate.amount,
                kind=Kind(candidate.kind),
                recorded_by=_recorded_by(),
                source_file=source_file,
                note="Recorded with tracker extract --add"
                + (f" from paragraph {candidate.paragraph}." if candidate.paragraph is not None else "."),
            )
            transaction.put(commitment, new=True)
            added.append((commitment["id"], candidate.quote))
        transaction.action = f"extract --add {source_file}: {len(added)} commitment(s)"

    result = _write(store, "extract --add", change)
    if not result.changes:  # each was recorded by the time the lock was taken (another command, meanwhile)
        render.print_line("nothing added")
        return
    for change_made in result.changes:
        assert change_made.after is not None
        render.print_line(f"added {change_made.id}: {change_made.after['title']}")
    render.print_line(
        f"added {len(result.changes)} commitment(s) from {statement.document}; 'tracker undo' takes them back"
    )


REVIEW_ANSWERS = {
    "a": "accept",
    "s": "skip",
    "t": "edit the title",
    "k": "change the kind",
    "w": "change who: the actors",
    "p": "change the pillar",
    "d": "change the due date",
    "q": "quit: add those accepted so far",
}


def _review(candidates: list[Candidate], marks: list[str | None], statement: Statement) -> list[tuple[int, Candidate]]:
    """Each candidate on the terminal, one by one: accept, skip, edit, or quit. A closed choice (an answer, a kind,
    a pillar) is asked again until it is one; a free value that does not hold up (a title, actors, a due date)
    ends the review with an error, and nothing is added."""
    import dataclasses

    render.print_line(f"{len(candidates)} candidate(s) from {statement.document} of {statement.on}")
    render.print_line("  " + "  ".join(f"[{key}] {words}" for key, words in REVIEW_ANSWERS.items()))
    accepted: list[tuple[int, Candidate]] = []
    for number, (candidate, mark) in enumerate(zip(candidates, marks, strict=True), 1):
        if mark is not None:
            render.print_line("")
            render.print_line(f"Candidate {number} of {len(candidates)} is already recorded as '{mark}'; skipped")
            continue
        while True:
            for line in render.candidate_review(number, len(candidates), candidate):
                render.print_line(line)
            answer = _choose("Add it? [a,s,t,k,w,p,d,q]", list(REVIEW_ANSWERS), None)
            if answer == "a":
                accepted.append((number, candidate))
                break
            if answer == "s":
                break
            if answer == "q":
                return accepted
            candidate = dataclasses.replace(candidate, **_edited(answer, candidate, statement))
    return accepted


def _choose(question: str, choices: Sequence[str], default: str | None) -> str:
    """One of `choices` (any case), asked again until the answer is one."""
    while True:
        answer = _prompt(question, default).strip().lower()
        if answer in choices:
            return answer
        render.print_line(f"'{answer}' is not one of {', '.join(choices)}")


def _edited(answer: str, candidate: Candidate, statement: Statement) -> dict[str, Any]:
    """The field a review answer changes, with its new value as typed: a free value that breaks a rule is said to
    be wrong and asked for again (the candidates accepted so far are kept)."""
    if answer == "k":
        return {"kind": _choose(f"Kind ({', '.join(KIND_VALUES_ORDERED)})", KIND_VALUES_ORDERED, candidate.kind)}
    if answer == "p":
        pillars = [pillar.value for pillar in Pillar]
        return {"pillar": _choose(f"Pillar ({', '.join(pillars)})", pillars, candidate.pillar)}
    while True:
        try:
            if answer == "t":
                return {"title": _typed_title(_prompt("Title", candidate.title))}
            if answer == "w":
                return {"actors": _typed_actors(_prompt("Actors, separated by commas", ", ".join(candidate.actors)))}
            return {"due": _typed_due(_prompt("Due date (YYYY-MM-DD, or none)", candidate.due or "none"), statement)}
        except InvalidInputError as problem:
            render.print_line(f"{problem}; type it again")


_NOT_UNICODE = "holds bytes that are not UTF-8 (set the terminal to UTF-8)"


def _typed_title(typed: str) -> str:
    title = typed.strip()
    if not shows_anything(title):
        raise InvalidInputError(_TITLE_SHOWS_NOTHING)
    if surrogate_in(title):
        raise InvalidInputError(f"the title {_NOT_UNICODE}")
    if len(title) > TITLE_MAX:
        raise InvalidInputError(f"the title has {len(title)} characters; give 1 to {TITLE_MAX}")
    return title


def _typed_actors(typed: str) -> list[str]:
    named: dict[str, str] = {}  # each actor once, as first spelt: `ROK, rok` is one actor
    for name in typed.split(","):
        if name.strip():
            named.setdefault(actor_key(name), name.strip())
    actors = list(named.values())
    if not actors:
        raise InvalidInputError("give at least one actor")
    if not all(map(shows_anything, actors)):
        raise InvalidInputError(_ACTOR_SHOWS_NOTHING)
    if any(map(surrogate_in, actors)):
        raise InvalidInputError(f"an actor's name {_NOT_UNICODE}")
    return actors


def _typed_due(typed: str, statement: Statement) -> str | None:
    typed = typed.strip()
    if typed.lower() in ("", "none", "-"):
        return None
    try:
        parse_date(typed)
    except ValueError as error:
        raise InvalidInputError(str(error)) from None
    if typed < statement.on:
        raise InvalidInputError(f"the due date {typed} is before the statement's date {statement.on}")
    return typed


@app.command("extract")
def extract_command(
    context: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="The statement: UTF-8 text or .html/.htm, or - for stdin.", callback=_check_given
        ),
    ],
    on: Annotated[
        str | None,
        typer.Option(
            "--date",
            "-d",
            metavar="DATE",
            callback=check_date,
            help="The statement's date (YYYY-MM-DD), for 'next year', 'later in the year', 'for the next five years'.",
        ),
    ] = None,
    document: Annotated[
        str | None, typer.Option("--document", metavar="TEXT", help="The statement's name, shown with the candidates.")
    ] = None,
    output_format: Annotated[
        ExtractFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (the default on a terminal), text (the default elsewhere) or json (a list of objects).",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    min_confidence: Annotated[
        float,
        typer.Option(
            "--min-confidence",
            metavar="X",
            callback=_check_confidence,
            help="Only candidates of confidence X (0 to 1).",
        ),
    ] = 0.0,
    explain: Annotated[
        bool, typer.Option("--explain", help="Also list each sentence with a cue word that was left out, and why.")
    ] = False,
    add: Annotated[
        bool,
        typer.Option(
            "--add",
            help="Review the candidates one by one on a terminal and add those accepted as pending commitments "
            "(needs --date).",
        ),
    ] = False,
    pick: Annotated[
        str | None,
        typer.Option(
            "--pick",
            metavar="N,N...",
            callback=_check_pick,
            help="With --add: add these candidates, by their numbers in the list, without prompts.",
        ),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="With --add: add every candidate not recorded yet (asks, or --yes).")
    ] = False,
    yes: YesFlag = False,
) -> None:
    """Propose commitments found in a statement; --add records them.

    Candidates come most confident first; without --add the database is never changed. --add copies the statement
    into the source register beside the data file and adds the chosen candidates, in one change that one 'undo'
    takes back; a candidate whose quote is already recorded is marked and skipped.

    Each candidate has its paragraph, quote, a title, actors, kind (pledge, agreement, aspiration, request,
    continuation), pillar, due date, amount, the cue words and a confidence. The table shows too the sentences
    with a cue word that were left out, and why (--explain in text).

    Example: tracker extract statement.txt --date 2020-09-09 --format json
    """
    from tracker.extract import extract, read_statement

    if not add and (pick is not None or every or yes):
        raise UsageProblem("--pick, --all and --yes go with --add")
    if add:
        document = _check_add(file, on, document, output_format, explain, pick, every)
    if explain and output_format is ExtractFormat.JSON:
        raise UsageProblem(
            "--explain lists the sentences left out in the table or text format; leave out --format json"
        )
    name = "stdin" if file == "-" else file
    statement = read_statement(_statement_bytes(file), name, html=file.lower().endswith((".html", ".htm")))
    statement_date = parse_date(on) if on else None
    extraction = extract(statement, statement_date, min_confidence)
    if add:
        assert on is not None
        assert document is not None
        _add_candidates(context, statement, extraction.candidates, Statement(on, document), pick, every, yes)
        return
    chosen = output_format or _table_or_text(ExtractFormat.TABLE, ExtractFormat.TEXT)
    if chosen is ExtractFormat.JSON:
        render.print_json([{**c.as_json(), "document": document, "date": on} for c in extraction.candidates])
    else:
        count = len(extraction.candidates)
        heading = f"{count} candidate{'s' if count != 1 else ''} from {document or name}" + (f" of {on}" if on else "")
        if chosen is ExtractFormat.TEXT:
            for line in render.extraction_text(extraction, heading, explain):
                sys.stdout.write(line + "\n")
        else:
            render.print_renderable(render.extraction_view(extraction, heading))
    if extraction.needs_date:
        render.print_notice(
            f"{extraction.needs_date} candidate(s) count a time from the statement's date (e.g. 'next year'); "
            "give --date YYYY-MM-DD to set their due date"
        )


# The options given before a command that take a value (the others are flags); `tests/test_installed.py` checks
# it against `main`.
GLOBAL_OPTIONS_WITH_VALUES = frozenset({"--db"})


def _leading_options(arguments: Sequence[str]) -> tuple[list[tuple[str, str | None]], str | None]:
    """The options before the command's name, before Click reads them, each with its value (`--db FILE`,
    `--db=FILE`; None for a flag, or a value missing), and the command's name: the first argument that is not an
    option (None if there is none)."""
    options: list[tuple[str, str | None]] = []
    at = 0
    while at < len(arguments):
        argument = arguments[at]
        if argument in GLOBAL_OPTIONS_WITH_VALUES:
            options.append((argument, arguments[at + 1] if at + 1 < len(arguments) else None))
            at += 2
        elif argument.startswith("-"):
            name, equals, value = argument.partition("=")
            options.append((name, value if equals else None))
            at += 1
        else:
            return options, argument  # the command's name: what follows is its own
    return options, None


def database_asked_for(arguments: Sequence[str]) -> Path | None:
    """The data file a command line names, before Click reads it: `--db FILE` (or `--db=FILE`) among the options
    before the command's name, else TRACKER_DB (an empty one counts as unset); None for the default path."""
    for option, value in _leading_options(arguments)[0]:
        if option == "--db" and value is not None:
            return Path(value)
    named = os.environ.get("TRACKER_DB", "")
    return Path(named) if named else None


def command_asked_for(arguments: Sequence[str]) -> str | None:
    """The command that a command line runs, if it names one of this app's commands and asks for nothing else of
    the app as a whole (its help, its version, shell completion): the first argument that is not an option."""
    options, name = _leading_options(arguments)
    if any(option != "--db" and (option, value) != ("--no-pager", None) for option, value in options):
        return None
    return name if name in {_command_name(info) for info in app.registered_commands} else None


def _command_name(info: typer.models.CommandInfo) -> str | None:
    """The name a registered command is run by: its own, or its function's, as Typer makes it."""
    if info.name:
        return info.name
    return info.callback.__name__.replace("_", "-") if info.callback else None


def run() -> None:
    """Run the command that the command line names; it ends with SystemExit. (The console script,
    `tracker.__main__.main`, calls this.)"""
    import gc

    # One command, then exit: the cycle collector would only slow the reading of large files.
    gc.disable()
    every = app.registered_commands
    if not any(name.endswith("_COMPLETE") for name in os.environ):
        wanted = command_asked_for(sys.argv[1:])
        if wanted is not None:  # Typer makes a Click command of every function it has: make only the one asked for
            app.registered_commands = [info for info in every if _command_name(info) == wanted]
    try:
        app()
    finally:
        app.registered_commands = every


def exit_status(code: object) -> int:
    """The exit status of a command that ended with `SystemExit(code)`, once what it printed has left the process,
    as Python would make it at exit: a text code is printed on stderr (status 1). Output that can no longer be
    written is dealt with as it is while a command runs: a pipe closed by its reader quietly, anything else (a disk
    full) in one line unless what went wrong was said already; status 1, or 0 once the command has changed the
    data file (see `_failed_after_any_change`)."""
    status = 0 if code is None else code if isinstance(code, int) else 1
    if status == 130:  # interrupted, maybe half-way through a write: what stdout still holds is not to go out
        render.silence(sys.stdout)
    try:
        if not isinstance(code, int | None):
            sys.stderr.write(f"{code}\n")
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError) as error:  # ValueError: a stream closed meanwhile
        # A reader that has gone is not told; what was said already is why, and what could not be printed part of it.
        if isinstance(error, BrokenPipeError) or render.said_an_error():
            status = status or (0 if changed_files() else 1)
        else:  # the output was all there was left to do (a help, say, even one that ends with exit 2)
            problem = f"the output could not be written: {getattr(error, 'strerror', None) or error}"
            status = _failed_after_any_change(problem)
        render.silence(sys.stdout)
    except KeyboardInterrupt:  # Ctrl-C while the reader of a full pipe is slow: stop there, as Typer does
        status = 130
    with suppress(OSError, ValueError, AttributeError, KeyboardInterrupt):
        sys.stderr.flush()
    return status & 0xFF
