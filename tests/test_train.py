"""``train`` continuing an existing model (``--init``) on a tiny corpus."""

import json

import torch
from safetensors.torch import load_file

from posteditor.card import render_card
from posteditor.train import TrainConfig, train
from conftest import tiny_pairs


def test_train_continues_an_existing_model(tiny_model, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in tiny_pairs(40, seed=3)))
    out = tmp_path / "continued"
    (out / "checkpoints" / "checkpoint-9999").mkdir(parents=True)  # another run's leftovers: not resumed
    cfg = TrainConfig(out=str(out), corpus=str(corpus), init=str(tiny_model), batch_size=8, max_steps=3,
                      warmup_steps=1, save_steps=100, max_source_tokens=64, max_target_tokens=48)
    train(cfg)

    # Same tokenizer and shape, trained further from the old weights.
    assert (out / "spm.model").read_bytes() == (tiny_model / "spm.model").read_bytes()
    before, after = load_file(tiny_model / "model.safetensors"), load_file(out / "model.safetensors")
    assert before.keys() == after.keys()
    assert all(before[k].shape == after[k].shape for k in before)
    assert any(not torch.equal(before[k], after[k]) for k in before)
    meta = json.loads((out / "posteditor.json").read_text())
    assert meta["training"]["config"]["init"] == str(tiny_model)
    assert f"Continued from the weights of `{tiny_model}`" in render_card(meta, "continued")
