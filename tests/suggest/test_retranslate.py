"""Retranslation of segments whose MT strays from their source (posteditor.suggest.retranslate)."""

from __future__ import annotations

import json

import shutil
import subprocess

import pytest

from posteditor.suggest import retranslate as rt
from posteditor.suggest.combine import Combined, merge
from posteditor.core.edits import Edit, apply_edits, tokenize
from posteditor.core.records import Pair
from posteditor.suggest.base import Item, Suggester

ROMANIAN = "Primăria a anunțat că podul din centrul orașului va fi închis două săptămâni pentru reparații."
GOOD_MT = "The city hall announced that the bridge in the city centre will be closed for two weeks for repairs."
HALLUCINATION = "The Commission shall adopt implementing acts laying down the detailed rules for the procedure."
ROUGH = "The city council announced that the bridge of the centre of the city will be enclosed two weeks for reparations."
CHAINS = {"ro": ("ro-es", "spa-eng")}


def fake_run(table: dict[str, str]):
    """A chain that translates by lookup (sources it does not know come back all unknown)."""
    calls = []

    def run(sources, chain):
        calls.append((tuple(sources), tuple(chain)))
        return [table.get(s, " ".join("*" + w for w in s.split())) for s in sources]

    run.calls = calls
    return run


def fitted_params() -> dict:
    """A model that believes a translation more the less it shares with the MT."""
    return {"features": list(rt.FEATURES), "mean": [0.5, 0.1, 2.5, 0.0], "scale": [0.15, 0.1, 0.3, 0.2],
            "coef": [-2.0, 0.0, 0.0, 0.0], "intercept": -2.0}


def test_whole_edit_rewrites_the_segment_and_keeps_its_spacing():
    text = "  The Commission concludes that the aid was compatible.\n"
    edit = rt.whole_edit(text, "British analysts  considered that the Luftwaffe attacked. ", 0.8)
    assert edit.category == "retranslation" and edit.confidence == 0.8
    assert apply_edits(text, [edit]) == "  British analysts considered that the Luftwaffe attacked.\n"
    assert rt.whole_edit("It is fine.", "It is fine.", 0.9) is None
    assert rt.whole_edit("It is\nfine.", "It is  fine.", 0.9) is None  # spacing alone is no retranslation
    # The whole segment, even where the two share words: nothing of the MT's edits survives beside it.
    shared = rt.whole_edit("The cat sat on the mat.\r\n", "The dog sat on the mat.", 0.5)
    assert (shared.start, shared.end) == (0, len(tokenize("The cat sat on the mat."))) and shared.inserted.startswith("The dog")
    assert apply_edits("The cat sat on the mat.\r\n", [shared]) == "The dog sat on the mat.\r\n"
    assert merge([Edit(7, 7, ("!",), 0.4, "model")], [shared]) == [shared]


def test_unknown_share_counts_marked_words_and_other_scripts():
    assert rt.unknown_share("The operation began on 10 May 1940.") == 0.0
    assert rt.unknown_share("It tried **sǎ **revinǎ to the understanding") == pytest.approx(2 / 7)
    # Apertium passes words of a script it does not read through unmarked.
    assert rt.unknown_share("20: 46 - Травматическая память о 1991") == 1.0
    assert rt.unknown_share("Source (English)") == 1.0  # too few words to judge
    assert rt.clean("It tried **sǎ @*Moș to the  *aldea") == "It tried sǎ Moș to the aldea"
    # Marks sit right before the word, also inside quotes and brackets; a lone "*" is text.
    marked = 'The company "**Petrogaz" (**Ploieștiului) took „**Victorioși 5 * 3'
    assert rt.clean(marked) == 'The company "Petrogaz" (Ploieștiului) took „Victorioși 5 * 3'
    assert rt.unknown_share(marked) == pytest.approx(3 / 6)


