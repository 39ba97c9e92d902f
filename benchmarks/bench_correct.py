"""Benchmark ``posteditor correct`` on 1,000 real MT sentences: sentences per second, peak memory.

The sentences are WMT system outputs read at run time from the shared data folder (never a
copy in the repository), sampled with a fixed seed so runs compare. The model is loaded
first and timed apart; the throughput is that of the whole ``correct`` command after that
(segmenting, suggesting, filtering, rendering, writing). Aims (issue 13, the SmolLM2 model on 2 cores): >= 10 sentences/s, <= 2 GiB.

    .venv/bin/python benchmarks/bench_correct.py [--data DIR] [--model DIR] [-n 1000] [--threads N]
    .venv/bin/python benchmarks/bench_correct.py --mlqe ro-en    # MLQE-PE dev with its sources

``--mlqe PAIR`` corrects that MLQE-PE dev set instead, with its source sentences: for ro-en
that includes Apertium's retranslation of the segments that stray from their source.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor import cli  # noqa: E402
from posteditor.core import paths
from posteditor.commands import correct as correct_mod  # noqa: E402

TARGET_RATE = 10.0
TARGET_GIB = 2.0


def sample_sentences(wmt: Path, n: int, seed: int = 13) -> list[str]:
    """``n`` distinct system-output sentences of 4-80 words, spread over every system."""
    files = sorted(wmt.glob("*/system-outputs/*"))
    if not files:
        raise SystemExit(f"bench: no WMT system outputs under {wmt} (give --data)")
    pool = set()
    for f in files:
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            if 4 <= len(line.split()) <= 80:
                pool.add(" ".join(line.split()))
    rng = random.Random(seed)
    return rng.sample(sorted(pool), min(n, len(pool)))


def mlqe_dev(mlqe: Path, pair: str, n: int) -> tuple[list[str], list[str]]:
    """The first ``n`` segments of an MLQE-PE dev set (``mlqe``/PAIR/dev.*) and their sources,
    detokenized."""
    from posteditor.core.metrics import prepare

    folder = mlqe / pair
    if not (folder / "dev.mt").is_file():
        raise SystemExit(f"bench: no MLQE-PE dev set in {folder} (give --mlqe-data)")
    mts, srcs = ((folder / f"dev.{ext}").read_text(encoding="utf-8").splitlines()[:n] for ext in ("mt", "src"))
    return prepare(mts), prepare(srcs)


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=paths.data_root() / "wmt", help="the WMT folder (default: ../shared/data/wmt)")
    p.add_argument("--model", type=Path, default=paths.default_model(), help="model folder (default: the shipped model)")
    p.add_argument("-n", "--sentences", type=int, default=1000)
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    p.add_argument("--mlqe", metavar="PAIR", help="correct this MLQE-PE dev set, with its sources, instead")
    p.add_argument("--mlqe-data", type=Path, default=paths.data_root() / "mlqe-pe",
                   help="the MLQE-PE folder (default: ../shared/data/mlqe-pe)")
    args = p.parse_args(argv)
    if not paths.is_model(args.model):
        print(f"bench: no model in {args.model} yet; train one first (posteditor train)", file=sys.stderr)
        return 1

    if args.mlqe:
        sentences, sources = mlqe_dev(args.mlqe_data, args.mlqe, args.sentences)
    else:
        sentences, sources = sample_sentences(args.data, args.sentences), None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "mt.txt"
        src.write_text("\n".join(sentences) + "\n", encoding="utf-8")
        extra = []
        if sources is not None:
            (Path(tmp) / "src.txt").write_text("\n".join(sources) + "\n", encoding="utf-8")
            extra = ["--source", str(Path(tmp) / "src.txt")]
        started = time.perf_counter()
        if args.threads:
            os.environ["OMP_NUM_THREADS"] = str(args.threads)  # Corrector's thread count when none is given
        suggester = correct_mod.load_suggester(args.model, use_memory=False)
        loaded = time.perf_counter()
        correct_mod.load_suggester = lambda *a, **k: suggester
        code = cli.main(["correct", str(src), "--format", "lines", "-o", str(Path(tmp) / "out.txt"),
                         "--report", str(Path(tmp) / "edits.jsonl"), *extra])
        finished = time.perf_counter()
        edits = sum(1 for line in (Path(tmp) / "edits.jsonl").open() if '"applied": true' in line)

    rate = len(sentences) / (finished - loaded)
    gib = peak_rss_gib()
    words = sum(len(s.split()) for s in sentences)
    print(f"sentences      {len(sentences)} ({words} words, from {args.mlqe + ' dev, with sources' if args.mlqe else args.data})")
    print(f"model          {args.model}")
    print(f"cores          {os.cpu_count()} (torch threads: {args.threads or 'all'})")
    print(f"load           {loaded - started:.1f} s")
    print(f"correct        {finished - loaded:.1f} s, exit {code}, {edits} edits applied")
    print(f"throughput     {rate:.1f} sentences/s (aim >= {TARGET_RATE:.0f})")
    print(f"peak memory    {gib:.2f} GiB (aim <= {TARGET_GIB})")
    return 0 if code in (0, 1) and rate >= TARGET_RATE and gib <= TARGET_GIB else 1


if __name__ == "__main__":
    sys.exit(main())
