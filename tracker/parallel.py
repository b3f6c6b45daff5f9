"""Work on the parts of a large file in several processes at once.

Reading a data file whose index is gone (deleted, or left behind by a change made elsewhere, such as a git pull)
checks and summarizes every record in Python, about 30 µs each on one core. On Linux, with many records and more
than one core, the records are split into consecutive parts: this process does the first, and a forked copy of it
each of the others, sending its result back through a pipe. The results come back in file order, so the first
problem found is the one a single process would have found first. A copy that fails in any other way has its part
done again here; nothing else changes. A large import is checked, and a CSV export of every commitment written,
the same way.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
from collections.abc import Callable, Generator
from contextlib import suppress
from typing import Any

from tracker.errors import DatabaseError

PER_PART = 10_000  # the fewest records worth a process of their own
MOST_PARTS = 8
_PIPE_SIZE = 1 << 20  # Linux's default limit for a process without privileges


def _cores() -> int:
    """The cores this process may run on, and may use the time of (a container's CPU quota, where it has one)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cpu_quota()
    return max(1, min(cores, quota)) if quota is not None else cores


_QUOTA_FILES = (  # the control group's CPU quota and period in microseconds: version 2, then version 1
    ("/sys/fs/cgroup/cpu.max",),
    ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
)


def _text(path: str) -> str:
    with open(path, encoding="ascii") as file:
        return file.read(100)


def _cpu_quota() -> int | None:
    """How many cores' time the control group may use (rounded up), where it sets a limit; None where it does not."""
    for paths in _QUOTA_FILES:
        try:
            words = " ".join(map(_text, paths)).split()
        except (OSError, ValueError):
            continue
        if len(words) == 2 and words[0].isdigit() and words[1].isdigit() and int(words[1]) > 0:
            return -(-int(words[0]) // int(words[1]))
        return None  # no limit ("max", or -1)
    return None


def parts_for(count: int) -> int:
    """Into how many parts to split `count` records: one, unless on Linux (where forking a process is safe and
    cheap) with cores to spare and at least PER_PART records for each, in a process that runs no other thread (a
    copy of a process with threads can wait forever on a lock that one of them held, as a program that uses
    tracker as a library might)."""
    if sys.platform != "linux" or count < 2 * PER_PART or _threaded():
        return 1
    return max(1, min(_cores(), MOST_PARTS, count // PER_PART))


def _threaded() -> bool:
    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


def in_parts(work: Callable[[int, int], Any], count: int) -> Generator[Any]:
    """`work(start, stop)` for consecutive parts of `range(count)`, in order: each part's result, or its
    DatabaseError raised when its turn comes. `work` must return values that `marshal` can write. Stopping early
    (a caller that has seen enough) stops the other processes."""
    parts = parts_for(count)
    bounds = [count * number // parts for number in range(parts + 1)]
    children: list[tuple[int, int] | None] = []
    try:
        for number in range(1, parts):  # one at a time, so that an interruption leaves none unstopped
            children.append(_fork(work, bounds[number], bounds[number + 1]))
        yield work(bounds[0], bounds[1])
        for number, child in enumerate(children, start=1):
            found = _collect(child) if child is not None else None
            children[number - 1] = None  # collected: nothing left to stop
            if found is None:  # no copy, or one that failed: do its part here
                yield work(bounds[number], bounds[number + 1])
            elif found[0]:
                yield found[1]
            else:
                raise DatabaseError(found[1])
    finally:
        for child in children:
            if child is not None:
                _stop(child)


def _fork(work: Callable[[int, int], Any], start: int, stop: int) -> tuple[int, int] | None:
    """A copy of this process that does `work(start, stop)` and writes what came of it to a pipe; its process id
    and the pipe's reading end. None if no process can be made (the caller does the part itself)."""
    parent = os.getpid()
    try:
        reading, writing = os.pipe()
    except OSError:
        return None
    import fcntl  # here, not at the top: parts are made on Linux only, and Windows has no fcntl

    with suppress(OSError):  # a larger buffer than the 64 KiB a pipe starts with: a part's result may be megabytes
        fcntl.fcntl(writing, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    try:
        pid = os.fork()
    except OSError:
        os.close(reading)
        os.close(writing)
        return None
    if pid == 0:  # the copy: it must never return into the caller's code, whatever happens
        status = 1
        try:
            _end_with(parent)
            os.close(reading)
            try:
                payload = marshal.dumps((True, work(start, stop)))
            except DatabaseError as error:
                payload = marshal.dumps((False, str(error)))
            with open(writing, "wb") as pipe:
                pipe.write(payload)
            status = 0
        except BaseException:  # the parent does the part again, and reports whatever goes wrong
            pass
        finally:
            os._exit(status)
    os.close(writing)
    return pid, reading


def _end_with(parent: int) -> None:
    """Have the kernel end this copy if the process that made it ends first (killed, say, by SIGTERM or the OOM
    killer, which leave it no time to stop its copies), so that no copy goes on with its part for nothing, holding
    what it inherited (the output pipe among them). Linux's prctl(PR_SET_PDEATHSIG); if the parent has already
    gone, end now."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _collect(child: tuple[int, int]) -> tuple[bool, Any] | None:
    """What a copy sent: (True, its result) or (False, the words of its DatabaseError); None if it failed."""
    pid, reading = child
    with open(reading, "rb", closefd=False) as pipe:  # if this is interrupted, `_stop` ends the copy
        payload = pipe.read()
    os.close(reading)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # SIGCHLD ignored (as a program may hand it on): the kernel has reaped the copy itself
        status = 0  # whatever it sent is whole only if it reads back whole, below
    if status != 0 or not payload:
        return None
    try:
        found = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return found if isinstance(found, tuple) and len(found) == 2 else None


def _stop(child: tuple[int, int]) -> None:
    """End a copy whose result is not wanted, and let go of it."""
    pid, reading = child
    with suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with suppress(OSError):
        os.waitpid(pid, 0)
    with suppress(OSError):
        os.close(reading)
