"""Dictionary siblings: English words that translate the same foreign word ("region",
"area", "zone"). A corpus build writes the table (``learn.corpus.synthetic``), a model folder
ships it, and the corrector tries a doubted word's siblings in its place."""

from __future__ import annotations

from pathlib import Path

from posteditor.core.edits import Edit, tokenize

# Words a confusion never touches or produces: function words, auxiliaries and very common
# verbs whose dictionary senses are too loose ("make" / "do" / "get") to be MT's mistakes.
STOP = frozenset("""
a an the this that these those some any each every all both either neither no not
i me my you your he him his she her it its we us our they them their who whom whose which what
and or but nor so yet for of in on at to from by with into onto upon about over under after
before between through during without within against among as than then there here when where
be is are was were been being am have has had having do does did done make made get got give
can could may might must shall should will would let also very more most much many few less
one two three four five six seven eight nine ten first second last other another such same
mr mrs ms new old good bad big small own well just only even still again already now
""".split())


SIBLING_DOUBT = 0.99
"""Where an edit scorer judges them (see ``Corrector``), dictionary siblings are tried for MT words the model copies with less than this probability."""
SIBLING_WORDS = 4
"""... for at most this many words per segment (the least sure first) ..."""
SIBLINGS_PER_WORD = 2
"""... and the siblings the model finds likeliest there ..."""
SIBLING_FLOOR = 0.001
"""... if it gives their first token at least this probability."""

SIBLINGS = "siblings.json"
"""The sibling table a corpus build writes and a model folder ships (``Confusions.save``):
the corrector tries a word's siblings in its place, so the dictionaries are needed at
training time only."""


def load_siblings(path: Path) -> dict[str, list[str]]:
    """A sibling table (word -> siblings, likeliest first); empty if the file is missing or bad."""
    import json

    try:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(table, dict):
        return {}
    return {w: [x for x in v if isinstance(x, str)] for w, v in table.items() if isinstance(v, list)}


def sibling_forms(word: str, table: dict[str, list[str]]) -> list[str]:
    """The siblings of a lowercase word in its own form (plural nouns stay plural)."""
    if word in STOP:
        return []
    stem = next((word[: -len(suffix)] + back for suffix, back in (("ies", "y"), ("es", ""), ("s", ""))
                 if word.endswith(suffix) and len(word) > len(suffix) + 2
                 and word[: -len(suffix)] + back in table and plural(word[: -len(suffix)] + back) == word), None)
    if stem:
        forms = [w if w.endswith("s") else plural(w) for w in table.get(word) or table[stem]]
    else:
        forms = table.get(word, [])
    return [f for f in dict.fromkeys(forms) if f not in (word, stem)]


def plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def sibling_candidates(tok, table: dict[str, list[str]], text: str, starts: list[int], p_copy: list[float], probs) -> list[Edit]:
    """Dictionary siblings of the MT words the model is least sure of, each put in the
    word's place. The model's probability of the sibling's first token there (``probs``: MT
    position, vocabulary; ``starts``: each word's first MT piece) is the edit's raw confidence."""
    if not table:
        return []
    tokens = tokenize(text)
    spots = []
    for k, token in enumerate(tokens):
        word = token.strip()
        j = starts[k]
        if not word.isalpha() or (word[:1].isupper() and k > 0) or p_copy[j] >= SIBLING_DOUBT:
            continue
        forms = sibling_forms(word.lower(), table)
        if forms:
            spots.append((p_copy[j], k, j, word, forms))
    out = []
    for _, k, j, word, forms in sorted(spots)[:SIBLING_WORDS]:
        scored = []
        for form in forms:
            first = tok.encode(" " + form, add_special_tokens=False)[0]
            scored.append((float(probs[j, first]), form))
        for prob, form in sorted(scored, reverse=True)[:SIBLINGS_PER_WORD]:
            if prob < SIBLING_FLOOR:
                break
            form = form.capitalize() if word[:1].isupper() else form
            space = tokens[k][: len(tokens[k]) - len(tokens[k].lstrip())]
            out.append(Edit(k, k + 1, (space + form,), round(prob, 4), "model"))
    return out
