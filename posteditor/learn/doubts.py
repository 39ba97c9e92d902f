"""Fit a model's words to check: the bar below which its doubt about an MT word is shown.

Without the source the model seldom knows the right word (about a tenth of its replacements
are right), but it knows where the MT is wrong: on MLQE-PE dev (ro-en and et-en), post-editors
changed 0.6-0.8 of the words it would keep with probability below 0.1-0.2, against 0.19 of their
words in general (``benchmarks/doubt_flags.py`` compares other flags). The editor marks such
words, and ``correct --report`` lists them, for a person to check; nothing is changed by them.

For each dev segment (the calibration dev, all its languages), every MT word's probability of
being kept (``Corrector.word_doubts``), with and without the source, and whether the post-editor
changed the word (it is outside the longest matching blocks of MT and post-edit words, case
folded). A bar flags the words below it; its precision is the share of them changed. The bar
kept is the largest of ``BARS`` whose flags are at least ``MIN_SHARE`` changed, without sources
and with them, in every language where it flags at least ``MIN_FLAGGED`` words (a language
where it flags fewer is not judged: on the shipped model's dev, ru-en, whose MT is good and
whose few flags are mostly right words): a word to check should more often than not be wrong.
A fine-tuned version keeps its base's bar (``finetune`` does not refit it). The result goes into the model's ``posteditor.json``
under ``words_to_check``, with the table it was chosen from.

    .venv/bin/python -m posteditor.learn.doubts [--model models/default] [--dev PATH] [--limit 200]
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from collections import defaultdict
from pathlib import Path

from posteditor.core import paths
from posteditor.core.edits import tokenize, words
from posteditor.core.meta import ModelMeta
from posteditor.core.records import Pair, read_pairs

BARS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
MIN_SHARE = 0.6
"""A bar is kept only if at least this share of the words it flags were changed by post-editors."""
MIN_FLAGGED = 20
"""... in each language where it flags at least this many words (fewer say little)."""


def changed_words(mt: str, pe: str) -> set[int]:
    """Indices of the MT tokens (``tokenize``) the post-editor changed: those outside the longest
    matching blocks of MT and post-edit words, case folded."""
    mt_words = [t.strip().lower() for t in tokenize(mt)]
    match = difflib.SequenceMatcher(a=mt_words, b=[w.lower() for w in words(tokenize(pe))], autojunk=False)
    kept = {a + n for a, _, size in match.get_matching_blocks() for n in range(size)}
    return {i for i, w in enumerate(mt_words) if w and i not in kept}


def table(rows: list[Pair], doubts: list[list], bars=BARS) -> dict:
    """For each language (and all), the words and the share changed; then, for each bar, the
    words it flags and the share of them changed."""
    counts = defaultdict(lambda: [0, 0])  # (language, bar or None) -> [words, changed]
    for pair, found in zip(rows, doubts):
        changed = changed_words(pair.mt, pair.pe)
        for lang in (pair.language, "all"):
            for d in found:
                hit = d.index in changed
                for bar in (None, *bars):
                    if bar is None or d.keep < bar:
                        counts[lang, bar][0] += 1
                        counts[lang, bar][1] += hit
    out = {}
    for lang in sorted({lang for lang, _ in counts}):
        n, hit = counts[lang, None]
        out[lang] = {"words": n, "changed": round(hit / n, 3) if n else None,
                     "bars": [{"below": bar, "flagged": counts[lang, bar][0],
                               "changed": round(counts[lang, bar][1] / counts[lang, bar][0], 3) if counts[lang, bar][0] else None}
                              for bar in bars]}
    return out


def choose(tables: list[dict], bars=BARS) -> float | None:
    """The largest bar at least ``MIN_SHARE`` precise in every language of every table where it
    flags ``MIN_FLAGGED`` words or more (and that flags that many in all); None if none is."""
    def good(t: dict, k: int) -> bool:
        if t["all"]["bars"][k]["flagged"] < MIN_FLAGGED:
            return False
        cells = [lang["bars"][k] for name, lang in t.items() if name != "all"]
        return all(c["changed"] >= MIN_SHARE for c in cells if c["flagged"] >= MIN_FLAGGED)

    if not all("all" in t for t in tables):  # no words at all
        return None
    kept = [bar for k, bar in enumerate(bars) if all(good(t, k) for t in tables)]
    return max(kept) if kept else None


def fit(corrector, rows: list[Pair]) -> dict:
    """``words_to_check`` for ``corrector``'s model, measured on the dev ``rows``."""
    from posteditor.suggest.base import Item

    measured = {}
    for name, sourced in (("without_source", False), ("with_source", True)):
        items = [Item(r.mt, r.src if sourced else None) for r in rows]
        measured[name] = table(rows, corrector.word_doubts(items))
    below = choose(list(measured.values()))
    return {"below": below, "min_share": MIN_SHARE, "segments": len(rows), **measured}


def dev_rows(dev: str | Path, limit: int | None) -> list[Pair]:
    """The first ``limit`` dev pairs of each language (all of them without a limit)."""
    taken: dict[str, int] = defaultdict(int)
    out = []
    for pair in read_pairs(dev):
        lang = pair.language
        if limit is None or taken[lang] < limit:
            taken[lang] += 1
            out.append(pair)
    return out


def summary(fitted: dict) -> str:
    """What was chosen, and how precise it is, as lines for people."""
    below = fitted["below"]
    lines = [f"words to check: below {below}" if below is not None else
             f"words to check: no bar flags words at least {MIN_SHARE} changed in every language; none will be shown"]
    for name in ("without_source", "with_source"):
        for lang, t in fitted[name].items():
            cells = "  ".join(f"<{b['below']}: {b['flagged']} {b['changed'] if b['changed'] is not None else '-'}"
                              for b in t["bars"])
            lines.append(f"  {name.replace('_', ' ')}, {lang}: {t['words']} words, {t['changed']} changed;  {cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--dev", default="corpora/build/default/dev.jsonl")
    parser.add_argument("--limit", type=int, default=200, help="dev segments per language")
    args = parser.parse_args(argv)
    from posteditor.core.textio import InputError
    from posteditor.model.corrector import Corrector

    started = time.perf_counter()
    try:
        try:
            rows = dev_rows(args.dev, args.limit)
        except (ValueError, KeyError, TypeError) as exc:  # (UnicodeDecodeError is a ValueError)
            raise InputError(f"{args.dev}: not a JSON-lines file of mt, pe and origin ({type(exc).__name__}: {exc})") from None
        if not rows:
            raise InputError(f"{args.dev}: no dev pairs to fit on")
        fitted = fit(Corrector(args.model, rescore=False), rows)
        ModelMeta.load(args.model).updated(words_to_check=fitted | {"dev": paths.in_project(args.dev)}).write(args.model)
    except (InputError, OSError) as exc:
        print(f"posteditor: {exc}", file=sys.stderr)
        return 2
    print(summary(fitted))
    print(f"{len(rows)} dev segments, {time.perf_counter() - started:.0f} s; written to {Path(args.model) / 'posteditor.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
