"""Fine-tuning on corrections: data collection, the gate, versions, interruption and resume.

Runs the real Trainer on the tiny model (a few steps each); scores are injected where a test
needs the gate to decide one way.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace

import pytest

from posteditor import cli
from posteditor.core import corrections, paths
from posteditor.learn.finetune import run as finetune
from posteditor.learn.finetune import data as finetune_data
from posteditor.learn.finetune import refit
from posteditor.model import versions
from posteditor.core.corrections import Correction, Logged
from posteditor.core.edits import Edit, extract_edits
from posteditor.core.records import Pair, write_pairs
from posteditor.learn.finetune.config import FinetuneConfig
from posteditor.learn.finetune.gate import gate
from posteditor.learn.finetune.data import collect, split_calibration, split_heldout
from posteditor.core.textio import InputError
from posteditor.suggest.base import Suggester

from conftest import tiny_pairs

FAST = FinetuneConfig(epochs=1, batch_size=8, save_steps=2, dev_size=6)
MLQE = {  # Moses-tokenized, as MLQE-PE ships it
    "mt": ["The family fled in the last week to Idlib .", "He say it 's the peoples ' choice .",
           "Aid workers entered the world of Hama .", "The army shelled the camp ."],
    "pe": ["The family fled to Idlib last week .", "He said it 's the people 's choice .",
           "Aid workers entered the region of Hama .", "The army shelled the camp ."],
    "src": ["a", "b", "c", "d"],
}


def record(mt, final, decision=None):
    edits = (Logged(decision, Edit(0, 1, (" y",), 0.9, "model"), "x", "y"),) if decision else ()
    return Correction(mt, final, document="doc.txt", segment=0, edits=edits)


@pytest.fixture
def home(tmp_path, monkeypatch, tiny_model):
    """A models folder holding a copy of the tiny model as ``default``, a corpus to replay,
    MLQE-PE-like dev files and a corrections log with two corrupt lines."""
    root = tmp_path / "models"
    shutil.copytree(tiny_model, root / "default", ignore=shutil.ignore_patterns("work", "checkpoints"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pairs(corpus / "train.jsonl", tiny_pairs(100, seed=11))
    meta_path = root / "default" / "posteditor.json"
    meta = json.loads(meta_path.read_text())
    meta["training"] = {"config": {"corpus": str(corpus)}}
    meta_path.write_text(json.dumps(meta))
    dev = tmp_path / "data" / "mlqe-pe" / "ro-en"
    dev.mkdir(parents=True)
    for ext, lines in MLQE.items():
        (dev / f"dev.{ext}").write_text("\n".join(lines) + "\n")
    log = tmp_path / "corrections.jsonl"
    corrections.append([record(r.mt, r.pe) for r in tiny_pairs(40, seed=5)], log)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write('{"mt": "The army fled", "fin\n')
        fh.write("\x00\x01 garbage\n")
    monkeypatch.setenv("POSTEDITOR_MODELS", str(root))
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(log))
    monkeypatch.setenv("POSTEDITOR_DATA", str(tmp_path / "data"))
    return root


@pytest.mark.parametrize(
    "records, pairs, stats",
    [
        ([record("a b", "a c")], [("a b", "a c")], {"fixes": 1, "leave_alone": 0, "no_information": 0}),
        # unchanged, but the editor rejected a proposal: "leave it alone" is worth learning
        ([record("a b", "a b", "rejected")], [("a b", "a b")], {"fixes": 0, "leave_alone": 1}),
        # unchanged and nothing rejected (pending, or nothing proposed): says nothing
        ([record("a b", "a b", "pending"), record("a b", "a b")], [], {"no_information": 2}),
        ([record("a b", "")], [], {"no_information": 1}),
        # the same MT logged twice: the latest final text wins
        ([record("a b", "a c"), record("a b", "a d")], [("a b", "a d")], {"records": 2, "fixes": 1}),
        # changed (or a proposal turned down), then undone and saved again: taken back
        ([record("a b", "a c"), record("a b", "a b")], [], {"fixes": 0, "no_information": 1}),
        ([record("a b", "a b", "rejected"), record("a b", "a b")], [], {"leave_alone": 0}),
        # ... but only by the same segment of the same document, and the other segment's stays
        ([record("a b", "a c"), replace(record("a b", "a b"), segment=1)], [("a b", "a c")], {"fixes": 1}),
        ([record("a b", "a c"), replace(record("a b", "a d"), segment=1), replace(record("a b", "a b"), segment=1)],
         [("a b", "a c")], {"fixes": 1}),
    ],
)
def test_collect(tmp_path, records, pairs, stats):
    log = tmp_path / "log.jsonl"
    corrections.append(records, log)
    rows, got = collect([log])
    assert [(r.mt, r.pe) for r in rows] == pairs
    assert {k: got[k] for k in stats} == stats


def test_a_correction_keeps_its_documents_language_and_fine_tuning_reads_it(tmp_path):
    log = tmp_path / "log.jsonl"
    corrections.append([replace(record("a b", "a c"), language="ro"), record("x y", "x z")], log)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines[0]["language"] == "ro" and "language" not in lines[1]  # (as records were before it was kept)
    assert [r.language for r in corrections.read(log)[0]] == ["ro", None]
    with open(log, "a", encoding="utf-8") as fh:  # a hand-written or older record: keyed as languages are, or none
        fh.write(json.dumps(replace(record("p q", "p r"), language="RO").to_json()) + "\n")
        fh.write(json.dumps(replace(record("s t", "s u"), language="und").to_json()) + "\n")
    assert [r.language for r in corrections.read(log)[0]] == ["ro", None, "ro", None]
    rows, _ = collect([log])
    assert {(r.mt, r.source_language) for r in rows} == {("a b", "ro"), ("x y", None), ("p q", "ro"), ("s t", None)}


def test_collect_names_what_was_taken_back(tmp_path):
    from posteditor.suggest.scorer import segment_key

    log = tmp_path / "log.jsonl"
    corrections.append([record("a b", "a c"), record("x y", "x z"), record("a b", "a b"), record("p q", "p q")], log)
    rows, stats = collect([log])
    assert [(r.mt, r.pe) for r in rows] == [("x y", "x z")]
    assert stats["taken_back"] == [segment_key("a b", None)]  # "p q" never taught anything


def test_collect_from_several_logs_lets_the_latest_record_win_whatever_their_order(tmp_path):
    later, earlier = tmp_path / "laptop.jsonl", tmp_path / "desktop.jsonl"
    corrections.append([replace(record("a b", "a d"), time="2026-12-04T10:00:00+00:00")], later)
    corrections.append([replace(record("a b", "a c"), time="2026-12-03T10:00:00+00:00"),
                        replace(record("x y", "x z"), time="2026-12-05T10:00:00+00:00")], earlier)
    for logs in ([later, earlier], [earlier, later]):
        rows, stats = collect(logs)
        assert sorted((r.mt, r.pe) for r in rows) == [("a b", "a d"), ("x y", "x z")] and stats["records"] == 3


def test_collect_parallel_files_and_their_errors(tmp_path):
    mt, pe, src = tmp_path / "mt.txt", tmp_path / "pe.txt", tmp_path / "src.txt"
    mt.write_text("a b\n\nc d\n")
    pe.write_text("a c\n\nc d\n")
    src.write_text("x\ny\nz\n")
    rows, stats = collect([], str(mt), str(pe), str(src))
    assert rows == [Pair("a b", "a c", "x"), Pair("c d", "c d", "z")]  # (sources too short to tell their language)
    assert stats["parallel"] == 2
    rows, _ = collect([], str(mt), str(pe), str(src), "et")
    assert {r.source_language for r in rows} == {"et"}
    src.write_text("Oamenii au fugit din regiunea Idlib.\nx\nArmata a cucerit zeci de orașe și sate din provincie.\n")
    assert {r.source_language for r in collect([], str(mt), str(pe), str(src))[0]} == {"ro"}  # identified
    pe.write_text("a c\n")
    with pytest.raises(InputError, match="different numbers of lines"):
        collect([], str(mt), str(pe))
    with pytest.raises(InputError, match="go together"):
        collect([], str(mt), None)


@pytest.mark.parametrize("n", [2, 3, 10, 100])
def test_split_heldout_is_deterministic_and_never_empty(n):
    rows = [Pair(f"segment {i}", f"segment {i}.") for i in range(n)]
    train, held = split_heldout(rows, 0.15)
    assert 1 <= len(held) < n and len(train) + len(held) == n
    assert split_heldout(list(reversed(rows)), 0.15) == (train, held)
    if n == 100:
        assert 5 <= len(held) <= 30
    # a growing log keeps what it held out: the choice is by hash, not position
    bigger_train, bigger_held = split_heldout(rows + [Pair("new", "new.")], 0.15)
    assert n < 10 or {r.mt for r in held} <= {r.mt for r in bigger_held}


def test_split_heldout_needs_two_corrections():
    with pytest.raises(InputError, match="at least 2"):
        split_heldout([Pair("a", "b")], 0.15)


@pytest.mark.parametrize("n", [1, 3, 4, 5, 20, 100])
def test_split_calibration_is_stable_and_disjoint(n):
    held = [Pair(f"segment {i}", f"segment {i}.") for i in range(n)]
    calibration, gate_half = split_calibration(held)
    cal_mts, gate_mts = {r.mt for r in calibration}, {r.mt for r in gate_half}
    assert not cal_mts & gate_mts and len(calibration) + len(gate_half) == n
    assert split_calibration(list(reversed(held))) == (calibration, gate_half)
    if n < 4:  # too few to halve: all judge, none choose
        assert calibration == [] and len(gate_half) == n
    else:
        assert min(len(calibration), len(gate_half)) >= 2
    if n >= 20:  # by hash, so a growing log keeps each row's side
        more_cal, more_gate = split_calibration(held + [Pair("new", "new.")])
        assert cal_mts <= {r.mt for r in more_cal} and gate_mts <= {r.mt for r in more_gate}
    if n == 100:
        assert 30 <= len(calibration) <= 70
        # a second hash: the halves do not follow the first hash, which chose the held-out rows
        assert calibration != sorted(held, key=finetune_data._hash)[: len(calibration)]


@pytest.mark.parametrize(
    "new, passed",
    [
        ({"heldout": 29.0, "dev": 20.0}, True),
        ({"heldout": 29.0, "dev": 20.2}, True),  # within the tolerance
        ({"heldout": 29.0, "dev": 20.3}, False),
        ({"heldout": 30.0, "dev": 19.0}, False),  # must be better on the corrections, not equal
        ({"heldout": 29.0}, True),  # no dev set: the corrections decide
    ],
)
def test_gate(new, passed):
    plan = {"base_scores": {"heldout": 30.0, "dev": 20.0}}
    ok, reasons = gate(plan, new, tolerance=0.2)
    assert ok is passed
    assert len(reasons) == len(new) and all("TER" in r for r in reasons)


def test_equal_ter_passes_when_the_words_to_check_rank_better():
    plan = {"base_scores": {"heldout": 30.0, "dev": 20.0}}
    reading = {"kept": True, "before": 0.40, "after": 0.45, "heldout_changed": 20}
    ok, reasons = gate(plan, {"heldout": 30.0, "dev": 20.0}, 0.2, {"readings": {"without_source": reading}})
    assert ok and "better than the inherited probe: average precision without source 0.4 -> 0.45" in reasons[0]
    # A language's own probe, refitted on its documents' corrections, counts as well.
    ok, reasons = gate(plan, {"heldout": 30.0, "dev": 20.0}, 0.2, {"readings": {}, "languages": {"ro": {"with_source": reading}}})
    assert ok and "with source in ro 0.4 -> 0.45" in reasons[0]
    for words in (None, {"readings": {"without_source": reading | {"after": 0.40}}},  # ties: not better
                  {"readings": {"without_source": reading | {"heldout_changed": 19}}},  # judged on too few
                  {"readings": {"without_source": {"kept": False, "reason": "x"}}}):
        assert not gate(plan, {"heldout": 30.0, "dev": 20.0}, 0.2, words)[0]
    assert not gate(plan, {"heldout": 30.1, "dev": 20.0}, 0.2, {"readings": {"r": reading}})[0]  # worse TER: refused
    assert not gate(plan, {"heldout": 30.0, "dev": 20.3}, 0.2, {"readings": {"r": reading}})[0]  # worse dev: refused


def test_the_source_language_of_parallel_files_reaches_collect(tmp_path, monkeypatch):
    from posteditor.commands import finetune as command

    mt, pe = tmp_path / "mt.txt", tmp_path / "pe.txt"
    mt.write_text("a b\n")
    pe.write_text("a c\n")
    given = []
    monkeypatch.setattr(command, "run", lambda model, logs, parallel, out, cfg: given.append(parallel) or ("x", False, []))
    assert cli.main(["finetune", "--mt", str(mt), "--pe", str(pe), "--source-language", "ET-ee"]) == 0
    assert given == [(str(mt), str(pe), None, "et")]
    rows, _ = collect([], *given[0])
    assert [r.source_language for r in rows] == ["et"]


def test_finetune_end_to_end_through_the_cli(home, capsys):
    assert cli.main(["finetune", "--out", "ft-test", "--epochs", "1"]) == 0
    out, err = capsys.readouterr()
    version = home / "ft-test"
    meta = json.loads((version / "posteditor.json").read_text())
    ft = meta["finetune"]
    assert ft["data"]["corrupt"] == 2 and "2 corrupt corrections line(s) skipped" in err
    assert 0 < ft["data"]["replay"] <= ft["data"]["train"]  # replay_ratio 0.5
    assert ft["data"]["dev"] == 4 and "MLQE-PE dev" in ft["data"]["dev_from"]
    assert meta["base"]["name"] == "default"
    calibration = ft["calibration"]  # the new model's own threshold, sought on its own held-out half...
    assert meta["min_confidence"] == calibration["threshold"] and calibration["segments"] == ft["data"]["calibration"] >= 2
    # ... where the tiny model's edits, capped below 0.3 without a scorer, are applied at no threshold: the base's is kept
    assert calibration["nothing_applied"] and calibration["threshold"] == 0.0 and calibration["table"]
    assert {"base", "new", "mt"} <= set(ft["gate"]["heldout"]) and "dev" in ft["gate"]
    assert ft["gate"]["heldout"]["segments"] == ft["data"]["heldout"] >= 2
    card = (version / "README.md").read_text()
    assert card.startswith("# Model version `ft-test`") and "## Gate" in card
    assert f"the {calibration['segments']} held-out corrections set aside to choose one" in card
    assert ft["steps"] >= 1 and ft["seconds"] is not None  # this run's training, as the card says
    assert f"{ft['steps']} steps in {ft['seconds']} s." in card
    assert not (home / versions.WORK / "ft-test").exists()  # work folder cleaned up
    passed = ft["gate"]["passed"]
    assert versions.current_name(home) == ("ft-test" if passed else "default")
    assert ("is now the current model" if passed else "kept as a candidate") in out
    assert cli.main(["finetune", "--out", "ft-test"]) == 2  # a name is never reused
    assert "already exists" in capsys.readouterr().err


def scores(heldout, dev, seen=None):
    """A scorer: the base model gets 30/20, the new one (trained in ``.work/NAME/model``) what the test says.

    ``seen`` collects, per call: whether it scored the base model, that model's threshold, the held-out MTs.
    """
    def scorer(model_dir, sets):
        base = model_dir.name != "model"
        if seen is not None:
            threshold = json.loads((model_dir / "posteditor.json").read_text()).get("min_confidence")
            seen.append((base, threshold, [r.mt for r in sets["heldout"]]))
        return {"heldout": 30.0 if base else heldout, "dev": 20.0 if base else dev}
    return scorer


class Proposer(Suggester):
    """The new model, as the threshold choice sees it: each post-editor fix proposed at 0.72 and a
    wrong first word at 0.68, so 0.7 is the one threshold that applies right edits only."""

    info = type("Info", (), {"use_source": True})()
    meta: dict = {}  # its posteditor.json: no retranslation

    def __init__(self, fixes):
        self.fixes, self.asked = fixes, []

    def hints(self, sources):  # reads no Apertium translation
        return [None] * len(sources)

    def suggest(self, items):
        self.asked += items
        return [[replace(e, confidence=0.72) for e in extract_edits(it.text, self.fixes[it.text])]
                + [Edit(0, 1, ("Zzz",), 0.68)] for it in items]


def test_the_new_model_gets_its_own_threshold_from_the_calibration_half(home, monkeypatch):
    log = home.parent / "sourced.jsonl"
    rows = [replace(r, src=f"source {i}") for i, r in enumerate(tiny_pairs(40, seed=5))]
    corrections.append([Correction(r.mt, r.pe, source=r.src) for r in rows], log)
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(log))
    calibration, gate_half = split_calibration(split_heldout(collect([log])[0], FAST.heldout_fraction)[1])
    assert len(calibration) >= 2 and any(r.mt != r.pe for r in calibration)
    proposer = Proposer({r.mt: r.pe for r in rows})
    monkeypatch.setattr("posteditor.model.corrector.Corrector", lambda model_dir, **kw: proposer)
    seen = []
    finetune.run(out="ft-own", cfg=FAST, scorer=scores(28.0, 20.0, seen))
    # chosen on the calibration half alone, sources included
    assert [(it.text, it.source) for it in proposer.asked] == [(r.mt, r.src) for r in calibration]
    meta = json.loads((home / "ft-own" / "posteditor.json").read_text())
    chosen = meta["finetune"]["calibration"]
    assert meta["min_confidence"] == chosen["threshold"] == 0.7 and chosen["segments"] == len(calibration)
    assert [r["threshold"] for r in chosen["table"] if r["precision"] == 1.0] == [0.7]
    card = (home / "ft-own" / "README.md").read_text()
    assert f"the new model's, 0.7, was chosen on {len(calibration)} held-out corrections" in card
    # the gate judges both models on the other half only, each at its own threshold
    gate_mts = [r.mt for r in gate_half]
    assert seen == [(True, 0.0, gate_mts), (False, 0.7, gate_mts)]
    assert not set(gate_mts) & {r.mt for r in calibration}


def test_a_calibration_half_where_nothing_is_applied_keeps_the_base_threshold(home, monkeypatch):
    """No threshold can be chosen where the new model applies nothing: it keeps the base's, which
    the gate then judges, instead of applying nothing at all."""
    log = home.parent / "sourced.jsonl"
    rows = [replace(r, src=f"source {i}") for i, r in enumerate(tiny_pairs(40, seed=5))]
    corrections.append([Correction(r.mt, r.pe, source=r.src) for r in rows], log)
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(log))
    proposer = Proposer({})
    proposer.suggest = lambda items: [[] for _ in items]  # it proposes nothing there
    monkeypatch.setattr("posteditor.model.corrector.Corrector", lambda model_dir, **kw: proposer)
    seen = []
    finetune.run(out="ft-none", cfg=FAST, scorer=scores(28.0, 20.0, seen))
    meta = json.loads((home / "ft-none" / "posteditor.json").read_text())
    calibration = meta["finetune"]["calibration"]
    assert meta["min_confidence"] == 0.0 and calibration["inherited"] and calibration["segments"] >= 2
    assert seen[1][1] == 0.0  # judged at the base's threshold, not at 1.01
    assert "it applies nothing at any threshold" in (home / "ft-none" / "README.md").read_text()


def test_a_base_scorer_that_keeps_its_edits_learns_from_the_training_corrections(home, monkeypatch):
    from posteditor.core.edits import tokenize
    from posteditor.suggest.scorer import FEATURES, EditScorer
    from posteditor.suggest.base import Item

    log = home.parent / "sourced.jsonl"
    rows = [replace(r, src=f"source {i}") for i, r in enumerate(tiny_pairs(40, seed=5))]
    corrections.append([Correction(r.mt, r.pe, source=r.src) for r in rows], log)
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(log))
    train_rows, heldout = split_heldout(collect([log])[0], FAST.heldout_fraction)
    # A base scorer fitted on dev edits that say "an edit the model is 0.72 sure of is wrong,
    # one it is 0.68 sure of is right": the opposite of this editor (see Proposer).
    x = [[0.72] + [0.0] * (len(FEATURES) - 1)] * 20 + [[0.68] + [0.0] * (len(FEATURES) - 1)] * 20
    y = [0] * 20 + [1] * 20
    base_scorer = {"features": list(FEATURES), "mean": [0.0] * len(FEATURES), "scale": [1.0] * len(FEATURES),
                   "coef": [0.0] * len(FEATURES), "intercept": 0.0, "edits": 40, "right": 20, "c": 1.0,
                   "data": {"x": x, "y": y, "w": [1.0] * 40}}
    meta_path = home / "default" / "posteditor.json"
    meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()), "edit_scorer": base_scorer,
                                     "min_confidence": 0.5}))
    proposer = Proposer({r.mt: r.pe for r in rows})
    proposer.piece_count = len
    monkeypatch.setattr("posteditor.model.corrector.Corrector", lambda model_dir, **kw: proposer)
    seen = []
    finetune.run(out="ft-taste", cfg=FAST, scorer=scores(28.0, 20.0, seen))
    # the base model proposed in the training corrections (never the held-out ones), sources included
    assert [(it.text, it.source) for it in proposer.asked] == [(r.mt, r.src) for r in train_rows]
    meta = json.loads((home / "ft-taste" / "posteditor.json").read_text())
    ft, learnt = meta["finetune"], meta["edit_scorer"]
    fixes = sum(r.mt != r.pe for r in train_rows)
    assert learnt["editor_edits"] == ft["data"]["editor_edits"] == ft["calibration"]["scorer"]["editor_edits"]
    assert learnt["editor_edits"] >= len(train_rows) + fixes and learnt["editor_right"] >= fixes > 0
    assert learnt["edits"] == 40 and len(learnt["data"]["y"]) == 40 + learnt["editor_edits"]
    # the new model keeps the base threshold; every held-out correction judges it
    assert meta["min_confidence"] == 0.5 and ft["data"]["calibration"] == 0
    assert seen[0][2] == seen[1][2] == [r.mt for r in heldout] and seen[1][1] == 0.5
    # and its confidence now follows the editor: a fix like theirs is worth applying, the guess is not
    row = next(r for r in train_rows if r.mt != r.pe)
    fix, guess = proposer.suggest([Item(row.mt, row.src)])[0][-2:]
    tokens = tokenize(row.mt)
    assert EditScorer(base_scorer, len).rescore(tokens, [fix], None)[0].confidence == 0.5
    rescored = EditScorer(learnt, len).rescore(tokens, [fix, guess], row.src)
    assert rescored[0].confidence > 0.5 > rescored[1].confidence
    assert "its edit scorer was refitted on the base model's" in (home / "ft-taste" / "README.md").read_text()
    listed = versions.Version("ft-taste", home / "ft-taste", meta).metrics()  # as `posteditor models list` shows it
    assert f"scorer learnt {learnt['editor_edits']} editor's edits" in listed
    # The next fine-tune starts from ft-taste, which was trained on those corrections: its edits
    # there would be no test of it, and the scorer has them already. Only new corrections count.
    assert versions.current_name(home) == "ft-taste"
    later = [replace(r, src=f"later {i}") for i, r in enumerate(tiny_pairs(30, seed=8))]
    corrections.append([Correction(r.mt, r.pe, source=r.src) for r in later], log)
    proposer.fixes.update({r.mt: r.pe for r in later})
    proposer.asked.clear()
    finetune.run(out="ft-later", cfg=FAST, scorer=scores(28.0, 20.0))
    later_train, _ = split_heldout(collect([log])[0], FAST.heldout_fraction)
    fresh = [r for r in later_train if r.src.startswith("later")]
    assert [(it.text, it.source) for it in proposer.asked] == [(r.mt, r.src) for r in fresh]
    again = json.loads((home / "ft-later" / "posteditor.json").read_text())
    sc = again["finetune"]["calibration"]["scorer"]
    assert sc["already_learnt"] == len(later_train) - len(fresh) and sc["fitted_before"] == len(learnt["data"]["y"])
    assert len(again["edit_scorer"]["data"]["y"]) == len(learnt["data"]["y"]) + sc["editor_edits"]


def test_a_scorer_refit_sees_sources_as_the_model_does_and_needs_a_threshold_that_applies(monkeypatch):
    from posteditor.suggest.scorer import FEATURES

    class NoSource(Proposer):
        info = type("Info", (), {"use_source": False})()
        piece_count = staticmethod(len)

    rows = [Pair("the king came .", "the King came .", "kuningas tuli")]
    proposer = NoSource({rows[0].mt: rows[0].pe})
    monkeypatch.setattr("posteditor.model.corrector.Corrector", lambda model_dir, **kw: proposer)
    labels = finetune.editor_edits("model", rows, learnt=set())
    assert [it.source for it in proposer.asked] == [None] and sorted(labels["y"]) == [0, 1] and labels["skipped"] == 0
    assert finetune.editor_edits("model", rows, learnt=set(labels["k"]))["segments"] == 0
    data = {"x": ["0 " * len(FEATURES)], "y": [1], "w": [1]}
    scorer = {"features": list(FEATURES), "data": data}
    assert finetune.refittable({"edit_scorer": scorer, "min_confidence": 0.5})
    assert not finetune.refittable({"edit_scorer": scorer, "min_confidence": 1.01})  # nothing applied: nothing to gain
    assert not finetune.refittable({"edit_scorer": scorer | {"data": {"x": [], "y": []}}, "min_confidence": 0.5})
    assert not finetune.refittable({"min_confidence": 0.5})


def test_unusable_scorer_data_keeps_the_base_scorer(capsys):
    from posteditor.suggest.scorer import FEATURES

    base = {"features": list(FEATURES), "coef": [0.0] * len(FEATURES), "edits": 2, "data": {"x": ["1 2"], "y": [1]}}
    meta = {"edit_scorer": base, "min_confidence": 0.5}
    row = [0.5] * len(FEATURES)
    calibration = refit.refit_scorer(meta, {"x": [row], "y": [1]}, 4.0)
    assert meta["edit_scorer"] is base and calibration["threshold"] == 0.5 and not calibration["scorer"]["refitted"]
    assert "edit scorer data is unusable" in capsys.readouterr().err


def test_too_few_held_out_corrections_keep_the_base_threshold(home, monkeypatch, capsys):
    log = home.parent / "few.jsonl"
    corrections.append([record(r.mt, r.pe) for r in tiny_pairs(8, seed=3)], log)
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(log))
    monkeypatch.setattr("posteditor.model.corrector.Corrector", None)  # nothing to choose on: the model is not asked
    seen = []
    finetune.run(out="ft-few", cfg=FAST, scorer=scores(28.0, 20.0, seen))
    assert "too few to halve" in capsys.readouterr().err
    meta = json.loads((home / "ft-few" / "posteditor.json").read_text())
    assert meta["min_confidence"] == 0.0 and meta["finetune"]["calibration"]["inherited"]
    assert "the new model's, 0.0, is inherited" in (home / "ft-few" / "README.md").read_text()
    assert seen[0][2] == seen[1][2] and len(seen[0][2]) == meta["finetune"]["data"]["heldout"] >= 1


def test_too_few_corrections_for_a_base_that_applies_nothing_stop_before_training(home, monkeypatch):
    meta_path = home / "default" / "posteditor.json"
    meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()), "min_confidence": 1.01}))
    log = home.parent / "few.jsonl"
    corrections.append([record(r.mt, r.pe) for r in tiny_pairs(8, seed=3)], log)
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(log))
    with pytest.raises(InputError, match=r"too few corrections to judge a fine-tune: \d+ in all"):
        finetune.run(out="ft-futile", cfg=FAST, scorer=scores(28.0, 20.0))
    assert not (home / "ft-futile").exists()


@pytest.mark.parametrize(
    "heldout, dev, promoted",
    [(28.0, 20.1, True), (31.0, 20.0, False), (28.0, 21.0, False)],
)
def test_the_gate_decides_what_becomes_current(home, heldout, dev, promoted):
    name, passed, reasons = finetune.run(out="ft-gate", cfg=FAST, scorer=scores(heldout, dev))
    assert passed is promoted
    assert versions.current_name(home) == ("ft-gate" if promoted else "default")
    assert versions.history(home) == (["default"] if promoted else [])
    [v] = [v for v in versions.versions(home) if v.name == "ft-gate"]
    assert v.candidate is not promoted
    card = (home / "ft-gate" / "README.md").read_text()
    assert ("promoted to current" if promoted else "kept as a candidate") in card
    assert all(r in card for r in reasons)
    if promoted:
        versions.rollback(home)
        assert versions.current_name(home) == "default" and (home / "ft-gate").is_dir()


class StopAt:
    """Ctrl-C at a given step (and record the steps seen)."""

    def __init__(self, step=None):
        self.step, self.seen = step, []

    def __call__(self, step):
        self.seen.append(step)
        if step == self.step:
            raise KeyboardInterrupt


def test_an_interrupted_run_leaves_the_current_model_untouched_and_resumes(home, capsys):
    shutil.copytree(home / "default", home / "ft-old")
    versions.use("ft-old", home)
    before = (home / "CURRENT").read_bytes(), (home / "ft-old" / "adapter_model.safetensors").read_bytes()
    seen = []
    with pytest.raises(KeyboardInterrupt):
        finetune.run(out="ft-new", cfg=FAST, scorer=scores(28.0, 20.0, seen), callbacks=[StopAt(3)])
    assert "current model is untouched" in capsys.readouterr().err
    assert ((home / "CURRENT").read_bytes(), (home / "ft-old" / "adapter_model.safetensors").read_bytes()) == before
    assert not (home / "ft-new").exists()
    work = home / versions.WORK / "ft-new"
    assert (work / "plan.json").is_file()
    assert json.loads((work / "checkpoints" / "checkpoint" / "state.json").read_text())["step"] == 3  # kept at Ctrl-C
    assert versions.unfinished(home) == ["ft-new"]
    planned = {k: json.loads((work / "plan.json").read_text())["data"][k] for k in ("train", "calibration", "heldout")}

    # New corrections meanwhile do not change a resumed run's data.
    corrections.append([record(r.mt, r.pe) for r in tiny_pairs(20, seed=99)], home.parent / "corrections.jsonl")
    again = StopAt()
    name, passed, _ = finetune.run(out="ft-new", cfg=FAST, scorer=scores(28.0, 20.0, seen), callbacks=[again])
    assert "resuming" in capsys.readouterr().err
    assert again.seen[0] == 4  # picked up after step 3
    assert (name, passed) == ("ft-new", True)
    data = json.loads((home / "ft-new" / "posteditor.json").read_text())["finetune"]["data"]
    assert {k: data[k] for k in planned} == planned
    assert [s[0] for s in seen] == [True, False] and seen[0][2] == seen[1][2]  # the same gate half
    assert versions.current_name(home) == "ft-new" and versions.history(home) == ["default", "ft-old"]
    assert versions.rollback(home) == ("ft-new", "ft-old")
    assert versions.unfinished(home) == []


def test_a_crash_while_scoring_also_leaves_the_current_model(home):
    def broken(model_dir, sets):
        if model_dir.name == "model":
            raise RuntimeError("out of memory")
        return {"heldout": 30.0}

    with pytest.raises(RuntimeError):
        finetune.run(out="ft-crash", cfg=FAST, scorer=broken)
    assert versions.current_name(home) == "default" and not (home / "ft-crash").exists()


def test_no_corrections_is_a_one_line_error(home, monkeypatch, capsys):
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(home / "none.jsonl"))
    assert cli.main(["finetune"]) == 2
    assert capsys.readouterr().err.startswith("posteditor: no corrections yet")
    assert cli.main(["finetune", "--corrections", str(home / "missing.jsonl")]) == 2
    assert "missing.jsonl: no such file" in capsys.readouterr().err


def test_a_missing_base_corpus_is_built_from_the_recipe_its_model_names(tmp_path, monkeypatch):
    """A fresh clone has no corpora/build: the corpus to replay is built from the model's recipe."""
    data = tmp_path / "data"
    folder = data / "mlqe-pe" / "ro-en"
    folder.mkdir(parents=True)
    for split in ("train", "dev"):
        for ext, lines in MLQE.items():
            (folder / f"{split}.{ext}").write_text("\n".join(lines) + "\n")
    recipe = tmp_path / "posts.toml"
    recipe.write_text('[mlqe]\nlangs = ["ro-en"]\n[dev]\nlangs = ["ro-en"]\n[wmt]\nenabled = false\n'
                      "[apertium]\nenabled = false\n[clean]\nwmt_references = false\n[copy]\nshare = 0.0\n")
    monkeypatch.setenv("POSTEDITOR_DATA", str(data))
    corpus, notes = tmp_path / "build" / "posts", []
    meta = {"training": {"recipe": str(recipe), "config": {"corpus": str(corpus)}}}
    finetune_data.build_base_corpus(meta, finetune_data.base_corpus(meta), notes.append)
    assert len(finetune_data.replay_sample(corpus, 10, seed=1)) == 4 and "building" in notes[0]

    # A corpus that is there is left alone; a model that names no recipe gets nothing built.
    (corpus / "train.jsonl").write_text("")
    finetune_data.build_base_corpus(meta, corpus, notes.append)
    assert (corpus / "train.jsonl").read_text() == "" and len(notes) == 1
    other = tmp_path / "build" / "other"
    finetune_data.build_base_corpus({"training": {"config": {"corpus": str(other)}}}, other, notes.append)
    assert not other.exists() and len(notes) == 1


