"""Retranslation: where the MT has nothing to do with its source, a rule-based translation.

Neural MT sometimes writes fluent English about something else entirely (a hallucination:
"In the light of the above, the Commission concludes ..." for a sentence about the
Luftwaffe's raids). No word edit repairs that. Apertium, a rule-based MT system (Debian
packages, offline), translates the source word by word and rule by rule: rough English, but
about the right things. Where Apertium knows the source's words and its translation shares
little with the MT, that translation is proposed in place of the segment, as one edit of
category ``retranslation`` whose confidence is the probability, fitted on MLQE-PE ro-en train
by ``python -m posteditor.learn.retranslation`` (or on dev data by ``posteditor calibrate``),
that it is closer to what a post-editor would write.

``Retranslator`` is a ``Suggester``: it proposes only for segments that come with a source, in
a language one of ``CHAINS`` translates (Romanian, through Spanish), picked per segment by how
many of its words Apertium knows.
"""

from __future__ import annotations

import functools
import math
from itertools import combinations_with_replacement
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from posteditor.core.edits import RETRANSLATION, Edit, leading_space, tokenize, words
from posteditor.suggest.scorer import Logistic, checked_logistic
from posteditor.suggest.base import Item, Suggester

CHAINS = {"ro": ("ro-es", "spa-eng")}
"""Source language: the Apertium modes that take it into English, in order."""
PACKAGES = ("apertium", "apertium-es-ro", "apertium-eng-spa")
"""The Debian packages those chains need (``make`` installs them where it can)."""
MODES = Path("/usr/share/apertium/modes")
TIMEOUT = 60
"""Seconds an Apertium call may take (plus one per ten lines) before it counts as failed."""
FAILURES = (OSError, subprocess.SubprocessError, UnicodeError)
"""What a missing, broken or stuck Apertium raises: reported, never a traceback."""
FEATURES = ("similarity", "unknown", "words", "length_ratio")
DEGREE = 3
"""The model weighs the features and their products up to this degree: a translation is worth
taking where it shares little with the MT *and* Apertium knew the source, which one weight per
feature cannot say (MLQE-PE ro-en dev, out of fold: ΔTER -2.26 against -1.83 with the features
alone at 0.4; ``docs/results.md``). Params without a ``degree`` weigh the features alone."""
C = 10.0
"""The regression's inverse regularisation with the products, chosen by 5-fold cross-validation
on MLQE-PE ro-en train (average precision 0.489 against 0.485 at 1 and 0.475 at 0.1)."""
MIN_FOR_PRODUCTS = 50
"""Fewer translations than this of either label (closer, not closer) are too few for 34 weights:
the features alone are fitted then, as before products (C = 1), so that an editor's few
corrections or a small dev set give moderate probabilities, not noise at 0 and 1."""
MAX_UNKNOWN = 0.5
"""A translation with more of its words unknown to Apertium than this is not proposed."""
MIN_WORDS = 3
"""Nor is one of fewer words: too little to tell the language by, or to judge the MT."""
MIN_PROBABILITY = 0.1
"""Translations less likely than this to be closer than the MT are not proposed at all: in
``review`` they would only be noise beside every segment."""
CATEGORY = RETRANSLATION
_MARKED = re.compile(r"(?<!\w)[*#@]+(?=\w)")  # Apertium's marks before a word: unknown, generation, transfer errors


