"""How a segment looks in the list: styled runs of text, wrapped to a width.

A run is ``(text, role, edit)``: the role names a style (``removed`` words are struck
through, ``inserted`` ones highlighted, words to check underlined, and so on; the widget maps
roles to its component classes) and ``edit`` is the index of the edit the run belongs to, so
the focused edit can be marked. Wrapping is done here, not by Rich, so a row's height is known
without rendering it and the list can stay virtual for documents of thousands of segments.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

from posteditor.core.edits import Decision, extract_edits
from posteditor.tui.review.state import ReviewState

Run = tuple[str, str, "int | None"]
Line = list[Run]

_PIECE = re.compile(r"(\s*)(\S+)")


def runs(state: ReviewState, i: int) -> list[Run]:
    """The segment as styled runs: its text with every visible edit shown as a diff."""
    seg, work = state.segment(i), state.work(i)
    tokens = seg.tokens
    out: list[Run] = []
    prefix = markup_prefix(state, i)
    if prefix:
        out.append((prefix + " ", "markup", None))
    if work.manual is not None:
        shown = [(None, e, None) for e in extract_edits(seg.text, work.manual)]
    else:
        shown = [(k, seg.edits[k], seg.decisions[k]) for k in state.visible(i)]
    doubted = {d.index for d in state.to_check(i)}
    pos = 0
    for k, edit, decision in shown:
        out += _plain(tokens, pos, edit.start, doubted)
        removed, inserted = "".join(tokens[edit.start : edit.end]), "".join(edit.replacement)
        if decision is None:
            out += [(removed, "manual-removed", None), (inserted, "manual-inserted", None)]
        elif decision is Decision.PENDING:
            low = edit.confidence < state.min_confidence
            prefix = "low-" if low else ""
            out += [(removed, prefix + "removed", k), (inserted, prefix + "inserted", k)]
        elif decision is Decision.ACCEPTED:
            out.append((inserted, "accepted", k) if inserted.strip() else (removed, "accepted-removed", k))
        else:
            out.append((removed, "rejected", k) if removed.strip() else (inserted, "rejected-inserted", k))
        pos = edit.end
    out += _plain(tokens, pos, len(tokens), doubted)
    return [r for r in out if r[0]]


def _plain(tokens: tuple[str, ...], start: int, end: int, doubted: set[int]) -> list[Run]:
    """Tokens ``[start, end)`` outside any edit: plain text, with the words to check marked."""
    out: list[Run] = []
    text = ""
    for k in range(start, end):
        if k in doubted:  # (the space before it: the plain style, as ``wrap`` gives a run's first gap)
            out += [(text, "text", None), (tokens[k], "doubt", None)]
            text = ""
        else:
            text += tokens[k]
    return out + [(text, "text", None)]


def markup_prefix(state: ReviewState, i: int) -> str:
    """Markdown markup that opens the segment's line ("##", "-", ">"), to show it dimmed."""
    a = state.doc.spans[i][0]
    line_start = state.doc.text.rfind("\n", 0, a) + 1
    if i and state.doc.spans[i - 1][1] > line_start:
        return ""
    return state.doc.text[line_start:a].strip()


def starts_paragraph(state: ReviewState, i: int) -> bool:
    """Whether a blank line separates segment ``i`` from the one before."""
    if i == 0:
        return False
    return state.doc.text.count("\n", state.doc.spans[i - 1][1], state.doc.spans[i][0]) >= 2


def wrap(runs: list[Run], width: int) -> list[Line]:
    """Greedy word wrap of ``runs`` to ``width`` cells; whitespace becomes single spaces."""
    width = max(width, 8)
    lines: list[Line] = [[]]
    col = 0
    for text, role, edit in runs:
        first = True
        for match in _PIECE.finditer(text):
            space, word = match.groups()
            gap = 1 if space and col else 0
            w = cell_len(word)
            if col and col + gap + w > width:
                lines.append([])
                col, gap = 0, 0
            if gap:  # a space inside a run takes the run's style, between runs the plain one
                lines[-1].append((" ", "text" if first else role, None if first else edit))
                col += 1
            while w > width - col:  # a word longer than the line: cut it
                cut = _fit(word, width - col)
                lines[-1].append((word[:cut], role, edit))
                lines.append([])
                word, col = word[cut:], 0
                w = cell_len(word)
            lines[-1].append((word, role, edit))
            col += w
            first = False
    return lines


def _fit(word: str, cells: int) -> int:
    """How many characters of ``word`` fit in ``cells`` (at least one)."""
    n = 0
    while n < len(word) and cell_len(word[: n + 1]) <= cells:
        n += 1
    return max(n, 1)


def segment_lines(state: ReviewState, i: int, width: int) -> list[Line]:
    """The rows segment ``i`` takes at ``width``: a blank one before a new paragraph."""
    lines = wrap(runs(state, i), width)
    return ([[]] if starts_paragraph(state, i) else []) + lines


def mark(state: ReviewState, i: int) -> tuple[str, str]:
    """The gutter sign of a segment and its role: waiting, pending, words to check, done or
    hand-edited."""
    if state.work(i).manual is not None:
        return "✎", "mark-manual"
    if not state.analysed(i):
        return "·", "mark-waiting"
    seg = state.segment(i)
    decisions = [seg.decisions[k] for k in state.visible(i)]
    if Decision.PENDING in decisions:
        return "●", "mark-pending"
    if state.to_check(i):
        return "?", "mark-check"
    if decisions or state.work(i).confirmed:
        return "✓", "mark-done"
    return " ", "text"
