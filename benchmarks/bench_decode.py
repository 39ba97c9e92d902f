"""Benchmark copy-aware decoding against transformers' plain greedy ``generate``.

The model's output mostly repeats its input, so ``posteditor.model.decode.greedy_copy`` guesses the
MT's continuation and verifies it in one pass wherever the output realigns with the MT. This
checks, on the same WMT system-output sentences (read at run time from the shared data), that
it writes exactly what plain greedy decoding writes, and how much faster it is. Both run one
sentence at a time with the key/value cache; the model is loaded once, before timing.

    .venv/bin/python benchmarks/bench_decode.py [--model DIR] [-n 100] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posteditor.core import paths  # noqa: E402

from bench_correct import sample_sentences  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=paths.default_model())
    p.add_argument("--data", type=Path, default=paths.data_root() / "wmt")
    p.add_argument("-n", type=int, default=100)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch

    from posteditor.model.corrector import Corrector
    from posteditor.model.decode import greedy_copy
    from posteditor.suggest.base import Item

    corrector = Corrector(args.model, threads=args.threads or None)
    sentences = [s for s in sample_sentences(args.data, args.n * 2) if corrector.fits(s)][: args.n]
    encoded = [corrector._encode(Item(s)) for s in sentences]
    eos = corrector.eos

    def plain(prompt, draft):
        with torch.inference_mode():
            out = corrector.model.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                                           max_new_tokens=len(draft) * 2 + 8, do_sample=False, eos_token_id=eos,
                                           pad_token_id=eos)[0, len(prompt):].tolist()
        return out[: out.index(eos)] if eos in out else out

    def mine(prompt, draft):
        return greedy_copy(corrector.model, prompt, draft, eos, len(draft) * 2 + 8).ids

    results = {}
    for name, decode in (("copy-aware", mine), ("generate", plain)):
        decode(*encoded[0])  # warm-up
        started = time.perf_counter()
        results[name] = [decode(prompt, draft) for prompt, draft in encoded]
        results[name + " s"] = time.perf_counter() - started
    differing = sum(a != b for a, b in zip(results["copy-aware"], results["generate"]))
    copied = sum(a == d[:-1] for a, (_, d) in zip(results["copy-aware"], encoded))
    print(f"sentences       {len(encoded)} (WMT system outputs; {copied} decoded as an exact copy)")
    print(f"machine         {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end, torch threads {torch.get_num_threads()}")
    print(f"generate        {results['generate s']:.1f} s  ({len(encoded) / results['generate s']:.2f} sentences/s)")
    print(f"copy-aware      {results['copy-aware s']:.1f} s  ({len(encoded) / results['copy-aware s']:.2f} sentences/s)")
    print(f"speed ratio     {results['generate s'] / results['copy-aware s']:.2f}x")
    print(f"differing       {differing} outputs")
    return 0 if differing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