def test_finetune_teaches_retranslation_the_editors_verdicts(home, monkeypatch):
    """Corrections with sources Apertium translates: where the editor wrote (about) what Apertium
    says, the MT had strayed; the new version learns when to retranslate, and its card says so."""
    from posteditor.suggest import retranslate as rt

    rows, table = [], {}
    for k in range(60):
        src = f"Sursa numărul {k} spune ceva despre orașul {k}."
        table[src] = f"The source number {k} says something about the city {k}."
        stray = k % 3 == 0
        mt = f"Unrelated words about the Commission and its regulation number {k} apply." if stray else table[src]
        # A segment left alone teaches only with a rejected suggestion in it (here, say, a retranslation).
        rejected = () if stray else (Logged("rejected", Edit(0, 1, (" y",), 0.9, "model"), "x", "y"),)
        rows.append(Correction(mt, f"Source number {k} says something about the city {k}." if stray else mt, source=src,
                               document="doc.txt", segment=k, edits=rejected))
    log = home.parent / "romanian.jsonl"
    corrections.append(rows, log)
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(log))
    monkeypatch.setattr(rt, "installed", lambda modes=rt.MODES: {"ro": ("ro-es", "spa-eng")})
    monkeypatch.setattr(rt, "translate", lambda sources, chain: [table[s] for s in sources])
    finetune.run(out="ft-rt", cfg=FAST, scorer=scores(28.0, 20.0))
    meta = json.loads((home / "ft-rt" / "posteditor.json").read_text())
    learnt = meta["finetune"]["calibration"]["retranslation"]
    train_rows = split_heldout(collect([log])[0], FAST.heldout_fraction)[0]
    assert learnt["refitted"] and learnt["translations"] == len(train_rows) == meta["retranslation"]["translations"]
    assert learnt["closer"] == sum(r.mt != r.pe for r in train_rows) >= 10
    card = (home / "ft-rt" / "README.md").read_text()
    assert f"learnt from the {learnt['translations']} training corrections Apertium translates" in card


