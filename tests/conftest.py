"""Shared fixtures: a tiny trained model (real, fast, junk outputs) and a fake suggester.

``tiny_base`` builds a random two-layer Llama from a config with a byte-level BPE tokenizer
trained on ~200 short synthetic sentences, and points ``POSTEDITOR_BASE`` at it for the whole
session, so no test touches the real base model or the network. ``tiny_model`` trains a LoRA
adapter on it for 30 steps and saves it with ``train.save_model``: a complete model folder in
seconds. Tests that need predictable edits use ``FakeSuggester`` instead.
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

from posteditor.core.edits import Edit, tokenize
from posteditor.core.records import Pair
from posteditor.suggest.base import Item, Suggester

_SUBJECTS = ["The family", "Thousands of people", "The army", "The government", "Aid workers",
             "The children", "Local officials", "The rebels", "Many residents", "The doctors"]
_VERBS = ["fled", "left", "reached", "entered", "described", "visited", "defended", "shelled"]
_PLACES = ["Idlib", "Aleppo", "the city", "the border", "the camp", "the hospital", "Turkey", "Hama"]
# (what the MT says, what a post-editor writes)
_ERRORS = [("the world of", "the region of"), ("in the last week", "last week"),
           ("a informations", "information"), ("he say", "he said"), ("more bigger", "bigger"),
           ("the peoples", "the people"), ("since two days", "for two days"), ("", "")]


def tiny_pairs(n: int = 200, seed: int = 7) -> list[Pair]:
    """Short synthetic (MT, post-edit) pairs with a few typical MT errors."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        subject, verb, place = rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_PLACES)
        bad, good = rng.choice(_ERRORS)
        tail = f" {bad}" if bad else ""
        fixed = f" {good}" if good else ""
        rows.append(Pair(f"{subject} {verb}{tail} {place}.", f"{subject} {verb}{fixed} {place}."))
    return rows


def build_tiny_base(out: Path, seed: int = 13) -> Path:
    """A tiny random Llama (two layers of width 32) with a byte-level BPE tokenizer of ~400
    tokens trained on the tiny pairs: what ``POSTEDITOR_BASE`` points the tests at, so no
    test needs the real base model."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    rows = tiny_pairs()
    texts = [r.mt for r in rows] + [r.pe for r in rows] + ["Source: Context: MT: Corrected:"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|im_end|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|im_end|>")
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                         tie_word_embeddings=True, eos_token_id=tok.eos_token_id, bos_token_id=tok.eos_token_id,
                         pad_token_id=tok.eos_token_id)
    LlamaForCausalLM(config).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def build_tiny_model(out: Path, steps: int = 30, seed: int = 13) -> Path:
    """Train and save a tiny but real model folder (a LoRA adapter on the tiny base) at ``out``."""
    import torch

    from posteditor.learn.train import TrainConfig, save_model, train

    torch.manual_seed(seed)
    work = out.parent / f"{out.name}-work"
    cfg = TrainConfig(corpus=str(work), work=str(work / "checkpoints"), rank=4, alpha=8, first_layer=0,
                      learning_rate=3e-3, warmup_steps=1, batch_size=16, max_steps=steps, max_tokens=96, seed=seed)
    checkpoint = train(cfg, tiny_pairs())
    save_model(checkpoint, out, {"min_confidence": 0.0, "training": {"tiny": True}})
    return out


@pytest.fixture(scope="session", autouse=True)
def tiny_base(tmp_path_factory) -> Path:
    """Every test runs on the tiny base model, never the real one (``POSTEDITOR_BASE``)."""
    import os

    folder = build_tiny_base(tmp_path_factory.mktemp("tiny-base") / "base")
    # Merged tiny models are cached in the tests' own folder, not the user's cache.
    old = {k: os.environ.get(k) for k in ("POSTEDITOR_BASE", "POSTEDITOR_CACHE", "POSTEDITOR_PRECISION")}
    USER_ENV.update(old)
    os.environ["POSTEDITOR_BASE"] = str(folder)
    os.environ["POSTEDITOR_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    # fp32 whatever the CPU, so results do not depend on the machine (bf16 has its own tests).
    os.environ["POSTEDITOR_PRECISION"] = "fp32"
    yield folder
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


USER_ENV: dict[str, str | None] = {}
"""The environment's own POSTEDITOR_BASE, POSTEDITOR_CACHE and POSTEDITOR_PRECISION (the
shipped model's tests restore them)."""


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_base) -> Path:
    """The folder of a tiny trained model (``Corrector(tiny_model)`` loads it)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model") / "model")


@pytest.fixture(scope="session")
def flagging_model(tmp_path_factory, tiny_model) -> Path:
    """The tiny model with a bar for words to check (0.5: a tiny model doubts much)."""
    import shutil

    from posteditor.core.meta import ModelMeta

    folder = tmp_path_factory.mktemp("flagging-model") / "model"
    shutil.copytree(tiny_model, folder)
    ModelMeta.read(folder).updated(words_to_check={"below": 0.5}).write(folder)
    return folder


class FakeSuggester(Suggester):
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


@pytest.fixture
def article(tmp_path, monkeypatch) -> Path:
    """The editor's sample article in a folder of its own, with the corrections log and the
    keymap's config folder there too (never the user's)."""
    from tui_fakes import ARTICLE

    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(tmp_path / "corrections.jsonl"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path
