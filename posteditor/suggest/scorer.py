"""How likely a proposed edit is right: a logistic regression over what the edit looks like.

The model's own confidence (the probability of its least sure token) says how sure the
model is of what it wrote, not whether a post-editor would agree: on MLQE-PE dev its edits
at 0.95 and above are about one in eight right. Which edits are right shows in their shape
as much as in that probability: a name losing a source-language case ending ("Muski" ->
"Musk", the name written so in the source) is often right; a content word dropped or a rare
word respelt seldom is. The scorer weighs such features, learned on the model's own edits
on dev data judged against the post-edits, and its probability becomes the edit's
confidence, so that the threshold, the editor's display and `correct` all use one figure
that means what it says.

Fitting needs scikit-learn (``fit``, called by calibration); scoring is a dot product, so
loading a model for ``correct`` or the editor needs nothing more than numpy.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from posteditor.core.edits import Edit, apply_edits, extract_edits, tokenize, words

FEATURES = (
    "confidence",  # the model's: lowest probability among the tokens that wrote the edit
    "log_doubt",  # log(1 - confidence): the difference between 0.99 and 0.9999
    "insertion",
    "deletion",
    "words_removed",
    "words_inserted",
    "case_only",  # "king" -> "King"
    "similarity",  # character similarity of removed and inserted text (0 for insertions, deletions)
    "inserted_in_source",  # an inserted word (3+ letters) appears in the source sentence
    "removed_in_source",
    "inserted_in_hint",  # an inserted word (3+ letters) appears in Apertium's English translation of the source
    "removed_in_hint",  # (0 without one: a model that reads no hints, or a source no chain translates)
    "removed_capitalised",
    "inserted_capitalised",
    "removed_pieces",  # most SentencePiece pieces in a removed word: how rare the word is
    "inserted_pieces",
    "punctuation_only",
    "source_non_latin",  # share of the source's letters outside the Latin script
    "segment_words",  # MT length in words / 50
    # What the model measured (``Edit.evidence``, see posteditor.model.corrector.EVIDENCE); 0 when absent
    "mt_prob",  # the corrector's probability of copying the MT token the edit changes
    "lm_gain",  # how much more probable the segment becomes under the base LM (nats, clipped to +-10)
    "sibling",  # a dictionary sibling of the MT word put in its place (not the corrector's own proposal)
)
NEEDS = ("needs_source", "needs_hint")  # what the edits a scorer judges were made with (see EditScorer)
MIN_EACH = 15  # fewer right (or wrong) edits than this on dev: too few to learn from
FOLDS = 5


def features(tokens: Sequence[str], edit: Edit, source: str | None, pieces: Callable[[str], int],
             hint: str | None = None) -> list[float]:
    """The numbers the scorer sees for ``edit`` of the MT ``tokens`` (see ``FEATURES``), given
    the source sentence and Apertium's English translation of it (``hint``), where known."""
    old, new = list(words(tokens[edit.start : edit.end])), list(words(edit.replacement))
    src = (source or "").lower()
    translated = {w.lower().strip(".,;:!?\"'()") for w in (hint or "").split()}
    removed, inserted = " ".join(old), " ".join(new)
    conf = min(max(edit.confidence, 0.0), 1.0)
    return [
        conf,
        math.log(max(1e-4, 1.0 - conf)),
        float(not old),
        float(not new),
        float(min(len(old), 4)),
        float(min(len(new), 4)),
        float(bool(old) and removed.lower() == inserted.lower()),
        _similarity(removed, inserted),
        float(any(len(w) > 2 and w.lower() in src for w in new)),
        float(any(len(w) > 2 and w.lower() in src for w in old)),
        float(any(len(w) > 2 and w.lower() in translated for w in new)),
        float(any(len(w) > 2 and w.lower() in translated for w in old)),
        float(bool(old) and all(w[:1].isupper() for w in old)),
        float(bool(new) and all(w[:1].isupper() for w in new)),
        float(max((pieces(w) for w in old), default=0)),
        float(max((pieces(w) for w in new), default=0)),
        float(all(not any(c.isalnum() for c in w) for w in old + new)),
        _non_latin(source or ""),
        len(words(tokens)) / 50,
        *(list(edit.evidence) + [0.0] * 3)[:3],
    ]


def given(text: str | None) -> bool:
    """Whether a source (or its translation) was given: some text that is not only blanks."""
    return bool(text and text.strip())


def is_right(mt: str, post_edit: str, edit: Edit) -> bool:
    """Whether applying ``edit`` alone to ``mt`` makes only changes the post-editor made."""
    wanted = {e.key() for e in extract_edits(mt, post_edit)}
    return all(e.key() in wanted for e in extract_edits(mt, apply_edits(mt, [edit])))


