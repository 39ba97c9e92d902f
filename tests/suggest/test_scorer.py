"""The edit scorer: its features, its labels, fitting out of fold, and the model using it."""

import json
import random
import shutil

import numpy as np
import pytest

from posteditor.core.edits import Edit, extract_edits, tokenize
from posteditor.suggest.scorer import FEATURES, EditScorer, features, fit, is_right, labelled, refit


def feature(mt, edit, source=None, name="confidence", hint=None):
    return features(tokenize(mt), edit, source, len, hint)[FEATURES.index(name)]


def test_features_describe_the_edit():
    mt = "Mr Muski said the king would come."
    name = Edit(1, 2, (" Musk",), 0.9)
    assert feature(mt, name, "Muski ütles", "inserted_in_source") == 1.0  # "Musk" is in "muski"
    assert feature(mt, name, "Muski ütles", "removed_capitalised") == 1.0
    assert feature(mt, name, None, "inserted_in_source") == 0.0
    assert feature(mt, name, None, "similarity") == pytest.approx(2 * 4 / 9)
    assert feature(mt, Edit(4, 5, (" King",), 0.5), None, "case_only") == 1.0
    assert feature(mt, Edit(0, 1, (), 0.5), None, "deletion") == 1.0
    assert feature(mt, Edit(2, 2, (" on",), 0.5), None, "insertion") == 1.0
    assert feature(mt, Edit(7, 8, ("!",), 0.5), None, "punctuation_only") == 1.0
    assert feature(mt, name, "Маск сказал", "source_non_latin") == 1.0
    assert feature(mt, name, "Muski ütles", "source_non_latin") == 0.0
    assert feature(mt, Edit(0, 0, ("x ",), 1.0), None, "log_doubt") == pytest.approx(-9.21, abs=0.01)
    # Apertium's English translation of the source: whether it has the word put in, or the one taken out
    region = Edit(3, 4, (" region",), 0.5)
    hint = "People fled from the region Idlib."
    assert feature("People fled the world of Idlib.", region, "au fugit din regiunea", "inserted_in_hint", hint) == 1.0
    assert feature("People fled the world of Idlib.", region, "au fugit din regiunea", "removed_in_hint", hint) == 0.0
    assert feature("People fled the world of Idlib.", region, "au fugit din regiunea", "inserted_in_hint") == 0.0
    assert feature("People fled the world of Idlib.", Edit(4, 5, (), 0.5), None, "removed_in_hint", hint) == 0.0  # "of": 2 letters
    assert feature("People fled the regions of Idlib.", Edit(3, 4, (" area",), 0.5), None, "removed_in_hint", hint) == 0.0


def test_an_edit_is_right_when_the_post_editor_made_it_too():
    mt, pe = "People fled the world of Idlib in the last week.", "People fled the region of Idlib last week."
    wanted = extract_edits(mt, pe)
    assert all(is_right(mt, pe, e) for e in wanted)
    assert not is_right(mt, pe, Edit(0, 1, ("Persons",), 0.9))
    assert not is_right(mt, mt, wanted[0])  # nothing to fix: every edit is wrong


def synthetic(n=400, seed=3):
    """Segments whose case-only edits are right and whose deletions are wrong, at random confidences.

    Half the segments need "king" capitalised, and only there is that edit proposed; a
    deletion of "today" is proposed everywhere and is never what the post-editor did.
    """
    rng = random.Random(seed)
    mts, pes, sources, proposals = [], [], [], []
    for _ in range(n):
        mt = "the king spoke to the people of the city today ."
        fix = rng.random() < 0.5
        pe = mt.replace("the king", "the King") if fix else mt
        edits = [Edit(1, 2, (" King",), rng.random())] * fix + [Edit(9, 10, (), rng.random())]
        mts.append(mt), pes.append(pe), sources.append(None), proposals.append(edits)
    return mts, pes, sources, proposals


