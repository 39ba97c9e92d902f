"""The correction memory: a fix an editor made once is proposed again at once, everywhere.

Fine-tuning takes minutes and needs many corrections; the memory needs one. It reads the
corrections log, and every difference between a segment's MT and its final text (accepted
suggestions and hand edits alike, found with ``extract_edits``) becomes a remembered fix:
these MT words -> these words, with the words around it and the documents it came from.
Whenever the same MT words appear again (whole tokens, case-sensitive) the fix is proposed
as an ``Edit`` with ``category="memory"``.

How sure a remembered fix is::

    confidence = (accepted + 1) / (accepted + rejected + 2) * context

``accepted`` counts the times the fix was made, ``rejected`` the times it was proposed (by
the memory or the model) and turned down. ``context`` is 1.0 when the words either side
agree with a place the fix was made, 0.9 when one side does, 0.75 when neither does. A fix
with no agreeing neighbour is proposed only if it replaces a distinctive word (4+ characters,
e.g. "actions" -> "shares", a misspelt place name), never for short words ("the", "say") or
punctuation, and an insertion only where both neighbours agree. One acceptance thus gives
0.67 in the same context and 0.5 in a new one; each rejection lowers it.

Only **confirmed** fixes are applied in batch (``correct`` sets ``confirmed_only``): made in
two segments at least (or made once and accepted again where the memory proposed it), and
never undone (a segment saved with the fix, then saved again without it). A fix made once may
be a slip (a typo in a hand edit); ``review`` still proposes it, with the category "memory,
unconfirmed". A hand edit teaches only the words it changed: words re-typed unchanged at
either end of an aligned span are trimmed off (``_changed_only``).

The memory also remembers what the editor turned down: when the model proposes a change the
editor has rejected before (the same MT words to the same words, anywhere; a longer rewrite: the
same rewrite of the same words; a retranslation: the same translation, whatever the segment
says now, as after the editor's own edits), its confidence
is multiplied by ``min(1, 2 * (accepted + 1) / (accepted + rejected + 2))``: 0.67 after one
rejection, 0.5 after two, unchanged once acceptances match rejections (``demote``, applied
by ``correct.Combined``). So a suggestion rejected once drops below the threshold it was
shown at, unless the model was far surer of it than that.

Usage (``review`` and ``correct``)::

    memory = Memory.load(paths.corrections_log())   # missing log: an empty memory
    memory = load_memory()                           # the same, or None when it holds nothing
    edits = memory.suggest(items)                    # the Suggester protocol
    memory.entry_for(item.text, edit).describe()     # 'remembered from "a.txt" (accepted 2x)'
    memory.learn(correction)                         # a fix made now is proposed at once

Nothing here imports torch: loading a log of thousands of records takes a fraction of a
second, and the index is a dict from the first MT word of a fix to its entries.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

from posteditor.core.corrections import Correction, read
from posteditor.core.edits import RETRANSLATION, Edit, extract_edits, leading_space, tokenize, words
from posteditor.suggest.base import Item, Suggester

CATEGORY = "memory"
UNCONFIRMED = "memory, unconfirmed"
"""The category of a remembered fix made only once (proposed in review, never applied in batch)."""
CONFIRMED = 2
CONTEXT_WEIGHT = {2: 1.0, 1: 0.9, 0: 0.75}
MAX_WORDS = 6  # longer rewrites are sentence-specific, not reusable phrase fixes
MIN_DISTINCTIVE = 4
REWRITE = 0.5
"""A final text sharing less than this (word-level similarity) with its MT is a rewrite."""

Key = tuple[tuple[str, ...], tuple[str, ...]]
Context = tuple[str | None, str | None]


@dataclass
class Entry:
    """One remembered fix: MT words ``old`` -> ``replacement`` tokens."""

    old: tuple[str, ...]
    """The MT words replaced (empty: an insertion between the context words)."""
    replacement: tuple[str, ...]
    """The tokens the editor wrote, with their leading whitespace."""
    contexts: dict[Context, int] = field(default_factory=dict)
    """(word before, word after) of each place the fix was made, with how many times."""
    accepted: int = 0
    rejected: int = 0
    documents: list[str] = field(default_factory=list)
    """Where the fix was made, first one first."""
    undone: int = 0
    """Times the editor saved a segment with this fix and later saved it without."""

    @property
    def new(self) -> tuple[str, ...]:
        return tuple(words(self.replacement))

    @property
    def distinctive(self) -> bool:
        return any(len(w) >= MIN_DISTINCTIVE and any(c.isalpha() for c in w) for w in self.old)

    @property
    def confirmed(self) -> bool:
        """Made (or accepted when proposed) in two segments at least, and never undone: only
        such fixes are applied in batch (``correct``); a fix made once may be a slip."""
        return self.accepted >= CONFIRMED and not self.undone

    @property
    def prior(self) -> float:
        return (self.accepted + 1) / (self.accepted + self.rejected + 2)

    def confidence(self, level: int) -> float:
        return round(self.prior * CONTEXT_WEIGHT[level], 4)

    def level(self, context: Context) -> int | None:
        """How well a place's neighbours agree with the fix's (None: do not propose there)."""
        if context in self.contexts:
            return 2
        if not self.old:
            return None
        if any(context[0] == c[0] and c[0] is not None or context[1] == c[1] and c[1] is not None for c in self.contexts):
            return 1
        return 0 if self.distinctive else None

    def describe(self) -> str:
        where = ", ".join(f'"{d}"' for d in self.documents[:3]) or "an earlier correction"
        more = f" and {len(self.documents) - 3} more" if len(self.documents) > 3 else ""
        state = "" if self.confirmed else ", unconfirmed: made once, not applied by correct"
        undone = f", undone {self.undone}x" if self.undone else ""
        return f"remembered from {where}{more} (accepted {self.accepted}x, rejected {self.rejected}x{undone}{state})"


def rewritten(mt: str, final: str) -> bool:
    """Whether the final text is a new sentence rather than the MT with fixes (fewer than half
    its words kept in place, e.g. a retranslation): its differences are no reusable fixes."""
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.normalized_similarity(mt.split(), final.split()) < REWRITE


@dataclass(frozen=True)
class Match:
    """A proposed edit and the memory entry it comes from."""

    edit: Edit
    entry: Entry


def _changed_only(tokens: Sequence[str], edit: Edit) -> tuple[int, int, tuple[str, ...]]:
    """(start, end, replacement) of ``edit`` without the words it re-types unchanged at either
    end: a hand edit that rewrote "end of the winter" as "end of winter" teaches "delete
    'the'" between "of" and "winter", not a rewrite of four words."""
    start, end, new = edit.start, edit.end, list(edit.replacement)
    while start < end and new and tokens[start].strip() == new[0].strip():
        start += 1
        new.pop(0)
    while start < end and new and tokens[end - 1].strip() == new[-1].strip():
        end -= 1
        new.pop()
    return start, end, tuple(new)


