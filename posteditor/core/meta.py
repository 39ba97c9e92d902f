"""A model folder's description of itself, ``posteditor.json``: read and written here only.

It holds what inference needs (input limit, threshold chosen on dev, whether sources are
read, where to look for alternatives, the edit scorer, the retranslation settings) and the
record of how the model was made (training, calibration, fine-tuning). ``ModelMeta`` is a
frozen view of it; changing it means ``updated(...)`` and ``write``, which replaces the file
atomically, so a crash never leaves half a json beside the weights.

It lives in the core, not in the model layer: the editor and the batch commands read the
threshold before (or without) loading torch.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posteditor.core.paths import WEIGHTS, default_model
from posteditor.core.textio import InputError, atomic_write

META_FILE = "posteditor.json"
DEFAULT_THRESHOLD = 0.5
"""The confidence threshold when neither the command line nor the model names one."""


class MetaError(InputError):
    """A model's ``posteditor.json`` is missing or unreadable; reported as one line."""


@dataclass(frozen=True, eq=False)  # compared as the mapping it is
class ModelMeta(Mapping):
    """What ``posteditor.json`` says about a model: the raw record, read-only, with typed
    views of the fields inference reads (and their defaults when a field is absent)."""

    data: Mapping[str, Any] = field(default_factory=dict)

    # --- the fields inference reads ---------------------------------------------------

    @property
    def max_tokens(self) -> int:
        """Prompt and correction together fit in this many tokens."""
        return self.data.get("max_tokens", 256)

    @property
    def min_confidence(self) -> float:
        """The threshold chosen on dev data: edits at least this confident are applied."""
        return self.data.get("min_confidence", DEFAULT_THRESHOLD)

    @property
    def use_source(self) -> bool:
        """Whether the model reads the source sentence (calibration chose it)."""
        return self.data.get("use_source", True)

    @property
    def hints(self) -> tuple[str, ...]:
        """Source languages for which the model reads Apertium's English translation of the
        source (it was trained with them: ``Pair.hint``); none for older models."""
        return tuple(self.data.get("hints", ()))

    @property
    def doubt(self) -> float:
        """Look for alternatives where the model gives an MT token less than this."""
        return self.data.get("doubt", 0.6)

    @property
    def languages(self) -> tuple[str, ...]:
        """The source languages with a probe or a bar of their own for words to check."""
        fitted = self.data.get("words_to_check")
        languages = fitted.get("languages") if isinstance(fitted, dict) else None
        return tuple(sorted(languages)) if isinstance(languages, dict) else ()

    @property
    def check_below(self) -> float | None:
        """Words kept with less than this probability (as the model's probe of words to check, or
        its least sure piece, estimates it) are shown as words to check (``posteditor.learn.doubts``
        chose the bar on dev; a fine-tuned version's bars for each reading are in ``reading_bar``);
        None: not fitted, none shown."""
        fitted = self.data.get("words_to_check")
        below = fitted.get("below") if isinstance(fitted, dict) else None
        return _bar(below)

    def reading_bar(self, sourced: bool, language: str | None = None) -> float | None:
        """The bar for words read with the source or without, in a document from ``language``:
        the language's own (``language_reading``; None where no bar was sure enough for it),
        else a fine-tuned version's for that reading (``words_to_check.readings``, chosen on its
        editor's corrections; a hand-edited one that is not a probability shows none), else
        ``check_below``."""
        mine = self.language_reading(language, sourced)
        if mine is not None:
            return _bar(mine.get("below"))
        fitted = self.data.get("words_to_check")
        readings = fitted.get("readings") if isinstance(fitted, dict) else None
        own = readings.get(READINGS[sourced]) if isinstance(readings, dict) else None
        return _bar(own) if own is not None else self.check_below

    def language_reading(self, language: str | None, sourced: bool) -> dict | None:
        """The probe and bar fitted on dev for words of ``language`` (its source language) read
        with the source or without (``words_to_check.languages``); None for a language not
        fitted. They stand before a fine-tuned version's refit on its editor's corrections: that
        starts from the probe shared by all languages, and on MLQE-PE dev a language's own ranks
        its words better than the shared one adapted on 500 of its segments
        (``docs/results.md``). A fine-tuned version inherits them, fitted on its base's pass, as
        it inherits the shared probe: the shipped probe ranked as well on an adapter trained
        on all 30 layers as on its own (average precision 0.642 against 0.645)."""
        fitted = self.data.get("words_to_check")
        if not isinstance(fitted, dict) or not language:
            return None
        languages = fitted.get("languages")
        mine = languages.get(language) if isinstance(languages, dict) else None
        mine = mine.get(READINGS[sourced]) if isinstance(mine, dict) else None
        return mine if isinstance(mine, dict) else None

    @property
    def min_alternative(self) -> float:
        """Alternatives less probable than this are not tried."""
        return self.data.get("min_alternative", 0.05)

    @property
    def max_alternatives(self) -> int:
        """At most this many alternatives per segment (the most doubted tokens first)."""
        return self.data.get("max_alternatives", 2)

    # --- a read-only mapping of the record --------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def to_dict(self) -> dict:
        """A deep copy to change and pass to ``ModelMeta(...)`` again."""
        return copy.deepcopy(dict(self.data))

    def updated(self, **changes: Any) -> ModelMeta:
        return ModelMeta({**self.to_dict(), **changes})

    # --- the file ---------------------------------------------------------------------

    @classmethod
    def read(cls, model_dir: str | os.PathLike | None = None) -> ModelMeta:
        """The model's record (default: the current model's) without loading the model;
        empty when the folder has none or it cannot be read (loading the model reports that)."""
        try:
            return cls.load(Path(model_dir) if model_dir else default_model())
        except MetaError:
            return cls()

    @classmethod
    def load(cls, model_dir: str | os.PathLike) -> ModelMeta:
        """The model's record, or ``MetaError`` saying why there is none."""
        path = Path(model_dir) / META_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MetaError(f"{path}: missing (the model's threshold and scorer are kept there)") from None
        except (OSError, ValueError) as exc:
            raise MetaError(f"{path}: unreadable ({exc})") from None
        if not isinstance(raw, dict):
            raise MetaError(f"{path}: not a JSON object")
        return cls(raw)

    def write(self, model_dir: str | os.PathLike) -> None:
        """Replace the model's ``posteditor.json`` with this record, atomically."""
        atomic_write(Path(model_dir) / META_FILE, _readable_json(dict(self.data)) + "\n")


