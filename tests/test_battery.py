"""The bad-input battery: unusual inputs, outputs, options and signals across the commands.

Every case runs the real command line (``cli.main``, or ``tests/battery_cli.py`` in a process
of its own where descriptors or signals are involved) with a fake suggester instead of the
model, in a folder holding one of every kind of thing a user may point posteditor at: text in
several encodings, binary files, a FIFO, a socket, symlinks (good, dangling, looping), a
folder. Each case checks the exit status, that an error is one line starting "posteditor"
(never a traceback), that no hang happens (a timeout fails the case), and that afterwards
every file, link and special file in the folder is exactly as before, except the outputs the
case expects, and no temporary file is left behind.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from posteditor import cli
from tui_fakes import ARTICLE, TableSuggester, settled

HERE = Path(__file__).resolve().parent
FIXED = ARTICLE.replace("world", "region").replace("informations", "information")
FIRST_FIXED = ARTICLE.replace("world", "region", 1)  # review: the first edit accepted, then saved
LONG = " ".join(["word"] * 300) + ".\n"
MD = "# The world\n\nThe world of `code` stays. Informations are [here](http://x.org/world).\n"
DEVICES = ("/dev/null", "/dev/full", "/dev/zero")


# --- the folder every case runs in --------------------------------------------------------------


def world(tmp: Path) -> None:
    """One of every kind of input, in ``tmp``."""
    files = {
        "a.txt": ARTICLE.encode(),
        "b.md": MD.encode(),
        "lines.txt": b"the world one\nthe informations two\n\nthree peoples\n",
        "src3.txt": b"uno\ndos\ntres\n",
        "src5.txt": b"s1\ns2\ns3\ns4\ns5\n",
        "src2.txt": b"uno\ndos\n",
        "empty.txt": b"",
        "blank.txt": b"  \n\n\t\n",
        "binary.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "nul_late.txt": ARTICLE.encode() * 200 + b"\x00tail\n",
        "latin1.txt": "Un café au lait in the world.\n".encode("latin-1"),
        "u8bom.txt": codecs.BOM_UTF8 + ARTICLE.encode(),
        "u16le.txt": codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"),
        "u16be.txt": codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"),
        "u32le.txt": codecs.BOM_UTF32_LE + ARTICLE.encode("utf-32-le"),
        "u16nobom.txt": ARTICLE.encode("utf-16-le"),
        "badu16.txt": codecs.BOM_UTF16_LE + b"a",
        "crlf.txt": ARTICLE.replace("\n", "\r\n").encode(),
        "cr.txt": ARTICLE.replace("\n", "\r").encode(),
        "long.txt": LONG.encode(),
        "emoji.txt": "The world 🌍 is ours. مرحبا in the world.\n".encode(),
        "punct.txt": b"... !!! ???\n",
        "mt.txt": b"The world is big.\nThe informations are scarce.\nNothing here.\n",
        "pe.txt": b"The region is big.\nThe information is scarce.\nNothing here.\n",
        "pe2.txt": b"The region is big.\nThe information is scarce.\n",
        "dir/x.txt": ARTICLE.encode(),
    }
    for name, data in files.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(data)
    os.mkfifo(tmp / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp / "sock"))
    sock.close()
    links = {"link.txt": "a.txt", "dangling": "nowhere.txt", "loop1": "loop2", "loop2": "loop1",
             "self": "self", "linkdir": "dir", "nulllink": "/dev/null", "fifolink": "fifo"}
    for name, target in links.items():
        os.symlink(target, tmp / name)
    models = tmp / "models"
    broken = models / "broken"
    broken.mkdir(parents=True)
    (broken / "model.safetensors").write_bytes(b"not weights")
    (broken / "spm.model").write_bytes(b"not a tokenizer")
    (broken / "posteditor.json").write_bytes(b"{garbage")


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root``: a file's bytes, a link's target, a special file's kind."""
    state = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(folder) / name
            st = os.lstat(path)
            rel = str(path.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                state[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                state[rel] = ("file", path.read_bytes())
            else:
                state[rel] = ("special", stat.S_IFMT(st.st_mode))
    return state


def devices() -> dict[str, tuple]:
    return {d: (stat.S_IFMT(os.stat(d).st_mode), os.stat(d).st_rdev) for d in DEVICES if os.path.exists(d)}


# --- the cases ------------------------------------------------------------------------------------


@dataclass
class Case:
    argv: list[str]
    code: int
    message: str | None = None
    """A regex the one line on stderr must match (errors)."""
    changes: dict[str, bytes | None] = field(default_factory=dict)
    """Files the case may create or change (None: any content), with what they must hold."""
    stdin: bytes | None = None
    stdout: str | None = None
    process: bool = False
    """Run in a process of its own (``battery_cli.py``)."""
    close: tuple[int, ...] = ()
    """Descriptors closed in that process (0: ``<&-``, 1: ``>&-``)."""
    check: Callable[[Path], None] | None = None
    setup: Callable[[Path], None] | None = None
    """Run in the folder before the case (after ``world``)."""


def ok(argv, stdout=None, changes=None, **kw) -> Case:
    return Case(argv, 0, stdout=stdout, changes=changes or {}, **kw)


def err(argv, message, code=2, **kw) -> Case:
    return Case(argv, code, message, **kw)


NOT_TEXT = r"binary file|NUL"
NOT_REGULAR = r"not a regular file"
JOURNAL = ".a.txt.posteditor-journal"
LOG = {"corrections.jsonl": None, "corrections.jsonl.lock": None}
SAVED = {"a.txt": FIRST_FIXED.encode(), "a.txt~": ARTICLE.encode(), JOURNAL: None, **LOG}


CASES: dict[str, Case] = {}

# correct: what it reads -------------------------------------------------------------------------
for name, case in {
    "plain": ok(["a.txt"], FIXED),
    "markdown": ok(["b.md"], MD.replace("The world of", "The region of").replace("Informations", "Informations")
                   .replace("# The world", "# The region")),
    "utf8-bom": ok(["u8bom.txt"], "\ufeff" + FIXED),
    "crlf": ok(["crlf.txt"], FIXED.replace("\n", "\r\n")),
    "cr-only": ok(["cr.txt"], FIXED.replace("\n", "\r")),
    "emoji-rtl": ok(["emoji.txt"], "The region 🌍 is ours. مرحبا in the region.\n"),
    "punctuation-only": ok(["punct.txt"], "... !!! ???\n"),
    "lines-format": ok(["--format", "lines", "lines.txt"], "the region one\nthe information two\n\nthree peoples\n"),
    "stdin": ok(["-"], FIXED, stdin=ARTICLE.encode()),
    "stdin-lines": ok(["--format", "lines", "-"], "the region\n", stdin=b"the world\n"),
    "too-long-segment": Case(["long.txt"], 1, r"long.txt:1: segment too long for the model \(300 words\)", stdout=LONG),
    "missing": err(["nowhere.txt"], r"nowhere.txt: no such file"),
    "directory": err(["dir"], r"dir: is a directory"),
    "empty": err(["empty.txt"], r"empty.txt: file is empty"),
    "blank": err(["blank.txt"], r"blank.txt: file is empty"),
    "binary": err(["binary.png"], NOT_TEXT),
    "nul-after-8k": err(["nul_late.txt"], r"NUL byte \(byte 38800\)"),
    "latin1": err(["latin1.txt"], r"not valid UTF-8 \(byte 6\); convert it first, e\.g\. iconv"),
    "utf16-no-bom": err(["u16nobom.txt"], r"looks like UTF-16LE text without a byte-order mark; .*iconv -f UTF-16LE"),
    "utf16-bad": err(["badu16.txt"], r"UTF-16-LE byte-order mark but is not valid UTF-16-LE"),
    "fifo": err(["fifo"], r"fifo: is a named pipe \(FIFO\), " + NOT_REGULAR),
    "fifo-through-link": err(["fifolink"], r"named pipe"),
    "socket": err(["sock"], r"sock: is a socket"),
    "dev-null": err(["/dev/null"], r"/dev/null: is a character device"),
    "dev-zero": err(["/dev/zero"], r"/dev/zero: is a character device"),
    "dangling-link": err(["dangling"], r"dangling: dangling symlink \(its target nowhere.txt"),
    "symlink-loop": err(["loop1"], r"loop1: symlink loop"),
    "self-loop": err(["self"], r"self: symlink loop"),
    "not-a-dir-in-path": err(["a.txt/x"], r"a.txt/x: a part of the path is not a directory"),
    "name-too-long": err(["x" * 300], r"file name too long"),
    "stdin-empty": err(["-"], r"<stdin>: file is empty", stdin=b""),
    "stdin-binary": err(["-"], NOT_TEXT, stdin=b"\x00\x01\x02"),
    "given-twice": Case(["a.txt", "a.txt"], 2, None, stdout=FIXED),
    "link-and-target": Case(["-o", "out", "a.txt", "link.txt"], 2, None, changes={"out": None, "out/a.txt": FIXED.encode()}),
    "one-bad-one-good": Case(["-o", "out", "a.txt", "fifo"], 2, None, changes={"out": None, "out/a.txt": FIXED.encode()}),
}.items():
    CASES[f"correct-read-{name}"] = case
for enc in ("u16le", "u16be", "u32le"):
    codec = {"u16le": "utf-16-le", "u16be": "utf-16-be", "u32le": "utf-32-le"}[enc]
    mark = {"u16le": codecs.BOM_UTF16_LE, "u16be": codecs.BOM_UTF16_BE, "u32le": codecs.BOM_UTF32_LE}[enc]
    CASES[f"correct-read-{enc}-bom"] = ok([f"{enc}.txt", "-o", "out.txt"], changes={"out.txt": mark + FIXED.encode(codec)})
    CASES[f"correct-inplace-{enc}-bom"] = ok(["--in-place", f"{enc}.txt"], changes={
        f"{enc}.txt": mark + FIXED.encode(codec), f"{enc}.txt~": mark + ARTICLE.encode(codec)})

# correct: where it writes -----------------------------------------------------------------------
for name, case in {
    "file": ok(["a.txt", "-o", "out.txt"], changes={"out.txt": FIXED.encode()}),
    "new-folder": ok(["a.txt", "-o", "new/deeper/out.txt"], changes={"new/deeper/out.txt": FIXED.encode(),
                                                                      "new": None, "new/deeper": None}),
    "into-folder": ok(["a.txt", "-o", "dir"], changes={"dir/a.txt": FIXED.encode()}),
    "through-link-to-folder": ok(["a.txt", "-o", "linkdir"], changes={"dir/a.txt": FIXED.encode()}),
    "dev-null": err(["a.txt", "-o", "/dev/null"], r"/dev/null: is a character device, not a regular file; refusing"),
    "dev-full": err(["a.txt", "-o", "/dev/full"], r"/dev/full: is a character device"),
    "link-to-dev-null": err(["a.txt", "-o", "nulllink"], r"nulllink: is a character device"),
    "fifo": err(["a.txt", "-o", "fifo"], r"fifo: is a named pipe"),
    "socket": err(["a.txt", "-o", "sock"], r"sock: is a socket"),
    "dangling-link": err(["a.txt", "-o", "dangling"], r"dangling: dangling symlink"),
    "symlink-loop": err(["a.txt", "-o", "loop1"], r"loop1: symlink loop"),
    "the-input": err(["a.txt", "-o", "a.txt"], r"would overwrite an input file"),
    "link-to-the-input": err(["a.txt", "-o", "link.txt"], r"would overwrite an input file"),
    "under-a-file": err(["a.txt", "-o", "a.txt/out.txt"], r"a part of the path is not a directory|cannot write"),
    "several-into-a-file": err(["a.txt", "b.md", "-o", "mt.txt"], r"need -o to be a folder"),
    "several-into-a-device": err(["a.txt", "b.md", "-o", "/dev/null"], r"need -o to be a folder"),
    "stdin-into-folder": Case(["a.txt", "-", "-o", "dir"], 2, None, stdin=b"x y.\n", changes={"dir/a.txt": FIXED.encode()}),
    "report": ok(["a.txt", "-o", "out.txt", "--report", "r.jsonl"], changes={"out.txt": FIXED.encode(), "r.jsonl": None}),
    "report-on-device": err(["a.txt", "-o", "out.txt", "--report", "/dev/null"], r"/dev/null: is a character device"),
    "report-on-fifo": err(["a.txt", "--report", "fifo"], r"fifo: is a named pipe"),
    "report-no-folder": err(["a.txt", "--report", "nofolder/r.jsonl"], r"no such folder for the report"),
    "report-over-input": err(["a.txt", "--report", "a.txt"], r"the report would overwrite an input file"),
}.items():
    CASES[f"correct-write-{name}"] = case

# correct --in-place: symlinks, devices, backups ------------------------------------------------
for name, case in {
    "file": ok(["--in-place", "a.txt"], changes={"a.txt": FIXED.encode(), "a.txt~": ARTICLE.encode()}),
    "symlink-edits-its-target": Case(["--in-place", "link.txt"], 0, None, changes={
        "a.txt": FIXED.encode(), "a.txt~": ARTICLE.encode()}),
    "dev-null": err(["--in-place", "/dev/null"], r"/dev/null: is a character device"),
    "fifo": err(["--in-place", "fifo"], r"fifo: is a named pipe"),
    "link-to-dev-null": err(["--in-place", "nulllink"], r"character device"),
    "dangling": err(["--in-place", "dangling"], r"dangling symlink"),
    "loop": err(["--in-place", "loop1"], r"symlink loop"),
    "directory": err(["--in-place", "dir"], r"is a directory"),
    "stdin": err(["--in-place", "-"], r"stdin cannot be corrected in place", stdin=b"x.\n"),
    "with-diff": err(["--in-place", "--diff", "a.txt"], r"--diff prints the edits"),
    "with-output": err(["--in-place", "-o", "x.txt", "a.txt"], r"not allowed with argument"),
}.items():
    CASES[f"correct-inplace-{name}"] = case


def _older_backup(tmp: Path) -> None:
    (tmp / "a.txt~").write_bytes(b"an older backup\n")  # FILE~ exists: keep it, number the next


def _two_older_backups(tmp: Path) -> None:
    _older_backup(tmp)
    (tmp / "a.txt.~1~").write_bytes(b"the second\n")


CASES["correct-inplace-keeps-an-older-backup"] = Case(
    ["--in-place", "a.txt"], 0, None, setup=_older_backup,
    changes={"a.txt": FIXED.encode(), "a.txt.~1~": ARTICLE.encode()})
CASES["correct-inplace-numbers-the-next-backup"] = Case(
    ["--in-place", "a.txt"], 0, None, setup=_two_older_backups,
    changes={"a.txt": FIXED.encode(), "a.txt.~2~": ARTICLE.encode()})

# correct: options ---------------------------------------------------------------------------------
for value in ("nan", "inf", "-inf", "-0.1", "5", "1.5", "abc", "1e400", ""):
    CASES[f"correct-option-min-confidence-{value or 'empty'}"] = err(
        ["a.txt", "--min-confidence", value], r"posteditor correct: argument --min-confidence")
for name, case in {
    "format-bogus": err(["a.txt", "--format", "pdf"], r"argument --format: invalid choice"),
    "no-files": err([], r"the following arguments are required: FILE"),
    "unknown-option": err(["a.txt", "--fast"], r"unrecognized arguments: --fast"),
    "source-short": err(["a.txt", "--source", "src2.txt"], r"src2.txt has 2 non-empty lines but a.txt has 5 sentences"),
    "source-lines-short": err(["--format", "lines", "lines.txt", "--source", "src2.txt"],
                              r"src2.txt has 2 lines but lines.txt has 4; with --format lines"),
    "source-ok": ok(["a.txt", "--source", "src5.txt"], FIXED),
    "source-fifo": err(["a.txt", "--source", "fifo"], r"fifo: is a named pipe"),
    "source-missing": err(["a.txt", "--source", "nowhere"], r"nowhere: no such file"),
    "source-with-two-files": err(["a.txt", "b.md", "--source", "src3.txt"], r"--source goes with exactly one input"),
    "model-missing": err(["a.txt", "--model", "nomodel"], r"nomodel: no model there"),
    "model-is-a-file": err(["a.txt", "--model", "a.txt"], r"a.txt: no model there"),
    "diff": ok(["a.txt", "--diff"], "a.txt:1: The war in the [-world-]{+region+}(0.90) has displaced millions.\n"
                                    "a.txt:2: Aid workers say the [-world-]{+region+}(0.90) must act now.\n"
                                    "a.txt:4: The [-informations-]{+information+}(0.80) are scarce.\n"
                                    "a.txt:5: Officials in the [-world-]{+region+}(0.90) capital met on Monday.\n"),
}.items():
    CASES[f"correct-option-{name}"] = case

# correct: closed descriptors, pipes, signals (a process of its own) ----------------------------------
for name, case in {
    "stdin-closed": err(["-"], r"-: stdin is closed", process=True, close=(0,)),
    "stdout-closed": err(["a.txt"], r"stdout is closed; give -o FILE", process=True, close=(1,)),
    "stdout-closed-with-output": ok(["a.txt", "-o", "out.txt"], process=True, close=(1,),
                                    changes={"out.txt": FIXED.encode()}),
    "stdin-closed-file-input": ok(["a.txt"], FIXED, process=True, close=(0,)),
}.items():
    CASES[f"correct-stdio-{name}"] = case

# review (headless: the app runs without a terminal, pressing a, s, q) ------------------------------
for name, case in {
    "save": ok(["review", "a.txt"], changes=SAVED),
    "symlink-edits-its-target": ok(["review", "link.txt"], changes=SAVED),
    "utf16": ok(["review", "u16le.txt"], changes={
        "u16le.txt": codecs.BOM_UTF16_LE + FIRST_FIXED.encode("utf-16-le"),
        "u16le.txt~": codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"),
        ".u16le.txt.posteditor-journal": None, **LOG}),
    "lines-format": ok(["review", "--format", "lines", "lines.txt"], changes={
        "lines.txt": b"the region one\nthe informations two\n\nthree peoples\n",
        "lines.txt~": None, ".lines.txt.posteditor-journal": None, **LOG}),
    "missing": err(["review", "nowhere.txt"], r"no such file"),
    "directory": err(["review", "dir"], r"is a directory"),
    "empty": err(["review", "empty.txt"], r"file is empty"),
    "binary": err(["review", "binary.png"], NOT_TEXT),
    "latin1": err(["review", "latin1.txt"], r"not valid UTF-8"),
    "utf16-no-bom": err(["review", "u16nobom.txt"], r"UTF-16LE text without a byte-order mark"),
    "fifo": err(["review", "fifo"], r"is a named pipe"),
    "dev-null": err(["review", "/dev/null"], r"is a character device"),
    "dev-zero": err(["review", "/dev/zero"], r"is a character device"),
    "socket": err(["review", "sock"], r"is a socket"),
    "dangling": err(["review", "dangling"], r"dangling symlink"),
    "loop": err(["review", "loop1"], r"symlink loop"),
    "stdin": err(["review", "-"], r"review needs a file to save to"),
    "source-short": err(["review", "a.txt", "--source", "src2.txt"], r"src2.txt has 2 non-empty lines but"),
    "source-fifo": err(["review", "a.txt", "--source", "fifo"], r"named pipe"),
    "min-confidence-nan": err(["review", "a.txt", "--min-confidence", "nan"], r"argument --min-confidence"),
    "min-confidence-2": err(["review", "a.txt", "--min-confidence", "2"], r"argument --min-confidence"),
    "format-bogus": err(["review", "a.txt", "--format", "doc"], r"invalid choice"),
    "model-missing": err(["review", "a.txt", "--model", "nomodel"], r"no model there"),
    "no-terminal": err(["review", "a.txt"], r"review needs a terminal, and stdin is closed", process=True, close=(0,)),
    "stdout-closed": err(["review", "a.txt"], r"stdout is closed", process=True, close=(1,)),
}.items():
    CASES[f"review-{name}"] = case

# evaluate -----------------------------------------------------------------------------------------
EV = ["evaluate", "--mt", "mt.txt", "--ref", "pe.txt"]
for name, case in {
    "ok": Case(EV, 0, None, stdout=None),
    "missing-mt": err(["evaluate", "--mt", "nowhere", "--ref", "pe.txt"], r"nowhere: no such file"),
    "ref-fifo": err(["evaluate", "--mt", "mt.txt", "--ref", "fifo"], r"fifo: is a named pipe"),
    "mt-dev-zero": err(["evaluate", "--mt", "/dev/zero", "--ref", "pe.txt"], r"character device"),
    "mt-binary": err(["evaluate", "--mt", "binary.png", "--ref", "pe.txt"], NOT_TEXT),
    "mt-dir": err(["evaluate", "--mt", "dir", "--ref", "pe.txt"], r"is a directory"),
    "mt-loop": err(["evaluate", "--mt", "loop1", "--ref", "pe.txt"], r"symlink loop"),
    "misaligned": err(["evaluate", "--mt", "mt.txt", "--ref", "pe2.txt"], r"mt.txt has 3 lines but pe2.txt has 2"),
    "source-misaligned": err([*EV, "--source", "src2.txt"], r"src2.txt has 2 lines but mt.txt has 3"),
    "limit-0": err([*EV, "--limit", "0"], r"argument --limit: 0: give a positive number"),
    "limit-negative": err([*EV, "--limit", "-3"], r"argument --limit"),
    "limit-text": err([*EV, "--limit", "ten"], r"argument --limit: 'ten' is not a whole number"),
    "min-confidence-nan": err([*EV, "--min-confidence", "nan"], r"argument --min-confidence"),
    "missing-ref-option": err(["evaluate", "--mt", "mt.txt"], r"required: --ref"),
    "stdout-closed": err(EV, r"stdout is closed; evaluate prints", process=True, close=(1,)),
}.items():
    CASES[f"evaluate-{name}"] = case

# finetune: every check happens before any work (no model is loaded) ---------------------------------
for name, case in {
    "mt-without-pe": err(["finetune", "--mt", "mt.txt"], r"--mt and --pe go together"),
    "language-without-mt": err(["finetune", "--source-language", "ro"], r"--source-language goes with --mt and --pe"),
    "language-not-a-tag": err(["finetune", "--source-language", "r o"], r"argument --source-language: 'r o' is not"),
    "mt-missing": err(["finetune", "--mt", "nowhere", "--pe", "pe.txt"], r"nowhere: no such file"),
    "pe-fifo": err(["finetune", "--mt", "mt.txt", "--pe", "fifo"], r"named pipe"),
    "src-dev-zero": err(["finetune", "--mt", "mt.txt", "--pe", "pe.txt", "--src", "/dev/zero"], r"character device"),
    "corrections-missing": err(["finetune", "--corrections", "nowhere.jsonl"], r"nowhere.jsonl: no such file"),
    "corrections-dir": err(["finetune", "--corrections", "dir"], r"is a directory"),
    "corrections-loop": err(["finetune", "--corrections", "loop1"], r"symlink loop"),
    "epochs-0": err(["finetune", "--epochs", "0"], r"argument --epochs: 0: give a positive number"),
    "epochs-nan": err(["finetune", "--epochs", "nan"], r"argument --epochs"),
    "epochs-negative": err(["finetune", "--epochs", "-2"], r"argument --epochs"),
    "out-path": err(["finetune", "--out", "../escape"], r"a model version name is letters"),
    "out-slash": err(["finetune", "--out", "a/b"], r"a model version name is letters"),
    "model-missing": err(["finetune", "--model", "nomodel"], r"no model there"),
}.items():
    CASES[f"finetune-{name}"] = case

# models ---------------------------------------------------------------------------------------------
for name, case in {
    "list-garbage-metadata": Case(["models", "list"], 0, None),
    "use-unknown": err(["models", "use", "nosuch"], r"no model version 'nosuch'"),
    "use-path": err(["models", "use", "../etc"], r"a model version name is letters"),
    "use-empty": err(["models", "use", ""], r"a model version name is letters"),
    "rollback-nothing": err(["models", "rollback"], r"no previous model version",
                            changes={"models/.versions.lock": None}),
    "no-action": err(["models"], r"required: ACTION"),
    "bogus-action": err(["models", "delete"], r"invalid choice"),
    "list-stdout-closed": err(["models", "list"], r"stdout is closed", process=True, close=(1,)),
}.items():
    CASES[f"models-{name}"] = case

CASES["cli-unknown-command"] = err(["frobnicate"], r"invalid choice: 'frobnicate'")


# --- running a case ----------------------------------------------------------------------------------


class Stdin:
    def __init__(self, data: bytes):
        self.buffer = io.BytesIO(data)

    def isatty(self) -> bool:
        return False


class Factory:
    """The editor's suggester factory, with the fake in place of the model's child process."""

    def __init__(self):
        self.suggester = TableSuggester()

    def __call__(self):
        return self.suggester

    def close(self):
        pass


def _headless_run(self, *args, **kwargs):
    """``ReviewApp.run`` without a terminal: accept the first edit, save, quit."""
    from textual.app import App

    async def pilot(p):
        await settled(p)
        await p.press("a", "s")
        await p.pause(0.1)
        await p.press("q")

    return App.run(self, headless=True, auto_pilot=pilot)


def _argv(case: Case) -> list[str]:
    first = case.argv[0] if case.argv else ""
    commands = {"review", "evaluate", "finetune", "models", "frobnicate", "correct"}
    return case.argv if first in commands else ["correct", *case.argv]


def run_in_process(case: Case, tmp: Path, monkeypatch, capsys) -> tuple[int, str, str]:
    from posteditor.commands import correct
    from posteditor.commands import evaluate
    from posteditor.tui import app

    monkeypatch.setattr(correct, "load_suggester", lambda *a, **k: TableSuggester())
    monkeypatch.setattr(evaluate, "load_suggester", lambda *a, **k: TableSuggester())
    monkeypatch.setattr(app, "suggester_factory", lambda *a, **k: Factory())
    monkeypatch.setattr(app, "check_terminal", lambda: None)
    monkeypatch.setattr(app.ReviewApp, "run", _headless_run)
    monkeypatch.setattr(sys, "stdin", Stdin(case.stdin if case.stdin is not None else b""))

    def hang(*_):
        raise TimeoutError("the command hung")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(60)
    try:
        code = cli.main(_argv(case))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out = capsys.readouterr()
    return code, out.out, out.err


def run_in_process_of_its_own(case: Case, tmp: Path, env: dict) -> tuple[int, str, str]:
    def close():
        for fd in case.close:
            os.close(fd)

    proc = subprocess.run([sys.executable, str(HERE / "battery_cli.py"), *_argv(case)], cwd=tmp, env=env,
                          input=case.stdin or b"", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          preexec_fn=close, timeout=60)
    out = proc.stdout.decode() if proc.stdout else ""
    return proc.returncode, out, proc.stderr.decode()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    work = tmp_path / "w"
    work.mkdir()
    world(work)
    env = {"POSTEDITOR_CORRECTIONS": str(work / "corrections.jsonl"), "POSTEDITOR_MODELS": str(work / "models"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(work)
    return work


def check_after(case: Case, tmp: Path, before: dict, before_devices: dict) -> None:
    after = snapshot(tmp)
    assert devices() == before_devices, "a device was replaced"
    temporary = [p for p in after if re.search(r"(^|/)\.[^/]*\.tmp$", p)]
    assert not temporary, f"temporary files left: {temporary}"
    for path, was in before.items():
        if path not in case.changes:
            assert after.get(path) == was, f"{path} changed"
    for path, want in case.changes.items():
        if want is not None:
            assert after.get(path) == ("file", want), f"{path}: {after.get(path)!r:.200}"
    new = set(after) - set(before) - set(case.changes)
    # The editor's timing file (posteditor/tui/review/timing.py) goes beside each journal it writes.
    new -= {p.replace("posteditor-journal", "posteditor-times") for p in case.changes if p.endswith("posteditor-journal")}
    assert not new, f"unexpected files: {sorted(new)}"


def check_stderr(case: Case, err: str) -> None:
    """Every message one line starting "posteditor"; an error that stops the command: one line."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert all(line.startswith("posteditor") for line in lines), lines
    if case.message is not None:
        if case.code == 2:
            assert len(lines) == 1, f"not one line: {lines}"
        assert any(re.search(case.message, line) for line in lines), lines


@pytest.mark.parametrize("name", list(CASES))
def test_battery(name, folder, monkeypatch, capsys):
    case = CASES[name]
    if case.setup:
        case.setup(folder)
    before, before_devices = snapshot(folder), devices()
    if case.process:
        env = {**os.environ}
        code, out, err = run_in_process_of_its_own(case, folder, env)
    else:
        code, out, err = run_in_process(case, folder, monkeypatch, capsys)
    assert code == case.code, err
    check_stderr(case, err)
    if case.stdout is not None:
        assert out == case.stdout
    check_after(case, folder, before, before_devices)
    if case.check:
        case.check(folder)


def test_the_battery_is_large_enough():
    assert len(CASES) + len(SIGNALS) >= 100


# --- signals during correct --in-place: the file is the original or the whole result -------------------

BIG = ARTICLE * 2000  # ~400 KB: its write takes a moment, so some kills may land inside it
SIGNALS = [("SIGINT", 0.8, 2.0), ("SIGTERM", 0.8, 2.0), ("SIGKILL", 0.8, 2.0), ("SIGKILL", 0.05, 0.0),
           ("SIGKILL", 0.5, 0.0)]


@pytest.mark.parametrize("sig, after, delay", SIGNALS, ids=[f"{s}-{a}s-{'slow' if d else 'big'}" for s, a, d in SIGNALS])
def test_signal_during_in_place(sig, after, delay, folder):
    text = ARTICLE if delay else BIG
    target = folder / "a.txt"
    target.write_text(text, encoding="utf-8")
    original = target.read_bytes()
    fixed = text.replace("world", "region").replace("informations", "information").encode()
    ready = folder / "suggesting"
    env = {**os.environ, "BATTERY_DELAY": str(delay), "BATTERY_READY": str(ready)}
    proc = subprocess.Popen([sys.executable, str(HERE / "battery_cli.py"), "correct", "--in-place", "link.txt"],
                            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # until it works on the text: a signal during Python's start is no test
    time.sleep(after)
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert target.read_bytes() in (original, fixed), "the file is neither the original nor the result"
    assert os.readlink(folder / "link.txt") == "a.txt", "the symlink was replaced"
    assert b"Traceback" not in err, err.decode()
    backups = [p for p in folder.iterdir() if p.name.startswith("a.txt~") or p.name.startswith("a.txt.~")]
    for b in backups:  # a backup, if made, is whole
        assert b.read_bytes() == original
    if sig == "SIGINT" and proc.returncode != 0:
        assert proc.returncode == 130 and err.decode().strip().endswith("posteditor: interrupted")
    if sig != "SIGKILL":  # a process that may clean up leaves no temporary file
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
