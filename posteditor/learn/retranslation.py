"""Fit a model's retranslation (``posteditor.suggest.retranslate``) on MLQE-PE train pairs.

``calibrate`` can fit retranslation on its dev data, but dev holds few segments worth
retranslating (73 of 990 ro-en) and then also chooses the threshold. Retranslation does not
depend on the correction model (only on the MT, the source and Apertium), so it is fitted here
on every MLQE-PE ro-en **train** pair instead (6,927 translations, 1,078 closer), written into
the model's ``posteditor.json`` under ``retranslation`` (with ``fitted_on``, so ``calibrate``
keeps it and sweeps what it proposes), and measured on dev, which it never saw: at the model's
threshold alone and merged with the model's word check as the pipeline merges them, then swept
over thresholds by calibration's rule (kept in ``retranslation.measured`` for the model card).
The model's own word edits are left out: a model without an edit scorer caps them below 0.3.

    .venv/bin/python -m posteditor.learn.retranslation [--model models/default] [--dry-run]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from posteditor.core import paths
from posteditor.learn.wordcheck import changes, romanian_chains, write_params

DATA = "MLQE-PE ro-en train"


def measure(rows, proposals, threshold: float) -> dict:
    """TER before and after ``proposals`` at ``threshold`` on dev ``rows``, the segments changed,
    closer to the post-edit and further, and the threshold calibration's rule would choose."""
    from posteditor.core.metrics import apply_threshold
    from posteditor.learn.calibrate import sweep
    from posteditor.learn.threshold import choose

    mts, pes = [r.mt for r in rows], [r.pe for r in rows]
    table = sweep(rows, proposals)
    chosen = choose(table)
    return {"segments": len(rows), "threshold": threshold, **changes(mts, apply_threshold(mts, proposals, threshold), pes),
            "rule_chooses": chosen,
            "delta_ter_there": next(r for r in table if r["threshold"] == chosen)["langs"]["ro-en"]["delta_ter"]}


def summary(name: str, m: dict) -> str:
    return (f"{name}, {m['segments']} segments: at {m['threshold']:.2f} {m['changed']} changed, {m['closer']} closer, "
            f"{m['further']} further, ΔTER {m['delta_ter']:+.2f}; calibration's rule chooses {m['rule_chooses']} "
            f"(ΔTER {m['delta_ter_there']:+.2f})")


def main(argv: list[str] | None = None) -> int:
    from posteditor.core.textio import InputError
    from posteditor.learn.corpus.mlqe import mlqe_pairs
    from posteditor.model.corrector import Corrector
    from posteditor.pipeline import load_word_check
    from posteditor.suggest import retranslate
    from posteditor.suggest.base import Item
    from posteditor.suggest.combine import merge

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--data", default=str(paths.data_root()))
    parser.add_argument("--dry-run", action="store_true", help="report, but leave posteditor.json as it is")
    args = parser.parse_args(argv)
    if (chains := romanian_chains()) is None:
        return 2
    started = time.time()
    data = Path(args.data)
    try:
        model = Corrector(args.model)
        train, dev = (mlqe_pairs(data, split, ["ro-en"]) for split in ("train", "dev"))
    except (InputError, OSError, ValueError) as exc:  # no model there, no MLQE-PE there
        print(f"posteditor: {exc}", file=sys.stderr)
        return 2
    try:
        params, note = retranslate.fit_all([p.mt for p in train], [p.pe for p in train], [p.src for p in train],
                                           DATA, chains)
    except retranslate.FAILURES as exc:
        print(f"posteditor: Apertium failed ({exc})", file=sys.stderr)
        return 1
    print(f"{note} ({time.time() - started:.0f} s)")
    if params is None:
        return 1
    items = [Item(p.mt, p.src) for p in dev]
    alone = retranslate.Retranslator(params, chains).suggest(items)
    check = load_word_check(model)
    words = check.suggest(items) if check else [[] for _ in items]
    threshold = model.info.min_confidence
    params["measured"] = {}
    for name, proposals in (("MLQE-PE ro-en dev, retranslation alone", alone),
                            ("MLQE-PE ro-en dev, with the word check", [merge(a, b) for a, b in zip(alone, words)])):
        params["measured"][name] = measure(dev, proposals, threshold)
        print(summary(name, params["measured"][name]))
    if not args.dry_run:
        write_params(args.model, "retranslation", params, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
