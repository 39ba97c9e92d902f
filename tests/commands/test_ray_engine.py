"""`posteditor correct --engine ray`: the same bytes as the local engine, failures retried or reported.

One local Ray (2 CPUs, no dashboard) serves the whole module. Its workers import this module
(for the injected suggesters below) and the package under test, so both go on their path.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from conftest import FakeSuggester, tiny_pairs

from posteditor import cli
from posteditor.commands import correct as correct_mod
from posteditor.core import paths
from posteditor.commands import ray_engine
from posteditor.core.edits import Edit
from posteditor.core.meta import resolve_threshold
from posteditor.suggest.base import Item, Suggester

TABLE = {"world": ("region", 0.9), "peoples": ("people", 0.3)}


@pytest.fixture(scope="module")
def local_ray(tiny_base):
    import ray

    here = Path(__file__).resolve().parent  # this module (its suggesters are pickled by name) and tests/ (tui_fakes)
    path = os.pathsep.join([str(paths.PROJECT_ROOT), str(here), str(here.parent), os.environ.get("PYTHONPATH", "")])
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield ray
    ray.shutdown()


def run(*argv) -> int:
    return cli.main(["correct", *map(str, argv)])


def inputs(folder: Path) -> list[Path]:
    """Three files of the tiny model's kind of sentence: paragraphs, lines, Markdown; some
    segments repeated across files and one too long for the tiny model."""
    mts = [r.mt for r in tiny_pairs(60, seed=3)]
    folder.mkdir()
    a = folder / "a.txt"
    a.write_text(" ".join(mts[:8]) + "\n\n" + " ".join(mts[8:20]) + "\n", encoding="utf-8")
    b = folder / "b.txt"
    b.write_text("\n".join(mts[15:40]) + "\n" + " ".join(["Aid workers reached the border"] * 20) + ".\n",
                 encoding="utf-8")
    c = folder / "c.md"
    c.write_text("# Report\n\n" + " ".join(mts[40:60]) + "\n\n- " + mts[0] + "\n", encoding="utf-8")
    return [a, b, c]


class Short(FakeSuggester):
    """Table edits on the tiny model's sentences, for segments of up to 40 words: a suggester
    whose every answer (edits, fits) is known, so the comparison has plenty to compare."""

    def __init__(self):
        super().__init__({"border": ("frontier", 0.9), "doctors": ("medics", 0.3), "government": ("authorities", 0.7),
                          "hospital": ("clinic", 0.6), "army": ("", 0.8)})

    def fits(self, text: str) -> bool:
        return len(text.split()) <= 40


def short_suggester(model, use_memory, terms=None, min_confidence=None, everything=True, sourced=True, check_below=None):
    return Short()


def both_engines(files, tmp_path, capsys, common) -> dict:
    """Exit code, stderr, diff and its code, report and outputs of each engine on ``files``."""
    results = {}
    for engine in ("local", "ray"):
        out, report = tmp_path / f"out-{engine}", tmp_path / f"{engine}.jsonl"
        extra = ["--engine", "ray", "--workers", "2"] if engine == "ray" else []
        code = run(*files, *common, *extra, "--report", report, "-o", f"{out}/")
        err = capsys.readouterr().err
        diff_code = run(*files, *common, *extra, "--diff")
        diff = capsys.readouterr().out
        results[engine] = (code, err, diff_code, diff, report.read_bytes(),
                           {f.name: (out / f.name).read_bytes() for f in files})
    return results


@pytest.mark.parametrize("suggester", ["tiny model", "table"])
def test_ray_output_and_report_are_byte_identical_to_local(suggester, local_ray, flagging_model, tmp_path, capsys,
                                                           monkeypatch):
    if suggester == "table":  # the workers unpickle it from this module, as they would the real one
        monkeypatch.setattr(correct_mod, "build_suggester", short_suggester)
    files = inputs(tmp_path / "in")
    terms = tmp_path / "terms.tsv"
    terms.write_text("armata\tarmy\tarmies\n", encoding="utf-8")
    common = ["--model", flagging_model, "--no-memory", "--glossary", terms, "--format", "auto"]
    results = both_engines(files, tmp_path, capsys, common)
    local, ray = results["local"], results["ray"]
    assert local[0] == 1 and "too long for the model" in local[1]  # the long segment was left alone
    if suggester == "table":
        assert local[4].count(b"\n") > 10 and b'"applied": true' in local[4] and b'"applied": false' in local[4]
    else:  # the model's words to check come back from the workers too
        assert b'"check": "doubt"' in local[4]
    rows = {k: [json.loads(line) for line in v[4].splitlines()] for k, v in results.items()}
    assert rows["ray"] == rows["local"]  # the clearer failure first
    assert ray == local


def test_ray_engine_reuses_the_answer_of_a_repeated_segment(local_ray):
    items = [Item("The peoples left the world."), Item("The army fled."), Item("The peoples left the world.")]
    answered = ray_engine.suggest_with_ray(items, Table(), workers=2)
    assert answered.suggest(items) == FakeSuggester(TABLE).suggest(items)
    assert answered.fits("The army fled.") and resolve_threshold(None, answered.info) == 0.5


class Sources(Suggester):
    """Names each segment's source and its language in an edit of its first word: what the worker was given."""

    def suggest(self, items):
        return [[Edit(0, 1, (repr((item.source, item.language)),), 0.9)] for item in items]


