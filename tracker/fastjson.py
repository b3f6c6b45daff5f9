"""orjson (JSON in Rust, for the data file, the journal and every JSON output), imported so that Ctrl-C cannot crash
the process.

orjson sets itself up by importing Python modules (uuid, dataclasses, json, ...). A KeyboardInterrupt raised in one
of them, by a Ctrl-C at that moment, makes the setup fail in a way orjson does not survive: the process dies of
SIGSEGV, with no message. So SIGINT is held back while orjson is imported (where the platform can hold a signal
back), and arrives, as a KeyboardInterrupt, as soon as it is set up. orjson is imported the first time it is asked
for, `fastjson.orjson` (not at start-up: `list` and `report` read the index, not JSON), and kept: a lookup per use
after that, cheaper than an import statement in a function that runs once a record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import orjson as orjson  # `fastjson.orjson`, for the type checker


def __getattr__(name: str) -> Any:
    """`orjson`, imported with SIGINT held back, the first time it is asked for."""
    if name != "orjson":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import signal  # here: the first use of orjson is soon enough

    hold = getattr(signal, "pthread_sigmask", None)  # not on Windows
    held = hold(signal.SIG_BLOCK, {signal.SIGINT}) if hold is not None else None
    try:
        import orjson as module
    finally:
        if hold is not None:
            hold(signal.SIG_SETMASK, held)
    globals()["orjson"] = module
    return module