def _context(tokens: Sequence[str], start: int, end: int) -> Context:
    left = next((t.strip() for t in reversed(tokens[:start]) if t.strip()), None)
    right = next((t.strip() for t in tokens[end:] if t.strip()), None)
    return left, right


class Memory(Suggester):
    """Remembered fixes, indexed by their first MT word; a ``Suggester``."""

    remembers = True  # ``Combined`` lets it demote the other suggesters' rejected edits

    def __init__(self, records: Iterable[Correction] = (), corrupt: int = 0):
        self.entries: dict[Key, Entry] = {}
        self._by_first: dict[str, list[Entry]] = {}  # replacements, by their first old word
        self._by_left: dict[str, list[Entry]] = {}  # insertions, by the word before them
        self._retranslations: dict[tuple[str, ...], Entry] = {}  # retranslations turned down, by their words
        self._last: dict[tuple, str] = {}  # (document, segment, mt) -> what it taught last (``Correction.taught``)
        self._made: dict[tuple, list] = {}  # ... and what that record added, to take back
        self.confirmed_only = False
        """Propose only confirmed fixes (``Entry.confirmed``): what batch ``correct`` applies."""
        self._lock = threading.Lock()
        self.corrupt = corrupt
        """Corrupt log lines skipped while loading."""
        for record in records:
            self.learn(record)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, warn=None) -> Memory:
        """The memory of a corrections log (default: ``paths.corrections_log()``).

        A missing log gives an empty memory; corrupt lines are skipped and counted in
        ``corrupt`` (pass ``warn`` to hear about each; by default they are silent so the
        editor's screen stays clean).
        """
        if path is None:
            from posteditor.core import paths

            path = paths.corrections_log()
        if not Path(path).is_file():
            return cls()
        records, corrupt = read(path, warn=warn or (lambda msg: None))
        return cls(records, corrupt)

    def __len__(self) -> int:
        """How many fixes the memory would propose."""
        return sum(1 for e in self.entries.values() if e.accepted)

    def learn(self, record: Correction) -> None:
        """Remember the fixes of one corrections record (and the proposals it rejected).

        A later record of the same segment (same document, index and MT: saved again)
        replaces the earlier one: its fixes and rejections are taken back first, and a fix
        it no longer has counts as undone.
        """
        key = (record.document, record.segment, record.mt)
        taught = record.taught()
        with self._lock:
            if self._last.get(key) == taught:
                return  # the same segment saved twice is one correction, not two
            previous = self._made.pop(key, [])
            self._last[key] = taught
            made = self._learn(record)
            kept = {id(entry) for entry, _, _ in made}
            for entry, context, kind in previous:
                if kind == "accepted":
                    entry.accepted -= 1
                    entry.contexts[context] -= 1
                    if entry.contexts[context] <= 0:
                        del entry.contexts[context]
                    if id(entry) not in kept:
                        entry.undone += 1
                else:
                    entry.rejected -= 1
            self._made[key] = made

    def _learn(self, record: Correction) -> list[tuple[Entry, Context, str]]:
        made = []
        tokens = tokenize(record.mt)
        if record.final != record.mt and not rewritten(record.mt, record.final):
            for edit in extract_edits(record.mt, record.final):
                start, end, replacement = _changed_only(tokens, edit)
                old = tuple(words(tokens[start:end]))
                entry = self._entry(old, replacement)
                if entry is None:
                    continue
                if not entry.accepted:  # a rejection may have made it, with guessed spacing
                    entry.replacement = tuple(replacement)
                entry.accepted += 1
                context = _context(tokens, start, end)
                entry.contexts[context] = entry.contexts.get(context, 0) + 1
                made.append((entry, context, "accepted"))
                if not old and context[0] is not None and entry not in self._by_left.get(context[0], []):
                    # Insertions are found by the word before them.
                    self._by_left.setdefault(context[0], []).append(entry)
                if record.document and record.document not in entry.documents:
                    entry.documents.append(record.document)
        for logged in record.rejected():
            edit = logged.edit
            entry = self._entry(tuple(words(tokens[edit.start:edit.end])), edit.replacement, rejected=True)
            if entry is not None and edit.category == RETRANSLATION:  # also when the MT it replaces was edited since
                self._retranslations.setdefault(entry.new, entry)
            if entry is not None:
                entry.rejected += 1
                made.append((entry, (None, None), "rejected"))
        return made

    def _entry(self, old: tuple[str, ...], replacement: tuple[str, ...], rejected: bool = False) -> Entry | None:
        """The entry for ``old`` -> ``replacement``, made if new. A fix is a phrase of at most
        ``MAX_WORDS``; a rejection may be longer (a retranslation turned down), since only the
        same words proposed again match it, and an entry never accepted is never proposed."""
        new = tuple(words(replacement))
        if old == new or not (old or new) or not rejected and (len(old) > MAX_WORDS or len(new) > MAX_WORDS):
            return None
        key = (old, new)
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = Entry(old, tuple(replacement))
            if old and len(old) <= MAX_WORDS and len(new) <= MAX_WORDS:  # a fix it may propose one day
                self._by_first.setdefault(old[0], []).append(entry)
        return entry

    def matches(self, items: Sequence[Item]) -> list[list[Match]]:
        """Remembered fixes for each item, non-overlapping, most confident first chosen."""
        with self._lock:
            return [self._match(item.text) for item in items]

    def _match(self, text: str) -> list[Match]:
        tokens = tokenize(text)
        found: list[Match] = []
        for i, token in enumerate(tokens):
            word = token.strip()
            if not word:
                continue
            for entry in self._by_first.get(word, ()):
                end = i + len(entry.old)
                if entry.accepted and tuple(t.strip() for t in tokens[i:end]) == entry.old:
                    self._propose(found, entry, tokens, i, end)
            for entry in self._by_left.get(word, ()):
                if entry.accepted:
                    self._propose(found, entry, tokens, i + 1, i + 1)
        found.sort(key=lambda m: (-m.edit.confidence, -(m.edit.end - m.edit.start), m.edit.start))
        chosen: list[Match] = []
        for m in found:
            if not any(m.edit.overlaps(c.edit) for c in chosen):
                chosen.append(m)
        return sorted(chosen, key=lambda m: (m.edit.start, m.edit.end))

    def _propose(self, found: list[Match], entry: Entry, tokens: Sequence[str], start: int, end: int) -> None:
        level = entry.level(_context(tokens, start, end))
        if level is None or (self.confirmed_only and not entry.confirmed):
            return
        replacement = list(entry.replacement)
        if replacement and start < len(tokens) and start < end:
            # The first new token takes the spacing of the word it replaces.
            here = tokens[start]
            lead = leading_space(here)
            replacement[0] = lead + replacement[0].lstrip()
        edit = Edit(start, end, tuple(replacement), entry.confidence(level), CATEGORY if entry.confirmed else UNCONFIRMED)
        found.append(Match(edit, entry))

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        """The ``Suggester`` protocol: remembered fixes as edits."""
        return [[m.edit for m in row] for row in self.matches(items)]

    def demote(self, text: str, edits: Sequence[Edit]) -> list[Edit]:
        """Another suggester's edits of ``text``, those the editor has rejected before made less sure."""
        tokens = tokenize(text)
        out = []
        with self._lock:
            for edit in edits:
                entry = self._entry_at(tokens, edit)
                if entry is None and edit.category == RETRANSLATION:
                    entry = self._retranslations.get(tuple(words(edit.replacement)))
                if entry is not None and entry.rejected:
                    edit = replace(edit, confidence=round(edit.confidence * min(1.0, 2 * entry.prior), 4))
                out.append(edit)
        return out

    def entry_for(self, text: str, edit: Edit) -> Entry | None:
        """The entry behind a memory edit of ``text`` (to show where a fix came from)."""
        return self._entry_at(tokenize(text), edit)

    def _entry_at(self, tokens: Sequence[str], edit: Edit) -> Entry | None:
        return self.entries.get((tuple(words(tokens[edit.start : edit.end])), tuple(words(edit.replacement))))


MemorySuggester = Memory


def load_memory(path: str | os.PathLike | None = None) -> Memory | None:
    """The memory of the corrections log, or None when it holds no fix or rejection yet (``correct``)."""
    memory = Memory.load(path)
    return memory if memory.entries else None
