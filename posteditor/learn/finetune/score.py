"""Fine-tuning, phases 2 and 4: the numbers a new model is judged and calibrated by.

TER of what ``correct`` would write on sets of corrections, a threshold of the model's own,
and the base model's edits in the training corrections labelled by what the editor did.
"""

from __future__ import annotations

from collections.abc import Container
from pathlib import Path

from posteditor.core.records import Pair


def ter_scores(model_dir: Path, sets: dict[str, list[Pair]]) -> dict[str, float]:
    """TER of what ``correct`` would write with the model alone (no correction memory), per set.

    ``posteditor.commands.evaluate`` does the measuring, as ``posteditor evaluate`` does: segments
    too long for the model are left alone, edits below its confidence threshold are not
    applied, TER is sacrebleu's, case-sensitive.
    """
    from posteditor.pipeline import load_suggester
    from posteditor.learn.threshold import evaluate_items
    from posteditor.suggest.combine import applying, threshold_of

    suggester = load_suggester(model_dir, use_memory=False)  # the model with its checks against the source
    threshold = threshold_of(suggester)
    # Only what can be applied is run: a model whose edits all stay below its threshold (no
    # edit scorer) changes nothing here, and scoring it would cost a model pass per segment.
    applied = applying(suggester, threshold, any(r.src for rows in sets.values() for r in rows))
    return {name: round(evaluate_items(applied, [r.mt for r in rows], [r.pe for r in rows], [r.src for r in rows],
                                       threshold)["corrected"]["ter"], 2)
            for name, rows in sets.items() if rows}


def own_threshold(model_dir: Path, rows: list[Pair]) -> dict | None:
    """The new model's confidence threshold and the sweep behind it, chosen on ``rows`` as
    ``posteditor evaluate`` chooses one (from one pass of the model with its checks against the source);
    None without rows."""
    from posteditor.pipeline import load_suggester
    from posteditor.learn.threshold import choose_threshold
    from posteditor.suggest.combine import suggest_all

    if not rows:
        return None
    mts, refs, sources = [r.mt for r in rows], [r.pe for r in rows], [r.src for r in rows]
    proposed = suggest_all(load_suggester(model_dir, use_memory=False), mts, sources)
    threshold, table = choose_threshold(mts, refs, sources, proposed)
    return {"threshold": threshold, "segments": len(rows), "table": table}


def editor_edits(model_dir: Path, rows: list[Pair], learnt: Container[str]) -> dict:
    """Every edit ``model_dir`` proposes in the corrections ``rows``, as the edit scorer sees it,
    whether the editor made it, and its segment: the labels a refit of the scorer learns from.

    Corrections the scorer has learnt from already (``learnt``: an earlier fine-tune's, which
    this model was trained on, so its edits there would be no test of it) are left out.
    """
    from posteditor.suggest import scorer
    from posteditor.suggest.combine import suggest_all
    from posteditor.model.corrector import Corrector

    corrector = Corrector(model_dir, rescore=False)
    new = [r for r in rows if scorer.segment_key(r.mt, r.src) not in learnt]
    skipped, rows = len(rows) - len(new), new
    mts, finals = [r.mt for r in rows], [r.pe for r in rows]
    sources = [r.src if corrector.info.use_source else None for r in rows]  # as the scorer will see them
    x, y, segment = scorer.labelled(mts, finals, sources, suggest_all(corrector, mts, sources), corrector.piece_count,
                                    corrector.hints(sources))
    keys = [scorer.segment_key(rows[i].mt, rows[i].src) for i in segment]
    return {"x": x.round(4).tolist(), "y": [int(v) for v in y], "k": keys, "segments": len(rows), "skipped": skipped}


def refittable(meta: dict) -> bool:
    """Whether the model's edit scorer keeps the edits it was fitted on (so it can learn more)
    and its threshold applies edits at all (a refit keeps it)."""
    from posteditor.learn.threshold import NOTHING
    from posteditor.suggest.scorer import keeps_data

    return keeps_data(meta.get("edit_scorer")) and float(meta.get("min_confidence") or 0) < NOTHING


def mt_ter(rows: list[Pair]) -> float | None:
    """TER of leaving the MT as it is: what any correction has to beat."""
    from posteditor.core.metrics import score

    return round(score([r.mt for r in rows], [r.pe for r in rows])["ter"], 2) if rows else None