def test_a_hallucination_is_retranslated_and_good_mt_is_not():
    run = fake_run({ROMANIAN: ROUGH})
    retranslator = rt.Retranslator(fitted_params(), CHAINS, run)
    items = [Item(HALLUCINATION, ROMANIAN), Item(GOOD_MT, ROMANIAN), Item(HALLUCINATION, None)]
    bad, good, no_source = retranslator.suggest(items)
    assert len(bad) == 1 and bad[0].category == "retranslation" and bad[0].confidence > 0.5
    assert apply_edits(HALLUCINATION, bad) == ROUGH
    assert good == []  # the MT agrees with the source: not worth proposing
    assert no_source == []
    assert len(run.calls) == 1 and len(run.calls[0][0]) == 2  # one batch, only the segments with a source


def test_sources_in_a_language_no_chain_knows_are_left_alone():
    estonian = "Linnavalitsus teatas, et kesklinna sild suletakse kaheks nädalaks remondiks."
    retranslator = rt.Retranslator(fitted_params(), CHAINS, fake_run({}))
    assert retranslator.suggest([Item(HALLUCINATION, estonian)]) == [[]]


def test_without_apertium_it_says_so_once_and_proposes_nothing(capsys):
    retranslator = rt.Retranslator(fitted_params(), chains={})
    assert retranslator.suggest([Item(HALLUCINATION, ROMANIAN)]) == [[]]
    assert retranslator.suggest([Item(HALLUCINATION, ROMANIAN)]) == [[]]
    err = capsys.readouterr().err
    assert err.count("is not installed") == 1 and "apertium-es-ro" in err


@pytest.mark.parametrize("error", [OSError("apertium: mode not found"), subprocess.TimeoutExpired("apertium", 60),
                                   subprocess.CalledProcessError(1, "apertium")])
def test_a_failing_apertium_is_reported_not_raised(capsys, error):
    def broken(sources, chain):
        raise error

    assert rt.Retranslator(fitted_params(), CHAINS, broken).suggest([Item(HALLUCINATION, ROMANIAN)]) == [[]]
    assert "Apertium failed" in capsys.readouterr().err
    params, proposals, note = rt.fit([HALLUCINATION], [GOOD_MT], [ROMANIAN], CHAINS, broken)
    assert params is None and proposals == [[]] and "Apertium failed" in note


def test_the_chain_that_knows_most_words_wins_and_the_first_on_a_tie():
    def run(sources, chain):  # "ro" knows every word of the first source, "is" of the second; the third is a tie
        known = {"ro": (0, 2), "is": (1, 2)}["ro" if chain == CHAINS["ro"] else "is"]
        return [f"{chain[0]} knows it well" if i in known else "*unknown *words *here" for i in range(len(sources))]

    chains = CHAINS | {"is": ("isl-eng",)}
    found = rt.translations(["a", "b", "c"], chains, run)
    assert [f[1] for f in found] == ["ro", "is", "ro"]


def test_only_the_chains_it_was_fitted_on_are_used():
    chains = CHAINS | {"is": ("isl-eng",)}
    assert rt.Retranslator(fitted_params() | {"chains": ["ro"]}, chains).chains == CHAINS
    assert rt.Retranslator(fitted_params(), chains).chains == chains


@pytest.mark.parametrize("bad", [{"coef": [1.0]}, {"mean": [0.5, 0.1, 2.5]}, {"scale": []}, {"scale": [0.15, 0.0, 0.3, 0.2]},
                                 {"intercept": float("nan")}, {"features": ["similarity"]}])
def test_unusable_params_are_refused(bad):
    with pytest.raises(ValueError):
        rt.Retranslator(fitted_params() | bad, CHAINS)


def test_unusable_params_leave_correct_without_retranslation(capsys):
    from posteditor.pipeline import load_retranslator

    assert load_retranslator({"retranslation": fitted_params() | {"mean": [0.5]}}) is None
    assert "retranslation settings are unusable" in capsys.readouterr().err
    assert load_retranslator({"retranslation": {"coef": [0, 0, 0, 0]}}) is None


def test_the_more_confident_of_overlapping_proposals_wins():
    model = [Edit(1, 2, (" Council",), 0.3, "model")]
    whole = rt.whole_edit(HALLUCINATION, ROUGH, 0.9)
    assert merge(model, [whole]) == [whole]
    assert merge([Edit(1, 2, (" Council",), 0.95, "model")], [whole])[0].category == "model"


