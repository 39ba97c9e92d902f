"""QA checks on final segments: each check by its id, table-driven, and switchable."""

from __future__ import annotations

import pytest

from posteditor.core.terms import Term
from posteditor.core.qa import CHECKS, check_document, check_segment, numbers, parse_checks
from posteditor.core.textio import InputError


def ids(final, source=None, mt=None, terms=(), skip=frozenset()):
    return [i.check for i in check_segment(final, source, mt, terms, skip)]


@pytest.mark.parametrize("text, expected", [
    ("235,000 people", ["235000"]), ("235.000 de oameni", ["235000"]), ("3.5 or 3,5", ["35", "35"]),
    ("on 10.03.2019", ["10032019"]), ("at 10:30", ["1030"]), ("१२ जना", ["12"]), ("no digits", []),
])
def test_numbers_are_normalised(text, expected):
    assert numbers(text) == expected


@pytest.mark.parametrize("final, source, mt, expected", [
    ("More than 235,000 people fled.", "Peste 235.000 de oameni au fugit.", None, []),
    ("More than 23,000 people fled.", "Peste 235.000 de oameni au fugit.", None, ["numbers", "numbers"]),
    ("Two people left in 2019.", "2 oameni au plecat în 2019.", None, []),
    ("In 1999 they left.", "Au plecat.", None, ["numbers"]),
    ("They left.", None, None, []),  # no source: nothing to compare
    ("Ahmed met Maria in Idlib.", None, "Ahmed met Maria in Idlib.", []),
    ("Ahmed met her in the city.", None, "Ahmed met Maria in Idlib.", ["names", "names"]),
    ("The army (and the rebels left.", None, None, ["brackets"]),
    ("The army (and the rebels) left.", None, None, []),
    ("The army (and the rebels left.", "Armata (și rebelii au plecat.", None, []),  # the source is as open
    ('He said "no.', None, None, ["quotes"]),
    ('He said "no."', None, None, []),
    ("He said “no.” and left", None, None, []),
    ("The the army left.", None, None, ["doubled"]),
    ("He had had enough.", None, None, []),
])
def test_checks(final, source, mt, expected):
    assert ids(final, source, mt) == expected


def test_glossary_check():
    terms = [Term("Comisia", "Commission", ("Board",))]
    assert ids("The Board met.", "Comisia s-a întrunit.", terms=terms) == ["glossary"]
    assert ids("The Commission met.", "Comisia s-a întrunit.", terms=terms) == []


def test_consistency_across_the_document():
    issues = check_document(["He left.", "Rain.", "He went away."], ["A plecat.", "Ploaie.", "A plecat."])
    assert [(i.check, i.segment) for i in issues] == [("consistency", 2)]
    assert "segment 1" in issues[0].message


def test_checks_can_be_switched_off():
    assert ids("The the army (left.", skip=parse_checks(["doubled,brackets"])) == []
    assert check_document(["a", "b"], ["x", "x"], skip=frozenset({"consistency"})) == []
    with pytest.raises(InputError, match="unknown check"):
        parse_checks(["spelling"])
    assert set(CHECKS) == {"numbers", "names", "brackets", "quotes", "doubled", "consistency", "glossary", "doubt"}


def test_the_help_names_every_check(capsys):
    from posteditor import cli

    for command in ("correct", "review"):
        assert cli.main([command, "--help"]) == 0
        help_text = " ".join(capsys.readouterr().out.split())
        assert all(check in help_text for check in CHECKS), command
