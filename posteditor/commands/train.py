"""``posteditor train``: build the corpus from its recipe, train, calibrate, write the card."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from posteditor.core.meta import ModelMeta
from posteditor.core.paths import PROJECT_ROOT, in_project
from posteditor.core.meta import model_meta
from posteditor.core.textio import InputError

BUILD = PROJECT_ROOT / "corpora" / "build"


def _check(recipe: Path, data: Path) -> None:
    if not recipe.is_file():
        raise InputError(f"{recipe}: no such recipe")
    if not data.is_dir():
        raise InputError(f"{data}: data folder not found (give --data)")


def build(args: argparse.Namespace) -> int:
    """``posteditor corpus``: build (or rebuild from cache) a recipe's corpus."""
    from posteditor.learn.corpus import recipe as corpus

    recipe, data = Path(args.recipe), Path(args.data)
    _check(recipe, data)
    corpus.main(data, recipe, Path(args.out) if args.out else BUILD / recipe.stem)
    return 0


def main(args: argparse.Namespace) -> int:
    """``posteditor train``: corpus, adapter training (resumable), model folder, calibration, card."""
    import time

    from posteditor.learn.corpus import recipe as corpus
    from posteditor.core import paths
    from posteditor.learn.calibrate import calibrate
    from posteditor.learn.card import write_card
    from posteditor.learn.train import TrainConfig, corpus_kinds, corpus_signature, save_model, train

    recipe, data = Path(args.recipe), Path(args.data)
    _check(recipe, data)
    out = Path(args.out) if args.out else paths.models_dir() / time.strftime("lm-%Y%m%d-%H%M")
    if out.resolve() == (paths.models_dir() / "default").resolve() or (out.exists() and any(out.iterdir())):
        raise InputError(f"{out}: exists; train writes a new model folder (give --out NEW), never over a model in place")
    if args.init and not paths.is_model(args.init):
        raise InputError(f"{args.init}: not a posteditor model (adapter_model.safetensors expected)")
    built = Path(args.corpus) if args.corpus else BUILD / recipe.stem
    if not (built / "train.jsonl").is_file():
        print(f"building corpus {built} from {recipe}", file=sys.stderr)
        corpus.main(data, recipe, built)
    cfg = TrainConfig(corpus=str(built), work=args.work, init=args.init, threads=args.threads)
    overrides = {"max_steps": args.max_steps, "max_minutes": args.max_minutes, "batch_size": args.batch_size,
                 "learning_rate": args.learning_rate}
    cfg = replace(cfg, **{k: v for k, v in overrides.items() if v})
    started = time.time()
    checkpoint = train(cfg)
    save_model(checkpoint, out, {"training": {
        "command": "posteditor train " + " ".join(sys.argv[2:]), "recipe": in_project(recipe),
        "corpus_signature": corpus_signature(built), "corpus_by_kind": corpus_kinds(built),
        "seconds_this_run": round(time.time() - started)}})
    calibrate(out, built / "dev.jsonl", args.dev_limit)
    write_card(out)
    print(f"model written to {out}", file=sys.stderr)
    return 0


def recalibrate(args: argparse.Namespace) -> int:
    """``posteditor calibrate``: fit the edit scorer and choose the threshold of a trained model again."""
    from posteditor.core import paths
    from posteditor.learn.calibrate import calibrate
    from posteditor.learn.card import write_card
    from posteditor.learn.finetune.data import corpus_dev

    model = Path(args.model) if args.model else paths.default_model()
    if not paths.is_model(model):
        raise InputError(f"{model}: not a posteditor model (adapter_model.safetensors expected)")
    if args.dev:
        dev = Path(args.dev)
    else:
        dev = corpus_dev(model_meta(model), lambda line: print(line, file=sys.stderr)) or Path(
            "(the model's posteditor.json names no corpus)")
    if not dev.is_file():
        raise InputError(f"{dev}: no dev set (give --dev, a JSON-lines file of mt, pe, src and origin)")
    calibrate(model, dev, args.limit)
    write_card(model)
    print(f"{model}: threshold {model_meta(model).get('min_confidence')}; card rewritten", file=sys.stderr)
    return 0


def record_command(model_dir: Path, command: str, recipe: Path | None = None) -> None:
    """Note in posteditor.json the command that trained the model and its recipe, for its card."""
    meta = ModelMeta.load(model_dir).to_dict()
    meta.setdefault("training", {})["command"] = command
    if recipe is not None:
        meta["training"]["recipe"] = in_project(recipe)
    ModelMeta(meta).write(model_dir)
