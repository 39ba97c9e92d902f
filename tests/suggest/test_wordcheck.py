"""The word check: Apertium's word where it differs from the MT's, judged by a language model."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from posteditor.core.edits import apply_edits
from posteditor.suggest import retranslate as rt
from posteditor.suggest import wordcheck as wc
from posteditor.suggest.base import Item
from posteditor.suggest.combine import merge

CHAINS = {"ro": ("ro-es", "spa-eng")}
ROMANIAN = "Castelul din Bran este vizitat de mulți turiști în fiecare an."
APERTIUM = "The castle of **Bran is visited of a lot of tourists every year."
MT = "The beaver of Bran is visited by many tourists every year."
GOOD_MT = "The castle of Bran is visited by many tourists every year."


def fake_run(table: dict[str, str]):
    calls = []

    def run(sources, chain):
        calls.append(tuple(sources))
        return [table.get(s, " ".join("*" + w for w in s.split())) for s in sources]

    run.calls = calls
    return run


def fake_log_probs(texts):
    """A language model that knows castles are visited and beavers are not."""
    return [-40.0 + 12.0 * ("castle" in t) - 9.0 * ("beaver" in t) for t in texts]


def params(**extra) -> dict:
    """A fitted check that believes the sentence's gain and little else."""
    return {"features": list(wc.FEATURES), "mean": [0.0, 0.7, 0.3, 0.1, 0.5, 0.4], "scale": [5.0, 0.4, 0.3, 0.3, 0.5, 0.2],
            "coef": [3.0, 0.0, 0.0, 0.0, 0.0, 0.0], "intercept": -2.0} | extra


def test_candidates_are_single_content_words_apertium_knew():
    found = wc.candidates(MT, APERTIUM)
    assert [e.inserted.strip() for e in found] == ["castle"] and found[0].category == wc.CATEGORY
    assert apply_edits(MT, found) == GOOD_MT
    # Function words, words Apertium did not know, forms of one word and longer rewordings are not candidates.
    assert wc.candidates("He saw the ships in a harbour.", "She saw the ship in the *port.") == []
    assert wc.candidates("The greatest writers came.", "The greatness writers came.") == []
    assert wc.candidates("It rained all day long.", "It rained the whole day.") == []
    assert wc.candidates(GOOD_MT, APERTIUM) == []
    # A word Apertium did not know is no candidate; one it knew is, even beside an unknown one it starts.
    assert wc.candidates("He saw the harbour there.", "He saw the *port there.") == []
    [fox] = wc.candidates("He saw the dog in the park.", "He saw the fox in the *foxpark.")
    assert fox.inserted.strip() == "fox"


def test_candidates_keep_the_mt_s_spacing_and_case():
    fixed = {mt: apply_edits(mt, wc.candidates(mt, APERTIUM)) for mt in (
        "The beaver\nof Bran is visited by many tourists every year.",  # a line break (a subtitle's)
        "the beaver of Bran is visited by many tourists every year.",  # case differs beside the word
        "The beaver of Bran is visited by many tourists every year.  \n",  # trailing whitespace
        "THE BEAVER OF BRAN is visited by many tourists every year.")}
    assert list(fixed.values()) == ["The castle\nof Bran is visited by many tourists every year.",
                                    "the castle of Bran is visited by many tourists every year.",
                                    "The castle of Bran is visited by many tourists every year.  \n",
                                    "THE Castle OF BRAN is visited by many tourists every year."]
    # Apertium capitalises its first word; the MT's word inside a sentence stays lower case.
    # A word that starts the MT but not the translation is no candidate and joins nothing.
    mt = "Copper was mined here."
    assert [apply_edits(mt, [e]) for e in wc.candidates(mt, "The copper was extracted here.")] == [
        "Copper was extracted here."]
    [edit] = wc.candidates("beaver is visited.", "Castle is visited.")
    assert edit.replacement == ("castle",)
    [edit] = wc.candidates("The visitors robbed Rome.", "The Visigoths robbed Rome.")  # a name stays one
    assert edit.replacement == (" Visigoths",)


def test_the_check_proposes_apertiums_word_where_the_sentence_gains():
    run = fake_run({ROMANIAN: APERTIUM})
    check = wc.WordCheck(params(), fake_log_probs, lambda w: 1, CHAINS, run)
    bad, good, no_source = check.suggest([Item(MT, ROMANIAN), Item(GOOD_MT, ROMANIAN), Item(MT)])
    assert len(bad) == 1 and bad[0].category == wc.CATEGORY and bad[0].confidence > 0.9
    assert apply_edits(MT, bad) == GOOD_MT
    assert good == [] and no_source == []
    assert run.calls == [(ROMANIAN, ROMANIAN)]  # one batch, only the segments with a source
    # Where Apertium's word makes the sentence less probable, it is not worth showing.
    doubting = wc.WordCheck(params(coef=[-3.0, 0, 0, 0, 0, 0]), fake_log_probs, lambda w: 1, CHAINS, run)
    assert doubting.suggest([Item(MT, ROMANIAN)]) == [[]]


def test_features_see_names_rarity_and_spelling():
    [edit] = wc.candidates(MT, APERTIUM)
    gain, old, new, name, count, spelling = wc.features(MT, edit, 99.0, 2, lambda w: len(w))
    assert gain == wc.MAX_GAIN and old == pytest.approx(np.log(6)) and new == pytest.approx(np.log(6))
    assert name == 0.0 and count == pytest.approx(np.log(2)) and 0 < spelling < 1
    assert wc.features(MT, edit, float("nan"), 1, len)[0] == -wc.MAX_GAIN  # a broken score is no evidence
    [edit] = wc.candidates("Then Beaver visited Bran.", "Then Castle visited Bran.")
    assert wc.features("Then Beaver visited Bran.", edit, 1.0, 1, len)[3] == 1.0
    [edit] = wc.candidates("Beaver visited Bran.", "Castle visited Bran.")
    assert wc.features("Beaver visited Bran.", edit, 1.0, 1, len)[3] == 0.0  # the sentence's first word


