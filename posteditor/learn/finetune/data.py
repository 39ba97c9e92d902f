"""Which corrections a fine-tune learns from, which it is judged on, and what it replays.

Phases 1 and 2 of ``posteditor.learn.finetune.run`` (see there): collecting (MT, final) pairs from the
corrections logs and parallel files, holding some out by a hash of the MT (so a pair keeps
its side as the log grows) and halving those, and sampling the base model's own corpus for
replay and MLQE-PE dev for the base dev set.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import random
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from posteditor.core import paths
from posteditor.core.corrections import read
from posteditor.core.languages import identify
from posteditor.core.records import Pair, correction_origin, read_pairs
from posteditor.core.textio import InputError, read_text

MLQE_PAIRS = ("et-en", "ne-en", "ro-en", "ru-en", "si-en")


# --- 1. collect ------------------------------------------------------------------------


def collect(logs: Sequence[Path], mt: str | None = None, pe: str | None = None, src: str | None = None,
            language: str | None = None) -> tuple[list[Pair], dict]:
    """Training pairs (MT, final text, source, and the source language where known: the
    record's, for parallel files ``language`` or else their sources' as identified) from
    corrections logs and parallel files. The
    latest record of an MT wins (across logs, by the time it was logged); one that teaches
    nothing (a segment changed back to its MT and saved again) takes back what the same segment
    of the same document taught before. ``stats["taken_back"]`` names (``scorer.segment_key``)
    the MTs something was taught for and nothing is now, so a refit can forget them too."""
    from posteditor.suggest.scorer import segment_key

    stats = {"records": 0, "corrupt": 0, "fixes": 0, "leave_alone": 0, "no_information": 0, "parallel": 0}
    # For each (MT, source), what each segment that has it taught last, in the order taught.
    taught: dict[tuple[str, str | None], dict[tuple, Pair]] = {}
    ever: set[tuple[str, str | None]] = set()  # what something was taught for, at some time
    logged = []
    for log in logs:
        records, corrupt = read(log)
        stats["records"] += len(records)
        stats["corrupt"] += corrupt
        logged.append([(r.time, r, (r.document, r.segment) if r.document else (str(log), n)) for n, r in enumerate(records)])
    # Each log keeps the order it was written in; several are interleaved by the time of each
    # record (UTC, to the second, as ``Correction`` writes it; a tie goes to the log named first).
    for _, r, where in heapq.merge(*logged, key=lambda entry: entry[0]):
        key = (r.mt, r.source)
        by_segment = taught.setdefault(key, {})
        by_segment.pop(where, None)
        if not r.mt.strip() or not r.final.strip() or not r.teaches():
            stats["no_information"] += 1  # and what this segment taught before is taken back
            continue
        by_segment[where] = Pair(r.mt, r.final, r.source, correction_origin(r.language))
        ever.add(key)
    pairs = {key: list(by_segment.values())[-1] for key, by_segment in taught.items() if by_segment}
    if mt or pe:
        if not (mt and pe):
            raise InputError("--mt and --pe go together: the MT and its post-edit, line by line")
        files = [read_text(f).text.splitlines() for f in (mt, pe)]
        sources = read_text(src).text.splitlines() if src else [None] * len(files[0])
        if not len(files[0]) == len(files[1]) == len(sources):
            raise InputError(f"{mt}, {pe}{', ' + src if src else ''}: different numbers of lines")
        origin = correction_origin(language or identify(sources))
        for m, p, s in zip(files[0], files[1], sources):
            if m.strip() and p.strip():
                pairs[(m, s)] = Pair(m, p, s, origin)
                stats["parallel"] += 1
    rows = list(pairs.values())
    stats["taken_back"] = sorted(segment_key(*key) for key in ever - set(pairs))
    stats["fixes"] = sum(r.mt != r.pe for r in rows)
    stats["leave_alone"] = len(rows) - stats["fixes"]
    return rows, stats


def _hash(row: Pair, salt: str = "") -> float:
    digest = hashlib.sha1(f"{salt}{row.mt}\t{row.src or ''}".encode()).hexdigest()
    return int(digest[:12], 16) / 16**12


def _by_hash(rows: list[Pair], fraction: float, least: int, salt: str = "") -> tuple[list[Pair], list[Pair]]:
    """(rest, chosen): rows whose hash falls under ``fraction``, at least ``least`` each side.
    By hash, not position, so a row keeps its side as the log grows."""
    ranked = sorted(rows, key=lambda r: _hash(r, salt))
    n = sum(_hash(r, salt) < fraction for r in ranked)
    n = min(max(n, least), len(rows) - least)
    return ranked[n:], ranked[:n]


def split_heldout(rows: list[Pair], fraction: float) -> tuple[list[Pair], list[Pair]]:
    """(train, held out): a row is held out when its hash falls under ``fraction``."""
    if len(rows) < 2:
        raise InputError(f"fine-tuning needs at least 2 corrections (one is held out to judge it); found {len(rows)}")
    return _by_hash(rows, fraction, 1)


def split_calibration(heldout: list[Pair]) -> tuple[list[Pair], list[Pair]]:
    """(calibration, gate): the held-out rows halved by a second hash, so the gate never scores
    the data that chose the new model's threshold. Under 4 rows a half would be one segment:
    all go to the gate, and the new model keeps its base model's threshold."""
    if len(heldout) < 4:
        return [], sorted(heldout, key=_hash)
    gate_half, calibration = _by_hash(heldout, 0.5, 2, salt="calibration\t")
    return calibration, gate_half


