"""``train`` continuing an existing model's adapter (``--init``) on a tiny corpus, and the
``posteditor train`` command's refusal to write over a model."""

import json

import pytest
import torch
from safetensors.torch import load_file

from posteditor import cli
from posteditor.learn.card import render_card
from posteditor.learn.train import TrainConfig, save_model, train
from conftest import tiny_pairs


def test_train_continues_an_existing_adapter(tiny_model, tmp_path):
    cfg = TrainConfig(work=str(tmp_path / "work"), init=str(tiny_model), batch_size=8, max_steps=3,
                      warmup_steps=1, max_tokens=96)
    checkpoint = train(cfg, tiny_pairs(40, seed=3))
    out = tmp_path / "continued"
    save_model(checkpoint, out, {})
    # Same adapter shape, trained further from the old weights.
    before, after = load_file(tiny_model / "adapter_model.safetensors"), load_file(out / "adapter_model.safetensors")
    assert before.keys() == after.keys()
    assert all(before[k].shape == after[k].shape for k in before)
    assert any(not torch.equal(before[k], after[k]) for k in before)
    meta = json.loads((out / "posteditor.json").read_text())
    assert meta["training"]["config"]["init"] == str(tiny_model)
    assert f"Continued from the adapter of `{tiny_model}`" in render_card(meta, "continued")


@pytest.mark.parametrize("existing", ["default", "mine"])
def test_train_never_writes_over_a_model(tiny_model, tmp_path, monkeypatch, capsys, existing):
    import shutil

    monkeypatch.setenv("POSTEDITOR_MODELS", str(tmp_path / "models"))
    shutil.copytree(tiny_model, tmp_path / "models" / existing)
    before = (tmp_path / "models" / existing / "adapter_model.safetensors").read_bytes()
    recipe = tmp_path / "r.toml"
    recipe.write_text("seed = 1\n")
    argv = ["train", "--recipe", str(recipe), "--data", str(tmp_path), "--out", str(tmp_path / "models" / existing)]
    assert cli.main(argv) == 2
    assert "never over a model in place" in capsys.readouterr().err
    assert (tmp_path / "models" / existing / "adapter_model.safetensors").read_bytes() == before
