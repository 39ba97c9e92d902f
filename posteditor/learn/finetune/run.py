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
   first held-out half (inheriting a base threshold of "apply nothing" it could never help).
   It becomes current only if its TER on the judging corrections is lower than the base
   model's and its TER on the base dev set is not higher by more than a small tolerance
   (0.2). Either way the finished folder is renamed into ``models/<name>`` with its card and
   metrics; a refused one stays there as a candidate.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from posteditor.core.meta import ModelMeta
from posteditor.core import paths
from posteditor.core.meta import model_meta
from posteditor.model import versions
from posteditor.learn.card import finetune_card
from posteditor.learn.finetune.data import base_corpus, build_base_corpus, collect, dev_sample, replay_sample, split_calibration, split_heldout
from posteditor.core.textio import InputError, atomic_write
Scorer = Callable[[Path, dict[str, list[dict]]], dict[str, float]]


@dataclass(frozen=True)
class FinetuneConfig:
    """One fine-tuning run. Every field is saved with the new version."""

    epochs: float = 1.0
    """Passes over the training corrections (replayed pairs come along): one pass of the
    pretrained model's adapter learns a correction; more costs minutes on a CPU."""
    learning_rate: float = 3e-4
    """Peak learning rate: lower than training from scratch, to adjust rather than relearn."""
    batch_size: int = 16
    """Examples per optimiser step (per device)."""
    warmup_ratio: float = 0.1
    """Share of the steps spent warming the learning rate up."""
    replay_ratio: float = 0.5
    """Replayed base training pairs per training correction (each costs as much as one)."""
    heldout_fraction: float = 0.15
    """Share of the corrections kept out of training to judge the new model (at least one)."""
    dev_size: int = 100
    """Base dev segments the new model must not get worse on."""
    tolerance: float = 0.2
    """How much worse (TER points) the base dev set may get."""
    scorer_weight: float = 4.0
    """How many dev edits each edit in the training corrections counts as when the edit scorer
    is refitted: the editor's own judgement weighs more than the post-editors' of dev."""
    save_steps: int = 50
    """Checkpoint every this many steps (an interrupted run resumes from the last one)."""
    seed: int = 13


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- scoring ---------------------------------------------------------------------------


def ter_scores(model_dir: Path, sets: dict[str, list[dict]]) -> dict[str, float]:
    """TER of what ``correct`` would write with the model alone (no correction memory), per set.

    ``posteditor.commands.evaluate`` does the measuring, as ``posteditor evaluate`` does: segments
    too long for the model are left alone, edits below its confidence threshold are not
    applied, TER is sacrebleu's, case-sensitive.
    """
    from posteditor.pipeline import load_suggester
    from posteditor.learn.threshold import evaluate_items

    corrector = load_suggester(model_dir, use_memory=False)  # the model with its retranslation
    return {
        name: round(evaluate_items(corrector, [r["mt"] for r in rows], [r["pe"] for r in rows],
                                   [r.get("src") for r in rows])["corrected"]["ter"], 2)
        for name, rows in sets.items() if rows
    }


def own_threshold(model_dir: Path, rows: list[dict]) -> dict | None:
    """The new model's confidence threshold and the sweep behind it, chosen on ``rows`` as
    ``posteditor evaluate`` chooses one (from one pass of the model with its retranslation);
    None without rows."""
    from posteditor.pipeline import load_suggester
    from posteditor.learn.threshold import choose_threshold
    from posteditor.suggest.combine import suggest_all

    if not rows:
        return None
    mts, refs, sources = ([r.get(k) for r in rows] for k in ("mt", "pe", "src"))
    proposed = suggest_all(load_suggester(model_dir, use_memory=False), mts, sources)
    threshold, table = choose_threshold(mts, refs, sources, proposed)
    return {"threshold": threshold, "segments": len(rows), "table": table}


