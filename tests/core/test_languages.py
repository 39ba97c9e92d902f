"""Source languages: tags as given, and the language of a document's sources."""

from __future__ import annotations

import pytest

from posteditor.core.languages import identify, language_code


def test_a_language_tag_is_keyed_by_its_primary_subtag():
    assert [language_code(t) for t in ("ro", "ro-RO", " RU ", "en_US", "ron")] == ["ro", "ro", "ru", "en", "ron"]
    for bad in ("", "r", "ro RO", "román", "12"):
        with pytest.raises(ValueError, match="not a language tag"):
            language_code(bad)
    for none in ("und", "mul", "zxx", "qaa-x-mine"):
        with pytest.raises(ValueError, match="names no one language"):
            language_code(none)


def test_the_sources_language_is_identified_when_sure():
    romanian = ["Peste 235.000 de oameni au fugit din regiunea Idlib în ultimele săptămâni.",
                "Armata siriană a cucerit zeci de orașe și sate din provincie."]
    estonian = ["Valitsus kinnitas eelarve, mis suurendab kulutusi haridusele ja tervishoiule.",
                "Tallinna linnavalitsus otsustas ehitada uue kooli."]
    assert identify(romanian) == "ro" and identify([None, *estonian, " "]) == "et"
    assert identify([]) is None and identify([None, "  "]) is None  # no sources: nothing to tell
    assert identify(["42 %"]) is None  # too little to be sure of
    assert identify(romanian * 5000) == "ro"  # one text repeated is read once, not made less sure
