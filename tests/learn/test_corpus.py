"""The corpus recipes, on tiny fake MLQE-PE and WMT folders built in tmp_path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from posteditor.core.records import Pair
from posteditor.learn.corpus.pairs import _match_quotes, _ter_bounds, ter
from posteditor.learn.corpus.recipe import Recipe, build_corpus
from posteditor.learn.corpus.roundtrip import apertium_pairs
from posteditor.core.metrics import detokenize
from posteditor.learn.corpus.mlqe import mlqe_pairs
from posteditor.learn.corpus.wmt import wmt_pairs
from posteditor.core.textio import InputError
from posteditor.suggest import retranslate

MLQE = {  # (src, mt, pe, hter)
    "ro-en": [
        ("Guvernul numește un prefect .", "The Government appoints a prefect .", "The Government appoints a prefect .", 0.0),
        ("El nu a venit , a spus .", "He didn 't came , he said .", "He didn 't come , he said .", 0.14),
        ("Un text foarte diferit .", "A text .", "Something else entirely written here .", 1.2),
    ],
    "si-en": [
        ("ශ්‍රී ලංකාව .", "Sri Lanka is an island .", "Sri Lanka is an island nation .", 0.2),
        ("ශ්‍රී ලංකාව .", "Bad output .", "A completely different sentence .", 0.9),
    ],
}

REF = [
    "The mayor opened the new bridge on Monday morning.",
    "Prices rose sharply in the last quarter of the year.",
    "She said that the team would play again next week.",
    "Short one.",
    "Completely unrelated reference sentence about the weather today.",
]
HYPS = {
    "SysA": [
        "The mayor opened the new bridge on Monday morning.",      # identical: dropped
        "Prices rose strongly in the last quarter of the year.",   # one substitution: kept
        "She said the team will play again next week.",           # ~0.2: kept
        "Short one!",                                              # too short: dropped
        "Nothing alike at all here, a free translation.",          # far: dropped
    ],
    "SysB": [
        "The mayor has opened the new bridge on Monday morning.",  # one insertion: kept
        "Prices rose strongly in the last quarter of the year.",   # duplicate of SysA: deduped
        "She told that the squad would play again next week.",
        "Short one.",
        "Weather.",
    ],
}


def write_lines(path: Path, lines) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    for lang, rows in MLQE.items():
        for split in ("train", "dev"):
            for i, ext in enumerate(("src", "mt", "pe", "hter")):
                write_lines(root / "mlqe-pe" / lang / f"{split}.{ext}", [row[i] for row in rows])
    base = root / "wmt" / "wmt21"
    write_lines(base / "sources" / "newstest2021.de-en.src.de", [f"Quelle {i}." for i in range(len(REF))])
    write_lines(base / "references" / "newstest2021.de-en.ref.A.en", REF)
    for system, lines in HYPS.items():
        write_lines(base / "system-outputs" / f"newstest2021.de-en.hyp.{system}.en", lines)
    return root


RECIPE = """
seed = 3
[dev]
langs = ["ro-en", "si-en"]
[mlqe]
langs = ["ro-en", "si-en"]
src_rate = 0.5
repeat = 2
max_hter = { "si-en" = 0.4 }
[wmt]
years = ["wmt21"]
max_ter = 0.3
workers = 1
[apertium]
enabled = false
[copy]
share = 0.25
"""


@pytest.mark.parametrize("tokenized, natural", [
    ("He didn 't come , he said .", "He didn't come, he said."),
    ("It costs $ 5 ( about € 4 ) .", "It costs $5 (about €4)."),
    ('He said " yes " .', 'He said "yes".'),
    ("< u > the band < / u >", "<u> the band </u>"),
    ("", ""),
])
def test_detokenize(tokenized, natural):
    assert detokenize(tokenized) == natural


@pytest.mark.parametrize("hyp, ref", [
    ("the cat sat on the mat", "the cat sat on the mat"),
    ("the cat sat on the mat", "on the mat the cat sat"),
    ("A dog barked loudly .", "The dog barked ."),
    ("completely different words", "nothing shared here at all"),
])
def test_ter_bounds_hold(hyp, ref):
    lower, upper = _ter_bounds(hyp, ref)
    assert lower <= ter(hyp, ref) + 1e-9 <= upper + 2e-9


@pytest.mark.parametrize("mt, pe, expected", [
    ("I didn't see it", "I haven’t seen “it”", "I haven't seen \"it\""),
    ("I didn’t see it", "I haven’t seen it", "I haven’t seen it"),
])
def test_reference_quotes_follow_the_mt(mt, pe, expected):
    assert _match_quotes(mt, pe) == expected


def test_mlqe_pairs_detokenize_and_cap(data):
    pairs = mlqe_pairs(data, "train", ["ro-en", "si-en"], max_hter={"si-en": 0.4})
    assert [p.origin for p in pairs] == ["mlqe:ro-en"] * 3 + ["mlqe:si-en"]
    assert pairs[1] == Pair("He didn't came, he said.", "He didn't come, he said.", "El nu a venit, a spus.", "mlqe:ro-en")


def test_wmt_pairs_keep_near_post_edits_only(data):
    pairs = wmt_pairs(data, max_ter=0.3, min_ter=0.05, workers=1)
    got = {(p.mt, p.pe) for p in pairs}
    assert ("Prices rose strongly in the last quarter of the year.", REF[1]) in got
    assert ("The mayor has opened the new bridge on Monday morning.", REF[0]) in got
    assert all(p.mt != p.pe and len(p.pe.split()) >= 4 for p in pairs)
    assert len(got) == len(pairs)  # SysA and SysB's identical outputs count once
    assert all(0.05 <= ter(p.mt, p.pe) <= 0.3 for p in pairs)
    assert all(p.src and p.src.startswith("Quelle") and p.origin.startswith("wmt21:de-en:") for p in pairs)


def test_wmt_pairs_cache_gives_same_result(data, tmp_path):
    first = wmt_pairs(data, workers=1, cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").glob("wmt-*.jsonl"))
    assert wmt_pairs(data, workers=1, cache_dir=tmp_path / "cache") == first


def test_build_corpus_writes_jsonl_and_stats(data, tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text(RECIPE, encoding="utf-8")
    stats = build_corpus(recipe, data, tmp_path / "out")
    train = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    dev = [json.loads(line) for line in (tmp_path / "out" / "dev.jsonl").read_text().splitlines()]
    assert all(set(row) == {"mt", "pe", "src", "origin"} for row in train + dev)
    assert stats["train"] == len(train) and stats["dev"] == len(dev) == 5
    assert all(row["src"] for row in dev)  # the dev set always carries its source
    kinds = stats["train_by_kind"]
    assert kinds["mlqe"] == 2 * 4 and kinds["wmt21"] >= 2 and kinds["copy"] == round((8 + kinds["wmt21"]) / 3)
    assert all(row["mt"] == row["pe"] for row in train if row["origin"] == "copy")
    assert json.loads((tmp_path / "out" / "stats.json").read_text()) == stats


def test_build_corpus_is_deterministic(data, tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text(RECIPE, encoding="utf-8")
    a = build_corpus(recipe, data, tmp_path / "a")
    b = build_corpus(recipe, data, tmp_path / "b")
    assert a["signature"] == b["signature"]
    for name in ("train.jsonl", "dev.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    recipe.write_text(RECIPE.replace("seed = 3", "seed = 4"), encoding="utf-8")
    assert build_corpus(recipe, data, tmp_path / "c")["signature"] != a["signature"]


def test_wmt_pairs_keep_the_language_pairs_asked_for(data):
    assert wmt_pairs(data, workers=1, langs=["de-en"]) == wmt_pairs(data, workers=1)
    assert wmt_pairs(data, workers=1, langs=["is-en"]) == []


def test_a_recipe_caps_mlqe_per_language(data, tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text(RECIPE.replace("repeat = 2", "repeat = 1\nmax_pairs = { \"ro-en\" = 2 }"), encoding="utf-8")
    assert build_corpus(recipe, data, tmp_path / "out")["train_by_origin"]["mlqe:ro-en"] == 2


@pytest.mark.skipif(not retranslate.installed(chains={"ro": retranslate.CHAINS["ro"]}),
                    reason="Apertium's Romanian chain is not installed")
def test_a_recipe_with_hints_gives_romanian_sources_their_translation(data, tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('hints = ["ro"]\n' + RECIPE, encoding="utf-8")
    build_corpus(recipe, data, tmp_path / "out")
    rows = [json.loads(line) for name in ("train.jsonl", "dev.jsonl")
            for line in (tmp_path / "out" / name).read_text().splitlines()]
    romanian = [r for r in rows if r["origin"] == "mlqe:ro-en" and r["src"]]
    assert romanian and all(r.get("hint") for r in romanian)
    assert next(r for r in romanian if r["src"].startswith("Guvernul"))["hint"].lower().startswith("the government")
    assert not any(r.get("hint") for r in rows if r["origin"].startswith(("mlqe:si-en", "wmt21")))


def test_a_recipe_asking_hints_of_a_language_no_chain_reads_says_so(data, tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('hints = ["xx"]\n' + RECIPE, encoding="utf-8")
    with pytest.raises(InputError, match="no Apertium chain reads xx"):
        build_corpus(recipe, data, tmp_path / "out")


def test_default_recipe_parses():
    recipe = Recipe.load(Path(__file__).resolve().parent.parent.parent / "corpora" / "default.toml")
    assert set(recipe.dev["langs"]) == set(recipe.mlqe["langs"])
    assert 0 < recipe.copy["share"] < 0.5


@pytest.mark.skipif(shutil.which("apertium") is None, reason="apertium is not installed")
def test_apertium_round_trip(tmp_path):
    sentences = [
        "The house is very big and the garden is green.",
        "She has been working in the hospital for ten years.",
        "We will travel to the city tomorrow morning.",
    ]
    pairs = apertium_pairs(sentences, pivots=("spa",), max_ter=1.0, cache_dir=tmp_path)
    assert pairs and all(p.pe in sentences and p.mt != p.pe and p.src and p.origin == "apertium:spa" for p in pairs)
    assert any("años" in p.src for p in pairs)  # the source is the Spanish in between
    assert list(tmp_path.glob("apertium-spa-*.jsonl"))
    assert apertium_pairs(sentences, pivots=("spa",), max_ter=1.0, cache_dir=tmp_path) == pairs
