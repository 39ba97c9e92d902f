"""The review screen: composes the layout, maps keys to actions on the review state, and runs
the suggester in a background thread whose results come back as messages."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import get_current_worker

from posteditor.core.edits import Decision, Doubt, Edit
from posteditor.suggest.base import Item
from posteditor.core.textio import InputError
from posteditor.tui import confirm
from posteditor.tui.background import Callbacks, SuggesterFactory, suggest_all
from posteditor.tui.dialogs import Choice, HandEdit
from posteditor.tui.keys import BINDINGS as KEYS
from posteditor.tui.panels import DetailPanel, Progress, StatusBar
from posteditor.tui.segment_list import SegmentList
from posteditor.tui.review.session import FileChanged, Session
from posteditor.tui.review.state import Cursor

class ReviewScreen(Screen):
    """The document, the focused segment in detail, counts, and every review key."""

    BINDINGS = KEYS

    class Suggested(Message):
        """The suggester's edits for some segments, ``[(index, edits), ...]``, and their words
        to check, ``{index: doubts}``."""

        def __init__(self, results: list[tuple[int, list[Edit]]], doubts: dict[int, list[Doubt]]) -> None:
            super().__init__()
            self.results, self.doubts = results, doubts

    class ModelReady(Message):
        """The suggester is loaded (its threshold the session read from the model's record)."""

    class ModelFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, session: Session, factory: SuggesterFactory | None) -> None:
        super().__init__()
        self.session, self.state, self.factory = session, session.state, factory
        self.cursor = self.state.step(Cursor(0), pending=True) or self.state.enter(0)  # work restored?
        self.offer: Cursor | None = None  # an accepted edit that would fit elsewhere too
        self.offer_note = ""
        self.message = ""
        self.touched = False  # whether the editor has moved or decided anything yet
        todo = [i for i in range(len(self.state)) if not self.state.analysed(i)]
        self.progress = Progress(len(self.state) - len(todo), len(self.state), "loading" if todo else "done")
        self._todo = todo

    def compose(self) -> ComposeResult:
        yield SegmentList(self.state, id="segments")
        yield DetailPanel(id="detail")
        yield StatusBar(id="status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.list = self.query_one(SegmentList)
        self.list.cursor = self.cursor
        self.list.focus()
        self._show()
        if self._todo and self.factory is not None:
            # Start once the screen is painted: loading torch can hold the GIL for a moment.
            items = [Item(t, s, self.state.doc.language) for t, s in zip(self.state.texts, self.state.sources)]
            self.call_after_refresh(self.analyse, self.factory, set(self._todo), items)
        elif self._todo:
            self.progress = Progress(self.progress.analysed, self.progress.total, "failed")
        else:  # every suggestion came back from the journal
            self._hint_hidden()
        if self.session.alias:
            self.notify(f"{self.session.alias} is a symlink: editing the file it names, {self.session.path}", timeout=8)
        restored = self.session.restored
        if restored.segments or restored.dropped:
            note = f"Restored your work on {restored.segments} segments from the journal"
            if restored.dropped:
                note += f" ({restored.dropped} records no longer match the file and were set aside)"
            self.notify(note, timeout=6)
        if restored.stale:
            self.notify(f"The model changed since this document was last opened: {restored.stale} segments "
                        "are being suggested again", timeout=6)

    # --- the suggester, in a thread ----------------------------------------------------------

    @work(thread=True, exclusive=True, group="suggest", exit_on_error=False)
    def analyse(self, factory: SuggesterFactory, todo: set[int], items: list[Item]) -> None:
        """Load the suggester and analyse segments, those near the cursor first (a thread)."""
        worker = get_current_worker()
        post = self.post_message  # thread-safe; nothing else of the UI is touched from here
        out = Callbacks(
            ready=lambda: post(self.ModelReady()),
            failed=lambda error: post(self.ModelFailed(error)),
            results=lambda results, doubts: post(self.Suggested(results, doubts)),
        )
        suggest_all(factory, items, todo, lambda: self.cursor.seg, lambda: worker.is_cancelled, out)

    def on_review_screen_model_ready(self, message: ModelReady) -> None:
        self.progress = Progress(self.progress.analysed, self.progress.total, "running")
        self.list.refresh_segments()
        self._show()

    def on_review_screen_model_failed(self, message: ModelFailed) -> None:
        self.progress = Progress(self.progress.analysed, self.progress.total, "failed")
        self.notify(f"No suggestions: {message.error}", severity="error", timeout=10)
        self._show()

    def on_review_screen_suggested(self, message: Suggested) -> None:
        changed = self.state.set_suggestions(message.results, message.doubts)
        analysed = self.state.analysed_count
        status = "done" if analysed == len(self.state) else "running"
        if status == "done" and self.progress.status != "done":
            self._hint_hidden()
        self.progress = Progress(analysed, len(self.state), status)
        self.list.refresh_segments(changed)
        if self.cursor.key is None and self.cursor.seg in changed and self.state.visible(self.cursor.seg):
            self._go(self.state.enter(self.cursor.seg), auto=True)
        elif not self.touched and self.cursor.key is None:  # bring the first suggestion to the editor
            self._go(self.state.step(self.cursor, pending=True), auto=True)
        else:
            self._show()

    def _hint_hidden(self) -> None:
        """Once the model is done, say so if the threshold hides all or some of its suggestions:
        otherwise a document where it is unsure everywhere looks as if it had found nothing."""
        hidden = self.state.hidden_count()
        if hidden:
            key = self.app.key_names("toggle_low")[0]
            self.notify(f"{hidden} suggestion{'s' if hidden > 1 else ''} below the confidence threshold "
                        f"({self.state.min_confidence:.2f}) hidden: {key} shows them", timeout=8)

    # --- showing -------------------------------------------------------------------------

    def _show(self) -> None:
        """Bring the detail panel and the status bar up to date."""
        self.query_one(DetailPanel).show(self.state, self.cursor, self.session.notes)
        warning = self.session.take_warning()
        if warning:
            self.notify(warning, severity="error", timeout=10)
        language = self.state.doc.language  # (the sources' language: its own words to check, where the model has them)
        name = self.session.path.name + (f" · from {language}" if language else "")
        self.query_one(StatusBar).show(
            name, self.state.dirty, self.state.total, self.progress,
            self.state.min_confidence, self.state.show_low, self.message, self.state.hidden_count(),
            self.state.check_count(),
        )

    def _go(self, cursor: Cursor | None, note: str = "", auto: bool = False) -> None:
        """Move the cursor (``None``: stay) and show ``note``, or the standing offer, if any."""
        self.touched = self.touched or not auto
        if cursor is not None:
            self.cursor = cursor
            self.list.move_cursor(cursor)
        self.message = note or (self.offer_note if self.offer else "")
        self._show()

    def _changed(self, changed: set[int], cursor: Cursor | None = None, note: str = "") -> None:
        self.list.refresh_segments(changed)
        self._go(cursor, note)

    # --- moving --------------------------------------------------------------------------------

    def action_next_pending(self) -> None:
        self._step(forward=True, pending=True)

    def action_prev_pending(self) -> None:
        self._step(forward=False, pending=True)

    def action_next_edit(self) -> None:
        self._step(forward=True)

    def action_prev_edit(self) -> None:
        self._step(forward=False)

    def _step(self, forward: bool, pending: bool = False) -> None:
        target = self.state.step(self.cursor, forward=forward, pending=pending, wrap=pending)
        if target is None:
            self._go(None, self._nothing_left(pending))
        else:
            wrapped = (target.seg, target.key) < (self.cursor.seg, self.cursor.key or ()) if forward else False
            self._go(target, "Wrapped to the top" if wrapped else "")

    def _nothing_left(self, pending: bool) -> str:
        if self.progress.status in ("loading", "running"):
            return f"Nothing more yet: the model has analysed {self.progress.analysed} of {self.progress.total}"
        return "No pending edits left: s saves" if pending else "No more edits this way"

    def action_next_segment(self) -> None:
        self._go(self.state.enter(min(self.cursor.seg + 1, len(self.state) - 1)))

    def action_prev_segment(self) -> None:
        self._go(self.state.enter(max(self.cursor.seg - 1, 0)))

    def action_next_pending_segment(self) -> None:
        self._to_segment(confirm.next_with_pending(self.state, self.cursor.seg), "No segment with a pending edit below")

    def action_prev_pending_segment(self) -> None:
        self._to_segment(confirm.next_with_pending(self.state, self.cursor.seg, forward=False),
                         "No segment with a pending edit above")

    def action_next_check(self) -> None:
        self._to_segment(confirm.next_to_check(self.state, self.cursor.seg), "No word to check")

    def action_prev_check(self) -> None:
        self._to_segment(confirm.next_to_check(self.state, self.cursor.seg, forward=False), "No word to check")

    def _to_segment(self, i: int | None, none: str) -> None:
        self._go(None if i is None else self.state.enter(i), none if i is None else "")

    def action_confirm(self) -> None:
        """Confirm the segment (CAT tools' ctrl+enter) and go to the next unconfirmed one."""
        changed = self.state.confirm(Cursor(self.cursor.seg))
        self.offer = None
        nxt = confirm.next_unconfirmed(self.state, self.cursor.seg)
        self.list.refresh_segments(changed)
        self._go(None if nxt is None else self.state.enter(nxt),
                 "Every segment is confirmed: s saves" if nxt is None else "")

    def action_page(self, direction: int) -> None:
        self._go(self.state.enter(self.list.page(self.cursor.seg, direction)))

    def action_first(self) -> None:
        self._go(self.state.enter(0))

    def action_last(self) -> None:
        self._go(self.state.enter(len(self.state) - 1))

    def on_segment_list_clicked(self, message: SegmentList.Clicked) -> None:
        seg = self.state.segment(message.seg)
        if message.edit is not None:
            self._go(Cursor(message.seg, seg.edits[message.edit].key()))
        elif message.seg != self.cursor.seg:
            self._go(self.state.enter(message.seg))

    # --- deciding ------------------------------------------------------------------------------

    def _no_edit(self) -> bool:
        if self.state.find(self.cursor.seg, self.cursor.key) is not None:
            return False
        if self.state.work(self.cursor.seg).manual is not None:
            self._go(None, "Edited by hand: e edits again, u undoes")
        else:
            self._go(None, "No edit here: n goes to the next pending one")
        return True

    def action_accept(self) -> None:
        self._decide(Decision.ACCEPTED)

    def action_reject(self) -> None:
        self._decide(Decision.REJECTED)

    def _decide(self, decision: Decision) -> None:
        if self._no_edit():
            return
        here = self.cursor
        changed = self.state.decide(here, decision)
        self.offer = None
        nxt = self.state.step(here, pending=True, wrap=True) if changed else None
        self._changed(changed, nxt)
        if changed and decision is Decision.ACCEPTED:  # look for repetitions once this is on screen
            self.call_after_refresh(self._offer_repetitions, here)

    def _offer_repetitions(self, here: Cursor) -> None:
        """After an accept: say so if the same fix fits elsewhere (``p`` applies it there)."""
        places = self.state.repetitions(here)
        if not places or self.state.find(here.seg, here.key) is None:
            return
        edit = self.state.segment(here.seg).edits[self.state.find(here.seg, here.key)]
        words = edit.removed(self.state.segment(here.seg).tokens) or edit.inserted
        self.offer = here
        self.offer_note = f"p: “{words}” → “{edit.inserted}” in {len(places)} more place{'s' * (len(places) > 1)}"
        self._changed(set())

    def _decide_segment(self, decision: Decision) -> None:
        changed = self.state.decide_segment(self.cursor, decision)
        if not changed:
            self._go(None, "No pending edits in this segment")
            return
        self.offer = None
        self._changed(changed, self.state.step(self.cursor, pending=True, wrap=True))

    def action_accept_segment(self) -> None:
        self._decide_segment(Decision.ACCEPTED)

    def action_reject_segment(self) -> None:
        self._decide_segment(Decision.REJECTED)

    def action_propagate(self) -> None:
        if self.offer is None:
            self._go(None, "Nothing to apply elsewhere: accept an edit first")
            return
        changed = self.state.propagate(self.offer)
        self.offer = None
        k = self.state.find(self.cursor.seg, self.cursor.key)
        still_pending = k is not None and self.state.segment(self.cursor.seg).decisions[k] is Decision.PENDING
        nxt = None if still_pending else self.state.step(self.cursor, pending=True, wrap=True)
        self._changed(changed, nxt, f"Applied in {len(changed)} segment{'s' * (len(changed) != 1)} (u undoes)")

    def action_hand_edit(self) -> None:
        i = self.cursor.seg

        def done(text: str | None) -> None:
            if text is None:
                return
            changed = self.state.hand_edit(Cursor(i, self.cursor.key if self.cursor.seg == i else None), text)
            self.offer = None
            self._changed(changed, Cursor(i), "Hand edit kept" if changed else "")

        final = self.state.final(i)
        self.app.push_screen(HandEdit(i + 1, self.state.texts[i], final, self.state.check_span(i, final)), done)

    def action_undo(self) -> None:
        changed, where = self.state.undo()
        self.offer = None
        self._changed(changed, where and self.state.settle(where), "Undone" if changed else "Nothing to undo")

    def action_redo(self) -> None:
        changed, where = self.state.redo()
        self.offer = None
        self._changed(changed, where and self.state.settle(where), "Redone" if changed else "Nothing to redo")

    def action_toggle_low(self) -> None:
        self.state.set_threshold(show_low=not self.state.show_low)
        if self.state.show_low:  # the "hidden: c shows them" hint is out of date, and covers the panel
            self.app.clear_notifications()
        self.list.refresh_segments()
        shown = "shown" if self.state.show_low else "hidden"
        self._go(self.state.settle(self.cursor), f"Edits below {self.state.min_confidence:.2f} {shown}")

    # --- saving and quitting ----------------------------------------------------------------

    def action_save(self, then_quit: bool = False, force: bool = False) -> None:
        try:
            saved = self.session.save(force=force)
        except FileChanged as exc:
            def answer(value: str | None) -> None:
                if value == "overwrite":
                    self.action_save(then_quit, force=True)

            choices = [("o", "Overwrite", "overwrite"), ("escape", "Cancel", "cancel")]
            self.app.push_screen(Choice(f"{exc}. Overwrite it?", choices), answer)
            return
        except InputError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        if saved.warning:
            self.notify(saved.warning, severity="warning", timeout=10)
        if then_quit:
            self.app.exit()
            return
        backup = f", original kept as {saved.backup.name}" if saved.backup else ""
        changed = f"{saved.changed} segment{'s' * (saved.changed != 1)}"
        logged = f", {saved.logged} logged to learn from" if saved.logged else ""
        self.notify(f"Saved {saved.path.name}: {changed} changed{logged}{backup}", timeout=4)
        self._go(None, "")

    def action_request_quit(self) -> None:
        """Quit, asking first when there is unsaved work."""
        if not self.state.dirty:
            self.app.exit()
            return

        def answer(value: str | None) -> None:
            if value == "save":
                self.action_save(then_quit=True)
            elif value == "discard":
                self.session.discard()
                self.app.exit()

        self.app.push_screen(Choice(
            f"Save your changes to {self.session.path.name} before quitting?",
            [("s", "Save and quit", "save"), ("d", "Quit without saving", "discard"), ("escape", "Cancel", "cancel")],
        ), answer)

    def action_help(self) -> None:
        self.app.show_help()
