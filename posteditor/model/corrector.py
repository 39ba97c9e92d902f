"""The correction model: SmolLM2 with posteditor's LoRA adapter, proposing edits with confidences.

A model folder holds the adapter (``adapter_config.json``, ``adapter_model.safetensors``, a
few MB) and ``posteditor.json`` (input limit, threshold chosen on dev, edit scorer, training
record); the base weights come from ``posteditor.model.lm``. Nothing here trains.

Decoding exploits copying (``posteditor.model.decode``): the MT is the first guess, verified
in one pass, and decoding departs from it only where the model does.

Greedy decoding hides the model's doubt: a model that gives the MT word 0.55 and "shares"
0.40 copies. So where the model doubts an MT token, its best alternatives are put in that
place and the rest decoded the same way; each gives a candidate correction whose edits carry
the alternative's probability. The edit scorer (``posteditor.suggest.scorer``) turns these numbers,
with the edit's shape, into the probability that a post-editor would make the edit.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from posteditor.model import lm, wordqe
from posteditor.model.decode import Decoded, Job, greedy_copy, greedy_copy_many
from posteditor.model.merged import load_merged
from posteditor.core import paths
from posteditor.model.siblings import SIBLINGS, load_siblings, sibling_candidates
from posteditor.core.meta import META_FILE, READINGS, MetaError, ModelMeta
from posteditor.core.edits import (Doubt, Edit, apply_edits, best_non_overlapping, char_span, extract_edits,
                                   join_moves, respace, tokenize)
from posteditor.suggest.scorer import EditScorer
from posteditor.suggest import wordcheck
from posteditor.suggest.base import UNSCORED_CAP, Item, Suggester, capped
from posteditor.core.textio import InputError


MAX_WRITTEN = 6
"""An alternative's decoding gives up after writing this many tokens of its own (beyond the
alternative): by then it is rewriting the segment, not fixing a word."""


REMEMBERED = 4096
"""``doubts`` answers from the verify passes of the last this many segments ``suggest`` read."""


class ModelError(InputError):
    """The model folder is missing or broken; reported as one line."""


class Corrector(Suggester):
    """A loaded model that proposes edits for MT segments (a ``Suggester``).

    ``rescore=False`` keeps the model's own confidences (calibration fits the scorer on them).
    """

    def __init__(self, model_dir: str | Path, threads: int | None = None, batch_size: int = 8, rescore: bool = True,
                 check_below: float | None = None):
        self.dir = Path(model_dir)
        if not paths.is_model(self.dir):
            raise ModelError(f"{self.dir}: not a posteditor model (adapter_config.json and adapter_model.safetensors expected)")
        meta_path = self.dir / META_FILE
        try:
            raw = ModelMeta.load(self.dir)
        except MetaError as exc:
            raise ModelError(str(exc)) from None
        self.meta = self.info = raw  # the record, and its typed fields (threshold, input limit)
        if threads or os.environ.get("OMP_NUM_THREADS", "").split(",")[0].isdigit():
            torch.set_num_threads(threads or int(os.environ["OMP_NUM_THREADS"].split(",")[0]))
        dtype = lm.inference_dtype()  # bf16 where the CPU computes it natively; probabilities stay fp32
        self.scorer, self.rescore = None, rescore
        if rescore and raw.get("edit_scorer"):
            try:
                self.scorer = EditScorer(raw["edit_scorer"], self.piece_count)  # (the tokenizer is loaded below)
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelError(f"{meta_path}: unusable edit_scorer ({exc})") from None
        # Dictionary siblings are candidates for a judge: the edit scorer, or calibration that
        # fits one. Without one they are noise (MLQE-PE ro-en dev: 2 of 329 right; the Idlib
        # sample: 25 of its 30 proposals, none right), so the model's own proposals stand alone.
        # The base LM's judgement of each candidate is evidence for the same judge, and costs a
        # forward pass over every candidate: without one it is not measured either.
        self.judged = self.scorer is not None or not rescore
        self.ceiling = UNSCORED_CAP if rescore and self.scorer is None else 1.0
        self.siblings = load_siblings(self.dir / SIBLINGS) if self.judged else {}
        if self.judged:  # the judge reads the base LM too: the adapter stays switchable (peft)
            self.peft, self.tok = load_adapted(self.dir, dtype)
            self.model = self.peft.base_model.model  # the Llama with the adapter in its layers
        else:  # the same model, faster: the adapter merged into the weights (cached on disk)
            self.peft = None
            self.model, self.tok = load_merged(self.dir, load_adapted, dtype)
        if self.peft is not None:  # peft keeps the adapter's own weights in fp32 whatever the base's
            self.peft.to(dtype)
        self.eos = self.tok.eos_token_id
        self.batch_size = batch_size
        # The rule-based translations the model was trained to read beside the source, from
        # the chains this machine has (without them it reads the source alone, as it also learnt).
        self.hint_chains = wordcheck.hint_chains(raw.hints) if raw.use_source else {}
        self.word_check, self.qe_layer, usable = self._word_check(raw)
        # Words to check: below the bar of their reading and language (``ModelMeta.reading_bar``), or the user's.
        self.check_below = check_below
        self.flags_words = usable and any(self._bar(sourced, language) is not None
                                          for sourced in (False, True) for language in (None, *raw.languages))
        self._kept: dict[Item, list[Doubt]] = {}  # each segment's word doubts, from suggest's verify pass

    def _word_check(self, raw: ModelMeta) -> tuple[wordqe.WordCheck | None, int, bool]:
        """The fitted probe of words to check (None: the least copy probability stands for it),
        the layer whose states it reads, and whether it is usable: one that does not fit this
        model (a hand-edited record) shows no words, as its bar is on the probe's scale."""
        layers = self.model.config.num_hidden_layers
        fitted = raw.get("words_to_check")
        detector = fitted.get("detector") if isinstance(fitted, dict) else None
        default = min(wordqe.LAYER, layers)
        if detector is None:
            return None, default, True
        # Each language's own probe; else the dev fit its bar was chosen with, not an editor's refit of it.
        prior = detector.get("prior") if isinstance(detector.get("prior"), dict) else {}
        own = {(lang, sourced): mine if "coef" in mine else prior.get(READINGS[sourced])
               for lang in raw.languages for sourced in (False, True) if (mine := raw.language_reading(lang, sourced))}
        own = {key: weights for key, weights in own.items() if weights is not None}
        try:
            check = wordqe.WordCheck(detector, own)
            if not (0 < check.layer <= layers and check.width == len(wordqe.SCALARS) + self.model.config.hidden_size
                    and list(detector.get("features", []))[: len(wordqe.SCALARS)] == list(wordqe.SCALARS)):
                raise ValueError("it reads other features than this model gives")
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            print(f"posteditor: {self.dir / META_FILE}: words_to_check.detector is unusable ({exc}); no words to check",
                  file=sys.stderr)
            return None, default, False
        for (lang, sourced), why in check.unusable.items():
            print(f"posteditor: {self.dir / META_FILE}: words_to_check.languages.{lang}'s probe "
                  f"{'with' if sourced else 'without'} source is unusable ({why}); its words are checked as any "
                  "other language's", file=sys.stderr)
        return check, check.layer, True

    def reach(self, sourced: bool) -> float:
        """Without sources (or Apertium's translations, for a scorer fitted on edits made with
        them) the edit scorer judges nothing: the edits stay below UNSCORED_CAP."""
        sourced = sourced and self.info.use_source
        if self.scorer is None or self.scorer.judges_made_with(sourced, sourced and bool(self.hint_chains)):
            return self.ceiling
        return UNSCORED_CAP

    def piece_count(self, word: str) -> int:
        """How many tokenizer pieces ``word`` takes (the edit scorer's measure of rarity)."""
        return len(self.tok.encode(" " + word, add_special_tokens=False))

    def fits(self, text: str) -> bool:
        """Whether the segment (with room for its correction) fits the model's input."""
        prompt, draft = lm.encode_pair(self.tok, text, None, None, None, self.info.max_tokens)
        return len(prompt) + 2 * len(draft) + 8 <= self.info.max_tokens

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        """Edits for each item, each with its confidence."""
        results: list[list[Edit]] = [[] for _ in items]
        todo = [i for i, it in enumerate(items) if it.text.strip() and self.fits(it.text)]
        todo.sort(key=lambda i: len(items[i].text))  # similar lengths together: little padding
        # One Apertium run, over the sources retranslation and the word check translate too
        # (every item with text), so the run is shared through retranslate.translate's memory.
        texted = [i for i, it in enumerate(items) if it.text.strip()]
        hints = dict(zip(texted, self.hints([items[i].source for i in texted])))
        for k in range(0, len(todo), self.batch_size):
            chunk = todo[k : k + self.batch_size]
            for i, edits in zip(chunk, self._suggest_batch([items[i] for i in chunk], [hints[i] for i in chunk])):
                results[i] = edits
        return results

    def doubts(self, items: Sequence[Item]) -> list[list[Doubt]]:
        """The words to check in each item: those kept with less probability than the bar of its reading and language."""
        found = self.word_doubts(items) if self.flags_words else [[] for _ in items]
        bars = [self._bar(self._sourced(it), it.language) or 0.0 for it in items]  # (each item's reading, once)
        return [[d for d in doubts if d.keep < bar] for bar, doubts in zip(bars, found)]

    def _bar(self, sourced: bool, language: str | None) -> float | None:
        if self.word_check is not None and (language, sourced) in self.word_check.unusable:
            language = None  # (its bar went with its probe)
        return self.check_below if self.check_below is not None else self.info.reading_bar(sourced, language)

    def _sourced(self, item: Item, prompt: list[int] | None = None) -> bool:  # (whether its prompt keeps its source)
        return bool(item.source and item.source.strip() and self.info.use_source) and lm.reads_source(self.tok, prompt or self._encode(item)[0])

    def word_doubts(self, items: Sequence[Item]) -> list[list[Doubt]]:
        """Every word of each item (punctuation aside) with its probability of being kept: the
        fitted probe's (``wordqe``), or else the least sure of the word's tokens. Both read the
        verify pass, the one ``suggest`` made on the item or, for one it did not read, one made
        now. Items too long for the model have none."""
        found = {it: self._kept[it] for it in items if it in self._kept}  # (not evicted by what this call adds)
        todo = [i for i, it in enumerate(items) if it not in found]
        for i, prompt, draft, p_copy, clue in self._verified(items, todo, self.word_check is not None):
            found[items[i]] = self._keep(items[i], prompt, draft, p_copy, clue)
        return [list(found.get(it, ())) for it in items]

    def word_features(self, items: Sequence[Item]) -> list[tuple[list[int], np.ndarray] | None]:
        """What the probe of words to check reads in each item (``wordqe.features``), for
        fitting it; None for items too long for the model or empty."""
        out: list = [None] * len(items)
        for i, _, draft, _, clue in self._verified(items, range(len(items)), True):
            out[i] = wordqe.features(tokenize(items[i].text), lm.word_starts(self.tok, items[i].text, draft), clue)
        return out

    def _verified(self, items: Sequence[Item], indices: Sequence[int], clues: bool):
        """(index, prompt, draft, copy probabilities, clues or None) for each of ``indices`` whose
        item has text that fits the model, batch by batch."""
        todo = [i for i in indices if items[i].text.strip() and self.fits(items[i].text)]
        hints = self.hints([items[i].source for i in todo])
        for k in range(0, len(todo), self.batch_size):
            chunk = todo[k : k + self.batch_size]
            encoded = [self._encode(items[i], hint) for i, hint in zip(chunk, hints[k : k + self.batch_size])]
            verified = self._verify(encoded, clues)
            for i, (prompt, draft), p_copy, clue in zip(chunk, encoded, verified[0], verified[4]):
                yield i, prompt, draft, p_copy, clue

    def _keep(self, item: Item, prompt: list[int], draft: list[int], p_copy: list[float], clue: wordqe.Clues | None,
              starts: list[int] | None = None) -> list[Doubt]:
        """The item's word doubts (``word_doubts``), remembered (the oldest forgotten beyond ``REMEMBERED``)."""
        starts = starts or lm.word_starts(self.tok, item.text, draft)
        tokens = tokenize(item.text)
        if self.word_check is None:
            spans = wordqe.word_spans(starts, len(tokens))
            doubts = [Doubt(k, round(min(p_copy[spans[k][0] : spans[k][1]]), 4)) for k in wordqe.word_indices(tokens)]
        else:
            indices, x = wordqe.features(tokens, starts, clue)
            kept = self.word_check.keep(x, self._sourced(item, prompt), item.language) if indices else []
            doubts = [Doubt(k, round(float(p), 4)) for k, p in zip(indices, kept)]
        self._kept.pop(item, None)
        self._kept[item] = doubts
        while len(self._kept) > REMEMBERED:
            del self._kept[next(iter(self._kept))]
        return doubts

    def correct(self, text: str, source: str | None = None) -> str:
        """The model's greedy correction of one segment (as plain ``generate`` gives it)."""
        item = Item(text, source)
        prompt, draft = self._encode(item, self.hints([source])[0])
        decoded = greedy_copy(self.model, prompt, draft, self.eos, len(draft) * 2 + 8)
        return self.tok.decode(decoded.ids).strip()

    def _encode(self, item: Item, hint: str | None = None) -> tuple[list[int], list[int]]:
        source = item.source if self.info.use_source else None
        return lm.encode_pair(self.tok, item.text, None, source, None, self.info.max_tokens, hint)

    def hints(self, sources: Sequence[str | None]) -> list[str | None]:
        """Apertium's English translation of each source, for a model that reads one beside the
        source, and its edit scorer (None where it does not, or Apertium fails: the model then
        reads the source alone)."""
        return wordcheck.hints(sources, self.hint_chains)

    def _suggest_batch(self, items: Sequence[Item], hints: Sequence[str | None]) -> list[list[Edit]]:
        encoded = [self._encode(it, hint) for it, hint in zip(items, hints)]
        copy_probs, alternatives, rows, cache, found_clues = self._verify(encoded, self.word_check is not None)
        jobs: list[Job] = []  # each row's decodings: greedy's own departure, then the alternatives
        for row, ((prompt, draft), p_copy, alts) in enumerate(zip(encoded, copy_probs, alternatives)):
            max_new = len(draft) * 2 + 8
            if any(a[0][0] != d for a, d in zip(alts, draft)):  # greedy departs from the MT
                first = next(j for j, (a, d) in enumerate(zip(alts, draft)) if a[0][0] != d)
                jobs.append(Job(prompt, draft, draft[:first], p_copy[:first], max_new, len(draft) // 2 + 4,
                                row, len(prompt) + first - 1))
            doubted = sorted((j for j in range(len(draft)) if p_copy[j] < self.info.doubt), key=lambda j: p_copy[j])
            tries = [(j, token, prob) for j in doubted for token, prob in alts[j]  # (an end of text is no word)
                     if token not in (draft[j], self.eos) and prob >= self.info.min_alternative]
            for j, token, prob in tries[: self.info.max_alternatives]:
                jobs.append(Job(prompt, draft, draft[:j] + [token], p_copy[:j] + [prob], max_new, MAX_WRITTEN,
                                row, len(prompt) + j))
        results = greedy_copy_many(self.model, jobs, cache, self.eos)
        per_item = []
        for row, (item, (prompt, draft), p_copy) in enumerate(zip(items, encoded, copy_probs)):
            decoded = [d for job, d in zip(jobs, results) if job.row == row]
            starts = lm.word_starts(self.tok, item.text, draft)
            self._keep(item, prompt, draft, p_copy, found_clues[row], starts)
            # (edit, 1.0 for a dictionary sibling else 0.0) for every candidate
            found = [(e, 0.0) for d in decoded if d is not None for e in self._edits(item, d)]
            found += [(e, 1.0) for e in self._sibling_candidates(item, starts, p_copy, rows[row])]
            per_item.append((item, starts, p_copy, found, hints[row]))
        # Each edit alone, judged by the base LM: how much more probable per token the segment becomes.
        if self.judged:
            gains = self._base_gains([(it.text, [apply_edits(it.text, [e]) for e, _ in found])
                                      for it, _, _, found, _ in per_item])
        else:
            gains = [[0.0] * len(found) for _, _, _, found, _ in per_item]
        out = []
        for (item, starts, p_copy, found, hint), segment_gains in zip(per_item, gains):
            tokens = tokenize(item.text)
            edits = []
            for (e, sibling), gain in zip(found, segment_gains):
                first = starts[min(e.start, len(starts) - 1)]
                evidence = (p_copy[first], max(-5.0, min(5.0, gain)), sibling)
                edits.append(replace(e, evidence=tuple(round(v, 4) for v in evidence)))
            source = item.source if self.info.use_source else None
            if self.scorer is not None and self.scorer.judges(source, hint):
                edits = self.scorer.rescore(tokens, edits, source, hint)
            elif self.rescore:  # uncalibrated (or unlike the edits the scorer was fitted on): never applied
                edits = capped(edits)
            out.append(best_non_overlapping(edits))
        return out

    def _sibling_candidates(self, item: Item, starts: list[int], p_copy: list[float],
                            probs: torch.Tensor | None) -> list[Edit]:
        """Dictionary siblings of the item's least sure words, as candidate edits (``sibling_candidates``)."""
        return sibling_candidates(self.tok, self.siblings, item.text, starts, p_copy, probs)

    def _base_gains(self, segments: list[tuple[str, list[str]]]) -> list[list[float]]:
        """For each segment's candidate texts, how much more probable each is than the MT
        under the base LM, per token (mean log-probability difference in nats): fluency, with
        no copying."""
        texts = [t for mt, cands in segments if cands for t in [mt, *cands]]
        if not texts:
            return [[] for _ in segments]
        scores = self._log_probs(texts)
        out, k = [], 0
        for mt, cands in segments:
            if not cands:
                out.append([])
                continue
            base = scores[k]
            out.append([scores[k + 1 + i] - base for i in range(len(cands))])
            k += 1 + len(cands)
        return out

    def _log_probs(self, texts: list[str]) -> list[float]:
        """Mean log-probability per token of each text under the base LM (the adapter off)."""
        return [float(lp.mean()) for lp in self._plain_log_probs(texts)]

    def sentence_log_probs(self, texts: Sequence[str]) -> list[float]:
        """Each text's log-probability as plain English (no prompt), in nats for the whole
        text: under the base LM where the adapter is switchable, else the merged model (on
        MLQE-PE ro-en the two judge the word check's candidates alike)."""
        return [float(lp.sum()) for lp in self._plain_log_probs(texts)]

    def _plain_log_probs(self, texts: Sequence[str]) -> list[torch.Tensor]:
        with torch.inference_mode(), self.peft.disable_adapter() if self.peft else contextlib.nullcontext():
            return lm.plain_log_probs(self.model, self.tok, texts)

    def _verify(self, encoded: list[tuple[list[int], list[int]]], clues: bool = False):
        """One batched pass over prompt + MT: for each MT token, the model's probability of
        copying it and its top alternatives (token, probability), best first; each row's
        probabilities (MT position, vocabulary), where dictionary siblings are tried, else None;
        the pass's key/value cache (rows right-padded, so each row's prefix is its own); and,
        with ``clues``, each row's clues for the probe of words to check (``wordqe.Clues``; else None)."""
        from transformers import DynamicCache

        width = max(len(p) + len(d) for p, d in encoded)
        ids = torch.full((len(encoded), width), self.eos, dtype=torch.long)  # (batch, width)
        mask = torch.zeros_like(ids)
        for row, (prompt, draft) in enumerate(encoded):
            ids[row, : len(prompt) + len(draft)] = torch.tensor(prompt + draft)
            mask[row, : len(prompt) + len(draft)] = 1
        cache = DynamicCache()
        with torch.inference_mode():
            out = self.model.model(input_ids=ids, attention_mask=mask, cache=cache, use_cache=True,
                                   output_hidden_states=clues)
            hidden = out.last_hidden_state  # (batch, width, hidden)
            copy_probs, alternatives, rows, found_clues = [], [], [], []
            for row, (prompt, draft) in enumerate(encoded):
                # Only the positions that predict MT tokens go through the output layer.
                logits = self.model.lm_head(hidden[row, len(prompt) - 1 : len(prompt) + len(draft) - 1])
                p = torch.softmax(logits.float(), -1)  # (len(draft), vocab)
                rows.append(p if self.siblings else None)  # (only siblings read them: 8 MB a row of 40 tokens)
                copy_probs.append(p[torch.arange(len(draft)), torch.tensor(draft)].tolist())
                top = torch.topk(p, 3, -1)
                states = out.hidden_states[self.qe_layer][row, len(prompt) - 1 : len(prompt) + len(draft)] if clues else None
                found_clues.append(wordqe.clues(p, draft, top, states) if clues else None)
                alternatives.append([list(zip(top.indices[j].tolist(), top.values[j].tolist()))
                                     for j in range(len(draft))])
        return copy_probs, alternatives, rows, cache, found_clues

    def _edits(self, item: Item, decoded: Decoded) -> list[Edit]:
        """Word edits turning the MT into the decoded text, each as sure as the least sure
        token that wrote it and the token after it (where the model went back to copying)."""
        if not decoded.finished:
            return []
        text = self.tok.decode(decoded.ids)
        tokens = tokenize(item.text)
        if not text.strip() or len(tokenize(text)) < len(tokens) / 2:
            return []
        # Character span of each generated token in the single-spaced text (leading space dropped).
        spans, pos = [], 0
        lead = len(text) - len(text.lstrip())
        for k in range(len(decoded.ids)):
            end = len(self.tok.decode(decoded.ids[: k + 1])) - lead
            spans.append((pos, max(pos, end)))
            pos = max(pos, end)
        spans.append((pos, pos + 1))  # end of text
        corrected = respace(item.text, text.strip())
        edits, out_tokens, shift = [], tokenize(corrected), 0
        for edit in extract_edits(item.text, corrected):
            lo, hi = char_span(out_tokens, edit.start + shift, len(edit.replacement))
            shift += len(edit.replacement) - (edit.end - edit.start)
            touched = [k for k, (s, e) in enumerate(spans) if s < max(hi, lo + 1) and e > lo]
            if not touched:
                continue
            steps = decoded.probs[touched[0] : touched[-1] + 2]
            edits.append(Edit(edit.start, edit.end, edit.replacement, round(min(steps), 4), "model"))
        return join_moves(tokens, edits)


def load_adapted(model_dir: Path, dtype=None):
    """The base model (in ``dtype``, fp32 unless told) with the folder's adapter (peft,
    switchable off to score with the base alone), and the tokenizer."""
    from peft import PeftModel

    import warnings

    model, tok = lm.load_base(dtype)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # transformers' notes to library authors
            model = PeftModel.from_pretrained(model, str(model_dir))
    except Exception as exc:  # peft's errors name no file
        raise ModelError(f"{model_dir}: cannot load the adapter ({exc})") from None
    model.eval()
    return model, tok
