"""Correct files in batch: segment, ask the suggesters, apply only the confident edits.

The pipeline is shared with the editor: ``pipeline.load_suggester`` gives one ``Suggester`` (the
model, its checks against the source, and the correction memory when there is one, merged by ``Combined``) and ``propose``
turns a ``Document`` into ``Segment``s carrying every edit the document allows. ``correct`` then accepts
the edits at or above the threshold and renders the document; ``review`` lets a person decide.

Every input file stands alone: a bad one is reported in one line and the others are still
corrected. Output is written whole or not at all (``textio.atomic_write``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from posteditor.commands.console import plural, progress_bar
from posteditor.core.document import Document
from posteditor.core.reader import guess_format, parse
from posteditor.core.edits import RETRANSLATION, SOURCE_WORD, Decision, Edit, Segment
from posteditor.core.meta import model_meta, resolve_threshold
from posteditor.core.languages import identify
from posteditor.pipeline import load_suggester
from posteditor.suggest.base import Item, Suggester
from posteditor.suggest.combine import Combined, accept_confident, applying, long_segments, propose
from posteditor.core.textio import InputError, TextFile, atomic_write, read_text, resolve_output

MAX_WARNINGS = 10
"""Too-long segments named one by one per file; the rest are counted."""


# --- presenting results -------------------------------------------------------------------


def _context(text: str, keep: int, head: bool, tail: bool) -> str:
    """Unchanged text between edits, cut to ``keep`` words next to each edit."""
    words = text.split()
    if head and len(words) > keep:
        words = ["..."] + words[-keep:]
    elif tail and len(words) > keep:
        words = words[:keep] + ["..."]
    elif not head and not tail and len(words) > 2 * keep:
        words = words[:keep] + ["..."] + words[-keep:]
    lead = " " if text[:1].isspace() and words else ""
    trail = " " if text[-1:].isspace() and words else ""
    return lead + " ".join(words) + trail


def word_diff(segment: Segment, edits: Sequence[Edit], keep: int = 5) -> str:
    """``... fled the [-world-]{+region+}(0.91) of Idlib ...``: edits inline with confidences."""
    tokens, parts, pos = segment.tokens, [], 0
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for n, edit in enumerate(ordered):
        parts.append(_context("".join(tokens[pos : edit.start]), keep, head=n == 0, tail=False))
        first = tokens[edit.start] if edit.end > edit.start else (edit.replacement or ("",))[0]
        # The text as written ("Nations." and "[2003]"), not words joined by spaces.
        old, new = "".join(tokens[edit.start : edit.end]).strip(), "".join(edit.replacement).strip()
        marks = (f"[-{old}-]" if old else "") + (f"{{+{new}+}}" if new else "")
        parts.append((" " if first[:1].isspace() else "") + f"{marks}({edit.confidence:.2f})")
        pos = edit.end
    parts.append(_context("".join(tokens[pos:]), keep, head=not ordered, tail=True))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def report_rows(name: str, document: Document, segments: Sequence[Segment]) -> list[dict]:
    """One JSON-ready record per proposed edit, applied or not."""
    rows = []
    for i, seg in enumerate(segments):
        for edit, decision in zip(seg.edits, seg.decisions):
            rows.append({"file": name, "segment": i, "line": document.line_of(i), **edit.record(seg.tokens),
                         "applied": decision is Decision.ACCEPTED})
    return rows


# --- the command --------------------------------------------------------------------------


@dataclass
class Job:
    """One input file and where its result goes (None: stdout)."""

    path: str
    out: Path | None = None
    error: str | None = None
    file: TextFile | None = None
    document: Document | None = None
    sources: list[str | None] | None = None
    warnings: list[str] = field(default_factory=list)


def _real(path: str | Path) -> Path:
    """``path`` with symlinks resolved; a loop is left as it is (reading it reports it)."""
    return Path(os.path.realpath(path))


def _same(a: Path, b: Path) -> bool:
    try:
        return _real(a) == _real(b) or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def plan(args) -> list[Job]:
    """Where each input goes; problems with one input are recorded on its job, not raised."""
    files, out = args.files, Path(args.output) if args.output else None
    if args.in_place and args.diff:
        raise InputError("--diff prints the edits; it cannot be combined with --in-place")
    if args.source and len(files) > 1:
        raise InputError("--source goes with exactly one input file")
    folder = out is not None and (len(files) > 1 or out.is_dir() or args.output.endswith(("/", os.sep)))
    if folder and out.exists() and not out.is_dir():
        raise InputError(f"{out}: several inputs need -o to be a folder, and this is a file")
    if args.report and not _real(args.report).parent.is_dir():
        raise InputError(f"{args.report}: no such folder for the report")
    if args.report:
        resolve_output(args.report)  # not over a device, a FIFO, a folder
    jobs, taken, seen = [], {}, set()
    inputs = [Path(f) for f in files if f != "-"]
    for name in files:
        job = Job(name)
        jobs.append(job)
        key = _real(name) if name != "-" else name
        if key in seen:
            job.error = f"{name}: given twice; corrected once"
            continue
        seen.add(key)
        if args.in_place:
            if name == "-":
                job.error = "-: stdin cannot be corrected in place; use -o or redirect stdout"
                continue
            try:
                job.out = resolve_output(name)
            except InputError as exc:
                job.error = str(exc)
                continue
            if Path(name).is_symlink():
                job.warnings.append(f"{name} is a symlink: corrected the file it names, {job.out}")
            continue
        if out is None:
            continue
        if folder and name == "-":
            job.error = "-: stdin has no file name to write into the -o folder; correct it alone"
            continue
        job.out = out / Path(name).name if folder else out
        try:
            resolve_output(job.out)
        except InputError as exc:
            job.error = f"{name}: output {exc}"
            continue
        if any(_same(job.out, p) for p in inputs):
            job.error = f"{name}: output {job.out} would overwrite an input file; choose another -o"
        elif _real(job.out) in taken:
            job.error = f"{name}: output {job.out} is also the output of {taken[_real(job.out)]}"
        else:
            taken[_real(job.out)] = name
    if args.report and any(_same(Path(args.report), p) for p in inputs):
        raise InputError(f"{args.report}: the report would overwrite an input file")
    return jobs


def read_sources(path: str, document: Document, fmt: str, name: str) -> list[str | None]:
    """Source sentences aligned with the document's segments, or ``InputError``."""
    lines = read_text(path).text.splitlines()
    if fmt == "lines":
        count = len(document.text.splitlines())
        if len(lines) == count:
            return [lines[document.line_of(i) - 1].strip() or None for i in range(len(document.spans))]
    kept = [s for s in lines if s.strip()]
    if len(kept) == len(document.spans):
        return [s.strip() for s in kept]
    if fmt == "lines":
        raise InputError(f"{path} has {plural(len(lines), 'line')} but {name} has {len(document.text.splitlines())}; "
                         "with --format lines, line N of the source is the source of line N")
    raise InputError(
        f"{path} has {plural(len(kept), 'non-empty line')} but {name} has {plural(len(document.spans), 'sentence')}; "
        "give one source line per sentence, or --format lines for text that is one segment per line"
    )


