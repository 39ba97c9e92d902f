"""Pairs in JSON lines files: the rows corpus builds and fine-tuning write, byte for byte."""

from __future__ import annotations

import pytest

from posteditor.core.records import Pair, read_pairs, write_pairs


@pytest.mark.parametrize("pair, line", [
    # a correction: src always written, null without one; no origin, no context
    (Pair("He say.", "He said."), '{"mt": "He say.", "pe": "He said.", "src": null}'),
    (Pair("Il dit.", "Il a dit.", "Он сказал."), '{"mt": "Il dit.", "pe": "Il a dit.", "src": "Он сказал."}'),
    # a corpus pair: its origin after src, as corpus builds have always held it
    (Pair("a b", "a c", None, "mlqe:ro-en"), '{"mt": "a b", "pe": "a c", "src": null, "origin": "mlqe:ro-en"}'),
    (Pair("a b", "a c", "x", "copy", prev="Before."),
     '{"mt": "a b", "pe": "a c", "src": "x", "origin": "copy", "prev": "Before."}'),
    # a pair with Apertium's English translation of its source, last
    (Pair("a b", "a c", "x", "mlqe:ro-en", hint="a c"),
     '{"mt": "a b", "pe": "a c", "src": "x", "origin": "mlqe:ro-en", "hint": "a c"}'),
])
def test_pairs_round_trip_through_a_file_in_the_same_bytes(tmp_path, pair, line):
    path = tmp_path / "pairs.jsonl"
    write_pairs(path, [pair, pair])
    assert path.read_text(encoding="utf-8") == f"{line}\n{line}\n"
    assert read_pairs(path) == [pair, pair]
    assert Pair.from_json(pair.to_json()) == pair


def test_old_style_rows_read_with_defaults_and_extra_keys_ignored(tmp_path):
    path = tmp_path / "dev.jsonl"
    path.write_text('{"mt": "a b", "pe": "a c"}\n\n{"mt": "d", "pe": "e", "origin": "mlqe:et-en", "set": "x"}\n',
                    encoding="utf-8")
    assert read_pairs(path) == [Pair("a b", "a c"), Pair("d", "e", origin="mlqe:et-en")]
    with pytest.raises(KeyError):
        Pair.from_json({"mt": "no post-edit"})



def test_a_pair_names_its_source_language():
    assert Pair("a", "b", origin="mlqe:ro-en").source_language == "ro" and Pair("a", "b").source_language is None
