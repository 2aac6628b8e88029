# twzrd.ops — the two commands of the README's quick start are `make health` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
COLLECTION_LINK := .ansible/collections/ansible_collections/twzrd/ops
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/.tools/node_modules/.bin:$(PATH)

# Extra arguments for ansible-playbook, e.g. make health ARGS="-i inventories/example-fleet.yml"
ARGS ?=
# Molecule scenarios run by `make test` (override to run one: make molecule SCENARIOS=default),
# in two lanes at once (scripts/molecule-lanes.sh; MOLECULE_LANES=1 runs them one by one):
# the first, third and fifth in one lane, the others in the second.
SCENARIOS ?= reboot default rollout maintenance swap flows

.PHONY: help setup setup-dev health test test-env test-matrix lint sanity unit integration molecule clean

help:
	@echo "make health   set up a virtualenv and run the weekly health check (localhost by default)"
	@echo "make test     set up everything the tests need and run the whole suite"
	@echo "make test-matrix  sanity, units and the playbooks under ansible-core 2.19, 2.20 and 2.21 (not part of make test)"
	@echo "targets: setup setup-dev test-env test-matrix lint sanity unit integration molecule clean"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-stamp: requirements-tools.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-tools.txt
	touch $@

$(VENV)/.dev-stamp: requirements-tools.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-stamp

$(COLLECTION_LINK):
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn ../../../.. $(COLLECTION_LINK)

setup: $(VENV)/.runtime-stamp $(COLLECTION_LINK)

setup-dev: $(VENV)/.dev-stamp $(COLLECTION_LINK)

health: setup
	$(BIN)/ansible-playbook playbooks/weekly-health.yml $(ARGS)

test-env: setup-dev
	bash scripts/test-env.sh

lint: setup-dev
	$(BIN)/ansible-lint
	$(BIN)/antsibull-changelog lint

sanity: setup-dev
	bash scripts/sanity.sh

unit: setup-dev
	$(BIN)/pytest tests/unit

integration: test-env
	$(BIN)/pytest tests/integration

molecule: test-env
	bash scripts/molecule-lanes.sh $(SCENARIOS)

# lint, sanity and pytest in the foreground while the molecule lanes run beside them
# (scripts/test-all.sh; TWZRD_TEST_SERIAL=1 runs the parts one after another).
test: test-env
	bash scripts/test-all.sh $(SCENARIOS)

# The controller matrix (scripts/test-matrix.sh): not part of `make test`, which is near its hour.
test-matrix: test-env
	bash scripts/test-matrix.sh

clean:
	rm -rf $(VENV) .tools .ansible tests/output .pytest_cache reports
