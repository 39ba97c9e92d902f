"""Training pairs for the correction model: (MT, corrected, source) built from a TOML recipe.

Four kinds of pair, all in natural (detokenized) English:
  - real post-edits (MLQE-PE train; its dev split is the dev set),
  - WMT system outputs paired with a human reference close enough to pass for a post-edit,
  - clean English round-tripped through Apertium (the round trip is the MT, the original the fix),
  - clean sentences paired with themselves, so the model learns to leave good text alone.
Slow steps (TER filtering, Apertium) are cached under the build folder's ``cache/``.
"""

from __future__ import annotations

import json
import random
import re
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

from posteditor.core.records import Pair, write_pairs
from posteditor.core.textio import InputError
from posteditor.suggest import retranslate
from posteditor.suggest.wordcheck import CHAINS
from posteditor.model.siblings import SIBLINGS
from posteditor.learn.corpus.pairs import _CODE_DIGEST, log, _digest, _files_digest, _words_ok
from posteditor.learn.corpus.mlqe import mlqe_pairs
from posteditor.learn.corpus.wmt import wmt_pairs
from posteditor.learn.corpus.wmt import wmt_references
from posteditor.learn.corpus.roundtrip import apertium_pairs


@dataclass(frozen=True)
class Recipe:
    """A parsed recipe file; the sections mirror ``corpora/default.toml``, which documents each key."""
    seed: int
    dev: dict
    mlqe: dict
    wmt: dict
    clean: dict
    apertium: dict
    copy: dict
    synthetic: dict
    text: str  # the file itself, for the signature
    hints: tuple[str, ...] = ()
    """Source languages whose pairs get Apertium's English translation (``Pair.hint``)."""

    @classmethod
    def load(cls, path: Path) -> Recipe:
        text = Path(path).read_text(encoding="utf-8")
        raw = tomllib.loads(text)
        sections = {name: raw.get(name, {}) for name in ("dev", "mlqe", "wmt", "clean", "apertium", "copy", "synthetic")}
        return cls(seed=int(raw.get("seed", 0)), text=text, hints=tuple(raw.get("hints", ())), **sections)


def _with_sources(pairs: Iterable[Pair], rate: float, rng: random.Random) -> list[Pair]:
    """Keep each pair's source with probability ``rate`` so the model learns to work without one."""
    return [p if p.src and rng.random() < rate else replace(p, src=None) for p in pairs]


def _per_language(pairs: list[Pair], caps: dict[str, int] | None, rng: random.Random) -> list[Pair]:
    """At most ``caps[lang]`` pairs of each language named there (a sample), the rest all."""
    if not caps:
        return pairs
    by_lang: dict[str, list[Pair]] = {}
    for p in pairs:
        by_lang.setdefault(p.origin.split(":")[1], []).append(p)
    return [p for lang, group in by_lang.items() for p in _sample(group, caps.get(lang), rng)]


def _with_hints(pairs: list[Pair], langs: Sequence[str]) -> list[Pair]:
    """Each pair with a source gets Apertium's English translation of it where one of the
    languages' chains reads it (``retranslate.hints``, as the corrector computes it)."""
    unknown = sorted(set(langs) - set(CHAINS))
    if unknown:
        raise InputError(f"hints: no Apertium chain reads {', '.join(unknown)} (known: {', '.join(sorted(CHAINS))})")
    chains = retranslate.installed(chains={k: v for k, v in CHAINS.items() if k in langs})
    missing = sorted(set(langs) - set(chains))
    if missing:
        raise InputError(f"hints for {', '.join(missing)} need Apertium's chains: run `make apertium`")
    found = retranslate.hints([p.src for p in pairs], chains)
    log(f"hints: {sum(h is not None for h in found)} of {sum(bool(p.src) for p in pairs)} sources translated")
    return [replace(p, hint=h) if h else p for p, h in zip(pairs, found)]


