"""Does a base LM read the source sentence? A probe for choosing posteditor's base model.

MLQE-PE's post-editors fixed meaning from the source, so a base worth training to post-edit
with sources must prefer the post-edit to the MT more once it is shown the source. For each
dev segment the post-editor changed, the probe scores the post-edit and the MT as the
continuation of a translation prompt that holds the source ("Translate this Romanian sentence
into English. / Romanian: ... / English:"), and of one that does not ("An English sentence. /
English:"), and reports how often the post-edit is the likelier (sum of token log-probabilities)
with and without the source, and by how many nats the source moves the choice towards the
post-edit (median and mean over segments). No training, no adapter: the base alone, in bf16.

The base is posteditor's own (``lm.load_base``) unless ``--gguf FILE`` names another GGUF file,
which transformers dequantizes (a file installed from PyPI; nothing is fetched).

    .venv/bin/python benchmarks/source_reading.py [--gguf FILE] [--pairs ro-en et-en] [--limit 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from posteditor.core import paths  # noqa: E402
from posteditor.core.metrics import prepare  # noqa: E402

LANGUAGES = {"ro-en": "Romanian", "et-en": "Estonian", "ru-en": "Russian", "ne-en": "Nepali", "si-en": "Sinhala"}


def load(gguf: Path | None):
    if gguf is None:
        from posteditor.model import lm

        return lm.load_base(torch.bfloat16)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    return AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16), tok


def continuation_log_prob(model, tok, prefix: str, text: str) -> float:
    """log P(text | prefix), summed over the text's tokens (after a BOS where the model has one)."""
    head = ([tok.bos_token_id] if tok.bos_token_id is not None else []) + tok.encode(prefix, add_special_tokens=False)
    ids = torch.tensor([head + tok.encode(" " + text, add_special_tokens=False)])  # (1, tokens)
    with torch.inference_mode():
        logp = torch.log_softmax(model(ids).logits[0].float(), -1)  # (tokens, vocab)
    positions = torch.arange(len(head) - 1, ids.shape[1] - 1)
    return float(logp[positions, ids[0, len(head):]].sum())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gguf", type=Path, help="another base model's GGUF file (default: posteditor's base)")
    p.add_argument("--pairs", nargs="+", default=["ro-en", "et-en"], choices=sorted(LANGUAGES))
    p.add_argument("--limit", type=int, default=100, help="first N dev segments of each pair (those changed are scored)")
    p.add_argument("--data", type=Path, default=paths.data_root() / "mlqe-pe")
    args = p.parse_args(argv)
    started = time.perf_counter()
    model, tok = load(args.gguf)
    model.eval()
    print(f"base {args.gguf.name if args.gguf else 'posteditor (SmolLM2-135M)'}: loaded in {time.perf_counter() - started:.0f} s, "
          f"{sum(t.numel() for t in model.parameters()) / 1e6:.0f}M parameters", flush=True)
    for pair in args.pairs:
        folder, language = args.data / pair, LANGUAGES[pair]
        mts, pes, srcs = (prepare((folder / f"dev.{ext}").read_text(encoding="utf-8").splitlines()[: args.limit])
                          for ext in ("mt", "pe", "src"))
        rows = [(mt, pe, src) for mt, pe, src in zip(mts, pes, srcs) if mt != pe]
        started = time.perf_counter()
        with_source = without = 0
        shifts = []
        for mt, pe, src in rows:
            sourced = f"Translate this {language} sentence into English.\n{language}: {src}\nEnglish:"
            plain = "An English sentence.\nEnglish:"
            gain_with = continuation_log_prob(model, tok, sourced, pe) - continuation_log_prob(model, tok, sourced, mt)
            gain_without = continuation_log_prob(model, tok, plain, pe) - continuation_log_prob(model, tok, plain, mt)
            with_source += gain_with > 0
            without += gain_without > 0
            shifts.append(gain_with - gain_without)
        print(f"{pair}: {len(rows)} segments changed; post-edit the likelier with the source {with_source / len(rows):.2f}, "
              f"without {without / len(rows):.2f}; the source moves it towards the post-edit by "
              f"{statistics.median(shifts):+.2f} nats (median), {statistics.mean(shifts):+.2f} (mean); "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
