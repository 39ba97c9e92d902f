"""Training pairs for the correction model: (MT, corrected, source) built from a TOML recipe.

Four kinds of pair, all in natural (detokenized) English:
  - real post-edits (MLQE-PE train; its dev split is the dev set),
  - WMT system outputs paired with a human reference close enough to pass for a post-edit,
  - clean English round-tripped through Apertium (the round trip is the MT, the original the fix),
  - clean sentences paired with themselves, so the model learns to leave good text alone.
Slow steps (TER filtering, Apertium) are cached under the build folder's ``cache/``.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import time
import tomllib
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

from rapidfuzz.distance import Levenshtein
from sacrebleu.metrics import TER
from sacrebleu.tokenizers.tokenizer_ter import TercomTokenizer

from posteditor.core.metrics import detokenize
from posteditor.model.siblings import SIBLINGS
from posteditor.suggest.retranslate import apertium

# Case matters to a post-editor, and punctuation is split off so "worse." vs "worse" is one edit.
_TER = TER(case_sensitive=True, normalized=True)
_TER_TOKENIZE = TercomTokenizer(normalized=True, case_sensitive=True)

# Apertium modes for each pivot language: English -> pivot, pivot -> English.
APERTIUM_MODES = {"spa": ("eng-spa", "spa-eng"), "glg": ("en-gl", "gl-en"), "epo": ("en-eo", "eo-en")}
_ESPERANTO_LETTERS = set("ĉĝĥĵŝŭĈĜĤĴŜŬ")  # left-over Esperanto words are not plausible MT
# Tokens no real document holds: MLQE-PE's "<unk>" and WMT 2022's anonymisation ("#PRS_ORG#").
_ARTIFACT = re.compile(r"<\s*unk\s*>|#[A-Za-z_0-9]+#")
_CURLY = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_FILTER_VERSION = 4  # bump when a filter of wmt_pairs or apertium_pairs changes: invalidates their caches
_CODE_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]  # part of the corpus signature


@dataclass(frozen=True)
class Pair:
    mt: str
    pe: str
    src: str | None
    origin: str


def log(message: str) -> None:
    print(f"[corpus {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ter(hyp: str, ref: str) -> float:
    """Sentence TER of hyp against ref, as a fraction (case-sensitive, punctuation split)."""
    return _TER.sentence_score(hyp, [ref]).score / 100


def _ter_bounds(hyp: str, ref: str) -> tuple[float, float]:
    """Cheap (lower, upper) bounds on ``ter(hyp, ref)``.

    Upper: word Levenshtein distance (TER only adds shifts). Lower: bag-of-words difference
    (each insertion, deletion or substitution fixes at most one word of it; shifts none).
    """
    h, r = _TER_TOKENIZE(hyp).split(), _TER_TOKENIZE(ref).split()
    n = max(1, len(r))
    ch, cr = Counter(h), Counter(r)
    lower = max(sum((ch - cr).values()), sum((cr - ch).values())) / n
    return lower, Levenshtein.distance(h, r) / n


def _exact_ters(pairs: list[tuple[str, str]]) -> list[float]:
    return [ter(h, r) for h, r in pairs]


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1] if path.stat().st_size else []


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, ensure_ascii=False).encode()).hexdigest()[:16]


def _files_digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def _normalize_space(text: str) -> str:
    return " ".join(text.split())


def _match_quotes(mt: str, pe: str) -> str:
    """pe with straight quotes where mt has no curly ones: a quote style is no error to fix."""
    return pe if any(c in mt for c in "‘’“”") else pe.translate(_CURLY)


def _words_ok(text: str, min_words: int, max_words: int) -> bool:
    return min_words <= len(text.split()) <= max_words and not _ARTIFACT.search(text)


# ---------------------------------------------------------------- MLQE-PE: real post-edits

def mlqe_pairs(
    root: Path, split: str, langs: Sequence[str], max_hter: dict[str, float] | None = None, *,
    drop_artifacts: bool = False,
) -> list[Pair]:
    """Post-edits of ``root/mlqe-pe/{lang}/{split}.*``, detokenized.

    Drops pairs above ``max_hter[lang]`` and, with drop_artifacts, pairs holding "<unk>".
    """
    pairs = []
    for lang in langs:
        folder = Path(root) / "mlqe-pe" / lang
        src, mt, pe = (_lines(folder / f"{split}.{ext}") for ext in ("src", "mt", "pe"))
        hter_path = folder / f"{split}.hter"
        hter = [float(x) for x in _lines(hter_path)] if hter_path.is_file() else [0.0] * len(mt)
        if not len(src) == len(mt) == len(pe) == len(hter):
            raise ValueError(f"{folder}: {split} files differ in length")
        cap = (max_hter or {}).get(lang, 1e9)
        pairs += [
            Pair(detokenize(m), detokenize(p), detokenize(s, lang.split("-")[0]), f"mlqe:{lang}")
            for s, m, p, h in zip(src, mt, pe, hter)
            if h <= cap and not (drop_artifacts and _ARTIFACT.search(m + p))
        ]
    return pairs


# ---------------------------------------------------------------- WMT: outputs vs references

def _wmt_sets(root: Path, years: Sequence[str]):
    """Yield (year, prefix, langpair, system, hyp path, ref paths, source path) for every output."""
    for year in years:
        base = Path(root) / "wmt" / year
        for hyp in sorted((base / "system-outputs").glob("*.hyp.*.en")):
            prefix, langpair, rest = hyp.name.split(".", 2)
            system = rest[len("hyp."):-len(".en")]
            refs = sorted((base / "references").glob(f"{prefix}.{langpair}.ref.*.en"))
            source = base / "sources" / f"{prefix}.{langpair}.src.{langpair.split('-')[0]}"
            yield year, prefix, langpair, system, hyp, refs, source


def wmt_references(root: Path, years: Sequence[str] = ("wmt21", "wmt22")) -> list[tuple[str, str | None]]:
    """Every distinct WMT English reference with its source sentence: clean news prose."""
    seen: dict[str, str | None] = {}
    done = set()
    for _, prefix, langpair, _, _, refs, source in _wmt_sets(root, years):
        if (prefix, langpair) in done:
            continue
        done.add((prefix, langpair))
        srcs = _lines(source) if source.is_file() else []
        for ref in refs:
            for i, line in enumerate(_lines(ref)):
                line = _normalize_space(line)
                if line and line not in seen and not _ARTIFACT.search(line):
                    seen[line] = srcs[i].strip() if i < len(srcs) else None
    return list(seen.items())


def wmt_pairs(
    root: Path, max_ter: float = 0.3, min_ter: float = 0.05, *, years: Sequence[str] = ("wmt21", "wmt22"),
    min_words: int = 4, max_words: int = 80, max_per_ref: int = 4, seed: int = 0,
    workers: int = 2, cache_dir: Path | None = None,
) -> list[Pair]:
    """System outputs whose closest reference is within [min_ter, max_ter] TER: near post-edits.

    Bounds settle most pairs without running TER; exact TER runs only where the bounds
    straddle max_ter and the Levenshtein bound is not far above it. Keeps at most
    ``max_per_ref`` outputs per reference so one sentence is not the target twenty times.
    """
    sets = list(_wmt_sets(root, years))
    files = {p for s in sets for p in (s[4], *s[5], s[6]) if p.is_file()}
    params = (_FILTER_VERSION, max_ter, min_ter, list(years), min_words, max_words, max_per_ref, seed)
    cache = Path(cache_dir) / f"wmt-{_digest(params, _files_digest(files))}.jsonl" if cache_dir else None
    if cache and cache.is_file():
        return [Pair(**json.loads(line)) for line in cache.read_text(encoding="utf-8").splitlines()]
    started = time.time()
    best: dict[tuple, tuple[float, Pair]] = {}
    ambiguous: list[tuple[tuple, Pair]] = []
    for year, _, langpair, system, hyp_path, ref_paths, src_path in sets:
        hyps, srcs = _lines(hyp_path), _lines(src_path) if src_path.is_file() else []
        for ref_path in ref_paths:
            refs = _lines(ref_path)
            if len(refs) != len(hyps):
                log(f"skip {hyp_path.name} vs {ref_path.name}: {len(hyps)} != {len(refs)} lines")
                continue
            for i, (h, r) in enumerate(zip(hyps, refs)):
                h, r = _normalize_space(h), _normalize_space(r)
                r = _match_quotes(h, r)
                if h == r or not (_words_ok(h, min_words, max_words) and _words_ok(r, min_words, max_words)):
                    continue
                lower, upper = _ter_bounds(h, r)
                if lower > max_ter or upper < min_ter or upper > max_ter + 0.15:
                    continue
                key = (hyp_path.name, i)
                pair = Pair(h, r, srcs[i].strip() if i < len(srcs) else None, f"{year}:{langpair}:{system}")
                if upper <= max_ter and lower >= min_ter:
                    if key not in best or upper < best[key][0]:
                        best[key] = (upper, pair)
                else:
                    ambiguous.append((key, pair))
    ambiguous = [(key, pair) for key, pair in ambiguous if key not in best]  # another reference settled it
    log(f"wmt: {len(best)} outputs settled by bounds, {len(ambiguous)} need exact TER")
    chunks = [ambiguous[i:i + 2000] for i in range(0, len(ambiguous), 2000)]
    with ProcessPoolExecutor(max(1, workers)) as pool:
        scores = pool.map(_exact_ters, [[(p.mt, p.pe) for _, p in c] for c in chunks])
        for chunk, chunk_scores in zip(chunks, scores):
            for (key, pair), score in zip(chunk, chunk_scores):
                if min_ter <= score <= max_ter and (key not in best or score < best[key][0]):
                    best[key] = (score, pair)
    by_ref: dict[str, dict[str, Pair]] = defaultdict(dict)
    for _, pair in sorted(best.values(), key=lambda sp: (sp[0], sp[1].origin)):
        by_ref[pair.pe].setdefault(pair.mt, pair)  # dedupe: identical outputs of several systems
    rng = random.Random(seed)
    pairs = []
    for pe in sorted(by_ref):
        candidates = list(by_ref[pe].values())
        rng.shuffle(candidates)
        pairs += candidates[:max_per_ref]
    log(f"wmt: {len(pairs)} pairs kept in {time.time() - started:.0f}s")
    if cache:
        _write_jsonl(cache, (asdict(p) for p in pairs))
    return pairs


# ---------------------------------------------------------------- Apertium round trips

def _modes_digest(pivot: str) -> str:
    """A digest of the installed Apertium modes of a pivot: an update invalidates the caches."""
    modes = Path("/usr/share/apertium/modes")
    return _files_digest(p for m in APERTIUM_MODES[pivot] for p in modes.glob(f"{m}.mode"))


def _round_trip(sentences: list[str], pivot: str, cache_dir: Path | None, batch: int) -> list[tuple[str, str]]:
    """(pivot text, back-translation) for each sentence.

    Cached per sentence in ``cache_dir/apertium-{pivot}-{modes digest}.jsonl``, so a recipe
    that adds sentences only translates the new ones and an Apertium update starts afresh.
    """
    forward, backward = APERTIUM_MODES[pivot]
    known: dict[str, tuple[str, str]] = {}
    cache = None
    if cache_dir:
        cache = Path(cache_dir) / f"apertium-{pivot}-{_modes_digest(pivot)}.jsonl"
        if cache.is_file():
            for line in cache.read_text(encoding="utf-8").splitlines():
                sentence, mid, back = json.loads(line)
                known[sentence] = (mid, back)
    todo = list(dict.fromkeys(s for s in sentences if s not in known))
    started = time.time()
    for i in range(0, len(todo), batch):
        chunk = todo[i:i + batch]
        mid = [_normalize_space(x) for x in apertium(chunk, forward)]
        back = [_normalize_space(x) for x in apertium(mid, backward)]
        known.update(zip(chunk, zip(mid, back)))
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            with cache.open("a", encoding="utf-8") as f:
                f.writelines(json.dumps([c, *known[c]], ensure_ascii=False) + "\n" for c in chunk)
    if todo:
        log(f"apertium {pivot}: {len(todo)} new sentences in {time.time() - started:.0f}s")
    return [known[s] for s in sentences]


def _bucket(text: str, n: int) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big") % n


def apertium_pairs(
    sentences: Sequence[str], pivots: Sequence[str] = ("spa", "glg", "epo"), *, per_sentence: int = 1,
    max_ter: float = 0.5, cache_dir: Path | None = None, batch: int = 2000,
) -> list[Pair]:
    """Round-trip clean English through Apertium, each sentence through ``per_sentence`` of the pivots.

    A sentence's pivots follow from a hash of its text, not its position, so resampling the
    input leaves the per-sentence cache valid.

    The round trip is the MT, the original the correction, the pivot text the source. Drops
    trips that changed nothing, drifted too far (TER > max_ter) or kept Esperanto words.
    """
    cache = None
    if cache_dir:  # the filtered result too: TER over 100k trips takes minutes on a busy machine
        modes = [_modes_digest(p) for p in pivots]
        key = _digest(_FILTER_VERSION, list(pivots), per_sentence, max_ter, modes, list(sentences))
        cache = Path(cache_dir) / f"apertium-pairs-{key}.jsonl"
        if cache.is_file():
            return [Pair(**json.loads(line)) for line in cache.read_text(encoding="utf-8").splitlines()]
    pairs = []
    for k, pivot in enumerate(pivots):
        n = len(pivots)
        originals = [s for s in map(_normalize_space, sentences) if (k - _bucket(s, n)) % n < per_sentence]
        for pe, (mid, mt) in zip(originals, _round_trip(originals, pivot, cache_dir, batch)):
            if not mt or mt == pe or (_ESPERANTO_LETTERS & set(mt)) - set(pe):
                continue
            lower, upper = _ter_bounds(mt, pe)
            if upper <= max_ter or (lower <= max_ter and ter(mt, pe) <= max_ter):
                pairs.append(Pair(mt, pe, mid, f"apertium:{pivot}"))
    if cache:
        _write_jsonl(cache, (asdict(p) for p in pairs))
    return pairs


# ---------------------------------------------------------------- the recipe

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

    @classmethod
    def load(cls, path: Path) -> Recipe:
        text = Path(path).read_text(encoding="utf-8")
        raw = tomllib.loads(text)
        sections = {name: raw.get(name, {}) for name in ("dev", "mlqe", "wmt", "clean", "apertium", "copy", "synthetic")}
        return cls(seed=int(raw.get("seed", 0)), text=text, **sections)


def _with_sources(pairs: Iterable[Pair], rate: float, rng: random.Random) -> list[Pair]:
    """Keep each pair's source with probability ``rate`` so the model learns to work without one."""
    return [p if p.src and rng.random() < rate else Pair(p.mt, p.pe, None, p.origin) for p in pairs]


def _sample(items: list, n: int | None, rng: random.Random) -> list:
    return items if n is None or n >= len(items) else rng.sample(items, n)


def _options(section: dict, *also_recipe_only: str) -> dict:
    """A recipe section's keys that are keyword arguments of its pair function (the rest mix the corpus)."""
    mixing = {"enabled", "max_pairs", "src_rate", *also_recipe_only}
    return {k: v for k, v in section.items() if k not in mixing}


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


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
    rng("shuffle").shuffle(train)
    rng("shuffle").shuffle(dev)
    _write_jsonl(out_dir / "train.jsonl", (asdict(p) for p in train))
    _write_jsonl(out_dir / "dev.jsonl", (asdict(p) for p in dev))
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