def editor_edits(model_dir: Path, rows: list[dict], learnt: set[str]) -> dict:
    """Every edit ``model_dir`` proposes in the corrections ``rows``, as the edit scorer sees it,
    whether the editor made it, and its segment: the labels a refit of the scorer learns from.

    Corrections the scorer has learnt from already (``learnt``: an earlier fine-tune's, which
    this model was trained on, so its edits there would be no test of it) are left out.
    """
    from posteditor.suggest import scorer
    from posteditor.suggest.combine import suggest_all
    from posteditor.model.corrector import Corrector

    corrector = Corrector(model_dir, rescore=False)
    new = [r for r in rows if scorer.segment_key(r["mt"], r.get("src")) not in learnt]
    skipped, rows = len(rows) - len(new), new
    mts, finals = [r["mt"] for r in rows], [r["pe"] for r in rows]
    sources = [r.get("src") if corrector.info.use_source else None for r in rows]  # as the scorer will see them
    x, y, segment = scorer.labelled(mts, finals, sources, suggest_all(corrector, mts, sources), corrector.piece_count)
    keys = [scorer.segment_key(rows[i]["mt"], rows[i].get("src")) for i in segment]
    return {"x": x.round(4).tolist(), "y": [int(v) for v in y], "k": keys, "segments": len(rows), "skipped": skipped}


def refittable(meta: dict) -> bool:
    """Whether the model's edit scorer keeps the edits it was fitted on (so it can learn more)
    and its threshold applies edits at all (a refit keeps it)."""
    from posteditor.learn.threshold import NOTHING
    from posteditor.suggest.scorer import keeps_data

    return keeps_data(meta.get("edit_scorer")) and float(meta.get("min_confidence") or 0) < NOTHING


def mt_ter(rows: list[dict]) -> float | None:
    """TER of leaving the MT as it is: what any correction has to beat."""
    from posteditor.core.metrics import score

    return round(score([r["mt"] for r in rows], [r["pe"] for r in rows])["ter"], 2) if rows else None


# --- the run ---------------------------------------------------------------------------


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


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
    dev, dev_from = dev_sample(cfg.dev_size, {r["mt"] for r in rows}, corpus)
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
        _write_jsonl(work / f"{name}.jsonl", data)
    signature = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]
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
    from accelerate import PartialState

    from posteditor.learn.train import TrainConfig, save_model, train

    cfg = FinetuneConfig(**plan["config"])
    base = Path(plan["base"]["path"])
    meta = model_meta(base)
    rows = _read_jsonl(work / "train.jsonl") + _read_jsonl(work / "replay.jsonl")
    if not meta.get("use_source", True):  # the model corrects without sources: train it so, at less cost
        rows = [dict(r, src=None) for r in rows]
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
    if PartialState().is_main_process:
        _log(f"fine-tuning {plan['base']['name']} on {len(rows)} pairs, {steps} steps"
             + ("; resuming from its last checkpoint" if resuming else ""))
    started = time.time()
    checkpoint = train(tcfg, rows, callbacks)
    out = work / "model"
    if PartialState().is_main_process:  # the first process of a distributed run saves
        shutil.rmtree(out, ignore_errors=True)
        keep = {k: v for k, v in meta.items() if k not in ("created", "base", "finetune", "metrics", "dev", "training")}
        save_model(checkpoint, out, {**keep, "training": {**(meta.get("training") or {}),
                                                           "finetune_seconds": round(time.time() - started)}})
    PartialState().wait_for_everyone()
    return out


