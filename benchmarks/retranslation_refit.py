"""How far an editor's corrections move retranslation when a fine-tune refits it.

Splits the 1,000 MLQE-PE ro-en dev segments (with sources) into halves by segment parity: one
half plays the editor's corrections, the other is the test. Retranslation (the model's, fitted
on MLQE-PE ro-en train) is refitted as ``posteditor finetune`` refits it
(``retranslate.refit``, each correction counting ``--weight`` times) with the base rows'
weights as they are and scaled down to several totals, with two editors:

- *the same editor*: each correction labelled as the post-editor's version says (closer or
  not): TER on the test half, edits applied at the model's threshold, shows what the cap costs
  or gains where the editor agrees with the data the base was fitted on;
- *an editor who turns retranslation down*: every correction labelled not closer (the editor
  kept the MT's wording): how many test segments are still retranslated shows whether the
  editor is heard.

Both halves take each role in turn. Needs Apertium (``make apertium``); about a minute.

    .venv/bin/python benchmarks/retranslation_refit.py [--model DIR] [--data ../shared/data] [--weight 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.core.meta import model_meta  # noqa: E402

CAPS = (float("inf"), 4000.0, 2000.0, 1000.0, 500.0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=paths.default_model())
    p.add_argument("--data", type=Path, default=paths.data_root())
    p.add_argument("--weight", type=float, default=4.0, help="what each correction counts as (finetune's scorer_weight)")
    args = p.parse_args()
    import numpy as np
    from sacrebleu.metrics import TER

    from posteditor.learn.corpus.mlqe import mlqe_pairs
    from posteditor.suggest import retranslate as rt

    meta = model_meta(args.model)
    base, threshold = meta.get("retranslation"), meta["min_confidence"]
    if not base or not base.get("fitted_on"):
        print(f"{args.model}: its retranslation is not fitted on train pairs; nothing to measure", file=sys.stderr)
        return 2
    rows = mlqe_pairs(args.data, "dev", ["ro-en"])
    x, y, index, marked, _ = rt.labelled([r.mt for r in rows], [r.pe for r in rows], [r.src for r in rows])
    ter = TER(case_sensitive=True)
    print(f"ro-en dev: {len(y)} translations, {int(y.sum())} closer; base fitted on {base['fitted_on']} "
          f"({base['translations']} translations); threshold {threshold}; each correction counts {args.weight:g}")
    print("| base rows count as | editor half | same editor: test ΔTER, retranslated | turning it down: retranslated |")
    print("|---|---|---|---|")
    for parity in (0, 1):
        editor = np.array([index[j] % 2 == parity for j in range(len(y))])
        test = [i for i in range(len(rows)) if i % 2 != parity]
        refs = [[rows[i].pe for i in test]]
        before = ter.corpus_score([rows[i].mt for i in test], refs).score
        keys = [f"editor {index[j]}" for j in np.flatnonzero(editor)]

        def applied(params) -> tuple[float, int]:
            p = rt.Retranslator(params, {}).probability(x[~editor])
            taken = {index[j]: rt.clean(marked[j]) for j, pj in zip(np.flatnonzero(~editor), p) if pj >= threshold}
            after = ter.corpus_score([taken.get(i, rows[i].mt) for i in test], refs).score
            return after - before, len(taken)

        d, n = applied(base)
        print(f"| (no refit) | {'even' if parity == 0 else 'odd'} | {d:+.2f}, {n} | {n} |")
        for cap in CAPS:
            w = base["data"]["w"]
            scaled = {**base, "data": {**base["data"], "w": [v * min(1.0, cap / sum(w)) for v in w]}}
            same = rt.refit(scaled, x[editor], y[editor], args.weight, keys, ["ro"])
            down = rt.refit(scaled, x[editor], np.zeros(int(editor.sum()), bool), args.weight, keys, ["ro"])
            (d, n), (_, m) = applied(same), applied(down)
            print(f"| {'all' if cap == float('inf') else f'{cap:g}'} | {'even' if parity == 0 else 'odd'} | {d:+.2f}, {n} | {m} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
