"""Clean English round-tripped through Apertium: the round trip is the MT, the original the fix."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Sequence

from posteditor.core.records import Pair, read_pairs, write_pairs
from posteditor.suggest.retranslate import apertium
from posteditor.learn.corpus.pairs import APERTIUM_MODES, _ESPERANTO_LETTERS, _FILTER_VERSION, log, ter, _ter_bounds, _digest, _files_digest, _normalize_space


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
            return read_pairs(cache)
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
        write_pairs(cache, pairs)
    return pairs
