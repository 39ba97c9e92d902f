"""Copy-aware greedy decoding: the MT as the guess, verified in one pass.

Decoding exploits copying. The corrected segment mostly repeats the MT, so the MT itself is
the first guess: one forward pass over prompt + MT scores every MT token at once (batched
over segments). Where the model's greedy choice agrees with every MT token the segment is
done. Where it departs, decoding goes on token by token from there with the key/value cache
and, as soon as its last tokens are found again in the MT, guesses the rest of the MT and
verifies it in one pass (input-guided aggressive decoding): the output is exactly greedy
decoding's, at a fraction of the steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Decoded:
    """One decoded correction: its token ids (end of text excluded), each one's probability
    (the end of text's last), and whether it ended; one that ran out of room is cut short."""

    ids: list[int]
    probs: list[float]
    finished: bool = True


def greedy_copy(model, prompt: list[int], draft: list[int], eos: int, max_new: int,
                forced: list[int] | None = None, forced_probs: list[float] | None = None,
                max_written: int | None = None, cache=None) -> Decoded | None:
    """Greedy decoding after ``prompt`` (starting with the ``forced`` tokens), verifying
    guesses taken from ``draft``: the result is exactly what step-by-step greedy decoding gives.

    Each round feeds the last accepted token plus a guess (the draft's continuation after
    the place the output's last tokens match in the draft) in one forward pass with the
    key/value cache; the guess is accepted as far as the model's argmax agrees, and the
    argmax after the last agreeing token comes free. The cache is then cut back to what was
    accepted. With ``max_written``, gives up (None) once the model has written more tokens
    than that of its own (not copied): a candidate that rewrites the segment is no edit.
    ``cache`` may hold the keys and values of a prefix of ``prompt + forced`` already.
    """
    from transformers import DynamicCache

    out = list(forced or [])
    probs = list(forced_probs or [1.0] * len(out))
    cache = cache if cache is not None else DynamicCache()
    fed = prompt + out  # tokens whose keys/values the next pass computes, before the guess
    cached, written = cache.get_seq_length(), 0
    with torch.inference_mode():
        while len(out) < max_new:
            guess = _guess(out, draft)[: max_new - len(out)]
            feed = fed[cached:] + guess
            # Predictions for the token after fed[-1], then after each guessed token: (len(guess)+1, vocab)
            logits = model(input_ids=torch.tensor([feed]), cache=cache, use_cache=True,
                           logits_to_keep=len(guess) + 1).logits[0]
            accepted, new, new_probs = _accept(torch.softmax(logits.float(), -1), guess)
            written += 1
            if max_written is not None and written > max_written + 1:  # the final end of text is free
                return None
            cached = len(fed) + accepted
            cache.crop(cached - cache.get_seq_length())  # a negative count: the tokens to drop
            fed = fed + new
            if eos in new:
                cut = new.index(eos)
                out += new[:cut]
                probs += new_probs[: cut + 1]
                return Decoded(out, probs)
            out += new
            probs += new_probs
    return Decoded(out, probs, finished=False)  # ran out of room: no end of text, trust nothing


@dataclass
class Job:
    """One ``greedy_copy`` for ``greedy_copy_many``: its arguments, and where its prefix's
    keys and values are in the batched pass's cache (``row``, the first ``cached`` tokens of
    ``prompt + forced``)."""

    prompt: list[int]
    draft: list[int]
    forced: list[int]
    forced_probs: list[float]
    max_new: int
    max_written: int | None
    row: int
    cached: int


def greedy_copy_many(model, jobs: list[Job], cache, eos: int) -> list[Decoded | None]:
    """``greedy_copy`` for each job, in rounds that take all of them in one batched pass.

    A pass costs about as much for one row as for a dozen on a CPU, and most jobs (an
    alternative word put in the MT, the model copying the rest) end in their first round or
    two. Each round feeds every unfinished job's tokens after its prefix (its own, then its
    guess) over that prefix's keys and values read from ``cache`` (right-padded, the padding
    masked out) at its own positions; the guess is accepted as far as the argmax agrees, as
    in ``greedy_copy``, whose result each job gets.
    """
    out: list[Decoded | None] = [None] * len(jobs)
    tokens = {k: (list(job.forced), list(job.forced_probs)) for k, job in enumerate(jobs)}
    active = [k for k in tokens if len(jobs[k].forced) < jobs[k].max_new]
    for k, job in enumerate(jobs):
        if k not in active:
            out[k] = Decoded(*tokens[k], finished=False)
    written = 0
    with torch.inference_mode():
        while active:
            written += 1
            guesses = {k: _guess(tokens[k][0], jobs[k].draft)[: jobs[k].max_new - len(tokens[k][0])] for k in active}
            feeds = {k: (jobs[k].prompt + tokens[k][0])[jobs[k].cached :] + guesses[k] for k in active}
            hidden = _batched_pass(model, [jobs[k] for k in active], [feeds[k] for k in active], cache, eos)
            still = []
            for r, k in enumerate(active):
                job, guess, feed = jobs[k], guesses[k], feeds[k]
                # Predictions for the token after the last fed one, then after each guessed token.
                logits = model.lm_head(hidden[r, len(feed) - len(guess) - 1 : len(feed)])
                _, new, new_probs = _accept(torch.softmax(logits.float(), -1), guess)
                if job.max_written is not None and written > job.max_written + 1:  # as greedy_copy: gives up
                    continue
                ids, probs = tokens[k]
                if eos in new:
                    cut = new.index(eos)
                    out[k] = Decoded(ids + new[:cut], probs + new_probs[: cut + 1])
                elif len(ids) + len(new) >= job.max_new:
                    out[k] = Decoded(ids + new, probs + new_probs, finished=False)
                else:
                    tokens[k] = (ids + new, probs + new_probs)
                    still.append(k)
            active = still
    return out


def _accept(p: torch.Tensor, guess: list[int]) -> tuple[int, list[int], list[float]]:
    """Given the probabilities after the last fed token and after each guessed token
    ((len(guess)+1, vocab)): how many guessed tokens the argmax agrees with, those tokens plus
    the argmax after them, and each one's probability."""
    best = p.argmax(-1).tolist()
    accepted = 0
    while accepted < len(guess) and best[accepted] == guess[accepted]:
        accepted += 1
    new = guess[:accepted] + [best[accepted]]
    return accepted, new, [float(p[i, t]) for i, t in enumerate(new)]


def _batched_pass(model, jobs: list[Job], feeds: list[list[int]], cache, pad: int):
    """One pass over each job's ``feed`` after its prefix in ``cache``: the last hidden states
    (rows, width, hidden), rows right-padded."""
    from transformers import DynamicCache

    width, past = max(map(len, feeds)), max(job.cached for job in jobs)
    ids = torch.full((len(jobs), width), pad, dtype=torch.long)  # (rows, width)
    positions = torch.zeros((len(jobs), width), dtype=torch.long)
    mask = torch.zeros((len(jobs), 1, width, past + width), dtype=torch.bool)  # True: may attend
    causal = torch.ones((width, width), dtype=torch.bool).tril()
    for r, (job, feed) in enumerate(zip(jobs, feeds)):
        ids[r, : len(feed)] = torch.tensor(feed)
        positions[r] = job.cached + torch.arange(width)
        mask[r, 0, :, : job.cached] = True
        mask[r, 0, :, past:] = causal
    rows = torch.tensor([job.row for job in jobs])
    prefix = DynamicCache()  # each job's row of the batched pass (beyond its own prefix: masked)
    for index, layer in enumerate(cache.layers):
        prefix.update(layer.keys[:, :, :past].index_select(0, rows), layer.values[:, :, :past].index_select(0, rows), index)
    with torch.inference_mode():
        return model.model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=prefix,
                           use_cache=True).last_hidden_state


def _guess(out: list[int], draft: list[int], n: int = 3) -> list[int]:
    """The draft's continuation after the latest place where the output's last tokens
    (3, else 2, else 1) occur in it; the whole draft while nothing is written. Where they occur
    nowhere (the model just wrote a token of its own), the draft after as many tokens as are
    written: most such tokens replace one of the draft's, and the guess then verifies the rest
    in the same pass."""
    if not out:
        return list(draft)
    for size in range(min(n, len(out)), 0, -1):
        tail = out[-size:]
        for start in range(len(draft) - size, -1, -1):
            if draft[start : start + size] == tail:
                return draft[start + size :]
    return draft[len(out) :]


def row_cache(cache, row: int, length: int):
    """A cache of one row's first ``length`` tokens, copied out of a batched pass's cache."""
    from transformers import DynamicCache

    mine = DynamicCache()
    for k, layer in enumerate(cache.layers):
        mine.update(layer.keys[row : row + 1, :, :length].clone(), layer.values[row : row + 1, :, :length].clone(), k)
    return mine
