"""``posteditor report FILE``: how much post-editing a document took (MateCat's editing log,
memoQ's edit-distance report).

Read from the review journal (suggestions shown, decisions, hand edits), the editor's timing
file beside it (``timing.py``) and, for documents whose journal is gone, the corrections log.
Per segment: suggestions shown / accepted / rejected / pending, whether it was edited by
hand, HTER between the MT and the final text (sacrebleu's TER, the final text as reference)
and the time spent; a rich table on the terminal and, with ``--html``, a page with a chart a
project manager can open anywhere (inline SVG, no script).
"""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from posteditor.core import corrections
from posteditor.core import paths
from posteditor.tui.review import timing
from posteditor.core.reader import parse
from posteditor.core.edits import Decision, Edit
from posteditor.tui.review.journal import Journal, journal_path, text_hash
from posteditor.core.textio import InputError, atomic_write


@dataclass(frozen=True)
class SegmentEffort:
    index: int
    line: int
    mt: str
    final: str
    shown: int = 0
    accepted: int = 0
    rejected: int = 0
    hand_edited: bool = False
    hter: float = 0.0
    seconds: float | None = None

    @property
    def status(self) -> str:
        if self.hand_edited:
            return "hand-edited"
        if self.final != self.mt:
            return "edited"
        return "reviewed" if self.accepted or self.rejected else "untouched"


@dataclass(frozen=True)
class Effort:
    document: str
    segments: tuple[SegmentEffort, ...]
    hter: float  # overall, over the whole document
    seconds: float | None

    def total(self, name: str) -> int:
        return sum(int(getattr(s, name)) for s in self.segments)


def hter(mts: Sequence[str], finals: Sequence[str]) -> tuple[list[float], float]:
    """Per-segment and overall TER of the MT against the final text, in percent."""
    from sacrebleu.metrics import TER

    ter = TER()
    per = [ter.sentence_score(m, [f]).score if f.strip() else 0.0 for m, f in zip(mts, finals)]
    overall = ter.corpus_score(list(mts), [list(finals)]).score if mts else 0.0
    return per, overall


def from_journal(document: Path) -> Effort:
    """The effort on ``document`` as its review journal records it."""
    from posteditor.tui.review.state import ReviewState
    from posteditor.tui.review.session import work_from_json

    records, _ = Journal(journal_path(document)).read()
    header = records[0] if records and records[0].get("t") == "open" else None
    if header is None:
        raise InputError(f"{document}: no review journal beside it ({journal_path(document).name})")
    doc = parse(str(header["base"]), str(header.get("format", "txt")), str(document))
    threshold = next((float(r["value"]) for r in reversed(records) if r.get("t") == "threshold"), 0.5)
    state = ReviewState(doc, doc.sources, threshold)
    hashes = [text_hash(t) for t in state.texts]
    suggestions, works = {}, {}
    for r in records[1:]:
        try:
            i = int(r.get("i", -1))
            if r["t"] not in ("suggest", "work") or not (0 <= i < len(hashes) and r["h"] == hashes[i]):
                continue
            if r["t"] == "suggest":
                suggestions[i] = [Edit.from_json(e) for e in r["edits"]]
            else:
                works[i] = work_from_json(r)
        except (KeyError, TypeError, ValueError):
            continue
    state.set_suggestions(sorted(suggestions.items()), notify=False)
    for i, work in works.items():
        state.restore(i, work)
    seconds = timing.read(timing.timing_path(document), len(state))
    mts = list(state.texts)
    finals = [state.final(i) for i in range(len(state))]
    per, overall = hter(mts, finals)
    rows = []
    for i in range(len(state)):
        seg = state.segment(i)
        pairs = list(zip(seg.edits, seg.decisions))
        rows.append(SegmentEffort(
            i, doc.line_of(i), mts[i], finals[i],
            shown=sum(e.confidence >= threshold or d is not Decision.PENDING for e, d in pairs),
            accepted=sum(d is Decision.ACCEPTED for _, d in pairs),
            rejected=sum(d is Decision.REJECTED for _, d in pairs),
            hand_edited=state.work(i).manual is not None,
            hter=per[i], seconds=seconds.get(i) if seconds else None))
    return Effort(document.name, tuple(rows), overall, sum(seconds.values()) if seconds else None)


