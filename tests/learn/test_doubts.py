"""Words to check: which MT words post-editors changed, and the bar chosen on dev."""

from __future__ import annotations

import json

from posteditor.core.edits import Doubt, tokenize
from posteditor.core.meta import ModelMeta
from posteditor.core.records import Pair
from posteditor.learn import doubts


def test_changed_words_are_the_mt_tokens_outside_the_matching_blocks():
    mt = "People fled the world of Idlib, the Army said."
    pe = "People fled the region of Idlib, the army said."
    tokens = tokenize(mt)
    assert sorted(tokens[i].strip() for i in doubts.changed_words(mt, pe)) == ["world"]  # case folded: "Army" kept
    assert doubts.changed_words(mt, mt) == set()


def rows_and_doubts(lang: str, right: int, wrong: int, keep: float):
    """``right`` segments where the doubted word was changed, ``wrong`` where it was not."""
    rows, found = [], []
    for n in range(right + wrong):
        mt = "The world is big."
        rows.append(Pair(mt, "The region is big." if n < right else mt, origin=f"mlqe:{lang}"))
        found.append([Doubt(1, keep), Doubt(3, 0.9)])
    return rows, found


def test_the_bar_is_the_largest_precise_enough_in_every_language():
    ro, ro_doubts = rows_and_doubts("ro-en", 30, 10, 0.08)  # 0.75 changed below 0.1
    et, et_doubts = rows_and_doubts("et-en", 15, 15, 0.25)  # 0.5 changed below 0.3
    t = doubts.table(ro + et, ro_doubts + et_doubts)
    at = {b["below"]: b for b in t["all"]["bars"]}
    assert t["all"]["words"] == 140 and at[0.1]["flagged"] == 40 and at[0.1]["changed"] == 0.75
    assert doubts.choose([t]) == 0.2  # 0.3 flags et-en's words, half of them right: not kept
    few = doubts.table(ro[:5], ro_doubts[:5])
    assert doubts.choose([few]) is None  # too few flagged to say


def test_fitting_writes_the_bar_into_the_model_record(flagging_model, tmp_path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(flagging_model, model)
    dev = tmp_path / "dev.jsonl"
    pairs = [{"mt": "The family fled the world of Idlib.", "pe": "The family fled the region of Idlib.",
              "origin": "mlqe:ro-en"}] * 3
    dev.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    assert doubts.main(["--model", str(model), "--dev", str(dev), "--limit", "2"]) == 0
    record = ModelMeta.read(model)["words_to_check"]
    assert record["segments"] == 2 and record["without_source"]["ro-en"]["words"] == 14
    assert record["below"] is None and ModelMeta.read(model).check_below is None  # 2 segments say little
    assert doubts.main(["--model", str(tmp_path / "nowhere"), "--dev", str(dev)]) == 2
    for bad in ("", "not json\n", '{"mt": "no post-edit"}\n'):
        dev.write_text(bad, encoding="utf-8")
        assert doubts.main(["--model", str(model), "--dev", str(dev)]) == 2
    assert doubts.choose([{}]) is None


def test_a_hand_edited_bar_is_no_bar():
    for record in ({"words_to_check": 0.15}, {"words_to_check": {"below": "x"}}, {"words_to_check": {"below": 7}}, {}):
        assert ModelMeta(record).check_below is None
    assert ModelMeta({"words_to_check": {"below": 0.15}}).check_below == 0.15


def test_the_probe_is_measured_out_of_fold_and_kept_only_where_it_ranks_better():
    import numpy as np

    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 3))
    y = (x[:, 1] + 0.3 * rng.normal(size=600) > 0.5).astype(int)  # feature 1 tells changed words
    groups = np.arange(600) // 6
    keep, own = doubts.out_of_fold(x, y, groups)
    assert keep.shape == (600,) and ((0 < keep) & (keep < 1)).all() and own == {}
    assert doubts.average_precision(y, keep) > 0.9 > doubts.average_precision(y, rng.random(600))
    assert doubts.out_of_fold(x, np.zeros(600, dtype=int), groups) is None  # nothing changed: nothing to learn
    assert doubts.out_of_fold(x[:12], y[:12], groups[:12]) is None  # 2 segments: too few folds