def test_finetune_under_accelerate_launch_on_two_cpu_processes(home):
    """`accelerate launch --multi_gpu --num_processes 2` (torchrun's processes, joined with gloo
    on a machine without a GPU) runs the same command: both train, the first alone gates and
    writes; one version, decided once."""
    import socket
    import subprocess
    import sys

    with socket.socket() as s:  # a free port for the processes' rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
              "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
              "--main_process_port", str(port), "-m", "posteditor.cli", "finetune", "--out", "ft-two", "--epochs", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    unnamed = subprocess.run(launch[:-4] + ["--epochs", "1"], env=env, capture_output=True, text=True, timeout=900,
                             cwd=paths.PROJECT_ROOT)
    # two processes, not two runs of one: they must agree on the version's name
    assert unnamed.returncode != 0 and "give --out NAME when fine-tuning on several processes" in unnamed.stderr
    done = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=900, cwd=paths.PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in home.iterdir() if versions.is_model(p)) == ["default", "ft-two"]
    decided = done.stdout.count("is now the current model") + done.stdout.count("kept as a candidate")
    assert decided == 1 and done.stderr.count("scoring the new model") == 1
    meta = json.loads((home / "ft-two" / "posteditor.json").read_text())
    assert meta["finetune"]["gate"]["passed"] == (versions.current_name(home) == "ft-two")
    assert not (home / versions.WORK / "ft-two").exists()