def test_combined_with_a_model_the_retranslation_replaces_its_edits():
    class Model(Suggester):
        info = None

        def suggest(self, items):
            return [[Edit(1, 2, (" Council",), 0.4, "model")] for _ in items]

    combined = Combined([Model(), rt.Retranslator(fitted_params(), CHAINS, fake_run({ROMANIAN: ROUGH}))])
    [edits] = combined.suggest([Item(HALLUCINATION, ROMANIAN)])
    assert [e.category for e in edits] == ["retranslation"]
    [edits] = combined.suggest([Item(HALLUCINATION, None)])
    assert [e.category for e in edits] == ["model"]


def test_fit_learns_from_dev_and_scores_out_of_fold():
    # 60 segments: half hallucinations whose translation is the post-edit, half good MT.
    mts, refs, sources, table = [], [], [], {}
    for k in range(30):
        src = f"Sursa numărul {k} spune ceva despre orașul {k}."
        table[src] = f"The source number {k} says something about the city {k}."
        mts.append(f"Unrelated words about the Commission and its regulation number {k} apply.")
        refs.append(f"Source number {k} says something about the city {k}.")
        sources.append(src)
        src = f"Textul bun numărul {k} este tradus bine."
        table[src] = f"The good text number {k} is translated well."
        mts.append(f"The good text number {k} is translated well.")
        refs.append(f"The good text number {k} is translated well.")
        sources.append(src)
    params, proposals, note = rt.fit(mts, refs, sources, CHAINS, fake_run(table))
    assert params is not None and params["translations"] == 60 and params["closer"] == 30 and "60 dev" in note
    strays = [p[0].confidence for p in proposals[0::2]]
    assert min(strays) > 0.5  # each scored by a model fitted without it
    assert all(not p for p in proposals[1::2])  # identical translations propose nothing
    # Too few of either label: nothing fitted.
    assert rt.fit(mts[1::2], refs[1::2], sources[1::2], CHAINS, fake_run(table))[0] is None
    assert rt.fit(mts, refs, sources, {}, fake_run(table))[0] is None


def _strays_and_good(n: int):
    """``2 n`` segments: hallucinations whose translation is the post-edit, then good MT."""
    mts, refs, sources, table = [], [], [], {}
    for k in range(n):
        src = f"Sursa numărul {k} spune ceva despre orașul {k}."
        table[src] = f"The source number {k} says something about the city {k}."
        mts.append(f"Unrelated words about the Commission and its regulation number {k} apply.")
        refs.append(f"Source number {k} says something about the city {k}.")
        sources.append(src)
    for k in range(n):
        src = f"Textul bun numărul {k} este tradus bine."
        table[src] = f"The good text number {k} is translated well."
        mts.append(table[src])
        refs.append(table[src])
        sources.append(src)
    return mts, refs, sources, table


def test_fit_all_fits_on_every_segment_and_names_the_data():
    mts, refs, sources, table = _strays_and_good(rt.MIN_FOR_PRODUCTS)
    n = rt.MIN_FOR_PRODUCTS
    params, note = rt.fit_all(mts, refs, sources, "train pairs", CHAINS, fake_run(table))
    assert params["fitted_on"] == "train pairs" and params["degree"] == rt.DEGREE  # enough of each label for products
    assert params["translations"] == 2 * n and params["closer"] == n and f"{2 * n} translations of train pairs" in note
    model = rt.Retranslator(params, CHAINS, fake_run(table))
    proposed = model.suggest([Item(m, s) for m, s in zip(mts, sources)])
    assert min(p[0].confidence for p in proposed[:n]) > 0.5 and not any(proposed[n:])
    assert rt.fit_all(mts[n:], refs[n:], sources[n:], "train", CHAINS, fake_run(table))[0] is None  # none closer
    fewer, _ = rt.fit_all(mts[n - 20:n + 20], refs[n - 20:n + 20], sources[n - 20:n + 20], "train", CHAINS, fake_run(table))
    assert fewer["degree"] == 1
    assert rt.fit_all(mts, refs, sources, "train", {}, fake_run(table))[0] is None
    # A fine-tune's refit with the editor's rows keeps the note, so calibration keeps the model as well.
    x, y, *_ = rt.labelled(mts, refs, sources, CHAINS, fake_run(table))
    assert rt.refit(params, x[:4], y[:4], 4.0, ["k"] * 4, ["ro"])["fitted_on"] == "train pairs"


