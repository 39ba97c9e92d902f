"""MLQE-PE: real post-edits of MT (train: training pairs; dev: the dev set)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from posteditor.core.metrics import detokenize
from posteditor.core.records import Pair
from posteditor.learn.corpus.pairs import _ARTIFACT, _lines


def mlqe_pairs(
    root: Path, split: str, langs: Sequence[str], max_hter: dict[str, float] | None = None, *,
    drop_artifacts: bool = False,
) -> list[Pair]:
    """Post-edits of ``root/mlqe-pe/{lang}/{split}.*``, detokenized.

    Drops pairs above ``max_hter[lang]`` and, with drop_artifacts, pairs holding "<unk>".
    """
    pairs = []
    for lang in langs:
        folder = Path(root) / "mlqe-pe" / lang
        src, mt, pe = (_lines(folder / f"{split}.{ext}") for ext in ("src", "mt", "pe"))
        hter_path = folder / f"{split}.hter"
        hter = [float(x) for x in _lines(hter_path)] if hter_path.is_file() else [0.0] * len(mt)
        if not len(src) == len(mt) == len(pe) == len(hter):
            raise ValueError(f"{folder}: {split} files differ in length")
        cap = (max_hter or {}).get(lang, 1e9)
        pairs += [
            Pair(detokenize(m), detokenize(p), detokenize(s, lang.split("-")[0]), f"mlqe:{lang}")
            for s, m, p, h in zip(src, mt, pe, hter)
            if h <= cap and not (drop_artifacts and _ARTIFACT.search(m + p))
        ]
    return pairs