def test_fit_learns_which_edits_are_right_and_rescores_out_of_fold():
    mts, pes, sources, proposals = synthetic()
    params, rescored, summary = fit(mts, pes, sources, proposals, len)
    right = sum(len(edits) == 2 for edits in proposals)
    assert params["edits"] == sum(map(len, proposals)) and params["right"] == right
    assert f"{params['edits']} dev edits, {right} right" == summary
    assert [len(e) for e in rescored] == [len(e) for e in proposals]
    case = [edits[0].confidence for edits in rescored if len(edits) == 2]
    dropped = [edits[-1].confidence for edits in rescored]
    assert min(case) > max(dropped)  # the scorer, not the model's random confidence, decides
    assert all(0 < p < 1 for p in case + dropped)
    # The saved parameters score new edits the same way.
    both = next(edits for edits in proposals if len(edits) == 2)
    again = EditScorer(json.loads(json.dumps(params)), len).rescore(tokenize(mts[0]), both, None)
    assert again[0].confidence > 0.5 > again[1].confidence
    assert [(e.start, e.end, e.replacement) for e in again] == [(e.start, e.end, e.replacement) for e in both]


def test_the_scorer_keeps_its_edits_and_learns_the_editors_taste_from_more():
    mts, pes, sources, proposals = synthetic()
    params, _, _ = fit(mts, pes, sources, proposals, len)
    data = params["data"]
    assert len(data["x"]) == len(data["y"]) == len(data["w"]) == params["edits"] and sum(data["y"]) == params["right"]
    king = next(edits for edits in proposals if len(edits) == 2)
    tokens = tokenize(mts[0])
    assert EditScorer(params, len).rescore(tokens, king, None)[0].confidence > 0.5
    # An editor who never capitalises "king": about 100 of its proposals, every one rejected.
    x, y, segment = labelled(mts[:200], mts[:200], sources[:200], proposals[:200], len)
    assert len(x) == sum(map(len, proposals[:200])) and not y.any() and segment.max() < 200
    for weight, capitalised in ((0.05, True), (4.0, False)):  # barely heard, then heard
        adapted = refit(params, x, y, weight)
        assert adapted["editor_edits"] == len(y) and adapted["editor_right"] == 0 and adapted["edits"] == params["edits"]
        assert len(adapted["data"]["y"]) == params["edits"] + len(y)
        assert (EditScorer(adapted, len).rescore(tokens, king, None)[0].confidence > 0.5) is capitalised
    again = refit(adapted, x, y, 4.0)  # the next refit builds on this one: its editor's edits stay
    assert again["editor_edits"] == 2 * len(y) and len(again["data"]["y"]) == params["edits"] + 2 * len(y)
    assert "needs_source" not in again and "needs_hint" not in again
    assert {"needs_source", "needs_hint"} <= set(refit(params | {"needs_source": True, "needs_hint": True}, x, y, 4.0))
    assert refit({k: v for k, v in params.items() if k != "data"}, x, y, 4.0) is None  # nothing kept to refit on


def test_too_few_right_edits_fit_no_scorer():
    mts, pes, sources, proposals = synthetic(n=10)
    params, rescored, summary = fit(mts, mts, sources, proposals, len)  # the post-editor changed nothing
    assert params is None and "too few" in summary
    assert rescored == [list(e) for e in proposals]  # the model's own confidences stand


def test_a_scorer_of_other_features_is_refused():
    mts, pes, sources, proposals = synthetic()
    params, _, _ = fit(mts, pes, sources, proposals, len)
    with pytest.raises(ValueError):
        EditScorer(params | {"features": ["confidence"]}, len)


def test_a_scorer_judges_edits_made_as_those_it_was_fitted_on():
    from posteditor.learn.calibrate import _needs

    params, _, _ = fit(*synthetic(), len)
    src, hint = "Mii de oameni au fugit.", "Thousands of people fled."
    assert all(EditScorer(params, len).judges(s, h) for s in (None, src) for h in (None, hint))
    sourced = EditScorer(params | {"needs_source": True}, len)
    assert [sourced.judges(s, None) for s in (None, " ", src)] == [False, False, True]
    read = EditScorer(params | _needs([src] * 10, [hint] * 9 + [None]), len)  # most of dev had both
    assert [read.judges(src, h) for h in (None, hint)] == [False, True] and not read.judges(None, hint)
    assert _needs([src] * 10, [None] * 10) == {"needs_source": True}  # a model that reads no hints
    assert _needs([src] * 8 + [None] * 2, [hint] * 8 + [None] * 2) == {}  # a fifth without: it learnt both