def test_products_of_the_features_up_to_the_degree():
    rows = [[0.5, 0.1, 2.0, -1.0], [1.0, 0.0, 3.0, 0.5]]
    assert rt.expand(rows, 1).tolist() == rows
    cubic = rt.expand(rows, 3)
    assert cubic.shape == (2, 34)  # 4 features, 10 products of two, 20 of three
    assert cubic[0, 4] == 0.25 and cubic[0, 5] == pytest.approx(0.05) and cubic[0, -1] == -1.0
    assert rt.expand([], 3).shape == (0, 34)


def test_params_without_a_degree_weigh_the_features_alone():
    """A model fitted before products were weighed scores as it did."""
    import numpy as np

    params = fitted_params() | {"coef": [-2.0, 0.7, -0.4, 1.3]}
    row = rt.features(HALLUCINATION, ROUGH)
    z = (np.array(row) - params["mean"]) / params["scale"] @ np.array(params["coef"]) + params["intercept"]
    assert rt.Retranslator(params, CHAINS).probability([row])[0] == pytest.approx(1 / (1 + np.exp(-z)))


@pytest.mark.parametrize("degree", [0, 4, "3", True, 2.0, None])
def test_a_degree_this_version_does_not_know_is_refused(degree):
    params = fitted_params() | {"degree": degree}
    with pytest.raises(ValueError, match="degree"):
        rt.Retranslator(params, CHAINS)


@pytest.mark.skipif(not rt.installed(), reason="Apertium and its Romanian-Spanish-English chain are not installed")
def test_apertium_translates_romanian_and_knows_it_from_estonian():
    [marked] = rt.translate([ROMANIAN], rt.CHAINS["ro"])
    assert rt.unknown_share(marked) < 0.2 and "bridge" in rt.clean(marked)
    [marked] = rt.translate(["Linnavalitsus teatas, et kesklinna sild suletakse kaheks nädalaks remondiks."],
                            rt.CHAINS["ro"])
    assert rt.unknown_share(marked) > rt.MAX_UNKNOWN
    # Line N of the output is line N of the input, whatever Apertium does with lines.
    assert len(rt.translate([ROMANIAN, "", "Bună ziua.", ROMANIAN], rt.CHAINS["ro"])) == 4


def test_installed_needs_the_program_and_every_mode(tmp_path, monkeypatch):
    (tmp_path / "ro-es.mode").write_text("")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/apertium")
    assert rt.installed(tmp_path) == {}
    (tmp_path / "spa-eng.mode").write_text("")
    assert rt.installed(tmp_path) == {"ro": ("ro-es", "spa-eng")}
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert rt.installed(tmp_path) == {}


def _corrections(n: int, strays: int) -> tuple[list[Pair], dict[str, str]]:
    """``n`` corrections with Romanian-looking sources, the first ``strays`` of them MT that
    strays (the editor wrote what Apertium says); the rest good MT the editor kept."""
    rows, table = [], {}
    for k in range(n):
        src = f"Sursa numărul {k} spune ceva despre orașul {k}."
        table[src] = f"The source number {k} says something about the city {k}."
        if k < strays:
            rows.append(Pair(f"Unrelated words about the Commission and its regulation number {k} apply.",
                             f"Source number {k} says something about the city {k}.", src))
        else:
            rows.append(Pair(table[src], table[src], src))
    return rows, table


