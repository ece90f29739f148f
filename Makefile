# ndes.scep: `make demo` runs the main job against the embedded lab; `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VENV216 := .venv-2.16
BUILD := .build
COLLECTIONS := $(CURDIR)/$(BUILD)/collections
LINK := $(COLLECTIONS)/ansible_collections/ndes/scep
SANITY_ROOT := $(CURDIR)/$(BUILD)/sanity/ansible_collections/ndes/scep
SANITY_216_ROOT := $(CURDIR)/$(BUILD)/sanity-2.16/ansible_collections/ndes/scep
BIN := $(CURDIR)/$(VENV)/bin
BIN216 := $(CURDIR)/$(VENV216)/bin

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export NDES_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0

.PHONY: help venv venv-2.16 collection test unit ps-syntax integration sanity lint smoke-2.16 demo bench clean

help:
	@echo "make demo   - start a lab NDES with every injectable fault, diagnose, remediate, verify, enrol"
	@echo "make test   - unit, integration, ansible-test sanity, ansible-lint, PowerShell syntax, 2.16 smoke"
	@echo "make bench  - benchmarks (remote calls, fleet scale, log throughput, probe latency)"

$(VENV)/.installed: requirements.txt tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q 'ansible-core>=2.19,<2.20' -r requirements.txt -r tests/requirements.txt
	$(BIN)/python tests/tools/install_get_pip_shim.py
	touch $@

$(VENV216)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV216)
	$(BIN216)/pip install -q --upgrade pip
	$(BIN216)/pip install -q 'ansible-core>=2.16,<2.17' -r requirements.txt pytest
	$(BIN216)/python tests/tools/install_get_pip_shim.py
	touch $@

venv: $(VENV)/.installed
venv-2.16: $(VENV216)/.installed

collection:
	@mkdir -p $(dir $(LINK))
	@ln -sfn $(CURDIR) $(LINK)

test: unit ps-syntax integration sanity lint smoke-2.16
	@echo "make test: all checks passed"

unit: venv collection
	$(BIN)/python -m pytest -q tests/unit

ps-syntax: venv collection
	$(BIN)/python -m pytest -q tests/unit/windows/test_ps_syntax.py

integration: venv collection
	PATH=$(BIN):$$PATH $(BIN)/python -m pytest -q tests/integration

sanity: venv collection
	$(BIN)/python tests/tools/stage_collection.py $(SANITY_ROOT)
	cd $(SANITY_ROOT) && $(BIN)/ansible-test sanity --venv --python 3.11 $(shell cat tests/sanity/skip.txt | grep -v '^#' | sed 's/^/--skip-test /' | cut -d' ' -f1-2)

lint: venv collection
	PATH=$(BIN):$$PATH $(BIN)/ansible-lint --offline --profile production

smoke-2.16: venv-2.16 collection
	$(BIN216)/python tests/tools/stage_collection.py $(SANITY_216_ROOT)
	cd $(SANITY_216_ROOT) && $(BIN216)/ansible-test sanity --venv --python 3.11 --test import
	PATH=$(BIN216):$$PATH NDES_SMOKE=1 $(BIN216)/python -m pytest -q -m smoke tests/integration

demo: venv collection
	PATH=$(BIN):$$PATH $(BIN)/python tests/tools/demo.py

bench: venv collection
	PATH=$(BIN):$$PATH $(BIN)/python benchmarks/run.py

clean:
	rm -rf $(BUILD) tests/output
