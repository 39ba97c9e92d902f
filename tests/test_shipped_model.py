"""Smoke test: the model the project ships loads, and corrects a sentence sensibly."""

from __future__ import annotations

import pytest

from posteditor import paths
from posteditor.edits import apply_edits, tokenize

SHIPPED = paths.default_model()

pytestmark = pytest.mark.skipif(
    not (SHIPPED / "model.safetensors").is_file(), reason=f"no shipped model in {SHIPPED} yet"
)


def test_shipped_model_loads_and_corrects_a_sentence():
    from posteditor.correct import load_suggester, threshold_of
    from posteditor.suggest import Item

    corrector = load_suggester(SHIPPED, use_memory=False)
    assert 0.0 <= threshold_of(corrector) <= 1.01
    mt = "More than 235,000 people have fled the world of Idlib since the beginning of the month."
    (edits,) = corrector.suggest([Item(mt)])
    size = len(tokenize(mt))
    assert all(0 <= e.start <= e.end <= size and 0.0 <= e.confidence <= 1.0 for e in edits)
    corrected = apply_edits(mt, edits)
    # A correction, not a rewrite: most words survive and the sentence keeps its numbers.
    assert "235,000" in corrected and "Idlib" in corrected
    assert len(corrected.split()) >= len(mt.split()) // 2


def test_shipped_model_leaves_clean_english_mostly_alone():
    from posteditor.correct import load_suggester, threshold_of
    from posteditor.suggest import Item

    corrector = load_suggester(SHIPPED, use_memory=False)
    clean = "The United Nations said on Tuesday that the camps near the border were already full."
    (edits,) = corrector.suggest([Item(clean)])
    confident = [e for e in edits if e.confidence >= threshold_of(corrector)]
    assert len(confident) <= 2
