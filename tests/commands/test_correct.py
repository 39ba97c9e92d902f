"""`posteditor correct` end to end, with a fake suggester for predictable edits and the tiny model."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from conftest import FakeSuggester

from posteditor import cli
from posteditor import pipeline
from posteditor.commands import correct as correct_mod
from posteditor.suggest import base, combine
from posteditor.suggest.combine import Combined, merge, propose
from posteditor.core.reader import parse
from posteditor.core.edits import Edit

ARTICLE = "More than 235,000 people fled the world of Idlib. They lack informations.\n\nThe peoples left.\n"
FIXED = "More than 235,000 people fled the region of Idlib. They lack information.\n\nThe peoples left.\n"


@pytest.fixture
def fake(monkeypatch, fake_suggester):
    """Inject the fake suggester where `correct` loads its model."""
    monkeypatch.setattr(correct_mod, "load_suggester", lambda *a, **k: fake_suggester)
    return fake_suggester


def run(*argv) -> int:
    return cli.main(["correct", *map(str, argv)])


def write(path, text: str | bytes):
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def err_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


# --- the happy path -----------------------------------------------------------------------


def test_corrects_to_stdout_with_a_summary(fake, tmp_path, capsys):
    f = write(tmp_path / "a.txt", ARTICLE)
    assert run(f) == 0
    out = capsys.readouterr()
    assert out.out == FIXED
    assert "1 file, 3 segments, 2 edits applied of 3 proposed (min confidence 0.50)" in out.err


def test_the_summary_counts_retranslations_and_words_from_the_source():
    tally = correct_mod.Tally(files=1, segments=4, applied=3, proposed=5, retranslated=1, source_words=2)
    assert tally.summary(0.45) == ("1 file, 4 segments, 3 edits applied of 5 proposed (min confidence 0.45), 1 of them "
                                   "a segment retranslated from the source, 2 words from the source's translation")
    tally.retranslated = 0
    assert tally.summary(0.45).endswith("(min confidence 0.45), 2 of them words from the source's translation")
    tally.source_words = 1
    assert tally.summary(0.45).endswith("(min confidence 0.45), 1 of them a word from the source's translation")


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--min-confidence", "0.2"], FIXED.replace("peoples", "people")),
        (["--min-confidence", "0.85"], ARTICLE.replace("world", "region")),
        (["--min-confidence", "0.95"], ARTICLE),
    ],
)
def test_min_confidence(fake, tmp_path, capsys, extra, expected):
    f = write(tmp_path / "a.txt", ARTICLE)
    assert run(f, *extra) == 0
    assert capsys.readouterr().out == expected


def test_default_threshold_is_the_models(monkeypatch, tmp_path, capsys):
    model = FakeSuggester({"world": ("region", 0.9), "informations": ("information", 0.8)})
    model.info = SimpleNamespace(min_confidence=0.85)
    monkeypatch.setattr(correct_mod, "load_suggester", lambda *a, **k: model)
    assert run(write(tmp_path / "a.txt", ARTICLE)) == 0
    assert capsys.readouterr().out == ARTICLE.replace("world", "region")


def test_bom_and_crlf_survive(fake, tmp_path, capsys):
    raw = "\ufeff" + ARTICLE.replace("\n", "\r\n")
    f = write(tmp_path / "a.txt", raw)
    assert run(f, "-o", tmp_path / "out.txt") == 0
    assert (tmp_path / "out.txt").read_bytes() == ("\ufeff" + FIXED.replace("\n", "\r\n")).encode("utf-8")


def test_nothing_to_fix_gives_the_bytes_back(fake, tmp_path):
    raw = '\ufeff"Quoted," she said.\r\n\r\n\r\n  Blank lines   stay.  \r\n'
    f = write(tmp_path / "a.txt", raw)
    assert run(f, "-o", tmp_path / "out.txt") == 0
    assert (tmp_path / "out.txt").read_bytes() == raw.encode("utf-8")


def test_stdin_to_stdout(fake, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(ARTICLE.encode())))
    assert run("-") == 0
    assert capsys.readouterr().out == FIXED


def test_several_files_to_stdout_in_order(fake, tmp_path, capsys):
    a, b = write(tmp_path / "a.txt", "The world.\n"), write(tmp_path / "b.txt", "No informations.\n")
    assert run(a, b) == 0
    assert capsys.readouterr().out == "The region.\nNo information.\n"


def test_lines_format_keeps_the_line_count(fake, tmp_path):
    text = "The world. Of Idlib.\n\n  \nNo informations, peoples.\r\nno change\n\nlast line without newline"
    f = write(tmp_path / "a.txt", text)
    assert run(f, "--format", "lines", "-o", tmp_path / "out.txt") == 0
    out = (tmp_path / "out.txt").read_bytes().decode()
    assert len(out.splitlines()) == len(text.splitlines())
    assert out == text.replace("world", "region").replace("informations", "information")
    assert len(fake.calls[0]) == 4  # one segment per non-blank line, sentences not split


def test_markdown_markup_is_left_alone(fake, tmp_path):
    md = "# The world\n\nSee `the world` and [the world](http://world.org) of the world.\n\n```\nthe world\n```\n"
    f = write(tmp_path / "a.md", md)
    assert run(f, "-o", tmp_path / "out.md") == 0
    assert (tmp_path / "out.md").read_text() == (
        "# The region\n\nSee `the world` and [the region](http://world.org) of the region.\n\n```\nthe world\n```\n"
    )


def test_diff_shows_applied_edits_with_confidence(fake, tmp_path, capsys):
    f = write(tmp_path / "a.txt", "Intro.\n\n" + ARTICLE)
    assert run(f, "--diff") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{f}:3: ... than 235,000 people fled the [-world-]{{+region+}}(0.90) of Idlib.",
        f"{f}:3: They lack [-informations-]{{+information+}}(0.80).",
    ]


def test_report_lists_every_proposed_edit(fake, tmp_path):
    f = write(tmp_path / "a.txt", ARTICLE)
    report = tmp_path / "edits.jsonl"
    assert run(f, "--report", report, "-o", tmp_path / "out.txt") == 0
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["segment"], r["line"], r["old"], r["new"], r["confidence"], r["applied"]) for r in rows] == [
        (0, 1, "world", "region", 0.9, True),
        (1, 1, "informations", "information", 0.8, True),
        (2, 3, "peoples", "people", 0.3, False),
    ]
    assert all(r["file"] == str(f) and r["category"] == "model" for r in rows)


class Doubting(FakeSuggester):
    """The fake suggester, doubting "lack" and "world" (under its own edit)."""

    flags_words = True

    def doubts(self, items):
        from posteditor.core.edits import Doubt, tokenize

        return [[Doubt(k, 0.05) for k, t in enumerate(tokenize(it.text)) if t.strip() in ("lack", "world")]
                for it in items]


def test_report_lists_the_words_to_check_outside_applied_edits(monkeypatch, tmp_path):
    doubting = Doubting({"world": ("region", 0.9)})
    monkeypatch.setattr(correct_mod, "load_suggester", lambda *a, **k: doubting)
    f = write(tmp_path / "a.txt", ARTICLE)
    report = tmp_path / "edits.jsonl"
    assert run(f, "--report", report, "-o", tmp_path / "out.txt") == 0
    rows = [json.loads(line) for line in report.read_text().splitlines() if "doubt" in line]
    assert [(r["segment"], r["line"], r["check"], r["word"], r["keep"]) for r in rows] == [(1, 1, "doubt", "lack", 0.05)]
    assert rows[0]["message"].startswith('the model doubts "lack"') and "language" not in rows[0]
    assert run(f, "--report", report, "--source-language", "ro-RO", "-o", tmp_path / "out.txt") == 0
    assert [json.loads(line).get("language") for line in report.read_text().splitlines() if "doubt" in line] == ["ro"]
    assert run(f, "--report", report, "--no-check", "doubt", "-o", tmp_path / "out.txt") == 0
    assert "doubt" not in report.read_text()


def test_the_user_sets_the_bar_for_words_to_check(flagging_model, tiny_model, tmp_path, capsys):
    f = write(tmp_path / "a.txt", ARTICLE)
    report = tmp_path / "edits.jsonl"

    def flagged(*options) -> int:
        assert run(f, "--model", *options, "--report", report, "--no-memory", "-o", tmp_path / "out.txt") in (0, 1)
        return sum('"doubt"' in line for line in report.read_text().splitlines())

    every = flagged(tiny_model, "--check-below", "1")  # a model with no bar of its own: the user's
    assert every > 10 and flagged(flagging_model, "--check-below", "1") == every
    assert flagged(flagging_model, "--check-below", "0") == 0 and flagged(tiny_model) == 0
    assert flagged(flagging_model) == flagged(tiny_model, "--check-below", "0.5") > 0  # the model's own bar, 0.5
    capsys.readouterr()
    for bad in ("2", "-0.1", "nan", "x"):
        assert run(f, "--check-below", bad) == 2
        assert "--check-below" in capsys.readouterr().err
    flagged(flagging_model, "--source-language", "de")  # a language the model has no words to check of its own for
    assert "no words to check of its own for 'de'; the shared probe and bar check them" in capsys.readouterr().err


def test_source_sentences_reach_the_suggester(fake, tmp_path):
    f = write(tmp_path / "a.txt", "The world.\n\nNo informations.\n")
    src = write(tmp_path / "src.txt", "El mundo.\n\nSin informaciones.\n")
    assert run(f, "--format", "lines", "--source", src, "-o", tmp_path / "out.txt") == 0
    assert [(i.text, i.source) for i in fake.calls[0]] == [
        ("The world.", "El mundo."),
        ("No informations.", "Sin informaciones."),
    ]


def test_the_sources_language_reaches_the_suggester(fake, tmp_path):
    f = write(tmp_path / "a.txt", "The world fled.\n\nThe army took dozens of towns.\n")
    src = write(tmp_path / "src.txt", "Oamenii au fugit din regiunea Idlib.\n\nArmata a cucerit zeci de orașe și sate.\n")
    assert run(f, "--format", "lines", "--source", src, "-o", tmp_path / "out.txt") == 0
    assert {i.language for i in fake.calls[-1]} == {"ro"}  # identified from the sources
    assert run(f, "--format", "lines", "--source", src, "--source-language", "et", "-o", tmp_path / "out.txt") == 0
    assert {i.language for i in fake.calls[-1]} == {"et"}  # the user's, first
    assert run(f, "--format", "lines", "-o", tmp_path / "out.txt") == 0
    assert {i.language for i in fake.calls[-1]} == {None}  # no sources, none named: not known


def test_source_for_txt_aligns_by_segment(fake, tmp_path):
    f = write(tmp_path / "a.txt", ARTICLE)
    src = write(tmp_path / "src.txt", "uno\ndos\ntres\n")
    assert run(f, "--source", src, "-o", tmp_path / "out.txt") == 0
    assert [i.source for i in fake.calls[0]] == ["uno", "dos", "tres"]


# --- outputs ------------------------------------------------------------------------------


def test_in_place_keeps_a_backup(fake, tmp_path, capsys):
    f = write(tmp_path / "a.txt", ARTICLE)
    assert run(f, "--in-place") == 0
    assert f.read_text() == FIXED
    assert (tmp_path / "a.txt~").read_text() == ARTICLE
    assert capsys.readouterr().out == ""


def test_in_place_failure_leaves_the_file_whole(fake, tmp_path, monkeypatch, capsys):
    f = write(tmp_path / "a.txt", ARTICLE)

    def crash(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("posteditor.core.textio.os.replace", crash)
    assert run(f, "--in-place") == 2
    assert f.read_text() == ARTICLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "a.txt~"]  # no temp file left
    assert "a.txt: cannot write output" in capsys.readouterr().err


def test_several_files_with_o_write_into_a_folder(fake, tmp_path):
    a, b = write(tmp_path / "a.txt", ARTICLE), write(tmp_path / "b.md", "The world.\n")
    assert run(a, b, "-o", tmp_path / "out") == 0
    assert (tmp_path / "out" / "a.txt").read_text() == FIXED
    assert (tmp_path / "out" / "b.md").read_text() == "The region.\n"


def test_o_with_a_trailing_slash_is_a_folder(fake, tmp_path):
    a = write(tmp_path / "a.txt", ARTICLE)
    assert run(a, "-o", f"{tmp_path / 'new'}/") == 0
    assert (tmp_path / "new" / "a.txt").read_text() == FIXED


def test_a_file_given_twice_keeps_its_backup(fake, tmp_path, capsys):
    a = write(tmp_path / "a.txt", ARTICLE)
    assert run(a, a, "--in-place") == 2
    assert a.read_text() == FIXED and (tmp_path / "a.txt~").read_text() == ARTICLE
    assert "given twice" in capsys.readouterr().err


def test_o_pointing_at_the_input_is_refused(fake, tmp_path, capsys):
    f = write(tmp_path / "a.txt", ARTICLE)
    assert run(f, "-o", f) == 2
    assert f.read_text() == ARTICLE
    assert err_lines(capsys)[0].startswith(f"posteditor: {f}: output")


def test_o_folder_containing_an_input_is_refused_for_that_file(fake, tmp_path, capsys):
    a = write(tmp_path / "a.txt", ARTICLE)
    (tmp_path / "sub").mkdir()
    b = write(tmp_path / "sub" / "a.txt", ARTICLE)
    c = write(tmp_path / "c.txt", ARTICLE)
    assert run(a, b, c, "-o", tmp_path / "sub") == 2
    assert b.read_text() == ARTICLE  # sub/a.txt is an input: neither a.txt nor itself may land on it
    assert (tmp_path / "sub" / "c.txt").read_text() == FIXED  # the other file is still done
    assert "would overwrite an input" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--in-place", "--diff"], "--diff"),
        (["-o", "FILE"], "need -o to be a folder"),
        (["--source", "SRC"], "--source goes with exactly one input"),
        (["--source-language", "Romanian!"], "is not a language tag"),
    ],
)
def test_usage_errors(fake, tmp_path, capsys, argv, message):
    a, b = write(tmp_path / "a.txt", ARTICLE), write(tmp_path / "b.txt", ARTICLE)
    write(tmp_path / "FILE", "x")
    write(tmp_path / "SRC", "x")
    argv = [str(tmp_path / x) if x in ("FILE", "SRC") else x for x in argv]
    assert run(a, b, *argv) == 2
    err = err_lines(capsys)
    assert len(err) == 1 and message in err[0]
    assert a.read_text() == ARTICLE


# --- bad input ----------------------------------------------------------------------------

BAD = {
    "missing": (None, "no such file"),
    "folder": ("DIR", "is a directory"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    "latin1": ("Caf\xe9 au lait.".encode("latin-1"), "not valid UTF-8"),
    "empty": (b"  \n\n", "empty"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_is_reported_and_other_files_still_corrected(fake, tmp_path, capsys, kind):
    content, message = BAD[kind]
    bad = tmp_path / f"bad-{kind}.txt"
    if content == "DIR":
        bad.mkdir()
    elif content is not None:
        bad.write_bytes(content)
    good = write(tmp_path / "good.txt", ARTICLE)
    assert run(bad, good, "-o", tmp_path / "out") == 2
    err = err_lines(capsys)
    assert len(err) == 2  # one line for the bad file, then the summary
    assert err[0].startswith(f"posteditor: {bad}: ") and message in err[0]
    assert "1 file failed" in err[1]
    assert (tmp_path / "out" / "good.txt").read_text() == FIXED
    assert not (tmp_path / "out" / bad.name).exists()


def test_only_bad_input_never_loads_the_model(monkeypatch, tmp_path, capsys):
    def boom(*a, **k):
        raise AssertionError("model loaded for nothing")

    monkeypatch.setattr(correct_mod, "load_suggester", boom)
    assert run(tmp_path / "missing.txt") == 2
    assert err_lines(capsys) == [f"posteditor: {tmp_path / 'missing.txt'}: no such file"]


def test_a_20000_word_line_is_left_alone_with_a_warning(fake, tmp_path, capsys):
    long = " ".join(["world"] * 20000)
    f = write(tmp_path / "a.txt", ARTICLE + "\n" + long + "\n")
    assert run(f, "-o", tmp_path / "out.txt") == 1
    assert (tmp_path / "out.txt").read_text() == FIXED + "\n" + long + "\n"
    err = err_lines(capsys)
    assert err[0] == f"posteditor: {f}:5: segment too long for the model (20000 words); left unchanged"
    assert "1 too long" in err[-1]
    assert all(len(i.text.split()) <= base.MAX_WORDS for call in fake.calls for i in call)


def test_many_too_long_segments_are_counted_not_listed(fake, tmp_path, capsys):
    long = " ".join(["word"] * 250)
    f = write(tmp_path / "a.txt", (long + "\n") * 15)
    assert run(f, "--format", "lines", "-o", tmp_path / "out.txt") == 1
    err = err_lines(capsys)
    assert len(err) == correct_mod.MAX_WARNINGS + 2
    assert err[-2] == f"posteditor: {f}: 5 more segments too long for the model; left unchanged"
    assert err[-1].endswith("; 15 too long, left unchanged")


def test_source_count_mismatch_is_an_error(fake, tmp_path, capsys):
    f = write(tmp_path / "a.txt", ARTICLE)
    src = write(tmp_path / "src.txt", "uno\ndos\n")
    assert run(f, "--source", src) == 2
    err = err_lines(capsys)
    assert f"{src} has 2 non-empty lines but {f} has 3 sentences" in err[0]


def test_stdin_in_place_is_refused(fake, capsys):
    assert run("-", "--in-place") == 2
    assert "stdin cannot be corrected in place" in capsys.readouterr().err


def test_missing_model_is_one_line(tmp_path, capsys):
    f = write(tmp_path / "a.txt", ARTICLE)
    assert run(f, "--model", tmp_path / "nope") == 2
    err = err_lines(capsys)
    assert err == [f"posteditor: {tmp_path / 'nope'}: no model there; train one with 'posteditor train' or give --model DIR"]


# --- the pipeline pieces the editor reuses ------------------------------------------------


@pytest.mark.parametrize(
    "lists, kept",
    [
        ([[Edit(1, 2, ("a",), 0.6)], [Edit(1, 2, ("b",), 0.9)]], [("b", 0.9)]),
        ([[Edit(1, 3, ("a",), 0.9)], [Edit(2, 4, ("b",), 0.5), Edit(5, 6, ("c",), 0.1)]], [("a", 0.9), ("c", 0.1)]),
        ([[Edit(2, 2, ("a",), 0.4)], [Edit(2, 2, ("b",), 0.5)]], [("b", 0.5)]),
        # An insertion before a token and an edit of that token are one change: one wins.
        ([[Edit(2, 2, ("a",), 0.4)], [Edit(2, 3, ("b",), 0.5)]], [("b", 0.5)]),
        ([[Edit(2, 2, ("a",), 0.4)], [Edit(1, 2, ("b",), 0.5)]], [("b", 0.5), ("a", 0.4)]),
        ([[Edit(1, 2, ("a",), 0.7)], [Edit(1, 2, ("b",), 0.7)]], [("a", 0.7)]),
    ],
)
def test_merge_keeps_the_more_confident_of_overlapping_edits(lists, kept):
    assert [(e.replacement[0], e.confidence) for e in merge(*lists)] == kept


def test_combined_suggester_merges_model_and_memory():
    model = FakeSuggester({"world": ("region", 0.6), "peoples": ("people", 0.3)})
    model.info = SimpleNamespace(min_confidence=0.4)
    memory = FakeSuggester({"world": ("area", 0.95)}, category="memory")
    combined = Combined([model, memory])
    (edits,) = combined.suggest([base.Item("The world and peoples.")])
    assert [(e.inserted, e.category) for e in edits] == [("area", "memory"), ("people", "model")]
    assert combine.threshold_of(combined) == 0.4


def test_applying_leaves_out_what_can_never_reach_the_threshold():
    model = FakeSuggester({"world": ("region", 0.29), "peoples": ("people", 0.3)})
    model.ceiling = 0.3  # an uncalibrated model: its edits are shown, never applied
    memory = FakeSuggester({"world": ("area", 0.5)}, category="memory")
    both = Combined([model, memory])
    both.info = SimpleNamespace(min_confidence=0.45)
    assert combine.applying(both, 0.3) is both
    reduced = combine.applying(both, 0.45)
    assert reduced.suggesters == [memory] and reduced.info is both.info  # the model's threshold stays
    assert combine.applying(model, 0.45).suggesters == []
    assert Combined([]).suggest([base.Item("a"), base.Item("b")]) == [[], []]
    items = [base.Item("The world and peoples.")]
    for threshold in (0.3, 0.45, 0.6):  # the same edits reach the threshold with or without the model
        alone = combine.applying(both, threshold)
        applied = [[e for e in edits if e.confidence >= threshold] for edits in alone.suggest(items)]
        assert applied == [[e for e in edits if e.confidence >= threshold] for edits in both.suggest(items)]


@pytest.fixture
def capped(monkeypatch):
    """A model whose edits stay below 0.3 (no edit scorer) and whose threshold is 0.45."""
    model = FakeSuggester({"world": ("region", 0.29), "informations": ("information", 0.25)})
    model.ceiling, model.info = 0.3, SimpleNamespace(min_confidence=0.45)
    memory = FakeSuggester({"peoples": ("people", 0.9)}, category="memory")
    memory.remembers, memory.demote = True, lambda text, edits: list(edits)
    monkeypatch.setattr(correct_mod, "load_suggester", lambda *a, **k: Combined([model, memory]))
    return model, memory


def test_a_model_whose_edits_cannot_be_applied_is_not_run(capped, tmp_path, capsys):
    model, memory = capped
    f = write(tmp_path / "a.txt", ARTICLE)
    assert run(f) == 0
    out = capsys.readouterr()
    assert out.out == ARTICLE.replace("peoples", "people")  # the memory's fix still applies
    assert model.calls == [] and len(memory.calls) == 1
    assert "at most 0.30 sure, below the threshold 0.45, so none was looked for" in out.err
    assert "1 edit applied of 1 proposed (min confidence 0.45)" in out.err


def test_a_model_that_can_apply_only_with_sources_runs_only_on_files_with_them(capped, tmp_path, capsys):
    model, memory = capped
    model.reach = lambda sourced: 0.9 if sourced else 0.3  # an edit scorer fitted on edits made with sources
    model.table["world"] = ("region", 0.9)
    f = write(tmp_path / "a.txt", ARTICLE)
    assert run(f) == 0
    out = capsys.readouterr()
    assert out.out == ARTICLE.replace("peoples", "people") and model.calls == []
    assert "at most 0.30 sure without sources, below the threshold 0.45, so none was looked for" in out.err
    src = write(tmp_path / "a.src.txt", "Peste 235.000 de oameni au fugit din regiunea Idlib.\n"
                "Le lipsesc informații.\nOamenii au plecat.\n")
    assert run(f, "--source", src) == 0
    out = capsys.readouterr()
    assert out.out == ARTICLE.replace("peoples", "people").replace("world", "region") and len(model.calls) == 1
    assert "none was looked for" not in out.err


def test_what_the_capped_model_cannot_read_is_left_alone_whether_it_runs_or_not(capped, tmp_path, capsys):
    """A segment too long for the model gets no edit (the memory's neither) and a warning, with
    the model left out as with it run for a report: the same output and exit status."""
    model, memory = capped
    model.fits = lambda text: "peoples" not in text
    f = write(tmp_path / "a.txt", ARTICLE)
    results = []
    for extra in ([], ["--report", tmp_path / "r.jsonl"]):
        code = run(f, "-o", tmp_path / "out.txt", *extra)
        err = capsys.readouterr().err
        results.append((code, (tmp_path / "out.txt").read_text(), "too long for the model" in err))
    assert results[0] == results[1] == (1, ARTICLE, True)
    assert len(model.calls) == 1  # for the report only


@pytest.mark.parametrize("extra", [["--report", "REPORT"], ["--min-confidence", "0.2"]])
def test_the_capped_model_runs_for_a_report_or_a_lower_threshold(capped, tmp_path, capsys, extra):
    model, _ = capped
    f = write(tmp_path / "a.txt", ARTICLE)
    assert run(f, *[tmp_path / "r.jsonl" if a == "REPORT" else a for a in extra]) == 0
    out = capsys.readouterr()
    assert len(model.calls) == 1 and "not run" not in out.err
    if "--report" in extra:  # every proposal is listed, the model's unapplied
        rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
        assert sorted((r["new"], r["applied"]) for r in rows if "new" in r) == [
            ("information", False), ("people", True), ("region", False)]
    else:
        assert out.out == FIXED.replace("peoples", "people")


def test_load_suggester_adds_the_memory_when_there_is_one(tiny_model, monkeypatch):
    from posteditor.model.corrector import Corrector

    assert isinstance(pipeline.load_suggester(tiny_model, use_memory=False), Corrector)
    memory = FakeSuggester()
    monkeypatch.setattr(pipeline, "load_memory", lambda: memory)
    combined = pipeline.load_suggester(tiny_model)
    assert isinstance(combined, Combined) and combined.suggesters[1] is memory
    assert isinstance(pipeline.load_suggester(tiny_model, use_memory=False), Corrector)


def test_propose_filters_and_skips(fake_suggester):
    doc = parse("See `the world`. The world and peoples. " + "X " * 300 + "world.", "md")
    segments = propose(doc, fake_suggester, min_confidence=0.5)
    assert [[e.inserted for e in s.edits] for s in segments] == [[], ["region"], []]
    assert [len(call) for call in fake_suggester.calls] == [2]  # the 300-word segment never sent


# --- the tiny real model ------------------------------------------------------------------


def test_tiny_model_end_to_end(tiny_model, tmp_path, capsys):
    f = write(tmp_path / "a.txt", ARTICLE)
    report = tmp_path / "edits.jsonl"
    code = run(f, "--model", tiny_model, "--no-memory", "--report", report, "-o", tmp_path / "out.txt")
    assert code == 0
    out = (tmp_path / "out.txt").read_text()
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert all(0 <= r["confidence"] <= 1 for r in rows)
    if not any(r["applied"] for r in rows):
        assert out == ARTICLE
    assert "1 file, 3 segments" in capsys.readouterr().err


def test_tiny_model_skips_what_it_cannot_read_whole(tiny_model, tmp_path, capsys):
    # The tiny model reads at most 64 tokens: a 100-word sentence would reach it cut short.
    long = " ".join(["Aid workers reached the border"] * 20) + "."
    f = write(tmp_path / "a.txt", long + "\n")
    assert run(f, "--model", tiny_model, "--no-memory", "-o", tmp_path / "out.txt") == 1
    assert (tmp_path / "out.txt").read_text() == long + "\n"
    assert f"{f}:1: segment too long for the model (100 words)" in capsys.readouterr().err


def test_a_retranslated_segment_is_written_whole_and_counted(monkeypatch, tmp_path, capsys):
    from posteditor.suggest.retranslate import Retranslator

    source = "Primăria a anunțat că podul va fi închis.\nGuvernul a aprobat ieri programul.\n"
    translations = {"Primăria a anunțat că podul va fi închis.": "The city hall announced that the bridge will be closed."}
    params = {"mean": [0.5, 0.1, 2.5, 0.0], "scale": [0.15, 0.1, 0.3, 0.2], "coef": [-2.0, 0.0, 0.0, 0.0],
              "intercept": -2.0}
    retranslator = Retranslator(params, {"ro": ("ro-es", "spa-eng")},
                                lambda sources, chain: [translations.get(s, "*x *y *z") for s in sources])
    monkeypatch.setattr(correct_mod, "load_suggester", lambda *a, **k: retranslator)
    f = write(tmp_path / "a.txt", "Case C-280/00 Altmark GmbH v Nahverkehrsgesellschaft.\nThe government approved the programme.\n")
    assert run(f, "--format", "lines", "--source", write(tmp_path / "a.src", source)) == 0
    out = capsys.readouterr()
    assert out.out == "The city hall announced that the bridge will be closed.\nThe government approved the programme.\n"
    assert "1 edit applied of 1 proposed (min confidence 0.50), 1 of them a segment retranslated" in out.err
