"""The edit type: tokenize/extract/apply round trips (hypothesis) and a few fixed cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posteditor.core.edits import Decision, Edit, Segment, apply_edits, extract_edits, join_moves, respace, tokenize, words

# Text made of words, punctuation, quotes, digits and all kinds of whitespace (CRLF included).
_PIECES = st.sampled_from(
    ["the", "The", "world", "region", "of", "Idlib", "don't", "well-known", "235,000", "3.5",
     ",", ".", "!", "?", '"', "'", "“", "”", "(", ")", "-", "é", "naïve", "Ω", "🙂", "\u00a0"]
)
_SPACE = st.sampled_from(["", " ", "  ", "\n", "\r\n", "\t", " \n\n "])
text = st.lists(st.tuples(_SPACE, _PIECES), max_size=25).map(lambda xs: "".join(a + b for a, b in xs))
text_with_tail = st.tuples(text, _SPACE).map("".join)


@given(text_with_tail)
def test_tokens_join_back_to_the_text(t):
    assert "".join(tokenize(t)) == t


@settings(max_examples=300)
@given(text_with_tail, text_with_tail)
def test_apply_extracted_edits_gives_the_correction(mt, corrected):
    assert apply_edits(mt, extract_edits(mt, corrected)) == corrected


@settings(max_examples=300)
@given(text_with_tail, text_with_tail)
def test_joined_moves_still_give_the_correction_without_overlaps(mt, corrected):
    joined = join_moves(tokenize(mt), extract_edits(mt, corrected))
    assert apply_edits(mt, joined) == corrected
    assert len(joined) <= len(extract_edits(mt, corrected))


@pytest.mark.parametrize(
    ("mt", "corrected", "keys"),
    [
        # A moved word is one edit: its deletion alone would give "on 29, 1971".
        ("He died on 29 October 1971.", "He died on October 29, 1971.", [(3, 5, ("October", "29", ","))]),
        # Unrelated edits stay apart.
        ("the roads was full of car", "the roads were full of cars", [(2, 3, ("were",)), (5, 6, ("cars",))]),
        # Punctuation moving is not a word move.
        ("Yes , he said", "Yes he said ,", [(1, 2, ()), (4, 4, (",",))]),
    ],
)
def test_join_moves_cases(mt, corrected, keys):
    edits = [Edit(e.start, e.end, e.replacement, c) for e, c in zip(extract_edits(mt, corrected), (0.9, 0.4, 0.8))]
    joined = join_moves(tokenize(mt), edits)
    assert [e.key() for e in joined] == keys
    if len(joined) < len(edits):  # a move is as sure as its least sure half
        assert joined[0].confidence == min(e.confidence for e in edits)


@given(text_with_tail)
def test_no_edits_between_equal_texts(t):
    assert extract_edits(t, t) == []
    assert apply_edits(t, []) == t


@given(text_with_tail, text_with_tail)
def test_extracted_edits_are_ordered_and_disjoint(mt, corrected):
    edits = extract_edits(mt, corrected)
    for before, after in zip(edits, edits[1:]):
        assert before.end <= after.start
    assert all(e.end <= len(tokenize(mt)) for e in edits)


@settings(max_examples=300)
@given(text, text)
def test_respace_keeps_the_corrected_tokens(mt, corrected):
    """Only spacing changes: the same tokens, in the same order, none glued together."""
    assert words(tokenize(respace(mt, corrected))) == words(tokenize(corrected))


@pytest.mark.parametrize(
    "mt, corrected, expected",
    [
        ("fled  the world\nof Idlib.", "fled the region of Idlib.", "fled  the region\nof Idlib."),
        ("Turkish lira fell.", "The Turkish lira fell.", "The Turkish lira fell."),
        ("So the lira fell.", "The lira fell.", "The lira fell."),
        ("It fell .", "It fell.", "It fell ."),
        ("Hello world. ", "Hello there world.", "Hello there world. "),
    ],
)
def test_respace_cases(mt, corrected, expected):
    assert respace(mt, corrected) == expected


@pytest.mark.parametrize(
    "mt, corrected, keys",
    [
        ("fled the world of Idlib", "fled the region of Idlib", [(2, 3, ("region",))]),
        ("its eastern country", "its eastern countryside", [(2, 3, ("countryside",))]),
        ("the roads was crowded", "the roads were crowded", [(2, 3, ("were",))]),
        ("they lack of food", "they lack food", [(2, 3, ())]),
        ("he said", "he said that", [(2, 2, ("that",))]),
        ("the the cat", "the cat", [(1, 2, ())]),
    ],
)
def test_extract_edits_cases(mt, corrected, keys):
    assert [e.key() for e in extract_edits(mt, corrected)] == keys


@pytest.mark.parametrize(
    "edits",
    [
        [Edit(1, 3, (" x",)), Edit(2, 4, (" y",))],  # overlapping spans
        [Edit(1, 1, (" x",)), Edit(1, 1, (" y",))],  # two insertions at one place
    ],
)
def test_apply_refuses_overlapping_edits(edits):
    with pytest.raises(ValueError):
        apply_edits("a b c d e", edits)


def test_segment_applies_only_accepted_edits():
    seg = Segment("fled the world of Idlib").with_edits(
        [Edit(2, 3, (" region",), 0.9), Edit(0, 1, ("ran",), 0.2)]
    )
    assert seg.corrected() == seg.text
    assert seg.decide(1, Decision.ACCEPTED).corrected() == "fled the region of Idlib"
    assert seg.proposed() == "ran the region of Idlib"


@pytest.mark.parametrize(
    "a, b, overlap",
    [
        (Edit(1, 3, ()), Edit(2, 4, ()), True),
        (Edit(1, 2, ()), Edit(2, 3, ()), False),
        (Edit(2, 2, ("x",)), Edit(2, 2, ("y",)), True),
        (Edit(2, 2, ("x",)), Edit(2, 3, ()), True),  # insert before a token, edit that token
        (Edit(2, 2, ("x",)), Edit(1, 2, ()), False),  # insert after the edited token
        (Edit(2, 2, ("x",)), Edit(1, 3, ()), True),
    ],
)
def test_overlaps_is_symmetric_and_counts_an_insertion_before_an_edited_token(a, b, overlap):
    assert a.overlaps(b) is overlap and b.overlaps(a) is overlap
