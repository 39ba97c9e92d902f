"""Opening, journaling, restoring and saving a document under review (no UI)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posteditor.core import corrections
from posteditor.core.edits import Decision
from posteditor.tui.review.journal import journal_path
from posteditor.suggest.base import Item
from posteditor.core.textio import InputError
from posteditor.tui.review.session import FileChanged, Session
from posteditor.tui.review.state import Cursor
from tui_fakes import ARTICLE, TableSuggester

A, R = Decision.ACCEPTED, Decision.REJECTED


def suggest_all(session: Session, suggester=None) -> None:
    suggester = suggester or TableSuggester()
    items = [Item(t) for t in session.state.texts]
    session.state.set_suggestions(list(enumerate(suggester.suggest(items))), dict(enumerate(suggester.doubts(items))))


def crash(session: Session) -> None:
    """What kill -9 leaves: the journal as written, the lock released by the OS."""
    session.journal.close()


def work_through(session: Session) -> None:
    """Accept, reject, hand-edit: one of each."""
    state = session.state
    c = state.step(Cursor(0), pending=True)
    state.decide(c, A)  # seg 0: world -> region
    c = state.step(c, pending=True)
    state.decide(c, R)  # seg 1: world kept
    state.hand_edit(Cursor(2), "Many people fled to the Turkish border.")


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        (b"\x00\x01binary", "binary"),
        (b"caf\xe9 au lait", "not valid UTF-8"),
        (b"  \n\n", "empty"),
    ],
)
def test_unreadable_files_are_input_errors(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        Session(str(path))


def test_source_must_align(article, tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("Une phrase.\nDeux.\n", encoding="utf-8")
    with pytest.raises(InputError, match="has 2 non-empty lines but .* has 5 sentences"):
        Session(str(article), source=str(src))
    src.write_text("\n".join(f"Phrase {i}." for i in range(5)) + "\n", encoding="utf-8")
    s = Session(str(article), source=str(src))
    assert s.state.segment(3).source == "Phrase 3."
    s.close()


def test_second_editor_on_the_same_file_is_refused(article):
    s = Session(str(article))
    with pytest.raises(InputError, match="already open"):
        Session(str(article))
    s.close()
    Session(str(article)).close()


def test_crash_restores_every_decision_without_a_model(article):
    s = Session(str(article))
    suggest_all(s)
    work_through(s)
    finals = [s.state.final(i) for i in range(len(s.state))]
    crash(s)
    s2 = Session(str(article))
    assert s2.restored.segments == 3 and s2.restored.analysed == 5 and s2.restored.unsaved == 3
    assert [s2.state.final(i) for i in range(len(s2.state))] == finals
    assert s2.state.total.rejected == 1 and s2.state.dirty
    assert article.read_text(encoding="utf-8") == ARTICLE  # nothing saved behind the user's back
    s2.close()


def test_words_to_check_come_back_from_the_journal(article):
    s = Session(str(article))
    suggest_all(s, TableSuggester(doubted={"scarce": 0.05, "Officials": 0.2}))
    before = [s.state.to_check(i) for i in range(len(s.state))]
    assert sum(map(len, before)) == 2
    crash(s)
    s2 = Session(str(article))
    assert [s2.state.to_check(i) for i in range(len(s2.state))] == before
    records = [json.loads(line) for line in journal_path(article).read_text(encoding="utf-8").splitlines()]
    assert [r["doubts"] for r in records if r.get("doubts")] == [[[3, 0.05]], [[0, 0.2]]]
    s2.close()


def test_truncated_last_line_is_skipped(article):
    s = Session(str(article))
    suggest_all(s)
    work_through(s)
    crash(s)
    jp = journal_path(article)
    with open(jp, "a", encoding="utf-8") as fh:
        fh.write('{"t": "work", "i": 4, "h": "abc", "decis')
    s2 = Session(str(article))
    assert s2.restored.bad_lines == 1 and s2.restored.segments == 3
    s2.close()


def test_save_is_byte_exact_and_logs_corrections(article, tmp_path):
    s = Session(str(article), language="ro")  # (its source language goes with each correction)
    suggest_all(s)
    work_through(s)
    saved = s.save()
    expected = ARTICLE.replace("the world has", "the region has").replace("peoples fled to the", "people fled to the Turkish")
    assert article.read_text(encoding="utf-8") == expected
    assert (tmp_path / "article.txt~").read_text(encoding="utf-8") == ARTICLE
    assert (saved.changed, saved.logged) == (2, 3) and not s.state.dirty
    records, bad = corrections.read(tmp_path / "corrections.jsonl")
    assert bad == 0 and [r.segment for r in records] == [0, 1, 2] and {r.language for r in records} == {"ro"}
    assert records[0].edits[0].decision == "accepted" and records[0].edits[0].edit.confidence == 0.9
    # segment 1 is unchanged, but the editor turned its proposal down: fine-tuning and the memory learn that
    assert records[1].final == records[1].mt and [e.decision for e in records[1].edits] == ["rejected"]
    assert [e.decision for e in records[2].edits] == ["accepted", "manual"]  # the hidden edit, then the hand edit
    # saving again logs nothing new, and keeps the first backup (the original)
    assert s.save().logged == 0
    assert (tmp_path / "article.txt~").read_text(encoding="utf-8") == ARTICLE
    s.close()


def test_a_proposal_turned_down_reaches_the_memory_and_is_logged_once(article, tmp_path):
    from posteditor.suggest.memory import Memory

    s = Session(str(article))
    suggest_all(s)
    c = s.state.step(Cursor(1), pending=True)
    s.state.decide(c, R)  # segment 1: "the world must act" stays as it is
    assert s.save().logged == 1 and article.read_text(encoding="utf-8") == ARTICLE
    log = tmp_path / "corrections.jsonl"
    assert Memory.load(log).entries[(("world",), ("region",))].rejected == 1
    assert s.save().logged == 0  # nothing new to teach
    s.state.decide(s.state.step(Cursor(0), pending=True), R)  # segment 0 too: a new record, for segment 0 only
    assert s.save().logged == 1
    records, _ = corrections.read(log)
    assert [r.segment for r in records] == [1, 0] and all(r.final == r.mt for r in records)
    assert Memory.load(log).entries[(("world",), ("region",))].rejected == 2
    s.close()


def test_a_rejection_added_to_a_changed_segment_is_logged_at_the_next_save(article, tmp_path):
    from posteditor.suggest.memory import Memory

    s = Session(str(article))
    suggest_all(s, TableSuggester({"world": ("region", 0.9), "war": ("conflict", 0.9)}))
    c = s.state.step(Cursor(0), pending=True)
    s.state.decide(c, A)  # segment 0: "war" -> "conflict"; its "world" is left for later
    assert s.save().logged == 1
    s.state.decide(s.state.step(c, pending=True), R)  # the same segment: "world" stays
    assert s.save().logged == 1 and s.save().logged == 0
    log = tmp_path / "corrections.jsonl"
    records, _ = corrections.read(log)
    assert [r.segment for r in records] == [0, 0] and records[1].final == records[0].final
    assert [e.decision for e in records[1].edits] == ["accepted", "rejected"]
    assert Memory.load(log).entries[(("world",), ("region",))].rejected == 1
    s.close()


def test_a_log_that_cannot_be_written_is_written_at_the_next_save(article, tmp_path, monkeypatch):
    s = Session(str(article))
    suggest_all(s)
    s.state.decide(s.state.step(Cursor(1), pending=True), R)
    log = tmp_path / "corrections.jsonl"

    def fail(records, path):
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as m:
        m.setattr(corrections, "append", fail)
        saved = s.save()
    assert saved.logged == 0 and "was not written" in saved.warning and not log.exists()
    assert s.save().logged == 1 and [r.segment for r in corrections.read(log)[0]] == [1]
    s.close()


def test_what_a_changed_segment_teaches_is_hashed_as_journals_kept_it():
    """A segment whose text changed, with no proposal turned down, is fingerprinted by its final
    text alone, as journals written before rejections were logged kept it, so opening one of
    those logs nothing again; a rejection changes the fingerprint, changed text or not."""
    from posteditor.core.corrections import Correction, Logged
    from posteditor.core.edits import Edit

    turned_down = (Logged("rejected", Edit(0, 1, (" y",), 0.9, "model"), "x", "y"),)
    assert Correction("a b", "a c").taught() == "a c"
    assert Correction("a b", "a c", edits=turned_down).taught() not in ("a c", "a b")
    assert Correction("a b", "a b").taught() == "a b"  # nothing to learn: the MT's own hash, never logged
    assert Correction("a b", "a b", edits=turned_down).taught() != "a b"


def test_reopening_a_saved_file_shows_its_decisions(article):
    s = Session(str(article))
    suggest_all(s)
    work_through(s)
    s.save()
    saved_text = article.read_bytes()
    c = s.state.step(Cursor(0), pending=True)
    s.state.decide(c, A)  # unsaved work after the save...
    crash(s)  # ...then a crash
    s2 = Session(str(article))
    assert s2.restored.unsaved == 1 and s2.state.total.accepted == 2
    assert s2.state.texts[0] == "The war in the world has displaced millions."  # the original MT
    s2.discard()  # quit without saving
    s2.close()
    s3 = Session(str(article))
    assert not s3.state.dirty and s3.state.total.accepted == 1 and s3.state.total.manual == 1
    s3.save()
    assert article.read_bytes() == saved_text
    s3.close()


def test_file_changed_on_disk(article):
    s = Session(str(article))
    suggest_all(s)
    work_through(s)
    article.write_text(ARTICLE.replace("Monday", "Tuesday"), encoding="utf-8")
    with pytest.raises(FileChanged):
        s.save()
    s.save(force=True)
    assert "the region has" in article.read_text(encoding="utf-8")
    s.close()


def test_stale_journal_restores_what_still_matches(article):
    s = Session(str(article))
    suggest_all(s)
    work_through(s)
    crash(s)
    article.write_text(ARTICLE.replace("Aid workers say", "Aid workers said"), encoding="utf-8")
    s2 = Session(str(article))
    assert s2.restored.dropped >= 1 and s2.state.work(1).decisions == ()
    assert s2.state.total.accepted == 1 and s2.state.total.manual == 1
    assert journal_path(article).with_name(journal_path(article).name + ".old").exists()
    s2.close()


def test_untouched_session_leaves_no_journal(article):
    Session(str(article)).close()
    assert not journal_path(article).exists()


def test_bom_and_crlf_survive(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(tmp_path / "c.jsonl"))
    path = tmp_path / "crlf.txt"
    raw = ("\ufeff" + ARTICLE.replace("\n", "\r\n")).encode("utf-8")
    path.write_bytes(raw)
    s = Session(str(path))
    suggest_all(s)
    s.state.decide(s.state.step(Cursor(0), pending=True), A)
    s.save()
    assert path.read_bytes() == raw.replace(b"the world has", b"the region has")
    s.close()


def test_journal_records_are_json_lines(article):
    s = Session(str(article))
    suggest_all(s)
    work_through(s)
    lines = journal_path(article).read_text(encoding="utf-8").splitlines()
    kinds = [json.loads(line)["t"] for line in lines]
    assert kinds[0] == "open" and kinds.count("work") == 3 and kinds.count("suggest") == 5
    s.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=4, max_size=4))
def test_no_accepted_edit_means_byte_identical(article, rejects):
    s = Session(str(article))
    suggest_all(s)
    c = s.state.step(Cursor(0), pending=True)
    for reject in rejects:
        if c is None:
            break
        if reject:
            s.state.decide(c, R)
        c = s.state.step(c, pending=True)
    s.save(force=True)
    assert article.read_text(encoding="utf-8") == ARTICLE
    s.discard()
    s.journal.remove()
    s.close()


def test_markdown_keeps_its_markup(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(tmp_path / "c.jsonl"))
    text = ("# The world today\n\n- Many peoples fled the world.\n- See the [world](https://world.example) map"
            " and `world` in code.\n\n```\nworld\n```\n")
    path = tmp_path / "notes.md"
    path.write_text(text, encoding="utf-8")
    s = Session(str(path))
    assert s.fmt == "md"
    suggest_all(s)
    c = s.state.step(Cursor(0), pending=True)
    while c is not None:
        s.state.decide(c, A)
        c = s.state.step(c, pending=True)
    s.save()
    assert path.read_text(encoding="utf-8") == (
        "# The region today\n\n- Many peoples fled the region.\n- See the [region](https://world.example) map"
        " and `world` in code.\n\n```\nworld\n```\n")
    s.close()


def test_suggestions_cached_from_another_model_are_asked_for_again(article):
    s = Session(str(article), model_id="model-a")
    suggest_all(s)
    work_through(s)  # segments 0, 1 and 2 worked on; 3 and 4 untouched
    finals = [s.state.final(i) for i in range(3)]
    crash(s)

    same = Session(str(article), model_id="model-a")
    assert same.restored.analysed == 5 and same.restored.stale == 0
    crash(same)

    other = Session(str(article), model_id="model-b")
    assert other.restored.stale == 2 and other.restored.analysed == 3
    assert [other.state.analysed(i) for i in range(5)] == [True, True, True, False, False]
    assert [other.state.final(i) for i in range(3)] == finals  # the editor's work stands
    other.close()
    records = [json.loads(line) for line in journal_path(article).read_text(encoding="utf-8").splitlines()]
    assert {"t": "model", "id": "model-b"} in records  # the journal now speaks for model-b

    # Words checked for one source language are not shown for another.
    suggest_all(other_again := Session(str(article), model_id="model-b"))
    crash(other_again)
    de = Session(str(article), model_id="model-b", language="de", model_languages=("ro", "et"))
    assert de.state.doc.language == "de" and de.model_id == "model-b" and de.restored.stale == 0  # checked as before
    crash(de)
    ro = Session(str(article), model_id="model-b", language="ro", model_languages=("ro", "et"))
    assert ro.state.doc.language == "ro" and ro.model_id == "model-b:ro" and ro.restored.stale == 2
    ro.close()


def test_model_signature_follows_the_weights(tmp_path):
    from posteditor.core.meta import model_signature

    assert model_signature(tmp_path / "nowhere") is None
    (tmp_path / "adapter_model.safetensors").write_bytes(b"one")
    first = model_signature(tmp_path)
    (tmp_path / "adapter_model.safetensors").write_bytes(b"three")
    second = model_signature(tmp_path)
    assert first is not None and second != first
    (tmp_path / "posteditor.json").write_text(json.dumps({"min_confidence": 0.4}))
    assert model_signature(tmp_path) == second  # a new threshold changes no suggestion
    (tmp_path / "posteditor.json").write_text(json.dumps({"min_confidence": 0.4, "edit_scorer": {"coef": [1.0]}}))
    scored = model_signature(tmp_path)
    assert scored != second  # a new scorer changes every confidence
    meta = {"min_confidence": 0.4, "edit_scorer": {"coef": [1.0]}}
    (tmp_path / "posteditor.json").write_text(json.dumps(meta | {"words_to_check": {"below": 0.1}}))
    barred = model_signature(tmp_path)
    assert barred not in (second, scored)  # a bar for words to check names other words
    signatures = {second, scored, barred}
    for intercept in (0.5, 0.7):  # a probe, and a refitted one, change every word's probability
        probe = {"layer": 20, "without_source": {"coef": [0.1], "intercept": intercept}}
        (tmp_path / "posteditor.json").write_text(json.dumps(meta | {"words_to_check": {"below": 0.1, "detector": probe}}))
        signatures.add(model_signature(tmp_path))
    assert len(signatures) == 5
    mine = model_signature(tmp_path, check_below=0.3)  # the user's bar names other words than the model's 0.1
    assert mine not in signatures and model_signature(tmp_path, check_below=0.1) in signatures


def test_threshold_is_the_models_own_from_the_start(article, tmp_path):
    from posteditor.core.meta import model_meta

    model = tmp_path / "model"
    model.mkdir()
    assert model_meta(model) == {}
    (model / "posteditor.json").write_text("{not json", encoding="utf-8")
    assert model_meta(model) == {}  # loading the model reports a broken folder, not the editor
    (model / "posteditor.json").write_text('{"min_confidence": 0.85}', encoding="utf-8")
    assert model_meta(model)["min_confidence"] == 0.85

    s = Session(str(article), model_id="model-a", model_threshold=0.85)
    assert s.threshold == 0.85  # before the model has loaded: the status bar is right at once
    crash(s)
    again = Session(str(article), model_id="model-a", model_threshold=0.9)
    assert again.threshold == 0.9  # recalibrated since: its record wins over the journal's 0.85
    crash(again)
    mine = Session(str(article), model_id="model-a", model_threshold=0.85, min_confidence=0.3)
    assert mine.threshold == 0.3  # the user's own threshold wins
    crash(mine)
    other = Session(str(article), model_id="model-b", model_threshold=0.7)
    assert other.threshold == 0.7  # another model's threshold is not carried over
    other.close()
