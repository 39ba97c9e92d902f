"""The glossary: forbidden variants fixed, model edits that break a required term dropped."""

from __future__ import annotations

import pytest
from conftest import FakeSuggester

from posteditor import cli
from posteditor.commands import correct as correct_mod
from posteditor.core.edits import Segment, apply_edits
from posteditor.core.terms import Term, read_glossary, relevant, violations
from posteditor.suggest.glossary import GLOSSARY, Glossed
from posteditor.suggest.base import Item
from posteditor.core.textio import InputError

TERMS = [
    Term("Comisia Europeană", "European Commission", ("Europe Commission", "EU Commission"), "institution"),
    Term("refugiați", "refugees", ("fugitives",)),
    Term("Idlib", "Idlib"),
]


def test_reads_a_tsv_with_header_comments_and_optional_cells(tmp_path):
    f = tmp_path / "terms.tsv"
    f.write_text("source\ttarget\tforbidden\tnote\n# a comment\nComisia Europeană\tEuropean Commission\t"
                 "Europe Commission|EU Commission\tinstitution\nrefugiați\trefugees\n", encoding="utf-8")
    assert read_glossary(f) == [TERMS[0], Term("refugiați", "refugees")]


@pytest.mark.parametrize("text", ["only one cell\n", "\tno source\n", "# nothing\n"])
def test_bad_glossary_is_an_input_error(tmp_path, text):
    f = tmp_path / "terms.tsv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError):
        read_glossary(f)


def test_forbidden_variant_fixed_with_category_glossary():
    glossed = Glossed(FakeSuggester(), TERMS)
    item = Item("The Europe Commission helped the fugitives.", "Comisia Europeană a ajutat refugiații.")
    [edits] = glossed.suggest([item])
    assert {e.category for e in edits} == {GLOSSARY}
    assert all(e.confidence >= 0.95 for e in edits)
    assert apply_edits(item.text, edits) == "The European Commission helped the refugees."


def test_a_glossary_term_is_never_a_word_to_check():
    from posteditor.core.edits import Doubt, tokenize

    class Doubting(FakeSuggester):
        flags_words = True

        def doubts(self, items):
            return [[Doubt(k, 0.05) for k, t in enumerate(tokenize(it.text)) if t.strip().isalpha()] for it in items]

    glossed = Glossed(Doubting(), TERMS)
    assert glossed.flags_words
    item = Item("The European Commission helped the fugitives.")
    [found] = glossed.doubts([item])
    assert [tokenize(item.text)[d.index].strip() for d in found] == ["The", "helped", "the", "fugitives"]


def test_forbidden_variant_left_when_the_source_lacks_the_term():
    glossed = Glossed(FakeSuggester(), TERMS)
    [edits] = glossed.suggest([Item("The fugitives hid.", "Fugarii s-au ascuns.")])
    assert edits == []


def test_without_a_source_any_forbidden_variant_is_fixed():
    [edits] = Glossed(FakeSuggester(), TERMS).suggest([Item("EU Commission said so.")])
    assert apply_edits("EU Commission said so.", edits) == "European Commission said so."


def test_model_edit_breaking_a_required_term_is_dropped():
    model = FakeSuggester({"Commission": ("Council", 0.9), "refugees": ("migrants", 0.9), "world": ("region", 0.9)})
    glossed = Glossed(model, TERMS)
    text = "The European Commission sent refugees to the world."
    [edits] = glossed.suggest([Item(text, "Comisia Europeană a trimis refugiați.")])
    assert apply_edits(text, edits) == "The European Commission sent refugees to the region."


def test_model_edit_putting_in_a_forbidden_variant_is_dropped():
    model = FakeSuggester({"refugees": ("fugitives", 0.9)})
    [edits] = Glossed(model, TERMS).suggest([Item("Many refugees left.", "Mulți refugiați au plecat.")])
    assert edits == []


def test_glossary_fix_wins_over_an_overlapping_model_edit():
    model = FakeSuggester({"fugitives": ("runaways", 0.97)})
    [edits] = Glossed(model, TERMS).suggest([Item("The fugitives left.", "Refugiați au plecat.")])
    assert [(e.inserted, e.category) for e in edits] == [("refugees", GLOSSARY)]


def test_relevant_terms_and_violations():
    assert relevant(TERMS, "x", "Comisia Europeană și Idlib") == [TERMS[0], TERMS[2]]
    assert violations(TERMS, "The Europe Commission in Idlib.", "Comisia Europeană în Idlib.") == [
        "'Europe Commission' is forbidden: use 'European Commission'"]
    assert violations(TERMS, "The Commission in Idlib.", "Comisia Europeană în Idlib.") == [
        "'Comisia Europeană' should be rendered 'European Commission'"]
    assert violations(TERMS, "The European Commission in Idlib.", "Comisia Europeană în Idlib.") == []


def test_correct_with_a_glossary(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(correct_mod, "load_suggester",
                        lambda *a, **k: FakeSuggester({"Commission": ("Council", 0.9), "world": ("region", 0.9)}))
    terms = tmp_path / "terms.tsv"
    terms.write_text("Comisia Europeană\tEuropean Commission\tEU Commission\n", encoding="utf-8")
    doc = tmp_path / "a.txt"
    doc.write_text("The EU Commission met. The European Commission left the world.\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    report = tmp_path / "r.jsonl"
    assert cli.main(["correct", str(doc), "-o", str(out), "--glossary", str(terms), "--report", str(report)]) == 0
    assert out.read_text(encoding="utf-8") == "The European Commission met. The European Commission left the region.\n"
    assert '"category": "glossary"' in report.read_text(encoding="utf-8")


def test_bad_glossary_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(correct_mod, "load_suggester", lambda *a, **k: FakeSuggester())
    doc = tmp_path / "a.txt"
    doc.write_text("Text.\n", encoding="utf-8")
    assert cli.main(["correct", str(doc), "--glossary", str(tmp_path / "none.tsv")]) == 2
    assert "none.tsv: no such file" in capsys.readouterr().err


def test_segment_roundtrip_with_glossary_edits():
    [edits] = Glossed(FakeSuggester(), TERMS).suggest([Item("EU Commission.", None)])
    seg = Segment("EU Commission.").with_edits(edits)
    assert seg.proposed() == "European Commission."
