"""User files: every read of a user's file is bounded, every write loses nothing.

One home for the planner's file handling, used by every face (CLI, PDF report, scenario
save, usage import):

- :func:`read_bounded` reads at most a cap of bytes, so ``commitplan validate /dev/zero``
  ends at once with a message instead of reading until memory runs out;
- :func:`write_output` writes an output the way a careful shell redirection would: a regular
  file atomically (a temporary file beside it, ``fsync``, rename), never over one of the
  command's inputs, never replacing a symlink, a FIFO or a device with a plain file, never
  over a read-only file;
- :func:`check_output` runs the same checks without writing, before expensive work (a PDF
  export checks its target before the simulation runs).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Any

from forecast.errors import UserFileError

PathLike = str | os.PathLike[str]

#: Most bytes read from a scenario file: 4 MiB. The bundled examples are under 10 kB and a
#: scenario the usage importer writes for 1,000 workloads is about 1 MB, so a bigger file is
#: not a scenario (or is a mistake such as ``/dev/zero``).
MAX_SCENARIO_BYTES = 4 * 1024 * 1024

#: Signals during which a write removes its temporary file before the process ends (SIGINT
#: raises KeyboardInterrupt, which the same clean-up already catches).
_CLEAN_UP_ON = tuple(s for s in (getattr(signal, "SIGTERM", None),
                                 getattr(signal, "SIGHUP", None)) if s is not None)
_MAX_LINKS = 40  # as the kernel's ELOOP limit


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MiB"
    if n >= 1024:
        return f"{n / 1024:g} KiB"
    return f"{n} bytes"


# --------------------------------------------------------------------------- reading
def read_bounded(path: PathLike, max_bytes: int, what: str = "file") -> bytes:
    """Read a file whole, refusing one larger than ``max_bytes``.

    At most ``max_bytes + 1`` bytes are read, so an endless source (``/dev/zero``, a pipe
    that never closes its end early) costs no more than the cap.

    Parameters
    ----------
    path : str or path-like
        The file to read (a FIFO or character device is read the same way).
    max_bytes : int
        The most bytes the file may hold (:data:`MAX_SCENARIO_BYTES` for a scenario).
    what : str
        What the file is, for the message (``"scenario"``, ``"usage export"``).

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    UserFileError
        When the file is missing, a folder, unreadable or larger than the cap; the message
        names the file and, past the cap, the cap.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise UserFileError(path, "no such file") from None
    except IsADirectoryError:
        raise UserFileError(path, f"is a folder; give the {what} file inside it") from None
    except OSError as exc:
        raise UserFileError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise UserFileError(path, f"is larger than {_size(max_bytes)}, the most a {what} file "
                                  "may be; is it the right file?")
    return data


# --------------------------------------------------------------------------- targets
class TargetKind(StrEnum):
    """What an output path names once its symlinks are followed."""

    NEW = "new"  # nothing there yet: created atomically
    REGULAR = "regular"  # an existing regular file: replaced atomically
    IN_PLACE = "in place"  # a FIFO, character device or open descriptor: opened and written


@dataclass(frozen=True)
class OutputTarget:
    """Where an output goes: ``file`` is the final target of the path's symlinks."""

    path: Path
    file: Path
    kind: TargetKind


def _follow_links(path: Path) -> tuple[Path, bool]:
    """The final target of ``path``'s symlinks, and whether the chain goes through ``/proc``.

    ``/dev/stdout`` and ``/dev/fd/N`` lead to ``/proc/self/fd/N``, which names an open
    descriptor rather than a file: the output must go through the descriptor (in place),
    not over the file it happens to point to (that would break ``>>`` and leave the shell
    writing to a deleted file).
    """
    current = Path(os.path.abspath(path))
    for _ in range(_MAX_LINKS):
        folder = Path(os.path.realpath(current.parent))
        if folder.parts[:2] == ("/", "proc"):
            return current, True
        current = folder / current.name
        if not current.is_symlink():
            return current, False
        current = Path(os.path.abspath(folder / os.readlink(current)))
    raise UserFileError(path, "too many levels of symbolic links")


def _same_file(a: Path, b: Path) -> bool:
    with contextlib.suppress(OSError):
        if os.path.samefile(a, b):
            return True
    return Path(os.path.realpath(a)) == Path(os.path.realpath(b))


