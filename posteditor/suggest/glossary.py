"""A glossary (termbase) the suggestions must respect: required terms, forbidden variants.

``terms.tsv`` holds one term a line, tab-separated: the source term, the English term that
must be used, optionally the forbidden English variants (separated by ``|`` or ``;``) and a
note. Lines starting with ``#`` and a header line (``source<TAB>target...``) are skipped::

    Comisia Europeană	European Commission	Europe Commission|EU Commission	institution name

``Glossed`` wraps any suggester: where the MT holds a forbidden variant of a term whose
source term is in the segment's source (or whatever the source, when the segment has none),
it proposes the required term with category ``glossary`` at high confidence; and it drops
the wrapped suggester's edits that would take a required term out of the text or put a
forbidden variant in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from posteditor.core.edits import Edit, apply_edits, tokenize, words
from posteditor.suggest.base import Item, Suggester
from posteditor.core.textio import InputError, read_text

GLOSSARY = "glossary"
CONFIDENCE = 0.99
"""A glossary fix is as sure as the glossary: it is applied at any threshold below this."""


@dataclass(frozen=True)
class Term:
    source: str
    target: str
    forbidden: tuple[str, ...] = ()
    note: str = ""


def _pattern(phrase: str, inflected: bool = False) -> re.Pattern:
    body = r"\s+".join(re.escape(w) for w in phrase.split())
    ending = r"\w*" if inflected else ""
    return re.compile(rf"(?<!\w){body}{ending}(?!\w)", re.IGNORECASE)


def contains(text: str | None, phrase: str, inflected: bool = False) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words, ignoring case and spacing;
    ``inflected``: its last word may carry an ending (source terms: "refugiați" in "refugiații")."""
    return bool(text) and bool(phrase.strip()) and _pattern(phrase, inflected).search(text) is not None


def count(text: str, phrase: str) -> int:
    return len(_pattern(phrase).findall(text)) if phrase.strip() else 0


def read_glossary(path: str | Path) -> list[Term]:
    """The terms of a TSV glossary, or ``InputError`` naming the bad line."""
    terms = []
    for n, line in enumerate(read_text(str(path)).text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if n == 1 and [c.lower() for c in cells[:2]] == ["source", "target"]:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise InputError(f"{path}:{n}: a term needs a source term and an English term, separated by a tab")
        forbidden = tuple(v.strip() for v in re.split(r"[|;]", cells[2]) if v.strip()) if len(cells) > 2 else ()
        terms.append(Term(cells[0], cells[1], forbidden, cells[3] if len(cells) > 3 else ""))
    if not terms:
        raise InputError(f"{path}: no terms in the glossary")
    return terms


def relevant(terms: Sequence[Term], text: str, source: str | None) -> list[Term]:
    """The terms that apply to a segment: their source term is in its source, or (without a
    source) their English term or a forbidden variant is in the text."""
    if source:
        return [t for t in terms if contains(source, t.source, inflected=True)]
    return [t for t in terms if contains(text, t.target) or any(contains(text, v) for v in t.forbidden)]


def violations(terms: Sequence[Term], text: str, source: str | None) -> list[str]:
    """What the text does against the glossary, one readable line each."""
    out = []
    for term in relevant(terms, text, source):
        used = [v for v in term.forbidden if contains(text, v) and not contains(term.target, v)]
        if used:
            out.append(f"'{used[0]}' is forbidden: use '{term.target}'")
        elif source and not contains(text, term.target):
            out.append(f"'{term.source}' should be rendered '{term.target}'")
    return out


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
            for m in _pattern(variant).finditer(item.text):
                start, end = _token_span(tokens, m.start(), m.end())
                lead = tokens[start][: len(tokens[start]) - len(tokens[start].lstrip())]
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


class Glossed:
    """A suggester whose edits respect the glossary, plus the glossary's own fixes."""

    def __init__(self, inner: Suggester, terms: Sequence[Term]):
        self.inner, self.terms = inner, list(terms)
        self.info = getattr(inner, "info", None)  # the model's threshold stays visible

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        from posteditor.commands.correct import merge

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

    def fits(self, text: str) -> bool:
        from posteditor.commands.correct import fits

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
