"""JSON lines files: one record a line, read whole and written atomically; and the pair, the
record of every training and evaluation file (corpus builds, fine-tuning's work files)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True)
class Pair:
    """An MT segment and its post-edit, with what the model may see besides."""

    mt: str
    pe: str
    src: str | None = None
    origin: str | None = None
    """Where a corpus pair comes from ("mlqe:ro-en", "copy", ...); for an editor's correction,
    ``correction_origin``: its source language's, or None."""
    prev: str | None = None
    """The segment before it, as context."""
    hint: str | None = None
    """A rule-based (Apertium) English translation of ``src``, where a chain reads its language."""

    @property
    def language(self) -> str:
        """The language pair of ``origin`` ("mlqe:ro-en" -> "ro-en"; "dev" without one): how dev
        figures are broken down."""
        return (self.origin or "dev").split(":")[-1]

    @property
    def source_language(self) -> str | None:
        """The source language of ``language`` ("ro-en" -> "ro"); None without one."""
        return self.language.split("-")[0] if "-" in self.language else None

    def to_json(self) -> dict:
        """The row as the files hold it: ``src`` always (null without one), ``origin``, ``prev`` and
        ``hint`` only when set, so a correction stays ``{"mt", "pe", "src"}`` as fine-tuning has always
        written (and signed) it, with its ``origin`` where its document's language was known."""
        row = {"mt": self.mt, "pe": self.pe, "src": self.src}
        if self.origin is not None:
            row["origin"] = self.origin
        if self.prev is not None:
            row["prev"] = self.prev
        if self.hint is not None:
            row["hint"] = self.hint
        return row

    @classmethod
    def from_json(cls, row: dict) -> Pair:
        """A pair from its row; keys missing take the defaults, others are ignored (``KeyError``
        without ``mt`` or ``pe``, ``TypeError`` when the row is no object)."""
        return cls(row["mt"], row["pe"], row.get("src"), row.get("origin"), row.get("prev"), row.get("hint"))


def correction_origin(language: str | None) -> str | None:
    """The ``origin`` of an editor's correction from a document in ``language`` ("ro" ->
    "editor:ro-en", so ``Pair.source_language`` reads it); None where it is not known."""
    return f"editor:{language}-en" if language else None


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Every record of the file (blank lines skipped)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    """Write ``rows`` one a line through a temporary file and a rename (the folder made if
    needed): a reader sees the old file or the whole new one, never a half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def read_pairs(path: str | os.PathLike) -> list[Pair]:
    """Every pair of a JSON lines file."""
    return [Pair.from_json(row) for row in read_jsonl(path)]


def write_pairs(path: str | os.PathLike, pairs: Iterable[Pair]) -> None:
    """Write ``pairs`` one a line, atomically (``write_jsonl``)."""
    write_jsonl(path, (p.to_json() for p in pairs))
