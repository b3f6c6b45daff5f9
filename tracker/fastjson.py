"""orjson (JSON in Rust, for the data file, the journal and every JSON output), imported so that Ctrl-C cannot crash
the process.

orjson sets itself up by importing Python modules (uuid, dataclasses, json, ...). A KeyboardInterrupt raised in one
of them, by a Ctrl-C at that moment, makes the setup fail in a way orjson does not survive: the process dies of
SIGSEGV, with no message. So while orjson is imported, a SIGINT is only noted (by a handler of Python's, which runs
in the main thread, whichever thread the signal reached), and once it is set up the handler before is put back and
the signal raised again, to do what it would have done. orjson is imported the first time it is asked for,
`fastjson.orjson` (not at start-up: `list` and `report` read the index, not JSON), and kept: a lookup per use after
that, cheaper than an import statement in a function that runs once a record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import orjson as orjson  # `fastjson.orjson`, for the type checker


def __getattr__(name: str) -> Any:
    """`orjson`, imported with SIGINT noted rather than raised, the first time it is asked for."""
    if name != "orjson":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import signal  # here: the first use of orjson is soon enough

    before = signal.getsignal(signal.SIGINT)
    noted: list[int] = []
    held = False
    if before is not None:  # a handler set outside Python cannot be put back: then none is set here
        try:
            signal.signal(signal.SIGINT, lambda number, _: noted.append(number))
            held = True  # from here on, a SIGINT only adds to `noted`
        except ValueError:  # not the main thread, where alone a KeyboardInterrupt is raised: none can come here
            pass
    try:
        import orjson as module
    finally:
        if held:
            signal.signal(signal.SIGINT, before)  # a signal pending until now is noted first
            if noted:
                signal.raise_signal(signal.SIGINT)  # as it came: a KeyboardInterrupt, or whatever `before` does
    globals()["orjson"] = module
    return module