def test_refit_learns_the_editor_rows_and_keeps_them():
    rows, table = _corrections(40, 15)
    x, y, index, _, langs = rt.labelled([r.mt for r in rows], [r.pe for r in rows], [r.src for r in rows],
                                        CHAINS, fake_run(table))
    assert len(y) == 40 and y.sum() == 15 and index == list(range(40)) and langs == {"ro"}
    keys = [f"k{i}" for i in index]
    alone = rt.refit(None, x, y, 4.0, keys, ["ro"])  # a base without retranslation learns from the editor alone
    assert alone is not None and alone["translations"] == 40 and alone["closer"] == 15 and alone["chains"] == ["ro"]
    assert alone["data"]["k"] == keys and alone["data"]["w"] == [4.0] * 40
    scored = rt.Retranslator(alone, CHAINS, fake_run(table)).suggest([Item(r.mt, r.src) for r in rows[:1]])
    assert scored[0][0].confidence > 0.5
    more = rt.refit(alone, x[:5], y[:5], 1.0, ["m"] * 5, ["ro"])
    assert more["translations"] == 45 and more["editor_translations"] == 45 and more["data"]["k"][:40] == keys
    assert rt.refit(None, x[:12], y[:12], 4.0, keys[:12], ["ro"]) is None  # 12 closer, none not closer


def test_an_editor_who_turns_retranslation_down_is_heard_over_a_large_base():
    """The editor's corrections move what the model adds to its logit, not its own weights: a
    few hundred rejections are heard over thousands of train rows, and agreeing ones change little."""
    import numpy as np

    rng = np.random.default_rng(3)

    def rows(n, similar=1.0):
        return np.column_stack([rng.random(n) * similar, rng.random(n) * 0.3, 2 + rng.random(n), rng.normal(0, 0.3, n)])

    x = rows(4000)
    y = rng.random(4000) < 1 / (1 + np.exp(-(4 - 10 * x[:, 0])))  # sharing little with the MT: closer
    base = rt._params(x, y, np.ones(4000), [""] * 4000, ["ro"], fitted_on="train pairs")
    strays = rows(300, similar=0.2)  # where the model retranslates
    before = rt.Retranslator(base, CHAINS).probability(strays)
    assert before.mean() > 0.8
    edited = rows(100, similar=0.2)
    keys = [f"k{i}" for i in range(100)]
    down = rt.refit(base, edited, np.zeros(100, bool), 4.0, keys, ["ro"])
    assert rt.Retranslator(down, CHAINS).probability(strays).mean() < rt.Retranslator(base, CHAINS).probability(strays).mean() - 0.4
    assert (down["coef"], down["intercept"], down["fitted_on"]) == (base["coef"], base["intercept"], "train pairs")
    assert down["editor_translations"] == 100 and down["translations"] == 4100
    agreeing = rng.random(100) < rt.Retranslator(base, CHAINS).probability(edited)
    same = rt.refit(base, edited, agreeing, 4.0, keys, ["ro"])
    assert np.abs(rt.Retranslator(same, CHAINS).probability(strays) - before).max() < 0.1
    # A later fine-tune adds its corrections to the editor's earlier ones; the model's own weights stay.
    again = rt.refit(down, edited[:10], np.zeros(10, bool), 4.0, [f"m{i}" for i in range(10)], ["ro"])
    assert again["editor_translations"] == 110 and again["coef"] == base["coef"]
    assert again["editor_shift"] < down["editor_shift"] < 0
    for bad in (float("nan"), "1", None):
        with pytest.raises(ValueError, match="retranslation"):
            rt.Retranslator(down | {"editor_shift": bad}, CHAINS)
    # Refitted before the editor's rows were kept apart (pooled into its weights): its own rows fit it again.
    pooled = {k: v for k, v in down.items() if k != "editor_shift"} | {"coef": [0.0] * len(base["coef"])}
    refitted = rt.refit(pooled, edited[:10], np.zeros(10, bool), 4.0, [f"m{i}" for i in range(10)], ["ro"])
    assert refitted["coef"][0] < -1 and refitted["editor_shift"] < 0 and refitted["editor_translations"] == 110
    # A model that kept no rows stays as it is too; an editor's row must name its segment.
    bare = {k: v for k, v in base.items() if k != "data"}
    assert rt.refit(bare, edited, np.zeros(100, bool), 4.0, keys, ["ro"])["coef"] == base["coef"]
    with pytest.raises(ValueError, match="key"):
        rt.refit(base, edited[:1], [False], 4.0, [""], ["ro"])


