"""Train the default correction model from a corpus recipe, on CPU or GPU alike.

Linear phases: build the corpus, train the SentencePiece tokenizer, build an mBART-style
encoder-decoder from a
config, train it with transformers' Seq2SeqTrainer (checkpointing so a run can resume),
then save weights, tokenizer and ``posteditor.json`` together in the model folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import sentencepiece as spm
import torch
from transformers import MBartConfig, MBartForConditionalGeneration, PreTrainedModel, Seq2SeqTrainer, Seq2SeqTrainingArguments

from posteditor.export import write_onnx
from posteditor.model import EOS, PAD, SOURCE_MARK, UNK, encode, file_digest, format_input


@dataclass(frozen=True)
class ModelSize:
    """The shape of the encoder-decoder built from a config."""

    vocab_size: int = 8000
    """SentencePiece vocabulary size (unigram model)."""
    d_model: int = 256
    """Width of every layer."""
    d_ff: int = 1024
    """Width of the feed-forward blocks."""
    num_layers: int = 3
    """Encoder layers (the decoder gets as many)."""
    num_heads: int = 4
    """Attention heads per layer."""


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Every field is saved with the model."""

    out: str = "models/default"
    """Where the finished model goes."""
    corpus: str = "corpora/build/default"
    """Folder with train.jsonl and dev.jsonl (built from the recipe if missing)."""
    size: ModelSize = field(default_factory=ModelSize)
    """Model shape."""
    max_source_tokens: int = 128
    """Longest model input (MT plus source), in SentencePiece tokens."""
    max_target_tokens: int = 96
    """Longest model output."""
    batch_size: int = 32
    """Examples per optimiser step."""
    learning_rate: float = 1e-3
    """Peak learning rate (AdamW, linear warm-up then cosine decay)."""
    max_steps: int = 2000
    """Optimiser steps in all."""
    warmup_steps: int = 300
    """Steps of linear warm-up."""
    save_steps: int = 250
    """Checkpoint every this many steps (the run resumes from the last one)."""
    seed: int = 13
    """Seed for shuffling, initialisation and tokenizer sampling."""
    threads: int = 0
    """CPU threads for torch (0: torch's default)."""
    init: str | None = None
    """Start from this model folder's weights and tokenizer instead of a fresh model."""


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def train_tokenizer(texts: Sequence[str], out_dir: Path, vocab_size: int, seed: int = 13) -> Path:
    """Train the SentencePiece unigram model on ``texts``; ids follow T5 (pad 0, eos 1, unk 2)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sample = list(texts)
    random.Random(seed).shuffle(sample)
    prefix = out_dir / "spm"
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sample[:300_000]),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        pad_id=PAD,
        eos_id=EOS,
        unk_id=UNK,
        bos_id=-1,
        user_defined_symbols=[SOURCE_MARK],
        character_coverage=0.9995,
        byte_fallback=True,
        input_sentence_size=300_000,
        shuffle_input_sentence=True,
        minloglevel=2,
    )
    (out_dir / "spm.vocab").unlink(missing_ok=True)
    return prefix.with_suffix(".model")


def build_model(size: ModelSize, vocab_size: int) -> MBartForConditionalGeneration:
    """A fresh encoder-decoder from a config (no pretrained weights exist to start from).

    mBART's layout: pre-layer-norm (stable at a high learning rate from scratch) and learned
    absolute positions in encoder and decoder alike, so cross-attention can find "the same
    position in the input" at once: copying, most of this task, is learned in a few hundred
    steps rather than the thousands T5's relative-only positions needed here.
    """
    config = MBartConfig(
        vocab_size=vocab_size,
        d_model=size.d_model,
        encoder_ffn_dim=size.d_ff,
        decoder_ffn_dim=size.d_ff,
        encoder_layers=size.num_layers,
        decoder_layers=size.num_layers,
        encoder_attention_heads=size.num_heads,
        decoder_attention_heads=size.num_heads,
        max_position_embeddings=256,
        activation_function="gelu",
        dropout=0.1,
        scale_embedding=True,
        tie_word_embeddings=True,
        pad_token_id=PAD,
        eos_token_id=EOS,
        bos_token_id=UNK,
        # mBART's label shift wraps the last non-pad label token (EOS here) to the front.
        decoder_start_token_id=EOS,
        forced_eos_token_id=EOS,
    )
    return MBartForConditionalGeneration(config)


class PairDataset(torch.utils.data.Dataset):
    """(MT, source) -> post-edit pairs as token ids, encoded once up front."""

    def __init__(self, rows: Sequence[dict], sp: spm.SentencePieceProcessor, cfg: TrainConfig):
        self.examples = []
        for row in rows:
            source = encode(sp, row["mt"], row.get("src"), cfg.max_source_tokens)
            target = sp.encode(format_input(row["pe"]))
            if len(target) >= cfg.max_target_tokens:
                continue  # a cut target would teach the model to drop words
            self.examples.append((source, target + [EOS]))

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> dict:
        source, target = self.examples[i]
        return {"input_ids": source, "labels": target}


def collate(batch: list[dict]) -> dict[str, torch.Tensor]:
    """Pad a batch: inputs with PAD, labels with -100 so padding costs no loss."""
    width = max(len(b["input_ids"]) for b in batch)
    height = max(len(b["labels"]) for b in batch)
    input_ids = torch.full((len(batch), width), PAD, dtype=torch.long)  # (batch, width)
    labels = torch.full((len(batch), height), -100, dtype=torch.long)  # (batch, height)
    for row, b in enumerate(batch):
        input_ids[row, : len(b["input_ids"])] = torch.tensor(b["input_ids"])
        labels[row, : len(b["labels"])] = torch.tensor(b["labels"])
    return {"input_ids": input_ids, "attention_mask": input_ids.ne(PAD).long(), "labels": labels}


def training_arguments(cfg: TrainConfig, work: Path, **overrides) -> Seq2SeqTrainingArguments:
    """Trainer arguments shared by ``train`` and ``finetune``."""
    args = dict(
        output_dir=str(work),
        per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate,
        max_steps=cfg.max_steps,
        warmup_steps=cfg.warmup_steps,
        lr_scheduler_type="cosine",
        weight_decay=0.01,
        save_steps=cfg.save_steps,
        save_total_limit=2,
        logging_steps=50,
        seed=cfg.seed,
        report_to=[],
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),  # pinning helps only a copy to a GPU
        disable_tqdm=False,
        # Batches of like lengths: random batches of this corpus are 62% padding, grouped ones 20%.
        train_sampling_strategy="group_by_length",
    )
    args.update(overrides)
    return Seq2SeqTrainingArguments(**args)


def latest_checkpoint(work: Path) -> str | None:
    found = sorted(work.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    return str(found[-1]) if found else None


def weights_digest(model_dir: Path) -> str:
    """Short digest of a model's weights: which model a continued run started from."""
    return file_digest(model_dir / "model.safetensors")[:12]


