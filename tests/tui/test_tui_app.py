"""The editor driven through Textual's pilot with a fake suggester."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from textual.widgets import TextArea

from posteditor import cli
from posteditor.core.edits import Decision
from posteditor.tui.review.journal import journal_path
from posteditor.tui.app import ReviewApp, load_keymap, suggester_factory
from posteditor.tui.dialogs import Choice, HandEdit, HelpScreen
from posteditor.tui.screen import ReviewScreen
from posteditor.tui.review.session import Session
from posteditor.tui.review.state import Cursor
from tui_fakes import ARTICLE, TableSuggester, broken_factory, factory, settled

pytestmark = pytest.mark.anyio  # async tests run on anyio's pytest plugin (asyncio backend)

A, R, P = Decision.ACCEPTED, Decision.REJECTED, Decision.PENDING
EXPECTED_ALL = ARTICLE.replace("world", "region").replace("informations", "information")


def make_app(path: Path, suggester=None, **kwargs) -> ReviewApp:
    fac = kwargs.pop("factory", None) or factory(suggester or TableSuggester())
    return ReviewApp(Session(str(path)), fac, **kwargs)


async def ready(app: ReviewApp, pilot) -> ReviewScreen:
    """Wait until the suggester has analysed everything and the results are shown."""
    await settled(pilot)
    return app.review



async def test_first_edit_is_focused_and_shown(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        assert screen.cursor == Cursor(0, (4, 5, ("region",)))
        assert screen.progress.status == "done" and screen.state.total.pending == 4
        assert "world → region" in str(screen.query_one("#detail").render())


async def test_the_source_language_goes_with_every_segment_and_is_shown(article):
    suggester = TableSuggester()
    app = ReviewApp(Session(str(article), language="ro"), factory(suggester))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        assert screen.query_one("#status").plain.startswith("article.txt · from ro")
        assert {item.language for call in suggester.calls for item in call} == {"ro"}


async def test_words_to_check_are_listed_for_the_focused_segment(article):
    app = make_app(article, TableSuggester(doubted={"border": 0.05, "scarce": 0.1}))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        assert "2 to check" in screen.query_one("#status").plain
        await pilot.press("home", "down", "down")
        detail = str(screen.query_one("#detail").render())
        assert "Check   border  the model doubts this word, with nothing sure to propose (e edits, y confirms)" in detail
        await pilot.press("w")  # the next segment with a word to check, wrapping round
        assert screen.cursor.seg == 3
        await pilot.press("w")
        assert screen.cursor.seg == 2
        await pilot.press("W")  # back, wrapping round
        assert screen.cursor.seg == 3
        await pilot.press("W")
        assert screen.cursor.seg == 2
        await pilot.press("e")  # the hand edit starts with the word to check selected: typing replaces it
        assert app.screen.query_one(TextArea).selected_text == "border"
        await pilot.press("escape")
        await pilot.press("y")  # confirmed as it reads: nothing left to check there
        assert "1 to check" in screen.query_one("#status").plain
        assert screen.cursor.seg == 3 and "Check   scarce  " in str(screen.query_one("#detail").render())


async def test_accept_reject_and_navigation(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("a")  # accept, cursor moves on to the next pending edit
        assert screen.state.segment(0).decisions == (A,) and screen.cursor.seg == 1
        await pilot.press("r")
        assert screen.state.segment(1).decisions == (R,) and screen.cursor.seg == 3
        await pilot.press("N")  # no pending edit before this one: wraps round to the last
        assert screen.cursor.seg == 4
        await pilot.press("left", "left")  # previous edits, decided or not
        assert screen.cursor.seg == 1
        await pilot.press("a")  # change a decision
        assert screen.state.segment(1).decisions == (A,)
        await pilot.press("home", "down", "down")
        assert screen.cursor == Cursor(2, None)  # the hidden low-confidence edit is not focused
        await pilot.press("end")
        assert screen.cursor.seg == 4


async def test_undo_redo_many_levels(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("a", "a", "a", "a")
        assert screen.state.total.accepted == 4
        await pilot.press("u", "u", "ctrl+z")
        assert screen.state.total.accepted == 1 and screen.cursor.seg == 1
        await pilot.press("U", "ctrl+y")
        assert screen.state.total.accepted == 3
        await pilot.press("u", "u", "u", "u", "u")
        assert screen.state.total.accepted == 0 and not screen.state.dirty


async def test_accept_and_reject_whole_segment(article):
    table = {"war": ("conflict", 0.95), "world": ("region", 0.9), "millions": ("many", 0.6)}
    app = make_app(article, TableSuggester(table))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("A")
        assert screen.state.final(0) == "The conflict in the region has displaced many."
        assert screen.cursor.seg == 1
        await pilot.press("R")
        assert screen.state.segment(1).decisions == (R,)
        await pilot.press("u")
        assert screen.state.segment(1).decisions == (P,)


async def test_low_confidence_edits_toggle(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        assert screen.state.total.pending == 4
        await pilot.press("c")
        assert screen.state.total.pending == 5
        await pilot.press("home", "down", "down")
        assert screen.cursor == Cursor(2, (1, 2, ("people",)))
        await pilot.press("c")
        assert screen.cursor == Cursor(2, None)


async def test_hand_edit(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("a", "home", "e")
        assert isinstance(app.screen, HandEdit)
        area = app.screen.query_one(TextArea)
        assert area.text == "The war in the region has displaced millions."
        area.load_text("The war in the region has uprooted millions.")
        await pilot.press("enter")
        assert app.screen is screen
        assert screen.state.final(0) == "The war in the region has uprooted millions."
        assert screen.state.segment(0).decisions == (A,)  # the accepted edit is still in the text
        await pilot.press("e", "escape")  # cancel leaves it alone
        assert screen.state.work(0).manual == "The war in the region has uprooted millions."
        await pilot.press("u")
        assert screen.state.work(0).manual is None


async def test_propagate_after_accept(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("a")
        assert "2 more places" in screen.message and screen.offer is not None
        await pilot.press("p")
        assert [screen.state.final(i) == screen.state.texts[i] for i in range(5)] == [False, False, True, True, False]
        await pilot.press("u")  # one step undoes the whole propagation
        assert screen.state.total.accepted == 1


async def test_save_writes_byte_exact_file(article, tmp_path):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("a", "p", "a", "ctrl+s")
        assert not screen.state.dirty
        assert "Saved article.txt: 4 segments changed, 4 logged to learn from, original kept as article.txt~" in [
            n.message for n in app._notifications]
    assert article.read_text(encoding="utf-8") == EXPECTED_ALL
    assert (tmp_path / "article.txt~").read_text(encoding="utf-8") == ARTICLE
    assert len((tmp_path / "corrections.jsonl").read_text(encoding="utf-8").splitlines()) == 4


async def test_quit_asks_when_there_is_unsaved_work(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("a", "q")
        assert isinstance(app.screen, Choice)
        await pilot.press("escape")  # cancel
        assert isinstance(app.screen, ReviewScreen) and app.is_running
        await pilot.press("ctrl+q", "d")  # quit without saving
        await pilot.pause()
        assert not app.is_running
    assert article.read_text(encoding="utf-8") == ARTICLE
    reopened = Session(str(article))
    assert reopened.state.total.accepted == 0 and reopened.restored.analysed == 5  # suggestions kept
    reopened.close()


async def test_quit_saving(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("a", "q", "s")
        await pilot.pause()
        assert not app.is_running
    assert article.read_text(encoding="utf-8") == ARTICLE.replace("the world has", "the region has")


async def test_quit_without_work_does_not_ask(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_reopen_after_crash_restores_everything_without_a_model(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("a", "r", "end", "e")
        app.screen.query_one(TextArea).load_text("Officials in the capital met on Monday.")
        await pilot.press("enter")
        before = [screen.state.final(i) for i in range(5)]
        # the process dies here: no save, no quit; only the journal is left
    assert journal_path(article).exists() and article.read_text(encoding="utf-8") == ARTICLE
    app2 = make_app(article, factory=broken_factory())
    async with app2.run_test(size=(100, 30)) as pilot:
        screen = await ready(app2, pilot)
        assert [screen.state.final(i) for i in range(5)] == before
        assert screen.state.total.rejected == 1 and screen.state.total.manual == 1
        assert screen.state.dirty and screen.progress.status == "done"  # no model was needed
        await pilot.press("ctrl+s")
    assert article.read_text(encoding="utf-8") == "".join(before[0:1]) + ARTICLE[44:].replace(
        "Officials in the world capital", "Officials in the capital")


async def test_missing_model_leaves_the_editor_usable(article):
    app = make_app(article, factory=broken_factory("models/default: not a posteditor model"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        assert screen.progress.status == "failed"
        assert "no model" in screen.query_one("#status").plain
        await pilot.press("e")
        app.screen.query_one(TextArea).load_text("The war has displaced millions.")
        await pilot.press("enter", "ctrl+s")
    assert article.read_text(encoding="utf-8").startswith("The war has displaced millions.\n")


async def test_screen_is_usable_while_the_model_is_busy(article):
    gate = threading.Event()
    app = make_app(article, TableSuggester(gate=gate))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.review
        await pilot.pause()
        assert screen.progress.status in ("loading", "running") and screen.state.analysed_count == 0
        await pilot.press("end", "e")
        app.screen.query_one(TextArea).load_text("Officials met on Monday.")
        await pilot.press("enter")
        assert screen.state.final(4) == "Officials met on Monday."
        gate.set()
        await ready(app, pilot)
        assert screen.state.analysed_count == 5
        assert screen.state.segment(4).decisions == (R,)  # judged against the hand edit


async def test_quitting_does_not_wait_for_the_model(article):
    gate = threading.Event()  # never set: the model is stuck in a batch
    app = make_app(article, TableSuggester(gate=gate))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        started = time.monotonic()
        await pilot.press("q")
        await pilot.pause()
    assert time.monotonic() - started < 5  # the suggester would hold it for 10 s
    gate.set()


async def test_segments_near_the_cursor_are_analysed_first(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(tmp_path / "c.jsonl"))
    path = tmp_path / "long.txt"
    path.write_text("".join(f"Sentence {i} of the world.\n\n" for i in range(60)), encoding="utf-8")
    gate = threading.Event()
    suggester = TableSuggester()

    def slow_load():
        gate.wait(10)  # the model takes its time to load
        return suggester

    app = make_app(path, factory=slow_load)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("end")  # the editor jumps to the end meanwhile
        gate.set()
        screen = await ready(app, pilot)
        assert [item.text for item in suggester.calls[0]] == ["Sentence 59 of the world."]
        assert [item.text for item in suggester.calls[1]] == ["Sentence 58 of the world.", "Sentence 57 of the world."]
        assert screen.state.analysed_count == 60


class StartedFactory:
    """A factory like ``worker.ModelProcess``: started by the app at once, closed on exit."""

    def __init__(self):
        self.calls = []

    def start(self):
        self.calls.append("start")

    def __call__(self):
        self.calls.append("load")
        return TableSuggester()

    def close(self):
        self.calls.append("close")


async def test_the_model_starts_loading_with_the_app_and_stops_with_it(article):
    fac = StartedFactory()
    app = make_app(article, factory=fac)
    assert fac.calls == ["start"]  # before the screen is even composed
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert fac.calls == ["start", "load"]
        await pilot.press("q")
    assert fac.calls == ["start", "load", "close"]


async def test_a_missing_model_in_the_child_process_is_reported(article, tmp_path):
    app = make_app(article, factory=suggester_factory(str(tmp_path / "nowhere"), use_memory=False))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        assert screen.progress.status == "failed"
        assert "no model" in screen.query_one("#status").plain
        shown = [n.message for n in app._notifications]
        assert shown == [f"No suggestions: {tmp_path / 'nowhere'}: no model there; train one with "
                         "'posteditor train' or give --model DIR"]
    assert app.factory.proc.poll() is not None  # the child is gone


async def test_keymap_remaps_keys(article):
    app = make_app(article, keymap={"accept": "y", "reject": "x,n"})
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("a")
        assert screen.state.total.accepted == 0
        await pilot.press("y", "n")
        assert screen.state.total.accepted == 1 and screen.state.total.rejected == 1
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("y", "Accept", "accept") in app.screen.rows


async def test_help_lists_every_binding(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("question_mark")
        ids = {row[2] for row in app.screen.rows}
        assert ids == {b.id for b in ReviewScreen.BINDINGS} | {"hand_edit.keep", "hand_edit.cancel", "help.close"}
        await pilot.press("escape")
        assert isinstance(app.screen, ReviewScreen)


async def test_save_when_the_file_changed_on_disk_asks_first(article):
    app = make_app(article)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        article.write_text(ARTICLE + "Added elsewhere.\n", encoding="utf-8")
        await pilot.press("a", "ctrl+s")
        assert isinstance(app.screen, Choice)
        await pilot.press("o")
        await pilot.pause()
    assert article.read_text(encoding="utf-8").startswith("The war in the region")


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.parametrize(
    "content, keymap, warned",
    [
        ('accept = "y"\nreject = ["n", "x"]\n', {"accept": "y", "reject": "n,x"}, False),
        ('[keys]\nsave = "ctrl+w"\n', {"save": "ctrl+w"}, False),
        ('accept = "y"\nfly = "f"\n', {"accept": "y"}, True),
        ("accept = [unclosed\n", {}, True),
    ],
)
def test_load_keymap(tmp_path, content, keymap, warned):
    path = tmp_path / "keys.toml"
    path.write_text(content, encoding="utf-8")
    got, warning = load_keymap(path)
    assert got == keymap and bool(warning) == warned


@pytest.mark.parametrize("content", [None, b"\x00\x01\x02", b"\xff\xfe bad"])
def test_cli_reports_unreadable_files(tmp_path, capsys, content):
    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    assert cli.main(["review", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("posteditor: ") and "Traceback" not in err


async def test_says_when_the_threshold_hides_suggestions(article):
    app = make_app(article)  # "peoples" -> "people" at 0.3, under the model's 0.5
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        assert screen.state.hidden_count() == 1
        shown = [n.message for n in app._notifications]
        assert any("1 suggestion below the confidence threshold (0.50) hidden: c shows them" in m for m in shown)
        assert "≥0.50 · 1 below" in screen.query_one("#status").plain  # after the toast fades too
        await pilot.press("c")
        assert screen.state.hidden_count() == 0
        assert screen.query_one("#status").plain.endswith("│  all shown")
        assert not any("below the confidence threshold" in n.message for n in app._notifications)
        await pilot.press("c", "q")

    reopened = make_app(article, factory=broken_factory())  # everything comes from the journal
    async with reopened.run_test(size=(100, 30)) as pilot:
        await ready(reopened, pilot)
        assert any("1 suggestion below" in n.message for n in reopened._notifications)


async def test_no_hint_when_nothing_is_hidden(article):
    app = make_app(article, TableSuggester({"world": ("region", 0.9)}))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        assert screen.state.hidden_count() == 0
        assert not any("hidden" in n.message for n in app._notifications)
        assert screen.query_one("#status").plain.endswith("│  ≥0.50")
