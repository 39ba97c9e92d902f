"""Scores, edit precision/recall, the threshold sweep and `posteditor evaluate`."""

from __future__ import annotations

import json

import pytest
from conftest import FakeSuggester

from posteditor import cli
from posteditor.commands import evaluate as ev
from posteditor.core import metrics
from posteditor.learn import threshold as thresholds
from posteditor.suggest import combine
from posteditor.core.edits import Edit, extract_edits

MTS = ["The family fled the world of Idlib.", "They lack informations.", "The peoples left.", "All fine here."]
REFS = ["The family fled the region of Idlib.", "They lack information.", "The people left.", "All fine here."]


def test_score_perfect_and_case_sensitive():
    assert metrics.score(REFS, REFS) == {"ter": 0.0, "chrf": 100.0, "bleu": 100.0}
    assert metrics.score(["the family left."], ["The family left."])["ter"] > 0


def test_segment_metrics_match_sacrebleu():
    ter, chrf, bleu = metrics._metrics()
    caches = {"ter": metrics.SegmentMetric(MTS, REFS), "chrf": metrics.SegmentMetric(MTS, REFS, chrf),
              "bleu": metrics.SegmentMetric(MTS, REFS, bleu)}
    for hyps in (MTS, REFS, [MTS[0], REFS[1], "Totally different words", ""]):
        assert {k: round(c.corpus(hyps), 3) for k, c in caches.items()} == metrics.score(hyps, REFS)


@pytest.mark.parametrize(
    "hyps, expected",
    [
        (MTS, dict(applied=0, matched=0, precision=None, recall=0.0)),
        (REFS, dict(applied=3, matched=3, precision=1.0, recall=1.0)),
        ([REFS[0], "They lack the informations.", MTS[2], MTS[3]], dict(applied=2, matched=1, precision=0.5, recall=0.3333)),
    ],
)
def test_edit_precision_recall(hyps, expected):
    got = metrics.edit_precision_recall(MTS, hyps, REFS)
    assert {k: got[k] for k in expected} == expected
    assert got["reference"] == 3


def _proposed(confidences: dict[int, float]) -> list[list[Edit]]:
    """The post-editor's edits for the chosen segments, at the given confidence, plus a bad one."""
    proposed = [[] for _ in MTS]
    for i, c in confidences.items():
        proposed[i] = [Edit(e.start, e.end, e.replacement, c, "model") for e in extract_edits(MTS[i], REFS[i])]
    proposed[3] = [Edit(0, 1, ("Nothing",), 0.3, "model")]  # a wrong edit, not very sure
    return proposed


def test_choose_threshold_prefers_the_best_ter_then_the_higher_threshold():
    threshold, table = thresholds.choose_threshold(MTS, REFS, None, _proposed({0: 0.9, 1: 0.8, 2: 0.35}))
    assert threshold == 0.35  # 0.3 would add the wrong edit; above 0.35 loses a good one
    rows = {r["threshold"]: r for r in table}
    assert rows[0.3]["precision"] == 0.75 and rows[0.3]["applied"] == 4
    assert rows[0.35]["precision"] == 1.0 and rows[0.35]["delta_ter"] < rows[0.4]["delta_ter"] < 0
    assert rows[thresholds.NOTHING]["applied"] == 0


def test_choose_threshold_applies_nothing_when_nothing_helps():
    proposed = [[Edit(0, 1, ("Wrong",), 0.9)] for _ in MTS]
    threshold, table = thresholds.choose_threshold(MTS, REFS, None, proposed)
    assert threshold == thresholds.NOTHING
    assert all(r["delta_ter"] > 0 for r in table if r["applied"])


