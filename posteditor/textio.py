"""Reading user files safely and writing them without ever leaving half a file behind."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BOM = "\ufeff"


class InputError(Exception):
    """A problem with the user's input, reported as one line, never as a traceback."""


@dataclass(frozen=True)
class TextFile:
    """A decoded text file; ``bom`` remembers a UTF-8 byte-order mark to write back."""

    path: str
    text: str
    bom: bool = False

    def encode(self, text: str) -> bytes:
        return ((BOM if self.bom else "") + text).encode("utf-8")


def read_text(path: str, allow_empty: bool = False) -> TextFile:
    """Read a UTF-8 text file, or ``-`` for stdin; raise ``InputError`` on anything else."""
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"{path}: no such file")
        if p.is_dir():
            raise InputError(f"{path}: is a directory, not a text file")
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None
        name = path
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not valid UTF-8 (byte {exc.start}); convert it to UTF-8 first") from None
    bom = text.startswith(BOM)
    text = text[1:] if bom else text
    if not text.strip() and not allow_empty:
        raise InputError(f"{name}: file is empty")
    return TextFile(name, text, bom)


def atomic_write(path: str | os.PathLike, data: bytes | str, backup: bool = False) -> Path | None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    With ``backup``, an existing file is first copied to ``path~`` (and that name returned), so
    the user's original survives even a crash between the two steps.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    kept = None
    if backup and path.exists():
        kept = path.with_name(path.name + "~")
        shutil.copy2(path, kept)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return kept
