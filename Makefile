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

.PHONY: help setup setup-serve data train bench-train export translate lint format test clean-venv

help:
	@echo "make setup        full environment (.venv, torch==2.13.0 CPU first, then all extras)"
	@echo "make setup-serve  serving-only environment (no torch)"
	@echo "make data         build the Debian en-de corpus into \$$NMT_HOME/data/$(PAIR)"
	@echo "make train        train configs/en-de.yaml (CONFIG=..., ARGS='trainer.max_time=00:00:30:00')"
	@echo "make bench-train  training speed (target tokens/s), fp32 and bf16"
	@echo "make translate    translate a file: IN=file.po OUT=de.po (txt tsv jsonl po pot xliff)"
	@echo "make lint         ruff check + ruff format --check + mypy on nmt/"
	@echo "make test         lint, then the test suite"

# Full setup: torch first, pinned, so nothing later can pull a CUDA build.
$(VENV)/.setup-full: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[serve,data,files,train,test]'
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

# ONNX graphs of a run (fp32 + int8) with the parity check; writes only to OUT.
RUN ?= $(NMT_HOME)/runs/en-de
export: setup
	@test -n "$(OUT)" || { echo "make export RUN=run-folder OUT=output-folder"; exit 2; }
	$(BIN)/python -m nmt.export $(RUN) $(OUT) $(ARGS)

# Translate a file (txt, tsv, jsonl, po, pot, xlf/xliff); the same command again resumes.
BUNDLE ?= models/en-de
translate: setup
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "make translate IN=input-file OUT=output-file [ARGS='--beam 5 --shard 1/4']"; exit 2; }
	$(BIN)/nmt translate "$(IN)" "$(OUT)" --bundle $(BUNDLE) $(ARGS)

lint: setup
	$(BIN)/ruff check nmt training serving tests bench
	$(BIN)/ruff format --check nmt training serving tests bench
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix nmt training serving tests bench
	$(BIN)/ruff format nmt training serving tests bench

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
