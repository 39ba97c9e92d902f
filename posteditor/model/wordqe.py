"""Word-level quality estimation: how likely a post-editor is to keep each MT word.

The corrector's one verify pass over prompt + MT already holds what this needs. For each word
there are the model's probabilities of copying its pieces, of its best alternative, and the
spread of its prediction there (entropy). There are also the same figures for the words
around it. And there is the model's hidden state after reading the word, at a middle layer
(``LAYER``), which knows what was read around it.

A logistic probe over these, fitted on dev post-edits (``posteditor.learn.doubts``), gives the
probability that the post-editor keeps the word. On MLQE-PE dev without sources, out of fold,
it ranks the words post-editors changed better than the copy probability alone: average
precision 0.64 against 0.48, and at the same precision it flags several times as many words.
The middle layer was chosen there (layer 20 of 30: 0.639; 15: 0.625; 25: 0.613; the last: 0.604;
10: 0.597).

The probe is stored in ``posteditor.json`` (``words_to_check.detector``) as one weight per
feature, with standardisation folded in, for reading without and with the source. A model
without one keeps the least copy probability of the word's pieces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from posteditor.core.meta import READINGS

LAYER = 20
"""The hidden layer the probe reads (of SmolLM2's 30; a smaller model's last)."""
FLOOR = -30.0
"""Log-probabilities are read no lower than this (bf16 can round a probability to 0)."""
SCALARS = ("log_copy_min", "log_copy_first", "log_copy_mean", "pieces", "log_alternative", "entropy",
           "capitalised", "first_word", "digit", "characters", "log_copy_previous", "log_copy_next",
           "log_copy_segment", "segment_words")
"""The features besides the hidden state, in their order: the word's copy probabilities (the
least of its pieces, the first, their mean, how many), the best alternative's probability and
the entropy where the model is least sure of it, its shape, its neighbours' least copy
probability, and the segment's mean and length."""


@dataclass
class Clues:
    """One row's share of the verify pass: for each MT token, the log-probability of copying it,
    of the likeliest other token, and the entropy; and the hidden states at ``layer``, from the
    position before the first MT token to the last (one more than the tokens: state k has read
    token k - 1)."""

    log_copy: torch.Tensor  # (tokens,)
    log_alternative: torch.Tensor  # (tokens,)
    entropy: torch.Tensor  # (tokens,)
    states: torch.Tensor  # (tokens + 1, hidden)


def clues(probs: torch.Tensor, draft: Sequence[int], top: torch.return_types.topk, states: torch.Tensor) -> Clues:
    """The clues of one row, from its probabilities over the vocabulary at each MT token and
    the two likeliest tokens there (``top``, at least two)."""
    at = torch.arange(len(draft))
    drafted = torch.tensor(list(draft))
    other = torch.where(top.indices[:, 0] == drafted, top.values[:, 1], top.values[:, 0])
    return Clues(probs[at, drafted].clamp_min(1e-30).log().clamp_min(FLOOR), other.clamp_min(1e-30).log().clamp_min(FLOOR),
                 torch.special.entr(probs).sum(-1), states.float())


def word_indices(tokens: Sequence[str]) -> list[int]:
    """The indices of the words among ``tokens``: punctuation aside."""
    return [k for k, token in enumerate(tokens) if any(ch.isalnum() for ch in token)]


def word_spans(starts: Sequence[int], count: int) -> list[tuple[int, int]]:
    """For each of ``count`` tokens of the text, its MT pieces ``[s, e)`` (at least one)."""
    return [(starts[k], max(starts[k] + 1, starts[k + 1])) for k in range(count)]


