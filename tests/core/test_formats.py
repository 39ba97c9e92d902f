"""Translation files (XLIFF 1.2, PO, SRT): target units as segments, written back exactly."""

from __future__ import annotations

import pytest
from conftest import FakeSuggester

from posteditor import cli
from posteditor.commands import correct as correct_mod
from posteditor.core.reader import guess_format, parse
from posteditor.core.edits import Edit
from posteditor.core.formats import tmx
from posteditor.core.textio import InputError

XLIFF = """<?xml version='1.0' encoding='UTF-8'?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="news.txt" source-language="ro" target-language="en" datatype="plaintext">
    <body>
      <trans-unit id="1">
        <source>Peste 235.000 de oameni au fugit din regiunea <g id="b1">Idlib</g>.</source>
        <target state="needs-translation">More than 235,000 people fled the world of <g id="b1">Idlib</g>.</target>
      </trans-unit>
      <trans-unit id="2">
        <source>Le lipsesc informații &amp; apă.</source>
        <target>They lack informations &amp; water.<x id="p1"/></target>
        <alt-trans><target>Old world suggestion</target></alt-trans>
      </trans-unit>
      <trans-unit id="3">
        <source>Nimic.</source>
        <target state="translated">Nothing to fix here.</target>
      </trans-unit>
      <trans-unit id="4">
        <source>Gol.</source>
        <target/>
      </trans-unit>
    </body>
  </file>
</xliff>
"""

PO = """# Translators' comment
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: en\\n"

#: app.py:10
#, python-format
msgid "Au fugit %(count)d oameni din lume."
msgstr "%(count)d people fled the world."

#: app.py:12
#, fuzzy
msgid "Le lipsesc informații."
msgstr ""
"They lack informations "
"and \\"water\\"."

msgid "Nimic."
msgstr "Nothing to fix."

msgid "Netradus."
msgstr ""

msgid "un fișier"
msgid_plural "%d fișiere"
msgstr[0] "one world"
msgstr[1] "%d worlds"
"""

SRT = """1
00:00:01,000 --> 00:00:03,500
<i>More than 235,000 people</i>
fled the world of Idlib.

2
00:00:04,000 --> 00:00:06,000
They lack informations.

3
00:00:07,000 --> 00:00:09,000
Nothing to fix.
"""


@pytest.fixture
def fake(monkeypatch, fake_suggester):
    monkeypatch.setattr(correct_mod, "load_suggester", lambda *a, **k: fake_suggester)
    return fake_suggester


def write(path, text: str):
    path.write_bytes(text.encode("utf-8"))
    return path


def corrected(tmp_path, name: str, text: str, *extra) -> tuple[int, str]:
    f = write(tmp_path / name, text)
    out = tmp_path / ("out-" + name)
    code = cli.main(["correct", str(f), "-o", str(out), *extra])
    return code, out.read_bytes().decode("utf-8") if out.exists() else ""


@pytest.mark.parametrize("name, fmt", [("a.xlf", "xliff"), ("a.XLIFF", "xliff"), ("a.po", "po"),
                                       ("a.pot", "po"), ("a.srt", "srt"), ("a.md", "md"), ("a.txt", "txt")])
def test_format_from_the_file_name(name, fmt):
    assert guess_format(name) == fmt


@pytest.mark.parametrize("text, fmt, segments, sources", [
    (XLIFF, "xliff",
     ['More than 235,000 people fled the world of <g id="b1">Idlib</g>.',
      'They lack informations &amp; water.<x id="p1"/>', "Nothing to fix here."],
     ["Peste 235.000 de oameni au fugit din regiunea Idlib.", "Le lipsesc informații & apă.", "Nimic."]),
    (PO, "po", ["%(count)d people fled the world.", 'They lack informations and "water".', "Nothing to fix."],
     ["Au fugit %(count)d oameni din lume.", "Le lipsesc informații.", "Nimic."]),
    (SRT, "srt", ["<i>More than 235,000 people</i>\nfled the world of Idlib.", "They lack informations.",
                  "Nothing to fix."], [None, None, None]),
])
def test_target_units_are_the_segments_and_sources_come_along(text, fmt, segments, sources):
    doc = parse(text, fmt)
    assert doc.segments == segments
    assert doc.sources == sources
    assert doc.render({}) == text
    assert doc.render({i: s for i, s in enumerate(segments)}) == text