def test_the_gate_scores_only_what_can_be_applied(tiny_model, tmp_path, monkeypatch):
    """A model without an edit scorer proposes below its ceiling (0.3): above that threshold its
    TER is the MT's, found without running it; at or below it, the model runs as correct runs it."""
    from posteditor.core.meta import ModelMeta
    from posteditor.learn.finetune import score
    from posteditor.learn.threshold import evaluate_items
    from posteditor.model.corrector import Corrector
    from posteditor.pipeline import load_suggester

    rows = tiny_pairs(6, seed=3)
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    ModelMeta({**ModelMeta.load(model).to_dict(), "min_confidence": 0.45}).write(model)
    asked = []
    real = Corrector.suggest
    monkeypatch.setattr(Corrector, "suggest", lambda self, items: asked.append(items) or real(self, items))
    assert score.ter_scores(model, {"dev": rows}) == {"dev": score.mt_ter(rows)} and asked == []
    ModelMeta({**ModelMeta.load(model).to_dict(), "min_confidence": 0.0}).write(model)
    expected = evaluate_items(load_suggester(model, use_memory=False), [r.mt for r in rows], [r.pe for r in rows],
                              [r.src for r in rows])["corrected"]["ter"]
    asked.clear()
    assert score.ter_scores(model, {"dev": rows}) == {"dev": round(expected, 2)} and asked


