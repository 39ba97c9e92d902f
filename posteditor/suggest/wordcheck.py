"""Word check: where Apertium translates a source word with another English word than the MT.

Retranslation (``posteditor.suggest.retranslate``) replaces whole segments that stray from
their source. Most MT errors are single words, and the same rule-based translation points at
them: every one-word-for-one-word difference between the MT and Apertium's translation of the
source is a candidate fix ("the beaver of Bran" -> "castle", Romanian "castel"; "the dinastii"
-> "dynasties"). Most candidates are only Apertium's rougher wording, so each is judged: how
much more probable the language model finds the sentence with Apertium's word (the one signal
that matters), how rare the MT word is (a left-over foreign or misspelt word is a likely
error), whether it is a name, how many candidates the sentence has and how alike the two words
are. A logistic model fitted on MLQE-PE ro-en train pairs (``fit``) turns those into the
probability that a post-editor made exactly that edit: the edit's confidence.

Candidates keep to content words (no function word on either side), words Apertium knew
(not marked unknown) and two different words (not two forms of one: one the start of the other,
or the same first five letters).

``WordCheck`` is a ``Suggester``: it proposes only for segments given with a source in a
language one of ``CHAINS`` translates, and needs a language model's sentence
log-probabilities (``Corrector.sentence_log_probs``).
"""

from __future__ import annotations

import math
import re
import sys
from typing import Callable, Iterable, Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

from posteditor.core.edits import SOURCE_WORD, Edit, apply_edits, extract_edits, leading_space, tokenize, words
from posteditor.suggest import retranslate
from posteditor.suggest.base import Item, Suggester
from posteditor.suggest.scorer import checked_logistic

CATEGORY = SOURCE_WORD
CHAINS = {**retranslate.CHAINS, "is": ("isl-eng",)}
"""Source language: the Apertium modes that take it into English. Retranslation's, and
Icelandic, which Apertium translates straight into English (measured on WMT news only)."""
FEATURES = ("gain", "pieces_old", "pieces_new", "name", "candidates", "spelling")
MIN_PROBABILITY = 0.1
"""Candidates less likely than this to be right are not proposed at all (noise in ``review``)."""
MAX_GAIN = 20.0
"""The sentence log-probability gain, in nats, is clipped to +-this (a few words dominate otherwise)."""
MIN_EACH = 10
"""Fewer right (or wrong) candidates than this: too few to fit on."""
STOP = frozenset("""a an the of in on at to for from by with as and or but not no nor is are was were be been being
it its he she his her hers they their them this that these those there here which who whom whose what
when where why how one some any all each both than then so if into onto over under between among about
after before during without within like up down out off too very can could may might must shall should
will would do does did has have had i we you me us our your my""".split())

LogProbs = Callable[[Sequence[str]], list[float]]
"""Each text's log-probability as plain English, in nats for the whole text."""


def candidates(text: str, marked: str) -> list[Edit]:
    """One-word substitutions that turn ``text`` towards Apertium's (marked) translation.

    Each replaces one word token and keeps the whitespace before it (a line break stays a line
    break); Apertium's word takes the MT word's capitalisation unless it is a name (capitalised
    inside Apertium's sentence)."""
    tokens = tokenize(text)
    translation = tokenize(retranslate.clean(marked))
    out = []
    for edit in extract_edits(text, _aligned(text, translation)):
        old, new = words(tokens[edit.start : edit.end]), words(edit.replacement)
        if edit.end - edit.start != 1 or len(old) != 1 or len(new) != 1 or not (old[0].isalpha() and new[0].isalpha()):
            continue
        a, b = old[0].lower(), new[0].lower()
        if a in STOP or b in STOP or _forms_of_one_word(a, b):
            continue
        if re.search(rf"(?<!\w)[*#@]+{re.escape(new[0])}(?!\w)", marked):  # Apertium did not know the word
            continue
        form = new[0]
        if old[0][:1].isupper():
            form = form[:1].upper() + form[1:]
        elif not _a_name(form, translation):  # capitalised only where Apertium starts a sentence
            form = form.lower()
        out.append(Edit(edit.start, edit.end, (leading_space(tokens[edit.start]) + form,), 0.0, CATEGORY))
    return out


