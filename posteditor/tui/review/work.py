"""The editor's work as values: per segment (decisions, added edits, a hand edit, confirmed),
where the cursor is, and the counts the status bar shows. ``ReviewState`` holds them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from posteditor.core.edits import Decision, Edit

EditKey = tuple[int, int, tuple[str, ...]]
"""An edit by its place and words: (start, end, replacement)."""


@dataclass(frozen=True)
class Work:
    """The editor's work on one segment; ``Work()`` means untouched."""

    decisions: tuple[tuple[EditKey, Decision], ...] = ()
    added: tuple[Edit, ...] = ()
    manual: str | None = None
    confirmed: bool = False  # the editor confirmed the segment as it reads (ctrl+enter)

    def decision(self, key: EditKey) -> Decision | None:
        for k, d in self.decisions:
            if k == key:
                return d
        return None

    def decide(self, key: EditKey, decision: Decision) -> Work:
        rest = tuple((k, d) for k, d in self.decisions if k != key)
        return replace(self, decisions=tuple(sorted(rest + ((key, decision),))))


@dataclass(frozen=True)
class Cursor:
    """Where the editor is: a segment and, when it has one in view, an edit of it."""

    seg: int
    key: EditKey | None = None


@dataclass(frozen=True)
class Counts:
    pending: int = 0
    accepted: int = 0
    rejected: int = 0
    manual: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.astuple(), other.astuple())))

    def __sub__(self, other: Counts) -> Counts:
        return Counts(*(a - b for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self) -> tuple[int, int, int, int]:
        return (self.pending, self.accepted, self.rejected, self.manual)
