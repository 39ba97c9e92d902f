"""The ``posteditor`` command line: parse arguments, then hand over to one function.

Heavy imports (torch, transformers, textual) happen inside the commands so that
``posteditor --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys

from posteditor import __version__, paths


def _add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="DIR", help="model folder (default: the current model under models/)")


def _add_confidence(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--min-confidence",
        type=float,
        metavar="P",
        help="apply only edits at least this confident (default: the model's threshold, chosen on dev)",
    )


def _add_glossary(p: argparse.ArgumentParser) -> None:
    p.add_argument("--glossary", metavar="TERMS.tsv",
                   help="terms to respect: source term, required English term, forbidden variants (a|b), note")


def _add_checks(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-check", action="append", metavar="ID",
                   help="switch a QA check off (repeat, or ID,ID): numbers, names, brackets, quotes, doubled, "
                        "consistency, glossary")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posteditor",
        description="Find and fix the errors machine translation leaves in English text.",
    )
    parser.add_argument("--version", action="version", version=f"posteditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "correct", help="correct files in batch, applying only confident edits",
        epilog="exit status: 0 every file corrected; 1 every file written, but some segments were too long "
               "for the model and left unchanged (reported on stderr); 2 a file could not be read or written",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="text files to correct ('-' reads stdin)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT", help="write here (a folder when several files are given)")
    out.add_argument("--in-place", action="store_true", help="rewrite each file, keeping a backup FILE~")
    p.add_argument("--format", choices=("auto", "txt", "md", "lines", "xliff", "po", "srt"), default="auto",
                   help="txt: sentences in paragraphs; md: Markdown, markup left alone; lines: one segment per line; "
                        "xliff, po, srt: the target units (auto from .xlf/.xliff/.po/.pot/.srt)")
    p.add_argument("--source", metavar="SRC", help="the source text, one sentence per line aligned with the segments (lines format)")
    _add_confidence(p)
    p.add_argument("--diff", action="store_true", help="print the applied edits as a word diff instead of the text")
    p.add_argument("--report", metavar="EDITS.jsonl", help="write every proposed edit, applied or not, "
                   "and every QA issue of the corrected text, as JSON lines")
    p.add_argument("--tmx", metavar="OUT.tmx", help="also write each segment's source and corrected text "
                   "as a TMX translation memory (segments with a source only)")
    _add_glossary(p)
    _add_checks(p)
    p.add_argument("--no-memory", action="store_true", help="do not use the correction memory")
    _add_model(p)

    p = sub.add_parser("evaluate", help="score the corrector against post-edits (TER, chrF, BLEU)")
    p.add_argument("--mt", required=True, metavar="F", help="machine translation, one segment per line")
    p.add_argument("--ref", required=True, metavar="F", help="post-edits or references, aligned with --mt")
    p.add_argument("--source", metavar="F", help="source sentences, aligned with --mt")
    p.add_argument("--tokenized", choices=("auto", "yes", "no"), default="auto",
                   help="whether the files are Moses-tokenized (detokenized before scoring)")
    p.add_argument("--limit", type=int, metavar="N", help="score only the first N segments")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    _add_confidence(p)
    _add_model(p)

    p = sub.add_parser("train", help="build the training corpus and train a model from scratch")
    p.add_argument("--recipe", default=str(paths.PROJECT_ROOT / "corpora" / "default.toml"), help="corpus recipe")
    p.add_argument("--data", default=str(paths.data_root()), help="shared data folder (default: ../shared/data)")
    p.add_argument("--corpus", metavar="DIR", help="built corpus folder (default: corpora/build/<recipe>)")
    p.add_argument("--out", default=str(paths.models_dir() / "default"), help="where the model goes")
    p.add_argument("--max-steps", type=int, help="optimiser steps")
    p.add_argument("--batch-size", type=int, help="examples per step")
    p.add_argument("--learning-rate", type=float, help="peak learning rate (default 1e-3; lower to continue a model)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: all)")
    p.add_argument("--init", metavar="DIR", help="continue training this model (its weights and tokenizer) instead of a new one")

    p = sub.add_parser("calibrate", help="fit a model's edit scorer and choose its confidence threshold on dev data")
    p.add_argument("--dev", metavar="F", help="dev pairs as JSON lines with mt, pe, src, origin "
                   "(default: the dev split of the model's training corpus)")
    p.add_argument("--limit", type=int, metavar="N", help="use only the first N dev pairs")
    _add_model(p)

    p = sub.add_parser("corpus", help="build the training corpus of a recipe (train does this when needed)")
    p.add_argument("--recipe", default=str(paths.PROJECT_ROOT / "corpora" / "default.toml"), help="corpus recipe")
    p.add_argument("--data", default=str(paths.data_root()), help="shared data folder (default: ../shared/data)")
    p.add_argument("--out", metavar="DIR", help="where to build (default: corpora/build/<recipe>)")

    p = sub.add_parser("review", help="walk through the proposed edits of a file in the terminal editor")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--source", metavar="SRC", help="the source text, one sentence per line aligned with the segments")
    p.add_argument("--format", choices=("auto", "txt", "md", "xliff", "po", "srt"), default="auto")
    _add_glossary(p)
    _add_checks(p)
    _add_confidence(p)
    p.add_argument("--no-memory", action="store_true", help="do not use the correction memory")
    _add_model(p)

    p = sub.add_parser("report", help="post-editing effort on a reviewed file: suggestions, HTER, time")
    p.add_argument("file", metavar="FILE", help="the reviewed document (its journal lies beside it)")
    p.add_argument("--html", metavar="OUT.html", help="also write an HTML page with a per-segment chart")
    p.add_argument("--log", metavar="LOG", help="corrections log, read when the journal is gone "
                   "(default: corpora/corrections.jsonl)")

    p = sub.add_parser("finetune", help="teach the model from the editor's corrections")
    p.add_argument("--corrections", nargs="*", metavar="PATH", help="corrections logs (default: corpora/corrections.jsonl)")
    p.add_argument("--mt", metavar="F", help="plain parallel files: MT ...")
    p.add_argument("--pe", metavar="F", help="... and its post-edit, line by line")
    p.add_argument("--src", metavar="F", help="... and, optionally, the source sentences")
    p.add_argument("--out", metavar="NAME", help="name of the new model version (default: ft-YYYYMMDD-HHMM); "
                   "the name of an interrupted run resumes it")
    p.add_argument("--epochs", type=float, default=3.0, metavar="N", help="passes over the corrections (default 3)")
    _add_model(p)

    p = sub.add_parser("models", help="list model versions and switch between them")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    msub.add_parser("list", help="list the model versions and their metrics")
    use = msub.add_parser("use", help="make NAME the current model")
    use.add_argument("name")
    msub.add_parser("rollback", help="go back to the previous current model")
    return parser


COMMANDS = {
    "correct": "posteditor.correct:main",
    "evaluate": "posteditor.evaluate:main",
    "train": "posteditor.training_cli:main",
    "corpus": "posteditor.training_cli:build",
    "calibrate": "posteditor.training_cli:recalibrate",
    "review": "posteditor.tui.app:main",
    "report": "posteditor.effort:main",
    "finetune": "posteditor.finetune:main",
    "models": "posteditor.versions:main",
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    import importlib

    module, func = COMMANDS[args.command].split(":")
    from posteditor.textio import InputError

    try:
        return int(getattr(importlib.import_module(module), func)(args) or 0)
    except InputError as exc:
        print(f"posteditor: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("posteditor: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
