"""Fine-tuning, phase 4: choose the threshold, score, gate, and publish the new version."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from posteditor.core import paths
from posteditor.core.meta import ModelMeta, refits
from posteditor.core.records import read_pairs
from posteditor.core.textio import InputError
from posteditor.learn.card import finetune_card
from posteditor.learn.finetune.config import FinetuneConfig, Scorer, _log
from posteditor.learn.finetune.refit import refit_doubts, refit_retranslation, refit_scorer
from posteditor.learn.finetune.score import own_threshold
from posteditor.model import versions


def gate(plan: dict, new: dict[str, float], tolerance: float, words: dict | None = None) -> tuple[bool, list[str]]:
    """Phase 4: is the new model better on the held-out corrections and not worse on dev? Its
    words to check count too (``words``, ``refit.refit_doubts``'s summary): TER no worse on the
    held-out corrections passes when the refitted probe ranks their changed words better than
    the inherited one, judged on at least ``MIN_FLAGGED`` of them."""
    from posteditor.learn.doubts import MIN_FLAGGED

    base, reasons, passed = plan["base_scores"], [], True
    if "heldout" in new and "heldout" in base:
        ranked = [(name, s) for name, s in refits(words)
                  if s.get("kept") and s["after"] > s["before"] and s["heldout_changed"] >= MIN_FLAGGED]
        better = new["heldout"] < base["heldout"] or (new["heldout"] == base["heldout"] and bool(ranked))
        passed &= better
        reasons.append(f"held-out corrections: TER {base['heldout']:.2f} -> {new['heldout']:.2f} " + (
            "(better)" if new["heldout"] < base["heldout"] else
            "(no worse, and its words to check rank their changed words better than the inherited probe: average precision "
            + ", ".join(f"{name} {s['before']} -> {s['after']}" for name, s in ranked) + ")" if better else "(not better: refused)"))
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
    train_rows = read_pairs(work / "train.jsonl")
    learnt = refit_retranslation(meta, train_rows, cfg.scorer_weight, plan["data"].get("taken_back", ()))
    ModelMeta(meta).write(trained_dir)
    # The words to check, read by the new model (from its folder as written above).
    words = refit_doubts(meta, trained_dir, train_rows,  # (judged on every correction it was not trained on)
                         read_pairs(work / "heldout.jsonl") + (read_pairs(cal_file) if cal_file.is_file() else []))
    if plan["data"].get("editor_edits") is not None:
        if not labels_file.is_file():
            raise InputError(f"{labels_file} is missing from the interrupted run; start a new one (another --out)")
        calibration = refit_scorer(meta, json.loads(labels_file.read_text(encoding="utf-8")), cfg.scorer_weight)
    else:  # a base scorer that cannot learn (or none): a threshold of its own, from half the held-out corrections
        calibration = own_threshold(trained_dir, read_pairs(cal_file) if cal_file.is_file() else []) or {
            "threshold": meta.get("min_confidence"), "segments": 0, "inherited": True}
        if not calibration.get("inherited") and not any(row["applied"] for row in calibration["table"]):
            # Nothing the new model proposes there is applied at any threshold: no evidence either
            # way (NOTHING would only say so), so it keeps the base's and the gate judges that.
            calibration |= {"threshold": meta.get("min_confidence"), "inherited": True, "nothing_applied": True}
    meta["min_confidence"] = calibration["threshold"]
    if learnt:
        calibration["retranslation"] = learnt
    if words:
        calibration["words_to_check"] = words
    ModelMeta(meta).write(trained_dir)  # the scorer reads it there
    _log(f"scoring the new model (threshold {calibration['threshold']}) ...")
    sets = {k: read_pairs(work / f"{k}.jsonl") for k in ("heldout", "dev")}
    new = scorer(trained_dir, sets)
    passed, reasons = gate(plan, new, cfg.tolerance, words)
    training = meta.get("training") or {}  # this run's steps and training time (train.save_model)
    trained = {"steps": training.get("steps"), "seconds": training.get("seconds")}
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
