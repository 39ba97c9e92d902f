"""How much should the editor's own edits weigh when the edit scorer is refitted?

For each MLQE-PE dev pair in turn, as if it were one editor's text: the model proposes edits
in the whole dev set once (with sources); the scorer is fitted on the other four pairs' edits
plus those in 500 of this pair's segments (the "corrections", each edit counting WEIGHT
times; weight 0 leaves them out), and scores the edits in the pair's other 500 segments.
For each weight it prints, at a few thresholds, the edits applied on those 500, how many
the post-editor made too, and the change in TER. ``FinetuneConfig.scorer_weight`` was chosen
from this table.

    .venv/bin/python benchmarks/scorer_weight.py                     # the current model
    .venv/bin/python benchmarks/scorer_weight.py --model DIR --weights 0 1 4 10
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.suggest import scorer
from posteditor.core.metrics import SegmentMetric, apply_threshold, edit_precision_recall
from posteditor.suggest.combine import suggest_all  # noqa: E402
from posteditor.model.corrector import Corrector  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model folder (default: the current model)")
    p.add_argument("--dev", default=str(paths.PROJECT_ROOT / "corpora" / "build" / "mlqe" / "dev.jsonl"),
                   help="dev pairs as JSON lines with mt, pe, src, origin (default: the shipped model's corpus dev split)")
    p.add_argument("--weights", type=float, nargs="+", default=[0, 1, 2, 4, 8])
    p.add_argument("--thresholds", type=float, nargs="+", default=[0.3, 0.4, 0.5])
    p.add_argument("--n", type=int, default=500, help="corrections, and test segments, per pair")
    p.add_argument("--seed", type=int, default=13)
    args = p.parse_args(argv)

    rows = [json.loads(line) for line in Path(args.dev).read_text(encoding="utf-8").splitlines() if line.strip()]
    corrector = Corrector(Path(args.model) if args.model else paths.default_model(), rescore=False)
    mts, pes, srcs = ([r.get(k) for r in rows] for k in ("mt", "pe", "src"))
    print(f"proposing edits in {len(rows)} dev segments ...", file=sys.stderr)
    proposals = suggest_all(corrector, mts, srcs)
    x, y, seg = scorer.labelled(mts, pes, srcs, proposals, corrector.piece_count)  # rows in segment, then edit order
    pairs = sorted({r["origin"].split(":")[-1] for r in rows})
    print(f"{'pair':<7}{'weight':>7}" + "".join(f"{f'at {t}: applied/right dTER':>30}" for t in args.thresholds))
    for pair in pairs:
        mine = [i for i, r in enumerate(rows) if r["origin"].endswith(pair)]
        random.Random(args.seed).shuffle(mine)
        corrections, test = set(mine[: args.n]), mine[args.n : 2 * args.n]
        others = np.array([not rows[i]["origin"].endswith(pair) for i in seg])
        in_corrections = np.array([i in corrections for i in seg])
        ter = SegmentMetric([mts[i] for i in test], [pes[i] for i in test])
        for weight in args.weights:
            keep = others | (in_corrections & (weight > 0))
            w = np.where(others, 1.0, weight)[keep]
            fitted = scorer._fitted(x[keep], y[keep], 1.0, w)
            line = f"{pair:<7}{weight:>7g}"
            for t in args.thresholds:
                proposed = []
                for i in test:
                    at = np.flatnonzero(seg == i)
                    probs = fitted.probabilities(x[at]) if len(at) else []
                    proposed.append([e for e, q in zip(proposals[i], probs) if q >= t])
                hyps = apply_threshold([mts[i] for i in test], proposed, 0.0)
                pr = edit_precision_recall([mts[i] for i in test], hyps, [pes[i] for i in test])
                delta = ter.corpus(hyps) - ter.corpus([mts[i] for i in test])
                line += f"{pr['applied']:>17}/{round((pr['precision'] or 0) * pr['applied']):<3}{delta:>+10.3f}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