@pytest.mark.parametrize("name, text", [("a.xlf", XLIFF), ("a.po", PO), ("a.srt", SRT)])
def test_no_edit_gives_the_bytes_back(monkeypatch, tmp_path, name, text):
    monkeypatch.setattr(correct_mod, "load_suggester", lambda *a, **k: FakeSuggester())
    code, out = corrected(tmp_path, name, text)
    assert code == 0 and out == text
    crlf = text.replace("\n", "\r\n")
    code, out = corrected(tmp_path, "crlf-" + name, crlf)
    assert code == 0 and out == crlf


def test_xliff_edits_land_in_their_units_tags_intact_state_for_review(fake, tmp_path):
    code, out = corrected(tmp_path, "a.xlf", XLIFF)
    assert code == 0
    assert ('<target state="needs-review-translation">More than 235,000 people fled the region of '
            '<g id="b1">Idlib</g>.</target>') in out
    assert '<target state="needs-review-translation">They lack information &amp; water.<x id="p1"/></target>' in out
    assert "<alt-trans><target>Old world suggestion</target></alt-trans>" in out  # not a segment
    assert '<target state="translated">Nothing to fix here.</target>' in out
    assert out.replace("region", "world").replace("information ", "informations ").replace(
        '<target state="needs-review-translation">They', "<target>They").replace(
        "needs-review-translation", "needs-translation") == XLIFF
    parse(out, "xliff")  # still a valid XLIFF file


def test_xliff_sources_reach_the_suggester(fake, tmp_path):
    corrected(tmp_path, "a.xlf", XLIFF)
    assert [item.source for item in fake.calls[0]] == ["Peste 235.000 de oameni au fugit din regiunea Idlib.",
                                                       "Le lipsesc informații & apă.", "Nimic."]


def test_xliff_source_language_reaches_the_suggester_unless_the_user_names_another(fake, tmp_path):
    corrected(tmp_path, "a.xlf", XLIFF.replace('source-language="ro"', 'source-language="et-EE"'))
    assert {item.language for item in fake.calls[-1]} == {"et"}  # declared, so not identified from its sources
    corrected(tmp_path, "c.xlf", XLIFF.replace('source-language="ro"', 'source-language="und"'))
    assert {item.language for item in fake.calls[-1]} == {"ro"}  # no language declared: its Romanian sources tell
    corrected(tmp_path, "b.xlf", XLIFF, "--source-language", "ET")
    assert {item.language for item in fake.calls[-1]} == {"et"}
    two = XLIFF.replace("</file>", '</file><file original="b" source-language="et" target-language="en"><body/></file>')
    for text in (two, XLIFF.replace('source-language="ro"', 'source-language="r o"'), XLIFF.replace('source-language="ro" ', "")):
        assert parse(text, "xliff").language is None  # several, none a language tag, or none declared: not known
    commented = XLIFF.replace("<body>", '<body><!-- <file source-language="et"> -->')
    assert parse(commented, "xliff").language == "ro"  # a comment declares nothing
    assert parse("Plain text.", "txt").language is None


def test_reviewed_xliff_unit_is_translated_and_typed_markup_escaped():
    doc = parse(XLIFF, "xliff")
    out = doc.render({1: 'They lack information & water <now>.<x id="p1"/>'})
    assert '<target state="translated">They lack information &amp; water &lt;now&gt;.<x id="p1"/></target>' in out
    parse(out, "xliff")


