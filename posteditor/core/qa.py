"""Quality checks on the final text of each segment, with its source and MT when known.

Each check has an id (``CHECKS``) and can be switched off. They are deliberately cautious:
a number check that cries wolf on every "two" / "2" gets switched off, so each one compares
the target with the source (or the MT) and keeps quiet where the source shows the same thing.
False alarms are measured on MLQE-PE dev post-edits (``docs/results.md``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from posteditor.core.edits import unedited

CHECKS = {
    "numbers": "a number (or date) in the source missing from the target, or one the source lacks",
    "names": "a name (capitalised word) of the MT taken out by an edit",
    "brackets": "brackets that do not pair up",
    "quotes": "quotation marks that do not pair up",
    "doubled": "the same word twice in a row",
    "consistency": "the same source sentence translated differently in the document",
    "glossary": "a glossary term not used, or a forbidden variant used",
    "doubt": "a word the model doubts, with nothing better to propose (words to check)",
}

_NUMBER = re.compile(r"(?<!\w)\d+(?:[.,:/-]\d+)*(?:[\u00a0\u202f ]\d{3}(?!\d))*", re.UNICODE)
_MONTHS = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE)
_SCALES = re.compile(r"\b(?:hundreds?|thousands?|millions?|billions?|bn|m|k)\b", re.IGNORECASE)
_SPELLED = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_SPELLED.update({w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())})
_SPELLED.update({"hundred": 100, "thousand": 1000, "million": 1000000, "billion": 1000000000, "dozen": 12,
                 "once": 1, "twice": 2, "half": 2, "single": 1, "double": 2, "both": 2, "pair": 2})
_NAME = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”«»()\[\]]\s*|\n\s*)$")
_DOUBLED = re.compile(r"(?<![\w'’-])([^\W\d_]+)\s+\1(?![\w'’-])", re.IGNORECASE)
_DOUBLED_OK = frozenset({"had", "that", "is", "do", "very", "bye", "ha", "no", "yes", "so", "knock", "blah", "go"})
_PAIRS = {"(": ")", "[": "]", "{": "}"}
_QUOTES = "\"“”„«»"


@dataclass(frozen=True)
class Issue:
    """One problem found: which check, in which segment, what."""

    check: str
    segment: int
    message: str


def parse_checks(off: Iterable[str] | None) -> frozenset[str]:
    """The checks to skip, from ``--no-check`` values ("numbers,names" or repeated)."""
    skip = {c.strip() for value in off or () for c in value.split(",") if c.strip()}
    unknown = skip - set(CHECKS)
    if unknown:
        from posteditor.core.textio import InputError

        raise InputError(f"unknown check {', '.join(sorted(unknown))}; the checks are {', '.join(CHECKS)}")
    return frozenset(skip)


# --- single checks ----------------------------------------------------------------------------


def _digits(piece: str) -> str:
    digits = "".join(str(unicodedata.decimal(c)) for c in piece if unicodedata.decimal(c, None) is not None)
    return digits.lstrip("0") or "0"


def numbers(text: str) -> list[str]:
    """The numbers of a text, separators and digit scripts normalised ("235.000" = "235,000")."""
    return [_digits(m.group(0)) for m in _NUMBER.finditer(text)]


def _groups(text: str) -> set[str]:
    """Every digit group of every number ("10.03.2019" -> 10, 3, 2019)."""
    return {_digits(g) for m in _NUMBER.finditer(text) for g in re.findall(r"\d+", m.group(0))}


def _spelled(text: str) -> set[str]:
    return {str(_SPELLED[w]) for w in re.findall(r"[a-z]+", text.lower()) if w in _SPELLED}


def _found(piece: str, text: str, full: set[str], groups: set[str]) -> bool:
    """Whether the number ``piece`` (as written) shows in ``text``: whole, spelled out, or
    group by group (a date reordered, a month named, "235,000" as "235 thousand")."""
    if _digits(piece) in full or _digits(piece) in _spelled(text):
        return True
    return all(g in groups or g in _spelled(text) or (int(g) <= 12 and _MONTHS.search(text))
               or (set(g) == {"0"} and _SCALES.search(text)) or (g == "0")
               for g in (_digits(x) for x in re.findall(r"\d+", piece)))


def check_numbers(final: str, source: str | None) -> list[str]:
    if not source:
        return []
    out = []
    tgt_full, tgt_groups = set(numbers(final)), _groups(final)
    for m in dict.fromkeys(x.group(0) for x in _NUMBER.finditer(source)):
        if not _found(m, final, tgt_full, tgt_groups):
            out.append(f"number {m} of the source missing")
    src_full, src_groups = set(numbers(source)), _groups(source)
    for m in dict.fromkeys(x.group(0) for x in _NUMBER.finditer(final)):
        if int(_digits(m)) > 20 and not _found(m, source, src_full, src_groups):
            out.append(f"number {m} not in the source")
    return out


def _names(text: str) -> list[str]:
    return [m.group(0) for m in _NAME.finditer(text) if not _SENTENCE_START.search(text[: m.start()])]


def _in_source(name: str, source: str) -> bool:
    """Whether the source has the name too (its stem, as inflected languages add endings)."""
    stem = re.split(r"['’]", name)[0].lower()
    stem = stem[: max(4, len(stem) - 2)]
    return any(w.startswith(stem) for w in re.findall(r"\w+", source.lower()))


def check_names(final: str, mt: str | None, source: str | None = None) -> list[str]:
    """Names of the MT an edit took out: nothing like them left (a respelling, "Afonsot" ->
    "Afonso", is no alarm), and with a source, only names the source has too."""
    if mt is None or mt == final:
        return []
    kept = {w.lower() for w in re.findall(r"[\w'’-]+", final)}  # a case change is no name change
    return [f"name '{n}' of the MT is gone" for n in dict.fromkeys(_names(mt))
            if not any(w.startswith(n.lower()[:4]) for w in kept) and (source is None or _in_source(n, source))]


def _unbalanced_brackets(text: str) -> list[str]:
    stack, bad = [], []
    for c in text:
        if c in _PAIRS:
            stack.append(c)
        elif c in _PAIRS.values():
            if stack and _PAIRS[stack[-1]] == c:
                stack.pop()
            else:
                bad.append(c)
    return bad + stack


def check_brackets(final: str, source: str | None) -> list[str]:
    bad = _unbalanced_brackets(final)
    if not bad or (source is not None and _unbalanced_brackets(source)):
        return []
    return [f"unpaired '{bad[0]}'"]


def _quotes_unbalanced(text: str) -> bool:
    straight = text.count('"') % 2 == 1
    curly = text.count("“") + text.count("„") != text.count("”") and text.count("”") + text.count("“") % 2 != 0
    return straight or (curly and sum(text.count(q) for q in _QUOTES) % 2 == 1)


def check_quotes(final: str, source: str | None) -> list[str]:
    if not _quotes_unbalanced(final):
        return []
    if source is not None and sum(source.count(q) for q in _QUOTES) % 2 == 1:
        return []  # the source is just as open (a quotation running over sentences)
    return ["quotation marks do not pair up"]


def check_doubled(final: str, source: str | None = None) -> list[str]:
    out = []
    for m in _DOUBLED.finditer(final):
        word = m.group(1)
        if word.lower() in _DOUBLED_OK or (source and _DOUBLED.search(source)):
            continue
        out.append(f"'{word} {word}' doubled")
    return out


# --- segments and documents -------------------------------------------------------------------


def check_segment(final: str, source: str | None = None, mt: str | None = None, terms: Sequence = (),
                  skip: frozenset[str] = frozenset(), index: int = 0) -> list[Issue]:
    """The issues of one segment's final text."""
    found: list[tuple[str, list[str]]] = []
    if "numbers" not in skip:
        found.append(("numbers", check_numbers(final, source)))
    if "names" not in skip:
        found.append(("names", check_names(final, mt, source)))
    if "brackets" not in skip:
        found.append(("brackets", check_brackets(final, source)))
    if "quotes" not in skip:
        found.append(("quotes", check_quotes(final, source)))
    if "doubled" not in skip:
        found.append(("doubled", check_doubled(final, source)))
    if "glossary" not in skip and terms:
        from posteditor.core.terms import violations

        found.append(("glossary", violations(terms, final, source)))
    return [Issue(check, index, message) for check, messages in found for message in messages]


