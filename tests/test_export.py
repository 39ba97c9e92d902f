"""The model runs on its ONNX export: same tokens as transformers, made when missing or stale."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posteditor import model as model_mod
from posteditor.model import PAD, Corrector, encode
from posteditor.suggest import Item

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    ("More than 235,000 people have fled the world of Idlib .", "Mai mult de 235.000 de oameni au fugit ."),
    ("The company sold two million actions .", None),
    ("He said that .", "El a spus asta ."),
    ("A longer sentence , with commas , numbers like 42 and a name such as Saraqeb in it .", None),
]


@pytest.fixture
def fresh_model(tiny_model, tmp_path) -> Path:
    """A copy of the tiny model with no ONNX export yet."""
    out = tmp_path / "model"
    shutil.copytree(tiny_model, out, ignore=shutil.ignore_patterns("onnx", "checkpoints"))
    return out


def test_onnx_generation_gives_transformers_tokens_and_probabilities(tiny_model):
    import torch
    from transformers import AutoModelForSeq2SeqLM

    corrector = Corrector(tiny_model)
    reference = AutoModelForSeq2SeqLM.from_pretrained(tiny_model, local_files_only=True).eval()
    ids = [encode(corrector.sp, mt, src, 64) for mt, src in TEXTS]
    batch = np.full((len(ids), max(map(len, ids))), PAD, dtype=np.int64)
    for row, seq in enumerate(ids):
        batch[row, : len(seq)] = seq
    for max_new in (3, 12, 40):  # cut short (forced EOS) and free to finish
        tokens, probs = corrector.runtime.greedy(batch, max_new)
        with torch.no_grad():
            out = reference.generate(input_ids=torch.tensor(batch), attention_mask=torch.tensor(batch != PAD),
                                     max_new_tokens=max_new, num_beams=1, do_sample=False,
                                     output_scores=True, return_dict_in_generate=True)
        expected = out.sequences[:, 1:]
        expected_probs = torch.stack(out.scores, 1).log_softmax(-1).gather(-1, expected.unsqueeze(-1)).squeeze(-1).exp()
        for row in range(len(ids)):
            n = expected[row].tolist().index(1) + 1
            assert tokens[row][:n] == expected[row].tolist()[:n]
            assert np.allclose(probs[row][:n], expected_probs[row].tolist()[:n], atol=1e-4)


def test_a_model_without_export_gets_one_on_first_load(fresh_model, capsys):
    corrector = Corrector(fresh_model)
    assert "preparing" in capsys.readouterr().err
    stamp = json.loads((fresh_model / "onnx" / "source.json").read_text())
    assert stamp == {"weights": model_mod.weights_stamp(fresh_model)}
    assert [p.name for p in fresh_model.iterdir() if p.is_dir()] == ["onnx"]  # no temporary left
    before = corrector.suggest([Item(mt, src) for mt, src in TEXTS])
    Corrector(fresh_model)
    assert "preparing" not in capsys.readouterr().err  # the second load reuses it
    assert Corrector(fresh_model).suggest([Item(mt, src) for mt, src in TEXTS]) == before


def test_a_changed_model_is_exported_again(fresh_model, capsys):
    Corrector(fresh_model)
    capsys.readouterr()
    config = json.loads((fresh_model / "config.json").read_text())
    (fresh_model / "config.json").write_text(json.dumps({**config, "dropout": 0.0}))
    Corrector(fresh_model)
    assert "preparing" in capsys.readouterr().err
    assert json.loads((fresh_model / "onnx" / "source.json").read_text()) == {
        "weights": model_mod.weights_stamp(fresh_model)}


def test_an_interrupted_export_leaves_nothing_behind(fresh_model, monkeypatch):
    import posteditor.export as export_mod

    def interrupted(model_dir, out):
        (out / "first.onnx").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(export_mod, "export_model_dir", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Corrector(fresh_model)
    assert [p.name for p in fresh_model.iterdir() if p.is_dir()] == []
    (fresh_model / "onnx.left-by-a-kill").mkdir()  # kill -9 leaves its folder: the next export sweeps it
    monkeypatch.undo()
    Corrector(fresh_model)
    assert [p.name for p in fresh_model.iterdir() if p.is_dir()] == ["onnx"]


def test_a_model_folder_that_cannot_be_written_still_loads(fresh_model, monkeypatch, capsys):
    class Unwritable:
        def __init__(self, path):
            self.path = path

        def acquire(self, timeout=None):
            raise PermissionError(13, "Permission denied", str(self.path))

    monkeypatch.setattr(model_mod, "FileLock", Unwritable)
    before = sorted(p.name for p in fresh_model.iterdir())
    corrector = Corrector(fresh_model)
    assert "read-only" in capsys.readouterr().err
    assert corrector.suggest([Item(TEXTS[0][0])])[0] is not None
    assert sorted(p.name for p in fresh_model.iterdir()) == before


def test_a_broken_export_is_a_model_error(fresh_model):
    Corrector(fresh_model)
    (fresh_model / "onnx" / "step.onnx").write_bytes(b"not a graph")
    with pytest.raises(model_mod.ModelError, match="ONNX"):
        Corrector(fresh_model)


def test_suggesting_loads_neither_torch_nor_transformers(tiny_model):
    Corrector(tiny_model)  # the export exists from here on
    code = ("import sys; from posteditor.model import Corrector; from posteditor.suggest import Item; "
            f"Corrector({str(tiny_model)!r}).suggest([Item('He said that .')]); "
            "print(' '.join(m for m in ('torch', 'transformers') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("value, threads", [("3", 3), ("2,1", 2), ("", 0), ("auto", 0)])
def test_thread_count_follows_omp_num_threads(monkeypatch, value, threads):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert model_mod._omp_threads() == threads
