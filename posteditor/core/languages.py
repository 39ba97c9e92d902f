"""Source languages: the tags users and files give, and the language a document's sources are in.

Some source languages have words to check of their own (a probe and a bar fitted on their dev
segments, ``posteditor.learn.doubts``). A document's language is the user's
(``--source-language``), else its file's (an XLIFF file's ``source-language``), else that of its
sources, when it has them, as py3langid identifies them: a naive Bayes over byte n-grams for 97
languages, its model inside the package, so nothing is downloaded. On MLQE-PE dev sources it
names ro, et, ru, ne and si rightly, at probability 0.9 or more, in every one of 200 samples of
three sentences each (``docs/results.md``); it is trusted from ``MIN_PROBABILITY`` up.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable

MIN_PROBABILITY = 0.9
"""The sources' language is taken when py3langid gives it at least this probability."""
READ = 5000
"""Characters of distinct sources it reads: enough to be sure (three sentences are), and a
long text of one repeated sentence would make it less sure, not more."""
_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*")
_NO_LANGUAGE = re.compile(r"und|mul|zxx|mis|q[a-t][a-z]")
"""BCP 47's codes for an undetermined, several, no, uncoded or private-use language."""


def language_code(tag: str) -> str:
    """A language tag (BCP 47, whose primary subtag is the shortest ISO 639 code: "ro", not
    "ron") as posteditor keys languages: that subtag in lower case ("ro-RO" and "RO" -> "ro");
    ``ValueError`` for what is no language tag, or names no one language ("und", "mul")."""
    match = _TAG.fullmatch(tag.strip())
    if not match:
        raise ValueError(f"{tag!r} is not a language tag (ro, et, ru-RU, ...)")
    code = match.group(1).lower()
    if _NO_LANGUAGE.fullmatch(code):
        raise ValueError(f"{tag!r} names no one language")
    return code


def identify(sources: Iterable[str | None]) -> str | None:
    """The language of the distinct sources read together (their first ``READ`` characters),
    where py3langid is sure of it; None without sources, or without py3langid."""
    text = "\n".join(dict.fromkeys(s.strip() for s in sources if s and s.strip()))[:READ]
    if not text:
        return None
    try:
        identifier = _identifier()
    except ImportError:  # (an environment installed before it was a dependency: then unknown)
        return None
    language, probability = identifier.classify(text)
    return language if probability >= MIN_PROBABILITY else None


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
