"""Retranslation and the word check on the ro-en MLQE-PE dev set, at the shipped model's threshold.

Applies what the shipped model's source-aware parts would apply to the 1,000 ro-en dev
segments given with their sources: the retranslations (``posteditor.suggest.retranslate``)
alone, then with the word check (``posteditor.suggest.wordcheck``) merged in as the pipeline
merges them, and reports TER before and after (sacrebleu, case-sensitive) and how many changed
segments came closer to the post-edit and how many went further. Out of sample for
a retranslation fitted on train pairs (``python -m posteditor.learn.retranslation``: it says
``fitted_on``), in sample for one ``calibrate`` fitted on dev; the word check was fitted on
train pairs. The model's
own word edits are left out: the shipped model has no edit scorer, so they are capped below
0.3 and none is applied at its threshold.
Needs Apertium (``make apertium``).

With ``--sweep``, retranslation (the model's if it was fitted on train pairs, as ``calibrate``
keeps it; else fitted again out of fold on these segments, as ``calibrate`` fits it), merged
with the word check, is swept over thresholds by calibration's rule
(``learn.threshold.choose``: no pair worse, applied edits at least 0.6 right, the best gain).

    .venv/bin/python benchmarks/retranslation_dev.py [--model DIR] [--data ../shared/data] [--sweep]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.core.meta import model_meta  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=paths.default_model())
    p.add_argument("--data", type=Path, default=paths.data_root())
    p.add_argument("--sweep", action="store_true", help="also sweep thresholds (retranslation as calibrate has it: the model's if fitted on train, else out of fold)")
    args = p.parse_args()
    from sacrebleu.metrics import TER

    from posteditor.core.edits import apply_edits
    from posteditor.learn.corpus.mlqe import mlqe_pairs
    from posteditor.suggest.base import Item
    from posteditor.suggest.combine import merge
    from posteditor.suggest.retranslate import Retranslator

    meta = model_meta(args.model)
    rows = mlqe_pairs(args.data, "dev", ["ro-en"])
    items = [Item(r.mt, r.src) for r in rows]
    threshold = meta["min_confidence"]
    ter = TER(case_sensitive=True)
    refs = [[r.pe for r in rows]]
    before = ter.corpus_score([r.mt for r in rows], refs).score

    def report(name: str, proposals, seconds: float) -> None:
        hyps = [apply_edits(r.mt, [e for e in edits if e.confidence >= threshold]) for r, edits in zip(rows, proposals)]
        changed = [(h, r) for h, r in zip(hyps, rows) if h != r.mt]
        closer = sum(ter.sentence_score(h, [r.pe]).score < ter.sentence_score(r.mt, [r.pe]).score for h, r in changed)
        further = sum(ter.sentence_score(h, [r.pe]).score > ter.sentence_score(r.mt, [r.pe]).score for h, r in changed)
        after = ter.corpus_score(hyps, refs).score
        print(f"{name}: TER {before:.2f} -> {after:.2f} ({after - before:+.2f}); {len(changed)} segments changed, "
              f"{closer} closer, {further} further; {seconds:.0f} s")

    print(f"ro-en dev, {len(rows)} segments with sources, threshold {threshold}")
    started = time.time()
    retranslations = Retranslator(meta["retranslation"]).suggest(items)
    report("retranslation", retranslations, time.time() - started)
    if meta.get("word_check"):
        from posteditor.model.corrector import Corrector
        from posteditor.suggest.wordcheck import WordCheck

        model = Corrector(args.model)
        started = time.time()
        words = WordCheck(meta["word_check"], model.sentence_log_probs, model.piece_count).suggest(items)
        report("word check", words, time.time() - started)
        report("both, merged", [merge(a, b) for a, b in zip(retranslations, words)], 0)
    else:
        words = [[] for _ in rows]
    if args.sweep:
        from posteditor.learn.calibrate import sweep
        from posteditor.learn.threshold import choose
        from posteditor.suggest import retranslate

        if fitted_on := meta["retranslation"].get("fitted_on"):
            swept, note = retranslations, f"retranslation: the model's, fitted on {fitted_on}; swept as it is"
        else:
            _, swept, note = retranslate.fit([r.mt for r in rows], [r.pe for r in rows], [r.src for r in rows])
            note += "; swept out of fold"
        print(note + (", merged with the word check:" if any(words) else ":"))
        table = sweep(rows, [merge(a, b) for a, b in zip(swept, words)])
        for row in table:
            if row["applied"]:
                print(f"  >= {row['threshold']:<4}: {row['applied']:3d} applied, precision {row['precision']}, "
                      f"retranslated {row['retranslated']}, ΔTER {row['langs']['ro-en']['delta_ter']:+.2f}")
        print(f"  chosen: {choose(table)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
