"""Benchmark: ``posteditor finetune`` on 500 corrections must take at most 10 minutes on 2 CPU cores.

Usage, from the repository root once ``models/default`` exists (the real ``models/`` folder
is never touched; everything happens in a scratch folder)::

    .venv/bin/python benchmarks/bench_finetune.py                 # 500 ro-en dev pairs, 2 threads
    .venv/bin/python benchmarks/bench_finetune.py --threads 2 --n 500 --model DIR

It times the whole command as a user waits for it: collecting the pairs, scoring the base
model for the gate (held-out corrections and 100 base dev segments), training (the command's
one epoch over the corrections plus half as many replayed pairs) and scoring the new model. With more cores
than ``--threads`` the process is pinned to that many. Exits 1 when it takes over 10 minutes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from adaptation import MAX_MINUTES, dev_rows, finetune_on, limit_cpus, split  # noqa: E402

from posteditor.core import paths  # noqa: E402
from posteditor.learn.finetune.config import FinetuneConfig  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model to fine-tune (default: the current model)")
    p.add_argument("--pair", default="ro-en")
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--epochs", type=float, default=FinetuneConfig.epochs, help="passes (default: the command's)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    model = Path(args.model) if args.model else paths.default_model()
    limit_cpus(args.threads)
    corrections, _ = split(dev_rows(args.pair, paths.data_root()), args.n, seed=13)
    where = Path(tempfile.mkdtemp(prefix="posteditor-bench-finetune-"))
    try:
        run = finetune_on(corrections, model, where, args.epochs)
    finally:
        shutil.rmtree(where, ignore_errors=True)
    d = run["data"]
    per_step = run["train_seconds"] / run["steps"] if run["steps"] else float("nan")
    print(f"posteditor finetune: {args.n} pairs ({d['train']} trained on + {d['replay']} replayed, {d['heldout']} held out, "
          f"{d['dev']} dev) on {args.threads} threads")
    print(f"  total {run['seconds']:.0f} s; training {run['train_seconds']} s for {run['steps']} steps ({per_step:.2f} s/step)")
    ok = run["seconds"] <= MAX_MINUTES * 60
    print(f"{'PASS' if ok else 'FAIL'}  fine-tuning on {args.n} pairs <= {MAX_MINUTES} minutes")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
