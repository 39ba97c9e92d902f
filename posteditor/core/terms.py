"""Glossary terms: required English terms, their forbidden variants, where each applies.

``terms.tsv`` holds one term a line, tab-separated: the source term, the English term that
must be used, optionally the forbidden English variants (separated by ``|`` or ``;``) and a
note. Lines starting with ``#`` and a header line (``source<TAB>target...``) are skipped::

    Comisia Europeană	European Commission	Europe Commission|EU Commission	institution name

The glossary suggester (``posteditor.suggest.glossary``) enforces them; QA checks them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from posteditor.core.textio import InputError, read_text


@dataclass(frozen=True)
class Term:
    source: str
    target: str
    forbidden: tuple[str, ...] = ()
    note: str = ""


def pattern(phrase: str, inflected: bool = False) -> re.Pattern:
    body = r"\s+".join(re.escape(w) for w in phrase.split())
    ending = r"\w*" if inflected else ""
    return re.compile(rf"(?<!\w){body}{ending}(?!\w)", re.IGNORECASE)


def contains(text: str | None, phrase: str, inflected: bool = False) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words, ignoring case and spacing;
    ``inflected``: its last word may carry an ending (source terms: "refugiați" in "refugiații")."""
    return bool(text) and bool(phrase.strip()) and pattern(phrase, inflected).search(text) is not None


def count(text: str, phrase: str) -> int:
    return len(pattern(phrase).findall(text)) if phrase.strip() else 0


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
