"""Atomic file writes: beside the target, then one rename, so a crash never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """`write` fills a temporary file in the target's folder, which then replaces `path`.

    An existing file's permissions carry over. Raises OSError; callers turn it into a
    message that names what the file was for.
    """
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        if path.exists():
            temp.chmod(path.stat().st_mode & 0o777)
        else:
            # mkstemp creates 0600; a new document or workbook should get the usual permissions.
            umask = os.umask(0)
            os.umask(umask)
            temp.chmod(0o666 & ~umask)
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    write_atomically(path, lambda temp: temp.write_text(text, encoding="utf-8", newline="\n"))
