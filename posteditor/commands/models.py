"""``posteditor models list|use NAME|rollback``: the model versions (``model.versions``)."""

from __future__ import annotations

from posteditor.core import paths
from posteditor.core.textio import InputError
from posteditor.model import versions
from posteditor.model.versions import Version


def format_table(found: list[Version]) -> str:
    rows = [("", "NAME", "CREATED", "BASE", "METRICS")]
    for v in found:
        mark = "*" if v.current else ""
        rows.append((mark, v.name + (" (candidate)" if v.candidate else ""), v.created, v.base or "-", v.metrics() or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths)) + "  " + r[4] for r in rows
    )


def main(args) -> int:
    """``posteditor models list|use NAME|rollback``."""
    root = paths.models_dir()
    if args.models_command == "list":
        found = versions.versions(root)
        if not found:
            print(f"no model versions under {root}")
            return 0
        print(format_table(found))
        if versions.current_name(root) not in {v.name for v in found}:
            print(f"(the current model {versions.current_name(root)!r} is missing)")
        for name in versions.unfinished(root):
            print(f"(interrupted fine-tuning run {name!r}: resume with `posteditor finetune --out {name}`)")
        return 0
    if args.models_command == "use":
        previous = versions.use(args.name, root)
        print(f"current model: {args.name} (was {previous})" if previous != args.name else f"{args.name} is already current")
        return 0
    if args.models_command == "rollback":
        old, new = versions.rollback(root)
        print(f"current model: {new} (was {old})")
        return 0
    raise InputError(f"unknown models action {args.models_command!r}")
