"""Fit a model's words to check: which MT words the editor marks for a person to check.

Without the source the model seldom knows the right word (about a tenth of its replacements
are right), but it knows where the MT is wrong. The editor marks such words, and ``correct
--report`` lists them; nothing is changed by them.

For each dev segment (the calibration dev, all its languages), with and without the source,
``Corrector.word_features`` reads what the verify pass knows of every MT word (``wordqe``),
and ``changed_words`` says whether the post-editor changed it (it is outside the longest
matching blocks of MT and post-edit words, case folded). A logistic probe over those features
gives each word's probability of being kept; its precision is measured out of fold (each fifth
of the segments by a probe fitted on the rest). It is kept only where it ranks the changed
words better than the least copy probability of the word's pieces, the probe-free measure,
does, with and without sources (average precision); else that measure is used.

A bar flags the words whose probability of being kept is below it; its precision is the share
of them changed. The bar kept is the largest of ``BARS`` whose flags are at least
``MIN_SHARE`` changed, without sources and with them, in every language where it flags at
least ``MIN_FLAGGED`` words (a language where it flags fewer is not judged: ru-en, whose MT is
good, gets few flags and most of them are right words): a word to check should more often than
not be wrong. The result goes into the model's ``posteditor.json`` under ``words_to_check``, with
the tables it was chosen from.

Each source language with ``MIN_LANGUAGE`` dev segments or more gets a probe and a bar of its
own (``words_to_check.languages``): the probe fitted on all languages, refitted on that
language's words (``adapt``), kept where it ranks them better out of fold; and the largest bar
whose flags are surely at least ``MIN_SHARE`` changed (``sure_bar``). Post-editors change a
third of ro-en's words and half of ne-en's, but an eighth of ru-en's; one bar for all is held
down by the best MT, so a document whose source language is known (``posteditor.core.languages``)
is checked by its own.

An editor's corrections teach the probe more (``adapt``, which ``finetune`` calls): it is
refitted on the words the editor changed and kept, pulled towards the weights fitted here so a
few corrections move it a little and many move it more, and it gets a bar of its own for that
editor (``sure_bar`` on held-out corrections, else ``matched_bar``).

    .venv/bin/python -m posteditor.learn.doubts [--model models/default] [--dev PATH] [--limit 1000]
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from posteditor.core import paths
from posteditor.core.edits import Doubt, tokenize, words
from posteditor.core.meta import ModelMeta
from posteditor.core.records import Pair, read_pairs

BARS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
MIN_SHARE = 0.6
"""A bar is kept only if at least this share of the words it flags were changed by post-editors."""
MIN_FLAGGED = 20
"""... in each language where it flags at least this many words (fewer say little)."""
FOLDS = 5
"""The probe's precision is measured on each fifth of the dev segments by a probe fitted on the rest."""
REGULARIZATION = 0.05
"""The probe's inverse L2 strength (scikit-learn's ``C``): 0.005-0.2 ranked alike on MLQE-PE dev."""
MIN_LANGUAGE = 200
"""A source language gets a probe and a bar of its own from this many dev segments up."""


def changed_words(mt: str, pe: str) -> set[int]:
    """Indices of the MT tokens (``tokenize``) the post-editor changed: those outside the longest
    matching blocks of MT and post-edit words, case folded."""
    mt_words = [t.strip().lower() for t in tokenize(mt)]
    match = difflib.SequenceMatcher(a=mt_words, b=[w.lower() for w in words(tokenize(pe))], autojunk=False)
    kept = {a + n for a, _, size in match.get_matching_blocks() for n in range(size)}
    return {i for i, w in enumerate(mt_words) if w and i not in kept}


