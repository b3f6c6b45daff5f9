"""Files on disk: opening only regular files (never blocking on a FIFO or reading a device), atomic replacement in
two steps, temporary files and their clean-up, and the one place that turns OS errors into the tracker's errors.

Every file the tracker replaces is first written in full to a temporary file beside it, named
`.<name>.tmp-XXXXXXXX`, flushed to disk, and then renamed over the original; the directory is synced after. A
process killed in between leaves the old file and a temporary file, which the next writer of that same file
removes under the lock (`remove_temporaries`): the pattern matches only that file's own temporaries, never those
of a file whose name merely starts the same.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NamedTuple

from tracker.errors import DatabaseError, LockTimeoutError

TEMP_MARK = ".tmp-"
_TEMP_TAIL = r"\.tmp-[a-z0-9_]{8}"  # what tempfile.mkstemp puts after the prefix

Piece = bytes | memoryview | tuple[int, int]  # new bytes (or a view of some), or a (start, end) range of a source file

_KINDS = (
    (stat.S_ISREG, "a regular file"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


def kind_of(mode: int) -> str:
    """What a file of this mode is, in words, e.g. `a named pipe (FIFO)`."""
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def describe_os_error(error: OSError) -> str:
    """An OS error in words, without Python's decoration."""
    return str(error.strerror or error)


