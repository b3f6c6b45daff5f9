"""Work on the parts of a large file in several processes at once.

Reading a data file whose index is gone (deleted, or left behind by a change made elsewhere, such as a git pull)
checks and summarizes every record in Python, about 27 µs each on one core. On Linux, with many records and more
than one core, the records are split into consecutive parts: this process does the first, and a forked copy of it
each of the others, writing its result to a file in memory. The results come back in file order, so the first
problem found is the one a single process would have found first. A copy that fails in any other way has its part
done again here; nothing else changes. A large import is checked, and a CSV export of every commitment written,
the same way.
"""

from __future__ import annotations

import marshal
import mmap
import os
import signal
import sys
from collections.abc import Callable, Generator
from contextlib import suppress
from typing import Any

from tracker.errors import DatabaseError
from tracker.interrupts import raise_again, sigint_noted

PER_PART = 10_000  # the fewest records worth a process of their own
MOST_PARTS = 8


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


def in_parts(
    work: Callable[[int, int], Any], count: int, lead: float = 0.0, bounds: list[int] | None = None
) -> Generator[Any]:
    """`work(start, stop)` for consecutive parts of `range(count)`, in order: each part's result, or its
    DatabaseError raised when its turn comes. `work` must return values that `marshal` can write. Stopping early
    (a caller that has seen enough) stops the other processes. The first part, done in this process, is larger
    than the others by `lead` of one of them (see `part_bounds`); `bounds`, if given, are the parts' (a caller that
    prepares something for each part)."""
    if bounds is None:
        bounds = part_bounds(count, parts_for(count), lead)
    parts = len(bounds) - 1
    children: list[tuple[int, int] | None] = []
    try:
        for number in range(1, parts):  # one at a time, so that an interruption leaves none unstopped
            channels = [child[1] for child in children if child is not None]  # not for this copy to hold open
            children.append(_fork(work, bounds[number], bounds[number + 1], channels))
        yield work(bounds[0], bounds[1])
        for number, child in enumerate(children, start=1):
            found = None
            if child is not None:
                status = _wait(child[0])
                children[number - 1] = None  # ended and waited for: nothing to stop (its process id may be reused)
                found = _read_back(child[1], status)
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


def part_bounds(count: int, parts: int, lead: float = 0.0) -> list[int]:
    """Where each of `parts` consecutive parts of `range(count)` begins, and the last ends: equal parts, but for the
    first, larger by `lead` of one of them. A copy writes its result after its work, and this process reads it back
    after its own: where a result is large (a report's rows, say), a copy given less ends first, and the writing
    and reading of its result is done while this process works on."""
    return [0, *(int(count * (number + lead) / (parts + lead)) for number in range(1, parts)), count]


LARGE_RESULT_LEAD = 0.15  # a part's rows: writing and reading them back costs about a sixth of working them out


def _fork(work: Callable[[int, int], Any], start: int, stop: int, others: list[int]) -> tuple[int, int] | None:
    """A copy of this process that does `work(start, stop)` and writes what came of it to a file in memory; its
    process id and that file. None if no process can be made (the caller does the part itself). `others`: the
    files of the copies made before, which this one closes (it has no use for them, and would keep them)."""
    parent = os.getpid()
    channel = _channel()
    if channel is None:
        return None
    # A Ctrl-C while forking would raise KeyboardInterrupt in Python's after-fork hooks (logging's, say), which
    # only print it and go on: the command would ignore it. So it is noted meanwhile, and raised after.
    with sigint_noted() as noted:
        try:
            pid = os.fork()
        except OSError:
            pid = -1
    if pid == 0 and noted:  # the copy: the command is being stopped
        os._exit(1)
    if pid != 0 and noted:
        if pid > 0:
            _stop((pid, channel))
        else:
            os.close(channel)
        raise_again()
        return None  # a handler that goes on: the part is done here
    if pid < 0:
        os.close(channel)
        return None
    if pid == 0:  # the copy: it must never return into the caller's code, whatever happens
        status = 1
        try:
            _end_with(parent)
            for other in others:
                os.close(other)
            try:
                payload = marshal.dumps((True, work(start, stop)))
            except DatabaseError as error:
                payload = marshal.dumps((False, str(error)))
            with open(channel, "wb") as file:
                file.write(payload)
            status = 0
        except BaseException:  # the parent does the part again, and reports whatever goes wrong
            pass
        finally:
            os._exit(status)
    return pid, channel


def _channel() -> int | None:
    """A file for a copy's result: a file in memory (Linux's memfd_create), not a pipe, so that the copy writes all
    it has at once and ends, whether read yet or not; an unnamed temporary file where Python was built without
    memfd_create (as some prebuilt Pythons are). None if neither can be made, or if it would take the last
    descriptor this process may open (under `ulimit -n`): this process still has files to open, a module among them."""
    try:
        descriptor = _new_channel()
    except OSError:
        return None
    try:
        os.close(os.dup(descriptor))
    except OSError:
        os.close(descriptor)
        return None
    return descriptor


def _new_channel() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("tracker-part", os.MFD_CLOEXEC)
    import tempfile

    with suppress(OSError, AttributeError):  # a file that never has a name (Linux 3.11, most file systems)
        return os.open(tempfile.gettempdir(), os.O_TMPFILE | os.O_RDWR, 0o600)
    descriptor, name = tempfile.mkstemp(prefix="tracker-part-")
    os.unlink(name)
    return descriptor


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


def _wait(pid: int) -> int:
    """The exit status of a copy, once it has ended (if this is interrupted, `_stop` ends the copy)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # SIGCHLD ignored (as a program may hand it on): the kernel has reaped the copy itself
        return 0  # whatever it wrote is whole only if it reads back whole (see `_read_back`)


def _read_back(channel: int, status: int) -> tuple[bool, Any] | None:
    """What a copy that has ended with `status` wrote to its file: (True, its result) or (False, the words of its
    DatabaseError); None if it failed, or what it wrote does not read back whole. The file is closed."""
    try:
        size = os.fstat(channel).st_size
        if status != 0 or not size:
            return None
        with mmap.mmap(channel, size, access=mmap.ACCESS_READ) as written:
            found = marshal.loads(written)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    finally:
        os.close(channel)
    return found if isinstance(found, tuple) and len(found) == 2 else None


def _stop(child: tuple[int, int]) -> None:
    """End a copy whose result is not wanted, and let go of it."""
    pid, channel = child
    with suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with suppress(OSError):
        os.waitpid(pid, 0)
    with suppress(OSError):
        os.close(channel)
