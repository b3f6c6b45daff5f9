"""The one exception family of the tracker: the core and the store raise these, the CLI prints them."""

from __future__ import annotations


class TrackerError(Exception):
    """A problem the user can act on; the CLI prints its message on one line and exits with `exit_code`."""

    exit_code = 1


class NotFoundError(TrackerError):
    """No commitment matches an id or prefix."""


class AmbiguousIdError(TrackerError):
    """A prefix matches more than one commitment."""


class InvalidInputError(TrackerError):
    """A value is well formed but breaks a rule (a future date, a duplicate id, nothing to record)."""


class RecordProblems(InvalidInputError):
    """A record that would not be valid; `problems` lists every way in which it is not. Its words are `subject` and
    the one problem, or how many there are, each of which the CLI then prints first (`listed`)."""

    def __init__(self, subject: str, problems: list[str]) -> None:
        super().__init__(f"{subject}: {problems[0]}" if len(problems) == 1 else f"{subject}: {len(problems)} problems")
        self.subject = subject
        self.problems = problems

    @property
    def listed(self) -> list[str]:
        """The problems to print before the words: none where the words hold the one there is."""
        return [] if len(self.problems) == 1 else self.problems


class DatabaseError(TrackerError):
    """The data file cannot be read, is not a tracker database, or cannot be written."""


class LockTimeoutError(TrackerError):
    """Another process held the data file's lock for too long."""


class NothingToUndoError(TrackerError):
    """The undo journal is empty."""


class UsageProblem(TrackerError):
    """A command used in a way it cannot be (exit 2), found after parsing: e.g. no --yes where nobody can confirm."""

    exit_code = 2
