"""Where posteditor keeps its models and the corrections log, overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = "adapter_model.safetensors"
"""What a model folder's weights are: posteditor's LoRA adapter on the base LM (``posteditor.model.lm``)."""


def is_model(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a model folder (the adapter, its config and ``posteditor.json``)."""
    path = Path(path)
    return (path / WEIGHTS).is_file() and (path / "adapter_config.json").is_file()


def in_project(path: str | os.PathLike) -> str:
    """``path`` relative to the project when it lies inside it (as model cards and
    posteditor.json record paths), else as given."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def models_dir() -> Path:
    """The folder of model versions (``POSTEDITOR_MODELS`` overrides ``models/``)."""
    return Path(os.environ.get("POSTEDITOR_MODELS", PROJECT_ROOT / "models"))


def default_model() -> Path:
    """The current model: ``models/current`` when versions exist, else ``models/default``."""
    root = models_dir()
    pointer = root / "CURRENT"
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        if name and (root / name).is_dir():
            return root / name
    return root / "default"


def corrections_log() -> Path:
    """The corrections log (``POSTEDITOR_CORRECTIONS`` overrides ``corpora/corrections.jsonl``)."""
    return Path(os.environ.get("POSTEDITOR_CORRECTIONS", PROJECT_ROOT / "corpora" / "corrections.jsonl"))


def data_root() -> Path:
    """The shared training data (``POSTEDITOR_DATA`` overrides ``../shared/data``)."""
    return Path(os.environ.get("POSTEDITOR_DATA", PROJECT_ROOT.parent / "shared" / "data"))
