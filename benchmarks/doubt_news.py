"""Do words to check carry over from MLQE-PE (Wikipedia) to news?

The probe of words to check (``posteditor.model.wordqe``) is fitted on MLQE-PE dev post-edits;
the tool's users correct news. This samples WMT 2021-22 system outputs into English whose TER
to every reference lies in ``(--min-ter, --max-ter]`` (above the corpus's 0.25, so none was a
training pair), reads every MT word as ``Corrector.word_features`` does, without the source,
and calls a word changed when it lies outside the longest matching blocks of the MT and its
nearest reference (``posteditor.learn.doubts.changed_words``). References are translations in
their own right, so many "changed" words are only worded otherwise: the figures compare ways
of ranking words on the same labels, they are not the flags' precision.

For the model's probe (when it has one) and for the least copy probability of a word's
pieces: average precision, and the words flagged and the share of them changed at the
model's bar and at as many words as the other flags.

    .venv/bin/python benchmarks/doubt_news.py [--model DIR] [-n 1000] [--min-ter 0.25] [--max-ter 0.5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from news_precision import distance, sample, _words  # noqa: E402

from posteditor.core import paths  # noqa: E402
from posteditor.learn.doubts import average_precision, changed_words  # noqa: E402
from posteditor.model.corrector import Corrector  # noqa: E402
from posteditor.suggest.base import Item  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--data", default=str(paths.data_root()))
    parser.add_argument("-n", type=int, default=1000, help="news segments")
    parser.add_argument("--min-ter", type=float, default=0.25)
    parser.add_argument("--max-ter", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    segments = sample(Path(args.data), args.n, args.min_ter, args.max_ter, args.seed)
    if not segments:
        sys.exit("doubt_news: no WMT output in that TER range (is --data right?)")
    corrector = Corrector(args.model)
    started = time.time()
    read = corrector.word_features([Item(s["mt"]) for s in segments])
    seconds = time.time() - started
    labels, copy, probed = [], [], []
    for seg, found in zip(segments, read):
        if found is None or not found[0]:
            continue
        indices, x = found
        nearest = min(seg["refs"], key=lambda r: distance(_words(seg["mt"]), _words(r)))
        changed = changed_words(seg["mt"], nearest)
        labels += [i in changed for i in indices]
        copy += list(np.exp(x[:, 0]))
        if corrector.word_check is not None:
            probed += list(corrector.word_check.keep(x, sourced=False))
    y = np.array(labels, dtype=int)
    print(f"{args.model}: {len(segments)} WMT outputs into English, TER {args.min_ter}-{args.max_ter} to the references, "
          f"no source; {len(y)} words, {y.mean():.2f} of them outside the nearest reference; {seconds:.0f} s")
    ranked = {"copy probability": np.array(copy)}
    if probed:
        ranked["probe"] = np.array(probed)
    bar = corrector.info.reading_bar(False)  # (read without the source)
    counts = {}
    for name, keep in ranked.items():
        print(f"  {name}: average precision {average_precision(y, keep)}")
        if bar is not None and (name == "probe") == (corrector.word_check is not None):
            flagged = keep < bar
            counts[name] = int(flagged.sum())
            print(f"    below the model's bar {bar}: {flagged.sum()} words, {y[flagged].mean() if flagged.any() else 0:.2f} changed")
    for n in sorted(set(counts.values()) | {100, 500}):
        cells = []
        for name, keep in ranked.items():
            top = np.argsort(keep)[:n]
            cells.append(f"{name} {y[top].mean():.2f}")
        print(f"  the {n} least likely kept: " + ", ".join(cells) + " changed")


if __name__ == "__main__":
    main()
