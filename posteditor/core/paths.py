"""Where posteditor keeps its models and the corrections log, overridable by environment."""

from __future__ import annotations

import hashlib
import json
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


def model_signature(model_dir: str | os.PathLike | None = None) -> str | None:
    """Which model (folder and weights) suggestions come from; None when there is none.

    The editor's journal keeps it, so suggestions cached from another model (say before a
    fine-tune became current, or before its edit scorer was refitted, which changes every
    confidence) are asked for again rather than shown as the current model's.
    """
    folder = Path(model_dir) if model_dir else default_model()
    try:
        weights = (folder / WEIGHTS).stat()
    except OSError:
        return None
    scorer = json.dumps(model_meta(folder).get("edit_scorer"), sort_keys=True)
    return f"{folder.resolve()}:{weights.st_size}:{weights.st_mtime_ns}:{hashlib.sha256(scorer.encode()).hexdigest()[:12]}"


def model_meta(model_dir: str | os.PathLike | None = None) -> dict:
    """A model's ``posteditor.json`` (threshold, input limits, training record) without loading it.

    ``{}`` when the folder has none or it cannot be read: loading the model reports that.
    """
    meta = (Path(model_dir) if model_dir else default_model()) / "posteditor.json"
    try:
        found = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def corrections_log() -> Path:
    """The corrections log (``POSTEDITOR_CORRECTIONS`` overrides ``corpora/corrections.jsonl``)."""
    return Path(os.environ.get("POSTEDITOR_CORRECTIONS", PROJECT_ROOT / "corpora" / "corrections.jsonl"))


def data_root() -> Path:
    """The shared training data (``POSTEDITOR_DATA`` overrides ``../shared/data``)."""
    return Path(os.environ.get("POSTEDITOR_DATA", PROJECT_ROOT.parent / "shared" / "data"))
