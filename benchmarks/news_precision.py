"""How often the model's proposals on news MT move it towards a human reference.

MLQE-PE (Wikipedia) is the dev set the threshold is chosen on; the tool's users correct news.
This samples WMT 2021-22 system outputs into English (news, and 2022's general domain) whose
TER to every reference, measured as the corpus measures it, lies in ``(--min-ter,
--max-ter]``: above the corpus's 0.25, so none of them was a training pair. It asks the model
for its edits without the source, with the model's own (raw) confidences and every candidate
a judge would see (``rescore=False``), and judges each edit alone against the references:
*closer* if it lowers the word edit distance (lowercased) to the nearest one, *further* if it
raises it, *neutral* otherwise. References are translations in their own right, so a good fix
the reference words differently counts as neutral or further: the share of closer edits is a
lower bound on precision, closer or neutral an upper one.

    .venv/bin/python benchmarks/news_precision.py [--model DIR] [-n 300] [--show 40] [--json F]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.core.edits import apply_edits, tokenize, words  # noqa: E402
from posteditor.learn.corpus.pairs import _lines, _match_quotes, _normalize_space, ter  # noqa: E402
from posteditor.learn.corpus.wmt import _wmt_sets  # noqa: E402
from posteditor.model.corrector import Corrector  # noqa: E402
from posteditor.suggest.combine import suggest_all  # noqa: E402

LEVELS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)


def _words(text: str) -> list[str]:
    return [w.lower() for w in words(tokenize(text))]


def distance(a: list[str], b: list[str]) -> int:
    """Word-level Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def sample(root: Path, n: int, low: float, high: float, seed: int) -> list[dict]:
    """``n`` system outputs, one per source sentence, with a TER in (low, high] to every reference."""
    files: dict[tuple, tuple[list, list[Path]]] = {}
    for year, prefix, langpair, system, hyp, refs, _ in _wmt_sets(root, ("wmt21", "wmt22")):
        files.setdefault((year, langpair), ([], refs))[0].append((system, hyp))
    rng, out, seen, lines = random.Random(seed), [], set(), {}
    keys = sorted(files)
    for _ in range(n * 50):
        if len(out) == n:
            break
        key = rng.choice(keys)
        systems, refs = files[key]
        system, hyp = rng.choice(systems)
        for path in (hyp, *refs):
            if path not in lines:
                lines[path] = _lines(path)
        i = rng.randrange(len(lines[hyp]))
        if (key, i) in seen or any(len(lines[r]) != len(lines[hyp]) for r in refs):
            continue
        mt = _normalize_space(lines[hyp][i])
        references = [_normalize_space(lines[r][i]) for r in refs]
        if not 6 <= len(mt.split()) <= 50 or not all(references):
            continue
        rates = [ter(mt, _match_quotes(mt, r)) for r in references]
        if low < min(rates) and max(rates) <= high:
            seen.add((key, i))
            out.append({"origin": f"{key[0]}:{key[1]}:{system}:{i}", "mt": mt, "refs": references})
    return out


def judge(mt: str, refs: list[str], new: str) -> int:
    """+1 closer to the nearest reference, -1 further, 0 the same."""
    before = min(distance(_words(mt), _words(r)) for r in refs)
    after = min(distance(_words(new), _words(r)) for r in refs)
    return (after < before) - (after > before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--data", default=str(paths.data_root()))
    parser.add_argument("-n", type=int, default=300, help="news segments")
    parser.add_argument("--min-ter", type=float, default=0.25)
    parser.add_argument("--max-ter", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=40, help="list this many of the most confident edits")
    parser.add_argument("--json", metavar="F", help="write every judged edit here")
    args = parser.parse_args()
    segments = sample(Path(args.data), args.n, args.min_ter, args.max_ter, args.seed)
    if not segments:
        sys.exit("news_precision: no WMT output in that TER range (is --data right?)")
    started = time.time()
    proposals = suggest_all(Corrector(args.model, rescore=False), [s["mt"] for s in segments], [None] * len(segments))
    seconds = time.time() - started
    rows = []
    for seg, edits in zip(segments, proposals):
        tokens = tokenize(seg["mt"])
        for edit in edits:
            p_copy, gain, sibling = (edit.evidence + (0.0, 0.0, 0.0))[:3]
            rows.append({"origin": seg["origin"], "confidence": edit.confidence, "gain": gain,
                         "kind": "sibling" if sibling else "model",
                         "verdict": judge(seg["mt"], seg["refs"], apply_edits(seg["mt"], [edit])),
                         "old": " ".join(words(tokens[edit.start : edit.end])), "new": edit.inserted,
                         "mt": seg["mt"], "refs": seg["refs"]})
    pairs = sorted({s["origin"].split(":")[1] for s in segments})
    print(f"{args.model}: {len(segments)} WMT outputs into English ({', '.join(pairs)}; TER {args.min_ter}-{args.max_ter} "
          f"to the references), no source, raw confidences, {seconds:.0f} s ({len(segments) / seconds:.2f} segments/s)")
    for kind in ("model", "sibling", None):
        chosen = [r for r in rows if kind is None or r["kind"] == kind]
        print(f"  {kind or 'all'} proposals:")
        for level in LEVELS:
            kept = [r for r in chosen if r["confidence"] >= level]
            if kept:
                closer = sum(r["verdict"] > 0 for r in kept)
                further = sum(r["verdict"] < 0 for r in kept)
                print(f"    confidence >= {level:<4}: {len(kept):5d} edits, {closer:4d} closer ({closer / len(kept):.2f}), "
                      f"{further:4d} further")
    for low in (0.0, 1.0, 2.0, 3.0):
        kept = [r for r in rows if r["gain"] > low]
        if kept:
            closer = sum(r["verdict"] > 0 for r in kept)
            print(f"  base LM gain > {low}: {len(kept)} edits, {closer} closer ({closer / len(kept):.2f})")
    mark = {1: "closer ", 0: "neutral", -1: "FURTHER"}
    for r in sorted(rows, key=lambda r: -r["confidence"])[: args.show]:
        print(f"  {r['confidence']:.2f} {r['gain']:+.2f} {r['kind']:7} {mark[r['verdict']]} {r['old']!r} -> {r['new']!r}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
