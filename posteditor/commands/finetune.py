"""``posteditor finetune``: learn from the editor's corrections, behind a gate (``learn.finetune``)."""

from __future__ import annotations

from posteditor.core import paths
from posteditor.learn.finetune.config import FinetuneConfig, _log
from posteditor.learn.finetune.run import run
from posteditor.model import versions


def main(args) -> int:
    """``posteditor finetune``."""
    root = paths.models_dir()
    if not args.out and (left := versions.unfinished(root)):
        _log(f"note: interrupted run(s) {', '.join(left)} can be resumed with --out NAME; starting a new one")
    cfg = FinetuneConfig(epochs=args.epochs)
    parallel = (args.mt, args.pe, getattr(args, "src", None), getattr(args, "source_language", None))
    name, passed, reasons = run(args.model, args.corrections or None, parallel, args.out, cfg)
    for reason in reasons:
        print(f"  {reason}")
    if reasons and passed:
        print(f"{name} is now the current model ({root / name}); `posteditor models rollback` goes back")
    elif reasons:
        print(f"{name} kept as a candidate, not made current ({root / name}); "
              f"`posteditor models use {name}` to use it anyway")
    return 0
