"""The suggester loop the editor runs in its worker thread, without any UI."""

from __future__ import annotations

import threading
import time

import pytest

from posteditor.suggest.base import Item
from posteditor.tui.background import Callbacks, Cancelled, abandonable, nearest, suggest_all
from tui_fakes import TableSuggester


class Recorder:
    def __init__(self):
        self.ready, self.failed, self.results, self.doubts = [], [], [], {}

    def callbacks(self) -> Callbacks:
        def results(batch, doubts):
            self.results.append(batch)
            self.doubts.update(doubts)

        return Callbacks(lambda: self.ready.append(None), self.failed.append, results)


@pytest.mark.parametrize(
    "todo, here, count, expected",
    [
        ({0, 1, 2, 3, 4}, 0, 2, [0, 1]),
        ({0, 1, 2, 3, 4}, 3, 3, [3, 4, 2]),
        ({0, 1, 2, 9}, 5, 2, [9, 2]),  # below the cursor first: 4 down beats 3 up
        (set(), 5, 2, []),
    ],
)
def test_nearest(todo, here, count, expected):
    assert nearest(todo, here, count) == expected


def test_batches_follow_the_cursor_and_grow():
    items = [Item(f"Sentence {i} of the world.") for i in range(30)]
    suggester, rec = TableSuggester(), Recorder()
    cursor = {"at": 20}

    def here() -> int:
        return cursor["at"]

    suggest_all(lambda: suggester, items, set(range(30)), here, lambda: False, rec.callbacks())
    assert rec.ready == [None] and not rec.failed
    sizes = [len(batch) for batch in rec.results]
    assert sizes[:5] == [1, 2, 4, 8, 8] and sum(sizes) == 30
    assert [i for i, _ in rec.results[0]] == [20]
    assert [i for i, _ in rec.results[1]] == [21, 22]
    assert all(edits[0].inserted == "region" for batch in rec.results for _, edits in batch)


def test_words_to_check_come_with_the_edits():
    items = [Item("The informations are scarce."), Item("Nothing to see."), Item("word " * 300 + "scarce.")]
    suggester, rec = TableSuggester(doubted={"scarce": 0.05}), Recorder()
    suggest_all(lambda: suggester, items, {0, 1, 2}, lambda: 0, lambda: False, rec.callbacks())
    assert {i: [(d.index, d.keep) for d in found] for i, found in rec.doubts.items()} == {0: [(3, 0.05)]}


def test_too_long_segments_are_never_sent():
    items = [Item("Short world."), Item("word " * 300 + "world.")]
    suggester, rec = TableSuggester(), Recorder()
    suggest_all(lambda: suggester, items, {0, 1}, lambda: 0, lambda: False, rec.callbacks())
    assert [len(call) for call in suggester.calls] == [1]
    assert dict(pair for batch in rec.results for pair in batch)[1] == []


def test_a_broken_model_is_reported_not_raised():
    rec = Recorder()

    def load():
        raise OSError("weights missing")

    suggest_all(load, [Item("x")], {0}, lambda: 0, lambda: False, rec.callbacks())
    assert rec.failed == ["weights missing"] and not rec.results


def test_abandonable_gives_up_when_cancelled():
    gate = threading.Event()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        abandonable(lambda: time.monotonic() - started > 0.2, gate.wait, 10)
    assert time.monotonic() - started < 2
    gate.set()
    assert abandonable(lambda: False, sum, [1, 2]) == 3
    with pytest.raises(ZeroDivisionError):
        abandonable(lambda: False, lambda: 1 / 0)