def test_fitting_on_the_tiny_model_records_its_ranking_and_what_it_chose(flagging_model, tmp_path):
    import shutil

    from posteditor.model.corrector import Corrector

    model = tmp_path / "model"
    shutil.copytree(flagging_model, model)
    words = "world region country countryside action share land area town city".split()
    rows = [Pair(f"The {a} and the {b} were seen.", f"The {a} and the {c} were seen.", "src", "mlqe:ro-en")
            for a in words for b, c in zip(words, reversed(words))]
    corrector = Corrector(model)
    fitted = doubts.fit(corrector, rows)
    assert fitted["segments"] == 100 and set(fitted["ranking"]) == {"measure", "without_source", "with_source"}
    probe_won = all(r["probe"] >= r["copy"] for name, r in fitted["ranking"].items() if name != "measure")
    assert (fitted["detector"] is not None) == probe_won
    if probe_won:
        assert fitted["detector"]["layer"] == 2 and len(fitted["detector"]["without_source"]["coef"]) == 14 + 32
    fit_in = sum(corrector.fits(r.mt) for r in rows)  # (the tiny tokenizer takes some words in many pieces)
    assert 50 < fit_in and fitted["without_source"]["ro-en"]["words"] == 7 * fit_in


def test_the_card_says_how_words_to_check_are_found():
    from posteditor.learn.card import _doubt_lines

    table = {"all": {"words": 100, "changed": 0.3, "bars": [{"below": 0.1, "flagged": 20, "changed": 0.8}]}}
    fitted = {"below": 0.1, "segments": 10, "without_source": table, "with_source": table,
              "ranking": {"measure": "average precision of changed words, 5-fold out of fold",
                          "without_source": {"probe": 0.64, "copy": 0.48}, "with_source": {"probe": 0.6, "copy": 0.5}},
              "detector": {"layer": 20}}
    text = "\n".join(_doubt_lines({"words_to_check": fitted}))
    assert "layer-20 state" in text and "20 of 100 words flagged" in text
    assert "without source, 0.64 (copy probability alone: 0.48)" in text
    for ranking in (None, fitted["ranking"]):  # the probe lost, or could not be fitted: the copy probability says
        copy = "\n".join(_doubt_lines({"words_to_check": fitted | {"detector": None, "ranking": ranking}}))
        assert "least sure piece" in copy and "copy probability alone" not in copy and "out of fold" not in copy
    assert _doubt_lines({"words_to_check": {"below": None}}) == []


