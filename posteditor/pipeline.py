"""The suggester every command uses: the model, its checks against the source, the correction memory.

``load_suggester`` is the one place the layers meet: it loads the model (torch and
transformers are imported here, not before), adds Apertium's retranslation of segments that
stray from their source and the word check against it when they were fitted, and the
correction memory, merged by ``Combined``. ``correct``, ``evaluate``, calibration,
fine-tuning and the editor's child process all call it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from posteditor.core import paths
from posteditor.core.meta import ModelMeta
from posteditor.core.textio import InputError
from posteditor.suggest.base import Suggester
from posteditor.suggest.combine import Combined


def load_memory() -> Suggester | None:
    """The correction memory as a suggester, or None when it holds no fix or rejection yet."""
    from posteditor.suggest.memory import load_memory as load

    return load()


def load_suggester(model_dir: str | Path | None = None, use_memory: bool = True,
                   check_below: float | None = None) -> Suggester:
    """The model in ``model_dir`` (default: the current model), plus its retranslation of
    segments that stray from their source, its word check against the source and the
    correction memory. ``check_below``: the bar for words to check, instead of the model's."""
    folder = Path(model_dir) if model_dir else paths.default_model()
    if not folder.is_dir():
        raise InputError(f"{folder}: no model there; train one with 'posteditor train' or give --model DIR")
    from posteditor.model.corrector import Corrector  # torch and transformers load here, not before

    model = Corrector(folder, check_below=check_below)
    suggesters = [model, load_retranslator(model.meta), load_word_check(model),
                  load_memory() if use_memory else None]
    suggesters = [s for s in suggesters if s is not None]
    return Combined(suggesters) if len(suggesters) > 1 else model


def load_retranslator(meta: ModelMeta) -> Suggester | None:
    """The model's retranslation of segments that stray from their source, when calibration
    fitted one (it proposes only for segments given with a source)."""
    if not meta.get("retranslation"):
        return None
    from posteditor.suggest.retranslate import Retranslator

    try:
        return Retranslator(meta["retranslation"])
    except (KeyError, TypeError, ValueError) as exc:
        print(f"posteditor: the model's retranslation settings are unusable ({exc}); left out", file=sys.stderr)
        return None


def load_word_check(model) -> Suggester | None:
    """The model's word check against the source (``suggest.wordcheck``), judged by the
    model's own language model, when one was fitted (``python -m posteditor.learn.wordcheck``)."""
    if not model.meta.get("word_check"):
        return None
    from posteditor.suggest.wordcheck import WordCheck

    try:
        return WordCheck(model.meta["word_check"], model.sentence_log_probs, model.piece_count)
    except (KeyError, TypeError, ValueError) as exc:
        print(f"posteditor: the model's word check settings are unusable ({exc}); left out", file=sys.stderr)
        return None
