"""Score the corrector against post-edits: TER, chrF and BLEU before and after, edit precision.

The suggester runs once over the MT (``suggest_all``); everything after that, including a
sweep over confidence thresholds (``choose_threshold``), only filters the proposed edits and
rescores the segments that changed, so a sweep costs seconds, not another pass of the model.
TER is sacrebleu's, case-sensitive; edit precision and recall compare word edits
(``Edit.key()``) the corrector made with those the post-editor made.
"""

from __future__ import annotations

import json
import re
from typing import Callable, Collection, Sequence

from posteditor.commands.correct import CHUNK, fits, load_suggester, merge, progress_bar, threshold_of
from posteditor.core.edits import RETRANSLATION, Edit, apply_edits, extract_edits
from posteditor.suggest.base import Item, Suggester
from posteditor.core.textio import InputError, read_text

GRID = tuple(round(0.05 * k, 2) for k in range(20)) + (0.96, 0.97, 0.98, 0.99, 1.0)
"""Thresholds tried by ``choose_threshold``."""
NOTHING = 1.01
"""A threshold above every confidence: apply no edit (chosen when no threshold helps)."""
MIN_PRECISION = 0.6  # applied edits at least this often the post-editor's: precision first

# Signs of Moses tokenization: split punctuation, split clitics, escaped entities.
_MOSES = re.compile(r" [,.!?;:)](?: |$)|\( | '(?:s|re|ve|ll|d|m|t) | n't |&apos;|&quot;|&amp;")


# --- text preparation ---------------------------------------------------------------------


def is_tokenized(lines: Sequence[str], share: float = 0.3) -> bool:
    """Whether the lines look Moses-tokenized ("don 't , he said .")."""
    sample = [line for line in lines[:2000] if line.strip()]
    if not sample:
        return False
    hits = sum(1 for line in sample if _MOSES.search(f" {line.strip()} "))
    return hits >= share * len(sample)


def detokenize(lines: Sequence[str], lang: str = "en") -> list[str]:
    """Moses-tokenized lines back to natural text (the form the model reads)."""
    from sacremoses import MosesDetokenizer

    detok = MosesDetokenizer(lang)
    return [detok.detokenize(line.split()) for line in lines]


def prepare(lines: Sequence[str], tokenized: str = "auto") -> list[str]:
    """Lines as natural text: detokenized when ``tokenized`` is yes, or auto and they look it."""
    lines = [line.strip() for line in lines]
    if tokenized == "yes" or (tokenized == "auto" and is_tokenized(lines)):
        return detokenize(lines)
    return lines


# --- metrics ------------------------------------------------------------------------------


def _metrics():
    from sacrebleu.metrics import BLEU, CHRF, TER

    return TER(case_sensitive=True), CHRF(), BLEU()


def score(hyps: Sequence[str], refs: Sequence[str]) -> dict[str, float]:
    """Corpus TER (case-sensitive), chrF and BLEU of ``hyps`` against one reference each."""
    ter, chrf, bleu = _metrics()
    refs = [list(refs)]
    return {
        "ter": round(ter.corpus_score(hyps, refs).score, 3),
        "chrf": round(chrf.corpus_score(hyps, refs).score, 3),
        "bleu": round(bleu.corpus_score(hyps, refs).score, 3),
    }


def edit_precision_recall(mts: Sequence[str], hyps: Sequence[str], refs: Sequence[str],
                          whole: Collection[int] = ()) -> dict:
    """Word edits the corrector made (MT -> hyp) that the post-editor also made (MT -> ref).

    The segments in ``whole`` were retranslated (``posteditor.suggest.retranslate``): a new sentence
    shares no word edit with a post-editor's, so each counts as one change, right when it
    brings the segment closer to the post-edit (lower sentence TER). Precision is None when
    the corrector made no change; recall is None when the post-editor made none.
    """
    applied = reference = matched = retranslated = nearer = 0
    for i, (mt, hyp, ref) in enumerate(zip(mts, hyps, refs)):
        wanted = {e.key() for e in extract_edits(mt, ref)} if ref != mt else set()
        reference += len(wanted)
        if i in whole and hyp != mt:
            retranslated, nearer = retranslated + 1, nearer + closer(mt, hyp, ref)
            continue
        made = {e.key() for e in extract_edits(mt, hyp)} if hyp != mt else set()
        applied, matched = applied + len(made), matched + len(made & wanted)
    changes, right = applied + retranslated, matched + nearer
    return {
        "applied": changes,
        "reference": reference,
        "matched": right,
        "precision": round(right / changes, 4) if changes else None,
        "recall": round(matched / reference, 4) if reference else None,
        "word_edits": applied,
        "word_edits_matched": matched,
        "retranslated": retranslated,
        "retranslated_closer": nearer,
    }


