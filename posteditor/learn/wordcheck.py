"""Fit a model's word check against the source (``posteditor.suggest.wordcheck``).

The check is fitted on MLQE-PE ro-en **train** pairs from ``--skip`` on (dev has few right
candidates, 45 in 1,000 pairs, and stays unseen to judge the fit), judged by the model's own language model, and
written into the model's ``posteditor.json`` under ``word_check``, for the source languages
``--chains`` names (its features are the same in any language: Icelandic is measured on WMT
news by ``benchmarks/wordcheck_news.py``). Then it reports what it
does on dev, which it never saw, and on the train pairs before ``--skip``, held out (kept in
``word_check.measured`` for the model card): candidates and right ones at the model's
threshold, and the segments it changes, closer to the post-edit or further, with the corpus ΔTER.

    .venv/bin/python -m posteditor.learn.wordcheck [--model models/default] [--skip 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from posteditor.core import paths
from posteditor.core.meta import ModelMeta


def _split(data: Path, split: str, lo: int, hi: int | None):
    from posteditor.learn.corpus.mlqe import mlqe_pairs

    pairs = mlqe_pairs(data, split, ["ro-en"])[lo:hi]
    return [p.mt for p in pairs], [p.pe for p in pairs], [p.src for p in pairs]


def changes(mts, hyps, pes) -> dict:
    """The segments ``hyps`` changed from ``mts``, how many came closer to the post-edits
    ``pes`` and how many went further, and the corpus ΔTER."""
    from sacrebleu.metrics import TER

    from posteditor.core.metrics import closer

    changed = [i for i, (m, h) in enumerate(zip(mts, hyps)) if h != m]
    ter = TER(case_sensitive=True)
    return {"changed": len(changed), "closer": sum(closer(mts[i], hyps[i], pes[i]) for i in changed),
            "further": sum(closer(hyps[i], mts[i], pes[i]) for i in changed),
            "delta_ter": round(ter.corpus_score(hyps, [pes]).score - ter.corpus_score(mts, [pes]).score, 3)}


def measure(params: dict, threshold: float, mts, pes, x, y, index) -> dict:
    """What the fitted check does on labelled candidates ``x``, ``y`` of ``mts`` at ``threshold``."""
    from posteditor.core.edits import apply_edits
    from posteditor.suggest.scorer import Logistic

    probs = Logistic(params).probabilities(x) if len(y) else []
    applied: dict[int, list] = {}
    for (i, edit), p in zip(index, probs):
        if p >= threshold:
            applied.setdefault(i, []).append(edit)
    hyps = list(mts)
    for i, edits in applied.items():
        hyps[i] = apply_edits(mts[i], sorted(edits, key=lambda e: e.start))
    kept = [bool(r) for r, p in zip(y, probs) if p >= threshold]
    return {"pairs": len(mts), "candidates": int(len(y)), "right": int(sum(y)), "threshold": threshold,
            "applied": len(kept), "applied_right": sum(kept), **changes(mts, hyps, pes)}


def summary(name: str, m: dict) -> str:
    """One line of ``measure``'s figures."""
    right = f"{m['applied_right']} right ({m['applied_right'] / m['applied']:.2f})" if m["applied"] else "none"
    return (f"{name}, {m['pairs']} pairs: {m['candidates']} candidates, {m['right']} right; at {m['threshold']:.2f}: "
            f"{m['applied']} applied, {right}; {m['changed']} segments changed, {m['closer']} closer, "
            f"{m['further']} further; ΔTER {m['delta_ter']:+.2f}")


def romanian_chains() -> dict[str, tuple[str, ...]] | None:
    """Apertium's Romanian chain, the one MLQE-PE ro-en needs; None, said on stderr, when it is
    not installed. (MLQE-PE holds no other language a chain reads.)"""
    from posteditor.suggest import retranslate

    chains = retranslate.installed()
    if "ro" not in chains:
        print("posteditor: Apertium's ro-es and spa-eng modes are not installed (make apertium)", file=sys.stderr)
        return None
    return {"ro": chains["ro"]}


def write_params(model: str | Path, key: str, params: dict, started: float) -> None:
    """``params`` into the model's ``posteditor.json`` under ``key``."""
    meta = ModelMeta.load(Path(model)).to_dict()
    meta[key] = params
    ModelMeta(meta).write(Path(model))
    print(f"written to {Path(model) / 'posteditor.json'} ({time.time() - started:.0f} s in all)")


def main(argv: list[str] | None = None) -> int:
    from posteditor.model.corrector import Corrector
    from posteditor.suggest import wordcheck

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--data", default=str(paths.data_root()))
    parser.add_argument("--skip", type=int, default=2000, help="fit on the train pairs from this one (default 2000)")
    parser.add_argument("--chains", default=",".join(wordcheck.CHAINS),
                        help="source languages the check is used for (default: every chain, %(default)s)")
    parser.add_argument("--dry-run", action="store_true", help="report, but leave posteditor.json as it is")
    args = parser.parse_args(argv)
    used = sorted({lang.strip() for lang in args.chains.split(",") if lang.strip()})
    if not used or set(used) - set(wordcheck.CHAINS):
        print(f"posteditor: --chains takes languages of {', '.join(wordcheck.CHAINS)}", file=sys.stderr)
        return 2
    if (chains := romanian_chains()) is None:
        return 2
    started = time.time()
    model = Corrector(args.model)
    data = Path(args.data)

    def labelled(mts, pes, srcs):
        return wordcheck.labelled(mts, pes, srcs, model.sentence_log_probs, model.piece_count, chains)

    mts, pes, srcs = _split(data, "train", args.skip, None)
    x, y, _, _ = labelled(mts, pes, srcs)
    params = wordcheck.fit(x, y, used, fitted_on=f"MLQE-PE ro-en train [{args.skip}:]")
    if params is None:
        print(f"posteditor: {int(y.sum())} of {len(y)} candidates right; too few to fit the word check on", file=sys.stderr)
        return 1
    print(f"fitted on {len(y)} candidates of {len(mts)} train pairs, {int(y.sum())} right ({time.time() - started:.0f} s)")
    threshold = model.info.min_confidence
    params["measured"] = {}
    for name, split, hi in (("MLQE-PE ro-en dev", "dev", None), (f"MLQE-PE ro-en train [0:{args.skip}]", "train", args.skip)):
        if hi == 0:
            continue
        mts, pes, srcs = _split(data, split, 0, hi)
        x, y, index, _ = labelled(mts, pes, srcs)
        params["measured"][name] = measure(params, threshold, mts, pes, x, y, index)
        print(summary(name, params["measured"][name]))
    if not args.dry_run:
        write_params(args.model, "word_check", params, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