def test_a_model_reading_hints_learns_from_corrections_with_theirs(tmp_path):
    """A model trained on Apertium's translation beside the source (``hints``) is fine-tuned on
    corrections given the translation it reads at run time; replayed pairs keep their own."""
    from posteditor.suggest import wordcheck

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pairs(corpus / "train.jsonl", [Pair("Mr. Pop said so.", "Mr. Pop said it.", "Dl. Pop a spus.", hint="Mr. Pop said.")])
    replayed = finetune_data.replay_sample(corpus, 5, seed=1)
    assert replayed == [Pair("Mr. Pop said so.", "Mr. Pop said it.", "Dl. Pop a spus.", hint="Mr. Pop said.")]
    rows = [Pair("The beaver of Bran is old.", "The castle of Bran is old.", "Castelul din Bran este vechi."),
            Pair("No source.", "No source!"), *replayed]
    assert finetune_data.with_hints(rows, []) == rows  # a model that reads none
    if "ro" not in wordcheck.hint_chains(["ro"]):
        pytest.skip("Apertium's Romanian chain is not installed")
    got = finetune_data.with_hints(rows, ["ro"])
    assert "castle" in got[0].hint.lower() and got[1].hint is None and got[2] == replayed[0]


def _give_probe(folder) -> dict:
    """Write a probe of words to check into the model ``folder`` (it reads the least copy
    probability alone); returns its detector."""
    from posteditor.model.corrector import Corrector
    from posteditor.model.wordqe import SCALARS

    hidden = Corrector(folder, rescore=False).model.config.hidden_size
    coef = [-1.0] + [0.0] * (len(SCALARS) - 1 + hidden)  # the less sure the copy, the likelier changed
    detector = {"layer": 2, "features": [*SCALARS, "hidden state, layer 2"],
                "without_source": {"coef": coef, "intercept": -1.0}, "with_source": {"coef": coef, "intercept": -1.0}}
    meta = json.loads((folder / "posteditor.json").read_text())
    meta["words_to_check"] = {"below": 0.5, "detector": detector}
    (folder / "posteditor.json").write_text(json.dumps(meta))
    return detector


