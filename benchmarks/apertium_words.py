"""A source-aware word check: where Apertium's translation of the source uses another word.

Retranslation (``posteditor.suggest.retranslate``) replaces whole segments that stray from
their source. This measures a finer use of the same translation: each one-word-for-one-word
difference between the MT and Apertium's translation of its source (ro -> es -> en) is a
candidate fix ("the beaver of Bran" -> "castle", Romanian "castel"). Candidates are judged
by how much more probable the base LM (SmolLM2, no adapter) finds the sentence with the
Apertium word, in nats for the whole sentence, and kept only when both words are content
words, the Apertium word is not marked unknown and the two are not forms of one word (same
first five letters). A candidate is right if the post-editor made exactly that edit.

    .venv/bin/python benchmarks/apertium_words.py [--split dev] [--limit 1000] [--skip 0] [--show 20]

This is the fifth session's measurement, kept as it was run (candidates as then, judged by
the base LM's gain alone); the tool's word check (``posteditor.suggest.wordcheck``) grew
from it, with its own candidates, a fitted judge and ``benchmarks/retranslation_dev.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.core.edits import apply_edits, extract_edits, tokenize, words  # noqa: E402
from posteditor.learn.corpus.mlqe import mlqe_pairs  # noqa: E402
from posteditor.model import lm  # noqa: E402
from posteditor.suggest import retranslate  # noqa: E402
from posteditor.suggest.scorer import is_right  # noqa: E402
from posteditor.suggest.wordcheck import STOP  # noqa: E402

GAINS = (0, 2, 4, 6, 8, 10)


def candidates(pairs, marked: list[str]) -> list[dict]:
    """One-word substitutions that turn the MT towards Apertium's translation."""
    out = []
    for pair, mark in zip(pairs, marked):
        tokens = tokenize(pair.mt)
        for edit in extract_edits(pair.mt, retranslate.clean(mark)):
            old, new = words(tokens[edit.start : edit.end]), words(edit.replacement)
            if len(old) != 1 or len(new) != 1 or not (old[0].isalpha() and new[0].isalpha()):
                continue
            a, b = old[0].lower(), new[0].lower()
            if a == b or a in STOP or b in STOP or (a[:5] == b[:5] and min(len(a), len(b)) >= 5):
                continue
            if any(m + new[0] in mark for m in "*#@"):  # Apertium did not know the word
                continue
            out.append({"mt": pair.mt, "edit": edit, "old": old[0], "new": new[0], "right": is_right(pair.mt, pair.pe, edit)})
    return out


def sentence_logprobs(model, tok, texts: list[str]) -> list[float]:
    """Each text's log-probability under ``model``, in nats for the whole text (as the
    corrector scores candidates, ``lm.plain_log_probs``, but summed, not per token)."""
    import torch

    with torch.inference_mode():
        return [float(lp.sum()) for lp in lm.plain_log_probs(model, tok, texts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(paths.data_root()))
    parser.add_argument("--split", default="dev", choices=["dev", "train"])
    parser.add_argument("--skip", type=int, default=0, help="start at this pair")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--show", type=int, default=20, help="list this many of the strongest candidates")
    args = parser.parse_args()
    if not retranslate.installed():
        sys.exit("apertium_words: Apertium's ro-es and spa-eng modes are not installed (make apertium)")
    pairs = mlqe_pairs(Path(args.data), args.split, ["ro-en"])[args.skip : args.skip + args.limit]
    marked = retranslate.translate([p.src for p in pairs], retranslate.CHAINS["ro"])
    found = candidates(pairs, marked)

    started = time.time()
    model, tok = lm.load_base()
    before = dict(zip((p.mt for p in pairs), sentence_logprobs(model, tok, [p.mt for p in pairs])))
    after = sentence_logprobs(model, tok, [apply_edits(c["mt"], [c["edit"]]) for c in found])
    for c, lp in zip(found, after):
        c["gain"] = lp - before[c["mt"]]
    print(f"MLQE-PE ro-en {args.split} [{args.skip}:{args.skip + len(pairs)}]: {len(found)} content-word candidates, "
          f"{sum(c['right'] for c in found)} right; base LM {time.time() - started:.0f} s")
    for low in GAINS:
        kept = [c for c in found if c["gain"] > low]
        right = sum(c["right"] for c in kept)
        print(f"  gain > {low:2d} nats: {len(kept):4d} candidates, {right:3d} right"
              + (f" ({right / len(kept):.2f})" if kept else ""))
    for c in sorted(found, key=lambda c: -c["gain"])[: args.show]:
        print(f"  {c['gain']:5.1f} {'right' if c['right'] else 'WRONG'}  {c['old']!r} -> {c['new']!r}")


if __name__ == "__main__":
    main()