def test_sources_no_chain_translates_and_a_missing_apertium_give_nothing():
    check = wc.WordCheck(params(), fake_log_probs, len, CHAINS, fake_run({}))
    assert check.suggest([Item(MT, "Kesklinna sild suletakse kaheks nädalaks.")]) == [[]]
    assert wc.WordCheck(params(), fake_log_probs, len, chains={}).suggest([Item(MT, ROMANIAN)]) == [[]]


@pytest.mark.parametrize("error", [OSError("apertium: mode not found"), subprocess.TimeoutExpired("apertium", 60)])
def test_a_failing_apertium_is_reported_once_not_raised(capsys, error):
    def broken(sources, chain):
        raise error

    check = wc.WordCheck(params(), fake_log_probs, len, CHAINS, broken)
    assert check.suggest([Item(MT, ROMANIAN)]) == [[]] and check.suggest([Item(MT, ROMANIAN)]) == [[]]
    assert capsys.readouterr().err.count("Apertium failed") == 1


@pytest.mark.parametrize("bad", [{"coef": [1.0]}, {"scale": [5.0, 0.0, 0.3, 0.3, 0.5, 0.2]},
                                 {"intercept": float("nan")}, {"features": ["gain"]}])
def test_unusable_params_are_refused_and_leave_the_pipeline_without_it(bad, capsys):
    from types import SimpleNamespace

    from posteditor.pipeline import load_word_check

    with pytest.raises(ValueError):
        wc.WordCheck(params(**bad), fake_log_probs, len, CHAINS)
    model = SimpleNamespace(meta={"word_check": params(**bad)}, sentence_log_probs=fake_log_probs, piece_count=len)
    assert load_word_check(model) is None
    assert "word check settings are unusable" in capsys.readouterr().err
    assert load_word_check(SimpleNamespace(meta={})) is None


def test_only_the_chains_it_was_fitted_for_are_used():
    chains = CHAINS | {"is": ("isl-eng",)}
    assert wc.WordCheck(params(chains=["ro"]), fake_log_probs, len, chains).chains == CHAINS
    assert wc.WordCheck(params(), fake_log_probs, len, chains).chains == chains
    with pytest.raises(ValueError):
        wc.WordCheck(params(chains="ro"), fake_log_probs, len, chains)
    # Retranslation keeps to its own chains: Icelandic is the word check's alone.
    assert "is" in wc.CHAINS and "is" not in rt.CHAINS


def test_the_more_confident_of_a_word_edit_and_a_retranslation_stays_alone():
    check = wc.WordCheck(params(coef=[0.8, 0, 0, 0, 0, 0]), fake_log_probs, len, CHAINS, fake_run({ROMANIAN: APERTIUM}))
    [[word]] = check.suggest([Item(MT, ROMANIAN)])
    assert 0.5 < word.confidence < 0.9
    sure, unsure = (rt.whole_edit(MT, APERTIUM.replace("**", ""), p) for p in (0.9, 0.3))
    assert merge([word], [sure]) == [sure] and merge([word], [unsure]) == [word]


def _labelled_pairs(n: int):
    """n segments, each with one candidate: right (the post-edit took it) where the language
    model gains from it, wrong where it does not."""
    mts, pes, srcs, table = [], [], [], {}
    for k in range(n):
        right = k % 2 == 0
        src = f"Castelul {k} din Bran."
        mt = f"The beaver {k} of Bran." if right else f"The fortress {k} of Bran."
        table[src] = f"The castle {k} of Bran." if right else f"The beaver {k} of Bran."
        mts.append(mt)
        pes.append(f"The castle {k} of Bran." if right else mt)
        srcs.append(src)
    return mts, pes, srcs, fake_run(table)


def test_fit_learns_that_a_gain_means_a_right_candidate():
    mts, pes, srcs, run = _labelled_pairs(40)
    x, y, index, langs = wc.labelled(mts, pes, srcs, fake_log_probs, len, CHAINS, run)
    assert x.shape == (40, len(wc.FEATURES)) and y.sum() == 20 and langs == {"ro"}
    assert [i for i, _ in index] == list(range(40))
    fitted = wc.fit(x, y, langs, fitted_on="test")
    assert fitted["chains"] == ["ro"] and fitted["right"] == 20 and fitted["fitted_on"] == "test"
    check = wc.WordCheck(fitted, fake_log_probs, len, CHAINS, run)
    right, wrong = check.suggest([Item(mts[0], srcs[0]), Item(mts[1], srcs[1])])
    assert right and right[0].confidence > 0.8 and apply_edits(mts[0], right) == pes[0]
    assert wrong == []  # less probable than the MT: below MIN_PROBABILITY
    assert wc.fit(x[:12], y[:12], langs) is None  # 6 right: too few to fit on


@pytest.mark.skipif("ro" not in wc.installed(), reason="Apertium's Romanian-Spanish-English chain is not installed")
def test_with_apertium_the_castle_of_bran_is_found():
    check = wc.WordCheck(params(), fake_log_probs, len)
    [edits] = check.suggest([Item(MT, ROMANIAN)])
    assert apply_edits(MT, edits) == GOOD_MT
