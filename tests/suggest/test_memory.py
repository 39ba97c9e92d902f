"""The correction memory: a fix made once is proposed again at once, with its own confidence."""

from __future__ import annotations

import json
import time

import pytest

from posteditor.core import corrections
from posteditor.core.corrections import Correction, Logged
from posteditor.core.edits import Edit, apply_edits, tokenize
from posteditor.suggest.combine import Combined
from posteditor.suggest.memory import Memory
from posteditor.suggest.base import Item


def fix(mt, final, document="report.txt", rejected=()):
    """A corrections record; ``rejected`` lists (old, new) proposals the editor turned down
    (``old`` one word of ``mt``)."""
    at = [t.strip() for t in tokenize(mt)]
    edits = tuple(Logged("rejected", Edit(at.index(o), at.index(o) + 1, (" " + n,), 0.9, "model"), o, n) for o, n in rejected)
    return Correction(mt, final, document=document, segment=0, edits=edits)


ACTIONS = fix("The company's actions rose by 5% on Monday.", "The company's shares rose by 5% on Monday.",
              document="acme-q3.txt")


def corrected(memory, text):
    return apply_edits(text, memory.suggest([Item(text)])[0])


@pytest.mark.parametrize(
    "records, text, expected",
    [
        # a distinctive word: proposed anywhere it recurs, even with other neighbours
        ([ACTIONS], "Apple's actions fell.", "Apple's shares fell."),
        ([ACTIONS], "Actions speak louder.", "Actions speak louder."),  # case-sensitive
        ([ACTIONS], "Their transactions fell.", "Their transactions fell."),  # whole tokens only
        # a misspelt place name, at the start of a segment (no stray leading space)
        ([fix("They fled to Idleb.", "They fled to Idlib.")], "Idleb was shelled.", "Idlib was shelled."),
        # a short word needs a neighbour that agrees
        ([fix("Then he say no.", "Then he said no.")], "Later he say yes.", "Later he said yes."),
        ([fix("Then he say no.", "Then he said no.")], "They say yes.", "They say yes."),
        # an insertion needs both neighbours
        ([fix("They reached city centre.", "They reached the city centre.")], "We reached city walls.",
         "We reached the city walls."),
        ([fix("They reached city centre.", "They reached the city centre.")], "We saw city walls.",
         "We saw city walls."),
        # a deletion, and a multi-word fix
        ([fix("It is more bigger now.", "It is bigger now.")], "Mine is more bigger.", "Mine is bigger."),
        ([fix("the world of Idlib", "the region of Idlib")], "In the world of Idlib.", "In the region of Idlib."),
        # a fix only ever rejected is never proposed
        ([fix("The actions rose.", "The actions rose.", rejected=[("actions", "shares")])], "The actions fell.",
         "The actions fell."),
    ],
)
def test_remembered_fixes(records, text, expected):
    assert corrected(Memory(records), text) == expected


def test_confidence_counts_acceptances_rejections_and_context():
    memory = Memory([ACTIONS])
    [[same]] = memory.suggest([Item("The company's actions rose sharply.")])
    [[other]] = memory.suggest([Item("Apple's actions were sold.")])
    assert (same.category, same.confidence, other.confidence) == ("memory, unconfirmed", 0.6667, 0.5)
    memory.learn(fix("The actions rose.", "The actions rose.", "b.txt", rejected=[("actions", "shares")]))
    memory.learn(fix("The actions rose.", "The actions rose.", "c.txt", rejected=[("actions", "shares")]))
    [[after]] = memory.suggest([Item("The company's actions rose sharply.")])
    assert after.confidence == pytest.approx((1 + 1) / (1 + 2 + 2))
    memory.learn(fix("Acme actions fell.", "Acme shares fell.", "d.txt"))
    [[again]] = memory.suggest([Item("The company's actions rose sharply.")])
    assert again.confidence == pytest.approx((2 + 1) / (2 + 2 + 2))


def test_where_a_fix_came_from():
    memory = Memory([ACTIONS, fix("Acme actions fell.", "Acme shares fell.", "acme-q4.txt")])
    text = "Apple's actions fell."
    [[edit]] = memory.suggest([Item(text)])
    entry = memory.entry_for(text, edit)
    assert entry.documents == ["acme-q3.txt", "acme-q4.txt"]
    assert entry.describe() == 'remembered from "acme-q3.txt", "acme-q4.txt" (accepted 2x, rejected 0x)'
    assert [m.entry for m in memory.matches([Item(text)])[0]] == [entry]


