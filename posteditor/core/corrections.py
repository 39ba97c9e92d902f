"""The corrections log: every segment an editor changed or turned a proposal down in, kept
for fine-tuning and the correction memory.

One JSON object per line, appended under a file lock so two editor sessions never
interleave their writes::

    {"time": "2026-11-24T22:31:00+00:00", "document": "article.txt", "segment": 3,
     "mt": "...", "final": "...", "source": null, "language": "ro",
     "edits": [{"start": 7, "end": 8, "old": "world", "new": "region",
                "confidence": 0.91, "category": "model", "decision": "accepted",
                "edit": [7, 8, [" region"], 0.91, "model"]}]}

``language`` is the document's source language, where it was known (``core.languages``; absent
otherwise): ``finetune`` refines that language's own words to check with it.
``decision`` is ``accepted``, ``rejected``, ``pending`` or ``manual`` (a hand edit: the whole
segment, ``old`` the MT and ``new`` the final text). ``edit`` is the edit exactly
(``Edit.to_json``, spacing included); readers get it typed (``Logged.edit``), and records
written before it was kept get one rebuilt from ``start``, ``end`` and ``new``. Readers skip
corrupt or truncated lines with a warning and count them, never failing.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from filelock import FileLock

from posteditor.core.edits import Edit, Segment, tokenize
from posteditor.core.languages import language_code


@dataclass(frozen=True)
class Logged:
    """One logged edit and what the editor did with it."""

    decision: str  # accepted, rejected, pending or manual
    edit: Edit | None = None  # the edit exactly; None for a hand edit (``old`` -> ``new``: the segment)
    old: str = ""  # the words it replaces, as people read them
    new: str = ""

    @classmethod
    def from_json(cls, obj: dict) -> Logged:
        """A ``Logged`` from its log record (``ValueError``, ``KeyError`` or ``TypeError`` if corrupt)."""
        decision, old, new = str(obj["decision"]), str(obj.get("old", "")), str(obj.get("new", ""))
        if decision == "manual":
            return cls(decision, None, old, new)
        if "edit" in obj:
            edit = Edit.from_json(obj["edit"])
        else:  # written before the exact edit was kept: its words, one space before each
            edit = Edit(int(obj["start"]), int(obj["end"]), tuple(" " + w for w in new.split()),
                        float(obj.get("confidence", 1.0)), obj.get("category"))
        return cls(decision, edit, old, new)

    def to_json(self, tokens: tuple[str, ...]) -> dict:
        """Its log record; ``tokens`` are its segment's MT."""
        if self.edit is None:
            return {"decision": self.decision, "old": self.old, "new": self.new}
        return self.edit.logged(tokens, self.decision)


@dataclass(frozen=True)
class Correction:
    mt: str
    final: str
    document: str = ""
    segment: int = -1
    source: str | None = None
    edits: tuple[Logged, ...] = ()
    time: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    language: str | None = None

    def rejected(self) -> list[Logged]:
        """The edits the editor turned down."""
        return [e for e in self.edits if e.decision == "rejected" and e.edit is not None]

    def teaches(self) -> bool:
        """Whether the record says anything: a changed segment, or proposals turned down."""
        return self.final != self.mt or bool(self.rejected())

    def taught(self) -> str:
        """What the record teaches, as one string to compare: its final text and the proposals
        turned down (so a segment saved again with a new rejection teaches something new, and
        one saved twice the same does not). With none turned down, the final text alone: what
        journals kept before rejections were logged."""
        return "\x1f".join([self.final, *sorted(json.dumps(r.edit.key()) for r in self.rejected())])

    def to_json(self) -> dict:
        tokens = tokenize(self.mt)
        record = asdict(replace(self, edits=())) | {"edits": [e.to_json(tokens) for e in self.edits]}
        if self.language is None:  # (as records were before the language was kept)
            del record["language"]
        return record


def from_segment(segment: Segment, final: str, document: str = "", index: int = -1,
                 language: str | None = None) -> Correction:
    """The log record of a segment the editor worked on: its final text and every edit's
    decision (and its document's source ``language``, where known)."""
    records = [Logged.from_json(r) for r in segment.to_record()]
    if final != segment.corrected():
        records.append(Logged("manual", None, segment.text, final))
    return Correction(segment.text, final, document, index, segment.source, tuple(records), language=language)


def append(records: Iterable[Correction], path: str | os.PathLike) -> int:
    """Append records to the log under a lock, fsynced; returns how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records]
    if not lines:
        return 0
    with FileLock(str(path) + ".lock"):
        with open(path, "a+b") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell():  # a write cut short (a full disk) left part of a line: the records start on a new one
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    lines.insert(0, "\n")
            fh.write("".join(lines).encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
    return len(lines)


def read(path: str | os.PathLike, warn=None) -> tuple[list[Correction], int]:
    """The log's records and the number of corrupt lines skipped."""
    warn = warn or (lambda msg: print(f"warning: {msg}", file=sys.stderr))
    records, bad = [], 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                records.append(
                    Correction(
                        mt=str(obj["mt"]),
                        final=str(obj["final"]),
                        document=str(obj.get("document", "")),
                        segment=int(obj.get("segment", -1)),
                        source=obj.get("source"),
                        edits=_readable(obj.get("edits") or ()),
                        time=str(obj.get("time", "")),
                        language=_language(obj.get("language")),
                    )
                )
            except (ValueError, KeyError, TypeError):
                bad += 1
                warn(f"{path}:{n}: corrupt corrections record skipped")
    return records, bad


def _language(tag) -> str | None:
    """A record's language as posteditor keys languages ("RO" -> "ro"); None for none, or an unreadable one."""
    try:
        return language_code(tag) if isinstance(tag, str) else None
    except ValueError:
        return None


def _readable(edits: Iterable) -> tuple[Logged, ...]:
    """The edits of a record that can be read: an unreadable one loses its decision, never
    the segment's MT and final text, which are what fine-tuning learns from."""
    out = []
    for obj in edits:
        try:
            out.append(Logged.from_json(obj))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return tuple(out)
