"""The review of one document as plain data: suggestions, decisions, undo and redo.

No Textual here: the editor's screen calls these methods and redraws what they say changed,
and the tests drive them directly. Two kinds of data are kept per segment:

* what the suggester proposed (``set_suggestions``), written once and never undone: edits,
  and words to check (words the model doubts, with nothing better to propose);
* the editor's ``Work``: a decision per edit (keyed by what the edit does, so it survives
  the suggestions arriving later), edits propagated from elsewhere, and a hand edit.

Every change to the work is one undoable step (accepting all the edits of a segment or
propagating a fix through the document is one step too) and is announced to listeners, which
is how the journal writes it to disk the moment it is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Mapping, Sequence

from posteditor.core.document import Document
from posteditor.core.edits import RETRANSLATION, Decision, Doubt, Edit, Segment, extract_edits, tokenize, unedited
from posteditor.tui.review.propagate import repetitions
from posteditor.tui.review.work import Counts, Cursor, EditKey, Work

Listener = Callable[[str, set[int]], None]

PENDING, ACCEPTED, REJECTED = Decision.PENDING, Decision.ACCEPTED, Decision.REJECTED


@dataclass(frozen=True)
class _Change:
    before: dict[int, Work]
    after: dict[int, Work]
    cursor: Cursor


class ReviewState:
    """Segments of a document with their suggestions and the editor's work on them."""

    def __init__(self, doc: Document, sources: Sequence[str | None] | None = None, min_confidence: float = 0.5):
        self.doc = doc
        self.texts = doc.segments
        self.sources = list(sources) if sources else [None] * len(self.texts)
        self.min_confidence = min_confidence
        self.show_low = False
        self.flag_words = True  # show the model's words to check (``--no-check doubt``: not)
        self.listeners: list[Listener] = []
        n = len(self.texts)
        self._suggested: list[tuple[Edit, ...] | None] = [None] * n
        self._doubts: list[tuple[Doubt, ...]] = [()] * n
        self._analysed = 0
        self._work = [Work()] * n
        self._cache: dict[int, Segment] = {}
        self._keys: dict[int, dict[EditKey, int]] = {}  # edit key -> index, per cached segment
        self._counts: list[Counts] = [Counts()] * n
        self.total = Counts()
        self._undo: list[_Change] = []
        self._redo: list[_Change] = []
        self._saved: dict[int, Work] = {}
        self.unsaved: set[int] = set()

    def __len__(self) -> int:
        return len(self.texts)

    # --- reading -------------------------------------------------------------------------

    def analysed(self, i: int) -> bool:
        return self._suggested[i] is not None

    @property
    def analysed_count(self) -> int:
        return self._analysed

    def suggested(self, i: int) -> tuple[Edit, ...] | None:
        return self._suggested[i]

    def work(self, i: int) -> Work:
        return self._work[i]

    def doubts(self, i: int) -> tuple[Doubt, ...]:
        """The words to check the suggester named in segment ``i`` (shown or not)."""
        return self._doubts[i]

    def to_check(self, i: int) -> list[Doubt]:
        """The words to check segment ``i`` shows: those the model doubts outside its visible
        edits (a rejected one leaves the word doubted), until the editor confirms the segment
        or edits it by hand."""
        work = self._work[i]
        if not self.flag_words or not self._doubts[i] or work.manual is not None or work.confirmed:
            return []
        seg = self.segment(i)
        return unedited(self._doubts[i], [seg.edits[k] for k in self.visible(i) if seg.decisions[k] is not REJECTED])

    def check_span(self, i: int, text: str) -> tuple[int, int] | None:
        """Where in ``text`` (segment ``i`` as it reads) its first word to check is: the MT's own
        place while the text is the MT, else the first place the word stands alone."""
        doubted = self.to_check(i)
        if not doubted:
            return None
        tokens = self.segment(i).tokens
        word = doubted[0].word(tokens)
        if text == self.texts[i]:
            start = sum(len(t) for t in tokens[: doubted[0].index + 1]) - len(word)
            return start, start + len(word)
        found = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)
        return found.span() if found else None

    def check_count(self) -> int:
        """Words to check shown in the whole document."""
        return sum(len(self.to_check(i)) for i, found in enumerate(self._doubts) if found)

    def segment(self, i: int) -> Segment:
        """Segment ``i`` with its edits (suggested and propagated) and their decisions."""
        if i not in self._cache:
            work = self._work[i]
            edits = list(work.added) + [
                e for e in self._suggested[i] or () if not any(e.overlaps(a) for a in work.added)
            ]
            edits.sort(key=lambda e: (e.start, e.end))
            keys = [e.key() for e in edits]
            if work.manual is not None:
                kept = {e.key() for e in extract_edits(self.texts[i], work.manual)}
                decisions = [ACCEPTED if key in kept else REJECTED for key in keys]
            else:
                decisions = [work.decision(key) or PENDING for key in keys]
            self._cache[i] = Segment(self.texts[i], tuple(edits), tuple(decisions), self.sources[i])
            self._keys[i] = {key: k for k, key in enumerate(keys)}
        return self._cache[i]

    def final(self, i: int) -> str:
        """The text segment ``i`` will have when saved."""
        manual = self._work[i].manual
        return manual if manual is not None else self.segment(i).corrected()

    def is_visible(self, edit: Edit, decision: Decision) -> bool:
        """Decided edits always show; pending ones only when confident enough (or asked for)."""
        return decision is not PENDING or self.show_low or edit.confidence >= self.min_confidence

    def hidden_count(self) -> int:
        """Pending suggestions the threshold hides now (0 while low-confidence ones are shown)."""
        if self.show_low:
            return 0
        return sum(
            not self.is_visible(e, d)
            for i in range(len(self)) if self.analysed(i) and self._work[i].manual is None
            for e, d in zip(self.segment(i).edits, self.segment(i).decisions)
        )

    def visible(self, i: int) -> list[int]:
        """Indices (into ``segment(i).edits``) of the edits the editor sees and can act on."""
        if self._work[i].manual is not None:
            return []
        seg = self.segment(i)
        return [k for k, (e, d) in enumerate(zip(seg.edits, seg.decisions)) if self.is_visible(e, d)]

    def find(self, i: int, key: EditKey | None) -> int | None:
        """Index of the edit with ``key`` in segment ``i``."""
        if key is None:
            return None
        self.segment(i)
        return self._keys[i].get(key)

    def _segment_counts(self, i: int) -> Counts:
        seg = self.segment(i)
        if self._work[i].manual is not None:
            return Counts(manual=1)
        ds = [seg.decisions[k] for k in self.visible(i)]
        return Counts(ds.count(PENDING), ds.count(ACCEPTED), ds.count(REJECTED))

    @property
    def saved_work(self) -> dict[int, Work]:
        """The work the file on disk holds, by segment (untouched segments left out)."""
        return dict(self._saved)

    @property
    def dirty(self) -> bool:
        return bool(self.unsaved)

    def worked_segments(self) -> list[int]:
        """Every segment the editor has decided, edited or propagated into, changed or not."""
        return [i for i, work in enumerate(self._work) if work != Work()]

    def changed_segments(self) -> dict[int, str]:
        """``{index: final text}`` of every segment whose text the editor changed."""
        finals = {i: self.final(i) for i in self.worked_segments()}
        return {i: final for i, final in finals.items() if final != self.texts[i]}

    # --- navigation ----------------------------------------------------------------------

    def positions(self, start: int, forward: bool = True):
        """(segment, edit index) of visible edits from segment ``start`` onwards (or back)."""
        order = range(start, len(self)) if forward else range(start, -1, -1)
        for i in order:
            ks = self.visible(i)
            for k in ks if forward else reversed(ks):
                yield i, k

    def step(self, cursor: Cursor, forward: bool = True, pending: bool = False, wrap: bool = False) -> Cursor | None:
        """The next (or previous) visible edit after ``cursor``, optionally only pending ones."""
        here = self.find(cursor.seg, cursor.key)
        here = (-1 if forward else 10**9) if here is None else here

        def wanted(i: int, k: int) -> bool:
            after = (i, k) > (cursor.seg, here) if forward else (i, k) < (cursor.seg, here)
            return after and (not pending or self.segment(i).decisions[k] is PENDING)

        for i, k in self.positions(cursor.seg, forward):
            if wanted(i, k):
                return Cursor(i, self.segment(i).edits[k].key())
        if wrap:
            for i, k in self.positions(0 if forward else len(self) - 1, forward):
                if (i, k) == (cursor.seg, here):
                    break
                if not pending or self.segment(i).decisions[k] is PENDING:
                    return Cursor(i, self.segment(i).edits[k].key())
        return None

    def enter(self, i: int) -> Cursor:
        """The cursor on segment ``i``: its first pending visible edit, else its first one."""
        seg, ks = self.segment(i), self.visible(i)
        pending = [k for k in ks if seg.decisions[k] is PENDING]
        pick = (pending or ks or [None])[0]
        return Cursor(i, None if pick is None else seg.edits[pick].key())

    def settle(self, cursor: Cursor) -> Cursor:
        """``cursor`` moved off an edit that is no longer visible."""
        k = self.find(cursor.seg, cursor.key)
        return cursor if k is not None and k in self.visible(cursor.seg) else self.enter(cursor.seg)

    # --- suggestions (not undoable) -------------------------------------------------------

    def set_suggestions(self, results: Sequence[tuple[int, Sequence[Edit]]],
                        doubts: Mapping[int, Sequence[Doubt]] | None = None, notify: bool = True) -> set[int]:
        """Store what the suggester proposed (edits, and words to check for the segments in
        ``doubts``); unusable edits and doubts are dropped, not shown."""
        changed = set()
        for i, edits in results:
            tokens = tokenize(self.texts[i])
            self._doubts[i] = tuple(self.doc.checkable(i, (doubts or {}).get(i, ())))
            kept: list[Edit] = []
            for e in sorted(edits, key=lambda e: -e.confidence):
                if e.end > len(tokens) or tokens[e.start : e.end] == tuple(e.replacement):
                    continue
                if any(e.overlaps(k) for k in kept) or not self.doc.allows(i, e):
                    continue
                kept.append(e)
            self._analysed += self._suggested[i] is None
            self._suggested[i] = tuple(sorted(kept, key=lambda e: (e.start, e.end)))
            self._refresh(i)
            changed.add(i)
        if notify and changed:
            self._notify("suggest", changed)
        return changed

    def set_threshold(self, min_confidence: float | None = None, show_low: bool | None = None) -> None:
        """Change what is shown; every segment's counts are recomputed."""
        if min_confidence is not None:
            self.min_confidence = min_confidence
        if show_low is not None:
            self.show_low = show_low
        for i in range(len(self)):
            self._refresh(i)

    # --- the editor's work (undoable) ------------------------------------------------------

    def decide(self, cursor: Cursor, decision: Decision) -> set[int]:
        """Accept or reject the edit under the cursor."""
        k = self.find(cursor.seg, cursor.key)
        if k is None or self._work[cursor.seg].manual is not None:
            return set()
        if self.segment(cursor.seg).decisions[k] is decision:
            return set()
        work = self._work[cursor.seg].decide(cursor.key, decision)
        return self._commit({cursor.seg: work}, cursor)

    def decide_segment(self, cursor: Cursor, decision: Decision) -> set[int]:
        """Accept or reject every visible pending edit of the cursor's segment."""
        i, seg = cursor.seg, self.segment(cursor.seg)
        work = self._work[i]
        for k in self.visible(i):
            if seg.decisions[k] is PENDING:
                work = work.decide(seg.edits[k].key(), decision)
        return self._commit({i: work}, cursor) if work != self._work[i] else set()

    def confirm(self, cursor: Cursor) -> set[int]:
        """Confirm the cursor's segment as it reads now: its visible pending edits rejected."""
        i, seg = cursor.seg, self.segment(cursor.seg)
        work = self._work[i]
        for k in self.visible(i):
            if seg.decisions[k] is PENDING:
                work = work.decide(seg.edits[k].key(), REJECTED)
        work = replace(work, confirmed=True)
        return self._commit({i: work}, cursor) if work != self._work[i] else set()

    def hand_edit(self, cursor: Cursor, text: str) -> set[int]:
        """Replace the segment by the editor's own text (the edits are then judged against it)."""
        i = cursor.seg
        if text == self.final(i):
            return set()
        return self._commit({i: replace(self._work[i], manual=text)}, cursor)

    def repetitions(self, cursor: Cursor) -> list[tuple[int, Edit]]:
        """Other places the accepted edit under the cursor would fit (see ``propagate``)."""
        k = self.find(cursor.seg, cursor.key)
        if k is None or self.segment(cursor.seg).decisions[k] is not ACCEPTED:
            return []
        edit = self.segment(cursor.seg).edits[k]
        if edit.category == RETRANSLATION:  # a translation of this segment's source, of no other
            return []
        return repetitions(self, cursor.seg, edit)

    def propagate(self, cursor: Cursor) -> set[int]:
        """Apply the accepted edit under the cursor at every repetition, as one step."""
        works: dict[int, Work] = {}
        for i, edit in self.repetitions(cursor):
            work = works.get(i, self._work[i])
            if self.find(i, edit.key()) is None:
                work = replace(work, added=tuple(sorted(work.added + (edit,), key=lambda e: (e.start, e.end))))
            works[i] = work.decide(edit.key(), ACCEPTED)
        return self._commit(works, cursor) if works else set()

    def undo(self) -> tuple[set[int], Cursor | None]:
        if not self._undo:
            return set(), None
        change = self._undo.pop()
        self._redo.append(change)
        return self._apply(change.before), change.cursor

    def redo(self) -> tuple[set[int], Cursor | None]:
        if not self._redo:
            return set(), None
        change = self._redo.pop()
        self._undo.append(change)
        return self._apply(change.after), change.cursor

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # --- saving and restoring ---------------------------------------------------------------

    def restore(self, i: int, work: Work) -> None:
        """Put back work read from the journal (not undoable, not announced)."""
        self._work[i] = work
        self._refresh(i)
        self._track(i)

    def mark_saved(self, saved: dict[int, Work] | None = None) -> None:
        """The file on disk holds the current work (or ``saved``, replayed from the journal)."""
        if saved is None:
            saved = {i: w for i, w in enumerate(self._work) if w != Work()}
        self._saved = dict(saved)
        self.unsaved = {i for i, w in enumerate(self._work) if w != self._saved.get(i, Work())}

    def revert_unsaved(self) -> set[int]:
        """Throw away the work done since the last save (announced, not undoable)."""
        changed = set(self.unsaved)
        self._apply({i: self._saved.get(i, Work()) for i in changed})
        self._undo.clear()
        self._redo.clear()
        return changed

    # --- internals -----------------------------------------------------------------------------

    def _commit(self, after: dict[int, Work], cursor: Cursor) -> set[int]:
        before = {i: self._work[i] for i in after}
        self._undo.append(_Change(before, dict(after), cursor))
        self._redo.clear()
        return self._apply(after)

    def _apply(self, works: dict[int, Work]) -> set[int]:
        for i, work in works.items():
            self._work[i] = work
            self._refresh(i)
            self._track(i)
        changed = set(works)
        if changed:
            self._notify("work", changed)
        return changed

    def _track(self, i: int) -> None:
        if self._work[i] == self._saved.get(i, Work()):
            self.unsaved.discard(i)
        else:
            self.unsaved.add(i)

    def _refresh(self, i: int) -> None:
        self._cache.pop(i, None)
        counts = self._segment_counts(i)
        self.total = self.total - self._counts[i] + counts
        self._counts[i] = counts

    def _notify(self, kind: str, changed: set[int]) -> None:
        for listener in self.listeners:
            listener(kind, changed)