def from_log(document: Path, log: Path) -> Effort:
    """The effort on ``document`` from the corrections log alone: the segments logged (changed,
    with a proposal turned down, or changed back), each as last logged."""
    if not log.is_file():
        raise InputError(f"{document}: no review journal beside it, and no corrections log at {log}")
    records, _ = corrections.read(log, warn=lambda msg: None)
    wanted = str(document.resolve())
    latest = {r.segment: r for r in records if r.document in (wanted, str(document), document.name)}
    if not latest:
        raise InputError(f"{document}: neither a review journal nor corrections logged for it")
    rows = [latest[k] for k in sorted(latest)]
    per, overall = hter([r.mt for r in rows], [r.final for r in rows])
    out = []
    for r, score in zip(rows, per):
        decisions = [e.decision for e in r.edits]
        out.append(SegmentEffort(r.segment, 0, r.mt, r.final, shown=sum(d != "manual" for d in decisions),
                                 accepted=decisions.count("accepted"), rejected=decisions.count("rejected"),
                                 hand_edited="manual" in decisions, hter=score))
    return Effort(document.name, tuple(out), overall, None)


def load(path: str, log: str | None = None) -> Effort:
    document = Path(path)
    if journal_path(document).is_file():
        return from_journal(document)
    return from_log(document, Path(log) if log else paths.corrections_log())


# --- presenting -----------------------------------------------------------------------------


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds // 60 % 60:02d}"


