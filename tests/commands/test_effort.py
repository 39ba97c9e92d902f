"""`posteditor report`: effort from the journal, the timing file and the corrections log."""

from __future__ import annotations

import json

import pytest

from posteditor import cli
from posteditor.commands import report as effort
from posteditor.tui.review import timing
from posteditor.core.edits import Decision
from posteditor.suggest.base import Item
from posteditor.tui.review.session import Session
from posteditor.tui.review.state import Cursor
from tui_fakes import ARTICLE, TableSuggester


@pytest.fixture
def reviewed(tmp_path, monkeypatch):
    """ARTICLE reviewed: one accept, one reject, one hand edit, one confirm; saved."""
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(tmp_path / "corrections.jsonl"))
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    clock = iter(float(t) for t in range(1000, 100000, 30))
    monkeypatch.setattr(timing, "now", lambda: next(clock))
    session = Session(str(path))
    state = session.state
    state.set_suggestions(list(enumerate(TableSuggester().suggest([Item(t) for t in state.texts]))))
    c = state.step(Cursor(0), pending=True)
    state.decide(c, Decision.ACCEPTED)
    c = state.step(c, pending=True)
    state.decide(c, Decision.REJECTED)
    state.hand_edit(Cursor(2), "Many people fled to the Turkish border.")
    state.confirm(Cursor(4))
    session.save()
    session.close()
    return path


def test_effort_from_the_journal(reviewed):
    e = effort.load(str(reviewed))
    assert len(e.segments) == 5
    by = {s.index: s for s in e.segments}
    assert (by[0].accepted, by[0].status, by[0].final) == (1, "edited", ARTICLE.splitlines()[0].replace("world", "region"))
    assert (by[1].rejected, by[1].status, by[1].hter) == (1, "reviewed", 0.0)
    assert by[2].hand_edited and by[2].status == "hand-edited" and by[2].hter > 0
    assert by[4].rejected == 1  # confirming rejected its pending edit
    assert by[0].hter == pytest.approx(100 / 8)  # one word of eight changed
    assert all(s.seconds == 30.0 for s in e.segments if s.index in (0, 1, 2, 4))
    assert e.seconds == 120.0
    assert 0 < e.hter < 100


def test_timing_caps_idle_pauses_and_shares_events(tmp_path):
    f = tmp_path / ".doc.posteditor-times"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"t": 0, "open": True}, {"t": 10, "i": [0]}, {"t": 10000, "i": [1]}, {"t": 10020, "i": [2, 3]},
        "garbage", {"t": 10030, "i": [99]}]), encoding="utf-8")
    assert timing.read(f, 4) == {0: 10.0, 1: timing.IDLE, 2: 10.0, 3: 10.0}


def test_report_command_table_and_html(reviewed, tmp_path, capsys):
    page = tmp_path / "effort.html"
    assert cli.main(["report", str(reviewed), "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "Post-editing effort" in out and "hand-edited" in out
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<script" not in html
    assert "Turkish border" in html and html.count("<rect") >= 5


def test_report_falls_back_to_the_corrections_log(reviewed, tmp_path, capsys):
    from posteditor.tui.review.journal import journal_path

    journal_path(reviewed).unlink()
    e = effort.load(str(reviewed), str(tmp_path / "corrections.jsonl"))
    # the segments whose text changed, and those where a proposal was turned down (1, and 4 on confirming)
    by = {s.index: s for s in e.segments}
    assert set(by) == {0, 1, 2, 4}
    assert by[2].hand_edited and (by[1].rejected, by[1].hter) == (1, 0.0) and by[4].rejected == 1


def test_report_without_journal_or_log_is_an_error(tmp_path, capsys):
    doc = tmp_path / "x.txt"
    doc.write_text("Text.\n", encoding="utf-8")
    assert cli.main(["report", str(doc), "--log", str(tmp_path / "none.jsonl")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
