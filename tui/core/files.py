"""Atomic, private files: the one way keyroll writes anything to disk.

Every file keyroll owns and every Convox CLI file it rewrites goes through `write_private`:
a temp file in the same directory, written and fsynced, renamed over the target, then the
directory fsynced. A crash at any point leaves either the old file or the new one, whole.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from tui.base.errors import BadInputError, KeyrollError

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_SUFFIX = ".keyroll-tmp"


class FileWriteError(KeyrollError):
    """A file could not be written (permissions, full disk, read-only file system)."""


def ensure_private_dir(directory: Path, *, tighten: bool = False) -> None:
    """Create `directory` and any missing parents with mode 0700.

    `tighten` also sets an existing directory to 0700 (keyroll's own dirs); a Convox CLI dir
    that already exists keeps its mode, as the CLI leaves it.
    """
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    try:
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):
                # Another process may create the same dir between our check and mkdir.
                path.mkdir(mode=DIR_MODE)
            os.chmod(path, DIR_MODE)  # mkdir's mode is cut by the umask
        if tighten and (directory.stat().st_mode & 0o777) != DIR_MODE:
            os.chmod(directory, DIR_MODE)
    except OSError as error:
        raise FileWriteError(
            f"keyroll cannot create the directory {directory} ({error.strerror}); "
            "check its parent's permissions."
        ) from None


def write_private(path: Path, data: bytes | str, *, tighten_dir: bool = False) -> None:
    """Replace `path` with `data` atomically, as a 0600 file in a 0700 directory.

    On any failure the previous file is left untouched and the temp file is removed.
    """
    payload = data.encode() if isinstance(data, str) else data
    ensure_private_dir(path.parent, tighten=tighten_dir)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    temp = Path(temp_name)
    try:
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise FileWriteError(
            f"keyroll could not write {path} ({error.strerror or error}); the previous "
            "file is unchanged, check the disk space and the directory's permissions."
        ) from None
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable: without it a power cut can undo the rename."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise BadInputError(
            f"{path} is not UTF-8 text; keyroll left it unchanged, fix or move it."
        ) from None
    except OSError as error:
        raise KeyrollError(
            f"keyroll cannot read {path} ({error.strerror}); check its permissions."
        ) from None


def toml_error_line(message: str) -> int | None:
    """The line number in a `tomllib.TOMLDecodeError` message, e.g. '(at line 3, column 7)'."""
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
