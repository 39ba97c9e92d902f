"""Fakes and helpers shared by the editor's tests: a table-driven suggester (slow or broken on
demand) and a wait for the pilot."""

from __future__ import annotations

import threading
import time
from typing import Sequence

from posteditor.core.edits import Doubt, Edit, tokenize
from posteditor.suggest.base import Item, Suggester

ARTICLE = (
    "The war in the world has displaced millions.\n"
    "Aid workers say the world must act now.\n"
    "\n"
    "Many peoples fled to the border. The informations are scarce.\n"
    "Officials in the world capital met on Monday.\n"
)

TABLE = {"world": ("region", 0.9), "informations": ("information", 0.8), "peoples": ("people", 0.3)}


class Info:
    def __init__(self, min_confidence: float):
        self.min_confidence = min_confidence


class TableSuggester(Suggester):
    """Replaces words by table (``{"world": ("region", 0.9)}``) wherever they occur.

    ``delay`` seconds per call makes it slow; ``gate`` (an Event) makes it wait until set;
    ``info.min_confidence`` is the threshold it reports, like the real model; ``doubted`` words
    are its words to check (``{"scarce": 0.05}``), as a model's doubts.
    """

    def __init__(self, table=None, delay: float = 0.0, gate: threading.Event | None = None,
                 min_confidence: float = 0.5, category: str = "model", doubted: dict[str, float] | None = None):
        self.table = TABLE if table is None else table
        self.doubted = doubted or {}
        self.flags_words = bool(self.doubted)
        self.delay = delay
        self.gate = gate
        self.info = Info(min_confidence)
        self.category = category
        self.calls: list[list[Item]] = []

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        if self.gate is not None:
            self.gate.wait(10)
        if self.delay:
            time.sleep(self.delay)
        self.calls.append(list(items))
        out = []
        for item in items:
            edits = []
            for k, tok in enumerate(tokenize(item.text)):
                if tok.strip() in self.table:
                    new, confidence = self.table[tok.strip()]
                    space = tok[: len(tok) - len(tok.lstrip())]
                    edits.append(Edit(k, k + 1, (space + new,) if new else (), confidence, self.category))
            out.append(edits)
        return out

    def doubts(self, items: Sequence[Item]) -> list[list[Doubt]]:
        return [[Doubt(k, self.doubted[tok.strip()]) for k, tok in enumerate(tokenize(item.text))
                 if tok.strip() in self.doubted] for item in items]


async def settled(pilot, timeout: float = 60) -> None:
    """Until the review screen's suggester is done (or failed), then until the UI is idle."""
    deadline = time.monotonic() + timeout
    while pilot.app.review.progress.status not in ("done", "failed") and time.monotonic() < deadline:
        await pilot.pause(0.02)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def factory(suggester):
    """A suggester factory as the app receives it."""
    return lambda: suggester


def broken_factory(message: str = "models/default: not a posteditor model"):
    from posteditor.core.textio import InputError

    def load():
        raise InputError(message)

    return load
