"""CAT-style segment status and the moves that go with it; no Textual here.

A segment is *edited* when its final text differs from the MT, *confirmed* when the editor
confirmed it as it reads (ctrl+enter) or decided every suggestion shown in it, and
*unconfirmed* otherwise.
"""

from __future__ import annotations

from posteditor.core.edits import Decision
from posteditor.tui.review.state import ReviewState

UNCONFIRMED, CONFIRMED, EDITED = "unconfirmed", "confirmed", "edited"


def status(state: ReviewState, i: int) -> str:
    if state.final(i) != state.texts[i]:
        return EDITED
    work = state.work(i)
    decisions = [state.segment(i).decisions[k] for k in state.visible(i)]
    if work.confirmed or (decisions and Decision.PENDING not in decisions):
        return CONFIRMED
    return UNCONFIRMED


def has_pending(state: ReviewState, i: int) -> bool:
    seg = state.segment(i)
    return any(seg.decisions[k] is Decision.PENDING for k in state.visible(i))


def next_with_pending(state: ReviewState, i: int, forward: bool = True) -> int | None:
    """The nearest segment after (or before) ``i`` with a pending suggestion shown."""
    others = range(i + 1, len(state)) if forward else range(i - 1, -1, -1)
    return next((j for j in others if has_pending(state, j)), None)


def next_unconfirmed(state: ReviewState, i: int) -> int | None:
    """The first unconfirmed segment after ``i``, wrapping round to the top."""
    n = len(state)
    return next((j % n for j in range(i + 1, i + n) if status(state, j % n) == UNCONFIRMED), None)


def next_to_check(state: ReviewState, i: int, forward: bool = True) -> int | None:
    """The nearest segment after (or before) ``i`` with a word to check shown, wrapping round
    (``i`` itself last)."""
    n, step = len(state), 1 if forward else -1
    return next((j % n for j in range(i + step, i + step * (n + 1), step) if state.to_check(j % n)), None)
