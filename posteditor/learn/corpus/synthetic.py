"""Synthetic MT errors in clean English: the mistakes a post-editor exists to fix.

MT picks the wrong English word for a source word with several senses ("fled the world of
Idlib" for "region", "sold two million actions" for "shares"), and carries the source's
grammar into English (articles, prepositions, agreement). Clean sentences (WMT references,
MLQE-PE train post-edits) are corrupted here and the model learns to restore them.

Word-choice confusions come from bilingual dictionaries, offline: English words that
translate the same foreign word are the natural confusions of MT. FreeDict's X→English
dictionaries (Debian ``dict-freedict-*-eng``, dictd format: an ``.index`` of headword, offset
and length in base 64, and a gzip-compatible ``.dict.dz``) give, for each foreign headword, its
English senses; the English words of one entry are siblings.
"""

from __future__ import annotations

import gzip
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from posteditor.model.siblings import STOP, plural

DICT_DIR = Path("/usr/share/dictd")
# X→English FreeDict dictionaries whose entries give English siblings (Debian packages
# dict-freedict-<x>-eng); the Makefile installs them.
LANGUAGES = ("fra", "spa", "deu", "ita", "por", "nld", "slv", "hrv", "swe", "pol")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_POS = re.compile(r"<([^>]*)>")
_WORD = re.compile(r"[a-z]{3,}")

PREPOSITIONS = ("in", "on", "at", "to", "for", "of", "from", "by", "with", "into", "about")
AGREEMENT = {"was": "were", "were": "was", "is": "are", "are": "is", "has": "have", "have": "has",
             "does": "do", "do": "does"}


def _b64(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 64 + _B64.index(ch)
    return value


def dictionary_entries(name: str, folder: Path = DICT_DIR) -> Iterable[tuple[str, list[str]]]:
    """(part of speech, English words) of each entry of ``freedict-<name>``, single words only."""
    index, data = folder / f"freedict-{name}.index", folder / f"freedict-{name}.dict.dz"
    if not index.is_file() or not data.is_file():
        return
    raw = gzip.open(data, "rb").read()
    for line in index.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or parts[0].startswith("00"):
            continue
        start, size = _b64(parts[1]), _b64(parts[2])
        lines = raw[start : start + size].decode("utf-8", "replace").splitlines()
        if len(lines) < 2:
            continue
        pos = _POS.search(lines[0])
        tag = pos.group(1).split(",")[0].strip() if pos else ""
        for sense in lines[1:]:  # each numbered sense is its own set of siblings
            sense = re.sub(r"^\s*\d+\.\s*", "", sense)
            words = [w.strip().lower() for w in re.split(r"[,;]", sense)]
            words = [w for w in words if _WORD.fullmatch(w) and w not in STOP]
            if len(words) >= 2:
                yield tag, words


@dataclass(frozen=True)
class Confusions:
    """For each English word, the words MT could have written in its place, with weights."""

    siblings: dict[str, tuple[tuple[str, ...], tuple[float, ...]]]

    @classmethod
    def build(cls, counts: Counter, languages: Sequence[str] = LANGUAGES, folder: Path = DICT_DIR,
              min_count: int = 3) -> Confusions:
        """Siblings from the dictionaries, weighted by how many entries share them and by how
        common the sibling is in clean English (``counts``): MT writes common words."""
        shared: dict[str, Counter] = defaultdict(Counter)
        for lang in languages:
            for _tag, words in dictionary_entries(f"{lang}-eng", folder):
                for w in words:
                    for other in words:
                        if other != w:
                            shared[w][other] += 1
        siblings = {}
        for word, others in shared.items():
            if counts[word] < min_count:
                continue
            kept = [(o, n * (counts[o] ** 0.5)) for o, n in others.items() if counts[o] >= min_count]
            if kept:
                kept.sort(key=lambda x: -x[1])
                kept = kept[:8]
                siblings[word] = (tuple(o for o, _ in kept), tuple(w for _, w in kept))
        return cls(siblings)

    def save(self, path: Path, per_word: int = 8) -> None:
        """The table for the corrector (``SIBLINGS``): each word's likeliest siblings."""
        import json

        table = {w: list(others[:per_word]) for w, (others, _) in sorted(self.siblings.items())}
        Path(path).write_text(json.dumps(table, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")

    def pick(self, word: str, rng: random.Random) -> str | None:
        """A sibling of ``word`` (lowercase), or None; plural nouns keep their plural."""
        if word in self.siblings:
            others, weights = self.siblings[word]
            return rng.choices(others, weights)[0]
        for suffix, back in (("ies", "y"), ("es", ""), ("s", "")):
            stem = word[: -len(suffix)] + back if word.endswith(suffix) else None
            if stem and stem in self.siblings and stem not in STOP:
                others, weights = self.siblings[stem]
                return plural(rng.choices(others, weights)[0])
        return None


def _case_like(word: str, model: str) -> str:
    return word.capitalize() if model[:1].isupper() else word


_TOKEN = re.compile(r"\w+(?:[-']\w+)*|[^\w\s]")


def corrupt(sentence: str, confusions: Confusions, rng: random.Random) -> tuple[str, str] | None:
    """The sentence with one MT-like error, and the error's kind; None if none fits.

    Kinds: ``sense`` (a dictionary sibling of a content word), ``article`` (a "the" added
    before a bare noun phrase or dropped), ``preposition`` (one swapped for another),
    ``agreement`` (was/were, is/are, has/have). Names (capitalised words not at the start)
    and numbers are never touched.
    """
    words = sentence.split(" ")
    kinds = ["sense"] * 6 + ["article"] * 2 + ["preposition"] * 2 + ["agreement"]
    rng.shuffle(kinds)
    for kind in dict.fromkeys(kinds):
        spots = list(range(len(words)))
        rng.shuffle(spots)
        for i in spots:
            word = words[i]
            m = re.fullmatch(r"([\"'(]?)([A-Za-z]+)([.,;:!?\"')]*)", word)
            if not m:
                continue
            lead, core, tail = m.groups()
            lower = core.lower()
            if core[:1].isupper() and i > 0:
                continue  # a name
            new = None
            if kind == "sense" and lower not in STOP:
                new = confusions.pick(lower, rng)
            elif kind == "preposition" and lower in PREPOSITIONS:
                new = rng.choice([p for p in PREPOSITIONS if p != lower])
            elif kind == "agreement" and lower in AGREEMENT:
                new = AGREEMENT[lower]
            elif kind == "article":
                if lower == "the" and i + 1 < len(words) and rng.random() < 0.4:
                    out = words[:i] + words[i + 1 :]
                    if i == 0:
                        out[0] = out[0][:1].upper() + out[0][1:]
                    return " ".join(out), "article"
                prev = words[i - 1].lower().strip("\"'(") if i else ""
                if (i and lower not in STOP and core.islower() and not tail and prev not in STOP
                        and lower.endswith("s") and not prev.endswith(("'s", "s'"))):
                    return " ".join(words[:i] + ["the"] + words[i:]), "article"
            if new and new != lower:
                words = words[:i] + [lead + _case_like(new, core) + tail] + words[i + 1 :]
                return " ".join(words), kind
    return None
