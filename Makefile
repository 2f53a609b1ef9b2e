# Two commands do all the set-up on a fresh machine with only Python:
#   make test       builds .venv if needed, then lints and runs the tests
#   make dashboard  builds .venv if needed, then serves notebooks/ with Voila
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The exact pin matters: it is a CPU build on local disk; any other spec pulls a multi-GB CUDA build.
TORCH  := torch==2.13.0
PORT   ?= 8866
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: venv test lint format dashboard lab bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

lint: venv
	$(BIN)/ruff format --check nnviz tests benchmarks
	$(BIN)/ruff check nnviz tests benchmarks

format: venv
	$(BIN)/ruff format nnviz tests benchmarks
	$(BIN)/ruff check --fix nnviz tests benchmarks

test: lint
	$(BIN)/python -m pytest

# Serves every notebook in notebooks/ as a dashboard: http://localhost:$(PORT)/voila/tree
dashboard: venv
	mkdir -p notebooks
	$(BIN)/voila notebooks/ --port=$(PORT) --no-browser

lab: venv
	mkdir -p notebooks
	$(BIN)/jupyter lab notebooks/ $(ROOT_FLAG)

bench: venv
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/live.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
