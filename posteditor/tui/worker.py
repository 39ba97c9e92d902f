"""The real suggester in a process of its own, so that the editor never waits on the model.

A model batch keeps the cores busy and holds Python's GIL for much of its time. When it ran
in a thread of the editor's process, keys waited for it: on 2 cores the median key took
0.3 s and many took 2 s. Here the model runs in a child interpreter, below the editor's
priority once it is loaded (``yield_to_editor``), and the editor's worker thread only waits
on a pipe, which does not hold the GIL.

``ModelProcess`` is the editor's side. It is a suggester factory (``background.suggest_all``
calls it and gets a ``RemoteSuggester``), and its ``start`` launches the child as soon as the
app is created, so the model loads while the screen is being built. ``serve`` and ``main``
are the child's side (``python -m posteditor.tui.worker [--model DIR] [--no-memory]``).

The protocol is one JSON object per line. Once the model is loaded, the child sends
``{"ready": true}``, or ``{"failed": message}`` if it could not load it (the editor reads the
model's threshold from its ``posteditor.json`` itself: nothing about the model comes back). It then answers
each ``{"items": [[text, source, language], ...]}`` with ``{"edits": [[edit, ...], ...], "doubts":
[[doubt, ...], ...]}`` (each edit as ``[start, end, replacement, confidence, category]``, each
word to check as ``[token index, probability of keeping it]``) or with ``{"error": message}``. The
editor decides which segments to send next, so the cursor-nearest-first order works as it
does in process. The child exits as soon as its stdin closes, so it dies with the editor
however the editor ends (kill -9 included) and leaves no orphan.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, Sequence

from posteditor.core.edits import Doubt, Edit
from posteditor.suggest.base import Item, Suggester, fits
from posteditor.core.textio import InputError
from posteditor.tui.background import NICE

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent


# --- the editor's side --------------------------------------------------------------------


class ModelProcess:
    """A suggester factory whose suggester (model and correction memory) runs in a child."""

    def __init__(self, model: str | None = None, use_memory: bool = True, check_below: float | None = None):
        # -P: not the current folder first on sys.path, where a stray argparse.py or another
        # posteditor checkout would be imported instead of ours.
        self.argv = [sys.executable, "-P", "-m", "posteditor.tui.worker"]
        self.argv += ["--model", str(model)] if model else []
        self.argv += [] if use_memory else ["--no-memory"]
        self.argv += [] if check_below is None else ["--check-below", repr(check_below)]
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()  # one request at a time on the pipe

    def start(self) -> None:
        """Launch the child, which starts loading the model at once; a second call does nothing."""
        if self.proc is not None:
            return
        self.log = tempfile.TemporaryFile()  # the child's stderr: never on the editor's screen
        path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}
        # Leave the editor a core: the model's threads (torch's, which follow this) wait
        # for each other at every step, so one pushed aside by the editor would stall them all.
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 2) - 1)))
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, encoding="utf-8", env=env)

    def __call__(self) -> RemoteSuggester:
        """Wait until the model is loaded; ``InputError`` with the child's message if it is not."""
        self.start()
        with self.lock:
            reply = self._read()
        if "failed" in reply:
            raise InputError(reply["failed"])
        return RemoteSuggester(self)

    def ask(self, items: Sequence[Item]) -> tuple[list[list[Edit]], list[list[Doubt]]]:
        """The child's edits and words to check for ``items`` (a ``RuntimeError`` if the model
        failed on them)."""
        request = json.dumps({"items": [[it.text, it.source, it.language] for it in items]})
        with self.lock:
            try:
                self.proc.stdin.write(request + "\n")
                self.proc.stdin.flush()
            except (OSError, ValueError):  # the child is gone; _read says why
                pass
            reply = self._read()
        if "error" in reply:
            raise RuntimeError(reply["error"])
        doubts = reply.get("doubts") or [[] for _ in items]
        return ([[Edit.from_json(row) for row in edits] for edits in reply["edits"]],
                [[Doubt.from_json(row) for row in found] for found in doubts])

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if line:
            return json.loads(line)
        raise InputError(f"the model process stopped ({self._why()})")

    def _why(self) -> str:
        """The child's exit status and the last line it wrote to stderr."""
        code = self.proc.wait()
        self.log.seek(0)
        lines = self.log.read().decode("utf-8", "replace").strip().splitlines()
        return f"exit code {code}" + (f": {lines[-1]}" if lines else "")

    def close(self) -> None:
        """Stop the child now (without this, it stops when this process ends)."""
        if self.proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait()