def test_the_same_segment_saved_twice_counts_once():
    memory = Memory([ACTIONS, ACTIONS])
    [[edit]] = memory.suggest([Item("Apple's actions fell.")])
    assert memory.entry_for("Apple's actions fell.", edit).accepted == 1


def test_a_segment_saved_again_with_a_new_rejection_is_learnt_again():
    kept = fix("The world of Gaza.", "The world of Gaza.")
    turned_down = fix("The world of Gaza.", "The world of Gaza.", rejected=[("world", "region")])
    memory = Memory([kept, turned_down, turned_down])  # the same final text, then a rejection, saved twice
    assert memory.entries[(("world",), ("region",))].rejected == 1


def test_learn_makes_a_fix_available_at_once():
    memory = Memory()
    assert memory.suggest([Item("Apple's actions fell.")]) == [[]]
    memory.learn(ACTIONS)
    assert corrected(memory, "Apple's actions fell.") == "Apple's shares fell."
    assert len(memory) == 1


def test_overlapping_fixes_keep_the_most_confident():
    memory = Memory([ACTIONS, ACTIONS.__class__("Big actions rose.", "Big stocks rose.", document="x", segment=1),
                     fix("Big actions fell.", "Big shares fell.", "y")])
    [[edit]] = memory.suggest([Item("Big actions rose.")])
    assert edit.inserted == "shares"  # accepted twice beats once


def test_memory_and_model_combine_where_they_do_not_overlap(fake_suggester):
    memory = Memory([fix("the world of Idlib", "the region of Idlib"), fix("the world of Idlib", "the region of Idlib")])
    items = [Item("In the world of Idlib, peoples fled."), Item("No memory here: informations.")]
    edits = Combined([fake_suggester, memory]).suggest(items)
    # The memory's "region" (accepted twice, same context: 0.75) loses to the model's 0.9 at
    # the same place; the model's other edits stand.
    assert [(e.inserted, e.category) for e in edits[0]] == [("region", "model"), ("people", "model")]
    assert [(e.inserted, e.category) for e in edits[1]] == [("information", "model")]
    sure = Combined([fake_suggester, Memory([fix("peoples fled", "people fled")] * 5)]).suggest(items[:1])[0]
    assert [(e.inserted, e.category) for e in sure] == [("region", "model"), ("people", "memory, unconfirmed")]


def test_load_skips_corrupt_lines_and_tolerates_a_missing_log(tmp_path, monkeypatch):
    log = tmp_path / "corrections.jsonl"
    assert len(Memory.load(log)) == 0
    corrections.append([ACTIONS], log)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write('{"mt": "half a line\n')
        fh.write("not json at all\n")
        fh.write(json.dumps({"mt": "a", "final": "b", "edits": [None, {"decision": "rejected"}]}) + "\n")
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(log))
    memory = Memory.load()
    assert memory.corrupt == 2
    assert corrected(memory, "Apple's actions fell.") == "Apple's shares fell."


def test_a_record_appended_after_a_write_cut_short_starts_on_a_line_of_its_own(tmp_path):
    log = tmp_path / "corrections.jsonl"
    corrections.append([ACTIONS], log)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write('{"mt": "a full disk stopped this')  # no newline
    corrections.append([fix("Big actions rose.", "Big shares rose.", "b.txt")], log)
    records, corrupt = corrections.read(log, warn=lambda msg: None)
    assert corrupt == 1 and [r.document for r in records] == ["acme-q3.txt", "b.txt"]


def test_loading_a_large_log_is_quick(tmp_path):
    log = tmp_path / "corrections.jsonl"
    records = [fix(f"Report {i}: the actions of firm {i} rose sharply.", f"Report {i}: the shares of firm {i} rose sharply.",
                   document=f"doc{i % 50}.txt") for i in range(3000)]
    corrections.append(records, log)
    started = time.perf_counter()
    memory = Memory.load(log)
    memory.suggest([Item("the actions of firm 7 rose")] * 200)
    assert time.perf_counter() - started < 5  # ~0.3 s when the machine is idle
    assert memory.entries[(("actions",), ("shares",))].accepted == 3000


def test_load_memory_is_none_until_there_is_a_fix_or_a_rejection(tmp_path):
    from posteditor.suggest.memory import load_memory

    log = tmp_path / "corrections.jsonl"
    assert load_memory(log) is None
    corrections.append([fix("The actions rose.", "The actions rose.", rejected=[("actions", "shares")])], log)
    memory = load_memory(log)  # only a rejection: nothing to propose, something to demote
    assert len(memory) == 0 and corrected(memory, "Apple's actions fell.") == "Apple's actions fell."
    corrections.append([ACTIONS], log)
    assert corrected(load_memory(log), "Apple's actions fell.") == "Apple's shares fell."


