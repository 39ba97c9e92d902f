"""The one edit type every part of posteditor speaks.

A segment's text is cut into tokens that each carry the whitespace before them, so
``"".join(tokens) == text`` always holds and an edit is nothing more than "replace
tokens[start:end] with these tokens". Edits are found by aligning the token lists of two
versions of a segment and applied right to left so earlier offsets never shift.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Sequence

from rapidfuzz.distance import Levenshtein

# A token is a run of word characters (keeping inner apostrophes, hyphens and digit groups
# together: "don't", "well-known", "235,000") or one other visible character, with the
# whitespace before it. Trailing whitespace becomes a token of its own so nothing is lost.
_TOKEN = re.compile(r"\s*(?:\d+(?:[.,:]\d+)*|\w+(?:['’\-]\w+)*|\S)|\s+\Z")


def tokenize(text: str) -> tuple[str, ...]:
    """Split text into whitespace-carrying tokens; joining them gives the text back."""
    return tuple(_TOKEN.findall(text))


def words(tokens: tuple[str, ...] | list[str]) -> list[str]:
    """The visible words of tokens, whitespace stripped and empty tokens dropped."""
    return [t.strip() for t in tokens if t.strip()]


RETRANSLATION = "retranslation"
"""The category of an edit that puts a new translation in place of the whole segment
(``posteditor.suggest.retranslate``): where one is kept, no other edit of the segment stays beside it."""
SOURCE_WORD = "source word"
"""The category of a word the source's rule-based translation has in place of the MT's
(``posteditor.suggest.wordcheck``)."""


class Decision(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Edit:
    """Replace MT tokens ``[start, end)`` with ``replacement`` (tokens with their spacing).

    ``start == end`` is an insertion before token ``start``; an empty replacement is a
    deletion. ``confidence`` is the probability the edit is right, as the suggester sees
    it; ``category`` says what kind of edit or where it came from (e.g. "model", "memory").
    """

    start: int
    end: int
    replacement: tuple[str, ...]
    confidence: float = 1.0
    category: str | None = None
    evidence: tuple[float, ...] = field(default=(), compare=False, repr=False)
    """What the model measured about the edit before it was scored (``posteditor.model.corrector``:
    the MT token's probability, the base LM's gain...): the edit scorer's input, never saved."""

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad edit span [{self.start}, {self.end})")

    @property
    def inserted(self) -> str:
        """The replacement as readable words."""
        return " ".join(words(self.replacement))

    def removed(self, tokens: tuple[str, ...]) -> str:
        """The MT words this edit takes away, as readable words."""
        return " ".join(words(tokens[self.start : self.end]))

    def overlaps(self, other: Edit) -> bool:
        """Whether the two edits touch the same tokens or the same place.

        An insertion before a token overlaps an edit of that token (and another insertion
        there): together they would be one change split in two.
        """
        if self.start == self.end and other.start == other.end:
            return self.start == other.start
        if self.start == self.end:
            return other.start <= self.start < other.end
        if other.start == other.end:
            return self.start <= other.start < self.end
        return self.start < other.end and other.start < self.end

    def key(self) -> tuple[int, int, tuple[str, ...]]:
        """What the edit does, ignoring spacing and confidence: used to compare edits."""
        return (self.start, self.end, tuple(words(self.replacement)))

    # --- the edit written down: two forms, one place --------------------------------------

    def to_json(self) -> list:
        """The edit exactly, as a JSON list (the review journal and the editor's model process)."""
        return [self.start, self.end, list(self.replacement), self.confidence, self.category]

    @classmethod
    def from_json(cls, row: list) -> Edit:
        start, end, replacement, confidence, category = row
        return cls(int(start), int(end), tuple(str(t) for t in replacement), float(confidence), category)

    def record(self, tokens: tuple[str, ...]) -> dict:
        """The edit for people and logs, in words (the corrections log and ``correct --report``);
        ``tokens`` are its segment's."""
        return {"start": self.start, "end": self.end, "old": self.removed(tokens), "new": self.inserted,
                "confidence": round(self.confidence, 4), "category": self.category}

    def logged(self, tokens: tuple[str, ...], decision: str) -> dict:
        """The edit as the corrections log keeps it: ``record``, the editor's decision, and the
        edit exactly (``to_json``) for programs."""
        return {**self.record(tokens), "decision": decision, "edit": self.to_json()}


