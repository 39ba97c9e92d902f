"""Whether a model's own word edits can be applied with sources: an edit scorer fitted out of
fold on ro-en MLQE-PE dev, with and without its features that read Apertium's translation.

The model proposes edits for the first ``--limit`` ro-en dev segments, given with their
sources (and, for a model that reads one, Apertium's English translation: ``hints``);
retranslation and the word check propose theirs as the pipeline does. The proposals are kept
in ``--cache`` (a JSON file), so a second run only refits. Two edit scorers are then fitted
out of fold (``posteditor.suggest.scorer.fit``'s five folds by segment): on the scorer's
features, and on the same with its two that read Apertium's translation of the source (an
inserted or a removed word, 3+ letters, appears in it) left at 0. For each threshold the script reports the
model's edits applied and how many are right, and TER against the post-edits of the model's
edits alone and merged with retranslation and the word check, against those two alone.

    .venv/bin/python benchmarks/hint_scorer.py --model models/.work/hint-model [--limit 400]
        [--cache /tmp/hint-proposals.json]
Needs Apertium (``make apertium``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.core.edits import Edit, apply_edits, tokenize, words  # noqa: E402

LEVELS = (0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8)


def edits_to_json(edits: list[Edit]) -> list[dict]:
    """Edits with their evidence, as the proposal caches keep them (also `news_scorer.py`'s)."""
    return [{"start": e.start, "end": e.end, "replacement": list(e.replacement), "confidence": e.confidence,
             "category": e.category, "evidence": list(e.evidence)} for e in edits]


def edits_from_json(rows: list[dict]) -> list[Edit]:
    return [Edit(r["start"], r["end"], tuple(r["replacement"]), r["confidence"], r["category"], tuple(r["evidence"]))
            for r in rows]


def proposals(model: Path, pairs) -> dict:
    """The model's edits (its own confidences), retranslation's and the word check's, and the
    pieces of every word they touch (the scorer's measure of rarity)."""
    from posteditor.model.corrector import Corrector
    from posteditor.pipeline import load_retranslator, load_word_check
    from posteditor.suggest.base import Item

    corrector = Corrector(model, rescore=False)
    items = [Item(p.mt, p.src) for p in pairs]
    started = time.time()
    own = corrector.suggest(items)
    seconds = time.time() - started
    checks = [s.suggest(items) if s else [[] for _ in items]
              for s in (load_retranslator(corrector.meta), load_word_check(corrector))]
    pieces = {w: corrector.piece_count(w) for p, edits in zip(pairs, own) for e in edits
              for w in words(tokenize(p.mt)[e.start:e.end]) + words(e.replacement)}
    return {"model": str(model), "seconds": round(seconds, 1), "own": [edits_to_json(e) for e in own],
            "retranslation": [edits_to_json(e) for e in checks[0]], "word_check": [edits_to_json(e) for e in checks[1]],
            "pieces": pieces}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=paths.default_model())
    p.add_argument("--data", type=Path, default=paths.data_root())
    p.add_argument("--limit", type=int, default=400)
    p.add_argument("--cache", type=Path, help="keep (or read) the proposals here")
    p.add_argument("--checks-at", type=float, help="apply the checks' edits at this threshold, "
                   "the model's at each level (default: both at each level)")
    args = p.parse_args()
    from sacrebleu.metrics import TER

    from posteditor.learn.corpus.mlqe import mlqe_pairs
    from posteditor.suggest import retranslate, scorer
    from posteditor.suggest.combine import merge

    pairs = mlqe_pairs(args.data, "dev", ["ro-en"])[: args.limit]
    if args.cache and args.cache.exists():
        got = json.loads(args.cache.read_text(encoding="utf-8"))
    else:
        got = proposals(args.model, pairs)
        if args.cache:
            args.cache.write_text(json.dumps(got, ensure_ascii=False) + "\n", encoding="utf-8")
    own = [edits_from_json(e) for e in got["own"]]
    checks = [merge(edits_from_json(a), edits_from_json(b)) for a, b in zip(got["retranslation"], got["word_check"])]
    hints = retranslate.hints([q.src for q in pairs], retranslate.installed(chains={"ro": retranslate.CHAINS["ro"]}))
    pieces = lambda w: got["pieces"].get(w, 1)  # noqa: E731
    mts, pes, srcs = [q.mt for q in pairs], [q.pe for q in pairs], [q.src for q in pairs]
    x_hint, y, segment = scorer.labelled(mts, pes, srcs, own, pieces, hints)
    x = x_hint.copy()  # the same features, blind to Apertium's translation
    x[:, [scorer.FEATURES.index("inserted_in_hint"), scorer.FEATURES.index("removed_in_hint")]] = 0.0
    print(f"{args.model}: ro-en dev, {len(pairs)} segments with sources; {len(y)} edits, {int(y.sum())} right "
          f"(model {got['seconds']} s); {sum(h is not None for h in hints)} sources with Apertium's translation")
    ter = TER(case_sensitive=True)
    refs = [pes]
    before = ter.corpus_score(mts, refs).score
    print(f"TER {before:.2f}")
    for name, rows in (("without the hint features", x), ("the scorer's features", x_hint)):
        oof = scorer.probabilities_out_of_fold(rows, y, segment)
        print(f"{name}:")
        rescored, n = [], 0
        for edits in own:
            rescored.append([Edit(e.start, e.end, e.replacement, float(oof[n + j]), e.category) for j, e in enumerate(edits)])
            n += len(edits)
        for t in LEVELS:
            kept = oof >= t
            alone = [apply_edits(m, [e for e in r if e.confidence >= t]) for m, r in zip(mts, rescored)]
            at = t if args.checks_at is None else args.checks_at
            kept_checks = [[e for e in c if e.confidence >= at] for c in checks]
            both = [apply_edits(m, merge([e for e in r if e.confidence >= t], c)) for m, r, c in zip(mts, rescored, kept_checks)]
            only = [apply_edits(m, c) for m, c in zip(mts, kept_checks)]
            print(f"  >= {t:<4}: {int(kept.sum()):4d} edits, {int(y[kept].sum()):3d} right; "
                  f"TER model alone {ter.corpus_score(alone, refs).score - before:+.2f}, "
                  f"with the checks {ter.corpus_score(both, refs).score - before:+.2f} "
                  f"(checks alone {ter.corpus_score(only, refs).score - before:+.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
