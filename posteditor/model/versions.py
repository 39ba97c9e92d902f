"""Model versions: folders under ``models/``, one of them current, switched atomically.

Every folder of ``models/`` holding an adapter (``paths.is_model``) is a version, with its card
(``README.md``) and metrics (``posteditor.json``) beside the weights. ``models/CURRENT``
names the current one (absent: ``default``; ``paths.default_model`` reads it), and
``models/HISTORY`` keeps the versions that were current before, one per line
(``<time>\\t<name>``), so ``rollback`` can go back. Switching writes a temporary file and
renames it over the old one, so a crash leaves either the old pointer or the new, never
half of one; versions themselves are never deleted here.

Nothing here imports torch: ``posteditor models list`` answers at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock

from posteditor.core.meta import ModelMeta, refits
from posteditor.core import paths
from posteditor.core.textio import InputError, atomic_write

DEFAULT = "default"
WORK = ".work"  # unfinished fine-tuning runs live in models/.work/<name>
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Version:
    """One model folder and what its ``posteditor.json`` says about it."""

    name: str
    path: Path
    meta: dict = field(default_factory=dict, compare=False)
    current: bool = False

    @property
    def created(self) -> str:
        """When the version was made (``created`` in its metadata, else the weights' time)."""
        if self.meta.get("created"):
            return str(self.meta["created"])[:16].replace("T", " ")
        weights = self.path / paths.WEIGHTS
        stamp = weights.stat().st_mtime if weights.exists() else self.path.stat().st_mtime
        return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")

    @property
    def base(self) -> str:
        base = self.meta.get("base")
        return str(base.get("name", "")) if isinstance(base, dict) else str(base or "")

    @property
    def candidate(self) -> bool:
        """A fine-tuned version the gate refused: kept, but never made current by itself."""
        gate = self.meta.get("finetune", {}).get("gate", {})
        return bool(gate) and not gate.get("passed", False)

    def metrics(self) -> str:
        """A short line of the version's metrics (TER is lower-is-better)."""
        ft = self.meta.get("finetune", {}).get("gate", {})
        parts = []
        for key, label in (("heldout", "held-out TER"), ("dev", "dev TER")):
            got = ft.get(key) or {}
            if "new" in got:
                parts.append(f"{label} {got['new']:.2f} (base {got['base']:.2f})")
        calibrated = (self.meta.get("dev") or {}).get("at_threshold") or {}
        if not parts and calibrated.get("langs"):  # a model from `posteditor train`: its dev sweep
            deltas = [lang["delta_ter"] for lang in calibrated["langs"].values()]
            # A mean of per-pair changes, not any one pair's figure (the card has those).
            parts.append(f"TER change vs MT on dev {sum(deltas) / len(deltas):+.2f} "
                         f"(mean over {len(deltas)} language pairs; per pair: the model card)")
            parts.append(f"threshold {calibrated.get('threshold')}")
            if calibrated.get("precision") is not None:
                parts.append(f"edit precision {calibrated['precision']:.2f}")
        learnt = (self.meta.get("edit_scorer") or {}).get("editor_edits")
        if learnt:
            parts.append(f"scorer learnt {learnt} editor's edits")
        words = ((self.meta.get("finetune") or {}).get("calibration") or {}).get("words_to_check") or {}
        adapted = [(name, s) for name, s in refits(words) if s.get("kept")]
        if adapted:  # (the held-out words' average precision, each reading the fine-tune refitted)
            parts.append("words to check: AP " + ", ".join(f"{name} {s['after']} (base {s['before']})" for name, s in adapted))
        if languages := ModelMeta(self.meta).languages:
            parts.append("words to check of their own: " + ", ".join(languages))
        return "; ".join(parts)


def check_name(name: str) -> str:
    """A version name is a plain folder name: letters, digits, ``.``, ``_``, ``-``."""
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise InputError(f"{name!r}: a model version name is letters, digits, '.', '_' and '-' (at most 64)")
    return name


def is_model(path: Path) -> bool:
    return paths.is_model(path)


def current_name(root: Path | None = None) -> str:
    """The current version's name, as ``paths.default_model`` resolves it."""
    root = root or paths.models_dir()
    pointer = root / "CURRENT"
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        if name and (root / name).is_dir():
            return name
    return DEFAULT


def versions(root: Path | None = None) -> list[Version]:
    """Every version folder under ``root``, oldest first."""
    root = root or paths.models_dir()
    if not root.is_dir():
        return []
    current = current_name(root)
    found = []
    for path in root.iterdir():
        if path.is_dir() and not path.name.startswith(".") and is_model(path):
            found.append(Version(path.name, path, _meta(path), path.name == current))
    return sorted(found, key=lambda v: (v.created, v.name))


def _meta(path: Path) -> dict:
    return ModelMeta.read(path).to_dict()


def history(root: Path | None = None) -> list[str]:
    """Names that were current before, oldest first."""
    path = (root or paths.models_dir()) / "HISTORY"
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[-1].strip() for line in lines if line.strip()]


def _lock(root: Path) -> FileLock:
    root.mkdir(parents=True, exist_ok=True)
    return FileLock(str(root / ".versions.lock"))


def _write_history(root: Path, names: list[str]) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    atomic_write(root / "HISTORY", "".join(f"{now}\t{n}\n" for n in names))


def _append_history(root: Path, name: str) -> None:
    path = root / "HISTORY"
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    atomic_write(path, f"{old}{now}\t{name}\n")


def use(name: str, root: Path | None = None) -> str:
    """Make ``name`` the current version; the one it replaces goes onto the history."""
    root = root or paths.models_dir()
    check_name(name)
    if not is_model(root / name):
        known = ", ".join(v.name for v in versions(root)) or "none"
        raise InputError(f"no model version {name!r} under {root} (versions: {known})")
    with _lock(root):
        previous = current_name(root)
        if previous == name:
            return previous
        _append_history(root, previous)
        atomic_write(root / "CURRENT", name + "\n")
    return previous


def rollback(root: Path | None = None) -> tuple[str, str]:
    """Go back to the version that was current before; returns (from, to).

    The history is a stack: rolling back pops it (and skips versions deleted since), so
    two rollbacks go two steps back rather than toggling.
    """
    root = root or paths.models_dir()
    with _lock(root):
        names = history(root)
        now = current_name(root)
        while names:
            name = names.pop()
            if name != now and is_model(root / name):
                _write_history(root, names)
                atomic_write(root / "CURRENT", name + "\n")
                return now, name
        raise InputError("no previous model version to roll back to")


def new_name(root: Path | None = None, now: datetime | None = None) -> str:
    """A fresh version name, ``ft-YYYYMMDD-HHMM`` (with ``-2``, ``-3``... if taken)."""
    root = root or paths.models_dir()
    base = f"ft-{(now or datetime.now()).strftime('%Y%m%d-%H%M')}"
    name, n = base, 1
    while (root / name).exists() or (root / WORK / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def unfinished(root: Path | None = None) -> list[str]:
    """Fine-tuning runs that were interrupted (resume them with ``--out NAME``)."""
    root = root or paths.models_dir()
    work = root / WORK
    if not work.is_dir():
        return []
    return sorted(p.name for p in work.iterdir() if (p / "plan.json").is_file() and not (root / p.name).exists())
