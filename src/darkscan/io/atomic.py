"""Atomic file output: write to a temporary name in the target directory, then rename.

A reader never sees a half-written file, and a failed write leaves the previous file (if
any) untouched: ``os.replace`` is atomic on POSIX file systems when source and target are on
the same file system, which a sibling temporary file guarantees.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_output", "write_bytes_atomic", "write_text_atomic"]


def _fsync_path(path: Path) -> None:
    """fsync a file or directory (directories: best effort where the OS refuses)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike, *, durable: bool = False, keep_suffix: bool = True
) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds.

    With ``keep_suffix`` the temporary file keeps the target's suffix (so libraries that
    infer a format from it, such as matplotlib, still work); otherwise its name ends in
    ``.tmp``, which lets a directory scan for the target suffix ignore it. With ``durable``
    the file is fsynced before the rename and its directory after it, so the new content
    survives a power loss, not only a killed process. On an exception the temporary file is
    removed and ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_output(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp{target.suffix}" if keep_suffix else ".tmp"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if durable:
            _fsync_path(tmp)
        os.replace(tmp, target)
        if durable:
            _fsync_path(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_text_atomic(path: str | os.PathLike, text: str, *, durable: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_output(path, durable=durable) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_bytes_atomic(
    path: str | os.PathLike, data: bytes, *, durable: bool = False, keep_suffix: bool = True
) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`) and return the path."""
    with atomic_output(path, durable=durable, keep_suffix=keep_suffix) as tmp:
        tmp.write_bytes(data)
    return Path(path)