def closer(mt: str, hyp: str, ref: str) -> bool:
    """Whether ``hyp`` is nearer the reference than the MT was (sentence TER, case-sensitive,
    as the corpus figures): the test of a retranslation, in evaluation and when one is fitted."""
    ter = _metrics()[0]
    return ter.sentence_score(hyp, [ref]).score < ter.sentence_score(mt, [ref]).score


def retranslated(proposed: Sequence[Sequence[Edit]], min_confidence: float) -> set[int]:
    """The segments whose retranslation is applied at ``min_confidence``."""
    return {i for i, edits in enumerate(proposed)
            if any(e.category == RETRANSLATION and e.confidence >= min_confidence for e in edits)}


class SegmentMetric:
    """A corpus metric (TER unless given another sacrebleu metric) from cached per-segment
    statistics: rescoring hypotheses that differ from the MT in a few segments is cheap."""

    def __init__(self, mts: Sequence[str], refs: Sequence[str], metric=None):
        self.metric = metric if metric is not None else _metrics()[0]
        self.refs = list(refs)
        self.base = self.metric._extract_corpus_statistics(list(mts), [self.refs])
        self.mts = list(mts)
        self.cache: dict[tuple[int, str], list[float]] = {}

    def _stats(self, i: int, hyp: str) -> list[float]:
        if hyp == self.mts[i]:
            return self.base[i]
        if (i, hyp) not in self.cache:
            self.cache[i, hyp] = self.metric._extract_corpus_statistics([hyp], [[self.refs[i]]])[0]
        return self.cache[i, hyp]

    def corpus(self, hyps: Sequence[str]) -> float:
        return self.metric._aggregate_and_compute([self._stats(i, h) for i, h in enumerate(hyps)]).score


# --- running the suggester once -----------------------------------------------------------