def check_consistency(finals: Sequence[str], sources: Sequence[str | None]) -> list[Issue]:
    """Segments whose source repeats an earlier one but whose translation differs."""
    first: dict[str, int] = {}
    out = []
    for i, (final, source) in enumerate(zip(finals, sources)):
        if not source:
            continue
        key = " ".join(source.split()).lower()
        if key in first and " ".join(finals[first[key]].split()) != " ".join(final.split()):
            out.append(Issue("consistency", i, f"same source as segment {first[key] + 1}, translated differently"))
        first.setdefault(key, i)
    return out


def check_document(finals: Sequence[str], sources: Sequence[str | None] | None = None,
                   mts: Sequence[str] | None = None, terms: Sequence = (),
                   skip: frozenset[str] = frozenset()) -> list[Issue]:
    """Every issue of a document, in segment order."""
    sources = list(sources) if sources is not None else [None] * len(finals)
    mts = list(mts) if mts is not None else [None] * len(finals)
    issues = [issue for i, (f, s, m) in enumerate(zip(finals, sources, mts))
              for issue in check_segment(f, s, m, terms, skip, i)]
    if "consistency" not in skip:
        issues += check_consistency(finals, sources)
    return sorted(issues, key=lambda x: x.segment)


def report_rows(name: str, document, segments: Sequence, terms: Sequence = (),
                skip: frozenset[str] = frozenset()) -> list[dict]:
    """``correct --report`` records of the issues in a corrected document's final text: one per
    issue, ``{"file", "segment", "line", "check", "message"}`` (edit records have no "check")."""
    finals = [s.corrected() for s in segments]
    issues = check_document(finals, [s.source for s in segments], [s.text for s in segments], terms, skip)
    return [{"file": name, "segment": i.segment, "line": document.line_of(i.segment), "check": i.check,
             "message": i.message} for i in issues]


def doubt_rows(name: str, document, segments: Sequence, doubts: Mapping[int, Sequence]) -> list[dict]:
    """``correct --report`` records of the words to check (``Suggester.doubts``, by segment) that
    no applied edit took in hand, outside locked markup: ``{"file", "segment", "line", "check":
    "doubt", "message", "word", "keep"}``, and ``"language"``, the document's source language,
    where it is known (a language the model card lists has its own probe and bar)."""
    rows = []
    for i, found in sorted(doubts.items()):
        seg = segments[i]
        for d in unedited(document.checkable(i, found), seg.accepted()):
            word = d.record(seg.tokens)
            rows.append({"file": name, "segment": i, "line": document.line_of(i), "check": "doubt",
                         "message": f'the model doubts "{word["word"]}" (kept as it is with probability '
                                    f'{word["keep"]:.2f}): check it', "word": word["word"], "keep": word["keep"],
                         **({"language": document.language} if document.language else {})})
    return rows