def _words_changed(n: int = 600, seed: int = 3):
    """Features of words and whether each was changed: feature 0 says so, noisily; the others are noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    x = rng.normal(size=(n, 5))
    x[:, 0] += 2.0 * y
    return x, y.astype(int)


def test_adapting_a_probe_follows_the_corrections_as_far_as_they_outweigh_its_pull():
    import numpy as np

    from posteditor.model.wordqe import record_keeps

    x, y = _words_changed()
    wrong = {"coef": [0.0, 0.0, 0.0, 0.0, 1.5], "intercept": -1.0}  # reads noise, not the clue
    start = doubts.average_precision(y, record_keeps(wrong, x))
    loose = doubts.adapt(wrong, x, y, strength=1.0)
    assert doubts.average_precision(y, record_keeps(loose, x)) > start + 0.3
    assert loose["coef"][0] > 1.0 and abs(loose["coef"][4]) < 0.3
    firm = doubts.adapt(wrong, x, y, strength=1e7)  # held to its weights: only the free intercept moves
    assert np.allclose(firm["coef"], wrong["coef"], atol=1e-3) and firm["intercept"] != wrong["intercept"]
    middle = doubts.adapt(wrong, x, y)  # the default lies between
    assert 0.0 < middle["coef"][0] < loose["coef"][0] and middle["coef"][4] < wrong["coef"][4]


def test_adapting_a_probe_that_already_fits_the_corrections_keeps_it():
    import numpy as np

    x, y = _words_changed()
    fitted = doubts._probe(x, y)  # the dev fit
    again = doubts.adapt(fitted, x, y)
    assert np.allclose(again["coef"], fitted["coef"], atol=0.05) and abs(again["intercept"] - fitted["intercept"]) < 0.05


def test_an_editors_bar_must_be_surely_precise():
    import numpy as np

    keep = np.repeat([0.04, 0.12, 0.25, 0.45], 50)  # 50 words in each band
    y = np.concatenate([np.ones(50), np.r_[np.ones(40), np.zeros(10)], np.r_[np.ones(30), np.zeros(20)],
                        np.zeros(50)]).astype(int)
    bar, table = doubts.sure_bar(keep, y)
    # below 0.15: 90 of 100 changed; below 0.4: 120 of 150 (0.8); below 0.5: 120 of 200 (0.6, its lower end less)
    assert bar == 0.4 and [r["flagged"] for r in table] == [0, 50, 50, 100, 100, 150, 150, 200]
    assert table[-1]["changed"] == 0.6 and table[-1]["lower"] < 0.6 <= table[6]["lower"]
    assert doubts.sure_bar(keep[:40], y[:40])[0] == 0.5  # 40 words, all changed: every bar flags them
    assert doubts.sure_bar(keep[:15], y[:15])[0] is None  # fewer than MIN_FLAGGED flagged
    assert doubts.sure_bar(keep[150:], y[150:])[0] is None  # none changed


def test_a_matched_bar_flags_as_many_words_as_before():
    import numpy as np

    before = np.linspace(0.0, 1.0, 101)  # 10 words below 0.1
    after = before ** 0.5  # the same order, higher probabilities of being kept
    bar = doubts.matched_bar(before, after, 0.1)
    assert (after < bar).sum() == 10 and 0.3 < bar < 0.32
    assert doubts.matched_bar(before, after, 0.03) is None  # 3 flagged: too few to match
    assert doubts.matched_bar(before[:20], after[:20], 0.5) is None  # every word flagged


def language_words(seed: int = 2):
    """Three words a segment: in "ro" segments feature 1 tells the changed words, in "ru" ones
    feature 2 (and fewer are changed), in the 50 "et" ones feature 1."""
    import numpy as np

    rng = np.random.default_rng(seed)
    langs = np.repeat(np.array(["ro"] * 250 + ["ru"] * 250 + ["et"] * 50, dtype=object), 3)
    x = rng.normal(size=(len(langs), 3))
    signal = np.where(langs == "ru", x[:, 2] - 1.0, x[:, 1])
    y = (signal + 0.3 * rng.normal(size=len(langs)) > 0.3).astype(int)
    return x, y, np.arange(len(langs)) // 3, langs


def test_each_language_with_enough_segments_gets_its_own_probe_and_bar():
    x, y, groups, langs = language_words()
    keep, own = doubts.out_of_fold(x, y, groups, langs)
    assert set(own) == {"ro", "ru"}  # et has 50 segments: fewer than MIN_LANGUAGE
    for lang in own:
        mine = langs == lang
        assert own[lang].shape == (mine.sum(),)
        assert doubts.average_precision(y[mine], own[lang]) > doubts.average_precision(y[mine], keep[mine])
    shared = doubts._probe(x, y)
    fits = doubts.language_fits(shared, x, y, groups, langs, keep, own)
    ru = fits["ru"]
    assert ru["segments"] == 250 and ru["words"] == 750 and ru["ranking"]["own"] > ru["ranking"]["shared"]
    assert ru["coef"][2] > shared["coef"][2] and ru["coef"][1] < shared["coef"][1]  # its own probe reads feature 2 more
    ro = fits["ro"]
    assert ro["below"] in doubts.BARS and next(b for b in ro["bars"] if b["below"] == ro["below"])["flagged"] >= doubts.MIN_FLAGGED
    assert [b["below"] for b in ru["bars"]] == list(doubts.BARS)
    assert doubts.out_of_fold(x, y, groups)[1] == {}  # no languages given: none of their own


def test_a_language_its_own_probe_ranks_no_better_keeps_the_shared_one_with_a_bar_of_its_own():
    import numpy as np

    x, y, groups, langs = language_words()
    keep, own = doubts.out_of_fold(x, y, groups, langs)
    own["ro"] = np.full(len(own["ro"]), 0.5)  # ranks nothing
    fits = doubts.language_fits(doubts._probe(x, y), x, y, groups, langs, keep, own)
    assert "coef" not in fits["ro"] and fits["ro"]["ranking"]["own"] < fits["ro"]["ranking"]["shared"]
    assert fits["ro"]["below"] == doubts.sure_bar(keep[langs == "ro"], y[langs == "ro"])[0]
