"""The review state without any UI: decisions, navigation, undo/redo, propagation."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posteditor.core.reader import parse
from posteditor.core.edits import Decision, Edit
from posteditor.suggest.base import Item
from posteditor.tui.review.state import Cursor, ReviewState
from tui_fakes import ARTICLE, TableSuggester

A, R, P = Decision.ACCEPTED, Decision.REJECTED, Decision.PENDING


def make_state(text: str = ARTICLE, threshold: float = 0.5, suggester=None) -> ReviewState:
    state = ReviewState(parse(text, "txt"), min_confidence=threshold)
    suggester = suggester or TableSuggester()
    results = suggester.suggest([Item(t) for t in state.texts])
    state.set_suggestions(list(enumerate(results)))
    return state


def first(state: ReviewState) -> Cursor:
    return state.step(Cursor(0), pending=True)


def test_segments_and_visible_edits():
    state = make_state()
    assert len(state) == 5
    assert [len(state.visible(i)) for i in range(5)] == [1, 1, 0, 1, 1]  # "peoples" (0.3) hidden
    assert state.total.pending == 4
    state.set_threshold(show_low=True)
    assert state.total.pending == 5


def test_accept_reject_and_final_text():
    state = make_state()
    c = first(state)
    assert c == Cursor(0, (4, 5, ("region",)))
    assert state.decide(c, A) == {0}
    assert state.final(0) == "The war in the region has displaced millions."
    assert state.decide(c, A) == set()  # already accepted: nothing to do
    c2 = state.step(c, pending=True)
    state.decide(c2, R)
    assert state.final(1) == state.texts[1]
    assert (state.total.accepted, state.total.rejected, state.total.pending) == (1, 1, 2)
    assert state.changed_segments() == {0: "The war in the region has displaced millions."}


@pytest.mark.parametrize(
    "start, forward, pending, wrap, expected",
    [
        (Cursor(0), True, False, False, 0),
        (Cursor(0, (4, 5, ("region",))), True, False, False, 1),
        (Cursor(4, (3, 4, ("region",))), True, False, False, None),
        (Cursor(4, (3, 4, ("region",))), True, True, True, 0),
        (Cursor(1, (4, 5, ("region",))), False, False, False, 0),
        (Cursor(0, (4, 5, ("region",))), False, True, True, 4),
    ],
)
def test_step(start, forward, pending, wrap, expected):
    state = make_state()
    got = state.step(start, forward=forward, pending=pending, wrap=wrap)
    assert (got.seg if got else None) == expected


def test_step_pending_skips_decided():
    state = make_state()
    state.decide(Cursor(1, (4, 5, ("region",))), A)
    assert state.step(Cursor(0, (4, 5, ("region",))), pending=True).seg == 3


def test_undo_redo_many_levels():
    state = make_state()
    cursors = []
    c = first(state)
    while c is not None:
        cursors.append(c)
        state.decide(c, A)
        c = state.step(c, pending=True)
    assert state.total.accepted == 4
    for n in range(4):
        changed, where = state.undo()
        assert where == cursors[-1 - n]
    assert state.total.pending == 4 and not state.can_undo
    assert state.undo() == (set(), None)
    state.redo()
    state.redo()
    assert state.total.accepted == 2
    state.decide(state.step(Cursor(0), pending=True), R)  # a new step clears redo
    assert not state.can_redo


def test_accept_segment_is_one_step():
    state = make_state(suggester=TableSuggester({"world": ("region", 0.9), "war": ("conflict", 0.95)}))
    c = state.enter(0)
    state.decide_segment(c, A)
    assert state.final(0) == "The conflict in the region has displaced millions."
    state.undo()
    assert state.final(0) == state.texts[0]


def test_hand_edit_judges_the_edits():
    state = make_state(suggester=TableSuggester({"world": ("region", 0.9), "war": ("conflict", 0.95)}))
    c = state.enter(0)
    state.hand_edit(c, "The war in the region has displaced millions of people.")
    seg = state.segment(0)
    assert dict(zip([e.inserted for e in seg.edits], seg.decisions)) == {"conflict": R, "region": A}
    assert state.final(0) == "The war in the region has displaced millions of people."
    assert state.visible(0) == [] and state.total.manual == 1
    assert state.decide(c, A) == set()  # no decisions on a hand-edited segment
    state.undo()
    assert state.work(0).manual is None and state.total.pending == 4


def test_suggestions_arriving_after_a_hand_edit():
    state = ReviewState(parse(ARTICLE, "txt"))
    state.hand_edit(Cursor(0), "The war in the region has displaced many.")
    results = TableSuggester().suggest([Item(state.texts[0])])
    state.set_suggestions([(0, results[0])])
    assert state.segment(0).decisions == (A,)
    state.undo()
    assert state.segment(0).decisions == (P,) and state.analysed(0)


@pytest.mark.parametrize(
    "text, edit, places",
    [
        # a replacement matches its own words anywhere (3 other "world"s)
        (ARTICLE, Edit(4, 5, (" region",), 0.9), {1, 4}),
        # a deletion needs its neighbours: only "the the" loses a "the"
        ("See the the map. See the map. Read the the map. Read the the text.", Edit(2, 3, ()), {2}),
        # an insertion at the end of a segment only fits at the end of another
        ("He came home\n\nShe came home\n\nHome came he", Edit(3, 3, (".",)), {1}),
    ],
)
def test_repetitions(text, edit, places):
    state = ReviewState(parse(text, "txt"))
    state.set_suggestions([(0, [edit])])
    c = Cursor(0, edit.key())
    state.decide(c, A)
    found = state.repetitions(c)
    assert {i for i, _ in found} == places
    state.propagate(c)
    for i in places:
        assert state.final(i) != state.texts[i]
    state.undo()
    assert all(state.final(i) == state.texts[i] for i in places)


def test_propagation_reuses_matching_suggestions_and_respaces():
    text = "The world is big.\nworld news"
    state = ReviewState(parse(text, "lines"))
    state.set_suggestions([(0, [Edit(1, 2, (" region",), 0.9)]), (1, [Edit(0, 1, ("region",), 0.4)])])
    c = Cursor(0, (1, 2, ("region",)))
    state.decide(c, A)
    assert state.repetitions(c)[0][1].category is None  # segment 1's own suggestion
    state.propagate(c)
    assert state.final(1) == "region news" and state.total.accepted == 2


def test_propagation_skips_hand_edits_and_locked_markdown():
    text = "The world is big.\n\nThe world `world` and [world](http://world.example).\n\nworld peace\n"
    state = ReviewState(parse(text, "md"))
    state.set_suggestions([(0, [Edit(1, 2, (" region",), 0.9)])])
    state.hand_edit(Cursor(2), "Peace on earth")
    c = Cursor(0, (1, 2, ("region",)))
    state.decide(c, A)
    found = state.repetitions(c)
    assert [(i, e.start) for i, e in found] == [(1, 1), (1, 7)]  # the link text, not its target


def test_dirty_tracking():
    state = make_state()
    assert not state.dirty
    c = first(state)
    state.decide(c, A)
    assert state.dirty
    state.undo()
    assert not state.dirty
    state.redo()
    state.mark_saved()
    assert not state.dirty
    state.decide(state.step(c, pending=True), R)
    assert state.revert_unsaved() == {1}
    assert not state.dirty and state.total.accepted == 1


def test_listeners_hear_every_change():
    state = make_state()
    heard = []
    state.listeners.append(lambda kind, changed: heard.append((kind, sorted(changed))))
    c = first(state)
    state.decide(c, A)
    state.propagate(c)
    state.undo()
    state.set_suggestions([(2, [])])
    assert heard == [("work", [0]), ("work", [1, 4]), ("work", [1, 4]), ("suggest", [2])]


def test_bad_suggestions_are_dropped():
    state = ReviewState(parse("One two three.", "txt"))
    state.set_suggestions([(0, [
        Edit(0, 1, ("One",), 0.9),  # changes nothing
        Edit(1, 2, (" 2",), 0.9),
        Edit(1, 3, (" x",), 0.5),  # overlaps a surer edit
        Edit(2, 9, (" y",), 0.9),  # beyond the end
    ])])
    assert [e.inserted for e in state.segment(0).edits] == ["2"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from("aruUpnN"), max_size=25))
def test_any_key_sequence_keeps_state_consistent(keys):
    """Whatever the editor does, counts match the segments and undo returns to the start."""
    state = make_state()
    c = first(state)
    for key in keys:
        if key == "a" and c:
            state.decide(c, A)
        elif key == "r" and c:
            state.decide(c, R)
        elif key == "u":
            state.undo()
        elif key == "U":
            state.redo()
        elif key == "p" and c:
            state.propagate(c)
        elif key in "nN" and c:
            c = state.step(c, forward=key == "n", wrap=True) or c
    recount = [state._segment_counts(i) for i in range(len(state))]
    assert sum((x.accepted for x in recount)) == state.total.accepted
    assert sum((x.pending for x in recount)) == state.total.pending
    while state.can_undo:
        state.undo()
    assert not state.changed_segments() and not state.dirty


def test_state_module_imports_no_textual():
    code = "import sys, posteditor.tui.review.state, posteditor.tui.review.session; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_retranslation_is_not_propagated():
    # Two segments with the same MT words may have different sources: a translation of one
    # source is no fix for the other.
    state = ReviewState(parse("Unrelated words here.\nUnrelated words here.", "lines"))
    whole = Edit(0, 4, ("The", " bridge", " is", " closed", "."), 0.8, "retranslation")
    state.set_suggestions([(0, [whole])])
    c = Cursor(0, whole.key())
    state.decide(c, A)
    assert state.repetitions(c) == [] and state.propagate(c) == set()
    assert state.final(1) == "Unrelated words here."


def test_words_to_check_show_outside_visible_edits_until_the_segment_is_done():
    suggester = TableSuggester(doubted={"scarce": 0.05, "world": 0.02, "Aid": 0.1})
    state = ReviewState(parse(ARTICLE, "txt"))
    items = [Item(t) for t in state.texts]
    state.set_suggestions(list(enumerate(suggester.suggest(items))), dict(enumerate(suggester.doubts(items))))
    words = lambda i: [state.segment(i).tokens[d.index].strip() for d in state.to_check(i)]  # noqa: E731
    assert words(0) == []  # "world" is under its own edit: the edit says it
    assert words(1) == ["Aid"]
    assert words(3) == ["scarce"]
    assert state.check_count() == 2
    state.decide(state.enter(1), R)  # the edit of "world" turned down: the model still doubts the word
    assert words(1) == ["Aid", "world"]
    state.confirm(state.enter(1))
    assert words(1) == [] and state.check_count() == 1
    state.set_threshold(show_low=True)  # "peoples" (0.3) shown: not under it, nothing changes
    assert state.check_count() == 1
    state.hand_edit(state.enter(3), "The informations are few.")
    assert words(3) == [] and state.check_count() == 0
    state.undo()
    assert words(3) == ["scarce"]
    state.flag_words = False  # --no-check doubt
    assert state.check_count() == 0


def test_doubts_beyond_the_segment_or_in_locked_markup_are_dropped():
    from posteditor.core.edits import Doubt

    state = ReviewState(parse("Visit <b>the world</b> now.\n", "md"))
    tokens = state.segment(0).tokens
    inside = next(k for k, t in enumerate(tokens) if t.strip() == "b")
    world = next(k for k, t in enumerate(tokens) if t.strip() == "world")
    state.set_suggestions([(0, [])], {0: [Doubt(inside, 0.01), Doubt(world, 0.1), Doubt(99, 0.1)]})
    assert [d.index for d in state.to_check(0)] == [world]


def test_words_to_check_are_marked_in_the_list():
    from posteditor.tui.layout import mark, runs, wrap

    suggester = TableSuggester(doubted={"border": 0.05, "scarce": 0.1})
    state = ReviewState(parse(ARTICLE, "txt"))
    items = [Item(t) for t in state.texts]
    state.set_suggestions(list(enumerate(suggester.suggest(items))), dict(enumerate(suggester.doubts(items))))
    assert runs(state, 2) == [("Many peoples fled to the", "text", None), (" border", "doubt", None), (".", "text", None)]
    assert [text for line in wrap(runs(state, 2), 80) for text, _, _ in line] == ["Many", " ", "peoples", " ", "fled", " ",
                                                                                   "to", " ", "the", " ", "border", "."]
    assert mark(state, 2) == ("?", "mark-check")  # nothing pending, a word to check
    assert mark(state, 3)[1] == "mark-pending"  # a pending edit goes first
    assert (" scarce", "doubt", None) in runs(state, 3)
    state.confirm(state.enter(2))
    assert mark(state, 2) == ("✓", "mark-done") and (" border", "doubt", None) not in runs(state, 2)


def test_the_first_word_to_check_is_found_in_the_text_as_it_reads():
    from posteditor.core.edits import Doubt

    state = ReviewState(parse("Aid is scarce,\nand here aid is\n  scarce.\n\n", "txt"))
    state.set_suggestions([(0, [Edit(0, 1, ("Help",), 0.9)])], {0: [Doubt(8, 0.1)]})  # the second "scarce"
    text = state.texts[0]
    span = state.check_span(0, text)
    assert text[slice(*span)] == "scarce" and span[0] > text.index("\n  ")
    state.decide(state.enter(0), A)  # the text now differs from the MT: the word is looked for
    final = state.final(0)
    assert final.startswith("Help") and final[slice(*state.check_span(0, final))] == "scarce"  # (the first one)
    assert state.check_span(0, "Nothing like it.") is None
