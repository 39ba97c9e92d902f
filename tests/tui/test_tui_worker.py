"""The suggester's child process: its protocol in process (fast), then the real thing on the
tiny model, a missing model, and a child that must not outlive its editor."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from posteditor.core.edits import Edit
from posteditor.suggest.base import Item
from posteditor.core.textio import InputError
from posteditor.tui import worker
from posteditor.tui.worker import ModelProcess, serve
from tui_fakes import TableSuggester

ROOT = Path(__file__).resolve().parent.parent.parent


def talk(monkeypatch, suggester, *requests: list[list]) -> list[dict]:
    """Run ``serve`` in this process on a fake suggester; its replies, decoded."""
    monkeypatch.setattr(worker, "load", lambda model, use_memory, check_below: suggester)
    replies = io.StringIO()
    serve(None, True, [json.dumps({"items": items}) + "\n" for items in requests], replies)
    return [json.loads(line) for line in replies.getvalue().splitlines()]


def test_serve_answers_each_request_with_edits(monkeypatch):
    long = "word " * 300 + "world."
    suggester = TableSuggester(min_confidence=0.7)
    replies = talk(monkeypatch, suggester, [["The world.", None], [long, None]], [["No fix here.", "src"]])
    assert replies[0] == {"ready": True}  # nothing about the model: the editor reads its record itself
    assert replies[1] == {"edits": [[[1, 2, [" region"], 0.9, "model"]], []], "doubts": [[], []]}
    assert replies[2] == {"edits": [[]], "doubts": [[]]}
    assert [[item.text for item in call] for call in suggester.calls] == [["The world."], ["No fix here."]]
    assert suggester.calls[1][0].source == "src"
    talk(monkeypatch, suggester, [["The world.", "src", "ro"]])  # the source's language, where known
    assert suggester.calls[-1][0] == Item("The world.", "src", "ro")


def test_serve_sends_the_words_to_check_with_the_edits(monkeypatch):
    replies = talk(monkeypatch, TableSuggester(doubted={"scarce": 0.05}), [["Aid is scarce.", None], ["Fine.", None]])
    assert replies[1]["doubts"] == [[[2, 0.05]], []]


def test_the_users_bar_for_words_to_check_reaches_the_child(monkeypatch):
    from posteditor.tui import app

    assert app.suggester_factory("m", False, 0.3).argv[-2:] == ["--check-below", "0.3"]
    assert "--check-below" not in ModelProcess("m", False).argv
    served = []  # the child's entry point, its pipes and stdin left alone
    monkeypatch.setattr(worker, "serve", lambda *args: served.append(args))
    monkeypatch.setattr(worker, "_lines_until_closed", lambda stream: iter(()))
    monkeypatch.setattr(worker.os, "dup", lambda fd: fd)
    monkeypatch.setattr(worker.os, "fdopen", lambda *a, **k: io.StringIO())
    monkeypatch.setattr(worker.os, "dup2", lambda *a: None)
    monkeypatch.setattr(worker.sys, "stdout", worker.sys.stdout)
    worker.main(["--model", "m", "--check-below", "0.3"])
    worker.main(["--model", "m"])
    assert [args[-1] for args in served] == [0.3, None]
    loaded = []
    monkeypatch.setattr(worker, "load", lambda model, memory, below: loaded.append(below) or TableSuggester())
    replies = io.StringIO()
    serve("m", True, [], replies, check_below=0.3)
    assert loaded == [0.3] and json.loads(replies.getvalue()) == {"ready": True}


def test_serve_reports_a_failed_load_and_a_failed_batch(monkeypatch):
    def broken(model, use_memory, check_below):
        raise InputError("models/x: not a posteditor model")

    monkeypatch.setattr(worker, "load", broken)
    replies = io.StringIO()
    serve("models/x", True, [], replies)
    assert json.loads(replies.getvalue()) == {"failed": "models/x: not a posteditor model"}

    class Failing(TableSuggester):
        def suggest(self, items):
            raise RuntimeError("out of memory")

    assert talk(monkeypatch, Failing(), [["The world.", None]])[1:] == [{"error": "out of memory"}]


def test_a_missing_model_fails_with_the_same_message_as_in_process(tmp_path):
    from posteditor.pipeline import load_suggester

    missing = tmp_path / "nowhere"
    with pytest.raises(InputError) as direct:
        load_suggester(missing)
    process = ModelProcess(str(missing), use_memory=False)
    try:
        with pytest.raises(InputError) as remote:
            process()
    finally:
        process.close()
    assert str(remote.value) == str(direct.value)


def test_a_child_that_dies_is_reported_with_its_last_words():
    process = ModelProcess()
    process.argv = [sys.executable, "-c", "import sys; print('{\"ready\": true}', flush=True); "
                    "sys.stdin.readline(); sys.exit('killed: out of memory')"]
    try:
        remote = process()
        assert remote.info is None
        with pytest.raises(InputError, match=r"the model process stopped \(exit code 1: killed: out of memory\)"):
            remote.suggest([Item("The world.")])
    finally:
        process.close()


def test_the_child_suggests_what_the_model_suggests(flagging_model):
    from posteditor.model.corrector import Corrector

    items = [Item("The family fled the world of Idlib."), Item("word " * 300 + "end."),
             Item("Aid workers reached a informations the camp.", "source text")]
    process = ModelProcess(str(flagging_model), use_memory=False)
    process.start()
    try:
        remote = process()
        assert remote.info is None  # the editor reads the threshold from the model's record, not the child
        got, doubts = remote.suggest(items), remote.doubts(items)
        assert remote.suggest([]) == []
    finally:
        process.close()
    local = Corrector(flagging_model)
    assert got[1] == [] and doubts[1] == []  # too long for the model: never sent to it
    assert got[0::2] == local.suggest(items[0::2])
    assert doubts[0::2] == local.doubts(items[0::2]) and any(doubts)
    assert all(isinstance(e, Edit) for edits in got for e in edits)
    assert process.proc.poll() is not None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_child_dies_with_its_editor(tiny_model):
    """An editor killed outright (kill -9) while its model loads leaves no process behind."""
    editor = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from posteditor.tui.worker import ModelProcess\n"
         "p = ModelProcess(sys.argv[1], False); p.start(); print(p.proc.pid, flush=True); time.sleep(60)",
         str(tiny_model)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")},
    )
    child = int(editor.stdout.readline())
    assert _alive(child)
    editor.send_signal(signal.SIGKILL)
    editor.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_the_child_imports_neither_textual_nor_torch_before_loading():
    """What the child imports before it loads the model delays the first suggestion."""
    code = "import sys, posteditor.tui.worker; print(sorted({'textual', 'torch', 'transformers'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_malformed_request_is_reported_and_the_next_one_served(monkeypatch):
    monkeypatch.setattr(worker, "load", lambda model, use_memory, check_below: TableSuggester())
    replies = io.StringIO()
    serve(None, True, ["not json\n", json.dumps({"items": [["The world.", None]]}) + "\n"], replies)
    answers = [json.loads(line) for line in replies.getvalue().splitlines()]
    assert "error" in answers[1]
    assert answers[2]["edits"] == [[[1, 2, [" region"], 0.9, "model"]]]


def test_the_child_ignores_modules_in_the_current_folder(tiny_model, tmp_path, monkeypatch):
    (tmp_path / "argparse.py").write_text("raise SystemExit('shadowed')\n")
    monkeypatch.chdir(tmp_path)
    factory = ModelProcess(str(tiny_model), use_memory=False)
    try:
        assert factory().suggest([Item("Officials in the world capital met.")]) is not None
    finally:
        factory.close()
