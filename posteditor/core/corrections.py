"""The corrections log: every segment an editor changed, kept for fine-tuning.

One JSON object per line, appended under a file lock so two editor sessions never
interleave their writes::

    {"time": "2026-11-24T22:31:00+00:00", "document": "article.txt", "segment": 3,
     "mt": "...", "final": "...", "source": null,
     "edits": [{"start": 7, "end": 8, "old": "world", "new": "region",
                "confidence": 0.91, "category": "model", "decision": "accepted"}]}

``decision`` is ``accepted``, ``rejected``, ``pending`` or ``manual`` (a hand edit). Readers
skip corrupt or truncated lines with a warning and count them, never failing.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from filelock import FileLock

from posteditor.core.edits import Segment, tokenize


@dataclass(frozen=True)
class Correction:
    mt: str
    final: str
    document: str = ""
    segment: int = -1
    source: str | None = None
    edits: tuple[dict, ...] = ()
    time: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))


def from_segment(segment: Segment, final: str, document: str = "", index: int = -1) -> Correction:
    """A log record for a segment whose final text differs from its MT."""
    tokens = tokenize(segment.text)
    records = [{**e.record(tokens), "decision": d.value} for e, d in zip(segment.edits, segment.decisions)]
    if final != segment.corrected():
        records.append({"decision": "manual", "old": segment.text, "new": final})
    return Correction(segment.text, final, document, index, segment.source, tuple(records))


def append(records: Iterable[Correction], path: str | os.PathLike) -> int:
    """Append records to the log under a lock, fsynced; returns how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records]
    if not lines:
        return 0
    with FileLock(str(path) + ".lock"):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("".join(lines))
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
                        edits=tuple(obj.get("edits", ())),
                        time=str(obj.get("time", "")),
                    )
                )
            except (ValueError, KeyError, TypeError):
                bad += 1
                warn(f"{path}:{n}: corrupt corrections record skipped")
    return records, bad
