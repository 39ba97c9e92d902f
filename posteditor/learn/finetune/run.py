"""Fine-tune the current model on the editor's corrections, behind a gate.

Linear phases, each leaving the current model untouched until the last (the data of phases 1
and 2 is chosen in ``posteditor.learn.finetune.data``):

1. **Collect** (MT, final) pairs from the corrections logs and plain parallel files (where a
   post-edit equal to its MT is kept: the post-editor read it and left it alone). A record
   whose final text differs from its MT teaches that fix. A record whose final text *equals*
   its MT teaches "leave it alone" only when the editor rejected a proposed edit in it (the
   rejection is the information); otherwise it says nothing and is skipped. The same MT (and
   source) logged twice counts once, the latest final text winning. Corrupt log lines are
   skipped with a warning and counted.
2. **Hold out** 15% of the pairs (at least one), chosen by a hash of the MT so the choice is
   stable as the log grows, to judge the new model. Where the base model's edit scorer keeps
   the edits it was fitted on (``posteditor.suggest.scorer``) and its threshold applies edits, the
   base model proposes edits in the training corrections it has not learnt from before, and
   each is labelled right when the editor made it: the scorer learns from them in phase 4.
   Otherwise the held-out pairs are halved by a second hash and one half chooses the new
   model's confidence threshold. Pick the base dev set: a fixed sample of MLQE-PE dev
   (detokenized, segments also in the corrections excluded) or the corpus ``dev.jsonl``.
   Score the base model on the judging corrections and dev, as ``correct`` would apply it.
3. **Train** with transformers' Seq2SeqTrainer in ``models/.work/<name>/`` (the same
   ``training_arguments``, ``PairDataset`` and ``collate`` as ``train``, so ``torchrun`` or
   ``accelerate launch`` spread it over several GPUs), the training corrections mixed with
   as many pairs replayed from the base model's own corpus so it does not forget.
   Checkpoints let ``--out NAME`` resume an interrupted run with the data saved at its start.
4. **Gate**: the new model's edit scorer is refitted on the edits its base's was fitted on
   plus the editor's new ones (each counting ``scorer_weight`` times) and keeps the base
   threshold; or, without such a scorer, it gets its own confidence threshold, chosen on the
   first held-out half (inheriting a base threshold of "apply nothing" it could never help,
   and the base's threshold when nothing it proposes there is applied at any threshold).
   Retranslation keeps its own weights; the training corrections Apertium translates fit one
   amount added to its logit (``retranslate.refit``).
   The words to check (the model's probe of words a post-editor changes) are refitted on the
   training corrections' words, read by the new model, starting from the dev fit, for each
   reading; a refit replaces the inherited probe only where it ranks the held-out corrections
   at least as well, and gets a bar of its own for this editor (``refit.refit_doubts``).
   It becomes current only if its TER on the judging corrections is lower than the base
   model's (or equal, where its words to check rank 20 or more of those corrections' changed
   words better) and its TER on the base dev set is not higher by more than a small tolerance
   (0.2). Either way the finished folder is renamed into ``models/<name>`` with its card and
   metrics; a refused one stays there as a candidate.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from posteditor.core import paths
from posteditor.core.meta import model_meta
from posteditor.core.records import read_pairs, write_pairs
from posteditor.core.textio import InputError, atomic_write
from posteditor.learn.finetune.config import FinetuneConfig, Scorer, _log
from posteditor.learn.finetune.data import (base_corpus, build_base_corpus, collect, dev_sample, replay_sample,
                                            split_calibration, split_heldout, with_hints)
from posteditor.learn.finetune.gate import finish
from posteditor.learn.finetune.score import editor_edits, mt_ter, refittable, ter_scores
from posteditor.model import versions


def prepare(work: Path, base: Path, logs: Sequence[Path], parallel: tuple, cfg: FinetuneConfig, scorer: Scorer) -> dict:
    """Phases 1 and 2: collect, split, sample, score the base model; saved in ``work``."""

    rows, stats = collect(logs, *parallel)
    if stats["corrupt"]:
        _log(f"warning: {stats['corrupt']} corrupt corrections line(s) skipped")
    train_rows, heldout = split_heldout(rows, cfg.heldout_fraction)
    from posteditor.learn.threshold import NOTHING

    base_meta = model_meta(base)
    refit = refittable(base_meta)
    if refit:  # the scorer learns from the training corrections; the threshold stays; all held out judge
        calibration = []
    else:
        calibration, heldout = split_calibration(heldout)
        if not calibration:
            _log(f"note: only {len(heldout)} correction(s) held out, too few to halve; "
                 "the new model keeps the base model's confidence threshold")
    if not calibration and float(base_meta.get("min_confidence") or 0) >= NOTHING:  # (a refit needs a threshold below)
        # The new model would inherit "apply nothing" too, tie the base, and be refused anyway.
        raise InputError(f"too few corrections to judge a fine-tune: {len(rows)} in all, so {len(heldout)} held "
                         f"out, too few to choose the new model's own threshold, and the base model applies no "
                         f"edit at its threshold ({base_meta.get('min_confidence')}); collect at least about 30")
    corpus = base_corpus(base_meta)
    build_base_corpus(base_meta, corpus, _log)
    replay = replay_sample(corpus, round(cfg.replay_ratio * len(train_rows)), cfg.seed)
    if not replay:
        where = corpus / "train.jsonl" if corpus else "(the model's posteditor.json names no corpus)"
        _log(f"note: base training data {where} not found; fine-tuning without replay (the model may forget more)")
    dev, dev_from = dev_sample(cfg.dev_size, {r.mt for r in rows}, corpus)
    if not dev:
        _log("note: no base dev set found (MLQE-PE dev or the corpus dev.jsonl); the gate judges the held-out corrections only")
    _log(f"{len(train_rows)} training corrections ({stats['fixes']} fixes, {stats['leave_alone']} leave-alone in all), "
         + (f"{len(calibration)} held out to choose its threshold, " if not refit else "")
         + f"{len(heldout)} held out to judge it, {len(replay)} replayed base pairs, {len(dev)} base dev segments")
    _log(f"scoring the base model {base} ...")
    base_scores = scorer(base, {"heldout": heldout, "dev": dev})
    work.mkdir(parents=True, exist_ok=True)
    labels_file = work / "editor_edits.json"
    labels_file.unlink(missing_ok=True)  # left by a run stopped here before: the plan below decides
    if refit:
        from posteditor.suggest.scorer import learnt_from

        # The base model was not trained on these corrections: its edits there are honest labels.
        labels = editor_edits(base, train_rows, learnt_from(base_meta.get("edit_scorer")))
        atomic_write(labels_file, json.dumps(labels) + "\n")
    else:
        labels = None
    for name, data in dict(train=train_rows, calibration=calibration, heldout=heldout, replay=replay, dev=dev).items():
        write_pairs(work / f"{name}.jsonl", data)
    signature = hashlib.sha256(json.dumps([r.to_json() for r in rows], sort_keys=True).encode()).hexdigest()[:16]
    plan = {
        "base": {"name": base.name, "path": str(base.resolve()), "min_confidence": base_meta.get("min_confidence")},
        "config": asdict(cfg),
        "data": {**stats, "train": len(train_rows), "calibration": len(calibration), "heldout": len(heldout),
                 "replay": len(replay), "replay_from": str(corpus / "train.jsonl") if replay else None, "dev": len(dev),
                 "editor_edits": len(labels["y"]) if labels else None, "editor_right": sum(labels["y"]) if labels else None,
                 "dev_from": dev_from, "logs": [str(p) for p in logs], "signature": signature},
        "base_scores": base_scores,
        "mt_scores": {"heldout": mt_ter(heldout), "dev": mt_ter(dev)},
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    atomic_write(work / "plan.json", json.dumps(plan, indent=2) + "\n")
    return plan


def train_on(work: Path, plan: dict, callbacks: Sequence[Callable[[int], None]] = ()) -> Path:
    """Phase 3: fine-tune the base model's adapter on the saved data; returns the trained folder.

    ``callbacks`` are called with the step number after each optimiser step."""
    from posteditor.learn.train import TrainConfig, processes, save_model, train

    cfg = FinetuneConfig(**plan["config"])
    base = Path(plan["base"]["path"])
    meta = model_meta(base)
    rows = read_pairs(work / "train.jsonl") + read_pairs(work / "replay.jsonl")
    if not meta.get("use_source", True):  # the model corrects without sources: train it so, at less cost
        rows = [replace(r, src=None, hint=None) for r in rows]
    elif meta.hints:  # it reads Apertium's translation beside the source: the corrections get theirs
        rows = with_hints(rows, meta.hints)
    if not rows:
        raise InputError("no usable training pairs")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    steps = max(1, math.ceil(cfg.epochs * len(rows) / (cfg.batch_size * world)))
    base_cfg = (meta.get("training") or {}).get("config") or {}
    tcfg = TrainConfig(corpus=str(work), work=str(work / "checkpoints"), init=str(base), batch_size=cfg.batch_size,
                       learning_rate=cfg.learning_rate, warmup_steps=max(1, math.ceil(cfg.warmup_ratio * steps)),
                       max_steps=steps, max_tokens=int(meta.get("max_tokens") or base_cfg.get("max_tokens") or 256),
                       save_steps=cfg.save_steps, seed=cfg.seed)
    resuming = (work / "checkpoints" / "checkpoint" / "state.json").is_file()
    if processes().is_main_process:
        _log(f"fine-tuning {plan['base']['name']} on {len(rows)} pairs, {steps} steps"
             + ("; resuming from its last checkpoint" if resuming else ""))
    started = time.time()
    checkpoint = train(tcfg, rows, callbacks)
    out = work / "model"
    if processes().is_main_process:  # the first process of a distributed run saves
        shutil.rmtree(out, ignore_errors=True)
        keep = {k: v for k, v in meta.items() if k not in ("created", "base", "finetune", "metrics", "dev", "training")}
        save_model(checkpoint, out, {**keep, "training": {**(meta.get("training") or {}),
                                                           "finetune_seconds": round(time.time() - started)}})
    processes().wait_for_everyone()
    return out


def run(model: str | None = None, logs: Sequence[str] | None = None, parallel: tuple = (None, None, None, None),
        out: str | None = None, cfg: FinetuneConfig = FinetuneConfig(), scorer: Scorer | None = None,
        callbacks: Sequence = ()) -> tuple[str, bool, list[str]]:
    """Fine-tune, gate and store a new version; returns (name, made current, reasons).

    Under ``torchrun``/``accelerate launch`` every process runs this: the first prepares the
    data while the others wait (``main_process_first``), all train, and the first alone
    scores, gates and stores the result.
    """
    from filelock import FileLock, Timeout

    from posteditor.learn.train import processes

    scorer = scorer or ter_scores
    root = paths.models_dir()
    state = processes()  # under a launcher, the processes of the run; else this one alone
    main_process = state.is_main_process
    if not out and state.num_processes > 1:
        raise InputError("give --out NAME when fine-tuning on several processes (they must agree on the name)")
    name = versions.check_name(out) if out else versions.new_name(root)
    if (root / name).exists():
        raise InputError(f"model version {name!r} already exists in {root}; choose another --out")
    work = root / versions.WORK / name
    lock = FileLock(str(root / versions.WORK / f"{name}.lock"))
    if main_process:
        work.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise InputError(f"fine-tuning run {name!r} is already in progress") from None
    try:
        # The first process writes the plan (the data of the run); the others wait here for it
        # (the launcher stops them if the first fails) and read it.
        with state.main_process_first():
            if not main_process:
                plan = _load_plan(work)
            elif (work / "plan.json").is_file():
                plan = _load_plan(work)
                _log(f"resuming fine-tuning run {name!r} with the data saved when it started "
                     f"({plan['data']['train']} corrections; newer corrections wait for the next run)")
            else:
                plan = prepare(work, _base(model), _logs(logs, parallel), parallel, cfg, scorer)
        return _train_and_finish(work, name, plan, scorer, callbacks, main_process)
    finally:
        if main_process:
            lock.release()
            Path(lock.lock_file).unlink(missing_ok=True)


def _load_plan(work: Path) -> dict:
    return json.loads((work / "plan.json").read_text(encoding="utf-8"))


def _base(model: str | None) -> Path:
    base = Path(model) if model else paths.default_model()
    if not versions.is_model(base):
        raise InputError(f"{base}: not a posteditor model (adapter_model.safetensors expected)")
    return base


def _logs(logs: Sequence[str] | None, parallel: tuple) -> list[Path]:
    """The corrections logs to read: those given (all must exist), else the default one if any."""
    given = [Path(p) for p in (logs if logs is not None else [paths.corrections_log()])]
    missing = [p for p in given if not p.is_file()]
    if missing and logs is not None:
        raise InputError(f"{missing[0]}: no such corrections log")
    if missing and not any(parallel[:2]):
        raise InputError(f"no corrections yet ({missing[0]} does not exist): review some documents "
                         "with `posteditor review` first, or give --mt F --pe F")
    return [p for p in given if p.is_file()]


def _train_and_finish(work: Path, name: str, plan: dict, scorer: Scorer, callbacks: Sequence,
                      main_process: bool) -> tuple[str, bool, list[str]]:
    try:
        trained = train_on(work, plan, callbacks)
        if not main_process:
            return name, False, []
        passed, reasons = finish(work, name, plan, trained, scorer)
    except BaseException:
        if main_process:
            _log(f"stopped: the current model is untouched; resume with `posteditor finetune --out {name}`")
        raise
    return name, passed, reasons