def features(tokens: Sequence[str], starts: Sequence[int], found: Clues) -> tuple[list[int], np.ndarray]:
    """The indices of the words of ``tokens`` (punctuation aside) and their features: the
    ``SCALARS``, then the hidden state after the word's last piece."""
    spans = word_spans(starts, len(tokens))
    indices = word_indices(tokens)
    if not indices:
        return [], np.zeros((0, len(SCALARS) + found.states.shape[1]), dtype=np.float32)
    log_copy = found.log_copy.tolist()
    least = {k: min(log_copy[s:e]) for k in indices for s, e in [spans[k]]}
    segment = sum(least.values()) / len(least)
    rows, states = [], []
    for n, k in enumerate(indices):
        s, e = spans[k]
        pieces = log_copy[s:e]
        j = s + pieces.index(min(pieces))
        word = tokens[k].strip()
        rows.append([least[k], pieces[0], sum(pieces) / len(pieces), e - s, float(found.log_alternative[j]),
                     float(found.entropy[j]), float(word[:1].isupper() and n > 0), float(n == 0),
                     float(any(ch.isdigit() for ch in word)), len(word),
                     least[indices[n - 1]] if n > 0 else 0.0, least[indices[n + 1]] if n + 1 < len(indices) else 0.0,
                     segment, len(indices)])
        states.append(found.states[min(e, len(found.states) - 1)])
    return indices, np.hstack([np.asarray(rows, dtype=np.float32), torch.stack(states).numpy()])


class WordCheck:
    """A fitted probe: the probability that a post-editor keeps each word, from its features,
    reading the MT alone or with its source (``fitted`` is ``words_to_check.detector``); and
    the probes of their own that some source languages have (``own``: (language, with the
    source or not) -> {coef, intercept}, from ``words_to_check.languages``)."""

    def __init__(self, fitted: dict, own: dict[tuple[str, bool], dict] | None = None):
        self.layer = int(fitted["layer"])
        self.weights = {name: _weights(fitted[name], name) for name in READINGS.values()}
        if len({len(c) for c, _ in self.weights.values()}) != 1:
            raise ValueError("the two probes read different features")
        self.own, self.unusable = {}, {}  # (a language's unusable probe: why; its words are checked as any other's)
        for key, record in (own or {}).items():
            try:
                self.own[key] = _weights(record, "coef")
                if len(self.own[key][0]) != self.width:
                    raise ValueError("it reads other features than the shared probe")
            except (KeyError, TypeError, ValueError) as exc:
                self.own.pop(key, None)
                self.unusable[key] = str(exc)

    @property
    def width(self) -> int:
        """How many features the probe reads (the hidden size is the rest)."""
        return len(self.weights["without_source"][0])

    def keep(self, x: np.ndarray, sourced: bool, language: str | None = None) -> np.ndarray:
        """Each row's probability of being kept by the post-editor, by ``language``'s own probe
        where it has one."""
        weights = self.own.get((language, sourced)) or self.weights[READINGS[sourced]]
        return kept(x, *weights)


def _weights(record: dict, name: str) -> tuple[np.ndarray, float]:
    coef = np.asarray(record["coef"], dtype=np.float64)
    intercept = float(record["intercept"])
    if coef.ndim != 1 or not np.isfinite(coef).all() or not math.isfinite(intercept):
        raise ValueError(f"{name}: weights are not a list of numbers")
    return coef, intercept


def kept(x: np.ndarray, coef: np.ndarray, intercept: float) -> np.ndarray:
    """A logistic probe's probability that each row's word is kept (``coef`` weighs its changes)."""
    return 1.0 - 1.0 / (1.0 + np.exp(-(x.astype(np.float64) @ coef + intercept)))


def record_keeps(probe: dict, x: np.ndarray) -> np.ndarray:
    """``kept`` by a probe record ({coef, intercept}, as ``probe_record`` writes it)."""
    return kept(x, np.asarray(probe["coef"], dtype=np.float64), float(probe["intercept"]))


def probe_record(coef: np.ndarray, intercept: float, mean: np.ndarray, scale: np.ndarray) -> dict:
    """A logistic probe fitted on standardised features, as weights on the raw ones (6 digits)."""
    raw = coef / scale
    return {"coef": [float(f"{v:.6g}") for v in raw], "intercept": float(f"{intercept - float(raw @ mean):.6g}")}