def suggest_all(
    suggester: Suggester,
    mts: Sequence[str],
    sources: Sequence[str | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[list[Edit]]:
    """Every edit the suggester proposes for each MT line (none for lines too long for it)."""
    sources = list(sources) if sources is not None else [None] * len(mts)
    proposed: list[list[Edit]] = [[] for _ in mts]
    todo = [i for i, mt in enumerate(mts) if mt.strip() and fits(suggester, mt)]
    if progress and len(todo) < len(mts):
        progress(len(mts) - len(todo))
    for k in range(0, len(todo), CHUNK):
        chunk = todo[k : k + CHUNK]
        for i, edits in zip(chunk, suggester.suggest([Item(mts[i], sources[i]) for i in chunk])):
            proposed[i] = merge(edits)
        if progress:
            progress(len(chunk))
    return proposed


def apply_threshold(mts: Sequence[str], proposed: Sequence[Sequence[Edit]], min_confidence: float) -> list[str]:
    """The MT with the edits at or above ``min_confidence`` applied."""
    out = []
    for mt, edits in zip(mts, proposed):
        kept = [e for e in edits if e.confidence >= min_confidence]
        out.append(apply_edits(mt, kept) if kept else mt)
    return out


def report(mts: Sequence[str], refs: Sequence[str], proposed: Sequence[Sequence[Edit]], min_confidence: float) -> dict:
    """Scores of the raw MT and of the corrected MT, their deltas and the edit precision."""
    hyps = apply_threshold(mts, proposed, min_confidence)
    before, after = score(mts, refs), score(hyps, refs)
    edits = edit_precision_recall(mts, hyps, refs, retranslated(proposed, min_confidence))
    edits["proposed"] = sum(len(e) for e in proposed)
    return {
        "segments": len(mts),
        "changed_segments": sum(h != m for h, m in zip(hyps, mts)),
        "min_confidence": min_confidence,
        "mt": before,
        "corrected": after,
        "delta": {k: round(after[k] - before[k], 3) for k in before},
        "edits": edits,
    }


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
    threshold = threshold_of(suggester) if min_confidence is None else min_confidence
    return report(mts, refs, suggest_all(suggester, mts, sources, progress), threshold)


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
    ok = [r for r in table if r["precision"] is not None and r["precision"] >= MIN_PRECISION and r["delta_ter"] <= 0]
    best = min(ok, key=lambda r: (r["delta_ter"], -r["threshold"]))["threshold"] if ok else NOTHING
    return best, table


# --- the command --------------------------------------------------------------------------


def _read_lines(path: str, tokenized: str, limit: int | None) -> list[str]:
    lines = read_text(path).text.splitlines()
    return prepare(lines[:limit] if limit else lines, tokenized)


def _format(result: dict, table: list[dict], chosen: float) -> str:
    rows = [f"segments: {result['segments']} ({result['changed_segments']} changed; "
            f"min confidence {result['min_confidence']:.2f})",
            f"{'':6}{'MT':>9}{'corrected':>11}{'delta':>9}"]
    for key, name in (("ter", "TER"), ("chrf", "chrF"), ("bleu", "BLEU")):
        rows.append(f"{name:6}{result['mt'][key]:9.2f}{result['corrected'][key]:11.2f}{result['delta'][key]:+9.2f}")
    e = result["edits"]
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    rows.append(f"edits: {e['applied']} applied ({e['proposed']} proposed); precision {fmt(e['precision'])}, "
                f"recall {fmt(e['recall'])} ({e['word_edits_matched']} of {e['reference']} post-editor edits matched)")
    if e["retranslated"]:
        rows.append(f"  of which {e['retranslated']} segments retranslated from the source, {e['retranslated_closer']} "
                    f"closer to the post-edit; {e['word_edits']} word edits, {e['word_edits_matched']} matched")
    if result.get("too_long"):
        rows.append(f"too long for the model: {result['too_long']} segments, left unchanged")
    rows.append(f"threshold sweep (best {chosen:.2f}; thresholds applying the same edits shown once):")
    rows.append(f"{'threshold':>13}{'dTER':>8}{'precision':>11}{'recall':>8}{'applied':>9}")
    for k, r in enumerate(table):
        if k + 1 < len(table) and table[k + 1]["applied"] == r["applied"] and r["threshold"] != chosen:
            continue  # the next threshold applies the same edits; show the higher one
        rows.append(f"{r['threshold']:13.2f}{r['delta_ter']:+8.2f}{fmt(r['precision']):>11}"
                    f"{fmt(r['recall']):>8}{r['applied']:>9}")
    return "\n".join(rows)


def main(args) -> int:
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit {args.limit}: give a positive number of segments")
    mts = _read_lines(args.mt, args.tokenized, args.limit)
    refs = _read_lines(args.ref, args.tokenized, args.limit)
    if len(mts) != len(refs):
        raise InputError(f"{args.mt} has {len(mts)} lines but {args.ref} has {len(refs)}; they must align")
    sources = _read_lines(args.source, args.tokenized, args.limit) if args.source else None
    if sources is not None and len(sources) != len(mts):
        raise InputError(f"{args.source} has {len(sources)} lines but {args.mt} has {len(mts)}; they must align")
    suggester = load_suggester(args.model, use_memory=False)  # the model alone is what is measured
    threshold = threshold_of(suggester) if args.min_confidence is None else args.min_confidence
    bar = progress_bar(len(mts), "evaluating")
    if bar:
        task = bar.add_task("evaluate", total=len(mts))
        with bar:
            proposed = suggest_all(suggester, mts, sources, lambda n: bar.advance(task, n))
    else:
        proposed = suggest_all(suggester, mts, sources)
    result = report(mts, refs, proposed, threshold)
    result["too_long"] = sum(1 for mt in mts if mt.strip() and not fits(suggester, mt))
    chosen, table = choose_threshold(mts, refs, sources, proposed)
    result["sweep"] = {"best": chosen, "table": table}
    print(json.dumps(result, indent=2) if args.json else _format(result, table, chosen))
    return 0

