"""The shipped threshold harms no dev language and keeps precision first."""

import pytest

from posteditor.learn.calibrate import sweep
from posteditor.learn.threshold import choose
from posteditor.learn.card import render_card
from posteditor.core.edits import extract_edits
from posteditor.core.records import Pair
from posteditor.learn.threshold import NOTHING


def row(t, deltas, precision=0.8, applied=10):
    langs = {lang: {"delta_ter": d} for lang, d in deltas.items()}
    return {"threshold": t, "langs": langs, "precision": precision, "applied": applied}


@pytest.mark.parametrize(
    "table, expected",
    [
        ([row(0.5, {"ro": -2.0, "ru": 0.1}), row(0.9, {"ro": -1.0, "ru": 0.0})], 0.9),  # ru may not get worse
        ([row(0.5, {"ro": -2.0, "ru": -1.0}), row(0.9, {"ro": -1.0, "ru": 0.0})], 0.5),  # best mean gain
        ([row(0.5, {"ro": -2.0}, precision=0.4)], NOTHING),  # precision first
        ([row(0.5, {"ro": -1.0}), row(0.7, {"ro": -1.0})], 0.7),  # ties go to the higher threshold
        ([row(0.9, {"ro": 0.0}, precision=None, applied=0)], NOTHING),  # nothing applied
        ([row(0.9, {"ro": 0.0, "ru": 0.0})], NOTHING),  # right but no gain: nothing to apply for
        # evaluate's and finetune's sweeps are pooled (one delta_ter, no languages): the same rule
        ([{"threshold": 0.5, "delta_ter": -1.0, "precision": 0.8, "applied": 3},
          {"threshold": 0.7, "delta_ter": -0.5, "precision": 0.9, "applied": 2}], 0.5),
        ([{"threshold": 0.5, "delta_ter": -1.0, "precision": 0.5, "applied": 3}], NOTHING),
    ],
)
def test_choose(table, expected):
    """The one threshold rule of calibrate, evaluate and finetune."""
    assert choose(table) == expected


def test_sweep_scores_each_language_against_its_post_edits():
    rows = [
        Pair("People fled the world of Idlib.", "People fled the region of Idlib.", origin="mlqe:ro-en"),
        Pair("The vote was held on Sunday.", "The vote was held on Sunday.", origin="mlqe:ru-en"),
    ]
    good = [e for e in extract_edits(rows[0].mt, rows[0].pe)]
    good = [type(e)(e.start, e.end, e.replacement, 0.9) for e in good]
    bad = [type(e)(e.start, e.end, e.replacement, 0.4) for e in extract_edits(rows[1].mt, "The vote took place Sunday.")]
    table = sweep(rows, [good, bad])
    at = {r["threshold"]: r for r in table}
    assert at[0.4]["langs"]["ru-en"]["delta_ter"] > 0  # the low-confidence rewrite hurts ru-en
    assert at[0.9]["langs"]["ro-en"]["delta_ter"] < 0 and at[0.9]["langs"]["ru-en"]["delta_ter"] == 0
    assert choose(table) == 0.9  # every threshold in (0.4, 0.9] ties: the highest wins
    card = render_card({"min_confidence": choose(table), "dev": {"at_threshold": at[0.9], "segments": 2}}, "test")
    assert "| ro-en |" in card and "-" in card


def test_card_names_the_recipe_and_what_its_corpus_holds():
    meta = {"training": {"recipe": "corpora/mlqe.toml", "corpus_by_kind": {"copy": 12, "mlqe": 40},
                         "config": {"corpus": "corpora/build/mlqe"}}}
    card = render_card(meta, "test")
    assert "recipe `corpora/mlqe.toml`: unchanged sentences (12), MLQE-PE train post-edits (40)." in card
    assert "Apertium" not in card  # kinds the corpus does not hold are not claimed