def test_ray_workers_get_the_sources_as_given_missing_ones_included(local_ray):
    items = [Item("The army fled."), Item("The peoples left.", "Poporul a plecat.", "ro"), Item("Aid came."),
             Item("The army fled.", None, "et")]  # (the same text in another language: its own answer)
    answered = ray_engine.suggest_with_ray(items, Sources, workers=2)
    assert answered.suggest(items) == Sources().suggest(items)
    assert answered.suggest(items)[3][0].replacement == (repr((None, "et")),)


class Table:
    """A suggester factory for the workers: ``FakeSuggester(TABLE)``."""

    def __call__(self):
        return FakeSuggester(TABLE)


class DiesOnce(Suggester):
    """A suggester whose worker process dies the first time it is asked (``flag`` marks it)."""

    def __init__(self, flag: str):
        self.flag, self.inner = flag, FakeSuggester(TABLE)

    def suggest(self, items):
        if not os.path.exists(self.flag):
            Path(self.flag).touch()
            os._exit(1)  # the worker process dies without a word, as one killed for memory would
        return self.inner.suggest(items)


def test_a_worker_that_dies_is_restarted_and_its_batch_retried(local_ray, tmp_path):
    flag = tmp_path / "died"
    items = [Item(f"The peoples left the world {n}.") for n in range(6)]
    answered = ray_engine.suggest_with_ray(items, MakeDiesOnce(str(flag)), workers=1)
    assert flag.exists()  # it did die
    assert answered.suggest(items) == FakeSuggester(TABLE).suggest(items)


class MakeDiesOnce:
    def __init__(self, flag: str):
        self.flag = flag

    def __call__(self):
        return DiesOnce(self.flag)


class Broken(Suggester):
    def suggest(self, items):
        raise RuntimeError("the model's weights are corrupt")


def broken_suggester(model, use_memory, terms=None, min_confidence=None, everything=True, check_below=None):
    return Broken()


def test_a_worker_that_raises_fails_the_job_in_one_line_and_writes_nothing(local_ray, tiny_model, tmp_path,
                                                                              monkeypatch, capsys):
    monkeypatch.setattr(correct_mod, "build_suggester", broken_suggester)
    files = inputs(tmp_path / "in")
    report = tmp_path / "r.jsonl"
    code = run(*files, "--engine", "ray", "--report", report, "-o", f"{tmp_path / 'out'}/")
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2
    assert len(err) == 1 and err[0].startswith("posteditor: the Ray job failed: ")
    assert "the model's weights are corrupt" in err[0]
    assert not (tmp_path / "out").exists() and not report.exists()


def test_interrupted_job_writes_nothing(monkeypatch, tmp_path, capsys):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ray_engine, "suggest_with_ray", interrupt)
    files = inputs(tmp_path / "in")
    before = {f: f.read_bytes() for f in files}
    assert run(*files, "--engine", "ray", "--in-place", "--report", tmp_path / "r.jsonl") == 130
    assert {f: f.read_bytes() for f in files} == before
    assert not list(tmp_path.glob("in/*~")) and not (tmp_path / "r.jsonl").exists()
    assert "interrupted" in capsys.readouterr().err


def test_without_ray_installed_one_line_says_how(monkeypatch, tmp_path, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    f = tmp_path / "a.txt"
    f.write_text("The peoples left.\n", encoding="utf-8")
    assert run(f, "--engine", "ray") == 2
    assert capsys.readouterr().err == f"posteditor: {ray_engine.INSTALL}\n"


@pytest.mark.parametrize("extra", [["--workers", "2"], ["--ray-address", "auto"]])
def test_ray_options_need_the_ray_engine(tmp_path, capsys, extra):
    f = tmp_path / "a.txt"
    f.write_text("The peoples left.\n", encoding="utf-8")
    assert run(f, *extra) == 2
    assert "go with --engine ray" in capsys.readouterr().err
