"""How much do an editor's corrections teach the words to check?

``finetune`` refits the probe of words to check on the editor's corrections, starting from its
dev fit (``posteditor.learn.doubts.adapt``). This simulates an editor whose texts the probe has
not seen: for each ``--pair`` of MLQE-PE dev, a probe is fitted on the other pairs' dev
segments (as ``learn.doubts`` fits the shipped one), then adapted on the first N of the pair's
segments (shuffled with a fixed seed) as if they were corrections, and measured on the last
``--test`` of them, which neither saw. The model's features are read once, without sources, as
``Corrector.word_features`` reads them (about 200 s for all 5,000 dev segments on 2 cores).

As ``finetune`` does, the probe is adapted on 85% of the N corrections and the bar for this
editor is chosen on the other 15% (``sure_bar``), or, where none is sure enough there
("matched"), the bar at which it flags as many of the N corrections' words as the probe before
did at ``--bar`` (``matched_bar``). For each N (0: the probe before adapting): average
precision of the changed words, the words flagged and the share of them changed at bars 0.1
(the shipped model's) and 0.2, and at the bar ``finetune`` chooses. ``--strength`` compares
pulls.

    .venv/bin/python benchmarks/doubt_adaptation.py [--model DIR] [--pair ro-en --pair et-en]
        [--sizes 30,100,250,500] [--strength 300 --strength 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.learn.doubts import (ADAPT_STRENGTH, _probe, adapt, average_precision, changed_words,  # noqa: E402
                                     dev_rows, editor_choice, labelled)
from posteditor.model.corrector import Corrector  # noqa: E402
from posteditor.model.wordqe import record_keeps  # noqa: E402
from posteditor.suggest.base import Item  # noqa: E402


def flagged(keep: np.ndarray, y: np.ndarray, bar: float) -> str:
    hit = keep < bar
    return f"{int(hit.sum())} at {y[hit].mean():.2f}" if hit.any() else "0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--dev", default="corpora/build/default/dev.jsonl")
    parser.add_argument("--pair", action="append", help="the editor's language pair (repeat; default ro-en and et-en)")
    parser.add_argument("--sizes", default="30,100,250,500", help="corrections to adapt on")
    parser.add_argument("--test", type=int, default=500, help="segments of the pair to measure on")
    parser.add_argument("--strength", type=float, action="append", help=f"the pull (repeat; default {ADAPT_STRENGTH:g})")
    parser.add_argument("--bar", type=float, default=0.1, help="the bar before adapting (the shipped model's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    rows = dev_rows(args.dev, None)
    started = time.time()
    read = Corrector(args.model, rescore=False).word_features([Item(r.mt) for r in rows])
    print(f"{len(rows)} dev segments read in {time.time() - started:.0f} s")
    _, x, y, segment = labelled(read, [changed_words(r.mt, r.pe) for r in rows])
    language = np.array([rows[k].language for k in segment])
    rng = np.random.default_rng(args.seed)
    for pair in args.pair or ["ro-en", "et-en"]:
        own = np.unique(segment[language == pair])
        if len(own) <= args.test:
            sys.exit(f"doubt_adaptation: {pair} has {len(own)} dev segments, too few to hold out {args.test}")
        rng.shuffle(own)
        test = np.isin(segment, own[-args.test:])
        prior = _probe(x[language != pair], y[language != pair])
        print(f"\n{pair}: a probe fitted without it, adapted on its first N segments, measured on {args.test} others "
              f"({int(test.sum())} words, {y[test].mean():.2f} changed)")
        print("| N | pull | average precision | flagged below 0.1 | below 0.2 | the bar chosen: flagged |\n"
              "|---|---|---|---|---|---|")
        keep = record_keeps(prior, x[test])
        print(f"| 0 | - | {average_precision(y[test], keep)} | {flagged(keep, y[test], 0.1)} | {flagged(keep, y[test], 0.2)} "
              "| - |")
        for n in sizes:
            taken = own[: min(n, len(own) - args.test)]
            held = max(1, round(0.15 * len(taken)))
            train, heldout = np.isin(segment, taken[held:]), np.isin(segment, taken[:held])
            for strength in args.strength or [ADAPT_STRENGTH]:
                adapted = adapt(prior, x[train], y[train], strength)
                keep = record_keeps(adapted, x[test])
                both = train | heldout
                bar, how, _ = editor_choice(record_keeps(adapted, x[heldout]), y[heldout], record_keeps(prior, x[both]),
                                            record_keeps(adapted, x[both]), args.bar)
                print(f"| {n} | {strength:g} | {average_precision(y[test], keep)} | {flagged(keep, y[test], 0.1)} "
                      f"| {flagged(keep, y[test], 0.2)} | {bar:.3g} ({how}): {flagged(keep, y[test], bar)} |", flush=True)


if __name__ == "__main__":
    main()
