"""How far an editor's corrections move retranslation when a fine-tune refits it.

Splits the 1,000 MLQE-PE ro-en dev segments (with sources) into halves at random: some of one
half play the editor's corrections (``--sizes`` of them), the other half is the test.
Retranslation (the model's, fitted on MLQE-PE ro-en train) is refitted as
``posteditor finetune`` refits it (``retranslate.refit``, each correction counting
``--weight`` times) at several strengths ``c`` of what the corrections may add to the model's
logit, with two editors:

- *the same editor*: each correction labelled as the post-editor's version says (closer or
  not); the test half's ΔTER against the model without a refit shows what the refit costs or
  gains where the editor agrees with the data the model was fitted on, at the model's
  threshold and at one chosen again for each model, as a fine-tune chooses the new version's
  (here the lowest TER on the editor's corrections themselves: a fine-tune applies
  ``threshold.choose`` to a held-out few, which is noisier; the same for every model compared);
- *an editor who turns retranslation down*: every correction labelled not closer (the editor
  kept the MT's wording); how many test segments are still retranslated shows whether the
  editor is heard.

Figures are means over ``--splits`` random halvings (seeded). Needs Apertium
(``make apertium``); about a minute.

    .venv/bin/python benchmarks/retranslation_refit.py [--model DIR] [--data ../shared/data] [--weight 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.core.meta import model_meta  # noqa: E402

STRENGTHS = (0.03, 0.1, 0.3, 1.0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=paths.default_model())
    p.add_argument("--data", type=Path, default=paths.data_root())
    p.add_argument("--weight", type=float, default=4.0, help="what each correction counts as (finetune's scorer_weight)")
    p.add_argument("--sizes", type=int, nargs="+", default=[50, 150, 500], help="corrections the editor made")
    p.add_argument("--splits", type=int, default=10)
    args = p.parse_args()
    import numpy as np

    from posteditor.core.metrics import SegmentMetric
    from posteditor.learn.corpus.mlqe import mlqe_pairs
    from posteditor.learn.threshold import GRID
    from posteditor.suggest import retranslate as rt

    meta = model_meta(args.model)
    base, threshold = meta.get("retranslation"), meta["min_confidence"]
    if not base or not base.get("fitted_on"):
        print(f"{args.model}: its retranslation is not fitted on train pairs; nothing to measure", file=sys.stderr)
        return 2
    rows = mlqe_pairs(args.data, "dev", ["ro-en"])
    x, y, index, marked, _ = rt.labelled([r.mt for r in rows], [r.pe for r in rows], [r.src for r in rows])
    translated = [rt.clean(m) for m in marked]
    print(f"ro-en dev: {len(y)} translations, {int(y.sum())} closer; base fitted on {base['fitted_on']} "
          f"({base['translations']} translations); threshold {threshold}; each correction counts {args.weight:g}; "
          f"means over {args.splits} random halvings")
    print("| corrections | c | same editor: test ΔTER against no refit, retranslated | "
          "the same, threshold chosen on the corrections | turning it down: retranslated |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    halves = [rng.permutation(len(rows)) for _ in range(args.splits)]
    for size in args.sizes:
        results: dict[float | None, list[tuple[float, int, int]]] = {}
        for order in halves:
            editor_segments = set(order[: len(rows) // 2][:size].tolist())
            test = sorted(order[len(rows) // 2:].tolist())
            tested = set(test)
            on_test = np.array([index[j] in tested for j in range(len(y))])
            editor = np.array([index[j] in editor_segments for j in range(len(y))])
            keys = [f"editor {index[j]}" for j in np.flatnonzero(editor)]
            own = sorted(editor_segments)
            # TER from cached per-segment statistics: a threshold rescores only the segments it changes
            test_ter, own_ter = (SegmentMetric([rows[i].mt for i in s], [rows[i].pe for i in s]) for s in (test, own))

            def applied(params, where, segments, ter, at) -> tuple[float, int]:
                p = rt.Retranslator(params, {}).probability(x[where])
                taken = {index[j]: translated[j] for j, pj in zip(np.flatnonzero(where), p) if pj >= at}
                return ter.corpus([taken.get(i, rows[i].mt) for i in segments]), len(taken)

            def chosen(params) -> float:
                return min(GRID, key=lambda t: (round(applied(params, editor, own, own_ter, t)[0], 6), -t))

            plain, n = applied(base, on_test, test, test_ter, threshold)
            plain_chosen, _ = applied(base, on_test, test, test_ter, chosen(base))
            results.setdefault(None, []).append((0.0, n, 0.0, n))
            for c in STRENGTHS:
                same = rt.refit(base, x[editor], y[editor], args.weight, keys, ["ro"], c)
                down = rt.refit(base, x[editor], np.zeros(int(editor.sum()), bool), args.weight, keys, ["ro"], c)
                (t, n), (_, m) = (applied(model, on_test, test, test_ter, threshold) for model in (same, down))
                t_chosen, _ = applied(same, on_test, test, test_ter, chosen(same))
                results.setdefault(c, []).append((t - plain, n, t_chosen - plain_chosen, m))
        for c, got in results.items():
            d, n, d_chosen, m = (float(np.mean(v)) for v in zip(*got))
            name = "(no refit)" if c is None else f"{c:g}{' (shipped)' if c == rt.EDITOR_C else ''}"
            print(f"| {size} | {name} | {d:+.3f}, {n:.1f} | {d_chosen:+.3f} | {m:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