def table(rows: list[Pair], doubts: list[list], bars=BARS) -> dict:
    """For each language (and all), the words and the share changed; then, for each bar, the
    words it flags and the share of them changed."""
    counts = defaultdict(lambda: [0, 0])  # (language, bar or None) -> [words, changed]
    for pair, found in zip(rows, doubts):
        changed = changed_words(pair.mt, pair.pe)
        for lang in (pair.language, "all"):
            for d in found:
                hit = d.index in changed
                for bar in (None, *bars):
                    if bar is None or d.keep < bar:
                        counts[lang, bar][0] += 1
                        counts[lang, bar][1] += hit
    out = {}
    for lang in sorted({lang for lang, _ in counts}):
        n, hit = counts[lang, None]
        out[lang] = {"words": n, "changed": round(hit / n, 3) if n else None,
                     "bars": [{"below": bar, "flagged": counts[lang, bar][0],
                               "changed": round(counts[lang, bar][1] / counts[lang, bar][0], 3) if counts[lang, bar][0] else None}
                              for bar in bars]}
    return out


def choose(tables: list[dict], bars=BARS) -> float | None:
    """The largest bar at least ``MIN_SHARE`` precise in every language of every table where it
    flags ``MIN_FLAGGED`` words or more (and that flags that many in all); None if none is."""
    def good(t: dict, k: int) -> bool:
        if t["all"]["bars"][k]["flagged"] < MIN_FLAGGED:
            return False
        cells = [lang["bars"][k] for name, lang in t.items() if name != "all"]
        return all(c["changed"] >= MIN_SHARE for c in cells if c["flagged"] >= MIN_FLAGGED)

    if not all("all" in t for t in tables):  # no words at all
        return None
    kept = [bar for k, bar in enumerate(bars) if all(good(t, k) for t in tables)]
    return max(kept) if kept else None


def fit(corrector, rows: list[Pair]) -> dict:
    """``words_to_check`` for ``corrector``'s model, measured on the dev ``rows``: the probe
    (``detector``), or none where it ranks changed words no better than the copy probability
    (or cannot be fitted: then neither is ranked), and the bar, chosen on out-of-fold
    probabilities."""
    from posteditor.model.wordqe import SCALARS
    from posteditor.suggest.base import Item

    measured, probes, ranked, own_fits = {}, {}, {}, {}
    changed = [changed_words(r.mt, r.pe) for r in rows]  # (the same post-edits, whether the source is read or not)
    for name, sourced in (("without_source", False), ("with_source", True)):
        read = corrector.word_features([Item(r.mt, r.src if sourced else None) for r in rows])
        found = labelled(read, changed)
        if found is None:
            return {"below": None, "min_share": MIN_SHARE, "segments": len(rows), "ranking": None, "detector": None,
                    "languages": {}, "without_source": {}, "with_source": {}}
        with_words, x, y, groups = found
        segments = [(k, read[k]) for k in with_words]
        copy = np.exp(x[:, 0])  # the least copy probability of the word's pieces
        languages = np.array([rows[k].source_language for k in groups], dtype=object)
        probed, own = out_of_fold(x, y, groups, languages) or (None, {})
        ranked[name] = {"copy": average_precision(y, copy) if probed is not None else None,
                        "probe": average_precision(y, probed) if probed is not None else None}
        measured[name] = (segments, copy, probed)
        if probed is not None:
            probes[name] = _probe(x, y)
            own_fits[name] = language_fits(probes[name], x, y, groups, languages, probed, own)
    use_probe = len(probes) == 2 and all(r["probe"] > r["copy"] for r in ranked.values())
    tables = {}
    for name, (segments, copy, probed) in measured.items():
        keep, found, n = probed if use_probe else copy, [[] for _ in rows], 0
        for k, (indices, _) in segments:
            found[k] = [Doubt(i, float(v)) for i, v in zip(indices, keep[n : n + len(indices)])]
            n += len(indices)
        tables[name] = table(rows, found)
    detector = None
    if use_probe:
        detector = {"layer": corrector.qe_layer, "regularization": REGULARIZATION,
                    "features": [*SCALARS, f"hidden state, layer {corrector.qe_layer}"], **probes}
    languages = {}  # (each language's readings, where both were measured)
    if use_probe:
        for lang in sorted(set(own_fits["without_source"]) & set(own_fits["with_source"])):
            languages[lang] = {name: own_fits[name][lang] for name in ("without_source", "with_source")}
    return {"below": choose(list(tables.values())), "min_share": MIN_SHARE, "segments": len(rows),
            "ranking": {"measure": f"average precision of changed words, {FOLDS}-fold out of fold", **ranked},
            "detector": detector, "languages": languages, **tables}