@dataclass(frozen=True)
class Doubt:
    """A word to check: MT token ``index``, which a post-editor would keep as it is only with
    probability ``keep`` (as the model's probe of words to check estimates it, or, for a model
    without one, the least sure of the word's pieces). It names no better word: where the model
    cannot say what is right, it still says where to look."""

    index: int
    keep: float

    def to_json(self) -> list:
        """The doubt as a JSON list (the review journal and the editor's model process)."""
        return [self.index, self.keep]

    @classmethod
    def from_json(cls, row: list) -> Doubt:
        index, keep = row
        return cls(int(index), float(keep))

    def word(self, tokens: tuple[str, ...]) -> str:
        """The doubted word, of its segment's ``tokens``."""
        return tokens[self.index].strip()

    def record(self, tokens: tuple[str, ...]) -> dict:
        """The doubt for people and logs, in words (``correct --report``)."""
        return {"index": self.index, "word": self.word(tokens), "keep": round(self.keep, 4)}


def unedited(doubts: Sequence[Doubt], edits: Sequence[Edit]) -> list[Doubt]:
    """The words to check that no edit of ``edits`` takes in hand (an insertion takes none)."""
    return [d for d in doubts if not any(e.start <= d.index < e.end for e in edits)]


def best_non_overlapping(edits: Sequence[Edit]) -> list[Edit]:
    """The most confident edits that do not overlap, one per span, in text order."""
    kept: list[Edit] = []
    for edit in sorted(edits, key=lambda e: -e.confidence):
        if all(not edit.overlaps(k) and edit.key() != k.key() for k in kept):
            kept.append(edit)
    return sorted(kept, key=lambda e: (e.start, e.end))


def char_span(tokens: tuple[str, ...], start: int, size: int) -> tuple[int, int]:
    """Where ``tokens[start:start+size]`` lies once the text is single-spaced."""
    prefix = len(" ".join("".join(tokens[:start]).split()))
    width = len(" ".join("".join(tokens[start : start + size]).split()))
    if prefix and width:
        prefix += 1  # the space between the prefix and the replacement
    return prefix, prefix + width


def extract_edits(mt: str, corrected: str, confidence: float = 1.0) -> list[Edit]:
    """The edits that turn ``mt`` into ``corrected``: ``apply_edits(mt, result) == corrected``.

    Tokens are aligned with a Levenshtein alignment (rapidfuzz); neighbouring changed tokens
    are merged into one edit, so "eastern country" -> "eastern countryside" is one edit.
    """
    a, b = tokenize(mt), tokenize(corrected)
    spans: list[list[int]] = []  # [src_start, src_end, dest_start, dest_end]
    for op in Levenshtein.opcodes(list(a), list(b)):
        if op.tag == "equal":
            continue
        if spans and spans[-1][1] == op.src_start and spans[-1][3] == op.dest_start:
            spans[-1][1], spans[-1][3] = op.src_end, op.dest_end
        else:
            spans.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
    return [Edit(s, e, b[ds:de], confidence) for s, e, ds, de in spans]


def join_moves(tokens: tuple[str, ...], edits: list[Edit]) -> list[Edit]:
    """Edits of one segment with each word move made one edit.

    A rewrite that moves a word ("on 29 October 1971" -> "on October 29, 1971") aligns as a
    deletion in one place and an insertion in another; either half alone damages the text
    ("on 29, 1971"). Edits that take away a word another edit puts back are joined, with
    the MT tokens between them, into one edit as sure as its least sure part.
    """
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    groups = [[e] for e in ordered]
    while True:
        pair = next(((i, j) for i in range(len(groups)) for j in range(i + 1, len(groups))
                     if _moves_between(tokens, groups[i], groups[j])), None)
        if pair is None:
            break
        i, j = pair
        groups[i : j + 1] = [[e for g in groups[i : j + 1] for e in g]]
    return [g[0] if len(g) == 1 else _joined(tokens, g) for g in groups]


def _content(words_: list[str]) -> set[str]:
    return {w.lower() for w in words_ if any(c.isalnum() for c in w)}


def _moves_between(tokens: tuple[str, ...], a: list[Edit], b: list[Edit]) -> bool:
    """Whether one group takes away a word the other puts in."""
    removed_a = _content([w for e in a for w in words(tokens[e.start : e.end])])
    removed_b = _content([w for e in b for w in words(tokens[e.start : e.end])])
    added_a = _content([w for e in a for w in words(e.replacement)])
    added_b = _content([w for e in b for w in words(e.replacement)])
    return bool((removed_a - added_a) & (added_b - removed_b) or (removed_b - added_b) & (added_a - removed_a))


