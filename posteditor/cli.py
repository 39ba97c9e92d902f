"""The ``posteditor`` command line: parse arguments, then hand over to one function.

Heavy imports (torch, transformers, textual) happen inside the commands so that
``posteditor --help`` answers at once.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys

from posteditor import __version__
from posteditor.core import paths


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (``posteditor correct: --min-confidence: ...``)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def probability(text: str) -> float:
    """A threshold: a finite number from 0 to 1 ("nan", "inf", "5" are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text}: give a number from 0 to 1")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give a positive number")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: give a positive number")
    return value


def language(text: str) -> str:
    """A language tag, keyed as the model keys languages ("ro-RO" -> "ro")."""
    from posteditor.core.languages import language_code

    try:
        return language_code(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="DIR", help="model folder (default: the current model under models/)")


def _add_confidence(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--min-confidence",
        type=probability,
        metavar="P",
        help="apply only edits at least this confident (default: the model's threshold, chosen on dev)",
    )


def _add_glossary(p: argparse.ArgumentParser) -> None:
    p.add_argument("--glossary", metavar="TERMS.tsv",
                   help="terms to respect: source term, required English term, forbidden variants (a|b), note")


def _add_checks(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-check", action="append", metavar="ID",
                   help="switch a QA check off (repeat, or ID,ID): numbers, names, brackets, quotes, doubled, "
                        "consistency, glossary, doubt (the model's words to check)")
    p.add_argument("--check-below", type=probability, metavar="P",
                   help="words to check: the words a post-editor would keep with probability below P "
                        "(default: the model's bar, chosen on dev, or a fine-tuned version's for each reading, with "
                        "the source and without, chosen on the editor's held-out corrections; this sets both; the "
                        "model card lists how many each bar flags, and how many of those post-editors changed)")
    p.add_argument("--source-language", type=language, metavar="LANG",
                   help="the language the text was translated from (ro, et, ru, ...; default: an XLIFF file's "
                        "source-language): words to check are then found by that language's own probe and bar, "
                        "where the model has them (the model card lists them; others use the shared ones)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="posteditor",
        description="Find and fix the errors machine translation leaves in English text.",
    )
    parser.add_argument("--version", action="version", version=f"posteditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser(
        "correct", help="correct files in batch, applying only confident edits",
        epilog="exit status: 0 every file corrected; 1 every file written, but some segments were too long "
               "for the model and left unchanged (reported on stderr); 2 a file could not be read or written",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="text files to correct ('-' reads stdin)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT", help="write here (a folder when several files are given)")
    out.add_argument("--in-place", action="store_true",
                     help="rewrite each file (through a symlink: the file it names), keeping the original as FILE~ "
                          "(later runs: FILE.~1~, FILE.~2~ ...)")
    p.add_argument("--format", choices=("auto", "txt", "md", "lines", "xliff", "po", "srt"), default="auto",
                   help="txt: sentences in paragraphs; md: Markdown, markup left alone; lines: one segment per line; "
                        "xliff, po, srt: the target units (auto from .xlf/.xliff/.po/.pot/.srt)")
    p.add_argument("--source", metavar="SRC", help="the source text: one sentence per line, a line for each segment "
                   "(with --format lines, line N is the source of line N)")
    _add_confidence(p)
    p.add_argument("--diff", action="store_true", help="print the applied edits as a word diff instead of the text")
    p.add_argument("--report", metavar="EDITS.jsonl", help="write every proposed edit, applied or not, "
                   "every QA issue of the corrected text and the words the model doubts, as JSON lines")
    p.add_argument("--tmx", metavar="OUT.tmx", help="also write each segment's source and corrected text "
                   "as a TMX translation memory (segments with a source only)")
    _add_glossary(p)
    _add_checks(p)
    p.add_argument("--no-memory", action="store_true", help="do not apply the correction memory "
                   "(fixes the editor made in review and confirmed twice; see README)")
    _add_model(p)
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: this process; ray: workers on Ray, each loading the model once "
                        "(needs posteditor[ray]; see docs/cluster.md)")
    p.add_argument("--ray-address", metavar="ADDR", help="with --engine ray: join this Ray cluster "
                   "(default: start Ray on this machine's cores)")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="with --engine ray: model workers (default: one per CPU of the Ray cluster)")

    p = sub.add_parser("evaluate", help="score the corrector against post-edits (TER, chrF, BLEU)")
    p.add_argument("--mt", required=True, metavar="F", help="machine translation, one segment per line")
    p.add_argument("--ref", required=True, metavar="F", help="post-edits or references, aligned with --mt")
    p.add_argument("--source", metavar="F", help="source sentences, aligned with --mt")
    p.add_argument("--tokenized", choices=("auto", "yes", "no"), default="auto",
                   help="whether the files are Moses-tokenized (detokenized before scoring)")
    p.add_argument("--limit", type=positive_int, metavar="N", help="score only the first N segments")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    _add_confidence(p)
    _add_model(p)

    p = sub.add_parser("train", help="build the training corpus and train the correction model (a LoRA adapter)")
    p.add_argument("--recipe", default=str(paths.PROJECT_ROOT / "corpora" / "default.toml"), help="corpus recipe")
    p.add_argument("--data", default=str(paths.data_root()), help="shared data folder (default: ../shared/data)")
    p.add_argument("--corpus", metavar="DIR", help="built corpus folder (default: corpora/build/<recipe>)")
    p.add_argument("--out", metavar="DIR", help="the new model folder (default: models/lm-YYYYMMDD-HHMM); "
                   "never an existing model")
    p.add_argument("--work", default=str(paths.models_dir() / ".work" / "lm"), metavar="DIR",
                   help="checkpoints: a run stopped for any reason resumes from here (default: models/.work/lm)")
    p.add_argument("--init", metavar="DIR", help="continue from this model's adapter instead of a new one")
    p.add_argument("--max-steps", type=positive_int, help="optimiser steps in all, across resumes")
    p.add_argument("--max-minutes", type=positive_float, help="stop this run after so many minutes (checkpointed)")
    p.add_argument("--batch-size", type=positive_int, help="examples per step (default 16)")
    p.add_argument("--learning-rate", type=positive_float, help="learning rate (default 4e-4)")
    p.add_argument("--threads", type=positive_int, help="CPU threads (default: all)")
    p.add_argument("--dev-limit", type=positive_int, default=1000, metavar="N",
                   help="calibrate on the first N dev pairs (default 1000)")

    p = sub.add_parser("calibrate", help="fit a model's edit scorer and choose its confidence threshold on dev data")
    p.add_argument("--dev", metavar="F", help="dev pairs as JSON lines with mt, pe, src, origin "
                   "(default: the dev split of the model's training corpus)")
    p.add_argument("--limit", type=int, metavar="N", help="use only the first N dev pairs (the words to check are "
                   "refitted on them too: fewer pairs fit a weaker probe; python -m posteditor.learn.doubts fits it "
                   "alone, on all of dev)")
    _add_model(p)

    p = sub.add_parser("corpus", help="build the training corpus of a recipe (train does this when needed)")
    p.add_argument("--recipe", default=str(paths.PROJECT_ROOT / "corpora" / "default.toml"), help="corpus recipe")
    p.add_argument("--data", default=str(paths.data_root()), help="shared data folder (default: ../shared/data)")
    p.add_argument("--out", metavar="DIR", help="where to build (default: corpora/build/<recipe>)")

    p = sub.add_parser("review", help="walk through the proposed edits of a file in the terminal editor",
                       epilog="decisions are journalled as they are made (.FILE.posteditor-journal beside the file), "
                              "so a crash loses nothing; saving keeps the original as FILE~")
    p.add_argument("file", metavar="FILE", help="the text to review and save in place (UTF-8, or UTF-16/32 with a "
                   "byte-order mark; a symlink edits the file it names)")
    p.add_argument("--source", metavar="SRC", help="the source text: one sentence per line, a line for each segment "
                   "(with --format lines, line N is the source of line N)")
    p.add_argument("--format", choices=("auto", "txt", "md", "lines", "xliff", "po", "srt"), default="auto",
                   help="auto: md for .md/.markdown, xliff/po/srt by extension, else txt; txt: sentences in paragraphs; "
                        "md: Markdown, markup left alone; lines: one segment per line; xliff, po, srt: the target units")
    _add_glossary(p)
    _add_checks(p)
    _add_confidence(p)
    p.add_argument("--no-memory", action="store_true", help="do not propose fixes from the correction memory")
    _add_model(p)

    p = sub.add_parser("report", help="post-editing effort on a reviewed file: suggestions, HTER, time")
    p.add_argument("file", metavar="FILE", help="the reviewed document (its journal lies beside it)")
    p.add_argument("--html", metavar="OUT.html", help="also write an HTML page with a per-segment chart")
    p.add_argument("--log", metavar="LOG", help="corrections log, read when the journal is gone "
                   "(default: corpora/corrections.jsonl)")

    p = sub.add_parser("finetune", help="teach the model from the editor's corrections")
    p.add_argument("--corrections", nargs="*", metavar="PATH",
                   help="corrections logs (default: corpora/corrections.jsonl); of a segment several hold, the latest record wins")
    p.add_argument("--mt", metavar="F", help="plain parallel files: MT ...")
    p.add_argument("--pe", metavar="F", help="... and its post-edit, line by line")
    p.add_argument("--src", metavar="F", help="... and, optionally, the source sentences")
    p.add_argument("--source-language", type=language, metavar="LANG",
                   help="... and the language they were translated from (default: the --src sentences' own, where "
                        "they tell it): its own words to check learn from them")
    p.add_argument("--out", metavar="NAME", help="name of the new model version (default: ft-YYYYMMDD-HHMM); "
                   "the name of an interrupted run resumes it")
    p.add_argument("--epochs", type=positive_float, default=3.0, metavar="N", help="passes over the corrections (default 3)")
    _add_model(p)

    p = sub.add_parser("models", help="list model versions and switch between them")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True, parser_class=Parser)
    msub.add_parser("list", help="list the model versions and their metrics")
    use = msub.add_parser("use", help="make NAME the current model")
    use.add_argument("name")
    msub.add_parser("rollback", help="go back to the previous current model")
    return parser


