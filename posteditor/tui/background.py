"""The suggester's loop, run in the editor's worker thread; no Textual here.

It loads the suggester, then asks it about a few segments at a time, always those nearest
the editor's cursor first (the cursor is read afresh before each batch), and hands every
result to a callback (which posts a message to the screen). Batches start small, so the
first suggestion shows quickly, and grow for throughput. Segments too long for the model
(``correct.fits``) are reported with no edits, never sent. A model call cannot be
interrupted, so each runs in a daemon thread, at a lower priority than the editor, that is
abandoned when the editor closes. The real model runs in a child process
(``posteditor.tui.worker``); for it, that thread only waits on a pipe.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

from posteditor.core.edits import Doubt, Edit
from posteditor.suggest.base import Item, Suggester, fits

SuggesterFactory = Callable[[], Suggester]
THREAD_NAME = "posteditor-suggester"
FIRST_BATCH, LARGEST_BATCH = 1, 8
NICE = 10  # how much lower the suggester threads' priority is than the editor's (Linux)


class Cancelled(Exception):
    """The editor closed while the suggester was busy."""


def abandonable(is_cancelled: Callable[[], bool], fn, *args):
    """``fn(*args)`` in a daemon thread, given up on as soon as ``is_cancelled()``."""
    box: dict = {}
    done = threading.Event()

    def run() -> None:
        _lower_priority()
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # handed over to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=THREAD_NAME, daemon=True).start()
    while not done.wait(0.05):
        if is_cancelled():
            raise Cancelled
    if "error" in box:
        raise box["error"]
    return box["value"]


def _lower_priority() -> None:
    """Make this thread (and the threads it starts, e.g. the model's) yield the CPU to the UI.

    On Linux a thread has its own nice value and passes it on to the threads it creates, so
    a busy model never starves the editor's keystrokes, even on a machine with few cores.
    """
    if sys.platform.startswith("linux"):
        try:
            me = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + NICE))
        except OSError:
            pass


def nearest(todo: set[int], here: int, count: int) -> list[int]:
    """The ``count`` segments of ``todo`` closest to ``here``, those below it first."""
    return sorted(todo, key=lambda i: i - here if i >= here else (here - i) * 3)[:count]


@dataclass
class Callbacks:
    """Where results go (each is called from the worker thread: post a message, nothing more)."""

    ready: Callable[[], None]  # the suggester is loaded
    failed: Callable[[str], None]  # it could not be loaded, or it broke
    results: Callable[[list[tuple[int, list[Edit]]], dict[int, list[Doubt]]], None]
    """Each segment's edits, and its words to check (for those that have any)."""


def suggest_all(factory: SuggesterFactory, items: Sequence[Item], todo: set[int],
                here: Callable[[], int], is_cancelled: Callable[[], bool], out: Callbacks) -> None:
    """Load the suggester and analyse the segments ``todo``, those near ``here()`` first."""
    try:
        suggester = abandonable(is_cancelled, factory)
    except Cancelled:
        return
    except Exception as exc:  # a missing or broken model must not take the editor down
        out.failed(str(exc) or type(exc).__name__)
        return
    out.ready()
    todo, size = set(todo), FIRST_BATCH
    while todo and not is_cancelled():
        batch = nearest(todo, here(), size)
        todo.difference_update(batch)
        readable = [i for i in batch if fits(suggester, items[i].text)]
        try:
            results = abandonable(is_cancelled, suggester.suggest, [items[i] for i in readable]) if readable else []
        except Cancelled:
            return
        except Exception as exc:
            out.failed(f"the model failed: {exc}")
            return
        found = dict(zip(readable, results))
        try:  # measured by the same call (a model keeps them from its verify pass): asked at once
            doubted = dict(zip(readable, suggester.doubts([items[i] for i in readable]))) if readable else {}
        except Exception:  # optional: the edits are shown without them
            doubted = {}
        out.results([(i, list(found.get(i, ()))) for i in batch], {i: d for i, d in doubted.items() if d})
        size = min(size * 2, LARGEST_BATCH)