def labelled(read: list, changed) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray] | None:
    """Of the items ``Corrector.word_features`` read (``read``), the numbers of those with words;
    then all their words' features, whether each is one of its item's ``changed`` words (a set
    for each item), and its item's number. None if no item has words."""
    with_words = [k for k, found in enumerate(read) if found is not None and found[0]]
    if not with_words:
        return None
    x = np.vstack([read[k][1] for k in with_words])
    y = np.array([i in changed[k] for k in with_words for i in read[k][0]], dtype=int)
    return with_words, x, y, np.repeat(with_words, [len(read[k][0]) for k in with_words])


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray,
                languages: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """Each word's probability of being kept, from a probe fitted on the other folds'
    segments; and, for each of ``languages`` (each word's source language) with
    ``MIN_LANGUAGE`` segments or more, its words' probabilities by that probe ``adapt``ed to the
    language's words of the other folds. None if there are too few segments, or no changed or
    no kept words, to fit one."""
    from sklearn.model_selection import GroupKFold

    from posteditor.model.wordqe import record_keeps

    if len(set(groups)) < FOLDS or y.min() == y.max():
        return None
    own_languages = [] if languages is None else [
        lang for lang in sorted(set(languages) - {None}) if len(set(groups[languages == lang])) >= MIN_LANGUAGE]
    keep, own = np.zeros(len(y)), {lang: np.zeros(len(y)) for lang in own_languages}
    for train, test in GroupKFold(FOLDS).split(x, y, groups):
        if y[train].min() == y[train].max():
            return None
        probe = _probe(x[train], y[train])
        keep[test] = record_keeps(probe, x[test])
        for lang in own_languages:
            mine, theirs = train[languages[train] == lang], test[languages[test] == lang]
            adapted = adapt(probe, x[mine], y[mine]) if len(mine) and y[mine].min() < y[mine].max() else probe
            own[lang][theirs] = record_keeps(adapted, x[theirs])
    return keep, {lang: keys[languages == lang] for lang, keys in own.items()}


def language_fits(probe: dict, x: np.ndarray, y: np.ndarray, groups: np.ndarray, languages: np.ndarray,
                  shared: np.ndarray, own: dict[str, np.ndarray]) -> dict[str, dict]:
    """For each language of ``own`` (``out_of_fold``'s), its reading's record: its own probe
    (``probe`` adapted to all its words) where that ranked its words better out of fold than
    the ``shared`` probe did, and the bar ``sure_bar`` chooses on the better one's out-of-fold
    probabilities (None: no bar is sure enough; no words are shown for it), with both rankings
    and the bar's table."""
    out = {}
    for lang, keep in own.items():
        mask = languages == lang
        ranked = {"shared": average_precision(y[mask], shared[mask]), "own": average_precision(y[mask], keep)}
        better = ranked["own"] > ranked["shared"] and 0 < y[mask].sum() < mask.sum()  # (adapt needs both kinds)
        bar, rows = sure_bar(keep if better else shared[mask], y[mask])
        out[lang] = {"segments": len(set(groups[mask])), "words": int(mask.sum()), "changed": round(float(y[mask].mean()), 3),
                     "ranking": ranked, "below": bar, "bars": rows,
                     **(adapt(probe, x[mask], y[mask]) if better else {})}  # (coef and intercept: its own probe)
    return out


def _probe(x: np.ndarray, y: np.ndarray) -> dict:
    """A logistic regression of ``y`` (changed) on the standardised ``x``, as the probe record
    ``wordqe.WordCheck`` reads (standardisation folded in)."""
    from sklearn.linear_model import LogisticRegression

    from posteditor.model.wordqe import probe_record

    mean, scale = x.mean(0), x.std(0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=REGULARIZATION, max_iter=2000).fit((x - mean) / scale, y)
    return probe_record(fitted.coef_[0], float(fitted.intercept_[0]), mean, scale)


def average_precision(y: np.ndarray, keep: np.ndarray) -> float:
    """How well low keep probabilities pick the changed words (1: all of them first)."""
    from sklearn.metrics import average_precision_score

    return round(float(average_precision_score(y, -keep)), 3)