def _sample(items: list, n: int | None, rng: random.Random) -> list:
    return items if n is None or n >= len(items) else rng.sample(items, n)


def _options(section: dict, *also_recipe_only: str) -> dict:
    """A recipe section's keys that are keyword arguments of its pair function (the rest mix the corpus)."""
    mixing = {"enabled", "max_pairs", "src_rate", *also_recipe_only}
    return {k: v for k, v in section.items() if k not in mixing}


def build_corpus(recipe_path: Path, data_root: Path, out_dir: Path, cache_dir: Path | None = None) -> dict:
    """Build ``train.jsonl``, ``dev.jsonl`` and ``stats.json`` in out_dir; return the stats.

    Only MLQE-PE train goes into training; MLQE-PE dev is the dev set.
    """
    started = time.time()
    recipe, data_root, out_dir = Recipe.load(recipe_path), Path(data_root), Path(out_dir)
    cache_dir = Path(cache_dir) if cache_dir else out_dir.parent / "cache"
    train: list[Pair] = []

    def rng(name: str) -> random.Random:  # a stream per use, so resizing one source leaves the rest alone
        return random.Random(f"{recipe.seed}:{name}")

    m = recipe.mlqe
    if m.get("enabled", True):
        mlqe = mlqe_pairs(data_root, "train", m["langs"], m.get("max_hter"), drop_artifacts=True)
        mlqe = _per_language(mlqe, m.get("max_pairs"), rng("mlqe-sample"))
        train += _with_sources(mlqe * m.get("repeat", 1), m.get("src_rate", 0.5), rng("mlqe"))
        log(f"mlqe: {len(mlqe)} train pairs")

    w = recipe.wmt
    if w.get("enabled", True):
        wmt = wmt_pairs(data_root, seed=recipe.seed, cache_dir=cache_dir, **_options(w))
        train += _with_sources(_sample(wmt, w.get("max_pairs"), rng("wmt")), w.get("src_rate", 0.5), rng("wmt-src"))

    clean = _clean_pool(data_root, recipe)  # (English, source) not taken from any dev data
    a = recipe.apertium
    if a.get("enabled", True):
        pool = [s for s, _ in clean if _words_ok(s, a.get("min_words", 4), a.get("max_words", 60))]
        pool = _sample(pool, a.get("max_sentences"), rng("apertium-pool"))
        trips = apertium_pairs(pool, cache_dir=cache_dir, **_options(a, "min_words", "max_words", "max_sentences"))
        train += _with_sources(_sample(trips, a.get("max_pairs"), rng("apertium")), a.get("src_rate", 0.3),
                               rng("apertium-src"))
        log(f"apertium: {len(trips)} usable round trips of {len(pool)} sentences")

    s = recipe.synthetic
    if s.get("enabled", False):
        made = synthetic_pairs(clean, rng("synthetic"), s.get("max_pairs"), s.get("min_words", 5),
                               s.get("max_words", 50), s.get("languages"), out_dir)
        train += _with_sources(made, s.get("src_rate", 0.3), rng("synthetic-src"))
        log(f"synthetic: {len(made)} pairs ({dict(Counter(p.origin for p in made))})")

    c = recipe.copy
    share = c.get("share", 0.0)
    if share > 0:
        n_copy = round(len(train) * share / (1 - share))
        pool = [Pair(s, s, src, "copy") for s, src in clean if _words_ok(s, 3, 80)]
        train += _with_sources(_sample(pool, n_copy, rng("copy")), c.get("src_rate", 0.5), rng("copy-src"))

    d = recipe.dev
    dev = _with_sources(mlqe_pairs(data_root, "dev", d.get("langs", m.get("langs", []))), d.get("src_rate", 1.0),
                        rng("dev-src"))
    if recipe.hints:
        train, dev = _with_hints(train, recipe.hints), _with_hints(dev, recipe.hints)
    rng("shuffle").shuffle(train)
    rng("shuffle").shuffle(dev)
    write_pairs(out_dir / "train.jsonl", train)
    write_pairs(out_dir / "dev.jsonl", dev)
    stats = _stats(recipe, data_root, train, dev, time.time() - started)
    (out_dir / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats


def synthetic_pairs(clean: list[tuple[str, str | None]], rng: random.Random, max_pairs: int | None,
                    min_words: int, max_words: int, languages: Sequence[str] | None,
                    out_dir: Path | None) -> list[Pair]:
    """Clean sentences with one MT-like error each (``posteditor.learn.corpus.synthetic``): the corrupted
    sentence is the MT, the original the fix. Sibling words come from the FreeDict
    dictionaries; their table is written to ``out_dir`` for the model to ship."""
    from posteditor.learn.corpus import synthetic

    counts = Counter(w for s, _ in clean for w in re.findall(r"[a-z]+", s.lower()))
    confusions = synthetic.Confusions.build(counts, tuple(languages or synthetic.LANGUAGES))
    if out_dir is not None and confusions.siblings:
        out_dir.mkdir(parents=True, exist_ok=True)
        confusions.save(out_dir / SIBLINGS)
    if not confusions.siblings:
        log("synthetic: no FreeDict dictionaries under /usr/share/dictd (make installs them); skipped")
        return []
    pool = [(s, src) for s, src in clean if _words_ok(s, min_words, max_words)]
    rng.shuffle(pool)
    pairs = []
    for sentence, src in pool:
        if max_pairs is not None and len(pairs) >= max_pairs:
            break
        made = synthetic.corrupt(sentence, confusions, rng)
        if made:
            pairs.append(Pair(made[0], sentence, src, f"synthetic:{made[1]}"))
    return pairs


def _clean_pool(data_root: Path, recipe: Recipe) -> list[tuple[str, str | None]]:
    """Clean English with its source, for round trips and copies: the recipe's [clean] section."""
    c, pool = recipe.clean, []
    if c.get("wmt_references", True):
        pool += wmt_references(data_root, recipe.wmt.get("years", ("wmt21", "wmt22")))
    if c.get("mlqe_post_edits", True):
        pool += [(p.pe, p.src) for p in mlqe_pairs(data_root, "train", recipe.mlqe["langs"], drop_artifacts=True)]
    return list(dict.fromkeys(pool))


def _stats(recipe: Recipe, data_root: Path, train: list[Pair], dev: list[Pair], seconds: float) -> dict:
    inputs = [p for p in (data_root / "mlqe-pe").rglob("*") if p.is_file()]
    inputs += [p for p in (data_root / "wmt").rglob("*") if p.is_file()]
    by_kind = Counter(p.origin.split(":")[0] for p in train)
    return {  # the signature changes with the recipe, the inputs or this code
        "signature": _digest(recipe.text, _files_digest(inputs), _CODE_DIGEST),
        "train": len(train),
        "dev": len(dev),
        **({"hints": list(recipe.hints)} if recipe.hints else {}),
        "train_with_src": sum(p.src is not None for p in train),
        "train_by_kind": dict(sorted(by_kind.items())),
        "train_by_origin": dict(sorted(Counter(":".join(p.origin.split(":")[:2]) for p in train).items())),
        "dev_by_origin": dict(sorted(Counter(p.origin for p in dev).items())),
        "seconds": round(seconds, 1),
    }


def main(data_root: Path | str, recipe: Path | str, out_dir: Path | str) -> dict:
    """Build the corpus a recipe describes and print a summary on stderr."""
    log(f"building {recipe} from {data_root} into {out_dir}")
    stats = build_corpus(Path(recipe), Path(data_root), Path(out_dir))
    log(f"{stats['train']} training pairs ({stats['train_by_kind']}), {stats['dev']} dev pairs, "
        f"{stats['seconds']:.0f}s; signature {stats['signature']}")
    return stats