def _prepare(job: Job, args) -> None:
    """Read and parse one input (and its sources), recording any error on the job."""
    try:
        job.file = read_text(job.path)
        fmt = args.format if args.format != "auto" else ("txt" if job.path == "-" else guess_format(job.path))
        job.document = parse(job.file.text, fmt, job.file.path)
        if args.source:
            job.sources = read_sources(args.source, job.document, fmt, job.file.path)
        else:
            job.sources = job.document.sources  # a translation file's own source units
        # The sources' language: the user's, else the file's, else the sources' own (core.languages).
        job.document.language = args.source_language or job.document.language or identify(job.sources or ())
    except InputError as exc:
        job.error = str(exc)


def _emit(job: Job, data: bytes, in_place: bool) -> None:
    if job.out is None:
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:
            sys.stdout.write(data.decode("utf-8"))
        else:
            stream.write(data)
        sys.stdout.flush()
    else:
        atomic_write(job.out, data, backup=in_place)


def correct_job(job: Job, suggester: Suggester, threshold: float, args, tick) -> tuple[list[Segment], list[int]]:
    """Correct one prepared input and write its result; returns its segments and long ones."""
    doc, name = job.document, job.file.path
    long = long_segments(doc, suggester)
    for i in long[:MAX_WARNINGS]:
        words = len(doc.segments[i].split())
        job.warnings.append(f"{name}:{doc.line_of(i)}: segment too long for the model ({words} words); left unchanged")
    if len(long) > MAX_WARNINGS:
        job.warnings.append(f"{name}: {len(long) - MAX_WARNINGS} more segments too long for the model; left unchanged")
    segments = [accept_confident(s, threshold) for s in propose(doc, suggester, job.sources, 0.0, tick)]
    if args.diff:
        diff = [f"{name}:{doc.line_of(i)}: {word_diff(s, s.accepted())}" for i, s in enumerate(segments) if s.accepted()]
        data = "".join(line + "\n" for line in diff).encode("utf-8")
    else:
        changed = {i: s.corrected() for i, s in enumerate(segments) if s.accepted()}
        data = job.file.encode(doc.render(changed, reviewed=False))
    if job.out is not None:
        job.out.parent.mkdir(parents=True, exist_ok=True)
    _emit(job, data, args.in_place)
    return segments, long


