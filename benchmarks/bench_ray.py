"""Benchmark ``posteditor correct`` on the local engine and on Ray with 1 and 2 workers.

The same sentences (WMT system outputs, as ``bench_correct.py`` samples them, one per line)
are corrected by each engine through the command line. For each Ray setting the per-job
overhead (starting Ray and loading one model per worker) is measured as a one-sentence job,
and the throughput is that of the sentences beyond it: n / (job time - overhead). The local
engine's overhead is its model load. Outputs are compared byte for byte with the local one.

    .venv/bin/python benchmarks/bench_ray.py [-n 40] [--workers 1 2] [--model DIR] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_correct import sample_sentences  # noqa: E402

from posteditor import cli  # noqa: E402
from posteditor.core import paths  # noqa: E402


def job(files: list[Path], out: Path, extra: list[str]) -> tuple[float, int]:
    """Seconds one ``posteditor correct`` takes, and its exit status."""
    started = time.perf_counter()
    code = cli.main(["correct", *map(str, files), "--format", "lines", "--no-memory", "-o", f"{out}/", *extra])
    return time.perf_counter() - started, code


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=paths.data_root() / "wmt")
    p.add_argument("--model", type=Path, default=paths.default_model())
    p.add_argument("-n", "--sentences", type=int, default=40)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = p.parse_args(argv)
    sentences = sample_sentences(args.data, args.sentences)
    model = ["--model", str(args.model)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        half = len(sentences) // 2
        files = [tmp / "a.txt", tmp / "b.txt"]  # two files, as a batch job has several
        files[0].write_text("\n".join(sentences[:half]) + "\n", encoding="utf-8")
        files[1].write_text("\n".join(sentences[half:]) + "\n", encoding="utf-8")
        one = tmp / "one.txt"
        one.write_text(sentences[0] + "\n", encoding="utf-8")

        from posteditor.commands import correct as correct_mod

        started = time.perf_counter()
        suggester = correct_mod.load_suggester(args.model, use_memory=False)
        load = time.perf_counter() - started
        real = correct_mod.load_suggester
        correct_mod.load_suggester = lambda *a, **k: suggester
        seconds, code = job(files, tmp / "local", model)
        correct_mod.load_suggester = real
        del suggester
        expected = [(tmp / "local" / f.name).read_bytes() for f in files]
        rows = [("local", load, seconds, len(sentences) / seconds, code, True)]
        for n in args.workers:
            extra = [*model, "--engine", "ray", "--workers", str(n)]
            overhead, _ = job([one], tmp / f"one-{n}", extra)
            seconds, code = job(files, tmp / f"ray-{n}", extra)
            same = [(tmp / f"ray-{n}" / f.name).read_bytes() for f in files] == expected
            rows.append((f"ray, {n} worker{'s' if n > 1 else ''}", overhead, seconds,
                         len(sentences) / max(seconds - overhead, 1e-9), code, same))

    words = sum(len(s.split()) for s in sentences)
    print(f"sentences  {len(sentences)} ({words} words, from {args.data}), in 2 files")
    print(f"model      {args.model}")
    print(f"cores      {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} at the end")
    print(f"{'engine':<18} {'overhead s':>10} {'job s':>7} {'sentences/s':>12}  exit  same bytes as local")
    for name, overhead, seconds, rate, code, same in rows:
        print(f"{name:<18} {overhead:>10.1f} {seconds:>7.1f} {rate:>12.2f}  {code:>4}  {'yes' if same else 'NO'}")
    print("overhead: local = model load; ray = a one-sentence job (start Ray, one model load per worker).")
    print("sentences/s: local = n / job; ray = n / (job - overhead).")
    return 0 if all(r[5] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
