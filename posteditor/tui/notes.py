"""What the side panel says about a segment beyond its edits: the glossary terms that apply
and the QA checks' findings on its final text; no Textual here."""

from __future__ import annotations

from dataclasses import dataclass, field

from posteditor.core import qa
from posteditor.core.terms import Term, relevant
from posteditor.tui.review.state import ReviewState


@dataclass
class Notes:
    terms: list[Term] = field(default_factory=list)
    skip: frozenset[str] = frozenset()

    def terms_for(self, state: ReviewState, i: int) -> list[str]:
        out = []
        for t in relevant(self.terms, state.texts[i], state.sources[i]):
            line = f"{t.source} → {t.target}"
            if t.forbidden:
                line += f" (not {', '.join(t.forbidden)})"
            out.append(line + (f": {t.note}" if t.note else ""))
        return out

    def issues_for(self, state: ReviewState, i: int) -> list[str]:
        final, source = state.final(i), state.sources[i]
        issues = qa.check_segment(final, source, state.texts[i], self.terms, self.skip, i)
        if "consistency" not in self.skip and source:
            key = " ".join(source.split()).lower()
            same = [j for j in range(len(state)) if j != i and state.sources[j]
                    and " ".join(state.sources[j].split()).lower() == key]
            differs = [j for j in same if " ".join(state.final(j).split()) != " ".join(final.split())]
            if differs:
                issues.append(qa.Issue("consistency", i, f"same source as segment {differs[0] + 1}, "
                                                         "translated differently"))
        return [f"{x.check}: {x.message}" for x in issues]
