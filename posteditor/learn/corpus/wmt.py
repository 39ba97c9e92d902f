"""WMT system outputs paired with a human reference close enough to pass for a post-edit."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Sequence


from posteditor.core.records import Pair, read_pairs, write_pairs
from posteditor.learn.corpus.pairs import _ARTIFACT, _FILTER_VERSION, log, _ter_bounds, _exact_ters, _lines, _digest, _files_digest, _normalize_space, _match_quotes, _words_ok


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
    workers: int = 2, cache_dir: Path | None = None, langs: Sequence[str] | None = None,
) -> list[Pair]:
    """System outputs whose closest reference is within [min_ter, max_ter] TER: near post-edits.

    Bounds settle most pairs without running TER; exact TER runs only where the bounds
    straddle max_ter and the Levenshtein bound is not far above it. Keeps at most
    ``max_per_ref`` outputs per reference so one sentence is not the target twenty times.
    ``langs`` ("is-en", ...) keeps those language pairs only.
    """
    sets = [s for s in _wmt_sets(root, years) if langs is None or s[2] in langs]
    files = {p for s in sets for p in (s[4], *s[5], s[6]) if p.is_file()}
    params = (_FILTER_VERSION, max_ter, min_ter, list(years), min_words, max_words, max_per_ref, seed)
    if langs is not None:  # (the default's digest, and so its cache, stay as they were)
        params += (sorted(langs),)
    cache = Path(cache_dir) / f"wmt-{_digest(params, _files_digest(files))}.jsonl" if cache_dir else None
    if cache and cache.is_file():
        return read_pairs(cache)
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
        write_pairs(cache, pairs)
    return pairs