def test_the_model_rescores_its_edits_with_its_scorer(tiny_model, tmp_path, monkeypatch):
    from posteditor.model.corrector import UNSCORED_CAP, Corrector, ModelError
    from posteditor.suggest.base import Item

    # The tiny model proposes nothing of its own: one candidate, put where a dictionary sibling
    # would be, goes through the rest of the corrector (base-LM gain, evidence, scoring) for real.
    def world_to_region(self, item, *_):
        k = next(i for i, t in enumerate(tokenize(item.text)) if t.strip() == "world")
        return [Edit(k, k + 1, (" region",), 0.9, "model")]

    monkeypatch.setattr(Corrector, "_sibling_candidates", world_to_region)
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    text = "Thousands of people fled the world of Idlib."
    items = [Item(text, None)] * 2
    spans = lambda found: [[(e.start, e.end, e.replacement) for e in s] for s in found]  # noqa: E731
    own = Corrector(model).suggest(items)
    assert spans(own) == [[(5, 6, (" region",))]] * 2 and own[0][0].confidence == round(0.9 * UNSCORED_CAP, 4)
    assert [e.confidence for s in Corrector(model, rescore=False).suggest(items) for e in s] == [0.9, 0.9]
    meta = json.loads((model / "posteditor.json").read_text())
    # A scorer that only looks at the intercept: every edit gets the same probability.
    zero = {"features": list(FEATURES), "mean": [0.0] * len(FEATURES), "scale": [1.0] * len(FEATURES),
            "coef": [0.0] * len(FEATURES), "intercept": 0.0}
    (model / "posteditor.json").write_text(json.dumps(meta | {"edit_scorer": zero}))
    rescored = Corrector(model).suggest(items)
    assert spans(rescored) == spans(own) and all(e.confidence == 0.5 for s in rescored for e in s)
    assert Corrector(model).reach(False) == 1.0 and Corrector(model, rescore=False).reach(True) == 1.0
    # A scorer fitted on edits made with sources judges those only: without one, edits stay unscored.
    (model / "posteditor.json").write_text(json.dumps(meta | {"edit_scorer": zero | {"needs_source": True}}))
    sourced = Corrector(model).suggest([Item(text, None), Item(text, "Mii de oameni au fugit din regiunea Idlib.")])
    assert sourced[0] == own[0] and [e.confidence for e in sourced[1]] == [0.5]
    assert [Corrector(model).reach(sourced) for sourced in (False, True)] == [UNSCORED_CAP, 1.0]  # `correct` reads it
    # One fitted on edits made with Apertium's translation too: the tiny model reads none, so none is judged.
    (model / "posteditor.json").write_text(json.dumps(meta | {"edit_scorer": zero | {"needs_hint": True}}))
    assert Corrector(model).suggest([Item(text, "Mii de oameni au fugit din regiunea Idlib.")]) == own[:1]
    assert Corrector(model).reach(True) == UNSCORED_CAP
    (model / "posteditor.json").write_text(json.dumps(meta | {"edit_scorer": {"features": ["x"]}}))
    with pytest.raises(ModelError, match="edit_scorer"):
        Corrector(model)


def test_calibration_fits_a_scorer_when_the_dev_edits_allow(tiny_model, tmp_path, monkeypatch):
    from posteditor.learn.calibrate import calibrate

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    mts, pes, sources, proposals = synthetic(n=60)

    def fake_suggest_all(corrector, lines, srcs):
        assert corrector.scorer is None  # calibration sees the model's own confidences
        return [list(p) for p in proposals[: len(lines)]]

    monkeypatch.setattr("posteditor.suggest.combine.suggest_all", fake_suggest_all)
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps({"mt": m, "pe": p, "origin": f"mlqe:{'ro' if i % 2 else 'et'}-en"}) + "\n"
                           for i, (m, p) in enumerate(zip(mts, pes))))
    meta = calibrate(model, dev)
    assert meta["edit_scorer"]["edits"] == sum(map(len, proposals))
    assert meta["min_confidence"] < 1.01  # the right edits, re-scored, are worth applying
    at = meta["dev"]["at_threshold"]
    assert at["precision"] == 1.0 and all(lang["delta_ter"] < 0 for lang in at["langs"].values())
    assert meta["dev"]["own_confidence"]["threshold"] == 1.01  # on the model's random confidence, nothing
    assert "needs_source" not in meta["edit_scorer"]  # dev without sources: it judges edits made without
    # The bar for words to check, fitted on the same segments (the tiny model's doubts say nothing).
    assert meta["words_to_check"]["segments"] == 60 and meta["words_to_check"]["dev"].endswith("dev.jsonl")
    assert set(meta["words_to_check"]["without_source"]) == {"all", "et-en", "ro-en"}



