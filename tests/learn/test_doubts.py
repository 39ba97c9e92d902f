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