def test_finetune_teaches_retranslation_from_corrections_with_sources(monkeypatch):
    from posteditor.learn.finetune import refit

    rows, table = _corrections(40, 15)
    monkeypatch.setattr(rt, "installed", lambda modes=rt.MODES: CHAINS)
    monkeypatch.setattr(rt, "translate", fake_run(table))
    meta: dict = {}
    summary = refit.refit_retranslation(meta, rows + [Pair("No source.", "No source!")], 4.0)
    assert summary == {"translations": 40, "closer": 15, "weight": 4.0, "refitted": True, "fitted_before": 0}
    assert meta["retranslation"]["translations"] == 40
    # The same corrections again (a later fine-tune on the same log): nothing new to learn.
    assert refit.refit_retranslation(meta, rows, 4.0) is None
    assert meta["retranslation"]["translations"] == 40
    # The editor has since kept the MT of five strays after all: those five are taught again, in
    # place of what they taught before.
    kept_mt = [Pair(r.mt, r.mt, r.src) for r in rows[:5]] + rows[5:]
    before = json.loads(json.dumps(meta))
    summary = refit.refit_retranslation(meta, kept_mt, 4.0)
    assert summary["translations"] == 5 and summary["closer"] == 0
    again = meta["retranslation"]
    assert (again["translations"], again["closer"], again["editor_translations"]) == (40, 10, 40)
    assert len({k.partition("=")[0] for k in again["data"]["k"]}) == 40
    assert refit.refit_retranslation(meta, kept_mt, 4.0) is None  # and once only
    # Five more changed back to their MT, nothing turned down: no training correction, but
    # ``collect`` names them taken back, and what they taught is forgotten (once).
    from posteditor.suggest.scorer import segment_key

    gone = [segment_key(r.mt, r.src) for r in rows[20:25]] + [segment_key("never taught", None)]
    summary = refit.refit_retranslation(meta, kept_mt[:20] + kept_mt[25:], 4.0, gone)
    assert summary["taken_back"] == 5 and summary["translations"] == 0
    assert meta["retranslation"]["editor_translations"] == 35 and len(meta["retranslation"]["data"]["k"]) == 35
    assert refit.refit_retranslation(meta, kept_mt[:20] + kept_mt[25:], 4.0, gone) is None
    # Rows kept by an older posteditor do not say what they were taught: never taught again.
    before["retranslation"]["data"]["k"] = [k.partition("=")[0] for k in before["retranslation"]["data"]["k"]]
    assert refit.refit_retranslation(before, kept_mt, 4.0) is None
    # Recalibrating the version keeps what it learnt from the editor.
    from posteditor.learn.calibrate import retranslation_kept

    kept = retranslation_kept(None, meta["retranslation"])
    assert kept["translations"] == 35 and len(kept["data"]["k"]) == 35
    assert retranslation_kept(None, None) is None
    for corrupt in (True, "x", [1], {"data": [1]}, {"data": {"x": ["1 2"], "y": [1], "k": ["a"]}}):
        assert retranslation_kept(None, corrupt) is None  # unreadable: the dev fit alone, no traceback
        assert refit.refit_retranslation({"retranslation": corrupt}, rows, 4.0) is not None


