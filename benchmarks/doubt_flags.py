"""Does the model know which MT words are wrong, even where it cannot say what is right?

Word-level quality estimation without the source: for every word of MLQE-PE dev MT segments,
the model's probability of copying it (``Corrector.word_doubts``: the least sure of its tokens,
from the one verify pass over prompt + MT that the corrector makes anyway), and whether the
post-editor changed that word (``posteditor.learn.doubts.changed_words``). A
word flagged when that probability is below a bar is "right" when the post-editor changed it.
For comparison: the base LM's probability of each word after the words before it (plain
English, no prompt: surprisal, the classic monolingual flag), taken for as many of the least
probable words as the model flags at each bar; and two flags that need no model, rare words (3
or more tokenizer pieces) and capitalised words.

    .venv/bin/python benchmarks/doubt_flags.py [--model DIR] [--langs ro-en et-en] [--limit 300]
        [--bars 0.05 0.1 0.2 0.3 0.5] [--show 30]

No source is given to the model. Punctuation-only tokens are not counted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.core.edits import tokenize  # noqa: E402
from posteditor.core.records import Pair  # noqa: E402
from posteditor.learn.corpus.mlqe import mlqe_pairs  # noqa: E402
from posteditor.learn.doubts import changed_words  # noqa: E402
from posteditor.model import lm  # noqa: E402
from posteditor.model.corrector import Corrector  # noqa: E402
from posteditor.suggest.base import Item  # noqa: E402


def doubted_words(corrector: Corrector, base, pairs: list[tuple[str, Pair]], batch: int = 8) -> list[dict]:
    """One row per MT word of each (language, pair): its doubt (probability of copying it), its
    probability under the ``base`` LM as plain English, and whether the post-editor changed it."""
    rows = []
    for k in range(0, len(pairs), batch):
        chunk = pairs[k : k + batch]
        doubts = corrector.word_doubts([Item(p.mt) for _, p in chunk])
        # The base LM reads the same tokens (the MT as the model's draft, its end of text
        # dropped) after an end of text: the corrector's encoding, for this comparison only.
        drafts = [corrector._encode(Item(p.mt))[1] for _, p in chunk]
        with torch.inference_mode():
            plain = lm.token_log_probs(base, [[corrector.eos] + d[:-1] for d in drafts], corrector.eos)
        for (lang, pair), found, draft, logp in zip(chunk, doubts, drafts, plain):
            p_plain = logp.exp().tolist()
            starts = lm.word_starts(corrector.tok, pair.mt, draft)
            changed = changed_words(pair.mt, pair.pe)
            for d in found:
                word = d.word(tokenize(pair.mt))
                first, after = starts[d.index], max(starts[d.index] + 1, starts[d.index + 1])
                rows.append({"lang": lang, "word": word, "copy": d.keep,
                             "plain": min(p_plain[first:after]) if first < len(p_plain) else 1.0,
                             "changed": d.index in changed, "pieces": corrector.piece_count(word)})
    return rows


def share(rows: list[dict]) -> str:
    return f"{len(rows):5d} flagged, {sum(r['changed'] for r in rows) / len(rows):.2f} changed" if rows else "    0 flagged"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--data", default=str(paths.data_root()))
    parser.add_argument("--langs", nargs="+", default=["ro-en", "et-en"])
    parser.add_argument("--limit", type=int, default=300, help="dev segments per language")
    parser.add_argument("--bars", nargs="+", type=float, default=[0.05, 0.1, 0.2, 0.3, 0.5])
    parser.add_argument("--show", type=int, default=30, help="print this many flagged words (below the third bar)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    corrector = Corrector(args.model)
    corrector.word_check = None  # the copy probability, which this compares, not the model's probe (doubt_news.py compares both)
    base = lm.load_base(lm.inference_dtype())[0].eval()
    pairs = [(lang, p) for lang in args.langs for p in mlqe_pairs(Path(args.data), "dev", [lang])[: args.limit]]
    rows = doubted_words(corrector, base, pairs)
    print(f"{args.model}: {len(pairs)} MLQE-PE dev segments ({', '.join(args.langs)}), no source; "
          f"{len(rows)} MT words, {sum(r['changed'] for r in rows) / len(rows):.2f} of them changed by the post-editor; "
          f"{time.perf_counter() - started:.0f} s")
    for lang in [*args.langs, "all"]:
        mine = [r for r in rows if lang in ("all", r["lang"])]
        print(f"\n{lang}: {len(mine)} words, {sum(r['changed'] for r in mine) / len(mine):.2f} changed")
        by_plain = sorted(mine, key=lambda r: r["plain"])
        for bar in args.bars:
            flagged = [r for r in mine if r["copy"] < bar]
            print(f"  copy probability < {bar:<5}: {share(flagged)}"
                  f"   (lower-case words only: {share([r for r in flagged if not r['word'][:1].isupper()])};"
                  f" base LM, as many: {share(by_plain[: len(flagged)])})")
        print(f"  no model, 3+ pieces      : {share([r for r in mine if r['pieces'] >= 3])}")
        print(f"  no model, capitalised    : {share([r for r in mine if r['word'][:1].isupper()])}")
    flagged = [r for r in rows if r["copy"] < sorted(args.bars)[min(2, len(args.bars) - 1)]]
    random.Random(1).shuffle(flagged)
    print("\n" + ", ".join(f"{r['word']} {r['copy']:.2f}{' (changed)' if r['changed'] else ''}" for r in flagged[: args.show]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
