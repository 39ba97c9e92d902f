"""SVG snapshots of the editor (pytest-textual-snapshot); refresh with ``--snapshot-update``.

Fixed terminal size, a fake suggester and a fixed file name keep them stable.
"""

from __future__ import annotations

import pytest

from posteditor.tui.app import ReviewApp
from posteditor.tui.review.session import Session
from tui_fakes import ARTICLE, TableSuggester, factory, settled

SIZE = (100, 30)

MARKDOWN = """# Idlib under fire

The war in the world has displaced millions. Aid workers say the world must act now.

- Many peoples fled to the border.
- The informations are `scarce`, says the [world](https://example.org/world) report.
"""


@pytest.fixture
def app_for(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(tmp_path / "corrections.jsonl"))
    monkeypatch.setenv("XDG_CONFIG_HOME", "/home/editor/.config")
    sessions = []

    def make(text: str = ARTICLE, name: str = "article.txt") -> ReviewApp:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        sessions.append(Session(str(path)))
        return ReviewApp(sessions[-1], factory(TableSuggester(doubted={"border": 0.05})))

    yield make
    for s in sessions:
        s.close()


async def analysed(pilot) -> None:
    await settled(pilot)


def test_main_screen(snap_compare, app_for):
    assert snap_compare(app_for(), terminal_size=SIZE, run_before=analysed)


def test_after_accepting_an_edit(snap_compare, app_for):
    async def accept(pilot):
        await analysed(pilot)
        await pilot.press("a", "right")

    assert snap_compare(app_for(), terminal_size=SIZE, run_before=accept)


def test_markdown_document(snap_compare, app_for):
    async def show_low(pilot):
        await analysed(pilot)
        await pilot.press("c")

    assert snap_compare(app_for(MARKDOWN, "idlib.md"), terminal_size=SIZE, run_before=show_low)


def test_help_screen(snap_compare, app_for):
    async def help_(pilot):
        await analysed(pilot)
        await pilot.press("question_mark")

    assert snap_compare(app_for(), terminal_size=(100, 40), run_before=help_)


def test_quit_confirmation(snap_compare, app_for):
    async def quit_(pilot):
        await analysed(pilot)
        await pilot.press("a", "q")

    assert snap_compare(app_for(), terminal_size=SIZE, run_before=quit_)
