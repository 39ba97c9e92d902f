"""A fine-tuning run's settings, and what scores a model on sets of corrections."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from posteditor.core.records import Pair

Scorer = Callable[[Path, dict[str, list[Pair]]], dict[str, float]]
"""TER per set (``heldout``, ``dev``) of a model folder: ``score.ter_scores`` unless a test gives another."""



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