COMMANDS = {
    "correct": "posteditor.commands.correct:main",
    "evaluate": "posteditor.commands.evaluate:main",
    "train": "posteditor.commands.train:main",
    "corpus": "posteditor.commands.train:build",
    "calibrate": "posteditor.commands.train:recalibrate",
    "review": "posteditor.tui.app:main",
    "report": "posteditor.commands.report:main",
    "finetune": "posteditor.commands.finetune:main",
    "models": "posteditor.commands.models:main",
}


def _guard_stdio() -> list[str]:
    """Names of the standard streams the caller closed (``<&-``, ``>&-``).

    Each closed descriptor gets /dev/null, so no file opened later takes its number (a model
    library writing to descriptor 1 would otherwise write into our output file), and a closed
    stderr becomes a stream to /dev/null, as ``print(file=sys.stderr)`` would otherwise print
    to stdout.
    """
    closed = []
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(name)
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stderr is None or "stderr" in closed:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    if "stdin" in closed:
        sys.stdin = None
    if "stdout" in closed:
        sys.stdout = None
    return closed


def _writes_stdout(args) -> bool:
    """Whether the command's result goes to stdout (so it cannot run with stdout closed)."""
    if args.command == "correct":
        return not (args.output or args.in_place)
    return args.command in ("evaluate", "models", "finetune", "review")