def open_regular(path: Path, follow_links: bool = True, what: str = "") -> int:
    """A read-only descriptor on `path`, which must be a regular file; never blocks (a FIFO is refused, not waited
    on) and, with `follow_links` false, never follows a symbolic link. DatabaseError naming the problem otherwise;
    FileNotFoundError if there is nothing at `path`."""
    label = f"the {what} {path}" if what else str(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise DatabaseError(f"{label} is a directory, not a regular file") from None
    except PermissionError:
        raise DatabaseError(f"{label} cannot be read: permission denied") from None
    except OSError as error:
        if not follow_links and os.path.islink(path):
            raise DatabaseError(f"{label} is a symbolic link, not a regular file") from None
        raise DatabaseError(f"{label} cannot be read: {describe_os_error(error)}") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise DatabaseError(f"{label} is {kind_of(mode)}, not a regular file")
    return descriptor


def read_regular(path: Path, limit: int, follow_links: bool = True, what: str = "") -> bytes:
    """The bytes of the regular file at `path`, refused (DatabaseError) if it holds more than `limit` bytes."""
    descriptor = open_regular(path, follow_links, what)
    label = f"the {what} {path}" if what else str(path)
    try:
        size = os.fstat(descriptor).st_size
        if size > limit:
            raise DatabaseError(f"{label} is {size:,} bytes, more than the {limit:,} it may hold")
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as error:
        raise DatabaseError(f"{label} cannot be read: {describe_os_error(error)}") from None
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise DatabaseError(f"{label} grew past the {limit:,} bytes it may hold while it was read")
    return data


def new_file_mode() -> int:
    """The mode a new file gets under the current umask, and always read and write for its owner: a umask such as
    222 or 777 must not leave the tracker's own files unusable to the next command."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask | OWNER_USES


OWNER_USES = stat.S_IRUSR | stat.S_IWUSR


def make_folder(path: Path, parents: bool = False, mend: bool = False) -> None:
    """Create the folder `path` (with `parents`, any folder above it that is missing too) if it is not there,
    each one its owner may list, enter and write in whatever the umask; FileExistsError if something else is
    there. With `mend`, a folder of the tracker's own that is there is given back what its owner lacks of that."""
    missing: list[Path] = []
    folder = path
    while not folder.exists() and (not missing or parents) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    if not missing and not path.is_dir():
        raise FileExistsError(errno.EEXIST, "not a folder", str(path))
    if not missing and mend:
        _owner_uses(path, stat.S_IRWXU)
    for folder in reversed(missing):  # from the top, so that each can be entered to make the next
        try:
            folder.mkdir()
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue
        os.chmod(folder, stat.S_IMODE(folder.stat().st_mode) | stat.S_IRWXU)


def _owner_uses(path: Path, bits: int) -> None:
    """Give the owner of `path` (this user, not through a link) the permission `bits` it lacks: a side file or folder
    that a umask such as 222 or 777 once made unusable to its owner is the tracker's to mend."""
    with suppress(OSError):
        status = os.lstat(path)
        if status.st_uid == os.getuid() and status.st_mode & bits != bits and not stat.S_ISLNK(status.st_mode):
            os.chmod(path, stat.S_IMODE(status.st_mode) | bits)


def _owner_writes(path: Path) -> bool:
    with suppress(OSError):
        return bool(os.stat(path).st_mode & stat.S_IWUSR)
    return False


def create_side_file(path: Path) -> None:
    """Create the empty file `path` (a lock file), read and write for its owner whatever the umask, if nothing is
    there; nothing if that cannot be done (whatever opens it next says why)."""
    with suppress(OSError):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.fchmod(descriptor, new_file_mode())
        finally:
            os.close(descriptor)


def temporary_pattern(names: str) -> re.Pattern[str]:
    """The names of the temporary files that replacing a file whose name matches the regular expression `names`
    makes, and only those."""
    return re.compile(rf"\.(?:{names}){_TEMP_TAIL}")


def remove_temporaries(directory: Path, names: str) -> None:
    """Remove what a killed writer of the files whose names match the regular expression `names` left in
    `directory`; call only with those files' lock held."""
    pattern = temporary_pattern(names)
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if pattern.fullmatch(entry.name):
            with suppress(OSError):  # another try at the next write; a leftover is never read
                os.unlink(entry.path)


def fsync_directory(directory: Path) -> None:
    """Flush a directory's entries to disk (a rename in it, say); an OSError names the directory."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise _naming(error, directory) from None


class PreparedFile(NamedTuple):
    """A new version of `path`, written in full and flushed to disk as the temporary file `temp`, not yet in place."""

    path: Path
    temp: Path
    inode: int
    written: os.stat_result  # the file as written: what renaming it into place leaves, but its change time

    def commit(self) -> None:
        """Put the new version in place in one atomic rename, and sync the directory."""
        try:
            os.replace(self.temp, self.path)
        except BaseException:
            self.discard()
            raise
        fsync_directory(self.path.parent)

    def discard(self) -> None:
        """Drop the new version; the file stays as it was."""
        with suppress(OSError):
            self.temp.unlink(missing_ok=True)


_WRITE_AT = 1 << 20


def prepare(path: Path, pieces: Iterable[Piece], source: int = -1, mode: int | None = None) -> PreparedFile:
    """Write the pieces (bytes, or ranges copied from the open file `source`) to a temporary file beside `path`,
    with `path`'s mode (or `mode`), and flush it to disk."""
    return prepare_body(path, 0, pieces, source, mode).finish(b"")


def prepare_body(
    path: Path, room: int, pieces: Iterable[Piece], source: int = -1, mode: int | None = None
) -> UnfinishedFile:
    """`prepare`, but the pieces go after `room` bytes left for `UnfinishedFile.finish` to write (an index's
    header, which names the data file's signature, known only once the data file is in place)."""
    unfinished = begin(path, room, mode)
    try:
        unfinished.write(pieces, source)
    except BaseException:
        unfinished.discard()
        raise
    return unfinished


def begin(path: Path, room: int = 0, mode: int | None = None) -> UnfinishedFile:
    """A new, empty temporary file beside `path`, to be written (`UnfinishedFile.write`) after `room` bytes left
    for `UnfinishedFile.finish`, with `path`'s mode (or `mode`) once finished."""
    if mode is None:
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            status = None
        if status is not None and stat.S_ISREG(status.st_mode):
            mode = stat.S_IMODE(status.st_mode) | OWNER_USES  # a file the tracker writes, its owner can use
        else:  # nothing there, or what the file replaces is not a file of its own (a link, a device): not its mode
            mode = new_file_mode()
    import tempfile  # not at start-up: reading commands never write

    descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}", dir=path.parent)
    unfinished = UnfinishedFile(path, Path(temp_name), descriptor, room, mode, 0)
    try:
        try:
            if room:
                os.lseek(descriptor, room, os.SEEK_SET)
            return unfinished._replace(inode=os.fstat(descriptor).st_ino)
        except OSError as error:
            raise _naming(error, path) from None
    except BaseException:
        unfinished.discard()
        raise