def _place_fixes(n: int, seed: int) -> list[Pair]:
    """Corrections where the editor changes the place names the tiny MT gets wrong, with sources."""
    return [replace(r, src=f"src {k}") for k, r in enumerate(tiny_pairs(n, seed=seed))]


def test_refitting_words_to_check_starts_from_the_dev_fit_and_is_judged_on_held_out_corrections(tiny_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    original = _give_probe(model)
    meta = json.loads((model / "posteditor.json").read_text())
    rows, heldout = _place_fixes(60, 1), _place_fixes(20, 2)
    summary = refit.refit_doubts(meta, model, rows, heldout)
    fitted = meta["words_to_check"]
    detector, readings = fitted["detector"], summary["readings"]
    assert set(readings) == {"without_source", "with_source"} and readings["without_source"]["kept"]
    assert fitted["below"] == 0.5  # the dev bar stays; each refitted reading has its own
    for name, s in readings.items():
        assert s["corrections"] == 60 and 0 < s["changed"] < s["words"] and 0 < s["heldout_changed"] < s["heldout_words"]
        assert s["kept"] == (s["after"] >= s["before"])
        assert (detector[name] != original[name]) == s["kept"] == (name in fitted.get("readings", {}))
        if s["kept"]:
            bar = s["bar"]
            sure = [r["below"] for r in bar["heldout"] if r["flagged"] >= 20 and r["lower"] >= 0.6]
            assert fitted["readings"][name] == bar["after"] and bar["before"] == 0.5
            assert (bar["how"] == "editor") == bool(sure) and (not sure or bar["after"] == max(sure))
    assert detector["prior"] == {k: original[k] for k in ("without_source", "with_source")}
    # A later fine-tune reads the same corrections again: it starts from the dev fit, not from this.
    (model / "posteditor.json").write_text(json.dumps(meta))
    again = json.loads(json.dumps(meta))
    refit.refit_doubts(again, model, rows, heldout)
    for name, s in readings.items():
        if s["kept"]:
            assert again["words_to_check"]["detector"][name] == detector[name]


def test_a_language_with_its_own_probe_learns_from_the_corrections_of_its_documents(tiny_model, tmp_path):
    import numpy as np

    from posteditor.core.records import correction_origin

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    detector = _give_probe(model)
    own = {name: {"coef": [c * 0.5 for c in detector[name]["coef"]], "intercept": -0.5, "below": 0.4}
           for name in ("without_source", "with_source")}
    meta = json.loads((model / "posteditor.json").read_text())
    meta["words_to_check"]["languages"] = {"ro": json.loads(json.dumps(own)), "et": json.loads(json.dumps(own))}
    (model / "posteditor.json").write_text(json.dumps(meta))
    in_ro = lambda rows: [replace(r, origin=correction_origin("ro")) for r in rows]  # noqa: E731
    rows, heldout = in_ro(_place_fixes(60, 1)) + _place_fixes(20, 3), in_ro(_place_fixes(20, 2)) + _place_fixes(10, 4)
    summary = refit.refit_doubts(meta, model, rows, heldout)
    assert set(summary["languages"]) == {"ro"}  # et has no corrections: left as dev fitted it
    assert meta["words_to_check"]["languages"]["et"] == own
    for name, s in summary["languages"]["ro"].items():
        assert s["corrections"] == 60 and s["kept"] == (s["after"] >= s["before"])  # its documents' corrections alone
        assert summary["readings"][name]["corrections"] == 80  # the shared probe learns from all of them
        record = meta["words_to_check"]["languages"]["ro"][name]
        if s["kept"]:
            assert record["coef"] != own[name]["coef"] and record["below"] == s["bar"]["after"]
            assert record["prior"] == {"coef": own[name]["coef"], "intercept": own[name]["intercept"]}
        else:
            assert record == own[name]
    kept = [name for name, s in summary["languages"]["ro"].items() if s["kept"]]
    assert kept  # (the tiny model's corrections are easy to rank)
    from posteditor.learn import card

    lines = "\n".join(card._adapted_lines(summary))
    assert f"- {kept[0].replace('_', ' ')} in ro: 60 corrections" in lines and "of its documents alone" in lines
    # A later fine-tune starts from the dev fit again, and keeps the dev fit's figures.
    (model / "posteditor.json").write_text(json.dumps(meta))
    again = json.loads(json.dumps(meta))
    refit.refit_doubts(again, model, rows, heldout)
    for name in kept:
        first, second = meta["words_to_check"]["languages"]["ro"][name], again["words_to_check"]["languages"]["ro"][name]
        assert second["coef"] == first["coef"] and second["prior"] == first["prior"] == {
            k: own[name][k] for k in ("coef", "intercept")} and second["dev"] == first["dev"] == {"below": 0.4}
    # The version's model reads its refitted probe for ro's documents, the dev fit for et's.
    from posteditor.model.corrector import Corrector
    from posteditor.model.wordqe import record_keeps

    sourced = kept[0] == "with_source"
    x = refit._words_of(refit._read(Corrector(model, rescore=False), rows[:10], sourced), rows[:10])[0]
    check = Corrector(model, rescore=False).word_check
    refitted = meta["words_to_check"]["languages"]["ro"][kept[0]]
    assert check.keep(x, sourced, "ro") == pytest.approx(record_keeps(refitted, x))
    assert check.keep(x, sourced, "et") == pytest.approx(record_keeps(own[kept[0]], x))
    assert not np.allclose(check.keep(x, sourced, "ro"), check.keep(x, sourced, "et"))
    # A language whose dev fit kept the shared probe says so.
    meta["words_to_check"]["languages"]["ro"] = {"without_source": {"below": 0.4}, "with_source": {"below": 0.4}}
    summary = refit.refit_doubts(meta, model, rows, heldout)
    assert {s["reason"] for s in summary["languages"]["ro"].values()} == {"its dev fit keeps the shared probe"}


def test_a_refit_no_bar_is_sure_of_flags_as_many_words_as_before(tiny_model, tmp_path, monkeypatch):
    import numpy as np

    from posteditor.learn import doubts
    from posteditor.model.corrector import Corrector
    from posteditor.model.wordqe import record_keeps

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    original = _give_probe(model)
    meta = json.loads((model / "posteditor.json").read_text())
    meta["use_source"] = False  # a model that never reads sources has one reading
    (model / "posteditor.json").write_text(json.dumps(meta))  # (the model reads it; the refit writes into meta)
    monkeypatch.setattr(doubts, "sure_bar", lambda keep, y: (None, []))  # no bar sure enough on the held-out words
    rows, heldout = _place_fixes(60, 1), _place_fixes(20, 2)
    corrector = Corrector(model, rescore=False)
    x = np.vstack([refit._words_of(refit._read(corrector, rows, False), rows)[0],
                   refit._words_of(refit._read(corrector, heldout, False), heldout)[0]])
    before = record_keeps(original["without_source"], x)
    base_bar = round(float(np.quantile(before, 0.3)), 4)  # the model's bar flags about 30% of these words
    meta["words_to_check"]["below"] = base_bar
    summary = refit.refit_doubts(meta, model, rows, heldout)
    assert set(summary["readings"]) == {"without_source"}
    bar = summary["readings"]["without_source"]["bar"]
    assert bar["how"] == "matched" and meta["words_to_check"]["readings"] == {"without_source": bar["after"]}
    adapted = meta["words_to_check"]["detector"]["without_source"]
    after = record_keeps(adapted, x)
    assert (after < bar["after"]).sum() == (before < base_bar).sum() > 20


def test_a_refit_with_a_sure_held_out_bar_gets_it_and_the_card_says_so(tiny_model, tmp_path, monkeypatch):
    from posteditor.learn import card, doubts

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    _give_probe(model)
    meta = json.loads((model / "posteditor.json").read_text())
    table = [{"below": 0.3, "flagged": 40, "changed": 0.9, "lower": 0.8}]
    monkeypatch.setattr(doubts, "sure_bar", lambda keep, y: (0.3, table))  # the held-out words show 0.3 sure enough
    summary = refit.refit_doubts(meta, model, _place_fixes(60, 1), _place_fixes(20, 2))
    kept = [name for name, s in summary["readings"].items() if s["kept"]]
    assert kept and meta["words_to_check"]["readings"] == {name: 0.3 for name in kept}
    assert all(summary["readings"][name]["bar"] == {"before": 0.5, "after": 0.3, "how": "editor", "heldout": table}
               for name in kept)
    lines = "\n".join(card._adapted_lines(summary))
    assert "  - its bar: 0.3 (the base's: 0.5); chosen for this editor" in lines
    assert "without source, held out:" in lines and "| 0.3 | 40 | 0.9 | 0.8 |" in lines


def test_words_to_check_without_changed_words_or_a_probe_are_left_as_they_were(tiny_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    meta = json.loads((model / "posteditor.json").read_text())
    assert refit.refit_doubts(meta, model, _place_fixes(10, 1), _place_fixes(5, 2)) is None  # no probe
    original = _give_probe(model)
    meta = json.loads((model / "posteditor.json").read_text())
    untouched = [Pair(r.mt, r.mt, r.src) for r in _place_fixes(10, 1)]  # leave-alone corrections only
    summary = refit.refit_doubts(meta, model, untouched, _place_fixes(5, 2))
    assert [s["reason"] for s in summary["readings"].values()] == [
        "no training corrections holding words both changed and kept",
        "no training corrections with a source holding words both changed and kept"]
    assert meta["words_to_check"] == {"below": 0.5, "detector": original}
    summary = refit.refit_doubts(meta, model, _place_fixes(30, 1), untouched)  # nothing changed to judge by
    assert all(s["reason"].startswith("no held-out corrections") for s in summary["readings"].values())
    assert meta["words_to_check"] == {"below": 0.5, "detector": original}
    unsourced = [replace(r, src=None) for r in _place_fixes(30, 1)]
    summary = refit.refit_doubts(meta, model, unsourced, unsourced[:10])
    assert summary["readings"]["with_source"]["reason"].startswith("no training corrections with a source")


def test_a_fine_tuned_version_learns_its_words_to_check_from_the_corrections(home):
    original = _give_probe(home / "default")
    finetune.run(out="ft-words", cfg=FAST, scorer=scores(28.0, 20.0))
    meta = json.loads((home / "ft-words" / "posteditor.json").read_text())
    reading = meta["finetune"]["calibration"]["words_to_check"]["readings"]["without_source"]
    assert reading["corrections"] > 20
    fitted = meta["words_to_check"]
    assert (fitted["detector"]["without_source"] != original["without_source"]) == reading["kept"]
    assert fitted["below"] == 0.5 and fitted.get("readings", {}).get("without_source") == (
        reading["bar"]["after"] if reading["kept"] else None)
    card = (home / "ft-words" / "README.md").read_text()
    assert "## Words to check" in card and f"{reading['corrections']} corrections" in card
