"""The model in ONNX form, which ``Corrector`` runs with onnxruntime.

Importing torch and transformers takes about 4 s on 2 cores, far longer than loading the
model; onnxruntime imports in 0.15 s. So the weights are trained and kept as safetensors,
and generation runs on two ONNX graphs exported from them (into ``<model>/onnx/``, not kept
in git): the model is the same, only its runtime differs, and a test checks that both give
the same tokens.

- ``first.onnx``: encoder and the first decoder step, from ``input_ids`` and
  ``attention_mask`` to the first step's log-probabilities, the encoder's output and the
  key/value cache of every decoder layer (self-attention, then cross-attention).
- ``step.onnx``: one more decoder step, from the last token and the cache to the next
  log-probabilities and the grown self-attention cache (the cross-attention part is fixed).

Training writes the graphs with the weights (``train.save_model``); a model without them,
or whose weights changed since, gets them on first load (about 2 s plus the imports).
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings
from pathlib import Path

import torch
from transformers import AutoModelForSeq2SeqLM, PreTrainedModel
from transformers.cache_utils import DynamicCache, EncoderDecoderCache
from transformers.utils import logging

from posteditor.model import ModelError, prepare_onnx

OPSET = 17


def cache_names(layers: int) -> list[str]:
    """Names of the cache tensors, layer by layer: self-attention keys and values, then
    cross-attention keys and values."""
    return [f"{kind}{i}" for i in range(layers) for kind in ("self_k", "self_v", "cross_k", "cross_v")]


def _log_probs(model: PreTrainedModel, hidden: torch.Tensor) -> torch.Tensor:
    """Log-probabilities of the next token, from the decoder's last position."""
    logits = model.lm_head(hidden[:, -1])
    if hasattr(model, "final_logits_bias"):
        logits = logits + model.final_logits_bias[0]
    return torch.log_softmax(logits, -1)


def _flat(cache: EncoderDecoderCache, layers: int, cross: bool) -> list[torch.Tensor]:
    out = []
    for i in range(layers):
        own = cache.self_attention_cache.layers[i]
        out += [own.keys, own.values]
        if cross:
            other = cache.cross_attention_cache.layers[i]
            out += [other.keys, other.values]
    return out


class First(torch.nn.Module):
    """Encoder plus the first decoder step."""

    def __init__(self, model: PreTrainedModel):
        super().__init__()
        self.model, self.layers = model, model.config.decoder_layers

    def forward(self, input_ids, attention_mask):
        hidden = self.model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        start = torch.full_like(input_ids[:, :1], self.model.config.decoder_start_token_id)
        out = self.model.get_decoder()(input_ids=start, encoder_hidden_states=hidden,
                                       encoder_attention_mask=attention_mask, use_cache=True,
                                       cache=EncoderDecoderCache(DynamicCache(), DynamicCache()))
        return (_log_probs(self.model, out.last_hidden_state), hidden, *_flat(out.cache, self.layers, True))


class Step(torch.nn.Module):
    """One decoder step on the cache."""

    def __init__(self, model: PreTrainedModel):
        super().__init__()
        self.model, self.layers = model, model.config.decoder_layers

    def forward(self, token, hidden, attention_mask, *cache):
        past = EncoderDecoderCache(tuple(tuple(cache[4 * i : 4 * i + 4]) for i in range(self.layers)))
        # The encoder's output only tells the layers to attend to it: its keys and values
        # are already in the cache.
        out = self.model.get_decoder()(input_ids=token, encoder_hidden_states=hidden,
                                       encoder_attention_mask=attention_mask, cache=past, use_cache=True)
        return (_log_probs(self.model, out.last_hidden_state), *_flat(out.cache, self.layers, False))


def export(model: PreTrainedModel, out: Path) -> None:
    """Write ``first.onnx`` and ``step.onnx`` for ``model`` into the folder ``out``."""
    was_training = model.training
    model.eval()
    try:
        _export(model, out)
    finally:
        model.train(was_training)


def _export(model: PreTrainedModel, out: Path) -> None:
    layers = model.config.decoder_layers
    names = cache_names(layers)
    grown = [f"new_{n}" for n in names if n.startswith("self")]
    batch, source, past = {0: "batch"}, {0: "batch", 1: "source"}, {0: "batch", 2: "past"}
    axes = {n: ({0: "batch", 2: "source"} if n.startswith("cross") else past) for n in names}
    ids = torch.randint(3, model.config.vocab_size, (2, 7), device=model.device)
    mask = torch.ones_like(ids)
    out.mkdir(parents=True, exist_ok=True)
    # The TorchScript exporter: 2 s, where the dynamo one takes 20 s for the same graphs.
    # Its deprecation notices and its tracer's warnings say nothing to a user.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
        warnings.simplefilter("ignore")
        first = First(model)
        logp, hidden, *cache = first(ids, mask)
        torch.onnx.export(first, (ids, mask), out / "first.onnx", dynamo=False, opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"],
                          output_names=["log_probs", "hidden", *names],
                          dynamic_axes={"input_ids": source, "attention_mask": source, "log_probs": batch,
                                        "hidden": source, **{n: ({0: "batch"} if n.startswith("self") else axes[n]) for n in names}})
        for i in range(0, len(cache), 4):  # a past of 3 steps, so no axis is traced as 1
            cache[i], cache[i + 1] = cache[i].repeat(1, 1, 3, 1), cache[i + 1].repeat(1, 1, 3, 1)
        token = logp.argmax(-1, keepdim=True)
        torch.onnx.export(Step(model), (token, hidden, mask, *cache), out / "step.onnx", dynamo=False,
                          opset_version=OPSET, input_names=["token", "hidden", "attention_mask", *names],
                          output_names=["log_probs", *grown],
                          dynamic_axes={"token": batch, "hidden": source, "attention_mask": source,
                                        "log_probs": batch, **axes, **{n: past for n in grown}})


def export_model_dir(model_dir: Path, out: Path) -> None:
    """Export the model saved in ``model_dir`` into ``out``."""
    export(quietly(AutoModelForSeq2SeqLM.from_pretrained, model_dir, local_files_only=True), out)


def write_onnx(model: PreTrainedModel, model_dir: Path) -> None:
    """Export ``model``, whose weights were just saved in ``model_dir``, into ``model_dir/onnx``.
    A failure is only a warning: the next load tries again from the saved weights."""
    try:
        prepare_onnx(model_dir, lambda work: export(model, work))
    except ModelError as exc:
        print(f"posteditor: warning: {exc}; it will be tried again on first load", file=sys.stderr)


def quietly(load, *args, **kwargs):
    """``load(...)`` without transformers' "Loading weights" bar on stderr (it would land in
    the output of ``correct`` and, from the editor's model process, in its error log)."""
    was_on = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        return load(*args, **kwargs)
    finally:
        if was_on:
            logging.enable_progress_bar()