def test_recalibrating_keeps_the_editors_edits(tiny_model, tmp_path, monkeypatch):
    from posteditor.learn.calibrate import calibrate
    from posteditor.suggest.scorer import editor_rows, learnt_from, segment_key

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    mts, pes, sources, proposals = synthetic(n=60)
    params, _, _ = fit(mts, pes, sources, proposals, len)
    x, y, segment = labelled(mts[:20], mts[:20], sources[:20], proposals[:20], len)
    keys = [segment_key(mts[i], f"source {i}") for i in segment]
    learnt = refit(params, x, y, 4.0, keys)
    assert set(learnt_from(learnt)) == set(keys) and len(editor_rows(learnt)[2]) == len(y)
    assert editor_rows(params)[2] == []  # a dev fit alone has none
    meta = json.loads((model / "posteditor.json").read_text())
    (model / "posteditor.json").write_text(json.dumps(meta | {"edit_scorer": learnt}))
    monkeypatch.setattr("posteditor.suggest.combine.suggest_all", lambda corrector, lines, srcs: [list(p) for p in proposals[: len(lines)]])
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps({"mt": m, "pe": p, "origin": "mlqe:et-en"}) + "\n" for m, p in zip(mts, pes)))
    again = calibrate(model, dev)["edit_scorer"]
    assert again["edits"] == sum(map(len, proposals)) and again["editor_edits"] == len(y)
    assert again["editor_weight"] == 4.0 and set(learnt_from(again)) == set(keys)


def test_calibrate_command(tiny_model, tmp_path, capsys):
    from conftest import tiny_pairs

    from posteditor.cli import main

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(r.to_json() | {"origin": "mlqe:ro-en"}) + "\n" for r in tiny_pairs(30, seed=5)))
    assert main(["calibrate", "--model", str(model), "--dev", str(dev)]) == 0
    meta = json.loads((model / "posteditor.json").read_text())
    assert meta["dev"]["segments"] == 30 and "min_confidence" in meta
    assert meta["dev"]["precision"] == "fp32"  # (the tests pin it) what the threshold was chosen in
    assert "Confidence is" in (model / "README.md").read_text() and "the model in fp32)" in (model / "README.md").read_text()
    assert main(["calibrate", "--model", str(tmp_path / "nowhere"), "--dev", str(dev)]) == 2
    assert main(["calibrate", "--model", str(model), "--dev", str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "no dev set" in err


def _word_check_dev(tiny_model, tmp_path, monkeypatch, model_edits=None):
    """A copy of the tiny model and 40 ro-en dev segments with sources, half of which the
    post-editor mended ("the king" -> "the King"); the word check proposes exactly those fixes
    at 0.9 where a segment has its source, the model ``model_edits(segment)`` (none by
    default), no retranslation. (model folder, dev file)"""
    from posteditor.suggest.base import Suggester

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    mts = [f"the king spoke to the people of town {i} ." for i in range(40)]
    pes = [m.replace("the king", "the King") if i % 2 else m for i, m in enumerate(mts)]

    class Check(Suggester):
        def suggest(self, items):  # the right edit, sure of itself, where the segment has a source
            fixes = {m: extract_edits(m, p) for m, p in zip(mts, pes)}
            return [[Edit(e.start, e.end, e.replacement, 0.9) for e in fixes[it.text]] if it.source else [] for it in items]

    own = model_edits or (lambda mt: [])
    monkeypatch.setattr("posteditor.suggest.combine.suggest_all", lambda corrector, lines, srcs: [own(m) for m in lines])
    monkeypatch.setattr("posteditor.pipeline.load_word_check", lambda corrector: Check())
    monkeypatch.setattr("posteditor.suggest.retranslate.fit", lambda mts, pes, srcs: (None, [], "no retranslation"))
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps({"mt": m, "pe": p, "src": "sursa", "origin": "mlqe:ro-en"}) + "\n"
                           for m, p in zip(mts, pes)))
    return model, dev