def test_a_fine_tune_on_a_fitted_retranslation_shifts_it_and_its_cards_say_so(monkeypatch):
    from posteditor.learn import card
    from posteditor.learn.finetune import refit

    mts, refs, sources, table = _strays_and_good(rt.MIN_FOR_PRODUCTS)
    base, _ = rt.fit_all(mts, refs, sources, "train pairs", CHAINS, fake_run(table))
    rows, more = _corrections(40, 0)  # an editor who keeps every MT (none strays here)
    table.update(more)
    monkeypatch.setattr(rt, "installed", lambda modes=rt.MODES: CHAINS)
    monkeypatch.setattr(rt, "translate", fake_run(table))
    meta = {"retranslation": base}
    summary = refit.refit_retranslation(meta, rows, 4.0)
    own = 2 * rt.MIN_FOR_PRODUCTS
    assert summary["refitted"] and summary["fitted_before"] == own and summary["shift"] == meta["retranslation"]["editor_shift"]
    lines = " ".join(card._retranslation_lines(meta))
    assert f"fitted on {own} translations of train pairs; the editor's 40 corrections add" in lines
    plan = {"data": {"train": 40, "fixes": 0, "leave_alone": 40, "heldout": 0, "replay": 0, "dev_from": "dev", "logs": [],
                     "records": 40, "corrupt": 0, "no_information": 0, "parallel": 0, "replay_from": None, "signature": "s"},
            "base": {"name": "default", "path": "models/default"}, "started": "2026-12-03T17:00", "mt_scores": {}}
    how = card.finetune_card("v2", plan, True, [], {},
                             {"threshold": 0.45, "inherited": True, "segments": 0, "retranslation": summary})
    assert f"to the log-odds given by the model fitted on its {own} translations, whose own weights stay" in how
    # A second fine-tune counts the model's own translations, not the first editor's too.
    again = refit.refit_retranslation(meta, [Pair(r.mt + " Again.", r.pe + " Again.", r.src) for r in rows], 4.0)
    assert again["fitted_before"] == own


def test_the_fitting_command_fits_on_train_measures_on_dev_and_writes_the_model(tiny_model, tmp_path, monkeypatch, capsys):
    """``python -m posteditor.learn.retranslation``: fitted on MLQE-PE ro-en train, measured on
    dev, written into posteditor.json; --dry-run leaves it alone; no chain: exit 2."""
    import json
    import shutil as sh

    from posteditor.learn import retranslation

    model = tmp_path / "model"
    sh.copytree(tiny_model, model)
    folder = tmp_path / "data" / "mlqe-pe" / "ro-en"
    folder.mkdir(parents=True)
    mts, refs, sources, table = _strays_and_good(30)
    for split, rows in (("train", range(60)), ("dev", range(0, 60, 3))):
        for ext, lines in (("src", sources), ("mt", mts), ("pe", refs)):
            (folder / f"{split}.{ext}").write_text("".join(lines[i] + "\n" for i in rows), encoding="utf-8")
    monkeypatch.setattr(rt, "installed", lambda modes=rt.MODES, chains=None: CHAINS)
    monkeypatch.setattr(rt, "translate", fake_run(table))
    before = (model / "posteditor.json").read_text()
    args = ["--model", str(model), "--data", str(tmp_path / "data")]
    assert retranslation.main(args + ["--dry-run"]) == 0
    assert (model / "posteditor.json").read_text() == before
    assert retranslation.main(args) == 0
    fitted = json.loads((model / "posteditor.json").read_text())["retranslation"]
    assert fitted["fitted_on"] == retranslation.DATA and fitted["translations"] == 60
    [alone, _] = fitted["measured"].values()
    assert alone["segments"] == 20 and alone["changed"] == alone["closer"] == 10 and alone["delta_ter"] < 0
    monkeypatch.setattr(rt, "installed", lambda modes=rt.MODES, chains=None: {})
    assert retranslation.main(args) == 2
    assert "not installed" in capsys.readouterr().err


def test_a_few_rows_fit_the_features_alone_with_moderate_probabilities():
    """An editor's few corrections (or a small dev set) are too few for the products: noise in
    them is not learnt as certainty."""
    import numpy as np

    rng = np.random.default_rng(5)
    def rows(n):
        return np.column_stack([rng.random(n), rng.random(n) * 0.5, 2 + rng.random(n), rng.normal(0, 0.3, n)])

    params = rt.refit(None, rows(24), np.arange(24) % 2 == 0, 4.0, [f"k{i}" for i in range(24)], ["ro"])
    assert params["degree"] == 1
    p = rt.Retranslator(params, CHAINS).probability(rows(200))  # new rows like those
    assert 0.1 < p.min() and p.max() < 0.9
    with pytest.raises(ValueError, match="features"):
        rt.expand([0.5, 0.1, 2.0, -1.0, 1.0, 0.0, 3.0, 0.5], 1)  # one flat row of eight: not two rows
