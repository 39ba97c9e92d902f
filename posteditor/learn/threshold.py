"""The one rule that chooses a confidence threshold, and scoring a suggester on post-edits.

The suggester runs once over the MT (``suggest_all``); everything after that, including the
sweep over thresholds (``choose_threshold``), only filters the proposed edits and rescores the
segments that changed, so a sweep costs seconds, not another pass of the model.
"""

from __future__ import annotations

from typing import Callable, Sequence

from posteditor.core.edits import Edit
from posteditor.core.metrics import SegmentMetric, apply_threshold, edit_precision_recall, report, retranslated
from posteditor.suggest.base import Suggester
from posteditor.suggest import combine

GRID = tuple(round(0.05 * k, 2) for k in range(6, 20)) + (0.96, 0.97, 0.98, 0.99, 1.0)
"""Thresholds tried by ``choose_threshold`` and ``calibrate``: none below ``UNSCORED_CAP``
(0.3), under which a model without an edit scorer keeps the edits it cannot judge: a fine-tune's
few held-out corrections once chose 0.25, applying them."""
NOTHING = 1.01
"""A threshold above every confidence: apply no edit (chosen when no threshold helps)."""
MIN_PRECISION = 0.6  # applied edits at least this often the post-editor's: precision first


def evaluate_items(
    suggester: Suggester,
    mts: Sequence[str],
    refs: Sequence[str],
    sources: Sequence[str | None] | None = None,
    min_confidence: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Run the suggester over ``mts`` and score the result (see ``report``)."""
    if len(mts) != len(refs):
        raise ValueError(f"{len(mts)} MT segments but {len(refs)} references")
    threshold = combine.threshold_of(suggester) if min_confidence is None else min_confidence
    return report(mts, refs, combine.suggest_all(suggester, mts, sources, progress), threshold)


def choose_threshold(
    mts: Sequence[str],
    refs: Sequence[str],
    sources: Sequence[str | None] | None,
    proposed_edits: Sequence[Sequence[Edit]],
    thresholds: Sequence[float] = GRID,
) -> tuple[float, list[dict]]:
    """The confidence threshold to ship, and the sweep behind it (for the model card).

    Among thresholds whose applied edits are at least ``MIN_PRECISION`` precise (precision
    comes first) and do not worsen TER, the one with the largest TER gain; on ties the higher
    threshold. When none qualifies, ``NOTHING``: apply no edit. ``sources`` is accepted so
    callers pass the same data everywhere; the edits were proposed with them already.
    """
    ter = SegmentMetric(mts, refs)
    base = ter.corpus(mts)
    table = []
    for t in sorted(set(thresholds)) + [NOTHING]:
        hyps = apply_threshold(mts, proposed_edits, t)
        pr = edit_precision_recall(mts, hyps, refs, retranslated(proposed_edits, t))
        table.append({
            "threshold": t,
            "delta_ter": round(ter.corpus(hyps) - base, 3),
            "precision": pr["precision"],
            "recall": pr["recall"],
            "applied": pr["applied"],
        })
    return choose(table), table


def choose(table: Sequence[dict]) -> float:
    """The one rule that picks a threshold from a sweep (``calibrate``, ``evaluate``, ``finetune``).

    A threshold qualifies when it applies edits, at least ``MIN_PRECISION`` of them right
    (precision comes first), and no group gets worse: each language of a row's ``langs`` when
    the sweep has them (calibration: a model that helps ro-en but hurts ru-en does not qualify),
    else the pooled ``delta_ter``. Of those, the one with the largest mean TER gain; on ties the
    higher threshold. When none gains anything, ``NOTHING``: apply no edit.
    """
    best, best_gain = NOTHING, 0.0
    for row in table:
        deltas = [lang["delta_ter"] for lang in row["langs"].values()] if "langs" in row else [row["delta_ter"]]
        if not row["applied"] or row["precision"] is None or row["precision"] < MIN_PRECISION or max(deltas) > 0:
            continue
        gain = -sum(deltas) / len(deltas)
        if gain > best_gain or (gain == best_gain and gain > 0 and row["threshold"] > best):
            best, best_gain = row["threshold"], gain
    return best
