"""CAT keys in the editor (confirm and go on, segments with pending edits) and the side
panel's glossary terms and QA findings, through Textual's pilot."""

from __future__ import annotations

import pytest

from posteditor.core.terms import Term
from posteditor.tui.app import ReviewApp
from posteditor.tui.notes import Notes
from posteditor.tui.review.session import Session
from tui_fakes import TableSuggester, factory, settled

pytestmark = pytest.mark.anyio


async def test_confirm_and_pending_segment_keys(article):
    session = Session(str(article))
    app = ReviewApp(session, factory(TableSuggester()))
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        screen = app.review
        assert screen.cursor.seg == 0
        assert "unconfirmed" in str(screen.query_one("#detail").render())
        await pilot.press("ctrl+enter")
        assert screen.state.work(0).confirmed and screen.cursor.seg == 1
        assert "confirmed" in str(screen.query_one("#detail").render()) or screen.cursor.seg == 1
        await pilot.press("right_square_bracket")
        assert screen.cursor.seg == 3  # segment 2's only edit is below the threshold
        await pilot.press("left_square_bracket")
        assert screen.cursor.seg == 1
        await pilot.press("y")  # the second key of confirm
        assert screen.state.work(1).confirmed and screen.cursor.seg == 2


async def test_side_panel_shows_terms_and_qa(article):
    session = Session(str(article))
    session.notes = Notes([Term("lume", "world", ("planet",), "keep 'world'")])
    app = ReviewApp(session, factory(TableSuggester({})))
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        screen = app.review
        session.state.hand_edit(screen.cursor, "The war in the the world has displaced millions.")
        screen._go(None)
        text = str(screen.query_one("#detail").render())
        assert "lume → world (not planet): keep 'world'" in text
        assert "doubled: 'the the' doubled" in text