class Logistic:
    """A logistic regression as ``logistic`` gives it (``mean``, ``scale``, ``coef``,
    ``intercept``), applied to feature rows: the edit scorer's and retranslation's."""

    def __init__(self, params: dict):
        self.mean, self.scale, self.coef = (np.asarray(params[k], dtype=float) for k in ("mean", "scale", "coef"))
        self.intercept = float(params["intercept"])

    def logits(self, rows) -> np.ndarray:
        return ((np.asarray(rows, dtype=float) - self.mean) / self.scale) @ self.coef + self.intercept

    def probabilities(self, rows, offset: float = 0.0) -> np.ndarray:
        """The probability of each row, ``offset`` added to its logit first."""
        return 1.0 / (1.0 + np.exp(-(self.logits(rows) + offset)))


def checked_logistic(params: dict, features: Sequence[str], what: str, features_required: bool = True,
                     width: int | None = None) -> Logistic:
    """``params`` as a ``Logistic`` over ``features`` (``width`` columns made of them, if not one
    each); ``ValueError`` (naming ``what``) when they were fitted on other features (or name
    none, if ``features_required``) or hold numbers that are not finite, or a scale not above 0."""
    m = Logistic(params)
    named = params.get("features", () if features_required else features)
    width = len(features) if width is None else width
    if list(named) != list(features) or any(v.shape != (width,) for v in (m.mean, m.scale, m.coef)):
        raise ValueError(f"{what}: the features differ from this version's")
    if not (np.isfinite([*m.mean, *m.scale, *m.coef, m.intercept]).all() and (m.scale > 0).all()):
        raise ValueError(f"{what}: parameters that are not finite numbers, or a scale not above 0")
    return m


class EditScorer:
    """A fitted scorer (its parameters as ``posteditor.json`` keeps them under ``edit_scorer``)."""

    def __init__(self, params: dict, pieces: Callable[[str], int]):
        if tuple(params.get("features", ())) != FEATURES:
            raise ValueError("the edit scorer was fitted on other features")
        self.params = params
        self.model = Logistic(params)
        self.pieces = pieces
        self.needs_source = bool(params.get("needs_source"))
        """Fitted on edits made with the source sentence (calibration chose to read sources): it
        judges those only, and the edits of a segment given without one stay unscored."""
        self.needs_hint = bool(params.get("needs_hint"))
        """Fitted on edits made with Apertium's translation of the source too: it judges those only."""

    def judges(self, source: str | None, hint: str | None) -> bool:
        """Whether the edits of a segment given with ``source`` and ``hint`` are like those the
        scorer was fitted on (else they stay unscored)."""
        return self.judges_made_with(given(source), given(hint))

    def judges_made_with(self, source: bool, hint: bool) -> bool:
        """``judges`` for edits made with a source, and with Apertium's translation, or without."""
        return (hint or not self.needs_hint) and (source or not self.needs_source)

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return self.model.probabilities(rows)

    def rescore(self, tokens: Sequence[str], edits: Sequence[Edit], source: str | None,
                hint: str | None = None) -> list[Edit]:
        """The edits with the scorer's probability as their confidence."""
        if not edits:
            return list(edits)
        rows = np.array([features(tokens, e, source, self.pieces, hint) for e in edits], dtype=float)
        return [replace(e, confidence=round(float(p), 4)) for e, p in zip(edits, self.probabilities(rows))]


def fit(
    mts: Sequence[str],
    post_edits: Sequence[str],
    sources: Sequence[str | None],
    proposals: Sequence[Sequence[Edit]],
    pieces: Callable[[str], int],
    c: float = 1.0,
    hints: Sequence[str | None] | None = None,
) -> tuple[dict | None, list[list[Edit]], str]:
    """Fit a scorer on the model's dev edits, judged against the post-edits.

    Returns its parameters (None when there are too few right or wrong edits to learn from),
    the proposals re-scored **out of fold** (each segment's edits by a scorer fitted on the
    other folds, so that a threshold chosen on them is chosen on edits the scorer never saw),
    and a line saying what it was fitted on.
    """
    x, y, segment = labelled(mts, post_edits, sources, proposals, pieces, hints)
    right = int(y.sum())
    summary = f"{len(y)} dev edits, {right} right"
    if right < MIN_EACH or len(y) - right < MIN_EACH:
        return None, [list(e) for e in proposals], f"{summary}: too few to fit an edit scorer (at least {MIN_EACH} of each)"
    out_of_fold = probabilities_out_of_fold(x, y, segment, c)
    final = _fitted(x, y, c)
    rescored, n = [], 0
    for edits in proposals:
        rescored.append([replace(e, confidence=round(float(out_of_fold[n + j]), 4)) for j, e in enumerate(edits)])
        n += len(edits)
    params = final.params | {"edits": len(y), "right": right, "c": c, "data": pack_rows(x, y, np.ones(len(y)))}
    return params, rescored, summary