def test_a_model_edit_the_editor_rejected_before_is_proposed_less_surely(fake_suggester):
    text = "In the world of Idlib, informations were scarce."
    turned_down = fix("The world of Gaza.", "The world of Gaza.", rejected=[("world", "region")])

    def confidences(records):
        [edits] = Combined([fake_suggester, Memory(records)]).suggest([Item(text)])
        return {e.inserted: e.confidence for e in edits}

    assert confidences([]) == {"region": 0.9, "information": 0.8}
    assert confidences([turned_down]) == {"region": 0.6, "information": 0.8}  # 0.9 * 2/3; other edits untouched
    assert confidences([turned_down, turned_down.__class__(**{**turned_down.__dict__, "segment": 1})]) == \
        {"region": 0.45, "information": 0.8}  # rejected twice: halved
    accepted = fix("The world of Gaza.", "The region of Gaza.")
    assert confidences([turned_down, accepted])["region"] == 0.9  # accepted as often as rejected: as the model says
    # At a threshold the model's edit passed, the rejected one is no longer applied.
    from posteditor.core.metrics import apply_threshold

    before = apply_threshold([text], Combined([fake_suggester, Memory([])]).suggest([Item(text)]), 0.7)
    after = apply_threshold([text], Combined([fake_suggester, Memory([turned_down])]).suggest([Item(text)]), 0.7)
    assert before == ["In the region of Idlib, information were scarce."]
    assert after == ["In the world of Idlib, information were scarce."]


def test_a_retranslation_turned_down_is_proposed_less_surely_for_the_same_segment():
    """A whole-segment rewrite is no phrase fix to propose elsewhere, but an editor who turned it
    down should not see ``correct`` apply it to the same segment again."""
    from posteditor.core.edits import RETRANSLATION
    from posteditor.core.metrics import apply_threshold
    from posteditor.suggest.base import Suggester
    from posteditor.suggest.retranslate import whole_edit

    mt = "In the light of the above, the Commission concludes that the aid was compatible."
    rough = "British analysts considered that Luftwaffe attacked with 150 aeroplanes in total."

    class Retranslating(Suggester):  # Apertium's translation of each segment's source
        def suggest(self, items):
            return [[whole_edit(it.text, rough if "Commission" in it.text else "Aid was sent.", 0.61)] for it in items]

    edit = whole_edit(mt, rough, 0.61)
    assert edit.category == RETRANSLATION and edit.end - edit.start > 6
    turned_down = Correction(mt, mt, document="a.txt", segment=2,
                             edits=(Logged("rejected", edit, mt, rough),))
    memory = Memory([turned_down])
    assert len(memory) == 0 and memory.suggest([Item(mt)]) == [[]]  # nothing to propose
    [[demoted]] = Combined([Retranslating(), memory]).suggest([Item(mt)])
    assert demoted.confidence == pytest.approx(0.61 * 2 / 3, abs=1e-4)
    assert apply_threshold([mt], [[demoted]], 0.45) == [mt]  # no longer applied at the threshold it passed
    # The same translation proposed in place of the editor's own version of the segment: still turned down.
    edited = "In the light of the above, the Commission concluded that the aid was compatible."
    hand = Correction(mt, edited, document="a.txt", segment=2,
                      edits=(Logged("rejected", edit, mt, rough), Logged("manual", None, mt, edited)))
    [[demoted]] = Combined([Retranslating(), Memory([hand])]).suggest([Item(edited)])
    assert demoted.confidence == pytest.approx(0.61 * 2 / 3, abs=1e-4)
    other = "In the light of the above, the aid was compatible."
    [[kept]] = Combined([Retranslating(), memory]).suggest([Item(other)])
    assert kept.confidence == 0.61  # another segment, another translation: untouched


