"""orjson (JSON in Rust, for the data file, the index's neighbours and every JSON output), imported so that Ctrl-C
cannot crash the process.

orjson sets itself up by importing Python modules (uuid, dataclasses, json, ...). A KeyboardInterrupt raised in one
of them, by a Ctrl-C at that moment, makes the setup fail in a way orjson does not survive: the process dies of
SIGSEGV, with no message. So SIGINT is held back while orjson is imported (where the platform can hold a signal
back), and arrives, as a KeyboardInterrupt, as soon as it is set up. Every module imports orjson from here:
`from tracker.fastjson import orjson`.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import orjson
else:

    def _imported():
        hold = getattr(signal, "pthread_sigmask", None)  # not on Windows
        held = hold(signal.SIG_BLOCK, {signal.SIGINT}) if hold is not None else None
        try:
            import orjson
        finally:
            if hold is not None:
                hold(signal.SIG_SETMASK, held)
        return orjson

    orjson = _imported()

__all__ = ["orjson"]
