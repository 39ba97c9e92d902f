"""``posteditor review FILE``: the editor's app and its entry point.

The app is deliberately small: it opens nothing itself, shows the review screen for a
``Session`` and a suggester factory it is handed, applies the user's keymap, and shows help.
The real model runs in a child process (``worker.ModelProcess``), which the app starts the
moment it is created, so the model loads while the screen is built and never competes
with the editor for Python's GIL.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import tomllib

from textual.app import App
from textual.binding import Binding

from posteditor.core.meta import model_meta, model_signature
from posteditor.tui.dialogs import HandEdit, HelpScreen
from posteditor.tui.background import THREAD_NAME, SuggesterFactory
from posteditor.tui.screen import ReviewScreen
from posteditor.tui.review.session import Session
from posteditor.core.textio import InputError
from posteditor.tui.worker import ModelProcess


def keymap_path() -> Path:
    """``$XDG_CONFIG_HOME/posteditor/keys.toml`` (``~/.config/...`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "posteditor" / "keys.toml"


def binding_ids() -> dict[str, Binding]:
    """Every remappable binding by id: the review screen's, then the dialogs'."""
    bindings = [*ReviewScreen.BINDINGS, *HandEdit.BINDINGS, *HelpScreen.BINDINGS]
    return {b.id: b for b in bindings if isinstance(b, Binding) and b.id}


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str | None]:
    """The user's key remapping (binding id -> keys) and a warning about anything ignored.

    The file maps ids to a key or a list of keys, at the top level or under ``[keys]``::

        accept = "y"
        reject = ["n", "x"]
    """
    path = path or keymap_path()
    if not path.is_file():
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, f"{path}: ignored ({exc})"
    table = data.get("keys", data)
    keymap, ignored = {}, []
    known = binding_ids()
    for name, keys in table.items():
        if isinstance(keys, str):
            keys = [keys]
        if name not in known or not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            ignored.append(name)
            continue
        keymap[name] = ",".join(k.strip() for k in keys)
    return keymap, (f"{path}: ignored unknown ids or bad keys: {', '.join(ignored)}" if ignored else None)


class ReviewApp(App):
    """Review the proposed edits of one document."""

    CSS_PATH = "review.tcss"
    TITLE = "posteditor review"

    def __init__(self, session: Session, factory: SuggesterFactory | None,
                 keymap: dict[str, str] | None = None, keymap_warning: str | None = None) -> None:
        super().__init__()
        self.session, self.factory = session, factory
        self.keymap = dict(keymap or {})
        self.keymap_warning = keymap_warning
        self.set_keymap(self.keymap)
        start = getattr(factory, "start", None)  # a model in a child process: load it now
        if start is not None and session.state.analysed_count < len(session.state):
            start()

    def get_default_screen(self) -> ReviewScreen:
        return ReviewScreen(self.session, self.factory)

    def on_mount(self) -> None:
        if self.keymap_warning:
            self.notify(self.keymap_warning, severity="warning", timeout=8)

    @property
    def review(self) -> ReviewScreen:
        return next(s for s in self.screen_stack if isinstance(s, ReviewScreen))

    async def action_quit(self) -> None:
        """Ctrl+Q goes through the same confirmation as the quit key."""
        self.review.action_request_quit()

    def key_names(self, binding_id: str) -> list[str]:
        """The keys of a binding as the user has them (the keymap may remap them), for display."""
        keys = self.keymap.get(binding_id, binding_ids()[binding_id].key)
        return [self.get_key_display(Binding(k.strip(), "")) for k in keys.split(",")]

    def show_help(self) -> None:
        rows = [(", ".join(self.key_names(binding_id)), binding.tooltip or binding.description, binding_id)
                for binding_id, binding in binding_ids().items()]
        self.push_screen(HelpScreen(rows, str(keymap_path())))

    def on_unmount(self) -> None:
        self.session.close()
        close = getattr(self.factory, "close", None)  # stop a model's child process now
        if close is not None:
            close()


def suggester_factory(model: str | None, use_memory: bool, check_below: float | None = None) -> ModelProcess:
    """The real suggester (model and correction memory), in a child process."""
    return ModelProcess(model, use_memory, check_below)


def _threshold_of(meta) -> float | None:
    """The model's own threshold from its record, so the status bar is right before it loads."""
    value = meta.get("min_confidence")
    return float(value) if isinstance(value, (int, float)) else None


def check_terminal() -> None:
    """The editor reads keys from stdin and draws on stdout: both must be a terminal."""
    for name in ("stdin", "stdout"):
        stream = getattr(sys, name)
        if stream is None:
            raise InputError(f"review needs a terminal, and {name} is closed")
        try:
            tty = stream.isatty()
        except (OSError, ValueError):
            tty = False
        if not tty:
            raise InputError(f"review needs a terminal, and {name} is not one "
                             "(to correct without one: posteditor correct)")


def main(args) -> int:
    """Entry point of ``posteditor review`` (arguments parsed by ``posteditor.cli``)."""
    from posteditor.core.terms import read_glossary
    from posteditor.suggest.glossary import GlossedFactory
    from posteditor.core.qa import parse_checks
    from posteditor.tui.notes import Notes

    skip = parse_checks(args.no_check)
    terms = read_glossary(args.glossary) if args.glossary else []
    meta = model_meta(args.model)  # (read once: its threshold and its languages, before the model loads)
    session = Session(args.file, fmt=args.format, source=args.source, min_confidence=args.min_confidence,
                      model_id=model_signature(args.model, args.check_below), model_threshold=_threshold_of(meta),
                      language=args.source_language, model_languages=meta.languages)
    session.notes = Notes(terms, skip)
    session.state.flag_words = "doubt" not in skip
    try:
        check_terminal()
    except InputError:
        session.close()
        raise
    factory = suggester_factory(args.model, not args.no_memory, args.check_below)
    if terms:
        factory = GlossedFactory(factory, terms)
    try:
        keymap, warning = load_keymap()
        app = ReviewApp(session, factory, keymap, warning)
        app.run()
    finally:
        session.close()
        factory.close()
    code = app.return_code or 0
    if any(t.name == THREAD_NAME and t.is_alive() for t in threading.enumerate()):
        # The model is still inside a batch nobody will read; everything is saved and the
        # journal closed, so leave now rather than wait for it (or tear torch down under it).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
