"""Retranslation alone on the ro-en MLQE-PE dev set, at the shipped model's threshold.

Applies only the retranslations (``posteditor.suggest.retranslate``) the shipped model would apply to
the 1,000 ro-en dev segments given with their sources, and reports TER before and after
(sacrebleu, case-sensitive) and how many retranslated segments came closer to the post-edit.
In sample for the retranslation's four fitted parameters. Needs Apertium and a built corpus
(``make corpus``).

    .venv/bin/python benchmarks/retranslation_dev.py [--model DIR] [--dev corpora/build/default/dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.core.meta import model_meta


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=paths.default_model())
    p.add_argument("--dev", type=Path, default=paths.PROJECT_ROOT / "corpora" / "build" / "default" / "dev.jsonl")
    args = p.parse_args()
    from sacrebleu.metrics import TER

    from posteditor.core.edits import apply_edits
    from posteditor.suggest.retranslate import Retranslator
    from posteditor.suggest.base import Item

    meta = model_meta(args.model)
    rows = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["origin"].endswith("ro-en")]
    started = time.time()
    proposals = Retranslator(meta["retranslation"]).suggest([Item(r["mt"], r["src"]) for r in rows])
    threshold = meta["min_confidence"]
    hyps = [apply_edits(r["mt"], [e for e in edits if e.confidence >= threshold]) for r, edits in zip(rows, proposals)]
    ter = TER(case_sensitive=True)
    refs = [[r["pe"] for r in rows]]
    before, after = ter.corpus_score([r["mt"] for r in rows], refs).score, ter.corpus_score(hyps, refs).score
    changed = [(h, r) for h, r in zip(hyps, rows) if h != r["mt"]]
    closer = sum(ter.sentence_score(h, [r["pe"]]).score < ter.sentence_score(r["mt"], [r["pe"]]).score for h, r in changed)
    print(f"ro-en dev, {len(rows)} segments with sources, threshold {threshold}: TER {before:.2f} -> {after:.2f} "
          f"({after - before:+.2f}); {len(changed)} retranslated, {closer} closer; {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