def test_choose_threshold_never_applies_what_no_scorer_judged():
    """Edits below UNSCORED_CAP are a model's unjudged ones: right on a few segments or not,
    no threshold applies them."""
    from posteditor.suggest.base import UNSCORED_CAP

    threshold, table = thresholds.choose_threshold(MTS, REFS, None, _proposed({0: 0.25, 1: 0.2, 2: 0.29}))
    assert threshold == thresholds.NOTHING and min(r["threshold"] for r in table) == UNSCORED_CAP


def test_choose_threshold_needs_precision_first():
    # Two wrong one-word edits and one right edit that fixes five words, all at 0.9: TER
    # improves, but two edits in three are wrong, so no threshold that applies them qualifies.
    mts = ["a b c d e f g h i j k"] * 2 + ["x"]
    refs = ["a b c d e f g h i j k"] * 2 + ["completely new long sentence here"]
    proposed = [[Edit(10, 11, (" kk",), 0.9)] for _ in range(2)]
    proposed.append([Edit(0, 1, ("completely", " new", " long", " sentence", " here"), 0.9)])
    threshold, table = thresholds.choose_threshold(mts, refs, None, proposed)
    assert threshold == thresholds.NOTHING
    assert table[0]["delta_ter"] < 0 and table[0]["precision"] == 0.3333


@pytest.mark.parametrize(
    "lines, tokenized",
    [
        (["He said , \" we don 't know . \"", "It 's here ."], True),
        (["The rebels &apos;re gone .", "Fine ."], True),
        (['He said, "we don\'t know."', "It's here."], False),
        (["", "  "], False),
    ],
)
def test_is_tokenized(lines, tokenized):
    assert metrics.is_tokenized(lines) is tokenized


@pytest.mark.parametrize(
    "mode, line, expected",
    [
        ("auto", "He said , \" we don 't know . \"", 'He said, "we don\'t know."'),
        ("no", "He said , we know .", "He said , we know ."),
        ("yes", "It 's here .", "It's here."),
        ("auto", "  It's here.  ", "It's here."),
    ],
)
def test_prepare(mode, line, expected):
    assert metrics.prepare([line], mode) == [expected]


def test_evaluate_items_reports_before_after_and_edits():
    fake = FakeSuggester({"world": ("region", 0.9), "informations": ("information", 0.8), "fine": ("good", 0.2)})
    result = thresholds.evaluate_items(fake, MTS, REFS, min_confidence=0.5)
    assert result["segments"] == 4 and result["changed_segments"] == 2
    assert result["delta"]["ter"] < 0 and result["delta"]["bleu"] > 0
    assert result["edits"] == {"applied": 2, "reference": 3, "matched": 2, "precision": 1.0,
                               "recall": 0.6667, "proposed": 3, "word_edits": 2, "word_edits_matched": 2,
                               "retranslated": 0, "retranslated_closer": 0}


def test_a_retranslated_segment_is_one_change_right_when_closer():
    mts = ["The Commission concludes that the aid was compatible.", "It is fine.", "They lack informations."]
    refs = ["British analysts believed the Luftwaffe attacked with 150 planes.", "It is fine.",
            "They lack information."]
    closer = "British analysts considered that Luftwaffe attacked with 150 aeroplanes."
    further = "Something else entirely, and at much greater length than before."
    got = metrics.edit_precision_recall(mts, [closer, mts[1], refs[2]], refs, whole={0})
    assert (got["retranslated"], got["retranslated_closer"], got["word_edits"], got["word_edits_matched"]) == (1, 1, 1, 1)
    assert (got["applied"], got["matched"], got["precision"]) == (2, 2, 1.0)
    # Counted as word edits, the same retranslation would be many wrong ones.
    assert metrics.edit_precision_recall(mts, [closer, mts[1], refs[2]], refs)["precision"] < 0.5
    worse = metrics.edit_precision_recall(["A cat sat on the mat.", "It is fine.", mts[2]], [further, mts[1], mts[2]],
                                     ["A cat sat on the mat.", "It is fine.", refs[2]], whole={0})
    assert (worse["retranslated"], worse["retranslated_closer"], worse["precision"]) == (1, 0, 0.0)


