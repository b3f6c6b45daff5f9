"""The `tracker` command and `python -m tracker`."""

import gc
import os
import sys


def main() -> None:
    """Run one command and exit.

    The cycle collector is paused before anything is imported: a command runs once and exits, and the collector
    would only go over and over the objects that importing Typer and Click makes, and those that reading a large file
    makes. The process then ends without tearing the interpreter down (freeing every module, one by one, about a
    tenth of start-up): everything a command writes is written, flushed and synced by the command itself, and what it
    printed is flushed here first, with the same care as any other output. Under a debugger, a profiler or a
    coverage tool, the process exits as usual, so that they can finish their work. (To run the tracker inside another
    program, call `tracker.cli.run`, which ends with SystemExit.)"""
    gc.disable()
    try:
        from tracker.cli import exit_status, run
    except KeyboardInterrupt:  # Ctrl-C while starting: nothing was done
        _end_interrupted()
    try:
        run()
    except SystemExit as stop:
        status = exit_status(stop.code)
    except KeyboardInterrupt:  # Ctrl-C before the command's own handling of it begins (or after it ends)
        status = exit_status(INTERRUPTED)
    else:
        status = exit_status(0)
    if _watched():
        sys.exit(status)
    if status == INTERRUPTED:
        _end_interrupted()
    os._exit(status)


INTERRUPTED = 130  # the status a shell gives a program that SIGINT (Ctrl-C) ended


def _end_interrupted() -> None:
    """End as a program that Ctrl-C stopped: killed by SIGINT, not exiting with 130, so that a shell running the
    tracker in a loop (`for id in ...; do tracker remove "$id"; done`) stops too, as it does for a program that
    SIGINT killed, and not for one that exited."""
    import signal

    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except (OSError, ValueError):
        pass
    os._exit(INTERRUPTED)  # where the signal could not end it


def _watched() -> bool:
    """Whether a tool has work to do at exit: a tracer or profiler (coverage, cProfile up to Python 3.11), a tool of
    `sys.monitoring` (cProfile and coverage from 3.12), or a debugger (pdb stops tracing when it runs on without a
    breakpoint)."""
    if sys.gettrace() is not None or sys.getprofile() is not None or "bdb" in sys.modules:
        return True
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12
    return monitoring is not None and any(monitoring.get_tool(tool) is not None for tool in range(6))


if __name__ == "__main__":
    main()
