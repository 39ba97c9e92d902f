"""Suggesters together: merging their edits, asking them chunk by chunk, thresholds.

``Combined`` makes the model, its checks against the source and the correction memory one ``Suggester``;
``merge`` keeps the most confident of overlapping edits; ``suggest_each`` is the one loop that
sends segments to a suggester (those it can read whole, ``CHUNK`` at a time), used by
``propose`` (documents, for ``correct`` and the editor's tests) and ``suggest_all`` (lines,
for ``evaluate`` and calibration).
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

from posteditor.core.document import Document
from posteditor.core.edits import RETRANSLATION, Decision, Doubt, Edit, Segment, tokenize
from posteditor.core.meta import resolve_threshold
from posteditor.suggest.base import Item, Suggester, fits

CHUNK = 256
"""Segments per call to ``suggest``: large enough for the model to batch by length."""


def merge(*edit_lists: Sequence[Edit]) -> list[Edit]:
    """All edits of all lists; where two overlap, the more confident one stays (first on ties).

    A retranslation stays alone: it overlaps every other edit of its segment.
    """
    candidates = sorted((e for edits in edit_lists for e in edits), key=lambda e: -e.confidence)
    kept: list[Edit] = []
    for edit in candidates:
        whole = edit.category == RETRANSLATION or any(k.category == RETRANSLATION for k in kept)
        if not (kept if whole else any(edit.overlaps(k) for k in kept)):
            kept.append(edit)
    return sorted(kept, key=lambda e: (e.start, e.end))


class Combined(Suggester):
    """Several suggesters as one: the model's edits and the memory's, merged per segment.

    The correction memory (``remembers``) also lowers the confidence of the others' edits
    that the editor has rejected before.
    """

    def __init__(self, suggesters: Sequence[Suggester], left_out: Sequence[Suggester] = ()):
        self.suggesters = list(suggesters)
        self.left_out = list(left_out)
        """Parts not asked (``applying``): what they cannot read whole is still left alone."""
        # The model's metadata (threshold, input limits) stays visible through the wrapper.
        self.info = next((s.info for s in self.suggesters if s.info is not None), None)
        self.memory = next((s for s in self.suggesters if s.remembers), None)
        self.flagger = next((s for s in self.suggesters if s.flags_words), None)
        self.flags_words = self.flagger is not None

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        if not self.suggesters:
            return [[] for _ in items]
        results = [s.suggest(items) for s in self.suggesters]
        merged = []
        for item, per_item in zip(items, zip(*results)):
            lists = [edits if self.memory is None or s is self.memory else self.memory.demote(item.text, edits)
                     for s, edits in zip(self.suggesters, per_item)]
            merged.append(merge(*lists))
        return merged

    def doubts(self, items: Sequence[Item]) -> list[list[Doubt]]:
        """The model's words to check."""
        return self.flagger.doubts(items) if self.flagger else [[] for _ in items]

    def fits(self, text: str) -> bool:
        return all(fits(s, text) for s in [*self.suggesters, *self.left_out])


def applying(suggester: Suggester, threshold: float, sourced: bool = True) -> Suggester:
    """The part of ``suggester`` whose edits can reach ``threshold`` (a ``Combined`` that keeps
    the record and input limit of the parts it leaves out; of nothing when no part's can), on
    segments given with their sources or, without ``sourced``, none.

    What is applied at ``threshold`` is the same without the rest: an edit below it is never
    applied, and where it overlaps another it either wins (and neither is applied, the other
    being less sure still) or loses anyway. Measuring what ``correct`` writes need not run them.
    """
    parts = suggester.suggesters if isinstance(suggester, Combined) else [suggester]
    kept = [s for s in parts if s.reach(sourced) >= threshold]
    if len(kept) == len(parts):
        return suggester
    # The model's record (threshold) and input limit stay: a segment too long for it is left
    # alone whether or not it runs.
    reduced = Combined(kept, left_out=[s for s in parts if s.reach(sourced) < threshold])
    reduced.info = suggester.info  # as the whole had it, whichever part it came from
    return reduced


def threshold_of(suggester: Suggester) -> float:
    """The suggester's own confidence threshold (the model's, chosen on dev data)."""
    return resolve_threshold(None, suggester.info)


def suggest_each(suggester: Suggester, items: Sequence[Item], todo: Sequence[int],
                 progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, list[Edit]]]:
    """``(i, edits)`` for each item ``i`` in ``todo``, asked ``CHUNK`` at a time; ``progress(n)``
    is told first of the items left out, then of each chunk as it is done."""
    if progress and len(todo) < len(items):
        progress(len(items) - len(todo))
    for k in range(0, len(todo), CHUNK):
        chunk = todo[k : k + CHUNK]
        yield from zip(chunk, suggester.suggest([items[i] for i in chunk]))
        if progress:
            progress(len(chunk))


def long_segments(document: Document, suggester: Suggester) -> list[int]:
    """Indices of the segments ``propose`` leaves alone because they are too long."""
    return [i for i, text in enumerate(document.segments) if not fits(suggester, text)]


def propose(
    document: Document,
    suggester: Suggester,
    sources: Sequence[str | None] | None = None,
    min_confidence: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> list[Segment]:
    """One ``Segment`` per document segment with the edits proposed for it, all pending.

    Only edits at least ``min_confidence`` sure that leave locked markup alone are kept; too
    long segments get no edits (see ``long_segments``). ``progress(n)`` is called as segments
    are done.
    """
    texts = document.segments
    sources = list(sources) if sources is not None else [None] * len(texts)
    segments = [Segment(t, source=s) for t, s in zip(texts, sources)]
    skip = set(long_segments(document, suggester))
    todo = [i for i in range(len(texts)) if i not in skip]
    items = [Item(t, s, document.language) for t, s in zip(texts, sources)]
    for i, edits in suggest_each(suggester, items, todo, progress):
        size = len(tokenize(texts[i]))
        ok = [e for e in edits if e.confidence >= min_confidence and e.end <= size and document.allows(i, e)]
        segments[i] = segments[i].with_edits(merge(ok))
    return segments


def suggest_all(
    suggester: Suggester,
    mts: Sequence[str],
    sources: Sequence[str | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[list[Edit]]:
    """Every edit the suggester proposes for each MT line (none for lines too long for it)."""
    sources = list(sources) if sources is not None else [None] * len(mts)
    proposed: list[list[Edit]] = [[] for _ in mts]
    todo = [i for i, mt in enumerate(mts) if mt.strip() and fits(suggester, mt)]
    for i, edits in suggest_each(suggester, [Item(m, s) for m, s in zip(mts, sources)], todo, progress):
        proposed[i] = merge(edits)
    return proposed


def accept_confident(segment: Segment, min_confidence: float) -> Segment:
    """The segment with every edit at or above the threshold accepted."""
    for k, edit in enumerate(segment.edits):
        if edit.confidence >= min_confidence:
            segment = segment.decide(k, Decision.ACCEPTED)
    return segment