def check_args(args) -> None:
    """What argparse cannot check, before any work starts: counts and paths."""
    from pathlib import Path

    from posteditor.core.textio import InputError, check_input

    for name in ("max_steps", "batch_size"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise InputError(f"--{name.replace('_', '-')} {value}: give a positive number")
    if getattr(args, "threads", None) is not None and args.threads < 0:
        raise InputError(f"--threads {args.threads}: give 0 (all cores) or a positive number")
    if getattr(args, "learning_rate", None) is not None and not (math.isfinite(args.learning_rate) and args.learning_rate > 0):
        raise InputError(f"--learning-rate {args.learning_rate}: give a positive number")
    if args.command == "calibrate" and args.limit is not None and args.limit < 1:
        raise InputError(f"--limit {args.limit}: give a positive number of pairs")
    if args.command == "correct" and args.engine != "ray" and (args.ray_address or args.workers):
        raise InputError("--ray-address and --workers go with --engine ray")
    if args.command == "correct" and args.engine == "ray":
        import importlib.util

        from posteditor.commands.ray_engine import INSTALL

        if importlib.util.find_spec("ray") is None:
            raise InputError(INSTALL)
    model = getattr(args, "model", None)
    if model and not Path(model).is_dir():
        raise InputError(f"{model}: no model there; train one with 'posteditor train' or give --model DIR")
    if args.command == "finetune":
        from posteditor.model.versions import check_name

        for name in ("mt", "pe", "src"):
            if getattr(args, name, None):
                check_input(getattr(args, name))
        if bool(args.mt) != bool(args.pe):
            raise InputError("--mt and --pe go together: the MT and its post-edit, line by line")
        if args.source_language and not args.mt:
            raise InputError("--source-language goes with --mt and --pe (a corrections log keeps each document's own)")
        for log in args.corrections or ():
            check_input(log)
        if args.out:
            check_name(args.out)


def main(argv: list[str] | None = None) -> int:
    closed = _guard_stdio()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, a usage error: already said
        return exc.code if isinstance(exc.code, int) else 2
    if not args.command:
        if sys.stdout is not None:
            parser.print_help()
        return 0
    import importlib

    module, func = COMMANDS[args.command].split(":")
    from posteditor.core.textio import InputError

    previous = _on_terminate()
    try:
        if "stdout" in closed and _writes_stdout(args):
            raise InputError("stdout is closed; give -o FILE or redirect output (> FILE)"
                             if args.command == "correct" else f"stdout is closed; {args.command} prints its results there")
        check_args(args)
        return int(getattr(importlib.import_module(module), func)(args) or 0)
    except InputError as exc:
        print(f"posteditor: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (| head): nothing more can be written there, not even at exit.
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        print("posteditor: output closed early (broken pipe)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("posteditor: interrupted", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _on_terminate():
    """SIGTERM (kill, a closing session) stops the command as Ctrl+C does, so temporary files
    are removed on the way out; returns the handler it replaced (None off the main thread)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":
    sys.exit(main())
