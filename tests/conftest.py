"""Shared fixtures: a tiny trained model (real, fast, junk outputs) and a fake suggester.

``tiny_model`` trains a SentencePiece vocabulary of ~300 pieces on ~200 short synthetic
sentences, builds an encoder-decoder with ``d_model`` 32 and one layer from a config, runs 30 optimiser
steps and saves it with ``train.save_model``: a complete model folder in a few seconds,
without the network. Tests that need predictable edits use ``FakeSuggester`` instead.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

import pytest
from hypothesis import settings

# Property tests check invariants, not speed: on a loaded 2-core machine a deadline only
# makes them flaky (speed is measured in benchmarks/).
settings.register_profile("posteditor", deadline=None)
settings.load_profile("posteditor")

from posteditor.edits import Edit, tokenize
from posteditor.suggest import Item

_SUBJECTS = ["The family", "Thousands of people", "The army", "The government", "Aid workers",
             "The children", "Local officials", "The rebels", "Many residents", "The doctors"]
_VERBS = ["fled", "left", "reached", "entered", "described", "visited", "defended", "shelled"]
_PLACES = ["Idlib", "Aleppo", "the city", "the border", "the camp", "the hospital", "Turkey", "Hama"]
# (what the MT says, what a post-editor writes)
_ERRORS = [("the world of", "the region of"), ("in the last week", "last week"),
           ("a informations", "information"), ("he say", "he said"), ("more bigger", "bigger"),
           ("the peoples", "the people"), ("since two days", "for two days"), ("", "")]


def tiny_pairs(n: int = 200, seed: int = 7) -> list[dict]:
    """Short synthetic (MT, post-edit) pairs with a few typical MT errors."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        subject, verb, place = rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_PLACES)
        bad, good = rng.choice(_ERRORS)
        tail = f" {bad}" if bad else ""
        fixed = f" {good}" if good else ""
        rows.append({"mt": f"{subject} {verb}{tail} {place}.", "pe": f"{subject} {verb}{fixed} {place}."})
    return rows


def build_tiny_model(out: Path, steps: int = 30, seed: int = 13) -> Path:
    """Train and save a tiny but real model folder at ``out``."""
    import sentencepiece as spm
    import torch

    from posteditor.train import ModelSize, PairDataset, TrainConfig, build_model, collate, save_model, train_tokenizer

    rows = tiny_pairs()
    work = out.parent / f"{out.name}-work"
    texts = [r["mt"] for r in rows] + [r["pe"] for r in rows]
    spm_path = train_tokenizer(texts, work, vocab_size=300, seed=seed)
    sp = spm.SentencePieceProcessor(model_file=str(spm_path))
    size = ModelSize(vocab_size=sp.get_piece_size(), d_model=32, d_ff=64, num_layers=1, num_heads=2)
    cfg = TrainConfig(out=str(out), size=size, batch_size=16, max_steps=steps, max_source_tokens=64,
                      max_target_tokens=48)
    torch.manual_seed(seed)
    model = build_model(size, sp.get_piece_size())
    data = PairDataset(rows, sp, cfg)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    order = random.Random(seed)
    for _ in range(steps):
        batch = collate([data[i] for i in order.sample(range(len(data)), cfg.batch_size)])
        loss = model(**batch).loss
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    model.eval()
    save_model(model, spm_path, out, {
        "max_source_tokens": cfg.max_source_tokens,
        "max_target_tokens": cfg.max_target_tokens,
        "min_confidence": 0.0,
        "training": {"tiny": True, "steps": steps, "pairs": len(data)},
    })
    return out


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """The folder of a tiny trained model (``Corrector(tiny_model)`` loads it)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model") / "model")


class FakeSuggester:
    """A predictable suggester: replaces words by table, with a fixed confidence each.

    ``FakeSuggester({"world": ("region", 0.9)})`` proposes "world" -> "region" at 0.9 wherever
    the word appears. ``calls`` records every batch it was asked about.
    """

    def __init__(self, table: dict[str, tuple[str, float]] | None = None, category: str = "model"):
        self.table = table or {}
        self.category = category
        self.calls: list[list[Item]] = []

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        self.calls.append(list(items))
        out = []
        for item in items:
            edits = []
            for k, tok in enumerate(tokenize(item.text)):
                word = tok.strip()
                if word in self.table:
                    new, confidence = self.table[word]
                    space = tok[: len(tok) - len(tok.lstrip())] or (" " if k else "")
                    replacement = (space + new,) if new else ()
                    edits.append(Edit(k, k + 1, replacement, confidence, self.category))
            out.append(edits)
        return out


@pytest.fixture
def fake_suggester() -> FakeSuggester:
    """A fake suggester fixing "world" (0.9), "informations" (0.8) and "peoples" (0.3)."""
    return FakeSuggester({"world": ("region", 0.9), "informations": ("information", 0.8),
                          "peoples": ("people", 0.3)})
