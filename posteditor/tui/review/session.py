"""A document under review: its file, its review state, its journal, and saving it.

No Textual here. Opening reads the file (``InputError`` for anything unreadable), takes the
journal's lock and replays it, so decisions survive a crash; every later change to the state
is appended to the journal by a listener before the screen even redraws. Saving renders the
document (untouched text byte-identical), writes it atomically with a backup of the
original, appends to the corrections log the segments that teach something new (changed, a
proposal turned down, or changed back since logged) and marks the journal saved.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from posteditor.core import corrections
from posteditor.core import paths
from posteditor.core.languages import identify
from posteditor.core.reader import guess_format, parse
from posteditor.core.edits import Doubt, Edit
from posteditor.tui.review.journal import (
    Journal,
    journal_path,
    key_from_json,
    key_to_json,
    text_hash,
)
from posteditor.core.textio import InputError, atomic_write, read_text, resolve_output
from posteditor.tui.review.timing import Timer
from posteditor.tui.review.state import ReviewState
from posteditor.tui.review.work import Work


class FileChanged(InputError):
    """The file on disk changed since it was opened; saving would overwrite someone's work."""


@dataclass(frozen=True)
class Restored:
    """What opening found in the journal."""

    segments: int = 0  # segments with decisions or hand edits put back
    analysed: int = 0  # segments whose suggestions came from the journal
    dropped: int = 0  # records that no longer match the document
    bad_lines: int = 0  # unreadable lines (a write cut short by a crash)
    unsaved: int = 0  # segments with work that was never saved
    stale: int = 0  # untouched segments whose cached suggestions came from another model


@dataclass(frozen=True)
class Saved:
    path: Path
    backup: Path | None
    changed: int
    logged: int
    warning: str | None = None


def read_sources(path: str, count: int, document: str) -> list[str]:
    """Source sentences, one per non-empty line, exactly one per segment."""
    lines = [line.strip() for line in read_text(path).text.splitlines() if line.strip()]
    if len(lines) != count:
        raise InputError(
            f"{path} has {len(lines)} non-empty line{'s' * (len(lines) != 1)} but {document} has "
            f"{count} sentence{'s' * (count != 1)}; give one source line per sentence, in order"
        )
    return lines


def work_to_json(i: int, h: str, work: Work) -> dict:
    return {
        "t": "work",
        "i": i,
        "h": h,
        "decisions": [key_to_json(k, d) for k, d in work.decisions],
        "added": [e.to_json() for e in work.added],
        "manual": work.manual,
        **({"confirmed": True} if work.confirmed else {}),
    }


def work_from_json(r: dict) -> Work:
    decisions = tuple(sorted(key_from_json(row) for row in r.get("decisions", ())))
    added = tuple(Edit.from_json(row) for row in r.get("added", ()))
    manual = r.get("manual")
    return Work(decisions, added, None if manual is None else str(manual), bool(r.get("confirmed", False)))


