"""Repetition propagation: after one fix is accepted, find every other place it fits.

Like a CAT tool's auto-propagation, but at the level of words: an accepted replacement
("world" -> "region") fits wherever the same words occur; an insertion or a deletion, which
has no words of its own to match (or only one, like "the"), also needs the words on either
side to match, and at a segment's edge it must be at the same edge.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol, Sequence

from posteditor.core.document import Document
from posteditor.core.edits import Decision, Edit, Segment, leading_space, tokenize


class Segments(Protocol):
    """What propagation reads of the editor's state (``ReviewState`` is one): a protocol, so
    the state can call it without the two modules importing each other."""

    doc: Document
    texts: Sequence[str]

    def __len__(self) -> int: ...

    def work(self, i: int) -> Any: ...  # its ``manual`` text, if the segment was edited by hand

    def segment(self, i: int) -> Segment: ...

    def find(self, i: int, key: tuple | None) -> int | None: ...


@lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tokens = tokenize(text)
    while tokens and not tokens[-1].strip():  # a trailing-whitespace token matches nothing
        tokens = tokens[:-1]
    return tokens, tuple(t.strip() for t in tokens)


def repetitions(state: Segments, i: int, edit: Edit) -> list[tuple[int, Edit]]:
    """(segment, edit) for every other place ``edit`` of segment ``i`` fits.

    The edit returned is the target segment's own suggestion when it already proposes the
    same change, else a new edit (category "propagated"). Places that were edited by hand,
    that overlap an accepted edit, or that touch locked Markdown are left alone.
    """
    tokens, words = _tokens(state.texts[i])
    context = 0 if edit.start < edit.end and edit.replacement else 1
    lo, hi = max(0, edit.start - context), min(len(words), edit.end + context)
    pattern = words[lo:hi]
    if not pattern:
        return []
    at_start, at_end = context and edit.start == 0, context and edit.end >= len(words)
    # Give the replacement the target's spacing, unless the edit itself changes spacing.
    respace = edit.start < edit.end and edit.replacement and leading_space(edit.replacement[0]) == leading_space(tokens[edit.start])
    found: list[tuple[int, Edit]] = []
    m, first, offset, span = len(pattern), pattern[0], edit.start - lo, edit.end - edit.start
    inserted = tuple(w for w in (t.strip() for t in edit.replacement) if w)
    for k in range(len(state)):
        t_tokens, t_words = _tokens(state.texts[k])
        if first not in t_words or state.work(k).manual is not None:
            continue
        seg, chosen = state.segment(k), []
        accepted = [e for e, d in zip(seg.edits, seg.decisions) if d is Decision.ACCEPTED]
        for p in range(len(t_words) - m + 1):
            if t_words[p] != first or t_words[p : p + m] != pattern:
                continue
            if (at_start and p) or (at_end and p + m != len(t_words)):
                continue
            start = p + offset
            if k == i and start == edit.start:
                continue
            same = state.find(k, (start, start + span, inserted))
            if same is not None:  # the segment proposes this very change itself
                if seg.decisions[same] is not Decision.ACCEPTED:
                    found.append((k, seg.edits[same]))
                    chosen.append(seg.edits[same])
                continue
            replacement = edit.replacement
            if respace:
                replacement = (leading_space(t_tokens[start]) + replacement[0].lstrip(),) + replacement[1:]
            new = Edit(start, start + span, replacement, edit.confidence, "propagated")
            if any(new.overlaps(e) for e in accepted) or any(new.overlaps(c) for c in chosen):
                continue
            if state.doc.locked and not state.doc.allows(k, new):
                continue
            found.append((k, new))
            chosen.append(new)
    return found