def check_output(path: PathLike, inputs: Sequence[PathLike] = ()) -> OutputTarget:
    """Check that an output can be written to ``path``, without writing anything.

    Parameters
    ----------
    path : str or path-like
        The output the user named (``-o``).
    inputs : sequence of str or path-like
        The files the command reads; the output must be none of them.

    Returns
    -------
    OutputTarget
        The path, its final target and how it will be written.

    Raises
    ------
    UserFileError
        When the output is one of the inputs (naming both), a folder, a block device, a
        read-only file, or in a folder that does not exist.
    """
    shown = os.fspath(path)  # as the user wrote it: Path("./s.yaml") would drop the "./"
    if shown.endswith(("/", "/.")) and not os.path.isdir(shown):
        # Path("plain.json/") is Path("plain.json"): the slash would be lost, and the shell
        # refuses `> plain.json/` ("Not a directory"); a trailing slash names a folder.
        raise UserFileError(shown, "ends in '/', which names a folder, and there is none; "
                                  "give a file name without the trailing '/'")
    path = Path(path)
    target, descriptor = _follow_links(path)
    if descriptor:
        return OutputTarget(path, target, TargetKind.IN_PLACE)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UserFileError(shown, f"cannot write ({exc.strerror or exc})") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UserFileError(shown, "is a folder; give the name of a file to write inside it")
    if info is not None and stat.S_ISBLK(info.st_mode):
        raise UserFileError(shown, "is a block device (a disk); refusing to write over it")
    if info is not None and not stat.S_ISREG(info.st_mode):
        return OutputTarget(path, target, TargetKind.IN_PLACE)
    for source in inputs:
        if _same_file(target, Path(source)):
            raise UserFileError(shown, f"is the input {source} itself; writing there would "
                                      "destroy it: give another output file")
    if info is None:
        if not target.parent.is_dir():
            raise UserFileError(shown, f"cannot write: {target.parent} is not an existing "
                                      "folder; create it or write elsewhere")
        return OutputTarget(path, target, TargetKind.NEW)
    # A file without write permission is refused as the shell's `>` refuses it; root, whom
    # the kernel lets write anyway, is held to the file's mode too: read-only means keep.
    writable = info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    if not writable or not os.access(target, os.W_OK):
        raise UserFileError(shown, "cannot write: permission denied (the file is read-only); "
                                  "make it writable or write elsewhere")
    return OutputTarget(path, target, TargetKind.REGULAR)


# --------------------------------------------------------------------------- writing
class _Terminated(BaseException):
    """Raised by the signal handler installed during a write, so its clean-up runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _clean_up_on_termination() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception for the duration of a write.

    After the caller's clean-up, the previous handlers are restored and the signal is raised
    again, so the process ends (or its own handler runs) as it would have. Handlers can only
    be set in the main thread; elsewhere (a Streamlit script thread) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise _Terminated(signum)

    previous: dict[int, Any] = {}
    for signum in _CLEAN_UP_ON:
        current = signal.getsignal(signum)
        if current is signal.SIG_IGN or current is None:
            continue
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    except _Terminated as exc:
        for signum, old in previous.items():
            signal.signal(signum, old)
        previous.clear()
        signal.raise_signal(exc.signum)
        # The restored handler returned: the process goes on, the write did not happen.
        raise InterruptedError(f"interrupted by signal {exc.signum}") from None
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _replace_atomically(target: Path, data: bytes, keep: os.stat_result | None) -> None:
    """Write ``data`` to a new file beside ``target``, fsync it, rename it over ``target``.

    A new file is created with mode 0666 less the umask (as the shell creates one); an
    existing file's mode (and, where allowed, owner) is kept.
    """
    folder = target.parent
    tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                 0o666)
    try:
        try:
            if keep is not None:
                os.fchmod(fd, stat.S_IMODE(keep.st_mode))
                with contextlib.suppress(OSError):
                    os.fchown(fd, keep.st_uid, keep.st_gid)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # The rename is durable once the folder's entry is on disk; not every system allows it.
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _write_in_place(path: Path, data: bytes) -> None:
    # Appending, not truncating: through /dev/stdout the file behind the descriptor was
    # opened by the shell, already empty for `>` and to be added to for `>>`; a FIFO or a
    # device does not care.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def write_output(path: PathLike, payload: str | bytes, inputs: Sequence[PathLike] = (),
                 what: str = "the output") -> Path:
    """Write an output file so that nothing is lost, whatever ``path`` names.

    - a regular file (new or existing) is written atomically: a temporary file beside it,
      ``fsync``, rename; a failure, Ctrl-C or SIGTERM leaves the old file as it was and no
      temporary file behind. A new file honours the umask; an existing one keeps its mode;
    - a symlink is followed and its final target replaced that way; the link stays a link;
    - a FIFO, a character device (``/dev/null``) or an open descriptor (``/dev/stdout``) is
      opened and written in place, never replaced by a regular file;
    - one of ``inputs``, a folder, a block device or a read-only file is refused.

    Parameters
    ----------
    path : str or path-like
        The output the user named.
    payload : str or bytes
        The content; text is written as UTF-8.
    inputs : sequence of str or path-like
        The files the command read (scenario, usage exports, price book): the output must be
        none of them.
    what : str
        What is written, for the message (``"the report"``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    UserFileError
        Naming the path (and the input it would overwrite) and what is wrong.
    """
    data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    target = check_output(path, inputs)
    try:
        with _clean_up_on_termination():
            if target.kind is TargetKind.IN_PLACE:
                _write_in_place(target.path, data)
            else:
                keep = os.stat(target.file) if target.kind is TargetKind.REGULAR else None
                _replace_atomically(target.file, data, keep)
    except OSError as exc:
        raise UserFileError(path, f"cannot write {what} ({exc.strerror or exc})") from None
    return target.path
