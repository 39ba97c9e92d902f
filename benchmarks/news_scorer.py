"""Whether an edit scorer fitted on news, without sources, finds edits worth applying there,
and what it would apply on MLQE-PE dev without sources.

MLQE-PE's post-editors, working from the source, mostly fixed meaning; without it the model's
edits there are about 3% right, so a scorer fitted on them applies nothing. The tool's users
correct news, where MT also leaves grammar a monolingual model can see. This samples WMT
2021-22 outputs into English as ``news_precision.py`` does (TER to every reference in
``(--min-ter, --max-ter]``, above the training corpus's 0.25), asks the model for its edits
without the source (``rescore=False``: its own, dictionary siblings, the base LM's gain), and
labels each edit alone against the references: *closer* (the word edit distance to the
nearest one falls) is right. A scorer on the edit scorer's features is fitted out of fold
(five folds by segment); for each threshold the script reports the edits it applies, how many
are closer and how many further, and the TER against the references (all of them) before
and after. With ``--mlqe N`` it also proposes edits for the first N ro-en and et-en MLQE-PE
dev segments without sources, scores them with the scorer fitted on all the news edits, and
reports the same against the post-edits (right: the post-editor made the edit).

Proposals are kept in ``--cache`` (JSON), so a second run only refits.

    .venv/bin/python benchmarks/news_scorer.py [--model DIR] [-n 600] [--mlqe 300] [--cache F]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hint_scorer import edits_from_json, edits_to_json  # noqa: E402
from news_precision import judge, sample  # noqa: E402

from posteditor.core import paths  # noqa: E402
from posteditor.core.edits import Edit, apply_edits, tokenize, words  # noqa: E402

LEVELS = (0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8)


def proposals(model: Path, mts: list[str]) -> dict:
    """The model's edits without sources (raw confidences, every candidate) and the pieces of
    every word they touch."""
    from posteditor.model.corrector import Corrector
    from posteditor.suggest.base import Item

    corrector = Corrector(model, rescore=False)
    started = time.time()
    own = corrector.suggest([Item(m, None) for m in mts])
    pieces = {w: corrector.piece_count(w) for m, edits in zip(mts, own) for e in edits
              for w in words(tokenize(m)[e.start:e.end]) + words(e.replacement)}
    return {"seconds": round(time.time() - started, 1), "own": [edits_to_json(e) for e in own], "pieces": pieces}


def cached(path: Path | None, key: str, make) -> dict:
    got = json.loads(path.read_text(encoding="utf-8")) if path and path.exists() else {}
    if key not in got:
        got[key] = make()
        if path:
            path.write_text(json.dumps(got, ensure_ascii=False) + "\n", encoding="utf-8")
    return got[key]


def rows(mts, proposed, pieces, label):
    """(features, label, segment) of every edit; ``label(i, edit)`` is +1, 0 or -1."""
    import numpy as np

    from posteditor.suggest import scorer

    x, y, seg = [], [], []
    for i, (mt, edits) in enumerate(zip(mts, proposed)):
        tokens = tokenize(mt)
        for e in edits:
            x.append(scorer.features(tokens, e, None, lambda w: pieces.get(w, 1)))
            y.append(label(i, e))
            seg.append(i)
    return np.array(x, dtype=float).reshape(-1, len(scorer.FEATURES)), np.array(y, dtype=int), np.array(seg, dtype=int)


def sweep(name, mts, refs, proposed, probs, y, show_ter=True):
    """Per threshold: applied edits (each segment's surest non-overlapping ones), their labels, TER."""
    from sacrebleu.metrics import TER

    from posteditor.suggest.combine import merge

    ter = TER(case_sensitive=True)
    before = ter.corpus_score(mts, refs).score if show_ter else 0.0
    rescored, n = [], 0
    for edits in proposed:
        rescored.append([Edit(e.start, e.end, e.replacement, float(probs[n + j]), e.category) for j, e in enumerate(edits)])
        n += len(edits)
    lookup = {}
    n = 0
    for i, edits in enumerate(proposed):
        for j, e in enumerate(edits):
            lookup[(i, e.start, e.end, e.replacement)] = y[n + j]
        n += len(edits)
    print(f"{name}: {len(y)} edits, {int((y > 0).sum())} right/closer, {int((y < 0).sum())} further; "
          + (f"TER {before:.2f}" if show_ter else ""))
    for t in LEVELS:
        applied = [merge([e for e in r if e.confidence >= t]) for r in rescored]
        labels = [lookup[(i, e.start, e.end, e.replacement)] for i, a in enumerate(applied) for e in a]
        good, bad = sum(v > 0 for v in labels), sum(v < 0 for v in labels)
        line = f"  >= {t:<4}: {len(labels):4d} applied, {good:3d} right/closer, {bad:3d} further"
        if labels:
            line += f" ({good / len(labels):.2f} right)"
        if show_ter:
            after = ter.corpus_score([apply_edits(m, a) for m, a in zip(mts, applied)], refs).score
            line += f"; TER {after - before:+.2f}"
        print(line)
    return rescored


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=paths.default_model())
    p.add_argument("--data", type=Path, default=paths.data_root())
    p.add_argument("-n", type=int, default=600, help="news segments")
    p.add_argument("--min-ter", type=float, default=0.25)
    p.add_argument("--max-ter", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--mlqe", type=int, default=0, help="also score this many ro-en and et-en dev segments each")
    p.add_argument("--cache", type=Path, help="keep (or read) the proposals here")
    p.add_argument("--show", type=int, default=30, help="list the scorer's surest news edits")
    args = p.parse_args()
    import numpy as np

    from posteditor.suggest import scorer

    news = sample(args.data, args.n, args.min_ter, args.max_ter, args.seed)
    mts = [s["mt"] for s in news]
    got = cached(args.cache, f"{args.model}:news:{args.n}:{args.seed}:{args.min_ter}:{args.max_ter}", lambda: proposals(args.model, mts))
    proposed = [edits_from_json(e) for e in got["own"]]
    x, y, seg = rows(mts, proposed, got["pieces"],
                     lambda i, e: judge(mts[i], news[i]["refs"], apply_edits(mts[i], [e])))
    print(f"{args.model}: {len(news)} WMT outputs into English, no source (model {got['seconds']} s)")
    right = y > 0
    oof = scorer.probabilities_out_of_fold(x, right, seg)
    width = max(len(s["refs"]) for s in news)
    refs = [[s["refs"][min(k, len(s["refs"]) - 1)] for s in news] for k in range(width)]
    sweep("news, out of fold", mts, refs, proposed, oof, y)
    print("  own confidence instead:")
    sweep("news, raw", mts, refs, proposed, x[:, 0], y, show_ter=False)
    final = scorer.logistic(x, right)
    print("  weights:", ", ".join(f"{f} {c:+.2f}" for f, c in sorted(zip(scorer.FEATURES, final["coef"]),
                                                                        key=lambda t: -abs(t[1]))[:10]))
    order = np.argsort(-oof)[: args.show]
    flat = [(i, e) for i, edits in enumerate(proposed) for e in edits]
    mark = {1: "closer ", 0: "neutral", -1: "FURTHER"}
    for k in order:
        i, e = flat[k]
        old = " ".join(words(tokenize(mts[i])[e.start:e.end]))
        print(f"  {oof[k]:.2f} {mark[int(y[k])]} {old!r} -> {e.inserted!r}  | {mts[i][:90]}")
    if args.mlqe:
        from posteditor.learn.corpus.mlqe import mlqe_pairs

        fitted = scorer.Logistic(final)
        for lang in ("ro-en", "et-en"):
            pairs = mlqe_pairs(args.data, "dev", [lang])[: args.mlqe]
            ms, pes = [q.mt for q in pairs], [q.pe for q in pairs]
            dev = cached(args.cache, f"{args.model}:mlqe:{lang}:{args.mlqe}", lambda: proposals(args.model, ms))
            dev_proposed = [edits_from_json(e) for e in dev["own"]]
            dx, dy, _ = rows(ms, dev_proposed, dev["pieces"],
                             lambda i, e: int(scorer.is_right(ms[i], pes[i], e)))
            sweep(f"MLQE-PE {lang} dev, {len(pairs)}, no source, the news scorer", ms, [pes], dev_proposed,
                  fitted.probabilities(dx) if len(dy) else np.zeros(0), dy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
