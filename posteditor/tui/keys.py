"""The editor's keys: every binding with an id, so users can remap it (see ``?``)."""

from __future__ import annotations

from textual.binding import Binding

BINDINGS = [
    Binding("n", "next_pending", "Next edit", tooltip="Next pending edit (wraps round)", id="next_pending"),
    Binding("N", "prev_pending", "Previous pending", tooltip="Previous pending edit", show=False,
            id="prev_pending"),
    Binding("right,l", "next_edit", "Next edit", tooltip="Next edit, decided or not", show=False,
            id="next_edit"),
    Binding("left,h", "prev_edit", "Previous edit", show=False, id="prev_edit"),
    Binding("down,j", "next_segment", "Next segment", show=False, id="next_segment"),
    Binding("up,k", "prev_segment", "Previous segment", show=False, id="prev_segment"),
    Binding("pagedown", "page(1)", "Page down", show=False, id="page_down"),
    Binding("pageup", "page(-1)", "Page up", show=False, id="page_up"),
    Binding("home,g", "first", "First segment", show=False, id="first"),
    Binding("end,G", "last", "Last segment", show=False, id="last"),
    Binding("a", "accept", "Accept", id="accept"),
    Binding("r", "reject", "Reject", id="reject"),
    Binding("A", "accept_segment", "Accept segment", tooltip="Accept every pending edit of the segment",
            show=False, id="accept_segment"),
    Binding("R", "reject_segment", "Reject segment", tooltip="Reject every pending edit of the segment",
            show=False, id="reject_segment"),
    Binding("p", "propagate", "Same fix everywhere",
            tooltip="Apply the fix just accepted wherever the same words occur", id="propagate"),
    Binding("ctrl+enter,y", "confirm", "Confirm", tooltip="Confirm the segment as it reads (pending edits "
            "rejected) and go to the next unconfirmed one", id="confirm"),
    Binding("right_square_bracket", "next_pending_segment", "Next pending segment",
            tooltip="Next segment with a pending suggestion", show=False, id="next_pending_segment"),
    Binding("left_square_bracket", "prev_pending_segment", "Previous pending segment",
            tooltip="Previous segment with a pending suggestion", show=False, id="prev_pending_segment"),
    Binding("w", "next_check", "Next word to check", tooltip="Next segment with a word to check (one the "
            "model doubts; wraps round)", show=False, id="next_check"),
    Binding("W", "prev_check", "Previous word to check", tooltip="Previous segment with a word to check",
            show=False, id="prev_check"),
    Binding("e,enter", "hand_edit", "Edit", tooltip="Rewrite the segment by hand", id="hand_edit"),
    Binding("u,ctrl+z", "undo", "Undo", tooltip="Undo (many levels)", id="undo"),
    Binding("U,ctrl+y", "redo", "Redo", show=False, id="redo"),
    Binding("c", "toggle_low", "Low confidence", tooltip="Show or hide edits below the confidence threshold",
            id="toggle_low"),
    Binding("ctrl+s,s", "save", "Save", tooltip="Save the document (the original is kept as FILE~)", id="save"),
    Binding("q", "request_quit", "Quit", tooltip="Quit (asks first when there is unsaved work)", id="quit"),
    Binding("question_mark,f1", "help", "Help", tooltip="This list of keys", id="help"),
]