class UnfinishedFile(NamedTuple):
    """A new version of `path` being written to the temporary file `temp` (open as `descriptor`, with `inode`):
    the pieces (`write`), then its first `room` bytes (`finish`), which may be known only after the rest."""

    path: Path
    temp: Path
    descriptor: int
    room: int
    mode: int
    inode: int

    def write(self, pieces: Iterable[Piece], source: int = -1) -> None:
        """Write the pieces (bytes, or ranges copied from the open file `source`) in order, and flush them to disk.
        The file is left to `finish` or `discard`."""
        descriptor = self.descriptor
        try:
            pending: list[bytes | memoryview] = []  # small pieces written together, a megabyte at a time
            size = 0
            for piece in pieces:
                if not isinstance(piece, tuple) and len(piece) < _WRITE_AT:
                    pending.append(piece)
                    size += len(piece)
                    if size < _WRITE_AT:
                        continue
                if pending:
                    write_all(descriptor, b"".join(pending))
                    pending, size = [], 0
                if isinstance(piece, tuple):
                    copy_range(source, descriptor, *piece)
                elif len(piece) >= _WRITE_AT:  # a large piece is written as it is, not copied into a join
                    write_all(descriptor, piece)
            if pending:
                write_all(descriptor, b"".join(pending))
            os.fsync(descriptor)
        except OSError as error:  # a disk full, a file too large: say which file could not be written
            raise _naming(error, self.path) from None

    def finish(self, head: bytes) -> PreparedFile:
        """Write the first bytes (as many as the room left for them) and flush them: only they are left to write
        to disk. The descriptor is closed, whatever happens; the file is removed if this fails."""
        try:
            try:
                if len(head) != self.room:
                    raise ValueError(f"{len(head)} bytes for a room of {self.room}")
                if head:
                    _write_at(self.descriptor, head, 0)
                    os.fsync(self.descriptor)
                written = os.fstat(self.descriptor)
            except OSError as error:
                raise _naming(error, self.path) from None
            finally:
                os.close(self.descriptor)
            os.chmod(self.temp, self.mode)
        except BaseException:
            self.temp.unlink(missing_ok=True)
            raise
        return PreparedFile(self.path, self.temp, self.inode, written)

    def discard(self) -> None:
        """Drop the new version; the file stays as it was."""
        with suppress(OSError):
            os.close(self.descriptor)
        with suppress(OSError):
            self.temp.unlink(missing_ok=True)


def _naming(error: OSError, path: Path) -> OSError:
    """The error itself if it names a file, else the same error naming `path`."""
    if error.filename is not None:
        return error
    return OSError(error.errno, error.strerror, str(path))