ADAPT_STRENGTH = 1000.0
"""How firmly ``adapt`` holds a probe to the weights it starts from (an L2 pull towards them, on
standardised features, against the log-loss summed over the corrections' words). Chosen on
MLQE-PE dev (``benchmarks/doubt_adaptation.py``): a probe fitted without ro-en or et-en, adapted
on 30 / 100 / 250 / 500 segments of that pair and measured on 500 others, ranks the changed
words as well as before or better (average precision: ro-en 0.393 -> 0.395 / 0.428 / 0.474 /
0.490, et-en 0.436 -> 0.462 / 0.485 / 0.509 / 0.522); a pull of 300 ranks ro-en better from
100 segments on but worse with 30 (0.383), 3,000 ranks both worse from 100 on."""


def adapt(reading: dict, x: np.ndarray, y: np.ndarray, strength: float = ADAPT_STRENGTH) -> dict:
    """The probe ``reading`` ({coef, intercept} on raw features, as ``probe_record`` writes it)
    refitted on the words ``x`` that an editor changed (``y`` 1) or kept, by a logistic
    regression whose weights are pulled towards ``reading``'s with ``strength`` (the
    intercept is free). ``y`` must hold both."""
    from scipy.optimize import minimize
    from scipy.special import expit

    from posteditor.model.wordqe import probe_record

    x, y = x.astype(np.float64), y.astype(np.float64)
    mean, scale = x.mean(0), x.std(0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    coef = np.asarray(reading["coef"], dtype=np.float64)
    start = coef * scale  # the starting probe on the standardised features: it gives the same logits
    start_intercept = float(reading["intercept"]) + float(coef @ mean)

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = p[:-1], p[-1]
        logit = z @ w + b
        changed = expit(logit)
        pull = w - start
        value = float(np.sum(np.logaddexp(0.0, logit) - y * logit) + strength / 2 * pull @ pull)
        return value, np.append(z.T @ (changed - y) + strength * pull, np.sum(changed - y))

    fitted = minimize(loss, np.append(start, start_intercept), jac=True, method="L-BFGS-B", options={"maxiter": 500}).x
    return probe_record(fitted[:-1], float(fitted[-1]), mean, scale)


def sure_bar(keep: np.ndarray, y: np.ndarray, bars=BARS) -> tuple[float | None, list[dict]]:
    """The bar for a probe, from its keep probabilities and the changed labels ``y`` of words it
    was not fitted on (an editor's held-out corrections, a language's out-of-fold dev words):
    the largest of ``bars`` that flags at least ``MIN_FLAGGED`` words, of which at least
    ``MIN_SHARE`` were changed even at the lower end of the share's 90% interval (Wilson's): a
    share that merely reaches it on a few words is not enough. None if no bar does; and each
    bar's flags, share and lower end."""
    from scipy.stats import binomtest

    passed, rows = [], []
    for bar in bars:
        n, hit = int((keep < bar).sum()), int(y[keep < bar].sum())
        low = binomtest(hit, n).proportion_ci(0.9, "wilson").low if n else 0.0
        if n >= MIN_FLAGGED and low >= MIN_SHARE:
            passed.append(bar)
        rows.append({"below": bar, "flagged": n, "changed": round(hit / n, 3) if n else None, "lower": round(low, 3)})
    return (max(passed) if passed else None), rows


MIN_MATCHED = 5
"""``matched_bar`` matches a count of flags only from this many up (fewer say nothing)."""


def matched_bar(before: np.ndarray, after: np.ndarray, bar: float) -> float | None:
    """The bar at which the keep probabilities ``after`` flag as many words as ``before`` do
    below ``bar`` (midway between the last word it flags and the next); None where ``before``
    flags fewer than ``MIN_MATCHED`` (too few to match) or every word."""
    count = int((before < bar).sum())
    if count < MIN_MATCHED or count >= len(after):
        return None
    ordered = np.sort(after)
    return float(ordered[count - 1] + ordered[count]) / 2


def editor_choice(heldout_keep: np.ndarray, heldout_y: np.ndarray, before: np.ndarray, after: np.ndarray,
                  bar: float | None) -> tuple[float | None, str, list[dict]]:
    """A refitted probe's bar for its editor: ``sure_bar`` on the held-out words (their keep
    probabilities by the refit, and whether each was changed), else ``matched_bar`` over the
    corrections' words (keep probabilities ``before`` and ``after`` the refit) against the
    inherited ``bar``, else that bar; with how it was chosen ("editor", "matched" or "base")
    and the held-out table."""
    own, table = sure_bar(heldout_keep, heldout_y)
    if own is not None:
        return own, "editor", table
    matched = matched_bar(before, after, bar) if bar is not None else None
    return (matched, "matched", table) if matched is not None else (bar, "base", table)


def bar_figure(bar: float | None) -> str:
    """A bar for people: three digits, or "none"."""
    return "none" if bar is None else f"{bar:.3g}"


def dev_rows(dev: str | Path, limit: int | None) -> list[Pair]:
    """The first ``limit`` dev pairs of each language (all of them without a limit)."""
    taken: dict[str, int] = defaultdict(int)
    out = []
    for pair in read_pairs(dev):
        lang = pair.language
        if limit is None or taken[lang] < limit:
            taken[lang] += 1
            out.append(pair)
    return out


def summary(fitted: dict) -> str:
    """What was chosen, and how precise it is, as lines for people."""
    below = fitted["below"]
    lines = [f"words to check: below {below}" if below is not None else
             f"words to check: no bar flags words at least {MIN_SHARE} changed in every language; none will be shown"]
    if ranking := fitted.get("ranking"):
        lines.append(f"  {'by the probe' if fitted.get('detector') else 'by the copy probability'}; {ranking['measure']}: "
                     + "; ".join(f"{name.replace('_', ' ')}: probe {_figure(r['probe'])}, copy probability {_figure(r['copy'])}"
                                 for name, r in ranking.items() if name != "measure"))
    for name in ("without_source", "with_source"):
        for lang, t in fitted[name].items():
            cells = "  ".join(f"<{b['below']}: {b['flagged']} {b['changed'] if b['changed'] is not None else '-'}"
                              for b in t["bars"])
            lines.append(f"  {name.replace('_', ' ')}, {lang}: {t['words']} words, {t['changed']} changed;  {cells}")
    for lang, readings in (fitted.get("languages") or {}).items():
        lines.append(f"  source language {lang}: " + "; ".join(
            f"{name.replace('_', ' ')}, {'its own probe' if 'coef' in r else 'the shared probe'} (AP {r['ranking']['own']} "
            f"against {r['ranking']['shared']}), below {bar_figure(r['below'])}: "
            + next((f"{b['flagged']} flagged, {b['changed']} changed" for b in r["bars"] if b["below"] == r["below"]), "none shown")
            for name, r in readings.items()))
    return "\n".join(lines)


def _figure(value) -> str:
    return "-" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(paths.default_model()))
    parser.add_argument("--dev", default="corpora/build/default/dev.jsonl")
    parser.add_argument("--limit", type=int, default=1000, help="dev segments per language (MLQE-PE dev has 1,000)")
    args = parser.parse_args(argv)
    from posteditor.core.textio import InputError
    from posteditor.model.corrector import Corrector

    started = time.perf_counter()
    try:
        try:
            rows = dev_rows(args.dev, args.limit)
        except (ValueError, KeyError, TypeError) as exc:  # (UnicodeDecodeError is a ValueError)
            raise InputError(f"{args.dev}: not a JSON-lines file of mt, pe and origin ({type(exc).__name__}: {exc})") from None
        if not rows:
            raise InputError(f"{args.dev}: no dev pairs to fit on")
        fitted = fit(Corrector(args.model, rescore=False), rows)
        ModelMeta.load(args.model).updated(words_to_check=fitted | {"dev": paths.in_project(args.dev)}).write(args.model)
    except (InputError, OSError) as exc:
        print(f"posteditor: {exc}", file=sys.stderr)
        return 2
    print(summary(fitted))
    print(f"{len(rows)} dev segments, {time.perf_counter() - started:.0f} s; written to {Path(args.model) / 'posteditor.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
