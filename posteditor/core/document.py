"""Cut a document into segments (sentences) and put it back together exactly.

A ``Document`` keeps the original text and the character span of every segment. Rendering
replaces segment spans right to left, so whatever lies between segments (whitespace, blank
lines, CRLF, Markdown markup, code blocks) comes back byte for byte. In Markdown, characters
that are markup (inline code, link targets, emphasis markers) are *locked*: an edit that
touches them is not allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from posteditor.core.edits import Doubt, Edit, tokenize


# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st jr sr mt vol vs etc e.g i.e cf al fig figs approx
    inc ltd co corp gen gov sen rep col lt sgt capt jan feb mar apr jun jul aug sep sept oct
    nov dec u.s u.k u.n a.m p.m""".split()
)
# A sentence ends at . ! ? or an ellipsis, optionally followed by closing quotes/brackets,
# then whitespace, then something that can start a sentence.
_BOUNDARY = re.compile(r"""[.!?…]+["'”’»)\]]*(?=\s+["'“‘«(\[]?[A-Z0-9À-ÖØ-Þ])""")
_WORD_BEFORE = re.compile(r"([\w.]+)\.$")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences in ``text[start:end]``, surrounding whitespace excluded."""
    end = len(text) if end is None else end
    spans, begin = [], start
    for match in _BOUNDARY.finditer(text, start, end):
        stop = match.end()
        before = _WORD_BEFORE.search(text, begin, match.start() + 1)
        if match.group().startswith(".") and before:
            word = before.group(1).lower()
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        spans.append((begin, stop))
        begin = stop
    spans.append((begin, end))
    return [s for s in (_strip(text, a, b) for a, b in spans) if s[0] < s[1]]


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


@dataclass
class Document:
    """A text and the spans of its segments; ``render`` puts it back together."""

    text: str
    spans: list[tuple[int, int]]
    locked: list[tuple[int, int]] = field(default_factory=list)
    sources: list[str | None] | None = None  # the source of each segment, where the file holds it
    language: str | None = None  # the sources' language ("ro"), as the file declares it or the user names it

    @property
    def segments(self) -> list[str]:
        return [self.text[a:b] for a, b in self.spans]

    def line_of(self, index: int) -> int:
        """1-based line number where segment ``index`` starts."""
        return self.text.count("\n", 0, self.spans[index][0]) + 1

    def checkable(self, index: int, doubts) -> list[Doubt]:
        """The words to check of segment ``index`` that can be shown: on one of its words, outside
        locked markup; one per word, in text order."""
        size = len(tokenize(self.text[slice(*self.spans[index])]))
        found = {d.index: d for d in doubts if 0 <= d.index < size and self.allows(index, Edit(d.index, d.index + 1, ()))}
        return [found[k] for k in sorted(found)]

    def allows(self, index: int, edit: Edit) -> bool:
        """Whether ``edit`` on segment ``index`` leaves locked markup alone."""
        if not self.locked:
            return True
        base = self.spans[index][0]
        tokens = tokenize(self.text[slice(*self.spans[index])])
        a = base + sum(len(t) for t in tokens[: edit.start])
        b = a + sum(len(t) for t in tokens[edit.start : edit.end])
        if edit.start == edit.end:  # an insertion must not land inside markup either
            a, b = a - 1, a + 1
        return not any(la < b and a < lb for la, lb in self.locked)

    def render(self, replacements: dict[int, str], reviewed: bool = True) -> str:
        """The document with segment ``i`` replaced by ``replacements[i]``.

        ``reviewed``: whether a person approved the replacements (translation files record it
        in the unit's state, ``posteditor.core.formats``)."""
        out = self.text
        for i in sorted(replacements, reverse=True):
            a, b = self.spans[i]
            out = out[:a] + replacements[i] + out[b:]
        return out


def parse_text(text: str, fmt: str = "txt") -> Document:
    """Split plain ``text`` into segments according to ``fmt`` (txt, md or lines); translation
    files are ``posteditor.core.formats``', and ``posteditor.core.reader.parse`` reads either."""
    if fmt == "lines":
        return Document(text, _line_spans(text))
    if fmt == "txt":
        spans = []
        for a, b in _paragraphs(text):
            for c, d in _line_blocks(text, a, b):
                spans += split_sentences(text, c, d)
        return Document(text, spans)
    if fmt == "md":
        return _parse_markdown(text)
    raise ValueError(f"not a plain-text format: {fmt!r}")


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.splitlines(keepends=True):
        a, b = _strip(text, pos, pos + len(line))
        if a < b:
            spans.append((a, b))
        pos += len(line)
    return spans


# A line that ends like this goes on on the next line, whatever follows.
_OPEN_END = re.compile(r"""[.!?…]+["'”’»)\]]*$|[,;:\-–—(\[“‘«/&]$""")
_STARTS_SENTENCE = re.compile(r"""\s*["'“‘«(\[]?[A-Z0-9À-ÖØ-Þ]""")
HEADLINE_WORDS = 6
"""A line of at most this many words, with no final punctuation, is a headline or a credit."""
HEADLINE_SHARE = 0.6
"""... as is one shorter than this share of the paragraph's longest line (hard-wrapped
paragraphs have lines of about the same length; a headline above a paragraph is shorter)."""


def _line_blocks(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """``text[a:b]`` (a paragraph) cut after each line that ends a segment without a full stop.

    A line without sentence-final punctuation (a headline, a photo credit, a dateline) ends
    its segment when the next line starts like a sentence and either that line is indented
    (a new paragraph) or this one is short: a few words, or much shorter than the paragraph's
    longest line. Otherwise the line is a hard-wrapped part of the sentence that follows.
    """
    lines = []
    pos = a
    for line in text[a:b].split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    if len(lines) < 2:
        return [(a, b)]
    longest = max(len(text[x:y].strip()) for x, y in lines)
    blocks, start = [], a
    for (x, y), (nx, ny) in zip(lines, lines[1:]):
        line, after = text[x:y].strip(), text[nx:ny]
        if not line or _OPEN_END.search(line) or not _STARTS_SENTENCE.match(after):
            continue
        indented = after[:1] in (" ", "\t")
        short = len(line.split()) <= HEADLINE_WORDS or len(line) < HEADLINE_SHARE * longest
        if indented or short:
            blocks.append((start, y))
            start = nx
    blocks.append((start, b))
    return blocks


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of blocks separated by blank lines."""
    return [m.span() for m in re.finditer(r"\S(?:.|\n(?![ \t\r]*\n))*", text)]


# --- Markdown -----------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BLOCK_MARKER = re.compile(r"^ {0,3}(?:#{1,6}[ \t]+|(?:>[ \t]?)+|[-*+][ \t]+|\d{1,9}[.)][ \t]+)")
_RULE = re.compile(r"^ {0,3}(?:[-*_][ \t]*){3,}$|^ {0,3}(?:=+|-+)[ \t]*$")
_INLINE_LOCKS = re.compile(
    r"`+[^`]*`+"  # inline code
    r"|!\[[^\]]*\]\([^)]*\)"  # images, whole
    r"|\]\([^)]*\)"  # link targets
    r"|\]\[[^\]]*\]"  # reference link labels
    r"|<[^>\s]+>"  # autolinks and HTML tags
    r"|https?://\S+"  # bare URLs
    r"|\*+|(?<!\w)_+|_+(?!\w)|\[|~~"  # emphasis markers, link brackets
)


def _parse_markdown(text: str) -> Document:
    spans: list[tuple[int, int]] = []
    locked: list[tuple[int, int]] = []
    block: list[int] = []  # [start, end] of the paragraph being collected
    fence: str | None = None
    pos = 0
    prev_blank = True
    lines = text.splitlines(keepends=True)
    if lines and lines[0].strip() == "---":  # YAML front matter
        for k in range(1, len(lines)):
            if lines[k].strip() in ("---", "..."):
                pos = sum(len(x) for x in lines[: k + 1])
                lines = lines[k + 1 :]
                break

    def flush() -> None:
        if block:
            spans.extend(split_sentences(text, block[0], block[1]))
            block.clear()

    for line in lines:
        body = line.rstrip("\r\n")
        start, end = pos, pos + len(body)
        pos += len(line)
        fence_match = _FENCE.match(body)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
            continue
        if fence_match:
            flush()
            fence = fence_match.group(1)
            continue
        blank = not body.strip()
        code = (body.startswith("    ") or body.startswith("\t")) and prev_blank and not block
        if blank or code or _RULE.match(body) or body.lstrip().startswith(("<", "|")):
            flush()
            prev_blank = blank or (code and prev_blank)
            continue
        prev_blank = False
        marker = _BLOCK_MARKER.match(body)
        if marker:
            flush()
            block[:] = [start + marker.end(), end]
            if body.lstrip().startswith("#"):
                flush()
        elif block:
            block[1] = end
        else:
            block[:] = [start, end]
        locked.extend((start + m.start(), start + m.end()) for m in _INLINE_LOCKS.finditer(body))
    flush()
    return Document(text, spans, locked)