def test_records_written_by_the_editor(fake_suggester):
    """The log as ``corrections.from_segment`` writes it: accepted, rejected and hand edits."""
    from posteditor.core.edits import Decision, Segment

    text = "In the world of Idlib, the peoples fled."
    [edits] = fake_suggester.suggest([Item(text)])
    segment = Segment(text).with_edits(edits).decide(0, Decision.ACCEPTED).decide(1, Decision.REJECTED)
    final = segment.corrected().replace("fled", "escaped")  # plus a hand edit
    memory = Memory([corrections.from_segment(segment, final, "idlib.md", 4)])
    later = "Aid reached the world of Hama; the peoples fled."
    assert corrected(memory, later) == "Aid reached the region of Hama; the peoples escaped."
    assert memory.entries[(("peoples",), ("people",))].rejected == 1
    assert len(memory) == 2


def test_a_rewritten_segment_teaches_no_phrase_fixes():
    # A retranslation (or a sentence rewritten by hand) keeps few of the MT's words: its
    # differences are not fixes to propose wherever the same words recur.
    rewrite = Correction("In the light of the above, the Commission concludes that the aid was compatible.",
                         "British analysts believed that the Luftwaffe attacked with 150 planes.")
    memory = Memory([rewrite])
    assert len(memory) == 0
    assert memory.suggest([Item("The Commission concludes that the aid was compatible.")]) == [[]]
    memory.learn(ACTIONS)  # a fix within a sentence is still learnt
    assert len(memory) == 1


# --- confirmation: only fixes made twice and never undone are applied in batch -------------------


def test_batch_applies_only_confirmed_fixes():
    once = Memory([fix("Apple's actions fell.", "Apple's NatIDLIB fell.", "a.txt")])  # a slip, made once
    once.confirmed_only = True
    assert once.suggest([Item("Their actions rose.")]) == [[]]
    twice = Memory([ACTIONS, fix("Big actions rose.", "Big shares rose.", "b.txt")])
    twice.confirmed_only = True
    [[edit]] = twice.suggest([Item("Their actions rose.")])
    assert (edit.inserted, edit.category) == ("shares", "memory")


def test_a_fix_undone_by_a_later_save_is_taken_back():
    made = Correction("Apple's actions fell.", "Apple's shares fell.", document="a.txt", segment=3)
    undone = Correction("Apple's actions fell.", "Apple's actions fell.", document="a.txt", segment=3)
    memory = Memory([made, fix("Big actions rose.", "Big shares rose.", "b.txt"), undone])
    entry = memory.entries[(("actions",), ("shares",))]
    assert (entry.accepted, entry.undone, entry.confirmed) == (1, 1, False)
    memory.confirmed_only = True
    assert memory.suggest([Item("Their actions rose.")]) == [[]]


def test_a_hand_edit_teaches_only_the_words_it_changed():
    from posteditor.suggest.memory import _changed_only
    from posteditor.core.edits import tokenize

    tokens = tokenize("until the end of the winter")
    retyped = Edit(2, 6, (" end", " of", " winter"), 1.0)  # a span typed again, one word dropped
    start, end, new = _changed_only(tokens, retyped)
    assert (start, end, new) == (4, 5, ())  # delete "the" between "of" and "winter"


def test_the_log_keeps_edits_typed_and_reads_older_records(tmp_path):
    """The corrections log keeps each edit exactly (spacing included) and gives it back typed;
    a record written before the exact edit was kept is read with its words, one space before each."""
    from posteditor.core.edits import Decision, Segment

    text = "Aid reached the world of Idlib yesterday."
    region = Edit(3, 4, (" region",), 0.8, "model")
    dropped = Edit(6, 7, (), 0.4, "model")  # a deletion: nothing inserted, no space to guess
    segment = Segment(text).with_edits([region, dropped]).decide(0, Decision.ACCEPTED).decide(1, Decision.REJECTED)
    log = tmp_path / "corrections.jsonl"
    corrections.append([corrections.from_segment(segment, segment.corrected(), "a.txt", 0)], log)
    [record], bad = corrections.read(log)
    assert bad == 0 and [(e.decision, e.edit) for e in record.edits] == [("accepted", region), ("rejected", dropped)]
    assert [e.old for e in record.edits] == ["world", "yesterday"]
    with open(log, "a", encoding="utf-8") as fh:  # as the log was written before
        fh.write(json.dumps({"mt": text, "final": text, "edits": [
            {"start": 3, "end": 4, "old": "world", "new": "region", "confidence": 0.8, "category": "model",
             "decision": "rejected"}]}) + "\n")
    older = corrections.read(log)[0][1]
    assert [(e.decision, e.edit) for e in older.edits] == [("rejected", region)]
    memory = Memory(corrections.read(log)[0])
    assert memory.entries[(("world",), ("region",))].rejected == 1
    assert memory.entries[(("yesterday",), ())].rejected == 1
