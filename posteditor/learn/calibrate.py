"""Choose a model's confidence threshold on dev data and write its card.

The model proposes edits once per dev segment (with and without the source sentence). An
edit scorer (``posteditor.suggest.scorer``) is fitted on those edits, judged against the
post-edits, and re-scores them out of fold; each candidate threshold then only filters the
re-scored edits, so the sweep is cheap. With sources, retranslation (fitted here, out of fold
too, unless the model's was fitted on train pairs) and the word check (fitted on train pairs) propose alongside, as the pipeline merges
them, so the threshold is chosen for what will be applied: without a scorer (or with one whose
edits cost more than they bring, which is then dropped) the model's edits are swept capped below
``UNSCORED_CAP``, as the corrector applies them. The threshold kept is the one with the largest mean
TER gain such that **no** dev language gets worse and applied-edit precision stays >= 0.6:
over-correcting good MT is the failure to avoid. The bar for words to check is fitted on the
same segments (``posteditor.learn.doubts``).
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

from posteditor.core.meta import ModelMeta
from posteditor.core import paths
from posteditor.core.edits import Edit
from posteditor.core.records import Pair, read_pairs
from posteditor.model import lm


def sweep(rows: list[Pair], proposals: list[list[Edit]]) -> list[dict]:
    """For every threshold: TER/chrF/BLEU deltas of each dev language, and edit precision.

    TER, chrF and BLEU come from cached per-segment statistics, so a threshold costs only the
    segments it changes: a sweep over 5,000 segments takes seconds, not minutes.
    """
    from posteditor.learn.threshold import GRID, NOTHING
    from posteditor.core.metrics import SegmentMetric, _metrics, apply_threshold, edit_precision_recall, retranslated

    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_lang[row.language].append(i)
    mts = [r.mt for r in rows]
    refs = [r.pe for r in rows]
    metrics = {
        lang: {name: SegmentMetric([mts[i] for i in idx], [refs[i] for i in idx], metric)
               for name, metric in zip(("ter", "chrf", "bleu"), _metrics())}
        for lang, idx in by_lang.items()
    }

    def scored(lang: str, hyps: tuple[str, ...]) -> dict:  # what evaluate.score gives, from cached statistics
        return {name: round(cached.corpus(hyps), 3) for name, cached in metrics[lang].items()}

    table = []
    for t in list(GRID) + [NOTHING]:
        hyps = apply_threshold(mts, proposals, t)
        langs = {}
        for lang, idx in sorted(by_lang.items()):
            before = scored(lang, tuple(mts[i] for i in idx))
            after = scored(lang, tuple(hyps[i] for i in idx))
            langs[lang] = {"mt_ter": before["ter"], "ter": after["ter"]} | {
                f"delta_{k}": round(after[k] - before[k], 3) for k in before
            }
        table.append({"threshold": t, "langs": langs, **edit_precision_recall(mts, hyps, refs, retranslated(proposals, t))})
    return table


def calibrate(model_dir: str | Path, dev_path: str | Path, limit: int | None = None) -> dict:
    """Sweep thresholds with and without sources, keep the best, update posteditor.json."""
    from posteditor.suggest import retranslate
    from posteditor.suggest import scorer
    from posteditor.suggest.combine import merge
    from posteditor.suggest.combine import suggest_all
    from posteditor.model.corrector import Corrector
    from posteditor.learn.threshold import choose
    from posteditor.pipeline import load_retranslator, load_word_check
    from posteditor.suggest.base import Item, capped

    model_dir = Path(model_dir)
    rows = read_pairs(dev_path)[:limit]
    corrector = Corrector(model_dir, rescore=False)
    results = {}
    for use_source in (True, False):
        started = time.time()
        sources = [r.src if use_source else None for r in rows]
        proposals = suggest_all(corrector, [r.mt for r in rows], sources)
        seconds = time.time() - started
        own = sweep(rows, proposals)
        hints = corrector.hints(sources)  # Apertium's translations the model read (None without)
        params, rescored, fitted_on = scorer.fit([r.mt for r in rows], [r.pe for r in rows], sources, proposals,
                                                 corrector.piece_count, hints=hints)
        if params:  # it judges edits made as on most of dev (see EditScorer.judges); the others stay unscored
            params |= _needs(sources, hints)
            judge = scorer.EditScorer(params, corrector.piece_count)
            rescored = [edits if judge.judges(s, h) else capped(edits) for edits, s, h in zip(rescored, sources, hints)]
        checks: list[list[list[Edit]]] = []  # what retranslation and the word check propose, in merge order
        again = None
        if use_source:  # segments that stray from their source: retranslated, scored out of fold too
            items = [Item(r.mt, s) for r, s in zip(rows, sources)]
            kept = load_retranslator(corrector.meta)
            trained = kept.params.get("fitted_on") if kept else None
            if trained:  # fitted on train pairs (``posteditor.learn.retranslation``): dev is out of sample for it
                again, retranslations, note = None, [], f"retranslation: the model's is fitted on {trained}, not on dev"
            else:
                again, retranslations, note = retranslate.fit([r.mt for r in rows], [r.pe for r in rows], sources)
            if again is None and kept:
                # Fitted on train pairs, or too few dev segments here (or Apertium missing) to fit
                # one: the model's stays, and the threshold is chosen with what it proposes.
                again, retranslations = kept.params, kept.suggest(items)
                note += ((f"; the model's is kept, its proposals swept" + ("" if trained else " as they are (not out of fold)"))
                         if any(retranslations) else "; the model's is kept, left out of the sweep (it proposed nothing here)")
            print(note, file=sys.stderr)  # progress: unbuffered, with the command's other lines
            if again:
                checks.append(retranslations)
            # The word check (fitted on train pairs, kept as it is) applies at the same threshold.
            if checked := load_word_check(corrector):
                checks.append(checked.suggest(items))

        def applied(model_edits: list[list[Edit]]) -> list[list[Edit]]:  # merged as the pipeline merges them
            return [merge(mine, *theirs) for mine, *theirs in zip(model_edits, *checks)]

        # What will be applied: the model's edits re-scored by the scorer, or without one capped
        # below UNSCORED_CAP (``Corrector`` does so), which no threshold applies; and the checks.
        unscored = [capped(edits) for edits in proposals]
        table = sweep(rows, applied(rescored if params else unscored))
        threshold, dropped = choose(table), False
        if params:  # the scorer's edits against none of the model's: a scorer that costs more than it brings is dropped
            bare = sweep(rows, applied(unscored))
            bare_threshold = choose(bare)
            if _mean_gain(bare, bare_threshold) > _mean_gain(table, threshold):
                print(f"source={use_source}: the model's word edits, re-scored, cost more than they bring; "
                      "no edit scorer, they stay below the threshold", file=sys.stderr)
                params, table, threshold, dropped = None, bare, bare_threshold, True
                fitted_on += "; dropped: the model's edits are better left unapplied"
        own_threshold = choose(own)
        gain = _mean_gain(table, threshold)
        results[use_source] = {"threshold": threshold, "gain": gain, "table": table, "scorer": params, "retranslation": again,
                               "scorer_dropped": dropped,
                               "own_confidence": {"threshold": own_threshold, "table": own},
                               "sentences_per_second": round(len(rows) / seconds, 1)}
        print(f"source={use_source}: {fitted_on}; threshold {threshold}, mean TER gain {gain:.3f} "
              f"(on the model's own confidence: {own_threshold}), {len(rows) / seconds:.1f} segments/s", file=sys.stderr)
    from posteditor.learn import doubts

    to_check = doubts.fit(corrector, rows)  # words to check: the bar, on the same dev segments
    print(doubts.summary(to_check), file=sys.stderr)
    use_source = results[True]["gain"] >= results[False]["gain"]
    chosen = results[use_source]
    meta = ModelMeta.read(model_dir).to_dict()
    learnt = meta.pop("edit_scorer", None)
    if chosen["scorer"]:
        meta["edit_scorer"] = editor_rows_kept(chosen["scorer"], learnt)
    old = meta.pop("retranslation", None)
    fitted = results[True]["retranslation"]  # it reads sources: kept for them, whichever run chose the threshold
    if retranslation := (old if fitted is not None and fitted == old else retranslation_kept(fitted, old)):
        meta["retranslation"] = retranslation
    meta.update({
        "words_to_check": to_check | {"dev": paths.in_project(dev_path)},
        "min_confidence": chosen["threshold"],
        "use_source": use_source,
        "word_edits_applied": bool(chosen["scorer"]),
        "dev": {
            "data": paths.in_project(dev_path),
            "segments": len(rows),
            # confidences in bf16 differ from fp32's by up to about 0.02: what the threshold was chosen on
            "precision": lm.precision_name(corrector.model.dtype),
            "at_threshold": next((r for r in chosen["table"] if r["threshold"] == chosen["threshold"]), None),
            "sweep_with_source": results[True]["table"],
            "sweep_without_source": results[False]["table"],
            "own_confidence": chosen["own_confidence"],
            **({"scorer_dropped": True} if chosen["scorer_dropped"] else {}),
        },
    })
    ModelMeta(meta).write(model_dir)
    return meta


def _needs(sources: list[str | None], hints: list[str | None]) -> dict:
    """What a scorer fitted on dev edits made with ``sources`` and ``hints`` needs to judge an
    edit: a source, and Apertium's translation of it, where most of dev had them (a scorer fitted
    with them knows nothing of edits made without)."""
    from posteditor.suggest.scorer import given

    def most(values: list) -> bool:
        return sum(map(given, values)) >= 0.9 * len(values)

    return {k: True for k, v in (("needs_source", most(sources)), ("needs_hint", most(hints))) if v}


def editor_rows_kept(fitted: dict, old: dict | None) -> dict:
    """The scorer just fitted on dev, refitted with the editor's edits the old one had learnt
    from a fine-tune, so recalibrating a fine-tuned version keeps them (and the next
    fine-tune still knows which corrections it has learnt from)."""
    from posteditor.suggest import scorer

    try:
        x, y, keys = scorer.editor_rows(old)
    except (KeyError, TypeError, ValueError):  # unreadable: the dev fit alone
        return fitted
    if not keys:
        return fitted
    return scorer.refit(fitted, x, y, float(old.get("editor_weight") or 1.0), keys) or fitted


def retranslation_kept(fitted: dict | None, old: dict | None) -> dict | None:
    """Retranslation just fitted on dev (or None), refitted with the editor's corrections the old
    one had learnt from in a fine-tune, as ``editor_rows_kept`` does for the edit scorer."""
    from posteditor.suggest import retranslate
    from posteditor.suggest import scorer

    try:
        x, y, keys = scorer.editor_rows(old, len(retranslate.FEATURES))
        if not keys:
            return fitted
        chains = set(old.get("chains") or []) | set((fitted or {}).get("chains") or [])
        return retranslate.refit(fitted, x, y, float(old.get("editor_weight") or 1.0), keys, chains) or fitted
    except (KeyError, TypeError, ValueError, AttributeError):  # unreadable (hand-edited): the dev fit alone
        return fitted


def _mean_gain(table: list[dict], threshold: float) -> float:
    for row in table:
        if row["threshold"] == threshold:
            deltas = [lang["delta_ter"] for lang in row["langs"].values()]
            return -sum(deltas) / len(deltas)
    return 0.0
