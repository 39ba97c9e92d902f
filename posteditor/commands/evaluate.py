"""``posteditor evaluate``: score the corrector against post-edits, with a threshold sweep.

Scores (``core.metrics``) of the MT and of the corrected MT, the edit precision, and the sweep
that ``choose_threshold`` (``learn.threshold``) makes over confidence thresholds.
"""

from __future__ import annotations

import json

from posteditor.commands.console import progress_bar
from posteditor.core.metrics import prepare, report
from posteditor.core.textio import InputError, read_text
from posteditor.learn.threshold import choose_threshold
from posteditor.pipeline import load_suggester
from posteditor.suggest.base import fits
from posteditor.suggest import combine


def _read_lines(path: str, tokenized: str, limit: int | None) -> list[str]:
    lines = read_text(path).text.splitlines()
    return prepare(lines[:limit] if limit else lines, tokenized)


def _format(result: dict, table: list[dict], chosen: float) -> str:
    rows = [f"segments: {result['segments']} ({result['changed_segments']} changed; "
            f"min confidence {result['min_confidence']:.2f})",
            f"{'':6}{'MT':>9}{'corrected':>11}{'delta':>9}"]
    for key, name in (("ter", "TER"), ("chrf", "chrF"), ("bleu", "BLEU")):
        rows.append(f"{name:6}{result['mt'][key]:9.2f}{result['corrected'][key]:11.2f}{result['delta'][key]:+9.2f}")
    e = result["edits"]
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    rows.append(f"edits: {e['applied']} applied ({e['proposed']} proposed); precision {fmt(e['precision'])}, "
                f"recall {fmt(e['recall'])} ({e['word_edits_matched']} of {e['reference']} post-editor edits matched)")
    if e["retranslated"]:
        rows.append(f"  of which {e['retranslated']} segments retranslated from the source, {e['retranslated_closer']} "
                    f"closer to the post-edit; {e['word_edits']} word edits, {e['word_edits_matched']} matched")
    if result.get("too_long"):
        rows.append(f"too long for the model: {result['too_long']} segments, left unchanged")
    rows.append(f"threshold sweep (best {chosen:.2f}; thresholds applying the same edits shown once):")
    rows.append(f"{'threshold':>13}{'dTER':>8}{'precision':>11}{'recall':>8}{'applied':>9}")
    for k, r in enumerate(table):
        if k + 1 < len(table) and table[k + 1]["applied"] == r["applied"] and r["threshold"] != chosen:
            continue  # the next threshold applies the same edits; show the higher one
        rows.append(f"{r['threshold']:13.2f}{r['delta_ter']:+8.2f}{fmt(r['precision']):>11}"
                    f"{fmt(r['recall']):>8}{r['applied']:>9}")
    return "\n".join(rows)


def main(args) -> int:
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit {args.limit}: give a positive number of segments")
    mts = _read_lines(args.mt, args.tokenized, args.limit)
    refs = _read_lines(args.ref, args.tokenized, args.limit)
    if len(mts) != len(refs):
        raise InputError(f"{args.mt} has {len(mts)} lines but {args.ref} has {len(refs)}; they must align")
    sources = _read_lines(args.source, args.tokenized, args.limit) if args.source else None
    if sources is not None and len(sources) != len(mts):
        raise InputError(f"{args.source} has {len(sources)} lines but {args.mt} has {len(mts)}; they must align")
    suggester = load_suggester(args.model, use_memory=False)  # the model and its checks, not the user's memory
    threshold = combine.threshold_of(suggester) if args.min_confidence is None else args.min_confidence
    bar = progress_bar(len(mts), "evaluating")
    if bar:
        task = bar.add_task("evaluate", total=len(mts))
        with bar:
            proposed = combine.suggest_all(suggester, mts, sources, lambda n: bar.advance(task, n))
    else:
        proposed = combine.suggest_all(suggester, mts, sources)
    result = report(mts, refs, proposed, threshold)
    result["too_long"] = sum(1 for mt in mts if mt.strip() and not fits(suggester, mt))
    chosen, table = choose_threshold(mts, refs, sources, proposed)
    result["sweep"] = {"best": chosen, "table": table}
    print(json.dumps(result, indent=2) if args.json else _format(result, table, chosen))
    return 0

