"""The word check against the source on WMT news: how often its edits move the MT towards the reference.

The word check (``posteditor.suggest.wordcheck``) was fitted on MLQE-PE ro-en (Wikipedia).
This runs it, as the shipped model's record has it but for the language given (``--lang``,
default Icelandic, WMT 2021 is-en: the one WMT pair into English an Apertium chain
translates), on every system output whose TER to the reference lies in ``(--min-ter,
--max-ter]`` (above 0.25 by default, so none was a training pair), one output per source
sentence, and judges each proposal alone against the reference by the word edit distance
(lowercased): closer, neutral or further (``news_precision.judge``). A reference is one
translation among many, so "closer" is a lower bound on precision.

    .venv/bin/python benchmarks/wordcheck_news.py [--model DIR] [--lang is] [-n 1000] [--show 30]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from news_precision import judge  # noqa: E402

from posteditor.core import paths  # noqa: E402
from posteditor.core.edits import apply_edits, tokenize, words  # noqa: E402
from posteditor.core.meta import model_meta  # noqa: E402
from posteditor.learn.corpus.pairs import _lines, _match_quotes, _normalize_space, ter  # noqa: E402
from posteditor.learn.corpus.wmt import _wmt_sets  # noqa: E402
from posteditor.suggest.base import Item  # noqa: E402
from posteditor.suggest.wordcheck import installed  # noqa: E402

LEVELS = (0.1, 0.3, 0.45, 0.6, 0.8)


def sample(root: Path, lang: str, n: int, low: float, high: float, seed: int) -> list[dict]:
    """Up to ``n`` (output, source, reference), one output per source sentence, TER in (low, high]."""
    by_sentence: dict[tuple[str, str, int], list[dict]] = {}
    for year, prefix, langpair, system, hyp, refs, source in _wmt_sets(root, ("wmt21", "wmt22")):
        if langpair != f"{lang}-en" or not source.is_file():
            continue
        outputs, sources, references = _lines(hyp), _lines(source), [_lines(r) for r in refs]
        if any(len(x) != len(outputs) for x in (sources, *references)):
            continue
        for i, (mt, src) in enumerate(zip(outputs, sources)):
            mt, refs_i = _normalize_space(mt), [_normalize_space(r[i]) for r in references]
            if 6 <= len(mt.split()) <= 60 and all(refs_i):
                by_sentence.setdefault((year, prefix, i), []).append({"origin": f"{year}:{system}:{i}", "mt": mt, "src": src,
                                                              "refs": refs_i})
    rng, out = random.Random(seed), []
    for key in sorted(by_sentence):
        outputs = by_sentence[key]
        rng.shuffle(outputs)
        for o in outputs:
            rates = [ter(o["mt"], _match_quotes(o["mt"], r)) for r in o["refs"]]
            if low < min(rates) and max(rates) <= high:
                out.append(o)
                break
    rng.shuffle(out)
    return out[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--data", default=str(paths.data_root()))
    parser.add_argument("--lang", default="is", help="source language: one of wordcheck.CHAINS (default is)")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--min-ter", type=float, default=0.25)
    parser.add_argument("--max-ter", type=float, default=0.6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=30, help="list this many of the most confident edits")
    args = parser.parse_args()
    meta = model_meta(args.model)
    if not meta.get("word_check"):
        sys.exit(f"wordcheck_news: {args.model} has no word check (python -m posteditor.learn.wordcheck)")
    chains = {k: v for k, v in installed().items() if k == args.lang}
    if not chains:
        sys.exit(f"wordcheck_news: no installed Apertium chain takes {args.lang!r} into English")
    segments = sample(Path(args.data), args.lang, args.n, args.min_ter, args.max_ter, args.seed)
    if not segments:
        sys.exit(f"wordcheck_news: no WMT {args.lang}-en output in that TER range")
    from posteditor.model.corrector import Corrector
    from posteditor.suggest.wordcheck import WordCheck

    model = Corrector(args.model)
    check = WordCheck(meta["word_check"] | {"chains": [args.lang]}, model.sentence_log_probs, model.piece_count, chains)
    started = time.time()
    proposals = check.suggest([Item(s["mt"], s["src"]) for s in segments])
    seconds = time.time() - started
    rows = []
    for seg, edits in zip(segments, proposals):
        tokens = tokenize(seg["mt"])
        for e in edits:
            rows.append({"confidence": e.confidence, "verdict": judge(seg["mt"], seg["refs"], apply_edits(seg["mt"], [e])),
                         "old": " ".join(words(tokens[e.start : e.end])), "new": e.inserted.strip()})
    print(f"WMT {args.lang}-en, {len(segments)} system outputs with sources (TER {args.min_ter}-{args.max_ter} to the "
          f"reference), word check {seconds:.0f} s; {len(rows)} proposals")
    for level in LEVELS:
        kept = [r for r in rows if r["confidence"] >= level]
        if kept:
            closer, further = sum(r["verdict"] > 0 for r in kept), sum(r["verdict"] < 0 for r in kept)
            print(f"  confidence >= {level:<4}: {len(kept):4d} edits, {closer:4d} closer ({closer / len(kept):.2f}), "
                  f"{len(kept) - closer - further:4d} neutral, {further:4d} further")
    mark = {1: "closer ", 0: "neutral", -1: "FURTHER"}
    for r in sorted(rows, key=lambda r: -r["confidence"])[: args.show]:
        print(f"  {r['confidence']:.2f} {mark[r['verdict']]} {r['old']!r} -> {r['new']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
