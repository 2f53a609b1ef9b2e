# Two commands do all the set-up on a fresh machine with only Python:
#   make test       builds .venv if needed, then lints and runs the tests (make test-fast: the
#                   tests without a browser or the notebooks, for the edit-test loop)
#   make dashboard  builds .venv if needed, then serves notebooks/ with Voila
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The exact pin matters: it is a CPU build on local disk; any other spec pulls a multi-GB CUDA build.
TORCH  := torch==2.13.0
PORT   ?= 8866
# localhost serves this machine only; HOST=0.0.0.0 serves a class on the local network.
HOST   ?= localhost
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

# nnviz's bytecode, written ahead: an editable install leaves it to the first import, which does
# not write it where PYTHONDONTWRITEBYTECODE is set (many containers, CI): then every kernel
# compiles nnviz again (~0.2 s of each cold page here, against 0.05 s with the bytecode).
PRECOMPILE = $(BIN)/python -m compileall -q nnviz

.PHONY: venv test test-fast lint format dashboard lab bench bench-browser screenshots notebooks clean

venv: $(VENV)/.installed

# The last step links the browser's cached assets where Voila and JupyterLab serve them (an
# editable install skips the wheel's data files): links into the checkout.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m nnviz.serving
	$(PRECOMPILE)
	touch $@

LINTED := nnviz tests benchmarks tools notebooks conftest.py

# Style, the import contracts that keep the layers apart (pyproject.toml, ARCHITECTURE.md) and
# the types of nnviz/.
lint: venv
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/lint-imports
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

test: lint
	$(BIN)/python -m pytest

# The edit-test loop: every test but the browser's (tests/browser) and the notebooks' (nbval),
# in under 2 minutes. make test runs all of them.
test-fast: venv
	$(BIN)/python -m pytest tests --ignore=tests/browser -q

# Serves every notebook in notebooks/ as a dashboard: http://localhost:$(PORT)/voila/tree
# with the serving config in voila.json (lab template, sources stripped, tracebacks hidden,
# one preheated kernel per lesson, kernels of closed pages culled after 10 idle minutes).
# The Chinese lessons are at /voila/tree/zh; COURSE=zh preheats them instead of the English ones
# (a pool for both would hold 22 kernels, 5 GB). The others still open, on a spare kernel.
COURSE ?= en
PREHEAT_zh := --VoilaKernelManager.preheat_denylist='["^[0-9][^/]*[.]ipynb$$"]'
dashboard: venv
	$(PRECOMPILE)
	$(BIN)/voila notebooks/ --port=$(PORT) --Voila.ip=$(HOST) --no-browser $(PREHEAT_$(COURSE))

lab: venv
	$(BIN)/jupyter lab notebooks/ $(ROOT_FLAG)

# Re-runs the lessons and stores their golden outputs (the numbers nbval checks in make test).
notebooks: venv
	$(BIN)/python tools/refresh_notebooks.py

bench: venv
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/live.py

# The dashboards in headless Chromium (needs /usr/bin/chromium): ~10 minutes.
bench-browser: venv
	$(BIN)/python benchmarks/browser.py

# Re-draws docs/img/*.png from live Voila pages.
screenshots: venv
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