def probabilities_out_of_fold(x: np.ndarray, y: np.ndarray, segment: np.ndarray, c: float = 1.0) -> np.ndarray:
    """Each row's probability from a scorer fitted on the other folds (``FOLDS``, by segment)."""
    out = np.zeros(len(y))
    for k in range(FOLDS):
        held = segment % FOLDS == k
        if held.any():
            out[held] = _fitted(x[~held], y[~held], c).probabilities(x[held])
    return out


def labelled(
    mts: Sequence[str],
    post_edits: Sequence[str],
    sources: Sequence[str | None],
    proposals: Sequence[Sequence[Edit]],
    pieces: Callable[[str], int],
    hints: Sequence[str | None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, right or not, segment index) of every proposed edit, judged against the
    post-edits (``hints``: Apertium's translation of each source, where the model read one)."""
    rows, labels, segment = [], [], []
    hints = hints if hints is not None else [None] * len(mts)
    for i, (mt, pe, src, hint, edits) in enumerate(zip(mts, post_edits, sources, hints, proposals)):
        tokens = tokenize(mt)
        for edit in edits:
            rows.append(features(tokens, edit, src, pieces, hint))
            labels.append(is_right(mt, pe, edit))
            segment.append(i)
    return np.array(rows, dtype=float).reshape(-1, len(FEATURES)), np.array(labels, dtype=bool), np.array(segment, dtype=int)


def refit(params: dict, x, y, weight: float, keys: Sequence[str] | None = None) -> dict | None:
    """The scorer ``params`` refitted on the edits it was fitted on plus the editor's (``x``,
    ``y``: one row per edit the model proposed in a corrected segment, right when the editor
    made it), each of those counting ``weight`` times. ``keys`` name each row's segment
    (``segment_key``) so a later refit can tell which corrections it has learnt from. The
    result keeps all of it, so the next refit builds on this one. None when ``params`` keep
    no data to refit on."""
    if not keeps_data(params):
        return None
    all_x, all_y, all_w, all_k = with_rows(params["data"], x, y, weight, keys)
    y = np.asarray(y, dtype=bool)
    old_y = all_y[: len(all_y) - len(y)]
    c = float(params.get("c", 1.0))
    final = _fitted(all_x, all_y, c, all_w)
    return final.params | {k: True for k in NEEDS if params.get(k)} | {
                           "edits": int(params.get("edits", len(old_y))), "right": int(params.get("right", old_y.sum())),
                           "c": c, "editor_edits": int(params.get("editor_edits", 0)) + len(y),
                           "editor_right": int(params.get("editor_right", 0)) + int(y.sum()),
                           "editor_weight": float(weight), "data": pack_rows(all_x, all_y, all_w, all_k)}


def with_rows(data: dict | None, x, y, weight: float, keys: Sequence[str] | None = None,
              width: int = len(FEATURES)) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The rows ``data`` keeps (none when None) followed by new ones (``x``, ``y``), each new row
    counting ``weight`` times and named by its segment's key: (features, labels, weights, keys)."""
    if data is None:
        old_x, old_y, old_w, old_k = np.zeros((0, width)), np.zeros(0, dtype=bool), np.zeros(0), []
    else:
        old_x, old_y, old_w, old_k = unpack_rows(data, width)
    x, y = np.asarray(x, dtype=float).reshape(-1, width), np.asarray(y, dtype=bool)
    keys = list(keys) if keys is not None else [""] * len(y)
    return (np.vstack([old_x, x]), np.concatenate([old_y, y]), np.concatenate([old_w, np.full(len(y), float(weight))]),
            old_k + keys)


def keeps_data(params: dict | None) -> bool:
    """Whether the scorer ``params`` keep edits of the current features that a refit can build on."""
    params = params or {}
    return bool((params.get("data") or {}).get("y")) and tuple(params.get("features", ())) == FEATURES


def segment_key(mt: str, source: str | None, final: str | None = None) -> str:
    """A short name for a corrected segment (its MT and source), kept with its edits' rows;
    with ``final`` (the editor's version), ``=`` and a short hash of it follow, so a later
    refit can tell a segment the editor has since corrected otherwise."""
    key = hashlib.sha1(f"{mt}\x1f{source or ''}".encode()).hexdigest()[:12]
    return key if final is None else f"{key}={hashlib.sha1(final.encode()).hexdigest()[:8]}"


def split_key(key: str) -> tuple[str, str]:
    """A ``segment_key``'s segment and the hash of the final text it names ("" where none)."""
    segment, _, final = key.partition("=")
    return segment, final


def learnt_from(params: dict | None) -> dict[str, str]:
    """The segments (``segment_key``) whose editor's rows ``params`` (the edit scorer's, or
    retranslation's) have been refitted on, each with the hash of the final text it was
    taught ("" where the rows do not say)."""
    keys = ((params or {}).get("data") or {}).get("k") or []
    return dict(split_key(k) for k in keys if k)


def without_segments(data: dict, segments: set[str], width: int) -> tuple[dict, int]:
    """``data`` (kept rows) less the editor's rows of ``segments``, and how many were dropped."""
    x, y, w, keys = unpack_rows(data, width)
    keep = [i for i, k in enumerate(keys) if split_key(k)[0] not in segments]
    return pack_rows(x[keep], y[keep], w[keep], [keys[i] for i in keep]), len(keys) - len(keep)


def editor_rows(params: dict | None, width: int = len(FEATURES)) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The editor's rows a refit added to ``params`` (the edit scorer's, or retranslation's, with
    its ``width`` features): (features, labels, segment keys)."""
    data = (params or {}).get("data")
    if not data or not data.get("k"):
        return np.zeros((0, width)), np.zeros(0, dtype=bool), []
    x, y, _, keys = unpack_rows(data, width)
    mine = [i for i, k in enumerate(keys) if k]
    return x[mine], y[mine], [keys[i] for i in mine]


def pack_rows(x: np.ndarray, y: np.ndarray, w: np.ndarray, keys: Sequence[str] | None = None) -> dict:
    """Training rows as ``posteditor.json`` keeps them: one line of 4-decimal features per edit
    (about 60 bytes), its label (1: right), its weight and, for an editor's edit, its segment."""
    packed = {"x": [" ".join(f"{v:g}" for v in row) for row in np.round(x, 4)], "y": [int(v) for v in y],
              "w": [round(float(v), 3) for v in w]}
    if keys and any(keys):
        packed["k"] = list(keys)
    return packed


def unpack_rows(data: dict, width: int = len(FEATURES)) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    x = np.array([[float(v) for v in row.split()] if isinstance(row, str) else row for row in data["x"]], dtype=float)
    x = x.reshape(-1, width)
    keys = list(data.get("k") or [""] * len(x))
    if not len(x) == len(data["y"]) == len(keys):
        raise ValueError("kept training rows: rows, labels and keys differ in number")
    return x, np.asarray(data["y"], dtype=bool), np.asarray(data.get("w") or [1.0] * len(x), dtype=float), keys


def _fitted(x: np.ndarray, y: np.ndarray, c: float, weights: np.ndarray | None = None) -> EditScorer:
    return EditScorer({"features": list(FEATURES), **logistic(x, y, c, weights)}, pieces=len)


def logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0, weights: np.ndarray | None = None) -> dict:
    """A weighted logistic regression on standardised features (scikit-learn), as plain numbers:
    ``mean``, ``scale``, ``coef``, ``intercept`` (the edit scorer's and retranslation's)."""
    from sklearn.linear_model import LogisticRegression

    weights = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    mean = np.average(x, axis=0, weights=weights)
    std = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=weights))
    scale = np.where(std > 1e-9, std, 1.0)  # a constant feature: left as it is
    if y.all() or not y.any():  # a fold with one class: predict its share
        share = min(max(float(np.average(y, weights=weights)), 1e-3), 1 - 1e-3)
        coef, intercept = np.zeros(x.shape[1]), math.log(share / (1 - share))
    else:
        model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y, sample_weight=weights)
        coef, intercept = model.coef_[0], float(model.intercept_[0])
    return {"mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
            "coef": coef.round(6).tolist(), "intercept": round(intercept, 6)}


def logit_shift(y: np.ndarray, offset: np.ndarray, weights: np.ndarray | None = None, c: float = 1.0) -> float:
    """What to add to another model's logits ``offset`` (the prior) so that they fit the labels
    ``y`` best, penalised towards 0 (``c`` as ``logistic``'s): rows that agree with the prior, or
    few of them, leave it about as it is; many that disagree move it."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_expit

    y, offset = np.asarray(y, dtype=float), np.asarray(offset, dtype=float)
    weights = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)

    def loss(b: float) -> float:
        t = offset + b
        return -c * weights @ (y * log_expit(t) + (1 - y) * log_expit(-t)) + b * b / 2

    return round(float(minimize_scalar(loss).x), 6)


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    from rapidfuzz import fuzz

    return fuzz.ratio(a, b) / 100


def _non_latin(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(not unicodedata.name(c, "LATIN").startswith("LATIN") for c in letters) / len(letters)