def refit_scorer(meta: dict, labels: dict, weight: float) -> dict:
    """Refit the new model's edit scorer (``meta``, updated in place) with the editor's labels.

    The base model's threshold stays: the scorer's output is the probability that an edit is
    right, and the refit moves what counts as right towards what this editor does. (It learns
    from the base model's confidences and is applied to the new model's, which fine-tuning
    shifts a little; the gate judges the result.)
    """
    from posteditor.suggest import scorer

    base = meta.get("edit_scorer") or {}
    try:
        params = scorer.refit(base, labels["x"], labels["y"], weight, labels.get("k"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:  # a hand-edited posteditor.json
        _log(f"note: the base model's edit scorer data is unusable ({exc!r}); the new model keeps that scorer")
        params = None
    if params is not None:
        meta["edit_scorer"] = params
    return {"threshold": meta.get("min_confidence"), "segments": 0, "inherited": True,
            "scorer": {"fitted_before": len((base.get("data") or {}).get("y") or []), "editor_edits": len(labels["y"]),
                       "editor_right": int(sum(labels["y"])), "weight": weight, "refitted": params is not None,
                       "already_learnt": labels.get("skipped", 0)}}


def refit_retranslation(meta: dict, rows: list[dict], weight: float) -> dict | None:
    """Teach retranslation (``meta``, updated in place) from the training corrections given with
    a source Apertium translates: each says whether Apertium's translation is nearer the
    editor's version than the MT was. Corrections an earlier fine-tune learnt from are left
    out. A summary for the card, or None when there was nothing to learn from."""
    from posteditor.suggest import retranslate
    from posteditor.suggest.scorer import learnt_from, segment_key

    chains, base = retranslate.installed(), meta.get("retranslation")
    base = base if isinstance(base, dict) and isinstance(base.get("data", {}), dict) else None
    seen = learnt_from(base)
    todo = [r for r in rows if r.get("src") and segment_key(r["mt"], r["src"]) not in seen]
    if not chains or not todo:
        return None
    try:
        x, y, index, _, langs = retranslate.labelled([r["mt"] for r in todo], [r["pe"] for r in todo],
                                                     [r["src"] for r in todo], chains)
    except retranslate.FAILURES as exc:
        _log(f"note: Apertium failed ({exc}); retranslation left as it was")
        return None
    if not len(y):
        return None
    summary = {"translations": len(y), "closer": int(y.sum()), "weight": weight, "refitted": False,
               "fitted_before": base["translations"] if base and isinstance(base.get("translations"), int) else 0}
    try:
        params = retranslate.refit(base, x, y, weight, [segment_key(todo[i]["mt"], todo[i]["src"]) for i in index], langs)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a hand-edited posteditor.json
        _log(f"note: the base model's retranslation data is unusable ({exc!r}); retranslation left as it was")
        return summary | {"reason": "the base model's retranslation data is unusable"}
    if params is not None:
        meta["retranslation"] = params
    _log(f"retranslation: {len(y)} training corrections translated by Apertium, {int(y.sum())} closer to the editor's "
         f"version than the MT; " + ("refitted" if params else "too few to learn from, left as it was"))
    return summary | ({"refitted": True} if params is not None else {"reason": "too few to learn from"})


def gate(plan: dict, new: dict[str, float], tolerance: float) -> tuple[bool, list[str]]:
    """Phase 4: is the new model better on the held-out corrections and not worse on dev?"""
    base, reasons, passed = plan["base_scores"], [], True
    if "heldout" in new and "heldout" in base:
        better = new["heldout"] < base["heldout"]
        passed &= better
        reasons.append(f"held-out corrections: TER {base['heldout']:.2f} -> {new['heldout']:.2f} "
                       + ("(better)" if better else "(not better: refused)"))
    if "dev" in new and "dev" in base:
        ok = new["dev"] <= base["dev"] + tolerance
        passed &= ok
        reasons.append(f"base dev: TER {base['dev']:.2f} -> {new['dev']:.2f} "
                       + (f"(within {tolerance})" if ok else f"(worse by more than {tolerance}: refused)"))
    return passed, reasons


def finish(work: Path, name: str, plan: dict, trained_dir: Path, scorer: Scorer) -> tuple[bool, list[str]]:
    """Choose a threshold, score, gate, write card and metrics, move the version into place."""
    cfg = FinetuneConfig(**plan["config"])
    meta = ModelMeta.load(trained_dir).to_dict()
    cal_file, labels_file = work / "calibration.jsonl", work / "editor_edits.json"
    # Retranslation first: a threshold chosen below is chosen for the model as correct uses it.
    learnt = refit_retranslation(meta, _read_jsonl(work / "train.jsonl"), cfg.scorer_weight)
    ModelMeta(meta).write(trained_dir)
    if plan["data"].get("editor_edits") is not None:
        if not labels_file.is_file():
            raise InputError(f"{labels_file} is missing from the interrupted run; start a new one (another --out)")
        calibration = refit_scorer(meta, json.loads(labels_file.read_text(encoding="utf-8")), cfg.scorer_weight)
    else:  # a base scorer that cannot learn (or none): a threshold of its own, from half the held-out corrections
        calibration = own_threshold(trained_dir, _read_jsonl(cal_file) if cal_file.is_file() else []) or {
            "threshold": meta.get("min_confidence"), "segments": 0, "inherited": True}
    meta["min_confidence"] = calibration["threshold"]
    if learnt:
        calibration["retranslation"] = learnt
    ModelMeta(meta).write(trained_dir)  # the scorer reads it there
    _log(f"scoring the new model (threshold {calibration['threshold']}) ...")
    sets = {k: _read_jsonl(work / f"{k}.jsonl") for k in ("heldout", "dev")}
    new = scorer(trained_dir, sets)
    passed, reasons = gate(plan, new, cfg.tolerance)
    trained = {"steps": meta.pop("steps", None), "seconds": meta.pop("seconds", None)}
    scores = {k: {"base": plan["base_scores"].get(k), "new": new.get(k), "mt": plan["mt_scores"].get(k),
                  "segments": plan["data"][k]} for k in ("heldout", "dev") if k in new}
    meta.update({
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "base": plan["base"],
        "finetune": {"config": plan["config"], "data": plan["data"], **trained, "calibration": calibration,
                     "gate": {"passed": passed, "reasons": reasons, **scores}},
    })
    # The folder is not a version until the rename below publishes it whole.
    ModelMeta(meta).write(trained_dir)
    (trained_dir / "README.md").write_text(finetune_card(name, plan, passed, reasons, trained, calibration), encoding="utf-8")
    root = paths.models_dir()
    if (root / name).exists():
        raise InputError(f"{root / name} appeared meanwhile; the trained model is kept in {trained_dir}")
    os.replace(trained_dir, root / name)  # same filesystem: the version appears whole or not at all
    if passed:
        versions.use(name, root)
    shutil.rmtree(work, ignore_errors=True)
    return passed, reasons


def run(model: str | None = None, logs: Sequence[str] | None = None, parallel: tuple = (None, None, None),
        out: str | None = None, cfg: FinetuneConfig = FinetuneConfig(), scorer: Scorer | None = None,
        callbacks: Sequence = ()) -> tuple[str, bool, list[str]]:
    """Fine-tune, gate and store a new version; returns (name, made current, reasons).

    Under ``torchrun``/``accelerate launch`` every process runs this: the first (``RANK`` 0)
    prepares the data, the others wait for it, all train, and the first alone scores,
    gates and stores the result.
    """
    from filelock import FileLock, Timeout

    scorer = scorer or ter_scores
    root = paths.models_dir()
    main_process = int(os.environ.get("RANK", "0")) == 0
    if not out and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise InputError("give --out NAME when fine-tuning on several processes (they must agree on the name)")
    name = versions.check_name(out) if out else versions.new_name(root)
    if (root / name).exists():
        raise InputError(f"model version {name!r} already exists in {root}; choose another --out")
    work = root / versions.WORK / name
    if not main_process:
        while not (work / "plan.json").is_file():  # the launcher stops us if the first process fails
            time.sleep(1)
        return _train_and_finish(work, name, _load_plan(work), scorer, callbacks, main_process)
    work.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / versions.WORK / f"{name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise InputError(f"fine-tuning run {name!r} is already in progress") from None
    try:
        if (work / "plan.json").is_file():
            plan = _load_plan(work)
            _log(f"resuming fine-tuning run {name!r} with the data saved when it started "
                 f"({plan['data']['train']} corrections; newer corrections wait for the next run)")
        else:
            plan = prepare(work, _base(model), _logs(logs, parallel), parallel, cfg, scorer)
        return _train_and_finish(work, name, plan, scorer, callbacks, main_process)
    finally:
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
    if missing and not any(parallel):
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


def main(args) -> int:
    """``posteditor finetune``."""
    root = paths.models_dir()
    if not args.out and (left := versions.unfinished(root)):
        _log(f"note: interrupted run(s) {', '.join(left)} can be resumed with --out NAME; starting a new one")
    cfg = FinetuneConfig(epochs=args.epochs)
    name, passed, reasons = run(args.model, args.corrections or None, (args.mt, args.pe, getattr(args, "src", None)),
                                args.out, cfg)
    for reason in reasons:
        print(f"  {reason}")
    if reasons and passed:
        print(f"{name} is now the current model ({root / name}); `posteditor models rollback` goes back")
    elif reasons:
        print(f"{name} kept as a candidate, not made current ({root / name}); "
              f"`posteditor models use {name}` to use it anyway")
    return 0