def apertium(lines: Sequence[str], mode: str, marks: bool = False) -> list[str]:
    """Translate lines with one Apertium mode, line N of the output for line N of the input.

    Apertium sometimes joins or splits lines; a batch whose line count comes back wrong is
    halved until it does not, and a single line's output is joined into one. ``marks`` keeps
    Apertium's marks on the words it did not know ("*word").
    """
    if not lines:
        return []
    command = ["apertium", mode] if marks else ["apertium", "-u", mode]
    out = subprocess.run(command, input="\n".join(" ".join(line.split()) for line in lines) + "\n",
                         capture_output=True, encoding="utf-8", errors="replace", check=True,
                         timeout=TIMEOUT + len(lines) // 10).stdout.split("\n")
    if out and out[-1] == "":
        out.pop()
    if len(out) == len(lines):
        return out
    if len(lines) == 1:
        return [" ".join(out)]
    half = len(lines) // 2
    return apertium(lines[:half], mode, marks) + apertium(lines[half:], mode, marks)


def installed(modes: Path = MODES, chains: dict[str, tuple[str, ...]] = CHAINS) -> dict[str, tuple[str, ...]]:
    """The chains of ``chains`` (default ``CHAINS``) this machine can run."""
    if shutil.which("apertium") is None:
        return {}
    return {lang: chain for lang, chain in chains.items() if all((modes / f"{m}.mode").is_file() for m in chain)}


def translate(sources: Sequence[str], chain: Sequence[str]) -> list[str]:
    """Each source through the chain's modes, with the marks on unknown words kept. The last
    few batches are remembered: retranslation and the word check ask for the same one."""
    return list(_translated(tuple(sources), tuple(chain)))


@functools.lru_cache(maxsize=4)
def _translated(sources: tuple[str, ...], chain: tuple[str, ...]) -> tuple[str, ...]:
    out = list(sources)
    for mode in chain:
        out = apertium(out, mode, marks=True)
    return tuple(out)


def unknown_share(marked: str) -> float:
    """The share of a marked translation's words Apertium did not know: marked ones ("*word",
    also inside quotes or brackets: '„**Victorioși'), and words in a script it does not read
    (which it passes through unmarked, as it does punctuation)."""
    words = [t for t in marked.split() if any(c.isalpha() for c in t)]
    if len(words) < MIN_WORDS:
        return 1.0
    return sum(bool(_MARKED.search(t)) or not _latin(t) for t in words) / len(words)


def _latin(word: str) -> bool:
    return all(unicodedata.name(c, "LATIN").startswith("LATIN") for c in word if c.isalpha())


def clean(marked: str) -> str:
    """A marked translation as a reader sees it: marks dropped, spacing normalised."""
    return " ".join(_MARKED.sub("", marked).split())


def features(mt: str, marked: str) -> list[float]:
    """What the fitted model weighs: how much the MT and the translation share (chrF), how
    much of the source Apertium knew, and the lengths."""
    from sacrebleu.metrics import CHRF

    text = clean(marked)
    mt_words, words = len(mt.split()), len(text.split())
    similarity = CHRF().sentence_score(mt, [text]).score / 100 if text and mt.strip() else 0.0
    return [similarity, unknown_share(marked), math.log1p(mt_words), math.log((1 + words) / (1 + mt_words))]


def expand(rows, degree: int) -> np.ndarray:
    """Feature rows (``features``) and every product of up to ``degree`` of their columns, in
    a fixed order: what the fitted model weighs (``degree`` 1: the rows as they are)."""
    x = np.asarray(rows, dtype=float)
    x = x.reshape(0, len(FEATURES)) if x.size == 0 else x
    if x.ndim != 2 or x.shape[1] != len(FEATURES):
        raise ValueError(f"retranslation: rows of {len(FEATURES)} features expected")
    columns = _columns(degree)
    return np.column_stack([np.prod(x[:, list(c)], axis=1) for c in columns]).reshape(len(x), len(columns))


def _columns(degree: int) -> list[tuple[int, ...]]:
    """The features each of ``expand``'s columns multiplies, in order."""
    return [c for d in range(1, degree + 1) for c in combinations_with_replacement(range(len(FEATURES)), d)]


def _degree(params: dict) -> int:
    degree = params.get("degree", 1)
    if type(degree) is not int or not 1 <= degree <= DEGREE:
        raise ValueError("retranslation: the degree differs from this version's")
    return degree


def _logistic(params: dict) -> tuple[Logistic, int]:
    """The fitted regression of ``params`` (checked) and the degree of its products."""
    degree = _degree(params)
    return checked_logistic(params, FEATURES, "retranslation", features_required=False, width=len(_columns(degree))), degree


def whole_edit(text: str, replacement: str, confidence: float) -> Edit | None:
    """One edit putting ``replacement`` in place of the whole segment (its leading and trailing
    whitespace kept), or None when the two have the same words."""
    a = tokenize(text)
    b = tokenize(leading_space(text) + " ".join(replacement.split()))
    if words(a) == words(b):
        return None
    end = len(a) - 1 if a and not a[-1].strip() else len(a)  # trailing whitespace stays
    return Edit(0, end, b, round(float(confidence), 4), CATEGORY)


def translations(sources: Sequence[str], chains: dict[str, tuple[str, ...]],
                 run: Callable[[Sequence[str], Sequence[str]], list[str]] | None = None) -> list[tuple[str, str] | None]:
    """(marked translation, language) of each source, by the chain that knows most of its
    words (the first on a tie); None where every chain knows too few (a language none of them
    reads)."""
    best: list[tuple[str, str] | None] = [None] * len(sources)
    share = [MAX_UNKNOWN] * len(sources)
    for lang, chain in chains.items():
        for i, marked in enumerate((run or translate)(sources, chain)):
            unknown = unknown_share(marked)
            if clean(marked) and (unknown < share[i] or best[i] is None and unknown <= share[i]):
                best[i], share[i] = (marked, lang), unknown
    return best


def hints(sources: Sequence[str | None], chains: dict[str, tuple[str, ...]]) -> list[str | None]:
    """Apertium's English translation of each source as a reader sees it (marks dropped), by
    the chain that reads it best (``translations``); None without a source or where no chain
    reads it. The correction model reads it beside the source (``lm.format_prompt``)."""
    given = [i for i, s in enumerate(sources) if s and s.strip()]
    out: list[str | None] = [None] * len(sources)
    if given and chains:
        for i, found in zip(given, translations([sources[i] for i in given], chains)):
            out[i] = clean(found[0]) if found else None
    return out


class Retranslator(Suggester):
    """Proposes a rule-based translation for segments whose MT strays from their source."""

    def __init__(self, params: dict, chains: dict[str, tuple[str, ...]] | None = None,
                 run: Callable[[Sequence[str], Sequence[str]], list[str]] | None = None):
        self.params = params
        self.model, self.degree = _logistic(params)
        self.shift = params.get("editor_shift", 0.0)
        """What an editor's corrections taught on top of the model (``refit``): added to its logit."""
        if type(self.shift) not in (int, float) or not math.isfinite(self.shift):
            raise ValueError("retranslation: an editor's shift that is not a finite number")
        self.chains = installed() if chains is None else chains
        if "chains" in params:  # fitted on these chains' translations: another chain's are not judged by it
            self.chains = {lang: chain for lang, chain in self.chains.items() if lang in params["chains"]}
        self.run = run or translate
        self.warned = False

    def probability(self, rows: Sequence[Sequence[float]]) -> np.ndarray:
        return self.model.probabilities(expand(rows, self.degree), self.shift)

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        results: list[list[Edit]] = [[] for _ in items]
        todo = [i for i, it in enumerate(items) if it.source and it.source.strip() and it.text.strip()]
        if not todo:
            return results
        if not self.chains:
            if not self.warned:
                print("posteditor: Apertium (with the chains this model was fitted on) is not installed, so segments "
                      f"whose MT strays from the source are not retranslated (apt-get install {' '.join(PACKAGES)})",
                      file=sys.stderr)
                self.warned = True
            return results
        try:
            found = translations([items[i].source for i in todo], self.chains, self.run)
        except FAILURES as exc:
            if not self.warned:
                print(f"posteditor: Apertium failed ({exc}); no retranslation", file=sys.stderr)
                self.warned = True
            return results
        rows = [(i, t[0]) for i, t in zip(todo, found) if t is not None]
        if not rows:
            return results
        probs = self.probability([features(items[i].text, m) for i, m in rows])
        for (i, m), p in zip(rows, probs):
            edit = whole_edit(items[i].text, clean(m), p) if p >= MIN_PROBABILITY else None
            if edit is not None:
                results[i] = [edit]
        return results


# --- fitting (posteditor calibrate, posteditor finetune, python -m posteditor.learn.retranslation) ---------------------------------

FOLDS = 5
MIN_EACH = 10
"""Fewer translations closer (or not closer) than the MT than this: too few to learn from."""


def labelled(mts: Sequence[str], refs: Sequence[str], sources: Sequence[str | None],
             chains: dict[str, tuple[str, ...]] | None = None,
             run: Callable[[Sequence[str], Sequence[str]], list[str]] | None = None,
             ) -> tuple[np.ndarray, np.ndarray, list[int], list[str], set[str]]:
    """(features, closer, segment index, marked translation) of each segment with a source that a
    chain translates, and the languages that translated them; a translation is closer when it
    brings the segment nearer the post-edit (``evaluate.closer``). Raises ``FAILURES``."""
    from posteditor.core.metrics import closer

    todo = [i for i, s in enumerate(sources) if s and s.strip() and mts[i].strip()]
    chains = installed() if chains is None else chains
    found = translations([sources[i] for i in todo], chains, run) if todo and chains else []
    rows = [(i, t[0], t[1]) for i, t in zip(todo, found) if t is not None]
    x = np.array([features(mts[i], m) for i, m, _ in rows], dtype=float).reshape(-1, len(FEATURES))
    y = np.array([closer(mts[i], clean(m), refs[i]) for i, m, _ in rows], dtype=bool)
    return x, y, [i for i, _, _ in rows], [m for _, m, _ in rows], {lang for _, _, lang in rows}


def _enough(y: np.ndarray, each: int = MIN_EACH) -> bool:
    """Whether the labels ``y`` hold at least ``each`` translations closer and ``each`` not."""
    return min(int(y.sum()), int((~y).sum())) >= each


MODEL = ("features", "degree", "mean", "scale", "coef", "intercept")
"""What ``_fitted`` gives: the regression itself, without the rows or notes kept beside it."""


def _fitted(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> dict:
    """The regression on rows ``x`` (``features``): with the products up to ``DEGREE`` where
    each label has ``MIN_FOR_PRODUCTS`` rows, else on the features alone."""
    from posteditor.suggest.scorer import logistic

    degree, c = (DEGREE, C) if _enough(y, MIN_FOR_PRODUCTS) else (1, 1.0)
    return {"features": list(FEATURES), "degree": degree, **logistic(expand(x, degree), y, c, w)}


def _params(x: np.ndarray, y: np.ndarray, w: np.ndarray, keys: Sequence[str], chains: Sequence[str],
            fitted: dict | None = None, **extra) -> dict:
    """The model fitted on these rows (unless ``fitted`` is given), with them kept for a refit."""
    from posteditor.suggest.scorer import pack_rows

    return {**(fitted or _fitted(x, y, w)), "chains": sorted(chains),
            "translations": int(len(y)), "closer": int(y.sum()), **extra, "data": pack_rows(x, y, w, keys)}


def fit(mts: Sequence[str], refs: Sequence[str], sources: Sequence[str | None],
        chains: dict[str, tuple[str, ...]] | None = None,
        run: Callable[[Sequence[str], Sequence[str]], list[str]] | None = None) -> tuple[dict | None, list[list[Edit]], str]:
    """Fit the retranslation model on dev data: (params, out-of-fold proposals, a summary).

    The proposals of each fifth of the segments are scored by a model fitted on the other four
    fifths, so a sweep over them measures what the model does on new data. ``params`` keep the
    rows they were fitted on (as the edit scorer does), so ``refit`` can add the editor's; they
    are None when no chain is installed or dev offers too few of either label.
    """
    chains = installed() if chains is None else chains
    proposals: list[list[Edit]] = [[] for _ in mts]
    if not chains:
        return None, proposals, "retranslation: no Apertium chain installed"
    try:
        x, y, index, marked, langs = labelled(mts, refs, sources, chains, run)
    except FAILURES as exc:
        return None, proposals, f"retranslation: Apertium failed ({exc}); not fitted"
    if not _enough(y):
        return None, proposals, f"retranslation: {int(y.sum())} of {len(y)} dev translations closer than the MT; too few to learn from"
    fold = np.arange(len(y)) % FOLDS
    for k in range(FOLDS):
        held = np.flatnonzero(fold == k)
        train = fold != k
        model = Retranslator(_fitted(x[train], y[train]), chains, run)
        for j, p in zip(held, model.probability(x[held])):
            edit = whole_edit(mts[index[j]], clean(marked[j]), p)
            proposals[index[j]] = [edit] if edit is not None else []
    params = _params(x, y, np.ones(len(y)), [""] * len(y), langs)
    return params, proposals, f"retranslation: {len(y)} dev translations, {int(y.sum())} closer than the MT"


def fit_all(mts: Sequence[str], refs: Sequence[str], sources: Sequence[str | None], fitted_on: str,
            chains: dict[str, tuple[str, ...]] | None = None,
            run: Callable[[Sequence[str], Sequence[str]], list[str]] | None = None) -> tuple[dict | None, str]:
    """The retranslation model fitted on every one of these segments, for data no threshold is
    chosen on (``posteditor.learn.retranslation`` fits it on MLQE-PE train): (params naming
    ``fitted_on``, a summary); params are None when no chain is installed or the data offers
    too few of either label. ``calibrate`` keeps such a model and sweeps its proposals on dev.
    Raises ``FAILURES``."""
    chains = installed() if chains is None else chains
    if not chains:
        return None, "retranslation: no Apertium chain installed"
    x, y, _, _, langs = labelled(mts, refs, sources, chains, run)
    if not _enough(y):
        return None, f"retranslation: {int(y.sum())} of {len(y)} translations closer than the MT; too few to learn from"
    params = _params(x, y, np.ones(len(y)), [""] * len(y), langs, fitted_on=fitted_on)
    return params, f"retranslation: fitted on {len(y)} translations of {fitted_on}, {int(y.sum())} closer than the MT"


EDITOR_C = 0.1
"""How far an editor's corrections may move a fitted retranslation model (``refit``): the inverse
regularisation of what they add to its logit. Chosen with ``benchmarks/retranslation_refit.py``
(``docs/results.md``)."""


def refit(params: dict | None, x, y, weight: float, keys: Sequence[str], chains: Iterable[str],
          c: float = EDITOR_C, forget: Iterable[str] = ()) -> dict | None:
    """The retranslation model taught the editor's corrections (``x``, ``y``: one per corrected
    segment Apertium translates, closer when nearer the editor's version than the MT), each
    counting ``weight`` times, with those of earlier refits that ``params`` keep; ``keys`` name
    their segments (``scorer.segment_key``).

    The model stays as it was fitted on its own rows (its train or dev translations), and the
    editor's corrections fit one amount added to its logit (``scorer.logit_shift``, ``c``): a
    few, or many that agree with it, change little, and an editor who keeps turning
    retranslations down is heard however many rows the model was fitted on. A base without
    retranslation learns from the editor's alone. A segment taught again (corrected otherwise
    since) replaces its earlier rows; those of the segments ``forget`` names are dropped. None
    when, all told, too few of either label."""
    from posteditor.suggest.scorer import logit_shift, split_key, with_rows, without_segments

    if not all(keys):
        raise ValueError("retranslation: an editor's row without its segment's key")
    params = params if isinstance(params, dict) else {}
    old = params.get("data")
    kept = isinstance(old, dict) and old.get("y") and tuple(params.get("features", ())) == FEATURES
    dropped = 0
    if kept:
        old, dropped = without_segments(old, {split_key(k)[0] for k in keys} | set(forget), len(FEATURES))
    all_x, all_y, all_w, all_k = with_rows(old if kept else None, x, y, weight, keys, len(FEATURES))
    own = np.array([not k for k in all_k], dtype=bool)  # the model's own rows; the editors' are named
    extra = {"editor_translations": int(params.get("editor_translations") or 0) + len(y) - dropped,
             "editor_weight": float(weight),
             **{k: params[k] for k in ("fitted_on",) if isinstance(params.get(k), str)}}
    chains = set(params.get("chains") or []) | set(chains)
    if "editor_shift" in params or ("intercept" in params and not params.get("editor_translations")):
        fitted = {k: params[k] for k in MODEL if k in params}  # a model of its own: it stays as it is
    elif _enough(all_y[own]):  # refitted before the editor's rows were kept apart: fitted again on its own
        fitted = _fitted(all_x[own], all_y[own], all_w[own])
    else:  # none (or only the editor's): learnt from the editor's alone
        return _params(all_x, all_y, all_w, all_k, chains, **extra) if _enough(all_y) else None
    model, degree = _logistic(fitted)
    shift = logit_shift(all_y[~own], model.logits(expand(all_x[~own], degree)), all_w[~own], c)
    return _params(all_x, all_y, all_w, all_k, chains, fitted, editor_shift=shift, **extra)
