"""What the model's edits are: each proposed edit on MLQE-PE dev, its confidence, and whether
the post-editor made the same edit.

The calibration sweep (``posteditor.learn.calibrate``) scores whole thresholds; this looks at the
edits themselves: how many are right at each confidence, and the most confident ones, right
or wrong, so that a change to the model or to its confidence can be judged edit by edit.

    .venv/bin/python benchmarks/edit_precision.py [--model DIR] [--langs ro-en et-en ru-en] [--limit 1000]
        [--no-source] [--own-confidence] [--show 30] [--json edits.json]

Confidences are the edit scorer's when the model has one (fitted on this dev set, so the
figures are in-sample; the model card's sweep is out of fold); ``--own-confidence`` shows the
model's own.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.learn.corpus.mlqe import mlqe_pairs  # noqa: E402
from posteditor.core.edits import tokenize  # noqa: E402
from posteditor.suggest.combine import suggest_all  # noqa: E402
from posteditor.model.corrector import Corrector  # noqa: E402
from posteditor.suggest.scorer import is_right  # noqa: E402

LEVELS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95)


def judged_edits(corrector: Corrector, pairs, use_source: bool) -> list[dict]:
    """Every proposed edit, marked right when applying it alone makes only edits the post-edit makes."""
    proposals = suggest_all(corrector, [p.mt for p in pairs], [p.src if use_source else None for p in pairs])
    rows = []
    for pair, edits in zip(pairs, proposals):
        tokens = tokenize(pair.mt)
        for edit in edits:
            rows.append({
                "lang": pair.origin.split(":")[-1],
                "confidence": edit.confidence,
                "right": is_right(pair.mt, pair.pe, edit),
                "old": edit.removed(tokens),
                "new": edit.inserted,
                "mt": pair.mt,
                "pe": pair.pe,
            })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--data", default=str(paths.data_root()))
    parser.add_argument("--langs", nargs="+", default=["ro-en", "et-en", "ru-en"])
    parser.add_argument("--limit", type=int, default=1000, help="dev segments per language")
    parser.add_argument("--no-source", action="store_true", help="do not give the model the source sentence")
    parser.add_argument("--own-confidence", action="store_true", help="the model's own confidence, not its edit scorer's")
    parser.add_argument("--show", type=int, default=30, help="list this many of the most confident edits")
    parser.add_argument("--json", metavar="F", help="write every judged edit here")
    args = parser.parse_args()
    pairs = [p for lang in args.langs for p in mlqe_pairs(Path(args.data), "dev", [lang])[: args.limit]]
    rows = judged_edits(Corrector(args.model, rescore=not args.own_confidence), pairs, not args.no_source)
    print(f"{args.model}: {len(pairs)} MLQE-PE dev segments ({', '.join(args.langs)}), "
          f"source {'not ' if args.no_source else ''}given")
    for level in LEVELS:
        kept = [r for r in rows if r["confidence"] >= level]
        right = sum(r["right"] for r in kept)
        share = f"{right / len(kept):.2f}" if kept else "-"
        print(f"  confidence >= {level:<4}: {len(kept):5d} edits, {right:4d} right ({share})")
    for r in sorted(rows, key=lambda r: -r["confidence"])[: args.show]:
        print(f"  {r['confidence']:.2f} {'right' if r['right'] else 'WRONG'} {r['lang']}  {r['old']!r} -> {r['new']!r}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
