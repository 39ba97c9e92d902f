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
            p = torch.softmax(logits.float(), -1)
            best = p.argmax(-1).tolist()
            accepted = 0
            while accepted < len(guess) and best[accepted] == guess[accepted]:
                accepted += 1
            new = guess[:accepted] + [best[accepted]]
            written += 1
            if max_written is not None and written > max_written + 1:  # the final end of text is free
                return None
            new_probs = [float(p[k, t]) for k, t in enumerate(new)]
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