def _readable_json(value: Any, depth: int = 0) -> str:
    """JSON indented by two spaces a level, except that a list of plain values (the thousands
    of training rows a scorer keeps) stays on one line: a third smaller than ``indent=2``."""
    pad = "  " * (depth + 1)
    if isinstance(value, dict) and value:
        inner = ",\n".join(f"{pad}{json.dumps(str(k))}: {_readable_json(v, depth + 1)}" for k, v in value.items())
        return "{\n" + inner + "\n" + "  " * depth + "}"
    if isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value):
        return "[\n" + ",\n".join(pad + _readable_json(v, depth + 1) for v in value) + "\n" + "  " * depth + "]"
    return json.dumps(value)


def model_meta(model_dir: str | os.PathLike | None = None) -> ModelMeta:
    """A model's record (default: the current model's) without loading it; empty when unreadable."""
    return ModelMeta.read(model_dir)


def resolve_threshold(cli: float | None, meta: ModelMeta | None) -> float:
    """The confidence threshold in force: the command line's, else the model's, else the default.

    ``meta`` is whatever a suggester carries as ``info`` (``None`` for one without a model)."""
    if cli is not None:
        return float(cli)
    if meta is None:
        return DEFAULT_THRESHOLD
    return float(getattr(meta, "min_confidence", DEFAULT_THRESHOLD))


READINGS = {False: "without_source", True: "with_source"}
"""The name of each reading of words (with the source or not) in ``words_to_check``."""


def refits(summary: Mapping | None) -> list[tuple[str, dict]]:
    """Each probe a fine-tune refitted, as ``refit_doubts`` summarises them (``finetune.calibration.
    words_to_check`` in a version's record): (its name for people, "without source" or "with source
    in ro", and its summary), the shared readings first; none for a summary that is not one."""
    summary = summary if isinstance(summary, Mapping) else {}
    readings = summary.get("readings") if isinstance(summary.get("readings"), Mapping) else {}
    languages = summary.get("languages") if isinstance(summary.get("languages"), Mapping) else {}
    found = [(name.replace("_", " "), s) for name, s in readings.items()]
    found += [(f"{name.replace('_', ' ')} in {lang}", s) for lang, group in languages.items()
              if isinstance(group, Mapping) for name, s in group.items()]
    return [(name, s) for name, s in found if isinstance(s, dict)]


def _bar(below) -> float | None:
    return float(below) if isinstance(below, (int, float)) and 0 < below <= 1 else None  # (hand-edited: none)


def model_signature(model_dir: str | os.PathLike | None = None, check_below: float | None = None) -> str | None:
    """Which model (folder and weights) suggestions come from; None when there is none.

    The editor's journal keeps it, so suggestions cached from another model (say before a
    fine-tune became current, or before its edit scorer was refitted, which changes every
    confidence, or its bar for words to check, or the user's ``check_below``) are asked for
    again rather than shown as the current model's. (The editor adds the document's source
    language, whose probe and bar may check its words.)
    """
    folder = Path(model_dir) if model_dir else default_model()
    try:
        weights = (folder / WEIGHTS).stat()
    except OSError:
        return None
    meta = ModelMeta.read(folder)
    scorer = json.dumps(meta.get("edit_scorer"), sort_keys=True)
    bar = check_below if check_below is not None else meta.check_below  # the user's (--check-below), else the model's
    fitted = meta.get("words_to_check")
    fitted = fitted if isinstance(fitted, dict) else {}
    readings = fitted.get("readings") if check_below is None else None  # (a fine-tuned version's bars, each reading's)
    languages = fitted.get("languages")  # (each source language's probe and bar, fitted on dev)
    if bar is not None or readings or languages:  # (a model without words to check keeps the signature it had)
        scorer += f":{bar}" + (":" + json.dumps(readings, sort_keys=True) if readings else "")
        if detector := fitted.get("detector"):  # (one fitted before the probe keeps it too)
            scorer += ":" + json.dumps(detector, sort_keys=True)
        if languages:
            scorer += ":" + json.dumps(languages, sort_keys=True)
    return f"{folder.resolve()}:{weights.st_size}:{weights.st_mtime_ns}:{hashlib.sha256(scorer.encode()).hexdigest()[:12]}"
