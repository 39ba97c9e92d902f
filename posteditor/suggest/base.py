"""What every suggester offers: edits for a batch of segments, each with a confidence.

The editor and the batch corrector receive a ``Suggester`` and never know whether the edits
come from the trained model, the correction memory or a fake in a test. The contract is one
abstract method, ``suggest``, and two things with defaults a suggester overrides when they
apply to it: ``fits`` (whether it can read a segment whole), ``info`` (the model's record,
``posteditor.json``, with its threshold, when a model is behind it) and ``ceiling`` (its most
confident edit's possible confidence; ``reach`` says it with or without sources). Two are
capability flags: a correction memory (``remembers``) also ``demote``s the edits of others the
editor rejected, and a model that ``flags_words`` also names, through ``doubts``, the words it
doubts without proposing anything better (words to check).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Sequence

from posteditor.core.edits import Doubt, Edit

if TYPE_CHECKING:
    from posteditor.core.meta import ModelMeta

MAX_WORDS = 200
"""Segments longer than this are never sent to a suggester (left unchanged, with a warning)."""

UNSCORED_CAP = 0.3
"""Without an edit scorer fitted on dev (too few right edits to learn from), the model's own
probabilities say nothing calibrated: its edits are scaled below this, so they are shown as
low-confidence suggestions (``c`` in the editor) and never applied at a threshold above it."""


def capped(edits: Sequence[Edit]) -> list[Edit]:
    """``edits`` scaled below ``UNSCORED_CAP`` (strictly: no threshold applies them): no edit
    scorer judges them."""
    return [replace(e, confidence=min(round(e.confidence * UNSCORED_CAP, 4), UNSCORED_CAP - 0.0001)) for e in edits]


@dataclass(frozen=True)
class Item:
    """One segment to correct: the MT text exactly as in the document, its source, and the
    source's language where it is known ("ro": ``core.languages``)."""

    text: str
    source: str | None = None
    language: str | None = None


class Suggester(ABC):
    """Proposes edits for segments. Subclasses implement ``suggest``; the rest has defaults."""

    info: ModelMeta | None = None
    """The model's record (threshold, input limit) when a model is behind the suggester."""
    remembers: bool = False
    """Whether this is a correction memory: ``demote`` then lowers others' rejected edits."""
    flags_words: bool = False
    """Whether ``doubts`` names words to check (a model with a bar, fitted on dev or on an editor's corrections)."""
    terms: Sequence = ()
    """Glossary terms the suggester enforces (QA checks them on the result)."""
    ceiling: float = 1.0
    """The highest confidence its edits can have: below a threshold none of them is ever applied."""

    @abstractmethod
    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        """Proposed edits for each item (token spans of ``tokenize(item.text)``)."""

    def reach(self, sourced: bool) -> float:
        """``ceiling`` for segments given with their source (``sourced``) or without: a model
        whose edit scorer judges only edits made with one reaches less without."""
        return self.ceiling

    def fits(self, text: str) -> bool:
        """Whether ``text`` is short enough to read and rewrite whole (see ``fits`` below)."""
        return True

    def doubts(self, items: Sequence[Item]) -> list[list[Doubt]]:
        """The words to check in each item, in text order (none unless ``flags_words``). Asked
        after ``suggest`` on the same items, a model answers from what that call measured."""
        return [[] for _ in items]

    def demote(self, text: str, edits: Sequence[Edit]) -> list[Edit]:
        """Other suggesters' ``edits`` for ``text``, with what the editor rejected made less sure."""
        return list(edits)


def fits(suggester: Suggester, text: str) -> bool:
    """Whether ``text`` is short enough for the suggester to read and rewrite it whole.

    A model that sees a cut input writes a cut output, which would read as "delete the end of
    the sentence": such segments must never reach it.
    """
    return len(text.split()) <= MAX_WORDS and suggester.fits(text)
