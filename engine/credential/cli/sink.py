"""Where every output of the command line goes: files, streams, standard output, and signals.

One module decides how an output is written, so no command can get it wrong:

* a **regular file** (or a name that does not exist yet) is replaced atomically: the bytes go
  to a temporary file in the same folder (``.NAME.PID-RANDOM.tmp``), which is flushed to disk
  (``fsync``), renamed over the target, and the folder is flushed too; a reader sees the old
  file or the new one, never a part, and a power cut cannot leave an empty file where the old
  one stood.  A new file gets the mode the umask gives (``0666 & ~umask``); an existing file
  keeps its mode (and, when run as root, its owner);
* a **symbolic link** is written through: its target is replaced as above and the link kept;
* a **FIFO**, a **character device** (``/dev/null``, a terminal) or ``-`` (standard output) is
  streamed to, never replaced;
* anything else (a directory, a block device, a socket, a link loop) is a usage error
  (``output.bad-target``, exit 2), reported before any work is done;
* an ``OSError`` while writing (disk full, read-only folder, permission denied, a closed
  pipe's reader gone) is ``output.io``, exit 6, and the old file is left as it was.

Signals: :func:`install_signal_handlers` turns SIGTERM and SIGHUP into :class:`Terminated`
(SIGINT already raises ``KeyboardInterrupt``), so the ``finally`` blocks that remove temporary
files run; the entry point then exits 128 + the signal's number (143 for SIGTERM, 130 for
SIGINT).  Only SIGKILL can leave a temporary file behind: its name is hidden, ends in ``.tmp``
(never the output's own suffix, so ``*.jsonl`` globs skip it), carries the writer's process id,
and the next write to the same output removes it once that process is gone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Literal

import click

from credential.diagnostics import Diagnostic, Severity, render_all_text

EXIT_USAGE = 2
EXIT_IO = 6

Data = str | bytes | Iterable[str | bytes]


class OutputUsageError(click.ClickException):
    """An output that cannot be written to (a directory, a block device...): exit 2."""

    exit_code = EXIT_USAGE

    def __init__(self, target: str, why: str) -> None:
        super().__init__(why)
        self.diagnostic = Diagnostic(
            "output.bad-target",
            Severity.ERROR,
            f"cannot write to {target!r}: {why}",
            help="name a regular file (replaced atomically), a FIFO, a character device, or - for standard output",
            file="--output",
        )

    def show(self, file: IO[str] | None = None) -> None:
        click.echo(render_all_text([self.diagnostic]), nl=False, err=True)


class OutputError(click.ClickException):
    """Writing an output failed (disk full, read-only, permission denied): exit 6."""

    exit_code = EXIT_IO

    def __init__(self, target: str, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        super().__init__(reason)
        self.errno = exc.errno
        self.diagnostic = Diagnostic(
            "output.io",
            Severity.ERROR,
            f"cannot write {target}: {reason}; nothing was written (an existing file is unchanged)",
            file="--output" if target != "standard output" else "<stdout>",
        )

    def show(self, file: IO[str] | None = None) -> None:
        click.echo(render_all_text([self.diagnostic]), nl=False, err=True)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like KeyboardInterrupt, so temporary files are removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    # Further signals while unwinding must not interrupt the cleanup.
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP raise :class:`Terminated` in the main thread (SIGINT: KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - embedded use
        return
    for s in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(s) is not signal.SIG_IGN:  # nohup: keep ignoring SIGHUP
            signal.signal(s, _raise_terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)


# ---------------------------------------------------------------------------- targets


Kind = Literal["stdout", "stream", "file"]


@dataclass(frozen=True)
class Target:
    """Where an output goes: ``stdout``, a ``stream`` (FIFO, character device) or a ``file``."""

    kind: Kind
    shown: str
    """The name as the user gave it (for messages)."""
    path: Path | None = None
    """For a file: the real file to replace (a symlink's target); for a stream: the node."""


def resolve_target(output: str | Path | None) -> Target:
    """Classify an ``--output`` value; :class:`OutputUsageError` for what cannot be written to."""
    if output is None or str(output) == "-":
        return Target("stdout", "standard output")
    shown = str(output)
    path = Path(output)
    try:
        st = os.stat(path)  # follows symlinks
    except FileNotFoundError:
        if path.is_symlink():  # a dangling link: write its target, as a shell's `>` would
            return Target("file", shown, Path(os.path.realpath(path)))
        return Target("file", shown, path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputUsageError(shown, "a symbolic link loop") from None
        if exc.errno in (errno.ENOTDIR, errno.ENAMETOOLONG):
            raise OutputUsageError(shown, exc.strerror or str(exc)) from None
        raise OutputError(shown, exc) from None
    if stat.S_ISREG(st.st_mode):
        return Target("file", shown, Path(os.path.realpath(path)))
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        return Target("stream", shown, path)
    kind = (
        "a directory"
        if stat.S_ISDIR(st.st_mode)
        else "a block device"
        if stat.S_ISBLK(st.st_mode)
        else "a socket"
        if stat.S_ISSOCK(st.st_mode)
        else "not a regular file, FIFO or character device"
    )
    raise OutputUsageError(shown, kind)


def write_output(output: str | Path | None, data: Data) -> None:
    """Write ``data`` (text, bytes, or an iterable of chunks, streamed) to an output.

    ``None`` or ``-`` is standard output.  Raises :class:`OutputUsageError` (exit 2) or
    :class:`OutputError` (exit 6); an interrupted or failed write leaves no temporary file and
    an existing file unchanged.
    """
    target = resolve_target(output)
    if target.kind == "stdout":
        sys.stdout.flush()  # text already echoed goes first
        stream: IO[bytes] = sys.stdout.buffer
        try:
            _write_data(stream, data)
            stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(target.shown, exc) from None
        return
    assert target.path is not None
    if target.kind == "stream":
        try:
            fd = os.open(target.path, os.O_WRONLY | os.O_NOCTTY)
            with os.fdopen(fd, "wb") as fh:
                _write_data(fh, data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(target.shown, exc) from None
        return
    try:
        replace_file(target.path, data)
    except OSError as exc:
        raise OutputError(target.shown, exc) from None


# ---------------------------------------------------------------------------- atomic files


_LIVE: set[str] = set()
"""Temporary files being written by this process (removed on any exit but SIGKILL)."""

_SUFFIX = ".tmp"


def _temp_prefix(name: str) -> str:
    return f".{name}."


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def sweep_stale_temps(target: Path) -> list[Path]:
    """Remove temporary files a killed writer of ``target`` left (their process is gone)."""
    removed: list[Path] = []
    prefix = _temp_prefix(target.name)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(_SUFFIX)):
            continue
        pid_text = name[len(prefix) : -len(_SUFFIX)].split("-", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - a folder we just wrote into
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems cannot sync a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def replace_file(path: Path, data: Data) -> None:
    """Replace the regular file ``path`` (or create it) atomically and durably; raises OSError."""
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    sweep_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(path.name)}{os.getpid()}-", suffix=_SUFFIX, dir=folder)
    _LIVE.add(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            if old is not None:
                os.fchmod(fh.fileno(), stat.S_IMODE(old.st_mode))
                if os.geteuid() == 0 and (old.st_uid, old.st_gid) != (0, 0):
                    with contextlib.suppress(OSError):
                        os.fchown(fh.fileno(), old.st_uid, old.st_gid)
            else:
                os.fchmod(fh.fileno(), 0o666 & ~_umask())
            _write_data(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _LIVE.discard(tmp)
        _fsync_dir(folder)
    finally:
        if tmp in _LIVE:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            _LIVE.discard(tmp)


def remove_live_temps() -> None:
    """Remove every temporary file this process is writing (the last-resort cleanup)."""
    for tmp in list(_LIVE):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _LIVE.discard(tmp)


# ---------------------------------------------------------------------------- writing


def _write_data(fh: IO[bytes], data: Data) -> None:
    if isinstance(data, str | bytes):
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    else:
        _write_chunks(fh, data)


def _write_chunks(fh: IO[bytes], chunks: Iterable[str | bytes]) -> None:
    """Write chunks as they are made: a writer thread writes one while the next is being made
    (file writes release the GIL), with at most a few waiting, so memory stays bounded."""
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def writer() -> None:
        while (chunk := pending.get()) is not None:
            if not failed:
                try:
                    fh.write(chunk)
                except BaseException as e:  # reported by the producer
                    failed.append(e)

    thread = threading.Thread(target=writer, name="credential-writer", daemon=True)
    thread.start()
    try:
        for chunk in _encoded(chunks):
            if failed:
                break
            pending.put(chunk)
    finally:
        pending.put(None)
        thread.join()
    if failed:
        raise failed[0]


def _encoded(chunks: Iterable[str | bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk


# ---------------------------------------------------------------------------- standard output


WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EPIPE, errno.EBADF})
"""Errors that can only come from writing (used to recognise a failed standard output)."""


def silence_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
