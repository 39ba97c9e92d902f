"""Teach the base LM to post-edit: a LoRA adapter trained on (MT, corrected, source) pairs.

Linear phases: read the corpus, wrap the base model with a LoRA adapter (peft) on the top
layers, train with the loss on the corrected segment only, checkpoint (adapter, optimizer,
position in the data) every few minutes so a stopped run resumes where it was, and save the
adapter as safetensors. The same command runs on CPU (bf16 autocast where the CPU has it),
on a GPU, or under ``accelerate launch`` (only the main process writes).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import signal
import sys
import threading
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch
from accelerate import Accelerator
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file, save_file

from posteditor.core.meta import ModelMeta
from posteditor.core.records import Pair, read_pairs
from posteditor.model import lm
from posteditor.model.siblings import SIBLINGS
from posteditor.core.textio import InputError


@dataclass(frozen=True)
class TrainConfig:
    """One training run; saved with every checkpoint and with the model."""

    corpus: str = "corpora/build/default"
    """Folder with train.jsonl (pairs: mt, pe, src, origin)."""
    work: str = "models/.work/lm"
    """Checkpoints (adapter, optimizer state, data position): a run resumes from here."""
    init: str | None = None
    """A model folder whose adapter to start from (fine-tuning); None starts a new adapter."""
    rank: int = 16
    """LoRA rank."""
    alpha: int = 32
    """LoRA scaling numerator (scale = alpha / rank)."""
    first_layer: int = 12
    """LoRA on this decoder layer and above (the base has 30): below it nothing is trained,
    so the backward pass stops there (about twice as fast as training every layer)."""
    learning_rate: float = 3e-4
    """Peak learning rate (linear warm-up, then constant: runs resume without a horizon)."""
    warmup_steps: int = 100
    batch_size: int = 16
    """Examples per optimiser step."""
    max_tokens: int = 160
    """Longest example (prompt plus correction); longer ones drop the source, then are skipped."""
    max_steps: int = 100000
    """Stop after this many steps in all (across resumes)."""
    max_minutes: float = 0.0
    """Stop this run after so many minutes (0: no limit); the checkpoint is written first."""
    save_minutes: float = 10.0
    """Checkpoint every so many minutes."""
    save_steps: int = 0
    """Also checkpoint every so many steps (0: by time only)."""
    seed: int = 13
    threads: int = 0
    """CPU threads for torch (0: torch's default)."""


def _pairs(corpus: Path) -> list[Pair]:
    path = corpus / "train.jsonl"
    if not path.is_file():
        raise InputError(f"{path} is missing: build it with `posteditor corpus`")
    return read_pairs(path)


def batches(pairs: list[Pair], tok, config: TrainConfig, start: int):
    """Batches of encoded examples from example ``start`` of a fixed shuffled order (epoch
    after epoch); within windows of 32 batches, examples of similar length go together."""
    order = list(range(len(pairs)))
    window = config.batch_size * 32
    position = start
    while True:
        epoch, offset = divmod(position, len(pairs))
        random.Random(f"{config.seed}:{epoch}").shuffle(order)
        chunk = order[offset : offset + window]
        encoded = []
        for i in chunk:
            p = pairs[i]
            prompt, target = lm.encode_pair(tok, p.mt, p.pe, p.src, p.prev, config.max_tokens, p.hint)
            if len(prompt) + len(target) <= config.max_tokens:
                encoded.append((prompt, target))
        encoded.sort(key=lambda pt: len(pt[0]) + len(pt[1]))
        groups = [encoded[k : k + config.batch_size] for k in range(0, len(encoded), config.batch_size)]
        random.Random(f"{config.seed}:{position}").shuffle(groups)
        consumed = len(chunk) / max(1, len(groups))
        for k, group in enumerate(groups):
            yield collate(group, tok.eos_token_id), position + round(consumed * (k + 1))
        position += len(chunk)


def _shard(stream, accelerator):
    """Under several processes, each takes its own batch of every group of as many batches
    (one optimiser step); the position is the group's end, the same on every rank."""
    world, rank = accelerator.num_processes, accelerator.process_index
    group = []
    for batch, position in stream:
        group.append(batch)
        if len(group) == world:
            yield group[rank], position
            group = []


def collate(group: list[tuple[list[int], list[int]]], pad: int) -> dict[str, torch.Tensor]:
    """Right-padded input ids, attention mask, and labels that score the correction only."""
    width = max(len(p) + len(t) for p, t in group)
    ids = torch.full((len(group), width), pad, dtype=torch.long)  # (batch, width)
    labels = torch.full((len(group), width), -100, dtype=torch.long)
    mask = torch.zeros((len(group), width), dtype=torch.long)
    for row, (prompt, target) in enumerate(group):
        seq = prompt + target
        ids[row, : len(seq)] = torch.tensor(seq)
        labels[row, len(prompt) : len(seq)] = torch.tensor(target)
        mask[row, : len(seq)] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def lora_config(config: TrainConfig, layers: int) -> LoraConfig:
    return LoraConfig(
        r=config.rank, lora_alpha=config.alpha, lora_dropout=0.0, task_type="CAUSAL_LM",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        layers_to_transform=list(range(config.first_layer, layers)),
    )


def adapted_model(config: TrainConfig):
    """The base model wrapped with a trainable LoRA adapter (new, or the one of ``init``)."""
    model, tok = lm.load_base()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # transformers' notes to peft, not to our users
        if config.init:
            model = PeftModel.from_pretrained(model, config.init, is_trainable=True)
        else:
            model = get_peft_model(model, lora_config(config, model.config.num_hidden_layers))
    return model, tok


def processes():
    """The processes of this run (accelerate's ``PartialState``): those a launcher started
    (``accelerate launch --multi_gpu --num_processes N``, ``torchrun``), else this one alone.

    On a machine without a GPU it must be told it runs on CPUs, or accelerate takes every
    launched process for a run of its own (``DistributedType.NO``); with that it joins them
    with gloo. The first state made decides for the whole process, so every maker says so
    (``train``'s ``Accelerator`` too)."""
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def _mixed_precision() -> str:
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if lm.cpu_has_bf16() else "no"


def save_checkpoint(folder: Path, model, optimizer, step: int, position: int, config: TrainConfig, log: dict) -> None:
    """Adapter, optimizer state and position, written to a new folder then renamed into place."""
    work = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    model.save_pretrained(work, save_embedding_layers=False)
    torch.save(optimizer.state_dict(), work / "optimizer.pt")
    (work / "state.json").write_text(json.dumps({"step": step, "position": position, "config": asdict(config),
                                                 **log}, indent=1), encoding="utf-8")
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        folder.rename(old)
    work.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def train(config: TrainConfig, pairs: list[Pair] | None = None, callbacks: Sequence[Callable[[int], None]] = ()) -> Path:
    """Train (or resume) until ``max_steps`` or ``max_minutes``; return the checkpoint folder.

    ``pairs`` replaces the corpus (fine-tuning passes the editor's corrections)."""
    if config.threads:
        torch.set_num_threads(config.threads)
    accelerator = Accelerator(mixed_precision=_mixed_precision(), cpu=not torch.cuda.is_available())
    ckpt = Path(config.work) / "checkpoint"
    state = json.loads((ckpt / "state.json").read_text()) if (ckpt / "state.json").is_file() else None
    if state:
        config = TrainConfig(**{**state["config"], "max_steps": config.max_steps, "max_minutes": config.max_minutes,
                                "save_minutes": config.save_minutes, "threads": config.threads})
        model, tok = lm.load_base()
        model = PeftModel.from_pretrained(model, str(ckpt), is_trainable=True)
    else:
        model, tok = adapted_model(config)
    pairs = pairs if pairs is not None else _pairs(Path(config.corpus))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)
    if state:
        optimizer.load_state_dict(torch.load(ckpt / "optimizer.pt"))
    step, position = (state["step"], state["position"]) if state else (0, 0)
    seen = state.get("examples", 0) if state else 0
    spent = state.get("seconds", 0.0) if state else 0.0  # training time of earlier runs
    first = step
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + first + 1) / config.warmup_steps))
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()
    main = accelerator.is_main_process
    trainable = sum(p.numel() for p in params)
    if main:
        print(f"[train] {len(pairs)} pairs; step {step}, example {position}; {trainable / 1e6:.2f}M trainable; "
              f"precision {accelerator.mixed_precision}", file=sys.stderr, flush=True)
    stop = {"flag": False}
    if threading.current_thread() is threading.main_thread():  # a SIGTERM ends the run at a checkpoint
        signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    started = last_save = time.time()

    def progress() -> dict:
        return {"examples": seen, "seconds": round(spent + time.time() - started), "trainable": trainable}

    window_loss, window_n, window_t, window_ex = 0.0, 0, time.time(), 0
    try:
        for batch, next_position in _shard(batches(pairs, tok, config, position), accelerator):
            if step >= config.max_steps or stop["flag"] or (config.max_minutes and time.time() - started > config.max_minutes * 60):
                break
            batch = {k: v.to(accelerator.device) for k, v in batch.items()}
            with accelerator.autocast():
                loss = model(**batch).loss
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step, position = step + 1, next_position
            n = len(batch["input_ids"])
            seen += n
            window_loss, window_n, window_ex = window_loss + loss.item(), window_n + 1, window_ex + n
            if main and step % 20 == 0:
                rate = window_ex / (time.time() - window_t)
                print(f"[train {time.strftime('%H:%M:%S')}] step {step} loss {window_loss / window_n:.4f} "
                      f"{rate:.1f} examples/s", file=sys.stderr, flush=True)
                window_loss, window_n, window_t, window_ex = 0.0, 0, time.time(), 0
            for callback in callbacks:
                callback(step)
            if time.time() - last_save > config.save_minutes * 60 or (config.save_steps and step % config.save_steps == 0):
                accelerator.wait_for_everyone()
                if main:
                    save_checkpoint(ckpt, accelerator.unwrap_model(model), optimizer, step, position, config,
                                    progress())
                last_save = time.time()
    except KeyboardInterrupt:  # Ctrl-C: keep every finished step, then stop as asked
        if main:
            save_checkpoint(ckpt, accelerator.unwrap_model(model), optimizer, step, position, config, progress())
            print(f"[train] interrupted at step {step}; checkpoint {ckpt}", file=sys.stderr)
        raise
    accelerator.wait_for_everyone()
    if main:
        save_checkpoint(ckpt, accelerator.unwrap_model(model), optimizer, step, position, config, progress())
        print(f"[train] stopped at step {step} ({seen} examples in all); checkpoint {ckpt}", file=sys.stderr)
    return ckpt