def _write_at(descriptor: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(descriptor, view, offset)
        view, offset = view[written:], offset + written


def atomic_write(path: Path, content: str | bytes) -> None:
    """Replace `path` with `content` atomically: the old file or the new one, never half of one."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    prepare(path, [data]).commit()


@contextmanager
def prepared(path: Path, pieces: Sequence[Piece], source: int = -1) -> Iterator[PreparedFile]:
    """`prepare`, discarding the temporary file if the caller raises before it commits."""
    new_version = prepare(path, pieces, source)
    try:
        yield new_version
    except BaseException:
        new_version.discard()
        raise


def write_all(descriptor: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def copy_range(source: int, target: int, start: int, end: int) -> None:
    """Copy bytes start..end of `source` to the end of `target`, in the kernel where it can."""
    while start < end:
        try:
            copied = os.copy_file_range(source, target, end - start, start)
        except (AttributeError, OSError):
            copied = 0
        if copied <= 0:
            chunk = os.pread(source, min(end - start, 1 << 20), start)
            if not chunk:
                raise DatabaseError("the data file changed while it was being copied")
            write_all(target, chunk)
            copied = len(chunk)
        start += copied


def bundled_text() -> str:
    """The bundled ASEAN-ROK 2020 data set, as shipped inside the package."""
    from importlib import resources  # 2 ms, and tempfile with it: not at start-up

    return resources.files("tracker.data").joinpath("commitments.json").read_text(encoding="utf-8")


def default_path() -> Path:
    """`commitments.json` in the platform's user data directory."""
    import platformdirs  # 15 ms: only where the default path is needed

    return platformdirs.user_data_path("tracker", appauthor=False) / "commitments.json"


def mode_of(data: Path) -> int | None:
    """The mode for a file that holds what the data file at `data` holds (its index, its undo journal's entries):
    the data file's own, and always read and write for its owner, so that no one may read a commitment there who may
    not read it in the data file; None where there is no data file yet (a new file's mode, then)."""
    try:
        return stat.S_IMODE(os.stat(data).st_mode) | OWNER_USES
    except OSError:
        return None


KEY_SIZE = 32


def private_key(path: Path) -> bytes | None:
    """The 32 random bytes kept at `path`, a regular file of this user's that no one else may read or write, made
    the first time they are asked for; None where they cannot be read or made (a read-only home, say), or where
    what is there is not such a file (it is left as it is: never replaced). Nothing is lost without them: they only
    key what a cache holds."""
    for _ in range(2):
        try:
            descriptor = open_regular(path, follow_links=False, what="key")
        except FileNotFoundError:
            if not _make_key(path):
                return None
            continue  # made, or made by another process meanwhile: read it as it stands
        except (OSError, DatabaseError):
            return None
        try:
            status = os.fstat(descriptor)
            key = os.read(descriptor, KEY_SIZE + 1)
        except OSError:
            return None
        finally:
            os.close(descriptor)
        return key if _owners_alone(status) and len(key) == KEY_SIZE else None
    return None


def _owners_alone(status: os.stat_result, folder: bool = False) -> bool:
    """Whether a file is this user's and no one else may read or write it, or, for a `folder`, only whether it is
    this user's (on Windows, where files have no such owner nor mode, the answer is yes)."""
    euid = getattr(os, "geteuid", None)
    return euid is None or (status.st_uid == euid() and (folder or not status.st_mode & 0o077))


def _make_key(path: Path) -> bool:
    """Make the key at `path`, unless something is there by then (another process made it); whether it is there.
    It is written whole to a temporary file first, and linked to its name only if that name is free, so that a key
    is never seen half written, and nothing there is ever replaced. The folders it needs are made only under one
    of this user's own (not in the home of a user whose HOME a root process kept, with sudo -E, say)."""
    there = path.parent
    while not there.exists() and there.parent != there:
        there = there.parent
    try:
        if not _owners_alone(os.stat(there), folder=True):
            return False
        make_folder(path.parent, parents=True)
        prepared = prepare(path, [os.urandom(KEY_SIZE)], mode=OWNER_USES)
    except (OSError, DatabaseError):
        return False
    try:
        os.link(prepared.temp, path)
    except FileExistsError:
        pass
    except OSError:
        return False
    finally:
        prepared.discard()
    return True


def key_path() -> Path:
    """Where this user's private key for the tracker's caches is kept (see `private_key`): beside the default data
    file, in the platform's user data directory, never beside a data file kept elsewhere (a shared folder)."""
    return default_path().with_name("cache-key")


@contextmanager
def locked(lock_path: Path, timeout: float, what: Path) -> Iterator[None]:
    """Hold the cross-process lock on `lock_path` (for the file `what`), waiting up to `timeout` seconds for it."""
    from filelock import FileLock, Timeout  # 35 ms: only commands that write pay for it

    try:
        mode = os.lstat(lock_path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise DatabaseError(f"the lock file {lock_path} is {kind_of(mode)}, not a regular file; remove it to go on")
    if mode is None:
        create_side_file(lock_path)
    elif _owner_writes(what):  # not where the owner has made the database read-only: the write is refused anyway
        _owner_uses(lock_path, OWNER_USES)
    lock = FileLock(str(lock_path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeoutError(
            f"{what} is locked by another tracker process ({lock_path}); waited {timeout:g} s; try again when it "
            "has finished"
        ) from None
    except OSError as error:
        raise DatabaseError(f"cannot lock {what}: {describe_os_error(error)} ({lock_path})") from None
    try:
        yield
    finally:
        lock.release()
