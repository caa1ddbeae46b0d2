# nmt: the front door. Every target sets up what it needs, so a fresh clone needs one command.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
NMT_HOME ?= $(HOME)/.cache/nmt
export NMT_HOME
PAIR ?= en-de
DATA ?= $(NMT_HOME)/data/$(PAIR)
CONFIG ?= configs/en-de.yaml
ARGS ?=
PYTEST_ARGS ?=

.PHONY: help setup setup-serve data train bench-train export evaluate bench translate serve loadtest fuzz lint format test test-fast clean-venv

help:
	@echo "make setup        full environment (.venv, torch==2.13.0 CPU first, then all extras)"
	@echo "make setup-serve  serving-only environment (no torch)"
	@echo "make data         build the Debian en-de corpus into \$$NMT_HOME/data/$(PAIR)"
	@echo "make train        train configs/en-de.yaml (CONFIG=..., ARGS='trainer.max_time=00:00:30:00')"
	@echo "make bench-train  training speed (target tokens/s), fp32 and bf16"
	@echo "make export      a run to ONNX + a bundle: RUN=\$$NMT_HOME/runs/en-de OUT=bundle-folder"
	@echo "make evaluate    BLEU/chrF/TER report of MODEL=models/en-de on the test split (REPORT=folder)"
	@echo "make bench       decoding speed, PyTorch vs ONNX Runtime fp32/int8 (bench/results/)"
	@echo "make translate    translate a file: IN=file.po OUT=de.po (txt tsv jsonl po pot xliff)"
	@echo "make serve        the translation service on 127.0.0.1:8000 (HOST=, PORT=, BUNDLE=, MODELS=)"
	@echo "make loadtest     CLIENTS concurrent clients for DURATION s against a fresh server (URL= for a running one)"
	@echo "make fuzz         schemathesis on every route (FUZZ_EXAMPLES=200 per route, FUZZ_SEED=1; FUZZ_EXAMPLES=0 FUZZ_TIME=s explores)"
	@echo "make lint         ruff check + ruff format --check + mypy on nmt/"
	@echo "make test         lint, then every test (CI)"
	@echo "make test-fast    the unit tests only (no training, export, live server, browser, Ray, database)"

# Full setup: torch first, pinned, so nothing later can pull a CUDA build.
$(VENV)/.setup-full: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[serve,data,files,train,ray,test]'
	touch $@ $(VENV)/.setup-serve

# Serving setup: core + serve only. A full setup is a superset, so it satisfies this too.
$(VENV)/.setup-serve: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[serve]'
	touch $@

setup: $(VENV)/.setup-full
setup-serve: $(VENV)/.setup-serve

data: setup
	$(BIN)/nmt data build --pair $(PAIR) --out $(DATA) $(ARGS)

train: setup
	$(BIN)/nmt train --config $(CONFIG) $(ARGS)

bench-train: setup
	$(BIN)/python bench/train_speed.py --config $(CONFIG) $(ARGS)

# A run's best checkpoint -> ONNX (parity-checked, int8) -> the bundle OUT (graphs under
# $NMT_HOME/exports/RUN). Writes no other folder: models/en-de only when OUT names it.
RUN ?= $(NMT_HOME)/runs/en-de
export: setup
	@test -n "$(OUT)" || { echo "make export RUN=run-folder OUT=bundle-folder [ARGS=--fp32-bundle DIR]"; exit 2; }
	$(BIN)/nmt export $(RUN) $(OUT) $(ARGS)

# Scores by decoding and test part, length buckets, plots: REPORT/report.md (+ json, PNGs).
MODEL ?= models/en-de
REPORT ?= $(NMT_HOME)/reports/$(notdir $(MODEL))
evaluate: setup
	$(BIN)/nmt evaluate $(MODEL) --corpus $(DATA) --out $(REPORT) $(ARGS)

# Decoding speed (each backend in its own process): the run's checkpoint vs its exported graphs;
# then this CPU's ceiling: the decoder step's matrix products alone.
EXPORT ?= $(NMT_HOME)/exports/$(notdir $(RUN))
bench: setup
	$(BIN)/python bench/decode_speed.py --run-dir $(RUN) --export-dir $(EXPORT) $(ARGS)
	$(BIN)/python bench/cpu_ceiling.py

# Translate a file (txt, tsv, jsonl, po, pot, xlf/xliff); the same command again resumes.
BUNDLE ?= models/en-de
translate: setup
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "make translate IN=input-file OUT=output-file [ARGS='--beam 5 --shard 1/4']"; exit 2; }
	$(BIN)/nmt translate "$(IN)" "$(OUT)" --bundle $(BUNDLE) $(ARGS)

# The translation service (serving/): torch-free setup, uvicorn on HOST:PORT. BUNDLE is a bundle
# folder, a name under MODELS, a comma list, or '*' (every bundle under MODELS); other settings
# are NMT_* variables (README, Serving).
HOST ?= 127.0.0.1
PORT ?= 8000
MODELS ?= models
serve: setup-serve
	NMT_HOST=$(HOST) NMT_PORT=$(PORT) NMT_MODELS_DIR='$(MODELS)' NMT_BUNDLES='$(BUNDLE)' $(BIN)/python -m serving

# Load test (loopback only): starts a server with BUNDLE unless URL names a running one.
CLIENTS ?= 32
DURATION ?= 60
MODE ?= greedy
loadtest: setup-serve
	NMT_MODELS_DIR='$(MODELS)' $(BIN)/python bench/loadtest.py $(if $(URL),--url $(URL),--spawn --bundles '$(BUNDLE)') --clients $(CLIENTS) --duration $(DURATION) --mode $(MODE) $(ARGS)

# schemathesis on every route: FUZZ_EXAMPLES cases per route and phase from FUZZ_SEED (the same
# cases every run; FUZZ_TIME s is then a hard cap), or FUZZ_EXAMPLES=0: explore for FUZZ_TIME s.
# Fails on any 500, undocumented status, schema mismatch or failed check; bench/results/fuzz.*
FUZZ_EXAMPLES ?= 200
FUZZ_SEED ?= 1
FUZZ_TIME ?= 300
fuzz: setup
	NMT_MODELS_DIR='$(MODELS)' NMT_ACCESS_LOG=false $(BIN)/python bench/fuzz.py $(if $(URL),--url $(URL),--bundles '$(BUNDLE)') --examples $(FUZZ_EXAMPLES) --seed $(FUZZ_SEED) --max-time $(FUZZ_TIME) $(ARGS)

lint: setup
	$(BIN)/ruff check nmt training serving tests bench scripts
	$(BIN)/ruff format --check nmt training serving tests bench scripts
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix nmt training serving tests bench scripts
	$(BIN)/ruff format nmt training serving tests bench scripts

# Two lanes. test: lint, then every test (what CI runs; under 10 minutes on 2 cores).
# test-fast: the unit tests only, on two work-stealing workers (pytest-xdist), without the
# markers of pyproject.toml's heavy lanes (tests/conftest.py leaves a module that -m deselects
# whole unimported): 25-33 s on 2 vCPU, Intel AMX (docs/development.md).
HEAVY_MARKERS ?= slow or training or export or live or browser or ray or database
test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/pytest -q -n 2 --dist worksteal -m "not ($(HEAVY_MARKERS))" $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
