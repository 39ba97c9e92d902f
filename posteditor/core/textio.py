"""Reading user files safely and writing them without ever leaving half a file behind.

Reading, like a careful Unix tool: only a regular file (or ``-``, stdin) is read, so a FIFO
or a device never makes a command wait forever; a symlink loop, a dangling link or a
permission problem is one line. Text is UTF-8 with or without a byte-order mark, or UTF-16 /
UTF-32 with one; ``TextFile.encode`` writes it back the same way. A NUL byte anywhere means
the file is not text.

Writing: ``atomic_write`` goes through a temporary file and a rename, so a file is either the
old one or the new one, never half of either. It refuses to replace anything that is not a
regular file (``/dev/null``, a FIFO, a socket, a folder) and writes through a symlink to the
file it names, never over the link. Backups follow GNU ``cp --backup=existing``: the first is
``FILE~``, later ones ``FILE.~1~``, ``FILE.~2~``..., so no run ever overwrites an older one.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BOM = "\ufeff"
# Longest first: a UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MARK = {codec: mark for mark, codec in _BOMS}
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class InputError(Exception):
    """A problem with the user's input, reported as one line, never as a traceback."""


@dataclass(frozen=True)
class TextFile:
    """A decoded text file; ``encoding`` and ``bom`` say how to write it back."""

    path: str
    text: str
    bom: bool = False
    encoding: str = "utf-8"

    def encode(self, text: str) -> bytes:
        mark = _MARK[self.encoding] if self.bom else b""
        return mark + text.encode(self.encoding, errors="surrogatepass")


def kind_of(mode: int) -> str | None:
    """What a non-regular file is ("a named pipe (FIFO)"...), None for a regular file."""
    return next((name for test, name in _KINDS if test(mode)), None if stat.S_ISREG(mode) else "not a regular file")


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is not a directory"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return exc.strerror or str(exc)


def check_input(path: str) -> os.stat_result:
    """The stat of a readable regular file at ``path``, else ``InputError`` in one line."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputError(f"{path}: dangling symlink (its target {os.readlink(path)} does not exist)") from None
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        reason = _os_reason(exc) if isinstance(exc, OSError) else "not a usable file name"
        raise InputError(f"{path}: {reason}") from None
    kind = kind_of(st.st_mode)
    if kind == "a directory":
        raise InputError(f"{path}: is a directory, not a text file")
    if kind:
        raise InputError(f"{path}: is {kind}, not a regular file; only files and '-' (stdin) are read "
                         f"(to read it anyway: posteditor ... - < {path})")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied")
    return st


def _read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if sys.stdin is None or stream is None:
        raise InputError("-: stdin is closed; give a file name or redirect input (< FILE)")
    try:
        return stream.read()
    except (OSError, ValueError) as exc:
        raise InputError(f"-: cannot read stdin ({getattr(exc, 'strerror', None) or exc})") from None


def decode(data: bytes, name: str) -> tuple[str, str, bool]:
    """(text, encoding, had a byte-order mark) of ``data``, or ``InputError`` saying what it is."""
    for mark, codec in _BOMS:
        if data.startswith(mark):
            try:
                text = data[len(mark):].decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}: starts with a {codec.upper()} byte-order mark but is not valid "
                                 f"{codec.upper()} (byte {exc.start + len(mark)})") from None
            bom = True
            break
    else:
        codec, bom = "utf-8", False
        nul = data.find(b"\x00")
        if nul >= 0:
            raise InputError(_binary(data, name, nul))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: not valid UTF-8 (byte {exc.start}); convert it first, e.g. "
                             f"iconv -f WINDOWS-1252 -t UTF-8 {name} > copy.txt") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(f"{name}: contains a NUL character (character {nul}); looks like a binary file, not text")
    return text, codec, bom


def _binary(data: bytes, name: str, nul: int) -> str:
    """What a file with NUL bytes and no byte-order mark probably is."""
    sample = data[:4096]
    if len(sample) < 16:
        return f"{name}: contains a NUL byte (byte {nul}); looks like a binary file, not text"
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    half = len(sample) // 2 or 1
    for zeros, order in ((odd, "LE"), (even, "BE")):
        if zeros > 0.4 * half and sample[(1 if order == "BE" else 0)::2].count(0) < 0.1 * half:
            return (f"{name}: looks like UTF-16{order} text without a byte-order mark; convert it first, e.g. "
                    f"iconv -f UTF-16{order} -t UTF-8 {name} > copy.txt")
    return f"{name}: contains a NUL byte (byte {nul}); looks like a binary file, not text"


def read_text(path: str, allow_empty: bool = False) -> TextFile:
    """Read a text file, or ``-`` for stdin; raise ``InputError`` on anything else."""
    if path == "-":
        data, name = _read_stdin(), "<stdin>"
    else:
        check_input(path)
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({_os_reason(exc)})") from None
        name = path
    text, codec, bom = decode(data, name)
    if not text.strip() and not allow_empty:
        raise InputError(f"{name}: file is empty")
    return TextFile(name, text, bom, codec)


# --- writing ----------------------------------------------------------------------------------


def resolve_output(path: str | os.PathLike) -> Path:
    """The regular file that writing ``path`` replaces: the target of a symlink, followed.

    ``InputError`` when it is anything else (a device, FIFO, socket, folder), a symlink loop
    or a dangling symlink, so that ``-o /dev/null`` never replaces the device.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(f"{path}: dangling symlink (to {os.readlink(path)}); not writing through it") from None
        return path
    except OSError as exc:
        raise InputError(f"{path}: {_os_reason(exc)}") from None
    kind = kind_of(st.st_mode)
    if kind:
        hint = " (leave out -o to write to stdout)" if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode) else ""
        raise InputError(f"{path}: is {kind}, not a regular file; refusing to write over it{hint}")
    return Path(os.path.realpath(path)) if path.is_symlink() or any(p.is_symlink() for p in path.parents) else path