def corpus_signature(corpus: Path) -> str:
    digest = hashlib.sha256()
    for name in ("train.jsonl", "dev.jsonl"):
        path = corpus / name
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def corpus_kinds(corpus: Path) -> dict[str, int] | None:
    """Pairs of each kind (mlqe, wmt, apertium, copy) in a built corpus, from its stats.json."""
    try:
        return json.loads((corpus / "stats.json").read_text(encoding="utf-8"))["train_by_kind"]
    except (OSError, ValueError, KeyError):
        return None


def train(cfg: TrainConfig) -> Path:
    """Run every phase and leave a complete model folder at ``cfg.out``."""
    started = time.time()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
        os.environ["OMP_NUM_THREADS"] = str(cfg.threads)  # the calibration's onnxruntime too
    corpus, out = Path(cfg.corpus), Path(cfg.out)
    rows = read_jsonl(corpus / "train.jsonl")
    work = out / "checkpoints"
    if cfg.init:  # a run of its own: never resume another run's checkpoints in the same folder
        work = work / f"from-{weights_digest(Path(cfg.init))}"
    work.mkdir(parents=True, exist_ok=True)
    spm_path = work / "spm.model"
    if cfg.init and not spm_path.is_file():  # continuing a model: keep its vocabulary
        shutil.copy(Path(cfg.init) / "spm.model", spm_path)
    if not spm_path.is_file():
        texts = [r["pe"] for r in rows] + [r["mt"] for r in rows] + [r["src"] for r in rows if r.get("src")]
        train_tokenizer(texts, work, cfg.size.vocab_size, cfg.seed)
    sp = spm.SentencePieceProcessor(model_file=str(spm_path))
    dataset = PairDataset(rows, sp, cfg)
    torch.manual_seed(cfg.seed)
    if cfg.init:
        model = MBartForConditionalGeneration.from_pretrained(cfg.init, local_files_only=True)
    else:
        model = build_model(cfg.size, sp.get_piece_size())
    print(f"model: {parameter_count(model) / 1e6:.1f}M parameters; {len(dataset)} training pairs")
    trainer = Seq2SeqTrainer(
        model=model,
        args=training_arguments(cfg, work),
        train_dataset=dataset,
        data_collator=collate,
    )
    trainer.train(resume_from_checkpoint=latest_checkpoint(work))
    save_model(trainer.model, spm_path, out, {
        "max_source_tokens": cfg.max_source_tokens,
        "max_target_tokens": cfg.max_target_tokens,
        "training": {
            "config": asdict(cfg),
            "corpus_signature": corpus_signature(corpus),
            "corpus_by_kind": corpus_kinds(corpus),
            "pairs": len(dataset),
            "parameters": parameter_count(trainer.model),
            "seconds": round(time.time() - started),
        },
    })
    return out


def save_model(model: PreTrainedModel, spm_path: Path, out: Path, meta: dict) -> None:
    """Write weights (safetensors), config, tokenizer and metadata into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    if spm_path.resolve() != (out / "spm.model").resolve():
        shutil.copy(spm_path, out / "spm.model")
    old = out / "posteditor.json"
    merged = json.loads(old.read_text(encoding="utf-8")) if old.is_file() else {}
    merged.update(meta)
    (out / "posteditor.json").write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    write_onnx(model, out)  # what Corrector runs (see posteditor.export)


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