class RemoteSuggester(Suggester):
    """The suggester in the child process, as a ``Suggester``. Its words to check come back
    with the edits, and ``doubts`` answers from them (none for items it was never asked about)."""

    flags_words = True

    def __init__(self, process: ModelProcess):
        self.process = process
        self.last: dict[Item, list[Doubt]] = {}

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        edits, doubts = self.process.ask(items)
        self.last = dict(zip(items, doubts))
        return edits

    def doubts(self, items: Sequence[Item]) -> list[list[Doubt]]:
        return [self.last.get(it, []) for it in items]

    def fits(self, text: str) -> bool:
        """Always: the child checks with the model's own tokenizer and skips what does not fit."""
        return True


# --- the child's side ---------------------------------------------------------------------


def load(model: str | None, use_memory: bool, check_below: float | None = None) -> Suggester:
    """The real suggester: the model (and the correction memory), as ``correct`` uses it."""
    try:
        from posteditor.pipeline import load_suggester
    except ImportError as exc:
        raise InputError(f"the corrector is not installed ({exc})") from None
    return load_suggester(model, use_memory=use_memory, check_below=check_below)


def serve(model: str | None, use_memory: bool, requests: Iterable[str], replies: IO[str],
          loaded: Callable[[], None] = lambda: None, check_below: float | None = None) -> None:
    """Load the suggester, call ``loaded``, say so, then answer each request with one line."""

    def say(**message) -> None:
        replies.write(json.dumps(message) + "\n")
        replies.flush()

    try:
        suggester = load(model, use_memory, check_below)
    except Exception as exc:  # reported to the editor, which stays usable without a model
        say(failed=str(exc) or type(exc).__name__)
        return
    loaded()
    say(ready=True)
    for line in requests:
        try:  # a bad batch is reported, and the child goes on serving the next
            items = [Item(*item) for item in json.loads(line)["items"]]
            readable = [k for k, item in enumerate(items) if fits(suggester, item.text)]
            asked = [items[k] for k in readable]
            found = dict(zip(readable, suggester.suggest(asked))) if readable else {}
        except Exception as exc:
            say(error=str(exc) or type(exc).__name__)
            continue
        try:
            doubted = dict(zip(readable, suggester.doubts(asked))) if readable else {}
        except Exception:  # optional: the edits go without them
            doubted = {}
        say(edits=[[e.to_json() for e in found.get(k, ())] for k in range(len(items))],
            doubts=[[d.to_json() for d in doubted.get(k, ())] for k in range(len(items))])


def yield_to_editor() -> None:
    """Lower every thread of this process (torch's too) below the editor's priority.

    Loading runs at the editor's own priority: it is one thread, the editor keeps the other
    core, and the first suggestion should not wait behind other work on the machine. The
    batches that follow can fill every core, so from then on the editor goes first.
    """
    if not hasattr(os, "setpriority"):
        return
    threads = os.listdir("/proc/self/task") if sys.platform.startswith("linux") else ["0"]  # 0: the process
    for tid in map(int, threads):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + NICE))


def _lines_until_closed(stream: IO[str]) -> Iterator[str]:
    """The lines of ``stream``, read from now on; the process exits the moment it closes,
    even while the model loads or inside a batch."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        os._exit(0)  # the editor has gone: nobody will read what the model is writing

    threading.Thread(target=read, name="posteditor-stdin", daemon=True).start()
    return iter(lines.get, None)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="posteditor's suggester for the editor, over stdin/stdout")
    p.add_argument("--model", help="model folder (default: the current model)")
    p.add_argument("--no-memory", action="store_true", help="without the correction memory")
    p.add_argument("--check-below", type=float, help="the bar for words to check (default: the model's)")
    args = p.parse_args(argv)
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the replies
    sys.stdout = sys.stderr
    serve(args.model, not args.no_memory, _lines_until_closed(sys.stdin), replies, yield_to_editor, args.check_below)


if __name__ == "__main__":
    main()
