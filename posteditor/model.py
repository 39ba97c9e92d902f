"""The correction model: load it, format its input, generate corrections with confidences.

A model folder holds ``model.safetensors`` and ``config.json`` (a transformers encoder-decoder
built from a config), ``spm.model`` (the SentencePiece tokenizer the project trained) and
``posteditor.json`` (input limits, the confidence threshold chosen on dev, training data
signature and dev metrics). Nothing here trains or touches a model hub.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import sentencepiece as spm
import torch
from transformers import AutoModelForSeq2SeqLM

from posteditor.edits import Edit, apply_edits, extract_edits, respace, tokenize
from posteditor.suggest import Item
from posteditor.textio import InputError

PAD, EOS, UNK = 0, 1, 2
SOURCE_MARK = "<src>"


class ModelError(InputError):
    """The model folder is missing or broken; reported as one line."""


@dataclass(frozen=True)
class ModelInfo:
    """What ``posteditor.json`` says about a model."""

    max_source_tokens: int = 128
    max_target_tokens: int = 96
    min_confidence: float = 0.5
    use_source: bool = True


def format_input(mt: str, source: str | None = None) -> str:
    """The model's input text: the MT segment, then the source sentence when known.

    Training and inference both call this, so the two can never drift apart.
    """
    mt = " ".join(mt.split())
    if source and source.strip():
        return f"{mt} {SOURCE_MARK} {' '.join(source.split())}"
    return mt


def encode(sp: spm.SentencePieceProcessor, mt: str, source: str | None, max_tokens: int) -> list[int]:
    """Token ids of ``format_input``: the MT comes first and is never cut for the source."""
    mt_ids = sp.encode(format_input(mt))
    if source and source.strip() and len(mt_ids) + 2 < max_tokens:
        src_ids = sp.encode(f"{SOURCE_MARK} {' '.join(source.split())}")
        mt_ids = mt_ids + src_ids[: max_tokens - 1 - len(mt_ids)]
    return mt_ids[: max_tokens - 1] + [EOS]


class Corrector:
    """A loaded model that proposes edits for MT segments (a ``Suggester``)."""

    def __init__(self, model_dir: str | Path, threads: int | None = None, batch_size: int = 32):
        self.dir = Path(model_dir)
        weights = self.dir / "model.safetensors"
        if not weights.is_file() or not (self.dir / "spm.model").is_file():
            raise ModelError(f"{self.dir}: not a posteditor model (model.safetensors and spm.model expected)")
        meta = self.dir / "posteditor.json"
        raw = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
        self.meta = raw
        self.info = ModelInfo(**{k: raw[k] for k in ModelInfo.__dataclass_fields__ if k in raw})
        if threads:
            torch.set_num_threads(threads)
        self.sp = spm.SentencePieceProcessor(model_file=str(self.dir / "spm.model"))
        self.model = _quietly(AutoModelForSeq2SeqLM.from_pretrained, self.dir, local_files_only=True)
        self.model.eval()
        self.batch_size = batch_size
        self.pieces = [self.sp.id_to_piece(i).replace("▁", " ") for i in range(self.sp.get_piece_size())]

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        """Edits for each item, each with the model's confidence in it."""
        results: list[list[Edit]] = [[] for _ in items]
        todo = [i for i, it in enumerate(items) if it.text.strip()]
        # Similar lengths together so padding stays small.
        todo.sort(key=lambda i: len(items[i].text))
        for k in range(0, len(todo), self.batch_size):
            batch = [items[i] for i in todo[k : k + self.batch_size]]
            for i, edits in zip(todo[k : k + self.batch_size], self._suggest_batch(batch)):
                results[i] = edits
        return results

    def correct(self, text: str, source: str | None = None) -> str:
        """The model's full correction of one segment (every edit applied)."""
        return apply_edits(text, self.suggest([Item(text, source)])[0])

    @torch.inference_mode()
    def _suggest_batch(self, items: Sequence[Item]) -> list[list[Edit]]:
        limit = self.info.max_source_tokens
        ids = [encode(self.sp, it.text, it.source if self.info.use_source else None, limit) for it in items]
        width = max(map(len, ids))
        input_ids = torch.full((len(ids), width), PAD, dtype=torch.long)  # (batch, width)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = torch.tensor(seq)
        longest = max(len(self.sp.encode(" ".join(it.text.split()))) for it in items)
        out = self.model.generate(
            input_ids=input_ids,
            attention_mask=input_ids.ne(PAD),
            max_new_tokens=min(self.info.max_target_tokens, int(longest * 1.5) + 8),
            num_beams=1,
            do_sample=False,
            output_scores=True,
            return_dict_in_generate=True,
        )
        steps = torch.stack(out.scores, dim=1).log_softmax(-1)  # (batch, steps, vocab)
        generated = out.sequences[:, 1:]  # (batch, steps); drops the decoder start token
        probs = steps.gather(-1, generated.unsqueeze(-1)).squeeze(-1).exp()  # (batch, steps)
        return [
            self._edits(it, generated[row].tolist(), probs[row].tolist())
            for row, it in enumerate(items)
        ]

    def _edits(self, item: Item, ids: list[int], probs: list[float]) -> list[Edit]:
        """Turn one generated sequence into edits against the item's own text."""
        if EOS not in ids:  # ran out of length: the output is cut short, trust nothing
            return []
        n = ids.index(EOS)
        ids, probs = ids[: n + 1], probs[: n + 1]
        text = self.sp.decode(ids[:n])
        mt_words = len(tokenize(item.text))
        if not text.strip() or len(tokenize(text)) < mt_words / 2:
            return []
        # Character span of each generated piece in the decoded text (EOS sits at the end).
        spans, pos = [], 0
        shift = 1 if self.pieces[ids[0]].startswith(" ") else 0  # decode drops that space
        for i in ids[:n]:
            spans.append((pos - shift, pos + len(self.pieces[i]) - shift))
            pos += len(self.pieces[i])
        spans.append((pos - shift, pos - shift + 1))
        corrected = respace(item.text, text)
        edits, out_tokens, shift_tokens = [], tokenize(corrected), 0
        for edit in extract_edits(item.text, corrected):
            lo, hi = _char_span(out_tokens, edit.start + shift_tokens, len(edit.replacement))
            shift_tokens += len(edit.replacement) - (edit.end - edit.start)
            # The pieces that wrote the replacement (or, for a deletion, the piece written
            # in its place) plus the next one, where the model went back to copying: an
            # edit is as sure as its least sure step.
            touched = [k for k, (s, e) in enumerate(spans) if s < max(hi, lo + 1) and e > lo]
            if not touched:
                continue
            steps = probs[touched[0] : touched[-1] + 2]
            edits.append(Edit(edit.start, edit.end, edit.replacement, round(min(steps), 4), "model"))
        return edits


def _quietly(load, *args, **kwargs):
    """``load(...)`` without transformers' "Loading weights" bar on stderr (it would land in
    the output of ``correct`` and, from the editor's model process, in its error log)."""
    from transformers.utils import logging

    was_on = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        return load(*args, **kwargs)
    finally:
        if was_on:
            logging.enable_progress_bar()


def _char_span(tokens: tuple[str, ...], start: int, size: int) -> tuple[int, int]:
    """Where ``tokens[start:start+size]`` lies once the text is single-spaced."""
    prefix = len(" ".join("".join(tokens[:start]).split()))
    width = len(" ".join("".join(tokens[start : start + size]).split()))
    if prefix and width:
        prefix += 1  # the space between the prefix and the replacement
    return prefix, prefix + width


def describe(model_dir: str | Path) -> dict:
    """The model's metadata (``posteditor.json``) without loading weights."""
    meta = Path(model_dir) / "posteditor.json"
    return json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


