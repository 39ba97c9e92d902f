"""The detail panel (the focused segment in full) and the status bar (counts, model progress)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from posteditor.core.edits import Decision
from posteditor.tui.confirm import status
from posteditor.tui.notes import Notes
from posteditor.tui.review.state import ReviewState
from posteditor.tui.review.work import Counts, Cursor

_SPACES = re.compile(r"\s+")


class DetailPanel(Static):
    """The focused segment: the MT before, the text after, the source, and the edit's details."""

    COMPONENT_CLASSES = {
        "detail-panel--label", "detail-panel--removed", "detail-panel--inserted",
        "detail-panel--focus", "detail-panel--muted", "detail-panel--pending",
        "detail-panel--accepted", "detail-panel--rejected",
    }

    DEFAULT_CSS = """
    DetailPanel {
        height: auto;
        padding: 0 1;
        & > .detail-panel--label { color: $text-primary; text-style: bold; }
        & > .detail-panel--removed { color: $text-error; text-style: strike; }
        & > .detail-panel--inserted { color: $text-success; text-style: bold; }
        & > .detail-panel--focus { text-style: reverse bold; }
        & > .detail-panel--muted { color: $text-muted; }
        & > .detail-panel--pending { color: $text-warning; text-style: bold; }
        & > .detail-panel--accepted { color: $text-success; text-style: bold; }
        & > .detail-panel--rejected { color: $text-error; text-style: bold; }
    }
    """

    _height = 0

    def _s(self, name: str) -> Style:
        return self.get_component_rich_style(f"detail-panel--{name}", partial=True)

    def on_resize(self) -> None:
        self._height = 0  # re-measure on the next update

    def show(self, state: ReviewState, cursor: Cursor, notes: Notes | None = None) -> None:
        """Render segment ``cursor.seg`` with the edit under the cursor picked out, and its
        glossary terms and QA findings when ``notes`` are given."""
        i = cursor.seg
        seg, work = state.segment(i), state.work(i)
        focus = state.find(i, cursor.key)
        label = self._s("label")
        seg_status = status(state, i)
        head = Text.assemble((f"Segment {i + 1} of {len(state)}", label),
                             (f"  line {state.doc.line_of(i)}  ", self._s("muted")),
                             (seg_status, self._s({"unconfirmed": "pending", "edited": "accepted"}.get(seg_status, "muted"))))
        if work.manual is not None:
            head.append("  edited by hand", self._s("accepted"))
        elif not state.analysed(i):
            head.append("  waiting for the model…", self._s("muted"))
        elif focus is not None:
            edit, decision = seg.edits[focus], seg.decisions[focus]
            number = state.visible(i).index(focus) + 1 if focus in state.visible(i) else 0
            head.append(f"  edit {number} of {len(state.visible(i))}: ", self._s("muted"))
            head.append(f"{edit.removed(seg.tokens) or '∅'}", self._s("removed"))
            head.append(" → ")
            head.append(f"{edit.inserted or '∅'}", self._s("inserted"))
            head.append(f"  confidence {edit.confidence:.2f}  {edit.category or 'model'}  ", self._s("muted"))
            head.append(decision.value, self._s(decision.value))
        else:
            head.append("  no edits proposed", self._s("muted"))
        before, after = self._diff(state, i, focus)
        lines = [head, Text.assemble(("MT      ", label), before), Text.assemble(("After   ", label), after)]
        if seg.source:
            lines.append(Text.assemble(("Source  ", label), (seg.source, self._s("muted"))))
        if doubted := state.to_check(i):
            keys = f"{self.app.key_names('hand_edit')[0]} edits, {self.app.key_names('confirm')[-1]} confirms"
            lines.append(Text.assemble(("Check   ", label),
                                       (" · ".join(d.word(seg.tokens) for d in doubted), self._s("pending")),
                                       (f"  the model doubts {'these words' if len(doubted) > 1 else 'this word'},"
                                        f" with nothing sure to propose ({keys})", self._s("muted"))))
        if notes is not None:
            for name, found in (("Terms   ", notes.terms_for(state, i)), ("QA      ", notes.issues_for(state, i))):
                if found:
                    lines.append(Text.assemble((name, label), ("; ".join(found), self._s("pending" if name[0] == "Q" else "muted"))))
        # A new layout only when the panel's height changes: laying out the screen is the
        # costliest thing a key press could do.
        width = max(1, self.content_region.width)
        height = sum(len(line.wrap(self.app.console, width)) for line in lines)
        self.update(Text("\n").join(lines), layout=height != self._height)
        self._height = height

    def _diff(self, state: ReviewState, i: int, focus: int | None) -> tuple[Text, Text]:
        """The MT with removed words struck, and the text after the non-rejected visible edits."""
        seg, work = state.segment(i), state.work(i)
        if work.manual is not None:
            return Text(" ".join(seg.text.split())), Text(" ".join(work.manual.split()), self._s("inserted"))
        before, after = Text(), Text()
        tokens, pos = seg.tokens, 0
        for k in state.visible(i):
            edit, decision = seg.edits[k], seg.decisions[k]
            plain = _flat("".join(tokens[pos : edit.start]))
            before.append(plain)
            after.append(plain)
            extra = self._s("focus") if k == focus else Style()
            removed, inserted = _flat("".join(tokens[edit.start : edit.end])), _flat("".join(edit.replacement))
            before.append(removed, self._s("removed") + extra if decision is not Decision.REJECTED else extra)
            if decision is Decision.REJECTED:
                after.append(removed, extra)
            else:
                after.append(inserted, self._s("inserted") + extra)
            pos = edit.end
        rest = _flat("".join(tokens[pos:]))
        before.append(rest)
        after.append(rest)
        return before, after


