"""Modal screens: the key help, a question with keyed answers, and the hand-edit box."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea
from textual.widgets.text_area import Selection


class HelpScreen(ModalScreen[None]):
    """Every key of the editor with what it does and the id to remap it with."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", tooltip="Close this help", id="help.close"),
        Binding("down,j", "scroll(1)", show=False),
        Binding("up,k", "scroll(-1)", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen .title { text-style: bold; color: $text-primary; }
    HelpScreen .hint { color: $text-muted; }
    """

    def __init__(self, rows: list[tuple[str, str, str]], keymap_path: str) -> None:
        super().__init__()
        self.rows, self.keymap_path = rows, keymap_path

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 2), show_header=True, header_style="bold")
        table.add_column("Keys", style="bold", no_wrap=True)
        table.add_column("Action")
        table.add_column("Id (to remap)", style="dim", no_wrap=True)
        for keys, description, binding_id in self.rows:
            table.add_row(keys, description, binding_id)
        with VerticalScroll():
            yield Label("posteditor review: keys", classes="title")
            yield Static(table)
            yield Static(
                Text(f"Remap keys in {self.keymap_path}, one line per id, e.g.\n"
                     '    accept = "y"\n    reject = ["n", "x"]\nEsc closes this help.'),
                classes="hint",
            )

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)


class Choice(ModalScreen[str]):
    """A question with a few answers, each on a key; dismissed with the answer's value."""

    DEFAULT_CSS = """
    Choice { align: center middle; }
    Choice > Vertical {
        width: 80; max-width: 95%; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    Choice Horizontal { height: auto; margin-top: 1; }
    Choice Button { margin-right: 1; }
    """

    def __init__(self, question: str, answers: list[tuple[str, str, str]]) -> None:
        """``answers``: (key, label, value); Esc always dismisses with "cancel"."""
        super().__init__()
        self.question, self.answers = question, answers

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            with Horizontal():
                for key, label, value in self.answers:
                    variant = "default" if value == "cancel" else "primary"
                    yield Button(Text(f"{label} ({key})"), id=f"answer-{value}", variant=variant)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id.removeprefix("answer-"))

    def on_key(self, event) -> None:
        keys = {key: value for key, _, value in self.answers} | {"escape": "cancel"}
        if event.key in keys:
            event.stop()
            self.dismiss(keys[event.key])


def _location(text: str, offset: int) -> tuple[int, int]:
    """Character ``offset`` of ``text`` as a TextArea location (row, column)."""
    before = text[:offset]
    return before.count("\n"), len(before) - (before.rfind("\n") + 1)


class HandEdit(ModalScreen["str | None"]):
    """Rewrite a segment by hand: Enter keeps the text, Esc leaves the segment as it was."""

    BINDINGS = [
        Binding("enter,ctrl+s", "keep", "Keep", tooltip="Hand edit: keep the text", priority=True, id="hand_edit.keep"),
        Binding("escape", "cancel", "Cancel", tooltip="Hand edit: leave the segment as it was", priority=True,
                id="hand_edit.cancel"),
    ]

    DEFAULT_CSS = """
    HandEdit { align: center middle; }
    HandEdit > Vertical {
        width: 90%; max-width: 120; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    HandEdit .mt { color: $text-muted; margin-bottom: 1; }
    HandEdit TextArea { height: auto; min-height: 3; max-height: 12; }
    HandEdit .hint { color: $text-muted; }
    """

    def __init__(self, number: int, mt: str, text: str, select: tuple[int, int] | None = None) -> None:
        """``select``: characters of ``text`` to start with selected (a word to check: typing replaces it)."""
        super().__init__()
        self.number, self.mt, self.text, self.select = number, mt, text, select

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Edit segment {self.number} by hand")
            yield Static(Text("MT: " + " ".join(self.mt.split())), classes="mt")
            yield TextArea(self.text, soft_wrap=True, show_line_numbers=False, tab_behavior="focus", id="hand-text")
            keep, cancel = self._keys("hand_edit.keep"), self._keys("hand_edit.cancel")
            yield Label(f"{keep}: keep  ·  {cancel}: cancel", classes="hint")

    def _keys(self, binding_id: str) -> str:
        return " or ".join(self.app.key_names(binding_id))

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        if self.select is None:
            area.move_cursor(area.document.end)
        else:
            area.selection = Selection(*(_location(self.text, k) for k in self.select))

    def action_keep(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
