"""CAT-style segment status, confirm-and-next, and moves between segments with pending edits."""

from __future__ import annotations

from posteditor.core.reader import parse
from posteditor.core.edits import Decision
from posteditor.suggest.base import Item
from posteditor.tui import confirm
from posteditor.tui.review.state import Cursor, ReviewState
from tui_fakes import ARTICLE, TableSuggester


def state() -> ReviewState:
    s = ReviewState(parse(ARTICLE, "txt"), None, 0.5)
    s.set_suggestions(list(enumerate(TableSuggester().suggest([Item(t) for t in s.texts]))))
    return s


def test_status_follows_the_work():
    s = state()
    assert [confirm.status(s, i) for i in range(len(s))] == ["unconfirmed"] * 5
    s.decide(s.enter(0), Decision.ACCEPTED)
    assert confirm.status(s, 0) == "edited"
    s.decide(s.enter(1), Decision.REJECTED)
    assert confirm.status(s, 1) == "confirmed"


def test_confirm_rejects_pending_edits_and_is_undoable():
    s = state()
    assert s.confirm(Cursor(4)) == {4}
    assert confirm.status(s, 4) == "confirmed" and s.final(4) == s.texts[4]
    assert s.segment(4).decisions == (Decision.REJECTED,)
    s.undo()
    assert confirm.status(s, 4) == "unconfirmed"


def test_confirming_a_segment_without_edits_marks_it():
    s = state()
    assert not s.visible(2)  # "peoples" is below the threshold
    s.confirm(Cursor(2))
    assert confirm.status(s, 2) == "confirmed"


def test_next_unconfirmed_wraps_and_next_with_pending_skips():
    s = state()
    s.confirm(Cursor(1))
    assert confirm.next_unconfirmed(s, 0) == 2
    assert confirm.next_unconfirmed(s, 4) == 0
    assert confirm.next_with_pending(s, 0) == 3
    assert confirm.next_with_pending(s, 4, forward=False) == 3
    assert confirm.next_with_pending(s, 1, forward=False) == 0
    for i in range(len(s)):
        s.confirm(Cursor(i))
    assert confirm.next_unconfirmed(s, 0) is None and confirm.next_with_pending(s, 0) is None


def test_confirmation_survives_the_journal(tmp_path, monkeypatch):
    from posteditor.tui.review.session import Session

    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(tmp_path / "c.jsonl"))
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    session = Session(str(path))
    session.state.confirm(Cursor(2))
    session.journal.close()  # a crash
    again = Session(str(path))
    assert again.state.work(2).confirmed
    again.close()