@dataclass
class Tally:
    """What ``correct`` did, for the summary line and the report."""

    files: int = 0
    failed: int = 0
    segments: int = 0
    applied: int = 0
    proposed: int = 0
    retranslated: int = 0
    source_words: int = 0
    long: int = 0
    rows: list[dict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    memory: list[tuple[str, str]] = field(default_factory=list)  # (source, final text), for --tmx

    def add(self, job: Job, segments: list[Segment], long: list[int]) -> None:
        self.files += 1
        self.rows += report_rows(job.file.path, job.document, segments)
        self.segments += len(segments)
        self.applied += sum(len(s.accepted()) for s in segments)
        self.proposed += sum(len(s.edits) for s in segments)
        self.retranslated += sum(e.category == RETRANSLATION for s in segments for e in s.accepted())
        self.source_words += sum(e.category == SOURCE_WORD for s in segments for e in s.accepted())
        self.long += len(long)
        self.messages += job.warnings
        self.memory += [(s.source, s.corrected()) for s in segments if s.source]

    def summary(self, threshold: float) -> str:
        line = (f"{plural(self.files, 'file')}, {plural(self.segments, 'segment')}, "
                f"{plural(self.applied, 'edit')} applied of {self.proposed} proposed (min confidence {threshold:.2f})")
        if self.retranslated:
            line += f", {self.retranslated} of them {'a segment' if self.retranslated == 1 else 'segments'} retranslated from the source"
        if self.source_words:
            n = self.source_words
            words = (plural(n, "word") if self.retranslated else f"{n} of them {'a word' if n == 1 else 'words'}")
            line += f", {words} from the source's translation"
        if self.long:
            line += f"; {self.long} too long, left unchanged"
        if self.failed:
            line += f"; {plural(self.failed, 'file')} failed"
        return line


def run(jobs: list[Job], suggester: Suggester, threshold: float, args) -> Tally:
    """Correct every prepared job, under a progress bar for long inputs."""
    tally = Tally()
    total = sum(len(j.document.spans) for j in jobs)
    bar = progress_bar(total)
    tick = None
    if bar:
        task = bar.add_task("correct", total=total)
        tick = lambda n: bar.advance(task, n)  # noqa: E731
    with bar if bar else contextlib.nullcontext():
        for job in jobs:
            try:
                segments, long = correct_job(job, suggester, threshold, args, tick)
                tally.add(job, segments, long)
                if args.report:  # the QA checks' findings on the corrected text go with the edits
                    from posteditor.core import qa

                    skip = qa.parse_checks(args.no_check)
                    tally.rows += qa.report_rows(job.file.path, job.document, segments,
                                                 suggester.terms, skip)
                    if "doubt" not in skip and suggester.flags_words:  # the model's words to check
                        todo = sorted(set(range(len(segments))) - set(long))
                        doubts = suggester.doubts([Item(segments[i].text, segments[i].source, job.document.language)
                                                   for i in todo])
                        tally.rows += qa.doubt_rows(job.file.path, job.document, segments, dict(zip(todo, doubts)))
            except OSError as exc:
                tally.failed += 1
                tally.messages.append(f"{job.path}: cannot write output ({exc.strerror or exc})")
    return tally


def build_suggester(model: str | None, use_memory: bool, terms=None, min_confidence: float | None = None,
                    everything: bool = True, sourced: bool = True, check_below: float | None = None) -> Suggester:
    """The batch suggester: the model, its checks against the source, the memory's confirmed fixes, the glossary.

    ``everything=False`` leaves out the parts whose edits can never reach the threshold in
    force (``combine.applying``) on the segments to correct (given with sources, or none
    when not ``sourced``): the model without an edit scorer, or one whose scorer judges only
    edits made with sources, on files without. What is written is the same; only a report
    of every proposal needs them run.
    """
    suggester = load_suggester(model, use_memory=use_memory, check_below=check_below)
    memory = suggester.memory if isinstance(suggester, Combined) else None
    if memory is not None:  # in batch, only fixes the editor confirmed (review shows the others)
        memory.confirmed_only = True
    if not everything:
        threshold = resolve_threshold(min_confidence, suggester.info)
        kept = applying(suggester, threshold, sourced)
        if kept is not suggester:  # only the model can reach less than 1 (no edit scorer, or no sources)
            ceiling = max(s.reach(sourced) for s in kept.left_out)
            unsourced = "" if all(s.reach(True) == s.reach(False) for s in kept.left_out) else " without sources"
            print(f"posteditor: the model's word edits are at most {ceiling:.2f} sure{unsourced}, below the threshold "
                  f"{threshold:.2f}, so none was looked for (--report lists them; review shows them)",
                  file=sys.stderr)
            suggester = kept
    if terms:
        from posteditor.suggest.glossary import Glossed

        suggester = Glossed(suggester, terms)
    return suggester


def main(args) -> int:
    jobs = plan(args)
    for job in jobs:
        if job.error is None:
            _prepare(job, args)
        if job.error:
            print(f"posteditor: {job.error}", file=sys.stderr)
    ready = [j for j in jobs if j.error is None]
    if not ready:
        return 2
    terms = None
    if args.no_check:  # an unknown check id is a usage error, before any model loads
        from posteditor.core.qa import parse_checks

        parse_checks(args.no_check)
    if args.source_language and args.source_language not in (known := model_meta(args.model).languages):
        print(f"posteditor: the model has no words to check of its own for {args.source_language!r}"
              f"{' (it has them for ' + ', '.join(known) + ')' if known else ''}; the shared probe and bar check them",
              file=sys.stderr)
    if args.glossary:
        from posteditor.core.terms import read_glossary

        terms = read_glossary(args.glossary)
    if args.engine == "ray":  # the same suggester, built once on each Ray worker
        from functools import partial

        from posteditor.commands.ray_engine import suggest_with_ray

        items = [Item(t, s, j.document.language) for j in ready
                 for t, s in zip(j.document.segments, j.sources or [None] * len(j.document.segments))]
        # Every part runs on the workers: the line saying what was left out would not reach this terminal.
        make = partial(build_suggester, args.model, not args.no_memory, terms, check_below=args.check_below)
        suggester = suggest_with_ray(items, make, args.workers, args.ray_address, terms or ())
    else:
        sourced = any(s and s.strip() for j in ready for s in j.sources or ())
        suggester = build_suggester(args.model, not args.no_memory, terms, args.min_confidence, bool(args.report), sourced,
                                    check_below=args.check_below)
    threshold = resolve_threshold(args.min_confidence, suggester.info)
    tally = run(ready, suggester, threshold, args)
    tally.failed += len(jobs) - len(ready)
    for line in tally.messages:  # after the progress bar, so each stays one line
        print(f"posteditor: {line}", file=sys.stderr)
    if args.report:
        try:
            atomic_write(args.report, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in tally.rows))
        except OSError as exc:
            print(f"posteditor: {args.report}: cannot write the report ({exc.strerror or exc})", file=sys.stderr)
            tally.failed += 1
    if args.tmx:
        from posteditor.core.formats import tmx

        try:
            atomic_write(args.tmx, tmx(tally.memory))
        except OSError as exc:
            print(f"posteditor: {args.tmx}: cannot write the memory ({exc.strerror or exc})", file=sys.stderr)
            tally.failed += 1
    print(f"posteditor: {tally.summary(threshold)}", file=sys.stderr)
    return 2 if tally.failed else 1 if tally.long else 0
