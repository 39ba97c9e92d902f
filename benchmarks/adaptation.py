"""Adaptation experiment: fine-tune on 500 corrections of one kind of text, test on 500 more.

Usage, from the repository root once ``models/default`` exists (about 10-15 minutes on
2 CPU cores with the default model; the real ``models/`` folder is never touched)::

    .venv/bin/python benchmarks/adaptation.py                        # ro-en, the current model
    .venv/bin/python benchmarks/adaptation.py --pair et-en --json et.json
    .venv/bin/python benchmarks/adaptation.py --model DIR --n 100 --other-limit 50   # a quick try

What it does:

1. Reads the MLQE-PE dev set of ``--pair`` (``../shared/data``, detokenized as the model reads
   text), shuffles it with a fixed seed and splits it into ``--n`` (500) "corrections" and
   ``--n`` test segments.
2. Makes "the model before": a scratch copy of ``--model`` whose edit scorer and threshold are
   fitted again (``posteditor calibrate``) on the dev split of its corpus **without** this
   pair, since the shipped scorer was fitted on all of MLQE-PE dev, test half included, and a
   baseline fitted on the test data is no baseline. ``--in-sample`` skips this and compares
   with the model as it is.
3. Runs ``posteditor finetune`` (``finetune.run``, the same code as the command) on the
   corrections given as plain parallel files (MT, post-edit, source), in a scratch models
   folder whose ``default`` links to ``--model``. The command holds out 15% of them for its
   gate and replays as many pairs of the base model's training corpus as it trains on.
4. Scores the model before and after (TER of what ``correct`` would write: edits at or above
   the model's confidence threshold; case-sensitive sacrebleu TER) on the test half and on the
   dev sets of the other MLQE-PE pairs (``--other-limit`` segments each, default all 1,000).

It prints a table and exits 0 when all three claims hold, 1 otherwise: TER on the test half
goes down; no other dev pair gets worse by more than 0.5 TER; the fine-tuning command took
at most 10 minutes on ``--threads`` (2) CPU threads. ``--json F`` writes every number.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402
from posteditor.core.meta import model_meta
from posteditor.core.records import Pair

PAIRS = ("et-en", "ne-en", "ro-en", "ru-en", "si-en")
MAX_MINUTES = 10
MAX_OTHER_LOSS = 0.5


def limit_cpus(threads: int) -> None:
    """Use ``threads`` CPU threads (and, where the machine has more cores, only that many cores)."""
    import torch

    torch.set_num_threads(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)  # onnxruntime's, when the models are scored
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, set(cores[:threads]))


def dev_rows(pair: str, data: Path) -> list[Pair]:
    from posteditor.learn.corpus.mlqe import mlqe_pairs

    return mlqe_pairs(data, "dev", [pair])


def split(rows: list[Pair], n: int, seed: int) -> tuple[list[Pair], list[Pair]]:
    """(corrections, test): ``n`` each, from a seeded shuffle."""
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    if len(rows) < 2 * n:
        raise SystemExit(f"only {len(rows)} segments: --n {n} needs {2 * n}")
    return rows[:n], rows[n : 2 * n]


def scratch_models(model: Path, where: Path) -> Path:
    """A models folder whose ``default`` is a link to ``model``: versions land here."""
    root = where / "models"
    root.mkdir(parents=True)
    (root / "default").symlink_to(model.resolve(), target_is_directory=True)
    os.environ["POSTEDITOR_MODELS"] = str(root)
    os.environ["POSTEDITOR_CORRECTIONS"] = str(where / "no-corrections.jsonl")
    return root


def without_pair(model: Path, pair: str, where: Path) -> Path:
    """A copy of ``model`` calibrated on its corpus dev split less ``pair``: a baseline that never saw the test."""
    from posteditor.learn.calibrate import calibrate
    from posteditor.learn.finetune.data import corpus_dev

    copy = where / "before"
    shutil.copytree(model, copy, ignore=shutil.ignore_patterns("checkpoints", "*.lock"))
    dev = corpus_dev(model_meta(copy), lambda line: print(line, file=sys.stderr))
    if not dev or not dev.is_file():
        raise SystemExit(f"adaptation: {model} names no corpus with a dev split; use --in-sample")
    kept = [line for line in dev.read_text(encoding="utf-8").splitlines()
            if line.strip() and not json.loads(line).get("origin", "").endswith(pair)]
    (where / "dev-without.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(f"fitting the edit scorer of the model before on {len(kept)} dev segments without {pair} ...", file=sys.stderr)
    calibrate(copy, where / "dev-without.jsonl")
    return copy


def write_parallel(rows: list[Pair], where: Path) -> tuple[str, str, str]:
    files = []
    for key in ("mt", "pe", "src"):
        path = where / f"corrections.{key}"
        path.write_text("".join(" ".join((getattr(r, key) or "").split()) + "\n" for r in rows), encoding="utf-8")
        files.append(str(path))
    return tuple(files)


def finetune_on(rows: list[Pair], model: Path, where: Path, epochs: float, **config) -> dict:
    """Run ``posteditor finetune`` on ``rows`` in a scratch models folder; its numbers."""
    from posteditor.learn.finetune import run as finetune

    root = scratch_models(model, where)
    parallel = write_parallel(rows, where)
    started = time.time()
    name, passed, reasons = finetune.run(model=str(root / "default"), logs=[], parallel=parallel, out="adapted",
                                         cfg=finetune.FinetuneConfig(epochs=epochs, **config))
    seconds = time.time() - started
    meta = json.loads((root / name / "posteditor.json").read_text(encoding="utf-8"))["finetune"]
    return {"dir": str(root / name), "config": meta["config"], "passed": passed, "reasons": reasons, "seconds": round(seconds, 1),
            "train_seconds": meta.get("seconds"), "steps": meta.get("steps"), "data": meta["data"]}


SWEEP = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def propose(model_dir: Path, sets: dict[str, list[Pair]]) -> tuple[float, dict[str, list]]:
    """The model's threshold and every edit it proposes for each set (run once, then filtered):
    the model with its retranslation, as ``correct`` uses it (the correction memory left out)."""
    from posteditor.pipeline import load_suggester
    from posteditor.suggest.combine import threshold_of
    from posteditor.suggest.combine import suggest_all

    corrector = load_suggester(model_dir, use_memory=False)
    return threshold_of(corrector), {
        k: suggest_all(corrector, [r.mt for r in rows], [r.src for r in rows]) for k, rows in sets.items()
    }


def ter_at(rows: list[Pair], proposed: list, threshold: float) -> tuple[float, int]:
    """(TER, edits applied) of the MT with the edits at or above ``threshold`` applied."""
    from posteditor.core.metrics import apply_threshold, score

    hyps = apply_threshold([r.mt for r in rows], proposed, threshold)
    applied = sum(1 for edits in proposed for e in edits if e.confidence >= threshold)
    return round(score(hyps, [r.pe for r in rows])["ter"], 2), applied


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model to adapt (default: the current model)")
    p.add_argument("--pair", default="ro-en", choices=PAIRS)
    p.add_argument("--n", type=int, default=500, help="corrections, and test segments (default 500 each)")
    p.add_argument("--other-limit", type=int, default=None, metavar="N", help="segments of each other dev pair")
    p.add_argument("--epochs", type=float, default=3.0)
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: finetune's)")
    p.add_argument("--replay", type=float, default=None, help="replayed pairs per correction (default: finetune's)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--data", default=str(paths.data_root()))
    p.add_argument("--json", metavar="F", help="write every number here")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder (the fine-tuned model)")
    p.add_argument("--in-sample", action="store_true",
                   help="compare with --model as it is, its edit scorer fitted on this pair's dev (test half included)")
    args = p.parse_args(argv)

    given = model = Path(args.model) if args.model else paths.default_model()
    os.environ["POSTEDITOR_DATA"] = args.data  # the gate's base dev set comes from here too
    limit_cpus(args.threads)
    from posteditor.learn.finetune.run import mt_ter

    data = Path(args.data)
    corrections, test = split(dev_rows(args.pair, data), args.n, args.seed)
    sets = {f"{args.pair} test": test}
    for other in PAIRS:
        if other != args.pair and (data / "mlqe-pe" / other / "dev.mt").is_file():
            sets[other] = dev_rows(other, data)[: args.other_limit]
    where = Path(tempfile.mkdtemp(prefix="posteditor-adaptation-"))
    try:
        if not args.in_sample:
            model = without_pair(given, args.pair, where)
        knobs = {k: v for k, v in (("learning_rate", args.lr), ("replay_ratio", args.replay)) if v is not None}
        run = finetune_on(corrections, model, where, args.epochs, **knobs)
        print(f"scoring {model} and the fine-tuned model on {sum(map(len, sets.values()))} segments ...", file=sys.stderr)
        t_before, before = propose(model, sets)
        t_after, after = propose(Path(run["dir"]), sets)
    finally:
        if not args.keep:
            shutil.rmtree(where, ignore_errors=True)
    rows = []
    for k, v in sets.items():
        (b, nb), (a, na) = ter_at(v, before[k], t_before), ter_at(v, after[k], t_after)
        rows.append({"set": k, "segments": len(v), "mt": mt_ter(v), "before": b, "after": a, "delta": round(a - b, 2),
                     "edits_before": nb, "edits_after": na})
    test_name = f"{args.pair} test"
    sweep = []
    for t in SWEEP:
        (b, nb), (a, na) = ter_at(test, before[test_name], t), ter_at(test, after[test_name], t)
        sweep.append({"threshold": t, "before": b, "after": a, "delta": round(a - b, 2), "edits_before": nb, "edits_after": na})
    claims = {
        "test TER improves": rows[0]["delta"] < 0,
        f"no other pair worse by > {MAX_OTHER_LOSS} TER": all(r["delta"] <= MAX_OTHER_LOSS for r in rows[1:]),
        f"fine-tuning <= {MAX_MINUTES} min on {args.threads} threads": run["seconds"] <= MAX_MINUTES * 60,
    }
    baseline = ("as it is (its scorer saw the test half)" if args.in_sample
                else f"with its edit scorer fitted on dev without {args.pair}")
    print(f"\nmodel {given} {baseline}; {args.n} {args.pair} corrections ({run['data']['train']} trained on, "
          f"{run['data']['heldout']} held out by the gate, {run['data']['replay']} replayed pairs), "
          f"{run['steps']} steps, {args.epochs:g} epochs, learning rate {run['config']['learning_rate']}")
    print(f"fine-tuning command: {run['seconds']:.0f} s in all ({run['train_seconds']} s training) on {args.threads} threads")
    print("gate: " + ("promoted" if run["passed"] else "kept as a candidate") + "; " + "; ".join(run["reasons"]))
    print(f"\nAs `correct` applies them (threshold {t_before} before, {t_after} after), TER, lower is better:")
    print(f"{'set':<14}{'segments':>9}{'MT as is':>10}{'before':>9}{'after':>9}{'delta':>8}{'edits':>13}")
    for r in rows:
        print(f"{r['set']:<14}{r['segments']:>9}{r['mt']:>10.2f}{r['before']:>9.2f}{r['after']:>9.2f}{r['delta']:>+8.2f}"
              f"{r['edits_before']:>6} ->{r['edits_after']:>5}")
    print(f"\nThe {test_name} set at other thresholds (both models at the same one; an oracle view, "
          "since no threshold may be chosen on test data):")
    print(f"{'threshold':>9}{'before':>9}{'after':>9}{'delta':>8}{'edits':>13}")
    for r in sweep:
        print(f"{r['threshold']:>9}{r['before']:>9.2f}{r['after']:>9.2f}{r['delta']:>+8.2f}{r['edits_before']:>6} ->{r['edits_after']:>5}")
    print()
    for claim, ok in claims.items():
        print(f"{'PASS' if ok else 'FAIL'}  {claim}")
    if args.json:
        result = {"model": str(given), "in_sample": args.in_sample, "pair": args.pair, "n": args.n, "seed": args.seed, "threads": args.threads,
                  "thresholds": {"before": t_before, "after": t_after}, "finetune": run, "sets": rows,
                  "test_sweep": sweep, "claims": claims}
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if all(claims.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