def test_calibration_chooses_the_threshold_for_the_word_checks_edits_too(tiny_model, tmp_path, monkeypatch):
    """With sources the word check proposes beside the model, so the sweep counts its edits."""
    from posteditor.learn.calibrate import calibrate

    meta = calibrate(*_word_check_dev(tiny_model, tmp_path, monkeypatch))
    at = {row["threshold"]: row for row in meta["dev"]["sweep_with_source"]}[0.9]
    assert at["precision"] == 1.0 and at["langs"]["ro-en"]["delta_ter"] < 0
    assert all(row["langs"]["ro-en"]["delta_ter"] == 0 for row in meta["dev"]["sweep_without_source"])
    assert meta["use_source"] and meta["min_confidence"] <= 0.9


def test_calibration_sweeps_unscored_word_edits_as_the_model_applies_them(tiny_model, tmp_path, monkeypatch):
    """Without an edit scorer the model caps its word edits below UNSCORED_CAP: sure-looking
    wrong ones must not keep the word check's right edits from their threshold."""
    from posteditor.learn.calibrate import calibrate
    from posteditor.learn.card import render_card

    wrong = lambda mt: [Edit(6, 7, (" village",), 0.95)]  # "town" -> "village": never the post-editor's
    meta = calibrate(*_word_check_dev(tiny_model, tmp_path, monkeypatch, wrong))
    assert "edit_scorer" not in meta and meta["word_edits_applied"] is False
    assert meta["use_source"] and meta["min_confidence"] <= 0.9  # the word check's edits, alone
    at = meta["dev"]["at_threshold"]
    assert at["applied"] == 20 and at["precision"] == 1.0
    assert meta["dev"]["own_confidence"]["table"][0]["applied"] == 40  # the model's own, uncapped: wrong at 0.3
    card = render_card(meta, "model")
    assert "**The model's word edits are not applied**" in card and "scaled below 0.3" in card

def test_calibration_drops_a_scorer_whose_edits_cost_more_than_they_bring(tiny_model, tmp_path, monkeypatch):
    """A scorer fitted on dev whose re-scored edits keep every threshold from the bar is not
    kept: the model's edits stay below it and the word check's are applied."""
    from dataclasses import replace

    from posteditor.learn.calibrate import calibrate
    from posteditor.learn.card import render_card

    wrong = lambda mt: [Edit(6, 7, (" village",), 0.2)]

    class Judge:
        def __init__(self, params, pieces):
            pass

        def judges(self, source, hint):
            return True

    fits = []

    def fit(mts, pes, sources, proposals, pieces, hints=None):  # a scorer sure of the wrong edits
        fits.append(sources[0] is not None)
        return {"features": []}, [[replace(e, confidence=0.95) for e in edits] for edits in proposals], "fitted"

    monkeypatch.setattr("posteditor.suggest.scorer.fit", fit)
    monkeypatch.setattr("posteditor.suggest.scorer.EditScorer", Judge)
    meta = calibrate(*_word_check_dev(tiny_model, tmp_path, monkeypatch, wrong))
    assert fits == [True, False]
    assert "edit_scorer" not in meta and meta["word_edits_applied"] is False
    assert meta["use_source"] and meta["min_confidence"] <= 0.9
    assert meta["dev"]["at_threshold"]["applied"] == 20 and meta["dev"]["at_threshold"]["precision"] == 1.0
    assert meta["dev"]["scorer_dropped"] and "was dropped" in render_card(meta, "model")
    from posteditor.suggest.base import capped
    assert [e.confidence for e in capped([Edit(0, 1, ("x",), 0.9999), Edit(0, 1, ("x",), 1.0)])] == [0.2999, 0.2999]