def _joined(tokens: tuple[str, ...], group: list[Edit]) -> Edit:
    replacement: list[str] = []
    for edit, following in zip(group, group[1:] + [None]):
        replacement += edit.replacement
        if following is not None:
            replacement += tokens[edit.end : following.start]
    return Edit(group[0].start, group[-1].end, tuple(replacement), min(e.confidence for e in group), group[0].category)


def apply_edits(text: str, edits: list[Edit] | tuple[Edit, ...]) -> str:
    """Apply non-overlapping edits to ``text``, right to left."""
    tokens = list(tokenize(text))
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for before, after in zip(ordered, ordered[1:]):
        if after.start < before.end or after.start == before.start == before.end == after.end:
            raise ValueError("edits overlap")
    if ordered and ordered[-1].end > len(tokens):
        raise ValueError("edit beyond the end of the segment")
    for edit in reversed(ordered):
        tokens[edit.start : edit.end] = edit.replacement
    return "".join(tokens)


def respace(mt: str, corrected: str) -> str:
    """Give ``corrected`` the spacing of ``mt`` wherever their words agree.

    The model reads and writes single-spaced text; a segment in a document may hold line
    breaks or double spaces. Words the model left alone keep their original spacing, so
    only real changes become edits.
    """
    a, b = tokenize(mt), list(tokenize(corrected))
    corrected_tokens = tuple(b)
    ops = Levenshtein.opcodes([t.strip() for t in a], [t.strip() for t in b])
    for op in ops:
        if op.tag == "equal":
            for i, j in zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)):
                b[j] = a[i]
                if j == 0 and i > 0:  # a word that now starts the segment takes no space
                    b[j] = a[i].lstrip()
                elif i == op.src_start and j > 0 and a[i] == a[i].lstrip():
                    # Right after a change the MT word had nothing before it to space from
                    # (e.g. it started the segment): keep the corrected text's spacing.
                    b[j] = leading_space(corrected_tokens[j]) + a[i]
    return "".join(b).rstrip() + _trailing_space(mt)


def leading_space(token: str) -> str:
    """The whitespace a token (or any text) starts with."""
    return token[: len(token) - len(token.lstrip())]


def _trailing_space(text: str) -> str:
    return text[len(text.rstrip()) :]


@dataclass(frozen=True)
class Segment:
    """One sentence of MT with the edits proposed for it and the decision on each."""

    text: str
    edits: tuple[Edit, ...] = ()
    decisions: tuple[Decision, ...] = ()
    source: str | None = None

    def __post_init__(self) -> None:
        if not self.decisions:
            object.__setattr__(self, "decisions", (Decision.PENDING,) * len(self.edits))
        if len(self.decisions) != len(self.edits):
            raise ValueError("one decision per edit")

    @cached_property
    def tokens(self) -> tuple[str, ...]:
        return tokenize(self.text)

    def with_edits(self, edits: list[Edit] | tuple[Edit, ...]) -> Segment:
        """The segment with new proposed edits, all pending, in text order."""
        ordered = tuple(sorted(edits, key=lambda e: (e.start, e.end)))
        return Segment(self.text, ordered, (Decision.PENDING,) * len(ordered), self.source)

    def decide(self, index: int, decision: Decision) -> Segment:
        decisions = list(self.decisions)
        decisions[index] = decision
        return replace(self, decisions=tuple(decisions))

    def accepted(self) -> list[Edit]:
        return [e for e, d in zip(self.edits, self.decisions) if d is Decision.ACCEPTED]

    def corrected(self) -> str:
        """The text with the accepted edits applied; untouched if none are."""
        accepted = self.accepted()
        return apply_edits(self.text, accepted) if accepted else self.text

    def proposed(self) -> str:
        """The text with every proposed edit applied, as the suggester would have it."""
        return apply_edits(self.text, self.edits) if self.edits else self.text

    def to_record(self) -> list[dict]:
        """Its edits as the corrections log keeps them, each with its decision (``Edit.logged``)."""
        return [e.logged(self.tokens, d.value) for e, d in zip(self.edits, self.decisions)]


__all__ = [
    "Decision",
    "Edit",
    "Segment",
    "apply_edits",
    "extract_edits",
    "join_moves",
    "respace",
    "tokenize",
    "words",
]
