"""When the editor worked on which segment, for the effort report (``posteditor report``).

A listener on the review state appends one JSON line per piece of work
(``{"t": 1764000000.0, "i": [3]}``) to a file beside the document
(``.article.txt.posteditor-times``); a session start is ``{"t": ..., "open": true}``. The time
a segment took is the time since the previous event of the session, shared among the
segments the event touched, with pauses longer than ``IDLE`` counted as ``IDLE`` (the editor
was away). Kept apart from the journal, which is compacted to the current state.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

SUFFIX = ".posteditor-times"
IDLE = 300.0
"""Seconds: a longer pause between two events counts as this much work."""


def timing_path(document: str | os.PathLike) -> Path:
    doc = Path(document)
    return doc.with_name(f".{doc.name}{SUFFIX}")


def now() -> float:
    return time.time()


class Timer:
    """Appends the time of each piece of work; failures to write are ignored (timing is a
    nice-to-have, the journal is what matters)."""

    def __init__(self, document: str | os.PathLike, clock: Callable[[], float] | None = None):
        self.path, self.clock = timing_path(document), clock or (lambda: now())
        self._opened: float | None = self.clock()  # written with the first work, so no work, no file

    def __call__(self, kind: str, changed: set[int]) -> None:
        if kind == "suggest" or not changed:
            return
        if self._opened is not None:
            self._write({"t": self._opened, "open": True})
            self._opened = None
        self._write({"t": self.clock(), "i": sorted(changed)})

    def _write(self, record: dict) -> None:
        try:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
        except OSError:
            pass


def read(path: str | os.PathLike, segments: int) -> dict[int, float] | None:
    """Seconds spent per segment, or None when nothing was timed."""
    path = Path(path)
    if not path.is_file():
        return None
    spent: dict[int, float] = {}
    last = None
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                r = json.loads(line)
                t = float(r["t"])
            except (ValueError, KeyError, TypeError):
                continue
            if r.get("open"):
                last = t
                continue
            touched = [i for i in r.get("i", ()) if isinstance(i, int) and 0 <= i < segments]
            if last is not None and touched:
                share = min(max(t - last, 0.0), IDLE) / len(touched)
                for i in touched:
                    spent[i] = spent.get(i, 0.0) + share
            last = t
    return spent or None
