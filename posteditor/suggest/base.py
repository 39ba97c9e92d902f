"""What every suggester offers: edits for a batch of segments, each with a confidence.

The editor and the batch corrector receive a ``Suggester`` and never know whether the edits
come from the trained model, the correction memory or a fake in a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from posteditor.core.edits import Edit


@dataclass(frozen=True)
class Item:
    """One segment to correct: the MT text exactly as in the document, and its source."""

    text: str
    source: str | None = None


class Suggester(Protocol):
    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        """Proposed edits for each item (token spans of ``tokenize(item.text)``)."""
        ...


def filter_confident(edits: Sequence[Edit], min_confidence: float) -> list[Edit]:
    return [e for e in edits if e.confidence >= min_confidence]