_NUMBERED = re.compile(r"\.~(\d+)~$")


def backup_path(path: Path) -> Path:
    """Where the next backup of ``path`` goes: ``FILE~`` first, then ``FILE.~N~`` (N = the
    highest number so far + 1), as GNU ``cp --backup=existing`` does."""
    simple = path.with_name(path.name + "~")
    numbers = [int(m.group(1)) for p in path.parent.glob(glob_escape(path.name) + ".~*~")
               if (m := _NUMBERED.search(p.name)) and p.name == f"{path.name}.~{m.group(1)}~"]
    if not numbers and not os.path.lexists(simple):
        return simple
    return path.with_name(f"{path.name}.~{max(numbers, default=0) + 1}~")


def latest_backup(path: Path) -> Path | None:
    numbers = [int(m.group(1)) for p in path.parent.glob(glob_escape(path.name) + ".~*~")
               if (m := _NUMBERED.search(p.name)) and p.name == f"{path.name}.~{m.group(1)}~"]
    if numbers:
        return path.with_name(f"{path.name}.~{max(numbers)}~")
    simple = path.with_name(path.name + "~")
    return simple if simple.is_file() else None


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _write_temp(folder: Path, name: str, data: bytes | None = None, copy_of: Path | None = None) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            if copy_of is not None:
                with open(copy_of, "rb") as src:
                    shutil.copyfileobj(src, fh)
            else:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(path: str | os.PathLike, data: bytes | str, backup: bool = False) -> Path | None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    With ``backup``, an existing file is first copied (atomically too) to the next backup name
    (``backup_path``) and that name returned; when the newest backup already holds exactly
    the file's bytes, no new one is made and that one is returned. A symlink is written
    through; anything that is not a regular file is refused (``InputError``).
    """
    path = resolve_output(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = path.parent if str(path.parent) else Path(".")
    kept = None
    if backup and path.exists():
        newest = latest_backup(path)
        if newest is not None and _same_bytes(newest, path):
            kept = newest
        else:
            kept = backup_path(path)
            tmp = _write_temp(folder, kept.name, copy_of=path)
            try:
                shutil.copystat(path, tmp)
                os.link(tmp, kept)  # never replaces a backup that appeared meanwhile
            except FileExistsError:
                Path(tmp).unlink(missing_ok=True)
                raise InputError(f"{kept}: a backup appeared there meanwhile; not overwriting it") from None
            except OSError:  # no hard links on this file system: rename, once more checked
                if os.path.lexists(kept):
                    Path(tmp).unlink(missing_ok=True)
                    raise
                os.replace(tmp, kept)
            finally:
                Path(tmp).unlink(missing_ok=True)
    tmp = _write_temp(folder, path.name, data)
    try:
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return kept
