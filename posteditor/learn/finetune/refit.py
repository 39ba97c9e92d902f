"""Fine-tuning, phase 4: the edit scorer, the retranslation and the words to check refitted with
the editor's judgements.

Each works on the new model's record (``posteditor.json`` as a dict) in place and returns
what it did, for the model card.
"""

from __future__ import annotations

import numpy as np

from posteditor.core.records import Pair
from posteditor.learn.finetune.config import _log


def refit_scorer(meta: dict, labels: dict, weight: float) -> dict:
    """Refit the new model's edit scorer (``meta``, updated in place) with the editor's labels.

    The base model's threshold stays: the scorer's output is the probability that an edit is
    right, and the refit moves what counts as right towards what this editor does. (It learns
    from the base model's confidences and is applied to the new model's, which fine-tuning
    shifts a little; the gate judges the result.)
    """
    from posteditor.suggest import scorer

    base = meta.get("edit_scorer") or {}
    try:
        params = scorer.refit(base, labels["x"], labels["y"], weight, labels.get("k"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:  # a hand-edited posteditor.json
        _log(f"note: the base model's edit scorer data is unusable ({exc!r}); the new model keeps that scorer")
        params = None
    if params is not None:
        meta["edit_scorer"] = params
    return {"threshold": meta.get("min_confidence"), "segments": 0, "inherited": True,
            "scorer": {"fitted_before": len((base.get("data") or {}).get("y") or []), "editor_edits": len(labels["y"]),
                       "editor_right": int(sum(labels["y"])), "weight": weight, "refitted": params is not None,
                       "already_learnt": labels.get("skipped", 0)}}


def refit_retranslation(meta: dict, rows: list[Pair], weight: float, taken_back=()) -> dict | None:
    """Teach retranslation (``meta``, updated in place) from the training corrections given with
    a source Apertium translates: each says whether Apertium's translation is nearer the
    editor's version than the MT was. Corrections an earlier fine-tune learnt from are left
    out, unless the editor has since corrected them otherwise: then what they teach now replaces
    what they taught. Segments ``taken_back`` (``collect``: changed back to the MT, they teach
    nothing now) are forgotten. A summary for the card, or None when there was nothing to
    learn or forget."""
    from posteditor.suggest import retranslate
    from posteditor.suggest.scorer import learnt_from, segment_key, split_key

    chains, base = retranslate.installed(), meta.get("retranslation")
    base = base if isinstance(base, dict) and isinstance(base.get("data", {}), dict) else None
    seen = learnt_from(base)  # segment -> the hash of the final text it taught ("": not kept)

    def new(r: Pair) -> bool:
        segment, final = split_key(segment_key(r.mt, r.src, r.pe))
        return segment not in seen or seen[segment] not in ("", final)

    todo = [r for r in rows if r.src and new(r)]
    gone = {k for k in taken_back if k in seen}
    if not chains or not (todo or gone):
        return None
    try:
        x, y, index, _, langs = retranslate.labelled([r.mt for r in todo], [r.pe for r in todo],
                                                     [r.src for r in todo], chains) if todo else ([], [], [], [], [])
    except retranslate.FAILURES as exc:
        _log(f"note: Apertium failed ({exc}); retranslation left as it was")
        return None
    y = np.asarray(y, dtype=bool)
    if not len(y) and not gone:
        return None
    own = (base["translations"] - int(base.get("editor_translations") or 0)  # its own rows, not earlier editors'
           if base and isinstance(base.get("translations"), int) else 0)
    summary = {"translations": len(y), "closer": int(y.sum()), "weight": weight, "refitted": False, "fitted_before": own,
               **({"taken_back": len(gone)} if gone else {})}
    try:
        params = retranslate.refit(base, x, y, weight, [segment_key(todo[i].mt, todo[i].src, todo[i].pe) for i in index],
                                   langs, forget=gone)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a hand-edited posteditor.json
        _log(f"note: the base model's retranslation data is unusable ({exc!r}); retranslation left as it was")
        return summary | {"reason": "the base model's retranslation data is unusable"}
    if params is not None:
        meta["retranslation"] = params
    _log(f"retranslation: {len(y)} training corrections translated by Apertium, {int(y.sum())} closer to the editor's "
         f"version than the MT" + (f", {len(gone)} taken back" if gone else "") + "; "
         + ("refitted" if params else "too few to learn from, left as it was"))
    if params is None:
        return summary | {"reason": "too few to learn from"}
    return summary | {"refitted": True} | ({"shift": params["editor_shift"]} if "editor_shift" in params else {})


def refit_doubts(meta: dict, model_dir, rows: list[Pair], heldout: list[Pair]) -> dict | None:
    """Teach the new model's words to check (``meta``, updated in place) from the training
    corrections, for each reading the model uses (without the source and, for a model that
    reads sources, with it, from the corrections that have one): the probe is refitted on the
    words the editor changed and kept (``learn.doubts.adapt``), as the new model reads them.
    It starts from the weights fitted on dev (kept beside it as ``prior``, so a later
    fine-tune, which reads these corrections again, does not count them twice), and replaces
    the reading's probe only where it ranks the ``heldout`` corrections' changed words at
    least as well (average precision).

    A refitted reading gets its own bar (``words_to_check.readings``), chosen on the held-out
    corrections (``learn.doubts.sure_bar``; not on the others, which the new model was trained
    on and reads too well). Where none is sure enough there, it gets the bar at which it flags as
    many of the corrections' words as the inherited probe did at its bar
    (``learn.doubts.matched_bar``): a probe fitted to an editor who changes fewer words than
    dev's post-editors gives lower probabilities of change, and would otherwise flag almost
    nothing. A reading left as it was keeps the bar it had; one whose dev fit found no bar gets
    one only from the held-out corrections.

    A source language with a probe of its own (``words_to_check.languages``, which stands before
    the shared one for its documents) is refitted the same way, from its dev fit, on the
    corrections whose documents were in that language (``Pair.source_language``), and judged on
    the held-out ones. A summary for the card (``readings``, and each refitted language's), or
    None for a model without a usable probe."""
    from posteditor.core.meta import ModelMeta, refits
    from posteditor.learn.doubts import bar_figure
    from posteditor.model.corrector import Corrector

    record = ModelMeta(meta)
    fitted = meta.get("words_to_check")
    detector = fitted.get("detector") if isinstance(fitted, dict) else None
    if not isinstance(detector, dict):
        return None
    corrector = Corrector(model_dir, rescore=False)
    if corrector.word_check is None:  # (unusable: the corrector said so on stderr)
        return None
    prior = detector.get("prior")
    if not (isinstance(prior, dict) and all(isinstance(prior.get(name), dict) for name in ("without_source", "with_source"))):
        prior = {name: detector[name] for name in ("without_source", "with_source")}  # (the loaded probe checked these)
    readings, bars, languages = {}, {}, {}
    for name, sourced in (("without_source", False), ("with_source", True)):
        if sourced and not corrector.info.use_source:
            continue
        train_rows = [r for r in rows if r.src or not sourced]
        test_rows = [r for r in heldout if r.src or not sourced]
        train, test = _read(corrector, train_rows, sourced), _read(corrector, test_rows, sourced)
        readings[name], adapted, bar = _refit(corrector, prior.get(name), _words_of(train, train_rows),
                                              _words_of(test, test_rows), sourced, None, record.reading_bar(sourced))
        if adapted is not None:
            detector[name], bars[name] = adapted, bar
        # Each language with its own probe learns from the corrections of its documents, from its dev fit.
        for lang in record.languages:
            own = record.language_reading(lang, sourced)
            if own is None or not any(r.source_language == lang for r in train_rows):
                continue
            if "coef" not in own:
                languages.setdefault(lang, {})[name] = {"kept": False, "reason": "its dev fit keeps the shared probe"}
                continue
            start = own.get("prior") or {"coef": own["coef"], "intercept": own["intercept"]}
            languages.setdefault(lang, {})[name], adapted, bar = _refit(
                corrector, start, _words_of(train, train_rows, lang), _words_of(test, test_rows, lang), sourced, lang,
                record.reading_bar(sourced, lang))
            if adapted is not None:  # (the dev fit's figures go under "dev": they describe the prior and its bar)
                dev = own.get("dev") or {k: v for k, v in own.items() if k not in ("coef", "intercept", "prior")}
                fitted["languages"][lang][name] = {**adapted, "below": bar, "prior": start, "dev": dev}
    if bars:
        detector["prior"] = prior
        earlier = fitted.get("readings")
        fitted["readings"] = {**(earlier if isinstance(earlier, dict) else {}), **bars}
    summary = {"readings": readings, "languages": languages}
    _log("words to check: " + "; ".join(
        f"{name}: " + (f"{s['corrections']} corrections, held-out average precision {s['before']} -> {s['after']}, "
                       + (f"adapted, bar {bar_figure(s['bar']['after'])} ({s['bar']['how']})" if s["kept"] else "left as it was")
                       if "before" in s else f"{s['reason']}, left as it was")
        for name, s in refits(summary)))
    return summary


def _refit(corrector, start: dict | None, train, test, sourced: bool, language: str | None,
           bar: float | None) -> tuple[dict, dict | None, float | None]:
    """One probe (the shared one, or ``language``'s) refitted from ``start`` on the training
    corrections' words (``train``, ``_words_of``'s) and judged on the held-out ones (``test``):
    its summary, and the adapted weights and their bar where it ranks the held-out words at
    least as well as the probe the new model has now (else None, and ``bar`` as it was)."""
    from posteditor.learn.doubts import adapt, average_precision, editor_choice
    from posteditor.model.wordqe import record_keeps

    if train is None or test is None:
        which = "training" if train is None else "held-out"
        return {"kept": False, "reason": f"no {which} corrections{' with a source' if sourced else ''} "
                                         f"holding words both changed and kept"}, None, bar
    (x, y, corrections), (hx, hy, _) = train, test
    try:
        adapted = adapt(start, x, y)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a hand-edited prior
        return {"kept": False, "reason": f"its dev fit is unusable ({exc!r})"}, None, bar
    keep = record_keeps(adapted, hx)
    before = average_precision(hy, corrector.word_check.keep(hx, sourced, language))
    after = average_precision(hy, keep)
    summary = {"corrections": corrections, "words": len(y), "changed": int(y.sum()), "heldout_words": len(hy),
               "heldout_changed": int(hy.sum()), "before": before, "after": after, "kept": after >= before}
    if after < before:
        return summary, None, bar
    both = np.vstack([x, hx])
    chosen, how, table = editor_choice(keep, hy, corrector.word_check.keep(both, sourced, language),
                                       record_keeps(adapted, both), bar)
    summary["bar"] = {"before": bar, "after": chosen, "how": how, "heldout": table}
    return summary, adapted, chosen


def _read(corrector, rows: list[Pair], sourced: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The probe's features of the corrections' words (``Corrector.word_features``), whether
    the editor changed each, and each word's correction (its index in ``rows``); None if no
    correction has words."""
    from posteditor.learn.doubts import changed_words, labelled
    from posteditor.suggest.base import Item

    found = labelled(corrector.word_features([Item(r.mt, r.src if sourced else None) for r in rows]),
                     [changed_words(r.mt, r.pe) for r in rows])
    return None if found is None else found[1:]


def _words_of(found, rows: list[Pair], language: str | None = None) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Of ``_read``'s words, those of corrections from ``language`` (all without one): their
    features, labels and how many corrections they come from; None unless both changed and
    kept words are there."""
    if found is None:
        return None
    x, y, row = found
    mask = np.ones(len(y), dtype=bool) if language is None else np.array([rows[k].source_language == language for k in row])
    if not 0 < y[mask].sum() < mask.sum():
        return None
    return x[mask], y[mask], len(set(row[mask]))