def _aligned(text: str, translation: tuple[str, ...]) -> str:
    """The translation with the MT's own tokens (their case and whitespace) wherever the two
    have the same word ignoring case, and the MT's trailing whitespace: only real word
    differences are left between them."""
    a, b = tokenize(text), list(translation)
    for op in Levenshtein.opcodes([t.strip().casefold() for t in a], [t.strip().casefold() for t in b]):
        if op.tag == "equal":
            for i, j in zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)):
                # A word that starts the MT but not the translation keeps the space before it.
                b[j] = a[i] if j == 0 or leading_space(a[i]) else leading_space(b[j]) + a[i]
    return "".join(b).rstrip() + text[len(text.rstrip()):]


def _a_name(word: str, translation: tuple[str, ...]) -> bool:
    """Whether ``word`` is capitalised in the translation after another word (not where a
    sentence starts)."""
    return word[:1].isupper() and any(
        t.strip() == word and k > 0 and translation[k - 1].strip()[-1:].isalnum() for k, t in enumerate(translation))


def installed() -> dict[str, tuple[str, ...]]:
    """The chains of ``CHAINS`` this machine can run."""
    return retranslate.installed(chains=CHAINS)


def hint_chains(langs: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The chains of ``langs`` (the source languages a model learnt to read Apertium's
    translation of: ``ModelMeta.hints``) this machine can run."""
    langs = set(langs)
    wanted = {lang: chain for lang, chain in CHAINS.items() if lang in langs}
    return retranslate.installed(chains=wanted) if wanted else {}


def hints(sources: Sequence[str | None], chains: dict[str, tuple[str, ...]]) -> list[str | None]:
    """Apertium's English translation of each source by ``chains`` (``retranslate.hints``);
    None for every source when there is no chain or Apertium fails: a model trained on
    hints then reads the source alone, as it also learnt to."""
    if not chains:
        return [None] * len(sources)
    try:
        return retranslate.hints(sources, chains)
    except retranslate.FAILURES:
        return [None] * len(sources)


def _forms_of_one_word(a: str, b: str) -> bool:
    """"ship" and "ships", "greatest" and "greatness": a grammar fix at most, not a word choice."""
    return a.startswith(b) or b.startswith(a) or (a[:5] == b[:5] and min(len(a), len(b)) >= 5)


def features(text: str, edit: Edit, gain: float, count: int, pieces: Callable[[str], int]) -> list[float]:
    """What the fitted model weighs for one candidate of ``count`` in its sentence: the
    sentence's log-probability gain with it, the tokenizer pieces of the old and new words
    (rarity), whether the old word is capitalised inside the sentence (a name), and how alike
    the two words are spelt."""
    from rapidfuzz import fuzz

    tokens = tokenize(text)
    old, new = words(tokens[edit.start : edit.end])[0], words(edit.replacement)[0]
    name = old[:1].isupper() and bool(words(tokens[: edit.start]))
    gain = gain if math.isfinite(gain) else -MAX_GAIN  # a broken score is no evidence for the edit
    return [max(-MAX_GAIN, min(MAX_GAIN, gain)), math.log(pieces(old)), math.log(pieces(new)), float(name),
            math.log(count), fuzz.ratio(old.lower(), new.lower()) / 100]


def scored(texts: Sequence[str], marks: Sequence[str], log_probs: LogProbs,
           pieces: Callable[[str], int]) -> list[list[tuple[Edit, list[float]]]]:
    """Each text's candidates with their feature rows (one language-model pass over the texts
    and every candidate)."""
    found = [candidates(t, m) for t, m in zip(texts, marks)]
    todo = [(i, None) for i, f in enumerate(found) if f] + [(i, e) for i, f in enumerate(found) for e in f]
    probs = log_probs([texts[i] if e is None else apply_edits(texts[i], [e]) for i, e in todo]) if todo else []
    before = {i: p for (i, e), p in zip(todo, probs) if e is None}
    gains = iter(p - before[i] for (i, e), p in zip(todo, probs) if e is not None)
    return [[(e, features(t, e, next(gains), len(f), pieces)) for e in f] for t, f in zip(texts, found)]


class WordCheck(Suggester):
    """Proposes Apertium's word where it differs from the MT's, with a fitted confidence."""

    def __init__(self, params: dict, log_probs: LogProbs, pieces: Callable[[str], int],
                 chains: dict[str, tuple[str, ...]] | None = None,
                 run: Callable[[Sequence[str], Sequence[str]], list[str]] | None = None):
        self.params = params
        self.model = checked_logistic(params, FEATURES, "word check")
        langs = params.get("chains", list(CHAINS))
        if not isinstance(langs, list) or not all(isinstance(lang, str) for lang in langs):
            raise ValueError("word check: chains that are not a list of languages")
        self.chains = installed() if chains is None else chains
        self.chains = {lang: c for lang, c in self.chains.items() if lang in langs}
        self.log_probs, self.pieces = log_probs, pieces
        self.run = run or retranslate.translate
        self.warned = False

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        results: list[list[Edit]] = [[] for _ in items]
        todo = [i for i, it in enumerate(items) if it.source and it.source.strip() and it.text.strip()]
        if not todo or not self.chains:  # (retranslation, loaded beside it, says Apertium is missing)
            return results
        try:
            found = retranslate.translations([items[i].source for i in todo], self.chains, self.run)
        except retranslate.FAILURES as exc:
            if not self.warned:
                print(f"posteditor: Apertium failed ({exc}); no word check against the source", file=sys.stderr)
                self.warned = True
            return results
        rows = [(i, t[0]) for i, t in zip(todo, found) if t is not None]
        checked = scored([items[i].text for i, _ in rows], [m for _, m in rows], self.log_probs, self.pieces)
        for (i, _), cands in zip(rows, checked):
            if not cands:
                continue
            probs = self.model.probabilities([f for _, f in cands])
            kept = [Edit(e.start, e.end, e.replacement, round(float(p), 4), CATEGORY)
                    for (e, _), p in zip(cands, probs) if p >= MIN_PROBABILITY]
            results[i] = sorted(kept, key=lambda e: e.start)
        return results


# --- fitting (python -m posteditor.learn.wordcheck) ---------------------------------------

def labelled(mts: Sequence[str], refs: Sequence[str], sources: Sequence[str | None], log_probs: LogProbs,
             pieces: Callable[[str], int], chains: dict[str, tuple[str, ...]] | None = None,
             run: Callable[[Sequence[str], Sequence[str]], list[str]] | None = None,
             ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, Edit]], set[str]]:
    """(features, right, (segment index, edit)) of every candidate of the segments with a
    source a chain translates, and the languages that translated them. Right means the
    post-editor made exactly that edit (``scorer.is_right``). Raises ``retranslate.FAILURES``."""
    from posteditor.suggest.scorer import is_right

    todo = [i for i, s in enumerate(sources) if s and s.strip() and mts[i].strip()]
    chains = installed() if chains is None else chains
    found = retranslate.translations([sources[i] for i in todo], chains, run) if todo and chains else []
    rows = [(i, t[0], t[1]) for i, t in zip(todo, found) if t is not None]
    checked = scored([mts[i] for i, _, _ in rows], [m for _, m, _ in rows], log_probs, pieces)
    index = [(i, e) for (i, _, _), cands in zip(rows, checked) for e, _ in cands]
    x = np.array([f for cands in checked for _, f in cands], dtype=float).reshape(-1, len(FEATURES))
    y = np.array([is_right(mts[i], refs[i], e) for i, e in index], dtype=bool)
    langs = {lang for (_, _, lang), cands in zip(rows, checked) if cands}
    return x, y, index, langs


def fit(x: np.ndarray, y: np.ndarray, langs, **extra) -> dict | None:
    """The word check's parameters fitted on labelled candidates, for sources in ``langs``;
    None with too few of either label."""
    from posteditor.suggest.scorer import logistic

    if y.sum() < MIN_EACH or (~y).sum() < MIN_EACH:
        return None
    return {"features": list(FEATURES), **logistic(x, y, 1.0), "chains": sorted(langs),
            "candidates": int(len(y)), "right": int(y.sum()), **extra}