# --- 2. replay and dev data ------------------------------------------------------------


def _resolve(path: str) -> Path:
    """A path from a model's posteditor.json: relative ones are the project's (where training
    records them) unless they exist from the current folder."""
    p = Path(path)
    if p.is_absolute():
        return p
    return p if p.exists() else paths.PROJECT_ROOT / p


def base_corpus(base_meta: dict) -> Path | None:
    """The folder of the corpus the base model was trained on, from its training config."""
    corpus = ((base_meta.get("training") or {}).get("config") or {}).get("corpus")
    return _resolve(str(corpus)) if corpus else None


def build_base_corpus(base_meta: dict, corpus: Path | None, log) -> None:
    """Build the base model's corpus from the recipe it names when the folder is missing.

    Built corpora are never committed, so on a fresh clone the shipped model's corpus is not
    there to replay; its recipe and the shared data are. A failed build only means
    fine-tuning without replay, which the caller reports.
    """
    recipe = (base_meta.get("training") or {}).get("recipe")
    if corpus is None or (corpus / "train.jsonl").is_file() or not recipe:
        return
    recipe_path, data = _resolve(str(recipe)), paths.data_root()
    if not recipe_path.is_file() or not data.is_dir():
        return
    from posteditor.learn.corpus.recipe import build_corpus

    log(f"building the base model's corpus {corpus} from {recipe} (once), to replay it")
    try:
        build_corpus(recipe_path, data, corpus)
    except Exception as exc:  # noqa: BLE001 - a missing tool or odd data: fine-tune without replay
        log(f"note: could not build {corpus} ({exc})")


def replay_sample(corpus: Path | None, n: int, seed: int) -> list[Pair]:
    """``n`` pairs drawn uniformly from ``corpus/train.jsonl`` in one pass (reservoir), each
    as a correction of unknown language is (no origin, no context)."""
    if corpus is None or not (corpus / "train.jsonl").is_file() or n <= 0:
        return []
    rng, kept = random.Random(seed), []
    with open(corpus / "train.jsonl", encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            if len(kept) < n:
                kept.append(line)
            elif (j := rng.randrange(k + 1)) < n:
                kept[j] = line
    rows = []
    for line in kept:
        try:
            row = json.loads(line)
            rows.append(Pair(row["mt"], row["pe"], row.get("src"), hint=row.get("hint")))
        except (ValueError, KeyError, TypeError):
            continue
    return rows


def with_hints(rows: list[Pair], langs: Sequence[str]) -> list[Pair]:
    """``rows`` for a model that learnt to read Apertium's translation of sources in ``langs``
    (``ModelMeta.hints``): each correction with a source gets the translation the model reads
    at run time (``wordcheck.hints``), so it learns from what it will see. Rows that have one
    (replayed from its corpus) keep it; without Apertium's chains they stay as they are."""
    from posteditor.suggest import wordcheck

    todo = [i for i, r in enumerate(rows) if r.src and r.hint is None]
    chains = wordcheck.hint_chains(langs) if todo else {}
    if not chains:
        return rows
    out = list(rows)
    for i, hint in zip(todo, wordcheck.hints([rows[i].src for i in todo], chains)):
        if hint:
            out[i] = replace(rows[i], hint=hint)
    return out


def corpus_dev(base_meta: dict, log) -> Path | None:
    """The dev split of the corpus the model was trained on (built from its recipe when
    missing), or None when its ``posteditor.json`` names no corpus."""
    corpus = base_corpus(base_meta)
    build_base_corpus(base_meta, corpus, log)
    return corpus / "dev.jsonl" if corpus else None


def dev_sample(size: int, exclude: set[str], corpus: Path | None) -> tuple[list[Pair], str]:
    """The base dev set: a fixed sample of MLQE-PE dev, else the corpus ``dev.jsonl``, each
    pair as a correction of unknown language is (no origin, no context)."""
    langs = [p for p in MLQE_PAIRS if (paths.data_root() / "mlqe-pe" / p / "dev.mt").is_file()]
    rows: list[Pair] = []
    if langs and size > 0:
        from posteditor.learn.corpus.mlqe import mlqe_pairs  # detokenized, as the model reads text

        each = math.ceil(size / len(langs))
        for lang in langs:
            found = [Pair(p.mt, p.pe, p.src) for p in mlqe_pairs(paths.data_root(), "dev", [lang])]
            rows += sorted((r for r in found if r.mt not in exclude), key=_hash)[:each]
        return rows[:size], f"MLQE-PE dev, {min(size, len(rows))} segments of {', '.join(langs)}"
    if corpus is not None and (corpus / "dev.jsonl").is_file() and size > 0:
        found = [Pair(p.mt, p.pe, p.src) for p in read_pairs(corpus / "dev.jsonl") if p.mt not in exclude]
        return sorted(found, key=_hash)[:size], f"{corpus / 'dev.jsonl'}, {min(size, len(found))} segments"
    return [], "none found"