def table(effort: Effort):
    """The report as a rich table."""
    from rich.table import Table

    t = Table(title=f"Post-editing effort: {effort.document}", show_footer=True, caption=(
        "shown/acc./rej.: suggestions shown, accepted, rejected; HTER: edits from the MT to the final text, in %"))
    t.add_column("#", "all", justify="right", no_wrap=True)
    t.add_column("status", f"{sum(s.final != s.mt for s in effort.segments)} changed", no_wrap=True)
    for name, title in (("shown", "shown"), ("accepted", "acc."), ("rejected", "rej.")):
        t.add_column(title, str(effort.total(name)), justify="right", no_wrap=True)
    t.add_column("hand", str(effort.total("hand_edited")), justify="right", no_wrap=True)
    t.add_column("HTER", f"{effort.hter:.1f}", justify="right", no_wrap=True)
    t.add_column("time", _clock(effort.seconds), justify="right", no_wrap=True)
    t.add_column("final text", f"{len(effort.segments)} segments", overflow="ellipsis", no_wrap=True,
                 ratio=1, min_width=8)
    for s in effort.segments:
        t.add_row(str(s.index + 1), s.status, str(s.shown), str(s.accepted), str(s.rejected),
                  "yes" if s.hand_edited else "", f"{s.hter:.1f}", _clock(s.seconds), " ".join(s.final.split()))
    return t


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-top:1.5em}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:right}
td.text,th:last-child{text-align:left}td.text{max-width:50em}th{background:#f3f3f3}td,th{white-space:nowrap}
td.text{white-space:normal}.mt{color:#999;text-decoration:line-through}
.totals td{font-weight:bold}svg text{font-size:11px;fill:#444}"""


def chart(effort: Effort, width: int = 900, height: int = 220) -> str:
    """A bar per segment: HTER (blue, left axis) and time (orange, right axis), as inline SVG."""
    segs = effort.segments
    n = max(1, len(segs))
    left, bottom, top = 40, 30, 20
    plot_w, plot_h = width - left - 50, height - bottom - top
    slot = plot_w / n
    bar = max(1.0, slot * 0.38)
    max_hter = max([100.0] + [s.hter for s in segs])
    times = [s.seconds or 0.0 for s in segs]
    max_time = max(times + [1.0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="HTER and time per segment">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>']
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{max_hter * frac:.0f}</text>')
        if any(times):
            parts.append(f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}">{_clock(max_time * frac)}</text>')
    for k, s in enumerate(segs):
        x = left + k * slot + slot * 0.1
        h = plot_h * s.hter / max_hter
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#3b7dd8">'
                     f'<title>segment {s.index + 1}: HTER {s.hter:.1f}</title></rect>')
        if any(times):
            th = plot_h * times[k] / max_time
            parts.append(f'<rect x="{x + bar:.1f}" y="{top + plot_h - th:.1f}" width="{bar:.1f}" height="{th:.1f}" '
                         f'fill="#f08c2e"><title>segment {s.index + 1}: {_clock(s.seconds)}</title></rect>')
        if n <= 40 or k % max(1, n // 20) == 0:
            parts.append(f'<text x="{x + bar:.1f}" y="{top + plot_h + 14}" text-anchor="middle">{s.index + 1}</text>')
    parts.append(f'<text x="{left}" y="12">HTER (blue)</text>')
    if any(times):
        parts.append(f'<text x="{left + plot_w}" y="12" text-anchor="end">time (orange)</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def html_page(effort: Effort, when: datetime | None = None) -> str:
    """The report as one self-contained HTML page."""
    when = when or datetime.now(timezone.utc)
    esc = html.escape
    rows = []
    for s in effort.segments:
        text = esc(" ".join(s.final.split()))
        if s.final != s.mt:
            text = f'<div class="mt">{esc(" ".join(s.mt.split()))}</div>{text}'
        rows.append(f"<tr><td>{s.index + 1}</td><td>{s.status}</td><td>{s.shown}</td><td>{s.accepted}</td>"
                    f"<td>{s.rejected}</td><td>{'yes' if s.hand_edited else ''}</td><td>{s.hter:.1f}</td>"
                    f"<td>{_clock(s.seconds)}</td><td class=\"text\">{text}</td></tr>")
    changed = sum(s.final != s.mt for s in effort.segments)
    totals = (f'<tr class="totals"><td>all</td><td>{changed} changed</td><td>{effort.total("shown")}</td>'
              f'<td>{effort.total("accepted")}</td><td>{effort.total("rejected")}</td>'
              f'<td>{effort.total("hand_edited")}</td><td>{effort.hter:.1f}</td><td>{_clock(effort.seconds)}</td>'
              f'<td class="text">{len(effort.segments)} segments</td></tr>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Post-editing effort: {esc(effort.document)}</title>
<style>{_CSS}</style></head><body>
<h1>Post-editing effort: {esc(effort.document)}</h1>
<p>{len(effort.segments)} segments, {changed} changed; suggestions shown {effort.total("shown")},
accepted {effort.total("accepted")}, rejected {effort.total("rejected")}; {effort.total("hand_edited")} edited by hand;
HTER {effort.hter:.1f}; time {_clock(effort.seconds)}. Generated {when.strftime("%Y-%m-%d %H:%M UTC")} by posteditor.</p>
{chart(effort)}
<table><thead><tr><th>#</th><th>status</th><th>shown</th><th>accepted</th><th>rejected</th><th>by hand</th>
<th>HTER</th><th>time</th><th>final text</th></tr></thead>
<tbody>
{chr(10).join(rows)}
{totals}
</tbody></table></body></html>
"""


def main(args) -> int:
    effort = load(args.file, args.log)
    from rich.console import Console

    # Into a file or a pipe the table keeps its columns whole rather than fitting 80 columns.
    Console(width=None if sys.stdout.isatty() else 160).print(table(effort))
    if args.html:
        try:
            atomic_write(args.html, html_page(effort))
        except OSError as exc:
            raise InputError(f"{args.html}: cannot write the report ({exc.strerror or exc})") from None
        print(f"posteditor: report written to {args.html}", file=sys.stderr)
    return 0