def test_tags_and_placeholders_are_locked(monkeypatch, tmp_path):
    suggester = FakeSuggester({"g": ("b", 0.99), "count": ("n", 0.99), "i": ("b", 0.99), "world": ("region", 0.9)})
    monkeypatch.setattr(correct_mod, "load_suggester", lambda *a, **k: suggester)
    for name, text in [("a.xlf", XLIFF), ("a.po", PO), ("a.srt", SRT)]:
        _, out = corrected(tmp_path, name, text)
        assert '<g id="b1">' in out or name != "a.xlf"
        assert "%(count)d people fled the region." in out or name != "a.po"
        assert "<i>More than 235,000 people</i>\nfled the region of Idlib." in out or name != "a.srt"


def test_po_edits_mark_fuzzy_and_keep_the_rest(fake, tmp_path):
    code, out = corrected(tmp_path, "a.po", PO)
    assert code == 0
    assert '#, fuzzy, python-format\nmsgid "Au fugit %(count)d oameni din lume."\nmsgstr "%(count)d people fled the region."' in out
    assert '#, fuzzy\nmsgid "Le lipsesc informații."\nmsgstr "They lack information and \\"water\\"."' in out
    assert 'msgid "Nimic."\nmsgstr "Nothing to fix."' in out
    assert 'msgstr[0] "one world"' in out  # plural entries are not segments
    assert out.split("#: app.py:10")[0] == PO.split("#: app.py:10")[0]


def test_reviewed_po_unit_loses_its_fuzzy_flag():
    doc = parse(PO, "po")
    out = doc.render({1: 'They lack information and "water".'})
    assert '#: app.py:12\nmsgid "Le lipsesc informații."\nmsgstr "They lack information and \\"water\\"."' in out
    out = doc.render({2: "Nothing left to fix."}, reviewed=False)
    assert '#, fuzzy\nmsgid "Nimic."\nmsgstr "Nothing left to fix."' in out


def test_srt_edits_keep_numbers_and_times(fake, tmp_path):
    code, out = corrected(tmp_path, "a.srt", SRT)
    assert code == 0
    assert out == SRT.replace("world", "region").replace("informations", "information")


def test_srt_hand_edit_cannot_split_a_subtitle():
    doc = parse(SRT, "srt")
    out = doc.render({1: "They lack\n\ninformation."})
    assert "They lack\ninformation.\n\n3\n" in out


@pytest.mark.parametrize("name, text", [
    ("bad.xlf", "<xliff version='1.2'><file><body><trans-unit id='1'><target>x</trans-unit>"),
    ("bad.po", 'msgid "a"\nmsgstr "b"\nthis is not po\n'),
    ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nHello\n\nnot a subtitle at all\n"),
])
def test_malformed_file_one_line_error_exit_2(fake, tmp_path, capsys, name, text):
    code, _ = corrected(tmp_path, name, text)
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2
    assert len(err) == 1 and "not a valid" in err[0] and name in err[0]


def test_malformed_parse_raises_input_error():
    with pytest.raises(InputError):
        parse("<xliff><file>", "xliff")


def test_edit_on_a_tag_is_not_allowed():
    doc = parse(XLIFF, "xliff")
    tokens_before_tag = len(__import__("posteditor.core.edits", fromlist=["tokenize"]).tokenize(
        "More than 235,000 people fled the world of"))
    assert not doc.allows(0, Edit(tokens_before_tag, tokens_before_tag + 1, (" x",)))
    assert doc.allows(0, Edit(6, 7, (" region",)))


def test_tmx_holds_the_pairs():
    data = tmx([("Nimic.", "Nothing."), ("Apă & pâine", "Water & bread")], "ro", "en")
    text = data.decode("utf-8")
    assert "<tmx" in text and "Nothing." in text and "Water &amp; bread" in text and 'xml:lang="ro"' in text


def test_correct_writes_a_tmx_of_sources_and_final_texts(fake, tmp_path):
    f = write(tmp_path / "a.xlf", XLIFF)
    memory = tmp_path / "out.tmx"
    assert cli.main(["correct", str(f), "-o", str(tmp_path / "o.xlf"), "--tmx", str(memory)]) == 0
    text = memory.read_text(encoding="utf-8")
    assert text.count("<tu>") == 3 or text.count("<tu ") + text.count("<tu>") == 3
    assert "They lack information &amp;amp; water." in text or "They lack information &amp; water." in text
