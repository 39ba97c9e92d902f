"""What every source of training pairs shares: sentence TER, text filters, digests for caches.

The pair itself is ``posteditor.core.records.Pair``, the row of every training file.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterable

from rapidfuzz.distance import Levenshtein
from sacrebleu.metrics import TER
from sacrebleu.tokenizers.tokenizer_ter import TercomTokenizer



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
_CODE_DIGEST = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py")))).hexdigest()[:16]
"""Part of the corpus signature: the code that builds it (this folder)."""


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
