"""A glossary (termbase) the suggestions must respect: required terms, forbidden variants.

The terms and where they apply are ``posteditor.core.terms`` (QA checks them too).
``Glossed`` wraps any suggester: where the MT holds a forbidden variant of a term whose
source term is in the segment's source (or whatever the source, when the segment has none),
it proposes the required term with category ``glossary`` at high confidence; and it drops
the wrapped suggester's edits that would take a required term out of the text or put a
forbidden variant in.
"""

from __future__ import annotations

from typing import Sequence

from posteditor.core.edits import Doubt, Edit, apply_edits, leading_space, tokenize
from posteditor.core.terms import Term, contains, count, pattern, relevant
from posteditor.suggest.base import Item, Suggester, fits
from posteditor.suggest.combine import merge

GLOSSARY = "glossary"
CONFIDENCE = 0.99
"""A glossary fix is as sure as the glossary: it is applied at any threshold below this."""


def _token_span(tokens: tuple[str, ...], a: int, b: int) -> tuple[int, int]:
    """The tokens covering characters ``[a, b)`` of their joined text."""
    pos, first, last = 0, None, None
    for k, tok in enumerate(tokens):
        start = pos + len(tok) - len(tok.lstrip())
        pos += len(tok)
        if first is None and pos > a:
            first = k
        if start < b:
            last = k
    return first, last + 1


def glossary_edits(terms: Sequence[Term], item: Item) -> list[Edit]:
    """Edits that replace forbidden variants by their required term."""
    tokens, edits = tokenize(item.text), []
    for term in relevant(terms, item.text, item.source):
        for variant in term.forbidden:
            if contains(term.target, variant):
                continue  # "Commission" forbidden inside "European Commission" would loop
            for m in pattern(variant).finditer(item.text):
                start, end = _token_span(tokens, m.start(), m.end())
                lead = leading_space(tokens[start])
                new = term.target
                if m.group(0)[:1].isupper() and start == 0:
                    new = new[:1].upper() + new[1:]
                edits.append(Edit(start, end, tuple(lead + w if k == 0 else " " + w
                                                    for k, w in enumerate(new.split())), CONFIDENCE, GLOSSARY))
    return edits


def breaks_terms(terms: Sequence[Term], text: str, edit: Edit) -> bool:
    """Whether ``edit`` takes a required term out of ``text`` or puts a forbidden variant in."""
    try:
        after = apply_edits(text, [edit])
    except ValueError:
        return True
    for term in terms:
        if count(after, term.target) < count(text, term.target):
            return True
        if any(count(after, v) > count(text, v) for v in term.forbidden if not contains(term.target, v)):
            return True
    return False


class Glossed(Suggester):
    """A suggester whose edits respect the glossary, plus the glossary's own fixes."""

    def __init__(self, inner: Suggester, terms: Sequence[Term]):
        self.inner, self.terms = inner, list(terms)
        self.info = inner.info  # the model's threshold stays visible
        self.flags_words = inner.flags_words

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        out = []
        for item, edits in zip(items, self.inner.suggest(items)):
            terms = relevant(self.terms, item.text, item.source)
            if item.source is None:  # required terms already in the text are kept whatever the source
                terms = [t for t in self.terms if contains(item.text, t.target)] + terms
            kept = [e for e in edits if not breaks_terms(terms, item.text, e)]
            own = glossary_edits(self.terms, item)
            kept = [e for e in kept if not any(e.overlaps(g) for g in own)]
            out.append(merge(own, kept))
        return out

    def doubts(self, items: Sequence[Item]) -> list[list[Doubt]]:
        """The inner suggester's words to check, except those of the glossary's terms: its words are right."""
        out = []
        for item, found in zip(items, self.inner.doubts(items)):
            tokens, terms = tokenize(item.text), set()
            for term in self.terms:
                for m in pattern(term.target).finditer(item.text) if term.target.strip() else ():
                    terms.update(range(*_token_span(tokens, m.start(), m.end())))
            out.append([d for d in found if d.index not in terms])
        return out

    def fits(self, text: str) -> bool:
        return fits(self.inner, text)


class GlossedFactory:
    """The editor's suggester factory (``tui.background``) with the glossary applied to what
    its suggester proposes; starting and closing the model's process pass through."""

    def __init__(self, factory, terms: Sequence[Term]):
        self.factory, self.terms = factory, list(terms)

    def __call__(self) -> Glossed:
        return Glossed(self.factory(), self.terms)

    def start(self) -> None:
        start = getattr(self.factory, "start", None)
        if start is not None:
            start()

    def close(self) -> None:
        close = getattr(self.factory, "close", None)
        if close is not None:
            close()
