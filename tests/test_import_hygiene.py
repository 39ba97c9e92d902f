"""Imports flow one way: the command line and the text core never load torch or textual.

The import-linter contracts in pyproject.toml check the static imports; the subprocess tests
below check what really gets loaded, so ``posteditor --help`` stays instant.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HEAVY = ("torch", "transformers", "textual", "sentencepiece")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_import_linter_contracts():
    lint = shutil.which("lint-imports", path=str(BIN)) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed")
    done = subprocess.run([lint], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.parametrize(
    "module",
    ["posteditor.cli", "posteditor.commands.correct", "posteditor.commands.evaluate", "posteditor.core.document", "posteditor.core.edits"],
)
def test_module_loads_no_heavy_library(module):
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("argv", [["--help"], ["correct", "--help"], ["evaluate", "--help"]])
def test_console_script_help_is_fast_and_light(argv):
    script = BIN / "posteditor"
    if not script.exists():
        pytest.skip(f"{script} is not installed (run `make test` or `pip install -e .`)")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [str(script), *argv], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},  # stderr lists every module imported
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage: posteditor" in done.stdout
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert not imported & set(HEAVY)
    # CPU time, not wall time, so a busy machine does not fail the test; importing torch
    # alone costs seconds, the answer itself about 0.1 s.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < 1.0, f"posteditor {' '.join(argv)} used {cpu:.2f}s of CPU"