class Session:
    """Open with ``Session(path, ...)``; ``close()`` when done (releases the journal)."""

    notes = None  # glossary terms and QA checks for the side panel (tui.notes.Notes), if wanted

    def __init__(self, path: str, fmt: str = "auto", source: str | None = None,
                 min_confidence: float | None = None, log: str | Path | None = None,
                 model_id: str | None = None, model_threshold: float | None = None, language: str | None = None,
                 model_languages: Sequence[str] = ()):
        if path == "-":
            raise InputError("review needs a file to save to, not stdin")
        self.file = read_text(path)
        # Through a symlink, the file it names: saved there, and its journal and lock beside
        # it, so a second editor on another alias of the same file is refused.
        self.path = resolve_output(path)
        self.alias = path if Path(path).is_symlink() else None
        self.fmt = guess_format(path) if fmt == "auto" else fmt
        self.explicit_threshold = min_confidence
        self.model_id = model_id  # paths.model_signature of the suggester's model, when known
        # The model's own threshold, as its posteditor.json says (read by the caller, never
        # taken from the journal: a recalibrated model's new threshold holds at once).
        self.model_threshold = model_threshold
        self.log = Path(log) if log else paths.corrections_log()
        self.warning: str | None = None
        self.journal = Journal(journal_path(self.path))
        self.journal.lock()
        try:
            self._open(source, language, model_languages)
        except BaseException:
            self.journal.close()
            raise

    def _open(self, source: str | None, language: str | None, model_languages: Sequence[str]) -> None:
        records, bad = self.journal.read()
        header = records[0] if records and records[0].get("t") == "open" else None
        file_hash = text_hash(self.file.text)
        saves = [r for r in records if r.get("t") == "saved"]
        self.saved_hash = saves[-1].get("hash") if saves else None
        from_saved = bool(header and file_hash == self.saved_hash and file_hash != header.get("base_hash"))
        self.base = str(header["base"]) if from_saved else self.file.text
        doc = parse(self.base, self.fmt, str(self.path))
        if not doc.spans:
            raise InputError(f"{self.path}: no text to review")
        sources = read_sources(source, len(doc.spans), str(self.path)) if source else doc.sources
        doc.language = language or doc.language or identify(sources or ())  # (the user's, the file's, the sources')
        if self.model_id and doc.language in model_languages:  # (its own words to check: not another language's)
            self.model_id += f":{doc.language}"
        self.state = ReviewState(doc, sources, 0.5)
        matches_file = header is not None and (from_saved or file_hash == header.get("base_hash"))
        trust = matches_file and self.saved_hash in (None, file_hash)
        if not trust:
            self.saved_hash = None
        self.restored = self._replay(records if header else [], bad, trust)
        if self.restored.dropped or (records and header is None):  # unusable records: keep a copy
            shutil.copy2(self.journal.path, self.journal.path.with_name(self.journal.path.name + ".old"))
        self.state.set_threshold(self.threshold)
        self._disk_hash = text_hash(self.path.read_bytes())
        self._backed_up = False
        self._compact()
        self.state.listeners.append(self._record)
        self.state.listeners.append(Timer(self.path))  # when each segment was worked on, for the report

    # --- the journal ---------------------------------------------------------------------

    def _replay(self, records: list[dict], bad: int, trust_saves: bool) -> Restored:
        state = self.state
        hashes = [text_hash(t) for t in state.texts]
        suggestions, doubts, works, saved, dropped = {}, {}, {}, {}, 0
        journal_model = None
        self.logged: dict[int, str] = {}
        for r in records[1:]:
            try:
                kind = r["t"]
                if kind == "model":
                    journal_model = r["id"]
                elif kind == "saved":
                    saved = dict(works)
                    self.logged = {int(i): str(h) for i, h in r.get("logged", {}).items()}
                elif kind in ("suggest", "work"):
                    i = int(r["i"])
                    if not (0 <= i < len(hashes) and r["h"] == hashes[i]):
                        dropped += 1
                    elif kind == "suggest":  # (both read before either is kept)
                        suggestions[i], doubts[i] = ([Edit.from_json(e) for e in r["edits"]],
                                                     [Doubt.from_json(d) for d in r.get("doubts", ())])
                    else:
                        works[i] = work_from_json(r)
            except (KeyError, TypeError, ValueError):
                bad += 1
        if not trust_saves:
            saved, self.logged = {}, {}
        stale = []
        if self.model_id is not None and journal_model != self.model_id:
            # Another model made these: ask the current one again, except where the editor has
            # worked, whose decisions refer to the edits cached there.
            stale = [i for i in suggestions if works.get(i, Work()) == Work()]
            for i in stale:
                del suggestions[i]
        state.set_suggestions(sorted(suggestions.items()), doubts, notify=False)
        for i, work in works.items():
            state.restore(i, work)
        state.mark_saved(saved)
        touched = sum(w != Work() for w in works.values())
        return Restored(touched, len(suggestions), dropped, bad, len(state.unsaved), len(stale))

    def _suggest_record(self, i: int) -> dict:
        edits, doubts = self.state.suggested(i) or (), self.state.doubts(i)
        return {"t": "suggest", "i": i, "h": text_hash(self.state.texts[i]), "edits": [e.to_json() for e in edits],
                **({"doubts": [d.to_json() for d in doubts]} if doubts else {})}

    def _work_record(self, i: int) -> dict:
        return work_to_json(i, text_hash(self.state.texts[i]), self.state.work(i))

    def _record(self, kind: str, changed: set[int]) -> None:
        """Listener: the state changed; write it down now."""
        make = self._suggest_record if kind == "suggest" else self._work_record
        self._append([make(i) for i in sorted(changed)])

    @property
    def threshold(self) -> float:
        """The confidence below which edits are hidden: the user's, else the model's, else 0.5."""
        for value in (self.explicit_threshold, self.model_threshold):
            if value is not None:
                return value
        return 0.5

    def _append(self, records: list[dict]) -> None:
        try:
            self.journal.append(records)
        except OSError as exc:
            self.warning = f"cannot write the journal {self.journal.path} ({exc.strerror}); save soon"

    def _compact(self) -> None:
        """Rewrite the journal as the shortest list of records giving the current state."""
        state = self.state
        out = [{"t": "open", "v": 1, "document": self.path.name, "format": self.fmt,
                "base_hash": text_hash(self.base), "base": self.base},
               ]
        if self.model_threshold is not None:
            out.append({"t": "threshold", "value": self.model_threshold})
        if self.model_id is not None:
            out.append({"t": "model", "id": self.model_id})
        out += [self._suggest_record(i) for i in range(len(state)) if state.analysed(i)]
        out += [work_to_json(i, text_hash(state.texts[i]), w) for i, w in sorted(state.saved_work.items())]
        if self.saved_hash is not None:
            out.append({"t": "saved", "hash": self.saved_hash, "logged": {str(i): h for i, h in self.logged.items()}})
        out += [self._work_record(i) for i in sorted(state.unsaved)]
        try:
            self.journal.rewrite(out)
        except OSError as exc:
            raise InputError(f"cannot write the journal {self.journal.path} ({exc.strerror})") from None

    # --- saving -----------------------------------------------------------------------------

    def save(self, force: bool = False) -> Saved:
        """Write the document with the accepted edits and log the changed segments."""
        try:
            on_disk = text_hash(self.path.read_bytes())
        except OSError:
            on_disk = None
        if on_disk != self._disk_hash and not force:
            raise FileChanged(f"{self.path} changed on disk since it was opened")
        state = self.state
        changed = state.changed_segments()
        text = state.doc.render(changed)
        data = self.file.encode(text)
        try:
            backup = atomic_write(self.path, data, backup=not self._backed_up)
        except OSError as exc:
            raise InputError(f"cannot save {self.path} ({exc.strerror})") from None
        self._backed_up = True
        self._disk_hash = text_hash(data)
        warning = None
        records = []
        for i in sorted(set(state.worked_segments()) | set(self.logged)):
            record = corrections.from_segment(state.segment(i), state.final(i), str(self.path.resolve()), i,
                                              state.doc.language)
            # What it teaches, hashed (with nothing turned down, the final text's hash, as journals kept it).
            if self.logged.get(i, text_hash(state.texts[i])) != text_hash(record.taught()):
                records.append(record)
        try:
            corrections.append(records, self.log)
            self.logged.update((r.segment, text_hash(r.taught())) for r in records)
        except OSError as exc:  # logged at the next save that can write it
            warning = f"saved, but the corrections log {self.log} was not written ({exc.strerror})"
            records = []
        self.saved_hash = text_hash(text)
        state.mark_saved()
        self._append([{"t": "saved", "hash": self.saved_hash, "logged": {str(i): h for i, h in self.logged.items()}}])
        return Saved(self.path, backup, len(changed), len(records), warning or self.take_warning())

    def discard(self) -> None:
        """Forget the work done since the last save, in memory and in the journal."""
        self.state.revert_unsaved()
        self._compact()

    def take_warning(self) -> str | None:
        warning, self.warning = self.warning, None
        return warning

    def close(self) -> None:
        """Release the journal; one that holds nothing worth keeping is removed."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        state = getattr(self, "state", None)
        if state is not None and not state.analysed_count and not state.saved_work and not state.unsaved:
            self.journal.remove()
        self.journal.close()
