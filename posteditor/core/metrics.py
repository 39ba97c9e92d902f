"""How close corrected text is to post-edits: TER, chrF and BLEU, word-edit precision.

TER is sacrebleu's, case-sensitive; edit precision and recall compare word edits
(``Edit.key()``) the corrector made with those the post-editor made. ``SegmentMetric`` caches
per-segment statistics, so rescoring hypotheses that differ from the MT in a few segments (a
threshold sweep) costs seconds. Text in Moses' tokenization is detokenized first (``prepare``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Collection, Sequence

from posteditor.core.edits import RETRANSLATION, Edit, apply_edits, extract_edits

# Signs of Moses tokenization: split punctuation, split clitics, escaped entities.
_MOSES = re.compile(r" [,.!?;:)](?: |$)|\( | '(?:s|re|ve|ll|d|m|t) | n't |&apos;|&quot;|&amp;")
_SPACED_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z]+)\s*>")  # "< / u >", as Moses tokenizes "</u>"


# --- text preparation ---------------------------------------------------------------------


@lru_cache(maxsize=None)
def _detokenizer(lang: str):
    from sacremoses import MosesDetokenizer

    return MosesDetokenizer(lang)


def detokenize(text: str, lang: str = "en") -> str:
    """Moses-tokenized text ("don 't , he said") back to natural text ("don't, he said")."""
    return _SPACED_TAG.sub(r"<\1\2>", _detokenizer(lang).detokenize(text.split()))


def is_tokenized(lines: Sequence[str], share: float = 0.3) -> bool:
    """Whether the lines look Moses-tokenized ("don 't , he said .")."""
    sample = [line for line in lines[:2000] if line.strip()]
    if not sample:
        return False
    hits = sum(1 for line in sample if _MOSES.search(f" {line.strip()} "))
    return hits >= share * len(sample)


def prepare(lines: Sequence[str], tokenized: str = "auto") -> list[str]:
    """Lines as natural text: detokenized when ``tokenized`` is yes, or auto and they look it."""
    lines = [line.strip() for line in lines]
    if tokenized == "yes" or (tokenized == "auto" and is_tokenized(lines)):
        return [detokenize(line) for line in lines]
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
