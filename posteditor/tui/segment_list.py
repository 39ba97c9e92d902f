"""The document as a virtual list of segment rows (the Line API: only visible lines render).

A 2,000-segment document is never one giant widget: each segment's wrapped lines are cached,
a change re-wraps only the segments it touched, and ``render_line`` builds just the rows on
screen. The list renders the state it is given and posts ``Clicked`` up; the screen moves
the cursor.
"""

from __future__ import annotations

from bisect import bisect_right

from rich.segment import Segment as RichSegment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from posteditor.tui.layout import Line, mark, segment_lines
from posteditor.tui.review.state import Cursor, ReviewState

ROLES = (
    "text", "markup", "removed", "inserted", "low-removed", "low-inserted", "accepted",
    "accepted-removed", "rejected", "rejected-inserted", "manual-removed", "manual-inserted",
    "doubt", "mark-waiting", "mark-pending", "mark-check", "mark-done", "mark-manual", "number", "cursor", "focus",
)


class SegmentList(ScrollView, can_focus=True, inherit_bindings=False):
    """Every segment of the document, its edits shown inline as a word diff."""

    COMPONENT_CLASSES = {f"segment-list--{role}" for role in ROLES}

    DEFAULT_CSS = """
    SegmentList {
        background: $surface;
        scrollbar-gutter: stable;
        & > .segment-list--text { }
        & > .segment-list--markup { color: $text-muted; }
        & > .segment-list--number { color: $text-muted; }
        & > .segment-list--removed { color: $text-error; text-style: strike; }
        & > .segment-list--inserted { color: $text-success; background: $success-muted; text-style: bold; }
        & > .segment-list--low-removed { color: $text-error 60%; text-style: strike italic; }
        & > .segment-list--low-inserted { color: $text-success 60%; text-style: italic; }
        & > .segment-list--accepted { color: $text-success; text-style: underline; }
        & > .segment-list--accepted-removed { color: $text-muted; text-style: strike; }
        & > .segment-list--rejected { text-style: underline; }
        & > .segment-list--rejected-inserted { color: $text-muted; text-style: strike; }
        & > .segment-list--manual-removed { color: $text-warning; text-style: strike; }
        & > .segment-list--manual-inserted { color: $text-warning; text-style: bold; }
        & > .segment-list--doubt { color: $text-warning; text-style: underline; }
        & > .segment-list--mark-waiting { color: $text-muted; }
        & > .segment-list--mark-pending { color: $text-warning; }
        & > .segment-list--mark-check { color: $text-warning; }
        & > .segment-list--mark-done { color: $text-success; }
        & > .segment-list--mark-manual { color: $text-accent; }
        & > .segment-list--cursor { background: $boost; }
        & > .segment-list--focus { text-style: bold reverse; }
    }
    SegmentList:focus > .segment-list--cursor { background: $primary 15%; }
    """

    class Clicked(Message):
        """The user clicked segment ``seg`` (on edit ``edit`` of it, when on one)."""

        def __init__(self, seg: int, edit: int | None) -> None:
            super().__init__()
            self.seg, self.edit = seg, edit

    def __init__(self, state: ReviewState, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = state
        self.cursor = Cursor(0)
        self._lines: dict[int, list[Line]] = {}
        self._generation: dict[int, int] = {}  # bumped when a segment's lines change
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        self._heights: list[int] = []
        self._offsets: list[int] = [0]
        self._width = 0
        self._styles: dict[tuple[str, bool, bool], Style] = {}

    # --- what the screen calls -------------------------------------------------------------

    def move_cursor(self, cursor: Cursor, center: bool = False) -> None:
        """Put the cursor on ``cursor``, redraw the two rows and bring it into view."""
        old, self.cursor = self.cursor, cursor
        self._refresh_rows({old.seg, cursor.seg})
        self.scroll_to_segment(cursor.seg, center=center)

    def refresh_segments(self, indices: set[int] | None = None) -> None:
        """The state of these segments (or of all) changed: re-wrap them and redraw."""
        if not self._width:  # not laid out yet: the first resize does it all
            return
        if indices is None:
            self._lines.clear()
            self._strips.clear()
            self._layout()
        else:
            for i in indices:
                self._lines.pop(i, None)
                self._generation[i] = self._generation.get(i, 0) + 1
            if len(self._heights) != len(self.state) or any(self._height(i) != self._heights[i] for i in indices):
                self._layout()
                indices = None  # rows below moved
        self._refresh_rows(indices)

    def scroll_to_segment(self, seg: int, center: bool = False) -> None:
        if not self._width:
            return
        top, height = self._offsets[seg], self._heights[seg]
        edit_line = self._edit_line(seg)
        if edit_line is not None and height > self.scrollable_content_region.height:
            top, height = top + edit_line, 1
        self.scroll_to_region(Region(0, top, 1, height), animate=False, center=center, immediate=True)

    def segment_at(self, y: int) -> int:
        """The segment on virtual line ``y``."""
        return max(0, min(len(self.state) - 1, bisect_right(self._offsets, y) - 1))

    def page(self, seg: int, direction: int) -> int:
        """The segment one screen below (or above) ``seg``."""
        y = self._offsets[seg] + direction * max(1, self.scrollable_content_region.height - 1)
        return self.segment_at(max(0, y))

    # --- layout ----------------------------------------------------------------------------

    @property
    def gutter_width(self) -> int:
        return len(str(len(self.state))) + 3

    def _height(self, i: int) -> int:
        return len(self._get_lines(i))

    def _get_lines(self, i: int) -> list[Line]:
        if i not in self._lines:
            self._lines[i] = segment_lines(self.state, i, self._width - self.gutter_width)
        return self._lines[i]

    def _layout(self) -> None:
        self._heights = [self._height(i) for i in range(len(self.state))]
        offsets = [0]
        for h in self._heights:
            offsets.append(offsets[-1] + h)
        self._offsets = offsets
        self.virtual_size = Size(self._width, offsets[-1])

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width != self._width and width > 0:
            self._width = width
            self.refresh_segments()
            self.scroll_to_segment(self.cursor.seg)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def _edit_line(self, seg: int) -> int | None:
        k = self.state.find(seg, self.cursor.key) if seg == self.cursor.seg else None
        if k is None:
            return None
        for n, line in enumerate(self._get_lines(seg)):
            if any(edit == k for _, _, edit in line):
                return n
        return None

    def _refresh_rows(self, indices: set[int] | None) -> None:
        if indices is None or not self._heights:
            self.refresh()
            return
        for i in indices:
            if 0 <= i < len(self._heights):
                self.refresh(Region(0, self._offsets[i] - int(self.scroll_y), self.size.width, self._heights[i]))

    # --- rendering -------------------------------------------------------------------------

    def _style(self, role: str, cursor: bool, focus: bool) -> Style:
        key = (role, cursor, focus)
        if key not in self._styles:
            style = self.rich_style
            if cursor:
                style += self.get_component_rich_style("segment-list--cursor", partial=True)
            style += self.get_component_rich_style(f"segment-list--{role}", partial=True)
            if focus:
                style += self.get_component_rich_style("segment-list--focus", partial=True)
            self._styles[key] = style
        return self._styles[key]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        v = scroll_y + y
        if not self._heights or v >= self._offsets[-1]:
            return Strip.blank(width, self.rich_style)
        seg = self.segment_at(v)
        row = v - self._offsets[seg]
        on_cursor = seg == self.cursor.seg
        focus = self.state.find(seg, self.cursor.key) if on_cursor else None
        key = (seg, self._generation.get(seg, 0), row, on_cursor, focus, width, scroll_x)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._render_row(seg, row, on_cursor, focus, width, scroll_x)
        return strip

    def _render_row(self, seg: int, row: int, on_cursor: bool, focus: int | None, width: int, scroll_x: int) -> Strip:
        lines = self._get_lines(seg)
        line = lines[row]
        first = row == (1 if len(lines) > 1 and not lines[0] else 0)
        paint = on_cursor and (bool(line) or row > 0)
        gutter = self._gutter(seg, first, paint)
        body = [RichSegment(text, self._style(role, paint, edit is not None and edit == focus))
                for text, role, edit in line]
        strip = Strip(gutter + body).extend_cell_length(width, self._style("text", paint, False))
        return strip.crop(scroll_x, scroll_x + width)

    def _gutter(self, seg: int, first: bool, paint: bool) -> list[RichSegment]:
        width = self.gutter_width - 3
        if not first:
            return [RichSegment(" " * (width + 3), self._style("number", paint, False))]
        sign, role = mark(self.state, seg)
        return [
            RichSegment(f"{seg + 1:>{width}} ", self._style("number", paint, False)),
            RichSegment(sign, self._style(role, paint, False)),
            RichSegment(" ", self._style("text", paint, False)),
        ]

    def on_click(self, event) -> None:
        v = int(self.scroll_y) + event.y
        if not self._heights or v >= self._offsets[-1]:
            return
        seg = self.segment_at(v)
        line = self._get_lines(seg)[v - self._offsets[seg]]
        x, edit = event.x - self.gutter_width + int(self.scroll_x), None
        for text, _, k in line:
            if 0 <= x < len(text):
                edit = k
                break
            x -= len(text)
        self.post_message(self.Clicked(seg, edit))
