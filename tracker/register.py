"""The register of source documents beside the data file: the text of each statement that `tracker extract --add`
recorded commitments from, one file each, in the folder `<data file>.sources/`.

A file is named `<date>-<slug of the document's name>-<first 8 hex digits of the SHA-256 of its text>.txt`, and a
text is found again by that hash, whatever date or name it was given: the same text is never stored twice. A file
is written atomically (a temporary file beside it, then a rename), under the data file's lock, before the
commitments that cite it; one left behind by a failure cites nothing and is reused by the next `--add` of the same
text. Only regular files whose names have this form are ever read, never through a link, each at most
`TEXT_LIMIT` bytes: a file name from the data file is looked up among them, never used as a path.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from tracker.errors import DatabaseError
from tracker.files import (
    describe_os_error,
    kind_of,
    make_folder,
    new_file_mode,
    prepare,
    read_regular,
    remove_temporaries,
)
from tracker.model import slugify

TEXT_LIMIT = 10 * 1024 * 1024  # as a statement `extract` reads
NAME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)-(?P<hash>[0-9a-f]{8}|[0-9a-f]{64})\.txt"
)


def content_hash(text: str) -> str:
    """The SHA-256 of a text's UTF-8 bytes, in hex."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_name(on: str, document: str, text: str, long_hash: bool = False) -> str:
    """The register's name for a text: `<date>-<slug>-<hash>.txt` (8 hex digits, or all 64 with `long_hash`)."""
    digest = content_hash(text)
    return f"{on}-{slugify(document)}-{digest if long_hash else digest[:8]}.txt"


class Register:
    """The folder of source texts beside one data file; the methods that write are called with its lock held."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _folder_mode(self) -> int | None:
        """The folder's mode (not following a link), or None if there is none; DatabaseError if it is not a folder."""
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return None
        except OSError as error:
            raise DatabaseError(f"the source register {self.path} cannot be read: {describe_os_error(error)}") from None
        if not stat.S_ISDIR(mode):
            raise DatabaseError(
                f"the source register {self.path} is {kind_of(mode)}, not a folder; move it aside to go on"
            )
        return mode

    def names(self) -> list[str]:
        """The registered texts' file names, sorted: regular files named as the register names them, nothing else."""
        if self._folder_mode() is None:
            return []
        try:
            entries = list(os.scandir(self.path))
        except OSError as error:
            raise DatabaseError(f"the source register {self.path} cannot be read: {describe_os_error(error)}") from None
        return sorted(
            entry.name for entry in entries if NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
        )

    def text(self, name: str) -> str | None:
        """The text registered under `name`, or None if the register has no such file (`name` is only looked up
        among the register's own file names, never used as a path)."""
        if name not in self.names():
            return None
        data = read_regular(self.path / name, TEXT_LIMIT, follow_links=False, what="source text")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DatabaseError(f"the source text {self.path / name} is not UTF-8 (byte {error.start})") from None

    def find(self, text: str) -> str | None:
        """The name under which this very text is registered, or None."""
        digest = content_hash(text)
        for name in self.names():
            found = NAME.fullmatch(name)
            assert found is not None
            if digest.startswith(found["hash"]) and self.text(name) == text:
                return name
        return None

    def add(self, on: str, document: str, text: str) -> str:
        """Register `text` (the statement of `document`, dated `on`) and return its file name; a text already
        registered is not stored again. Call with the data file's lock held."""
        if self._folder_mode() is None:
            try:
                make_folder(self.path, mend=True)
            except FileExistsError:
                self._folder_mode()  # something appeared meanwhile: a folder is fine, anything else is refused
            except OSError as error:
                raise self._not_written(error) from None
        remove_temporaries(self.path, r"[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z0-9-]+\.txt")  # what a killed writer left
        found = self.find(text)
        if found is not None:
            return found
        name = file_name(on, document, text)
        if name in self.names():  # the same 8 hex digits for another text: the whole hash tells them apart
            name = file_name(on, document, text, long_hash=True)
        try:
            mode = os.lstat(self.path / name).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            raise DatabaseError(f"{self.path / name} is {kind_of(mode)}, not a source text; move it aside to go on")
        try:
            prepare(self.path / name, [text.encode("utf-8")], mode=new_file_mode() & 0o666).commit()
        except OSError as error:  # not the temporary file's name, which means nothing to the user
            raise self._not_written(error) from None
        return name

    def _not_written(self, error: OSError) -> DatabaseError:
        return DatabaseError(
            f"cannot copy the statement into the source register {self.path} ({describe_os_error(error)}); "
            "nothing was changed"
        )
