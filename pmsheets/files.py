"""Atomic file writes: beside the target, then one rename, so a crash never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pmsheets.errors import PmsheetsError


class FolderError(PmsheetsError):
    """A folder for the tool's output could not be created; the message names it and the config key."""


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


def write_failed(path: Path, error: OSError, fix: str) -> str:
    """The one line for a failed write: which file, why, what to do, and that the file a reader had is still whole."""
    kept = f"the previous {path.name} is unchanged" if path.exists() else "nothing was written"
    return f"could not write {path}: {_why(path.parent, error)}; {kept}. {fix}"


def make_folder(folder: Path, fix: str) -> None:
    """Create `folder` (and its parents) for a file to come; a failure is one line naming it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        msg = f"could not create the folder {folder}: {_why(folder, error)}. {fix}"
        raise FolderError(msg) from None


def _why(folder: Path, error: OSError) -> str:
    """mkdir says 'File exists' when a file has the folder's name: say that instead."""
    blocked = next((part for part in (folder, *folder.parents) if part.exists() and not part.is_dir()), None)
    if blocked is not None:
        return f"{blocked} is a file, not a folder"
    return str(error.strerror or error)
