# Two commands on a fresh machine: `make demo` (review the sample article in the editor)
# and `make test`. Each creates the virtual environment and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARTICLE ?= examples/idlib.txt

.PHONY: demo test correct-demo bench clean

$(BIN)/posteditor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, CPU build: a plain requirement would pull GBs of CUDA packages
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/posteditor
	$(BIN)/posteditor review $(ARTICLE)

correct-demo: $(BIN)/posteditor
	$(BIN)/posteditor correct --diff $(ARTICLE)

test: $(BIN)/posteditor
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(BIN)/posteditor
	$(BIN)/python benchmarks/bench_correct.py

clean:
	rm -rf $(VENV)
