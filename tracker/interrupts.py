"""Ctrl-C held off for a moment, where a KeyboardInterrupt raised in the middle would do harm.

Two moments cannot take one: orjson setting itself up (it imports Python modules, and a KeyboardInterrupt in one of
them makes the process crash, SIGSEGV, with no message), and `os.fork()` (Python's after-fork hooks, logging's say,
print a KeyboardInterrupt raised in them and go on, so the command would ignore it). For such a moment
`sigint_noted` puts in a Python handler that only notes a SIGINT (it runs in the main thread, whichever thread the
signal reached), and puts the one before back after; the caller raises it again (`raise_again`) once it is safe.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress


@contextmanager
def sigint_noted() -> Iterator[list[int]]:
    """Within: a SIGINT is only added to the list yielded. Where the handler before was set outside Python (it could
    not be put back), or this is not the main thread (where alone a KeyboardInterrupt is raised), nothing is
    changed."""
    noted: list[int] = []
    before = signal.getsignal(signal.SIGINT)
    held = False
    if before is not None:
        with suppress(ValueError):
            signal.signal(signal.SIGINT, lambda number, _: noted.append(number))
            held = True
    try:
        yield noted
    finally:
        if held:
            signal.signal(signal.SIGINT, before)  # a signal pending until now is noted first


def raise_again() -> None:
    """A SIGINT noted by `sigint_noted`, raised as it came: a KeyboardInterrupt, or whatever the handler does."""
    signal.raise_signal(signal.SIGINT)
