"""Model versions: listing, switching and rolling back, atomically, never deleting a version."""

from __future__ import annotations

import json

import pytest

from posteditor import cli
from posteditor.core import paths
from posteditor.model import versions
from posteditor.core.textio import InputError


def fake_version(root, name, meta=None):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "adapter_model.safetensors").write_bytes(b"weights")
    (folder / "adapter_config.json").write_text("{}")
    (folder / "posteditor.json").write_text(json.dumps(meta or {}), encoding="utf-8")
    return folder


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = tmp_path / "models"
    monkeypatch.setenv("POSTEDITOR_MODELS", str(root))
    for name, created in (("default", "2026-11-01T10:00:00+00:00"), ("ft-a", "2026-11-02T10:00:00+00:00"),
                          ("ft-b", "2026-11-03T10:00:00+00:00")):
        fake_version(root, name, {"created": created, "base": {"name": "default"} if name != "default" else None})
    return root


@pytest.mark.parametrize(
    "steps, current, history",
    [
        ([], "default", []),
        (["use ft-a"], "ft-a", ["default"]),
        (["use ft-a", "use ft-b"], "ft-b", ["default", "ft-a"]),
        (["use ft-a", "use ft-b", "rollback"], "ft-a", ["default"]),
        (["use ft-a", "use ft-b", "rollback", "rollback"], "default", []),  # a stack, not a toggle
        (["use ft-a", "use ft-a"], "ft-a", ["default"]),  # using the current one changes nothing
        (["use ft-a", "use default", "rollback"], "ft-a", ["default"]),
    ],
)
def test_use_and_rollback(root, steps, current, history):
    for step in steps:
        if step == "rollback":
            versions.rollback(root)
        else:
            versions.use(step.split()[1], root)
    assert versions.current_name(root) == current
    assert paths.default_model() == root / current
    assert versions.history(root) == history
    assert sorted(p.name for p in root.iterdir() if p.suffix == ".tmp") == []  # no temp file left behind
    assert {v.name for v in versions.versions(root)} == {"default", "ft-a", "ft-b"}  # nothing deleted


def test_rollback_skips_deleted_versions_and_fails_clearly_at_the_start(root):
    import shutil

    versions.use("ft-a", root)
    versions.use("ft-b", root)
    shutil.rmtree(root / "ft-a")
    assert versions.rollback(root) == ("ft-b", "default")
    with pytest.raises(InputError, match="no previous model version"):
        versions.rollback(root)


@pytest.mark.parametrize("name", ["nope", "../default", "", "a b", ".work", "x" * 65])
def test_use_refuses_unknown_or_bad_names(root, name):
    with pytest.raises(InputError):
        versions.use(name, root)
    assert versions.current_name(root) == "default"


def test_a_stale_pointer_falls_back_to_default(root):
    (root / "CURRENT").write_text("gone\n", encoding="utf-8")
    assert versions.current_name(root) == "default" == paths.default_model().name


def test_new_name_avoids_taken_names(root):
    from datetime import datetime

    when = datetime(2026, 11, 24, 22, 31)
    fake_version(root, "ft-20261124-2231")
    (root / versions.WORK / "ft-20261124-2231-2").mkdir(parents=True)
    assert versions.new_name(root, when) == "ft-20261124-2231-3"


def test_list_marks_current_candidates_and_metrics(root, capsys):
    gate = {"passed": False, "heldout": {"base": 30.0, "new": 31.5}, "dev": {"base": 20.0, "new": 20.1}}
    fake_version(root, "ft-c", {"created": "2026-11-04T10:00:00+00:00", "base": {"name": "ft-a"},
                                "finetune": {"gate": gate}})
    assert cli.main(["models", "use", "ft-b"]) == 0
    assert capsys.readouterr().out == "current model: ft-b (was default)\n"
    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["NAME", "CREATED", "BASE", "METRICS"]
    assert [line.split()[0] for line in out[1:]] == ["default", "ft-a", "*", "ft-c"]
    assert "ft-b" in out[3] and "ft-c (candidate)" in out[4]
    assert "held-out TER 31.50 (base 30.00)" in out[4] and "ft-a" in out[4]


def test_list_shows_how_a_fine_tune_ranks_the_words_to_check(root, capsys):
    words = {"readings": {"without_source": {"kept": True, "before": 0.505, "after": 0.516},
                          "with_source": {"kept": False, "reason": "no training corrections with a source"}},
             "languages": {"et": {"with_source": {"kept": True, "before": 0.53, "after": 0.54}}}}
    fake_version(root, "ft-w", {"created": "2026-11-05T10:00:00+00:00", "finetune": {
        "gate": {"passed": True, "heldout": {"new": 29.96, "base": 29.96}}, "calibration": {"words_to_check": words}},
        "words_to_check": {"languages": {"et": {}, "ro": {}}}})
    assert cli.main(["models", "list"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.endswith("held-out TER 29.96 (base 29.96); words to check: AP without source 0.516 (base 0.505), "
                         "with source in et 0.54 (base 0.53); words to check of their own: et, ro")


def test_list_shows_the_dev_sweep_of_a_trained_model(root, capsys):
    at = {"threshold": 0.9, "precision": 0.71, "langs": {"ro-en": {"delta_ter": -1.0}, "ru-en": {"delta_ter": -0.5}}}
    fake_version(root, "trained", {"created": "2026-11-05T10:00:00+00:00", "dev": {"at_threshold": at}})
    assert cli.main(["models", "list"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.split()[0] == "trained"
    assert line.endswith("TER change vs MT on dev -0.75 (mean over 2 language pairs; per pair: the model card); "
                         "threshold 0.9; edit precision 0.71")


def test_cli_rollback_without_history_is_one_line_error(root, capsys):
    assert cli.main(["models", "rollback"]) == 2
    assert capsys.readouterr().err.strip() == "posteditor: no previous model version to roll back to"