def save_model(checkpoint: Path, out: Path, meta: dict) -> None:
    """A model folder from a training checkpoint: the adapter in fp16 (half the size, the
    same corrections), its config naming the base, and ``posteditor.json`` with ``meta``."""
    out.mkdir(parents=True, exist_ok=True)
    weights = {k: v.half().contiguous() for k, v in load_file(str(checkpoint / ADAPTER)).items()}
    save_file(weights, str(out / ADAPTER))
    config = json.loads((checkpoint / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = lm.BASE_NAME  # not this machine's cache path
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    state = json.loads((checkpoint / "state.json").read_text(encoding="utf-8"))
    # The words the corrector tries in each other's place: the starting model's, else the corpus's.
    tables = [Path(f) / SIBLINGS for f in (state["config"].get("init"), state["config"]["corpus"]) if f]
    if table := next((t for t in tables if t.is_file()), None):
        shutil.copyfile(table, out / SIBLINGS)
    merged = ModelMeta.read(out).to_dict()
    # A model trained on hints reads them at run time (the corpus's languages, else the starting model's).
    init = state["config"].get("init")
    if hints := _corpus_stats(Path(state["config"]["corpus"])).get("hints") or (ModelMeta.read(init).hints if init else ()):
        merged["hints"] = sorted(hints)
    merged.update({"base": {"name": lm.BASE_NAME, "sha256": lm.BASE_SHA256},
                   "max_tokens": state["config"]["max_tokens"], **meta})
    merged.setdefault("training", {}).update({"config": state["config"], "steps": state["step"],
                                              "examples": state.get("examples"), "seconds": state.get("seconds"),
                                              "trainable": state.get("trainable")})
    ModelMeta(merged).write(out)


ADAPTER = "adapter_model.safetensors"


def corpus_signature(corpus: Path) -> str:
    digest = hashlib.sha256()
    for name in ("train.jsonl", "dev.jsonl"):
        path = corpus / name
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _corpus_stats(corpus: Path) -> dict:
    """A built corpus's stats.json (empty when it has none, or it cannot be read)."""
    try:
        stats = json.loads((corpus / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def corpus_kinds(corpus: Path) -> dict[str, int] | None:
    """Pairs of each kind (mlqe, wmt, apertium, synthetic, copy) in a built corpus, from its stats.json."""
    return _corpus_stats(corpus).get("train_by_kind")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    for name, f in TrainConfig.__dataclass_fields__.items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(f.default) if f.default is not None else str,
                            default=f.default)
    train(TrainConfig(**vars(parser.parse_args())))
