"""orjson (JSON in Rust, for the data file, the journal and every JSON output), imported so that Ctrl-C cannot crash
the process.

orjson sets itself up by importing Python modules (uuid, dataclasses, json, ...). A KeyboardInterrupt raised in one
of them, by a Ctrl-C at that moment, makes the setup fail in a way orjson does not survive: the process dies of
SIGSEGV, with no message. So while orjson is imported, a SIGINT is only noted (`interrupts.sigint_noted`), and once
it is set up the signal is raised again, to do what it would have done. orjson is imported the first time it is
asked for, `fastjson.orjson` (not at start-up: `list` and `report` read the index, not JSON), and kept: a lookup per
use after that, cheaper than an import statement in a function that runs once a record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import orjson as orjson  # `fastjson.orjson`, for the type checker


def __getattr__(name: str) -> Any:
    """`orjson`, imported with SIGINT noted rather than raised, the first time it is asked for."""
    if name != "orjson":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from tracker.interrupts import raise_again, sigint_noted  # here: the first use of orjson is soon enough

    with sigint_noted() as noted:
        import orjson as module
    if noted:
        raise_again()
    globals()["orjson"] = module
    return module