def test_retranslated_finds_the_segments_whose_retranslation_is_applied():
    proposed = [[Edit(0, 3, ("New",), 0.8, "retranslation")], [Edit(0, 1, ("x",), 0.9, "model")],
                [Edit(0, 2, ("y",), 0.3, "retranslation")], []]
    assert metrics.retranslated(proposed, 0.5) == {0}
    assert metrics.retranslated(proposed, 0.2) == {0, 2}


def test_suggest_all_once_and_skips_too_long():
    fake = FakeSuggester({"world": ("region", 0.9)})
    mts = MTS + [" ".join(["world"] * 300), ""]
    proposed = combine.suggest_all(fake, mts)
    assert len(fake.calls) == 1 and len(fake.calls[0]) == 4
    assert proposed[-2:] == [[], []]


# --- the command --------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path):
    mt, ref = tmp_path / "dev.mt", tmp_path / "dev.pe"
    mt.write_text("\n".join(MTS) + "\n")
    ref.write_text("\n".join(REFS) + "\n")
    return mt, ref


@pytest.fixture
def fake(monkeypatch):
    fake = FakeSuggester({"world": ("region", 0.9), "informations": ("information", 0.8)})
    monkeypatch.setattr(ev, "load_suggester", lambda *a, **k: fake)
    return fake


def test_cli_json(fake, files, capsys):
    mt, ref = files
    assert cli.main(["evaluate", "--mt", str(mt), "--ref", str(ref), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["corrected"]["ter"] < result["mt"]["ter"]
    assert result["edits"]["precision"] == 1.0
    assert result["sweep"]["best"] == 0.8
    assert [r["threshold"] for r in result["sweep"]["table"]][-1] == thresholds.NOTHING


def test_cli_text_and_limit(fake, files, capsys):
    mt, ref = files
    assert cli.main(["evaluate", "--mt", str(mt), "--ref", str(ref), "--limit", "2", "--min-confidence", "0.85"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("segments: 2 (1 changed; min confidence 0.85)")
    assert "TER" in out and "chrF" in out and "BLEU" in out and "precision 1.000" in out


def test_cli_detokenizes_moses_input(fake, tmp_path, capsys):
    mt, ref = tmp_path / "mt", tmp_path / "ref"
    mt.write_text("They fled the world of Idlib , he said .\nIt 's the world .\n")
    ref.write_text("They fled the region of Idlib , he said .\nIt 's the region .\n")
    assert cli.main(["evaluate", "--mt", str(mt), "--ref", str(ref), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["corrected"]["ter"] == 0.0
    assert [i.text for i in fake.calls[0]] == ["They fled the world of Idlib, he said.", "It's the world."]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--source", "SHORT"], "has 1 lines but"),
        (["--limit", "0"], "--limit: 0: give a positive number"),
    ],
)
def test_cli_errors_are_one_line(fake, files, tmp_path, capsys, extra, message):
    mt, ref = files
    (tmp_path / "SHORT").write_text("one line\n")
    extra = [str(tmp_path / x) if x == "SHORT" else x for x in extra]
    assert cli.main(["evaluate", "--mt", str(mt), "--ref", str(ref), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_cli_misaligned_files(fake, files, tmp_path, capsys):
    mt, _ = files
    ref = tmp_path / "ref"
    ref.write_text("only one\n")
    assert cli.main(["evaluate", "--mt", str(mt), "--ref", str(ref)]) == 2
    assert capsys.readouterr().err.strip() == f"posteditor: {mt} has 4 lines but {ref} has 1; they must align"


def test_cli_on_the_tiny_model(tiny_model, files, capsys):
    mt, ref = files
    assert cli.main(["evaluate", "--mt", str(mt), "--ref", str(ref), "--model", str(tiny_model), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mt"] == metrics.score(MTS, REFS) and result["segments"] == 4