def _flat(text: str) -> str:
    """Line breaks and runs of spaces inside a segment shown as one space."""
    return _SPACES.sub(" ", text)


@dataclass(frozen=True)
class Progress:
    """How far the suggester has got."""

    analysed: int
    total: int
    status: str = "loading"  # loading | running | done | failed | idle


class StatusBar(Static):
    """One line: a message or the file name on the left, counts and model progress on the right."""

    COMPONENT_CLASSES = {"status-bar--dirty", "status-bar--message", "status-bar--error", "status-bar--muted"}

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        & > .status-bar--dirty { color: $text-warning; text-style: bold; }
        & > .status-bar--message { color: $text-accent; text-style: bold; }
        & > .status-bar--error { color: $text-error; }
        & > .status-bar--muted { color: $text-muted; }
    }
    """

    plain = ""
    """The bar's text without styles (what a test or a screen reader wants)."""

    def _s(self, name: str) -> Style:
        return self.get_component_rich_style(f"status-bar--{name}", partial=True)

    def show(self, name: str, dirty: bool, counts: Counts, progress: Progress, threshold: float,
             show_low: bool, message: str = "", hidden: int = 0, to_check: int = 0) -> None:
        """``hidden``: suggestions below ``threshold`` kept out of sight (the toast that says so
        fades); ``to_check``: words to check shown."""
        left = Text(message, self._s("message")) if message else Text(name)
        if dirty and not message:
            left.append(" ● modified", self._s("dirty"))
        right = Text.assemble(
            f"{counts.pending} pending · {counts.accepted} accepted · {counts.rejected} rejected",
            f" · {counts.manual} by hand" if counts.manual else "",
            f" · {to_check} to check" if to_check else "",
            ("  │  ", self._s("muted")),
        )
        if progress.status == "failed":
            right.append("no model", self._s("error"))
        elif progress.status == "loading":
            right.append("loading model…", self._s("muted"))
        else:
            right.append(f"model {progress.analysed}/{progress.total}")
        right.append(f"  │  {'all shown' if show_low else f'≥{threshold:.2f}'}", self._s("muted"))
        if hidden:
            right.append(f" · {hidden} below", self._s("muted"))
        self.plain = f"{left.plain}  {right.plain}"
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(left, right)
        self.update(grid, layout=False)
