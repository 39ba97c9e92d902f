"""Segmentation and rendering: untouched text comes back byte for byte; markup stays locked."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posteditor.core.document import split_sentences
from posteditor.core.reader import parse
from posteditor.core.edits import Edit, Segment
from posteditor.core.textio import read_text

_WORDS = st.sampled_from(
    ["The", "world", "of", "Idlib", "Mr.", "U.S.", "3.5", "said", "“Go.”", '"We left,"', "'quoted'",
     "it.", "Yes!", "why?", "*bold*", "`code`", "[link](http://x.y/z)", "#", "-", ">", "1.", "```",
     "    ", "|", "---", "é", "🙂", "<b>", "_x_"]
)
_GAPS = st.sampled_from([" ", " ", "  ", "\n", "\r\n", "\n\n", "\r\n\r\n", "\t", "\n   \n"])
document_text = st.lists(st.tuples(_WORDS, _GAPS), min_size=1, max_size=40).map(
    lambda xs: "".join(w + g for w, g in xs)
)


@settings(max_examples=200)
@given(document_text, st.sampled_from(["txt", "md", "lines"]), st.booleans(), st.booleans())
def test_no_edit_applied_gives_the_file_back_byte_identical(tmp_path_factory, text, fmt, bom, trail):
    raw = ("\ufeff" if bom else "") + text + ("" if trail else "end")
    path = tmp_path_factory.mktemp("doc") / f"in.{fmt}"
    path.write_bytes(raw.encode("utf-8"))
    file = read_text(str(path), allow_empty=True)
    doc = parse(file.text, fmt)
    # Every segment proposed an edit, none accepted: the corrected text is the original.
    segments = [Segment(t).with_edits([Edit(0, 1, ("X",), 0.9)]) for t in doc.segments]
    assert file.encode(doc.render({i: s.corrected() for i, s in enumerate(segments)})) == raw.encode("utf-8")
    assert file.encode(doc.render({})) == raw.encode("utf-8")


@settings(max_examples=200)
@given(document_text, st.sampled_from(["txt", "md", "lines"]))
def test_segments_are_ordered_stripped_and_inside_the_text(text, fmt):
    doc = parse(text, fmt)
    previous = 0
    for a, b in doc.spans:
        assert previous <= a < b <= len(text)
        assert text[a:b] == text[a:b].strip()
        previous = b


@given(document_text)
def test_lines_format_never_joins_lines(text):
    doc = parse(text, "lines")
    assert all("\n" not in s and "\r" not in s for s in doc.segments)
    assert len(doc.segments) == sum(1 for line in text.splitlines() if line.strip())


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("Hello world. This is it.", ["Hello world.", "This is it."]),
        ("Mr. Smith went to Washington. He left.", ["Mr. Smith went to Washington.", "He left."]),
        ("The U.S. army came. It left.", ["The U.S. army came.", "It left."]),
        ('He said "Go." Then he left.', ['He said "Go."', "Then he left."]),
        ("Is it? Yes! No.", ["Is it?", "Yes!", "No."]),
        ("Prices rose 3.5 percent. Then fell.", ["Prices rose 3.5 percent.", "Then fell."]),
        ("He is J. Smith. Ok.", ["He is J. Smith.", "Ok."]),
        ("Wait... What happened?", ["Wait...", "What happened?"]),
        ("no capital. after it.", ["no capital. after it."]),
        ("(See above.) Then more.", ["(See above.)", "Then more."]),
        ("It cost $5. Then 6 more.", ["It cost $5.", "Then 6 more."]),
        ("  Padded.  ", ["Padded."]),
        ("One line\nwraps here. Next.", ["One line\nwraps here.", "Next."]),
        ("", []),
    ],
)
def test_split_sentences(text, sentences):
    assert [text[a:b] for a, b in split_sentences(text)] == sentences


@pytest.mark.parametrize(
    "text, fmt, segments",
    [
        ("Para one. Two.\n\nPara three.\n", "txt", ["Para one.", "Two.", "Para three."]),
        ("a. b.\r\n\r\nC d.\r\n", "lines", ["a. b.", "C d."]),
        ("# Title here\n\nBody text. More.\n", "md", ["Title here", "Body text.", "More."]),
        ("```\ncode. Here.\n```\nText.\n", "md", ["Text."]),
        ("    indented code.\n\nText.\n", "md", ["Text."]),
        ("- item one\n- item two\n", "md", ["item one", "item two"]),
        ("> quoted text.\n", "md", ["quoted text."]),
        ("---\ntitle: x\n---\nBody.\n", "md", ["Body."]),
        ("| a | b |\n|---|---|\n\nAfter.\n", "md", ["After."]),
    ],
)
def test_parse_segments(text, fmt, segments):
    assert parse(text, fmt).segments == segments


_MD = "See the `world of` code and [the world](http://x.y/world) of *Idlib*."


@pytest.mark.parametrize(
    "edit, allowed",
    [
        (Edit(0, 1, ("Read",)), True),  # "See": plain text
        (Edit(2, 3, (" `region",)), False),  # inside inline code
        (Edit(8, 9, (" a",)), False),  # "[": link bracket
        (Edit(10, 11, (" region",)), True),  # "world" in the link text
        (Edit(11, 12, ()), False),  # "]": start of the link target
        (Edit(23, 24, (" in",)), True),  # "of" after the link
        (Edit(24, 25, ()), False),  # "*" emphasis marker
        (Edit(25, 26, ("Aleppo",)), True),  # the emphasised word itself
        (Edit(25, 25, ("the ",)), False),  # an insertion right after the marker
    ],
)
def test_markdown_markup_is_locked(edit, allowed):
    doc = parse(_MD, "md")
    assert doc.segments == [_MD]
    assert doc.allows(0, edit) is allowed


def test_plain_text_locks_nothing():
    doc = parse(_MD, "txt")
    assert doc.allows(0, Edit(2, 3, (" region",)))


def test_render_replaces_only_the_segment():
    doc = parse("Title\r\n\r\nFled the world. Of Idlib.\r\n", "txt")
    assert doc.render({1: "Fled the region."}) == "Title\r\n\r\nFled the region. Of Idlib.\r\n"
    assert doc.line_of(2) == 3


@pytest.mark.parametrize(
    "text, segments",
    [
        # a headline, a photo credit and a byline without a full stop are segments of their own
        ("Syria: thousands flee Idlib\nMore than 235,000 people have fled. They are cold.\n",
         ["Syria: thousands flee Idlib", "More than 235,000 people have fled.", "They are cold."]),
        ("Photo: AFP\nThe camp is full.\n", ["Photo: AFP", "The camp is full."]),
        # a hard-wrapped sentence stays one segment
        ("The humanitarian organizations warn that the situation could become\n"
         "A catastrophe if the offensive continues, aid workers said on Monday.\n",
         ["The humanitarian organizations warn that the situation could become\n"
          "A catastrophe if the offensive continues, aid workers said on Monday."]),
        ("the line goes on,\nBut this is the same sentence.\n", ["the line goes on,\nBut this is the same sentence."]),
        # an indented next line is a new paragraph
        ("A long opening line of a paragraph that has no full stop at its end at all\n"
         "    Then a new paragraph.\n",
         ["A long opening line of a paragraph that has no full stop at its end at all", "Then a new paragraph."]),
    ],
)
def test_lines_without_a_full_stop(text, segments):
    assert parse(text, "txt").segments == segments