def _model_with_retranslation(tiny_model, tmp_path, monkeypatch, retranslation: dict, segments: int, fit):
    """A copy of the tiny model with ``retranslation`` in its posteditor.json, and a dev set of
    ``segments`` ro-en segments of which every third strays from its source, whose (fake)
    Apertium translation is the post-edit; ``retranslate.fit`` is ``fit``, the model proposes
    nothing. (model folder, dev file)"""
    from posteditor.suggest import retranslate

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    meta = json.loads((model / "posteditor.json").read_text())
    (model / "posteditor.json").write_text(json.dumps(meta | {"retranslation": retranslation}))
    mts = [f"The Commission adopted the rules for case {i} ." for i in range(segments)]
    pes = [f"The bridge in town {i} will be closed for repairs ." if i % 3 == 0 else m for i, m in enumerate(mts)]
    sources = [f"podul {i}" for i in range(segments)]
    translated = {s: pe if i % 3 == 0 else mt for i, (s, mt, pe) in enumerate(zip(sources, mts, pes))}
    monkeypatch.setattr(retranslate, "fit", fit)
    monkeypatch.setattr(retranslate, "installed", lambda chains=None: {"ro": ("ro-es", "spa-eng")})
    monkeypatch.setattr(retranslate, "translate", lambda srcs, chain: [translated[s] for s in srcs])
    monkeypatch.setattr("posteditor.suggest.combine.suggest_all", lambda corrector, lines, srcs: [[] for _ in lines])
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps({"mt": m, "pe": p, "src": s, "origin": "mlqe:ro-en"}) + "\n"
                           for m, p, s in zip(mts, pes, sources)))
    return model, dev


def _believing_translations(**extra) -> dict:
    """Retranslation params that believe a translation the more the less it shares with the MT."""
    from posteditor.suggest import retranslate

    return {"features": list(retranslate.FEATURES), "mean": [0.5, 0.1, 2.5, 0.0], "scale": [0.15, 0.1, 0.3, 0.2],
            "coef": [-2.0, 0.0, 0.0, 0.0], "intercept": -2.0, "chains": ["ro"], **extra}


def test_calibration_on_too_few_segments_keeps_the_models_retranslation(tiny_model, tmp_path, monkeypatch):
    """Retranslation fitted before (on more dev data) stays when this dev set is too small to
    fit one, and the threshold is chosen with what it proposes."""
    from posteditor.learn.calibrate import calibrate
    from posteditor.suggest import retranslate

    earlier = _believing_translations()
    model, dev = _model_with_retranslation(tiny_model, tmp_path, monkeypatch, earlier, 30,
                                           lambda mts, pes, srcs: (None, [[] for _ in mts], "retranslation: too few"))
    meta = calibrate(model, dev)
    assert meta["retranslation"] == earlier  # kept as it was
    at = {row["threshold"]: row for row in meta["dev"]["sweep_with_source"]}[meta["min_confidence"]]
    assert at["retranslated"] == 10 and at["langs"]["ro-en"]["delta_ter"] < 0 and meta["use_source"]
    # One a fine-tune taught from the editor's corrections keeps them once, not twice.
    rng = np.random.default_rng(3)
    learnt = retranslate.refit(earlier, rng.random((24, len(retranslate.FEATURES))), np.arange(24) % 2 == 0, 4.0,
                               [f"seg{i}" for i in range(24)], ["ro"])
    (model / "posteditor.json").write_text(json.dumps(meta | {"retranslation": learnt}))
    assert calibrate(model, dev)["retranslation"] == learnt


def test_calibration_keeps_a_retranslation_fitted_on_train_pairs(tiny_model, tmp_path, monkeypatch):
    """Retranslation fitted on train pairs (``posteditor.learn.retranslation``) is not refitted on
    dev: what it proposes there is out of sample, and the threshold is chosen with it."""
    from posteditor.learn.calibrate import calibrate

    def refitted(*args):
        raise AssertionError("refitted on dev")

    trained = _believing_translations(fitted_on="MLQE-PE ro-en train")
    model, dev = _model_with_retranslation(tiny_model, tmp_path, monkeypatch, trained, 60, refitted)
    meta = calibrate(model, dev)
    assert meta["retranslation"] == trained
    at = {row["threshold"]: row for row in meta["dev"]["sweep_with_source"]}[meta["min_confidence"]]
    assert at["retranslated"] == 20 and at["langs"]["ro-en"]["delta_ter"] < 0 and meta["use_source"]
