"""The review journal: every decision written to disk the moment it is made.

The editor appends one JSON object per line to a file next to the document
(``.article.txt.posteditor-journal``), flushed and fsynced, so a crash or ``kill -9`` loses
nothing: opening the document again replays the journal. Records::

    {"t": "open", "v": 1, "base": "<document text>", "base_hash": "...", "min_confidence": 0.6}
    {"t": "suggest", "i": 3, "h": "<segment hash>", "edits": [[7, 8, [" region"], 0.91, "model"]],
     "doubts": [[12, 0.04]]}
    {"t": "work", "i": 3, "h": "...", "decisions": [[7, 8, ["region"], "accepted"]],
     "added": [], "manual": null}
    {"t": "saved", "hash": "<hash of the file written>", "logged": {"3": "<hash of what it taught>"}}

A ``suggest`` record caches what the suggester proposed (edits, and words to check: token
index and the model's probability of keeping the word), so restoring needs no model; a
``work`` record is the editor's whole work on one segment (decisions keyed by edit, edits
propagated from elsewhere, a hand edit), the last one per segment wins. Each is keyed by the
segment's index and the hash of its text, so a record never lands on a segment it was not
written for. ``open`` carries the text the session started from, so a document that was
saved in the session can be shown again with its decisions. A truncated last line (the
process died mid-write) is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Iterable

from filelock import FileLock, Timeout

from posteditor.core.edits import Decision
from posteditor.core.textio import InputError, atomic_write

SUFFIX = ".posteditor-journal"
VERSION = 1


def journal_path(document: str | os.PathLike) -> Path:
    """Where the journal of ``document`` lives: a hidden file beside it."""
    doc = Path(document)
    return doc.with_name(f".{doc.name}{SUFFIX}")


def text_hash(text: str | bytes) -> str:
    """A short, stable fingerprint of a segment or a whole file."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha1(data).hexdigest()[:16]


# --- edits and decisions as JSON ------------------------------------------------------------


def key_to_json(key: tuple, decision: Decision) -> list:
    start, end, words = key
    return [start, end, list(words), decision.value]


def key_from_json(row: list) -> tuple[tuple, Decision]:
    start, end, words, decision = row
    return (int(start), int(end), tuple(str(w) for w in words)), Decision(decision)


# --- the file --------------------------------------------------------------------------------


class Journal:
    """An append-only, fsynced JSON-lines file, locked against a second editor."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._fh: IO[str] | None = None
        self._lock = FileLock(str(self.path) + ".lock")

    def lock(self) -> None:
        """Take the journal for this process; a second editor on the same file is refused."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise InputError(
                f"{self.path.name[1:-len(SUFFIX)]} is already open in another posteditor review "
                f"(remove {self._lock.lock_file} if that editor is gone)"
            ) from None
        except OSError as exc:
            raise InputError(f"cannot write the journal {self.path} ({exc.strerror})") from None

    def read(self) -> tuple[list[dict], int]:
        """The journal's records and the number of unreadable lines skipped."""
        if not self.path.is_file():
            return [], 0
        records, bad = [], 0
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    bad += 1
                    continue
                if isinstance(obj, dict) and "t" in obj:
                    records.append(obj)
                else:
                    bad += 1
        return records, bad

    def append(self, records: Iterable[dict]) -> None:
        """Write records at the end and make sure they are on disk before returning."""
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        if not data:
            return
        if self._fh is None:
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(data)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def rewrite(self, records: Iterable[dict]) -> None:
        """Replace the whole journal at once (compaction); a crash keeps the old one."""
        self._close_file()
        atomic_write(self.path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))

    def remove(self) -> None:
        self._close_file()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        self._close_file()
        if self._lock.is_locked:
            self._lock.release()
            Path(self._lock.lock_file).unlink(missing_ok=True)

    def _close_file(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


__all__ = [
    "Journal",
    "journal_path",
    "key_from_json",
    "key_to_json",
    "text_hash",
]
